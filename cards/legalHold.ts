import { callout, card, execute, heading, para, subtle, type AdaptiveCard } from './adaptive';
import { CASE_VERBS } from './verbs';

export interface LegalHoldFormView {
  caseId: string;
  reference: string;
  /** The reason typed so far, shown again with an error. */
  reason?: string;
  error?: string;
}

/** `hold RJ-…`: why the case must be kept beyond its retention period. */
export function legalHoldFormCard(v: LegalHoldFormView): AdaptiveCard {
  return card(
    [
      heading(`Legal hold: ${v.reference}`),
      para('A case on legal hold is not anonymised when its retention period ends, until a coordinator lifts the hold (lift hold ' + v.reference + ').'),
      ...(v.error ? [callout('attention', v.error)] : []),
      {
        type: 'Input.Text',
        id: 'holdReason',
        label: 'Reason for the hold',
        isMultiline: true,
        maxLength: 500,
        isRequired: true,
        errorMessage: 'Give the reason for the hold.',
        placeholder: 'For example: civil claim notified by solicitors',
        ...(v.reason ? { value: v.reason } : {}),
      },
      subtle('Do not write names: say what the hold is for. The reason is kept with the case and shown to coordinators.'),
    ],
    [
      execute('Place hold', CASE_VERBS.legalHoldPlace, { caseId: v.caseId }, { style: 'positive' }),
      execute('Cancel', CASE_VERBS.legalHoldCancel, { caseId: v.caseId }, { associatedInputs: 'none' }),
    ],
  );
}

/** The form after it was used or cancelled: what happened, with nothing left to click. */
export function legalHoldDoneCard(reference: string, text: string): AdaptiveCard {
  return card([heading(`Legal hold: ${reference}`), para(text)]);
}
