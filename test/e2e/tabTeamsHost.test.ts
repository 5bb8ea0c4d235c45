/**
 * The dashboard page on its real Teams path, in Chromium (Debian's, through playwright-core): a
 * minimal host page, served at https://teams.microsoft.com (one of the origins teams-js accepts
 * messages from; Chromium is told to fetch it from the test), frames the tab at
 * https://<TAB_HOST>/tab (each request passed to the app under test, which verifies SSO tokens), and answers teams-js v2's postMessage protocol the way Teams does: requests
 * arrive as { id, uuidAsString, func, args } and each answer goes back as { id, uuidAsString, args }.
 * `initialize` gets the frame context, client type and a runtime config; `getContext` a (legacy
 * shaped) context with the theme; `authentication.getAuthToken` [true, token], the token signed by
 * the test key against the JWKS the server fetches (TAB_JWKS_URL), as in tab.test.ts. The page must
 * then show the pipeline and the reports with the database's numbers, follow a theme change the host
 * sends, and say plainly when Teams refuses the token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { createLogger } from '../../src/log';
import { migrate } from '../../src/store/migrate';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { PARTNER_TENANT, STAFF_TENANT, startTestApp } from '../support/app';
import { TEST_APP_ID, TEST_APP_PASSWORD } from '../support/botFrameworkAuth';
import { CHROMIUM } from '../support/cardRenderer';
import { seedDashboard, type SeededService } from '../support/dashboardSeed';

const NOW = new Date('2026-11-02T10:00:00Z');
const HOST = 'tab.example.org';
const AUDIENCE = `api://${HOST}/${TEST_APP_ID}`;
/** The Teams web client's origin: in teams-js's own list of hosts it takes messages from. */
const TEAMS_ORIGIN = 'https://teams.microsoft.com';
const HOST_PAGE = `${TEAMS_ORIGIN}/_rj-test/host.html`;
const TAB_ORIGIN = `https://${HOST}`;

