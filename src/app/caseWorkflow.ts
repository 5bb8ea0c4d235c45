import { plain, type AdaptiveCard } from '../../cards/adaptive';
import {
  assignCard,
  caseDetailsCard,
  channelCaseCard,
  DECLINE_REASONS,
  offerCard,
  offerCardForOthers,
  OFFER_DECLINE_REASONS,
  type ChannelCaseView,
  type OfferView,
  type PairChoice,
} from '../../cards/caseCards';
import type { CaseCommand } from '../domain/lifecycle';
import type { CaseEvent, CaseFacts } from '../domain/caseState';
import { can, offerVisibility, type Actor as DomainActor } from '../domain/permissions';
import { suggestPairs, suggestReplacement, type Facilitator } from '../domain/pairing';
import { REASON_EXPLANATIONS, type ReasonCode } from '../domain/eligibility';
import { CASE_STAGES, SENTENCE_TYPES } from '../domain/vocabulary';
import { optionalTextField } from '../domain/text';
import type { Logger } from '../log';
import type { CaseRecord, CaseRepository } from '../store/caseRepository';
import type { AssignmentRepository, CaseTx, LockedCase, Offer } from '../store/assignmentRepository';
import type { RosterRepository, StaffMember } from '../store/rosterRepository';
import type { SettingsRepository } from '../store/settingsRepository';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import { z } from 'zod';
import type { Actor } from './actor';
import { runCaseCommands } from './caseCommands';
import { displayDate, type Clock } from './clock';
import { owe } from './owed';
import type { OwedMessage } from '../store/outboxRepository';

/** What the app needs from the proactive sender (src/teams), without depending on botbuilder. */
export interface Messenger {
  sendToConversation(conversationId: string, content: AdaptiveCard | { type: 'message'; text: string }): Promise<SendOutcome>;
  sendToUser(tenantId: string, aadObjectId: string, content: AdaptiveCard | { type: 'message'; text: string }): Promise<SendOutcome>;
  updateActivity(conversationId: string, activityId: string, content: AdaptiveCard): Promise<SendOutcome>;
}

export type SendOutcome =
  | { ok: true; conversationId: string; activityId: string }
  | { ok: false; permanent?: boolean; reason?: string; kind?: string; status?: number | null; retryAfterMs?: number };

export interface WorkflowDeps {
  cases: CaseRepository;
  assignments: AssignmentRepository;
  roster: RosterRepository;
  settings: SettingsRepository;
  refs: ConversationRefRepository;
  messenger: Messenger;
  staffTenantId: string;
  clock: Clock;
  log: Logger;
}

export const REFERRALS_CHANNEL_KEY = 'referrals_channel';
const channelSetting = z.object({ conversationId: z.string().min(1) });

export type Reply = { kind: 'card'; card: AdaptiveCard } | { kind: 'refused'; message: string } | { kind: 'message'; text: string };

/** The coordinator's note on a declined referral (the card allows 500 characters). */
const DECLINE_NOTE = optionalTextField({ label: 'the note', max: 500, multiline: true });
const refused = (message: string): Reply => ({ kind: 'refused', message });

const codesOf = <T extends Record<string, string>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];
/*
 * Reason codes arrive as card data: only a listed code is one. (A plain `in` check accepted
 * "constructor" and the rest of Object.prototype.)
 */
export const declineReasonSchema = z.enum(codesOf(DECLINE_REASONS));
export const offerDeclineReasonSchema = z.enum(codesOf(OFFER_DECLINE_REASONS));


/**
 * Triage and facilitator pairs: every change is decided by the pure lifecycle and written in one
 * transaction that holds the case's row lock (so double clicks and simultaneous answers serialise),
 * together with the messages it owes (outbox rows, sent by the dispatcher after the commit); a
 * failed message never undoes the change.
 */
export class CaseWorkflow {
  constructor(private readonly d: WorkflowDeps) {}

