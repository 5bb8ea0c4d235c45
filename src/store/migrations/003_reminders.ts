/**
 * Reminders: the delivery ledger, snoozes, and change notifications for the scheduler. Never edit
 * once shipped: add the next migration.
 */
export const sql = `
-- One row per reminder the worker decided to send (or to drop), keyed by the reminder id, so the
-- decision is recorded before the ping and a retry or a second worker can never ping twice.
CREATE TABLE reminder_deliveries (
  reminder_id      text PRIMARY KEY,
  case_id          uuid REFERENCES cases (id),
  screening_id     uuid REFERENCES screenings (id),
  rule             text NOT NULL,
  -- 'coordinators' or 'person-<aad object id>', as in the reminder id.
  recipient        text NOT NULL,
  due_at           timestamptz NOT NULL,
  decided_at       timestamptz NOT NULL DEFAULT now(),
  status           text NOT NULL CONSTRAINT reminder_deliveries_status_check
                     CHECK (status IN ('sending', 'sent', 'dropped', 'failed')),
  -- A 'sending' row whose lease has run out belongs to a worker that died mid-send: it may be claimed again.
  lease_until      timestamptz,
  sent_at          timestamptz,
  conversation_id  text,
  activity_id      text,
  -- Codes and statuses only, never message text.
  error            text,
  attempts         int NOT NULL DEFAULT 0,
  CONSTRAINT reminder_deliveries_one_owner CHECK ((case_id IS NULL) <> (screening_id IS NULL))
);

CREATE INDEX reminder_deliveries_case_idx ON reminder_deliveries (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX reminder_deliveries_screening_idx ON reminder_deliveries (screening_id) WHERE screening_id IS NOT NULL;

-- The latest snooze of each reminder (by its key, which has no due instant), with how often it was
-- snoozed; the policy moves the reminder to "until".
CREATE TABLE reminder_snoozes (
  reminder_key  text PRIMARY KEY,
  case_id       uuid NOT NULL REFERENCES cases (id),
  until         timestamptz NOT NULL,
  count         int NOT NULL CONSTRAINT reminder_snoozes_count_range CHECK (count BETWEEN 1 AND 3),
  by_aad_id     text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reminder_snoozes_case_idx ON reminder_snoozes (case_id);

-- Every write to a case goes through its event log, so a notification per event tells the reminder
-- scheduler which case to reconcile, whoever wrote the event. Delivered on commit only; identical
-- payloads in one transaction collapse into one.
CREATE FUNCTION notify_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rj_case_changed', NEW.case_id::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER case_events_notify AFTER INSERT ON case_events
  FOR EACH ROW EXECUTE FUNCTION notify_case_changed();

CREATE FUNCTION notify_screening_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.re_refer_aad_id IS NOT NULL OR (TG_OP = 'UPDATE' AND OLD.re_refer_aad_id IS NOT NULL) THEN
    PERFORM pg_notify('rj_screening_changed', NEW.id::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER screenings_notify AFTER INSERT OR UPDATE OF re_refer_aad_id, sentencing_date, case_id ON screenings
  FOR EACH ROW EXECUTE FUNCTION notify_screening_changed();
`;
