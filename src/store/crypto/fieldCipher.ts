import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db';
import { DecryptError, MasterKeys, newDataKey, openValue, parseEnvelope, sealValue } from './envelope';

/**
 * Which data key seals a value. Each participant has their own, so erasing one person is destroying
 * one key. Text about the case as a whole (the offence description, risk notes, the conference venue,
 * closing and conference notes) cannot be split by person: it goes under the case's own key, which
 * anonymisation destroys with the others; an erasure request for one participant leaves it, because
 * the other participant's case still needs it.
 */
export type KeyScope = 'harmed_person' | 'offender' | 'case';
export const KEY_SCOPES: readonly KeyScope[] = ['harmed_person', 'offender', 'case'];

/** What a required text field reads as once its key has been destroyed (erasure, anonymisation). */
export const ERASED_TEXT = '[erased]';

/** The data keys of one case: seals values for it and opens values stored for it. */
export interface CaseKeyRing {
  readonly caseId: string;
  /** `field` names where the value is stored (e.g. "participants.name"); it is bound into the ciphertext with the case id. */
  seal(scope: KeyScope, field: string, plaintext: string): string;
  sealNullable(scope: KeyScope, field: string, plaintext: string | null): string | null;
  /**
   * The plaintext of a stored value; null when its key was destroyed. A value that is not an envelope
   * (a row written before encryption, not yet migrated; or the bench's plaintext mode) is returned as it is.
   */
  open(field: string, stored: string | null): string | null;
}

/** The repositories' one way to the keys (src/store/crypto is the only place that sees them). */
export interface FieldCipher {
  /** False only for the benchmark's comparison run (createApp's `fieldCipher` option); never from configuration. */
  readonly encrypting: boolean;
  /** Makes the case's three data keys, wrapped under the current master key, in `db`'s transaction. */
  createCaseKeys(db: Queryable, caseId: string): Promise<CaseKeyRing>;
  /** The case's keys (made if missing, for a case stored before encryption). */
  caseKeys(db: Queryable, caseId: string): Promise<CaseKeyRing>;
  /** Bot state documents: sealed whole under the master key, bound to their storage key. */
  sealDocument(storageKey: string, json: string): string;
  openDocument(storageKey: string, sealed: string): string;
}

interface KeyRow {
  id: string;
  role: KeyScope;
  kid: string | null;
  wrapped_key: Buffer | null;
}

export function wrapAad(keyId: string, caseId: string, role: KeyScope): string {
  return `participant_keys/${keyId}/${caseId}/${role}`;
}

export function valueAad(caseId: string, field: string): string {
  return `${caseId}/${field}`;
}

export function documentAad(storageKey: string): string {
  return `bot_state/${storageKey}`;
}

class EnvelopeRing implements CaseKeyRing {
  private readonly opened = new Map<string, Buffer | null>();

  constructor(
    readonly caseId: string,
    private readonly master: MasterKeys,
    private readonly rows: ReadonlyMap<string, KeyRow>,
    private readonly byScope: ReadonlyMap<KeyScope, string>,
  ) {}

  seal(scope: KeyScope, field: string, plaintext: string): string {
    const keyId = this.byScope.get(scope);
    const key = keyId ? this.key(keyId) : null;
    if (!keyId || !key) throw new Error(`case ${this.caseId}: the ${scope} data key has been destroyed; nothing more can be stored under it`);
    return sealValue(keyId, key, plaintext, valueAad(this.caseId, field));
  }

  sealNullable(scope: KeyScope, field: string, plaintext: string | null): string | null {
    return plaintext === null ? null : this.seal(scope, field, plaintext);
  }

  open(field: string, stored: string | null): string | null {
    if (stored === null) return null;
    const envelope = parseEnvelope(stored);
    if (!envelope) return stored;
    if (!this.rows.has(envelope.dataKeyId)) throw new DecryptError(`case ${this.caseId}: ${field} names data key ${envelope.dataKeyId}, which is not one of this case's keys`);
    const key = this.key(envelope.dataKeyId);
    return key ? openValue(key, envelope, valueAad(this.caseId, field)) : null;
  }

