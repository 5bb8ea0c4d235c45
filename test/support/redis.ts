/**
 * Redis isolation between test files by key prefix, not by FLUSHDB or database number: every file
 * shares one server and db 0 (BullMQ needs nothing else), but each gets its own random prefix and
 * deletes only its own keys. Pass the prefix to BullMQ as `prefix` (Queue/Worker/QueueEvents option)
 * or to ioredis as `keyPrefix` for direct keys. Never FLUSHDB/FLUSHALL in a test: files run in parallel.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'TEST_REDIS_URL is not set: run this test through jest with the integration/e2e project ' +
        '(its globalSetup starts Redis), or set TEST_REDIS_URL.',
    );
  }
  return url;
}

export interface TestRedisSpace {
  url: string;
  /** Unique per call, letters/digits/dashes only (safe inside a SCAN pattern). e.g. `t-1a2b3c4d5e6f`. */
  prefix: string;
  /** Deletes every key starting with `prefix` (BullMQ's `${prefix}:${queue}:...` keys included). */
  flushPrefix(): Promise<number>;
}

export function testRedisSpace(): TestRedisSpace {
  const url = testRedisUrl();
  const prefix = `t-${randomBytes(6).toString('hex')}`;
  return {
    url,
    prefix,
    async flushPrefix() {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      let deleted = 0;
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) deleted += await client.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
      return deleted;
    },
  };
}
