import type { Pool } from 'pg';
import type { Actor } from '../../src/app/actor';
import { StaffRoles } from '../../src/app/roles';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { RosterRepository } from '../../src/store/rosterRepository';
import { createTestDatabase, type TestDatabase } from '../support/db';

/*
 * Role look-up only reads: asking who someone is never writes to the roster. The one write, keeping
 * a staff member's name as Teams shows it, is its own call (made as each verb or command starts).
 */

const STAFF = '11111111-1111-4111-8111-111111111111';
const PARTNER = '22222222-2222-4222-8222-222222222222';
const C = 'c2000000-0000-4000-8000-0000000000c1';
const NOBODY = 'c2000000-0000-4000-8000-0000000000c9';

describe('StaffRoles', () => {
  let db: TestDatabase;
  let pool: Pool;
  let roster: RosterRepository;
  let roles: StaffRoles;

  beforeAll(async () => {
    db = await createTestDatabase('staff_roles');
    pool = createPool(db.url);
    await migrate(pool);
    roster = new RosterRepository(pool);
    roles = new StaffRoles(roster);
    await roster.upsert({ aadObjectId: C, tenantId: STAFF, displayName: 'Old Name', coordinator: true });
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const staffRows = async () => (await pool.query<{ aad_object_id: string; display_name: string }>('SELECT aad_object_id, display_name FROM staff ORDER BY aad_object_id')).rows;
  const actor = (aadObjectId: string, displayName: string, tenantId = STAFF): Actor => ({ aadObjectId, tenantId, staffTenant: tenantId === STAFF, displayName });

  test('reading roles writes nothing, whatever name Teams now shows', async () => {
    const before = await staffRows();
    expect(await roles.of(actor(C, 'New Name'))).toMatchObject({ coordinator: true, facilitator: false });
    expect(await roles.of(actor(NOBODY, 'Someone'))).toMatchObject({ coordinator: false, facilitator: false });
    expect(await staffRows()).toEqual(before);
  });

  test('a partner tenant never holds a role, even with a staff member\'s id', async () => {
    expect(await roles.of(actor(C, 'Old Name', PARTNER))).toMatchObject({ staffTenant: false, coordinator: false });
  });

  test('recording the seen name changes it for staff on the roster only, and adds nobody', async () => {
    await roles.recordSeenName(actor(C, 'New Name'));
    await roles.recordSeenName(actor(NOBODY, 'Someone'));
    await roles.recordSeenName(actor(C, 'Partner Spoof', PARTNER));
    expect(await staffRows()).toEqual([{ aad_object_id: C, display_name: 'New Name' }]);
    expect(await roles.of(actor(C, 'New Name'))).toMatchObject({ coordinator: true });
  });
});
