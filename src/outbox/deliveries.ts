import { channelCaseCard, declineCategoryOf, offerCard, replacementNeededCard } from '../../cards/caseCards';
import { plain, type AdaptiveCard } from '../../cards/adaptive';
import { CLOSING_OUTCOMES } from '../domain/caseState';
import { OFFENCE_TYPES } from '../domain/vocabulary';
import { displayDate } from '../shared/clock';
import type { Logger } from '../log';
import { owe, parseOwed, type OwedData } from '../app/owed';
import type { AssignmentViews } from '../app/assignmentViews';
import type { DetailsCards } from '../app/detailsCards';
import { isThreadOf, reachCoordinators } from '../app/coordinators';
import { coordinatorWaitCard } from '../../cards/channelCards';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { waitLabel, type CoordinatorWait } from '../domain/coordinatorWaits';
import type { Messenger, SendFailure, SendOutcome } from '../app/messenger';
import type { AssignmentRepository } from '../store/assignmentRepository';
import type { CaseRepository } from '../store/caseRepository';
import type { ClaimedMessage, OutboxEffect } from '../store/outboxRepository';
import type { RosterRepository } from '../store/rosterRepository';
import type { Deliverer, Delivery } from './dispatcher';

export interface OwedDeliveriesDeps {
  views: Pick<AssignmentViews, 'channelView' | 'offerView'>;
  /** Case messages in people's chats: base views, refreshed for who may see the details (issue 10, item 1). */
  details: Pick<DetailsCards, 'pairCard' | 'teamsUserId' | 'seal'>;
  /** The coordinators' channel, if one was chosen (referralsChannel in src/app/coordinators.ts). */
  referralsChannel: () => Promise<string | undefined>;
  cases: Pick<CaseRepository, 'getCase'>;
  assignments: Pick<AssignmentRepository, 'getOffer' | 'listOffers' | 'setChannelCard'>;
  roster: Pick<RosterRepository, 'get' | 'coordinatorIds'>;
  messenger: Messenger;
  /** What the case waits on a coordinator for now (coordinatorWaits of its folded log). */
  caseWaits: (caseId: string) => Promise<CoordinatorWait[]>;
  staffTenantId: string;
  /** SERVICE_CONTACT: how a referrer reaches the service, added to their notices; empty for none. */
  serviceContact?: string;
  log: Logger;
}

const REFERRER_TEXT = {
  declined: 'The restorative justice service has reviewed this referral and cannot take it on. Contact the service if you would like to discuss it.',
  pair_confirmed: 'Accepted by the service; facilitators have been assigned.',
} as const;

/**
 * What each owed message means: read the case as it is now, render, send through the proactive
 * sender (which keeps Teams' limits and retries throttling within one attempt), and say what to
 * record. Nothing here writes to the database: the dispatcher records the outcome and its effects in
 * one transaction under the claim.
 */
export class OwedDeliveries implements Deliverer {
  constructor(private readonly d: OwedDeliveriesDeps) {}

  async deliver(m: ClaimedMessage): Promise<Delivery> {
    const msg = parseOwed(m.kind, m.caseId, m.data);
    if (!msg) return { status: 'failed', reason: `unknown message kind or data: ${m.kind}` };
    if (msg.kind === 'unreachable') return this.unreachable(msg.data);
    const caseId = msg.caseId;
    if (caseId === null) return { status: 'failed', reason: `${msg.kind} without a case` };
    switch (msg.kind) {
      case 'channel_post':
        return this.channelPost(caseId);
      case 'referral_dm':
        return this.referralDm(caseId, msg.data);
      case 'channel_card':
        return this.channelCard(caseId);
      case 'replacement_needed':
        return this.replacementNeeded(caseId);
      case 'offer':
        return this.offer(caseId, msg.data);
      case 'offer_withdrawn':
        return this.offerWithdrawn(msg.data);
      case 'case_details':
        return this.caseDetails(caseId, msg.data);
      case 'seal_cards':
        return this.sealCards(caseId);
      case 'referrer_notice':
        return this.referrerNotice(caseId, msg.data);
      case 'coordinator_wait':
        return this.coordinatorWait(caseId, msg.data);
    }
  }

