/**
 * Throwaway PostgreSQL and Redis for one jest run.
 *
 * Real servers rather than mocks (see DESIGN.md "Testing the way Teams talks"). Both are children of
 * the jest process, listen on 127.0.0.1 only, keep everything in one temp dir and are tuned for speed
 * (no fsync, no persistence) because the data is discarded at the end of the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';

export const INSTALL_HINT = 'apt-get install postgresql redis-server';
const DIR_PREFIX = 'rj-test-';
/** Holds the pid of the jest process that owns the servers, so a later run can clean up after a killed one. */
const OWNER_FILE = 'owner.pid';

export interface RunningServices {
  pgAdminUrl: string;
  redisUrl: string;
  /** Stops whatever this call started (nothing when both URLs were given) and removes the temp dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use this PostgreSQL instead of starting one. */
  pgAdminUrl?: string;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
}

interface OsUser {
  uid: number;
  gid: number;
}

export async function startServices(opts: StartOptions = {}): Promise<RunningServices> {
  const needPg = !opts.pgAdminUrl;
  const needRedis = !opts.redisUrl;
  // Resolve binaries before creating anything so a missing package fails fast and says what to install.
  const pgBin = needPg ? findPostgresBinDir() : undefined;
  const redisBin = needRedis ? findRedisServer() : undefined;

  if (needPg || needRedis) sweepAbandoned();
  const dir = needPg || needRedis ? mkdtempSync(join(tmpdir(), DIR_PREFIX)) : undefined;
  if (dir) writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Keep going if one fails: leaking a server is worse than a noisy teardown.
    const results = await Promise.allSettled(stops.splice(0).map((stop) => stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length) throw new AggregateError(errors, 'stopping test services failed');
  };

  try {
    let pgAdminUrl = opts.pgAdminUrl;
    let redisUrl = opts.redisUrl;
    if (dir) chmodSync(dir, 0o755); // the postgres OS user must be able to reach its subdirectories
    // allSettled, not all: when one fails the other may have started and must be stopped below.
    const [pg, redis] = await Promise.allSettled([
      pgBin && dir ? startPostgres(pgBin, join(dir, 'pg')) : undefined,
      redisBin && dir ? startRedis(redisBin, join(dir, 'redis')) : undefined,
    ]);
    if (pg.status === 'fulfilled' && pg.value) {
      stops.push(pg.value.stop);
      pgAdminUrl = pg.value.url;
    }
    if (redis.status === 'fulfilled' && redis.value) {
      stops.push(redis.value.stop);
      redisUrl = redis.value.url;
    }
    if (pg.status === 'rejected') throw pg.reason;
    if (redis.status === 'rejected') throw redis.reason;
    if (!pgAdminUrl || !redisUrl) throw new Error('unreachable: service URL missing');
    return { pgAdminUrl, redisUrl, stop: stopAll };
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}

/**
 * A jest run that is killed (Ctrl-C twice, CI timeout, OOM) never reaches globalTeardown and leaves its
 * servers running. Each run therefore stops the servers of runs whose owner process is gone.
 */
function sweepAbandoned(): void {
  const root = tmpdir();
  let entries: string[];
  try {
    entries = readdirSync(root).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(root, name);
    const owner = readPid(join(dir, OWNER_FILE));
    if (owner === undefined || isAlive(owner)) continue;
    for (const [pidFile, expect] of [[join(dir, 'pg', 'data', 'postmaster.pid'), 'postgres'], [join(dir, 'redis', 'redis.pid'), 'redis']] as const) {
      const pid = readPid(pidFile);
      // Only signal a pid that still is that server: pids get reused.
      if (pid !== undefined && commandLine(pid).includes(expect)) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------
// Binaries

function onPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

function missing(what: string): Error {
  return new Error(
    `${what} not found. Install it with: ${process.getuid?.() === 0 ? '' : 'sudo '}${INSTALL_HINT}\n` +
      '(or point the tests at running servers with TEST_PG_ADMIN_URL=postgres://... and TEST_REDIS_URL=redis://...)',
  );
}

/** Debian keeps initdb/postgres in /usr/lib/postgresql/<major>/bin, off PATH; PG_BIN overrides. */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const initdb = onPath('initdb');
  if (initdb) candidates.push(join(initdb, '..'));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((m) => join(debian, m, 'bin')));
  }
  const found = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (!found) throw missing('PostgreSQL server binaries (initdb, postgres)');
  return found;
}

export function findRedisServer(): string {
  const found = onPath('redis-server') ?? ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!found) throw missing('redis-server');
  return found;
}

