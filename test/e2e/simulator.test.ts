/**
 * The simulator at /simulator, driven in Debian's Chromium as a newcomer would: one case from the
 * referral to a reminder, every step a click or a typed message in the pane of the person concerned.
 * Screenshots go to docs/simulator/ with SIMULATOR_SCREENSHOTS=docs (the README shows them). Also: with authentication on, neither
 * the page nor its connector exists.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { startTestApp, STAFF_TENANT } from '../support/app';
import { CHROMIUM } from '../support/cardRenderer';
import { startBotFrameworkAuth, TEST_APP_ID, TEST_APP_PASSWORD, type BotFrameworkAuthServers } from '../support/botFrameworkAuth';

// The README's pictures are refreshed on demand (SIMULATOR_SCREENSHOTS=docs); otherwise they go to a temporary directory.
const SHOTS = process.env.SIMULATOR_SCREENSHOTS === 'docs' ? path.resolve(__dirname, '../../docs/simulator') : path.join(tmpdir(), `rj-simulator-shots-${process.pid}`);
/**
 * The app's clock: the first Monday, 10:00 UTC, at least a day after the real time (the database
 * stamps a case with its own now(), and a contact cannot be dated before it), then moving with real
 * time; the simulator only moves it forward. Nothing depends on the wall clock's hour or weekday.
 */
function nextMonday(): Date {
  const d = new Date(Date.now() + 86_400_000);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}
const offset = nextMonday().getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

let db: TestDatabase;
let redis: TestRedisSpace;
let app: App;
let browser: Browser;
let page: Page;
let clockAfterReminder = '';

beforeAll(async () => {
  db = await createTestDatabase('e2e_simulator');
  redis = testRedisSpace();
  app = await startTestApp({ databaseUrl: db.url, redisUrl: redis.url, env: { REDIS_KEY_PREFIX: `{${redis.prefix}}` }, clock });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1920, height: 1100 } });
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (process.env.SIMULATOR_SCREENSHOTS !== 'docs') rmSync(SHOTS, { recursive: true, force: true });
  await app?.close();
  await redis?.flushPrefix();
  await db?.drop();
});

const pane = (key: string): Locator => page.locator(`[data-pane="${key}"]`);
/** The last message in a pane whose text contains `text`. */
const message = (key: string, text: string | RegExp): Locator => pane(key).locator('.msg').filter({ hasText: text }).last();
const say = async (key: string, text: string): Promise<void> => {
  await pane(key).locator('form.compose input').fill(text);
  await pane(key).locator('form.compose button').click();
};
const shot = (name: string, key?: string) => (key ? pane(key) : page).screenshot({ path: path.join(SHOTS, `${name}.png`) });

