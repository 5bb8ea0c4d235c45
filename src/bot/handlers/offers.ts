import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { offerReasonInputId } from '../../../cards/reminders';
import { CASE_VERBS } from '../../../cards/verbs';
import type { OfferAnswers } from '../../app/offerAnswers';
import { offerDeclineReasonSchema } from '../../app/reasonCodes';
import type { Reply } from '../../app/reply';
import type { ReminderActions } from '../../reminders';
import { anyone, defineVerb, type CardVerb } from '../registry';
import { actorOf } from '../turn';
import { answerOnCard } from './replies';

/** A facilitator's 1:1 offer card, and the offer's reminder, which carries the same Accept and Decline. */
export interface OfferDeps {
  offers: Pick<OfferAnswers, 'answerOffer' | 'offerCardFor'>;
  reminders?: Pick<ReminderActions, 'afterOfferAnswer'>;
}

/**
 * `reminderId` when answered from the offer's reminder (a digest may hold other reminders too): the
 * answer is then shown on that card, read back from the ledger, with the other items as they were.
 * The reminder names its reason input per offer.
 */
const offerData = z
  .object({ offerId: z.string().trim().min(1).max(64), declineReason: z.string().max(64).optional(), reminderId: z.string().trim().min(1).max(420).optional() })
  .passthrough();
type OfferData = z.infer<typeof offerData>;

function reasonOf(data: OfferData): string | undefined {
  const own: unknown = data[offerReasonInputId(data.offerId)];
  return data.declineReason ?? (typeof own === 'string' ? own : undefined);
}

/** The answer, on the reminder card it came from when there is one (else the offer card, as from the offer). */
async function answer(d: OfferDeps, ctx: TurnContext, data: OfferData, verdict: 'accept' | 'decline'): Promise<void> {
  const actor = actorOf(ctx);
  const reason = reasonOf(data);
  const fromReminder = data.reminderId && d.reminders ? { reminderId: data.reminderId, reminders: d.reminders } : undefined;
  if (fromReminder && verdict === 'decline' && !offerDeclineReasonSchema.safeParse(reason).success) {
    const text = reason ? 'That is not one of the listed reasons: choose a reason from the list before declining.' : 'Choose a reason before declining.';
    const again = await fromReminder.reminders.afterOfferAnswer(actor.aadObjectId, fromReminder.reminderId, { offerId: data.offerId, text });
    if (again) {
      answerOnCard(ctx, { kind: 'card', card: again });
      return;
    }
  }
  const r: Reply = await d.offers.answerOffer(actor, data.offerId, verdict, reason);
  const again = fromReminder && r.kind === 'card' ? await fromReminder.reminders.afterOfferAnswer(actor.aadObjectId, fromReminder.reminderId) : undefined;
  answerOnCard(ctx, again ? { kind: 'card', card: again } : r);
}
const OFFERED = anyone('the facilitator the case was offered to (coordinators may look): checked against the offer');

export const offerAccept = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerAccept,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answer(d, ctx, data, 'accept'),
  });

export const offerDecline = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerDecline,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answer(d, ctx, data, 'decline'),
  });

/** The offer card's refresh (`refresh.userIds`): what this viewer may see of the offer now. */
export const offerRefresh = (d: OfferDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.offerRefresh,
    schema: offerData,
    who: OFFERED,
    handle: async (ctx, data) => answerOnCard(ctx, await d.offers.offerCardFor(actorOf(ctx), data.offerId)),
  });
