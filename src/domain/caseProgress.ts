import { z } from 'zod';
import {
  apply,
  CLOSING_OUTCOMES,
  INDIRECT_METHODS,
  INITIAL_FACTS,
  parseCaseEvent,
  PARTIES,
  PARTY_LABELS,
  type CaseFacts,
  type ClosingOutcome,
  type ConsentStatus,
  type IndirectMethod,
  type Party,
  type RiskLevel,
} from './caseState';
import { CONTACT_METHODS, CONTACT_OUTCOMES, type ContactMethod, type ContactOutcome } from './contactForm';
import { CASE_STAGES } from './vocabulary';
import type { WorkingCalendar } from './workingTime';

/*
 * A case's progress as read from its whole event log: the lifecycle facts (caseState.ts) plus what
 * the lifecycle does not own (contacts) and the details the progress forms add to lifecycle events
 * (dates, note ids). Free text never lives in an event: notes are referred to by id only.
 */

export const CONTACT_LOGGED = 'contact_logged';

/**
 * The `contact_logged` event's data. The reminder scheduler reads this shape (latest contact per
 * party, its nextFollowUpOn), so it only ever gains optional fields.
 */
export const contactLoggedSchema = z.object({
  contactId: z.string().min(1),
  party: z.enum(PARTIES),
  at: z.string().min(1),
  method: z.enum(Object.keys(CONTACT_METHODS) as [ContactMethod, ...ContactMethod[]]),
  outcome: z.enum(Object.keys(CONTACT_OUTCOMES) as [ContactOutcome, ...ContactOutcome[]]),
  nextFollowUpOn: z.string().optional(),
  /** The note's id in case_notes, when there is one. */
  noteId: z.string().optional(),
  /** A correction is a new contact that replaces the one it names. */
  correctsContactId: z.string().optional(),
});
export type ContactLogged = z.infer<typeof contactLoggedSchema>;

