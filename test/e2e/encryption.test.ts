/**
 * Encryption at rest (issue 10, item 3), end to end over /api/messages: after a whole referral, a
 * contact note, a risk assessment and a conference, and with a half-finished referral form waiting in
 * bot state, a pg_dump of the database and a dump of Redis hold none of what was typed. Then the
 * master key is rotated while a referral is being made, and everything still opens with the new key
 * alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import type { App } from '../../src/main';
import { createPool } from '../../src/store/db';
import { CaseRepository } from '../../src/store/caseRepository';
import { EnvelopeCipher } from '../../src/store/crypto/fieldCipher';
import { MasterKeys, parseMasterKeys } from '../../src/store/crypto/envelope';
import { keysByKid, rotateDataKeys } from '../../src/store/crypto/rotate';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, cardWithAction, invokeCard, textOf, type TurnResult } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, type CaseSetup } from '../support/caseSetup';
import { findPostgresBinDir } from '../support/services';
import { noteTexts, TEST_DATA_KEYS } from '../support/dataKeys';

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000e101', tenantId: STAFF_TENANT, name: 'Cass Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000e101', tenantId: STAFF_TENANT, name: 'Fenella One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000e102', tenantId: STAFF_TENANT, name: 'Florian Two' };
const officer: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000e101', tenantId: PARTNER_TENANT, name: 'Odile Officer' };
const officer2: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000e102', tenantId: PARTNER_TENANT, name: 'Osric Officer' };

const TYPED = {
  harmedPersonName: 'Wilhelmina Quarterfold',
  harmedPersonPhone: '020 7946 0713',
  harmedPersonEmail: 'wilhelmina.quarterfold@example.org',
  offenderName: 'Barnabus Zeppelinski',
  offenderDateOfBirth: '1987-11-23',
  offenceDescription: 'Broke into the allotment shed on Quillfeather Lane and took the mower',
  crimeReference: 'CRIMEREF-QX7781',
  prison: 'HMP Zanzibar Heights',
  relationship: 'Former lodger of the Quarterfold household',
  riskNotes: 'Brother of Barnabus lives next door to Wilhelmina',
  accessNeeds: 'Needs a Yoruba interpreter at every meeting',
  referrerPhone: '07700 900471',
};
const NOTE = 'Spoke to Wilhelmina at the Marigold Cafe; she prefers mornings';
const RISK_SUMMARY = 'Barnabus sent threatening letters via his cousin Tobiah';
const VENUE = 'Periwinkle Community Hall, Room 4';
const ATTENDEES = 'Wilhelmina, her aunt Philippa, both facilitators';
// A second referral, left half-finished after a failed submit: its values wait in bot_state.
const HALF = { harmedPersonName: 'Octavia Pendlebury-Smythe', offenderName: 'Ignatius Vaughan-Crowe', offenceDescription: 'Scratched the Pendlebury car with a key', harmedPersonEmail: 'octavia.pendlebury@example.org' };

/** Each typed value, and the forms the app may have normalised it to (digits only, lower case). */
function needles(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    out.add(v);
    out.add(v.toLowerCase());
    const digits = v.replace(/\D/g, '');
    if (digits.length >= 10) out.add(digits);
  }
  return [...out];
}
const SECRETS = needles([...Object.values(TYPED), NOTE, RISK_SUMMARY, VENUE, ATTENDEES, ...Object.values(HALF)]);

/** pg_dump beside the server binaries the tests use, else the newest Debian one, else PATH's. */
function findPgDump(): string {
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [path.join(findPostgresBinDir(), 'pg_dump'), ...majors.map((m) => path.join(debian, m, 'bin', 'pg_dump')), '/usr/bin/pg_dump'];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`pg_dump not found (looked at ${candidates.join(', ')}): apt-get install postgresql-client`);
  return found;
}

