/**
 * Login transactions, keyed by OAuth `state`. They live outside the session on purpose: one
 * browser may start several sign-ins at once (tabs), and each keeps its own PKCE verifier.
 * Each transaction is single-use and expires. Stores: `src/auth/transactions.ts` (memory),
 * `src/redis/transactions.ts` (Redis).
 */
export interface LoginTransaction {
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly returnTo: string;
  /** Hash of the browser-binding cookie: a callback from another browser is refused. */
  readonly binding: string;
  readonly createdAt: number;
}

export interface TransactionStore {
  put(state: string, tx: LoginTransaction): Promise<void>;
  /** Returns and deletes the transaction (single use); undefined when unknown or expired. */
  take(state: string): Promise<LoginTransaction | undefined>;
  close(): Promise<void>;
}