export interface StoredEvent {
  readonly id: string;
  readonly at: Date;
  readonly actorAadId: string | null;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ContactFact extends ContactLogged {
  readonly by: string | null;
  readonly loggedAt: Date;
}

export interface ConferenceRecord {
  readonly conferenceId: string;
  readonly startsAt: string;
  readonly venue: string;
  readonly attendeesNoteId?: string;
  readonly scheduledAt: Date;
  readonly scheduledBy: string | null;
  readonly cancelled?: { readonly reason: string; readonly at: Date };
  readonly held?: { readonly agreement: boolean; readonly at: Date };
}

export interface TimelineEntry {
  readonly at: Date;
  readonly actorAadId: string | null;
  /** Codes and labels only; never a note, summary or participant name. */
  readonly text: string;
}

export interface CaseProgress {
  readonly facts: CaseFacts;
  /** Per party, newest first by the contact's own time; corrected contacts are left out. */
  readonly contacts: Readonly<Record<Party, readonly ContactFact[]>>;
  readonly consent: Readonly<Record<Party, { readonly status: ConsentStatus; readonly on?: string; readonly by?: string | null }>>;
  readonly risk?: { readonly level: RiskLevel; readonly on?: string; readonly by: string | null; readonly noteId?: string; readonly signedOffBy?: string | null };
  /** Every conference ever scheduled, oldest first: rescheduling keeps the history. */
  readonly conferences: readonly ConferenceRecord[];
  readonly indirect?: { readonly method: IndirectMethod; readonly since: Date; readonly completed?: { readonly agreement: boolean; readonly at: Date } };
  readonly agreement?: { readonly agreedAt: Date; readonly reviewOn?: string; readonly reviewedAt?: Date };
  readonly closed?: { readonly outcome: ClosingOutcome; readonly at: Date; readonly by: string | null; readonly noteId?: string };
  readonly reopened?: { readonly at: Date; readonly by: string | null };
  readonly pairConfirmedAt?: Date;
  readonly lastActivityAt?: Date;
  readonly timeline: readonly TimelineEntry[];
}

const str = (d: Readonly<Record<string, unknown>>, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);

const EMPTY_CONSENT = { harmed_person: { status: 'none' as ConsentStatus }, offender: { status: 'none' as ConsentStatus } };

function partyName(p: Party): string {
  return PARTY_LABELS[p].replace(/^the /, '');
}

function describe(e: StoredEvent, contact: ContactLogged | undefined): string | undefined {
  const d = e.data;
  const party = str(d, 'party') as Party | undefined;
  switch (e.type) {
    case 'referred':
      return 'Referred';
    case 'referral_accepted':
      return 'Accepted into the service';
    case 'referral_declined':
      return 'Declined at triage';
    case 'facilitator_offered':
      return 'Offered to a facilitator';
    case 'offer_accepted':
      return 'A facilitator accepted';
    case 'offer_declined':
      return 'A facilitator declined';
    case 'facilitator_removed':
      return 'A facilitator was replaced';
    case 'pair_confirmed':
      return 'Pair of facilitators confirmed';
    case CONTACT_LOGGED:
      return contact
        ? `${contact.correctsContactId ? 'Corrected contact' : 'Contact'} with ${partyName(contact.party)}: ${CONTACT_METHODS[contact.method].toLowerCase()}, ${CONTACT_OUTCOMES[contact.outcome].toLowerCase()}`
        : 'Contact logged';
    case 'consent_recorded':
      return party ? `${capital(partyName(party))} ${str(d, 'status') === 'given' ? 'consented' : 'declined to take part'}` : 'Consent recorded';
    case 'consent_withdrawn':
      return party ? `${capital(partyName(party))} withdrew consent` : 'Consent withdrawn';
    case 'risk_assessed':
      return `Risk assessed: ${str(d, 'level') ?? ''}`;
    case 'risk_signed_off':
      return 'High risk signed off by a coordinator';
    case 'conference_scheduled':
      return 'Conference scheduled';
    case 'conference_cancelled':
      return str(d, 'reason') === 'rescheduled' ? 'Conference rescheduled' : 'Conference cancelled';
    case 'indirect_chosen': {
      const m = str(d, 'method') as IndirectMethod | undefined;
      return `Indirect communication chosen${m && m in INDIRECT_METHODS ? `: ${INDIRECT_METHODS[m].toLowerCase()}` : ''}`;
    }
    case 'conference_held':
      return d.agreement === true ? 'Conference held; outcome agreement made' : 'Conference held';
    case 'indirect_completed':
      return d.agreement === true ? 'Indirect communication completed; outcome agreement made' : 'Indirect communication completed';
    case 'agreement_reviewed':
      return 'Outcome agreement reviewed';
    case 'case_closed': {
      const o = str(d, 'outcome') as ClosingOutcome | undefined;
      return `Closed${o && o in CLOSING_OUTCOMES ? `: ${CLOSING_OUTCOMES[o].toLowerCase()}` : ''}`;
    }
    case 'case_reopened':
      return 'Reopened';
    case 'stage_changed': {
      const to = str(d, 'to');
      return to && to in CASE_STAGES ? `Stage: ${CASE_STAGES[to as keyof typeof CASE_STAGES]}` : undefined;
    }
    default:
      // Events other modules add (reminders sent, snoozes) are not part of the case's story here.
      return undefined;
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Reads a `contact_logged` event's data; undefined when it is malformed (never thrown: it is not lifecycle state). */
export function parseContactLogged(data: unknown): ContactLogged | undefined {
  const r = contactLoggedSchema.safeParse(data);
  return r.success ? r.data : undefined;
}

/** Folds the case's whole log, oldest first. */
export function caseProgress(events: readonly StoredEvent[]): CaseProgress {
  let facts = INITIAL_FACTS;
  const contacts: ContactFact[] = [];
  const consent: Record<Party, { status: ConsentStatus; on?: string; by?: string | null }> = { ...EMPTY_CONSENT };
  let risk: CaseProgress['risk'];
  const conferences: ConferenceRecord[] = [];
  let indirect: CaseProgress['indirect'];
  let agreement: CaseProgress['agreement'];
  let closed: CaseProgress['closed'];
  let reopened: CaseProgress['reopened'];
  let pairConfirmedAt: Date | undefined;
  let lastActivityAt: Date | undefined;
  const timeline: TimelineEntry[] = [];

  for (const e of events) {
    const d = e.data;
    const contact = e.type === CONTACT_LOGGED ? parseContactLogged(d) : undefined;
    if (contact) contacts.push({ ...contact, by: e.actorAadId, loggedAt: e.at });
    const lifecycle = parseCaseEvent(e.type, d);
    // Older writers could record the same stage change twice; the timeline shows it once.
    const repeatedStage = lifecycle?.type === 'stage_changed' && lifecycle.to === facts.stage;
    if (lifecycle) facts = apply(facts, lifecycle);
    if (e.actorAadId) lastActivityAt = e.at;
    switch (e.type) {
      case 'pair_confirmed':
        pairConfirmedAt ??= e.at;
        break;
      case 'consent_recorded':
      case 'consent_withdrawn': {
        const p = str(d, 'party') as Party | undefined;
        if (p && PARTIES.includes(p)) consent[p] = { status: facts.consents[p], on: str(d, 'on'), by: e.actorAadId };
        break;
      }
      case 'risk_assessed':
        if (facts.risk) risk = { level: facts.risk.level, on: str(d, 'on'), by: e.actorAadId, noteId: str(d, 'noteId') };
        break;
      case 'risk_signed_off':
        if (risk) risk = { ...risk, signedOffBy: e.actorAadId };
        break;
      case 'conference_scheduled':
        if (lifecycle?.type === 'conference_scheduled') {
          conferences.push({
            conferenceId: lifecycle.conferenceId,
            startsAt: lifecycle.startsAt,
            venue: lifecycle.venue,
            attendeesNoteId: str(d, 'attendeesNoteId'),
            scheduledAt: e.at,
            scheduledBy: e.actorAadId,
          });
        }
        break;
      case 'conference_cancelled':
      case 'conference_held': {
        const k = conferences.findIndex((c) => c.conferenceId === str(d, 'conferenceId'));
        const c = conferences[k];
        if (c) {
          conferences[k] = e.type === 'conference_cancelled'
            ? { ...c, cancelled: { reason: str(d, 'reason') ?? '', at: e.at } }
            : { ...c, held: { agreement: d.agreement === true, at: e.at } };
        }
        if (e.type === 'conference_held' && d.agreement === true) agreement = { agreedAt: e.at, reviewOn: str(d, 'reviewOn') };
        break;
      }
      case 'indirect_chosen':
        if (facts.indirect) indirect = { method: facts.indirect.method, since: e.at };
        break;
      case 'indirect_completed':
        if (indirect) indirect = { ...indirect, completed: { agreement: d.agreement === true, at: e.at } };
        if (d.agreement === true) agreement = { agreedAt: e.at, reviewOn: str(d, 'reviewOn') };
        break;
      case 'agreement_reviewed':
        if (agreement) agreement = { ...agreement, reviewedAt: e.at };
        break;
      case 'case_closed':
        if (facts.outcome) closed = { outcome: facts.outcome, at: e.at, by: e.actorAadId, noteId: str(d, 'noteId') };
        break;
      case 'case_reopened':
        closed = undefined;
        reopened = { at: e.at, by: e.actorAadId };
        break;
    }
    const text = repeatedStage ? undefined : describe(e, contact);
    if (text) timeline.push({ at: e.at, actorAadId: e.actorAadId, text });
  }

  const corrected = new Set(contacts.map((c) => c.correctsContactId).filter((x): x is string => Boolean(x)));
  const byParty = (p: Party) =>
    contacts
      .filter((c) => c.party === p && !corrected.has(c.contactId))
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.loggedAt.getTime() - a.loggedAt.getTime());

  return {
    facts,
    contacts: { harmed_person: byParty('harmed_person'), offender: byParty('offender') },
    consent,
    risk: facts.risk ? (risk ? { ...risk, signedOffBy: facts.risk.signedOff ? risk.signedOffBy : undefined } : undefined) : undefined,
    conferences,
    indirect: facts.indirect ? indirect : undefined,
    agreement: facts.agreement ? agreement : undefined,
    closed,
    reopened,
    pairConfirmedAt,
    lastActivityAt,
    timeline,
  };
}

/** The conference now in play: scheduled, not cancelled (held or not). */
export function currentConference(p: CaseProgress): ConferenceRecord | undefined {
  const id = p.facts.conference?.conferenceId;
  return id ? p.conferences.find((c) => c.conferenceId === id) : undefined;
}

// ---------------------------------------------------------------------------------------------
// What is due next
// ---------------------------------------------------------------------------------------------

export type DueKind = 'first_contact' | 'follow_up' | 'conference' | 'conference_outcome' | 'agreement_review';

export interface DueItem {
  readonly kind: DueKind;
  readonly party?: Party;
  readonly due: Date;
  readonly overdue: boolean;
  readonly label: string;
}

export interface DueContext {
  readonly now: Date;
  readonly calendar: WorkingCalendar;
  /** Working days after the pair is confirmed by which each party should have been contacted. */
  readonly firstContactWorkingDays: number;
  /** Time of day a follow-up date falls due (HH:mm). */
  readonly followUpAt: string;
}

/**
 * Everything due on an open case, soonest first. Overdue means: a first contact not made within
 * the allowed working days, a follow-up date passed without a newer contact, a conference past with
 * no outcome, or an agreement review date passed.
 */
export function dueItems(p: CaseProgress, ctx: DueContext): DueItem[] {
  const stage = p.facts.stage;
  if (stage === 'closed' || stage === 'declined') return [];
  const items: DueItem[] = [];
  const push = (kind: DueKind, due: Date, label: string, party?: Party) =>
    items.push({ kind, due, label, overdue: due.getTime() <= ctx.now.getTime(), ...(party ? { party } : {}) });
  const contacting = stage === 'preparation' || stage === 'ready' || stage === 'conference_scheduled' || stage === 'indirect_communication' || stage === 'follow_up';
  if (contacting) {
    for (const party of PARTIES) {
      const latest = p.contacts[party][0];
      if (!latest && p.pairConfirmedAt) {
        push('first_contact', ctx.calendar.addWorkingDays(p.pairConfirmedAt, ctx.firstContactWorkingDays), `First contact with ${partyName(party)}`, party);
      } else if (latest?.nextFollowUpOn) {
        push('follow_up', ctx.calendar.atOrNextWorkingStart(latest.nextFollowUpOn, ctx.followUpAt), `Follow up with ${partyName(party)}`, party);
      }
    }
  }
  const conference = currentConference(p);
  if (stage === 'conference_scheduled' && conference && !conference.held) {
    const starts = new Date(conference.startsAt);
    if (starts.getTime() > ctx.now.getTime()) items.push({ kind: 'conference', due: starts, overdue: false, label: 'Conference' });
    else push('conference_outcome', starts, 'Record whether the conference was held');
  }
  if (p.agreement?.reviewOn && !p.agreement.reviewedAt) {
    push('agreement_review', ctx.calendar.atOrNextWorkingStart(p.agreement.reviewOn, ctx.followUpAt), 'Review the outcome agreement');
  }
  return items.sort((a, b) => a.due.getTime() - b.due.getTime());
}

/** A short line for lists: the soonest due item, or what the case is waiting for. */
export function nextDueLabel(items: readonly DueItem[], formatDate: (d: Date) => string): string {
  const first = items[0];
  if (!first) return 'Nothing due';
  return `${first.label}: ${first.overdue ? 'overdue since' : 'due'} ${formatDate(first.due)}`;
}