  /**
   * The new referral's card as a post of its own in the coordinators' channel (a new thread: later
   * news of the case are replies in it); without a usable channel, to each coordinator.
   *
   * Teams has no idempotency key for a new post, so exactly once is impossible; the thread id is
   * written to the case the moment Teams answers (before the outbox records the outcome), and a card
   * already recorded is never posted again. A second thread needs a crash in the one statement
   * between Teams' answer and that write.
   */
  private async channelPost(caseId: string): Promise<Delivery> {
    const c = await this.d.cases.getCase(caseId);
    if (!c) return { status: 'skipped', reason: 'case not found' };
    if (c.channelCard) return { status: 'skipped', reason: 'card already posted' };
    const view = await this.d.views.channelView(caseId, [], c);
    if (!view) return { status: 'skipped', reason: 'case not found' };
    const card = channelCaseCard(view);
    const channel = await this.d.referralsChannel();
    let channelFailure: SendFailure | undefined;
    if (channel) {
      const sent = await this.d.messenger.startThread(channel, card);
      if (sent.ok) {
        const effects: OutboxEffect[] = [{ type: 'channelCard', caseId, conversationId: sent.conversationId, activityId: sent.activityId }];
        try {
          await this.d.assignments.setChannelCard(caseId, sent.conversationId, sent.activityId);
        } catch (err) {
          // The outcome's effect writes it again under the claim; only a crash before that posts twice.
          this.d.log.warn({ caseId, err: err instanceof Error ? err.message : String(err) }, 'could not record the new thread at once');
        }
        return { status: 'sent', conversationId: sent.conversationId, activityId: sent.activityId, effects };
      }
      if (!sent.permanent) {
        this.d.log.warn({ caseId, reason: sent.reason }, 'could not post the referral to the coordinators channel');
        return retry(sent);
      }
      this.d.log.warn({ conversationId: channel, kind: sent.kind, reason: sent.reason }, 'coordinators channel unreachable: reaching coordinators one by one');
      channelFailure = sent;
    }
    // Each coordinator gets the card as an owed 1:1 message of their own (one lane each).
    const coordinatorIds = await this.d.roster.coordinatorIds();
    const effects = [{ type: 'owe' as const, messages: coordinatorIds.map((id) => owe.referralDm(caseId, this.d.staffTenantId, id)) }];
    if (!channelFailure) return { status: 'skipped', reason: 'no referrals channel: sent to each coordinator', effects };
    return { status: 'failed', reason: `${channelFailure.reason}; sent to each coordinator instead`, effects };
  }

  private async referralDm(caseId: string, data: OwedData<'referral_dm'>): Promise<Delivery> {
    const view = await this.d.views.channelView(caseId);
    if (!view) return { status: 'skipped', reason: 'case not found' };
    return outcome(await this.d.messenger.sendToUser(this.d.staffTenantId, data.aadObjectId, channelCaseCard(view)));
  }

  /** The coordinators' card, re-rendered from the case as it is now. */
  private async channelCard(caseId: string): Promise<Delivery> {
    const c = await this.d.cases.getCase(caseId);
    const posted = c?.channelCard;
    if (!c || !posted) return { status: 'skipped', reason: 'card not posted' };
    const view = await this.d.views.channelView(caseId, [], c);
    if (!view) return { status: 'skipped', reason: 'case not found' };
    const r = await this.d.messenger.updateActivity(posted.conversationId, posted.activityId, channelCaseCard(view));
    if (!r.ok) this.d.log.warn({ caseId, reason: r.reason }, 'could not update the coordinators card');
    return outcome(r);
  }

  private async replacementNeeded(caseId: string): Promise<Delivery> {
    const c = await this.d.cases.getCase(caseId);
    if (!c) return { status: 'skipped', reason: 'case not found' };
    const channel = await this.d.referralsChannel();
    if (!channel) return { status: 'skipped', reason: 'no referrals channel' };
    // A reply in the case's own thread when it has one in this channel.
    const thread = c.channelCard && isThreadOf(c.channelCard.conversationId, channel) ? c.channelCard.conversationId : channel;
    return outcome(await this.d.messenger.sendToConversation(thread, replacementNeededCard(c.id, c.reference)));
  }

