/**
 * Who changed the roster, and how: every role change (added, removed, paused, resumed, marked
 * experienced, maximum caseload, seeded from configuration at start-up) is one row, written in the
 * same transaction as the change. Ids only: names are resolved from `staff` when shown, so a
 * person's name is never copied into history. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE roster_events (
  id              bigserial PRIMARY KEY,
  at              timestamptz NOT NULL,
  -- Null only for 'coordinator_seeded': start-up, not a person, made that change.
  actor_aad_id    text CONSTRAINT roster_events_actor_lower CHECK (actor_aad_id = lower(actor_aad_id)),
  subject_aad_id  text NOT NULL REFERENCES staff (aad_object_id),
  type            text NOT NULL CONSTRAINT roster_events_type_check CHECK (type IN (
                    'facilitator_added', 'coordinator_added', 'coordinator_seeded',
                    'facilitator_removed', 'coordinator_removed',
                    'paused', 'resumed', 'marked_experienced', 'unmarked_experienced', 'max_cases_set')),
  max_cases       int,
  CONSTRAINT roster_events_actor_given CHECK ((actor_aad_id IS NULL) = (type = 'coordinator_seeded')),
  CONSTRAINT roster_events_max_cases CHECK ((max_cases IS NOT NULL) = (type = 'max_cases_set'))
);

CREATE INDEX roster_events_latest_idx ON roster_events (at DESC, id DESC);

-- The history is evidence of who held which role when: it is appended to, never rewritten.
CREATE FUNCTION roster_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'roster_events is append-only: record a new event instead';
END;
$$;

CREATE TRIGGER roster_events_append_only BEFORE UPDATE OR DELETE ON roster_events
  FOR EACH ROW EXECUTE FUNCTION roster_events_append_only();
`;
