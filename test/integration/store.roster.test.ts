import type { Pool } from 'pg';
import { z } from 'zod';
import { CaseLocks } from '../../src/store/caseLock';
import { AssignmentRepository } from '../../src/store/assignmentRepository';
import { CaseRepository, type NewReferral } from '../../src/store/caseRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { RosterRepository } from '../../src/store/rosterRepository';
import { SettingsRepository } from '../../src/store/settingsRepository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCipher } from '../support/dataKeys';

const TENANT = '11111111-1111-1111-1111-111111111111';
const COORDINATOR = 'cccccccc-0000-0000-0000-000000000001';

function referral(submissionKey: string): NewReferral {
  const person = { dateOfBirth: null, borough: null, phone: null, email: null, aware: true };
  return {
    submissionKey,
    screeningId: null,
    referrerAadId: 'aaaaaaaa-0000-0000-0000-000000000001',
    referrerTenantId: TENANT,
    source: 'Metropolitan Police',
    eligibility: 'eligible',
    needsReviewReasons: [],
    offenceType: 'robbery',
    offenceDescription: 'Street robbery',
    offenceDate: null,
    crimeReference: null,
    sentenceDate: null,
    sentenceType: null,
    prison: null,
    relationship: null,
    riskNotes: null,
    accessNeeds: null,
    referrerPhone: null,
    complex: false,
    extraCare: false,
    harmedPerson: { ...person, name: 'H' },
    offender: { ...person, name: 'O' },
  };
}