  /**
   * The domain's view of the actor: roles from the roster alone, read again on every action, so a
   * card clicked after its viewer was removed or replaced is judged by who they are now.
   * (COORDINATOR_AAD_IDS only seeds an empty roster at start-up.)
   */
  async domainActor(actor: Actor): Promise<DomainActor> {
    const staff = actor.staffTenant ? await this.d.roster.get(actor.aadObjectId) : null;
    if (staff && actor.displayName && staff.displayName !== actor.displayName) {
      // Staff names label cards; keep them as Teams shows them now (a seeded coordinator has none yet).
      await this.d.roster.upsert({ aadObjectId: staff.aadObjectId, tenantId: staff.tenantId, displayName: actor.displayName.slice(0, 100) });
    }
    return {
      aadObjectId: actor.aadObjectId,
      tenantId: actor.tenantId,
      staffTenant: actor.staffTenant,
      coordinator: actor.staffTenant && staff?.coordinator === true,
      facilitator: actor.staffTenant && staff?.facilitator === true,
    };
  }

  // ---- the coordinators' channel -----------------------------------------------------------------

  async registerChannel(actor: Actor, conversationId: string, conversationType: string): Promise<Reply> {
    const allowed = can(await this.domainActor(actor), 'chooseChannel');
    if (!allowed.allowed) return refused(allowed.message);
    if (conversationType !== 'channel') return refused('Type this in the Teams channel where coordinators should see new referrals (mention the bot there).');
    await this.d.settings.set(REFERRALS_CHANNEL_KEY, { conversationId }, actor.aadObjectId);
    this.d.log.info({ conversationId }, 'referrals channel registered');
    return { kind: 'message', text: 'From now on, every new referral will be posted in this channel for triage.' };
  }

  /** The coordinators' channel, if one was chosen. */
  referralsChannel(): Promise<string | undefined> {
    return this.channelId();
  }

  private async channelId(): Promise<string | undefined> {
    const v = await this.d.settings.get(REFERRALS_CHANNEL_KEY, channelSetting);
    return v?.conversationId;
  }

  /** `known`: the case when the caller has just read it. */
  async channelView(caseId: string, alerts: string[] = [], known?: CaseRecord): Promise<ChannelCaseView | undefined> {
    const c = known ?? (await this.d.cases.getCase(caseId));
    if (!c) return undefined;
    const offers = await this.d.assignments.listOffers(caseId);
    const names = await this.names([...offers.map((o) => o.facilitatorAadId), ...(c.triagedBy ? [c.triagedBy] : [])]);
    const triage = c.triagedAt && c.triagedBy
      ? { by: names.get(c.triagedBy) ?? 'a coordinator', on: displayDate(c.triagedAt), declined: c.stage === 'declined' ? declineCategory(c.declineReason) : undefined }
      : undefined;
    const sendAlerts = offers.filter((o) => o.status === 'offered' && o.sendError).map((o) => `${plain(names.get(o.facilitatorAadId) ?? 'A facilitator')} could not be reached in Teams: they must install or reopen the RJ Referrals app. ${o.sendError}`);
    return {
      caseId: c.id,
      reference: c.reference,
      offenceType: c.offenceType,
      source: c.source,
      referredOn: displayDate(c.createdAt),
      stage: c.stage,
      stageLabel: CASE_STAGES[c.stage],
      complex: c.complex,
      extraCare: c.extraCare,
      needsReview: c.needsReviewReasons.map((r) => REASON_EXPLANATIONS[r as ReasonCode]?.topic ?? r),
      triage,
      offers: offers.map((o) => ({
        facilitatorName: names.get(o.facilitatorAadId) ?? 'Unknown facilitator',
        status: o.status,
        on: o.answeredAt ? displayDate(o.answeredAt) : undefined,
        reason: o.declineReason ?? undefined,
        sendError: o.sendError ?? undefined,
      })),
      alerts: [...sendAlerts, ...alerts],
    };
  }

