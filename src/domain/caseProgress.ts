import { z } from 'zod';
import {
  apply,
  CaseEventError,
  CLOSING_OUTCOMES,
  INDIRECT_METHODS,
  INITIAL_FACTS,
  parseCaseEvent,
  PARTIES,
  PARTY_LABELS,
  type CaseEvent,
  type CaseFacts,
  type ClosingOutcome,
  type ConsentStatus,
  type IndirectMethod,
  type Party,
  type RiskLevel,
} from './caseState';
import { CONTACT_METHODS, CONTACT_OUTCOMES, type ContactMethod, type ContactOutcome } from './contactForm';
import { CASE_STAGES } from './vocabulary';
import { CASE_ANONYMISED, LEGAL_HOLD_LIFTED, LEGAL_HOLD_PLACED } from './retention';
import { ERASURE_DECIDED } from './erasure';

/*
 * A case's progress as read from its whole event log: the lifecycle facts (caseState.ts) plus what
 * the lifecycle does not own (contacts) and the details the progress forms add to lifecycle events
 * (dates, note ids). Free text never lives in an event: notes are referred to by id only.
 *
 * `foldCaseLog` is the one fold of a stored log: the lifecycle (`caseProgress(...).facts`), the case
 * card, the lists and the reminder view (dueDates.ts `reminderCaseView`) all read what it returns.
 */

export const CONTACT_LOGGED = 'contact_logged';

/**
 * The `contact_logged` event's data. The reminder scheduler reads this shape (latest contact per
 * party, its nextFollowUpOn), so it only ever gains optional fields.
 */
export const contactLoggedSchema = z.object({
  contactId: z.string().min(1),
  party: z.enum(PARTIES),
  /** ISO 8601 instant of the contact itself (not when it was logged). */
  at: z.string().min(1).refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 instant' }),
  method: z.enum(Object.keys(CONTACT_METHODS) as [ContactMethod, ...ContactMethod[]]),
  outcome: z.enum(Object.keys(CONTACT_OUTCOMES) as [ContactOutcome, ...ContactOutcome[]]),
  /** ISO date (London). */
  nextFollowUpOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
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
  /**
   * Staff (facilitators) the line is about, and the line with their names in: `{0}`, `{1}` stand
   * for their names. A view that can name every one of them shows `named`, otherwise `text`.
   */
  readonly staff?: readonly string[];
  readonly named?: string;
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
  /** Legal hold (while placed), anonymisation and erased participants, from their events (src/domain/retention.ts, erasure.ts). */
  readonly retention: { readonly heldSince?: Date; readonly holdNoteId?: string; readonly anonymisedAt?: Date; readonly erased?: Readonly<Partial<Record<Party, Date>>> };
  readonly timeline: readonly TimelineEntry[];
  /** Lifecycle events whose data did not parse, skipped by the fold; `caseProgress` refuses a log with any. */
  readonly malformed: readonly MalformedEvent[];
}

export interface MalformedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly problem: string;
}

