import { TeamsInfo, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { CHANNEL_VERBS, channelCheckAnsweredCard } from '../../../cards/channelCards';
import { channelOf } from '../../app/coordinators';
import { CASE_VERBS } from '../../../cards/verbs';
import type { Assignment } from '../../app/assignment';
import type { ChannelMember, ChannelPlace, Triage } from '../../app/triage';
import { coordinators, defineCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { cardChoice } from '../router';
import { actorOf } from '../turn';
import { answerOnCard, say } from './replies';

/** The coordinators' channel: choosing it, triage of new referrals, and assigning a pair. */
export interface TriageDeps {
  triage: Pick<Triage, 'registerChannel' | 'triage'>;
  assignment: Pick<Assignment, 'assignView' | 'offer' | 'replace' | 'cancelView'>;
}

const id = z.string().trim().min(1).max(64);
const caseData = z.object({ caseId: id }).passthrough();
/** Which card the assign form was opened from (absent on cards posted before it was carried: the channel card). */
const from = cardChoice(['channel', 'replacement'] as const);
const assignStartData = z.object({ caseId: id, from }).passthrough();
const assignCancelData = z.object({ caseId: id, from }).passthrough();
// Decline reasons are checked against their zod enums by the use case, which answers a bad one on the card itself.
const declineData = z.object({ caseId: id, declineReason: z.string().max(64).optional(), declineNote: z.string().max(2000).optional() }).passthrough();
const assignData = z
  .object({ caseId: id, facilitatorA: z.string().max(64).optional(), facilitatorB: z.string().max(64).optional(), removeFacilitator: z.string().max(64).optional(), from })
  .passthrough();

/** Where the command (or the check card's click) came from: the channel itself, not the thread it is in. */
function placeOf(ctx: TurnContext): ChannelPlace {
  const a = ctx.activity;
  const data = teamsChannelData.safeParse(a.channelData);
  const channelId = data.success ? data.data.channel?.id : undefined;
  const teamId = data.success ? data.data.team?.id : undefined;
  const { activityId: _activityId, ...reference } = TurnContext.getConversationReference(a);
  const conversation = { ...reference.conversation, id: channelId ?? channelOf(a.conversation.id) };
  return {
    conversationId: a.conversation.id,
    conversationType: a.conversation.conversationType ?? 'personal',
    ...(channelId ? { channelId } : {}),
    ...(teamId ? { teamId } : {}),
    tenantId: actorOf(ctx).tenantId,
    serviceUrl: a.serviceUrl,
    reference: { ...reference, conversation },
  };
}

const teamsChannelData = z.object({
  channel: z.object({ id: z.string().min(1) }).passthrough().optional(),
  team: z.object({ id: z.string().min(1) }).passthrough().optional(),
}).passthrough();

/** Everyone in the channel's team, page by page, as Teams lists them (GET /v3/conversations/{team}/pagedmembers). */
async function teamMembers(ctx: TurnContext): Promise<ChannelMember[]> {
  const out: ChannelMember[] = [];
  let token: string | undefined;
  // A team has at most 25,000 members: 500 pages of 50 is the ceiling, never a loop without end.
  for (let page = 0; page < 500; page++) {
    const r = await TeamsInfo.getPagedMembers(ctx, 500, token);
    for (const m of r.members) {
      out.push({
        ...(m.aadObjectId ? { aadObjectId: m.aadObjectId.toLowerCase() } : {}),
        ...(m.tenantId ? { tenantId: m.tenantId } : {}),
        ...(m.userRole ? { userRole: m.userRole } : {}),
        ...(m.name ? { name: m.name } : {}),
      });
    }
    token = r.continuationToken || undefined;
    if (!token) return out;
  }
  throw new Error('the team has more members than the bot lists');
}

export const useThisChannel = (d: TriageDeps): TextCommand =>
  defineCommand({
    texts: ['use this channel for referrals'],
    who: coordinators('chooseChannel'),
    handle: async (ctx) => {
      await say(ctx, await d.triage.registerChannel(actorOf(ctx), placeOf(ctx), () => teamMembers(ctx)));
    },
  });

/** The check card's Confirm: the channel is checked again (people may have joined since) and used. */
export const channelConfirm = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CHANNEL_VERBS.confirm,
    schema: z.object({}).passthrough(),
    who: coordinators('chooseChannel'),
    handle: async (ctx) => {
      const r = await d.triage.registerChannel(actorOf(ctx), placeOf(ctx), () => teamMembers(ctx), true);
      answerOnCard(ctx, r.kind === 'message' ? { kind: 'card', card: channelCheckAnsweredCard(r.text) } : r);
    },
  });

export const channelCancel = (): CardVerb =>
  defineVerb({
    verb: CHANNEL_VERBS.cancel,
    schema: z.object({}).passthrough(),
    who: coordinators('chooseChannel'),
    handle: async (ctx) => {
      answerOnCard(ctx, { kind: 'card', card: channelCheckAnsweredCard('Cancelled: this channel is not used for referrals. Nothing was changed.') });
    },
  });

export const triageAccept = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.triageAccept,
    schema: caseData,
    who: coordinators('triage'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.triage.triage(actorOf(ctx), data.caseId, 'accept')),
  });

export const triageDecline = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.triageDecline,
    schema: declineData,
    who: coordinators('triage'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.triage.triage(actorOf(ctx), data.caseId, 'decline', data.declineReason, data.declineNote)),
  });

export const assignStart = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.assignStart,
    schema: assignStartData,
    who: coordinators('assign'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.assignment.assignView(actorOf(ctx), data.caseId, undefined, data.from)),
  });

/** Cancel on the assign or replace form: the card it came from, nothing changed. */
export const assignCancel = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.assignCancel,
    schema: assignCancelData,
    who: coordinators('assign'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.assignment.cancelView(actorOf(ctx), data.caseId, data.from ?? 'channel')),
  });

/** A pair (or replacements for those who declined), or, with `removeFacilitator`, one swap. */
export const assignConfirm = (d: TriageDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.assignConfirm,
    schema: assignData,
    who: coordinators('assign'),
    handle: async (ctx, data) => {
      const actor = actorOf(ctx);
      const r = data.removeFacilitator && data.facilitatorA
        ? await d.assignment.replace(actor, data.caseId, data.removeFacilitator, data.facilitatorA, data.from)
        : await d.assignment.offer(actor, data.caseId, data.facilitatorA ?? '', data.facilitatorB || undefined, data.from);
      answerOnCard(ctx, r);
    },
  });
