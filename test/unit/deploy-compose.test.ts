import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/index.js';
import { shutdownDeadlineMs } from '../../src/ops/shutdown.js';
import { isSecretVariable, requiredVariables, schemaVariables } from '../helpers/deploy-config.js';
import { composeDurationMs, haproxyCheckTiming, haproxyTimeMs, read, readCompose, repoRoot } from '../helpers/deploy-files.js';
import { parseDockerfile } from '../helpers/dockerfile.js';

const { services } = readCompose();
const gateway = services.gateway;
const environment = gateway?.environment ?? {};
const image = parseDockerfile(join(repoRoot, 'Dockerfile'));

/** What an operator's .env would hand compose for each `${NAME:?…}`; `${NAME:-default}` takes its default. */
const OPERATOR_VALUES: Record<string, string> = {
  SESSION_SECRET: 's'.repeat(32),
  OIDC_ISSUER_URL: 'https://login.example.com',
  OIDC_CLIENT_ID: 'onetalk-gateway',
  OIDC_CLIENT_SECRET: 'client-secret',
  ONETALK_API_KEY: 'api-key',
};

function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, rest?: string) => {
    if (op === '-') return rest ?? '';
    const supplied = OPERATOR_VALUES[name];
    if (supplied === undefined) throw new Error(`no operator value for ${name}`);
    return supplied;
  });
}

const gatewayEnv = Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, interpolate(String(value))]));

describe('compose.yaml', () => {
  it('runs Redis, two gateway replicas built from the Dockerfile, and HAProxy in front', () => {
    expect(Object.keys(services).sort()).to.deep.equal(['balancer', 'gateway', 'redis']);
    expect(gateway?.build).to.equal('.');
    expect(gateway?.deploy?.replicas).to.equal(2);
    expect(services.balancer?.image).to.match(/^haproxy:/);
    expect(services.balancer?.volumes).to.include('./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(gatewayEnv.REDIS_URL).to.equal('redis://redis:6379');
  });

  it('gives the gateway only variables of the config schema, a valid whole, and every required one', () => {
    for (const name of Object.keys(environment)) expect(schemaVariables, name).to.include(name);
    for (const name of requiredVariables()) expect(environment, name).to.have.property(name);
    expect(() => loadConfig(gatewayEnv)).not.to.throw();
  });

  it('takes every secret from the operator, never from the file itself', () => {
    for (const [name, value] of Object.entries(environment)) {
      if (isSecretVariable(name) && name !== 'REDIS_URL') expect(value, name).to.match(/^\$\{[A-Z0-9_]+:\?[^}]*\}$/);
    }
  });

  it('runs the gateway read-only, on the port the image exposes', () => {
    expect(gateway?.read_only).to.equal(true);
    expect(loadConfig(gatewayEnv).port).to.equal(image.exposed[0]);
  });

  it('lets a gateway finish its shutdown before Docker kills it', () => {
    const config = loadConfig(gatewayEnv);
    expect(composeDurationMs(gateway?.stop_grace_period ?? '10s')).to.be.at.least(shutdownDeadlineMs(config));
  });
});

describe('deploy/haproxy/haproxy.cfg', () => {
  const cfg = read('deploy/haproxy/haproxy.cfg');
  const config = loadConfig(gatewayEnv);

  it('checks each gateway actively on /readyz', () => {
    expect(cfg).to.match(/^\s*option httpchk GET \/readyz$/m);
    expect(cfg).to.match(/^\s*http-check expect status 200$/m);
  });

  it('marks a draining gateway down before its drain delay is over', () => {
    const { interMs, fall } = haproxyCheckTiming();
    // The first failing check may come up to one interval after SIGTERM.
    expect((fall + 1) * interMs).to.be.at.most(config.shutdownDrainDelayMs);
  });

  it('sends to the gateways on their PORT, listening where compose publishes it', () => {
    expect(cfg).to.match(new RegExp(`^\\s*server-template gateway ${gateway?.deploy?.replicas} gateway:${config.port} check`, 'm'));
    const bind = services.balancer?.environment?.HAPROXY_BIND ?? '';
    const published = services.balancer?.ports?.[0]?.split(':').at(-1);
    expect(bind).to.equal(`:${published}`);
  });

  it('ends idle connections to a gateway itself, long before the gateway would, and retries one that met a closed socket', () => {
    const purge = /^\s*default-server .*\bpool-purge-delay (\S+)/m.exec(cfg)?.[1] ?? '';
    expect(haproxyTimeMs(purge)).to.be.below(config.http.keepAliveTimeoutMs);
    expect(cfg).to.match(/^\s*retry-on .*\bempty-response\b/m);
  });
});
