import { z } from 'zod';
import { plain } from '../../cards/adaptive';
import { cleanDisplayName, cleanText, optionalTextField, stripUnsafe, textField, textProblemMessage } from '../../src/domain/text';

const NUL = '\u0000';

describe('cleanText', () => {
  test.each([
    ['plain text stays', 'Left a message', {}, 'Left a message'],
    ['trimmed', '  HMP Pentonville  ', {}, 'HMP Pentonville'],
    ['single line: whitespace runs and newlines become one space', 'a \n\t b\r\nc', {}, 'a b c'],
    ['multiline keeps newlines and tabs, unifies CRLF and CR', 'line 1\r\nline 2\rline\t3', { multiline: true }, 'line 1\nline 2\nline\t3'],
    ['multiline: U+2028/U+2029 and NEL are newlines', 'a\u2028b\u2029c\u0085d', { multiline: true }, 'a\nb\nc\nd'],
    ['multiline drops trailing spaces on each line', 'a  \nb ', { multiline: true }, 'a\nb'],
    ['NFC: e + combining acute becomes é', 'Zoe\u0301', {}, 'Zo\u00e9'],
    ['NFC: Hangul jamo compose', '\u1100\u1161', {}, '\uAC00'],
    ['emoji (astral, paired surrogates) are fine', 'ok 👍', {}, 'ok 👍'],
    ['Arabic and Hebrew letters are fine (only the invisible controls are refused)', 'مرحبا שלום', {}, 'مرحبا שלום'],
  ] as const)('%s', (_name, input, rules, expected) => {
    expect(cleanText(input, rules)).toEqual({ ok: true, text: expected });
  });

  test.each([
    ['NUL', `note${NUL}`, 'control'],
    ['BEL', 'a\u0007b', 'control'],
    ['vertical tab', 'a\u000Bb', 'control'],
    ['form feed', 'a\u000Cb', 'control'],
    ['ESC (terminal escapes)', '\u001B[31mred', 'control'],
    ['DEL', 'a\u007Fb', 'control'],
    ['C1 CSI', 'a\u009Bb', 'control'],
    ['C1 U+0080', '\u0080', 'control'],
    ['RLO override', 'abc\u202Edcb', 'bidi'],
    ['LRE embedding', '\u202Aabc', 'bidi'],
    ['PDF', 'abc\u202C', 'bidi'],
    ['RLI isolate', '\u2067abc', 'bidi'],
    ['PDI', 'abc\u2069', 'bidi'],
    ['LRM mark', 'a\u200Eb', 'bidi'],
    ['RLM mark', 'a\u200Fb', 'bidi'],
    ['Arabic letter mark', 'a\u061Cb', 'bidi'],
    ['lone high surrogate', 'a\uD800b', 'encoding'],
    ['lone low surrogate', 'a\uDC00', 'encoding'],
  ] as const)('refuses %s', (_name, input, problem) => {
    expect(cleanText(input)).toEqual({ ok: false, problem });
    expect(cleanText(input, { multiline: true })).toEqual({ ok: false, problem });
  });
});

describe('stripUnsafe', () => {
  test.each([
    ['removes NUL and bidi, keeps the rest', `Mal${NUL}lory\u202E evil`, 'Mallory evil'],
    ['removes lone surrogates', 'a\uD800b', 'ab'],
    ['keeps newlines and tabs', 'a\nb\tc', 'a\nb\tc'],
    ['normalises to NFC', 'Zoe\u0301', 'Zo\u00e9'],
  ])('%s', (_name, input, expected) => {
    expect(stripUnsafe(input)).toBe(expected);
  });

  test('what it leaves is always accepted by cleanText', () => {
    const nasty = `${NUL}\u0001\u007F\u0085\u009F\u202A\u202E\u2066\u2069\u200E\u200F\u061C\uD800\uDFFF`;
    expect(cleanText(stripUnsafe(`x${nasty}y`)).ok).toBe(true);
  });
});

describe('textField', () => {
  const note = textField({ label: 'the note', max: 10, multiline: true });
  const messages = (schema: z.ZodType, v: unknown) => {
    const r = schema.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  test.each([
    ['a clean value', ' hello ', 'hello'],
    ['exactly the limit after NFC (the raw string is longer)', 'e\u0301'.repeat(10), '\u00e9'.repeat(10)],
  ])('accepts %s', (_name, input, expected) => {
    expect(note.parse(input)).toBe(expected);
  });

  test.each([
    ['NUL, naming the field', `hi${NUL}`, 'There is a control character (such as NUL) in the note that cannot be stored: retype it without that character.'],
    ['a bidi override, naming the field', 'hi\u202E', textProblemMessage('the note', 'bidi')],
    ['too long', 'x'.repeat(11), 'Keep the note under 10 characters.'],
    ['far too long (refused before normalising)', 'x'.repeat(1_000_000), 'Keep the note under 10 characters.'],
    ['blank', '   ', 'Enter the note.'],
    ['not a string', 5, 'Enter the note.'],
    ['missing', undefined, 'Enter the note.'],
  ])('refuses %s', (_name, input, message) => {
    expect(messages(note, input)).toEqual([message]);
  });

  test('custom messages', () => {
    const venue = textField({ label: 'the venue', max: 3, missing: 'Enter the venue, e.g. a prison.', tooLong: 'Too long.' });
    expect(messages(venue, '')).toEqual(['Enter the venue, e.g. a prison.']);
    expect(messages(venue, 'abcd')).toEqual(['Too long.']);
  });

  test('optional: blank and absent are undefined, anything else is checked', () => {
    const opt = optionalTextField({ label: 'the note', max: 10 });
    expect(opt.parse(undefined)).toBeUndefined();
    expect(opt.parse('  ')).toBeUndefined();
    expect(opt.parse(' a ')).toBe('a');
    expect(messages(opt, `${NUL}`)).toEqual([textProblemMessage('the note', 'control')]);
  });
});

describe('cleanDisplayName', () => {
  test.each([
    ['keeps an ordinary name', 'Fay One', 'Fay One'],
    ['one line, single spaces', ' Fay\n  One\t', 'Fay One'],
    ['drops NUL, controls and direction overrides', 'Fay\u0000 \u202EOne\u0007', 'Fay One'],
    ['bounded to 100 characters, by code point', '👍'.repeat(150), '👍'.repeat(100)],
    ['nothing left is undefined', '\u202E\u0000 ', undefined],
    ['absent is undefined', undefined, undefined],
  ])('%s', (_name, input, expected) => {
    expect(cleanDisplayName(input)).toBe(expected);
  });
});

describe('plain (the Markdown escaping every card value goes through)', () => {
  test.each([
    ['a link', '[click](https://evil.example)', '\\[click\\]\\(https://evil.example\\)'],
    ['emphasis and headings', '**bold** _it_ # h', '\\*\\*bold\\*\\* \\_it\\_ \\# h'],
    ['list markers and images', '- a + b ![x](y)', '\\- a \\+ b \\!\\[x\\]\\(y\\)'],
    ['newlines become one space', 'line 1\r\n  line 2', 'line 1 line 2'],
    ['control and direction characters are dropped', 'Mal\u0000lory \u202Eevil', 'Mallory evil'],
  ])('%s', (_name, input, expected) => {
    expect(plain(input)).toBe(expected);
  });
});
