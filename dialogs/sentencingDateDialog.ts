import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { referralClosedCard } from '../cards/referralForm';
import { ineligibleAnsweredCard, staleQuestionCard } from '../cards/screening';
import { VERBS } from '../cards/verbs';
import type { ReferralIntake, ScreeningShownTo } from '../src/app/referralIntake';
import type { EligibilityResult } from '../src/domain/eligibility';
import { parseSentencingDateReply, SENTENCING_DATE_EXAMPLE } from '../src/domain/sentencingDate';
import { displayDate } from '../src/shared/clock';
import type { Logger } from '../src/log';
import type { DialogTurn } from './turnPort';
import { replaceCard } from './cardUpdates';

export const SENTENCING_DATE_DIALOG = 'sentencingDate';

export interface SentencingDateOptions {
  screeningId: string;
  result: EligibilityResult;
  /** Who the question was put to: only they may answer it (the card's buttons check the same). */
  shownTo: ScreeningShownTo;
  /** The ineligible card asking the question, updated in place once it is answered. */
  cardActivityId?: string;
}

const TYPE_IT = `Type the sentencing date as day/month/year (for example ${SENTENCING_DATE_EXAMPLE}), or type **no**.`;

/**
 * "Do you know the sentencing date?" answered by typing, as well as with the card: `no` (or
 * "no thanks", "don't know") or a date. A reply that is neither gets told what to type, the question
 * stays open; any command (refer, my referrals, cancel) works as usual meanwhile.
 */
export class SentencingDateDialog extends Dialog<SentencingDateOptions> {
  constructor(
    private readonly intake: ReferralIntake,
    private readonly log: Logger,
    private readonly turn: DialogTurn,
  ) {
    super(SENTENCING_DATE_DIALOG);
  }

  override async beginDialog(dc: DialogContext, options?: SentencingDateOptions): Promise<DialogTurnResult> {
    if (!options) throw new Error('SentencingDateDialog: needs the screening it asks about');
    dc.activeDialog!.state = options;
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state as SentencingDateOptions;
    const ctx = dc.context;
    const action = this.turn.cardActionOf(ctx);
    if (action) {
      // A click on an earlier card of this referral (its own buttons are routed by verb, not here).
      this.turn.replyToCard(ctx, {
        kind: 'card',
        card: action.verb === VERBS.screeningAnswer ? staleQuestionCard() : referralClosedCard('This form is no longer open. Type refer to start again.'),
      });
      return Dialog.EndOfTurn;
    }
    const reply = parseSentencingDateReply(ctx.activity.text ?? '');
    // The card's own buttons answer without passing through here: a reminder set with them closes the question.
    const already = reply.kind === 'date' ? null : await this.intake.reReferDate(this.turn.actorOf(ctx), state.screeningId);
    if (already) {
      await ctx.sendActivity(`You asked to be reminded on **${displayDate(already)}**. Type **refer** to make a referral, **my referrals** to see yours, or **help**.`);
      return dc.endDialog();
    }
    switch (reply.kind) {
      case 'no':
        await replaceCard(ctx, state.cardActivityId, ineligibleAnsweredCard(state.result, undefined), this.log);
        await ctx.sendActivity('No reminder set. Type **refer** when the case is ready to be referred.');
        return dc.endDialog();
      case 'yes':
        await ctx.sendActivity(`Please type the date. ${TYPE_IT}`);
        return Dialog.EndOfTurn;
      case 'invalid':
        await ctx.sendActivity(reply.message);
        return Dialog.EndOfTurn;
      case 'unknown':
        await ctx.sendActivity(`Sorry, I did not understand that as a sentencing date. ${TYPE_IT}`);
        return Dialog.EndOfTurn;
      case 'date': {
        const r = await this.intake.setReReferDate(this.turn.actorOf(ctx), state.screeningId, reply.date, state.shownTo);
        if (r.ok) {
          const on = displayDate(r.sentencingDate);
          await replaceCard(ctx, state.cardActivityId, ineligibleAnsweredCard(r.eligibility, on), this.log);
          await ctx.sendActivity(`Thank you: we will remind you on **${on}** to refer this case again.`);
          return dc.endDialog();
        }
        await ctx.sendActivity(r.message);
        // A date in the past can be corrected; a screening that is gone cannot.
        return r.reason === 'invalid_date' ? Dialog.EndOfTurn : dc.endDialog();
      }
    }
  }
}
