import { REASON_EXPLANATIONS, type ReasonCode } from '../src/domain/eligibility';
import { stripUnsafe } from '../src/domain/text';
import { CLOSED_STAGES, OFFENCE_TYPES, type OffenceType } from '../src/domain/vocabulary';
import { callout, card, execute, facts, heading, para, plain, subtle, type AdaptiveCard, type CardAction, type CardElement, type Choice, type ExecuteAction } from './adaptive';
import { CASE_VERBS } from './verbs';

/** Reasons a coordinator can give for declining a referral at triage. */
export const DECLINE_REASONS = {
  not_eligible: 'Does not meet the criteria after review',
  not_suitable: 'Not suitable for restorative justice',
  duplicate: 'Duplicate referral',
  no_capacity: 'Service has no capacity',
  other: 'Other',
} as const;
export type DeclineReason = keyof typeof DECLINE_REASONS;

/**
 * The category of a recorded decline ("<category>" or "<category>: <coordinator's note>"), without
 * the note, which stays in the case record; undefined when the record names no category.
 */
export function declineCategoryOf(recorded: string | null): (typeof DECLINE_REASONS)[DeclineReason] | undefined {
  return Object.values(DECLINE_REASONS).find((label) => recorded === label || recorded?.startsWith(`${label}: `));
}

export const OFFER_DECLINE_REASONS = {
  capacity: 'I do not have capacity',
  conflict: 'Conflict of interest',
  experience: 'Outside my experience',
  unavailable: 'Unavailable for the coming weeks',
  other: 'Other',
} as const;

const choices = (o: Record<string, string>): Choice[] => Object.entries(o).map(([value, title]) => ({ title, value }));

export interface OfferSummary {
  facilitatorName: string;
  status: 'offered' | 'accepted' | 'declined' | 'withdrawn';
  on?: string;
  reason?: string;
  sendError?: string;
}

/** What the coordinators' channel may show of a case: no participant names or contact details. */
export interface ChannelCaseView {
  caseId: string;
  reference: string;
  offenceType: OffenceType;
  source: string;
  referredOn: string;
  stage: string;
  stageLabel: string;
  complex: boolean;
  extraCare: boolean;
  /**
   * Some screening answers were "not sure". Only the flag: which answers is in the case, shown when a
   * coordinator opens it, never in a channel.
   */
  needsReview: boolean;
  triage?: { by: string; on: string; declined?: string };
  offers: OfferSummary[];
  /** Problems coordinators must see, e.g. a facilitator who could not be reached. */
  alerts: string[];
}

/** The case card's detail of a needs-review referral: which screening answers were "not sure" (never on a channel card). */
export function needsReviewDetail(reasons: readonly string[]): string | undefined {
  if (reasons.length === 0) return undefined;
  return `Needs review: not sure ${reasons.map((r) => (r in REASON_EXPLANATIONS ? REASON_EXPLANATIONS[r as ReasonCode].topic : r)).join('; ')}`;
}

function flagsLine(v: { complex: boolean; extraCare: boolean; needsReview: boolean }): string | undefined {
  const f: string[] = [];
  if (v.complex) f.push('Complex (experienced facilitator needed)');
  if (v.extraCare) f.push('Extra care (stalking/abuse guidance)');
  if (v.needsReview) f.push('Needs review');
  return f.length > 0 ? f.join(' · ') : undefined;
}

function offerLine(o: OfferSummary): string {
  const who = plain(o.facilitatorName);
  switch (o.status) {
    case 'offered':
      return `${who}: offered, waiting for an answer${o.sendError ? ` (**not delivered**: ${o.sendError})` : ''}`;
    case 'accepted':
      return `${who}: accepted${o.on ? ` on ${o.on}` : ''}`;
    case 'declined':
      return `${who}: declined${o.reason ? ` (${plain(o.reason)})` : ''}`;
    case 'withdrawn':
      return `${who}: replaced`;
  }
}

