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
  /** Hash of the browser's login-cookie id: a callback from another browser is refused. */
  readonly binding: string;
  readonly createdAt: number;
}

/** Where pending sign-ins live between `/auth/login` and `/auth/callback`. */
export interface LoginTransactionStore {
  /** @throws when the store holds as many pending sign-ins as it may (memory: LoginCapacityError). */
  put(state: string, tx: LoginTransaction): Promise<void>;
  /**
   * Returns and deletes the transaction, in one step, only when it exists, has not expired and
   * was started by the browser whose binding hash is `binding`. Otherwise it is left untouched:
   * someone who learned a victim's `state` cannot cancel the victim's sign-in.
   */
  takeBound(state: string, binding: string): Promise<LoginTransaction | undefined>;
  close(): Promise<void>;
}

/** The shape of a stored transaction, for stores that read it back from text. */
export function isLoginTransaction(value: unknown): value is LoginTransaction {
  if (!value || typeof value !== 'object') return false;
  const tx = value as Record<string, unknown>;
  return (
    typeof tx.codeVerifier === 'string' &&
    typeof tx.nonce === 'string' &&
    typeof tx.returnTo === 'string' &&
    typeof tx.binding === 'string' &&
    typeof tx.createdAt === 'number'
  );
}
