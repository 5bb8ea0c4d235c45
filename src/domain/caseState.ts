import type { AssignmentView, CaseView } from './permissions';
import { isClosedStage, STAGE_ORDER, type CaseStage } from './vocabulary';

/*
 * A case's lifecycle state as a fold over its event log. Events record facts, never instructions:
 * `apply` trusts them (they passed `decide` when they were written) and never refuses one, so an
 * old log always replays. Stage changes are explicit `stage_changed` events rather than derived here,
 * so a later change to the lifecycle's rules cannot move the stage of a case already in the log.
 */

export const PARTIES = ['harmed_person', 'offender'] as const;
export type Party = (typeof PARTIES)[number];
export const PARTY_LABELS: Readonly<Record<Party, string>> = {
  harmed_person: 'the harmed person',
  // The service's own words: one label on every card, never "offender" beside it.
  offender: 'the person who caused the harm',
};

export type ConsentStatus = 'none' | 'given' | 'declined' | 'withdrawn';

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const INDIRECT_METHODS = {
  letters: 'Letters',
  shuttle: 'Shuttle communication',
  other: 'Other indirect communication',
} as const;
export type IndirectMethod = keyof typeof INDIRECT_METHODS;

/** The outcome category the referrer is told when the case closes. */
export const CLOSING_OUTCOMES = {
  conference_held: 'Conference held',
  indirect_communication_completed: 'Indirect communication completed',
  harmed_person_withdrew: 'Harmed person withdrew',
  offender_withdrew: 'Offender withdrew',
  unsuitable_after_assessment: 'Unsuitable after assessment',
  no_contact_possible: 'No contact possible',
  declined_at_triage: 'Declined at triage',
} as const;
export type ClosingOutcome = keyof typeof CLOSING_OUTCOMES;

export const WITHDRAWAL_OUTCOME: Readonly<Record<Party, ClosingOutcome>> = {
  harmed_person: 'harmed_person_withdrew',
  offender: 'offender_withdrew',
};

export type OfferStatus = 'offered' | 'accepted' | 'declined';

/** One of the (at most two) facilitators currently on the case, with the state of their offer. */
export interface FacilitatorSlot {
  readonly aadObjectId: string;
  readonly status: OfferStatus;
}

export interface ConferenceFacts {
  readonly conferenceId: string;
  /** ISO 8601 instant. */
  readonly startsAt: string;
  readonly venue: string;
  readonly held: boolean;
}

export interface CaseFacts {
  readonly stage: CaseStage;
  readonly facilitators: readonly FacilitatorSlot[];
  /** True once a pair was first confirmed; a later replacement does not undo preparation. */
  readonly pairConfirmed: boolean;
  readonly consents: Readonly<Record<Party, ConsentStatus>>;
  readonly risk: { readonly level: RiskLevel; readonly signedOff: boolean } | null;
  /** The current conference; null when none is scheduled or the last one was cancelled. */
  readonly conference: ConferenceFacts | null;
  readonly indirect: { readonly method: IndirectMethod; readonly completed: boolean } | null;
  readonly agreement: { readonly reviewed: boolean } | null;
  readonly outcome: ClosingOutcome | null;
  readonly declineReason: string | null;
  /** Where a closed case was when it closed, so reopening can return there. */
  readonly stageBeforeClose: CaseStage | null;
}

