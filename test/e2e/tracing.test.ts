import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RECONCILE_JOB } from '../../src/reminders/worker';
import { MONTHLY_REPORT_JOB } from '../../src/reminders/monthlyReport';
import { RETENTION_JOB } from '../../src/reminders/retention';
import { startConnector, type ConnectorEmulator } from '../support/connector';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { PARTNER_TENANT, PARTNER_ORG, STAFF_TENANT } from '../support/app';
import { caseSetup, REFERRAL_FORM } from '../support/caseSetup';
import type { TeamsUser } from '../support/activities';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

/**
 * OpenTelemetry end to end: the app as `npm start` runs it (src/main.ts in its own process), sending
 * OTLP/HTTP JSON to a collector played by this test, while a referral is made over /api/messages.
 */

const alice: TeamsUser = { aadObjectId: 'a0000000-0000-4000-8000-0000000007a1', tenantId: PARTNER_TENANT, name: 'Ava Tracer' };
const coord: TeamsUser = { aadObjectId: 'c0000000-0000-4000-8000-0000000007c1', tenantId: STAFF_TENANT, name: 'Cora Coordinator' };
const TYPED = { offenceDescription: 'Took a bicycle from the shed behind Rosemary Lane', harmedPersonEmail: 'harriet.harmed@example.org' };
/** Everything personal the referral carried: none of it may appear in any span. */
const SECRETS = [REFERRAL_FORM.offenderName, REFERRAL_FORM.harmedPersonName, REFERRAL_FORM.harmedPersonPhone, TYPED.offenceDescription, TYPED.harmedPersonEmail, alice.name, 'Rosemary'];

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: OtlpValue[] } }
interface OtlpKeyValue { key: string; value: OtlpValue }
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  attributes?: OtlpKeyValue[]; events?: { name: string; attributes?: OtlpKeyValue[] }[]; links?: { traceId: string }[];
  status?: { message?: string };
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}
interface Span extends OtlpSpan { scope: string; attrs: Record<string, string> }

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;

/** A collector: keeps every POST /v1/traces body, raw (for the privacy scan) and as spans. */
class Collector {
  readonly bodies: string[] = [];
  readonly spans: Span[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<Collector> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collector = new Collector(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        if (req.method === 'POST' && req.url === '/v1/traces') collector.add(body);
        res.writeHead(req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    return collector;
  }

  private add(body: string): void {
    this.bodies.push(body);
    const parsed = JSON.parse(body) as OtlpExport;
    for (const rs of parsed.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) this.spans.push({ ...s, scope: ss.scope?.name ?? '', attrs: flat(s.attributes) });
      }
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function flat(kvs: OtlpKeyValue[] = []): Record<string, string> {
  const str = (v: OtlpValue): string => v.stringValue ?? (v.arrayValue ? (v.arrayValue.values ?? []).map(str).join(',') : String(v.intValue ?? v.boolValue ?? v.doubleValue ?? ''));
  return Object.fromEntries(kvs.map((kv) => [kv.key, str(kv.value)]));
}

let db: TestDatabase;
let space: TestRedisSpace;
let connector: ConnectorEmulator;
let collector: Collector;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_tracing');
  space = testRedisSpace();
  connector = await startConnector();
  collector = await Collector.start();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await collector?.close();
  await connector?.close();
  await space?.flushPrefix();
  await db?.drop();
});

interface Started { child: ChildProcess; url: string; output: () => string; stop(): Promise<void> }

/** src/main.ts as `npm start` runs it, with an environment built from scratch (no libfaketime). */
function startAppProcess(extraEnv: Record<string, string>): Promise<Started> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['--require', path.join(__dirname, '../support/reportOtelModules.cjs'), '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL: space.url, REDIS_KEY_PREFIX: `{${space.prefix}}`,
      PORT: '0', HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: '1',
      STAFF_TENANT_ID: STAFF_TENANT, PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`, COORDINATOR_AAD_IDS: coord.aadObjectId, LOG_LEVEL: 'info', ...TEST_DATA_KEY_ENV,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /"port":(\d+)[^\n]*RJ Referrals listening/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({
        child,
        url: `http://127.0.0.1:${m[1]}`,
        output: () => out,
        stop: async () => {
          child.kill('SIGTERM');
          const code = await exited;
          if (code !== 0) throw new Error(`app exited with ${code}: ${out}`);
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`app exited early (${code}): ${out}`)));
  });
}

