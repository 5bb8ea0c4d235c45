import type { TurnContext } from 'botbuilder';
import { attachment, type AdaptiveCard } from '../cards/adaptive';
import type { Logger } from '../src/log';

/**
 * Sends a card (with optional text above it, in the same message) and returns its activity id, so
 * the dialog can update it in place later.
 */
export async function sendCard(ctx: TurnContext, card: AdaptiveCard, text?: string): Promise<string | undefined> {
  const res = await ctx.sendActivity({ type: 'message', ...(text ? { text } : {}), attachments: [attachment(card)] });
  return res?.id;
}

/**
 * Replaces an earlier card (so it no longer shows buttons that would do nothing). A failure here
 * must not undo the user's progress, so it is logged and swallowed.
 */
export async function replaceCard(ctx: TurnContext, activityId: string | undefined, card: AdaptiveCard, log: Logger): Promise<void> {
  if (!activityId) return;
  try {
    await ctx.updateActivity({ type: 'message', id: activityId, attachments: [attachment(card)] });
  } catch (err) {
    log.warn({ activityId, err: err instanceof Error ? err.message : String(err) }, 'could not update an earlier card');
  }
}