function pgDump(url: string): string {
  const res = spawnSync(findPgDump(), ['--no-owner', '--format=plain', `--dbname=${url}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`pg_dump failed (${res.status ?? res.error?.message}): ${res.stderr}`);
  return res.stdout;
}

/** Every key of the Redis server and its whole value, read type by type (no compression can hide anything). */
async function redisDump(url: string): Promise<{ text: string; keys: string[] }> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const parts: string[] = [];
  const keys: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of batch) {
        keys.push(key);
        const type = await client.type(key);
        const value =
          type === 'string' ? await client.get(key)
          : type === 'hash' ? JSON.stringify(await client.hgetall(key))
          : type === 'list' ? JSON.stringify(await client.lrange(key, 0, -1))
          : type === 'set' ? JSON.stringify(await client.smembers(key))
          : type === 'zset' ? JSON.stringify(await client.zrange(key, 0, -1, 'WITHSCORES'))
          : type === 'stream' ? JSON.stringify(await client.xrange(key, '-', '+'))
          : `(${type})`;
        parts.push(`${key} ${type} ${value ?? ''}`);
      }
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return { text: parts.join('\n'), keys };
}

interface Screen {
  user: TeamsUser;
  activityId: string;
  card: Record<string, unknown>;
}

function sentCard(turn: TurnResult, text: string): { activityId: string; card: Record<string, unknown> } {
  for (const a of [...turn.sent].reverse()) for (const c of cardsIn(a)) if (cardText(c).includes(text)) return { activityId: a.id, card: c };
  throw new Error(`no card with "${text}" in: ${textOf(turn)}`);
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const DAY = 24 * 3600 * 1000;

/** Screens eligible and submits the form with `fields`; returns the turn (an error card or the confirmation). */
async function screenAndSubmit(s: CaseSetup, user: TeamsUser, fields: Record<string, string>): Promise<{ turn: TurnResult; form: ReturnType<typeof cardWithAction> }> {
  const c = s.chat(user);
  let turn = await c.say('refer');
  for (const answer of ['yes', 'yes', 'yes', 'yes', 'no', 'yes']) turn = await c.say(answer);
  const form = cardWithAction(turn, 'Submit referral');
  return { turn: await c.click(form.action.verb, { ...form.action.data, ...fields }, form.activityId), form };
}

const BASE_FORM = { offenceType: 'burglary', offenceDate: '2025-02-01', sentenceDate: '2025-08-01', offenderAware: 'yes', harmedPersonAware: 'yes', harmedPersonBorough: 'Camden' };

describe('a dump of PostgreSQL and of Redis after a whole case', () => {
  let db: TestDatabase;
  let pool: Pool;
  let redis: TestRedisSpace;
  let connector: ConnectorEmulator;
  let app: App;
  let s: CaseSetup;
  // A Monday, 10:00 UTC, at least a day ahead of the database's now(), so a contact at 09:30 that day has happened.
  const start = new Date(Date.now() + DAY);
  start.setUTCHours(10, 0, 0, 0);
  while (start.getUTCDay() !== 1) start.setUTCDate(start.getUTCDate() + 1);
  const offset = start.getTime() - Date.now();
  const clock = () => new Date(Date.now() + offset);

  beforeAll(async () => {
    db = await createTestDatabase('e2e_encryption_dump');
    pool = createPool(db.url, { max: 2 });
    redis = testRedisSpace();
    connector = await startConnector();
    connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
    app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}` }, clock });
    s = caseSetup(() => app.url, connector);
    for (const u of [coord, f1, f2, officer, officer2]) await s.chat(u).say('help');
    await s.prepareService(coord, [f1, f2]);
  });

  afterAll(async () => {
    await app?.close();
    await connector?.close();
    await pool?.end();
    await redis?.flushPrefix();
    await db?.drop();
  });

  test('holds none of the names, phone numbers, email addresses, descriptions, notes or venue typed, while the app shows them all', async () => {
    const reference = await s.caseInPreparation(officer, coord, [f1, f2], { ...BASE_FORM, ...TYPED });
    const open = async (): Promise<Screen> => ({ user: f1, ...sentCard(await s.chat(f1).say(`case ${reference}`), 'Recent history') });
    const click = async (screen: Screen, title: string, inputs: Record<string, unknown> = {}): Promise<Screen> => {
      const b = button(screen.card, title);
      return { ...screen, card: invokeCard(await s.chat(screen.user).click(b.verb, { ...b.data, ...inputs }, screen.activityId)) };
    };
    let screen = await open();
    expect(cardText(screen.card)).toContain(TYPED.harmedPersonName);
    expect(cardText(screen.card)).toContain(TYPED.offenderName);

    screen = await click(screen, 'Log contact');
    screen = await click(screen, 'Save contact', { party: 'harmed_person', contactDate: isoDate(clock()), contactTime: '09:30', method: 'phone', outcome: 'reached', note: NOTE });
    expect(cardText(screen.card)).toContain(NOTE);
    for (const party of ['harmed_person', 'offender'] as const) {
      screen = await click(screen, 'Record consent');
      screen = await click(screen, 'Save consent', { party, consentStatus: 'given', consentDate: isoDate(clock()) });
    }
    screen = await click(screen, 'Risk assessment');
    screen = await click(screen, 'Save assessment', { riskLevel: 'low', riskDate: isoDate(clock()), riskSummary: RISK_SUMMARY });
    expect(cardText(screen.card)).toContain(RISK_SUMMARY);
    screen = await click(screen, 'Schedule conference');
    screen = await click(screen, 'Schedule', { conferenceDate: isoDate(new Date(clock().getTime() + 30 * DAY)), conferenceTime: '10:00', venue: VENUE, attendees: ATTENDEES });
    expect(cardText(screen.card)).toContain(VENUE);

    // The second referral stops at a refused submit: the form's values are kept in the dialog state.
    const half = await screenAndSubmit(s, officer2, { ...BASE_FORM, ...HALF, harmedPersonPhone: 'not a phone' });
    expect(textOf(half.turn) + JSON.stringify(half.turn.body)).toContain('phone');
    const { rows: state } = await pool.query<{ doc: Record<string, unknown> }>('SELECT doc FROM bot_state');
    expect(state.length).toBeGreaterThan(0);
    await app.idle();

    const dump = pgDump(db.url);
    expect(dump).toContain(reference);
    expect(dump).toContain('participant_keys');
    // 7 case columns, 6 participant values, 3 notes, the venue.
    expect((dump.match(/rj1\.[0-9a-f-]{36}\./g) ?? []).length).toBeGreaterThanOrEqual(17);
    expect(dump).toContain('$sealed');
    const found = SECRETS.filter((secret) => dump.includes(secret));
    expect(found).toEqual([]);

    const r = await redisDump(redis.url);
    // The reminder schedule is there (ids only), so the dump is of something.
    expect(r.keys.filter((k) => k.startsWith(`{${redis.prefix}}`)).length).toBeGreaterThan(0);
    expect(SECRETS.filter((secret) => r.text.includes(secret))).toEqual([]);

    // And the app still reads every value back.
    const again = cardText((await open()).card);
    for (const v of [TYPED.harmedPersonName, TYPED.offenderName, TYPED.harmedPersonEmail, NOTE, RISK_SUMMARY, VENUE]) expect(again).toContain(v);
    expect(await noteTexts(pool, reference)).toEqual(expect.arrayContaining([NOTE, RISK_SUMMARY]));
  }, 120_000);
});

