import { CLOSING_OUTCOMES, PARTY_LABELS, RISK_LEVELS, type Party } from '../src/domain/caseState';
import { CONTACT_METHODS, CONTACT_OUTCOMES, NOTE_MAX } from '../src/domain/contactForm';
import { ATTENDEES_MAX, CLOSE_CHOICES, CONSENT_CHOICES, INDIRECT_LABELS, REASON_MAX, RISK_LABELS, SUMMARY_MAX, VENUE_MAX } from '../src/domain/progressForms';
import {
  callout,
  card,
  execute,
  facts,
  heading,
  para,
  plain,
  subtle,
  type ActionData,
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  type Choice,
  type InputChoiceSet,
  type InputDate,
  type InputTime,
  type InputText,
  type ActionSet,
  type ExecuteAction,
  type TextBlock,
  type ToggleVisibilityAction,
} from './adaptive';
import { PROGRESS_VERBS, type ProgressVerb } from './progressVerbs';
import { CASE_VERBS } from './verbs';

/*
 * The case card and its forms, shown only in a 1:1 chat with a facilitator of the case or a
 * coordinator. Every user-typed value goes through `plain` so it cannot become Markdown.
 */

const choices = (o: Readonly<Record<string, string>>): Choice[] => Object.entries(o).map(([value, title]) => ({ title, value }));

export const PARTY_TITLES: Readonly<Record<Party, string>> = { harmed_person: 'Harmed person', offender: 'Person who caused the harm' };

export interface CaseActionButton {
  /** At most 20 characters: longer titles are cut off on a phone. */
  title: string;
  verb: ProgressVerb | typeof CASE_VERBS.openCase;
  data?: ActionData;
  style?: 'positive' | 'destructive';
  /** Always in the overflow menu (…), whatever else the card has. */
  secondary?: boolean;
}

/** Buttons shown on the card itself; the rest go in Teams' overflow menu (…). */
export const MAX_PRIMARY_ACTIONS = 3;
const MAX_ACTIONS_IN_A_SET = 5;

export interface ParticipantPanel {
  party: Party;
  name: string;
  borough?: string;
  phone?: string;
  email?: string;
  consent: string;
  latestContact?: string;
  latestNote?: string;
  nextFollowUp?: string;
  due?: { label: string; overdue: boolean };
}

export interface CaseCardView {
  caseId: string;
  reference: string;
  stageLabel: string;
  offence: string;
  referredOn: string;
  flags?: string;
  facilitators: string[];
  /** The soonest thing due on the case, if any. */
  nextDue?: { label: string; overdue: boolean };
  /** What the case needs next, in one sentence. */
  nextStep?: string;
  participants: ParticipantPanel[];
  referral: { description?: string; offenceDate?: string; sentence?: string; prison?: string; source?: string; relationship?: string; riskNotes?: string; accessNeeds?: string };
  risk?: { line: string; summary?: string; signOff?: string };
  /** The conference or indirect-communication plan, one line each, history included. */
  plan: string[];
  planNote?: string;
  closed?: { line: string; note?: string };
  timeline: { on: string; text: string }[];
  actions: CaseActionButton[];
  message?: { text: string; kind: 'good' | 'attention' };
}

function banner(m: CaseCardView['message']): CardElement[] {
  if (!m) return [];
  return [{ type: 'Container', style: m.kind === 'good' ? 'good' : 'attention', items: [para(plain(m.text))] }];
}

/**
 * A section shown as one line (title and a short summary) that opens in place: a tap on the line
 * toggles the details below it (Action.ToggleVisibility, nothing is sent to the bot), so the card
 * stays about one phone screen tall until someone asks for more.
 */
