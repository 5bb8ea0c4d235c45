import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import type { OfferAnswers } from '../../app/offerAnswers';
import { anyone, defineVerb, type CardVerb } from '../registry';
import { actorOf } from '../turn';
import { answerOnCard } from './replies';

/** A facilitator's 1:1 offer card. */
export interface OfferDeps {
  offers: Pick<OfferAnswers, 'answerOffer' | 'offerCardFor'>;
}

const offerData = z.object({ offerId: z.string().trim().min(1).max(64), declineReason: z.string().max(64).optional() }).passthrough();
const OFFERED = anyone('the facilitator the case was offered to (coordinators may look): checked against the offer');

export const offerAccept = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerAccept,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answerOnCard(ctx, await d.offers.answerOffer(actorOf(ctx), data.offerId, 'accept')),
  });

export const offerDecline = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerDecline,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answerOnCard(ctx, await d.offers.answerOffer(actorOf(ctx), data.offerId, 'decline', data.declineReason)),
  });

/** The offer card's refresh (`refresh.userIds`): what this viewer may see of the offer now. */
export const offerRefresh = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerRefresh,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answerOnCard(ctx, await d.offers.offerCardFor(actorOf(ctx), data.offerId)),
  });
