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
import { deflateRawSync, inflateRawSync, inflateSync } from 'node:zlib';
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
  PRIVACY_URL: httpsUrl('PRIVACY_URL'),
  TERMS_URL: httpsUrl('TERMS_URL'),
});

export interface PackageConfig {
  MicrosoftAppId: string;
  TEAMS_APP_ID: string;
  APP_VERSION: string;
  WEBSITE_URL: string;
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
  if (!e.TERMS_URL) warnings.push(`TERMS_URL is not set; using ${base}/terms. Set it before publishing.`);
  return {
    config: {
      MicrosoftAppId: e.MicrosoftAppId.toLowerCase(),
      TEAMS_APP_ID: (e.TEAMS_APP_ID ?? deriveTeamsAppId(e.MicrosoftAppId)).toLowerCase(),
      APP_VERSION: e.APP_VERSION,
      WEBSITE_URL: website,
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
// PNG

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

/** Decodes 8-bit, non-interlaced PNGs of any colour type: enough to inspect icon pixels. */
export function decodePng(png: Buffer): DecodedPng {
  const { width, height } = readPngSize(png);
  const bitDepth = png[24];
  const colorType = png[25];
  const interlace = png[28];
  if (bitDepth !== 8 || interlace !== 0) {
    throw new PackagingError(`PNG uses bit depth ${bitDepth} / interlace ${interlace}; save it as 8-bit, non-interlaced`);
  }
  const channels: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
  const ch = colorType === undefined ? undefined : channels[colorType];
  if (ch === undefined) throw new PackagingError(`PNG has unknown colour type ${colorType}`);
  let palette: Buffer = Buffer.alloc(0);
  let trns: Buffer = Buffer.alloc(0);
  const idat: Buffer[] = [];
  for (let off = 8; off + 8 <= png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * ch;
  if (raw.length < height * (stride + 1)) throw new PackagingError('PNG image data is truncated');
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= ch ? (pixels[y * stride + x - ch] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= ch && y > 0 ? (pixels[(y - 1) * stride + x - ch] ?? 0) : 0;
      let pred: number;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new PackagingError(`PNG row ${y} has unknown filter type ${filter}`);
      }
      pixels[y * stride + x] = (cur + pred) & 0xff;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * ch, i * ch + ch);
    let r: number, g: number, bl: number, al: number;
    switch (colorType) {
      case 0: r = g = bl = p[0] ?? 0; al = 255; break;
      case 2: r = p[0] ?? 0; g = p[1] ?? 0; bl = p[2] ?? 0; al = 255; break;
      case 3: {
        const idx = p[0] ?? 0;
        r = palette[idx * 3] ?? 0; g = palette[idx * 3 + 1] ?? 0; bl = palette[idx * 3 + 2] ?? 0;
        al = trns[idx] ?? 255;
        break;
      }
      case 4: r = g = bl = p[0] ?? 0; al = p[1] ?? 0; break;
      default: r = p[0] ?? 0; g = p[1] ?? 0; bl = p[2] ?? 0; al = p[3] ?? 0;
    }
    rgba.writeUInt8(r, i * 4);
    rgba.writeUInt8(g, i * 4 + 1);
    rgba.writeUInt8(bl, i * 4 + 2);
    rgba.writeUInt8(al, i * 4 + 3);
  }
  return { width, height, rgba };
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
// ZIP

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// Own table rather than zlib.crc32, which only exists from Node 20.15 / 22.2.
export function crc32(buf: Buffer, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

// A fixed timestamp (2025-01-01 00:00) makes the zip byte-for-byte reproducible from the same inputs.
const DOS_TIME = 0;
const DOS_DATE = ((2025 - 1980) << 9) | (1 << 5) | 1;

/** A plain deflate zip with files at the root: the format Teams and the admin centre accept. */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    if (!/^[\x20-\x7e]+$/.test(name) || name.includes('\\') || name.startsWith('/')) {
      throw new PackagingError(`zip entry name "${name}" must be a relative ASCII path with forward slashes`);
    }
    const nameBuf = Buffer.from(name, 'ascii');
    const compressed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBuf, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by: 2.0, MS-DOS attributes
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    // extra, comment, disk number, internal and external attributes stay 0
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Reads a zip through its central directory, checking each entry's CRC and size. */
export function readZip(zip: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new PackagingError('not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new PackagingError(`zip central directory entry ${n} is corrupt`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOff = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (zip.readUInt32LE(localOff) !== 0x04034b50) throw new PackagingError(`zip local header of ${name} is corrupt`);
    const dataStart = localOff + 30 + zip.readUInt16LE(localOff + 26) + zip.readUInt16LE(localOff + 28);
    const stored = zip.subarray(dataStart, dataStart + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(stored);
    else if (method === 8) data = inflateRawSync(stored);
    else throw new PackagingError(`zip entry ${name} uses unsupported compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) throw new PackagingError(`zip entry ${name} fails its size/CRC check`);
    entries.push({ name, data });
  }
  return entries;
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
