import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { legalHoldDoneCard, legalHoldFormCard } from '../../cards/legalHold';
import { caseProgress } from '../domain/caseProgress';
import type { Actor as DomainActor } from '../domain/permissions';
import { CASE_ANONYMISED, closedBefore, draftsBefore, LEGAL_HOLD_LIFTED, LEGAL_HOLD_PLACED, retentionStatus, type RetentionRules } from '../domain/retention';
import { stripUnsafe } from '../domain/text';
import type { Logger } from '../log';
import type { CaseLocks, LockedTx } from '../store/caseLock';
import { owe } from './owed';
import { allowedTo, inLockedCase, noSuchCase } from './caseAction';
import type { RetentionRepository } from '../store/retention';
import { displayDate, type Clock } from '../shared/clock';
import type { Actor } from './actor';
import type { Reply } from './reply';

export interface RetentionDeps {
  locks: Pick<CaseLocks, 'withCaseLocked' | 'withCaseLockedByReference'>;
  repo: Pick<RetentionRepository, 'dueCases' | 'deleteDrafts' | 'clearFiredReReferrals'>;
  rules: RetentionRules;
  clock: Clock;
  log: Logger;
  /** Day-21 reminders of open erasure requests (src/app/erasure.ts): the same daily job runs them. */
  remindErasures?: () => Promise<number>;
}

export interface RetentionOutcome {
  anonymised: number;
  drafts: number;
  reReferrals: number;
  erasureReminders: number;
}

/** Cases per batch: each is its own short transaction under the case's lock. */
const BATCH = 100;

/**
 * The daily retention pass: anonymises closed cases whose retention period has ended (each under its
 * lock, re-checked there, so a reopen or a hold placed meanwhile wins), deletes abandoned drafts and
 * forgets re-referral contacts whose reminder has been decided. Safe to run twice: a case is
 * anonymised once, and nothing else it does depends on having run before.
 */
export class RetentionPass {
  constructor(private readonly d: RetentionDeps) {}

  async run(): Promise<RetentionOutcome> {
    const now = this.d.clock();
    const cutoff = closedBefore(now, this.d.rules);
    let anonymised = 0;
    const skipped = new Set<string>();
    for (;;) {
      const due = (await this.d.repo.dueCases(cutoff, BATCH + skipped.size)).filter((id) => !skipped.has(id));
      if (due.length === 0) break;
      for (const caseId of due) {
        if (await this.anonymise(caseId, now)) anonymised += 1;
        else skipped.add(caseId);
      }
    }
    const drafts = await this.d.repo.deleteDrafts(draftsBefore(now, this.d.rules));
    const reReferrals = await this.d.repo.clearFiredReReferrals();
    const erasureReminders = (await this.d.remindErasures?.()) ?? 0;
    this.d.log.info({ anonymised, drafts, reReferrals, erasureReminders, skipped: skipped.size }, 'retention pass done');
    return { anonymised, drafts, reReferrals, erasureReminders };
  }

  private async anonymise(caseId: string, now: Date): Promise<boolean> {
    try {
      return await this.d.locks.withCaseLocked(caseId, async (tx) => {
        const p = caseProgress(await tx.listEvents());
        const closedAt = await tx.closedAt();
        const status = retentionStatus({ closedAt, heldSince: p.retention.heldSince ?? null, anonymisedAt: p.retention.anonymisedAt ?? null }, now, this.d.rules);
        if (status.kind !== 'due') return false;
        await tx.anonymise(now);
        await tx.appendEvent({ actorAadId: null, actorRole: 'system', type: CASE_ANONYMISED, data: {} });
        await tx.owe([owe.sealCards(caseId)]);
        this.d.log.info({ caseId }, 'case anonymised: retention period ended');
        return true;
      });
    } catch (err) {
      // One case that cannot be anonymised (a corrupt log) must not stop the others; it is retried tomorrow.
      this.d.log.error({ caseId, err: err instanceof Error ? err.message : String(err) }, 'case could not be anonymised');
      return false;
    }
  }
}

