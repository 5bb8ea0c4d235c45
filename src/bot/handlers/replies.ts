import type { TurnContext } from 'botbuilder';
import { attachment, type AdaptiveCard } from '../../../cards/adaptive';
import type { Reply } from '../../app/reply';
import { isPersonalChat, replyToCard, type CardReply } from '../turn';

/** A use case's answer as the clicked card's new content (a refusal is counted as one in /metrics). */
export function toCardReply(r: Reply): CardReply {
  if (r.kind === 'card') return { kind: 'card', card: r.card };
  return r.kind === 'message' ? { kind: 'message', text: r.text } : { kind: 'message', text: r.message, refused: true };
}

/** Card actions answer on the card. */
export function answerOnCard(ctx: TurnContext, r: Reply): void {
  replyToCard(ctx, toCardReply(r));
}

/** Typed commands answer in the chat. */
export async function say(ctx: TurnContext, r: Reply): Promise<void> {
  if (r.kind === 'card') await sendCard(ctx, r.card);
  else await ctx.sendActivity(r.kind === 'message' ? r.text : r.message);
}

export async function sendCard(ctx: TurnContext, card: AdaptiveCard): Promise<void> {
  await ctx.sendActivity({ type: 'message', attachments: [attachment(card)] });
}

const CASE_PRIVATE_ONLY = 'Case details are only shown in your 1:1 chat with RJ Referrals: type the same there.';

/** Typed case commands run only in a 1:1 chat: case details never show in a channel or group. */
export async function sayPrivately(ctx: TurnContext, fn: () => Promise<Reply>): Promise<void> {
  if (!isPersonalChat(ctx)) {
    await ctx.sendActivity(CASE_PRIVATE_ONLY);
    return;
  }
  await say(ctx, await fn());
}

/** Sends a card to the clicker's own 1:1 chat; false when there is none to send to. */
export type SendPrivately = (ctx: TurnContext, card: AdaptiveCard) => Promise<boolean>;

export const IN_YOUR_CHAT = 'The case is in your 1:1 chat with RJ Referrals.';
export const OPEN_A_CHAT = 'Open a 1:1 chat with RJ Referrals first, then try again.';