export type CaseEvent =
  | { readonly type: 'referred' }
  | { readonly type: 'referral_accepted' }
  | { readonly type: 'referral_declined'; readonly reason: string }
  | { readonly type: 'facilitator_offered'; readonly facilitatorAadId: string }
  | { readonly type: 'offer_accepted'; readonly facilitatorAadId: string }
  | { readonly type: 'offer_declined'; readonly facilitatorAadId: string; readonly reason: string }
  | { readonly type: 'facilitator_removed'; readonly facilitatorAadId: string; readonly reason: string }
  | { readonly type: 'pair_confirmed'; readonly facilitatorAadIds: readonly string[] }
  | { readonly type: 'consent_recorded'; readonly party: Party; readonly status: 'given' | 'declined' }
  | { readonly type: 'consent_withdrawn'; readonly party: Party }
  | { readonly type: 'risk_assessed'; readonly level: RiskLevel }
  | { readonly type: 'risk_signed_off' }
  | { readonly type: 'conference_scheduled'; readonly conferenceId: string; readonly startsAt: string; readonly venue: string }
  | { readonly type: 'conference_cancelled'; readonly conferenceId: string; readonly reason: string }
  | { readonly type: 'indirect_chosen'; readonly method: IndirectMethod }
  | { readonly type: 'conference_held'; readonly conferenceId: string; readonly agreement: boolean }
  | { readonly type: 'indirect_completed'; readonly agreement: boolean }
  | { readonly type: 'agreement_reviewed' }
  | { readonly type: 'case_closed'; readonly outcome: ClosingOutcome }
  | { readonly type: 'case_reopened'; readonly reason: string }
  | { readonly type: 'stage_changed'; readonly from: CaseStage; readonly to: CaseStage };

export type CaseEventType = CaseEvent['type'];

export const CASE_EVENT_TYPES: readonly CaseEventType[] = [
  'referred',
  'referral_accepted',
  'referral_declined',
  'facilitator_offered',
  'offer_accepted',
  'offer_declined',
  'facilitator_removed',
  'pair_confirmed',
  'consent_recorded',
  'consent_withdrawn',
  'risk_assessed',
  'risk_signed_off',
  'conference_scheduled',
  'conference_cancelled',
  'indirect_chosen',
  'conference_held',
  'indirect_completed',
  'agreement_reviewed',
  'case_closed',
  'case_reopened',
  'stage_changed',
];

export const INITIAL_FACTS: CaseFacts = {
  stage: 'referred',
  facilitators: [],
  pairConfirmed: false,
  consents: { harmed_person: 'none', offender: 'none' },
  risk: null,
  conference: null,
  indirect: null,
  agreement: null,
  outcome: null,
  declineReason: null,
  stageBeforeClose: null,
};

function setSlot(facts: CaseFacts, aadObjectId: string, status: OfferStatus): CaseFacts {
  return {
    ...facts,
    facilitators: facts.facilitators.map((s) => (s.aadObjectId === aadObjectId ? { aadObjectId, status } : s)),
  };
}

export function apply(facts: CaseFacts, event: CaseEvent): CaseFacts {
  switch (event.type) {
    case 'referred':
      return INITIAL_FACTS;
    case 'referral_accepted':
      return facts;
    case 'referral_declined':
      return { ...facts, outcome: 'declined_at_triage', declineReason: event.reason, stageBeforeClose: facts.stage };
    case 'facilitator_offered':
      return {
        ...facts,
        facilitators: [
          ...facts.facilitators.filter((s) => s.aadObjectId !== event.facilitatorAadId),
          { aadObjectId: event.facilitatorAadId, status: 'offered' },
        ],
      };
    case 'offer_accepted':
      return setSlot(facts, event.facilitatorAadId, 'accepted');
    case 'offer_declined':
      return setSlot(facts, event.facilitatorAadId, 'declined');
    case 'facilitator_removed':
      return { ...facts, facilitators: facts.facilitators.filter((s) => s.aadObjectId !== event.facilitatorAadId) };
    case 'pair_confirmed':
      return { ...facts, pairConfirmed: true };
    case 'consent_recorded':
      return { ...facts, consents: { ...facts.consents, [event.party]: event.status } };
    case 'consent_withdrawn':
      return { ...facts, consents: { ...facts.consents, [event.party]: 'withdrawn' } };
    case 'risk_assessed':
      // A new assessment replaces the old one, and with it any sign-off of the old one.
      return { ...facts, risk: { level: event.level, signedOff: false } };
    case 'risk_signed_off':
      return facts.risk ? { ...facts, risk: { ...facts.risk, signedOff: true } } : facts;
    case 'conference_scheduled':
      return {
        ...facts,
        conference: { conferenceId: event.conferenceId, startsAt: event.startsAt, venue: event.venue, held: false },
      };
    case 'conference_cancelled':
      return facts.conference?.conferenceId === event.conferenceId ? { ...facts, conference: null } : facts;
    case 'indirect_chosen':
      return { ...facts, indirect: { method: event.method, completed: false } };
    case 'conference_held':
      return {
        ...facts,
        conference: facts.conference ? { ...facts.conference, held: true } : null,
        agreement: event.agreement ? { reviewed: false } : facts.agreement,
      };
    case 'indirect_completed':
      return {
        ...facts,
        indirect: facts.indirect ? { ...facts.indirect, completed: true } : null,
        agreement: event.agreement ? { reviewed: false } : facts.agreement,
      };
    case 'agreement_reviewed':
      return facts.agreement ? { ...facts, agreement: { reviewed: true } } : facts;
    case 'case_closed':
      return { ...facts, outcome: event.outcome, stageBeforeClose: facts.stage };
    case 'case_reopened':
      return { ...facts, outcome: null, declineReason: null };
    case 'stage_changed':
      return { ...facts, stage: event.to };
  }
}

