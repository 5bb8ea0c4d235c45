import { INDIRECT_METHODS } from '../../domain/caseState';
import { validateIndirectForm, type FormValues } from '../../domain/progressForms';
import type { Actor } from '../actor';
import type { Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';

/** Choosing indirect communication instead of a conference. */

export async function chooseIndirect(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'indirect', values, nonce, (fv) => validateIndirectForm(fv), (entry, form) =>
    r.command(actor, caseId, [{ kind: 'chooseIndirect', method: entry.method }], `Indirect communication (${INDIRECT_METHODS[entry.method].toLowerCase()}) recorded.`, { form }),
  );
}
