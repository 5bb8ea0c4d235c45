import type { Answer, EligibilityResult, ReasonCode, ScreeningQuestion } from '../src/domain/eligibility';
import { REASON_EXPLANATIONS } from '../src/domain/eligibility';
import { callout, card, execute, heading, para, subtle, type AdaptiveCard, type CardElement } from './adaptive';
import { VERBS } from './verbs';

export const ANSWER_LABELS: Record<Answer, string> = { yes: 'Yes', no: 'No', not_sure: 'Not sure' };

export interface QuestionView {
  screeningId: string;
  question: ScreeningQuestion;
  number: number;
  /** Shown when the previous reply was not one of the answers. */
  retry?: boolean;
}

export function screeningQuestionCard(v: QuestionView): AdaptiveCard {
  const body: CardElement[] = [
    subtle(`Eligibility check · question ${v.number}`),
    para(`**${v.question.text}**`, { size: 'Medium' }),
    subtle(v.question.hint),
  ];
  if (v.retry) {
    body.unshift(callout('attention', 'Sorry, I did not catch that. Choose an answer below, or type yes, no or not sure.'));
  }
  const answer = (a: Answer) =>
    execute(ANSWER_LABELS[a], VERBS.screeningAnswer, { screeningId: v.screeningId, questionId: v.question.id, answer: a });
  return card(body, [answer('yes'), answer('no'), answer('not_sure')]);
}

/** The question card after it was answered: the answer in place of the buttons. */
export function answeredQuestionCard(question: ScreeningQuestion, number: number, answer: Answer): AdaptiveCard {
  return card([
    subtle(`Eligibility check · question ${number}`),
    para(`**${question.text}**`),
    para(`Your answer: **${ANSWER_LABELS[answer]}**`),
  ]);
}

/** A button on a question that is no longer being asked (answered, cancelled or replaced). */
export function staleQuestionCard(): AdaptiveCard {
  return card([subtle('This question is no longer open. Type **refer** to start a new referral.')]);
}

function reasonBlocks(codes: readonly ReasonCode[]): CardElement[] {
  return codes.flatMap((code) => {
    const r = REASON_EXPLANATIONS[code];
    return [para(`**${r.title}**`, { spacing: 'Medium' }), para(r.why, { spacing: 'Small' }), para(`What you can do: ${r.whatNext}`, { spacing: 'Small', isSubtle: true })];
  });
}

export interface IneligibleView {
  screeningId: string;
  result: EligibilityResult;
  /** Only when the one failing rule is sentencing: ask for the date to remind the referrer. */
  offerReminder: boolean;
  today: string;
  /** Shown beside the date when the last attempt was refused. */
  error?: string;
}

/** A fresh eligibility check, for a referrer who answered something wrongly or whose case has moved on. */
const startAgain = () => execute('Start again', VERBS.startReferral, {}, { associatedInputs: 'none' });

export function ineligibleCard(v: IneligibleView): AdaptiveCard {
  const body: CardElement[] = [
    heading('This case cannot be referred yet'),
    para(
      v.result.reasons.length === 1
        ? 'One of the service\'s criteria is not met:'
        : `${v.result.reasons.length} of the service's criteria are not met:`,
    ),
    ...reasonBlocks(v.result.reasons),
    subtle('Nothing about the people involved has been saved; only an anonymous record of the answers is kept for reporting.'),
  ];
  // Several reasons: no date to leave, so nothing to answer; a way back to the start instead of a dead end.
  if (!v.offerReminder) return card(body, [startAgain()]);
  body.push(
    para('**Do you know the sentencing date?** We can remind you on that day to refer again. Choose it below, or type it (for example 14/03/2027), or type **no**.', { spacing: 'Large' }),
    { type: 'Input.Date', id: 'sentencingDate', label: 'Sentencing date', min: v.today, isRequired: true, errorMessage: 'Choose the sentencing date.' },
  );
  if (v.error) body.push({ ...callout('attention', v.error, { size: 'Small' }), spacing: 'Small' });
  return card(body, [
    execute('Remind me on that date', VERBS.screeningRemind, { screeningId: v.screeningId }, { style: 'positive' }),
    execute('No thanks', VERBS.screeningNoRemind, { screeningId: v.screeningId }, { associatedInputs: 'none' }),
  ]);
}

/** The ineligible card after the referrer answered the reminder offer. */
export function ineligibleAnsweredCard(result: EligibilityResult, reminderDate: string | undefined): AdaptiveCard {
  const body: CardElement[] = [heading('This case cannot be referred yet'), ...reasonBlocks(result.reasons)];
  if (reminderDate) body.push({ ...callout('good', `We will remind you on **${reminderDate}** to refer this case again.`), spacing: 'Medium' });
  else body.push(subtle('No reminder set. Type **refer** when the case is ready.'));
  return card(body, [startAgain()]);
}

export function needsReviewNote(uncertain: readonly ReasonCode[]): string {
  const topics = uncertain.map((c) => REASON_EXPLANATIONS[c].topic);
  return `Some answers were "not sure" (${topics.join('; ')}), so a coordinator will review this referral. Please fill in the form.`;
}
