import { caseProgress } from '../domain/caseProgress';
import { apply, eventData, type CaseEvent, type CaseFacts } from '../domain/caseState';
import { decide, type CaseCommand } from '../domain/lifecycle';
import type { Actor as DomainActor } from '../domain/permissions';
import { CaseNotFoundError } from '../store/assignmentRepository';
import type { CaseEventRecord } from '../store/caseRepository';
import type { CaseLocks, LockedTx } from '../store/caseLock';
import type { LockedCase } from '../store/assignmentRepository';
import type { JsonObject } from '../store/types';

/** The case's row lock (CaseLocks in src/store/caseLock.ts): every command of every use case runs under it. */
export type CaseLocker = Pick<CaseLocks, 'withCaseLocked'>;

export type RunResult =
  | { ok: true; events: readonly CaseEvent[]; facts: CaseFacts; locked: LockedTx['locked']; history: readonly CaseEventRecord[] }
  | { ok: false; message: string; code: string };

/** The code of a run that `before` ended: the message is the answer to give, not a refusal. */
export const ANSWERED_BEFORE = 'ANSWERED_BEFORE';

export interface RunOptions {
  /**
   * Runs first under the lock. An answer ends the run there with nothing written (code
   * ANSWERED_BEFORE): a repeated form submit is answered with the first one's result.
   */
  before?: (tx: LockedTx) => Promise<string | undefined>;
  /** Runs in the same transaction after the events are appended (projections, notes). */
  extra?: (tx: LockedTx, events: readonly CaseEvent[], facts: CaseFacts) => Promise<void>;
  /**
   * Details the form adds to a lifecycle event's stored data (a date, a note id): ids and codes only.
   * The lifecycle's own fields win, so an annotation can never change what the event means.
   */
  annotate?: (event: CaseEvent) => JsonObject | undefined;
}

/** Facts from a stored log, by the one fold; a malformed lifecycle event refuses the command (CaseEventError). */
export function factsOf(history: readonly CaseEventRecord[]): CaseFacts {
  return caseProgress(history).facts;
}

/**
 * Runs lifecycle commands under the case's row lock: replays the log, asks the domain, appends the
 * events and any stage change, sets the stage. A refusal of any step leaves the whole transaction
 * unwritten, so nothing is ever half-done. A command already in effect (double click, Teams retry)
 * succeeds with no events.
 */
export async function runCaseCommands(
  locks: CaseLocker,
  caseId: string,
  actor: DomainActor,
  actorRole: 'coordinator' | 'facilitator',
  commands: readonly CaseCommand[],
  opts: RunOptions = {},
): Promise<RunResult> {
  try {
    return await locks.withCaseLocked(caseId, async (tx): Promise<RunResult> => {
      const answered = opts.before ? await opts.before(tx) : undefined;
      if (answered !== undefined) return { ok: false, message: answered, code: ANSWERED_BEFORE };
      const history = await tx.listEvents();
      let facts = factsOf(history);
      const all: CaseEvent[] = [];
      for (const command of commands) {
        const decision = decide(facts, command, actor);
        if (!decision.ok) throw new Refusal(decision.message, decision.code);
        for (const e of decision.events) {
          all.push(e);
          facts = apply(facts, e);
        }
        // `decide` already includes its stage_changed event; add one only if it ever does not.
        if (facts.stage !== decision.nextStage) {
          const e: CaseEvent = { type: 'stage_changed', from: facts.stage, to: decision.nextStage };
          all.push(e);
          facts = apply(facts, e);
        }
      }
      for (const e of all) {
        const extra = opts.annotate?.(e);
        await tx.appendEvent({ actorAadId: actor.aadObjectId, actorRole, type: e.type, data: { ...(extra ?? {}), ...eventData(e) } });
      }
      if (facts.stage !== tx.locked.stage) await tx.setStage(facts.stage);
      if (opts.extra) await opts.extra(tx, all, facts);
      return { ok: true as const, events: all, facts, locked: tx.locked, history };
    });
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, message: err.message, code: err.code };
    // A crafted or stale card can name a case that does not exist: an answer, not a failed turn.
    if (err instanceof CaseNotFoundError) return { ok: false, message: 'That case could not be found.', code: 'NOT_FOUND' };
    throw err;
  }
}

/**
 * runCaseCommands for the triage and assignment use cases: `extra` also gets the locked case (its
 * offers), and a refusal is just its message.
 */
export async function runWithCase(
  locks: CaseLocker,
  caseId: string,
  actor: DomainActor,
  actorRole: 'coordinator' | 'facilitator',
  commands: readonly CaseCommand[],
  extra?: (tx: LockedTx, events: readonly CaseEvent[], c: LockedCase, facts: CaseFacts) => Promise<void>,
): Promise<{ ok: true; events: readonly CaseEvent[]; facts: CaseFacts; locked: LockedCase } | { ok: false; message: string }> {
  const r = await runCaseCommands(locks, caseId, actor, actorRole, commands, {
    extra: async (tx, events, facts) => {
      if (extra) await extra(tx, events, tx.locked, facts);
    },
  });
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: true, events: r.events, facts: r.facts, locked: r.locked };
}

class Refusal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
