import { createHash, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { plain, type AdaptiveCard } from '../../cards/adaptive';
import { caseStatusCard } from '../../cards/caseCards';
import { referrerStatus } from '../../cards/myReferrals';
import {
  caseCard,
  caseListCard,
  closeFormCard,
  conferenceFormCard,
  consentFormCard,
  contactFormCard,
  indirectFormCard,
  outcomeFormCard,
  reopenFormCard,
  riskFormCard,
  type CaseActionButton,
  type CaseListRow,
  type CaseListView,
  type FormView,
  type ListKind,
  type ParticipantPanel,
} from '../../cards/progressCards';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import {
  assignmentView,
  caseView,
  CLOSING_OUTCOMES,
  INDIRECT_METHODS,
  PARTIES,
  PARTY_LABELS,
  pendingWithdrawals,
  type CaseEvent,
  type CaseFacts,
  type ConsentStatus,
  type Party,
} from '../domain/caseState';
import { caseProgress, CONTACT_LOGGED, currentConference, type CaseProgress, type ContactLogged } from '../domain/caseProgress';
import { dueItems, nextDueLabel, type DueItem, type DueRules } from '../domain/dueDates';
import type { ReminderPolicy } from '../domain/reminderPolicy';
import { CONTACT_METHODS, CONTACT_OUTCOMES, localDateOf, validateContactForm, type ContactFormValues } from '../domain/contactForm';
import { availableCommands, decide, type CaseCommand, type CommandKind } from '../domain/lifecycle';
import { can, visibility, type Actor as DomainActor } from '../domain/permissions';
import {
  RISK_LABELS,
  validateCloseForm,
  validateConferenceForm,
  validateConsentForm,
  validateIndirectForm,
  validateOutcomeForm,
  validateReasonForm,
  validateRiskForm,
  type FieldErrors,
  type FormValues,
} from '../domain/progressForms';
import { stripUnsafe } from '../domain/text';
import { ACTIVE_STAGES, CASE_STAGES, compareStages, OFFENCE_TYPES, stagesBetween, type CaseStage } from '../domain/vocabulary';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import type { CaseRecord, CaseRepository } from '../store/caseRepository';
import type { NoteKind, ProgressCase, ProgressRepository, ProgressTx } from '../store/progressRepository';
import type { OwedMessage } from '../store/outboxRepository';
import { owe } from './owed';
import type { RosterRepository } from '../store/rosterRepository';
import type { JsonObject } from '../store/types';
import type { Actor } from './actor';
import { ANSWERED_BEFORE, factsOf, runCaseCommands, type RunOptions } from './caseCommands';
import type { Messenger, Reply } from './caseWorkflow';
import { displayDate, LONDON, type Clock } from './clock';

export interface CaseProgressDeps {
  cases: CaseRepository;
  progress: ProgressRepository;
  roster: RosterRepository;
  messenger: Messenger;
  /** Roles from the roster, as CaseWorkflow.domainActor decides them. */
  domainActor: (actor: Actor) => Promise<DomainActor>;
  calendar: WorkingCalendar;
  clock: Clock;
  log: Logger;
  /** The policy the reminder worker runs with (main.ts loads it once): the card's due dates are its reminders'. */
  reminderPolicy: ReminderPolicy;
  pageSize?: number;
}

export type FormKind = 'contact' | 'consent' | 'risk' | 'conference' | 'indirect' | 'outcome' | 'close' | 'reopen';

/** A submitted form's nonce (generated with the form card) and which form it belongs to. */
interface FormSubmit {
  kind: FormKind;
  nonce: string;
  /** What was submitted, hashed: a retry sends the same values, a changed stale card does not. */
  valuesHash: string;
}

function hashValues(values: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

type CommandOptions = RunOptions<ProgressTx> & { form?: FormSubmit };

export interface ListFilters {
  stage?: string;
  facilitator?: string;
  overdue?: string;
  page?: number;
}

const refused = (message: string): Reply => ({ kind: 'refused', message });
const NOT_YOURS = 'You can only see cases you referred or that are assigned to you.';
const CONTACT_STAGES = stagesBetween('preparation', 'follow_up');
const TIMELINE_LENGTH = 10;
const NOTHING_CHANGED = 'Nothing changed: that was already recorded.';
const NONCE_USED = 'This form was already saved (it cannot be saved again with other values). Open the case again to see where it stands.';
const FORM_OUTDATED = 'This form is out of date. Check the values below and save again.';
const DEFAULT_PAGE_SIZE = 15;

function dateTime(at: Date | string): string {
  const dt = typeof at === 'string' ? DateTime.fromISO(at) : DateTime.fromJSDate(at);
  return dt.setZone(LONDON).setLocale('en-GB').toFormat("d LLLL yyyy', 'HH:mm");
}

function shortDate(at: Date): string {
  return DateTime.fromJSDate(at).setZone(LONDON).setLocale('en-GB').toFormat('d LLL yyyy');
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

class Refused extends Error {}

/**
 * Participant contact and case progress: the case card and its forms, the lifecycle commands behind
 * them, and the case lists. Every change is decided by the pure lifecycle (or, for contacts, checked
 * against the same permissions), written under the case's row lock with its note and the messages
 * it owes (the coordinators' card, the referrer's notice) in the same transaction. The reminder
 * schedule follows through the database (every event notifies the reminder worker).
 */
export class CaseProgressService {
  constructor(private readonly d: CaseProgressDeps) {}

  // ---- reading ------------------------------------------------------------------------------------

  private async load(caseIdOrReference: string): Promise<{ c: CaseRecord; p: CaseProgress } | undefined> {
    const key = caseIdOrReference.trim();
    const c = /^RJ-/i.test(key) ? await this.d.cases.findByReference(key.toUpperCase()) : await this.d.cases.getCase(key);
    if (!c) return undefined;
    return { c, p: caseProgress(await this.d.progress.listEvents(c.id)) };
  }

  /** Loads the case for someone who must see all of it; anything else is a refusal. */
  private async loadFull(actor: Actor, caseIdOrReference: string): Promise<{ c: CaseRecord; p: CaseProgress; who: DomainActor } | Reply> {
    const loaded = await this.load(caseIdOrReference);
    if (!loaded) return refused(`There is no case ${caseIdOrReference.toUpperCase()} that you can see.`);
    const who = await this.d.domainActor(actor);
    const seen = visibility(who, caseView(loaded.p.facts, { aadObjectId: loaded.c.referrerAadId, tenantId: loaded.c.referrerTenantId }));
    if (seen === 'none') return refused(NOT_YOURS);
    if (seen === 'status') return refused('You can see the status of your referral; the case details stay with the service.');
    return { ...loaded, who };
  }

  /** The case card for whoever is looking: everything, the status only (their referral), or nothing. */
  async openCase(actor: Actor, caseIdOrReference: string, message?: { text: string; kind: 'good' | 'attention' }): Promise<Reply> {
    const loaded = await this.load(caseIdOrReference);
    if (!loaded) return refused(`There is no case ${caseIdOrReference.toUpperCase()} that you can see.`);
    const { c, p } = loaded;
    const who = await this.d.domainActor(actor);
    const seen = visibility(who, caseView(p.facts, { aadObjectId: c.referrerAadId, tenantId: c.referrerTenantId }));
    if (seen === 'none') return refused(NOT_YOURS);
    if (seen === 'status') return { kind: 'card', card: caseStatusCard(c.reference, referrerStatus(c.stage), displayDate(c.createdAt)) };
    return { kind: 'card', card: await this.renderCase(c, p, who, message) };
  }

  private async names(ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set([...ids].filter((x): x is string => Boolean(x)))) {
      const s = await this.d.roster.get(id);
      if (s) out.set(id, s.displayName);
    }
    return out;
  }

  private dueContext(): DueRules {
    return { policy: this.d.reminderPolicy, calendar: this.d.calendar, now: this.d.clock() };
  }

  private async renderCase(c: CaseRecord, p: CaseProgress, who: DomainActor, message?: { text: string; kind: 'good' | 'attention' }): Promise<AdaptiveCard> {
    const facts = p.facts;
    const accepted = facts.facilitators.filter((s) => s.status === 'accepted').map((s) => s.aadObjectId);
    const latest = (party: Party) => p.contacts[party][0];
    const timeline = p.timeline.slice(-TIMELINE_LENGTH);
    const names = await this.names([
      ...accepted,
      ...timeline.map((t) => t.actorAadId),
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
      flags: [c.complex ? 'Complex (experienced facilitator needed)' : '', c.extraCare ? 'Extra care (stalking/abuse guidance)' : ''].filter(Boolean).join(' · ') || undefined,
      facilitators: accepted.map((id) => names.get(id) ?? 'Unknown facilitator'),
      participants,
      referral: {
        description: c.offenceDescription || undefined,
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
      timeline: timeline.map((t) => ({ on: shortDate(t.at), text: `${t.text}${name(t.actorAadId) ? ` (${name(t.actorAadId)})` : ''}` })),
      actions: this.actions(p, who),
      message,
    });
  }

  /** Buttons for this viewer at this stage; preconditions are checked (and explained) on use. */
  private actions(p: CaseProgress, who: DomainActor): CaseActionButton[] {
    const facts = p.facts;
    const kinds = new Set<CommandKind>(availableCommands(facts, who));
    const out: CaseActionButton[] = [];
    if (this.mayLogContact(facts, who)) {
      for (const party of PARTIES) out.push({ title: `Log contact: ${party === 'harmed_person' ? 'harmed person' : 'offender'}`, verb: PROGRESS_VERBS.contactForm, data: { party } });
      for (const party of PARTIES) {
        if (p.contacts[party][0]) out.push({ title: `Correct last contact: ${party === 'harmed_person' ? 'harmed person' : 'offender'}`, verb: PROGRESS_VERBS.contactCorrect, data: { party } });
      }
    }
    if (kinds.has('recordConsent') || kinds.has('withdraw')) out.push({ title: 'Record consent', verb: PROGRESS_VERBS.consentForm });
    if (kinds.has('recordRisk')) out.push({ title: p.risk ? 'Reassess risk' : 'Risk assessment', verb: PROGRESS_VERBS.riskForm });
    if (kinds.has('signOffRisk') && facts.risk?.level === 'high' && !facts.risk.signedOff) {
      out.push({ title: 'Sign off high risk', verb: PROGRESS_VERBS.riskSignOff, style: 'positive' });
    }
    const conference = facts.conference && !facts.conference.held ? facts.conference : null;
    if (kinds.has('scheduleConference')) out.push({ title: conference ? 'Reschedule conference' : 'Schedule conference', verb: PROGRESS_VERBS.conferenceForm });
    if (kinds.has('chooseIndirect')) out.push({ title: 'Indirect communication', verb: PROGRESS_VERBS.indirectForm });
    if (kinds.has('recordConferenceHeld') && conference && Date.parse(conference.startsAt) <= this.d.clock().getTime()) {
      out.push({ title: 'Record conference outcome', verb: PROGRESS_VERBS.outcomeForm });
    }
    if (kinds.has('completeIndirect')) out.push({ title: 'Record indirect outcome', verb: PROGRESS_VERBS.outcomeForm });
    if (kinds.has('reviewAgreement') && facts.agreement && !facts.agreement.reviewed) out.push({ title: 'Agreement reviewed', verb: PROGRESS_VERBS.agreementReviewed });
    if (kinds.has('confirmWithdrawal')) {
      for (const party of pendingWithdrawals(facts)) {
        out.push({ title: `Confirm ${party === 'harmed_person' ? 'harmed person' : 'offender'} withdrew; close`, verb: PROGRESS_VERBS.confirmWithdrawal, data: { party }, style: 'destructive' });
      }
    }
    if (kinds.has('close')) out.push({ title: 'Close case', verb: PROGRESS_VERBS.closeForm, style: 'destructive' });
    if (kinds.has('reopen')) out.push({ title: 'Reopen case', verb: PROGRESS_VERBS.reopenForm });
    return out;
  }

  private mayLogContact(facts: CaseFacts, who: DomainActor): boolean {
    return CONTACT_STAGES.includes(facts.stage) && can(who, 'updateCase', assignmentView(facts)).allowed;
  }

  /** A card for the actor's eyes only, in their 1:1 chat with the bot. */
  async sendPrivately(actor: Actor, content: AdaptiveCard): Promise<boolean> {
    const sent = await this.d.messenger.sendToUser(actor.tenantId, actor.aadObjectId, content);
    return sent.ok;
  }

  // ---- forms ----------------------------------------------------------------------------------------

  private today(): string {
    return localDateOf(this.d.clock());
  }

  /**
   * A form card's view. Each card carries a nonce, kept while the form is shown again with errors,
   * so a double click or a retry of its submit records the change once. Values are shown as
   * typed, less characters that could not be stored anyway (their field's error says why).
   */
  private formView(c: CaseRecord, values: FormValues, errors: FieldErrors = {}, message?: string, nonce: string = randomUUID()): FormView {
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
    return { kind: 'card', card: this.formCard(c, p, kind, { ...this.defaults(kind, now), ...preset }) };
  }

  /** The contact form filled in from the party's latest contact, to be saved as its correction. */
  async correctionForm(actor: Actor, caseId: string, party: string): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const { c, p, who } = loaded;
    const problem = this.formProblem(p, who, 'contact');
    const last = PARTIES.includes(party as Party) ? p.contacts[party as Party][0] : undefined;
    if (problem || !last) return { kind: 'card', card: await this.renderCase(c, p, who, { text: problem ?? 'There is no contact to correct.', kind: 'attention' }) };
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

  private formCard(c: CaseRecord, p: CaseProgress, kind: FormKind, values: FormValues, errors: FieldErrors = {}, message?: string, nonce?: string): AdaptiveCard {
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
  private formProblem(p: CaseProgress, who: DomainActor, kind: FormKind): string | undefined {
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
  private explain(p: CaseProgress, who: DomainActor, kind: CommandKind): string {
    const facts = p.facts;
    if ((kind === 'scheduleConference' || kind === 'chooseIndirect') && facts.stage === 'preparation' && can(who, 'updateCase', assignmentView(facts)).allowed) {
      return readinessGaps(facts, kind === 'scheduleConference' ? 'A conference can only be scheduled' : 'Indirect communication can only be chosen');
    }
    const probe: CaseCommand | undefined = probeCommand(kind);
    if (!probe) return 'That cannot be done at this stage.';
    const r = decideMessage(facts, probe, who);
    return r ?? 'That cannot be done at this stage.';
  }

  // ---- writing ------------------------------------------------------------------------------------

  private role(who: DomainActor): 'coordinator' | 'facilitator' {
    return who.coordinator ? 'coordinator' : 'facilitator';
  }

  /** Runs lifecycle commands and answers with the updated case card (or the refusal on it). */
  private async command(
    actor: Actor,
    caseId: string,
    commands: readonly CaseCommand[],
    done: string,
    opts: CommandOptions = {},
  ): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const { c, who } = loaded;
    const { form, ...runOpts } = opts;
    const guarded: RunOptions<ProgressTx> = {
      ...runOpts,
      ...(form ? { before: (tx: ProgressTx) => this.repeatedSubmit(tx, form, who) } : {}),
      extra: async (tx, events, facts) => {
        if (runOpts.extra) await runOpts.extra(tx, events, facts);
        // Messages owed by the change commit with it (the outbox), and so does the form's nonce.
        if (events.length > 0) await tx.owe(owedAfter(tx.locked, events));
        if (form) await this.recordSubmit(tx, form, who, events.length > 0 ? done : NOTHING_CHANGED);
      },
    };
    let r: Awaited<ReturnType<typeof runCaseCommands<ProgressTx>>>;
    try {
      r = await runCaseCommands<ProgressTx>((id, fn) => this.d.progress.withCaseLocked(id, fn), c.id, who, this.role(who), commands, guarded);
    } catch (err) {
      if (err instanceof Refused) return this.openCase(actor, c.id, { text: err.message, kind: 'attention' });
      throw err;
    }
    if (!r.ok && r.code === ANSWERED_BEFORE) return this.openCase(actor, c.id, { text: r.message, kind: 'good' });
    if (!r.ok) {
      // In preparation the lifecycle can only say "wrong stage"; say what is still missing instead.
      const first = commands[0]?.kind;
      const gap = (first === 'scheduleConference' || first === 'chooseIndirect') && r.code === 'WRONG_STAGE' && loaded.p.facts.stage === 'preparation'
        ? this.explain(loaded.p, who, first)
        : undefined;
      this.d.log.info({ caseId: c.id, command: commands.map((x) => x.kind).join(','), code: r.code }, 'case command refused');
      return this.openCase(actor, c.id, { text: gap ?? r.message, kind: 'attention' });
    }
    if (r.events.length > 0) {
      this.d.log.info({ caseId: c.id, command: commands.map((x) => x.kind).join(','), stage: r.facts.stage }, 'case updated');
    }
    return this.openCase(actor, c.id, { text: r.events.length > 0 ? done : NOTHING_CHANGED, kind: 'good' });
  }

  /**
   * The first submit's answer when this form's nonce was already used (a double click, a Teams
   * retry); read under the case's lock, so a concurrent repeat waits for the first to commit.
   */
  private async repeatedSubmit(tx: ProgressTx, form: FormSubmit, who: DomainActor): Promise<string | undefined> {
    const used = await tx.usedFormNonce(form.nonce);
    if (!used) return undefined;
    // A nonce from someone else's card, another case or another form is not a repeat of this one.
    if (used.caseId !== tx.locked.id || used.actorAadId !== who.aadObjectId || used.form !== form.kind || used.valuesHash !== form.valuesHash) {
      throw new Refused(NONCE_USED);
    }
    this.d.log.info({ caseId: tx.locked.id, form: form.kind }, 'repeated form submit answered with the first result');
    return used.result;
  }

  /** Records the nonce with the answer, in the change's transaction. */
  private async recordSubmit(tx: ProgressTx, form: FormSubmit, who: DomainActor, result: string): Promise<void> {
    if (!(await tx.recordFormNonce({ nonce: form.nonce, form: form.kind, actorAadId: who.aadObjectId, valuesHash: form.valuesHash, result }))) throw new Refused(NONCE_USED);
  }

  async logContact(actor: Actor, caseId: string, values: ContactFormValues & { correctsContactId?: string }, nonce?: string): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const { c, p, who } = loaded;
    const problem = this.formProblem(p, who, 'contact');
    if (problem) return { kind: 'card', card: await this.renderCase(c, p, who, { text: problem, kind: 'attention' }) };
    const corrects = values.correctsContactId || undefined;
    const v = validateContactForm(values, { now: this.d.clock(), earliest: c.createdAt });
    if (!v.ok || !nonce) {
      const form = v.ok ? this.formView(c, values, {}, FORM_OUTDATED) : this.formView(c, values, v.errors, undefined, nonce);
      return { kind: 'card', card: contactFormCard(corrects ? { ...form, actionData: { correctsContactId: corrects } } : form) };
    }
    const entry = v.value;
    const contactId = randomUUID();
    const noteId = entry.note ? randomUUID() : undefined;
    const hint = entry.outcome === 'declined' || entry.outcome === 'withdrew' ? ' If they no longer wish to take part, record it under Record consent.' : '';
    const saved = `${corrects ? 'Corrected contact' : 'Contact'} with ${PARTY_LABELS[entry.party]} saved.${hint}`;
    const submit: FormSubmit = { kind: 'contact', nonce, valuesHash: hashValues(values) };
    let repeated: string | undefined;
    try {
      repeated = await this.d.progress.withCaseLocked(c.id, async (tx) => {
        // First: a repeat of a submit that committed changes nothing, whatever happened since.
        const first = await this.repeatedSubmit(tx, submit, who);
        if (first !== undefined) return first;
        // Checked again under the lock: the pair or the stage may have changed since the form opened.
        const facts = factsOf(await tx.listEvents());
        if (!can(who, 'updateCase', assignmentView(facts)).allowed || !CONTACT_STAGES.includes(facts.stage)) throw new Refused('This case can no longer be updated by you.');
        if (corrects) {
          // A contact is corrected once; a second correction corrects the correction.
          const contacts = caseProgress(await tx.listEvents()).contacts;
          if (!PARTIES.some((x) => contacts[x].some((k) => k.contactId === corrects))) throw new Refused('That contact was already corrected (or is not on this case): open the case again.');
        }
        if (noteId && entry.note) await tx.insertNote({ id: noteId, kind: 'contact', text: entry.note, authorAadId: who.aadObjectId });
        const data: ContactLogged = {
          contactId,
          party: entry.party,
          at: entry.at,
          method: entry.method,
          outcome: entry.outcome,
          ...(entry.nextFollowUpOn ? { nextFollowUpOn: entry.nextFollowUpOn } : {}),
          ...(noteId ? { noteId } : {}),
          ...(corrects ? { correctsContactId: corrects } : {}),
        };
        await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: this.role(who), type: CONTACT_LOGGED, data: data as unknown as JsonObject });
        await this.recordSubmit(tx, submit, who, saved);
        return undefined;
      });
    } catch (err) {
      if (err instanceof Refused) return this.openCase(actor, c.id, { text: err.message, kind: 'attention' });
      throw err;
    }
    if (repeated !== undefined) return this.openCase(actor, c.id, { text: repeated, kind: 'good' });
    this.d.log.info({ caseId: c.id, contactId, correctsContactId: corrects, party: entry.party, outcome: entry.outcome }, 'contact logged');
    return this.openCase(actor, c.id, { text: saved, kind: 'good' });
  }

  async recordConsent(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'consent', values, nonce, (fv) => validateConsentForm(fv, { now: this.d.clock() }), (entry, form) => {
      const command: CaseCommand = entry.status === 'withdrawn' ? { kind: 'withdraw', party: entry.party } : { kind: 'recordConsent', party: entry.party, status: entry.status };
      const said = entry.status === 'given' ? 'consent saved' : entry.status === 'declined' ? 'refusal saved; a coordinator confirms the closing' : 'withdrawal saved; a coordinator confirms the closing';
      return this.command(actor, caseId, [command], `${capital(PARTY_LABELS[entry.party])}: ${said}.`, {
        form,
        annotate: (e) => (e.type === 'consent_recorded' || e.type === 'consent_withdrawn' ? { on: entry.on } : undefined),
      });
    });
  }

  async recordRisk(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'risk', values, nonce, (fv) => validateRiskForm(fv, { now: this.d.clock() }), (entry, form) => {
      const noteId = randomUUID();
      return this.command(actor, caseId, [{ kind: 'recordRisk', level: entry.level }], entry.level === 'high' ? 'Risk assessment saved. A coordinator must sign off the high risk.' : 'Risk assessment saved.', {
        form,
        annotate: (e) => (e.type === 'risk_assessed' ? { on: entry.on, noteId } : undefined),
        extra: (tx, events, _facts) => this.note(tx, events, 'risk_assessed', noteId, 'risk', entry.summary, actor),
      });
    });
  }

  async signOffRisk(actor: Actor, caseId: string): Promise<Reply> {
    return this.command(actor, caseId, [{ kind: 'signOffRisk' }], 'High risk assessment signed off.');
  }

  async scheduleConference(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'conference', values, nonce, (fv) => validateConferenceForm(fv, { now: this.d.clock() }), (entry, form) => {
      const conferenceId = randomUUID();
      const noteId = entry.attendees ? randomUUID() : undefined;
      return this.command(actor, caseId, [{ kind: 'scheduleConference', conferenceId, startsAt: entry.startsAt, venue: entry.venue }], `Conference scheduled for ${dateTime(entry.startsAt)}.`, {
        form,
        annotate: (e) => (e.type === 'conference_scheduled' && noteId ? { attendeesNoteId: noteId } : undefined),
        extra: (tx, events) => (noteId && entry.attendees ? this.note(tx, events, 'conference_scheduled', noteId, 'conference_attendees', entry.attendees, actor) : Promise.resolve()),
      });
    });
  }

  async chooseIndirect(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'indirect', values, nonce, (fv) => validateIndirectForm(fv), (entry, form) =>
      this.command(actor, caseId, [{ kind: 'chooseIndirect', method: entry.method }], `Indirect communication (${INDIRECT_METHODS[entry.method].toLowerCase()}) recorded.`, { form }),
    );
  }

  async recordOutcome(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    const loaded = await this.load(caseId);
    const conference = loaded ? currentConference(loaded.p) : undefined;
    const indirect = loaded?.p.facts.stage === 'indirect_communication';
    return this.withForm(actor, caseId, 'outcome', values, nonce, (fv) => validateOutcomeForm(fv, { now: this.d.clock(), since: !indirect && conference ? new Date(conference.startsAt) : undefined }), (entry, form) => {
      const review = (e: CaseEvent) => ((e.type === 'conference_held' || e.type === 'indirect_completed') && entry.reviewOn ? { reviewOn: entry.reviewOn } : undefined);
      if (indirect) {
        if (!entry.held) return this.openCase(actor, caseId, { text: 'Nothing changed: indirect communication continues until it is completed, or the case is closed.', kind: 'attention' });
        return this.command(actor, caseId, [{ kind: 'completeIndirect', agreement: entry.agreement }], 'Indirect communication recorded as completed.', { form, annotate: review });
      }
      if (entry.held) return this.command(actor, caseId, [{ kind: 'recordConferenceHeld', agreement: entry.agreement }], entry.agreement ? 'Conference held, with an outcome agreement.' : 'Conference recorded as held.', { form, annotate: review });
      const noteId = randomUUID();
      return this.command(actor, caseId, [{ kind: 'cancelConference', reason: 'not held' }], 'Conference recorded as not held; schedule a new one when ready.', {
        form,
        annotate: (e) => (e.type === 'conference_cancelled' ? { noteId } : undefined),
        extra: (tx, events) => this.note(tx, events, 'conference_cancelled', noteId, 'conference_not_held', entry.reason ?? 'not held', actor),
      });
    });
  }

  async reviewAgreement(actor: Actor, caseId: string): Promise<Reply> {
    return this.command(actor, caseId, [{ kind: 'reviewAgreement' }], 'Outcome agreement recorded as reviewed.');
  }

  async close(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'close', values, nonce, (fv) => validateCloseForm(fv), (entry, form) => {
      const noteId = entry.note ? randomUUID() : undefined;
      return this.command(actor, caseId, [{ kind: 'close', outcome: entry.outcome }], `Case closed: ${CLOSING_OUTCOMES[entry.outcome].toLowerCase()}. The referrer has been told the outcome.`, {
        form,
        annotate: (e) => (e.type === 'case_closed' && noteId ? { noteId } : undefined),
        extra: (tx, events) => (noteId && entry.note ? this.note(tx, events, 'case_closed', noteId, 'closing', entry.note, actor) : Promise.resolve()),
      });
    });
  }

  async confirmWithdrawal(actor: Actor, caseId: string, party: string): Promise<Reply> {
    const p = PARTIES.find((x) => x === party);
    if (!p) return refused('Say who has withdrawn.');
    return this.command(actor, caseId, [{ kind: 'confirmWithdrawal', party: p }], 'Withdrawal confirmed and the case closed. The referrer has been told the outcome.');
  }

  async reopen(actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
    return this.withForm(actor, caseId, 'reopen', values, nonce, (fv) => validateReasonForm(fv, 'reopenReason', 'Give a reason for reopening the case.'), (entry, form) => {
      const noteId = randomUUID();
      // The reason is free text: it goes to case_notes, and the event keeps a pointer to it.
      return this.command(actor, caseId, [{ kind: 'reopen', reason: 'reason in case notes' }], 'Case reopened.', {
        form,
        annotate: (e) => (e.type === 'case_reopened' ? { noteId } : undefined),
        extra: (tx, events) => this.note(tx, events, 'case_reopened', noteId, 'reopening', entry.reason, actor),
      });
    });
  }

  /** Validates a submitted form: errors re-show it with the values kept; otherwise `then` runs. */
  /**
   * Validates a submitted form: errors re-show it with the values (and its nonce) kept; a form
   * without a nonce (a card from before nonces, or a crafted one) is shown again with a fresh one;
   * otherwise `then` runs with the submit to record in the change's transaction.
   */
  private async withForm<T>(
    actor: Actor,
    caseId: string,
    kind: FormKind,
    values: FormValues,
    nonce: string | undefined,
    validate: (v: FormValues) => { ok: true; value: T } | { ok: false; errors: FieldErrors },
    then: (value: T, form: FormSubmit) => Promise<Reply>,
  ): Promise<Reply> {
    const loaded = await this.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const v = validate(values);
    if (!v.ok) return { kind: 'card', card: this.formCard(loaded.c, loaded.p, kind, values, v.errors, undefined, nonce) };
    if (!nonce) {
      // Only a form that may be used now is shown again; otherwise the case says why not.
      const problem = this.formProblem(loaded.p, loaded.who, kind);
      if (problem) return { kind: 'card', card: await this.renderCase(loaded.c, loaded.p, loaded.who, { text: problem, kind: 'attention' }) };
      return { kind: 'card', card: this.formCard(loaded.c, loaded.p, kind, values, {}, FORM_OUTDATED) };
    }
    return then(v.value, { kind, nonce, valuesHash: hashValues(values) });
  }

  /** Writes a note only when the event that refers to it was written (not on a no-op repeat). */
  private async note(tx: ProgressTx, events: readonly CaseEvent[], type: CaseEvent['type'], id: string, kind: NoteKind, text: string, actor: Actor): Promise<void> {
    if (events.some((e) => e.type === type)) await tx.insertNote({ id, kind, text, authorAadId: actor.aadObjectId });
  }

  // ---- lists --------------------------------------------------------------------------------------

  async list(actor: Actor, kind: ListKind, filters: ListFilters = {}): Promise<Reply> {
    const who = await this.d.domainActor(actor);
    if (kind === 'all' && !can(who, 'viewAllCases').allowed) return refused('Only coordinators can see all cases. Type **my cases** for yours.');
    if (kind === 'mine' && !who.facilitator) return refused(who.coordinator ? 'You have no cases as a facilitator. Type **cases** to see all open cases.' : 'Only facilitators have cases of their own.');
    if (kind === 'overdue' && !who.coordinator && !who.facilitator) return refused('Only facilitators and coordinators can see overdue cases.');
    const stage = ACTIVE_STAGES.find((s) => s === filters.stage);
    const facilitator = kind === 'all' ? filters.facilitator || undefined : kind === 'mine' || !who.coordinator ? who.aadObjectId : undefined;
    const overdueOnly = kind === 'overdue' || filters.overdue === 'overdue';
    const rows = await this.d.progress.openCases({ ...(facilitator ? { facilitatorAadId: facilitator } : {}), ...(kind === 'all' && stage ? { stage } : {}) });
    const events = await this.d.progress.eventsOf(rows.map((r) => r.id));
    const ctx = this.dueContext();
    const names = await this.names(rows.flatMap((r) => r.facilitators));
    let items: (CaseListRow & { sortDue: number; sortStage: CaseStage })[] = rows.map((r) => {
      const due = dueItems(r, caseProgress(events.get(r.id) ?? []), ctx);
      const overdue = due.some(isOverdueContact);
      return {
        caseId: r.id,
        reference: r.reference,
        stageLabel: CASE_STAGES[r.stage],
        offence: OFFENCE_TYPES[r.offenceType],
        facilitators: kind === 'mine' ? undefined : r.facilitators.map((id) => names.get(id) ?? 'Unknown').join(' and ') || 'No facilitators yet',
        next: nextDueLabel(overdue ? due.filter(isOverdueContact) : due, displayDate),
        overdue,
        sortDue: due[0]?.due.getTime() ?? Number.MAX_SAFE_INTEGER,
        sortStage: r.stage,
      };
    });
    if (overdueOnly) items = items.filter((i) => i.overdue);
    // Coordinators read by stage; facilitators by what is due soonest.
    items.sort(kind === 'all' ? (a, b) => compareStages(a.sortStage, b.sortStage) || a.sortDue - b.sortDue : (a, b) => a.sortDue - b.sortDue);
    const size = this.d.pageSize ?? DEFAULT_PAGE_SIZE;
    const pageCount = Math.max(1, Math.ceil(items.length / size));
    const page = Math.min(Math.max(1, Math.trunc(filters.page ?? 1)), pageCount);
    const view: CaseListView = {
      kind,
      title: kind === 'mine' ? 'My cases' : kind === 'overdue' ? 'Overdue cases' : 'Open cases',
      rows: items.slice((page - 1) * size, page * size).map(({ sortDue: _s, sortStage: _t, ...row }) => row),
      page,
      pageCount,
      total: items.length,
      emptyText: kind === 'overdue' || overdueOnly ? 'Nothing is overdue.' : kind === 'mine' ? 'You have no open cases.' : 'No open cases match.',
    };
    if (kind === 'all') {
      const staff = await this.d.roster.list({ facilitatorsOnly: true });
      view.filters = {
        stages: ACTIVE_STAGES.map((s) => ({ title: CASE_STAGES[s], value: s })),
        facilitators: staff.map((s) => ({ title: s.displayName, value: s.aadObjectId })),
        ...(stage ? { stage } : {}),
        ...(facilitator ? { facilitator } : {}),
        overdue: overdueOnly ? 'overdue' : 'all',
      };
    }
    return { kind: 'card', card: caseListCard(view) };
  }
}

function isOverdueContact(d: DueItem): boolean {
  return d.overdue && (d.kind === 'first_contact' || d.kind === 'follow_up');
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

/** What a committed lifecycle change owes: the coordinators' card shows the new stage; a closing tells the referrer the outcome. */
function owedAfter(c: ProgressCase, events: readonly CaseEvent[]): OwedMessage[] {
  const closed = events.find((e): e is Extract<CaseEvent, { type: 'case_closed' }> => e.type === 'case_closed');
  return [owe.channelCard(c.id), ...(closed ? [owe.referrerNotice(c, 'closed', closed.outcome)] : [])];
}
