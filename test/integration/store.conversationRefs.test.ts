import type { Pool } from 'pg';
import { ConversationRefRepository, type ConversationRefInput } from '../../src/store/conversationRefRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { createTestDatabase, type TestDatabase } from '../support/db';

const TENANT = '11111111-1111-1111-1111-111111111111';
const USER = 'bbbbbbbb-0000-0000-0000-000000000001';

function personal(conversationId: string, serviceUrl: string): ConversationRefInput {
  return {
    conversationId,
    tenantId: TENANT,
    aadObjectId: USER,
    conversationType: 'personal',
    serviceUrl,
    reference: {
      activityId: 'act-1',
      user: { id: '29:user', aadObjectId: USER },
      bot: { id: '28:bot', name: 'RJ Referrals' },
      conversation: { id: conversationId, conversationType: 'personal', tenantId: TENANT },
      channelId: 'msteams',
      serviceUrl,
    },
  };
}

describe('ConversationRefRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let refs: ConversationRefRepository;

  beforeAll(async () => {
    db = await createTestDatabase('store_convrefs');
    pool = createPool(db.url);
    await migrate(pool);
    refs = new ConversationRefRepository(pool);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('refreshes serviceUrl and clears stale on upsert', async () => {
    await refs.upsert(personal('a:1', 'https://smba.trafficmanager.net/uk/'));
    expect(await refs.markStale('a:1', '403 bot blocked')).toBe(true);
    expect(await refs.get('a:1')).toMatchObject({ stale: true, staleReason: '403 bot blocked', staleAt: expect.any(Date) });

    await refs.upsert(personal('a:1', 'https://smba.trafficmanager.net/emea/'));
    const after = await refs.get('a:1');
    expect(after).toMatchObject({
      conversationId: 'a:1', tenantId: TENANT, aadObjectId: USER, conversationType: 'personal',
      serviceUrl: 'https://smba.trafficmanager.net/emea/', stale: false, staleReason: null, staleAt: null,
    });
    expect(after?.reference).toMatchObject({ serviceUrl: 'https://smba.trafficmanager.net/emea/', conversation: { id: 'a:1' } });
  });

  it('finds the personal chat of a user, preferring a live one', async () => {
    const user = 'bbbbbbbb-0000-0000-0000-000000000002';
    await refs.upsert({ ...personal('p:old', 'https://x/'), aadObjectId: user });
    await refs.upsert({ ...personal('p:new', 'https://x/'), aadObjectId: user });
    await refs.upsert({ ...personal('g:1', 'https://x/'), aadObjectId: user, conversationType: 'groupChat' });
    expect((await refs.findPersonal(TENANT, user))?.conversationId).toBe('p:new');
    await refs.markStale('p:new', '404 conversation gone');
    expect((await refs.findPersonal(TENANT, user))?.conversationId).toBe('p:old');
    expect(await refs.findPersonal('99999999-9999-9999-9999-999999999999', user)).toBeNull();
  });

  it('reports an unknown conversation', async () => {
    expect(await refs.get('nope')).toBeNull();
    expect(await refs.markStale('nope', '404')).toBe(false);
  });
});
