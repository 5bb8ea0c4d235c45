import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { REPORT_TABLE_IDS, toCsv, type Cell } from '../domain/reportTables';
import { CASE_STAGES, type CaseStage } from '../domain/vocabulary';
import { LONDON } from '../shared/clock';
import type { Logger } from '../log';
import type { DashboardReadModel, PipelineRow, Viewer } from './readModel';
import type { TokenChecker } from './tokenCheck';

/*
 * The coordinators' dashboard over HTTP: the page at /tab (with its scripts from this package's own
 * node_modules, never a CDN) and the JSON/CSV API at /api/tab/*. The API answers only to a verified
 * Teams SSO token, or, in local unauthenticated mode only, to a persona picked in the dev sign-in.
 */

export type TabAuth =
  | { readonly mode: 'token'; readonly checker: TokenChecker }
  /** ALLOW_UNAUTHENTICATED on loopback without MicrosoftAppId: `Authorization: Dev <tenant id> <object id>`. */
  | { readonly mode: 'dev'; readonly personas: () => Promise<Persona[]> }
  /** The API is off (the tab's audience is not configured); the page still says what to set. */
  | { readonly mode: 'off'; readonly reason: string };

export interface Persona {
  readonly label: string;
  readonly tenantId: string;
  readonly aadObjectId: string;
}

export interface TabDeps {
  readonly auth: TabAuth;
  readonly readModel: DashboardReadModel;
  readonly log: Logger;
}

/** Teams web, desktop and mobile hosts that may frame the tab (Microsoft's list for Teams apps). */
export const FRAME_ANCESTORS = [
  "'self'",
  'https://teams.microsoft.com',
  'https://*.teams.microsoft.com',
  'https://teams.cloud.microsoft',
  'https://*.cloud.microsoft',
  'https://*.office.com',
  'https://*.microsoft365.com',
  'https://*.teams.microsoft.us',
  'https://local.teams.office.com',
];

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  `frame-ancestors ${FRAME_ANCESTORS.join(' ')}`,
].join('; ');

