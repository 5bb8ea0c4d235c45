import type { CaseEvent, CaseFacts, Party } from './caseState';
import { pendingWithdrawals } from './caseState';
import { availableCommands } from './lifecycle';
import type { Actor } from './permissions';

/**
 * Steps only a coordinator can take, on which a case waits: a high risk assessment to sign off, and
 * a participant's refusal or withdrawal to confirm (which closes the case). Nothing else in the
 * lifecycle waits on a coordinator once a pair is confirmed: triage and a replacement after a
 * declined offer have their own channel posts.
 */
export type CoordinatorWait = { readonly kind: 'riskSignOff' } | { readonly kind: 'withdrawal'; readonly party: Party };

/** Any coordinator: whether the lifecycle offers the step at this stage does not depend on who. */
const A_COORDINATOR: Actor = { aadObjectId: '', tenantId: '', staffTenant: true, coordinator: true, facilitator: false };

const PARTY_WORDS: Readonly<Record<Party, string>> = { harmed_person: 'the harmed person', offender: 'the person who caused the harm' };

export function coordinatorWaits(facts: CaseFacts): CoordinatorWait[] {
  const kinds = new Set(availableCommands(facts, A_COORDINATOR));
  const out: CoordinatorWait[] = [];
  if (kinds.has('signOffRisk') && facts.risk?.level === 'high' && !facts.risk.signedOff) out.push({ kind: 'riskSignOff' });
  if (kinds.has('confirmWithdrawal')) for (const party of pendingWithdrawals(facts)) out.push({ kind: 'withdrawal', party });
  return out;
}

/**
 * The waits these events have just started: the ones to tell coordinators about now. A repeat of an
 * answer already waiting (a second high assessment before sign-off) starts it again, so the
 * coordinators are reminded; a change that leaves a wait untouched says nothing.
 */
export function waitsStartedBy(events: readonly CaseEvent[], after: CaseFacts): CoordinatorWait[] {
  return coordinatorWaits(after).filter((w) =>
    w.kind === 'riskSignOff'
      ? events.some((e) => e.type === 'risk_assessed' && e.level === 'high')
      : events.some((e) => (e.type === 'consent_withdrawn' || (e.type === 'consent_recorded' && e.status === 'declined')) && e.party === w.party),
  );
}

/** One line for the coordinators' channel card and the notice: what the case is waiting for. */
export function waitLabel(w: CoordinatorWait): string {
  return w.kind === 'riskSignOff'
    ? 'Waiting for risk sign-off: a coordinator must sign off the high risk assessment.'
    : `Waiting for a coordinator: ${PARTY_WORDS[w.party]} declined or withdrew consent; confirm to close the case.`;
}
