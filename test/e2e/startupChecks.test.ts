import { Redis } from 'ioredis';
import { startDedicatedRedis, type RestartableServer } from '../support/services';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApp } from '../support/app';

let db: TestDatabase;
let redis: RestartableServer;

beforeAll(async () => {
  db = await createTestDatabase('e2e_startup');
  redis = await startDedicatedRedis();
});

afterAll(async () => {
  await redis?.stop();
  await db?.drop();
});

test('the worker refuses to start on a Redis that may evict BullMQ keys, naming the setting; noeviction starts', async () => {
  const admin = new Redis(redis.url);
  try {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await expect(startTestApp({ databaseUrl: db.url, redisUrl: redis.url })).rejects.toThrow(/maxmemory-policy is allkeys-lru.*noeviction/);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url });
    await app.close();
  } finally {
    admin.disconnect();
  }
});