let db: TestDatabase;
let pool: Pool;
let app: App;
let jwks: Server;
let key: KeyLike;
let seeded: SeededService;
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_tab_teams_host');
  pool = new Pool({ connectionString: db.url });
  pool.on('error', () => undefined);
  await migrate(pool, createLogger('silent'));
  seeded = await seedDashboard(pool, { cases: 160, from: new Date('2026-01-05T00:00:00Z'), to: NOW, staffTenant: STAFF_TENANT, partnerTenant: PARTNER_TENANT, seed: 11 });
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'teams-host-key', use: 'sig', alg: 'RS256' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  app = await startTestApp({
    databaseUrl: db.url,
    redisUrl: testRedisUrl(),
    clock: () => NOW,
    env: {
      MicrosoftAppId: TEST_APP_ID,
      MicrosoftAppPassword: TEST_APP_PASSWORD,
      MicrosoftAppTenantId: STAFF_TENANT,
      TAB_HOST: HOST,
      TAB_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/{tenant}/keys`,
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  jwks?.closeAllConnections();
  await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
  await pool?.end();
  await db?.drop();
});

async function ssoToken(oid: string): Promise<string> {
  const now = Math.floor(NOW.getTime() / 1000);
  return new SignJWT({ scp: 'access_as_user', tid: STAFF_TENANT, oid, ver: '2.0', name: 'Cora Coordinator' })
    .setProtectedHeader({ alg: 'RS256', kid: 'teams-host-key', typ: 'JWT' })
    .setIssuer(`https://login.microsoftonline.com/${STAFF_TENANT}/v2.0`)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(key);
}

/**
 * The host page: an iframe with the tab, and a listener that answers the tab's teams-js the way the
 * Teams web client does. Every request it sees is kept in window.hostSaw for the test to read.
 */
function hostPage(tabUrl: string, o: { token: string | null; theme: string; userObjectId: string }): string {
  const runtime = { apiVersion: 4, isLegacyTeams: true, supports: { app: {}, appEntity: {}, pages: { appButton: {}, tabs: {}, config: {}, backStack: {}, fullTrust: {} }, teams: { fullTrust: {} } } };
  const context = {
    theme: o.theme, locale: 'en-gb', frameContext: 'content', hostClientType: 'web', hostName: 'Teams',
    entityId: 'dashboard', userObjectId: o.userObjectId, tid: STAFF_TENANT, loginHint: 'cora@example.org', appSessionId: 'session-1',
  };
  const script = `
    window.hostSaw = [];
    const frame = document.getElementById('tab');
    const answers = {
      initialize: () => ['content', 'web', ${JSON.stringify(JSON.stringify(runtime))}, '2.58.0'],
      getContext: () => [${JSON.stringify(context)}],
      'authentication.getAuthToken': () => ${o.token === null ? `[false, 'resourceRequiresConsent']` : `[true, ${JSON.stringify(o.token)}]`},
    };
    window.addEventListener('message', (e) => {
      if (e.source !== frame.contentWindow || !e.data || typeof e.data.func !== 'string') return;
      const m = e.data;
      window.hostSaw.push({ func: m.func, args: m.args, hasId: typeof m.id === 'number', hasUuid: typeof m.uuidAsString === 'string', origin: e.origin });
      const answer = answers[m.func];
      // Requests without an answer here (registerHandler and the like) are one-way in Teams too.
      if (answer) e.source.postMessage({ id: m.id, uuidAsString: m.uuidAsString, args: answer() }, e.origin);
    });
    window.sendThemeChange = (theme) => frame.contentWindow.postMessage({ func: 'themeChange', args: [theme] }, new URL(frame.src).origin);
  `;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Teams (test host)</title></head>
<body style="margin:0"><iframe id="tab" src="${tabUrl}" style="border:0;width:100%;height:860px"></iframe><script>${script}</script></body></html>`;
}

interface Saw {
  func: string;
  args: unknown[];
  hasId: boolean;
  hasUuid: boolean;
  origin: string;
}

async function openInHost(o: { token: string | null; theme?: string }): Promise<{ page: Page; tab: Frame }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (err) => errors.push(err.message));
  // The host page is the test's. The tab is at https://<TAB_HOST>/tab as in Teams, each request
  // passed to the app under test with its headers (Authorization) and answered with its response
  // (CSP frame-ancestors included): Chromium's local network access checks would rightly refuse a
  // public Teams origin framing a loopback address.
  await page.route(HOST_PAGE, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: hostPage(`${TAB_ORIGIN}/tab`, { token: o.token, theme: o.theme ?? 'default', userObjectId: seeded.coordinator }) }),
  );
  await page.route(`${TAB_ORIGIN}/**`, async (route) => {
    const u = new URL(route.request().url());
    await route.fulfill({ response: await route.fetch({ url: `${app.url}${u.pathname}${u.search}` }) });
  });
  await page.goto(HOST_PAGE);
  const handle = await page.waitForSelector('#tab');
  const tab = (await handle.contentFrame())!;
  return { page, tab };
}

const saw = (page: Page): Promise<Saw[]> => page.evaluate('window.hostSaw') as Promise<Saw[]>;
const cellsOf = (frame: Frame, selector: string): Promise<string[][]> =>
  frame.evaluate(`Array.from(document.querySelector(${JSON.stringify(selector)}).querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent || ''))`);

test('framed by a Teams host that answers initialize, getContext and getAuthToken, the page signs in with the token and shows the pipeline and reports', async () => {
  const { page, tab } = await openInHost({ token: await ssoToken(seeded.coordinator), theme: 'dark' });
  try {
    await tab.locator('#pipeline-table tbody tr').first().waitFor({ timeout: 20_000 });
    expect(await tab.locator('#status').textContent()).toBe('Signed in as a coordinator.');
    // The real Teams path: no dev sign-in, and the context's theme applied.
    expect(await tab.locator('#signin').isHidden()).toBe(true);
    expect(await tab.evaluate('document.body.className')).toBe('theme-dark');

    const requests = await saw(page);
    const funcs = requests.map((r) => r.func);
    expect(funcs.slice(0, 1)).toEqual(['initialize']);
    expect(funcs).toEqual(expect.arrayContaining(['getContext', 'registerHandler', 'authentication.getAuthToken']));
    // teams-js v2 sends its version first, and numbered requests with a uuid, from the tab's origin.
    expect(requests[0]!.args[0]).toBe('2.58.0');
    expect(requests.every((r) => r.hasId && r.hasUuid && r.origin === TAB_ORIGIN)).toBe(true);
    expect(requests.find((r) => r.func === 'registerHandler')?.args).toEqual(['themeChange']);

    const shown = await tab.locator('#stage-counts .count').evaluateAll((els) => els.map((e) => [e.getAttribute('data-stage'), Number(e.querySelector('b')?.textContent)]));
    const { rows } = await pool.query<{ stage: string; n: number }>('SELECT stage, count(*)::int AS n FROM cases GROUP BY stage');
    for (const r of rows) expect(shown).toContainEqual([r.stage, r.n]);
    const { rows: open } = await pool.query<{ reference: string }>("SELECT reference FROM cases WHERE stage NOT IN ('closed', 'declined') ORDER BY ref_year, ref_seq LIMIT 25");
    expect((await cellsOf(tab, '#pipeline-table')).map((r) => r[0])).toEqual(open.map((r) => r.reference));

    // The host switches Teams to high contrast: the page follows.
    await page.evaluate("window.sendThemeChange('contrast')");
    // A locator, not a string predicate: the tab's CSP (script-src 'self') refuses the eval a string needs.
    await tab.locator('body.theme-contrast').waitFor({ state: 'attached' });

    await tab.locator('#views button[data-view=reports]').click();
    await tab.locator('table[data-table=conversion] tbody tr').first().waitFor();
    await tab.locator('#report-period input[name=from]').fill('2026-04-01');
    await tab.locator('#report-period input[name=to]').fill('2026-07-01');
    await tab.locator('#report-period input[name=to]').press('Enter');
    await tab.getByText('Report for 2026-04-01 to 2026-07-01').waitFor();
    const conversion = Object.fromEntries((await cellsOf(tab, 'table[data-table=conversion]')).map(([k, v]) => [k, Number(v)]));
    const referred = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cases WHERE created_at >= $1 AND created_at < $2', [new Date('2026-03-31T23:00:00Z'), new Date('2026-06-30T23:00:00Z')]);
    expect(conversion.Referred).toBe(referred.rows[0]!.n);
    expect(conversion.Referred).toBeGreaterThan(0);
  } finally {
    await page.close();
  }
}, 60_000);

test('when Teams refuses the token, the page says what to do instead of showing anything', async () => {
  const { page, tab } = await openInHost({ token: null });
  try {
    await tab.getByText('Teams could not sign you in to the dashboard (resourceRequiresConsent)').waitFor({ timeout: 20_000 });
    expect(await tab.locator('#pipeline-table tbody tr').count()).toBe(0);
    expect(await tab.locator('#signin').isHidden()).toBe(true);
  } finally {
    await page.close();
  }
}, 60_000);
