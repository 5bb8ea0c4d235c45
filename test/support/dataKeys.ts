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
