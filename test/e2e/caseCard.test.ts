import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/main';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { startTestApp, PARTNER_TENANT, STAFF_TENANT } from '../support/app';
import { cardText, invokeCard, textOf, type TurnResult } from '../support/chat';
import { teamsUserId, type TeamsUser } from '../support/activities';
import { cardsIn } from '../support/cards';
import { button, caseSetup, type CaseSetup } from '../support/caseSetup';
import { openCardRenderer, type CardRenderer } from '../support/cardRenderer';

/*
 * Issue 14, item 3, over /api/messages: the case card is a short summary that works on a phone, for
 * a facilitator of the case and for a coordinator. CARD_SCREENSHOTS=1 rewrites docs/cards/case-card-*.png.
 */

const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-00000000cc01', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const f1: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000cf01', tenantId: STAFF_TENANT, name: 'Fay One' };
const f2: TeamsUser = { aadObjectId: 'f0000000-0000-4000-8000-00000000cf02', tenantId: STAFF_TENANT, name: 'Finn Two' };
const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-00000000ca01', tenantId: PARTNER_TENANT, name: 'Alice Officer' };
const PARTICIPANTS = ['Harriet Harmed', 'Olly Offender'];

const DAY = 24 * 3600 * 1000;
/** The first Monday, 10:00 UTC, at least a day after the real time (the database stamps events with its own now()). */
function nextMonday(): Date {
  const d = new Date(Date.now() + DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

const SHOTS = process.env.CARD_SCREENSHOTS === '1';
const DOCS = path.resolve(__dirname, '../../docs/cards');

let db: TestDatabase;
let connector: ConnectorEmulator;
let app: App;
let s: CaseSetup;
let renderer: CardRenderer;
let reference: string;

beforeAll(async () => {
  db = await createTestDatabase('e2e_case_card');
  connector = await startConnector();
  connector.setRoster([f1, f2, coord].map((u) => ({ id: teamsUserId(u), name: u.name, aadObjectId: u.aadObjectId, tenantId: STAFF_TENANT })));
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), env: { COORDINATOR_AAD_IDS: coord.aadObjectId }, clock });
  s = caseSetup(() => app.url, connector);
  for (const u of [coord, f1, f2, alice]) await s.chat(u).say('help');
  await s.prepareService(coord, [f1, f2]);
  renderer = await openCardRenderer();
  reference = await s.caseInPreparation(alice, coord, [f1, f2]);
  // Some of the case's story: a contact and a consent from the facilitator, a high risk.
  let screen = await openCase(f1);
  screen = await click(screen, 'Log contact');
  screen = await click(screen, 'Save contact', { party: 'harmed_person', contactDate: clock().toISOString().slice(0, 10), contactTime: '09:30', method: 'phone', outcome: 'reached' });
  screen = await click(screen, 'Record consent');
  screen = await click(screen, 'Save consent', { party: 'harmed_person', consentStatus: 'given', consentDate: clock().toISOString().slice(0, 10) });
  screen = await click(screen, 'Risk assessment');
  await click(screen, 'Save assessment', { riskLevel: 'high', riskDate: clock().toISOString().slice(0, 10), riskSummary: 'Threats made before' });
  // A whole case set up through Teams activities, and a browser: slow on a loaded machine.
}, 120_000);

afterAll(async () => {
  await renderer?.close();
  await app?.close();
  await connector?.close();
  await db?.drop();
});

interface Screen {
  user: TeamsUser;
  activityId: string;
  card: Record<string, unknown>;
}

async function openCase(user: TeamsUser): Promise<Screen> {
  const turn: TurnResult = await s.chat(user).say(`case ${reference}`);
  for (const a of [...turn.sent].reverse()) for (const c of cardsIn(a)) if (cardText(c).includes(`Case ${reference}`)) return { user, activityId: a.id, card: c };
  throw new Error(`no case card in: ${textOf(turn)}`);
}

async function click(screen: Screen, title: string, inputs: Record<string, unknown> = {}): Promise<Screen> {
  const b = button(screen.card, title);
  return { ...screen, card: invokeCard(await s.chat(screen.user).click(b.verb, { ...b.data, ...inputs }, screen.activityId)) };
}

/** The card's buttons, in rows, each with whether it sits in the overflow menu. */
function buttons(card: Record<string, unknown>): { title: string; secondary: boolean }[] {
  const out: { title: string; secondary: boolean }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.actions)) for (const a of o.actions as Record<string, unknown>[]) out.push({ title: String(a.title), secondary: a.mode === 'secondary' });
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** The history section's lines, as shown. */
function history(card: Record<string, unknown>): string[] {
  const section = (card.body as Record<string, unknown>[]).find((e) => e.id === 'history');
  if (!section) throw new Error('no history section');
  return (section.items as { text: string }[]).map((line) => line.text.split(' · ').slice(1).join(' · '));
}