  private key(keyId: string): Buffer | null {
    const cached = this.opened.get(keyId);
    if (cached !== undefined) return cached;
    const row = this.rows.get(keyId);
    const key = row && row.kid && row.wrapped_key ? this.master.unwrap(row.kid, row.wrapped_key, wrapAad(row.id, this.caseId, row.role)) : null;
    this.opened.set(keyId, key);
    return key;
  }
}

/** AES-256-GCM envelopes under data keys kept in participant_keys (migration 012). */
export class EnvelopeCipher implements FieldCipher {
  readonly encrypting = true;

  constructor(readonly master: MasterKeys) {}

  async createCaseKeys(db: Queryable, caseId: string): Promise<CaseKeyRing> {
    const rows = KEY_SCOPES.map((role): KeyRow => {
      const id = randomUUID();
      const { kid, wrapped } = this.master.wrap(newDataKey(), wrapAad(id, caseId, role));
      return { id, role, kid, wrapped_key: wrapped };
    });
    // ON CONFLICT: a case stored before encryption may have been given keys by another process meanwhile.
    await db.query(
      `INSERT INTO participant_keys (id, case_id, role, kid, wrapped_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bytea[])
       ON CONFLICT (case_id, role) DO NOTHING`,
      [rows.map((r) => r.id), rows.map(() => caseId), rows.map((r) => r.role), rows.map((r) => r.kid), rows.map((r) => r.wrapped_key)],
    );
    return this.load(db, caseId);
  }

  async caseKeys(db: Queryable, caseId: string): Promise<CaseKeyRing> {
    const ring = await this.load(db, caseId, true);
    return ring ?? this.createCaseKeys(db, caseId);
  }

  sealDocument(storageKey: string, json: string): string {
    return this.master.sealBlob(json, documentAad(storageKey));
  }

  openDocument(storageKey: string, sealed: string): string {
    return this.master.openBlob(sealed, documentAad(storageKey));
  }

  private async load(db: Queryable, caseId: string): Promise<EnvelopeRing>;
  private async load(db: Queryable, caseId: string, allowMissing: true): Promise<EnvelopeRing | undefined>;
  private async load(db: Queryable, caseId: string, allowMissing = false): Promise<EnvelopeRing | undefined> {
    const { rows } = await db.query<KeyRow>('SELECT id, role, kid, wrapped_key FROM participant_keys WHERE case_id = $1', [caseId]);
    if (rows.length === 0) {
      if (allowMissing) return undefined;
      throw new Error(`case ${caseId} has no data keys`);
    }
    return new EnvelopeRing(caseId, this.master, new Map(rows.map((r) => [r.id, r])), new Map(rows.map((r) => [r.role, r.id])));
  }
}

/**
 * No encryption: values are stored as typed. Exists only so `npm run bench` can measure what
 * encryption costs; createApp takes it as an option, and no configuration variable selects it.
 */
export class PlaintextCipher implements FieldCipher {
  readonly encrypting = false;

  createCaseKeys(_db: Queryable, caseId: string): Promise<CaseKeyRing> {
    return Promise.resolve(plainRing(caseId));
  }

  caseKeys(_db: Queryable, caseId: string): Promise<CaseKeyRing> {
    return Promise.resolve(plainRing(caseId));
  }

  sealDocument(_storageKey: string, json: string): string {
    return json;
  }

  openDocument(_storageKey: string, sealed: string): string {
    return sealed;
  }
}

function plainRing(caseId: string): CaseKeyRing {
  return {
    caseId,
    seal: (_scope, _field, plaintext) => plaintext,
    sealNullable: (_scope, _field, plaintext) => plaintext,
    open: (_field, stored) => stored,
  };
}
