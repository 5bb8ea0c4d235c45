import type { Pool } from 'pg';
import {
  AssignmentRepository,
  CaseNotFoundError,
  LiveOfferExistsError,
  type CaseTx,
} from '../../src/store/assignmentRepository';
import { CaseLocks } from '../../src/store/caseLock';
import { CaseRepository, type NewReferral } from '../../src/store/caseRepository';
import { createPool, withTransaction } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { RosterRepository } from '../../src/store/rosterRepository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCipher } from '../support/dataKeys';
import { PlaintextCipher } from '../../src/store/crypto/fieldCipher';

const TENANT = '11111111-1111-1111-1111-111111111111';
const REFERRER = 'aaaaaaaa-0000-0000-0000-000000000001';
const COORDINATOR = 'cccccccc-0000-0000-0000-000000000001';

function referral(submissionKey: string): NewReferral {
  const person = { dateOfBirth: null, borough: 'Hackney', phone: null, email: null, aware: true };
  return {
    submissionKey,
    screeningId: null,
    referrerAadId: REFERRER,
    referrerTenantId: TENANT,
    source: 'Probation Service (London)',
    eligibility: 'eligible',
    needsReviewReasons: [],
    offenceType: 'burglary',
    offenceDescription: 'Break-in at a flat',
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
    harmedPerson: { ...person, name: 'Alex Harmed' },
    offender: { ...person, name: 'Sam Offender' },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('002_assignment migration', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('store_assign_mig');
    pool = createPool(db.url);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('applies on top of 001 with cases in place, backfills last activity, and is a no-op the second time', async () => {
    const initial = MIGRATIONS.filter((m) => m.version === '001_initial');
    expect(await migrate(pool, undefined, initial)).toEqual(['001_initial']);

    // A 001 schema has no participant_keys: the cases are stored as they were then, in plaintext.
    const cases = new CaseRepository(pool, { cipher: new PlaintextCipher() });
    const busy = await cases.createReferral(referral('mig-busy'));
    const quiet = await cases.createReferral(referral('mig-quiet'));
    await pool.query("UPDATE cases SET created_at = '2025-01-01T09:00:00Z'");
    await pool.query(
      `INSERT INTO case_events (case_id, at, actor_aad_id, actor_role, type)
       VALUES ($1, '2025-02-01T10:00:00Z', $2, 'coordinator', 'note'),
              ($1, '2025-03-01T10:00:00Z', NULL, 'system', 'reminder_sent'),
              ($3, '2025-03-01T10:00:00Z', NULL, 'system', 'reminder_sent')`,
      [busy.caseId, COORDINATOR, quiet.caseId],
    );
    // The referred events were written "now"; age them so the backfill's choice is visible.
    await pool.query('ALTER TABLE case_events DISABLE TRIGGER case_events_no_update_delete');
    await pool.query("UPDATE case_events SET at = '2025-01-01T09:00:00Z' WHERE type = 'referred'");
    await pool.query('ALTER TABLE case_events ENABLE TRIGGER case_events_no_update_delete');
    await pool.query('ALTER TABLE cases DISABLE TRIGGER cases_touch_updated_at');
    await pool.query("UPDATE cases SET updated_at = '2025-01-02T00:00:00Z'");
    await pool.query('ALTER TABLE cases ENABLE TRIGGER cases_touch_updated_at');

    expect(await migrate(pool)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    const { rows } = await pool.query<{ id: string; last_activity_at: Date; updated_at: Date; stage: string }>(
      'SELECT id, last_activity_at, updated_at, stage FROM cases ORDER BY reference',
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(busy.caseId)?.last_activity_at.toISOString()).toBe('2025-02-01T10:00:00.000Z');
    expect(byId.get(quiet.caseId)?.last_activity_at.toISOString()).toBe('2025-01-01T09:00:00.000Z');
    // The backfill is not an edit of the case.
    expect(rows.map((r) => r.updated_at.toISOString())).toEqual(['2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00.000Z']);

    expect(await migrate(pool)).toEqual([]);
    // The updated_at trigger is back on after the backfill.
    await pool.query("UPDATE cases SET stage = 'accepted' WHERE id = $1", [busy.caseId]);
    const after = await pool.query<{ updated_at: Date }>('SELECT updated_at FROM cases WHERE id = $1', [busy.caseId]);
    expect(after.rows[0]?.updated_at.getUTCFullYear()).toBeGreaterThan(2025);
  });
});

describe('AssignmentRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let cases: CaseRepository;
  let roster: RosterRepository;
  let assignments: AssignmentRepository;
  let locks: CaseLocks;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('store_assignment');
    // Enough connections that the concurrency tests really do overlap.
    pool = createPool(db.url, { max: 12 });
    await migrate(pool);
    cases = new CaseRepository(pool, { cipher: testCipher() });
    roster = new RosterRepository(pool);
    assignments = new AssignmentRepository(pool);
    locks = new CaseLocks(pool, cases);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  async function newCase(): Promise<{ caseId: string; reference: string }> {
    n += 1;
    return cases.createReferral(referral(`assignment-${n}`));
  }

  /** Fresh facilitators per test, so caseload counts never see another test's offers. */
  async function facilitators(count: number): Promise<string[]> {
    n += 1;
    const ids = Array.from({ length: count }, (_, i) => `ffffffff-0000-0000-${String(n).padStart(4, '0')}-00000000000${i}`);
    for (const [i, id] of ids.entries()) {
      await roster.upsert({ aadObjectId: id, tenantId: TENANT, displayName: `Facilitator ${n}.${i}`, facilitator: true });
    }
    return ids;
  }

  async function offer(caseId: string, ids: readonly string[]): Promise<string[]> {
    return locks.withCaseLocked(caseId, async (tx) => {
      const out: string[] = [];
      for (const id of ids) out.push((await tx.insertOffer({ facilitatorAadId: id, offeredBy: COORDINATOR })).id);
      return out;
    });
  }

  it('locks a case by id or reference and hands over its snapshot with offers', async () => {
    const { caseId, reference } = await newCase();
    const [f1] = await facilitators(1);
    const [offerId] = await offer(caseId, [f1 ?? '']);

    const snapshot = await locks.withCaseLockedByReference(` ${reference.toLowerCase()} `, async (tx) => tx.case);
    expect(snapshot).toMatchObject({
      id: caseId,
      reference,
      stage: 'referred',
      complex: false,
      extraCare: false,
      offenceType: 'burglary',
      referrerAadId: REFERRER,
      referrerTenantId: TENANT,
      source: 'Probation Service (London)',
      triagedAt: null,
      pairConfirmedAt: null,
      declineReason: null,
      channelConversationId: null,
      offers: [
        expect.objectContaining({ id: offerId, facilitatorAadId: f1, status: 'offered', offeredBy: COORDINATOR, answeredAt: null }),
      ],
    });
    expect(snapshot.createdAt).toBeInstanceOf(Date);
  });

  it('refuses unknown and malformed case ids and references', async () => {
    const noop = async () => 'ran';
    await expect(locks.withCaseLocked('00000000-0000-0000-0000-000000000000', noop)).rejects.toBeInstanceOf(CaseNotFoundError);
    await expect(locks.withCaseLocked("'; drop table cases; --", noop)).rejects.toThrow(/does not exist/);
    await expect(locks.withCaseLockedByReference('RJ-1999-0001', noop)).rejects.toThrow('Case RJ-1999-0001 does not exist');
  });

  it('writes triage, stage, pair and channel card in the transaction, visible on reload', async () => {
    const { caseId } = await newCase();
    const at = new Date('2026-05-04T09:30:00Z');
    const reloaded = await locks.withCaseLocked(caseId, async (tx) => {
      await tx.setTriage({ by: COORDINATOR, at, declineReason: 'Outside London' });
      await tx.setStage('declined');
      await tx.setPairConfirmed(at);
      await tx.setChannelCard('19:channel@thread.tacv2', '1715000000000');
      return tx.reload();
    });
    expect(reloaded).toMatchObject({
      stage: 'declined',
      triagedAt: at,
      triagedBy: COORDINATOR,
      declineReason: 'Outside London',
      pairConfirmedAt: at,
      channelConversationId: '19:channel@thread.tacv2',
      channelActivityId: '1715000000000',
    });
    // Re-triage without a reason clears the old one.
    await locks.withCaseLocked(caseId, async (tx) => {
      await tx.setTriage({ by: COORDINATOR, at });
      await tx.setPairConfirmed(null);
    });
    expect(await locks.withCaseLocked(caseId, async (tx) => tx.locked)).toMatchObject({
      declineReason: null,
      pairConfirmedAt: null,
    });

    expect(await assignments.getChannelCard(caseId)).toEqual({
      conversationId: '19:channel@thread.tacv2',
      activityId: '1715000000000',
    });
    expect(await assignments.setChannelCard(caseId, '19:other@thread.tacv2', '42')).toBe(true);
    expect(await assignments.getChannelCard(caseId)).toEqual({ conversationId: '19:other@thread.tacv2', activityId: '42' });
    expect(await assignments.getChannelCard('not-a-uuid')).toBeNull();
  });

  it('serialises concurrent transactions on one case: three accept where only two may, exactly two do', async () => {
    const { caseId } = await newCase();
    const ids = await facilitators(3);
    const offerIds = await offer(caseId, ids);

    // Each transaction decides from its snapshot, then dawdles before writing: without the row lock
    // all three would see "none accepted yet" (the control below shows exactly that).
    const acceptIfRoom = (offerId: string) => (tx: CaseTx) => {
      const accepted = tx.locked.offers.filter((o) => o.status === 'accepted').length;
      if (accepted >= 2) return Promise.resolve(false);
      return sleep(150).then(async () => {
        await tx.setOfferStatus(offerId, 'accepted', { at: new Date() });
        await tx.appendEvent({ actorAadId: null, actorRole: 'facilitator', type: 'offer_accepted', data: { offerId } });
        return true;
      });
    };
    const results = await Promise.all(offerIds.map((id) => locks.withCaseLocked(caseId, acceptIfRoom(id))));

    expect(results.filter(Boolean)).toHaveLength(2);
    const offers = await assignments.listOffers(caseId);
    expect(offers.filter((o) => o.status === 'accepted')).toHaveLength(2);
    expect(offers.filter((o) => o.status === 'offered')).toHaveLength(1);
    expect((await cases.listEvents(caseId, 10)).filter((e) => e.type === 'offer_accepted')).toHaveLength(2);
  });

  it('control: the same check without the row lock lets all three accept (so the test above can fail)', async () => {
    const { caseId } = await newCase();
    const offerIds = await offer(caseId, await facilitators(3));

    const results = await Promise.all(
      offerIds.map((offerId) =>
        withTransaction(pool, async (client) => {
          const { rows } = await client.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM offers WHERE case_id = $1 AND status = 'accepted'",
            [caseId],
          );
          if ((rows[0]?.n ?? 0) >= 2) return false;
          await sleep(150);
          await client.query("UPDATE offers SET status = 'accepted' WHERE id = $1", [offerId]);
          return true;
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it('allows one live offer per facilitator and case, and a new one once the old is answered', async () => {
    const { caseId } = await newCase();
    const [f1 = ''] = await facilitators(1);
    const [first = ''] = await offer(caseId, [f1]);

    await expect(offer(caseId, [f1.toUpperCase()])).rejects.toBeInstanceOf(LiveOfferExistsError);
    // The index itself refuses, not just the repository.
    await expect(
      pool.query("INSERT INTO offers (case_id, facilitator_aad_id, offered_by, status) VALUES ($1, $2, $3, 'accepted')", [
        caseId, f1, COORDINATOR,
      ]),
    ).rejects.toMatchObject({ code: '23505', constraint: 'offers_one_live_per_facilitator' });

    const declined = await locks.withCaseLocked(caseId, (tx) =>
      tx.setOfferStatus(first, 'declined', { at: new Date('2026-05-05T10:00:00Z'), reason: 'Conflict of interest' }),
    );
    expect(declined).toMatchObject({ status: 'declined', declineReason: 'Conflict of interest', answeredAt: new Date('2026-05-05T10:00:00Z') });

    const [second = ''] = await offer(caseId, [f1]);
    await locks.withCaseLocked(caseId, (tx) => tx.setOfferStatus(second, 'withdrawn', { at: new Date(), reason: 'Replaced' }));
    const [third = ''] = await offer(caseId, [f1]);
    await locks.withCaseLocked(caseId, (tx) => tx.setOfferStatus(third, 'accepted', { at: new Date() }));
    // Re-accepting a dead offer while a live one exists would break the rule too.
    await expect(
      locks.withCaseLocked(caseId, (tx) => tx.setOfferStatus(first, 'accepted', { at: new Date() })),
    ).rejects.toBeInstanceOf(LiveOfferExistsError);

    expect((await assignments.listOffers(caseId)).map((o) => [o.status, o.withdrawnReason])).toEqual([
      ['declined', null],
      ['withdrawn', 'Replaced'],
      ['accepted', null],
    ]);

    await expect(offer(caseId, ['dddddddd-0000-0000-0000-00000000dead'])).rejects.toThrow(/not on the staff roster/);
    // An offer of another case cannot be changed under this case's lock.
    const other = await newCase();
    await expect(
      locks.withCaseLocked(other.caseId, (tx) => tx.setOfferStatus(third, 'withdrawn', { at: new Date() })),
    ).rejects.toThrow(/is not an offer of case/);
    await expect(
      locks.withCaseLocked(other.caseId, (tx) => tx.setOfferStatus('nonsense', 'withdrawn', { at: new Date() })),
    ).rejects.toThrow(/is not an offer of case/);
  });

  it('rolls back events, stage and offers together when the transaction throws', async () => {
    const { caseId } = await newCase();
    const [f1 = ''] = await facilitators(1);
    const before = await locks.withCaseLocked(caseId, async (tx) => tx.locked);

    await expect(
      locks.withCaseLocked(caseId, async (tx) => {
        await tx.appendEvent({ actorAadId: COORDINATOR, actorRole: 'coordinator', type: 'triaged', data: { decision: 'accept' } });
        await tx.setStage('accepted');
        await tx.insertOffer({ facilitatorAadId: f1, offeredBy: COORDINATOR });
        expect((await tx.listEvents()).map((e) => e.type)).toEqual(['referred', 'triaged']);
        throw new Error('refused halfway');
      }),
    ).rejects.toThrow('refused halfway');

    const after = await locks.withCaseLocked(caseId, async (tx) => tx.locked);
    expect(after).toEqual(before);
    expect((await cases.listEvents(caseId, 10)).map((e) => e.type)).toEqual(['referred']);
  });

  it('counts a person’s event as activity, and a system event not', async () => {
    const { caseId } = await newCase();
    const start = await locks.withCaseLocked(caseId, async (tx) => tx.locked.lastActivityAt);
    await sleep(5);
    const event = await locks.withCaseLocked(caseId, (tx) =>
      tx.appendEvent({ actorAadId: COORDINATOR, actorRole: 'coordinator', type: 'note_added', data: { noteId: 'n1' } }),
    );
    expect(event).toMatchObject({ caseId, actorAadId: COORDINATOR, actorRole: 'coordinator', type: 'note_added', data: { noteId: 'n1' } });
    const touched = await locks.withCaseLocked(caseId, async (tx) => tx.locked.lastActivityAt);
    expect(touched.getTime()).toBeGreaterThan(start.getTime());
    expect(touched).toEqual(event.at);

    await locks.withCaseLocked(caseId, (tx) => tx.appendEvent({ actorAadId: null, actorRole: 'system', type: 'reminder_sent' }));
    expect(await locks.withCaseLocked(caseId, async (tx) => tx.locked.lastActivityAt)).toEqual(touched);
  });

  it('records card delivery and send errors on an offer', async () => {
    const { caseId } = await newCase();
    const [offerId = ''] = await offer(caseId, await facilitators(1));

    expect(await assignments.setOfferSendError(offerId, 'conversation not found')).toBe(true);
    expect(await assignments.getOffer(offerId)).toMatchObject({ sendError: 'conversation not found', cardActivityId: null });
    expect(await assignments.setOfferCard(offerId, 'a:1:personal', 'act-1')).toBe(true);
    expect(await assignments.getOffer(offerId)).toMatchObject({
      sendError: null, cardConversationId: 'a:1:personal', cardActivityId: 'act-1',
    });

    expect(await assignments.getOffer('not-a-uuid')).toBeNull();
    expect(await assignments.getOffer('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await assignments.setOfferCard('not-a-uuid', 'c', 'a')).toBe(false);
    expect(await assignments.setOfferSendError('00000000-0000-0000-0000-000000000000', null)).toBe(false);
    expect(await assignments.listOffers('not-a-uuid')).toEqual([]);
  });

  it('lists a facilitator’s accepted open cases and counts live offers on open cases', async () => {
    const [f1 = '', f2 = ''] = await facilitators(2);
    const open = await newCase();
    const pending = await newCase();
    const closed = await newCase();
    const refused = await newCase();

    for (const c of [open, pending, closed, refused]) await offer(c.caseId, [f1, f2]);
    const acceptAll = (caseId: string, who: string) =>
      locks.withCaseLocked(caseId, async (tx) => {
        const mine = tx.locked.offers.find((o) => o.facilitatorAadId === who);
        if (mine) await tx.setOfferStatus(mine.id, 'accepted', { at: new Date() });
      });
    await acceptAll(open.caseId, f1);
    await acceptAll(closed.caseId, f1);
    await locks.withCaseLocked(closed.caseId, (tx) => tx.setStage('closed'));
    await locks.withCaseLocked(refused.caseId, async (tx) => {
      const mine = tx.locked.offers.find((o) => o.facilitatorAadId === f1);
      if (mine) await tx.setOfferStatus(mine.id, 'declined', { at: new Date(), reason: 'Too busy' });
    });

    const mine = await assignments.casesForFacilitator(f1.toUpperCase());
    expect(mine.map((c) => c.caseId)).toEqual([open.caseId]);
    expect(mine[0]).toMatchObject({ reference: open.reference, stage: 'referred', acceptedAt: expect.any(Date) });

    const counts = await assignments.openCaseCounts();
    // f1: open (accepted) + pending (offered); closed and declined-offer cases do not count.
    expect(counts.get(f1)).toBe(2);
    expect(counts.get(f2)).toBe(3);
    expect((await roster.get(f1))?.openCases).toBe(2);
    expect((await roster.get(f2))?.openCases).toBe(3);
  });
});
