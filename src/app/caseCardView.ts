import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { plain, type AdaptiveCard } from '../../cards/adaptive';
import { caseStatusCard, needsReviewDetail } from '../../cards/caseCards';
import { referrerStatus } from '../../cards/myReferrals';
import { caseCard, closeFormCard, conferenceFormCard, consentFormCard, contactFormCard, indirectFormCard, outcomeFormCard, reopenFormCard, riskFormCard, type CaseActionButton, type FormView, type ParticipantPanel } from '../../cards/progressCards';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { assignmentView, caseView, CLOSING_OUTCOMES, isClosed, INDIRECT_METHODS, PARTIES, PARTY_LABELS, pendingWithdrawals, type CaseFacts, type ConsentStatus, type Party } from '../domain/caseState';
import { caseProgress, currentConference, type CaseProgress, type TimelineEntry } from '../domain/caseProgress';
import { dueItems, type DueRules } from '../domain/dueDates';
import type { ReminderPolicy } from '../domain/reminderPolicy';
import { CONTACT_METHODS, CONTACT_OUTCOMES, localDateOf } from '../domain/contactForm';
import { availableCommands, decide, type CaseCommand, type CommandKind } from '../domain/lifecycle';
import { can, detailsInChat, visibility, type Actor as DomainActor } from '../domain/permissions';
import { RISK_LABELS, type FieldErrors, type FormValues } from '../domain/progressForms';
import { stripUnsafe } from '../domain/text';
import { CASE_STAGES, OFFENCE_TYPES, SENTENCE_TYPES, stagesBetween } from '../domain/vocabulary';
import type { WorkingCalendar } from '../domain/workingTime';
import type { CaseRecord, CaseRepository } from '../store/caseRepository';
import type { ProgressRepository } from '../store/progressRepository';
import type { RosterRepository } from '../store/rosterRepository';
import type { Actor } from './actor';
import { refused, type Reply } from './reply';
import { displayDate, LONDON, type Clock } from '../shared/clock';
import { staffNames } from './staffNames';
import type { RecordView } from './accessAudit';
import { FORM_VIEWS, type AccessView } from '../domain/accessAudit';

export interface CaseCardViewDeps {
  cases: Pick<CaseRepository, 'getCase' | 'findByReference'>;
  progress: Pick<ProgressRepository, 'listEvents' | 'notes'>;
  roster: Pick<RosterRepository, 'get'>;
  /** Roles from the roster, read only (StaffRoles.of). */
  roles: (actor: Actor) => Promise<DomainActor>;
  calendar: WorkingCalendar;
  clock: Clock;
  /** The policy the reminder worker runs with (main.ts loads it once): the card's due dates are its reminders'. */
  reminderPolicy: ReminderPolicy;
  /** The access audit: every card or form that shows a case's personal fields is recorded before it is shown. */
  recordView: RecordView;
}

export type FormKind = 'contact' | 'consent' | 'risk' | 'conference' | 'indirect' | 'outcome' | 'close' | 'reopen';

export const NOT_YOURS = 'You can only see cases you referred or that are assigned to you.';
/** A facilitator's access ends with the case (detailsInChat): only coordinators see a closed case. */
export const CLOSED_FOR_YOU = 'This case is closed: its details are no longer available to you. A coordinator can tell you more.';
export const CONTACT_STAGES = stagesBetween('preparation', 'follow_up');
const TIMELINE_LENGTH = 10;

export function dateTime(at: Date | string): string {
  const dt = typeof at === 'string' ? DateTime.fromISO(at) : DateTime.fromJSDate(at);
  return dt.setZone(LONDON).setLocale('en-GB').toFormat("d LLLL yyyy', 'HH:mm");
}

function shortDate(at: Date): string {
  return DateTime.fromJSDate(at).setZone(LONDON).setLocale('en-GB').toFormat('d LLL yyyy');
}

/**
 * The case card and its forms, read now and rendered for whoever is looking: reads and renders
 * only, never writes. Every progress use case answers with one of these.
 */
export class CaseCardViews {
  constructor(private readonly d: CaseCardViewDeps) {}

  async load(caseIdOrReference: string): Promise<{ c: CaseRecord; p: CaseProgress } | undefined> {
    const key = caseIdOrReference.trim();
    const c = /^RJ-/i.test(key) ? await this.d.cases.findByReference(key.toUpperCase()) : await this.d.cases.getCase(key);
    if (!c) return undefined;
    return { c, p: caseProgress(await this.d.progress.listEvents(c.id)) };
  }

