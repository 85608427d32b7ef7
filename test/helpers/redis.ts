/** The test suites' own Redis namespace handling (Redis on 127.0.0.1:6379). */
import { createClient } from 'redis';

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Deletes every key under a prefix (a test's own namespace). */
export async function dropKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await redis.del(keys);
  } finally {
    await redis.quit();
  }
}
