import { COMPLEX_OFFENCES, type OffenceType } from './vocabulary';

/**
 * The service's referral criteria (DESIGN.md, "The service's rules"). Every rule, its question,
 * its plain-English explanation and how answers decide it live here and nowhere else.
 */

export type Answer = 'yes' | 'no' | 'not_sure';

export const REASON_CODES = [
  'NOT_SENTENCED',
  'RESPONSIBILITY_NOT_ACCEPTED',
  'NO_IDENTIFIABLE_HARMED_PERSON',
  'NO_ARREST',
  'EXCLUDED_OFFENCE_UNDER_18',
  'NOT_LONDON',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export type QuestionId =
  | 'sentenced'
  | 'responsibility'
  | 'harmedPerson'
  | 'arrested'
  | 'stalkingOrChildAbuse'
  | 'harmedUnder18'
  | 'london';

export type ScreeningAnswers = Partial<Record<QuestionId, Answer>>;

export interface ScreeningQuestion {
  id: QuestionId;
  text: string;
  /** Said under the question so a tired referrer knows what counts. */
  hint: string;
  /** A question that only matters for some earlier answers. */
  askIf?: (answers: ScreeningAnswers) => boolean;
}

export const SCREENING_QUESTIONS: readonly ScreeningQuestion[] = [
  {
    id: 'sentenced',
    text: 'Has the person who caused the harm been sentenced, with the legal process now over?',
    hint: 'Answer no if a trial, an appeal or the sentencing itself is still pending.',
  },
  {
    id: 'responsibility',
    text: 'Have they admitted the offence and accepted responsibility for it?',
    hint: 'Restorative justice starts from an acknowledgement of the harm done.',
  },
  {
    id: 'harmedPerson',
    text: 'Is there an identifiable person who was harmed?',
    hint: 'A named individual, not "society" and not a company.',
  },
  {
    id: 'arrested',
    text: 'Did the police arrest the person who caused the harm?',
    hint: 'The service works with cases where a perpetrator was arrested.',
  },
  {
    id: 'stalkingOrChildAbuse',
    text: 'Is the offence stalking or child abuse?',
    hint: 'These offences are handled only when the harmed person is an adult.',
  },
  {
    id: 'harmedUnder18',
    text: 'Is the harmed person under 18 now?',
    hint: 'Asked because the offence is (or may be) stalking or child abuse.',
    askIf: (a) => a.stalkingOrChildAbuse === 'yes' || a.stalkingOrChildAbuse === 'not_sure',
  },
  {
    id: 'london',
    text: 'Does the crime involve people who live in London?',
    hint: 'The harmed person or the person who caused the harm lives in a London borough or the City of London.',
  },
];

/** The next unanswered question that applies, or undefined when screening is complete. */
export function nextQuestion(answers: ScreeningAnswers): ScreeningQuestion | undefined {
  return SCREENING_QUESTIONS.find((q) => answers[q.id] === undefined && (q.askIf?.(answers) ?? true));
}

export function questionById(id: string): ScreeningQuestion | undefined {
  return SCREENING_QUESTIONS.find((q) => q.id === id);
}

/** Answers that a question which no longer applies must not keep (e.g. after a changed earlier answer). */
export function applicableAnswers(answers: ScreeningAnswers): ScreeningAnswers {
  const kept: ScreeningAnswers = {};
  for (const q of SCREENING_QUESTIONS) {
    const a = answers[q.id];
    if (a !== undefined && (q.askIf?.(kept) ?? true)) kept[q.id] = a;
  }
  return kept;
}

const YES = new Set(['yes', 'y', 'yeah', 'yep', 'yup', 'correct', 'true', 'they have', 'it is', 'i think so']);
const NO = new Set(['no', 'n', 'nope', 'nah', 'false', 'not yet', 'they have not', 'it is not']);
const NOT_SURE = new Set([
  'not sure', 'unsure', 'dont know', 'do not know', 'i dont know', 'i do not know', 'dunno', 'dk', 'idk',
  'maybe', 'not certain', 'unknown', 'no idea', 'im not sure', 'i am not sure', 'notsure', 'not_sure',
]);

/** A typed answer, or undefined when it is not clearly one of the three (we ask again, never guess). */
export function parseAnswer(text: string): Answer | undefined {
  const t = text
    .toLowerCase()
    .replace(/[\u2018\u2019']/g, '')
    .replace(/[^a-z_ ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (YES.has(t)) return 'yes';
  if (NO.has(t)) return 'no';
  if (NOT_SURE.has(t)) return 'not_sure';
  return undefined;
}

export interface ReasonExplanation {
  /** What failed, in a referrer's words. */
  title: string;
  /** What the rule is about, for "not sure about …" lists. */
  topic: string;
  /** Why the service needs it. */
  why: string;
  /** What the referrer can do now. */
  whatNext: string;
}

export const REASON_EXPLANATIONS: Record<ReasonCode, ReasonExplanation> = {
  NOT_SENTENCED: {
    topic: 'whether sentencing is over',
    title: 'The case has not finished going through the courts',
    why: 'Meeting before sentencing, or while a trial or appeal is pending, could affect the legal process.',
    // Only this explanation's card may offer the reminder (when sentencing is the one failing rule), so it promises none.
    whatNext: 'Refer again once sentencing is over.',
  },
  RESPONSIBILITY_NOT_ACCEPTED: {
    topic: 'whether responsibility was accepted',
    title: 'The person who caused the harm has not accepted responsibility',
    why: 'A restorative meeting is only safe for the harmed person when the offence is acknowledged.',
    whatNext: 'If they later admit the offence and accept responsibility, you can refer again.',
  },
  NO_IDENTIFIABLE_HARMED_PERSON: {
    topic: 'whether there is an identifiable harmed person',
    title: 'There is no identifiable harmed person',
    why: 'Restorative justice brings together the person harmed and the person responsible; it cannot work with "society" or a company.',
    whatNext: 'Community or organisational harm may suit other programmes; the service can suggest some.',
  },
  NO_ARREST: {
    topic: 'whether a perpetrator was arrested',
    title: 'Nobody was arrested for the offence',
    why: 'The service works with cases where the police arrested a perpetrator.',
    whatNext: 'If an arrest is made and the case concludes, you can refer again.',
  },
  EXCLUDED_OFFENCE_UNDER_18: {
    topic: 'whether it is stalking or child abuse with a harmed person under 18',
    title: 'Stalking and child abuse cases with a harmed person under 18 are excluded',
    why: 'Following practice guidance, the service does not handle these offences when the harmed person is a child.',
    whatNext: 'Specialist children\'s services can advise; the case may be referred once the harmed person is an adult.',
  },
  NOT_LONDON: {
    topic: 'whether London residents are involved',
    title: 'The crime does not involve London residents',
    why: 'The service covers the 32 London boroughs and the City of London.',
    whatNext: 'Restorative justice services exist across England and Wales; look for the one covering the area.',
  },
};

export type EligibilityOutcome = 'eligible' | 'ineligible' | 'needs_review';

export interface EligibilityFlags {
  /** Homicide and death-by-driving cases need experienced facilitators. */
  complex: boolean;
  /** Stalking or child abuse with an adult harmed person: eligible, but practice guidance asks for extra care. */
  extraCare: boolean;
}

export interface EligibilityResult {
  outcome: EligibilityOutcome;
  /** Every rule answered "no" (all of them, not only the first), in the order of REASON_CODES. */
  reasons: ReasonCode[];
  /** Rules that could not be decided because of a "not sure"; a coordinator decides these. */
  uncertain: ReasonCode[];
  flags: EligibilityFlags;
  /** False while a question that applies is still unanswered. */
  complete: boolean;
}

type RuleState = 'pass' | 'fail' | 'unsure' | 'unanswered';

/** A yes/no rule where "yes" is the answer that passes. */
function mustBeYes(a: Answer | undefined): RuleState {
  if (a === undefined) return 'unanswered';
  return a === 'yes' ? 'pass' : a === 'no' ? 'fail' : 'unsure';
}

function excludedOffenceUnder18(a: ScreeningAnswers): RuleState {
  const offence = a.stalkingOrChildAbuse;
  const under18 = a.harmedUnder18;
  if (offence === undefined) return 'unanswered';
  if (offence === 'no') return 'pass';
  if (under18 === undefined) return 'unanswered';
  if (under18 === 'no') return 'pass';
  if (offence === 'yes' && under18 === 'yes') return 'fail';
  return 'unsure';
}

export function ruleStates(a: ScreeningAnswers): Record<ReasonCode, RuleState> {
  return {
    NOT_SENTENCED: mustBeYes(a.sentenced),
    RESPONSIBILITY_NOT_ACCEPTED: mustBeYes(a.responsibility),
    NO_IDENTIFIABLE_HARMED_PERSON: mustBeYes(a.harmedPerson),
    NO_ARREST: mustBeYes(a.arrested),
    EXCLUDED_OFFENCE_UNDER_18: excludedOffenceUnder18(a),
    NOT_LONDON: mustBeYes(a.london),
  };
}

export interface EligibilityInput {
  answers: ScreeningAnswers;
  /** Known once the referral form is filled in; decides the complex flag. */
  offenceType?: OffenceType;
}

/**
 * Decides a screening. Any "no" makes it ineligible (listing every failing rule); otherwise any
 * "not sure" makes it needs review; otherwise eligible. An incomplete screening is never eligible.
 */
export function assessEligibility(input: EligibilityInput): EligibilityResult {
  const states = ruleStates(input.answers);
  const reasons = REASON_CODES.filter((c) => states[c] === 'fail');
  const uncertain = REASON_CODES.filter((c) => states[c] === 'unsure');
  const complete = REASON_CODES.every((c) => states[c] !== 'unanswered');
  const a = input.answers;
  const offenceIsStalkingOrAbuse =
    a.stalkingOrChildAbuse === 'yes' || input.offenceType === 'stalking' || input.offenceType === 'child_abuse';
  const flags: EligibilityFlags = {
    complex: input.offenceType !== undefined && COMPLEX_OFFENCES.includes(input.offenceType),
    extraCare: offenceIsStalkingOrAbuse && a.harmedUnder18 !== 'yes',
  };
  let outcome: EligibilityOutcome;
  if (reasons.length > 0) outcome = 'ineligible';
  else if (uncertain.length > 0 || !complete) outcome = 'needs_review';
  else outcome = 'eligible';
  return { outcome, reasons, uncertain, flags, complete };
}

/** Offer a re-referral reminder only when the sole failing rule is sentencing. */
export function offersReReferReminder(result: EligibilityResult): boolean {
  return result.outcome === 'ineligible' && result.reasons.length === 1 && result.reasons[0] === 'NOT_SENTENCED';
}
