/**
 * Reconciles owed: the cases (and screenings) whose reminder schedule could not be brought up to date
 * because Redis was down or failed, kept in PostgreSQL so that a Redis outage, or a worker restart in
 * the middle of one, loses none of them. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE reconcile_pending (
  -- 'all' (owner_id '*') owes a full resync: job schedulers registered again and every open case reconciled.
  owner_kind       text NOT NULL CONSTRAINT reconcile_pending_kind_check CHECK (owner_kind IN ('case', 'screening', 'all')),
  owner_id         text NOT NULL,
  -- Failed attempts so far; the backoff doubles with each. A retry that succeeds deletes the row only
  -- if this has not moved meanwhile (a newer change that failed again must not be cleared with it).
  failures         int NOT NULL DEFAULT 1 CONSTRAINT reconcile_pending_failures_positive CHECK (failures >= 1),
  first_failed_at  timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- An error message from Redis or PostgreSQL, never case data.
  last_error       text,
  PRIMARY KEY (owner_kind, owner_id),
  CONSTRAINT reconcile_pending_all_owner CHECK ((owner_kind = 'all') = (owner_id = '*'))
);

CREATE INDEX reconcile_pending_due_idx ON reconcile_pending (next_attempt_at);
`;
