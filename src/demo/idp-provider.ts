/**
 * The slice of oidc-provider's API this project uses, typed here because the package ships no
 * types. Apart from idp.ts so the pages (idp-views.ts) can name the provider without importing
 * the module that imports them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of oidc-provider's `Provider` this project uses (the package ships no types). */
export interface Provider {
  readonly issuer: string;
  readonly Grant: GrantModel;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  // `never[]` lets callers annotate listener parameters (events pass ctx, error, client, …).
  on(event: string, listener: (...args: never[]) => void): this;
  use(middleware: KoaMiddleware): this;
}

/** A pending sign-in, as oidc-provider reports it. */
export interface Interaction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  /** The grant loadExistingGrant found, when there is one. */
  grantId?: string;
  session?: { accountId: string };
}

/** Koa middleware as oidc-provider runs it; `ctx` is Koa's context (the package ships no types). */
export type KoaMiddleware = (ctx: never, next: () => Promise<void>) => Promise<void>;

/** A grant, as the configuration callbacks and the revocation helper use it. */
export interface Grant {
  addOIDCScope(scope: string): void;
  rejectOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
  destroy(): Promise<void>;
}
/** oidc-provider's `Grant` model class. */
export interface GrantModel {
  new (init: { clientId: string; accountId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}
