import type { TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type WaterfallStepContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { ineligibleCard } from '../cards/screening';
import { assessEligibility, offersReReferReminder } from '../src/domain/eligibility';
import type { ReferralIntake } from '../src/app/referralIntake';
import type { Logger } from '../src/log';
import type { DialogTurn } from './turnPort';
import { ScreeningDialog, SCREENING_DIALOG, type ScreeningResult } from './screeningDialog';
import { ReferralFormDialog, REFERRAL_FORM_DIALOG, type ReferralFormOptions } from './referralFormDialog';
import { SentencingDateDialog, SENTENCING_DATE_DIALOG, type SentencingDateOptions } from './sentencingDateDialog';
import { sendCard } from './cardUpdates';

export const REFERRAL_DIALOG = 'referral';

/** A referral from first question to case reference: screening, then (if it may proceed) the form. */
export class ReferralDialog extends ComponentDialog {
  constructor(
    private readonly intake: ReferralIntake,
    log: Logger,
    /** Remembers, in the screener's own conversation, that this result was shown to them. */
    private readonly resultShown: (ctx: TurnContext, screeningId: string) => Promise<void>,
    private readonly turn: DialogTurn,
  ) {
    super(REFERRAL_DIALOG);
    this.addDialog(new ScreeningDialog(log, turn));
    this.addDialog(new ReferralFormDialog(intake, log, turn));
    this.addDialog(new SentencingDateDialog(intake, log, turn));
    this.addDialog(
      new WaterfallDialog('referralSteps', [
        (step) => this.screen(step),
        (step) => this.decide(step),
        (step) => step.endDialog(step.result),
      ]),
    );
    this.initialDialogId = 'referralSteps';
  }

  private async screen(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.beginDialog(SCREENING_DIALOG, {
      screeningId: this.intake.newId(),
      intro: 'Let\'s check the case fits the service first. Answer each question with the buttons, or type yes, no or not sure.',
    });
  }

  private async decide(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const screening = step.result as ScreeningResult;
    const eligibility = assessEligibility({ answers: screening.answers });
    if (eligibility.outcome === 'ineligible') {
      // An anonymous record for reporting; nothing about the people involved was asked yet.
      await this.intake.recordIneligible(this.turn.actorOf(step.context), screening.screeningId, screening.answers, eligibility);
      const offerReminder = offersReReferReminder(eligibility);
      const card = ineligibleCard({ screeningId: screening.screeningId, result: eligibility, offerReminder, today: this.intake.today() });
      const cardActivityId = await sendCard(step.context, card);
      await this.resultShown(step.context, screening.screeningId);
      if (!offerReminder) return step.endDialog();
      // The card asks for the sentencing date; a typed answer comes back here rather than to "Sorry, I did not understand".
      const actor = this.turn.actorOf(step.context);
      const options: SentencingDateOptions = {
        screeningId: screening.screeningId,
        result: eligibility,
        shownTo: { screeningId: screening.screeningId, aadObjectId: actor.aadObjectId, tenantId: actor.tenantId },
        ...(cardActivityId ? { cardActivityId } : {}),
      };
      return step.beginDialog(SENTENCING_DATE_DIALOG, options);
    }
    const options: ReferralFormOptions = {
      screeningId: screening.screeningId,
      answers: screening.answers,
      eligibility,
      intro: eligibility.outcome === 'eligible'
        ? 'Thank you: this case fits the service\'s criteria. Please fill in the referral form.'
        // The form itself says which answers were "not sure" and that a coordinator will review it: said once.
        : 'Thank you. Please fill in the referral form.',
    };
    return step.beginDialog(REFERRAL_FORM_DIALOG, options);
  }
}
