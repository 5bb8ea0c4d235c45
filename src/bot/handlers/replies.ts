import type { TurnContext } from 'botbuilder';
import { attachment, type AdaptiveCard } from '../../../cards/adaptive';
import type { Reply } from '../../app/reply';
import type { ChatView } from '../../../cards/caseBase';
import type { DetailsCards, Reader } from '../../app/detailsCards';
import { actorOf, isPersonalChat, replyToCard, type CardReply } from '../turn';

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

/**
 * Case messages in Teams chats (issue 10, item 1): what is sent as a message holds the base view only
 * (DetailsCards), and every message that shows details, sent or answered in place, is recorded so it
 * can be updated back when its reader's access ends.
 */
export interface CaseChat {
  details: Pick<DetailsCards, 'mayView' | 'baseCard' | 'shownTo' | 'sendToChat' | 'unavailableCard'>;
}

/** The reader of this turn: the verified actor and their Teams id, which refresh.userIds names. */
export function readerOf(ctx: TurnContext): Reader {
  const id = ctx.activity.from?.id;
  return { actor: actorOf(ctx), teamsUserId: typeof id === 'string' && id.startsWith('29:') ? id : undefined };
}

/**
 * A click's answer in a 1:1 chat replaces the clicked message for the clicker, and Teams keeps it
 * there: recorded as showing the case.
 */
export async function recordAnswerShown(chat: CaseChat, ctx: TurnContext, caseIdOrReference: string): Promise<void> {
  const activityId = ctx.activity.replyToId;
  if (!activityId || !isPersonalChat(ctx)) return;
  const r = readerOf(ctx);
  await chat.details.shownTo(caseIdOrReference, { conversationId: ctx.activity.conversation.id, activityId, aadObjectId: r.actor.aadObjectId, tenantId: r.actor.tenantId, teamsUserId: r.teamsUserId ?? null });
}

/**
 * A case view as a message in this 1:1 chat: the base view, which the reader's Teams refreshes into
 * `view`, recorded. Only for a reader who may see it (DetailsCards.mayView).
 */
export async function sendCaseHere(chat: CaseChat, ctx: TurnContext, caseIdOrReference: string, view: ChatView): Promise<void> {
  const r = readerOf(ctx);
  const base = await chat.details.baseCard(caseIdOrReference, view, r.teamsUserId ? [r.teamsUserId] : []);
  if (!base) return;
  const sent = await ctx.sendActivity({ type: 'message', attachments: [attachment(base.card)] });
  if (!sent?.id) return;
  await chat.details.shownTo(base.caseId, { conversationId: ctx.activity.conversation.id, activityId: sent.id, aadObjectId: r.actor.aadObjectId, tenantId: r.actor.tenantId, teamsUserId: r.teamsUserId ?? null });
}

/**
 * A typed case command (`case RJ-…`, `contact RJ-…`), in a 1:1 chat only: the base view for a reader
 * who may see the case, otherwise whatever the use case answers (a refusal, a referrer's status).
 */
export async function sayCasePrivately(chat: CaseChat, ctx: TurnContext, reference: string, view: ChatView, fn: () => Promise<Reply>): Promise<void> {
  if (!isPersonalChat(ctx)) {
    await ctx.sendActivity(CASE_PRIVATE_ONLY);
    return;
  }
  if (await chat.details.mayView(actorOf(ctx), reference)) {
    await sendCaseHere(chat, ctx, reference, view);
    return;
  }
  await say(ctx, await fn());
}

/** The base view sent to the clicker's own 1:1 chat (a click in a channel); false when it could not be sent. */
export async function sendCasePrivately(chat: CaseChat, ctx: TurnContext, caseId: string, view: ChatView): Promise<boolean> {
  return (await chat.details.sendToChat(readerOf(ctx), caseId, view))?.ok ?? false;
}

export const IN_YOUR_CHAT = 'The case is in your 1:1 chat with RJ Referrals.';
export const OPEN_A_CHAT = 'Open a 1:1 chat with RJ Referrals first, then try again.';