  /** Loads the case for someone who must see all of it; anything else is a refusal. */
  async loadFull(actor: Actor, caseIdOrReference: string): Promise<{ c: CaseRecord; p: CaseProgress; who: DomainActor } | Reply> {
    const loaded = await this.load(caseIdOrReference);
    if (!loaded) return refused(`There is no case ${caseIdOrReference.toUpperCase()} that you can see.`);
    const who = await this.d.roles(actor);
    const view = caseView(loaded.p.facts, { aadObjectId: loaded.c.referrerAadId, tenantId: loaded.c.referrerTenantId });
    const seen = visibility(who, view);
    if (seen === 'none') return refused(NOT_YOURS);
    if (seen === 'status') return refused('You can see the status of your referral; the case details stay with the service.');
    if (!detailsInChat(who, view, isClosed(loaded.p.facts))) return refused(CLOSED_FOR_YOU);
    return { ...loaded, who };
  }

  /** The case card for whoever is looking: everything, the status only (their referral), or nothing. */
  /** `seenAs`: how the access audit records it (a refresh in Teams is `details_refresh`). */
  async openCase(actor: Actor, caseIdOrReference: string, message?: { text: string; kind: 'good' | 'attention' }, seenAs: AccessView = 'case_card'): Promise<Reply> {
    const loaded = await this.load(caseIdOrReference);
    if (!loaded) return refused(`There is no case ${caseIdOrReference.toUpperCase()} that you can see.`);
    const { c, p } = loaded;
    const who = await this.d.roles(actor);
    const view = caseView(p.facts, { aadObjectId: c.referrerAadId, tenantId: c.referrerTenantId });
    const seen = visibility(who, view);
    if (seen === 'none') return refused(NOT_YOURS);
    if (seen === 'status') return { kind: 'card', card: caseStatusCard(c.reference, referrerStatus(c.stage), displayDate(c.createdAt)) };
    if (!detailsInChat(who, view, isClosed(p.facts))) return refused(CLOSED_FOR_YOU);
    return { kind: 'card', card: await this.renderCase(c, p, who, message, seenAs) };
  }

  dueContext(): DueRules {
    return { policy: this.d.reminderPolicy, calendar: this.d.calendar, now: this.d.clock() };
  }

