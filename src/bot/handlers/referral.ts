import type { TurnContext } from 'botbuilder';
import { DialogTurnStatus, type DialogSet } from 'botbuilder-dialogs';
import { z } from 'zod';
import { myReferralsCard } from '../../../cards/myReferrals';
import { referralClosedCard, referralSubmittedCard } from '../../../cards/referralForm';
import { ineligibleAnsweredCard, ineligibleCard, staleQuestionCard } from '../../../cards/screening';
import { VERBS } from '../../../cards/verbs';
import { REFERRAL_DIALOG } from '../../../dialogs/referralDialog';
import { SENTENCING_DATE_DIALOG } from '../../../dialogs/sentencingDateDialog';
import { displayDate } from '../../shared/clock';
import type { ReferralIntake, ScreeningShownTo } from '../../app/referralIntake';
import { offersReReferReminder } from '../../domain/eligibility';
import { anyone, defineCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import type { CommandHandler } from '../router';
import { actorOf, cardActionOf, isPersonalChat, replyToCard } from '../turn';
import { sendCard } from './replies';

/** Screening, the referral form and the referrer's own list: open to every allowed tenant. */
export interface ReferralDeps {
  intake: Pick<ReferralIntake, 'myReferrals' | 'submittedCase' | 'setReReferDate' | 'screeningResult' | 'today' | 'privacyUrl'>;
  dialogs: DialogSet;
  /** Who an ineligible result was shown to in this conversation: only they may answer its reminder offer. */
  shownTo: (ctx: TurnContext, screeningId: string) => Promise<ScreeningShownTo | undefined>;
}

const MY_REFERRALS_LIMIT = 20;
const PRIVATE_ONLY =
  'For privacy, referrals are made in a 1:1 chat with me. Open a chat with RJ Referrals (Apps, then RJ Referrals) and type refer there.';
const REFERRERS = anyone('referrers of every allowed tenant (the tenant guard has admitted them)');
const THE_DIALOG = anyone('whoever is in the dialog: a card of a closed dialog only says so');

const noData = z.object({}).passthrough();
const formIdData = z.object({ formId: z.string().min(1).max(64) }).passthrough();
const screeningIdData = z.object({ screeningId: z.string().min(1).max(64) }).passthrough();
const remindData = z.object({ screeningId: z.string().min(1).max(64), sentencingDate: z.string().max(40).optional() }).passthrough();

async function startReferral(d: ReferralDeps, ctx: TurnContext): Promise<void> {
  if (!isPersonalChat(ctx)) {
    await ctx.sendActivity(PRIVATE_ONLY);
    return;
  }
  const dc = await d.dialogs.createContext(ctx);
  if (dc.activeDialog) {
    await dc.cancelAllDialogs();
    await ctx.sendActivity('Your unfinished referral was cancelled (nothing was saved). Starting a new one.');
  }
  await dc.beginDialog(REFERRAL_DIALOG);
}

async function myReferrals(d: ReferralDeps, ctx: TurnContext): Promise<void> {
  if (!isPersonalChat(ctx)) {
    await ctx.sendActivity(PRIVATE_ONLY);
    return;
  }
  const { items, more } = await d.intake.myReferrals(actorOf(ctx), MY_REFERRALS_LIMIT);
  await sendCard(ctx, myReferralsCard(items.map((i) => ({ reference: i.reference, submittedOn: displayDate(i.createdAt), stage: i.stage, offenceType: i.offenceType })), more));
}

/** A click on a card that belongs to a dialog: continue it, or say the card is no longer open. */
function dialogVerb(d: ReferralDeps, whenClosed: (ctx: TurnContext) => Promise<void>) {
  return async (ctx: TurnContext): Promise<void> => {
    const dc = await d.dialogs.createContext(ctx);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await whenClosed(ctx);
  };
}

/** A message that is neither a command nor a card: the dialog's next answer, or a hint. */
export const continueDialog = (d: ReferralDeps): CommandHandler => async (ctx) => {
  const dc = await d.dialogs.createContext(ctx);
  const result = await dc.continueDialog();
  if (result.status !== DialogTurnStatus.empty) return;
  if (!isPersonalChat(ctx)) {
    await ctx.sendActivity('Type **help** to see what I can do. Referrals are made in a 1:1 chat with me.');
    return;
  }
  await ctx.sendActivity('Sorry, I did not understand that. Type **refer** to make a referral, **my referrals** to see yours, or **help**.');
};

export const referCommand = (d: ReferralDeps): TextCommand =>
  defineCommand({
    texts: ['refer', 'make a referral', 'new referral'],
    who: REFERRERS,
    help: { title: 'refer', description: 'Make a referral', audience: ['everyone'], scopes: ['personal'] },
    handle: (ctx) => startReferral(d, ctx),
  });

export const myReferralsCommand = (d: ReferralDeps): TextCommand =>
  defineCommand({
    texts: ['my referrals'],
    who: REFERRERS,
    help: { title: 'my referrals', description: 'List your referrals', audience: ['everyone'], scopes: ['personal'] },
    handle: (ctx) => myReferrals(d, ctx),
  });

export const cancelCommand = (d: ReferralDeps): TextCommand =>
  defineCommand({
    texts: ['cancel', 'stop'],
    who: THE_DIALOG,
    handle: async (ctx) => {
      const dc = await d.dialogs.createContext(ctx);
      if (!dc.activeDialog) {
        await ctx.sendActivity('There is nothing to cancel. Type **refer** to make a referral.');
        return;
      }
      await dc.cancelAllDialogs();
      await ctx.sendActivity('Referral cancelled. Nothing was saved.');
    },
  });

export const startReferralVerb = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.startReferral,
    schema: noData,
    who: REFERRERS,
    handle: async (ctx) => {
      await startReferral(d, ctx);
      replyToCard(ctx, { kind: 'message', text: isPersonalChat(ctx) ? 'Starting a referral.' : PRIVATE_ONLY });
    },
  });

