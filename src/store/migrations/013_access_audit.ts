/**
 * The access audit (issue 10, item 5): every view of a case's personal fields, append-only. Changes
 * are already in case_events (append-only, with their actor); the audit command reads both. It holds
 * ids and codes, never a personal value. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE case_access (
  id            bigserial PRIMARY KEY,
  case_id       uuid NOT NULL REFERENCES cases (id),
  at            timestamptz NOT NULL,
  actor_aad_id  text NOT NULL CONSTRAINT case_access_actor_lower CHECK (actor_aad_id = lower(actor_aad_id)),
  actor_role    text NOT NULL CONSTRAINT case_access_role CHECK (actor_role IN ('coordinator', 'facilitator', 'referrer')),
  view          text NOT NULL CONSTRAINT case_access_view CHECK (view ~ '^[a-z_]{1,40}$')
);

CREATE INDEX case_access_case_idx ON case_access (case_id, at DESC, id DESC);
CREATE INDEX case_events_case_at_idx ON case_events (case_id, at DESC, id DESC);

CREATE FUNCTION case_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_access is append-only: % is not allowed', TG_OP
    USING HINT = 'The access audit is never changed; record a new entry instead.';
END;
$$;

CREATE TRIGGER case_access_no_update_delete BEFORE UPDATE OR DELETE ON case_access
  FOR EACH ROW EXECUTE FUNCTION case_access_append_only();
CREATE TRIGGER case_access_no_truncate BEFORE TRUNCATE ON case_access
  FOR EACH STATEMENT EXECUTE FUNCTION case_access_append_only();
`;