/** PostgreSQL refuses to run as root, so as root we run it as the `postgres` OS user. */
function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const res = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (res.status !== 0 || gid.status !== 0) {
    throw new Error(`running as root but there is no 'postgres' OS user to run PostgreSQL as. Install it with: ${INSTALL_HINT}`);
  }
  return { uid: Number(res.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// ---------------------------------------------------------------------------------------------------
// Processes

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * The servers run on the real clock even when the tests run under libfaketime (the any-hour check in
 * .ci/run): redis-server never starts with it preloaded, and the app's time is injected anyway.
 */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_NO_CACHE', 'FAKETIME_DONT_RESET', 'DONT_FAKE_MONOTONIC']) delete env[name];
  return env;
}

function spawnLogged(cmd: string, args: string[], logFile: string, user?: OsUser): Spawned {
  const fd = openSync(logFile, 'a');
  if (user) chownSync(logFile, user.uid, user.gid);
  const child = spawn(cmd, args, {
    stdio: ['ignore', fd, fd],
    // libuv drops supplementary groups when uid is set, so this is a clean switch, no runuser needed.
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    env: { ...serverEnv(), LC_ALL: 'C', ...(user ? { HOME: '/tmp' } : {}) },
  });
  closeSync(fd);
  // The servers must never keep jest alive on their own; teardown stops them explicitly.
  child.unref();
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return { child, exited };
}

async function waitUntil(what: string, ready: () => Promise<boolean>, proc: Spawned, logFile: string, timeoutMs = 30_000): Promise<void> {
  let died = false;
  void proc.exited.then(() => {
    died = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (died) throw new Error(`${what} exited during start-up. Log ${logFile}:\n${tail(logFile)}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms. Log ${logFile}:\n${tail(logFile)}`);
}

async function stopChild(proc: Spawned, signal: NodeJS.Signals): Promise<void> {
  const pid = proc.child.pid;
  if (proc.child.exitCode !== null || proc.child.signalCode !== null || pid === undefined) return;
  // The child was unref'd so it cannot hold jest open; while we wait for it to exit, it must, or Node
  // may exit mid-teardown with the server still running and the temp dir left behind.
  proc.child.ref();
  try {
    process.kill(pid, signal);
  } catch {
    return; // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), 10_000);
  });
  const res = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (res === 'timeout') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await proc.exited;
  }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

interface PgLayout {
  binDir: string;
  data: string;
  sock: string;
  log: string;
  user: OsUser | undefined;
}

function initPostgres(binDir: string, dir: string): PgLayout {
  const user = postgresOsUser();
  const data = join(dir, 'data');
  const sock = join(dir, 'run');
  const log = join(dir, 'postgres.log');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  mkdirSync(sock, { recursive: true, mode: 0o700 });
  if (user) for (const d of [dir, data, sock]) chownSync(d, user.uid, user.gid);

  const init = spawnSync(
    join(binDir, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', env: { ...serverEnv(), LC_ALL: 'C' }, ...(user ? { uid: user.uid, gid: user.gid, cwd: dir } : {}) },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.error?.message}):\n${init.stdout}\n${init.stderr}`);
  return { binDir, data, sock, log, user };
}

function launchPostgres(pg: PgLayout, port: number): Spawned {
  return spawnLogged(
    join(pg.binDir, 'postgres'),
    [
      '-D', pg.data,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${pg.sock}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      // Each test file opens its own pool against its own database, in parallel.
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=64MB',
      '-c', 'log_min_messages=warning',
    ],
    pg.log,
    pg.user,
  );
}

async function startPostgres(binDir: string, dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const pg = initPostgres(binDir, dir);
  // A free port can be taken between probing and binding; retry a couple of times rather than flake.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = launchPostgres(pg, port);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitUntil('postgres', () => canQueryPg(url), proc, pg.log);
    } catch (e) {
      await stopChild(proc, 'SIGQUIT');
      if (attempt < 3 && /could not bind|Address already in use/i.test(tail(pg.log, 50))) continue;
      throw e;
    }
    // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients a test may have leaked.
    return { url, stop: () => stopChild(proc, 'SIGINT') };
  }
}

async function canQueryPg(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// Redis

function launchRedis(bin: string, dir: string, port: number, persist: boolean): Spawned {
  return spawnLogged(
    bin,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      // A dedicated server that must survive SIGKILL with its data keeps an fsync'd append-only file.
      ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      // BullMQ requires noeviction: an evicted job key corrupts a queue silently.
      '--maxmemory-policy', 'noeviction',
      '--dir', dir,
      '--daemonize', 'no',
      '--pidfile', join(dir, 'redis.pid'),
      '--protected-mode', 'yes',
    ],
    join(dir, 'redis.log'),
  );
}

async function startRedis(bin: string, dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'redis.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = launchRedis(bin, dir, port, false);
    try {
      await waitUntil('redis-server', () => redisPing(port), proc, log);
    } catch (e) {
      await stopChild(proc, 'SIGKILL');
      if (attempt < 3 && /Address already in use/i.test(tail(log, 50))) continue;
      throw e;
    }
    return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(proc, 'SIGTERM') };
  }
}

