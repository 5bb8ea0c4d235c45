import { z } from 'zod';
import type { AdaptiveCard } from '../../cards/adaptive';
import type { Logger } from '../log';
import type { SettingsRepository } from '../store/settingsRepository';
import type { Messenger, SendFailure, SendOutcome } from './messenger';

/** The settings key of the coordinators' channel ("use this channel for referrals"). */
export const REFERRALS_CHANNEL_KEY = 'referrals_channel';
const channelSetting = z.object({ conversationId: z.string().min(1) });

/** The coordinators' channel, if one was chosen. */
export async function referralsChannel(settings: Pick<SettingsRepository, 'get'>): Promise<string | undefined> {
  return (await settings.get(REFERRALS_CHANNEL_KEY, channelSetting))?.conversationId;
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
 */
export async function reachCoordinators(d: CoordinatorReachDeps, content: AdaptiveCard): Promise<CoordinatorRoute> {
  const channel = await d.referralsChannel();
  if (channel) {
    const sent = await d.messenger.sendToConversation(channel, content);
    if (sent.ok || !sent.permanent) return { via: 'channel', sent };
    d.log.warn({ conversationId: channel, kind: sent.kind, reason: sent.reason }, 'coordinators channel unreachable: reaching coordinators one by one');
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
