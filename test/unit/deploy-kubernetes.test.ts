import { join } from 'node:path';
import { expect } from 'chai';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { shutdownDeadlineMs } from '../../src/ops/shutdown.js';
import { isSecretVariable, requiredVariables, schemaVariables } from '../helpers/deploy-config.js';
import { read, readKubernetes, repoRoot, type KubernetesObject } from '../helpers/deploy-files.js';
import { parseDockerfile } from '../helpers/dockerfile.js';

/** The schema (Kubernetes' OpenAPI, through kubernetes-models) each kind is validated against. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

const manifests = readKubernetes();
const byKind = (kind: string): KubernetesObject => {
  const found = manifests.filter((m) => m.object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!.object;
};

/* Typed views of the parts the checks read (the schema check above guards their shapes). */
interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  image: string;
  ports: Array<{ name: string; containerPort: number }>;
  envFrom: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: unknown[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  lifecycle: { preStop: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; runAsGroup: number };
  containers: Container[];
}

const deployment = byKind('Deployment') as KubernetesObject & {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
};
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;
const configMap = byKind('ConfigMap') as KubernetesObject & { data: Record<string, string> };
const secret = byKind('Secret') as KubernetesObject & { stringData: Record<string, string> };
const environment = { ...configMap.data, ...secret.stringData };
const config = loadConfig(environment);

describe('deploy/kubernetes', () => {
  describe('every manifest', () => {
    for (const { file, object } of manifests) {
      it(`${file}: ${object.kind} is valid against the Kubernetes schema`, () => {
        const Model = MODELS[`${object.apiVersion}/${object.kind}`];
        expect(Model, `no model for ${object.apiVersion} ${object.kind}`).not.to.equal(undefined);
        expect(() => new Model!(object as never).validate()).not.to.throw();
      });
    }

    it('is listed in kustomization.yaml, and nothing else is', () => {
      const { resources } = parse(read('deploy/kubernetes/kustomization.yaml')) as { resources: string[] };
      expect([...resources].sort()).to.deep.equal([...new Set(manifests.map((m) => m.file))].sort());
    });
  });

  describe('ConfigMap and Secret', () => {
    it('hold only variables of the config schema, every required one, and a valid whole', () => {
      for (const name of Object.keys(environment)) expect(schemaVariables, name).to.include(name);
      for (const name of requiredVariables()) expect(environment, name).to.have.property(name);
      expect(config.metrics.port).to.be.a('number');
    });

    it('keep every secret in the Secret', () => {
      for (const name of Object.keys(configMap.data)) expect(isSecretVariable(name), name).to.equal(false);
      for (const name of Object.keys(secret.stringData)) expect(isSecretVariable(name), name).to.equal(true);
    });

    it('reach the container whole, through envFrom', () => {
      expect(container.envFrom).to.deep.equal([{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
      expect(container.env).to.equal(undefined);
    });
  });

  describe('Deployment', () => {
    it('listens where the config says, with probes on /readyz and /healthz', () => {
      const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
      expect(ports).to.deep.equal({ http: config.port, metrics: config.metrics.port });
      expect(container.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
      expect(container.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    });

    it('runs as the image\'s non-root user, read-only, without privileges', () => {
      const image = parseDockerfile(join(repoRoot, 'Dockerfile'));
      const [uid, gid] = (image.user ?? '').split(':').map(Number);
      expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid ?? uid });
      expect(container.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(container.securityContext.capabilities.drop).to.deep.equal(['ALL']);
    });

    it('asks for resources and caps memory', () => {
      expect(container.resources.requests).to.have.keys('cpu', 'memory');
      expect(container.resources.limits).to.have.property('memory');
    });

    it('lets preStop, the drain delay, the grace period and the exit margin finish before the kubelet kills', () => {
      const preStop = container.lifecycle.preStop;
      const sleepSeconds = preStop.sleep?.seconds ?? Number(/^sleep$/.test(preStop.exec?.command[0] ?? '') ? preStop.exec?.command[1] : NaN);
      expect(sleepSeconds).to.be.above(0);
      expect(pod.terminationGracePeriodSeconds * 1000).to.be.at.least(sleepSeconds * 1000 + shutdownDeadlineMs(config));
    });

    it('rolls out without ever dropping below the replicas it has', () => {
      const strategy = (deployment.spec as { strategy?: { rollingUpdate?: { maxUnavailable?: number } } }).strategy;
      expect(strategy?.rollingUpdate?.maxUnavailable).to.equal(0);
    });
  });

  describe('Service, PodDisruptionBudget and HorizontalPodAutoscaler', () => {
    const labels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

    it('the Service selects the pods and targets their named ports', () => {
      const service = byKind('Service') as KubernetesObject & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } };
      expect(matches(service.spec.selector)).to.equal(true);
      const names = container.ports.map((p) => p.name);
      for (const port of service.spec.ports) expect(names).to.include(port.targetPort);
    });

    it('the budget keeps one pod through voluntary disruptions, below the autoscaler\'s floor', () => {
      const pdb = byKind('PodDisruptionBudget') as KubernetesObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
      const hpa = byKind('HorizontalPodAutoscaler') as KubernetesObject & {
        spec: { minReplicas: number; scaleTargetRef: { kind: string; name: string } };
      };
      expect(matches(pdb.spec.selector.matchLabels)).to.equal(true);
      expect(pdb.spec.minAvailable).to.be.at.least(1).and.below(hpa.spec.minReplicas);
      expect(hpa.spec.scaleTargetRef).to.include({ kind: 'Deployment', name: deployment.metadata.name });
    });
  });
});
