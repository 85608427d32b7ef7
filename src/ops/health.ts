import { Router } from 'express';
import { withTimeout } from '../onetalk/index.js';
import type { SessionStore } from '../session/index.js';
import { HttpProblem } from '../http/index.js';
import type { Health, Ready } from './schemas.js';

export interface HealthDeps {
  oidc: { readonly ready: boolean };
  sessionStore: Pick<SessionStore, 'ping'>;
  /** How long the store may take to answer the readiness probe. */
  storeTimeoutMs?: number;
  /** True while shutting down: readiness fails at once, so load balancers stop sending traffic. */
  draining?: () => boolean;
}

/** True when the store answers its probe within `timeoutMs`. */
function storeAnswers(store: Pick<SessionStore, 'ping'>, timeoutMs: number): Promise<boolean> {
  return withTimeout(
    store.ping().then(
      () => true,
      () => false,
    ),
    timeoutMs,
    () => false,
  );
}

/** `/healthz`: the process lives. `/readyz`: discovery is done and the session store answers. */
export function createHealthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' } satisfies Health);
  });
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (deps.draining?.()) {
      throw new HttpProblem({ status: 503, code: 'not_ready', title: 'Not ready', detail: 'Failing checks: draining.', extra: { failing: 'draining' } });
    }
    const checks = {
      oidcDiscovery: deps.oidc.ready,
      sessionStore: await storeAnswers(deps.sessionStore, deps.storeTimeoutMs ?? 1000),
    };
    const failing = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
    if (failing.length > 0) {
      throw new HttpProblem({
        status: 503,
        code: 'not_ready',
        title: 'Not ready',
        detail: `Failing checks: ${failing.join(', ')}.`,
        extra: { failing: failing.join(',') },
      });
    }
    res.json({ status: 'ready', checks: { oidcDiscovery: 'ok', sessionStore: 'ok' } } satisfies Ready);
  });
  return router;
}
