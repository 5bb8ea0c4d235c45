import { z } from 'zod';
import type { CardActionInput } from './turn';

/**
 * The activity fields the bot relies on, validated before anything acts on them. Teams sends much
 * more; we only pin down what we read.
 */

export const idSchema = z.string().trim().min(1).max(256);

export const identitySchema = z.object({
  from: z.object({ id: idSchema, aadObjectId: z.string().trim().min(8).max(64).optional(), name: z.string().max(200).optional() }).passthrough(),
  conversation: z
    .object({ id: idSchema.max(1024), conversationType: z.string().max(32).optional(), tenantId: z.string().max(64).optional() })
    .passthrough(),
  channelData: z
    .object({ tenant: z.object({ id: z.string().trim().min(1).max(64) }).passthrough().optional() })
    .passthrough()
    .optional(),
});

const verbSchema = z.string().trim().min(1).max(64).regex(/^[A-Za-z][\w.-]*$/);
const dataSchema = z.record(z.string(), z.unknown());

/** `adaptiveCard/action` invoke value (Universal Actions). */
export const executeValueSchema = z.object({
  action: z.object({ type: z.literal('Action.Execute'), verb: verbSchema, data: dataSchema.optional() }).passthrough(),
  trigger: z.string().optional(),
});

/**
 * The Action.Submit fallback: a message whose value is the action's data, carrying the verb. One
 * object schema, not an intersection: zod throws (rather than failing) when the two halves of an
 * intersection disagree, which a padded verb (" referral.start") made them do.
 */
export const submitValueSchema = z.object({ verb: verbSchema }).catchall(z.unknown());

export function readExecuteAction(value: unknown): CardActionInput | { error: string } {
  const parsed = executeValueSchema.safeParse(value);
  if (!parsed.success) return { error: 'The card action was not understood: it has no valid verb.' };
  const data = { ...(parsed.data.action.data ?? {}) };
  return { verb: parsed.data.action.verb, data, via: 'execute' };
}

export function readSubmitAction(value: unknown, replyToId: string | undefined): CardActionInput | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = submitValueSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { verb, ...data } = parsed.data;
  return { verb, data, via: 'submit', replyToId };
}