function section(id: string, title: string, summary: string | undefined, details: CardElement[]): CardElement[] {
  const line = (open: boolean): TextBlock => para(`${open ? '▾' : '▸'} **${title}**${summary ? ` · ${summary}` : ''}`);
  const toggle: ToggleVisibilityAction = { type: 'Action.ToggleVisibility', targetElements: [`${id}-closed`, `${id}-open`, id] };
  return [
    { type: 'Container', id: `${id}-closed`, separator: true, spacing: 'Small', selectAction: toggle, items: [line(false)] },
    { type: 'Container', id: `${id}-open`, isVisible: false, separator: true, spacing: 'Small', selectAction: toggle, items: [line(true)] },
    { type: 'Container', id, isVisible: false, spacing: 'Small', items: details },
  ];
}

/**
 * The case's buttons: the first MAX_PRIMARY_ACTIONS that are not marked secondary stay on the
 * card, every other one (and Refresh) goes in the overflow menu.
 */
export function caseCardActions(actions: readonly CaseActionButton[], caseId: string): ExecuteAction[] {
  let primary = 0;
  return [...actions, { title: 'Refresh', verb: CASE_VERBS.openCase, secondary: true } satisfies CaseActionButton].map((a) => {
    const secondary = a.secondary === true || primary >= MAX_PRIMARY_ACTIONS;
    if (!secondary) primary += 1;
    return execute(a.title, a.verb, { caseId, ...(a.data ?? {}) }, { ...(a.style ? { style: a.style } : {}), associatedInputs: 'none', ...(secondary ? { mode: 'secondary' as const } : {}) });
  });
}

export function caseCard(v: CaseCardView): AdaptiveCard {
  const body: CardElement[] = [
    ...banner(v.message),
    heading(`Case ${v.reference}`),
    facts([
      ['Stage', v.stageLabel],
      ['Pair', v.facilitators.length > 0 ? v.facilitators.map(plain).join(' and ') : 'not yet assigned'],
      ['Due', v.nextDue && !v.nextDue.overdue ? v.nextDue.label : v.nextDue ? undefined : 'nothing due'],
      ['Next', v.nextStep],
    ]),
  ];
  if (v.nextDue?.overdue) body.push({ ...callout('attention', `⚠ ${v.nextDue.label}`, { size: 'Small' }), spacing: 'Small' });

  for (const p of v.participants) {
    const details: CardElement[] = [
      facts([
        ['Name', plain(p.name)],
        ['Borough', p.borough],
        ['Phone', p.phone ? plain(p.phone) : undefined],
        ['Email', p.email ? plain(p.email) : undefined],
        ['Consent', p.consent],
        ['Latest contact', p.latestContact ?? 'none yet'],
        ['Next follow-up', p.nextFollowUp],
      ]),
    ];
    if (p.latestNote) details.push(subtle(`Note: ${plain(p.latestNote)}`));
    if (p.due) details.push(p.due.overdue ? { ...callout('attention', `⚠ ${p.due.label}`, { size: 'Small' }), spacing: 'Small' } : para(p.due.label, { size: 'Small', spacing: 'Small' }));
    body.push(...section(p.party === 'harmed_person' ? 'harmed' : 'caused', PARTY_TITLES[p.party], `consent ${p.consent.charAt(0).toLowerCase()}${p.consent.slice(1)}`, details));
  }

  const referral: CardElement[] = [facts([
    ['Offence', v.offence],
    ['Offence date', v.referral.offenceDate],
    ['Sentence', v.referral.sentence],
    ['Prison', v.referral.prison ? plain(v.referral.prison) : undefined],
    ['Referred', v.referredOn],
    ['Referred by', v.referral.source ? plain(v.referral.source) : undefined],
    ['Flags', v.flags],
  ])];
  if (v.referral.description) referral.push(subtle(plain(v.referral.description)));
  for (const t of [
    v.referral.relationship ? `Relationship: ${plain(v.referral.relationship)}` : undefined,
    v.referral.riskNotes ? `Risks noted by the referrer: ${plain(v.referral.riskNotes)}` : undefined,
    v.referral.accessNeeds ? `Access needs: ${plain(v.referral.accessNeeds)}` : undefined,
  ]) if (t) referral.push(para(t, { size: 'Small' }));
  body.push(...section('referral', 'Referral', v.offence, referral));

  const risk: CardElement[] = [para(v.risk?.line ?? 'Not yet assessed.')];
  if (v.risk?.summary) risk.push(subtle(plain(v.risk.summary)));
  if (v.risk?.signOff) risk.push(para(v.risk.signOff, { size: 'Small' }));
  const riskSummary = v.risk ? `${(v.risk.line.split(',')[0] ?? '').toLowerCase()} risk${v.risk.signOff && !v.risk.signOff.startsWith('Signed off') ? ', sign-off needed' : ''}` : 'not yet assessed';
  body.push(...section('risk', 'Risk', riskSummary, risk));

  const plan: CardElement[] = v.plan.length === 0 ? [para('Nothing planned yet.')] : v.plan.map((line) => para(line, { spacing: 'Small' }));
  if (v.planNote) plan.push(subtle(`Attendees: ${plain(v.planNote)}`));
  const current = v.plan[v.plan.length - 1]?.replace(/\*\*/g, '');
  body.push(...section('plan', 'Plan', current ?? 'nothing planned yet', plan));

  if (v.closed) {
    const closed: CardElement[] = [para(v.closed.line)];
    if (v.closed.note) closed.push(subtle(`Internal note: ${plain(v.closed.note)}`));
    body.push(...section('closed', 'Closed', undefined, closed));
  }
  if (v.timeline.length > 0) {
    body.push(...section('history', 'Recent history', `${v.timeline.length} event${v.timeline.length === 1 ? '' : 's'}`, [
      // One line each, the date first: a FactSet's date column wraps on a phone.
      ...v.timeline.map((t) => para(`${t.on} · ${t.text}`, { size: 'Small', spacing: 'Small' })),
    ]));
  }
  body.push(...actionRows(caseCardActions(v.actions, v.caseId)));
  return card(body);
}