function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}: the tab page (web/tab) cannot be found`);
    dir = up;
  }
  return dir;
}

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** Read once at start-up: a missing file stops the start with its path, rather than a 404 later. */
function loadStatic(): Map<string, StaticFile> {
  const root = packageRoot();
  const web = path.join(root, 'web', 'tab');
  const teams = path.join(path.dirname(require.resolve('@microsoft/teams-js/package.json')), 'dist', 'umd', 'MicrosoftTeams.min.js');
  // chart.js exports no package.json; its CommonJS entry sits in dist/ beside the UMD build.
  const chart = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  const files: [string, string, string][] = [
    ['/tab', path.join(web, 'index.html'), 'text/html; charset=utf-8'],
    ['/tab/app.js', path.join(web, 'app.js'), 'text/javascript; charset=utf-8'],
    ['/tab/app.css', path.join(web, 'app.css'), 'text/css; charset=utf-8'],
    ['/tab/config.html', path.join(web, 'config.html'), 'text/html; charset=utf-8'],
    ['/tab/config.js', path.join(web, 'config.js'), 'text/javascript; charset=utf-8'],
    ['/tab/vendor/teams-js.js', teams, 'text/javascript; charset=utf-8'],
    ['/tab/vendor/chart.js', chart, 'text/javascript; charset=utf-8'],
  ];
  return new Map(files.map(([route, file, type]) => [route, { body: readFileSync(file), type }]));
}

const pipelineQuery = z.object({
  stage: z.enum(['open', 'all', ...(Object.keys(CASE_STAGES) as CaseStage[])]).optional(),
  source: z.string().trim().min(1).max(200).optional(),
  facilitator: z.string().trim().regex(/^[0-9a-fA-F-]{8,64}$/, 'must be a facilitator\'s Entra object id').optional(),
  overdue: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');
const reportQuery = z
  .object({ from: isoDay, to: isoDay, table: z.enum(REPORT_TABLE_IDS).optional() })
  .transform((q, ctx) => {
    const from = DateTime.fromISO(q.from, { zone: LONDON });
    const to = DateTime.fromISO(q.to, { zone: LONDON });
    if (!from.isValid || !to.isValid) {
      ctx.addIssue({ code: 'custom', message: 'from and to must be real dates' });
      return z.NEVER;
    }
    if (to <= from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from (the period is from ≤ t < to)' });
      return z.NEVER;
    }
    if (to.diff(from, 'days').days > 3 * 366) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the period may be at most three years' });
      return z.NEVER;
    }
    return { from: from.toJSDate(), to: to.toJSDate(), table: q.table };
  });

const referencePattern = /^RJ-\d{4}-\d{4,}$/;

/** The query string as plain fields; the server has no query parser (only /api/tab reads one). */
function queryOf(req: Request): Record<string, string> {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const out: Record<string, string> = {};
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

function problem(res: Response, status: number, body: Record<string, unknown>): void {
  res.header('Cache-Control', 'no-store');
  res.send(status, body);
}

function badQuery(res: Response, error: z.ZodError): void {
  problem(res, 400, { error: 'bad_request', message: error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') });
}

function sendCsv(res: Response, name: string, csv: string): void {
  res.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}.csv"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(csv);
}

function pipelineCsv(rows: readonly PipelineRow[]): string {
  const full = rows.filter((r): r is Extract<PipelineRow, { kind: 'full' }> => r.kind === 'full');
  if (full.length === 0 && rows.length > 0) {
    return toCsv({ columns: ['Reference', 'Status', 'Referred on'], rows: rows.map((r) => (r.kind === 'status' ? [r.reference, r.status, r.referredOn] : [r.reference, '', ''])) });
  }
  return toCsv({
    columns: ['Reference', 'Stage', 'Source', 'Facilitators', 'Days in stage', 'Next due', 'Due', 'Overdue'],
    rows: full.map((r): Cell[] => [r.reference, r.stageLabel, r.source, r.facilitators.join('; '), r.daysInStage, r.nextDue?.label ?? '', r.nextDue?.due ?? '', r.overdue ? 'yes' : 'no']),
  });
}

export function registerTabRoutes(server: Server, d: TabDeps): void {
  const files = loadStatic();
  for (const [route, file] of files) {
    server.get(route, async (_req: Request, res: Response) => {
      res.writeHead(200, {
        'Content-Type': file.type,
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': route.startsWith('/tab/vendor/') ? 'public, max-age=86400' : 'no-cache',
      });
      res.end(file.body);
    });
  }

  // What the page needs to know before signing in; nothing secret.
  server.get('/api/tab/mode', async (_req: Request, res: Response) => {
    problem(res, 200, { mode: d.auth.mode, ...(d.auth.mode === 'off' ? { reason: d.auth.reason } : {}) });
  });

  const auth = d.auth;
  if (auth.mode === 'dev') {
    server.get('/api/tab/dev/personas', async (_req: Request, res: Response) => {
      problem(res, 200, { personas: await auth.personas() });
    });
  }

  /** The signed-in viewer, or an answer already sent (401, 403, 503). */
  const signIn = async (req: Request, res: Response): Promise<Viewer | undefined> => {
    const header = req.header('authorization');
    let who: { oid: string; tid: string } | undefined;
    if (auth.mode === 'off') {
      problem(res, 503, { error: 'tab_not_configured', message: auth.reason });
      return undefined;
    }
    if (auth.mode === 'dev') {
      const m = /^Dev\s+([0-9a-f-]{8,64})\s+([0-9a-f-]{8,64})\s*$/i.exec(header ?? '');
      if (!m) {
        problem(res, 401, { error: 'unauthorized', reason: 'missing_token', message: 'Pick a persona in the dev sign-in.' });
        return undefined;
      }
      who = { tid: m[1]!.toLowerCase(), oid: m[2]!.toLowerCase() };
    } else {
      const checked = await auth.checker.check(header);
      if (!checked.ok) {
        d.log.info({ path: req.path(), reason: checked.reason }, 'tab token refused');
        if (checked.reason === 'keys_unavailable') {
          problem(res, 503, { error: 'keys_unavailable', message: 'The token signing keys could not be read; try again shortly.' });
        } else {
          res.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${checked.reason}"`);
          problem(res, 401, { error: 'unauthorized', reason: checked.reason });
        }
        return undefined;
      }
      who = { oid: checked.oid, tid: checked.tid };
    }
    const viewer = await d.readModel.viewer(who.oid, who.tid);
    if (!viewer) {
      problem(res, 403, { error: 'forbidden', message: 'You have no role in RJ Referrals: ask a coordinator to add you to the roster.' });
      return undefined;
    }
    return viewer;
  };

  const route = (p: string, handler: (req: Request, res: Response, v: Viewer) => Promise<void>) => {
    server.get(p, async (req: Request, res: Response) => {
      try {
        const v = await signIn(req, res);
        if (v) await handler(req, res, v);
      } catch (err) {
        d.log.error({ path: req.path(), err: err instanceof Error ? err.message : String(err) }, 'tab API request failed');
        if (!res.headersSent) problem(res, 500, { error: 'internal_error' });
      }
    });
  };

  const pipeline = async (req: Request, v: Viewer) => {
    const q = pipelineQuery.safeParse(queryOf(req));
    if (!q.success) return { ok: false, error: q.error } as const;
    const { overdue, ...rest } = q.data;
    return { ok: true, value: await d.readModel.pipeline(v, { ...rest, overdue }) } as const;
  };

  route('/api/tab/pipeline', async (req, res, v) => {
    const r = await pipeline(req, v);
    if (!r.ok) return badQuery(res, r.error);
    problem(res, 200, { ...r.value });
  });
  route('/api/tab/pipeline.csv', async (req, res, v) => {
    const r = await pipeline(req, v);
    if (!r.ok) return badQuery(res, r.error);
    sendCsv(res, 'pipeline', pipelineCsv(r.value.cases));
  });

  route('/api/tab/case/:ref', async (req, res, v) => {
    const ref = String(req.params?.ref ?? '').toUpperCase();
    if (!referencePattern.test(ref)) return problem(res, 400, { error: 'bad_request', message: 'A case reference looks like RJ-2026-0007.' });
    const r = await d.readModel.caseDetail(v, ref);
    if (!r.ok) return problem(res, r.status, { error: r.status === 404 ? 'not_found' : 'forbidden', message: r.message });
    problem(res, 200, { ...r.value });
  });

  route('/api/tab/facilitators', async (_req, res, v) => {
    const r = await d.readModel.facilitators(v);
    if (!r.ok) return problem(res, r.status, { error: 'forbidden', message: r.message });
    problem(res, 200, { facilitators: r.value });
  });
  route('/api/tab/facilitators.csv', async (_req, res, v) => {
    const r = await d.readModel.facilitators(v);
    if (!r.ok) return problem(res, r.status, { error: 'forbidden', message: r.message });
    sendCsv(res, 'facilitators', toCsv({
      columns: ['Facilitator', 'Open cases', 'Maximum', 'Paused', 'Experienced', 'Last activity'],
      rows: r.value.map((f) => [f.name, f.openCases, f.maxCases, f.paused ? 'yes' : 'no', f.experienced ? 'yes' : 'no', f.lastActivityAt ?? '']),
    }));
  });

  route('/api/tab/reports', async (req, res, v) => {
    const q = reportQuery.safeParse(queryOf(req));
    if (!q.success) return badQuery(res, q.error);
    const r = await d.readModel.report(v, q.data);
    if (!r.ok) return problem(res, r.status, { error: 'forbidden', message: r.message });
    problem(res, 200, { ...r.value });
  });
  route('/api/tab/reports.csv', async (req, res, v) => {
    const q = reportQuery.safeParse(queryOf(req));
    if (!q.success) return badQuery(res, q.error);
    const table = q.data.table;
    if (!table) return problem(res, 400, { error: 'bad_request', message: `table: choose one of ${REPORT_TABLE_IDS.join(', ')}` });
    const r = await d.readModel.report(v, q.data);
    if (!r.ok) return problem(res, r.status, { error: 'forbidden', message: r.message });
    const t = r.value.tables.find((x) => x.id === table)!;
    const period = `${DateTime.fromJSDate(q.data.from).setZone(LONDON).toISODate()}_${DateTime.fromJSDate(q.data.to).setZone(LONDON).toISODate()}`;
    sendCsv(res, `${table}_${period}`, toCsv(t));
  });
}
