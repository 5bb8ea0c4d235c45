/**
 * `npm start` (scripts/start.sh) decides whether to run local servers and an unauthenticated bot. It
 * runs here from a copy of the script in a temporary project whose services.sh, npm and
 * dist/src/main.js are stand-ins that only report what they were given, so the test starts no
 * database and reads no developer's .env.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