describe('rotating the master key while a referral is being made', () => {
  let db: TestDatabase;
  let pool: Pool;
  let redis: TestRedisSpace;
  let connector: ConnectorEmulator;
  let current: App;
  let s: CaseSetup;

  const onlyNewKey = (): EnvelopeCipher => {
    const all = parseMasterKeys(TEST_DATA_KEYS);
    if (!all.ok) throw new Error(all.message);
    return new EnvelopeCipher(new MasterKeys(new Map([['test-2', all.keys.get('test-2')!]]), 'test-2'));
  };
  const start = (env: Record<string, string>) =>
    startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { COORDINATOR_AAD_IDS: coord.aadObjectId, REDIS_KEY_PREFIX: `{${redis.prefix}}`, ...env } });

  beforeAll(async () => {
    db = await createTestDatabase('e2e_encryption_rotate');
    pool = createPool(db.url, { max: 4 });
    redis = testRedisSpace();
    connector = await startConnector();
    // The team's members: registering the channel checks them (guests and other organisations refused).
    connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
    current = await start({ DATA_KEY_ID: 'test-1' });
    s = caseSetup(() => current.url, connector);
    for (const u of [coord, officer, officer2]) await s.chat(u).say('help');
    await s.prepareService(coord, [f1, f2]);
  });

  afterAll(async () => {
    await current?.close();
    await connector?.close();
    await pool?.end();
    await redis?.flushPrefix();
    await db?.drop();
  });

  test('keys re-wrapped batch by batch beside the running service; afterwards everything opens with the new key alone', async () => {
    // Under test-1: one case made, and a second referral stopped at a refused submit (its form in bot_state).
    const first = await s.refer(officer, { ...BASE_FORM, ...TYPED });
    const pending = await screenAndSubmit(s, officer2, { ...BASE_FORM, ...HALF, harmedPersonPhone: 'not a phone' });
    expect(await keysByKid(pool)).toEqual({ 'test-1': expect.any(Number) });

    // The rolling restart: the new process has test-2 as DATA_KEY_ID (and both kids); the old one stops.
    const old = current;
    current = await start({ DATA_KEY_ID: 'test-2' });
    await old.close();

    // The rotation runs one key per batch while the referral is submitted and another is made.
    const typedThird = { ...TYPED, harmedPersonName: 'Cordelia Rotationwell', offenderName: 'Lysander Keyturner' };
    let batches = 0;
    const [stats, submitted, third] = await Promise.all([
      rotateDataKeys(pool, new MasterKeys(parseOk(TEST_DATA_KEYS), 'test-2'), {
        batchSize: 1,
        onBatch: async () => {
          batches += 1;
          await new Promise((r) => setTimeout(r, 5));
        },
      }),
      s.chat(officer2).click(pending.form.action.verb, { ...pending.form.action.data, ...BASE_FORM, ...HALF, harmedPersonPhone: '020 7946 0555' }, pending.form.activityId),
      s.refer(officer, { ...BASE_FORM, ...typedThird }),
    ]);
    expect(stats.rewrapped).toBeGreaterThanOrEqual(3);
    expect(batches).toBeGreaterThanOrEqual(3);
    const second = /RJ-\d{4}-\d{4}/.exec(textOf(submitted))?.[0];
    expect(second).toBeDefined();
    // A pass after the referrals settles anything sealed under test-1 meanwhile (nothing, since the new process seals under test-2).
    await rotateDataKeys(pool, new MasterKeys(parseOk(TEST_DATA_KEYS), 'test-2'));
    expect(Object.keys(await keysByKid(pool))).toEqual(['test-2']);

    // The old kid removed from DATA_KEYS: every case still opens, in the store and in the app.
    const cases = new CaseRepository(pool, { cipher: onlyNewKey() });
    const expectations: [string, string, string][] = [[first, TYPED.harmedPersonName, TYPED.offenderName], [second!, HALF.harmedPersonName, HALF.offenderName], [third, typedThird.harmedPersonName, typedThird.offenderName]];
    for (const [reference, harmed, offender] of expectations) {
      const c = await cases.findByReference(reference);
      expect(c?.participants.map((p) => p.name)).toEqual([harmed, offender]);
    }
    expect((await cases.findByReference(first))?.offenceDescription).toBe(TYPED.offenceDescription);

    const prev = current;
    const all = parseOk(TEST_DATA_KEYS);
    current = await start({ DATA_KEYS: `test-2:${all.get('test-2')!.toString('base64')}`, DATA_KEY_ID: 'test-2' });
    await prev.close();
    const posted = await s.waitForCard('19:referrals0000000000@thread.tacv2', `Referral ${first}`);
    const openBtn = button(posted.card, 'Open');
    const opened = await s.chat(coord).post(s.inChannel(s.chat(coord).teams.adaptiveCardAction(openBtn.verb, openBtn.data, coord, { replyToId: posted.activityId })));
    await current.idle();
    const dm = connector.sentTo(s.chat(coord).conversationId).flatMap((a) => cardsIn(a).map(cardText)).join('\n') + textOf(opened);
    expect(dm).toContain(TYPED.harmedPersonName);
  }, 120_000);
});

function parseOk(raw: string): Map<string, Buffer> {
  const parsed = parseMasterKeys(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.keys;
}
