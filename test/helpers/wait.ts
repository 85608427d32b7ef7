/** Waiting on an event the test cannot subscribe to: poll it, and fail loudly if it never comes. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every 10 ms for at most `ms`; throws naming `what` if it never holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(10)) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}
