import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  APP_PACKAGE_DIR,
  buildZip,
  checkIcons,
  checkOutlineIcon,
  deriveTeamsAppId,
  mergeEnv,
  parseDotEnv,
  readPngSize,
  readZip,
  runPackaging,
  substitute,
  validate,
} from '../../scripts/package';
import { encodePng } from '../../scripts/makeIcons';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'scripts', 'package.ts');
const APP_ID = '0b6f1c3e-9d2a-4e57-8a41-3f2c7d9e1a55';
const SETTINGS = ['MicrosoftAppId', 'TEAMS_APP_ID', 'APP_VERSION', 'WEBSITE_URL', 'PRIVACY_URL', 'TERMS_URL', 'TAB_HOST', 'APP_PACKAGE_OUT'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'rj-apppkg-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the real CLI with only the given settings, so a developer's own env or .env cannot leak in. */
function runCli(settings: Record<string, string>, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SETTINGS) delete env[k];
  const tsxCli = require.resolve('tsx/cli');
  return spawnSync(process.execPath, [tsxCli, script, ...args], {
    cwd: tmp,
    env: { ...env, ...settings },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

async function validManifest(): Promise<Record<string, unknown>> {
  const { manifest } = await runPackaging({ values: { MicrosoftAppId: APP_ID }, outFile: path.join(tmp, 'base.zip') });
  return JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
}

describe('Teams app package', () => {
  it('builds a standard zip with a valid manifest and the icons at its root', async () => {
    const outFile = path.join(tmp, 'out', 'appPackage.zip');
    const result = await runPackaging({
      values: { MicrosoftAppId: APP_ID, APP_VERSION: '2.4.1', PRIVACY_URL: 'https://rj.example.org/privacy' },
      outFile,
    });
    expect(result.outFile).toBe(outFile);

    const entries = readZip(readFileSync(outFile));
    expect(entries.map((e) => e.name).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const byName = new Map(entries.map((e) => [e.name, e.data]));

    const manifest = JSON.parse((byName.get('manifest.json') ?? Buffer.alloc(0)).toString('utf8')) as {
      id: string;
      version: string;
      developer: { privacyUrl: string; termsOfUseUrl: string };
      bots: { botId: string; scopes: string[]; commandLists: { commands: { title: string }[] }[] }[];
    };
    expect(validate(manifest)).toEqual([]);
    expect(manifest.version).toBe('2.4.1');
    expect(manifest.id).toBe(deriveTeamsAppId(APP_ID));
    expect(manifest.developer.privacyUrl).toBe('https://rj.example.org/privacy');
    expect(manifest.developer.termsOfUseUrl).toMatch(/^https:\/\//);
    const bot = manifest.bots[0];
    expect(bot?.botId).toBe(APP_ID);
    expect(bot?.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    for (const list of bot?.commandLists ?? []) {
      // The lists themselves are checked against the command registry in commandLists.test.ts.
      expect(list.commands[0]?.title).toBe('help');
      expect(list.commands.length).toBeLessThanOrEqual(10);
    }
    expect(JSON.stringify(manifest)).not.toContain('${{');

    expect(readPngSize(byName.get('color.png') ?? Buffer.alloc(0))).toEqual({ width: 192, height: 192 });
    expect(readPngSize(byName.get('outline.png') ?? Buffer.alloc(0))).toEqual({ width: 32, height: 32 });
    expect(checkIcons(byName.get('color.png') ?? Buffer.alloc(0), byName.get('outline.png') ?? Buffer.alloc(0))).toEqual([]);

    // An independent reader agrees the zip is standard, when one is installed.
    const unzip = spawnSync('unzip', ['-tq', outFile], { encoding: 'utf8' });
    if (!unzip.error) expect(unzip.status).toBe(0);
  });

  it('declares the dashboard tab: a personal static tab, a channel tab, SSO for api://<host>/<app id> and the host as a valid domain', async () => {
    const { manifest, warnings } = await runPackaging({ values: { MicrosoftAppId: APP_ID, TAB_HOST: 'rj.example.org' }, outFile: path.join(tmp, 'tab.zip') });
    expect(validate(manifest)).toEqual([]);
    expect(warnings.join(' ')).not.toContain('TAB_HOST');
    const m = manifest as unknown as {
      staticTabs: { contentUrl: string; scopes: string[] }[];
      configurableTabs: { configurationUrl: string; scopes: string[] }[];
      webApplicationInfo: { id: string; resource: string };
      validDomains: string[];
    };
    expect(m.staticTabs[0]).toMatchObject({ contentUrl: 'https://rj.example.org/tab', scopes: ['personal'] });
    expect(m.configurableTabs[0]).toMatchObject({ configurationUrl: 'https://rj.example.org/tab/config.html', scopes: ['team'] });
    expect(m.webApplicationInfo).toEqual({ id: APP_ID, resource: `api://rj.example.org/${APP_ID}` });
    expect(m.validDomains).toEqual(['rj.example.org']);
    await expect(runPackaging({ values: { MicrosoftAppId: APP_ID, TAB_HOST: 'https://rj.example.org/' }, outFile: path.join(tmp, 'bad.zip') })).rejects.toThrow(/TAB_HOST must be a host name/);
    const unset = await runPackaging({ values: { MicrosoftAppId: APP_ID }, outFile: path.join(tmp, 'unset.zip') });
    expect(unset.warnings.join(' ')).toContain('TAB_HOST is not set');
  });

  it('is reproducible and derives a stable Teams app id unless TEAMS_APP_ID is given', async () => {
    const a = path.join(tmp, 'a.zip');
    const b = path.join(tmp, 'b.zip');
    await runPackaging({ values: { MicrosoftAppId: APP_ID }, outFile: a });
    await runPackaging({ values: { MicrosoftAppId: APP_ID.toUpperCase() }, outFile: b });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(deriveTeamsAppId(APP_ID)).not.toBe(APP_ID);

    const explicit = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const { manifest } = await runPackaging({
      values: { MicrosoftAppId: APP_ID, TEAMS_APP_ID: explicit },
      outFile: path.join(tmp, 'c.zip'),
    });
    expect(manifest['id']).toBe(explicit);
  });

  it('rejects a manifest without bots[0].botId with a schema error', async () => {
    const manifest = await validManifest();
    const bots = manifest['bots'] as Record<string, unknown>[];
    delete bots[0]?.['botId'];
    const problems = validate(manifest);
    expect(problems.join('\n')).toMatch(/\/bots\/0 must have required property 'botId'/);
  });

  it('refuses to package a template that breaks the schema, listing the problem', async () => {
    const src = path.join(tmp, 'bad-template');
    mkdirSync(src, { recursive: true });
    for (const f of ['color.png', 'outline.png']) copyFileSync(path.join(APP_PACKAGE_DIR, f), path.join(src, f));
    const template = JSON.parse(readFileSync(path.join(APP_PACKAGE_DIR, 'manifest.template.json'), 'utf8')) as {
      bots: Record<string, unknown>[];
    };
    delete template.bots[0]?.['botId'];
    writeFileSync(path.join(src, 'manifest.template.json'), JSON.stringify(template));
    const outFile = path.join(tmp, 'bad.zip');
    await expect(runPackaging({ values: { MicrosoftAppId: APP_ID }, sourceDir: src, outFile })).rejects.toThrow(
      /does not match the Teams app manifest schema v1\.30:\n.*\/bots\/0 must have required property 'botId'/,
    );
  });

  it('rejects a bad app version, id and accent colour', async () => {
    const manifest = await validManifest();
    manifest['version'] = '1.0';
    manifest['id'] = 'not-a-guid';
    manifest['accentColor'] = 'teal';
    const problems = validate(manifest).join('\n');
    expect(problems).toMatch(/\/version "1\.0" must be MAJOR\.MINOR\.PATCH/);
    expect(problems).toMatch(/\/id must match pattern/);
    expect(problems).toMatch(/\/accentColor must match pattern/);
  });

  it('names a manifestVersion it has no bundled schema for', async () => {
    const manifest = await validManifest();
    manifest['manifestVersion'] = '9.99';
    expect(() => validate(manifest)).toThrow(/manifestVersion "9\.99" has no schema bundled/);
  });

  it('fails naming MicrosoftAppId when it is missing or not a GUID', async () => {
    await expect(runPackaging({ values: {}, outFile: path.join(tmp, 'x.zip') })).rejects.toThrow(/MicrosoftAppId is missing/);
    await expect(runPackaging({ values: { MicrosoftAppId: 'my-bot' }, outFile: path.join(tmp, 'x.zip') })).rejects.toThrow(
      /MicrosoftAppId must be a GUID/,
    );
    await expect(
      runPackaging({ values: { MicrosoftAppId: APP_ID, APP_VERSION: '1.0.0-beta' }, outFile: path.join(tmp, 'x.zip') }),
    ).rejects.toThrow(/APP_VERSION must be MAJOR\.MINOR\.PATCH/);
  });

  it('CLI: exits non-zero naming MicrosoftAppId when it is unset', () => {
    const envFile = path.join(tmp, 'empty.env');
    writeFileSync(envFile, '# nothing here\nMicrosoftAppId=\n');
    const res = runCli({}, ['--env-file', envFile, '--out', path.join(tmp, 'cli-fail.zip')]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('MicrosoftAppId is missing');
  });

  it('CLI: reads .env, lets the environment win, and writes to APP_PACKAGE_OUT', () => {
    const envFile = path.join(tmp, 'test.env');
    writeFileSync(
      envFile,
      [
        '# values a developer keeps locally',
        'MicrosoftAppId=ffffffff-ffff-4fff-8fff-ffffffffffff',
        'export APP_VERSION="3.2.1"',
        "WEBSITE_URL='https://rj.example.org'",
      ].join('\n'),
    );
    const outFile = path.join(tmp, 'cli', 'appPackage.zip');
    const res = runCli({ MicrosoftAppId: APP_ID, APP_PACKAGE_OUT: outFile }, ['--env-file', envFile]);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.status).toBe(0);
    const manifestEntry = readZip(readFileSync(outFile)).find((e) => e.name === 'manifest.json');
    const manifest = JSON.parse(manifestEntry?.data.toString('utf8') ?? '{}') as {
      version: string;
      bots: { botId: string }[];
      developer: { privacyUrl: string };
    };
    expect(manifest.bots[0]?.botId).toBe(APP_ID);
    expect(manifest.version).toBe('3.2.1');
    expect(manifest.developer.privacyUrl).toBe('https://rj.example.org/privacy');
  });
});

describe('packaging helpers', () => {
  it('substitute names every placeholder without a value and escapes values for JSON', () => {
    expect(() => substitute('{"a":"${{ONE}}","b":"${{TWO}}","c":"${{ONE}}"}', {})).toThrow(/\$\{\{ONE\}\}, \$\{\{TWO\}\}/);
    expect(() => substitute('{"a":"${{1bad}}"}', {})).toThrow(/malformed placeholder/);
    const out = substitute('{"a":"${{X}}"}', { X: 'say "hi" \\ bye' });
    expect(JSON.parse(out)).toEqual({ a: 'say "hi" \\ bye' });
  });

  it('parseDotEnv and mergeEnv: comments, quotes, export, empty values, environment wins', () => {
    const parsed = parseDotEnv('# c\nA=1 # note\nexport B="two words"\nC=\'x#y\'\nD=\n  E = spaced \n');
    expect(parsed).toEqual({ A: '1', B: 'two words', C: 'x#y', D: '', E: 'spaced' });
    expect(mergeEnv(parsed, { A: 'env', D: '', E: undefined })).toEqual({ A: 'env', B: 'two words', C: 'x#y', E: 'spaced' });
  });

  it('buildZip round-trips through readZip', () => {
    const data = Buffer.from('hello '.repeat(1000));
    const [entry] = readZip(buildZip([{ name: 'a.txt', data }]));
    expect(entry?.name).toBe('a.txt');
    expect(entry?.data.equals(data)).toBe(true);
  });

  it('the outline check rejects coloured pixels, an opaque background and the wrong size', () => {
    const px = (rgba: [number, number, number, number], n: number) => Buffer.concat(Array.from({ length: n }, () => Buffer.from(rgba)));
    const withRed = Buffer.concat([px([255, 255, 255, 255], 1), px([255, 0, 0, 255], 1), px([0, 0, 0, 0], 32 * 32 - 2)]);
    expect(checkOutlineIcon(encodePng(32, 32, withRed)).join()).toMatch(/pixel \(1, 0\) is rgba\(255, 0, 0, 255\)/);
    expect(checkOutlineIcon(encodePng(32, 32, px([255, 255, 255, 255], 32 * 32))).join()).toMatch(/no transparent pixels/);
    const color = readFileSync(path.join(APP_PACKAGE_DIR, 'color.png'));
    const big = encodePng(64, 64, Buffer.concat([px([255, 255, 255, 255], 1), px([0, 0, 0, 0], 64 * 64 - 1)]));
    expect(checkIcons(color, big).join()).toMatch(/outline\.png must be 32×32 pixels, but is 64×64/);
  });
});
