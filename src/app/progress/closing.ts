import { randomUUID } from 'node:crypto';
import { CLOSING_OUTCOMES } from '../../domain/caseState';
import { validateCloseForm, validateReasonForm, type FormValues } from '../../domain/progressForms';
import type { Actor } from '../actor';
import type { Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';

/** Closing a case (the referrer is told the outcome category only) and reopening it. */

export async function close(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'close', values, nonce, (fv) => validateCloseForm(fv), (entry, form) => {
    const noteId = entry.note ? randomUUID() : undefined;
    return r.command(actor, caseId, [{ kind: 'close', outcome: entry.outcome }], `Case closed: ${CLOSING_OUTCOMES[entry.outcome].toLowerCase()}. The referrer has been told the outcome.`, {
      form,
      annotate: (e) => (e.type === 'case_closed' && noteId ? { noteId } : undefined),
      extra: (tx, events) => (noteId && entry.note ? r.note(tx, events, 'case_closed', noteId, 'closing', entry.note, actor) : Promise.resolve()),
    });
  });
}

export async function reopen(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'reopen', values, nonce, (fv) => validateReasonForm(fv, 'reopenReason', 'Give a reason for reopening the case.'), (entry, form) => {
    const noteId = randomUUID();
    // The reason is free text: it goes to case_notes, and the event keeps a pointer to it.
    return r.command(actor, caseId, [{ kind: 'reopen', reason: 'reason in case notes' }], 'Case reopened.', {
      form,
      annotate: (e) => (e.type === 'case_reopened' ? { noteId } : undefined),
      extra: (tx, events) => r.note(tx, events, 'case_reopened', noteId, 'reopening', entry.reason, actor),
    });
  });
}