  /** The 1:1 offer; a failure is recorded on the offer, which the coordinators' card shows. */
  private async offer(caseId: string, data: OwedData<'offer'>): Promise<Delivery> {
    const offer = await this.d.assignments.getOffer(data.offerId);
    if (!offer) return { status: 'skipped', reason: 'offer not found' };
    if (offer.status !== 'offered') return { status: 'skipped', reason: `offer is ${offer.status}` };
    const view = await this.d.views.offerView(offer);
    if (!view) return { status: 'skipped', reason: 'case not found' };
    const sent = await this.d.messenger.sendToUser(this.d.staffTenantId, offer.facilitatorAadId, offerCard(view));
    if (sent.ok) {
      return { status: 'sent', conversationId: sent.conversationId, activityId: sent.activityId, effects: [{ type: 'offerCard', offerId: offer.id, conversationId: sent.conversationId, activityId: sent.activityId }] };
    }
    this.d.log.warn({ offerId: offer.id, caseId, reason: sent.reason }, 'offer could not be delivered');
    const shown: OutboxEffect[] = [{ type: 'offerSendError', offerId: offer.id, error: sent.reason }, { type: 'owe', messages: [owe.channelCard(caseId)] }];
    if (!sent.permanent) return { ...retry(sent), giveUpEffects: shown };
    return { status: 'failed', reason: sent.reason, effects: shown };
  }

  private async offerWithdrawn(data: OwedData<'offer_withdrawn'>): Promise<Delivery> {
    const o = await this.d.assignments.getOffer(data.offerId);
    if (!o) return { status: 'skipped', reason: 'offer not found' };
    const c = await this.d.cases.getCase(o.caseId);
    if (o.cardConversationId && o.cardActivityId) {
      const view = await this.d.views.offerView(o);
      if (view) {
        const r = await this.d.messenger.updateActivity(o.cardConversationId, o.cardActivityId, offerCard(view));
        if (!r.ok && !r.permanent) return retry(r);
      }
    }
    return outcome(
      await this.d.messenger.sendToUser(this.d.staffTenantId, o.facilitatorAadId, {
        type: 'message',
        text: `You are no longer assigned to case ${c?.reference ?? ''}. A coordinator has passed it to someone else; nothing more is needed from you.`,
      }),
    );
  }

  /**
   * The pair's case message, to a facilitator still on the case when it is sent: the base view, whose
   * refresh shows each current facilitator the details. It is recorded so that it can be updated
   * back when their access ends.
   */
  private async caseDetails(caseId: string, data: OwedData<'case_details'>): Promise<Delivery> {
    const onCase = (await this.d.assignments.listOffers(caseId)).some((o) => o.status === 'accepted' && o.facilitatorAadId === data.aadObjectId.toLowerCase());
    if (!onCase) return { status: 'skipped', reason: 'no longer on the case' };
    const card: AdaptiveCard | undefined = await this.d.details.pairCard(caseId);
    if (!card) return { status: 'skipped', reason: 'case not found' };
    const sent = await this.d.messenger.sendToUser(this.d.staffTenantId, data.aadObjectId, card);
    if (!sent.ok) {
      this.d.log.warn({ caseId, facilitator: data.aadObjectId, reason: sent.reason }, 'case details could not be delivered');
      return outcome(sent);
    }
    const teamsUserId = (await this.d.details.teamsUserId(data.aadObjectId)) ?? null;
    const shown: OutboxEffect = { type: 'caseCardShown', card: { caseId, conversationId: sent.conversationId, activityId: sent.activityId, aadObjectId: data.aadObjectId, tenantId: this.d.staffTenantId, teamsUserId } };
    return { status: 'sent', conversationId: sent.conversationId, activityId: sent.activityId, effects: [shown] };
  }

  /** Every recorded message of the case back to its base view (DetailsCards.seal). */
  private async sealCards(caseId: string): Promise<Delivery> {
    const r = await this.d.details.seal(caseId);
    if (r.retry) return { status: 'retry', reason: r.retry.reason, ...(r.retry.retryAfterMs !== undefined ? { retryAfterMs: r.retry.retryAfterMs } : {}) };
    return { status: 'sent', conversationId: null, activityId: null, effects: [{ type: 'caseCardsSealed', ids: r.sealedIds }] };
  }

