import type { Pool } from 'pg';
import { remindersFor, reminderKey } from '../../src/domain/reminderPolicy';
import { createLogger } from '../../src/log';
import { parseJobId, toJobId } from '../../src/reminders/ids';
import { createReminders } from '../../src/reminders';
import { CaseChangeListener } from '../../src/reminders/listener';
import { ReminderActions } from '../../src/reminders/reminderActions';
import { checkRedisForQueues, UnsafeRedisError } from '../../src/reminders/redis';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { aad, caseFixtures, eventually, PARTICIPANT_NAME_MARK, reminderRig, STAFF_TENANT, testClock, type ReminderRig } from '../support/reminderFixtures';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const t = testClock('2026-03-02T10:00:00Z');
const F1 = aad(1);
const F2 = aad(2);
const COORD = aad(3);
const REFERRER = aad(4, 'cccccccc');

let db: TestDatabase;
let pool: Pool;
let space: TestRedisSpace;
let rig: ReminderRig;
let fx: ReturnType<typeof caseFixtures>;

beforeAll(async () => {
  db = await createTestDatabase('reminders_schedule');
  pool = createPool(db.url);
  await migrate(pool);
  space = testRedisSpace();
  rig = await reminderRig({ pool, redisUrl: space.url, prefix: space.prefix, clock: t.clock, log });
  fx = caseFixtures(pool);
  await fx.staff(F1, { facilitator: true });
  await fx.staff(F2, { facilitator: true });
  await fx.staff(COORD, { coordinator: true });
});

afterAll(async () => {
  await rig?.close();
  await space?.flushPrefix();
  await pool?.end();
  await db?.drop();
});

/**
 * The owner's queued jobs as [id, due instant], read from the id; every one must exist in the queue.
 * With `delayFrom`, each job's delay must be its due instant minus that instant (jobs added then).
 */
async function jobsOf(ownerId: string, delayFrom?: Date): Promise<Array<[string, string]>> {
  const ids = await rig.scheduler.reminderIdsOf(ownerId);
  const out: Array<[string, string]> = [];
  for (const id of ids) {
    const job = await rig.queue.getJob(toJobId(id));
    const due = parseJobId(id)!.dueAt;
    expect(job?.id).toBe(toJobId(id));
    if (delayFrom) expect(job?.delay).toBe(Math.max(0, due.getTime() - delayFrom.getTime()));
    out.push([id, due.toISOString()]);
  }
  return out.sort();
}

async function wanted(caseId: string): Promise<Array<[string, string]>> {
  const view = await rig.repo.caseView(caseId);
  return remindersFor(view!, rig.policy, rig.calendar, t.now()).map((r): [string, string] => [r.id, r.dueAt.toISOString()]).sort();
}

const rules = (jobs: Array<[string, string]>) => jobs.map(([id]) => id.split('|')[0]).sort();

describe('job ids', () => {
  it('are an exact, compact encoding of reminder ids, and keep anything else whole', () => {
    const c = '3f1e2d4c-1111-4222-8333-444455556666';
    const p = '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3';
    const ids = [
      `triage_due|${c}|case.coordinators|20260305T1000Z`,
      `follow_up_due|${c}|${p}.person-${F1}|20261125T0900Z`,
      `re_refer|${c}|screening.person-${REFERRER}|20260615T0800Z`,
      `conference_first_notice|${c}|conf-1.coordinators|20260414T1300Z`,
      `assignment_answer_due|${c}|${p}.person-ABCDEF00-0000-4000-8000-000000000001|20260305T1000Z`,
    ];
    for (const id of ids) {
      const jobId = toJobId(id);
      expect(jobId).not.toContain(':');
      expect(parseJobId(jobId)?.id).toBe(id);
      expect(parseJobId(id)?.jobId).toBe(jobId);
    }
    expect(toJobId(ids[1]!).length).toBeLessThanOrEqual(77);
    expect(toJobId(ids[3]!)).toBe(`~${ids[3]}`);
    expect(toJobId(ids[4]!)).toBe(`~${ids[4]}`);
    expect(parseJobId('x.y')).toBeUndefined();
  });
});

