import { expect } from 'chai';
import { minimalEnv, spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort, tryConnect } from '../helpers/net.js';

/**
 * 127.0.0.2 is this machine too (all of 127.0.0.0/8 is loopback), but a listener bound to
 * 127.0.0.1 does not answer there, while one bound to every interface does: so it tells, without
 * leaving the machine, what address the metrics listener is bound to.
 */

describe('METRICS_PORT and METRICS_HOST (a real process)', function () {
  this.timeout(30_000);
  let gateway: GatewayProcess | undefined;
  afterEach(() => gateway?.kill());

  it('binds the metrics listener to loopback by default', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    gateway = await spawnGateway({ env: minimalEnv(port, { METRICS_PORT: String(metricsPort) }) });
    expect(await tryConnect(metricsPort, '127.0.0.1')).to.equal('connected');
    expect(await tryConnect(metricsPort, '127.0.0.2')).to.equal('ECONNREFUSED');
    const listening = await gateway.waitForLine((l) => l.msg === 'gateway listening', 1000);
    expect(listening).to.include({ metricsPort, metricsHost: '127.0.0.1' });
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).to.equal(200);
  });

  it('binds it to METRICS_HOST when set', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    gateway = await spawnGateway({ env: minimalEnv(port, { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.2' }) });
    expect(await tryConnect(metricsPort, '127.0.0.2')).to.equal('connected');
    expect(await tryConnect(metricsPort, '127.0.0.1')).to.equal('ECONNREFUSED');
  });

  // A non-loopback METRICS_HOST without METRICS_TOKEN is a ConfigError (test/unit/config-server.test.ts),
  // and a ConfigError ends the process with status 1 before it listens (test/integration/dotenv.test.ts).
});