  async renderCase(c: CaseRecord, p: CaseProgress, who: DomainActor, message?: { text: string; kind: 'good' | 'attention' }, seenAs: AccessView = 'case_card'): Promise<AdaptiveCard> {
    await this.d.recordView(who, c.id, seenAs);
    const facts = p.facts;
    const accepted = facts.facilitators.filter((s) => s.status === 'accepted').map((s) => s.aadObjectId);
    const latest = (party: Party) => p.contacts[party][0];
    const timeline = p.timeline.slice(-TIMELINE_LENGTH);
    const names = await staffNames(this.d.roster, [
      ...accepted,
      ...timeline.flatMap((t) => [t.actorAadId, ...(t.staff ?? [])]),
      ...PARTIES.map((x) => latest(x)?.by),
      p.risk?.by,
      p.risk?.signedOffBy,
      p.closed?.by,
    ]);
    // Staff names are shown inside the bot's own sentences: escaped as any other typed value.
    const name = (id: string | null | undefined) => {
      const n = id ? names.get(id) : undefined;
      return n ? plain(n) : undefined;
    };
    const conference = currentConference(p);
    const notes = await this.d.progress.notes(c.id, [
      ...PARTIES.map((x) => latest(x)?.noteId),
      p.risk?.noteId,
      conference?.attendeesNoteId,
      p.closed?.noteId,
    ].filter((x): x is string => Boolean(x)));
    const due = dueItems(c, p, this.dueContext());

    const participants: ParticipantPanel[] = PARTIES.map((party) => {
      const rec = c.participants.find((x) => x.role === party);
      const last = latest(party);
      const d = due.find((x) => x.party === party);
      return {
        party,
        name: rec?.name ?? 'Not given',
        borough: rec?.borough ?? undefined,
        phone: rec?.phone ?? undefined,
        email: rec?.email ?? undefined,
        consent: consentLine(p.consent[party].status, p.consent[party].on),
        latestContact: last
          ? `${dateTime(last.at)} · ${CONTACT_METHODS[last.method]} · ${CONTACT_OUTCOMES[last.outcome]}${name(last.by) ? ` (${name(last.by)})` : ''}`
          : undefined,
        latestNote: last?.noteId ? notes.get(last.noteId)?.text : undefined,
        nextFollowUp: last?.nextFollowUpOn ? displayDate(last.nextFollowUpOn) : undefined,
        due: d ? { label: `${d.label}: ${d.overdue ? 'overdue since' : 'due'} ${displayDate(d.due)}`, overdue: d.overdue } : undefined,
      };
    });

    const risk = p.risk
      ? {
          line: `${RISK_LABELS[p.risk.level]}${p.risk.on ? `, assessed ${displayDate(p.risk.on)}` : ''}${name(p.risk.by) ? ` by ${name(p.risk.by)}` : ''}`,
          summary: p.risk.noteId ? notes.get(p.risk.noteId)?.text : undefined,
          signOff: p.risk.level !== 'high'
            ? undefined
            : facts.risk?.signedOff
              ? `Signed off${name(p.risk.signedOffBy) ? ` by ${name(p.risk.signedOffBy)}` : ''}.`
              : 'High risk: a coordinator must sign this off before any meeting.',
        }
      : undefined;

    const plan: string[] = [];
    for (const conf of p.conferences) {
      const what = `Conference ${dateTime(conf.startsAt)} at ${plain(conf.venue)}`;
      if (conf.cancelled) plan.push(`${what}: ${conf.cancelled.reason === 'rescheduled' ? 'rescheduled' : 'cancelled'}`);
      else if (conf.held) plan.push(`${what}: held${conf.held.agreement ? ', outcome agreement made' : ''}`);
      else plan.push(`**${what}**`);
    }
    if (p.indirect) {
      plan.push(`Indirect communication: ${INDIRECT_METHODS[p.indirect.method]} (since ${displayDate(p.indirect.since)})${p.indirect.completed ? `, completed ${displayDate(p.indirect.completed.at)}` : ''}`);
    }
    if (p.agreement) {
      plan.push(`Outcome agreement made ${displayDate(p.agreement.agreedAt)}${p.agreement.reviewOn ? `; review on ${displayDate(p.agreement.reviewOn)}` : ''}${p.agreement.reviewedAt ? `; reviewed ${displayDate(p.agreement.reviewedAt)}` : ''}`);
    }

    return caseCard({
      caseId: c.id,
      reference: c.reference,
      stageLabel: CASE_STAGES[facts.stage],
      offence: OFFENCE_TYPES[c.offenceType],
      referredOn: displayDate(c.createdAt),
      flags: [
        c.complex ? 'Complex (experienced facilitator needed)' : '',
        c.extraCare ? 'Extra care (stalking/abuse guidance)' : '',
        needsReviewDetail(c.needsReviewReasons) ?? '',
        p.retention.anonymisedAt ? `Anonymised on ${displayDate(p.retention.anonymisedAt)}: the participants' details were removed when the retention period ended` : '',
        p.retention.heldSince ? `On legal hold since ${displayDate(p.retention.heldSince)}: it will not be anonymised until the hold is lifted` : '',
      ].filter(Boolean).join(' · ') || undefined,
      facilitators: accepted.map((id) => names.get(id) ?? 'Unknown facilitator'),
      participants,
      referral: {
        description: c.offenceDescription || undefined,
        offenceDate: c.offenceDate ? displayDate(c.offenceDate) : undefined,
        sentence: [c.sentenceType ? SENTENCE_TYPES[c.sentenceType] : undefined, c.sentenceDate ? `sentenced ${displayDate(c.sentenceDate)}` : undefined].filter(Boolean).join(', ') || undefined,
        prison: c.prison ?? undefined,
        source: c.source,
        relationship: c.relationship ?? undefined,
        riskNotes: c.riskNotes ?? undefined,
        accessNeeds: c.accessNeeds ?? undefined,
      },
      risk,
      plan,
      planNote: conference?.attendeesNoteId ? notes.get(conference.attendeesNoteId)?.text : undefined,
      closed: p.closed
        ? {
            line: `${CLOSING_OUTCOMES[p.closed.outcome]}, ${displayDate(p.closed.at)}${name(p.closed.by) ? ` (${name(p.closed.by)})` : ''}`,
            note: p.closed.noteId ? notes.get(p.closed.noteId)?.text : undefined,
          }
        : undefined,
      timeline: timeline.map((t) => ({ on: shortDate(t.at), text: historyLine(t, name) })),
      nextDue: due[0] ? { label: `${due[0].label}: ${due[0].overdue ? 'overdue since' : 'due'} ${displayDate(due[0].due)}`, overdue: due[0].overdue } : undefined,
      nextStep: nextStep(p),
      actions: caseActions(p, who, this.d.clock()),
      message,
    });
  }