describe('reminder scheduling', () => {
  it('follows a case through its lifecycle, scheduling and cancelling exactly what the policy says', async () => {
    t.set('2026-03-02T10:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z' });

    await rig.scheduler.reconcileCase(c.caseId);
    let jobs = await jobsOf(c.caseId, t.now());
    expect(jobs).toEqual(await wanted(c.caseId));
    // Referred on Monday 10:00: triage due 3 working days later, stale after 28 days (Monday 30 March).
    expect(jobs).toEqual([
      [expect.stringMatching(/^stale_case\|/), '2026-03-30T09:00:00.000Z'],
      [expect.stringMatching(/^triage_due\|/), '2026-03-05T10:00:00.000Z'],
    ]);

    // Accepted at triage and offered to two facilitators: triage reminder gone, four offer reminders.
    t.set('2026-03-03T11:00:00Z');
    await fx.setCase(c.caseId, { stage: 'assigning', lastActivityAt: t.now() });
    const o1 = await fx.offer(c.caseId, F1, t.now());
    const o2 = await fx.offer(c.caseId, F2, t.now());
    await rig.scheduler.reconcileCase(c.caseId);
    jobs = await jobsOf(c.caseId);
    expect(jobs).toEqual(await wanted(c.caseId));
    expect(rules(jobs)).toEqual(['assignment_answer_due', 'assignment_answer_due', 'assignment_answer_escalation', 'assignment_answer_escalation', 'stale_case']);
    expect(jobs.find(([id]) => id.startsWith(`assignment_answer_due|${c.caseId}|${o1}.person-${F1}`))?.[1]).toBe('2026-03-05T11:00:00.000Z');

    // Both accept: the pair is confirmed; first-contact reminders per party for each facilitator.
    t.set('2026-03-04T12:00:00Z');
    await fx.answer(o1, 'accepted', t.now());
    await fx.answer(o2, 'accepted', t.now());
    await fx.setCase(c.caseId, { stage: 'preparation', pairConfirmedAt: t.now(), lastActivityAt: t.now() });
    await rig.scheduler.reconcileCase(c.caseId);
    jobs = await jobsOf(c.caseId);
    expect(jobs).toEqual(await wanted(c.caseId));
    expect(rules(jobs)).toEqual([
      'first_contact_due', 'first_contact_due', 'first_contact_due', 'first_contact_due',
      'first_contact_escalation', 'first_contact_escalation', 'stale_case',
    ]);

    // A contact with the harmed person, with a follow-up date: their first-contact reminders go, a
    // follow-up at 09:00 on that date comes for each facilitator.
    t.set('2026-03-06T15:00:00Z');
    await fx.event(c.caseId, 'contact_logged', { contactId: 'k1', party: 'harmed_person', at: '2026-03-06T14:00:00Z', method: 'phone', outcome: 'reached', nextFollowUpOn: '2026-03-12' }, t.now(), F1);
    await fx.setCase(c.caseId, { lastActivityAt: t.now() });
    await rig.scheduler.reconcileCase(c.caseId);
    jobs = await jobsOf(c.caseId);
    expect(jobs).toEqual(await wanted(c.caseId));
    expect(jobs.filter(([id]) => id.includes(c.harmedPersonId) && id.startsWith('first_contact'))).toEqual([]);
    expect(jobs.filter(([id]) => id.startsWith('follow_up_due')).map(([, due]) => due)).toEqual(['2026-03-12T09:00:00.000Z', '2026-03-12T09:00:00.000Z']);
    // A malformed contact event changes nothing.
    await fx.event(c.caseId, 'contact_logged', { party: 'offender' }, t.now(), F1);
    await rig.scheduler.reconcileCase(c.caseId);
    expect(await jobsOf(c.caseId)).toEqual(jobs);

    // A conference: notices 7 days and 1 working day before, the outcome reminder the day after.
    await fx.event(c.caseId, 'conference_scheduled', { conferenceId: 'conf-1', startsAt: '2026-04-21T13:00:00Z', venue: 'v' }, t.now(), F1);
    await rig.scheduler.reconcileCase(c.caseId);
    jobs = await jobsOf(c.caseId);
    expect(jobs).toEqual(await wanted(c.caseId));
    expect(jobs.filter(([id]) => id.startsWith('conference')).map(([id, due]) => `${id.split('|')[0]} ${due}`).sort()).toEqual([
      'conference_first_notice 2026-04-14T13:00:00.000Z', 'conference_first_notice 2026-04-14T13:00:00.000Z',
      'conference_last_notice 2026-04-20T13:00:00.000Z', 'conference_last_notice 2026-04-20T13:00:00.000Z',
      'conference_outcome_due 2026-04-22T08:00:00.000Z', 'conference_outcome_due 2026-04-22T08:00:00.000Z',
    ]);

    // Closed: nothing at all remains queued for the case.
    await fx.setCase(c.caseId, { stage: 'closed' });
    const stats = await rig.scheduler.reconcileCase(c.caseId);
    expect(stats.removed).toBe(jobs.length);
    expect(await jobsOf(c.caseId)).toEqual([]);
    expect(await rig.queue.getJobCounts('delayed', 'wait')).toEqual({ delayed: 0, wait: 0 });
  });

  it('rebuilds the same schedule (ids and due instants) after Redis is emptied', async () => {
    t.set('2026-05-04T10:00:00Z');
    const cases = [];
    for (let i = 0; i < 5; i += 1) {
      const c = await fx.createCase({ createdAt: '2026-05-04T10:00:00Z', stage: i % 2 ? 'referred' : 'preparation', pairConfirmedAt: i % 2 ? undefined : '2026-05-04T10:00:00Z' });
      if (!(i % 2)) {
        const o1 = await fx.offer(c.caseId, F1, '2026-05-01T10:00:00Z');
        await fx.answer(o1, 'accepted', '2026-05-04T10:00:00Z');
      }
      cases.push(c.caseId);
    }
    const s = await fx.screening({ sentencingDate: '2026-06-13', referrer: REFERRER });
    await rig.scheduler.reconcileAll();
    const before = await Promise.all([...cases, s].map((id) => jobsOf(id)));
    expect(before.every((j) => j.length > 0)).toBe(true);
    // Saturday sentencing date: the referrer hears on Monday at 09:00 (08:00Z in summer).
    expect(before[5]).toEqual([[reminderKey('re_refer', s, 'screening', { kind: 'person', aadObjectId: REFERRER }) + '|20260615T0800Z', '2026-06-15T08:00:00.000Z']]);

    expect(await space.flushPrefix()).toBeGreaterThan(0);
    expect(await rig.scheduler.reminderIdsOf(cases[0]!)).toEqual([]);
    const stats = await rig.scheduler.reconcileAll({ batchSize: 2 });
    const after = await Promise.all([...cases, s].map((id) => jobsOf(id)));
    expect(after).toEqual(before);
    expect(stats).toMatchObject({ owners: 6 + 0, wanted: before.flat().length, removed: 0 });

    // Rebuilt at night after an outage: what is overdue waits for the next working start (09:00 BST).
    await space.flushPrefix();
    t.set('2026-05-20T21:30:00Z');
    await rig.scheduler.reconcileAll();
    const triage = (await rig.scheduler.reminderIdsOf(cases[1]!)).find((id) => id.startsWith('triage_due'))!;
    // Submitted on the May Day bank holiday: triage was due Friday 8 May at 09:00.
    expect(triage).toMatch(/20260508T0800Z$/);
    expect((await rig.queue.getJob(toJobId(triage)))?.delay).toBe(Date.parse('2026-05-21T08:00:00Z') - t.now().getTime());
  });

  it('reconciles a case by itself when an event is appended to its log (LISTEN/NOTIFY)', async () => {
    t.set('2026-06-01T10:00:00Z');
    const listener = new CaseChangeListener({ databaseUrl: db.url, scheduler: rig.scheduler, log });
    await listener.start();
    try {
      const c = await fx.createCase({ createdAt: '2026-06-01T10:00:00Z' });
      await eventually(async () => (await jobsOf(c.caseId)).length === 2);
      await fx.setCase(c.caseId, { stage: 'assigning' });
      await fx.event(c.caseId, 'stage_changed', { from: 'referred', to: 'assigning' }, t.now(), COORD);
      await eventually(async () => rules(await jobsOf(c.caseId)).join() === 'stale_case');
      await listener.idle();
      expect(await jobsOf(c.caseId)).toEqual(await wanted(c.caseId));
    } finally {
      await listener.stop();
    }
  });

  it('snoozes a reminder to the next working day, at most three times, for the person reminded or a coordinator', async () => {
    // Pair confirmed Tuesday 3 March 10:00: first contact due 8 working days later, Friday 13 March 10:00.
    t.set('2026-03-02T10:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-03-02T10:00:00Z', stage: 'preparation', pairConfirmedAt: '2026-03-03T10:00:00Z' });
    const o1 = await fx.offer(c.caseId, F1, '2026-03-02T10:00:00Z');
    const o2 = await fx.offer(c.caseId, F2, '2026-03-02T10:00:00Z');
    await fx.answer(o1, 'accepted', '2026-03-03T10:00:00Z');
    await fx.answer(o2, 'accepted', '2026-03-03T10:00:00Z');
    await rig.scheduler.reconcileCase(c.caseId);
    const key = reminderKey('first_contact_due', c.caseId, c.offenderId, { kind: 'person', aadObjectId: F1 });
    const due = (await jobsOf(c.caseId)).find(([id]) => id.startsWith(`${key}|`));
    expect(due?.[1]).toBe('2026-03-13T10:00:00.000Z');

    const actions = new ReminderActions({ repo: rig.repo, calendar: rig.calendar, clock: t.clock, log, onSnoozed: (id) => rig.scheduler.reconcileCase(id) });
    const facilitator = (id: string) => ({ aadObjectId: id, tenantId: STAFF_TENANT, staffTenant: true, coordinator: false, facilitator: true });
    const coordinator = { aadObjectId: COORD, tenantId: STAFF_TENANT, staffTenant: true, coordinator: true, facilitator: false };

    t.set('2026-03-13T10:05:00Z');
    expect(await actions.snooze(facilitator(F2), key, c.caseId)).toMatchObject({ kind: 'refused' });
    expect(await actions.snooze(facilitator(aad(77)), key, c.caseId)).toMatchObject({ kind: 'refused' });
    expect(await actions.snooze(facilitator(F1), key, '00000000-0000-4000-8000-000000000000')).toMatchObject({ kind: 'refused' });
    const first = await actions.snooze(facilitator(F1), key, c.caseId);
    expect(first.kind).toBe('card');
    // Friday → Monday 09:00.
    expect((await jobsOf(c.caseId)).filter(([id]) => id.startsWith(`${key}|`))).toEqual([[`${key}|20260316T0900Z`, '2026-03-16T09:00:00.000Z']]);

    t.set('2026-03-16T09:01:00Z');
    expect((await actions.snooze(coordinator, key, c.caseId)).kind).toBe('card');
    t.set('2026-03-17T09:01:00Z');
    expect((await actions.snooze(facilitator(F1), key, c.caseId)).kind).toBe('card');
    t.set('2026-03-18T09:01:00Z');
    expect(await actions.snooze(facilitator(F1), key, c.caseId)).toMatchObject({ kind: 'refused', message: expect.stringContaining('3 times') });
    expect((await jobsOf(c.caseId)).filter(([id]) => id.startsWith(`${key}|`)).map(([, d]) => d)).toEqual(['2026-03-18T09:00:00.000Z']);
    const events = await pool.query(`SELECT actor_aad_id, data->>'count' AS count FROM case_events WHERE case_id = $1 AND type = 'reminder_snoozed' ORDER BY id`, [c.caseId]);
    expect(events.rows).toEqual([{ actor_aad_id: F1, count: '1' }, { actor_aad_id: COORD, count: '2' }, { actor_aad_id: F1, count: '3' }]);
    expect(await actions.open(facilitator(F2), c.caseId)).toEqual({ kind: 'openCase', caseId: c.caseId });
    expect(await actions.logContact(facilitator(aad(77)), c.caseId)).toMatchObject({ kind: 'refused' });
  });

  it('wires up through createReminders: daily reconcile at 06:00 London, start-up reconcile, clean close', async () => {
    t.set('2026-07-01T10:00:00Z');
    const c = await fx.createCase({ createdAt: '2026-07-01T10:00:00Z' });
    const own = testRedisSpace();
    // Reminders of earlier tests' cases are overdue by now: start-up catches up on them, into this stub.
    const unreachable = { ok: false as const, permanent: true, kind: 'unreachable', status: 403, reason: 'stub' };
    const messenger = { sendToUser: jest.fn(async () => unreachable), sendToConversation: jest.fn(async () => unreachable) };
    const reminders = createReminders(
      { redisUrl: own.url, databaseUrl: db.url, keyPrefix: own.prefix, staffTenantId: STAFF_TENANT, runWorker: true },
      { pool, log, clock: t.clock, calendar: rig.calendar, policy: rig.policy, messenger, coordinatorIds: async () => [], referralsChannel: async () => undefined },
    );
    try {
      await reminders.start();
      const schedulers = await reminders.queue!.getJobSchedulers();
      expect(schedulers).toEqual([expect.objectContaining({ key: 'reminders.daily-reconcile', pattern: '0 6 * * *', tz: 'Europe/London' })]);
      expect(await reminders.scheduler!.reminderIdsOf(c.caseId)).toEqual((await wanted(c.caseId)).map(([id]) => id));
      const web = createReminders(
        { redisUrl: own.url, databaseUrl: db.url, keyPrefix: own.prefix, staffTenantId: STAFF_TENANT, runWorker: false },
        { pool, log, clock: t.clock, calendar: rig.calendar, policy: rig.policy, messenger, coordinatorIds: async () => [], referralsChannel: async () => undefined },
      );
      expect(web.scheduler).toBeUndefined();
      expect(web.actions).toBeInstanceOf(ReminderActions);
    } finally {
      await reminders.close();
      await own.flushPrefix();
    }
  });

  it('keeps participant names out of everything it queues, refuses an evicting Redis and warns about AOF off', async () => {
    const raw = await rig.producer.keys(`${space.prefix}*`);
    const values = await Promise.all(raw.map(async (k) => ((await rig.producer.type(k)) === 'hash' ? JSON.stringify(await rig.producer.hgetall(k)) : '')));
    expect(values.join('')).not.toContain(PARTICIPANT_NAME_MARK);
    const warnings: string[] = [];
    const spy = { warn: (_o: object, msg: string) => void warnings.push(msg) } as unknown as Pick<typeof log, 'warn'>;
    const redisSaying = (policy: string, aof: 0 | 1) => ({ info: async () => `# Memory\r\nused_memory:1\r\nmaxmemory_policy:${policy}\r\n# Persistence\r\naof_enabled:${aof}\r\n` });
    expect(await checkRedisForQueues(redisSaying('noeviction', 1), spy, '{rj}')).toEqual({ maxmemoryPolicy: 'noeviction', aofEnabled: true });
    expect(warnings).toEqual([]);
    await expect(checkRedisForQueues(redisSaying('allkeys-lru', 1), spy, '{rj}')).rejects.toThrow(/maxmemory-policy is allkeys-lru.*noeviction/);
    await expect(checkRedisForQueues(redisSaying('volatile-lru', 1), spy, '{rj}')).rejects.toThrow(UnsafeRedisError);
    await checkRedisForQueues(redisSaying('noeviction', 0), spy, 'rj');
    expect(warnings).toEqual([expect.stringContaining('AOF persistence is off'), expect.stringContaining('hash tag')]);
    warnings.length = 0;
    await checkRedisForQueues({ info: async () => Promise.reject(new Error('NOPERM')) }, spy, '{rj}');
    expect(warnings).toEqual([expect.stringContaining('could not read Redis INFO')]);
    // The test server itself is safe.
    expect(await checkRedisForQueues(rig.producer, spy, '{rj}')).toMatchObject({ maxmemoryPolicy: 'noeviction' });
  });
});
