/**
 * Data governance commands, run beside the service (no downtime):
 *
 *   npm run data -- rotate-keys   re-wrap every data key (and re-seal bot state) under DATA_KEY_ID
 *   npm run data -- key-status    how many keys each master key id still wraps
 *   npm run data -- export RJ-2026-0001 harmed-person --by <coordinator's Entra object id> [--out DIR]
 *                                 subject access: everything held about one participant, as JSON
 *                                 and a readable HTML page in DIR (default .data/exports), recorded
 *                                 in the case's access audit as an export by that coordinator
 *
 * In a container: `node dist/scripts/data.js rotate-keys`. Reads DATABASE_URL, DATA_KEYS and
 * DATA_KEY_ID from the environment (then .env; outside production, the local key npm start made in
 * .data/data-keys.env). Rotating: add the new kid to DATA_KEYS and make it DATA_KEY_ID in every
 * process (a rolling restart: old and new processes both read both kids), run rotate-keys, then,
 * once key-status shows only the new kid, remove the old one from DATA_KEYS.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Pool } from 'pg';
import path from 'node:path';
import { z } from 'zod';
import { dataKeyId, dataKeys } from '../src/config';
import { createPool } from '../src/store/db';
import { MasterKeys } from '../src/store/crypto/envelope';
import { keysByKid, rotateDataKeys, RotationBusyError } from '../src/store/crypto/rotate';
import { EnvelopeCipher } from '../src/store/crypto/fieldCipher';
import { CaseRepository } from '../src/store/caseRepository';
import { ProgressRepository } from '../src/store/progressRepository';
import { AuditRepository } from '../src/store/auditRepository';
import { RosterRepository } from '../src/store/rosterRepository';
import { StaffRoles } from '../src/app/roles';
import { subjectAccessExport, subjectAccessHtml, SubjectAccessError } from '../src/app/subjectAccess';

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

/** KEY=value lines of a file (quotes removed), or nothing when it does not exist. */
function envFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

const schema = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    DATA_KEYS: dataKeys,
    DATA_KEY_ID: dataKeyId,
  })
  .superRefine((c, ctx) => {
    if (c.DATA_KEYS.size === 0) ctx.addIssue({ code: 'custom', path: ['DATA_KEYS'], message: 'is required (kid:base64 pairs)' });
    else if (!c.DATA_KEYS.has(c.DATA_KEY_ID)) ctx.addIssue({ code: 'custom', path: ['DATA_KEY_ID'], message: `must be one of the kids of DATA_KEYS (${[...c.DATA_KEYS.keys()].join(', ')})` });
  });

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command !== 'rotate-keys' && command !== 'key-status' && command !== 'export') {
    console.error('usage: npm run data -- rotate-keys | key-status | export RJ-2026-0001 harmed-person --by <coordinator aad id> [--out DIR]');
    return 2;
  }
  const root = findRepoRoot(__dirname);
  const fromFiles = { ...(process.env.NODE_ENV === 'production' ? {} : envFile(path.join(root, '.data', 'data-keys.env'))), ...envFile(path.join(root, '.env')) };
  const parsed = schema.safeParse({ ...fromFiles, ...Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')) });
  if (!parsed.success) {
    console.error(`data: fix these environment variables:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    return 1;
  }
  const master = new MasterKeys(parsed.data.DATA_KEYS, parsed.data.DATA_KEY_ID);
  const pool = createPool(parsed.data.DATABASE_URL, { applicationName: 'rj-referrals-data', max: 2 });
  try {
    if (command === 'export') return await exportSubject(pool, master, argv.slice(1), root);
    if (command === 'key-status') {
      console.log(JSON.stringify({ current: master.currentKid, byKid: await keysByKid(pool) }));
      return 0;
    }
    const missing = Object.keys(await keysByKid(pool)).filter((kid) => !master.has(kid));
    if (missing.length > 0) {
      console.error(`data: keys are wrapped under ${missing.join(', ')}, which DATA_KEYS does not hold: add them back to DATA_KEYS to rotate away from them`);
      return 1;
    }
    const started = Date.now();
    const stats = await rotateDataKeys(pool, master, {
      onBatch: (s) => console.log(`data: ${s.rewrapped} data keys and ${s.documents} documents re-wrapped under "${master.currentKid}" so far`),
    });
    console.log(JSON.stringify({ current: master.currentKid, ...stats, byKid: await keysByKid(pool), ms: Date.now() - started }));
    return 0;
  } catch (err) {
    if (err instanceof RotationBusyError) {
      console.error(`data: ${err.message}`);
      return 3;
    }
    throw err;
  } finally {
    await pool.end();
  }
}

const exportArgs = z.object({
  reference: z.string().regex(/^RJ-\d{4}-\d{4,}$/i, 'the case reference, e.g. RJ-2026-0001'),
  party: z.enum(['harmed-person', 'offender', 'person-who-caused-the-harm'], { error: () => 'whose data: harmed-person or person-who-caused-the-harm' }),
  by: z.string().regex(/^[0-9a-f-]{36}$/i, '--by: the Entra object id of the coordinator who asked for the export'),
  out: z.string().min(1).optional(),
});

/** Subject access (issue 10, item 8): the export is recorded in the case's audit as the coordinator's. */
async function exportSubject(pool: Pool, master: MasterKeys, args: string[], root: string): Promise<number> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const parsed = exportArgs.safeParse({ reference: args[0], party: args[1], by: flag('--by'), out: flag('--out') });
  if (!parsed.success) {
    console.error(`data export: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return 2;
  }
  const { reference, party, by } = parsed.data;
  const cipher = new EnvelopeCipher(master);
  const rosterRepo = new RosterRepository(pool);
  const who = await new StaffRoles(rosterRepo).of({ aadObjectId: by.toLowerCase(), tenantId: process.env.STAFF_TENANT_ID ?? '', staffTenant: true });
  try {
    const x = await subjectAccessExport(
      { cases: new CaseRepository(pool, { cipher }), progress: new ProgressRepository(pool, cipher), audit: new AuditRepository(pool), clock: () => new Date() },
      who,
      reference,
      party === 'harmed-person' ? 'harmed_person' : 'offender',
    );
    const dir = path.resolve(parsed.data.out ?? path.join(root, '.data', 'exports'));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = path.join(dir, `${x.reference}-${party}-${x.generatedAt.replace(/[:.]/g, '-')}`);
    // Personal data: readable by the operator only.
    writeFileSync(`${base}.json`, `${JSON.stringify(x, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(`${base}.html`, subjectAccessHtml(x), { mode: 0o600 });
    console.log(JSON.stringify({ json: `${base}.json`, html: `${base}.html` }));
    return 0;
  } catch (err) {
    if (err instanceof SubjectAccessError) {
      console.error(`data export: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`data: failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
