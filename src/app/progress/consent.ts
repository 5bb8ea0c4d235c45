import { PARTIES, PARTY_LABELS } from '../../domain/caseState';
import type { CaseCommand } from '../../domain/lifecycle';
import { validateConsentForm, type FormValues } from '../../domain/progressForms';
import type { Actor } from '../actor';
import { refused, type Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';

/** Consent given, declined or withdrawn, and a coordinator's confirmation that a withdrawal closes the case. */

export async function recordConsent(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'consent', values, nonce, (fv) => validateConsentForm(fv, { now: r.now() }), (entry, form) => {
    const command: CaseCommand = entry.status === 'withdrawn' ? { kind: 'withdraw', party: entry.party } : { kind: 'recordConsent', party: entry.party, status: entry.status };
    const said = entry.status === 'given' ? 'consent saved' : entry.status === 'declined' ? 'refusal saved; a coordinator confirms the closing' : 'withdrawal saved; a coordinator confirms the closing';
    return r.command(actor, caseId, [command], `${capital(PARTY_LABELS[entry.party])}: ${said}.`, {
      form,
      annotate: (e) => (e.type === 'consent_recorded' || e.type === 'consent_withdrawn' ? { on: entry.on } : undefined),
    });
  });
}

export async function confirmWithdrawal(r: ProgressRunner, actor: Actor, caseId: string, party: string): Promise<Reply> {
  const p = PARTIES.find((x) => x === party);
  if (!p) return refused('Say who has withdrawn.');
  return r.command(actor, caseId, [{ kind: 'confirmWithdrawal', party: p }], 'Withdrawal confirmed and the case closed. The referrer has been told the outcome.');
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