  private async names(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set(ids)) {
      const s = await this.d.roster.get(id);
      if (s) out.set(id, s.displayName);
    }
    return out;
  }

  // ---- transactions through the lifecycle -----------------------------------------------------------

  /**
   * Runs one lifecycle command under the case's row lock: replays the log, asks the domain, appends
   * the events and the new stage. `extra` runs in the same transaction for projections (offers).
   */
  private async run(
    caseId: string,
    actor: DomainActor,
    actorRole: 'coordinator' | 'facilitator',
    commands: readonly CaseCommand[],
    extra?: (tx: CaseTx, events: readonly CaseEvent[], c: LockedCase, facts: CaseFacts) => Promise<void>,
  ): Promise<{ ok: true; events: readonly CaseEvent[]; facts: CaseFacts; locked: LockedCase } | { ok: false; message: string }> {
    const lock = <T>(id: string, fn: (tx: CaseTx) => Promise<T>) => this.d.assignments.withCaseLocked(id, fn);
    const r = await runCaseCommands(lock, caseId, actor, actorRole, commands, {
      extra: async (tx, events, facts) => {
        if (extra) await extra(tx, events, tx.locked, facts);
      },
    });
    if (!r.ok) return { ok: false, message: r.message };
    return { ok: true, events: r.events, facts: r.facts, locked: r.locked };
  }

  // ---- triage ------------------------------------------------------------------------------------

  async triage(actor: Actor, caseId: string, decision: 'accept' | 'decline', reasonCode?: string, note?: string): Promise<Reply> {
    const who = await this.domainActor(actor);
    const allowed = can(who, 'triage');
    if (!allowed.allowed) return refused(allowed.message);
    const code = declineReasonSchema.safeParse(reasonCode);
    if (decision === 'decline' && !code.success) {
      const view = await this.channelView(caseId);
      if (!view) return refused('That case could not be found.');
      return { kind: 'card', card: channelCaseCard({ ...view, alerts: [reasonCode ? 'That is not one of the listed reasons: choose a reason from the list before declining.' : 'Choose a reason before declining.'] }) };
    }
    const checkedNote = decision === 'decline' ? DECLINE_NOTE.safeParse(note) : undefined;
    if (checkedNote && !checkedNote.success) {
      const view = await this.channelView(caseId);
      if (!view) return refused('That case could not be found.');
      return { kind: 'card', card: channelCaseCard({ ...view, alerts: [checkedNote.error.issues[0]?.message ?? 'Check the note.'] }) };
    }
    const label = code.success ? DECLINE_REASONS[code.data] : undefined;
    // The event log keeps the reason's code; the case record keeps the category and the note.
    const command: CaseCommand = decision === 'accept' ? { kind: 'accept' } : { kind: 'decline', reason: code.success ? code.data : 'other' };
    const now = this.d.clock();
    const r = await this.run(caseId, who, 'coordinator', [command], async (tx, events, c) => {
      if (events.length === 0) return;
      await tx.setTriage({ by: who.aadObjectId, at: now, declineReason: decision === 'decline' ? [label, checkedNote?.data].filter(Boolean).join(': ') : undefined });
      await tx.owe([owe.channelCard(caseId), ...(decision === 'decline' ? [owe.referrerNotice(c, 'declined')] : [])]);
    });
    if (!r.ok) return refused(r.message);
    this.d.log.info({ caseId, decision, changed: r.events.length > 0 }, 'referral triaged');
    const view = await this.channelView(caseId);
    if (!view) return refused('That case could not be found.');
    return { kind: 'card', card: channelCaseCard(view) };
  }

  // ---- assignment -------------------------------------------------------------------------------

  async assignView(actor: Actor, caseId: string, error?: string): Promise<Reply> {
    const who = await this.domainActor(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const c = await this.d.cases.getCase(caseId);
    if (!c) return refused('That case could not be found.');
    if (c.stage === 'referred') return refused('Accept the referral into the service before assigning facilitators.');
    if (c.stage === 'declined' || c.stage === 'closed') return refused('This case is closed; reopen it before assigning facilitators.');
    const offers = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status !== 'withdrawn');
    const staff = await this.d.roster.list({ facilitatorsOnly: true });
    const roster = staff.map(toFacilitator);
    const byId = new Map(staff.map((s) => [s.aadObjectId, s]));
    const choice = (id: string): PairChoice | undefined => {
      const s = byId.get(id);
      return s ? { aadObjectId: s.aadObjectId, name: s.displayName, openCases: s.openCases, maxCases: s.maxCases, experienced: s.experienced } : undefined;
    };
    const live = offers.filter((o) => o.status !== 'declined');
    const declined = offers.filter((o) => o.status === 'declined').map((o) => o.facilitatorAadId);
    const onCase = live.map((o) => o.facilitatorAadId);
    const available = staff
      .filter((s) => s.active && !onCase.includes(s.aadObjectId) && !declined.includes(s.aadObjectId))
      .map((s) => choice(s.aadObjectId)!);
    if (live.length === 1) {
      const keep = choice(live[0]!.facilitatorAadId);
      const r = suggestReplacement(roster, { complex: c.complex, keep: live[0]!.facilitatorAadId, exclude: declined, limit: 3 });
      return {
        kind: 'card',
        card: assignCard({
          caseId, reference: c.reference, complex: c.complex, keep, error, available,
          suggestions: r.candidates.map((s) => ({ a: choice(s.aadObjectId)!, reason: s.reason })),
          noSuggestionReason: r.reason,
        }),
      };
    }
    if (live.length === 2) {
      return {
        kind: 'card',
        card: assignCard({
          caseId, reference: c.reference, complex: c.complex, error, available, suggestions: [],
          replaceable: live.map((o) => choice(o.facilitatorAadId)).filter((p): p is PairChoice => p !== undefined),
        }),
      };
    }
    const r = suggestPairs(roster, { complex: c.complex, exclude: declined, limit: 3 });
    return {
      kind: 'card',
      card: assignCard({
        caseId, reference: c.reference, complex: c.complex, error, available,
        suggestions: r.pairs.map((p) => ({ a: choice(p.facilitatorAadIds[0])!, b: choice(p.facilitatorAadIds[1])!, reason: p.reason })),
        noSuggestionReason: r.reason,
      }),
    };
  }

  /**
   * Offers the case to a pair (or one replacement). The offers and their 1:1 cards (owed) are written
   * together; a delivery failure is recorded on the offer for coordinators to see.
   */
  async offer(actor: Actor, caseId: string, a: string, b: string | undefined): Promise<Reply> {
    const who = await this.domainActor(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const ids = [a, b].filter((x): x is string => Boolean(x));
    if (ids.length === 0) return this.assignView(actor, caseId, 'Choose the facilitators first.');
    for (const id of ids) {
      const s = await this.d.roster.get(id);
      if (!s || !s.facilitator || !s.active) return this.assignView(actor, caseId, 'Choose active facilitators from the roster.');
    }
    const current = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status !== 'withdrawn');
    const live = current.filter((o) => o.status !== 'declined');
    const declined = current.filter((o) => o.status === 'declined');
    let commands: CaseCommand[];
    if (current.length === 0) {
      if (ids.length !== 2 || ids[0] === ids[1]) return this.assignView(actor, caseId, 'A pair needs two different facilitators.');
      commands = [{ kind: 'startAssignment' }, { kind: 'offerPair', facilitatorAadIds: [ids[0]!, ids[1]!] }];
    } else {
      const newcomers = ids.filter((id) => !live.some((o) => o.facilitatorAadId === id));
      if (newcomers.length === 0 || new Set(newcomers).size !== newcomers.length) return this.assignView(actor, caseId, 'Choose someone who is not already on the case.');
      if (declined.length === 0) return this.assignView(actor, caseId, 'Nobody has declined: use Replace a facilitator to swap someone.');
      if (newcomers.length < declined.length) return this.assignView(actor, caseId, `Choose ${declined.length} replacements.`);
      commands = declined.map((d, k) => ({ kind: 'replaceFacilitator' as const, remove: d.facilitatorAadId, offer: newcomers[k]!, reason: 'declined the offer' }));
    }
    return this.applyOffer(actor, who, caseId, commands);
  }

  /** Replaces a facilitator who is on the case (accepted or waiting) with someone else. */
  async replace(actor: Actor, caseId: string, remove: string, replacement: string): Promise<Reply> {
    const who = await this.domainActor(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const s = await this.d.roster.get(replacement);
    if (!s || !s.facilitator || !s.active) return this.assignView(actor, caseId, 'Choose an active facilitator from the roster.');
    return this.applyOffer(actor, who, caseId, [{ kind: 'replaceFacilitator', remove, offer: replacement, reason: 'replaced by a coordinator' }]);
  }

  private async applyOffer(actor: Actor, who: DomainActor, caseId: string, commands: CaseCommand[]): Promise<Reply> {
    const now = this.d.clock();
    const created: Offer[] = [];
    const removed: Offer[] = [];
    const r = await this.run(caseId, who, 'coordinator', commands, async (tx, events) => {
      for (const e of events) {
        if (e.type === 'facilitator_removed') {
          const o = tx.locked.offers.find((x) => x.facilitatorAadId === e.facilitatorAadId && x.status !== 'withdrawn');
          if (o) {
            await tx.setOfferStatus(o.id, 'withdrawn', { at: now, reason: e.reason });
            removed.push(o);
          }
        }
        if (e.type === 'facilitator_offered') created.push(await tx.insertOffer({ facilitatorAadId: e.facilitatorAadId, offeredBy: who.aadObjectId }));
      }
      // Sent after the commit by the outbox: a throttled send must not time the coordinator's card out.
      await tx.owe([
        ...removed.map((o) => owe.offerWithdrawn(caseId, o.id, this.d.staffTenantId, o.facilitatorAadId)),
        ...created.map((o) => owe.offer(caseId, o.id, this.d.staffTenantId, o.facilitatorAadId)),
        ...(events.length > 0 ? [owe.channelCard(caseId)] : []),
      ]);
    });
    if (!r.ok) return this.assignView(actor, caseId, r.message);
    this.d.log.info({ caseId, offered: created.length, removed: removed.length }, 'facilitators offered');
    const view = await this.channelView(caseId);
    return view ? { kind: 'card', card: channelCaseCard(view) } : refused('That case could not be found.');
  }

  /** The offer card's content, read now (also what the outbox sends). */
  async offerView(offer: Offer): Promise<OfferView | undefined> {
    const c = await this.d.cases.getCase(offer.caseId);
    if (!c) return undefined;
    const others = (await this.d.assignments.listOffers(offer.caseId)).filter((o) => o.id !== offer.id && (o.status === 'offered' || o.status === 'accepted'));
    const names = await this.names(others.map((o) => o.facilitatorAadId));
    const ref = await this.d.refs.findPersonal(this.d.staffTenantId, offer.facilitatorAadId);
    const teamsUserId = (ref?.reference as { user?: { id?: string } } | undefined)?.user?.id;
    return {
      offerId: offer.id,
      reference: c.reference,
      offenceType: c.offenceType,
      borough: c.participants.find((p) => p.role === 'harmed_person')?.borough ?? undefined,
      complex: c.complex,
      extraCare: c.extraCare,
      coFacilitatorName: others[0] ? names.get(others[0].facilitatorAadId) : undefined,
      status: offer.status,
      answeredOn: offer.answeredAt ? displayDate(offer.answeredAt) : undefined,
      refreshUserIds: teamsUserId ? [teamsUserId] : [],
    };
  }

  /** The offered facilitator's answer. Everything else (a stale card, someone else) gets a clear answer. */
  async answerOffer(actor: Actor, offerId: string, answer: 'accept' | 'decline', reasonCode?: string): Promise<Reply> {
    const offer = await this.d.assignments.getOffer(offerId);
    if (!offer) return refused('That offer could not be found.');
    const who = await this.domainActor(actor);
    if (offer.facilitatorAadId !== who.aadObjectId) return refused('Only the facilitator this case was offered to can answer this offer.');
    // Replaced (withdrawn) or taken off the roster since the card was sent: nothing about the case any more.
    if (offerVisibility(who, offer) === 'none') {
      return { kind: 'card', card: offerCardForOthers(offer.status === 'withdrawn' ? 'This offer was withdrawn by a coordinator. Nothing more is needed from you.' : 'Only the facilitator this case was offered to can answer this offer.') };
    }
    let command: CaseCommand;
    if (answer === 'accept') command = { kind: 'acceptOffer' };
    else {
      const code = offerDeclineReasonSchema.safeParse(reasonCode);
      if (!code.success) {
        const message = reasonCode ? 'That is not one of the listed reasons: choose a reason from the list before declining.' : 'Choose a reason before declining.';
        const view = await this.offerView(offer);
        return view ? { kind: 'card', card: offerCard({ ...view, message }) } : refused(message);
      }
      command = { kind: 'declineOffer', reason: OFFER_DECLINE_REASONS[code.data] };
    }
    const now = this.d.clock();
    const r = await this.run(offer.caseId, who, 'facilitator', [command], async (tx, events, c, facts) => {
      for (const e of events) {
        if (e.type === 'offer_accepted') await tx.setOfferStatus(offer.id, 'accepted', { at: now });
        if (e.type === 'offer_declined') await tx.setOfferStatus(offer.id, 'declined', { at: now, reason: e.reason });
        if (e.type === 'pair_confirmed') await tx.setPairConfirmed(now);
      }
      if (events.length > 0) await tx.owe(this.answerOwes(c, offer, events, facts));
    });
    if (!r.ok) {
      const view = await this.offerView(offer);
      return view ? { kind: 'card', card: offerCard({ ...view, message: r.message }) } : refused(r.message);
    }
    const fresh = (await this.d.assignments.getOffer(offer.id)) ?? offer;
    this.d.log.info({ offerId, caseId: offer.caseId, answer, changed: r.events.length > 0 }, 'offer answered');
    const view = await this.offerView(fresh);
    return view ? { kind: 'card', card: offerCard(view) } : refused('That offer could not be found.');
  }

  /**
   * What an answer owes: on a confirmed pair, the details to both and the news to the referrer (a
   * replacement joining a confirmed pair gets the details alone); on a decline, a call for a
   * replacement; and the coordinators' card either way.
   */
  private answerOwes(c: LockedCase, offer: Offer, events: readonly CaseEvent[], facts: CaseFacts): OwedMessage[] {
    const out: OwedMessage[] = [];
    if (events.some((e) => e.type === 'pair_confirmed')) {
      const pair = new Set([...c.offers.filter((o) => o.status === 'accepted').map((o) => o.facilitatorAadId), offer.facilitatorAadId]);
      for (const id of pair) out.push(owe.caseDetails(c.id, this.d.staffTenantId, id));
      out.push(owe.referrerNotice(c, 'pair_confirmed'));
    } else if (events.some((e) => e.type === 'offer_accepted') && facts.pairConfirmed) {
      out.push(owe.caseDetails(c.id, this.d.staffTenantId, offer.facilitatorAadId));
    }
    out.push(owe.channelCard(c.id));
    if (events.some((e) => e.type === 'offer_declined')) out.push(owe.replacementNeeded(c.id));
    return out;
  }

  /** The case details for the confirmed pair, read now (also what the outbox sends). */
  async detailsCard(caseId: string): Promise<AdaptiveCard | undefined> {
    const c = await this.d.cases.getCase(caseId);
    if (!c) return undefined;
    const accepted = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status === 'accepted');
    const names = await this.names(accepted.map((o) => o.facilitatorAadId));
    return caseDetailsCard({
      caseId: c.id,
      reference: c.reference,
      offenceType: c.offenceType,
      offenceDescription: c.offenceDescription || undefined,
      offenceDate: c.offenceDate ? displayDate(c.offenceDate) : null,
      sentence: [c.sentenceType ? SENTENCE_TYPES[c.sentenceType] : undefined, c.sentenceDate ? `sentenced ${displayDate(c.sentenceDate)}` : undefined].filter(Boolean).join(', ') || undefined,
      prison: c.prison,
      stageLabel: CASE_STAGES[c.stage],
      complex: c.complex,
      extraCare: c.extraCare,
      participants: c.participants.map((p) => ({ role: p.role, name: p.name, borough: p.borough, phone: p.phone, email: p.email, aware: p.aware })),
      riskNotes: c.riskNotes,
      accessNeeds: c.accessNeeds,
      relationship: c.relationship,
      facilitators: accepted.map((o) => names.get(o.facilitatorAadId) ?? 'Unknown'),
      source: c.source,
    });
  }

  /** `offer.refresh`: the offered facilitator and coordinators see the offer; anyone else that it exists. */
  async offerCardFor(actor: Actor, offerId: string): Promise<Reply> {
    const offer = await this.d.assignments.getOffer(offerId);
    if (!offer) return refused('That offer could not be found.');
    const who = await this.domainActor(actor);
    if (offerVisibility(who, offer) === 'none') {
      const mine = offer.facilitatorAadId === who.aadObjectId && offer.status === 'withdrawn';
      return { kind: 'card', card: offerCardForOthers(mine ? 'This offer was withdrawn by a coordinator. Nothing more is needed from you.' : 'This offer was made to someone else: only they, and the coordinators, can see it.') };
    }
    const view = await this.offerView(offer);
    if (!view) return refused('That offer could not be found.');
    return { kind: 'card', card: offerCard(view) };
  }
}

/** The channel shows why a referral was declined by category only; the coordinator's note stays in the record. */
function declineCategory(recorded: string | null): string {
  return Object.values(DECLINE_REASONS).find((label) => recorded?.startsWith(label)) ?? 'declined';
}

function toFacilitator(s: StaffMember): Facilitator {
  return { aadObjectId: s.aadObjectId, active: s.active, experienced: s.experienced, openCases: s.openCases, maxCases: s.maxCases };
}
