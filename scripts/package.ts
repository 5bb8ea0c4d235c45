/**
 * Builds the Teams app package (deploy/appPackage/build/appPackage.zip) from the manifest template,
 * the committed icons and the environment, validating everything offline so a broken package is
 * caught here rather than by the Teams admin centre upload.
 *
 *   npx tsx scripts/package.ts [--out <zip path>] [--env-file <path>]
 *
 * Values come from the environment and from `.env` in the current directory (or --env-file); the
 * environment wins. Output path: --out, else APP_PACKAGE_OUT, else deploy/appPackage/build/appPackage.zip.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { z } from 'zod';

// Found by walking up rather than '..' so the script also works when compiled into dist/scripts.
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}
const repoRoot = findRepoRoot(__dirname);
export const APP_PACKAGE_DIR = path.join(repoRoot, 'deploy', 'appPackage');
export const DEFAULT_OUT_FILE = path.join(APP_PACKAGE_DIR, 'build', 'appPackage.zip');

/** Every failure the packager reports: the message alone tells the user what to fix. */
export class PackagingError extends Error {
  override name = 'PackagingError';
}

// ---------------------------------------------------------------------------------------------
// Environment

/**
 * A deliberately small .env reader (KEY=value, optional `export `, # comments, single or double
 * quotes, \n in double quotes) so packaging needs no extra dependency.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    let value = m[2] as string;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      // An unquoted value ends at an inline comment, as in most dotenv dialects.
      value = value.replace(/\s+#.*$/, '').trim();
    }
    out[key] = value;
  }
  return out;
}

/** .env values first, then the environment over them; empty values count as unset. */
export function mergeEnv(
  dotenv: Record<string, string>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of [dotenv, env]) {
    for (const [k, v] of Object.entries(source)) {
      if (v !== undefined && v.trim() !== '') merged[k] = v.trim();
    }
  }
  return merged;
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Teams accepts only MAJOR.MINOR.PATCH app versions (no pre-release tags), and an update must raise it.
const APP_VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const DEFAULT_WEBSITE_URL = 'https://example.org/rj-referrals';
const DEFAULT_TAB_HOST = 'rj-referrals.example.org';

function missingOr(missing: string, invalid: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? missing : invalid);
}

const httpsUrl = (name: string) =>
  z
    .string()
    .max(2048)
    .regex(/^https:\/\/[^\s/]+\.[^\s]+$/, `${name} must be an https:// URL (Teams rejects http and bare hosts)`)
    .optional();

const envSchema = z.object({
  MicrosoftAppId: z.string({ error: missingOr(
    'MicrosoftAppId is missing: set it (in the environment or .env) to the bot\'s Microsoft App ID, the GUID of its Azure Bot / Entra app registration',
    'MicrosoftAppId must be a string',
  ) }).regex(GUID_RE, 'MicrosoftAppId must be a GUID like 00000000-0000-0000-0000-000000000000 (the bot\'s Microsoft App ID)'),
  TEAMS_APP_ID: z
    .string()
    .regex(GUID_RE, 'TEAMS_APP_ID must be a GUID; unset it to derive a stable one from MicrosoftAppId')
    .optional(),
  APP_VERSION: z
    .string()
    .regex(APP_VERSION_RE, 'APP_VERSION must be MAJOR.MINOR.PATCH, e.g. 1.0.3 (Teams accepts no pre-release suffix)')
    .default('1.0.0'),
  WEBSITE_URL: httpsUrl('WEBSITE_URL'),
  // The host the bot (and its dashboard tab at /tab) is served from: the tab's URLs, validDomains and
  // the SSO resource api://<host>/<app id> all use it. The same value as the server's TAB_HOST.
  TAB_HOST: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'TAB_HOST must be a host name such as rj.example.org (no https://, no path, no port)')
    .optional(),
  PRIVACY_URL: httpsUrl('PRIVACY_URL'),
  TERMS_URL: httpsUrl('TERMS_URL'),
});

export interface PackageConfig {
  MicrosoftAppId: string;
  TEAMS_APP_ID: string;
  APP_VERSION: string;
  WEBSITE_URL: string;
  TAB_HOST: string;
  PRIVACY_URL: string;
  TERMS_URL: string;
}

// A fixed namespace so the derived Teams app id is the same on every machine and every build.
const TEAMS_APP_ID_NAMESPACE = '6d0f3c52-6a0e-4f4c-9a4e-52a1f1b7c0de';

