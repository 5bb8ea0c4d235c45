import { TeamsInfo, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import { attachment } from '../../cards/adaptive';
import { CASE_VERBS } from '../../cards/verbs';
import type { CaseWorkflow, Reply } from '../app/caseWorkflow';
import { ROSTER_OPS, type RosterService } from '../app/rosterService';
import type { Logger } from '../log';
import { cardChoice, verb, type VerbRoute, type CommandHandler } from './router';
import { actorOf, isPersonalChat, replyToCard, type CardReply } from './turn';

export interface CaseHandlerDeps {
  workflow: CaseWorkflow;
  roster: RosterService;
  log: Logger;
}

const id = z.string().trim().min(1).max(64);
const caseData = z.object({ caseId: id }).passthrough();
// Decline reasons are checked against their zod enums by the workflow, which answers a bad one on the card itself.
const declineData = z.object({ caseId: id, declineReason: z.string().max(64).optional(), declineNote: z.string().max(2000).optional() }).passthrough();
const assignData = z
  .object({ caseId: id, facilitatorA: z.string().max(64).optional(), facilitatorB: z.string().max(64).optional(), removeFacilitator: z.string().max(64).optional() })
  .passthrough();
const offerData = z.object({ offerId: id, declineReason: z.string().max(64).optional() }).passthrough();
const rosterAddData = z.object({ newMember: z.string().max(64).optional(), newRole: cardChoice(['facilitator', 'coordinator'] as const) }).passthrough();
const rosterUpdateData = z
  .object({
    op: z.enum(ROSTER_OPS),
    aadObjectId: z.string().max(64),
    maxPerson: z.string().max(64).optional(),
    maxCases: z.union([z.string().regex(/^\d{1,2}$/).transform(Number), z.literal('')]).optional().transform((v) => (v === '' ? undefined : v)),
  })
  .passthrough();
const historyData = z.object({ page: z.coerce.number().int().min(1).max(10_000).optional() }).passthrough();

function toCardReply(r: Reply): CardReply {
  if (r.kind === 'card') return { kind: 'card', card: r.card };
  if (r.kind === 'message') return { kind: 'message', text: r.text };
  return { kind: 'message', text: r.message, refused: true };
}

/** Typed commands answer in the chat; card actions answer on the card. */
async function say(ctx: TurnContext, r: Reply): Promise<void> {
  if (r.kind === 'card') await ctx.sendActivity({ type: 'message', attachments: [attachment(r.card)] });
  else await ctx.sendActivity(r.kind === 'message' ? r.text : r.message);
}

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

export function caseCommands(d: CaseHandlerDeps): { commands: [string, CommandHandler][]; patterns: { pattern: RegExp; handle: (ctx: TurnContext, m: RegExpMatchArray) => Promise<void> }[] } {
  const roster: CommandHandler = async (ctx) => {
    const r = await d.roster.card(actorOf(ctx), await conversationMembers(ctx, d.log));
    if (r.ok) await ctx.sendActivity({ type: 'message', attachments: [attachment(r.card)] });
    else await ctx.sendActivity(r.message);
  };
  const useChannel: CommandHandler = async (ctx) => {
    await say(ctx, await d.workflow.registerChannel(actorOf(ctx), ctx.activity.conversation.id, ctx.activity.conversation.conversationType ?? 'personal'));
  };
  const rosterAddByMention = async (ctx: TurnContext, m: RegExpMatchArray) => {
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
  };
  const rosterRemoveByMention = async (ctx: TurnContext) => {
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
      const r = await d.roster.remove(actorOf(ctx), aadObjectId);
      lines.push(typeof r === 'string' ? r : r.error);
    }
    await ctx.sendActivity(lines.join('\n\n'));
  };
  const rosterHistory: CommandHandler = async (ctx) => {
    const r = await d.roster.history(actorOf(ctx));
    if (r.ok) await ctx.sendActivity({ type: 'message', attachments: [attachment(r.card)] });
    else await ctx.sendActivity(r.message);
  };
  return {
    commands: [
      ['use this channel for referrals', useChannel],
      ['roster', roster],
      ['roster history', rosterHistory],
    ],
    patterns: [
      { pattern: /^roster add( coordinator)?\b/, handle: rosterAddByMention },
      { pattern: /^roster remove\b/, handle: rosterRemoveByMention },
    ],
  };
}

export function caseVerbs(d: CaseHandlerDeps): [string, VerbRoute][] {
  const reply = (ctx: TurnContext, r: Reply) => replyToCard(ctx, toCardReply(r));
  return [
    [CASE_VERBS.triageAccept, verb(caseData, async (ctx, data) => reply(ctx, await d.workflow.triage(actorOf(ctx), data.caseId, 'accept')))],
    [CASE_VERBS.triageDecline, verb(declineData, async (ctx, data) => reply(ctx, await d.workflow.triage(actorOf(ctx), data.caseId, 'decline', data.declineReason, data.declineNote)))],
    [CASE_VERBS.assignStart, verb(caseData, async (ctx, data) => reply(ctx, await d.workflow.assignView(actorOf(ctx), data.caseId)))],
    [CASE_VERBS.assignConfirm, verb(assignData, async (ctx, data) => {
      const actor = actorOf(ctx);
      const r = data.removeFacilitator && data.facilitatorA
        ? await d.workflow.replace(actor, data.caseId, data.removeFacilitator, data.facilitatorA)
        : await d.workflow.offer(actor, data.caseId, data.facilitatorA ?? '', data.facilitatorB || undefined);
      reply(ctx, r);
    })],
    [CASE_VERBS.offerAccept, verb(offerData, async (ctx, data) => reply(ctx, await d.workflow.answerOffer(actorOf(ctx), data.offerId, 'accept')))],
    [CASE_VERBS.offerDecline, verb(offerData, async (ctx, data) => reply(ctx, await d.workflow.answerOffer(actorOf(ctx), data.offerId, 'decline', data.declineReason)))],
    [CASE_VERBS.offerRefresh, verb(offerData, async (ctx, data) => reply(ctx, await d.workflow.offerCardFor(actorOf(ctx), data.offerId)))],
    [CASE_VERBS.rosterAdd, verb(rosterAddData, async (ctx, data) => {
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
    })],
    [CASE_VERBS.rosterUpdate, verb(rosterUpdateData, async (ctx, data) => {
      const actor = actorOf(ctx);
      const target = data.op === 'maxCases' ? data.maxPerson ?? '' : data.aadObjectId;
      const r = await d.roster.update(actor, target, data.op, data.maxCases);
      if (typeof r !== 'string') {
        replyToCard(ctx, { kind: 'message', text: r.error });
        return;
      }
      const card = await d.roster.card(actor, await conversationMembers(ctx, d.log), r);
      replyToCard(ctx, card.ok ? { kind: 'card', card: card.card } : { kind: 'message', text: card.message });
    })],
    [CASE_VERBS.rosterHistory, verb(historyData, async (ctx, data) => {
      const r = await d.roster.history(actorOf(ctx), data.page ?? 1);
      replyToCard(ctx, r.ok ? { kind: 'card', card: r.card } : { kind: 'message', text: r.message });
    })],
  ];
}
