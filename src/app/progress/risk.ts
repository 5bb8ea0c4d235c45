import { randomUUID } from 'node:crypto';
import { validateRiskForm, type FormValues } from '../../domain/progressForms';
import type { Actor } from '../actor';
import type { Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';

/** The risk assessment and a coordinator's sign-off of a high risk. */

export async function recordRisk(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'risk', values, nonce, (fv) => validateRiskForm(fv, { now: r.now() }), (entry, form) => {
    const noteId = randomUUID();
    return r.command(actor, caseId, [{ kind: 'recordRisk', level: entry.level }], entry.level === 'high' ? 'Risk assessment saved. A coordinator must sign off the high risk.' : 'Risk assessment saved.', {
      form,
      annotate: (e) => (e.type === 'risk_assessed' ? { on: entry.on, noteId } : undefined),
      extra: (tx, events, _facts) => r.note(tx, events, 'risk_assessed', noteId, 'risk', entry.summary, actor),
    });
  });
}

export async function signOffRisk(r: ProgressRunner, actor: Actor, caseId: string): Promise<Reply> {
  return r.command(actor, caseId, [{ kind: 'signOffRisk' }], 'High risk assessment signed off.');
}
