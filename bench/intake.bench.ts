/**
 * `npm run bench`: screening turns through /api/messages at 32 concurrent conversations, next to a
 * minimal botbuilder echo bot on the same server stack, measured in the same run. Each screening turn
 * reads and writes the dialog state, which is sealed (AES-256-GCM) at rest: the same bot with
 * encryption off (the bench's own option, never a setting) runs too, so its cost is measured.
 *
 * Closed loop: each simulated user sends its next activity as soon as the previous one is answered, so
 * the numbers are the most the server does on this machine. By Little's law mean latency is then
 * concurrency / throughput: a p99 under 50 ms at 32 conversations needs well over 640 turns/s.
 *
 * Environment: BENCH_TURNS (measured turns per bot, default 3000), BENCH_WARMUP (200),
 * BENCH_CONCURRENCY (32), BENCH_TIME_LIMIT_S (per phase, 120), BENCH_CPU_PROFILE=<dir> (writes a V8
 * CPU profile of each server thread there; summarise with `tsx bench/profileSummary.ts <file>`).
 */
import { Agent, request } from 'node:http';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { EventEmitter } from 'node:events';
import { startServices, type RunningServices } from '../test/support/services';
import { createTestDatabase, type TestDatabase } from '../test/support/db';
import { startConnector, type ConnectorEmulator, type ConnectorRequest } from '../test/support/connector';
import type { TeamsUser } from '../test/support/activities';
import { EchoConversation, ScreeningConversation, type Conversation, type HttpReply } from './conversations';
import type { ServerStats, WorkerCommand, WorkerInput, WorkerOutput } from './serverWorker';

const TURNS = intEnv('BENCH_TURNS', 3000);
const WARMUP = intEnv('BENCH_WARMUP', 200);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 32);
const TIME_LIMIT_MS = intEnv('BENCH_TIME_LIMIT_S', 120) * 1000;
/** Offered load for the paced phase; default: PACED_FRACTION_OF_ECHO of the echo's saturation throughput. */
const PACED_RATE = process.env.BENCH_PACED_RATE ? intEnv('BENCH_PACED_RATE', 1) : undefined;
const PACED_FRACTION_OF_ECHO = 0.25;
const PACED_SECONDS = 10;
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE ? resolve(process.env.BENCH_CPU_PROFILE) : undefined;
const REQUEST_TIMEOUT_MS = 10_000;
/** Set once PostgreSQL is up; its CPU is read from /proc by port. */
let PG_PORT = '';

const AIM_RATIO = 0.5;
const AIM_P99_MS = 50;

function intEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

// --- HTTP ---------------------------------------------------------------------------------------------

/** Keep-alive, as Teams' own frontends hold connections to a bot; a new TCP handshake per turn is not the bot's cost. */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

