import {
  ActivityTypes,
  TeamsActivityHandler,
  TurnContext,
  type ConversationState,
  type InvokeResponse,
} from 'botbuilder';
import { attachment, type AdaptiveCard } from '../../cards/adaptive';
import type { Logger } from '../log';
import { noMetrics, type ActionOutcome, type Metrics } from '../metrics';
import { readExecuteAction, readSubmitAction } from './activitySchemas';
import { normaliseCommand, type Routes } from './router';
import { cardReplyOf, replyToCard, setCardAction, type CardActionInput } from './turn';

export interface RjBotDeps {
  conversationState: ConversationState;
  routes: Routes;
  log: Logger;
  /** Sent on install and on "help". */
  welcome: (ctx: TurnContext) => Promise<void>;
  /** True only for the first welcome of a conversation (install and conversationUpdate both arrive). */
  firstWelcome: (conversationId: string) => Promise<boolean>;
  /** Card actions by verb and outcome. */
  metrics?: Metrics;
}

const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const MESSAGE_TYPE = 'application/vnd.microsoft.activity.message';
const ERROR_TYPE = 'application/vnd.microsoft.error';

/** The body of a Universal Action's invoke response: the card's new content, a message, or an error. */
type CardActionResponse =
  | { statusCode: number; type: typeof CARD_TYPE; value: AdaptiveCard }
  | { statusCode: number; type: typeof MESSAGE_TYPE; value: string }
  | { statusCode: number; type: typeof ERROR_TYPE; value: { code: string; message: string } };

/**
 * The Teams activity handler: routes text commands and card verbs through one table, persists
 * dialog state after every turn, and answers every card action with the card's new content.
 */
export class RjBot extends TeamsActivityHandler {
  constructor(private readonly deps: RjBotDeps) {
    super();
    this.onMessage(async (ctx, next) => {
      await this.handleMessage(ctx);
      await next();
    });
    this.onInstallationUpdateAdd(async (ctx, next) => {
      await this.welcomeOnce(ctx);
      await next();
    });
    this.onMembersAdded(async (ctx, next) => {
      const botAdded = (ctx.activity.membersAdded ?? []).some((m) => m.id === ctx.activity.recipient.id);
      if (botAdded) await this.welcomeOnce(ctx);
      await next();
    });
  }

  override async run(ctx: TurnContext): Promise<void> {
    await super.run(ctx);
    try {
      await this.deps.conversationState.saveChanges(ctx, false);
    } catch (err) {
      // Two turns of one conversation ran at once (a double click, a Teams retry). Their side effects
      // are idempotent; the earlier turn's dialog state stands and this one's is dropped.
      if (err instanceof Error && /eTag conflict/i.test(err.message)) {
        this.deps.log.warn({ conversationId: ctx.activity.conversation.id, activityId: ctx.activity.id }, 'concurrent turn: dialog state kept from the other turn');
        return;
      }
      throw err;
    }
  }

  /**
   * Universal Actions (`adaptiveCard/action`) are answered here rather than in botbuilder's
   * onAdaptiveCardInvoke: botbuilder reads `value.action.type` without checking that `action` exists
   * (a TypeError, a failed turn), and it types the response's value as an object, where Teams also
   * takes a message string. A malformed invoke is answered 400.
   */
  protected override async onInvokeActivity(ctx: TurnContext): Promise<InvokeResponse<CardActionResponse>> {
    if (ctx.activity.name !== 'adaptiveCard/action') return super.onInvokeActivity(ctx);
    const action = readExecuteAction(ctx.activity.value);
    if ('error' in action) {
      return { status: 200, body: { statusCode: 400, type: ERROR_TYPE, value: { code: 'BadRequest', message: action.error } } };
    }
    // As botbuilder answers: the HTTP status is the response's own statusCode.
    const body = await this.answerCardAction(ctx, action);
    return { status: body.statusCode, body };
  }

