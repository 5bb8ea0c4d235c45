import { z } from 'zod';
import type { AdaptiveCard } from '../../cards/adaptive';
import type { Logger } from '../log';
import type { SettingsRepository } from '../store/settingsRepository';
import type { Messenger, SendFailure, SendOutcome } from './messenger';

/** The settings key of the coordinators' channel ("use this channel for referrals"). */
export const REFERRALS_CHANNEL_KEY = 'referrals_channel';

/**
 * What is stored for the channel: the channel itself (`channelData.channel.id`), not the thread the
 * command was typed in, and what starting a new thread there needs. Registrations made before
 * threads stored `{ conversationId }`, the id of the command's own thread
 * (`19:…@thread.tacv2;messageid=<root>`); that shape is still read, normalised to its channel.
 */
export const referralsChannelSetting = z.object({
  channelId: z.string().min(1),
  teamId: z.string().min(1).optional(),
  tenantId: z.string().min(1),
  serviceUrl: z.string().min(1),
});
export type ReferralsChannelSetting = z.infer<typeof referralsChannelSetting>;
const legacySetting = z.object({ conversationId: z.string().min(1) });
const storedSetting = z.union([referralsChannelSetting, legacySetting]);

const THREAD_MARK = ';messageid=';

/** A channel conversation id without its thread part: `19:x@thread.tacv2;messageid=1` → `19:x@thread.tacv2`. */
export function channelOf(conversationId: string): string {
  const at = conversationId.indexOf(THREAD_MARK);
  return at < 0 ? conversationId : conversationId.slice(0, at);
}

/** The thread's root message id (`;messageid=<id>`), or undefined for a conversation that is no thread. */
export function threadRootOf(conversationId: string): string | undefined {
  const at = conversationId.indexOf(THREAD_MARK);
  const id = at < 0 ? '' : conversationId.slice(at + THREAD_MARK.length);
  return id === '' ? undefined : id;
}

/** True when `conversationId` is a thread of `channelId` (a case's thread in the current channel). */
export function isThreadOf(conversationId: string, channelId: string): boolean {
  return threadRootOf(conversationId) !== undefined && channelOf(conversationId) === channelId;
}

/** The coordinators' channel id (never a thread), if one was chosen. */
export async function referralsChannel(settings: Pick<SettingsRepository, 'get'>): Promise<string | undefined> {
  const stored = await settings.get(REFERRALS_CHANNEL_KEY, storedSetting);
  if (!stored) return undefined;
  return 'channelId' in stored ? stored.channelId : channelOf(stored.conversationId);
}

export interface CoordinatorReachDeps {
  messenger: Pick<Messenger, 'sendToConversation'>;
  referralsChannel: () => Promise<string | undefined>;
  coordinatorIds: () => Promise<readonly string[]>;
  log: Logger;
}

/**
 * Where a message for the coordinators went: the channel took it (or failed for now, to retry), or
 * it must reach each coordinator instead (no channel, or one Teams refuses for good).
 */
export type CoordinatorRoute =
  | { via: 'channel'; sent: SendOutcome }
  | { via: 'each'; coordinatorIds: readonly string[]; channelFailure?: SendFailure };

/**
 * The one rule for reaching coordinators: their channel, else each coordinator. How "each" is
 * reached is the caller's: the outbox owes each a 1:1 message, a reminder is sent to each at once.
 * `caseThread` (a case's thread, from its channel card) makes a message about one case a reply in
 * that case's thread, as long as the thread is in the channel registered now; otherwise it is a post
 * of its own in the channel.
 */
export async function reachCoordinators(d: CoordinatorReachDeps, content: AdaptiveCard, caseThread?: string | null): Promise<CoordinatorRoute> {
  const channel = await d.referralsChannel();
  if (channel) {
    const target = caseThread && isThreadOf(caseThread, channel) ? caseThread : channel;
    const sent = await d.messenger.sendToConversation(target, content);
    if (sent.ok || !sent.permanent) return { via: 'channel', sent };
    d.log.warn({ conversationId: target, kind: sent.kind, reason: sent.reason }, 'coordinators channel unreachable: reaching coordinators one by one');
    return { via: 'each', coordinatorIds: await d.coordinatorIds(), channelFailure: sent };
  }
  return { via: 'each', coordinatorIds: await d.coordinatorIds() };
}

/**
 * Tells the coordinators at once (no outbox): their channel, else each of them in their 1:1 chat.
 * True when the message reached the channel or every coordinator; the caller keeps what it owes
 * in PostgreSQL and tries again later otherwise.
 */
export async function tellCoordinatorsNow(
  d: CoordinatorReachDeps & { messenger: Pick<Messenger, 'sendToConversation' | 'sendToUser'>; staffTenantId: string },
  content: AdaptiveCard,
): Promise<boolean> {
  const route = await reachCoordinators(d, content);
  if (route.via === 'channel') return route.sent.ok;
  if (route.coordinatorIds.length === 0) return false;
  const sent = await Promise.all(route.coordinatorIds.map((id) => d.messenger.sendToUser(d.staffTenantId, id, content)));
  return sent.every((s) => s.ok);
}