/**
 * A name-based (v5) UUID of the bot id. Deriving it keeps TEAMS_APP_ID stable without one more
 * secret-looking value to manage, while still differing from the bot id (Teams would also accept
 * the same GUID, but distinct ids keep the two registrations easy to tell apart in admin tools).
 */
export function deriveTeamsAppId(microsoftAppId: string): string {
  const ns = Buffer.from(TEAMS_APP_ID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(`teams-app:${microsoftAppId.toLowerCase()}`).digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Validates the merged environment; the thrown message lists every bad or missing value. */
export function resolveConfig(values: Record<string, string>): { config: PackageConfig; warnings: string[] } {
  const parsed = envSchema.safeParse(values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.message}`);
    throw new PackagingError(`Cannot build the Teams app package; fix these settings:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  const website = e.WEBSITE_URL ?? DEFAULT_WEBSITE_URL;
  const base = website.replace(/\/+$/, '');
  if (!e.WEBSITE_URL) warnings.push(`WEBSITE_URL is not set; using the placeholder ${website}. Set it before publishing.`);
  if (!e.PRIVACY_URL) warnings.push(`PRIVACY_URL is not set; using ${base}/privacy. Set it before publishing.`);
  if (!e.TAB_HOST) warnings.push(`TAB_HOST is not set; using the placeholder ${DEFAULT_TAB_HOST}. The dashboard tab will not load until it is set to the bot's host.`);
  if (!e.TERMS_URL) warnings.push(`TERMS_URL is not set; using ${base}/terms. Set it before publishing.`);
  return {
    config: {
      MicrosoftAppId: e.MicrosoftAppId.toLowerCase(),
      TEAMS_APP_ID: (e.TEAMS_APP_ID ?? deriveTeamsAppId(e.MicrosoftAppId)).toLowerCase(),
      APP_VERSION: e.APP_VERSION,
      WEBSITE_URL: website,
      TAB_HOST: (e.TAB_HOST ?? DEFAULT_TAB_HOST).toLowerCase(),
      PRIVACY_URL: e.PRIVACY_URL ?? `${base}/privacy`,
      TERMS_URL: e.TERMS_URL ?? `${base}/terms`,
    },
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Template substitution

const PLACEHOLDER_RE = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Replaces every `${{NAME}}` in a JSON template. Values are JSON-string-escaped because every
 * placeholder sits inside a JSON string, so a quote or backslash in a value cannot break the manifest.
 */
export function substitute(template: string, values: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const out = template.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return whole;
    }
    return JSON.stringify(v).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new PackagingError(
      `The manifest template uses placeholders with no value: ${[...missing].map((n) => `\${{${n}}}`).join(', ')}. ` +
        'Set them in the environment or .env, or remove them from manifest.template.json.',
    );
  }
  const leftover = /\$\{\{[^}]*\}?\}?/.exec(out);
  if (leftover) {
    throw new PackagingError(
      `The manifest template has a malformed placeholder "${leftover[0]}"; write it as \${{NAME}} with a letter-first NAME.`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Manifest validation

interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}
interface CompiledSchema {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}
interface AjvLike {
  compile(schema: object): CompiledSchema;
}
type AjvConstructor = new (opts: { allErrors: boolean; strictTypes: boolean }) => AjvLike;
type AddFormats = (ajv: AjvLike, formats: string[]) => unknown;

const manifestPackageJson = require.resolve('@microsoft/app-manifest/package.json');

/**
 * The validator @microsoft/app-manifest itself uses (ajv-draft-04 + ajv-formats), resolved from
 * that package so we get its exact copy wherever npm puts it. We do not import
 * @microsoft/app-manifest's own entry point: it loads strip-bom, an ES module, which Jest
 * (CommonJS) cannot require on Node 20. Options mirror AppManifestUtils.validateAgainstSchema.
 */
function loadValidatorFactory(): () => AjvLike {
  const req = createRequire(manifestPackageJson);
  const ajvModule = req('ajv-draft-04') as AjvConstructor & { default?: AjvConstructor };
  const formatsModule = req('ajv-formats') as AddFormats & { default?: AddFormats };
  const Ajv = ajvModule.default ?? ajvModule;
  const addFormats = formatsModule.default ?? formatsModule;
  return () => {
    const ajv = new Ajv({ allErrors: true, strictTypes: false });
    addFormats(ajv, ['uri', 'email', 'regex']);
    return ajv;
  };
}

const compiledSchemas = new Map<string, CompiledSchema>();

function schemaFile(manifestVersion: string): string {
  return path.join(path.dirname(manifestPackageJson), 'build', 'json-schemas', 'teams', `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
}

/** Compiles the Teams schema bundled in @microsoft/app-manifest, so validation never touches the network. */
function bundledSchemaValidator(manifestVersion: string): CompiledSchema {
  const cached = compiledSchemas.get(manifestVersion);
  if (cached) return cached;
  const file = schemaFile(manifestVersion);
  if (!/^\d+\.\d+$/.test(manifestVersion) || !existsSync(file)) {
    throw new PackagingError(
      `manifestVersion "${manifestVersion}" has no schema bundled in @microsoft/app-manifest (looked for ${file}); ` +
        'use a version that package ships or upgrade it.',
    );
  }
  const schema = JSON.parse(readFileSync(file, 'utf8')) as object;
  const compiled = loadValidatorFactory()().compile(schema);
  compiledSchemas.set(manifestVersion, compiled);
  return compiled;
}

/**
 * Validates a manifest against the bundled JSON schema for its manifestVersion, plus the Teams rule
 * the schema leaves to the upload service: the app version must be MAJOR.MINOR.PATCH.
 * Returns human-readable problems; an empty list means valid.
 */
export function validate(manifest: unknown): string[] {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return ['manifest must be a JSON object'];
  }
  const m = manifest as Record<string, unknown>;
  const mv = m['manifestVersion'];
  if (typeof mv !== 'string') return ['manifestVersion is missing or not a string'];
  const check = bundledSchemaValidator(mv);
  const problems: string[] = [];
  if (!check(m)) {
    for (const e of check.errors ?? []) {
      const details = e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : '';
      problems.push(`${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${details}`);
    }
  }
  const version = m['version'];
  if (typeof version === 'string' && !APP_VERSION_RE.test(version)) {
    problems.push(`/version "${version}" must be MAJOR.MINOR.PATCH (Teams rejects anything else)`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// PNG (pngjs)

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which the PNG spec requires to come first. */
export function readPngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new PackagingError('not a PNG file (bad signature or no IHDR chunk first)');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  rgba: Buffer;
}

/** Any PNG (every colour type, bit depth and interlace pngjs reads), as RGBA: enough to inspect icon pixels. */
export function decodePng(png: Buffer): DecodedPng {
  readPngSize(png);
  try {
    const decoded = PNG.sync.read(png);
    return { width: decoded.width, height: decoded.height, rgba: decoded.data };
  } catch (e) {
    throw new PackagingError(`the PNG cannot be decoded: ${(e as Error).message}`);
  }
}

/** Teams draws the outline icon as a mask, so any non-white visible pixel shows up as a smudge. */
export function checkOutlineIcon(png: Buffer): string[] {
  const { width, height, rgba } = decodePng(png);
  const problems: string[] = [];
  let visible = 0;
  let firstBad: string | undefined;
  for (let i = 0; i < width * height; i++) {
    const r = rgba[i * 4], g = rgba[i * 4 + 1], b = rgba[i * 4 + 2], a = rgba[i * 4 + 3] ?? 0;
    if (a === 0) continue;
    visible++;
    if ((r !== 255 || g !== 255 || b !== 255) && firstBad === undefined) {
      firstBad = `pixel (${i % width}, ${Math.floor(i / width)}) is rgba(${r}, ${g}, ${b}, ${a})`;
    }
  }
  if (firstBad) problems.push(`outline.png must be white on transparent, but ${firstBad}`);
  if (visible === 0) problems.push('outline.png is fully transparent; draw the glyph in white');
  if (visible === width * height) problems.push('outline.png has no transparent pixels; its background must be transparent');
  return problems;
}

export function checkIcons(colorPng: Buffer, outlinePng: Buffer): string[] {
  const problems: string[] = [];
  const c = readPngSize(colorPng);
  if (c.width !== 192 || c.height !== 192) problems.push(`color.png must be 192×192 pixels, but is ${c.width}×${c.height}`);
  const o = readPngSize(outlinePng);
  if (o.width !== 32 || o.height !== 32) problems.push(`outline.png must be 32×32 pixels, but is ${o.width}×${o.height}`);
  problems.push(...checkOutlineIcon(outlinePng));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// ZIP (fflate)

export interface ZipEntry {
  name: string;
  data: Buffer;
}

// A fixed timestamp (2025-01-01 00:00) makes the zip byte-for-byte reproducible from the same inputs.
const ZIP_MTIME = new Date(2025, 0, 1, 0, 0, 0);

/** A plain deflate zip with files at the root: the format Teams and the admin centre accept. */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const files: Record<string, [Uint8Array, { level: 9; mtime: Date }]> = {};
  for (const { name, data } of entries) {
    if (!/^[\x20-\x7e]+$/.test(name) || name.includes('\\') || name.startsWith('/')) {
      throw new PackagingError(`zip entry name "${name}" must be a relative ASCII path with forward slashes`);
    }
    files[name] = [new Uint8Array(data), { level: 9, mtime: ZIP_MTIME }];
  }
  return Buffer.from(zipSync(files));
}

/** Reads a zip (fflate checks each entry's CRC), in its stored order. */
export function readZip(zip: Buffer): ZipEntry[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(zip));
  } catch (e) {
    throw new PackagingError(`not a readable zip file: ${(e as Error).message}`);
  }
  return Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) }));
}

// ---------------------------------------------------------------------------------------------
// The whole run

export interface PackageOptions {
  /** Merged settings (see mergeEnv). */
  values: Record<string, string>;
  outFile?: string;
  /** Directory holding manifest.template.json, color.png and outline.png. */
  sourceDir?: string;
}

export interface PackageResult {
  outFile: string;
  manifest: Record<string, unknown>;
  config: PackageConfig;
  warnings: string[];
}

export async function runPackaging(opts: PackageOptions): Promise<PackageResult> {
  const sourceDir = opts.sourceDir ?? APP_PACKAGE_DIR;
  const outFile = path.resolve(opts.outFile ?? DEFAULT_OUT_FILE);
  const { config, warnings } = resolveConfig(opts.values);

  const read = (name: string): Buffer => {
    const file = path.join(sourceDir, name);
    if (!existsSync(file)) {
      throw new PackagingError(`${file} is missing${name.endsWith('.png') ? '; run `npx tsx scripts/makeIcons.ts` to create the icons' : ''}`);
    }
    return readFileSync(file);
  };

  const text = substitute(read('manifest.template.json').toString('utf8'), { ...config });
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new PackagingError(`manifest.template.json is not valid JSON after substitution: ${(e as Error).message}`);
  }
  const schemaProblems = validate(manifest);
  if (schemaProblems.length > 0) {
    throw new PackagingError(
      `manifest.json does not match the Teams app manifest schema v${String(manifest['manifestVersion'])}:\n` +
        schemaProblems.map((s) => `  - ${s}`).join('\n'),
    );
  }

  const colorPng = read('color.png');
  const outlinePng = read('outline.png');
  const iconProblems = checkIcons(colorPng, outlinePng);
  if (iconProblems.length > 0) {
    throw new PackagingError(`The app icons are not usable by Teams:\n${iconProblems.map((s) => `  - ${s}`).join('\n')}`);
  }

  const zip = buildZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') },
    { name: 'color.png', data: colorPng },
    { name: 'outline.png', data: outlinePng },
  ]);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, zip);
  return { outFile, manifest, config, warnings };
}

export function parseArgs(argv: readonly string[]): { outFile?: string; envFile?: string } {
  const out: { outFile?: string; envFile?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = argv[i + 1];
    if ((arg === '--out' || arg === '--env-file') && (next === undefined || next.startsWith('--'))) {
      throw new PackagingError(`${arg} needs a path after it`);
    }
    if (arg === '--out') out.outFile = argv[++i];
    else if (arg === '--env-file') out.envFile = argv[++i];
    else throw new PackagingError(`Unknown argument "${arg}"; usage: package.ts [--out <zip path>] [--env-file <path>]`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const envFile = path.resolve(args.envFile ?? '.env');
  let dotenv: Record<string, string> = {};
  if (existsSync(envFile)) dotenv = parseDotEnv(readFileSync(envFile, 'utf8'));
  else if (args.envFile) throw new PackagingError(`--env-file ${envFile} does not exist`);
  const values = mergeEnv(dotenv, process.env);
  const result = await runPackaging({ values, outFile: args.outFile ?? values['APP_PACKAGE_OUT'] });
  for (const w of result.warnings) console.warn(`warning: ${w}`);
  const rel = path.relative(process.cwd(), result.outFile);
  console.log(
    `Wrote ${rel.startsWith('..') ? result.outFile : rel} ` +
      `(Teams app id ${result.config.TEAMS_APP_ID}, bot ${result.config.MicrosoftAppId}, version ${result.config.APP_VERSION})`,
  );
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof PackagingError ? e.message : e);
    process.exitCode = 1;
  });
}
