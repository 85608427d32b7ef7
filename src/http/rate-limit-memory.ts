import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/**
 * express-rate-limit's fixed window (a client's window starts at its first hit), in this process,
 * on the app's clock. The library's own MemoryStore reads `Date.now()` itself; reading the
 * injected clock lets tests walk through minutes of traffic without waiting for them.
 *
 * Keys are client IPs and users whose login cookie the gateway signed, so a forged value cannot
 * add keys; expired windows are swept once per window.
 */
export class ClockedMemoryStore implements Store {
  readonly localKeys = true;
  #windowMs = 60_000;
  #nextSweep = 0;
  readonly #clients = new Map<string, { totalHits: number; resetAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  init(options: Options): void {
    this.#windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const client = this.#clients.get(key);
    if (!client || client.resetAt <= this.#now()) return undefined;
    return { totalHits: client.totalHits, resetTime: new Date(client.resetAt) };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = this.#now();
    this.#sweep(now);
    let client = this.#clients.get(key);
    if (!client || client.resetAt <= now) {
      client = { totalHits: 0, resetAt: now + this.#windowMs };
      this.#clients.set(key, client);
    }
    client.totalHits += 1;
    return { totalHits: client.totalHits, resetTime: new Date(client.resetAt) };
  }

  async decrement(key: string): Promise<void> {
    const client = this.#clients.get(key);
    if (client && client.totalHits > 0) client.totalHits -= 1;
  }

  async resetKey(key: string): Promise<void> {
    this.#clients.delete(key);
  }

  async resetAll(): Promise<void> {
    this.#clients.clear();
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + this.#windowMs;
    for (const [key, client] of this.#clients) if (client.resetAt <= now) this.#clients.delete(key);
  }
}