  private async referrerNotice(caseId: string, data: OwedData<'referrer_notice'>): Promise<Delivery> {
    const c = await this.d.cases.getCase(caseId);
    if (!c) return { status: 'skipped', reason: 'case not found' };
    let status: string;
    if (data.notice === 'closed') {
      if (!data.outcome) return { status: 'failed', reason: 'closed notice without an outcome' };
      status = `the case is now closed. Outcome: ${CLOSING_OUTCOMES[data.outcome]}.`;
    } else {
      status = REFERRER_TEXT[data.notice];
    }
    // An officer with many referrals tells them apart by offence type and date; never by the people
    // involved, so the notice names nobody. A decline gives its category, not the coordinator's note.
    const lines = [`Referral ${c.reference}: ${status}`, `Offence type: ${OFFENCE_TYPES[c.offenceType]} · referred on ${displayDate(c.createdAt)}.`];
    const category = data.notice === 'declined' ? declineCategoryOf(c.declineReason) : undefined;
    if (category) lines.push(`Reason: ${category}.`);
    const contact = this.d.serviceContact?.trim();
    if (contact) lines.push(`To contact the service: ${plain(contact)} (quote the case reference).`);
    const sent = await this.d.messenger.sendToUser(c.referrerTenantId, c.referrerAadId, { type: 'message', text: lines.join('\n\n') });
    if (!sent.ok) this.d.log.warn({ caseId, notice: data.notice, reason: sent.reason }, 'referrer could not be told of a status change');
    return outcome(sent);
  }

  /**
   * A step waiting on a coordinator, if it still waits when sent: a reply in the case's thread with
   * the step's button; without a usable channel, a 1:1 message owed to each coordinator.
   */
  private async coordinatorWait(caseId: string, data: OwedData<'coordinator_wait'>): Promise<Delivery> {
    const c = await this.d.cases.getCase(caseId);
    if (!c) return { status: 'skipped', reason: 'case not found' };
    const wait = (await this.d.caseWaits(caseId)).find((w) => w.kind === data.wait && (w.kind !== 'withdrawal' || w.party === data.party));
    if (!wait) return { status: 'skipped', reason: 'no longer waiting' };
    const action: { title: string; verb: string; data: Record<string, string> } = wait.kind === 'riskSignOff'
      ? { title: 'Sign off risk', verb: PROGRESS_VERBS.riskSignOff, data: {} }
      : { title: 'Confirm and close', verb: PROGRESS_VERBS.confirmWithdrawal, data: { party: wait.party } };
    const content = coordinatorWaitCard({ caseId, reference: c.reference, waiting: waitLabel(wait), action });
    if (data.aadObjectId) return outcome(await this.d.messenger.sendToUser(this.d.staffTenantId, data.aadObjectId, content));
    const route = await reachCoordinators({ ...this.d, coordinatorIds: () => this.d.roster.coordinatorIds() }, content, c.channelCard?.conversationId);
    if (route.via === 'channel') return outcome(route.sent);
    const effects = [{ type: 'owe' as const, messages: route.coordinatorIds.map((id) => owe.coordinatorWaitDm(caseId, wait, this.d.staffTenantId, id)) }];
    if (!route.channelFailure) return { status: 'skipped', reason: 'no referrals channel: sent to each coordinator', effects };
    return { status: 'failed', reason: `${route.channelFailure.reason}; sent to each coordinator instead`, effects };
  }

  /** Coordinators told, in their channel, by name (read now) or role, that someone cannot be reached. */
  private async unreachable(f: OwedData<'unreachable'>): Promise<Delivery> {
    const channel = await this.d.referralsChannel();
    if (!channel) return { status: 'skipped', reason: 'no referrals channel' };
    if (f.conversationId === channel) return { status: 'skipped', reason: 'the channel itself is unreachable' };
    const who = f.aadObjectId ? (await this.d.roster.get(f.aadObjectId))?.displayName : undefined;
    const text = `RJ Referrals could not reach ${who ?? (f.aadObjectId ? 'a user' : 'a conversation')} in Teams (${f.reason}). ` +
      'They must install or reopen the RJ Referrals app before the bot can message them.';
    const sent = await this.d.messenger.sendToConversation(channel, { type: 'message', text });
    if (!sent.ok) this.d.log.warn({ reason: sent.reason }, 'coordinators could not be told about an unreachable person');
    return outcome(sent);
  }
}

function retry(r: SendFailure): Extract<Delivery, { status: 'retry' }> {
  return { status: 'retry', reason: r.reason, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
}

function outcome(r: SendOutcome): Delivery {
  if (r.ok) return { status: 'sent', conversationId: r.conversationId, activityId: r.activityId };
  if (!r.permanent) return retry(r);
  return { status: 'failed', reason: r.reason };
}
