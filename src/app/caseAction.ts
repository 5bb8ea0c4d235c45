import { can, type Action, type Actor as DomainActor } from '../domain/permissions';
import { CaseNotFoundError } from '../store/assignmentRepository';
import type { CaseLocks, LockedTx } from '../store/caseLock';
import type { Actor } from './actor';
import { refused, type Reply } from './reply';

/** Who is acting, if the permission table lets them take `action`; otherwise the refusal in its words. */
export async function allowedTo(roles: (actor: Actor) => Promise<DomainActor>, actor: Actor, action: Action): Promise<DomainActor | Reply> {
  const who = await roles(actor);
  const p = can(who, action);
  return p.allowed ? who : refused(p.message);
}

/** Runs `fn` under the case's row lock; an unknown case is a refusal, not an error. */
export async function inLockedCase(locks: Pick<CaseLocks, 'withCaseLocked'>, caseId: string, fn: (tx: LockedTx) => Promise<Reply>): Promise<Reply> {
  try {
    return await locks.withCaseLocked(caseId, fn);
  } catch (err) {
    if (err instanceof CaseNotFoundError) return refused('That case could not be found.');
    throw err;
  }
}

/** The answer to a typed reference that matches no case. */
export const noSuchCase = (reference: string): Reply => refused(`There is no case ${reference}. Check the reference (it looks like RJ-2026-0001).`);
