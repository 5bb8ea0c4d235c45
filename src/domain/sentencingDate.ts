import { DateTime } from 'luxon';

/**
 * A typed answer to "Do you know the sentencing date?" (the reminder offer of an ineligible
 * screening): no, or a date. Dates are calendar days in London, written the ways a British officer
 * types them; a day that does not exist (31/02/2027) is refused with a message, never rolled over.
 */
export type SentencingDateReply =
  | { kind: 'no' }
  | { kind: 'yes' }
  | { kind: 'date'; date: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'unknown' };

const LONDON = 'Europe/London';
export const SENTENCING_DATE_EXAMPLE = '14/03/2027';

const NO = new Set([
  'no', 'n', 'nope', 'nah', 'no thanks', 'no thank you', 'no thx', 'not now', 'not yet', 'skip', 'none',
  'dont know', 'do not know', 'i dont know', 'i do not know', 'dunno', 'idk', 'no idea', 'not sure', 'unsure', 'unknown',
  'dont know yet', 'not known', 'no date', 'no date yet', 'not sure yet',
]);
const YES = new Set(['yes', 'y', 'yeah', 'yep', 'i do', 'yes i do']);

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** "mar", "sept" and "march" are all March; undefined for anything that is not a month. */
function monthNumber(word: string): number | undefined {
  const w = word.toLowerCase();
  if (w.length < 3) return undefined;
  const i = MONTHS.findIndex((m) => m.startsWith(w) || (w === 'sept' && m === 'september'));
  return i >= 0 ? i + 1 : undefined;
}

/** A year, month and day that must make a real date in London. */
function dateOf(year: number, month: number, day: number, typed: string): SentencingDateReply {
  const d = DateTime.fromObject({ year, month, day }, { zone: LONDON });
  if (!d.isValid) {
    return { kind: 'invalid', message: `${typed} is not a real date. Type the sentencing date as day/month/year, for example ${SENTENCING_DATE_EXAMPLE}, or type no.` };
  }
  return { kind: 'date', date: d.toISODate() ?? '' };
}

export function parseSentencingDateReply(text: string): SentencingDateReply {
  const raw = text.trim().replace(/\s+/g, ' ');
  const words = raw.toLowerCase().replace(/[\u2018\u2019']/g, '').replace(/[^a-z ]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (NO.has(words)) return { kind: 'no' };
  if (YES.has(words)) return { kind: 'yes' };

  const t = raw.replace(/[.,!]+$/, '');
  // 14/03/2027, 14-3-2027, 14.03.2027: day first, as in the UK.
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (m) return dateOf(Number(m[3]), Number(m[2]), Number(m[1]), t);
  // 2027-03-14: ISO, what a date picker sends.
  m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) return dateOf(Number(m[1]), Number(m[2]), Number(m[3]), t);
  // 14 March 2027, 14th Mar 2027, Friday 14 March 2027, March 14, 2027.
  const named = t.toLowerCase().replace(/,/g, ' ').replace(/\b(\d{1,2})(st|nd|rd|th)\b/g, '$1').replace(/^(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)[a-z]*\s+/, '').replace(/\s+/g, ' ').trim();
  m = /^(\d{1,2}) ([a-z]+) (\d{4})$/.exec(named);
  const dayFirst = m ? { day: m[1]!, month: m[2]!, year: m[3]! } : undefined;
  m = /^([a-z]+) (\d{1,2}) (\d{4})$/.exec(named);
  const monthFirst = m ? { day: m[2]!, month: m[1]!, year: m[3]! } : undefined;
  const parts = dayFirst ?? monthFirst;
  if (parts) {
    const month = monthNumber(parts.month);
    if (month !== undefined) return dateOf(Number(parts.year), month, Number(parts.day), t);
  }
  return { kind: 'unknown' };
}
