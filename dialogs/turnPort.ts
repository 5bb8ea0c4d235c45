import type { TurnContext } from 'botbuilder';
import type { AdaptiveCard } from '../cards/adaptive';
import type { Actor } from '../src/app/actor';

/**
 * What a dialog needs to know about the turn it runs in, handed to it by the bot that builds it.
 * The bot owns the turn's state (its tenant guard sets the actor, its card-action handling reads the
 * reply); importing those functions here would make the bot and its dialogs import each other.
 */
export interface DialogTurn {
  /** The verified actor of this turn. */
  actorOf(ctx: TurnContext): Actor;
  /** The card action this turn carries, if it is a card click. */
  cardActionOf(ctx: TurnContext): { verb: string; data: Record<string, unknown> } | undefined;
  /** The clicked card's new content, or a short answer to the click. */
  replyToCard(ctx: TurnContext, reply: { kind: 'card'; card: AdaptiveCard } | { kind: 'message'; text: string }): void;
}
