/**
 * Runs the server under test (the echo baseline or the real app) on its own thread.
 *
 * The load generator and the connector emulator are busy JavaScript too; on the same event loop they
 * would queue in front of the bot's own work and their CPU would count as the bot's latency. A worker
 * keeps the bot in this process (as startTestApp intends) but gives it an event loop of its own, the
 * way it has one in production with Teams and the connector on the far side of the network.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { startEchoServer } from './echoBot';
import { startTestApp } from '../test/support/app';
import { PlaintextCipher } from '../src/store/crypto/fieldCipher';

export type ServerKind = 'echo' | 'rj';

export interface WorkerInput {
  kind: ServerKind;
  databaseUrl?: string;
  redisUrl?: string;
  /** Write a V8 CPU profile of this thread to this file, from ready to close. */
  cpuProfilePath?: string;
  /** rj only: run with /metrics on (METRICS_TOKEN set), so every turn is counted. */
  metrics?: boolean;
  /** rj only: store without encryption at rest, to measure what encryption costs. */
  plaintext?: boolean;
}

/** Cumulative since the thread started; the benchmark takes differences around each phase. */
export interface ServerStats {
  /** Statements sent to PostgreSQL (including BEGIN/COMMIT). */
  queries: number;
  /** Call to result of each statement on its connection: round trip plus execution. */
  queryMs: number;
  /** pool.query calls and their time including the wait for a free connection. */
  poolQueries: number;
  poolQueryMs: number;
  /** Wall time this thread's event loop was not idle (includes time it was runnable but descheduled). */
  busyMs: number;
  /** CPU time of this thread alone (Linux; NaN elsewhere). */
  cpuMs: number;
}

export type WorkerCommand = 'stats' | 'close';
export type WorkerOutput =
  | { type: 'ready'; url: string }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const stats: ServerStats = { queries: 0, queryMs: 0, poolQueries: 0, poolQueryMs: 0, busyMs: 0, cpuMs: 0 };

/**
 * process.cpuUsage() counts every thread (the load generator's too) and Node 20 has no per-thread
 * call, so read this thread's own utime + stime from Linux, in USER_HZ (100/s) ticks.
 */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

type AnyQuery = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Times every statement without touching src/: wraps `query` on pg's prototypes, which the app's pool
 * and its checked-out clients both go through. Callback and promise forms are both used by pg itself.
 */
function timeQueries(proto: object, count: (ms: number) => void): void {
  const target = proto as { query: AnyQuery };
  const original = target.query;
  target.query = function (this: unknown, ...args: unknown[]): unknown {
    const start = performance.now();
    const done = () => count(performance.now() - start);
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const cb = last as (...a: unknown[]) => unknown;
      args[args.length - 1] = (...cbArgs: unknown[]) => {
        done();
        return cb(...cbArgs);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result instanceof Promise) return result.finally(done);
    return result;
  };
}

function post(msg: WorkerOutput): void {
  parentPort?.postMessage(msg);
}

function inspectorPost<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

async function run(input: WorkerInput): Promise<void> {
  timeQueries(pg.Client.prototype, (ms) => {
    stats.queries += 1;
    stats.queryMs += ms;
  });
  timeQueries(pg.Pool.prototype, (ms) => {
    stats.poolQueries += 1;
    stats.poolQueryMs += ms;
  });
  let session: Session | undefined;
  if (input.cpuProfilePath) {
    session = new Session();
    session.connect();
    await inspectorPost(session, 'Profiler.enable');
    await inspectorPost(session, 'Profiler.start');
  }
  let server: { url: string; close(): Promise<void> };
  if (input.kind === 'echo') {
    server = await startEchoServer();
  } else {
    if (!input.databaseUrl || !input.redisUrl) throw new Error('serverWorker: rj needs databaseUrl and redisUrl');
    // The web half, as it runs behind a load balancer (WEB_ONLY): the echo bot has no reminder worker either.
    server = await startTestApp({
      databaseUrl: input.databaseUrl,
      redisUrl: input.redisUrl,
      env: { WEB_ONLY: '1', ...(input.metrics ? { METRICS_TOKEN: 'bench-metrics-token-0123456789' } : {}) },
      // The comparison run without encryption at rest (an option of the bench, never a setting).
      ...(input.plaintext ? { fieldCipher: new PlaintextCipher() } : {}),
      // Node 20's ESM hooks do not reach this thread, so the simulator's dynamic import() could not load.
      simulator: false,
    });
  }
  parentPort?.on('message', (cmd: WorkerCommand) => {
    if (cmd === 'stats') {
      const elu = performance.eventLoopUtilization();
      post({ type: 'stats', stats: { ...stats, busyMs: elu.active, cpuMs: threadCpuMs() } });
      return;
    }
    void (async () => {
      await server.close();
      if (session && input.cpuProfilePath) {
        const { profile } = await inspectorPost<{ profile: unknown }>(session, 'Profiler.stop');
        writeFileSync(input.cpuProfilePath, JSON.stringify(profile));
        session.disconnect();
      }
      post({ type: 'closed' });
    })().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
  });
  post({ type: 'ready', url: server.url });
}

run(workerData as WorkerInput).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
