/**
 * The dashboard tab's API with Teams SSO tokens: each refusal (401 with its reason, 403 without a
 * role), the role-scoped answers (a facilitator's pipeline holds only their cases, a partner
 * referrer sees only the status of their own referrals), and figures that equal counts read
 * straight from the database for a seeded caseload. Tokens are signed by a test key whose JWKS is
 * served locally (TAB_JWKS_URL).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { Pool } from 'pg';
import type { App } from '../../src/main';
import { migrate } from '../../src/store/migrate';
import { createLogger } from '../../src/log';
import { toCsv } from '../../src/domain/reportTables';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisUrl } from '../support/redis';
import { PARTNER_TENANT, STAFF_TENANT, UNKNOWN_TENANT, startTestApp } from '../support/app';
import { TEST_APP_ID, TEST_APP_PASSWORD } from '../support/botFrameworkAuth';
import { seedDashboard, type SeededService } from '../support/dashboardSeed';

const NOW = new Date('2026-11-02T10:00:00Z');
const HOST = 'tab.example.org';
const AUDIENCE = `api://${HOST}/${TEST_APP_ID}`;
const NOBODY = '0d0d0d0d-0000-4000-8000-000000000001';

let db: TestDatabase;
let pool: Pool;
let app: App;
let jwks: Server;
let jwksUrl: string;
let key: KeyLike;
let seeded: SeededService;

async function token(claims: JWTPayload & { oid?: string; tid?: string } = {}, o: { key?: KeyLike; expiresIn?: number; iat?: number } = {}): Promise<string> {
  const now = Math.floor(NOW.getTime() / 1000);
  const tid = claims.tid ?? STAFF_TENANT;
  const exp = now + (o.expiresIn ?? 3600);
  return new SignJWT({ scp: 'access_as_user', tid, ver: '2.0', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'tab-test-key', typ: 'JWT' })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : `https://login.microsoftonline.com/${tid}/v2.0`)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt(o.iat ?? Math.min(now, exp - 3600))
    .setExpirationTime(exp)
    .sign(o.key ?? key);
}

async function get(path: string, bearer?: string): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`${app.url}${path}`, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // CSV
  }
  return { status: res.status, body, text, headers: res.headers };
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_tab');
  pool = new Pool({ connectionString: db.url });
  // The database is dropped WITH (FORCE) at the end; a connection still closing then is not a failure.
  pool.on('error', () => undefined);
  await migrate(pool, createLogger('silent'));
  seeded = await seedDashboard(pool, { cases: 400, from: new Date('2026-01-05T00:00:00Z'), to: NOW, staffTenant: STAFF_TENANT, partnerTenant: PARTNER_TENANT });
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'tab-test-key', use: 'sig', alg: 'RS256' };
  jwks = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/{tenant}/keys`;
  app = await startTestApp({
    databaseUrl: db.url,
    redisUrl: testRedisUrl(),
    clock: () => NOW,
    env: {
      MicrosoftAppId: TEST_APP_ID,
      MicrosoftAppPassword: TEST_APP_PASSWORD,
      MicrosoftAppTenantId: STAFF_TENANT,
      TAB_HOST: HOST,
      TAB_JWKS_URL: jwksUrl,
    },
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  jwks?.closeAllConnections();
  await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
  await pool?.end();
  await db?.drop();
});

describe('token check', () => {
  const coordinator = () => ({ oid: seeded.coordinator });

  test.each([
    ['no Authorization header', async () => undefined, 'missing_token'],
    ['a token that is not a JWT', async () => 'not-a-token', 'malformed_token'],
    ['an expired token (beyond the skew)', async () => token(coordinator(), { expiresIn: -120 }), 'expired'],
    ['a token signed with another key', async () => token(coordinator(), { key: (await generateKeyPair('RS256')).privateKey }), 'bad_signature'],
    ['a token for another audience', async () => token({ ...coordinator(), aud: 'api://elsewhere.example.org/other' }), 'wrong_audience'],
    ['a token from another issuer', async () => token({ ...coordinator(), iss: 'https://evil.example.org/v2.0' }), 'wrong_issuer'],
    ['a token from a tenant not on the allow-list', async () => token({ ...coordinator(), tid: UNKNOWN_TENANT }), 'tenant_not_allowed'],
    ['a token without access_as_user', async () => token({ ...coordinator(), scp: 'User.Read' }), 'missing_scope'],
    ['a token without oid', async () => token({}), 'missing_claims'],
  ])('%s gets 401 %s', async (_what, make, reason) => {
    const res = await get('/api/tab/pipeline', await make());
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe(reason);
    expect(res.headers.get('www-authenticate')).toContain(reason);
  });

  test('a token expired within the clock skew is still accepted', async () => {
    expect((await get('/api/tab/pipeline', await token(coordinator(), { expiresIn: -30 }))).status).toBe(200);
  });

  test('a v1 token (sts.windows.net issuer) is accepted, and so is a v2 token whose audience is the app id', async () => {
    expect((await get('/api/tab/pipeline', await token({ ...coordinator(), iss: `https://sts.windows.net/${STAFF_TENANT}/`, ver: '1.0' }))).status).toBe(200);
    expect((await get('/api/tab/pipeline', await token({ ...coordinator(), aud: TEST_APP_ID }))).status).toBe(200);
  });

  test('a valid token of someone with no role and no referrals gets 403', async () => {
    const res = await get('/api/tab/pipeline', await token({ oid: NOBODY }));
    expect(res.status).toBe(403);
    expect(String(res.body.message)).toContain('no role');
  });

  test('a partner-tenant token never gains a staff role, even with a coordinator\'s object id', async () => {
    const res = await get('/api/tab/reports?from=2026-01-01&to=2026-07-01', await token({ oid: seeded.coordinator, tid: PARTNER_TENANT }));
    expect(res.status).toBe(403);
  });

  test('the dev sign-in does not exist when authentication is on', async () => {
    expect((await get('/api/tab/dev/personas')).status).toBe(404);
    const dev = await fetch(`${app.url}/api/tab/pipeline`, { headers: { Authorization: `Dev ${STAFF_TENANT} ${seeded.coordinator}` } });
    expect(dev.status).toBe(401);
  });
});

describe('role-scoped answers', () => {
  test('a coordinator\'s stage counts equal the database\'s, and the list pages through open cases', async () => {
    const res = await get('/api/tab/pipeline?limit=50', await token({ oid: seeded.coordinator }));
    expect(res.status).toBe(200);
    const { rows } = await pool.query<{ stage: string; n: number }>('SELECT stage, count(*)::int AS n FROM cases GROUP BY stage');
    const counts = res.body.counts as { stage: string; count: number }[];
    for (const r of rows) expect(counts.find((c) => c.stage === r.stage)?.count).toBe(r.n);
    const cases = res.body.cases as { kind: string; stage: string }[];
    expect(cases).toHaveLength(50);
    expect(cases.every((c) => c.kind === 'full' && c.stage !== 'closed' && c.stage !== 'declined')).toBe(true);
    expect((res.body.page as { hasMore: boolean }).hasMore).toBe(true);
  });

  test('filters by stage and source narrow the list to matching cases', async () => {
    const res = await get(`/api/tab/pipeline?stage=preparation&source=${encodeURIComponent('Metropolitan Police')}&limit=200`, await token({ oid: seeded.coordinator }));
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM cases WHERE stage = 'preparation' AND source = 'Metropolitan Police'");
    expect((res.body.cases as unknown[]).length).toBe(rows[0]!.n);
  });

  test('a facilitator\'s pipeline holds only the cases they work on', async () => {
    const f = seeded.facilitators[0]!;
    const res = await get('/api/tab/pipeline?stage=all&limit=200', await token({ oid: f }));
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('facilitator');
    const { rows } = await pool.query<{ reference: string }>(
      "SELECT c.reference FROM cases c JOIN offers o ON o.case_id = c.id WHERE o.status = 'accepted' AND o.facilitator_aad_id = $1 ORDER BY c.ref_year, c.ref_seq",
      [f],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect((res.body.cases as { reference: string }[]).map((c) => c.reference)).toEqual(rows.map((r) => r.reference));
    // The facilitator filter of another person means nothing in their own list.
    const other = await get(`/api/tab/pipeline?stage=all&limit=200&facilitator=${seeded.facilitators[1]}`, await token({ oid: f }));
    expect((other.body.cases as unknown[]).length).toBe(rows.length);
    expect((await get('/api/tab/reports?from=2026-01-01&to=2026-07-01', await token({ oid: f }))).status).toBe(403);
    expect((await get('/api/tab/facilitators', await token({ oid: f }))).status).toBe(403);
  });

  test('a partner referrer sees only the status of their own referrals', async () => {
    const me = seeded.referrers[1]!;
    const t = await token({ oid: me.aadObjectId, tid: me.tenantId });
    const res = await get('/api/tab/pipeline?stage=all&limit=200', t);
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('referrer');
    const { rows } = await pool.query<{ reference: string }>(
      'SELECT reference FROM cases WHERE referrer_aad_id = $1 AND referrer_tenant_id = $2 ORDER BY ref_year, ref_seq LIMIT 200',
      [me.aadObjectId, me.tenantId],
    );
    const cases = res.body.cases as { kind: string; reference: string; stage?: string }[];
    expect(cases.map((c) => c.reference)).toEqual(rows.map((r) => r.reference));
    expect(cases.every((c) => c.kind === 'status' && c.stage === undefined)).toBe(true);

    const own = await get(`/api/tab/case/${rows[0]!.reference}`, t);
    expect(own.status).toBe(200);
    expect(Object.keys(own.body).sort()).toEqual(['kind', 'reference', 'referredOn', 'status']);
    const { rows: others } = await pool.query<{ reference: string }>('SELECT reference FROM cases WHERE referrer_aad_id <> $1 LIMIT 1', [me.aadObjectId]);
    const theirs = await get(`/api/tab/case/${others[0]!.reference}`, t);
    expect(theirs.status).toBe(404);
    // The same answer as for a case that does not exist: nothing is learnt about other people's cases.
    const missing = await get('/api/tab/case/RJ-2099-99999', t);
    expect(missing.status).toBe(404);
    expect(String(missing.body.message).replace('RJ-2099-99999', 'X')).toBe(String(theirs.body.message).replace(others[0]!.reference, 'X'));
  });

  test('a coordinator opens a case: its timeline, due items and a link that opens the bot chat on it', async () => {
    const { rows } = await pool.query<{ reference: string; n: number }>(
      "SELECT c.reference, (SELECT count(*)::int FROM case_events e WHERE e.case_id = c.id AND e.type <> 'stage_changed') AS n FROM cases c WHERE c.stage = 'preparation' LIMIT 1",
    );
    const res = await get(`/api/tab/case/${rows[0]!.reference}`, await token({ oid: seeded.coordinator }));
    expect(res.status).toBe(200);
    expect(res.body.stageLabel).toBe('Preparation');
    expect((res.body.timeline as unknown[]).length).toBeGreaterThanOrEqual(rows[0]!.n);
    expect(String(res.body.openInBot)).toBe(`https://teams.microsoft.com/l/chat/0/0?users=28:${TEST_APP_ID}&message=${encodeURIComponent(`case ${rows[0]!.reference}`)}`);
    expect(Array.isArray(res.body.due)).toBe(true);
    // Opening a case in full is an access like the case card's (issue 10's audit); a referrer's status view is not.
    const { rows: seen } = await pool.query(
      "SELECT a.actor_aad_id, a.actor_role, a.view FROM case_access a JOIN cases c ON c.id = a.case_id WHERE c.reference = $1",
      [rows[0]!.reference],
    );
    expect(seen).toEqual([{ actor_aad_id: seeded.coordinator, actor_role: 'coordinator', view: 'tab_case' }]);
  });
});

describe('figures', () => {
  const period = 'from=2026-04-01&to=2026-07-01';

  test('the report\'s counts equal counts from the database', async () => {
    const res = await get(`/api/tab/reports?${period}`, await token({ oid: seeded.coordinator }));
    expect(res.status).toBe(200);
    expect(res.body.openErasureRequests).toBe(await (async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM erasure_requests WHERE decided_at IS NULL')).rows[0]!.n)());
    const report = res.body.report as { referrals: number; screenings: Record<string, number>; conversion: Record<string, number>; outcomes: Record<string, number>; peopleSupported: number };
    const from = new Date('2026-03-31T23:00:00Z');
    const to = new Date('2026-06-30T23:00:00Z');
    const one = async (sql: string) => (await pool.query<{ n: number }>(sql, [from, to])).rows[0]!.n;
    expect(report.referrals).toBe(await one('SELECT count(*)::int AS n FROM cases WHERE created_at >= $1 AND created_at < $2'));
    expect(report.screenings.ineligible).toBe(await one("SELECT count(*)::int AS n FROM screenings WHERE outcome = 'ineligible' AND at >= $1 AND at < $2"));
    expect(report.screenings.total).toBe(await one('SELECT count(*)::int AS n FROM screenings WHERE at >= $1 AND at < $2'));
    const cohort = (type: string) =>
      one(`SELECT count(DISTINCT c.id)::int AS n FROM cases c JOIN case_events e ON e.case_id = c.id AND e.type = '${type}' WHERE c.created_at >= $1 AND c.created_at < $2`);
    expect(report.conversion.accepted).toBe(await cohort('referral_accepted'));
    expect(report.conversion.pairConfirmed).toBe(await cohort('pair_confirmed'));
    expect(report.conversion.accepted).toBeGreaterThan(0);
    const closed = await one("SELECT count(*)::int AS n FROM case_events WHERE type = 'case_closed' AND at >= $1 AND at < $2");
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(closed);
    expect(report.peopleSupported).toBe(
      await one("SELECT count(DISTINCT (case_id, data->>'party'))::int AS n FROM case_events WHERE type = 'contact_logged' AND data->>'outcome' = 'reached' AND at >= $1 AND at < $2"),
    );
  });

  test('each CSV equals its table', async () => {
    const t = await token({ oid: seeded.coordinator });
    const json = await get(`/api/tab/reports?${period}`, t);
    for (const table of json.body.tables as { id: string; columns: string[]; rows: (string | number | null)[][] }[]) {
      const csv = await get(`/api/tab/reports.csv?${period}&table=${table.id}`, t);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.text).toBe(toCsv(table));
    }
  });

  test('the facilitators view counts open cases as the roster does', async () => {
    const res = await get('/api/tab/facilitators', await token({ oid: seeded.coordinator }));
    const rows = res.body.facilitators as { aadObjectId: string; openCases: number; lastActivityAt: string | null }[];
    expect(rows).toHaveLength(seeded.facilitators.length);
    const { rows: db } = await pool.query<{ f: string; n: number }>(
      "SELECT o.facilitator_aad_id AS f, count(DISTINCT o.case_id)::int AS n FROM offers o JOIN cases c ON c.id = o.case_id WHERE o.status IN ('offered','accepted') AND c.stage NOT IN ('closed','declined') GROUP BY 1",
    );
    for (const r of rows) expect(r.openCases).toBe(db.find((x) => x.f === r.aadObjectId)?.n ?? 0);
    expect(rows.some((r) => r.lastActivityAt !== null)).toBe(true);
  });

  test('a bad period is refused with what was wrong', async () => {
    const t = await token({ oid: seeded.coordinator });
    const res = await get('/api/tab/reports?from=2026-07-01&to=2026-04-01', t);
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain('must be after from');
  });
});

describe('the page', () => {
  test('/tab is served with a CSP that lets Teams frame it, and its scripts come from this server', async () => {
    const res = await fetch(`${app.url}/tab`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('frame-ancestors');
    expect(csp).toContain('https://teams.microsoft.com');
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|https?:\/\/(?!www\.w3)/);
    expect((await fetch(`${app.url}/tab/vendor/teams-js.js`)).status).toBe(200);
    expect((await fetch(`${app.url}/tab/vendor/chart.js`)).status).toBe(200);
  });
});
