/**
 * Control over a running development IdP for re-validation tests, as Koa middleware in front of
 * oidc-provider's own routes (`provider.use`): count the refresh grants its token endpoint
 * answers, hold token requests (a slow IdP), or reset every connection (an outage). The IdP
 * itself stays the real one; nothing it answers is faked.
 */
import type { DevIdp, KoaMiddleware } from '../../src/demo/idp.js';

interface KoaContext {
  method: string;
  path: string;
  respond: boolean;
  req: { socket: { destroy(): void } };
  oidc?: { params?: Record<string, unknown> };
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

export interface IdpControl {
  /** Refresh-token grants the token endpoint has answered (successfully or not). */
  readonly refreshes: number;
  /** While true, every connection to the IdP is reset: to the gateway it is unreachable. */
  outage: boolean;
  /** Holds every token-endpoint request from now until {@link IdpControl.release}. */
  hold(): void;
  /** Lets held and later token requests through. */
  release(): void;
  /** Resolves when the next token-endpoint request (counting from now) has arrived. */
  tokenRequest(): Promise<void>;
  /** Resolves once {@link IdpControl.refreshes} reaches `count`; rejects after `withinMs`. */
  refreshed(count: number, withinMs?: number): Promise<void>;
}

export function controlIdp(idp: DevIdp): IdpControl {
  let refreshes = 0;
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const arrivals: Array<() => void> = [];
  const counted: Array<() => void> = [];
  const control: IdpControl = {
    get refreshes() {
      return refreshes;
    },
    outage: false,
    hold() {
      held ??= new Promise<void>((resolve) => (release = resolve));
    },
    release() {
      release?.();
      held = undefined;
      release = undefined;
    },
    tokenRequest: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    async refreshed(count, withinMs = 5_000) {
      const deadline = Date.now() + withinMs;
      while (refreshes < count) {
        if (Date.now() > deadline) throw new Error(`the IdP answered ${refreshes} refreshes, expected ${count}`);
        await new Promise<void>((resolve) => {
          counted.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
  const middleware: Middleware = async (ctx, next) => {
    if (control.outage) {
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    const isToken = ctx.method === 'POST' && ctx.path === '/token';
    if (isToken) {
      for (const notify of arrivals.splice(0)) notify();
      if (held) await held;
    }
    try {
      await next();
    } finally {
      if (isToken && ctx.oidc?.params?.grant_type === 'refresh_token') {
        refreshes += 1;
        for (const notify of counted.splice(0)) notify();
      }
    }
  };
  idp.use(middleware as KoaMiddleware);
  return control;
}