const holdReason = z.string().transform((s) => stripUnsafe(s).trim()).pipe(z.string().min(1, 'Give the reason for the hold.').max(500, 'Keep the reason under 500 characters.'));

/** Legal hold: a coordinator keeps a case past its retention period, with a recorded reason. */
export class LegalHolds {
  constructor(private readonly d: Pick<RetentionDeps, 'locks' | 'clock' | 'log'> & { roles: (actor: Actor) => Promise<DomainActor>; findCase: (reference: string) => Promise<{ id: string; reference: string } | undefined> }) {}

  /** `hold RJ-…`: the form that asks why. */
  async form(actor: Actor, reference: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    const c = await this.d.findCase(reference);
    if (!c) return noSuchCase(reference);
    return { kind: 'card', card: legalHoldFormCard({ caseId: c.id, reference: c.reference }) };
  }

  async place(actor: Actor, caseId: string, reason: unknown): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    const checked = holdReason.safeParse(typeof reason === 'string' ? reason : '');
    return this.inCase(caseId, async (tx, reference) => {
      if (!checked.success) return { kind: 'card', card: legalHoldFormCard({ caseId, reference, error: checked.error.issues[0]?.message ?? 'Check the reason.', ...(typeof reason === 'string' ? { reason } : {}) }) };
      const p = caseProgress(await tx.listEvents());
      if (p.retention.anonymisedAt) return { kind: 'card', card: legalHoldDoneCard(reference, `${reference} was anonymised on ${displayDate(p.retention.anonymisedAt)}: there is nothing left to hold.`) };
      if (p.retention.heldSince) return { kind: 'card', card: legalHoldDoneCard(reference, `${reference} is already on legal hold (since ${displayDate(p.retention.heldSince)}).`) };
      const now = this.d.clock();
      const noteId = randomUUID();
      await tx.insertNote({ id: noteId, kind: 'legal_hold', text: checked.data, authorAadId: who.aadObjectId });
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: 'coordinator', type: LEGAL_HOLD_PLACED, data: { noteId } });
      await tx.setLegalHold(now);
      this.d.log.info({ caseId, by: who.aadObjectId }, 'legal hold placed');
      return { kind: 'card', card: legalHoldDoneCard(reference, `${reference} is on legal hold from ${displayDate(now)}: it will not be anonymised until a coordinator lifts the hold (lift hold ${reference}).`) };
    });
  }

  async cancel(actor: Actor, caseId: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    return this.inCase(caseId, async (_tx, reference) => ({ kind: 'card', card: legalHoldDoneCard(reference, 'Cancelled: no hold was placed.') }));
  }

  /** `lift hold RJ-…`. */
  async lift(actor: Actor, reference: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    const c = await this.d.findCase(reference);
    if (!c) return noSuchCase(reference);
    return this.inCase(c.id, async (tx) => {
      const p = caseProgress(await tx.listEvents());
      if (!p.retention.heldSince) return { kind: 'message', text: `${c.reference} is not on legal hold.` };
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: 'coordinator', type: LEGAL_HOLD_LIFTED, data: {} });
      await tx.setLegalHold(null);
      this.d.log.info({ caseId: c.id, by: who.aadObjectId }, 'legal hold lifted');
      return { kind: 'message', text: `The legal hold on ${c.reference} is lifted: it is kept for the usual retention period after it closes, then anonymised.` };
    });
  }

  private allowed(actor: Actor): Promise<DomainActor | Reply> {
    return allowedTo(this.d.roles, actor, 'legalHold');
  }

  private inCase(caseId: string, fn: (tx: LockedTx, reference: string) => Promise<Reply>): Promise<Reply> {
    return inLockedCase(this.d.locks, caseId, (tx) => fn(tx, tx.case.reference));
  }
}
