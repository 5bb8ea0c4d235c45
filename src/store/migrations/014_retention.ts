/**
 * Retention (issue 10, item 6). A case is anonymised RETENTION_YEARS after it closed unless it is on
 * legal hold; both are recorded on the case row (for the daily pass's query) and as events (for its
 * history and the audit). The one documented exception to the append-only event log: the
 * anonymisation pass may rewrite an event's `data` (never its id, case, type, actor or time) inside
 * a transaction that has set `rj.anonymising` (SET LOCAL), to remove personal values stored there.
 * Never edit once shipped: add the next migration.
 */
export const sql = `
ALTER TABLE cases
  ADD COLUMN legal_hold_since timestamptz,
  ADD COLUMN anonymised_at    timestamptz;

ALTER TABLE case_notes DROP CONSTRAINT case_notes_kind_check;
ALTER TABLE case_notes ADD CONSTRAINT case_notes_kind_check CHECK (kind IN (
  'contact', 'risk', 'conference_attendees', 'conference_not_held', 'closing', 'reopening', 'legal_hold'));

-- Closed and declined cases by when they closed: the daily pass reads the oldest first.
CREATE INDEX case_events_closing_idx ON case_events (case_id, at) WHERE type IN ('case_closed', 'referral_declined');

CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('rj.anonymising', true) = 'on'
     AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.type = OLD.type AND NEW.at = OLD.at
     AND NEW.actor_aad_id IS NOT DISTINCT FROM OLD.actor_aad_id AND NEW.actor_role = OLD.actor_role
     AND NEW.trace_parent IS NOT DISTINCT FROM OLD.trace_parent THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'case_events is append-only: % is not allowed', TG_OP
    USING HINT = 'Record a correction as a new event. Only the retention pass may remove personal values (docs/DATA.md).';
END;
$$;
`;