describe('RosterRepository and SettingsRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let roster: RosterRepository;
  let settings: SettingsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('store_roster');
    pool = createPool(db.url);
    await migrate(pool);
    roster = new RosterRepository(pool);
    settings = new SettingsRepository(pool);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('adds a person with defaults and keeps role flags that an upsert does not mention', async () => {
    const id = 'AB000000-0000-0000-0000-0000000000A1';
    const added = await roster.upsert({ aadObjectId: id, tenantId: TENANT, displayName: 'Priya', facilitator: true });
    expect(added).toEqual({
      aadObjectId: id.toLowerCase(),
      tenantId: TENANT,
      displayName: 'Priya',
      coordinator: false,
      facilitator: true,
      active: true,
      experienced: false,
      maxCases: 3,
      openCases: 0,
    });

    // Seen again (name refresh only): the facilitator flag stays.
    expect(await roster.upsert({ aadObjectId: id, tenantId: TENANT, displayName: 'Priya S' })).toMatchObject({
      displayName: 'Priya S', coordinator: false, facilitator: true,
    });
    // Made a coordinator as well: still a facilitator.
    expect(await roster.upsert({ aadObjectId: id.toLowerCase(), tenantId: TENANT, displayName: 'Priya S', coordinator: true }))
      .toMatchObject({ coordinator: true, facilitator: true });
    await roster.change(async (tx) => {
      await tx.setExperienced(COORDINATOR, id, true);
      await tx.setMaxCases(COORDINATOR, id, 5);
      await tx.setActive(COORDINATOR, id, false);
    });
    expect(await roster.upsert({ aadObjectId: id, tenantId: TENANT, displayName: 'Priya Shah', facilitator: true }))
      .toMatchObject({ coordinator: true, facilitator: true, experienced: true, maxCases: 5, active: false });
  });

  it('changes single attributes, validates maxCases and keeps a removed facilitator’s row', async () => {
    const id = 'ab000000-0000-0000-0000-0000000000b2';
    await roster.upsert({ aadObjectId: id, tenantId: TENANT, displayName: 'Tom', facilitator: true });
    const setMax = (n: number) => roster.change((tx) => tx.setMaxCases(COORDINATOR, id, n));

    expect(await setMax(20)).toBe(true);
    expect(await setMax(1)).toBe(true);
    // Unchanged: nothing to record.
    expect(await setMax(1)).toBe(false);
    await expect(setMax(0)).rejects.toThrow(RangeError);
    await expect(setMax(21)).rejects.toThrow('maxCases must be an integer from 1 to 20, got 21');
    await expect(setMax(2.5)).rejects.toThrow(RangeError);
    // The table enforces it too.
    await expect(pool.query('UPDATE staff SET max_cases = 0 WHERE aad_object_id = $1', [id])).rejects.toMatchObject({
      constraint: 'staff_max_cases_range',
    });
    await expect(pool.query("INSERT INTO staff (aad_object_id, tenant_id, display_name) VALUES ('ABC', 't', 'x')"))
      .rejects.toMatchObject({ constraint: 'staff_aad_object_id_lower' });

    expect(await roster.change((tx) => tx.add(COORDINATOR, { aadObjectId: id, tenantId: TENANT, displayName: 'Tom' }, 'coordinator'))).toBe(true);
    expect(await roster.change((tx) => tx.removeRole(COORDINATOR, id.toUpperCase(), 'facilitator'))).toBe(true);
    expect(await roster.get(id)).toMatchObject({ facilitator: false, coordinator: true, maxCases: 1 });
    expect((await roster.list({ facilitatorsOnly: true })).map((s) => s.aadObjectId)).not.toContain(id);
    expect((await roster.list()).map((s) => s.aadObjectId)).toContain(id);

    expect(await roster.change((tx) => tx.setActive(COORDINATOR, 'nobody', false))).toBe(false);
    expect(await roster.get('nobody')).toBeNull();
  });

  it('computes each person’s open cases in the list query', async () => {
    const cases = new CaseRepository(pool, { cipher: testCipher() });
    const assignments = new AssignmentRepository(pool);
    const locks = new CaseLocks(pool, cases);
    const [busy, idle] = ['ef000000-0000-0000-0000-0000000000d1', 'ef000000-0000-0000-0000-0000000000d2'];
    await roster.upsert({ aadObjectId: busy, tenantId: TENANT, displayName: 'Ava Busy', facilitator: true });
    await roster.upsert({ aadObjectId: idle, tenantId: TENANT, displayName: 'Zed Idle', facilitator: true });

    const stages = ['preparation', 'closed', 'declined', 'assigning'] as const;
    for (const [i, stage] of stages.entries()) {
      const { caseId } = await cases.createReferral(referral(`roster-${i}`));
      await locks.withCaseLocked(caseId, async (tx) => {
        const o = await tx.insertOffer({ facilitatorAadId: busy, offeredBy: COORDINATOR });
        if (i === 0) await tx.setOfferStatus(o.id, 'accepted', { at: new Date() });
        await tx.setStage(stage);
      });
    }
    // A withdrawn offer on an open case does not count either.
    const { caseId } = await cases.createReferral(referral('roster-withdrawn'));
    await locks.withCaseLocked(caseId, async (tx) => {
      const o = await tx.insertOffer({ facilitatorAadId: busy, offeredBy: COORDINATOR });
      await tx.setOfferStatus(o.id, 'withdrawn', { at: new Date(), reason: 'Replaced' });
    });

    const listed = await roster.list({ facilitatorsOnly: true });
    const names = listed.map((s) => s.displayName);
    expect(names).toEqual([...names].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())));
    expect(listed.find((s) => s.aadObjectId === busy)?.openCases).toBe(2);
    expect(listed.find((s) => s.aadObjectId === idle)?.openCases).toBe(0);
    expect((await assignments.openCaseCounts()).get(busy)).toBe(2);
  });

  it('stores settings as JSON and validates them with a schema on the way out', async () => {
    expect(await settings.get('referralsChannel')).toBeUndefined();
    await settings.set('referralsChannel', { conversationId: '19:abc@thread.tacv2' }, COORDINATOR);
    const schema = z.object({ conversationId: z.string() });
    expect(await settings.get('referralsChannel', schema)).toEqual({ conversationId: '19:abc@thread.tacv2' });

    await settings.set('referralsChannel', { conversationId: 42 }, 'system');
    await expect(settings.get('referralsChannel', schema)).rejects.toThrow(/Setting "referralsChannel" does not match its schema/);
    expect(await settings.get('referralsChannel')).toEqual({ conversationId: 42 });
    const { rows } = await pool.query('SELECT updated_by FROM settings WHERE key = $1', ['referralsChannel']);
    expect(rows[0]).toEqual({ updated_by: 'system' });

    await settings.set('list', [1, 'two', null], COORDINATOR);
    expect(await settings.get('list')).toEqual([1, 'two', null]);
    await expect(settings.set('nothing', undefined, COORDINATOR)).rejects.toThrow(/not JSON/);
    await expect(settings.set(' ', 1, COORDINATOR)).rejects.toThrow(/key is empty/);
  });
});
