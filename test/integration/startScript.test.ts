/**
 * `npm start` (scripts/start.sh) decides whether to run local servers and an unauthenticated bot. It
 * runs here from a copy of the script in a temporary project whose services.sh, npm and
 * dist/src/main.js are stand-ins that only report what they were given, so the test starts no
 * database and reads no developer's .env.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let project: string;

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'rj-start-'));
  mkdirSync(path.join(project, 'scripts'));
  mkdirSync(path.join(project, 'bin'));
  mkdirSync(path.join(project, 'dist/src'), { recursive: true });
  copyFileSync(path.resolve(__dirname, '../../scripts/start.sh'), path.join(project, 'scripts/start.sh'));
  writeFileSync(
    path.join(project, 'scripts/services.sh'),
    ['#!/usr/bin/env bash', 'case "$1" in', '  start) echo "SERVICES STARTED" ;;', '  env) echo "export DATABASE_URL=postgres://local/rj"; echo "export REDIS_URL=redis://local:1" ;;', 'esac', ''].join('\n'),
  );
  writeFileSync(path.join(project, 'bin/npm'), '#!/usr/bin/env bash\nexit 0\n');
  chmodSync(path.join(project, 'bin/npm'), 0o755);
  writeFileSync(
    path.join(project, 'dist/src/main.js'),
    "for (const k of ['DATABASE_URL', 'REDIS_URL', 'ALLOW_UNAUTHENTICATED', 'HOST', 'STAFF_TENANT_ID']) console.log(`BOT ${k}=${process.env[k] ?? ''}`);\n",
  );
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

function start(env: Record<string, string>): { code: number | null; out: string; err: string } {
  const res = spawnSync('bash', [path.join(project, 'scripts/start.sh')], {
    env: { PATH: `${path.join(project, 'bin')}:${process.env.PATH ?? ''}`, ...env },
    encoding: 'utf8',
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

const URLS = { DATABASE_URL: 'postgres://db.example/rj', REDIS_URL: 'redis://cache.example:6379' };
const TENANT = { STAFF_TENANT_ID: '11111111-1111-4111-8111-111111111111' };

test('the local path (neither URL) starts local services and lets the bot run unauthenticated on 127.0.0.1 only', () => {
  const r = start({});
  expect(r.code).toBe(0);
  expect(r.out).toContain('SERVICES STARTED');
  expect(r.out).toContain('BOT ALLOW_UNAUTHENTICATED=1');
  expect(r.out).toContain('BOT HOST=127.0.0.1');
  expect(r.out).toContain('BOT DATABASE_URL=postgres://local/rj');
});

test('given both URLs it starts nothing and sets neither ALLOW_UNAUTHENTICATED nor HOST', () => {
  const r = start({ ...URLS, ...TENANT });
  expect(r.code).toBe(0);
  expect(r.out).not.toContain('SERVICES STARTED');
  expect(r.out).toContain('BOT ALLOW_UNAUTHENTICATED=\n');
  expect(r.out).toContain('BOT HOST=\n');
});

test.each([
  [{ DATABASE_URL: URLS.DATABASE_URL }, 'DATABASE_URL is set but REDIS_URL is not'],
  [{ REDIS_URL: URLS.REDIS_URL }, 'REDIS_URL is set but DATABASE_URL is not'],
])('one URL without the other stops with a message instead of starting local servers (%o)', (env, message) => {
  const r = start(env);
  expect(r.code).toBe(1);
  expect(r.err).toContain(message);
  expect(r.out).not.toContain('SERVICES STARTED');
  expect(r.out).not.toContain('BOT ');
});

test('with NODE_ENV=production it never starts local services', () => {
  const r = start({ NODE_ENV: 'production' });
  expect(r.code).toBe(1);
  expect(r.err).toContain('NODE_ENV=production: set DATABASE_URL and REDIS_URL');
  expect(r.out).not.toContain('SERVICES STARTED');
});

test('with NODE_ENV=production it never uses the placeholder staff tenant', () => {
  const r = start({ NODE_ENV: 'production', ...URLS });
  expect(r.code).toBe(1);
  expect(r.err).toContain('NODE_ENV=production: set STAFF_TENANT_ID');
  expect(r.out).not.toContain('BOT ');
});

describe('the data encryption key', () => {
  const keyFile = () => path.join(project, '.data', 'data-keys.env');
  const report = "for (const k of ['DATA_KEYS', 'DATA_KEY_ID']) console.log(`BOT ${k}=${process.env[k] ?? ''}`);\n";

  beforeEach(() => {
    rmSync(path.join(project, '.data'), { recursive: true, force: true });
    writeFileSync(path.join(project, 'dist/src/main.js'), report);
  });

  test('outside production a missing key is made once in .data/data-keys.env (mode 600) and reused', () => {
    const first = start({ ...URLS, ...TENANT });
    expect(first.code).toBe(0);
    const kid = /BOT DATA_KEY_ID=(local-\d{8})\n/.exec(first.out)?.[1];
    expect(kid).toBeDefined();
    const keys = new RegExp(`BOT DATA_KEYS=(${kid}:[A-Za-z0-9+/]{43}=)\\n`).exec(first.out)?.[1];
    expect(keys).toBeDefined();
    expect(Buffer.from(keys!.split(':')[1]!, 'base64')).toHaveLength(32);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    const again = start({ ...URLS, ...TENANT });
    expect(again.out).toContain(`BOT DATA_KEYS=${keys}\n`);
    expect(again.out).not.toContain('made a local data encryption key');
  });

  test('given DATA_KEYS and DATA_KEY_ID it makes nothing and passes them on', () => {
    const r = start({ ...URLS, ...TENANT, DATA_KEYS: 'k1:AAAA', DATA_KEY_ID: 'k1' });
    expect(r.out).toContain('BOT DATA_KEYS=k1:AAAA\n');
    expect(existsSync(keyFile())).toBe(false);
  });

  test('with NODE_ENV=production a missing key stops start-up, naming DATA_KEYS and DATA_KEY_ID', () => {
    const r = start({ ...URLS, ...TENANT, NODE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('NODE_ENV=production: set DATA_KEYS');
    expect(r.err).toContain('DATA_KEY_ID');
    expect(existsSync(keyFile())).toBe(false);
  });
});
