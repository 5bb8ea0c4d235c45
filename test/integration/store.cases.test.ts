import type { Pool } from 'pg';
import { CaseRepository, type NewReferral } from '../../src/store/caseRepository';
import { createPool, withTransaction } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { ScreeningRepository, type NewScreening } from '../../src/store/screeningRepository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCipher } from '../support/dataKeys';

const TENANT = '11111111-1111-1111-1111-111111111111';
const REFERRER = 'aaaaaaaa-0000-0000-0000-000000000001';
const OTHER_REFERRER = 'aaaaaaaa-0000-0000-0000-000000000002';

function referral(submissionKey: string, over: Partial<NewReferral> = {}): NewReferral {
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
    offenceDate: '2025-03-14',
    crimeReference: 'CRIS-123',
    sentenceDate: '2025-09-01',
    sentenceType: 'custody',
    prison: 'HMP Pentonville',
    relationship: 'strangers',
    riskNotes: null,
    accessNeeds: 'Step-free access',
    referrerPhone: '020 7946 0000',
    complex: false,
    extraCare: false,
    harmedPerson: {
      name: 'Alex Harmed', dateOfBirth: '1980-02-29', borough: 'Hackney', phone: '07700 900001', email: null, aware: true,
    },
    offender: {
      name: 'Sam Offender', dateOfBirth: null, borough: 'Islington', phone: null, email: null, aware: false,
    },
    ...over,
  };
}

const screening: NewScreening = {
  tenantId: TENANT,
  source: 'Probation Service (London)',
  answers: { NOT_SENTENCED: 'yes', NOT_LONDON: 'not_sure', stalking: 'no' },
  outcome: 'needs_review',
  reasonCodes: ['NOT_LONDON'],
  sentencingDate: null,
  reReferAadId: null,
};

