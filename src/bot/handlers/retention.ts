import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import type { LegalHolds } from '../../app/retention';
import { coordinators, definePatternCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { actorOf } from '../turn';
import { answerOnCard, sayPrivately } from './replies';

/** Legal hold on a case (retention), for coordinators, in their 1:1 chat. */
export interface RetentionDeps {
  holds: Pick<LegalHolds, 'form' | 'place' | 'cancel' | 'lift'>;
}

const caseId = z.string().trim().min(1).max(64);
const placeData = z.object({ caseId, holdReason: z.string().max(2000).optional() }).passthrough();
const cancelData = z.object({ caseId }).passthrough();

/** `hold RJ-2026-0001`: the form asking why. */
export const holdCommand = (d: RetentionDeps): TextCommand =>
  definePatternCommand({
    pattern: /^hold (rj-\d{4}-\d{4,})$/,
    who: coordinators('legalHold'),
    handle: (ctx, m) => sayPrivately(ctx, () => d.holds.form(actorOf(ctx), m[1]!.toUpperCase())),
  });

/** `lift hold RJ-2026-0001`. */
export const liftHoldCommand = (d: RetentionDeps): TextCommand =>
  definePatternCommand({
    pattern: /^lift hold (rj-\d{4}-\d{4,})$/,
    who: coordinators('legalHold'),
    handle: (ctx, m) => sayPrivately(ctx, () => d.holds.lift(actorOf(ctx), m[1]!.toUpperCase())),
  });

export const placeHold = (d: RetentionDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.legalHoldPlace,
    schema: placeData,
    who: coordinators('legalHold'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.holds.place(actorOf(ctx), data.caseId, data.holdReason)),
  });

export const cancelHold = (d: RetentionDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.legalHoldCancel,
    schema: cancelData,
    who: coordinators('legalHold'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.holds.cancel(actorOf(ctx), data.caseId)),
  });
