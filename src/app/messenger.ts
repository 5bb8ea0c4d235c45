import type { AdaptiveCard } from '../../cards/adaptive';

/**
 * The one port to Teams for everything the app, the outbox and the reminders send; the proactive
 * sender (src/teams) implements it, so nothing here depends on botbuilder.
 */
export type MessageContent = AdaptiveCard | { type: 'message'; text: string };

export interface Messenger {
  sendToConversation(conversationId: string, content: MessageContent): Promise<SendOutcome>;
  sendToUser(tenantId: string, aadObjectId: string, content: MessageContent): Promise<SendOutcome>;
  updateActivity(conversationId: string, activityId: string, content: AdaptiveCard): Promise<SendOutcome>;
  /**
   * Starts a new thread (a post of its own) in a Teams channel with `content` as its first message.
   * On success `conversationId` is the thread's (`<channel>;messageid=<root>`): send to it to reply
   * in the thread; `activityId` is the root message, to update it in place.
   */
  startThread(channelId: string, content: MessageContent): Promise<SendOutcome>;
}

/** What a send came to. `permanent`: trying again later cannot help until someone acts (403/404, nobody to send to). */
export type SendOutcome =
  | { ok: true; conversationId: string; activityId: string }
  | {
      ok: false;
      permanent: boolean;
      /** A code, e.g. `unreachable`, `no_reference`, `exhausted`: ids and codes only. */
      kind: string;
      /** HTTP status of the last answer, or null (no request made, or no response). */
      status: number | null;
      /** Ids and codes only, safe to log and store. */
      reason: string;
      /** When Teams said how long to wait. */
      retryAfterMs?: number;
    };
export type SendFailure = Extract<SendOutcome, { ok: false }>;
