import type { Actor } from '../actor';
import type { Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';

/** Recording that an outcome agreement was reviewed. */

export async function reviewAgreement(r: ProgressRunner, actor: Actor, caseId: string): Promise<Reply> {
  return r.command(actor, caseId, [{ kind: 'reviewAgreement' }], 'Outcome agreement recorded as reviewed.');
}
