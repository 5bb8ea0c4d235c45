import { z } from 'zod';

/**
 * Text hygiene for everything a person types that is stored or shown: one set of rules for every
 * form. Text is NFC-normalised (so "é" typed two ways is one string, and lengths mean what they
 * say), newlines are unified, and characters that cannot be stored or that hide what text says are
 * refused with a message naming the field:
 * - NUL and the other C0/C1 control characters (except newline and tab): PostgreSQL refuses NUL
 *   outright ("invalid byte sequence for encoding UTF8: 0x00"), and the others are never typed on
 *   purpose;
 * - bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) and the
 *   invisible direction marks (U+200E, U+200F, U+061C): they make a note display differently
 *   from what it stores (the "Trojan source" trick);
 * - lone UTF-16 surrogates, which cannot be encoded as UTF-8 at all.
 * Refusing rather than silently deleting keeps what is stored exactly what the person saw.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// Without the `u` flag a regex sees code units, which is what finding an unpaired half needs.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NEWLINES = /\r\n|[\r\u2028\u2029\u0085]/g;

const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');
const BIDI_ALL = new RegExp(BIDI.source, 'gu');
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, 'g');

export type TextProblem = 'control' | 'bidi' | 'encoding';

export interface TextRules {
  /** Keeps newlines and tabs; otherwise every run of whitespace becomes one space. */
  multiline?: boolean;
}

export type CleanText = { ok: true; text: string } | { ok: false; problem: TextProblem };

/** NFC, unified newlines, trimmed; or the first kind of character that cannot be accepted. */
export function cleanText(raw: string, rules: TextRules = {}): CleanText {
  if (LONE_SURROGATE.test(raw)) return { ok: false, problem: 'encoding' };
  // U+0085 (NEL) is a C1 control but also a newline: read as one before controls are refused.
  const unified = raw.replace(NEWLINES, '\n');
  if (CONTROL.test(unified)) return { ok: false, problem: 'control' };
  if (BIDI.test(unified)) return { ok: false, problem: 'bidi' };
  const nfc = unified.normalize('NFC');
  const text = rules.multiline
    ? nfc.replace(/[^\S\n\t]+$/gm, '').trim()
    : nfc.replace(/\s+/g, ' ').trim();
  return { ok: true, text };
}

/**
 * The same characters removed instead of refused, for text that must still be shown or kept but
 * was never checked (a display name from Teams, a refused value kept to re-show the form).
 */
export function stripUnsafe(raw: string): string {
  return raw
    .replace(LONE_SURROGATE_ALL, '')
    .replace(NEWLINES, '\n')
    .replace(CONTROL_ALL, '')
    .replace(BIDI_ALL, '')
    .normalize('NFC');
}

export const DISPLAY_NAME_MAX = 100;

/**
 * A person's name as Teams gives it (not typed into our forms, so nothing to refuse): unsafe
 * characters removed, on one line, at most DISPLAY_NAME_MAX characters; undefined when nothing is left.
 */
export function cleanDisplayName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const one = stripUnsafe(raw).replace(/\s+/g, ' ').trim();
  // By code points, so an emoji at the limit is not cut in half.
  return Array.from(one).slice(0, DISPLAY_NAME_MAX).join('') || undefined;
}

/** What to tell the person, naming the field by its label ("the note", "the venue"). */
export function textProblemMessage(label: string, problem: TextProblem): string {
  switch (problem) {
    case 'control':
      return `There is a control character (such as NUL) in ${label} that cannot be stored: retype it without that character.`;
    case 'bidi':
      return `There is a hidden text-direction character in ${label} that would make it display differently from what is saved: retype it without that character.`;
    case 'encoding':
      return `There is a broken character in ${label} that cannot be stored: retype it.`;
  }
}

export interface TextFieldOptions extends TextRules {
  /** How the field is named in messages, lower case: "the note", "the harmed person's name". */
  label: string;
  max: number;
  /** Overrides "Keep <label> under <max> characters." */
  tooLong?: string;
  /** The message when the value is missing or blank (required fields). */
  missing?: string;
}

/**
 * Input longer than this many times the limit is refused before it is normalised, so a huge
 * string costs no more than a length check. NFC can change a length, so the real check is after.
 */
const RAW_FACTOR = 4;

/** A stored text input: cleaned (see cleanText), at most `max` characters, at least one. */
export function textField(o: TextFieldOptions): z.ZodType<string, unknown> {
  const tooLong = o.tooLong ?? `Keep ${o.label} under ${o.max} characters.`;
  const missing = o.missing ?? `Enter ${o.label}.`;
  return z.string({ error: () => missing }).transform((raw, ctx) => {
    if (raw.length > o.max * RAW_FACTOR + 64) {
      ctx.addIssue({ code: 'custom', message: tooLong });
      return z.NEVER;
    }
    const r = cleanText(raw, o);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: textProblemMessage(o.label, r.problem) });
      return z.NEVER;
    }
    if (r.text.length === 0) {
      ctx.addIssue({ code: 'custom', message: missing });
      return z.NEVER;
    }
    if (r.text.length > o.max) {
      ctx.addIssue({ code: 'custom', message: tooLong });
      return z.NEVER;
    }
    return r.text;
  });
}

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** As textField, but absent or blank input is undefined. */
export function optionalTextField(o: TextFieldOptions): z.ZodType<string | undefined, unknown> {
  return z.preprocess((v) => (isBlank(v) ? undefined : v), textField(o).optional());
}
