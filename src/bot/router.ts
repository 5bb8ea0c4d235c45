import type { TurnContext } from 'botbuilder';
import { z } from 'zod';

/**
 * The routing table's shape: text commands and card verbs, each to one small handler. The table
 * itself is built by the registry (src/bot/registry.ts) from the one list in src/bot/index.ts.
 */

export type CommandHandler = (ctx: TurnContext) => Promise<void>;

/** One card verb's route (built by the registry, src/bot/registry.ts): its data checked, then its handler. */
export interface VerbRoute {
  run(ctx: TurnContext, data: unknown): Promise<{ ok: true } | { ok: false; issues: string[] }>;
}

/**
 * A choice from a card's ChoiceSet: one of its listed values, or nothing chosen (an empty ChoiceSet
 * submits ""). Any other value, "constructor" included, fails the verb's schema before its handler
 * runs, so no handler looks a card's value up in an object.
 */
export function cardChoice<T extends string>(values: readonly [T, ...T[]]) {
  return z.union([z.enum(values), z.literal('')]).optional().transform((v) => v || undefined);
}

export interface PatternRoute {
  /** Matched against the normalised text (lower case, mentions removed). */
  pattern: RegExp;
  handle: (ctx: TurnContext, match: RegExpMatchArray) => Promise<void>;
}

export interface Routes {
  commands: ReadonlyMap<string, CommandHandler>;
  /** Commands with an argument, e.g. "case rj-2026-0007"; tried after the exact commands. */
  patterns: readonly PatternRoute[];
  verbs: ReadonlyMap<string, VerbRoute>;
  /** A message that is neither a command nor part of a dialog. */
  fallback: CommandHandler;
}

/** "@RJ Referrals  My Referrals!" → "my referrals". */
export function normaliseCommand(text: string): string {
  return text
    .toLowerCase()
    .replace(/<at>[^<]*<\/at>/g, ' ')
    .replace(/[^a-z0-9 -]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