  private async answerCardAction(ctx: TurnContext, action: CardActionInput): Promise<CardActionResponse> {
    await this.handleCardAction(ctx, action);
    const reply = cardReplyOf(ctx);
    if (!reply) return { statusCode: 200, type: MESSAGE_TYPE, value: 'Done.' };
    switch (reply.kind) {
      case 'card':
        return { statusCode: 200, type: CARD_TYPE, value: reply.card };
      case 'message':
        return { statusCode: 200, type: MESSAGE_TYPE, value: reply.text };
      case 'error':
        return {
          statusCode: reply.status,
          type: ERROR_TYPE,
          value: { code: reply.status === 403 ? 'Forbidden' : reply.status === 404 ? 'NotFound' : 'BadRequest', message: reply.text },
        };
    }
  }

  private async handleMessage(ctx: TurnContext): Promise<void> {
    const submit = readSubmitAction(ctx.activity.value, ctx.activity.replyToId);
    if (submit) {
      await this.handleCardAction(ctx, submit);
      await this.deliverSubmitReply(ctx, submit);
      return;
    }
    const text = normaliseCommand(TurnContext.removeRecipientMention(ctx.activity) ?? ctx.activity.text ?? '');
    const command = this.deps.routes.commands.get(text);
    if (command) {
      await command(ctx);
      return;
    }
    for (const p of this.deps.routes.patterns) {
      const m = p.pattern.exec(text);
      if (m) {
        await p.handle(ctx, m);
        return;
      }
    }
    await this.deps.routes.fallback(ctx);
  }

  private async handleCardAction(ctx: TurnContext, action: CardActionInput): Promise<void> {
    const metrics = this.deps.metrics ?? noMetrics;
    let outcome: ActionOutcome = 'error';
    try {
      outcome = await this.routeCardAction(ctx, action);
    } finally {
      metrics.cardAction(this.deps.routes.verbs.has(action.verb) ? action.verb : 'unknown', outcome);
    }
  }

  private async routeCardAction(ctx: TurnContext, action: CardActionInput): Promise<ActionOutcome> {
    setCardAction(ctx, action);
    const route = this.deps.routes.verbs.get(action.verb);
    if (!route) {
      this.deps.log.warn({ verb: action.verb, activityId: ctx.activity.id }, 'unknown card verb');
      replyToCard(ctx, { kind: 'error', status: 400, text: 'This button is no longer supported. Type help to see what you can do.' });
      return 'invalid';
    }
    const ran = await route.run(ctx, action.data);
    if (!ran.ok) {
      this.deps.log.warn({ verb: action.verb, activityId: ctx.activity.id, issues: ran.issues }, 'card action data rejected');
      replyToCard(ctx, { kind: 'error', status: 400, text: 'That card action was not understood. Type help to start again.' });
      return 'invalid';
    }
    const reply = cardReplyOf(ctx);
    if (reply?.kind === 'error') return reply.status === 400 ? 'invalid' : 'refused';
    return reply?.kind === 'message' && reply.refused ? 'refused' : 'ok';
  }

  /** The Action.Submit fallback has no invoke response: update the clicked card, or answer in chat. */
  private async deliverSubmitReply(ctx: TurnContext, action: CardActionInput): Promise<void> {
    const reply = cardReplyOf(ctx);
    if (!reply) return;
    if (reply.kind === 'card' && action.replyToId) {
      await ctx.updateActivity({ type: ActivityTypes.Message, id: action.replyToId, attachments: [attachment(reply.card)] });
    } else if (reply.kind === 'card') {
      await ctx.sendActivity({ type: ActivityTypes.Message, attachments: [attachment(reply.card)] });
    } else {
      await ctx.sendActivity(reply.text);
    }
  }

  private async welcomeOnce(ctx: TurnContext): Promise<void> {
    if (await this.deps.firstWelcome(ctx.activity.conversation.id)) await this.deps.welcome(ctx);
  }
}