/** The state a log of events leads to, from a new referral. */
export function replay(events: Iterable<CaseEvent>, from: CaseFacts = INITIAL_FACTS): CaseFacts {
  let facts = from;
  for (const event of events) facts = apply(facts, event);
  return facts;
}

// ---------------------------------------------------------------------------------------------
// Derived facts
// ---------------------------------------------------------------------------------------------

export type PairStatus = 'none' | 'offered' | 'confirmed' | 'incomplete';

/**
 * `offered`: waiting for answers before the first confirmation; `incomplete`: a declined offer or a
 * replacement is waiting for a coordinator or an answer.
 */
export function pairStatus(facts: CaseFacts): PairStatus {
  if (facts.facilitators.length === 0) return facts.pairConfirmed ? 'incomplete' : 'none';
  const accepted = facts.facilitators.filter((s) => s.status === 'accepted').length;
  if (accepted >= 2) return 'confirmed';
  if (!facts.pairConfirmed && facts.facilitators.every((s) => s.status !== 'declined')) return 'offered';
  return 'incomplete';
}

export function acceptedFacilitators(facts: CaseFacts): string[] {
  return facts.facilitators.filter((s) => s.status === 'accepted').map((s) => s.aadObjectId);
}

/** The part of a case the permission rules need (see permissions.ts). */
export function assignmentView(facts: CaseFacts): AssignmentView {
  return {
    acceptedFacilitators: acceptedFacilitators(facts),
    offers: facts.facilitators.map((s) => ({ facilitatorAadId: s.aadObjectId, status: s.status })),
  };
}

export function caseView(facts: CaseFacts, referrer: { aadObjectId: string; tenantId: string }): CaseView {
  return { referrerAadId: referrer.aadObjectId, referrerTenantId: referrer.tenantId, ...assignmentView(facts) };
}

/** A party whose refusal is waiting for a coordinator to confirm closing the case. */
export function pendingWithdrawals(facts: CaseFacts): Party[] {
  return PARTIES.filter((p) => facts.consents[p] === 'declined' || facts.consents[p] === 'withdrawn');
}

export function isClosed(facts: CaseFacts): boolean {
  return isClosedStage(facts.stage);
}

// ---------------------------------------------------------------------------------------------
// Reading events back from the store
// ---------------------------------------------------------------------------------------------

export class CaseEventError extends Error {
  override readonly name = 'CaseEventError';
}

type Data = Readonly<Record<string, unknown>>;

function str(data: Data, key: string, type: string): string {
  const v = data[key];
  if (typeof v !== 'string') throw new CaseEventError(`${type}: ${key} must be a string`);
  return v;
}

