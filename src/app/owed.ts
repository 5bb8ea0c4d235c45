import { z } from 'zod';
import type { OwedMessage } from '../store/outboxRepository';
import { CLOSING_OUTCOMES, PARTIES } from '../domain/caseState';
import type { CoordinatorWait } from '../domain/coordinatorWaits';

/**
 * The messages a change can owe, as outbox rows: who gets what, by ids and codes. Each is rendered
 * from the database when it is sent, so the outbox never holds names, contact details or offence
 * details, and a card sent late shows the case as it is then.
 */

const uuid = z.string().uuid();
const aad = z.string().min(1).max(200);

export const REFERRER_NOTICES = ['declined', 'pair_confirmed', 'closed'] as const;
const closingOutcome = z.enum(Object.keys(CLOSING_OUTCOMES) as [keyof typeof CLOSING_OUTCOMES, ...(keyof typeof CLOSING_OUTCOMES)[]]);

export const owedSchemas = {
  /** A new referral's card for the coordinators' channel (or, without one, each coordinator). */
  channel_post: z.object({}),
  /** The referral's card to one coordinator in their 1:1 chat, when there is no channel to post in. */
  referral_dm: z.object({ aadObjectId: aad }),
  /** The coordinators' card re-rendered in place wherever it was posted. */
  channel_card: z.object({}),
  /** "Choose a replacement" in the coordinators' channel after a facilitator declined. */
  replacement_needed: z.object({}),
  /** The 1:1 offer card to a facilitator. */
  offer: z.object({ offerId: uuid }),
  /** The withdrawn offer's card updated, and the facilitator told they are off the case. */
  offer_withdrawn: z.object({ offerId: uuid }),
  /** The case details to a facilitator of the confirmed pair. */
  case_details: z.object({ aadObjectId: aad }),
  /**
   * Every message that showed the case's details back to its base view, "no longer available" for
   * readers who lost access (replaced, closed) and refreshed for the rest (erasure, anonymisation).
   */
  seal_cards: z.object({}),
  /** A status line to the referrer. */
  referrer_notice: z.object({ notice: z.enum(REFERRER_NOTICES), outcome: closingOutcome.optional() }),
  /**
   * Coordinators told that the case waits on one of them (a high risk to sign off, a withdrawal to
   * confirm): in the case's thread, or, with `aadObjectId`, to that coordinator in their 1:1 chat.
   */
  coordinator_wait: z.object({ wait: z.enum(['riskSignOff', 'withdrawal']), party: z.enum(PARTIES).optional(), aadObjectId: aad.optional() }),
  /** Coordinators told, in their channel, that someone could not be reached in Teams. */
  unreachable: z.object({ aadObjectId: aad.nullable(), conversationId: z.string().max(500).nullable(), reason: z.string().max(300) }),
} as const;

export type OwedKind = keyof typeof owedSchemas;
export type OwedData<K extends OwedKind> = z.infer<(typeof owedSchemas)[K]>;

/** Lanes: what must arrive in order. One card's post and its updates; everything to one person; the channel's notes. */
const cardLane = (caseId: string) => `card:${caseId}`;
const personLane = (tenantId: string, aadObjectId: string) => `person:${tenantId.toLowerCase()}:${aadObjectId.toLowerCase()}`;
const CHANNEL_LANE = 'channel';

export const owe = {
  channelPost: (caseId: string): OwedMessage => ({ kind: 'channel_post', caseId, data: {}, lane: cardLane(caseId) }),
  referralDm: (caseId: string, staffTenantId: string, aadObjectId: string): OwedMessage => ({
    kind: 'referral_dm', caseId, data: { aadObjectId }, lane: personLane(staffTenantId, aadObjectId),
  }),
  channelCard: (caseId: string): OwedMessage => ({ kind: 'channel_card', caseId, data: {}, lane: cardLane(caseId), coalesceKey: `channel_card:${caseId}` }),
  replacementNeeded: (caseId: string): OwedMessage => ({ kind: 'replacement_needed', caseId, data: {}, lane: CHANNEL_LANE }),
  offer: (caseId: string, offerId: string, staffTenantId: string, facilitatorAadId: string): OwedMessage => ({
    kind: 'offer', caseId, data: { offerId }, lane: personLane(staffTenantId, facilitatorAadId),
  }),
  offerWithdrawn: (caseId: string, offerId: string, staffTenantId: string, facilitatorAadId: string): OwedMessage => ({
    kind: 'offer_withdrawn', caseId, data: { offerId }, lane: personLane(staffTenantId, facilitatorAadId),
  }),
  caseDetails: (caseId: string, staffTenantId: string, aadObjectId: string): OwedMessage => ({
    kind: 'case_details', caseId, data: { aadObjectId }, lane: personLane(staffTenantId, aadObjectId),
  }),
  /** Coalesced: one pass reads the case as it is then, however many changes owed it. */
  sealCards: (caseId: string): OwedMessage => ({ kind: 'seal_cards', caseId, data: {}, lane: cardLane(caseId), coalesceKey: `seal_cards:${caseId}` }),
  referrerNotice: (
    c: { id: string; referrerTenantId: string; referrerAadId: string },
    notice: (typeof REFERRER_NOTICES)[number],
    outcome?: keyof typeof CLOSING_OUTCOMES,
  ): OwedMessage => ({
    kind: 'referrer_notice', caseId: c.id, data: { notice, ...(outcome ? { outcome } : {}) }, lane: personLane(c.referrerTenantId, c.referrerAadId),
  }),
  /** In the case's lane, so it follows the case's channel post (its thread) and card updates. */
  coordinatorWait: (caseId: string, w: CoordinatorWait): OwedMessage => ({
    kind: 'coordinator_wait', caseId, data: w.kind === 'withdrawal' ? { wait: w.kind, party: w.party } : { wait: w.kind }, lane: cardLane(caseId),
  }),
  coordinatorWaitDm: (caseId: string, w: CoordinatorWait, staffTenantId: string, aadObjectId: string): OwedMessage => ({
    kind: 'coordinator_wait', caseId, data: { wait: w.kind, ...(w.kind === 'withdrawal' ? { party: w.party } : {}), aadObjectId }, lane: personLane(staffTenantId, aadObjectId),
  }),
  unreachable: (f: { aadObjectId: string | null; conversationId: string | null; reason: string }): OwedMessage => ({
    kind: 'unreachable', caseId: null, data: { aadObjectId: f.aadObjectId, conversationId: f.conversationId, reason: f.reason.slice(0, 300) }, lane: CHANNEL_LANE,
  }),
};

export type ParsedOwed = { [K in OwedKind]: { kind: K; caseId: string | null; data: OwedData<K> } }[OwedKind];

/** A claimed row read back; undefined for a kind or data this version does not know (recorded as failed). */
export function parseOwed(kind: string, caseId: string | null, data: unknown): ParsedOwed | undefined {
  if (!(kind in owedSchemas)) return undefined;
  const k = kind as OwedKind;
  const parsed = owedSchemas[k].safeParse(data);
  if (!parsed.success) return undefined;
  return { kind: k, caseId, data: parsed.data } as ParsedOwed;
}
