/**
 * `npm run playground` as a newcomer runs it, headless (CI set: no browser): the bot is built and
 * started by scripts/start.sh, Microsoft 365 Agents Playground starts against it with the committed
 * .m365agentsplayground.yml, `help` typed through the playground's own HTTP API gets the bot's
 * answer, and SIGTERM stops both processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testRedisSpace, type TestRedisSpace } from '../support/redis';
import { freePort } from '../support/services';

const ROOT = path.resolve(__dirname, '../..');

let db: TestDatabase;
let redis: TestRedisSpace;
let child: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await redis?.flushPrefix();
  await db?.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs / 1000} s. Output:\n${output.slice(-3000)}`);
    if (child?.exitCode !== null) throw new Error(`npm run playground exited (${child?.exitCode}) before ${what}. Output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('npm run playground starts the bot and the playground, answers help through the playground, and stops on SIGTERM', async () => {
  db = await createTestDatabase('e2e_playground');
  redis = testRedisSpace();
  const [port, playgroundPort] = [await freePort(), await freePort()];
  const log = path.join(ROOT, '.data', 'playground', `smoke-${process.pid}.log`);
  rmSync(log, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Spawned servers run on the real clock (npm run test:any-hour fakes it for jest only).
  for (const name of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_NO_CACHE', 'FAKETIME_DONT_RESET', 'DONT_FAKE_MONOTONIC']) delete env[name];
  child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/playground.ts'], {
    cwd: ROOT,
    env: {
      ...env,
      CI: '1',
      PORT: String(port),
      PLAYGROUND_PORT: String(playgroundPort),
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `{${redis.prefix}}`,
      LOG_LEVEL: 'warn',
      M365_AGENTS_PLAYGROUND_LOGFILE: log,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));

  await until('the playground listening', async () => ((await fetch(`http://127.0.0.1:${playgroundPort}/_internal/v1/config`)).ok ? true : undefined), 150_000);
  const config = (await (await fetch(`http://127.0.0.1:${playgroundPort}/_internal/v1/config`)).json()) as { config: { tenantId: string; currentUser: { id: string; name: string }; personalChat: { id: string } } };
  expect(config.config.currentUser.name).toBe('Cleo Coordinator');

  const sent = await fetch(`http://127.0.0.1:${playgroundPort}/_conversation/v1/conversations/${encodeURIComponent(config.config.personalChat.id)}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: { id: config.config.currentUser.id }, text: 'help', textFormat: 'plain' }),
  });
  expect(sent.status).toBe(200);
  // The playground records what the bot posted back to its connector (its /_connector), in its log.
  const answer = await until(
    "the bot's answer to help in the playground's log",
    async () => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return text.includes('"verb":"referral.start"') && text.includes('"statusCode":201') ? text : undefined;
    },
    20_000,
  );
  expect(answer).toContain(config.config.tenantId);

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // Both children are gone: nothing answers on either port.
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${playgroundPort}/_internal/v1/config`)).rejects.toThrow();
  rmSync(log, { force: true });
}, 200_000);