const str = (d: Readonly<Record<string, unknown>>, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const EMPTY_CONSENT = { harmed_person: { status: 'none' as ConsentStatus }, offender: { status: 'none' as ConsentStatus } };

export function partyName(p: Party): string {
  return PARTY_LABELS[p].replace(/^the /, '');
}

type Line = { text: string; staff?: string[]; named?: string };

/** Events a command writes after another one, saying more about the same thing. */
const FOLLOWS_IN_ONE_COMMAND = new Set(['stage_changed', 'pair_confirmed', 'facilitator_offered', 'conference_scheduled', 'indirect_chosen', 'case_closed']);

/** One event's line; `staff` and `named` when it is about facilitators. */
function describeLine(e: StoredEvent, contact: ContactLogged | undefined): Line | undefined {
  const who = str(e.data, 'facilitatorAadId');
  switch (e.type) {
    case 'facilitator_offered':
      return who ? { text: 'Offered to a facilitator', staff: [who], named: 'Offered to {0}' } : { text: 'Offered to a facilitator' };
    case 'offer_accepted':
      return who ? { text: 'A facilitator accepted the offer', staff: [who], named: '{0} accepted the offer' } : { text: 'A facilitator accepted the offer' };
    case 'offer_declined':
      return who ? { text: 'A facilitator declined the offer', staff: [who], named: '{0} declined the offer' } : { text: 'A facilitator declined the offer' };
    case 'facilitator_removed':
      return who ? { text: 'A facilitator was replaced', staff: [who], named: '{0} was replaced' } : { text: 'A facilitator was replaced' };
    default: {
      const text = describe(e, contact);
      return text ? { text } : undefined;
    }
  }
}

/**
 * Several events written by one command (one transaction: the same instant and actor) are one
 * thing that happened, so they make one history line: a pair offered is one line naming both,
 * a stage change that follows from the event before it is not repeated ("Accepted into the
 * service", not then "Stage: Accepted into the service"), a rescheduling is one line.
 */
function mergeLine(prev: TimelineEntry, e: StoredEvent, line: Line): TimelineEntry | 'skip' | undefined {
  if (prev.at.getTime() !== e.at.getTime() || prev.actorAadId !== e.actorAadId || !FOLLOWS_IN_ONE_COMMAND.has(e.type)) return undefined;
  if (e.type === 'stage_changed' || e.type === 'pair_confirmed') {
    return e.type === 'pair_confirmed' ? { ...prev, text: `${prev.text}; the pair is confirmed`, ...(prev.named ? { named: `${prev.named}; the pair is confirmed` } : {}) } : 'skip';
  }
  if (e.type === 'conference_scheduled' && prev.text === 'Conference rescheduled') return 'skip';
  // A stage change written first (assignment started, then the pair offered) is said by what follows.
  if (prev.text.startsWith('Stage: ')) return { at: prev.at, actorAadId: prev.actorAadId, ...line };
  const staff = [...(prev.staff ?? []), ...(line.staff ?? [])];
  const shift = (prev.staff ?? []).length;
  const named = line.named?.replace(/\{(\d+)\}/g, (_m, i: string) => `{${Number(i) + shift}}`);
  if (e.type === 'facilitator_offered' && prev.named === 'Offered to {0}' && named) {
    return { ...prev, text: 'Offered to two facilitators', staff, named: `Offered to {0} and ${named.replace('Offered to ', '')}` };
  }
  const lower = (t: string) => t.charAt(0).toLowerCase() + t.slice(1);
  return {
    ...prev,
    text: `${prev.text}; ${lower(line.text)}`,
    ...(staff.length > 0 ? { staff } : {}),
    ...(prev.named || named ? { named: `${prev.named ?? prev.text}; ${lower(named ?? line.text)}` } : {}),
  };
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
    case LEGAL_HOLD_PLACED:
      return 'Put on legal hold';
    case LEGAL_HOLD_LIFTED:
      return 'Legal hold lifted';
    case CASE_ANONYMISED:
      return 'Anonymised: the retention period ended';
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
        ? `${contact.correctsContactId ? 'Corrected contact' : 'Contact'} with ${PARTY_LABELS[contact.party]}: ${CONTACT_METHODS[contact.method].toLowerCase()}, ${CONTACT_OUTCOMES[contact.outcome].toLowerCase()}`
        : 'Contact logged';
    case 'consent_recorded':
      return party ? `${capital(partyName(party))} ${str(d, 'status') === 'given' ? 'consented' : 'declined to take part'}` : 'Consent recorded';
    case 'consent_withdrawn':
      return party ? `${capital(partyName(party))} withdrew consent` : 'Consent withdrawn';
    case 'risk_assessed':
      return `Risk assessed: ${str(d, 'level') ?? ''} risk`;
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

/**
 * Folds the case's whole log, oldest first, and never throws: a lifecycle event with malformed data
 * is skipped and listed in `malformed`, a malformed contact is skipped, so one bad row cannot stop
 * the reminders of the other cases in a batch. Whoever decides on the facts uses `caseProgress`.
 */
export function foldCaseLog(events: readonly StoredEvent[]): CaseProgress {
  let facts = INITIAL_FACTS;
  const contacts: (ContactFact & { seq: number })[] = [];
  const malformed: MalformedEvent[] = [];
  const consent: Record<Party, { status: ConsentStatus; on?: string; by?: string | null }> = { ...EMPTY_CONSENT };
  let risk: CaseProgress['risk'];
  const conferences: ConferenceRecord[] = [];
  let indirect: CaseProgress['indirect'];
  let agreement: CaseProgress['agreement'];
  let closed: CaseProgress['closed'];
  let reopened: CaseProgress['reopened'];
  let pairConfirmedAt: Date | undefined;
  let lastActivityAt: Date | undefined;
  let retention: CaseProgress['retention'] = {};
  const timeline: TimelineEntry[] = [];

  for (const [seq, stored] of events.entries()) {
    // A row whose data is not an object (JSON null, a list) is read as empty rather than crash the fold.
    const e = isRecord(stored.data) ? stored : { ...stored, data: {} };
    const d = e.data;
    const contact = e.type === CONTACT_LOGGED ? parseContactLogged(d) : undefined;
    if (contact) contacts.push({ ...contact, by: e.actorAadId, loggedAt: e.at, seq });
    let lifecycle: CaseEvent | undefined;
    try {
      lifecycle = parseCaseEvent(e.type, d);
    } catch (err) {
      if (!(err instanceof CaseEventError)) throw err;
      malformed.push({ eventId: e.id, type: e.type, problem: err.message });
      continue;
    }
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
          const record: ConferenceRecord = {
            conferenceId: lifecycle.conferenceId,
            startsAt: lifecycle.startsAt,
            venue: lifecycle.venue,
            attendeesNoteId: str(d, 'attendeesNoteId'),
            scheduledAt: e.at,
            scheduledBy: e.actorAadId,
          };
          // Scheduling the same conference again moves it: its notices start over from the new date.
          const k = conferences.findIndex((c) => c.conferenceId === record.conferenceId);
          if (k >= 0) conferences[k] = record;
          else conferences.push(record);
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
      case LEGAL_HOLD_PLACED:
        retention = { ...retention, heldSince: e.at, holdNoteId: str(d, 'noteId') };
        break;
      case LEGAL_HOLD_LIFTED:
        retention = { ...(retention.anonymisedAt ? { anonymisedAt: retention.anonymisedAt } : {}), ...(retention.erased ? { erased: retention.erased } : {}) };
        break;
      case CASE_ANONYMISED:
        retention = { ...retention, anonymisedAt: e.at };
        break;
      case ERASURE_DECIDED: {
        const erased = d.decision === 'erased' && PARTIES.find((x) => x === d.party);
        if (erased) retention = { ...retention, erased: { ...retention.erased, [erased]: e.at } };
        break;
      }
    }
    const line = repeatedStage ? undefined : describeLine(e, contact);
    if (line) {
      const prev = timeline[timeline.length - 1];
      const merged = prev ? mergeLine(prev, e, line) : undefined;
      if (merged === 'skip') continue;
      if (merged) timeline[timeline.length - 1] = merged;
      else timeline.push({ at: e.at, actorAadId: e.actorAadId, ...line });
    }
  }

  const corrected = new Set(contacts.map((c) => c.correctsContactId).filter((x): x is string => Boolean(x)));
  // Newest by the contact's own time (one logged late for an earlier day does not replace a newer
  // one); a tie goes to the one logged later.
  const byParty = (p: Party): ContactFact[] =>
    contacts
      .filter((c) => c.party === p && !corrected.has(c.contactId))
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.seq - a.seq)
      .map(({ seq: _seq, ...c }) => c);

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
    retention,
    timeline,
    malformed,
  };
}

/**
 * The fold for deciding and showing a case: a log with a malformed lifecycle event is refused
 * (CaseEventError naming the event), because a corrupt audit trail must not be silently skipped.
 */
export function caseProgress(events: readonly StoredEvent[]): CaseProgress {
  const p = foldCaseLog(events);
  const bad = p.malformed[0];
  if (bad) throw new CaseEventError(`case event ${bad.eventId}: ${bad.problem}`);
  return p;
}

/** The conference now in play: scheduled, not cancelled (held or not). */
export function currentConference(p: CaseProgress): ConferenceRecord | undefined {
  const id = p.facts.conference?.conferenceId;
  return id ? p.conferences.find((c) => c.conferenceId === id) : undefined;
}
