import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, loadConfig } from '../../src/config';

/**
 * The deployment files and src/config.ts must not drift apart: whatever the config schema requires
 * (in production mode) must be set by the Bicep apps and by the compose stack, and every variable
 * they set must be one the app reads. There is no Bicep compiler here, so the test reads the files.
 */
const root = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

/** Read by the platform or the Azure SDKs rather than by src/config.ts. */
const PLATFORM_VARIABLES = new Set(['NODE_ENV', 'AZURE_CLIENT_ID', 'NODE_EXTRA_CA_CERTS']);

const GUID = '3f1b5a2e-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
/** A value of the right shape for each variable whose real value is only known at deployment. */
function sampleFor(name: string): string {
  switch (name) {
    case 'DATABASE_URL':
      return 'postgres://rjadmin:secret@rjref-pg.postgres.database.azure.com:5432/rj?sslmode=require';
    case 'REDIS_URL':
      return 'rediss://:secret@rjref-redis.uksouth.redis.azure.net:10000';
    case 'PARTNER_TENANTS':
      return '22222222-2222-4222-8222-222222222222=Metropolitan Police';
    case 'MicrosoftAppPassword':
      return 'secret';
    case 'DATA_KEYS':
      return `k2027-01:${Buffer.alloc(32, 1).toString('base64')}`;
    case 'DATA_KEY_ID':
      return 'k2027-01';
    default:
      return GUID;
  }
}

interface EnvEntry {
  name: string;
  /** The literal value, or undefined when it is an expression, a parameter or a secret reference. */
  literal?: string;
}

function bicepEnv(text: string, block: RegExp): EnvEntry[] {
  const body = block.exec(text)?.[1];
  if (!body) throw new Error(`no block matching ${block} in the Bicep file`);
  return [...body.matchAll(/\{\s*name:\s*'([^']+)'\s*,\s*(value|secretRef):\s*([^}]+?)\s*\}/g)].map((m) => {
    const quoted = /^'([^']*)'$/.exec(m[3]!.trim());
    return { name: m[1]!, literal: m[2] === 'value' && quoted ? quoted[1] : undefined };
  });
}

function toEnv(entries: EnvEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.literal ?? sampleFor(e.name)]));
}

const known = new Set([...Object.keys(configSchema.shape), ...PLATFORM_VARIABLES]);

describe('deploy/azure', () => {
  const apps = read('deploy/azure/modules/containerapps.bicep');
  const common = bicepEnv(apps, /var appEnv = \[([\s\S]*?)\n\]/);
  const extra = /env: concat\(appEnv, \[([^\]]*)\]\)/;
  const web = [...common, ...bicepEnv(apps.slice(apps.indexOf('resource web '), apps.indexOf('resource worker ')), extra)];
  const worker = [...common, ...bicepEnv(apps.slice(apps.indexOf('resource worker ')), extra)];

  test.each([
    ['web', web],
    ['worker', worker],
  ])('the %s app sets every variable the config requires in production, and only variables the app reads', (_name, entries) => {
    expect(entries.map((e) => e.name).filter((n) => !known.has(n))).toEqual([]);
    const env = toEnv(entries);
    expect(env.NODE_ENV).toBe('production');
    expect(() => loadConfig(env)).not.toThrow();
  });

  test('web and worker are the two halves: WEB_ONLY and WORKER_ONLY', () => {
    expect(toEnv(web).WEB_ONLY).toBe('1');
    expect(toEnv(worker).WORKER_ONLY).toBe('1');
    expect(loadConfig(toEnv(worker)).WORKER_ONLY).toBe(true);
  });

  test('the bot has no password anywhere: it runs as the user-assigned managed identity', () => {
    const env = toEnv(web);
    expect(env.MicrosoftAppType).toBe('UserAssignedMSI');
    expect(env.MicrosoftAppPassword).toBeUndefined();
    for (const file of ['main.bicep', 'modules/bot.bicep', 'modules/containerapps.bicep']) {
      expect(read(`deploy/azure/${file}`)).not.toMatch(/MicrosoftAppPassword|msaAppPassword/);
    }
  });

  test('Redis never evicts and persists; PostgreSQL requires TLS and keeps 35 days of backups', () => {
    const redis = read('deploy/azure/modules/redis.bicep');
    expect(redis).toMatch(/evictionPolicy:\s*'NoEviction'/);
    expect(redis).toMatch(/aofEnabled:\s*true/);
    const pg = read('deploy/azure/modules/postgres.bicep');
    expect(pg).toMatch(/backupRetentionDays:\s*35/);
    expect(pg).toMatch(/name:\s*'require_secure_transport'[\s\S]*?value:\s*'on'/);
    expect(read('deploy/azure/main.bicep')).toMatch(/param location string = 'uksouth'/);
  });
});

describe('deploy/compose.yaml', () => {
  type Service = { environment?: Record<string, string> };
  const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service> };
  // The env file's keys, with the values a service fills in (the example leaves them empty).
  const example = Object.fromEntries(
    read('deploy/env.production.example')
      .split('\n')
      .map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.trim()))
      .flatMap((m) => (m ? [[m[1]!, m[2] || sampleFor(m[1]!)] as [string, string]] : [])),
  );

  test.each(['web-1', 'web-2', 'worker'])('%s gets every variable the config requires in production', (name) => {
    const service = compose.services[name]!;
    // compose interpolates ${...} from the env file; the shape of the URL is what matters here.
    const env = { ...example, ...service.environment };
    for (const [k, v] of Object.entries(env)) if (v.includes('${')) env[k] = sampleFor(k);
    const stackOnly = new Set(['POSTGRES_PASSWORD', 'REDIS_PASSWORD']);
    expect(Object.keys(env).filter((n) => !known.has(n) && !stackOnly.has(n))).toEqual([]);
    expect(env.NODE_ENV).toBe('production');
    expect(() => loadConfig(env)).not.toThrow();
  });

  test('the apps reach PostgreSQL and Redis over TLS, checking the stack\'s own CA', () => {
    const env = compose.services['web-1']!.environment!;
    expect(env.DATABASE_URL).toMatch(/\?sslmode=verify-full&sslrootcert=\/tls\/ca\.crt$/);
    expect(env.REDIS_URL).toMatch(/^rediss:\/\//);
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/tls/ca.crt');
  });
});
