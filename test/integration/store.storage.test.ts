import type { Storage } from 'botbuilder';
import type { Pool } from 'pg';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { PgStorage } from '../../src/store/pgStorage';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCipher } from '../support/dataKeys';

describe('PgStorage', () => {
  let db: TestDatabase;
  let pool: Pool;
  let storage: PgStorage;

  beforeAll(async () => {
    db = await createTestDatabase('store_storage');
    pool = createPool(db.url, { max: 12 });
    await migrate(pool);
    storage = new PgStorage(pool, testCipher());
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it("is a botbuilder Storage", () => {
    const asStorage: Storage = storage;
    expect(asStorage).toBe(storage);
  });

  it('round-trips items, gives each write a new eTag and deletes', async () => {
    expect(await storage.read(['rt/a', 'rt/missing'])).toEqual({});
    await storage.write({ 'rt/a': { dialogStack: [{ id: 'referral', state: { step: 2 } }] }, 'rt/b': { n: 1 } });
    const first = await storage.read(['rt/a', 'rt/b', 'rt/missing']);
    expect(Object.keys(first).sort()).toEqual(['rt/a', 'rt/b']);
    expect(first['rt/a']).toEqual({ dialogStack: [{ id: 'referral', state: { step: 2 } }], eTag: expect.any(String) });
    expect(first['rt/a']?.eTag).not.toBe(first['rt/b']?.eTag);

    await storage.write({ 'rt/a': { ...first['rt/a'], dialogStack: [] } });
    const second = await storage.read(['rt/a']);
    expect(second['rt/a']).toEqual({ dialogStack: [], eTag: expect.any(String) });
    expect(second['rt/a']?.eTag).not.toBe(first['rt/a']?.eTag);

    await storage.write({ 'rt/a': { eTag: '*', replaced: true } });
    const third = await storage.read(['rt/a']);
    expect(third['rt/a']).toEqual({ replaced: true, eTag: expect.any(String) });
    expect(third['rt/a']?.eTag).not.toBe(second['rt/a']?.eTag);

    await storage.delete(['rt/a', 'rt/b', 'rt/never']);
    expect(await storage.read(['rt/a', 'rt/b'])).toEqual({});
  });

  it('refuses a write carrying a stale eTag', async () => {
    await storage.write({ 'stale/k': { v: 1 } });
    const read1 = (await storage.read(['stale/k']))['stale/k'];
    await storage.write({ 'stale/k': { ...read1, v: 2 } });
    await expect(storage.write({ 'stale/k': { ...read1, v: 3 } })).rejects.toThrow(
      'Storage: error writing "stale/k" due to eTag conflict.',
    );
    expect((await storage.read(['stale/k']))['stale/k']).toMatchObject({ v: 2 });
  });

  it('writes an item with an eTag that no longer exists, as MemoryStorage does', async () => {
    await storage.write({ 'gone/k': { v: 1 } });
    const read1 = (await storage.read(['gone/k']))['gone/k'];
    await storage.delete(['gone/k']);
    await storage.write({ 'gone/k': { ...read1, v: 2 } });
    const after = (await storage.read(['gone/k']))['gone/k'];
    expect(after).toMatchObject({ v: 2 });
    // A fresh eTag, never the one from before the delete.
    expect(after?.eTag).not.toBe(read1?.eTag);
  });

  it('lets exactly one of two concurrent writers with the same eTag win', async () => {
    for (let round = 0; round < 10; round++) {
      const key = `race/${round}`;
      await storage.write({ [key]: { winner: null } });
      const base = (await storage.read([key]))[key];
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'c'].map((w) => storage.write({ [key]: { ...base, winner: w } })),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(String(o.reason)).toContain(`Storage: error writing "${key}" due to eTag conflict.`);
      }
    }
  });

  it('writes several keys all or nothing', async () => {
    await storage.write({ 'multi/a': { v: 1 }, 'multi/b': { v: 1 } });
    const before = await storage.read(['multi/a', 'multi/b']);
    await storage.write({ 'multi/b': { v: 2 } });
    await expect(
      storage.write({ 'multi/a': { ...before['multi/a'], v: 9 }, 'multi/b': { ...before['multi/b'], v: 9 } }),
    ).rejects.toThrow('Storage: error writing "multi/b" due to eTag conflict.');
    const after = await storage.read(['multi/a', 'multi/b']);
    expect(after['multi/a']).toMatchObject({ v: 1, eTag: before['multi/a']?.eTag });
    expect(after['multi/b']).toMatchObject({ v: 2 });
  });

  it('stores text containing NUL by dropping the NUL', async () => {
    await storage.write({ 'nul/k': { text: 'a\u0000b' } });
    expect((await storage.read(['nul/k']))['nul/k']).toMatchObject({ text: 'ab' });
  });
});
