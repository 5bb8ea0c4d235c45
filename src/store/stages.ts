import { ACTIVE_STAGES, CLOSED_STAGES, type CaseStage } from '../domain/vocabulary';

/**
 * A SQL list literal of stage codes, e.g. `('declined', 'closed')`, generated from the domain's one
 * list of stages (vocabulary.ts) so the repositories never spell a stage set by hand. Inlined rather
 * than bound: the statements stay constant text, and the planner can still match the partial index on
 * open cases (migration 002), which a `$n` parameter would hide from it. Codes are checked first, so
 * nothing but a known identifier is ever inlined.
 */
export function sqlStageList(stages: readonly CaseStage[]): string {
  if (stages.length === 0) throw new Error('sqlStageList: an empty stage list has no SQL form; pass at least one stage');
  for (const s of stages) {
    if (!/^[a-z_]+$/.test(s)) throw new Error(`sqlStageList: "${s}" is not a stage code (lower-case letters and _ only)`);
  }
  return `(${stages.map((s) => `'${s}'`).join(', ')})`;
}

/** `('declined', 'closed')`: finished cases. */
export const CLOSED_STAGES_SQL = sqlStageList(CLOSED_STAGES);
/** Accepted into the service and not finished. */
export const ACTIVE_STAGES_SQL = sqlStageList(ACTIVE_STAGES);