/**
 * Buttons two to a row (three side by side are cut off at a phone's 360 px), the overflow menu (…)
 * at the end of the last row.
 */
function actionRows(actions: readonly ExecuteAction[]): ActionSet[] {
  const primary = actions.filter((a) => a.mode !== 'secondary');
  const secondary = actions.filter((a) => a.mode === 'secondary');
  const rows: ExecuteAction[][] = [];
  for (let k = 0; k < primary.length; k += 2) rows.push(primary.slice(k, k + 2));
  if (rows.length === 0) rows.push([]);
  // Teams takes at most five actions in a set, overflow included.
  for (const a of secondary) {
    const last = rows[rows.length - 1]!;
    if (last.length < MAX_ACTIONS_IN_A_SET) last.push(a);
    else rows.push([a]);
  }
  return rows.map((actions, i) => ({ type: 'ActionSet', actions, ...(i === 0 ? { spacing: 'Medium' as const } : { spacing: 'Small' as const }) }));
}

// Forms -----------------------------------------------------------------------------------------

export interface FormView {
  caseId: string;
  reference: string;
  values: Readonly<Record<string, string | undefined>>;
  errors: Readonly<Record<string, string>>;
  /** Today's date in London, for date pickers' limits. */
  today: string;
  message?: string;
  /** Carried on the submit button, e.g. the contact a correction replaces. */
  actionData?: ActionData;
  /**
   * Generated with the form and sent back with its submit (`formNonce`): the submit is recorded
   * once however often it arrives (a double click, a Teams retry).
   */
  nonce?: string;
}

type Input = InputText | InputDate | InputTime | InputChoiceSet;

function field(input: Input, v: FormView): CardElement[] {
  const value = v.values[input.id];
  if (value !== undefined && value !== '') input.value = value;
  const err = v.errors[input.id];
  if (!err) return [input];
  // Validation messages are the bot's own words, not user text: no escaping needed.
  return [input, { ...callout('attention', err, { size: 'Small', id: `${input.id}Error` }), spacing: 'None' }];
}

