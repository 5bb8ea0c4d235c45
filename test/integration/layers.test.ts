import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The import rules between folders (scripts/layers.cjs, run by `npm run deps` in `npm test`) only
 * protect the design while they actually catch something: these tests run the real check on a
 * throwaway tree with planted faults and expect each one reported, and hold the rules themselves to
 * having no circle.
 */
const root = path.resolve(__dirname, '../..');
const config = path.join(root, '.dependency-cruiser.cjs');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Layer {
  path: string;
  may: string[];
}
const { LAYERS } = createRequire(__filename)(path.join(root, 'scripts/layers.cjs')) as { LAYERS: Record<string, Layer> };

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** `npm run deps` as the package script runs it: its exit status and what it printed. */
function check(cwd: string): { status: number | null; stdout: string } {
  const res = spawnSync(process.execPath, [depcruise, 'src', 'dialogs', 'cards', '--config', config], { cwd, encoding: 'utf8' });
  return { status: res.status, stdout: res.stdout };
}

/** The same check's findings, one by one. */
function violationsIn(cwd: string): Violation[] {
  const res = spawnSync(process.execPath, [depcruise, 'src', 'dialogs', 'cards', '--config', config, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
  });
  if (!res.stdout) throw new Error(`depcruise printed nothing (exit ${res.status}): ${res.stderr}`);
  return (JSON.parse(res.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('the real tree', () => {
  test('keeps every folder rule and has no file cycle', () => {
    expect(violationsIn(root).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 60_000);

  test('every folder and root file of src, dialogs and cards has a layer', () => {
    const files = [
      ...readdirSync(path.join(root, 'src'), { withFileTypes: true }).map((e) => (e.isDirectory() ? `src/${e.name}/x.ts` : `src/${e.name}`)),
      'dialogs/x.ts',
      'cards/x.ts',
    ].filter((f) => f.endsWith('.ts'));
    const unplaced = files.filter((f) => !Object.values(LAYERS).some((l) => new RegExp(l.path).test(f)));
    expect(unplaced).toEqual([]);
  });
});

test('the allowed imports between layers have no circle, so folders cannot import each other in one', () => {
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`layers may import each other in a circle: ${[...trail, name].join(' -> ')}`);
    visiting.add(name);
    for (const m of LAYERS[name]!.may) if (m !== '*') visit(m, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(LAYERS)) visit(name, []);
  for (const layer of Object.values(LAYERS)) for (const m of layer.may) expect(m === '*' || m in LAYERS).toBe(true);
  // Nothing but the composition root imports the bot.
  expect(Object.entries(LAYERS).filter(([, l]) => l.may.includes('bot')).map(([n]) => n)).toEqual([]);
});

describe('planted faults', () => {
  let dir: string;
  let violations: Violation[];
  let checked: { status: number | null; stdout: string };
  const plant: Record<string, string> = {
    // A folder cycle made of files that are not themselves in a cycle: app -> bot and bot -> app.
    'src/app/usesBot.ts': "import { handler } from '../bot/handler';\nexport const a = handler;\n",
    'src/bot/handler.ts': "export const handler = 1;\n",
    'src/bot/usesApp.ts': "import { useCase } from '../app/useCase';\nexport const b = useCase;\n",
    'src/app/useCase.ts': "export const useCase = 2;\n",
    // A file cycle inside one folder, at run time.
    'src/domain/cycleA.ts': "import { b } from './cycleB';\nexport const a = () => b;\n",
    'src/domain/cycleB.ts': "import { a } from './cycleA';\nexport const b = () => a;\n",
    // A circle closed only by a type import is allowed (gone once compiled).
    'src/domain/typeA.ts': "import type { B } from './typeB';\nexport interface A { b?: B }\nexport const A_DEFAULT = 1;\n",
    'src/domain/typeB.ts': "import { A_DEFAULT, type A } from './typeA';\nexport interface B { a?: A }\nexport const b = A_DEFAULT;\n",
    // The domain reaching into the store (a type import counts).
    'src/domain/usesStore.ts': "import type { Row } from '../store/repo';\nexport type R = Row;\n",
    'src/store/repo.ts': "export interface Row { id: string }\n",
    // The dialogs importing the bot that builds them.
    'dialogs/usesTurn.ts': "import { handler } from '../src/bot/handler';\nexport const d = handler;\n",
    // An adapter importing another adapter: they meet only at the composition root.
    'src/reminders/usesTeams.ts': "import { send } from '../teams/sender';\nexport const r = send;\n",
    'src/teams/sender.ts': "export const send = 3;\n",
    // The shared module importing a layer.
    'src/shared/usesDomain.ts': "import { b } from '../domain/typeB';\nexport const s = b;\n",
    // A new folder nobody gave a layer.
    'src/newFeature/thing.ts': "import { b } from '../domain/typeB';\nexport const n = b;\n",
    'src/server.ts': "import { n } from './newFeature/thing';\nexport const srv = n;\n",
    // Allowed: the bot uses dialogs and app, the outbox uses the store, the composition root anything.
    'src/bot/fine.ts': "import { d } from '../../dialogs/fine';\nimport { useCase } from '../app/useCase';\nexport const ok = [d, useCase];\n",
    'dialogs/fine.ts': "import { useCase } from '../src/app/useCase';\nexport const d = useCase;\n",
    'cards/fine.ts': "import { b } from '../src/domain/typeB';\nexport const c = b;\n",
    'src/outbox/fine.ts': "import type { Row } from '../store/repo';\nexport type O = Row;\n",
    'src/main.ts': "import { ok } from './bot/fine';\nimport { send } from './teams/sender';\nexport const m = [ok, send];\n",
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'layers-'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
    for (const [file, code] of Object.entries(plant)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), code);
    }
    violations = violationsIn(dir);
    checked = check(dir);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const found = (rule: string, from: string, to: string) =>
    violations.some((v) => v.rule.name === rule && v.from === from && v.to === to);

  test('npm run deps fails and names the broken rule', () => {
    expect(checked.status).not.toBe(0);
    expect(checked.stdout).toContain('layer-app: src/app/usesBot.ts');
  });

  test.each([
    ['a folder cycle: app imports bot', 'layer-app', 'src/app/usesBot.ts', 'src/bot/handler.ts'],
    ['a runtime file cycle in one folder', 'no-circular', 'src/domain/cycleA.ts', 'src/domain/cycleB.ts'],
    ['the domain imports the store (type only)', 'layer-domain', 'src/domain/usesStore.ts', 'src/store/repo.ts'],
    ['the dialogs import the bot', 'layer-dialogs', 'dialogs/usesTurn.ts', 'src/bot/handler.ts'],
    ['an adapter imports another adapter', 'layer-reminders', 'src/reminders/usesTeams.ts', 'src/teams/sender.ts'],
    ['the shared module imports the domain', 'layer-shared', 'src/shared/usesDomain.ts', 'src/domain/typeB.ts'],
    ['a folder without a layer', 'not-in-a-layer', 'src/newFeature/thing.ts', 'src/domain/typeB.ts'],
    ['an import of a folder without a layer', 'not-into-a-layer', 'src/server.ts', 'src/newFeature/thing.ts'],
  ])('reports %s', (_name, rule, from, to) => {
    expect(found(rule, from, to)).toBe(true);
  });

  test('reports nothing about allowed imports or a circle closed by a type import', () => {
    const allowed = ['src/bot/fine.ts', 'dialogs/fine.ts', 'cards/fine.ts', 'src/outbox/fine.ts', 'src/main.ts', 'src/domain/typeA.ts', 'src/domain/typeB.ts', 'src/bot/usesApp.ts'];
    expect(violations.filter((v) => allowed.includes(v.from))).toEqual([]);
  });
});
