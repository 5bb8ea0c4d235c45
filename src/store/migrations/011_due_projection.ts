/**
 * The dashboard's due-date projection: per open case, the instant from which it is overdue and its
 * next due item, as the reminder policy computes them (dueProjection in src/domain/dueDates.ts). The
 * reminder scheduler writes a row whenever it reconciles a case (every change, the start-up and daily
 * reconcile) and deletes it when the case closes, so the overdue filter is an index lookup instead of
 * a fold of every open case, and the list's next-due lines need no policy run per row. Due dates are never computed here: the table starts empty and the first
 * start-up reconcile after this migration fills it for every open case. Rows are not history: drop
 * the table and the next reconcile rebuilds it.
 *
 * The page of open cases in reference order gets its own partial index, so a page reads its rows in
 * order instead of sorting every open case. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE case_due (
  case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  overdue_from timestamptz,
  next_due_at timestamptz,
  next_due_kind text,
  -- dueSchedule's items (kind, party, due, label, shown from/until): the list's due lines at any instant.
  schedule jsonb NOT NULL DEFAULT '[]',
  -- The newest case_events id when it was computed: a reader with a newer event folds the log instead.
  through_event_id bigint,
  computed_at timestamptz NOT NULL
);
CREATE INDEX case_due_overdue_idx ON case_due (overdue_from) WHERE overdue_from IS NOT NULL;
CREATE INDEX cases_open_reference_idx ON cases (ref_year, ref_seq) WHERE stage NOT IN ('declined', 'closed');
`;
