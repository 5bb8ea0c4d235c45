import { Dialog, DialogReason, type DialogContext, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { answeredQuestionCard, screeningQuestionCard, staleQuestionCard } from '../cards/screening';
import { card, subtle } from '../cards/adaptive';
import { VERBS } from '../cards/verbs';
import { nextQuestion, parseAnswer, questionById, type Answer, type QuestionId, type ScreeningAnswers } from '../src/domain/eligibility';
import type { Logger } from '../src/log';
import type { DialogTurn } from './turnPort';
import { replaceCard, sendCard } from './cardUpdates';

export const SCREENING_DIALOG = 'screening';

interface ScreeningState {
  screeningId: string;
  answers: ScreeningAnswers;
  questionId: QuestionId;
  number: number;
  cardActivityId?: string;
}

export interface ScreeningResult {
  screeningId: string;
  answers: ScreeningAnswers;
}

const answerData = z.object({
  screeningId: z.string().min(1).max(64),
  questionId: z.string().min(1).max(64),
  answer: z.enum(['yes', 'no', 'not_sure']),
});

/**
 * Asks the eligibility questions one at a time. Each can be answered with the card's buttons or
 * by typing; anything else gets the same question again, never a guess.
 */
export interface ScreeningOptions {
  screeningId: string;
  /** Said above the first question, in the same message (one send instead of two). */
  intro?: string;
}

export class ScreeningDialog extends Dialog<ScreeningOptions> {
  constructor(
    private readonly log: Logger,
    private readonly turn: DialogTurn,
  ) {
    super(SCREENING_DIALOG);
  }

  override async beginDialog(dc: DialogContext, options?: ScreeningOptions): Promise<DialogTurnResult> {
    const first = nextQuestion({});
    if (!first || !options?.screeningId) throw new Error('ScreeningDialog: needs a screeningId and at least one question');
    const state: ScreeningState = { screeningId: options.screeningId, answers: {}, questionId: first.id, number: 1 };
    dc.activeDialog!.state = state;
    await this.ask(dc.context, state, false, options.intro);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state as ScreeningState;
    const question = questionById(state.questionId);
    if (!question) throw new Error(`ScreeningDialog: unknown question ${state.questionId} in saved state`);
    const action = this.turn.cardActionOf(dc.context);
    let answer: Answer | undefined;
    if (action) {
      const parsed = answerData.safeParse(action.data);
      if (action.verb !== VERBS.screeningAnswer || !parsed.success) {
        this.turn.replyToCard(dc.context, { kind: 'message', text: 'Please answer the current question first, or type cancel.' });
        return Dialog.EndOfTurn;
      }
      if (parsed.data.screeningId !== state.screeningId || parsed.data.questionId !== state.questionId) {
        this.turn.replyToCard(dc.context, { kind: 'card', card: staleQuestionCard() });
        return Dialog.EndOfTurn;
      }
      answer = parsed.data.answer;
      this.turn.replyToCard(dc.context, { kind: 'card', card: answeredQuestionCard(question, state.number, answer) });
    } else {
      answer = parseAnswer(dc.context.activity.text ?? '');
      if (!answer) {
        await this.ask(dc.context, state, true);
        return Dialog.EndOfTurn;
      }
      await replaceCard(dc.context, state.cardActivityId, answeredQuestionCard(question, state.number, answer), this.log);
    }
    state.answers[state.questionId] = answer;
    const next = nextQuestion(state.answers);
    if (!next) {
      const result: ScreeningResult = { screeningId: state.screeningId, answers: state.answers };
      return dc.endDialog(result);
    }
    state.questionId = next.id;
    state.number += 1;
    await this.ask(dc.context, state, false);
    return Dialog.EndOfTurn;
  }

  override async endDialog(ctx: TurnContext, instance: DialogInstance, reason: DialogReason): Promise<void> {
    if (reason === DialogReason.cancelCalled) {
      const state = instance.state as ScreeningState;
      await replaceCard(ctx, state.cardActivityId, card([subtle('Referral cancelled. Nothing was saved.')]), this.log);
    }
  }

  private async ask(ctx: TurnContext, state: ScreeningState, retry: boolean, intro?: string): Promise<void> {
    const question = questionById(state.questionId);
    if (!question) throw new Error(`ScreeningDialog: unknown question ${state.questionId}`);
    if (retry && state.cardActivityId) {
      // The old card still asks this same question; retire it so only the newest one has buttons.
      await replaceCard(ctx, state.cardActivityId, card([subtle(`Question ${state.number} asked again below.`)]), this.log);
    }
    state.cardActivityId = await sendCard(ctx, screeningQuestionCard({ screeningId: state.screeningId, question, number: state.number, retry }), intro);
  }
}
