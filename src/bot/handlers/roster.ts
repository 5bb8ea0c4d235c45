import { TeamsInfo, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import { REMOVAL_OPS, ROSTER_OPS, type RosterService } from '../../app/rosterService';
import type { Logger } from '../../log';
import { coordinators, defineCommand, definePatternCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { cardChoice } from '../router';
import { actorOf, isPersonalChat, replyToCard } from '../turn';
import { sendCard } from './replies';

/** The facilitator roster, managed by coordinators from chat. */
export interface RosterDeps {
  roster: Pick<RosterService, 'card' | 'add' | 'update' | 'remove' | 'history' | 'removalQuestion'>;
  log: Logger;
}

const rosterAddData = z.object({ newMember: z.string().max(64).optional(), newRole: cardChoice(['facilitator', 'coordinator'] as const) }).passthrough();
const rosterUpdateData = z
  .object({
    op: z.enum(ROSTER_OPS),
    aadObjectId: z.string().max(64),
    maxPerson: z.string().max(64).optional(),
    maxCases: z.union([z.string().regex(/^\d{1,2}$/).transform(Number), z.literal('')]).optional().transform((v) => (v === '' ? undefined : v)),
    /** Set only by a removal's Confirm: without it a removal asks first (older roster cards included). */
    confirmed: z.literal('yes').optional(),
  })
  .passthrough();
const showData = z.object({ cancelled: z.literal('yes').optional() }).passthrough();
const historyData = z.object({ page: z.coerce.number().int().min(1).max(10_000).optional() }).passthrough();

/** People in the current team or group chat (for adding to the roster); none in a 1:1 chat. */
async function conversationMembers(ctx: TurnContext, log: Logger): Promise<{ aadObjectId: string; name: string; tenantId?: string }[]> {
  if (isPersonalChat(ctx)) return [];
  try {
    const page = await TeamsInfo.getPagedMembers(ctx, 200);
    return page.members
      .filter((m) => m.aadObjectId)
      .map((m) => ({ aadObjectId: m.aadObjectId!.toLowerCase(), name: m.name ?? m.givenName ?? 'Unnamed', tenantId: m.tenantId }));
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not list conversation members');
    return [];
  }
}

/** The people @mentioned in the message, other than the bot. */
function mentionsOf(ctx: TurnContext): { id: string; name?: string }[] {
  const botId = ctx.activity.recipient.id;
  return (ctx.activity.entities ?? [])
    .filter((e) => e.type === 'mention')
    .map((e) => (e as { mentioned?: { id?: string; name?: string } }).mentioned)
    .filter((x): x is { id: string; name?: string } => typeof x?.id === 'string' && x.id !== botId);
}

/** A mention carries the Teams user id; the roster is keyed by the Entra object id Teams resolves it to. */
async function aadIdOf(ctx: TurnContext, person: { id: string }, log: Logger): Promise<string | undefined> {
  try {
    const member = await TeamsInfo.getMember(ctx, person.id);
    return member.aadObjectId?.toLowerCase() || undefined;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'roster: member look-up failed');
    return undefined;
  }
}

export const rosterCommand = (d: RosterDeps): TextCommand =>
  defineCommand({
    texts: ['roster'],
    who: coordinators('manageRoster'),
    help: { title: 'roster', description: 'Manage the facilitator roster', audience: ['coordinator'], scopes: ['personal', 'team', 'groupChat'] },
    handle: async (ctx) => {
      const r = await d.roster.card(actorOf(ctx), await conversationMembers(ctx, d.log));
      if (r.ok) await sendCard(ctx, r.card);
      else await ctx.sendActivity(r.message);
    },
  });

export const rosterHistoryCommand = (d: RosterDeps): TextCommand =>
  defineCommand({
    texts: ['roster history'],
    who: coordinators('viewRosterHistory'),
    help: { title: 'roster history', description: 'Who changed the roster and how, latest first', audience: ['coordinator'], scopes: ['personal', 'team', 'groupChat'] },
    handle: async (ctx) => {
      const r = await d.roster.history(actorOf(ctx));
      if (r.ok) await sendCard(ctx, r.card);
      else await ctx.sendActivity(r.message);
    },
  });

/** `roster add @name` (facilitator) or `roster add coordinator @name`. */
export const rosterAddByMention = (d: RosterDeps): TextCommand =>
  definePatternCommand({
    pattern: /^roster add( coordinator)?\b/,
    who: coordinators('manageRoster'),
    help: {
      title: 'roster add', usage: 'roster add @name', description: 'Add the @mentioned people as facilitators (roster add coordinator @name: as a coordinator)',
      audience: ['coordinator'], scopes: ['team', 'groupChat'],
    },
    handle: async (ctx, m) => {
      const role = m[1] ? 'coordinator' : 'facilitator';
      const mentioned = mentionsOf(ctx);
      if (mentioned.length === 0) {
        await ctx.sendActivity('Mention the person to add, e.g. **roster add @Sam Example**, in a team or chat they are in.');
        return;
      }
      const lines: string[] = [];
      for (const person of mentioned) {
        try {
          const member = await TeamsInfo.getMember(ctx, person.id);
          if (!member.aadObjectId) throw new Error('no aadObjectId');
          const r = await d.roster.add(actorOf(ctx), { aadObjectId: member.aadObjectId.toLowerCase(), name: member.name ?? person.name ?? 'Unnamed', tenantId: member.tenantId }, role);
          lines.push(typeof r === 'string' ? r : r.error);
        } catch (err) {
          d.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'roster add: member look-up failed');
          lines.push(`${person.name ?? 'That person'} could not be found in this conversation.`);
        }
      }
      await ctx.sendActivity(lines.join('\n\n'));
    },
  });

