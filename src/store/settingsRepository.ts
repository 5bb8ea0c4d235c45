import type { Pool } from 'pg';
import type { z } from 'zod';
import { toJsonParam, type JsonValue } from './types';

export class SettingsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * The stored value, or undefined when the key was never set. With a schema the value is validated
   * on the way out, because a hand-edited row or an older shape must fail loudly here rather than
   * deep inside whatever reads it.
   */
  async get<T = JsonValue>(key: string, schema?: z.ZodType<T>): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ value: JsonValue }>('SELECT value FROM settings WHERE key = $1', [key]);
    const row = rows[0];
    if (!row) return undefined;
    // Without a schema the caller's T is trusted as it stands: pass one for anything a person can edit.
    if (!schema) return row.value as T;
    const parsed = schema.safeParse(row.value);
    if (!parsed.success) {
      throw new Error(`Setting "${key}" does not match its schema: ${parsed.error.message}`, { cause: parsed.error });
    }
    return parsed.data;
  }

  /** `by` is the AAD object id of whoever changed it (or 'system'), kept for the audit. */
  async set(key: string, value: unknown, by: string): Promise<void> {
    if (!key.trim()) throw new Error('SettingsRepository.set: key is empty');
    const json = toJsonParam(value);
    // JSON.stringify yields undefined (not a string) for undefined and functions, despite its type.
    if (typeof json !== 'string') throw new Error(`SettingsRepository.set: value of "${key}" is not JSON`);
    await this.pool.query(
      `INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [key, json, by],
    );
  }
}