describe('CaseRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let cases: CaseRepository;
  let screenings: ScreeningRepository;

  beforeAll(async () => {
    db = await createTestDatabase('store_cases');
    // Enough connections that the concurrency tests really do overlap.
    pool = createPool(db.url, { max: 25 });
    await migrate(pool);
    cases = new CaseRepository(pool, { now: () => new Date('2026-05-01T10:00:00Z'), cipher: testCipher() });
    screenings = new ScreeningRepository(pool);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('creates a case with its participants, a referred event and the screening link', async () => {
    const screeningId = await screenings.record(screening);
    const input = referral('form-roundtrip', { screeningId, eligibility: 'needs_review', needsReviewReasons: ['NOT_LONDON'] });
    const created = await cases.createReferral(input);
    expect(created).toEqual({ caseId: expect.any(String), reference: expect.stringMatching(/^RJ-2026-\d{4}$/), created: true });

    const record = await cases.getCase(created.caseId);
    expect(record).toMatchObject({
      reference: created.reference,
      stage: 'referred',
      eligibility: 'needs_review',
      needsReviewReasons: ['NOT_LONDON'],
      offenceDate: '2025-03-14',
      sentenceDate: '2025-09-01',
      sentenceType: 'custody',
      referrerAadId: REFERRER,
      submissionKey: 'form-roundtrip',
    });
    expect(record?.participants.map((p) => [p.role, p.name, p.dateOfBirth, p.aware])).toEqual([
      ['harmed_person', 'Alex Harmed', '1980-02-29', true],
      ['offender', 'Sam Offender', null, false],
    ]);
    expect(await cases.findByReference(created.reference.toLowerCase())).toMatchObject({ id: created.caseId });
    expect(await cases.findBySubmissionKey('form-roundtrip')).toMatchObject({ id: created.caseId });

    const events = await cases.listEvents(created.caseId, 10);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'referred', actorAadId: REFERRER, actorRole: 'referrer',
        data: { eligibility: 'needs_review', source: 'Probation Service (London)' },
      }),
    ]);
    expect(JSON.stringify(events)).not.toMatch(/Alex|Sam/);
    expect((await screenings.get(screeningId))?.caseId).toBe(created.caseId);
  });

  it('returns null for unknown or malformed ids and references', async () => {
    expect(await cases.getCase('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await cases.getCase("'; drop table cases; --")).toBeNull();
    expect(await cases.findByReference('RJ-1999-0001')).toBeNull();
    expect(await cases.findBySubmissionKey('never-submitted')).toBeNull();
  });

  it('gives 20 concurrent referrals unique, consecutive references', async () => {
    const repo = new CaseRepository(pool, { now: () => new Date('2031-06-01T12:00:00Z'), cipher: testCipher() });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => repo.createReferral(referral(`form-burst-${i}`))));
    expect(results.every((r) => r.created)).toBe(true);
    const seqs = results.map((r) => Number(r.reference.replace('RJ-2031-', ''))).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.caseId)).size).toBe(20);
  });

  it('turns 5 concurrent submits of one form into one case', async () => {
    const repo = new CaseRepository(pool, { now: () => new Date('2032-06-01T12:00:00Z'), cipher: testCipher() });
    const results = await Promise.all(Array.from({ length: 5 }, () => repo.createReferral(referral('form-double-click'))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.reference))).toEqual(new Set(['RJ-2032-0001']));
    expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM cases WHERE submission_key = 'form-double-click'");
    expect(rows[0]).toEqual({ n: 1 });
    // The losers' rolled-back allocations did not leave a gap.
    expect((await repo.createReferral(referral('form-after-double-click'))).reference).toBe('RJ-2032-0002');
  });

  it('widens the reference past 9999', async () => {
    await pool.query('INSERT INTO case_reference_counters (year, last_seq) VALUES (2034, 9999)');
    const repo = new CaseRepository(pool, { now: () => new Date('2034-07-01T00:30:00+01:00'), cipher: testCipher() });
    expect((await repo.createReferral(referral('form-wide'))).reference).toBe('RJ-2034-10000');
  });

  it('rolls the whole referral back when the screening cannot be linked', async () => {
    const screeningId = await screenings.record(screening);
    await cases.createReferral(referral('form-link-1', { screeningId }));
    await expect(cases.createReferral(referral('form-link-2', { screeningId }))).rejects.toThrow(
      `screening ${screeningId} does not exist or is already linked to a case`,
    );
    expect(await cases.findBySubmissionKey('form-link-2')).toBeNull();
    await expect(cases.createReferral(referral('form-link-3', { screeningId: 'nope' }))).rejects.toThrow('is not a UUID');
  });

  it('lists only the asking referrer\'s cases, newest first', async () => {
    const repo = new CaseRepository(pool, { now: () => new Date('2035-03-01T12:00:00Z'), cipher: testCipher() });
    const tenant = '22222222-2222-2222-2222-222222222222';
    const mine1 = await repo.createReferral(referral('form-mine-1', { referrerTenantId: tenant }));
    await repo.createReferral(referral('form-theirs', { referrerTenantId: tenant, referrerAadId: OTHER_REFERRER }));
    const mine2 = await repo.createReferral(referral('form-mine-2', { referrerTenantId: tenant }));
    // Same user id in another tenant is another person.
    await repo.createReferral(referral('form-other-tenant', { referrerTenantId: '33333333-3333-3333-3333-333333333333' }));

    const listed = await repo.listByReferrer(tenant, REFERRER, 10);
    expect(listed).toEqual([
      { reference: mine2.reference, createdAt: expect.any(Date), stage: 'referred', offenceType: 'burglary' },
      { reference: mine1.reference, createdAt: expect.any(Date), stage: 'referred', offenceType: 'burglary' },
    ]);
    expect(await repo.listByReferrer(tenant, REFERRER, 1)).toHaveLength(1);
    await expect(repo.listByReferrer(tenant, REFERRER, 0)).rejects.toThrow('limit must be an integer from 1 to 1000, got 0');
  });

  it('keeps case_events append-only', async () => {
    const { caseId } = await cases.createReferral(referral('form-audit'));
    const extra = await withTransaction(pool, (client) =>
      cases.appendEvent(client, { caseId, actorAadId: null, actorRole: 'system', type: 'note', data: { n: 1 } }),
    );
    expect(extra).toMatchObject({ caseId, type: 'note', actorAadId: null, data: { n: 1 } });

    await expect(pool.query("UPDATE case_events SET type = 'forged' WHERE case_id = $1", [caseId])).rejects.toThrow(
      'case_events is append-only: UPDATE is not allowed',
    );
    await expect(pool.query('DELETE FROM case_events WHERE case_id = $1', [caseId])).rejects.toThrow(
      'case_events is append-only: DELETE is not allowed',
    );
    await expect(pool.query('TRUNCATE case_events CASCADE')).rejects.toThrow('case_events is append-only: TRUNCATE is not allowed');
    expect((await cases.listEvents(caseId, 10)).map((e) => e.type)).toEqual(['referred', 'note']);
    expect((await cases.listEvents(caseId, 1)).map((e) => e.type)).toEqual(['note']);
  });

  it('rejects a stage outside the vocabulary', async () => {
    const { caseId } = await cases.createReferral(referral('form-stage'));
    await expect(pool.query("UPDATE cases SET stage = 'lost' WHERE id = $1", [caseId])).rejects.toThrow(/cases_stage_check/);
    await pool.query("UPDATE cases SET stage = 'accepted' WHERE id = $1", [caseId]);
    const after = await cases.getCase(caseId);
    expect(after?.stage).toBe('accepted');
    expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(after!.createdAt.getTime());
  });
});

describe('ScreeningRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let screenings: ScreeningRepository;

  beforeAll(async () => {
    db = await createTestDatabase('store_screenings');
    pool = createPool(db.url);
    await migrate(pool);
    screenings = new ScreeningRepository(pool);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('records a screening, keeping the referrer only with a sentencing date', async () => {
    const id = await screenings.record({
      ...screening, outcome: 'ineligible', reasonCodes: ['NOT_SENTENCED'], sentencingDate: '2026-11-02', reReferAadId: REFERRER,
    });
    expect(await screenings.get(id)).toMatchObject({
      outcome: 'ineligible', reasonCodes: ['NOT_SENTENCED'], sentencingDate: '2026-11-02', reReferAadId: REFERRER, caseId: null,
      answers: screening.answers,
    });
    await expect(screenings.record({ ...screening, reReferAadId: REFERRER })).rejects.toThrow('reReferAadId given without a sentencingDate');
    await expect(
      pool.query("INSERT INTO screenings (tenant_id, answers, outcome, re_refer_aad_id) VALUES ('t', '{}', 'ineligible', 'x')"),
    ).rejects.toThrow(/screenings_re_refer_needs_date/);
  });
});