function loadedOtelModules(output: string): number {
  const m = /OTEL_MODULES_LOADED (\d+)/.exec(output);
  if (!m) throw new Error(`the process did not report its modules: ${output}`);
  return Number(m[1]);
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sql = (s: Span) => s.attrs['db.query.text'] ?? s.attrs['db.statement'] ?? '';

test('with OTEL_EXPORTER_OTLP_ENDPOINT set, a referral is one trace from the Teams activity through the case insert to the reminder jobs, with no personal data', async () => {
  const app = await startAppProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'rj-referrals-test' });
  const s = caseSetup(() => app.url, connector);
  await s.refer(alice, TYPED);

  // The case's insert, in the trace of the activity that submitted the form.
  const insert = await until('the span of the case insert', () => collector.spans.find((sp) => sp.kind === CLIENT && /INSERT INTO cases\b/.test(sql(sp))));
  const trace = insert.traceId;
  const inTrace = () => collector.spans.filter((sp) => sp.traceId === trace);
  // Queue.addBulk's span, added by the reconcile that the case event's notification triggered.
  const producer = await until('the reminder jobs added in the same trace', () => inTrace().find((sp) => sp.kind === PRODUCER && sp.scope === 'rj-referrals-test' && /addBulk|add/.test(sp.name)));
  await app.stop();

  const server = inTrace().find((sp) => sp.kind === SERVER);
  expect(server?.attrs['http.request.method'] ?? server?.attrs['http.method']).toBe('POST');
  expect(server?.attrs['url.path'] ?? server?.attrs['http.target']).toBe('/api/messages');
  expect(server?.parentSpanId || undefined).toBeUndefined();
  expect(server?.attrs).toMatchObject({ 'rj.activity.type': 'invoke', 'rj.activity.name': 'adaptiveCard/action', 'rj.card.verb': expect.stringMatching(/^[a-z.]+$/) });
  const pg = inTrace().filter((sp) => sp.kind === CLIENT && sp.attrs['db.system.name'] === 'postgresql' || sp.attrs['db.system'] === 'postgresql');
  expect(pg.map(sql)).toEqual(expect.arrayContaining([expect.stringMatching(/INSERT INTO case_events/)]));
  // The notification crossed PostgreSQL: the reconcile continued the trace, naming the case by id.
  const reconcile = inTrace().find((sp) => sp.name === 'reminders.reconcile');
  expect(reconcile?.attrs['rj.case_id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(producer.traceId).toBe(trace);
  expect(producer.attrs['bullmq.queue.name']).toBe('reminders');
  // Each job keeps the context it was added in: BullMQ's worker starts the job's processing span in it.
  const connection = new Redis(space.url, { maxRetriesPerRequest: null });
  const queue = new Queue('reminders', { connection, prefix: `{${space.prefix}}` });
  try {
    // The daily reconcile's job scheduler was registered at start-up, in a trace of its own.
    const jobs = (await queue.getJobs(['delayed', 'wait', 'prioritized'])).filter((j) => j.name !== RECONCILE_JOB && j.name !== MONTHLY_REPORT_JOB && j.name !== RETENTION_JOB);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(job.opts.telemetry?.metadata).toContain(`00-${trace}-`);
  } finally {
    await queue.close();
    connection.disconnect();
  }
  // The bot's reply to the submit went to the Teams connector inside the same trace.
  expect(inTrace().some((sp) => sp.kind === CLIENT && sp.scope === '@opentelemetry/instrumentation-http' && (sp.attrs['url.full'] ?? '').startsWith(connector.url))).toBe(true);

  // Values go as parameters, Redis commands without arguments, and nothing typed anywhere.
  const everything = collector.bodies.join('\n');
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
  for (const sp of collector.spans.filter((x) => x.attrs['db.system.name'] === 'redis' || x.attrs['db.system'] === 'redis')) {
    expect(sql(sp)).toMatch(/^[a-z]+$/i);
  }
  expect(loadedOtelModules(app.output())).toBeGreaterThan(0);
}, 30_000);

test('with OTEL_EXPORTER_OTLP_ENDPOINT unset, no OpenTelemetry SDK, instrumentation or bullmq-otel module is loaded', async () => {
  const app = await startAppProcess({ OTEL_BSP_SCHEDULE_DELAY: '100' });
  const s = caseSetup(() => app.url, connector);
  await s.chat(alice).say('help');
  await app.stop();
  expect(loadedOtelModules(app.output())).toBe(0);
}, 20_000);
