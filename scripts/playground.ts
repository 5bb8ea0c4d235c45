/**
 * npm run playground [-- --as coordinator|facilitator|facilitator2]
 *
 * Starts the bot in local unauthenticated mode, the way `npm start` does (scripts/start.sh: local
 * PostgreSQL and Redis unless DATABASE_URL and REDIS_URL are set), then Microsoft 365 Agents
 * Playground against it with .m365agentsplayground.yml: its tenant becomes STAFF_TENANT_ID (or the
 * bot refuses every message) and its coordinator is seeded (COORDINATOR_AAD_IDS). `--as` plays
 * another person of that file. With CI set, no browser is opened. Ctrl-C stops both.
 *
 * Environment: PORT (the bot, default 3978), PLAYGROUND_PORT (default 56150).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const ROOT = path.resolve(__dirname, '..');
const CONFIG = path.join(ROOT, '.m365agentsplayground.yml');

const user = z.object({ id: z.string(), name: z.string(), aadObjectId: z.string() }).passthrough();
const playgroundConfig = z
  .object({ tenantId: z.string().uuid('must be a canonical GUID (8-4-4-4-12 hex digits)'), currentUser: user, users: z.array(user) })
  .passthrough();

/** Who `--as` can be: the coordinator (currentUser in the file) or one of its users, by role. */
const PERSONAS: Record<string, string> = { coordinator: 'Cleo Coordinator', facilitator: 'Fern Facilitator', facilitator2: 'Fitz Facilitator' };

function fail(message: string): never {
  console.error(`playground: error: ${message}`);
  process.exit(1);
}

function argAs(argv: readonly string[]): string {
  const i = argv.findIndex((a) => a === '--as' || a.startsWith('--as='));
  if (i < 0) return 'coordinator';
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--as='.length) : argv[i + 1];
  if (!value || !(value in PERSONAS)) fail(`--as takes one of ${Object.keys(PERSONAS).join(', ')}`);
  return value;
}

async function waitForReady(url: string, bot: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (bot.exitCode !== null) fail(`the bot exited (code ${bot.exitCode}) before it was ready; see its output above`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  fail(`the bot was not ready at ${url} within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  const as = argAs(process.argv.slice(2));
  const parsed = playgroundConfig.safeParse(parse(readFileSync(CONFIG, 'utf8')));
  if (!parsed.success) fail(`${CONFIG}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  const coordinator = config.currentUser;

  // Another person: the same file with currentUser swapped, so team, channel and users stay the same.
  let configPath = CONFIG;
  mkdirSync(path.join(ROOT, '.data', 'playground'), { recursive: true });
  if (as !== 'coordinator') {
    const me = config.users.find((u) => u.name === PERSONAS[as]);
    if (!me) fail(`${CONFIG} has no user named ${PERSONAS[as]}`);
    configPath = path.join(ROOT, '.data', 'playground', `${as}.yml`);
    writeFileSync(configPath, stringify({ ...config, currentUser: me, users: [coordinator, ...config.users.filter((u) => u !== me)] }));
  }

  const port = process.env.PORT ?? '3978';
  const playgroundPort = process.env.PLAYGROUND_PORT ?? '56150';
  const botEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: port,
    // The playground sends no Bot Framework token: local unauthenticated mode, on loopback only.
    ALLOW_UNAUTHENTICATED: '1',
    HOST: '127.0.0.1',
    MicrosoftAppId: '',
    STAFF_TENANT_ID: config.tenantId,
    COORDINATOR_AAD_IDS: coordinator.aadObjectId,
    // The simulator's referrer (/simulator) is in a partner tenant; the playground itself has only the staff tenant.
    PARTNER_TENANTS: process.env.PARTNER_TENANTS ?? '22222222-2222-4222-8222-222222222222=Example Police (local)',
  };
  console.log(`playground: starting the bot (scripts/start.sh) on http://127.0.0.1:${port} as in npm start`);
  const bot = spawn('bash', [path.join(ROOT, 'scripts/start.sh')], { cwd: ROOT, env: botEnv, stdio: 'inherit' });
  // Set once the bot is ready; stop() may run before that.
  const running: { playground?: ChildProcess } = {};
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    const children = [running.playground, bot].filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
    if (children.length === 0) process.exit(code);
    let left = children.length;
    for (const c of children) {
      c.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(code);
      });
      c.kill('SIGTERM');
    }
    setTimeout(() => process.exit(code), 15_000).unref();
  };
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
  bot.once('exit', (code) => {
    if (!stopping) console.error(`playground: the bot stopped (code ${code}); stopping the playground`);
    stop(code ?? 1);
  });

  await waitForReady(`http://127.0.0.1:${port}/readyz`, bot, 180_000);
  const bin = path.join(ROOT, 'node_modules', '.bin', 'agentsplayground');
  const playground = spawn(bin, ['--app-endpoint', `http://127.0.0.1:${port}/api/messages`, '--channel-id', 'msteams', '--port', playgroundPort, '--disable-telemetry'], {
    cwd: ROOT,
    env: {
      ...process.env,
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
      // Its default is ./devTools/ in the checkout; .data/ is ignored by git.
      M365_AGENTS_PLAYGROUND_LOGFILE: process.env.M365_AGENTS_PLAYGROUND_LOGFILE ?? path.join(ROOT, '.data', 'playground', 'playground.log'),
      ...(process.env.CI ? { TEAMSAPPTESTER_BROWSER: 'none' } : {}),
    },
    stdio: 'inherit',
  });
  running.playground = playground;
  playground.once('exit', (code) => {
    if (!stopping) console.error(`playground: the Agents Playground stopped (code ${code}); stopping the bot`);
    stop(code ?? 1);
  });
  console.log(`playground: ${PERSONAS[as]} in Microsoft 365 Agents Playground at http://localhost:${playgroundPort}; everyone at once in the simulator at http://127.0.0.1:${port}/simulator`);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
