import { caseProgress } from '../domain/caseProgress';
import { apply, eventData, type CaseEvent, type CaseFacts } from '../domain/caseState';
import { decide, type CaseCommand } from '../domain/lifecycle';
import type { Actor as DomainActor } from '../domain/permissions';
import { CaseNotFoundError } from '../store/assignmentRepository';
import type { CaseEventRecord } from '../store/caseRepository';
import type { CommandTx } from '../store/progressRepository';
import type { JsonObject } from '../store/types';

/** Locks one case for the length of `fn` (AssignmentRepository or ProgressRepository `withCaseLocked`). */
export type CaseLocker<Tx> = <T>(caseId: string, fn: (tx: Tx) => Promise<T>) => Promise<T>;

export type RunResult<L> =
  | { ok: true; events: readonly CaseEvent[]; facts: CaseFacts; locked: L; history: readonly CaseEventRecord[] }
  | { ok: false; message: string; code: string };

/** The code of a run that `before` ended: the message is the answer to give, not a refusal. */
export const ANSWERED_BEFORE = 'ANSWERED_BEFORE';

export interface RunOptions<Tx> {
  /**
   * Runs first under the lock. An answer ends the run there with nothing written (code
   * ANSWERED_BEFORE): a repeated form submit is answered with the first one's result.
   */
  before?: (tx: Tx) => Promise<string | undefined>;
  /** Runs in the same transaction after the events are appended (projections, notes). */
  extra?: (tx: Tx, events: readonly CaseEvent[], facts: CaseFacts) => Promise<void>;
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
export async function runCaseCommands<Tx extends CommandTx>(
  lock: CaseLocker<Tx>,
  caseId: string,
  actor: DomainActor,
  actorRole: 'coordinator' | 'facilitator',
  commands: readonly CaseCommand[],
  opts: RunOptions<Tx> = {},
): Promise<RunResult<Tx['locked']>> {
  try {
    return await lock(caseId, async (tx): Promise<RunResult<Tx['locked']>> => {
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

class Refusal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
