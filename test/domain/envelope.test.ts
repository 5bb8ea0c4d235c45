import { randomUUID } from 'node:crypto';
import { DecryptError, isEnvelope, MasterKeys, newDataKey, openValue, parseEnvelope, parseMasterKeys, sealValue } from '../../src/store/crypto/envelope';

/** The crypto module alone (no I/O): what opens, and everything that must not. */

const keyId = randomUUID();
const dataKey = newDataKey();
const aad = 'case-1/participants.harmed_person.name';
const masters = (current: string) => new MasterKeys(new Map([['old', Buffer.alloc(32, 1)], ['new', Buffer.alloc(32, 2)]]), current);

function flip(envelope: string, part: 2 | 3 | 4): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('field envelopes (AES-256-GCM under a data key)', () => {
  test.each(['Ada Lovelace', '', 'ünïcödé ✓ 07700 900123', 'x'.repeat(1000)])('round trip: %#', (plaintext) => {
    const sealed = sealValue(keyId, dataKey, plaintext, aad);
    expect(isEnvelope(sealed)).toBe(true);
    expect(sealed.startsWith(`rj1.${keyId}.`)).toBe(true);
    if (plaintext) expect(sealed).not.toContain(plaintext);
    expect(openValue(dataKey, parseEnvelope(sealed)!, aad)).toBe(plaintext);
  });

  test('the same value sealed twice differs (a fresh IV each time), so equal names cannot be matched across rows', () => {
    expect(sealValue(keyId, dataKey, 'Ada', aad)).not.toBe(sealValue(keyId, dataKey, 'Ada', aad));
  });

  const sealed = sealValue(keyId, dataKey, 'Ada Lovelace', aad);
  test.each([
    ['wrong key', () => openValue(newDataKey(), parseEnvelope(sealed)!, aad)],
    ['wrong AAD: another field', () => openValue(dataKey, parseEnvelope(sealed)!, 'case-1/participants.harmed_person.email')],
    ['wrong AAD: another case', () => openValue(dataKey, parseEnvelope(sealed)!, 'case-2/participants.harmed_person.name')],
    ['tampered IV', () => openValue(dataKey, parseEnvelope(flip(sealed, 2))!, aad)],
    ['tampered ciphertext', () => openValue(dataKey, parseEnvelope(flip(sealed, 3))!, aad)],
    ['tampered tag', () => openValue(dataKey, parseEnvelope(flip(sealed, 4))!, aad)],
  ])('refused: %s', (_name, open) => {
    expect(open).toThrow(DecryptError);
    expect(open).toThrow(/does not open with this key and binding/);
  });

  test.each([
    ['plaintext', 'Ada Lovelace'],
    ['another version', sealed.replace(/^rj1\./, 'rj2.')],
    ['a truncated tag', sealed.slice(0, -2)],
    ['a key id that is not a UUID', sealed.replace(keyId, 'not-a-key')],
  ])('not an envelope: %s', (_name, value) => {
    expect(parseEnvelope(value)).toBeUndefined();
    expect(isEnvelope(value)).toBe(false);
  });
});

describe('master keys (wrapping data keys; rotation)', () => {
  const wrapAad = 'participant_keys/k1/case-1/harmed_person';

  test('round trip: a data key wrapped under the current kid unwraps to the same bytes', () => {
    const m = masters('old');
    const { kid, wrapped } = m.wrap(dataKey, wrapAad);
    expect(kid).toBe('old');
    expect(wrapped).toHaveLength(60);
    expect(m.unwrap(kid, wrapped, wrapAad)).toEqual(dataKey);
  });

  test('rotation: a key wrapped under the old kid still unwraps once "new" is current, and re-wrapped under "new" it is the same key', () => {
    const before = masters('old').wrap(dataKey, wrapAad);
    const during = masters('new');
    const unwrapped = during.unwrap(before.kid, before.wrapped, wrapAad);
    const after = during.wrap(unwrapped, wrapAad);
    expect(after.kid).toBe('new');
    // The old kid can leave DATA_KEYS once everything is re-wrapped.
    const onlyNew = new MasterKeys(new Map([['new', Buffer.alloc(32, 2)]]), 'new');
    expect(onlyNew.unwrap(after.kid, after.wrapped, wrapAad)).toEqual(dataKey);
    expect(() => onlyNew.unwrap(before.kid, before.wrapped, wrapAad)).toThrow(/master key "old" is not in DATA_KEYS: keep every kid still in use/);
  });

  test.each([
    ['the wrong master key under the right kid', () => new MasterKeys(new Map([['old', Buffer.alloc(32, 9)]]), 'old')],
  ])('refused: %s', (_name, make) => {
    const { kid, wrapped } = masters('old').wrap(dataKey, wrapAad);
    expect(() => make().unwrap(kid, wrapped, wrapAad)).toThrow(DecryptError);
  });

  test('a wrapped key moved to another row (another AAD) or altered does not unwrap', () => {
    const m = masters('old');
    const { kid, wrapped } = m.wrap(dataKey, wrapAad);
    expect(() => m.unwrap(kid, wrapped, 'participant_keys/k2/case-1/offender')).toThrow(DecryptError);
    const altered = Buffer.from(wrapped);
    altered[59] = altered[59]! ^ 1;
    expect(() => m.unwrap(kid, altered, wrapAad)).toThrow(DecryptError);
    expect(() => m.unwrap(kid, wrapped.subarray(0, 59), wrapAad)).toThrow(/is 59 bytes/);
  });

  test('documents (bot state) seal under the current kid, open after rotation, and are bound to their storage key', () => {
    const sealedDoc = masters('old').sealBlob('{"name":"Ada"}', 'bot_state/a');
    expect(sealedDoc).not.toContain('Ada');
    expect(MasterKeys.blobKid(sealedDoc)).toBe('old');
    expect(masters('new').openBlob(sealedDoc, 'bot_state/a')).toBe('{"name":"Ada"}');
    expect(() => masters('new').openBlob(sealedDoc, 'bot_state/b')).toThrow(DecryptError);
  });

  test('DATA_KEY_ID must be one of the keys, and every key 32 bytes', () => {
    expect(() => new MasterKeys(new Map([['a', Buffer.alloc(32)]]), 'b')).toThrow(/DATA_KEY_ID "b" is not one of the kids/);
    expect(() => new MasterKeys(new Map([['a', Buffer.alloc(31)]]), 'a')).toThrow(/31 bytes/);
  });

  test.each([
    ['a:' + Buffer.alloc(32, 1).toString('base64'), true],
    [' a:' + Buffer.alloc(32, 1).toString('base64') + ' , b_2-x:' + Buffer.alloc(32, 2).toString('base64') + ' ', true],
    ['', false],
    ['a:', false],
    ['a b:' + Buffer.alloc(32).toString('base64'), false],
  ])('parseMasterKeys(%j) ok=%s', (raw, ok) => {
    expect(parseMasterKeys(raw).ok).toBe(ok);
  });
});