export function channelCaseCard(v: ChannelCaseView): AdaptiveCard {
  const body: CardElement[] = [
    heading(`Referral ${v.reference}`),
    facts([
      ['Offence', OFFENCE_TYPES[v.offenceType]],
      ['From', plain(v.source)],
      ['Referred', v.referredOn],
      ['Stage', v.stageLabel],
      ['Flags', flagsLine(v)],
    ]),
  ];
  if (v.triage) {
    body.push(subtle(v.triage.declined ? `Declined by ${plain(v.triage.by)} on ${v.triage.on}: ${plain(v.triage.declined)}` : `Accepted into the service by ${plain(v.triage.by)} on ${v.triage.on}`));
  }
  const live = v.offers.filter((o) => o.status !== 'withdrawn');
  if (live.length > 0) body.push(para('**Facilitators**', { spacing: 'Medium' }), para(live.map((o) => `- ${offerLine(o)}`).join('\n')));
  for (const a of v.alerts) body.push(callout('attention', a));

  const open = execute('Open', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' });
  const actions: CardAction[] = [];
  if (v.stage === 'referred') {
    body.push(
      {
        type: 'Input.ChoiceSet', id: 'declineReason', label: 'If declining: reason', choices: choices(DECLINE_REASONS), style: 'compact', placeholder: 'Choose a reason',
      },
      { type: 'Input.Text', id: 'declineNote', label: 'Note (for the case record)', maxLength: 500, isMultiline: true },
    );
    actions.push(
      execute('Accept into service', CASE_VERBS.triageAccept, { caseId: v.caseId }, { style: 'positive', associatedInputs: 'none' }),
      execute('Decline', CASE_VERBS.triageDecline, { caseId: v.caseId }, { style: 'destructive' }),
      open,
    );
  } else if (v.stage === 'accepted') {
    actions.push(execute('Assign facilitators', CASE_VERBS.assignStart, { caseId: v.caseId }, { style: 'positive' }), open);
  } else if (v.stage === 'assigning') {
    const needsReplacement = v.offers.some((o) => o.status === 'declined') && live.filter((o) => o.status !== 'declined').length < 2;
    actions.push(execute(needsReplacement ? 'Choose replacement' : 'Change facilitators', CASE_VERBS.assignStart, { caseId: v.caseId }, { style: needsReplacement ? 'positive' : 'default' }), open);
  } else if (!CLOSED_STAGES.some((s) => s === v.stage)) {
    actions.push(execute('Replace a facilitator', CASE_VERBS.assignStart, { caseId: v.caseId }), open);
  } else {
    actions.push(open);
  }
  return card(body, actions);
}

/** The ping to coordinators when a facilitator declines: one button to pick someone else. */
export function replacementNeededCard(caseId: string, reference: string): AdaptiveCard {
  return card(
    [para(`A facilitator declined case **${reference}**. The other facilitator's answer stands; choose a replacement.`)],
    // `from`: the assign form's Cancel and Offer answer on this post (see replacementDoneCard).
    [execute('Choose replacement', CASE_VERBS.assignStart, { caseId, from: 'replacement' }, { style: 'positive' })],
  );
}

export interface ReplacementDoneView {
  caseId: string;
  reference: string;
  /** Who was just offered the place from this post; absent when it was chosen elsewhere. */
  offeredTo?: string[];
  /** The facilitators on the case now. */
  onCase: { name: string; status: 'offered' | 'accepted' }[];
}

/** The "Choose replacement" post once a replacement is chosen (here or on the channel card): what was done, no stale button. */
export function replacementDoneCard(v: ReplacementDoneView): AdaptiveCard {
  const body: CardElement[] = [heading(`Replacement chosen: ${v.reference}`)];
  if (v.offeredTo && v.offeredTo.length > 0) body.push(para(`Offered to ${v.offeredTo.map(plain).join(' and ')}, who is asked in their 1:1 chat.`));
  else body.push(para('A replacement has already been chosen for this case.'));
  if (v.onCase.length > 0) {
    body.push(para(v.onCase.map((o) => `- ${plain(o.name)}: ${o.status === 'accepted' ? 'accepted' : 'waiting for an answer'}`).join('\n'), { spacing: 'Small' }));
  }
  return card(body, [execute('Open', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' })]);
}

export interface PairChoice {
  aadObjectId: string;
  name: string;
  openCases: number;
  maxCases: number;
  experienced: boolean;
}

/** Where the assign form was opened: its Cancel goes back there, and an offer made from the replacement post answers there. */
export type AssignFrom = 'channel' | 'replacement';

export interface AssignView {
  caseId: string;
  reference: string;
  complex: boolean;
  /** When replacing: the facilitator who stays. */
  keep?: PairChoice;
  suggestions: { a: PairChoice; b?: PairChoice; reason: string }[];
  available: PairChoice[];
  noSuggestionReason?: string;
  error?: string;
  /** When both facilitators are on the case: who may be replaced (the coordinator picks one). */
  replaceable?: PairChoice[];
  /** The channel card (default) or the "Choose replacement" post. */
  from?: AssignFrom;
}

// Choice titles are not Markdown; the name only loses characters that would disguise it.
const personLabel = (p: PairChoice) => `${stripUnsafe(p.name)} (${p.openCases}/${p.maxCases} cases${p.experienced ? ', experienced' : ''})`;

/** A first name for a button, short enough that "Offer to Fran and Gabe" fits a phone's width. */
function firstName(name: string): string {
  const first = stripUnsafe(name).trim().split(/\s+/)[0] || 'them';
  return first.length > 10 ? `${first.slice(0, 9)}…` : first;
}

/** "Offer to Fran and Gabe"; a second suggestion with the same first names is told apart by its number. */
function offerTitles(suggestions: AssignView['suggestions']): string[] {
  const titles = suggestions.map((s) => `Offer to ${firstName(s.a.name)}${s.b ? ` and ${firstName(s.b.name)}` : ''}`);
  return titles.map((t, i) => (titles.indexOf(t) !== i || titles.lastIndexOf(t) !== i ? `${t} (${i + 1})` : t));
}

const cancelAssign = (v: AssignView): ExecuteAction =>
  execute('Cancel', CASE_VERBS.assignCancel, { caseId: v.caseId, from: v.from ?? 'channel' }, { associatedInputs: 'none' });

export function assignCard(v: AssignView): AdaptiveCard {
  if (v.replaceable) return replaceCard(v, v.replaceable);
  const replacing = v.keep !== undefined;
  const from = v.from ?? 'channel';
  const body: CardElement[] = [
    heading(replacing ? `Choose a replacement for ${v.reference}` : `Assign facilitators to ${v.reference}`),
  ];
  if (v.complex) body.push(callout('warning', 'Complex case: at least one experienced facilitator is needed.'));
  if (v.keep) body.push(para(`Staying on the case: ${plain(v.keep.name)}`));
  if (v.error) body.push(callout('attention', v.error));
  body.push(para(replacing ? '**Suggested**' : '**Suggested pairs**', { spacing: 'Medium' }));
  if (v.suggestions.length === 0) body.push(para(v.noSuggestionReason ?? 'No suggestion: choose below.', { isSubtle: true }));
  const titles = offerTitles(v.suggestions);
  v.suggestions.forEach((s, i) => {
    const names = s.b ? `${plain(s.a.name)} and ${plain(s.b.name)}` : plain(s.a.name);
    body.push(
      para(`${names}: ${s.reason}`, { spacing: i === 0 ? 'Small' : 'Medium' }),
      // One button per row: the names are the button, and a row of several would cut them on a phone.
      { type: 'ActionSet', spacing: 'Small', actions: [execute(titles[i]!, CASE_VERBS.assignConfirm, { caseId: v.caseId, facilitatorA: s.a.aadObjectId, facilitatorB: s.b?.aadObjectId ?? '', choice: 'suggested', from }, { associatedInputs: 'none' })] },
    );
  });
  const people = v.available.map((p) => ({ title: personLabel(p), value: p.aadObjectId }));
  body.push(para(replacing ? '**Or choose anyone**' : '**Or choose any two**', { spacing: 'Large' }));
  body.push({ type: 'Input.ChoiceSet', id: 'facilitatorA', label: replacing ? 'Replacement' : 'First facilitator', choices: people, style: 'compact', isRequired: true, errorMessage: 'Choose a facilitator.' });
  if (!replacing) body.push({ type: 'Input.ChoiceSet', id: 'facilitatorB', label: 'Second facilitator', choices: people, style: 'compact', isRequired: true, errorMessage: 'Choose a second facilitator.' });
  return card(body, [execute(replacing ? 'Offer to the chosen person' : 'Offer to the chosen pair', CASE_VERBS.assignConfirm, { caseId: v.caseId, choice: 'free', from }, { style: 'positive' }), cancelAssign(v)]);
}

/** Swapping one of two facilitators who are on the case: who leaves, and who takes over. */
function replaceCard(v: AssignView, onCase: PairChoice[]): AdaptiveCard {
  const body: CardElement[] = [heading(`Replace a facilitator on ${v.reference}`)];
  if (v.complex) body.push(callout('warning', 'Complex case: at least one experienced facilitator is needed.'));
  if (v.error) body.push(callout('attention', v.error));
  body.push(
    subtle('The person replaced is told, and no longer sees the case. The one who stays keeps it.'),
    { type: 'Input.ChoiceSet', id: 'removeFacilitator', label: 'Replace', choices: onCase.map((p) => ({ title: p.name, value: p.aadObjectId })), style: 'expanded', isRequired: true, errorMessage: 'Choose who leaves the case.' },
    { type: 'Input.ChoiceSet', id: 'facilitatorA', label: 'With', choices: v.available.map((p) => ({ title: personLabel(p), value: p.aadObjectId })), style: 'compact', isRequired: true, errorMessage: 'Choose who takes over.' },
  );
  return card(body, [execute('Replace', CASE_VERBS.assignConfirm, { caseId: v.caseId, choice: 'replace', from: v.from ?? 'channel' }, { style: 'destructive' }), cancelAssign(v)]);
}

export interface OfferView {
  offerId: string;
  reference: string;
  offenceType: OffenceType;
  borough?: string;
  complex: boolean;
  extraCare: boolean;
  coFacilitatorName?: string;
  status: 'offered' | 'accepted' | 'declined' | 'withdrawn';
  answeredOn?: string;
  /** Teams user ids (29:…) that see the live buttons; everyone else sees the card without them. */
  refreshUserIds: string[];
  message?: string;
}

export function offerCard(v: OfferView): AdaptiveCard {
  const body: CardElement[] = [
    heading(`Case offer: ${v.reference}`),
    facts([
      ['Offence', OFFENCE_TYPES[v.offenceType]],
      ['Borough', v.borough],
      ['Flags', flagsLine({ complex: v.complex, extraCare: v.extraCare, needsReview: false })],
      ['Co-facilitator', v.coFacilitatorName ? plain(v.coFacilitatorName) : 'to be confirmed'],
    ]),
  ];
  if (v.message) body.push(callout('attention', v.message));
  const refresh = execute('Refresh', CASE_VERBS.offerRefresh, { offerId: v.offerId }, { associatedInputs: 'none' });
  if (v.status === 'accepted') {
    body.push(callout('good', `Accepted by you on ${v.answeredOn ?? 'today'}. The case details are in a separate message.`));
    return card(body);
  }
  if (v.status === 'declined') {
    body.push(para(`Declined${v.answeredOn ? ` on ${v.answeredOn}` : ''}. Thank you for letting us know.`));
    return card(body);
  }
  if (v.status === 'withdrawn') {
    body.push(para('This offer was withdrawn by a coordinator. Nothing more is needed from you.'));
    return card(body);
  }
  body.push(
    subtle('The people involved are named only once you accept. Participation is voluntary for them, and for you.'),
    { type: 'Input.ChoiceSet', id: 'declineReason', label: 'If declining: reason', choices: choices(OFFER_DECLINE_REASONS), style: 'compact', placeholder: 'Choose a reason' },
  );
  const c = card(body, [
    execute('Accept', CASE_VERBS.offerAccept, { offerId: v.offerId }, { style: 'positive', associatedInputs: 'none' }),
    execute('Decline', CASE_VERBS.offerDecline, { offerId: v.offerId }, { style: 'destructive' }),
  ]);
  c.refresh = { action: refresh, userIds: v.refreshUserIds };
  return c;
}

/**
 * An offer as anyone but the offered facilitator or a coordinator sees it (the card may still be in
 * a replaced facilitator's chat): that it exists, and nothing about the case, not even its reference.
 */
export function offerCardForOthers(message: string): AdaptiveCard {
  return card([heading('Case offer'), para(message)]);
}

/** A referrer's view of their own case: the status and nothing confidential. */
export function caseStatusCard(reference: string, status: string, referredOn: string): AdaptiveCard {
  return card([heading(`Referral ${reference}`), facts([['Referred', referredOn], ['Status', status]])]);
}
