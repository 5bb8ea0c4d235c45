import { callout, card, execute, facts, heading, para, subtle, type AdaptiveCard } from './adaptive';
import { CASE_VERBS } from './verbs';

export interface ErasureFormView {
  caseId: string;
  reference: string;
  party: string;
  /** "the harmed person", "the person who caused the harm". */
  partyLabel: string;
  today: string;
  receivedOn?: string;
  error?: string;
}

/** `erase RJ-… harmed person`: when the request came in. */
export function erasureFormCard(v: ErasureFormView): AdaptiveCard {
  return card(
    [
      heading(`Erasure request: ${v.reference}`),
      para(`Record a request from ${v.partyLabel} to erase their data. It must be answered within 28 days of receipt; coordinators are reminded after 21.`),
      ...(v.error ? [callout('attention', v.error)] : []),
      { type: 'Input.Date', id: 'receivedOn', label: 'Date the request was received', isRequired: true, errorMessage: 'Enter the date the request was received.', max: v.today, value: v.receivedOn ?? v.today },
    ],
    [
      execute('Record request', CASE_VERBS.erasureRecord, { caseId: v.caseId, party: v.party }, { style: 'positive' }),
      execute('Cancel', CASE_VERBS.erasureCancel, { caseId: v.caseId }, { associatedInputs: 'none' }),
    ],
  );
}

export interface ErasureRequestView {
  caseId: string;
  requestId: string;
  reference: string;
  partyLabel: string;
  receivedOn: string;
  dueOn: string;
  message?: string;
  error?: string;
}

/** An open request: erase now, or refuse with a reason. */
export function erasureRequestCard(v: ErasureRequestView): AdaptiveCard {
  return card(
    [
      heading(`Erasure request: ${v.reference}`),
      ...(v.message ? [callout('good', v.message)] : []),
      facts([['From', v.partyLabel], ['Received', v.receivedOn], ['Answer by', v.dueOn]]),
      para(`**Erase** removes the name, contact details, date of birth and contact notes of ${v.partyLabel}, for good. The case's dates, stages and outcome stay for reporting.`),
      ...(v.error ? [callout('attention', v.error)] : []),
      { type: 'Input.Text', id: 'refusalReason', label: 'Reason, if you refuse (for example a legal claim)', isMultiline: true, maxLength: 500 },
      subtle('Do not write names in the reason.'),
    ],
    [
      execute('Erase…', CASE_VERBS.erasureErase, { caseId: v.caseId, requestId: v.requestId }, { associatedInputs: 'none' }),
      execute('Refuse', CASE_VERBS.erasureRefuse, { caseId: v.caseId, requestId: v.requestId }),
    ],
  );
}

/** The step before erasing: it cannot be undone. */
export function erasureConfirmCard(v: { caseId: string; requestId: string; reference: string; partyLabel: string }): AdaptiveCard {
  return card(
    [
      heading(`Erase the data of ${v.partyLabel}?`),
      callout('warning', `This cannot be undone. ${v.reference} keeps its dates, stages and outcome; the name, contact details and contact notes of ${v.partyLabel} are removed for good.`),
    ],
    [
      execute('Erase for good', CASE_VERBS.erasureErase, { caseId: v.caseId, requestId: v.requestId, confirmed: 'yes' }, { style: 'destructive', associatedInputs: 'none' }),
      execute('Back', CASE_VERBS.erasureView, { caseId: v.caseId, requestId: v.requestId }, { associatedInputs: 'none' }),
    ],
  );
}

/** A request after its decision (or a cancelled form): what happened, nothing left to click. */
export function erasureDoneCard(reference: string, text: string): AdaptiveCard {
  return card([heading(`Erasure request: ${reference}`), para(text)]);
}

/** To the coordinators on day 21 of an open request. */
export function erasureReminderCard(v: { caseId: string; reference: string; partyLabel: string; receivedOn: string; dueOn: string }): AdaptiveCard {
  return card(
    [
      heading(`Erasure request due: ${v.reference}`),
      para(`The request from ${v.partyLabel}, received ${v.receivedOn}, must be answered by ${v.dueOn}. Type **erase ${v.reference}** in your 1:1 chat with RJ Referrals to erase or refuse.`),
    ],
    [execute('Open case', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' })],
  );
}
