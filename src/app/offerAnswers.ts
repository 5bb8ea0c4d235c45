import type { OwedMessage } from '../store/outboxRepository';
import { offerCard, offerCardForOthers, OFFER_DECLINE_REASONS } from '../../cards/caseCards';
import type { CaseCommand } from '../domain/lifecycle';
import type { CaseEvent, CaseFacts } from '../domain/caseState';
import { offerVisibility } from '../domain/permissions';
import type { AssignmentRepository, LockedCase, Offer } from '../store/assignmentRepository';
import type { Actor } from './actor';
import { runWithCase } from './caseCommands';
import { owe } from './owed';
import { refused, type Reply } from './reply';
import { offerDeclineReasonSchema } from './reasonCodes';
import type { CaseUseCaseDeps } from './assignmentViews';

export interface OfferAnswersDeps extends CaseUseCaseDeps {
  assignments: Pick<AssignmentRepository, 'getOffer'>;
  staffTenantId: string;
}

/**
 * A facilitator's answer to an offer, and what the offer card shows its viewer now. Everything
 * else (a stale card, someone else's click) gets a clear answer and changes nothing.
 */
export class OfferAnswers {
  constructor(private readonly d: OfferAnswersDeps) {}

  /** The offered facilitator's answer. Everything else (a stale card, someone else) gets a clear answer. */
  async answerOffer(actor: Actor, offerId: string, answer: 'accept' | 'decline', reasonCode?: string): Promise<Reply> {
    const offer = await this.d.assignments.getOffer(offerId);
    if (!offer) return refused('That offer could not be found.');
    const who = await this.d.roles(actor);
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
        const view = await this.d.views.offerView(offer);
        return view ? { kind: 'card', card: offerCard({ ...view, message }) } : refused(message);
      }
      command = { kind: 'declineOffer', reason: OFFER_DECLINE_REASONS[code.data] };
    }
    const now = this.d.clock();
    const r = await runWithCase(this.d.locks, offer.caseId, who, 'facilitator', [command], async (tx, events, c, facts) => {
      for (const e of events) {
        if (e.type === 'offer_accepted') await tx.setOfferStatus(offer.id, 'accepted', { at: now });
        if (e.type === 'offer_declined') await tx.setOfferStatus(offer.id, 'declined', { at: now, reason: e.reason });
        if (e.type === 'pair_confirmed') await tx.setPairConfirmed(now);
      }
      if (events.length > 0) await tx.owe(this.answerOwes(c, offer, events, facts));
    });
    if (!r.ok) {
      const view = await this.d.views.offerView(offer);
      return view ? { kind: 'card', card: offerCard({ ...view, message: r.message }) } : refused(r.message);
    }
    const fresh = (await this.d.assignments.getOffer(offer.id)) ?? offer;
    this.d.log.info({ offerId, caseId: offer.caseId, answer, changed: r.events.length > 0 }, 'offer answered');
    const view = await this.d.views.offerView(fresh);
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

  /** `offer.refresh`: the offered facilitator and coordinators see the offer; anyone else that it exists. */
  async offerCardFor(actor: Actor, offerId: string): Promise<Reply> {
    const offer = await this.d.assignments.getOffer(offerId);
    if (!offer) return refused('That offer could not be found.');
    const who = await this.d.roles(actor);
    if (offerVisibility(who, offer) === 'none') {
      const mine = offer.facilitatorAadId === who.aadObjectId && offer.status === 'withdrawn';
      return { kind: 'card', card: offerCardForOthers(mine ? 'This offer was withdrawn by a coordinator. Nothing more is needed from you.' : 'This offer was made to someone else: only they, and the coordinators, can see it.') };
    }
    const view = await this.d.views.offerView(offer);
    if (!view) return refused('That offer could not be found.');
    return { kind: 'card', card: offerCard(view) };
  }
}
