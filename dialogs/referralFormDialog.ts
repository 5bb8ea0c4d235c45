import { Dialog, DialogReason, type DialogContext, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { referralClosedCard, referralFormCard, referralSubmittedCard } from '../cards/referralForm';
import { referralConfirmationCard } from '../cards/referralConfirmation';
import { needsReviewNote } from '../cards/screening';
import { VERBS } from '../cards/verbs';
import type { EligibilityResult, ScreeningAnswers } from '../src/domain/eligibility';
import { REFERRAL_FORM_FIELDS, type FormErrors, type ReferralFormValues } from '../src/domain/referralForm';
import { stripUnsafe } from '../src/domain/text';
import { offenceTypesFor, type ReferralIntake } from '../src/app/referralIntake';
import { displayDate } from '../src/shared/clock';
import type { Logger } from '../src/log';
import type { DialogTurn } from './turnPort';
import { replaceCard, sendCard } from './cardUpdates';

export const REFERRAL_FORM_DIALOG = 'referralForm';

export interface ReferralFormOptions {
  screeningId: string;
  answers: ScreeningAnswers;
  eligibility: EligibilityResult;
  /** Said above the form, in the same message. */
  intro?: string;
}

interface FormState extends Omit<ReferralFormOptions, 'intro'> {
  formId: string;
  values: ReferralFormValues;
  cardActivityId?: string;
}

export interface ReferralFormResult {
  reference?: string;
  cancelled?: boolean;
}

const MAX_FIELD_CHARS = 4000;
const formIdData = z.object({ formId: z.string().min(1).max(64) });

/** Keeps only the form's own inputs, as strings, so nothing else from the client reaches the domain. */
function formValues(data: Record<string, unknown>): ReferralFormValues {
  const values: ReferralFormValues = {};
  for (const field of REFERRAL_FORM_FIELDS) {
    const v = data[field];
    if (typeof v === 'string') values[field] = v.slice(0, MAX_FIELD_CHARS);
    else if (typeof v === 'number' || typeof v === 'boolean') values[field] = String(v);
  }
  return values;
}

/**
 * The values kept to show the form again. A refused value may hold characters PostgreSQL cannot
 * store (NUL), and the dialog state is stored there: they go, and the error beside the field says why.
 */
function keepable(values: ReferralFormValues): ReferralFormValues {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? stripUnsafe(v) : v]));
}

/**
 * The referral form: shows the card, re-shows it with each error beside its field until the whole
 * form is valid, then saves the case once (idempotent on the form id) and closes the card.
 */
export class ReferralFormDialog extends Dialog<ReferralFormOptions> {
  constructor(
    private readonly intake: ReferralIntake,
    private readonly log: Logger,
    private readonly turn: DialogTurn,
  ) {
    super(REFERRAL_FORM_DIALOG);
  }

  override async beginDialog(dc: DialogContext, options?: ReferralFormOptions): Promise<DialogTurnResult> {
    if (!options) throw new Error('ReferralFormDialog: needs the screening result');
    const { intro, ...rest } = options;
    const state: FormState = { ...rest, formId: this.intake.newId(), values: {} };
    dc.activeDialog!.state = state;
    state.cardActivityId = await sendCard(dc.context, this.formCard(dc.context, state, {}), intro);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state as FormState;
    const action = this.turn.cardActionOf(dc.context);
    if (!action) {
      await dc.context.sendActivity('Please complete the referral form above and press **Submit referral**, or type **cancel** to stop.');
      return Dialog.EndOfTurn;
    }
    const ids = formIdData.safeParse(action.data);
    const isFormVerb = action.verb === VERBS.submitReferral || action.verb === VERBS.cancelReferral;
    if (!isFormVerb || !ids.success || ids.data.formId !== state.formId) {
      this.turn.replyToCard(dc.context, isFormVerb
        ? { kind: 'card', card: referralClosedCard('This form is no longer open. Use the newest referral form in this chat, or type refer to start again.') }
        : { kind: 'message', text: 'Please finish the referral form first, or type cancel.' });
      return Dialog.EndOfTurn;
    }
    if (action.verb === VERBS.cancelReferral) {
      this.turn.replyToCard(dc.context, { kind: 'card', card: referralClosedCard('Referral cancelled. Nothing was saved.') });
      await dc.context.sendActivity('Referral cancelled. Nothing was saved.');
      state.cardActivityId = undefined;
      const result: ReferralFormResult = { cancelled: true };
      return dc.endDialog(result);
    }

    const values = formValues(action.data);
    const outcome = await this.intake.submit(this.turn.actorOf(dc.context), {
      formId: state.formId,
      screeningId: state.screeningId,
      answers: state.answers,
      values,
    });
    if (!outcome.ok) {
      state.values = keepable(values);
      this.turn.replyToCard(dc.context, { kind: 'card', card: this.formCard(dc.context, state, outcome.errors) });
      return Dialog.EndOfTurn;
    }
    this.turn.replyToCard(dc.context, {
      kind: 'card',
      card: referralSubmittedCard(outcome.reference, displayDate(new Date()), outcome.details.offenceType),
    });
    if (outcome.created) {
      await sendCard(
        dc.context,
        referralConfirmationCard({
          reference: outcome.reference,
          needsReview: outcome.eligibility.outcome === 'needs_review',
          complex: outcome.eligibility.flags.complex,
          extraCare: outcome.eligibility.flags.extraCare,
        }),
      );
    }
    state.cardActivityId = undefined;
    const result: ReferralFormResult = { reference: outcome.reference };
    return dc.endDialog(result);
  }

  override async endDialog(ctx: TurnContext, instance: DialogInstance, reason: DialogReason): Promise<void> {
    if (reason === DialogReason.cancelCalled) {
      const state = instance.state as FormState;
      await replaceCard(ctx, state.cardActivityId, referralClosedCard('Referral cancelled. Nothing was saved.'), this.log);
    }
  }

  private formCard(ctx: TurnContext, state: FormState, errors: FormErrors) {
    const actor = this.turn.actorOf(ctx);
    return referralFormCard({
      formId: state.formId,
      values: state.values,
      errors,
      requiresSource: actor.staffTenant,
      sentenceDateRequired: state.answers.sentenced !== 'not_sure',
      offenceTypes: offenceTypesFor(state.answers),
      reviewNote: state.eligibility.outcome === 'needs_review' ? needsReviewNote(state.eligibility.uncertain) : undefined,
      today: this.intake.today(),
      privacyUrl: this.intake.privacyUrl,
    });
  }
}
