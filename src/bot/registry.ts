import type { TurnContext } from 'botbuilder';
import type { z } from 'zod';
import { can, type Action, type Actor as DomainActor } from '../domain/permissions';
import type { Actor } from '../app/actor';
import type { CommandHandler, PatternRoute, Routes, VerbRoute } from './router';
import { actorOf, replyToCard } from './turn';

/**
 * One registry of every card verb and text command. Each is a small module (its name, the zod
 * schema of its data, who may use it and its handler); the composition root lists them all once,
 * and a name registered twice stops the start-up instead of one handler silently replacing another.
 */

/**
 * Who may use a verb or command, read before its handler runs.
 * - `anyone`: no role needed; `why` says who it is for and what the handler checks itself
 *   (a case's or an offer's own people, the dialog in progress).
 * - `coordinators`: the permission table's coordinator-only action; anyone else is refused with its words.
 */
export type Who = { readonly kind: 'anyone'; readonly why: string } | { readonly kind: 'coordinators'; readonly action: Action };

export const anyone = (why: string): Who => ({ kind: 'anyone', why });
export const coordinators = (action: Action): Who => ({ kind: 'coordinators', action });

/** A card verb: `Action.Execute`'s verb (or an Action.Submit fallback's), with the data it must carry. */
export interface CardVerb {
  readonly verb: string;
  /** Older names still on cards posted in Teams before a rename: chat history keeps old cards. */
  readonly aliases: readonly string[];
  readonly who: Who;
  /** Checks `data` against the verb's schema: a handler only ever sees data of its own type. */
  check(data: unknown): { ok: true; handle: (ctx: TurnContext) => Promise<void> } | { ok: false; issues: string[] };
}

export function defineVerb<T>(v: {
  verb: string;
  aliases?: readonly string[];
  schema: z.ZodType<T>;
  who: Who;
  handle: (ctx: TurnContext, data: T) => Promise<void>;
}): CardVerb {
  return {
    verb: v.verb,
    aliases: v.aliases ?? [],
    who: v.who,
    check(data) {
      const parsed = v.schema.safeParse(data);
      if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((i) => i.path.join('.')) };
      return { ok: true, handle: (ctx) => v.handle(ctx, parsed.data) };
    },
  };
}

/** Whom `help` shows a command to (by their roles in the roster) and where it works. */
export type HelpAudience = 'everyone' | 'coordinator' | 'facilitator';
/** The Teams manifest's command-list scopes: a 1:1 chat, a team channel, a group chat. */
export type HelpScope = 'personal' | 'team' | 'groupChat';

/**
 * A command's line in `help` and in the app manifest's `commandLists` (test/integration/appPackage.test.ts
 * checks the manifest against these): the title Teams puts in the compose box, and what it does.
 */
export interface CommandHelp {
  /** At most 32 characters (the manifest's limit). */
  readonly title: string;
  /** At most 128 characters; the same words in `help` and in Teams' command menu. */
  readonly description: string;
  /** How to type it when the title alone is not the whole command, e.g. "case RJ-2026-0007". */
  readonly usage?: string;
  /** Everyone, or the roles it is for (a person holding any of them sees it). */
  readonly audience: readonly HelpAudience[];
  readonly scopes: readonly HelpScope[];
}

/** A typed command: exact texts (after normaliseCommand), or one pattern for a command with an argument. */
export interface ExactCommand {
  readonly texts: readonly [string, ...string[]];
  readonly who: Who;
  /** Listed by `help` and in the manifest; a command without it (an alias, cancel) is not advertised. */
  readonly help?: CommandHelp;
  handle(ctx: TurnContext): Promise<void>;
}
/** Tried after every exact command, in list order; matched against the normalised text. */
export interface PatternCommand {
  readonly pattern: RegExp;
  readonly who: Who;
  readonly help?: CommandHelp;
  handle(ctx: TurnContext, match: RegExpMatchArray): Promise<void>;
}
export type TextCommand = ExactCommand | PatternCommand;

