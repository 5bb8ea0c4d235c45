import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_BYTES } from '../../config';

// The master keys are parsed with the configuration (src/config.ts); re-exported for the store's users.
export { KEY_BYTES, KID_PATTERN, parseMasterKeys } from '../../config';

/**
 * AES-256-GCM, envelope style, and nothing else: no I/O, no key storage (src/store/crypto/fieldCipher.ts
 * does that). Two layers:
 *
 * - a **data key** (32 random bytes) per participant, and one per case for the text about the case as
 *   a whole, seals field values into text envelopes `rj1.<data key id>.<iv>.<ciphertext>.<tag>`
 *   (base64url parts), so each stored value names the key that opens it;
 * - a **master key** (DATA_KEYS, picked by DATA_KEY_ID) wraps each data key; the wrapped key names its
 *   master key id (kid), so a rotation can re-wrap row by row while the old kid still reads.
 *
 * Every seal binds additional authenticated data (AAD) naming where the value belongs (case id and
 * field), so a ciphertext copied into another row or field fails to open instead of being misread.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE_VERSION = 'rj1';
// Data key ids are UUIDs (participant_keys.id); a master kid is a short label.
const ENVELOPE_PATTERN = /^rj1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/** A value could not be opened: wrong key, tampered bytes, or moved to another row or field. */
export class DecryptError extends Error {}

export interface SealedParts {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): SealedParts {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

function gcmOpen(key: Buffer, parts: SealedParts, aad: string, what: string): Buffer {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
  if (parts.iv.length !== IV_BYTES || parts.tag.length !== TAG_BYTES) throw new DecryptError(`${what}: malformed (iv or tag length)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(parts.tag);
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    // Node says only "Unsupported state or unable to authenticate data"; name what failed instead.
    throw new DecryptError(`${what}: does not open with this key and binding (wrong key, altered, or moved from another row)`);
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Seals `plaintext` under a data key into a self-describing text envelope. */
export function sealValue(dataKeyId: string, dataKey: Buffer, plaintext: string, aad: string): string {
  const p = gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), aad);
  return [ENVELOPE_VERSION, dataKeyId, p.iv.toString('base64url'), p.ciphertext.toString('base64url'), p.tag.toString('base64url')].join('.');
}

export interface ParsedEnvelope extends SealedParts {
  dataKeyId: string;
}

/** The parts of an envelope, or undefined when `value` is not one (a plaintext row not yet migrated). */
export function parseEnvelope(value: string): ParsedEnvelope | undefined {
  const m = ENVELOPE_PATTERN.exec(value);
  if (!m) return undefined;
  return {
    dataKeyId: m[1]!,
    iv: Buffer.from(m[2]!, 'base64url'),
    ciphertext: Buffer.from(m[3]!, 'base64url'),
    tag: Buffer.from(m[4]!, 'base64url'),
  };
}

export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && ENVELOPE_PATTERN.test(value);
}

export function openValue(dataKey: Buffer, envelope: ParsedEnvelope, aad: string): string {
  return gcmOpen(dataKey, envelope, aad, `value sealed under data key ${envelope.dataKeyId}`).toString('utf8');
}

/** The master keys (DATA_KEYS) and which one wraps new keys (DATA_KEY_ID). */
export class MasterKeys {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    readonly currentKid: string,
  ) {
    if (!keys.has(currentKid)) throw new Error(`DATA_KEY_ID "${currentKid}" is not one of the kids in DATA_KEYS (${[...keys.keys()].join(', ')})`);
    for (const [kid, key] of keys) {
      if (key.length !== KEY_BYTES) throw new RangeError(`master key "${kid}" is ${key.length} bytes; it must be ${KEY_BYTES}`);
    }
  }

  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Wraps a data key under the current master key: iv ‖ ciphertext ‖ tag. */
  wrap(dataKey: Buffer, aad: string): { kid: string; wrapped: Buffer } {
    const p = gcmSeal(this.key(this.currentKid), dataKey, aad);
    return { kid: this.currentKid, wrapped: Buffer.concat([p.iv, p.ciphertext, p.tag]) };
  }

  unwrap(kid: string, wrapped: Buffer, aad: string): Buffer {
    if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new DecryptError(`wrapped key under "${kid}" is ${wrapped.length} bytes, not ${IV_BYTES + KEY_BYTES + TAG_BYTES}`);
    return gcmOpen(
      this.key(kid),
      { iv: wrapped.subarray(0, IV_BYTES), ciphertext: wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES), tag: wrapped.subarray(IV_BYTES + KEY_BYTES) },
      aad,
      `data key wrapped under master key "${kid}"`,
    );
  }

  /** Seals a whole document (bot state) directly under the current master key; the envelope names the kid. */
  sealBlob(plaintext: string, aad: string): string {
    const p = gcmSeal(this.key(this.currentKid), Buffer.from(plaintext, 'utf8'), aad);
    return ['rjm1', this.currentKid, p.iv.toString('base64url'), p.ciphertext.toString('base64url'), p.tag.toString('base64url')].join('.');
  }

  /** The master kid a blob envelope names, or undefined when it is not one. */
  static blobKid(envelope: string): string | undefined {
    return BLOB_PATTERN.exec(envelope)?.[1];
  }

  openBlob(envelope: string, aad: string): string {
    const m = BLOB_PATTERN.exec(envelope);
    if (!m) throw new DecryptError('not a master-key envelope');
    const kid = m[1]!;
    return gcmOpen(this.key(kid), { iv: Buffer.from(m[2]!, 'base64url'), ciphertext: Buffer.from(m[3]!, 'base64url'), tag: Buffer.from(m[4]!, 'base64url') }, aad, `document sealed under master key "${kid}"`).toString('utf8');
  }

  private key(kid: string): Buffer {
    const key = this.keys.get(kid);
    if (!key) throw new DecryptError(`master key "${kid}" is not in DATA_KEYS: keep every kid still in use in DATA_KEYS until npm run data -- rotate-keys has finished`);
    return key;
  }
}

const BLOB_PATTERN = /^rjm1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

