import { z } from 'zod';
import { CASE_VERBS } from '../../../cards/verbs';
import type { AccessAudit } from '../../app/accessAudit';
import { coordinators, definePatternCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { actorOf } from '../turn';
import { answerOnCard, sayPrivately } from './replies';

/** The access audit of a case: who saw its details and who changed it, for coordinators. */
export interface AuditDeps {
  audit: Pick<AccessAudit, 'trail'>;
}

const pageData = z.object({ caseId: z.string().trim().min(1).max(64), page: z.coerce.number().int().min(1).max(100_000) }).passthrough();

/** `audit RJ-2026-0001`: in the coordinator's 1:1 chat, like every case command. */
export const auditCommand = (d: AuditDeps): TextCommand =>
  definePatternCommand({
    pattern: /^audit (rj-\d{4}-\d{4,})$/,
    who: coordinators('viewAudit'),
    handle: (ctx, m) => sayPrivately(ctx, () => d.audit.trail(actorOf(ctx), m[1]!.toUpperCase())),
  });

/** Newer and Older on the audit card. */
export const auditPage = (d: AuditDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.auditPage,
    schema: pageData,
    who: coordinators('viewAudit'),
    handle: async (ctx, data) => answerOnCard(ctx, await d.audit.trail(actorOf(ctx), data.caseId, data.page)),
  });
