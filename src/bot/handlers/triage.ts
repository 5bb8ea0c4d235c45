import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import type { Assignment } from '../../app/assignment';
import type { Triage } from '../../app/triage';
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

export const useThisChannel = (d: TriageDeps): TextCommand =>
  defineCommand({
    texts: ['use this channel for referrals'],
    who: coordinators('chooseChannel'),
    handle: async (ctx) => {
      await say(ctx, await d.triage.registerChannel(actorOf(ctx), ctx.activity.conversation.id, ctx.activity.conversation.conversationType ?? 'personal'));
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