/** The card with every section open, as someone who tapped them all sees it. */
function opened(card: Record<string, unknown>): Record<string, unknown> {
  const body = (card.body as Record<string, unknown>[]).map((e) => {
    const id = typeof e.id === 'string' ? e.id : '';
    if (id.endsWith('-closed')) return { ...e, isVisible: false };
    return id ? { ...e, isVisible: true } : e;
  });
  return { ...card, body };
}

describe.each([
  ['facilitator', f1],
  ['coordinator', coord],
] as const)('the case card as a %s sees it', (who, user) => {
  let card: Record<string, unknown>;
  beforeAll(async () => {
    card = (await openCase(user)).card;
  });

  test('a short summary: stage, pair, what is due next, the next step; the details in sections that open in place', () => {
    const text = cardText(card);
    expect(text).toContain('Preparation');
    expect(text).toContain('Fay One and Finn Two');
    expect(text).toMatch(/First contact with the person who caused the harm: (due|overdue since) /);
    expect(text).toContain('Still needed: consent from the person who caused the harm');
    const body = card.body as Record<string, unknown>[];
    const hidden = body.filter((e) => e.isVisible === false).map((e) => e.id);
    expect(hidden).toEqual(expect.arrayContaining(['harmed', 'caused', 'referral', 'risk', 'plan', 'history']));
    // Participant details are behind a tap, not on the summary.
    const visible = body.filter((e) => e.isVisible !== false);
    for (const name of PARTICIPANTS) expect(cardText(visible)).not.toContain(name);
  });

  test('at most three primary buttons, with short distinct titles; the rest in the overflow menu', () => {
    const all = buttons(card);
    const titles = all.map((b) => b.title);
    expect(all.filter((b) => !b.secondary).length).toBeLessThanOrEqual(3);
    expect(titles.filter((t) => t.length > 20)).toEqual([]);
    expect(new Set(titles).size).toBe(titles.length);
    expect(all.filter((b) => b.secondary).map((b) => b.title)).toEqual(expect.arrayContaining(['Correct last contact', 'Refresh']));
    if (who === 'coordinator') expect(all.find((b) => b.title === 'Sign off high risk')?.secondary).toBe(false);
  });

  test('one history line per thing that happened, naming the staff and never a participant', () => {
    const lines = history(card);
    expect(lines.filter((l) => l.startsWith('Stage:'))).toEqual([]);
    expect(lines.filter((l) => l.includes('Accepted into the service'))).toHaveLength(1);
    expect(lines).toContain('Offered to Fay One and Finn Two (Cora Coordinator)');
    expect(lines).toContain('Fay One accepted the offer');
    expect(lines).toContain('Finn Two accepted the offer; the pair is confirmed');
    expect(lines).toContain('Contact with the harmed person: phone, reached (Fay One)');
    expect(new Set(lines).size).toBe(lines.length);
    for (const name of PARTICIPANTS) expect(lines.join('\n')).not.toContain(name);
  });

  test('"the person who caused the harm", never "offender", in the card\'s own words', () => {
    let text = cardText(card);
    for (const name of PARTICIPANTS) text = text.replaceAll(name, '');
    expect(text).not.toMatch(/offender/i);
    expect(text).toContain('Person who caused the harm');
  });

  test('fits a phone: nothing cut off at 360 px, about one screen tall', async () => {
    for (const width of [360, 450]) {
      expect(await renderer.overflowing(card, { width })).toEqual([]);
      expect(await renderer.overflowing(opened(card), { width })).toEqual([]);
    }
    const tall = await renderer.height(card, { width: 450 });
    const phone = await renderer.height(card, { width: 360 });
    process.stdout.write(`case card (${who}): ${Math.round(tall)} px at 450, ${Math.round(phone)} px at 360, ${Math.round(await renderer.height(opened(card), { width: 450 }))} px at 450 with every section open\n`);
    expect(phone).toBeLessThan(700);
    if (SHOTS) {
      for (const width of [360, 450]) writeFileSync(path.join(DOCS, `case-card-${who}-${width}.png`), await renderer.render(card, { width }));
      writeFileSync(path.join(DOCS, `case-card-${who}-open-450.png`), await renderer.render(opened(card), { width: 450 }));
    }
  }, 60_000);
});

test('"Correct last contact" opens the contact logged last, whichever person it was with', async () => {
  const screen = await click(await openCase(f1), 'Correct last contact');
  expect(cardText(screen.card)).toContain(`Correct contact: ${reference}`);
  expect(JSON.stringify(screen.card)).toContain('"value":"harmed_person"');
});