function bool(data: Data, key: string, type: string): boolean {
  const v = data[key];
  if (typeof v !== 'boolean') throw new CaseEventError(`${type}: ${key} must be a boolean`);
  return v;
}

function oneOf<T extends string>(data: Data, key: string, type: string, allowed: readonly T[]): T {
  const v = str(data, key, type);
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new CaseEventError(`${type}: ${key} "${v}" is not one of ${allowed.join(', ')}`);
  return found;
}

const OUTCOMES = Object.keys(CLOSING_OUTCOMES) as ClosingOutcome[];
const METHODS = Object.keys(INDIRECT_METHODS) as IndirectMethod[];

/** The event's `data` column: everything but `type`. */
export function eventData(event: CaseEvent): Record<string, string | boolean | string[]> {
  const { type: _type, ...rest } = event;
  const out: Record<string, string | boolean | string[]> = {};
  for (const [k, v] of Object.entries(rest)) {
    out[k] = Array.isArray(v) ? [...(v as readonly string[])] : (v as string | boolean);
  }
  return out;
}

/**
 * A stored event (type and data columns) as a CaseEvent; undefined for a type the lifecycle does not
 * own (a contact log entry, say), so the whole case log can be replayed. A known type with malformed
 * data throws: a corrupt audit trail must not be silently skipped.
 */
export function parseCaseEvent(type: string, data: unknown): CaseEvent | undefined {
  const known = CASE_EVENT_TYPES.find((t) => t === type);
  if (known === undefined) return undefined;
  const d: Data = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Data) : {};
  switch (known) {
    case 'referred':
    case 'referral_accepted':
    case 'risk_signed_off':
    case 'agreement_reviewed':
      return { type: known };
    case 'referral_declined':
    case 'case_reopened':
      return { type: known, reason: str(d, 'reason', known) };
    case 'facilitator_offered':
    case 'offer_accepted':
      return { type: known, facilitatorAadId: str(d, 'facilitatorAadId', known) };
    case 'offer_declined':
    case 'facilitator_removed':
      return { type: known, facilitatorAadId: str(d, 'facilitatorAadId', known), reason: str(d, 'reason', known) };
    case 'pair_confirmed': {
      const ids = d.facilitatorAadIds;
      if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === 'string')) {
        throw new CaseEventError('pair_confirmed: facilitatorAadIds must be a list of strings');
      }
      return { type: known, facilitatorAadIds: ids };
    }
    case 'consent_recorded':
      return { type: known, party: oneOf(d, 'party', known, PARTIES), status: oneOf(d, 'status', known, ['given', 'declined'] as const) };
    case 'consent_withdrawn':
      return { type: known, party: oneOf(d, 'party', known, PARTIES) };
    case 'risk_assessed':
      return { type: known, level: oneOf(d, 'level', known, RISK_LEVELS) };
    case 'conference_scheduled':
      return {
        type: known,
        conferenceId: str(d, 'conferenceId', known),
        startsAt: str(d, 'startsAt', known),
        venue: str(d, 'venue', known),
      };
    case 'conference_cancelled':
      return { type: known, conferenceId: str(d, 'conferenceId', known), reason: str(d, 'reason', known) };
    case 'indirect_chosen':
      return { type: known, method: oneOf(d, 'method', known, METHODS) };
    case 'conference_held':
      return { type: known, conferenceId: str(d, 'conferenceId', known), agreement: bool(d, 'agreement', known) };
    case 'indirect_completed':
      return { type: known, agreement: bool(d, 'agreement', known) };
    case 'case_closed':
      return { type: known, outcome: oneOf(d, 'outcome', known, OUTCOMES) };
    case 'stage_changed':
      return { type: known, from: oneOf(d, 'from', known, STAGE_ORDER), to: oneOf(d, 'to', known, STAGE_ORDER) };
  }
}