/** The inputs of a form, in order: id → label, for naming the fields to correct. */
function labelsOf(elements: readonly CardElement[], out = new Map<string, string>()): Map<string, string> {
  for (const e of elements) {
    if (e.type === 'Container') labelsOf(e.items, out);
    else if (e.type.startsWith('Input.') && 'id' in e && e.id && 'label' in e && e.label) out.set(e.id, e.label);
  }
  return out;
}

/** "Please correct: date, method.": each field by its label (up to a comma or bracket), in the form's order. */
function errorSummary(inputs: readonly CardElement[], errors: FormView['errors']): string | undefined {
  const labels = labelsOf(inputs);
  const named = [...labels].filter(([id]) => errors[id]).map(([, label]) => label.replace(/\s*[,(].*$/, '').replace(/[?:]$/, ''));
  const unlabelled = Object.keys(errors).filter((id) => !labels.has(id)).length;
  if (named.length === 0) return unlabelled > 0 ? 'Please correct the answer marked below.' : undefined;
  return `Please correct: ${named.map((n) => n.charAt(0).toLowerCase() + n.slice(1)).join(', ')}.`;
}

/** `submit` absent: the form's own buttons are among its inputs (the outcome form's one Save per answer). */
function formCard(title: string, v: FormView, intro: string | undefined, inputs: CardElement[], submit: { title: string; verb: ProgressVerb; data?: ActionData } | undefined): AdaptiveCard {
  const body: CardElement[] = [heading(`${title}: ${v.reference}`)];
  if (v.message) body.push({ type: 'Container', style: 'attention', items: [para(plain(v.message))] });
  const summary = errorSummary(inputs, v.errors);
  if (summary) body.push(callout('attention', summary));
  if (intro) body.push(subtle(intro));
  body.push(...inputs);
  const back = execute('Back to the case', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' });
  if (!submit) return card(body, [back]);
  return card(body, [
    execute(submit.title, submit.verb, { caseId: v.caseId, ...(submit.data ?? {}), ...(v.actionData ?? {}), ...(v.nonce ? { formNonce: v.nonce } : {}) }, { style: 'positive' }),
    back,
  ]);
}

const partyInput = (label: string): InputChoiceSet => ({
  type: 'Input.ChoiceSet',
  id: 'party',
  label,
  style: 'expanded',
  isRequired: true,
  errorMessage: 'Choose who this is about.',
  choices: choices({ harmed_person: PARTY_TITLES.harmed_person, offender: PARTY_TITLES.offender }),
});

export function contactFormCard(v: FormView): AdaptiveCard {
  const correcting = Boolean(v.actionData?.correctsContactId);
  const intro = correcting
    ? 'Saving records a corrected contact that replaces the earlier one; the earlier one stays in the history.'
    : 'The note is kept with the case and never shown in a channel.';
  return formCard(correcting ? 'Correct contact' : 'Log contact', v, intro, [
    ...field(partyInput('Contact with'), v),
    ...field({ type: 'Input.Date', id: 'contactDate', label: 'Date', isRequired: true, errorMessage: 'Enter the date.', max: v.today }, v),
    ...field({ type: 'Input.Time', id: 'contactTime', label: 'Time', isRequired: true, errorMessage: 'Enter the time.' }, v),
    ...field({ type: 'Input.ChoiceSet', id: 'method', label: 'Method', style: 'compact', isRequired: true, errorMessage: 'Choose the method.', choices: choices(CONTACT_METHODS) }, v),
    ...field({ type: 'Input.ChoiceSet', id: 'outcome', label: 'Outcome', style: 'compact', isRequired: true, errorMessage: 'Choose the outcome.', choices: choices(CONTACT_OUTCOMES) }, v),
    ...field({ type: 'Input.Text', id: 'note', label: 'Short note (optional)', isMultiline: true, maxLength: NOTE_MAX }, v),
    ...field({ type: 'Input.Date', id: 'nextFollowUpOn', label: 'Next follow-up (optional)', min: v.today }, v),
  ], { title: correcting ? 'Save correction' : 'Save contact', verb: PROGRESS_VERBS.contactSave });
}

export function consentFormCard(v: FormView): AdaptiveCard {
  return formCard('Record consent', v, 'Taking part is voluntary: consent can be withdrawn at any time.', [
    ...field(partyInput('Whose consent'), v),
    ...field({ type: 'Input.ChoiceSet', id: 'consentStatus', label: 'Consent', style: 'expanded', isRequired: true, errorMessage: 'Choose one.', choices: choices(CONSENT_CHOICES) }, v),
    ...field({ type: 'Input.Date', id: 'consentDate', label: 'Date', isRequired: true, errorMessage: 'Enter the date.', max: v.today }, v),
  ], { title: 'Save consent', verb: PROGRESS_VERBS.consentSave });
}

export function riskFormCard(v: FormView): AdaptiveCard {
  const levels = Object.fromEntries(RISK_LEVELS.map((l) => [l, RISK_LABELS[l]]));
  return formCard('Risk assessment', v, 'A high risk needs a coordinator to sign it off before any meeting.', [
    ...field({ type: 'Input.ChoiceSet', id: 'riskLevel', label: 'Risk level', style: 'expanded', isRequired: true, errorMessage: 'Choose the level.', choices: choices(levels) }, v),
    ...field({ type: 'Input.Date', id: 'riskDate', label: 'Date of the assessment', isRequired: true, errorMessage: 'Enter the date.', max: v.today }, v),
    ...field({ type: 'Input.Text', id: 'riskSummary', label: 'Short summary', isMultiline: true, isRequired: true, errorMessage: 'Write a short summary.', maxLength: SUMMARY_MAX }, v),
  ], { title: 'Save assessment', verb: PROGRESS_VERBS.riskSave });
}

export function conferenceFormCard(v: FormView & { rescheduling: boolean }): AdaptiveCard {
  return formCard(v.rescheduling ? 'Reschedule the conference' : 'Schedule a conference', v, v.rescheduling ? 'The earlier date stays in the case history.' : undefined, [
    ...field({ type: 'Input.Date', id: 'conferenceDate', label: 'Date', isRequired: true, errorMessage: 'Enter the date.', min: v.today }, v),
    ...field({ type: 'Input.Time', id: 'conferenceTime', label: 'Time', isRequired: true, errorMessage: 'Enter the time of the conference.' }, v),
    ...field({ type: 'Input.Text', id: 'venue', label: 'Venue', isRequired: true, errorMessage: 'Enter the venue.', maxLength: VENUE_MAX, placeholder: 'e.g. HMP Pentonville' }, v),
    ...field({ type: 'Input.Text', id: 'attendees', label: 'Attendees (optional)', isMultiline: true, maxLength: ATTENDEES_MAX }, v),
  ], { title: v.rescheduling ? 'Reschedule' : 'Schedule', verb: PROGRESS_VERBS.conferenceSave });
}

export function indirectFormCard(v: FormView): AdaptiveCard {
  return formCard('Indirect communication', v, 'Chosen instead of a conference; a scheduled conference is cancelled.', [
    ...field({ type: 'Input.ChoiceSet', id: 'indirectMethod', label: 'How', style: 'expanded', isRequired: true, errorMessage: 'Choose one.', choices: choices(INDIRECT_LABELS) }, v),
  ], { title: 'Save', verb: PROGRESS_VERBS.indirectSave });
}

const YES_NO: Choice[] = [{ title: 'Yes', value: 'yes' }, { title: 'No', value: 'no' }];

/**
 * After the conference date (or when the letters are done): "did it take place?" first, then only
 * the questions for that answer. Both answers' questions are on the card, hidden until a button
 * shows one (Action.ToggleVisibility: no round trip); each has its own Save carrying the answer, and
 * the server checks the fields of that answer alone (validateOutcomeForm).
 */
export function outcomeFormCard(v: FormView & { indirect: boolean }): AdaptiveCard {
  const answered = v.values.held === 'yes' || v.values.held === 'no' ? v.values.held : undefined;
  const save = (title: string, held: 'yes' | 'no', style?: 'positive'): CardElement => ({
    type: 'ActionSet',
    actions: [execute(title, PROGRESS_VERBS.outcomeSave, { caseId: v.caseId, held, ...(v.nonce ? { formNonce: v.nonce } : {}) }, style ? { style } : {})],
  });
  const show = (title: string, which: 'yes' | 'no'): CardAction => ({
    type: 'Action.ToggleVisibility',
    title,
    targetElements: [{ elementId: 'outcomeYes', isVisible: which === 'yes' }, { elementId: 'outcomeNo', isVisible: which === 'no' }],
  });
  // Not isRequired: a required input in the hidden answer would block the other answer's Save.
  const yes: CardElement[] = [
    ...field({ type: 'Input.ChoiceSet', id: 'agreement', label: 'Was an outcome agreement made?', style: 'expanded', choices: YES_NO }, v),
    ...field({ type: 'Input.Date', id: 'reviewOn', label: 'Review date, if an agreement was made', min: v.today }, v),
    save('Save outcome', 'yes', 'positive'),
  ];
  const no: CardElement[] = v.indirect
    ? [para('Nothing changes: indirect communication continues until it is completed, or the case is closed.', { size: 'Small' }), save('Not completed yet', 'no')]
    : [
      ...field({ type: 'Input.Text', id: 'notHeldReason', label: 'Why not?', isMultiline: true, maxLength: REASON_MAX, placeholder: 'e.g. the harmed person was unwell' }, v),
      subtle('The conference is cancelled; schedule a new one when ready.'),
      save('Save: did not take place', 'no'),
    ];
  const question = v.indirect ? 'Was the indirect communication completed?' : 'Did the conference take place?';
  const heldError = v.errors.held;
  const inputs: CardElement[] = [
    para(`**${question}**`),
    ...(heldError ? [{ ...callout('attention', heldError, { size: 'Small', id: 'heldError' }), spacing: 'None' as const }] : []),
    { type: 'ActionSet', actions: [show(v.indirect ? 'Yes, completed' : 'Yes, it took place', 'yes'), show(v.indirect ? 'No, not yet' : 'No', 'no')] },
    { type: 'Container', id: 'outcomeYes', isVisible: answered === 'yes', items: yes },
    { type: 'Container', id: 'outcomeNo', isVisible: answered === 'no', items: no },
  ];
  return formCard(v.indirect ? 'Indirect communication outcome' : 'Conference outcome', v, undefined, inputs, undefined);
}

export function closeFormCard(v: FormView): AdaptiveCard {
  const outcomes = Object.fromEntries(CLOSE_CHOICES.map((o) => [o, CLOSING_OUTCOMES[o]]));
  return formCard('Close the case', v, 'The referrer is told the outcome category only.', [
    ...field({ type: 'Input.ChoiceSet', id: 'closeOutcome', label: 'Outcome', style: 'compact', isRequired: true, errorMessage: 'Choose the outcome.', choices: choices(outcomes) }, v),
    ...field({ type: 'Input.Text', id: 'closeNote', label: 'Internal note (optional)', isMultiline: true, maxLength: NOTE_MAX }, v),
  ], { title: 'Close case', verb: PROGRESS_VERBS.closeSave });
}

export function reopenFormCard(v: FormView): AdaptiveCard {
  return formCard('Reopen the case', v, undefined, [
    ...field({ type: 'Input.Text', id: 'reopenReason', label: 'Reason', isMultiline: true, isRequired: true, errorMessage: 'Give a reason.', maxLength: REASON_MAX }, v),
  ], { title: 'Reopen', verb: PROGRESS_VERBS.reopenSave });
}

// Lists -----------------------------------------------------------------------------------------

export type ListKind = 'mine' | 'all' | 'overdue';

export interface CaseListRow {
  caseId: string;
  reference: string;
  stageLabel: string;
  offence: string;
  facilitators?: string;
  next: string;
  overdue: boolean;
}

export interface CaseListView {
  kind: ListKind;
  title: string;
  rows: CaseListRow[];
  page: number;
  pageCount: number;
  total: number;
  emptyText: string;
  /** Coordinators' filters; absent for a facilitator's own list. */
  filters?: { stages: Choice[]; facilitators: Choice[]; stage?: string; facilitator?: string; overdue?: string };
}

export function caseListCard(v: CaseListView): AdaptiveCard {
  const body: CardElement[] = [heading(v.title)];
  const listData: ActionData = { list: v.kind };
  if (v.filters) {
    const f = v.filters;
    const stage: InputChoiceSet = { type: 'Input.ChoiceSet', id: 'stage', label: 'Stage', style: 'compact', placeholder: 'Any stage', choices: f.stages };
    if (f.stage) stage.value = f.stage;
    const who: InputChoiceSet = { type: 'Input.ChoiceSet', id: 'facilitator', label: 'Facilitator', style: 'compact', placeholder: 'Anyone', choices: f.facilitators };
    if (f.facilitator) who.value = f.facilitator;
    const overdue: InputChoiceSet = { type: 'Input.ChoiceSet', id: 'overdue', label: 'Show', style: 'compact', choices: [{ title: 'All open cases', value: 'all' }, { title: 'Overdue only', value: 'overdue' }], value: f.overdue ?? 'all' };
    body.push(stage, who, overdue, { type: 'ActionSet', actions: [execute('Apply filters', PROGRESS_VERBS.list, { ...listData, page: 1 })] });
  }
  if (v.rows.length === 0) body.push(para(v.emptyText));
  for (const r of v.rows) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        para(`**${r.reference}** · ${r.stageLabel} · ${r.offence}`),
        ...(r.facilitators ? [subtle(plain(r.facilitators))] : []),
        r.overdue ? { ...callout('attention', `⚠ ${r.next}`, { size: 'Small' }), spacing: 'Small' } : para(r.next, { size: 'Small', spacing: 'None' }),
        { type: 'ActionSet', actions: [execute('Open', CASE_VERBS.openCase, { caseId: r.caseId }, { associatedInputs: 'none' })] },
      ],
    });
  }
  const paging: CardAction[] = [];
  // Filters travel with the page buttons so paging keeps them.
  const keep: ActionData = { ...listData, ...(v.filters?.stage ? { stage: v.filters.stage } : {}), ...(v.filters?.facilitator ? { facilitator: v.filters.facilitator } : {}), ...(v.filters?.overdue ? { overdue: v.filters.overdue } : {}) };
  if (v.page > 1) paging.push(execute('Previous page', PROGRESS_VERBS.list, { ...keep, page: v.page - 1 }, { associatedInputs: 'none' }));
  if (v.page < v.pageCount) paging.push(execute('Next page', PROGRESS_VERBS.list, { ...keep, page: v.page + 1 }, { associatedInputs: 'none' }));
  if (v.pageCount > 1) body.push(subtle(`Page ${v.page} of ${v.pageCount} · ${v.total} cases`));
  else if (v.total > 0) body.push(subtle(`${v.total} case${v.total === 1 ? '' : 's'}`));
  return card(body, paging);
}

export function partyLabel(p: Party): string {
  return PARTY_LABELS[p];
}