  today(): string {
    return localDateOf(this.d.clock());
  }

  /**
   * A form card's view. Each card carries a nonce, kept while the form is shown again with errors,
   * so a double click or a retry of its submit records the change once. Values are shown as
   * typed, less characters that could not be stored anyway (their field's error says why).
   */
  formView(c: CaseRecord, values: FormValues, errors: FieldErrors = {}, message?: string, nonce: string = randomUUID()): FormView {
    const shown = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === undefined ? v : stripUnsafe(v)]));
    return { caseId: c.id, reference: c.reference, values: shown, errors, today: this.today(), nonce, ...(message ? { message } : {}) };
  }

  /** The empty (or preset) form for one action, if this person may take it now. */
  async form(actor: Actor, caseIdOrReference: string, kind: FormKind, preset: FormValues = {}): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseIdOrReference);
    if ('kind' in loaded) return loaded;
    const { c, p, who } = loaded;
    const now = this.d.clock();
    const problem = this.formProblem(p, who, kind);
    if (problem) return { kind: 'card', card: await this.renderCase(c, p, who, { text: problem, kind: 'attention' }) };
    await this.d.recordView(who, c.id, FORM_VIEWS[kind]);
    return { kind: 'card', card: this.formCard(c, p, kind, { ...this.defaults(kind, now), ...preset }) };
  }

  /** The contact form filled in from the party's latest contact, to be saved as its correction. */
  async correctionForm(actor: Actor, caseId: string, party?: string): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const { c, p, who } = loaded;
    const problem = this.formProblem(p, who, 'contact');
    const last = party === undefined
      ? PARTIES.flatMap((x) => p.contacts[x].slice(0, 1)).sort((a, b) => b.loggedAt.getTime() - a.loggedAt.getTime())[0]
      : PARTIES.includes(party as Party) ? p.contacts[party as Party][0] : undefined;
    if (problem || !last) return { kind: 'card', card: await this.renderCase(c, p, who, { text: problem ?? 'There is no contact to correct.', kind: 'attention' }) };
    await this.d.recordView(who, c.id, 'contact_form');
    const note = last.noteId ? (await this.d.progress.notes(c.id, [last.noteId])).get(last.noteId)?.text : undefined;
    const at = DateTime.fromISO(last.at).setZone(LONDON);
    const values: FormValues = {
      party: last.party,
      contactDate: at.toISODate() ?? undefined,
      contactTime: at.toFormat('HH:mm'),
      method: last.method,
      outcome: last.outcome,
      note,
      nextFollowUpOn: last.nextFollowUpOn,
    };
    return { kind: 'card', card: contactFormCard({ ...this.formView(c, values), actionData: { correctsContactId: last.contactId } }) };
  }

  private defaults(kind: FormKind, now: Date): FormValues {
    const today = localDateOf(now);
    switch (kind) {
      case 'contact':
        return { contactDate: today, contactTime: DateTime.fromJSDate(now).setZone(LONDON).toFormat('HH:mm') };
      case 'consent':
        return { consentDate: today };
      case 'risk':
        return { riskDate: today };
      default:
        return {};
    }
  }

  formCard(c: CaseRecord, p: CaseProgress, kind: FormKind, values: FormValues, errors: FieldErrors = {}, message?: string, nonce?: string): AdaptiveCard {
    const v = this.formView(c, values, errors, message, nonce);
    switch (kind) {
      case 'contact':
        return contactFormCard(v);
      case 'consent':
        return consentFormCard(v);
      case 'risk':
        return riskFormCard(v);
      case 'conference':
        return conferenceFormCard({ ...v, rescheduling: Boolean(p.facts.conference && !p.facts.conference.held) });
      case 'indirect':
        return indirectFormCard(v);
      case 'outcome':
        return outcomeFormCard({ ...v, indirect: p.facts.stage === 'indirect_communication' });
      case 'close':
        return closeFormCard(v);
      case 'reopen':
        return reopenFormCard(v);
    }
  }

  /** Why the form cannot be used now, in the words the lifecycle uses; undefined when it can. */
  formProblem(p: CaseProgress, who: DomainActor, kind: FormKind): string | undefined {
    const facts = p.facts;
    if (kind === 'contact') {
      if (!can(who, 'updateCase', assignmentView(facts)).allowed) return 'Only the facilitators assigned to this case, or a coordinator, can update it.';
      return CONTACT_STAGES.includes(facts.stage) ? undefined : `Contacts are logged once the pair is confirmed and until the case closes. This case is at the "${CASE_STAGES[facts.stage]}" stage.`;
    }
    const kinds = availableCommands(facts, who);
    const needs: Record<Exclude<FormKind, 'contact'>, CommandKind[]> = {
      consent: ['recordConsent', 'withdraw'],
      risk: ['recordRisk'],
      conference: ['scheduleConference'],
      indirect: ['chooseIndirect'],
      outcome: ['recordConferenceHeld', 'completeIndirect'],
      close: ['close'],
      reopen: ['reopen'],
    };
    if (needs[kind].some((k) => kinds.includes(k))) return undefined;
    return this.explain(p, who, needs[kind][0]!);
  }

  /** The lifecycle's own refusal for a command the viewer cannot take here. */
  explain(p: CaseProgress, who: DomainActor, kind: CommandKind): string {
    const facts = p.facts;
    if ((kind === 'scheduleConference' || kind === 'chooseIndirect') && facts.stage === 'preparation' && can(who, 'updateCase', assignmentView(facts)).allowed) {
      return readinessGaps(facts, kind === 'scheduleConference' ? 'A conference can only be scheduled' : 'Indirect communication can only be chosen');
    }
    const probe: CaseCommand | undefined = probeCommand(kind);
    if (!probe) return 'That cannot be done at this stage.';
    const r = decideMessage(facts, probe, who);
    return r ?? 'That cannot be done at this stage.';
  }
}