function postJson(url: URL, payload: unknown): Promise<HttpReply> {
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolvePost, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text === '' ? undefined : text;
          if (text !== '' && (res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              /* keep the text for the error message */
            }
          }
          resolvePost({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

// --- connector calls made during each turn ------------------------------------------------------------

/**
 * Attributes connector requests to the turn in flight for their conversation. Each simulated user has
 * at most one turn in flight and the bot finishes its connector calls before it answers the POST, so
 * "calls for this conversation while its POST is open" is exactly the turn's calls. The emulator's
 * request log is only readable as a full copy (O(n) per turn), so this listens to its event instead.
 */
class TurnCalls {
  private readonly open = new Map<string, ConnectorRequest[]>();
  readonly failures: ConnectorRequest[] = [];

  constructor(connector: ConnectorEmulator) {
    // The emulator has no public per-request hook; its private emitter is the only O(1) one.
    const events = (connector as unknown as { events: EventEmitter }).events;
    events.on('request', (rec: ConnectorRequest) => {
      if (rec.status >= 400) this.failures.push(rec);
      if (rec.conversationId !== undefined) this.open.get(rec.conversationId)?.push(rec);
    });
  }

  begin(conversationId: string): ConnectorRequest[] {
    const calls: ConnectorRequest[] = [];
    this.open.set(conversationId, calls);
    return calls;
  }

  end(conversationId: string): void {
    this.open.delete(conversationId);
  }
}

// --- load ---------------------------------------------------------------------------------------------

interface PhaseResult {
  turns: number;
  seconds: number;
  latenciesMs: number[];
  connectorCalls: number;
  /** This whole process (load, emulator and server threads) and all of PostgreSQL, in cores busy on average. */
  nodeCores: number;
  postgresCores: number;
  /** Server-side differences over the phase. */
  server: ServerStats;
}

/**
 * Runs `turns` turns over all conversations, each with one turn in flight at most. Without `rate`
 * the next turn goes as soon as the last is answered (saturation); with it, turn k is not sent before
 * k/rate seconds into the phase, so latency is measured at that offered load.
 */
async function runPhase(server: RunningWorker, conversations: Conversation[], calls: TurnCalls, turns: number, rate?: number): Promise<PhaseResult> {
  const latenciesMs: number[] = [];
  let connectorCalls = 0;
  let issued = 0;
  let failed: Error | undefined;
  const stats0 = await server.stats();
  const cpu0 = process.cpuUsage();
  const pg0 = postgresCpuSeconds(PG_PORT);
  const t0 = performance.now();
  const deadline = t0 + TIME_LIMIT_MS;
  await Promise.all(
    conversations.map(async (conv) => {
      while (issued < turns && !failed) {
        if (performance.now() > deadline) {
          failed ??= new Error(`phase did not finish ${turns} turns within ${TIME_LIMIT_MS / 1000} s (${issued} issued)`);
          return;
        }
        const k = issued++;
        try {
          if (rate !== undefined) {
            const wait = t0 + (k * 1000) / rate - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          const turn = conv.next();
          const seen = calls.begin(conv.conversationId);
          const start = performance.now();
          let reply: HttpReply;
          try {
            reply = await postJson(server.url, turn.activity);
          } finally {
            calls.end(conv.conversationId);
          }
          latenciesMs.push(performance.now() - start);
          connectorCalls += seen.length;
          turn.check(reply, seen);
        } catch (e) {
          failed ??= e instanceof Error ? e : new Error(String(e));
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (failed) throw failed;
  if (calls.failures.length > 0) {
    const f = calls.failures[0]!;
    throw new Error(`the connector answered ${calls.failures.length} request(s) with an error, first: ${f.status} ${f.method} ${f.path}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const pgCpu = postgresCpuSeconds(PG_PORT) - pg0;
  const stats1 = await server.stats();
  return {
    turns: latenciesMs.length,
    seconds,
    latenciesMs,
    connectorCalls,
    nodeCores: (cpu.user + cpu.system) / 1e6 / seconds,
    postgresCores: pgCpu / seconds,
    server: {
      queries: stats1.queries - stats0.queries,
      queryMs: stats1.queryMs - stats0.queryMs,
      poolQueries: stats1.poolQueries - stats0.poolQueries,
      poolQueryMs: stats1.poolQueryMs - stats0.poolQueryMs,
      busyMs: stats1.busyMs - stats0.busyMs,
      cpuMs: stats1.cpuMs - stats0.cpuMs,
    },
  };
}

/**
 * CPU seconds used so far by the benchmark's own PostgreSQL: the postmaster listening on `port` and
 * its children. Other PostgreSQL servers on a shared machine are not counted.
 */
function postgresCpuSeconds(port: string): number {
  const hz = 100; // USER_HZ: 100 on every Linux ABI Node supports
  const procs: { pid: string; ppid: string; cpu: number; isOurs: boolean }[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return NaN;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      // After "pid (comm) ": state, ppid, ... utime and stime are the 12th and 13th.
      const f = stat.slice(close + 2).split(' ');
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      procs.push({ pid, ppid: f[1] ?? '', cpu: (Number(f[11]) + Number(f[12])) / hz, isOurs: args[args.indexOf('-p') + 1] === port });
    } catch {
      /* exited between listing and reading */
    }
  }
  const master = procs.find((p) => p.isOurs)?.pid;
  return procs.filter((p) => p.pid === master || p.ppid === master).reduce((t, p) => t + p.cpu, 0);
}

// --- the server under test ------------------------------------------------------------------------

interface RunningWorker {
  url: URL;
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

function startWorker(input: WorkerInput): Promise<RunningWorker> {
  const file = require.resolve('./serverWorker.ts');
  // tsx registers itself in this thread only; a worker has to load it before it can require TypeScript.
  // Its ESM hooks do not reach worker threads on Node 20, so the app runs without its simulator there.
  // restify's spdy dependency (http-deceiver) warns DEP0111 on load in every thread; it says nothing here.
  const boot = `process.noDeprecation = true; require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  const worker = new Worker(boot, { eval: true, workerData: input });
  let onMessage: (m: WorkerOutput) => void = () => undefined;
  let onFailure: (e: Error) => void = () => undefined;
  worker.on('message', (m: WorkerOutput) => (m.type === 'error' ? onFailure(new Error(`${input.kind} server: ${m.message}`)) : onMessage(m)));
  worker.on('error', (e) => onFailure(e));
  worker.on('exit', (code) => onFailure(new Error(`${input.kind} server thread exited (${code})`)));
  const next = (): Promise<WorkerOutput> =>
    new Promise((res, rej) => {
      onMessage = res;
      onFailure = rej;
    });
  return next().then((m) => {
    if (m.type !== 'ready') throw new Error(`${input.kind} server: unexpected ${m.type}`);
    onFailure = (e) => console.error(e.message);
    const command = async (cmd: WorkerCommand): Promise<WorkerOutput> => {
      const reply = next();
      worker.postMessage(cmd);
      try {
        return await reply;
      } finally {
        onFailure = (e) => console.error(e.message);
      }
    };
    return {
      url: new URL('/api/messages', m.url),
      stats: async () => {
        const r = await command('stats');
        if (r.type !== 'stats') throw new Error(`${input.kind} server: expected stats, got ${r.type}`);
        return r.stats;
      },
      stop: async () => {
        await command('close');
        onFailure = () => undefined;
        await worker.terminate();
      },
    };
  });
}

// --- reporting ----------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

interface Summary {
  perSecond: number;
  p99: number;
}

function summarise(r: PhaseResult): Summary {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return { perSecond: r.turns / r.seconds, p99: percentile(sorted, 99) };
}

function printTable(title: string, rows: [string, PhaseResult][]): void {
  console.log(`\n${title}`);
  const head = ['bot', 'turns', 'turns/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const body = rows.map(([name, r]) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    return [name, String(r.turns), (r.turns / r.seconds).toFixed(0), ...[50, 95, 99].map((p) => percentile(sorted, p).toFixed(1)), (sorted[sorted.length - 1] ?? NaN).toFixed(1)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

/** Per-turn costs, to tell where the time goes without a profiler. */
function printCosts(title: string, rows: [string, PhaseResult][]): void {
  console.log(`\nper turn, ${title}`);
  for (const [name, r] of rows) {
    const s = r.server;
    const perTurn = (x: number) => (x / r.turns).toFixed(2);
    const parts = [
      `server thread CPU ${perTurn(s.cpuMs)} ms (event loop busy ${((100 * s.busyMs) / (r.seconds * 1000)).toFixed(0)}% of wall)`,
      `connector calls ${perTurn(r.connectorCalls)}`,
      `PostgreSQL statements ${perTurn(s.queries)}` + (s.queries ? ` at ${(s.queryMs / s.queries).toFixed(2)} ms each, ${perTurn(s.poolQueryMs - s.queryMs)} ms waiting for a pooled connection` : ''),
      `cpu: node ${r.nodeCores.toFixed(2)} cores, postgres ${r.postgresCores.toFixed(2)} cores`,
    ];
    console.log(`  ${name}: ${parts.join('; ')}`);
  }
}

/** Metrics may cost at most this share of throughput (issue: within 5% of the same run with them off). */
const METRICS_MAX_COST = 0.05;

// --- main -----------------------------------------------------------------------------------------------

async function users(): Promise<TeamsUser[]> {
  // Loaded late, after deprecation warnings are off: this module pulls in the whole app, and restify's
  // spdy dependency (http-deceiver) warns DEP0111 on load, which says nothing about the benchmark.
  process.noDeprecation = true;
  const { PARTNER_TENANT } = await import('../test/support/app');
  return Array.from({ length: CONCURRENCY }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return { aadObjectId: `bbbbbbbb-0000-4000-8000-00000000${n}`, tenantId: PARTNER_TENANT, name: `Bench User ${n}` };
  });
}

interface Measured {
  saturated: PhaseResult;
  paced?: PhaseResult;
}

async function measure(
  input: WorkerInput,
  make: (u: TeamsUser, i: number) => Conversation,
  calls: TurnCalls,
  connector: ConnectorEmulator,
  /** Offered load for the paced phase, given this bot's saturation result; undefined skips it. */
  pacedRate: (saturated: PhaseResult) => number | undefined,
): Promise<Measured> {
  const server = await startWorker({ ...input, ...(PROFILE_DIR ? { cpuProfilePath: join(PROFILE_DIR, `${input.kind}.cpuprofile`) } : {}) });
  try {
    const conversations = (await users()).map(make);
    await runPhase(server, conversations, calls, WARMUP);
    // The emulator keeps every request it saw; start each measured phase with an empty log.
    connector.clear();
    const saturated = await runPhase(server, conversations, calls, TURNS);
    connector.clear();
    const rate = pacedRate(saturated);
    if (rate === undefined) return { saturated };
    const paced = await runPhase(server, conversations, calls, Math.min(TURNS, Math.ceil(rate * PACED_SECONDS)), rate);
    connector.clear();
    return { saturated, paced };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  console.log(`RJ Referrals bench: ${CONCURRENCY} concurrent conversations, ${WARMUP} warm-up + ${TURNS} measured turns per bot`);
  let services: RunningServices | undefined;
  let db: TestDatabase | undefined;
  let dbMetrics: TestDatabase | undefined;
  let dbPlain: TestDatabase | undefined;
  let connector: ConnectorEmulator | undefined;
  try {
    services = await startServices({ pgAdminUrl: process.env.TEST_PG_ADMIN_URL, redisUrl: process.env.TEST_REDIS_URL });
    process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
    PG_PORT = new URL(services.pgAdminUrl).port;
    db = await createTestDatabase('bench');
    connector = await startConnector();
    const calls = new TurnCalls(connector);
    const serviceUrl = connector.url;

    // The paced rate comes from the echo's saturation throughput, so both bots get the same offered load.
    let rate = 0;
    const echo = await measure({ kind: 'echo' }, (u) => new EchoConversation(serviceUrl, u), calls, connector, (sat) => {
      rate = PACED_RATE ?? Math.max(1, Math.round(summarise(sat).perSecond * PACED_FRACTION_OF_ECHO));
      return rate;
    });
    const echoMax = summarise(echo.saturated);
    const rj = await measure({ kind: 'rj', databaseUrl: db.url, redisUrl: services.redisUrl }, (u, i) => new ScreeningConversation(serviceUrl, u, i), calls, connector, () => rate);
    // The same bot with /metrics on (every turn, card action and send counted): its cost, in the same run.
    // A database of its own, so its conversations start where the first run's did.
    dbMetrics = await createTestDatabase('bench_metrics');
    const rjMetrics = await measure({ kind: 'rj', databaseUrl: dbMetrics.url, redisUrl: services.redisUrl, metrics: true }, (u, i) => new ScreeningConversation(serviceUrl, u, i), calls, connector, () => undefined);

    // And without encryption at rest, again on a database of its own.
    dbPlain = await createTestDatabase('bench_plain');
    const rjPlain = await measure({ kind: 'rj', databaseUrl: dbPlain.url, redisUrl: services.redisUrl, plaintext: true }, (u, i) => new ScreeningConversation(serviceUrl, u, i), calls, connector, () => undefined);

    printTable(`saturation (closed loop: each conversation sends its next turn as soon as the last is answered)`, [
      ['echo (botbuilder)', echo.saturated],
      ['RJ screening', rj.saturated],
      ['RJ, metrics on', rjMetrics.saturated],
      ['RJ, encryption off', rjPlain.saturated],
    ]);
    if (echo.paced && rj.paced) {
      printTable(`paced at ${rate} turns/s offered (${PACED_RATE === undefined ? `${PACED_FRACTION_OF_ECHO * 100}% of the echo's saturation throughput` : 'BENCH_PACED_RATE'})`, [
        ['echo (botbuilder)', echo.paced],
        ['RJ screening', rj.paced],
      ]);
    }
    printCosts('saturation', [
      ['echo', echo.saturated],
      ['RJ', rj.saturated],
    ]);
    if (echo.paced && rj.paced) {
      printCosts(`paced at ${rate} turns/s`, [
        ['echo', echo.paced],
        ['RJ', rj.paced],
      ]);
    }

    const rjMax = summarise(rj.saturated);
    const ratio = rjMax.perSecond / echoMax.perSecond;
    console.log('');
    console.log(`RJ/echo throughput: ${(ratio * 100).toFixed(0)}%  (aim >= ${AIM_RATIO * 100}%: ${ratio >= AIM_RATIO ? 'met' : 'NOT met'})`);
    const withMetrics = summarise(rjMetrics.saturated).perSecond / rjMax.perSecond;
    console.log(`RJ with metrics on / off: ${(withMetrics * 100).toFixed(0)}%  (aim >= ${(100 - METRICS_MAX_COST * 100).toFixed(0)}%: ${withMetrics >= 1 - METRICS_MAX_COST ? 'met' : 'NOT met'})`);
    const plainMax = summarise(rjPlain.saturated);
    console.log(`RJ with encryption on / off: ${((rjMax.perSecond / plainMax.perSecond) * 100).toFixed(0)}% of the throughput; p99 ${rjMax.p99.toFixed(1)} ms on, ${plainMax.p99.toFixed(1)} ms off`);
    console.log(`RJ p99 at saturation: ${rjMax.p99.toFixed(1)} ms  (aim < ${AIM_P99_MS} ms: ${rjMax.p99 < AIM_P99_MS ? 'met' : 'NOT met'})`);
    if (rj.paced) {
      const p = summarise(rj.paced);
      console.log(`RJ p99 at ${rate} turns/s: ${p.p99.toFixed(1)} ms  (aim < ${AIM_P99_MS} ms: ${p.p99 < AIM_P99_MS ? 'met' : 'NOT met'})`);
    }
    if (PROFILE_DIR) console.log(`CPU profiles of the server threads: ${PROFILE_DIR}/{echo,rj}.cpuprofile (npx tsx bench/profileSummary.ts <file>)`);
  } finally {
    agent.destroy();
    await connector?.close().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    await dbMetrics?.drop().catch(() => undefined);
    await dbPlain?.drop().catch(() => undefined);
    await services?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
