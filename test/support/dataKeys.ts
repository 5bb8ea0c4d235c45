import type { Pool } from 'pg';
import { ProgressRepository } from '../../src/store/progressRepository';
import { EnvelopeCipher } from '../../src/store/crypto/fieldCipher';
import { MasterKeys, parseMasterKeys } from '../../src/store/crypto/envelope';

/**
 * The tests' master keys (fixed, so every process of one run reads what another wrote). "test-2"
 * exists for the rotation tests: DATA_KEYS holds both, and DATA_KEY_ID picks the one new keys use.
 */
export const TEST_DATA_KEYS = 'test-1:ERERERERERERERERERERERERERERERERERERERERERE=,test-2:IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=';
export const TEST_DATA_KEY_ENV = { DATA_KEYS: TEST_DATA_KEYS, DATA_KEY_ID: 'test-1' };

export function testMasterKeys(currentKid = 'test-1'): MasterKeys {
  const parsed = parseMasterKeys(TEST_DATA_KEYS);
  if (!parsed.ok) throw new Error(parsed.message);
  return new MasterKeys(parsed.keys, currentKid);
}

export function testCipher(currentKid = 'test-1'): EnvelopeCipher {
  return new EnvelopeCipher(testMasterKeys(currentKid));
}

/** The texts of a case's notes, opened as the app opens them (the column holds only envelopes). */
export async function noteTexts(pool: Pool, reference: string, where: { id?: string } = {}): Promise<string[]> {
  const { rows } = await pool.query<{ id: string; case_id: string }>(
    'SELECT n.id, n.case_id FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.reference = $1 AND ($2::uuid IS NULL OR n.id = $2) ORDER BY n.at, n.id',
    [reference, where.id ?? null],
  );
  if (rows.length === 0) return [];
  const notes = await new ProgressRepository(pool, testCipher()).notes(rows[0]!.case_id, rows.map((r) => r.id));
  return rows.map((r) => notes.get(r.id)!.text);
}