/** `roster remove @name`: every role the person holds, once a confirmation card is answered. */
export const rosterRemoveByMention = (d: RosterDeps): TextCommand =>
  definePatternCommand({
    pattern: /^roster remove\b/,
    who: coordinators('manageRoster'),
    help: { title: 'roster remove', usage: 'roster remove @name', description: 'Take the @mentioned person off the roster (asks to confirm)', audience: ['coordinator'], scopes: ['team', 'groupChat'] },
    handle: async (ctx) => {
      const mentioned = mentionsOf(ctx);
      if (mentioned.length === 0) {
        await ctx.sendActivity('Mention the person to remove, e.g. **roster remove @Sam Example**, in a team or chat they are in.');
        return;
      }
      const lines: string[] = [];
      for (const person of mentioned) {
        const aadObjectId = await aadIdOf(ctx, person, d.log);
        if (!aadObjectId) {
          lines.push(`${person.name ?? 'That person'} could not be found in this conversation.`);
          continue;
        }
        const q = await d.roster.removalQuestion(actorOf(ctx), aadObjectId, 'removeAll');
        if (q.ok) await sendCard(ctx, q.card);
        else lines.push(q.message);
      }
      if (lines.length > 0) await ctx.sendActivity(lines.join('\n\n'));
    },
  });

export const rosterAdd = (d: RosterDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.rosterAdd,
    schema: rosterAddData,
    who: coordinators('manageRoster'),
    handle: async (ctx, data) => {
      const actor = actorOf(ctx);
      const members = await conversationMembers(ctx, d.log);
      const person = members.find((m) => m.aadObjectId === data.newMember?.toLowerCase());
      const r = person ? await d.roster.add(actor, person, data.newRole ?? 'facilitator') : { error: 'Choose a person from the list first.' };
      if (typeof r !== 'string') {
        replyToCard(ctx, { kind: 'message', text: r.error });
        return;
      }
      const card = await d.roster.card(actor, members, r);
      replyToCard(ctx, card.ok ? { kind: 'card', card: card.card } : { kind: 'message', text: card.message });
    },
  });

export const rosterUpdate = (d: RosterDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.rosterUpdate,
    schema: rosterUpdateData,
    who: coordinators('manageRoster'),
    handle: async (ctx, data) => {
      const actor = actorOf(ctx);
      if (REMOVAL_OPS.includes(data.op) && data.confirmed !== 'yes') {
        const q = await d.roster.removalQuestion(actor, data.aadObjectId, data.op === 'remove' ? 'remove' : data.op === 'removeCoordinator' ? 'removeCoordinator' : 'removeAll');
        replyToCard(ctx, q.ok ? { kind: 'card', card: q.card } : { kind: 'message', text: q.message });
        return;
      }
      const target = data.op === 'maxCases' ? data.maxPerson ?? '' : data.aadObjectId;
      const r = await d.roster.update(actor, target, data.op, data.maxCases);
      if (typeof r !== 'string') {
        replyToCard(ctx, { kind: 'message', text: r.error });
        return;
      }
      const card = await d.roster.card(actor, await conversationMembers(ctx, d.log), r);
      replyToCard(ctx, card.ok ? { kind: 'card', card: card.card } : { kind: 'message', text: card.message });
    },
  });

export const rosterHistory = (d: RosterDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.rosterHistory,
    schema: historyData,
    who: coordinators('viewRosterHistory'),
    handle: async (ctx, data) => {
      const r = await d.roster.history(actorOf(ctx), data.page ?? 1);
      replyToCard(ctx, r.ok ? { kind: 'card', card: r.card } : { kind: 'message', text: r.message });
    },
  });

/** The roster card again: help's Roster button, and a removal's Cancel (nothing changed). */
export const rosterShow = (d: RosterDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.rosterShow,
    schema: showData,
    who: coordinators('manageRoster'),
    handle: async (ctx, data) => {
      const r = await d.roster.card(actorOf(ctx), await conversationMembers(ctx, d.log), data.cancelled ? 'Nothing was changed.' : undefined);
      replyToCard(ctx, r.ok ? { kind: 'card', card: r.card } : { kind: 'message', text: r.message });
    },
  });
