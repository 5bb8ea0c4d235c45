/**
 * The dashboard page in Chromium (Debian's, through playwright-core; no browser download), on a local
 * unauthenticated server: outside Teams it says so instead of hanging, the dev sign-in picks a
 * coordinator, and the numbers on the page equal counts read from the database for a seeded
 * caseload; each report's CSV equals the table on the page; it stays readable at 320 px in the dark
 * theme and works from the keyboard. With TAB_SCREENSHOTS=1 the screenshots the README shows are
 * written to docs/tab/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { createLogger } from '../../src/log';
import { migrate } from '../../src/store/migrate';
import { toCsv } from '../../src/domain/reportTables';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { PARTNER_TENANT, STAFF_TENANT, startTestApp } from '../support/app';
import { CHROMIUM } from '../support/cardRenderer';
import { seedDashboard } from '../support/dashboardSeed';

const NOW = new Date('2026-11-02T10:00:00Z');
const SHOTS = process.env.TAB_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../docs/tab') : mkdtempSync(path.join(tmpdir(), 'rj-tab-shots-'));

let db: TestDatabase;
let pool: Pool;
let app: App;
let browser: Browser;
/** Script errors on any page: there must be none. */
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('e2e_tab_page');
  pool = new Pool({ connectionString: db.url });
  pool.on('error', () => undefined);
  await migrate(pool, createLogger('silent'));
  await seedDashboard(pool, { cases: 240, from: new Date('2026-01-05T00:00:00Z'), to: NOW, staffTenant: STAFF_TENANT, partnerTenant: PARTNER_TENANT, seed: 7 });
  app = await startTestApp({ databaseUrl: db.url, redisUrl: testRedisUrl(), clock: () => NOW });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await pool?.end();
  await db?.drop();
});

async function signInAsCoordinator(page: Page, query = ''): Promise<void> {
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${app.url}/tab${query}`);
  // teams-js finds no Teams host; the page must say so rather than wait for ever.
  await page.getByText('Not running inside Microsoft Teams').waitFor({ timeout: 15_000 });
  await page.locator('#persona').selectOption({ label: 'Coordinator: Cora Coordinator' });
  await page.locator('#persona-go').click();
  await page.locator('#pipeline-table tbody tr').first().waitFor();
}

// Strings run in the page: this project's TypeScript has no DOM types.
const cellsOf = (page: Page, selector: string): Promise<string[][]> =>
  page.evaluate(`Array.from(document.querySelector(${JSON.stringify(selector)}).querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent || ''))`);
const pageWidth = (page: Page): Promise<number> => page.evaluate('document.documentElement.scrollWidth');

test('outside Teams, the dev sign-in shows the pipeline with the database\'s counts', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  try {
    await signInAsCoordinator(page);
    const shown = await page.locator('#stage-counts .count').evaluateAll((els) => els.map((e) => [e.getAttribute('data-stage'), Number(e.querySelector('b')?.textContent)]));
    const { rows } = await pool.query<{ stage: string; n: number }>('SELECT stage, count(*)::int AS n FROM cases GROUP BY stage');
    for (const r of rows) expect(shown).toContainEqual([r.stage, r.n]);
    const { rows: open } = await pool.query<{ reference: string }>("SELECT reference FROM cases WHERE stage NOT IN ('closed', 'declined') ORDER BY ref_year, ref_seq LIMIT 25");
    const refs = (await cellsOf(page, '#pipeline-table')).map((r) => r[0]);
    expect(refs).toEqual(open.map((r) => r.reference));
    await page.screenshot({ path: path.join(SHOTS, 'pipeline.png'), fullPage: true });

    // Opening a case shows its timeline and the link to the bot chat (local mode has no bot id: no link).
    await page.locator('#pipeline-table tbody button').first().click();
    await page.locator('#view-case ol.timeline li').first().waitFor();
    expect(await page.locator('#case-title').textContent()).toBe(`Case ${open[0]!.reference}`);
  } finally {
    await page.close();
  }
});

test('the reports show the database\'s figures, each table equals its CSV, and the page works from the keyboard', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  try {
    await signInAsCoordinator(page);
    // Keyboard only: focus the Reports view button and press Enter, then type the period and press Enter.
    await page.locator('#views button[data-view=reports]').focus();
    await page.keyboard.press('Enter');
    await page.locator('table[data-table=conversion] tbody tr').first().waitFor();
    await page.locator('#report-period input[name=from]').fill('2026-04-01');
    await page.locator('#report-period input[name=to]').fill('2026-07-01');
    await page.locator('#report-period input[name=to]').press('Enter');
    await page.getByText('Report for 2026-04-01 to 2026-07-01').waitFor();

    const from = new Date('2026-03-31T23:00:00Z');
    const to = new Date('2026-06-30T23:00:00Z');
    const one = async (sql: string) => (await pool.query<{ n: number }>(sql, [from, to])).rows[0]!.n;
    const conversion = Object.fromEntries((await cellsOf(page, 'table[data-table=conversion]')).map(([k, v]) => [k, Number(v)]));
    expect(conversion.Referred).toBe(await one('SELECT count(*)::int AS n FROM cases WHERE created_at >= $1 AND created_at < $2'));
    expect(conversion.Accepted).toBe(
      await one("SELECT count(DISTINCT c.id)::int AS n FROM cases c JOIN case_events e ON e.case_id = c.id AND e.type = 'referral_accepted' WHERE c.created_at >= $1 AND c.created_at < $2"),
    );
    const screenings = Object.fromEntries((await cellsOf(page, 'table[data-table=screenings]')).map(([k, v]) => [k, Number(v)]));
    expect(screenings.Ineligible).toBe(await one("SELECT count(*)::int AS n FROM screenings WHERE outcome = 'ineligible' AND at >= $1 AND at < $2"));
    expect(await page.locator('.report canvas').count()).toBeGreaterThanOrEqual(4);

    for (const id of ['referrals', 'screenings', 'screen_outs', 'conversion', 'durations', 'outcomes', 'quarterly_return']) {
      const table = page.locator(`table[data-table=${id}]`);
      const columns = await table.locator('thead th').allTextContents();
      const rows = await cellsOf(page, `table[data-table=${id}]`);
      const csv = await page.evaluate(
        async (u) => (await fetch(u, { headers: { Authorization: `Dev ${'11111111-1111-4111-8111-111111111111'} c0000000-0000-4000-8000-000000000001` } })).text(),
        `/api/tab/reports.csv?from=2026-04-01&to=2026-07-01&table=${id}`,
      );
      expect(csv).toBe(toCsv({ columns, rows }));
    }
    await page.screenshot({ path: path.join(SHOTS, 'reports.png'), fullPage: true });
  } finally {
    await page.close();
  }
}, 60_000);

test('at 320 px in the dark theme nothing runs off the side of the page', async () => {
  const page = await browser.newPage({ viewport: { width: 320, height: 700 } });
  try {
    await signInAsCoordinator(page, '?theme=dark');
    expect(await page.evaluate('document.body.className')).toBe('theme-dark');
    expect(await pageWidth(page)).toBeLessThanOrEqual(320);
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-320-dark.png'), fullPage: false });
    await page.locator('#views button[data-view=reports]').click();
    await page.locator('table[data-table=conversion] tbody tr').first().waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(320);
  } finally {
    await page.close();
  }
}, 60_000);