// ---------------------------------------------------------------------------------------------------
// Dedicated servers a test may kill and start again

/**
 * A server of one test file's own, for tests that kill or restart it: the global ones are shared by
 * every file running in parallel. It keeps its port (and, for PostgreSQL, its data) across restarts,
 * as a production server restarted by its supervisor does.
 */
export interface RestartableServer {
  /** For PostgreSQL: the superuser URL of the `postgres` database. */
  url: string;
  port: number;
  running(): boolean;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

function dedicatedDir(): string {
  sweepAbandoned();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  chmodSync(dir, 0o755);
  return dir;
}

function restartable(o: {
  url: string;
  port: number;
  dir: string;
  launch: () => Spawned;
  ready: () => Promise<boolean>;
  what: string;
  log: string;
  stopSignal: NodeJS.Signals;
}): RestartableServer {
  let proc: Spawned | undefined;
  const alive = () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  const start = async () => {
    if (alive()) throw new Error(`${o.what} is already running`);
    // The port was ours a moment ago; binding it again can race the kernel releasing it, so retry briefly.
    for (let attempt = 1; ; attempt++) {
      const p = o.launch();
      proc = p;
      try {
        await waitUntil(o.what, o.ready, p, o.log);
        return;
      } catch (e) {
        await stopChild(p, 'SIGKILL');
        if (attempt < 20 && /Address already in use|could not bind/i.test(tail(o.log, 20))) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw e;
      }
    }
  };
  let stopped = false;
  return {
    url: o.url,
    port: o.port,
    running: alive,
    async kill(signal) {
      if (proc) await stopChild(proc, signal);
    },
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc) await stopChild(proc, o.stopSignal);
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Redis of the test's own. Without `persist` (the default) a killed one starts again empty, like a
 * failed-over or flushed Redis; with it, it comes back with its data.
 */
export async function startDedicatedRedis(opts: { persist?: boolean } = {}): Promise<RestartableServer> {
  const bin = findRedisServer();
  const dir = dedicatedDir();
  const redisDir = join(dir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const port = await freePort();
  const server = restartable({
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    launch: () => launchRedis(bin, redisDir, port, opts.persist ?? false),
    ready: () => redisPing(port),
    what: 'redis-server',
    log: join(redisDir, 'redis.log'),
    stopSignal: 'SIGTERM',
  });
  try {
    await server.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** A PostgreSQL of the test's own; `kill('SIGINT')` then `start()` is a restart that keeps the data. */
export async function startDedicatedPostgres(): Promise<RestartableServer> {
  const binDir = findPostgresBinDir();
  const dir = dedicatedDir();
  const pgDir = join(dir, 'pg');
  mkdirSync(pgDir, { recursive: true });
  const pg = initPostgres(binDir, pgDir);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const server = restartable({ url, port, dir, launch: () => launchPostgres(pg, port), ready: () => canQueryPg(url), what: 'postgres', log: pg.log, stopSignal: 'SIGINT' });
  try {
    await server.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** Raw RESP so start-up does not depend on a client library's reconnect behaviour. */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}
