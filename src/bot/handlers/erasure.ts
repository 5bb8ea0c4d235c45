import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import type { ErasureRequests } from '../../app/erasure';
import { coordinators, definePatternCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { actorOf } from '../turn';
import { answerOnCard, sayPrivately } from './replies';

/** Erasure requests for one participant of a case, for coordinators, in their 1:1 chat. */
export interface ErasureDeps {
  erasure: Pick<ErasureRequests, 'start' | 'record' | 'view' | 'erase' | 'refuse' | 'cancel'>;
}

const id = z.string().trim().min(1).max(64);
const recordData = z.object({ caseId: id, party: z.string().max(32), receivedOn: z.string().max(32).optional() }).passthrough();
const requestData = z.object({ caseId: id, requestId: id }).passthrough();
const eraseData = requestData.extend({ confirmed: z.literal('yes').optional() });
const refuseData = requestData.extend({ refusalReason: z.string().max(2000).optional() });
const cancelData = z.object({ caseId: id }).passthrough();

/** `erase RJ-2026-0001 harmed person` (or `… person who caused the harm`). */
export const eraseCommand = (d: ErasureDeps): TextCommand =>
  definePatternCommand({
    pattern: /^erase (rj-\d{4}-\d{4,})(?: (.+))?$/,
    who: coordinators('erasure'),
    handle: (ctx, m) => sayPrivately(ctx, () => d.erasure.start(actorOf(ctx), m[1]!.toUpperCase(), m[2] ?? '')),
  });

export const recordErasure = (d: ErasureDeps): CardVerb =>
  defineVerb({ verb: CASE_VERBS.erasureRecord, schema: recordData, who: coordinators('erasure'), handle: async (ctx, data) => answerOnCard(ctx, await d.erasure.record(actorOf(ctx), data.caseId, data.party, data.receivedOn)) });

export const viewErasure = (d: ErasureDeps): CardVerb =>
  defineVerb({ verb: CASE_VERBS.erasureView, schema: requestData, who: coordinators('erasure'), handle: async (ctx, data) => answerOnCard(ctx, await d.erasure.view(actorOf(ctx), data.caseId, data.requestId)) });

export const eraseNow = (d: ErasureDeps): CardVerb =>
  defineVerb({ verb: CASE_VERBS.erasureErase, schema: eraseData, who: coordinators('erasure'), handle: async (ctx, data) => answerOnCard(ctx, await d.erasure.erase(actorOf(ctx), data.caseId, data.requestId, data.confirmed === 'yes')) });

export const refuseErasure = (d: ErasureDeps): CardVerb =>
  defineVerb({ verb: CASE_VERBS.erasureRefuse, schema: refuseData, who: coordinators('erasure'), handle: async (ctx, data) => answerOnCard(ctx, await d.erasure.refuse(actorOf(ctx), data.caseId, data.requestId, data.refusalReason)) });

export const cancelErasure = (d: ErasureDeps): CardVerb =>
  defineVerb({ verb: CASE_VERBS.erasureCancel, schema: cancelData, who: coordinators('erasure'), handle: async (ctx, data) => answerOnCard(ctx, await d.erasure.cancel(actorOf(ctx), data.caseId)) });