test('one case through the simulator: referral, triage, offers, both accept, notice, a contact, and a reminder after the clock moves', async () => {
  await page.goto(`${app.url}/simulator`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  // The setup the page asks for: the channel chosen and both facilitators on the roster, visibly, by the coordinator.
  await message('channel', 'Fitz Facilitator').waitFor();

  // The referrer screens (Yes/No buttons on each question) and fills the form.
  await say('referrer', 'refer');
  for (let i = 0; i < 10; i++) {
    const last = pane('referrer').locator('.msg').last();
    await last.locator('.card').waitFor();
    if ((await last.getByRole('button', { name: 'Submit referral' }).count()) > 0) break;
    const text = (await last.innerText()).toLowerCase();
    const before = await pane('referrer').locator('.msg').count();
    await last.getByRole('button', { name: /stalking|child/.test(text) ? 'No' : 'Yes', exact: true }).click();
    await pane('referrer').locator('.msg').nth(before).waitFor();
  }
  const form = pane('referrer').locator('.msg').last();
  const choose = async (label: string, option: string, nth = 0) => form.getByLabel(label, { exact: false }).nth(nth).selectOption({ label: option });
  if ((await form.getByLabel('Where does this referral come from?').count()) > 0) await form.getByLabel('Where does this referral come from?').selectOption({ index: 1 });
  await choose('Offence type', 'Robbery');
  await form.getByLabel('Offence date').fill('2025-02-01');
  await form.getByLabel('Sentencing date').fill('2025-08-01');
  await form.getByLabel('Full name').nth(0).fill('Olly Offender');
  await form.getByLabel('Full name').nth(1).fill('Harriet Harmed');
  await form.getByLabel('Phone', { exact: true }).fill('020 7946 0001');
  // Both "Do they know about this referral?" questions (offender, harmed person).
  for (const yes of await form.locator('.ac-choiceSetInput-expanded').getByText('Yes', { exact: true }).all()) await yes.click();
  await shot('1-referral-form', 'referrer');
  await form.getByRole('button', { name: 'Submit referral' }).click();
  const confirmation = message('referrer', /RJ-\d{4}-\d{4}/);
  await confirmation.waitFor();
  const reference = /RJ-\d{4}-\d{4}/.exec(await confirmation.innerText())![0];

  // The coordinators' channel: the referral's card, accepted and offered to the two facilitators.
  await message('channel', `Referral ${reference}`).waitFor();
  // The same message as its card changes (Action.Execute answers replace it for the coordinator).
  const referral = pane('channel').locator(`[data-item="${await message('channel', `Referral ${reference}`).getAttribute('data-item')}"]`);
  await shot('2-channel-referral', 'channel');
  await referral.getByRole('button', { name: 'Accept into service' }).click();
  await referral.getByRole('button', { name: 'Assign facilitators' }).click();
  await referral.getByLabel('First facilitator').selectOption({ label: await optionLike(referral.getByLabel('First facilitator'), 'Fern') });
  await referral.getByLabel('Second facilitator').selectOption({ label: await optionLike(referral.getByLabel('Second facilitator'), 'Fitz') });
  await referral.getByRole('button', { name: 'Offer to the chosen pair' }).click();

  // Each facilitator's own chat gets the offer (a proactive 1:1); each accepts.
  for (const f of ['facilitator1', 'facilitator2']) {
    const offer = message(f, `Case offer: ${reference}`);
    await offer.getByRole('button', { name: 'Accept', exact: true }).click();
    await message(f, reference).filter({ hasText: /accepted|Harriet/i }).waitFor();
  }
  await shot('3-offer-accepted', 'facilitator2');

  // The referrer hears the case has its pair.
  await message('referrer', new RegExp(`${reference}.*(facilitator|pair|assigned)`, 'is')).waitFor();
  await shot('4-referrer-notice', 'referrer');

  // A first contact, with a follow-up tomorrow.
  await say('facilitator1', `contact ${reference}`);
  const contact = message('facilitator1', `Log contact: ${reference}`);
  await contact.locator('.ac-choiceSetInput-expanded').getByText(/harmed person/i).first().click();
  const tomorrow = new Date(clock().getTime() + 86_400_000).toISOString().slice(0, 10);
  await contact.getByLabel('Time').fill('09:30');
  await contact.getByLabel('Method').selectOption({ index: 1 });
  await contact.getByLabel('Outcome').selectOption({ index: 1 });
  await contact.getByLabel('Next follow-up (optional)').fill(tomorrow);
  await contact.getByRole('button', { name: 'Save contact' }).click();
  await message('facilitator1', 'Contact with the harmed person saved.').waitFor();

  // The clock jumps to the next reminder, which the worker delivers to the facilitator who asked for it.
  await page.getByRole('button', { name: 'Next reminder' }).click();
  await message('facilitator1', `Follow-up due: ${reference}`).waitFor({ timeout: 15000 });
  await shot('5-reminder', 'facilitator1');
  clockAfterReminder = await page.locator('#clock').innerText();

  // The dashboard pane: the real tab page, signed in as the coordinator, lists the case.
  const tab = page.frameLocator('[data-pane="tab"] iframe');
  await tab.getByText('Not running inside Microsoft Teams').waitFor({ timeout: 15_000 });
  await tab.locator('#persona').selectOption({ label: await optionLike(tab.locator('#persona'), 'Coordinator') });
  await tab.locator('#persona-go').click();
  await tab.locator('#pipeline-table tbody tr', { hasText: reference }).waitFor();
  await shot('6-dashboard', 'tab');
  await shot('simulator');
}, 60000);

test('Reset empties the database and the panes, puts the clock back and sets the service up again', async () => {
  const pool = new Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => undefined);
  try {
    expect((await pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n).toBe(1);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Reset' }).click();
    // The panes empty first (a fresh snapshot), then the set-up runs again, the roster last.
    await page.waitForFunction(`![...document.querySelectorAll('[data-pane="referrer"] .msg')].some((e) => /RJ-\\d{4}/.test(e.textContent))`);
    await message('channel', 'Fitz Facilitator added as a facilitator').waitFor();
    expect((await pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n).toBe(0);
    expect(await pane('referrer').locator('.msg').filter({ hasText: /RJ-\d{4}/ }).count()).toBe(0);
    // The clock is the app's own again, not the day of the reminder.
    expect(await page.locator('#clock').innerText()).not.toBe(clockAfterReminder);
    const roster = await pool.query('SELECT count(*) FILTER (WHERE coordinator)::int AS coordinators, count(*) FILTER (WHERE facilitator)::int AS facilitators FROM staff WHERE active');
    expect(roster.rows[0]).toEqual({ coordinators: 1, facilitators: 2 });
  } finally {
    await pool.end();
  }
});

async function optionLike(select: Locator, text: string): Promise<string> {
  await select.locator('option', { hasText: text }).first().waitFor({ state: 'attached' });
  const labels = await select.locator('option').allTextContents();
  const found = labels.find((l) => l.includes(text));
  if (!found) throw new Error(`no option with "${text}" in: ${labels.join(', ')}`);
  return found;
}

describe('with authentication on', () => {
  let auth: BotFrameworkAuthServers;
  let authed: App;
  let authDb: TestDatabase;

  beforeAll(async () => {
    authDb = await createTestDatabase('e2e_simulator_auth');
    auth = await startBotFrameworkAuth();
    authed = await startTestApp({
      databaseUrl: authDb.url,
      redisUrl: redis.url,
      env: { MicrosoftAppId: TEST_APP_ID, MicrosoftAppPassword: TEST_APP_PASSWORD, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: STAFF_TENANT, REDIS_KEY_PREFIX: `{${redis.prefix}a}` },
      botFrameworkEndpoints: auth.endpoints,
    });
  });

  afterAll(async () => {
    await authed?.close();
    await auth?.close();
    await authDb?.drop();
  });

  test('the simulator, its connector, its clock and its reset are 404', async () => {
    for (const [method, p] of [
      ['GET', '/simulator'],
      ['GET', '/simulator/events'],
      ['GET', '/simulator/assets/adaptivecards.js'],
      ['POST', '/simulator/api/reset'],
      ['POST', '/simulator/api/clock'],
      ['POST', '/simulator/connector/v3/conversations'],
      ['GET', '/simulator/connector/v3/conversations/x/members'],
    ] as const) {
      const res = await fetch(`${authed.url}${p}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
    }
    // The same paths answer in local mode: the 404 above is the authentication, not a wrong path.
    expect((await fetch(`${app.url}/simulator`)).status).toBe(200);
    expect((await fetch(`${app.url}/simulator/connector/v3/conversations/x/members`)).status).toBe(200);
  });
});