/**
 * One history line: the facilitators it is about by name when every one of them can be named, and
 * who did it (unless the line already names them). Staff names only: history never names a participant.
 */
function historyLine(t: TimelineEntry, name: (id: string | null | undefined) => string | undefined): string {
  const staff = (t.staff ?? []).map((id) => name(id));
  const named = t.named && staff.every((n): n is string => n !== undefined) ? t.named.replace(/\{(\d+)\}/g, (_m, i: string) => staff[Number(i)] ?? '') : undefined;
  const by = name(t.actorAadId);
  return `${named ?? t.text}${by && !(t.staff ?? []).includes(t.actorAadId ?? '') ? ` (${by})` : ''}`;
}

/** What the case needs next, whoever is looking: one sentence for the card's summary. */
function nextStep(p: CaseProgress): string | undefined {
  const facts = p.facts;
  switch (facts.stage) {
    case 'referred':
      return 'A coordinator accepts or declines the referral.';
    case 'accepted':
      return 'A coordinator assigns a pair of facilitators.';
    case 'assigning':
      return facts.facilitators.length === 0 ? 'A coordinator offers the case to a pair.' : 'Waiting for the facilitators to accept.';
    case 'preparation': {
      const withdrawn = pendingWithdrawals(facts)[0];
      if (withdrawn) return `${capitalise(PARTY_LABELS[withdrawn])} has not consented: a coordinator confirms the withdrawal.`;
      return `Contact both people. ${readinessGaps(facts, 'Then plan a meeting').replace(/^.*Still needed: /, 'Still needed: ')}`;
    }
    case 'ready':
      return 'Schedule a conference or choose indirect communication.';
    case 'conference_scheduled':
      return 'Hold the conference, then record whether it took place.';
    case 'indirect_communication':
      return 'Record the outcome once the indirect communication is done.';
    case 'follow_up':
      return facts.agreement && !facts.agreement.reviewed ? 'Review the outcome agreement, then close the case.' : 'A coordinator closes the case.';
    case 'declined':
    case 'closed':
      return undefined;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function consentLine(status: ConsentStatus, on: string | undefined): string {
  const when = on ? ` on ${displayDate(on)}` : '';
  switch (status) {
    case 'none':
      return 'Not yet recorded';
    case 'given':
      return `Given${when}`;
    case 'declined':
      return `Declined to take part${when}`;
    case 'withdrawn':
      return `Withdrawn${when}`;
  }
}

/** What is still missing before a meeting, in one sentence. */
function readinessGaps(facts: CaseFacts, doing: string): string {
  const gaps: string[] = [];
  for (const party of PARTIES) if (facts.consents[party] !== 'given') gaps.push(`consent from ${PARTY_LABELS[party]}`);
  if (!facts.risk) gaps.push('a risk assessment');
  else if (facts.risk.level === 'high' && !facts.risk.signedOff) gaps.push("a coordinator's sign-off of the high risk");
  return `${doing} once both people have consented and the risk has been assessed. Still needed: ${gaps.join(', ') || 'nothing (refresh the case)'}.`;
}

/** A representative command of a kind, to ask the lifecycle why it is refused. */
function probeCommand(kind: CommandKind): CaseCommand | undefined {
  switch (kind) {
    case 'recordConsent':
      return { kind, party: 'harmed_person', status: 'given' };
    case 'recordRisk':
      return { kind, level: 'low' };
    case 'scheduleConference':
      return { kind, conferenceId: 'probe', startsAt: '2099-01-01T10:00:00Z', venue: 'probe' };
    case 'chooseIndirect':
      return { kind, method: 'letters' };
    case 'recordConferenceHeld':
      return { kind, agreement: false };
    case 'close':
      return { kind, outcome: 'no_contact_possible' };
    case 'reopen':
      return { kind, reason: 'probe' };
    default:
      return undefined;
  }
}

function decideMessage(facts: CaseFacts, command: CaseCommand, who: DomainActor): string | undefined {
  // The lifecycle is pure, so asking it costs nothing and the words stay the same everywhere.
  const d = decide(facts, command, who);
  return d.ok ? undefined : d.message;
}

/**
 * Buttons for this viewer at this stage, the most pressing first: the card keeps the first three on
 * show and puts the rest in the overflow menu. Titles are short and distinct (a phone cuts them at
 * about 20 characters). Preconditions are checked (and explained) on use.
 */
export function caseActions(p: CaseProgress, who: DomainActor, now: Date): CaseActionButton[] {
  const facts = p.facts;
  const kinds = new Set<CommandKind>(availableCommands(facts, who));
  const out: CaseActionButton[] = [];
  if (kinds.has('signOffRisk') && facts.risk?.level === 'high' && !facts.risk.signedOff) {
    out.push({ title: 'Sign off high risk', verb: PROGRESS_VERBS.riskSignOff, style: 'positive' });
  }
  const conference = facts.conference && !facts.conference.held ? facts.conference : null;
  if (kinds.has('recordConferenceHeld') && conference && Date.parse(conference.startsAt) <= now.getTime()) {
    out.push({ title: 'Conference outcome', verb: PROGRESS_VERBS.outcomeForm });
  }
  if (kinds.has('completeIndirect')) out.push({ title: 'Indirect outcome', verb: PROGRESS_VERBS.outcomeForm });
  if (kinds.has('confirmWithdrawal')) {
    // Confirming one withdrawal closes the case, so one button is all a case can use.
    const party = pendingWithdrawals(facts)[0];
    if (party) out.push({ title: 'Confirm withdrawal', verb: PROGRESS_VERBS.confirmWithdrawal, data: { party }, style: 'destructive' });
  }
  if (kinds.has('reviewAgreement') && facts.agreement && !facts.agreement.reviewed) out.push({ title: 'Agreement reviewed', verb: PROGRESS_VERBS.agreementReviewed });
  const contact = mayLogContact(facts, who);
  if (contact) out.push({ title: 'Log contact', verb: PROGRESS_VERBS.contactForm });
  if (kinds.has('recordConsent') || kinds.has('withdraw')) out.push({ title: 'Record consent', verb: PROGRESS_VERBS.consentForm });
  if (kinds.has('recordRisk')) out.push({ title: p.risk ? 'Reassess risk' : 'Risk assessment', verb: PROGRESS_VERBS.riskForm });
  if (kinds.has('scheduleConference')) out.push({ title: conference ? 'Reschedule' : 'Schedule conference', verb: PROGRESS_VERBS.conferenceForm });
  if (kinds.has('chooseIndirect')) out.push({ title: 'Choose indirect', verb: PROGRESS_VERBS.indirectForm });
  if (kinds.has('reopen')) out.push({ title: 'Reopen case', verb: PROGRESS_VERBS.reopenForm });
  if (contact && PARTIES.some((party) => p.contacts[party][0])) out.push({ title: 'Correct last contact', verb: PROGRESS_VERBS.contactCorrect, secondary: true });
  if (kinds.has('close')) out.push({ title: 'Close case', verb: PROGRESS_VERBS.closeForm, style: 'destructive', secondary: true });
  return out;
}

function mayLogContact(facts: CaseFacts, who: DomainActor): boolean {
  return CONTACT_STAGES.includes(facts.stage) && can(who, 'updateCase', assignmentView(facts)).allowed;
}