export const myReferralsVerb = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.myReferrals,
    schema: noData,
    who: REFERRERS,
    handle: async (ctx) => {
      await myReferrals(d, ctx);
      replyToCard(ctx, { kind: 'message', text: 'Here are your referrals.' });
    },
  });

export const screeningAnswer = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.screeningAnswer,
    schema: screeningIdData,
    who: THE_DIALOG,
    handle: dialogVerb(d, async (ctx) => replyToCard(ctx, { kind: 'card', card: staleQuestionCard() })),
  });

export const cancelReferral = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.cancelReferral,
    schema: formIdData,
    who: THE_DIALOG,
    handle: dialogVerb(d, async (ctx) => replyToCard(ctx, { kind: 'card', card: referralClosedCard('This form is no longer open. Nothing else was changed.') })),
  });

export const submitReferral = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.submitReferral,
    schema: formIdData,
    who: THE_DIALOG,
    handle: dialogVerb(d, async (ctx) => {
      // A second click, or a Teams retry, after the first submit already saved the case.
      const formId = String(cardActionOf(ctx)?.data.formId ?? '');
      const done = await d.intake.submittedCase(actorOf(ctx), formId);
      replyToCard(ctx, {
        kind: 'card',
        card: done
          ? referralSubmittedCard(done.reference, displayDate(done.createdAt), done.offenceType)
          : referralClosedCard('This form is no longer open (it was cancelled or replaced). Type refer to start again.'),
      });
    }),
  });

/** The ineligible result's "remind me on the sentencing date": only whoever it was shown to. */
/**
 * The card's Remind / No thanks answered the question the typed-answer dialog is waiting on: close it,
 * so a later "no" or date is not taken as a second answer and `refer` does not speak of an unfinished
 * referral.
 */
async function closeTypedQuestion(d: ReferralDeps, ctx: TurnContext, screeningId: string): Promise<void> {
  const dc = await d.dialogs.createContext(ctx);
  const waiting = dc.child?.activeDialog;
  const state: unknown = waiting?.state;
  const about = typeof state === 'object' && state !== null && 'screeningId' in state ? state.screeningId : undefined;
  if (waiting?.id === SENTENCING_DATE_DIALOG && about === screeningId) await dc.cancelAllDialogs();
}

export const screeningRemind = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.screeningRemind,
    schema: remindData,
    who: anyone('whoever the ineligible result was shown to: checked against this conversation'),
    handle: async (ctx, data) => {
      const r = await d.intake.setReReferDate(actorOf(ctx), data.screeningId, data.sentencingDate ?? '', await d.shownTo(ctx, data.screeningId));
      if (r.ok) {
        await closeTypedQuestion(d, ctx, data.screeningId);
        replyToCard(ctx, { kind: 'card', card: ineligibleAnsweredCard(r.eligibility, displayDate(r.sentencingDate)) });
      } else if (r.reason === 'invalid_date') {
        replyToCard(ctx, {
          kind: 'card',
          card: ineligibleCard({ screeningId: data.screeningId, result: r.eligibility, offerReminder: offersReReferReminder(r.eligibility), today: d.intake.today(), error: r.message }),
        });
      } else {
        replyToCard(ctx, { kind: 'error', status: r.reason === 'forbidden' ? 403 : 404, text: r.message });
      }
    },
  });

export const screeningNoRemind = (d: ReferralDeps): CardVerb =>
  defineVerb({
    verb: VERBS.screeningNoRemind,
    schema: screeningIdData,
    who: anyone('whoever the ineligible result was shown to: checked against this conversation'),
    handle: async (ctx, data) => {
      const result = await d.intake.screeningResult(actorOf(ctx), data.screeningId, await d.shownTo(ctx, data.screeningId));
      if (result) await closeTypedQuestion(d, ctx, data.screeningId);
      replyToCard(ctx, result
        ? { kind: 'card', card: ineligibleAnsweredCard(result, undefined) }
        : { kind: 'error', status: 404, text: 'That screening could not be found. Type refer to start again.' });
    },
  });
