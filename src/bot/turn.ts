import type { TurnContext } from 'botbuilder';
import type { AdaptiveCard } from '../../cards/adaptive';
import type { Actor } from '../app/actor';

/**
 * What a turn knows beyond the raw activity: the verified actor, the card action being handled,
 * and the answer to send back to the card that was clicked.
 */

const ACTOR = Symbol('rj.actor');
const CARD_ACTION = Symbol('rj.cardAction');
const CARD_REPLY = Symbol('rj.cardReply');

export interface CardActionInput {
  verb: string;
  data: Record<string, unknown>;
  /** Universal Actions invoke, or the Action.Submit fallback (a message with a value). */
  via: 'execute' | 'submit';
  /** The activity holding the clicked card (Submit fallback), so it can be updated in place. */
  replyToId?: string;
}

export type CardReply =
  | { kind: 'card'; card: AdaptiveCard }
  /** `refused`: the answer says the person may not do this (counted as such in /metrics). */
  | { kind: 'message'; text: string; refused?: true }
  | { kind: 'error'; status: 400 | 403 | 404; text: string };

export function setActor(ctx: TurnContext, actor: Actor): void {
  ctx.turnState.set(ACTOR, actor);
}

export function actorOf(ctx: TurnContext): Actor {
  const actor = ctx.turnState.get(ACTOR) as Actor | undefined;
  if (!actor) throw new Error('actorOf: no verified actor on this turn (the tenant guard must run first)');
  return actor;
}

export function setCardAction(ctx: TurnContext, action: CardActionInput): void {
  ctx.turnState.set(CARD_ACTION, action);
}

export function cardActionOf(ctx: TurnContext): CardActionInput | undefined {
  return ctx.turnState.get(CARD_ACTION) as CardActionInput | undefined;
}

/** The clicked card's new content (or a short answer): sent back as the invoke response or an update. */
export function replyToCard(ctx: TurnContext, reply: CardReply): void {
  ctx.turnState.set(CARD_REPLY, reply);
}

export function cardReplyOf(ctx: TurnContext): CardReply | undefined {
  return ctx.turnState.get(CARD_REPLY) as CardReply | undefined;
}

/** A 1:1 chat with the bot: the only place case details, forms and lists are shown. */
export function isPersonalChat(ctx: TurnContext): boolean {
  return (ctx.activity.conversation.conversationType ?? 'personal') === 'personal';
}