export function defineCommand(c: ExactCommand): TextCommand {
  return c;
}

export function definePatternCommand(c: PatternCommand): TextCommand {
  return c;
}

/** The advertised commands, in list order: what `help` and the manifest's command lists are made of. */
export function helpEntries(commands: readonly TextCommand[]): CommandHelp[] {
  return commands.flatMap((c) => (c.help ? [c.help] : []));
}

/** The commands a person with these roles may use in this kind of conversation, in list order. */
export function helpFor(commands: readonly TextCommand[], roles: { coordinator: boolean; facilitator: boolean }, scope: HelpScope): CommandHelp[] {
  return helpEntries(commands).filter((h) => h.scopes.includes(scope) && h.audience.some((a) => a === 'everyone' || roles[a]));
}

export class DuplicateRouteError extends Error {
  constructor(what: string) {
    super(`${what} is registered twice: every verb, alias and command must have one handler (rename or remove one in the list of src/bot/index.ts)`);
    this.name = 'DuplicateRouteError';
  }
}

export interface RegistryDeps {
  verbs: readonly CardVerb[];
  commands: readonly TextCommand[];
  /** A message that is neither a command nor part of a dialog. */
  fallback: CommandHandler;
  /** Roles as the roster has them now: a read only, nothing is written. */
  roles: (actor: Actor) => Promise<DomainActor>;
  /** The one write as a verb or command starts: the name Teams shows for a staff member, kept for cards. */
  seen: (actor: Actor) => Promise<void>;
}

/** The routing table RjBot reads, built from the one list; throws DuplicateRouteError on any name given twice. */
export function buildRoutes(d: RegistryDeps): Routes {
  const verbs = new Map<string, VerbRoute>();
  for (const v of d.verbs) {
    const route = guardedVerb(v, d);
    for (const name of [v.verb, ...v.aliases]) {
      if (verbs.has(name)) throw new DuplicateRouteError(`The card verb "${name}"`);
      verbs.set(name, route);
    }
  }
  const commands = new Map<string, CommandHandler>();
  const patterns: PatternRoute[] = [];
  const seenPatterns = new Set<string>();
  for (const c of d.commands) {
    if ('texts' in c) {
      for (const text of c.texts) {
        if (commands.has(text)) throw new DuplicateRouteError(`The command "${text}"`);
        commands.set(text, (ctx) => guarded(ctx, c.who, d, (m) => refuseInChat(ctx, m), () => c.handle(ctx)));
      }
    } else {
      const key = c.pattern.toString();
      if (seenPatterns.has(key)) throw new DuplicateRouteError(`The command pattern ${key}`);
      seenPatterns.add(key);
      patterns.push({ pattern: c.pattern, handle: (ctx, m) => guarded(ctx, c.who, d, (msg) => refuseInChat(ctx, msg), () => c.handle(ctx, m)) });
    }
  }
  return { verbs, commands, patterns, fallback: d.fallback };
}

function guardedVerb(v: CardVerb, d: RegistryDeps): VerbRoute {
  return {
    run: async (ctx, data) => {
      // The data first, as for every verb: a malformed click is a 400 whoever sends it.
      const checked = v.check(data);
      if (!checked.ok) return checked;
      await guarded(ctx, v.who, d, async (message) => replyToCard(ctx, { kind: 'message', text: message, refused: true }), () => checked.handle(ctx));
      return { ok: true };
    },
  };
}

async function guarded(ctx: TurnContext, who: Who, d: RegistryDeps, refuse: (message: string) => Promise<void>, handle: () => Promise<void>): Promise<void> {
  await d.seen(actorOf(ctx));
  if (who.kind === 'coordinators') {
    const allowed = can(await d.roles(actorOf(ctx)), who.action);
    if (!allowed.allowed) {
      await refuse(allowed.message);
      return;
    }
  }
  await handle();
}

async function refuseInChat(ctx: TurnContext, text: string): Promise<void> {
  await ctx.sendActivity(text);
}
