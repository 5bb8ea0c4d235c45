/**
 * Triage, the staff roster, facilitator offers and service settings. Never edit once shipped: add
 * the next migration.
 */
export const sql = `
-- Coordinators and facilitators. A facilitator taken off the roster keeps the row, because offers
-- and the event log still name them.
CREATE TABLE staff (
  -- Lower-case so an id from Teams, config or a card always finds the same row.
  aad_object_id  text PRIMARY KEY CONSTRAINT staff_aad_object_id_lower CHECK (aad_object_id = lower(aad_object_id)),
  tenant_id      text NOT NULL,
  -- A staff member's name, not participant data: shown on offer and roster cards.
  display_name   text NOT NULL,
  coordinator    boolean NOT NULL DEFAULT false,
  facilitator    boolean NOT NULL DEFAULT false,
  active         boolean NOT NULL DEFAULT true,
  experienced    boolean NOT NULL DEFAULT false,
  max_cases      int NOT NULL DEFAULT 3 CONSTRAINT staff_max_cases_range CHECK (max_cases BETWEEN 1 AND 20),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER staff_touch_updated_at BEFORE UPDATE ON staff
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Coordinator-editable settings (the reminder policy and the like), validated by their readers.
CREATE TABLE settings (
  key         text PRIMARY KEY CONSTRAINT settings_key_not_blank CHECK (btrim(key) <> ''),
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL
);

-- One row per offer of a case to a facilitator. Rows are never deleted: a declined or withdrawn
-- offer is history, and a facilitator may be offered the same case again later.
CREATE TABLE offers (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id               uuid NOT NULL REFERENCES cases (id),
  facilitator_aad_id    text NOT NULL REFERENCES staff (aad_object_id),
  status                text NOT NULL DEFAULT 'offered'
                          CONSTRAINT offers_status_check CHECK (status IN ('offered', 'accepted', 'declined', 'withdrawn')),
  offered_at            timestamptz NOT NULL DEFAULT now(),
  offered_by            text NOT NULL,
  answered_at           timestamptz,
  decline_reason        text,
  withdrawn_reason      text,
  card_conversation_id  text,
  card_activity_id      text,
  -- Why the offer card could not be delivered; cleared once it is.
  send_error            text,
  CONSTRAINT offers_card_pair CHECK ((card_conversation_id IS NULL) = (card_activity_id IS NULL))
);

-- The backstop behind the case lock: a facilitator holds at most one live offer per case.
CREATE UNIQUE INDEX offers_one_live_per_facilitator ON offers (case_id, facilitator_aad_id)
  WHERE status IN ('offered', 'accepted');
-- Caseload counts and "my cases" read only live offers.
CREATE INDEX offers_facilitator_live_idx ON offers (facilitator_aad_id) WHERE status IN ('offered', 'accepted');
CREATE INDEX offers_case_idx ON offers (case_id, offered_at);

ALTER TABLE cases
  ADD COLUMN decline_reason           text,
  ADD COLUMN triaged_at               timestamptz,
  ADD COLUMN triaged_by               text,
  ADD COLUMN pair_confirmed_at        timestamptz,
  ADD COLUMN channel_conversation_id  text,
  ADD COLUMN channel_activity_id      text,
  -- The stale-case reminder counts from here ("no activity for 28 days").
  ADD COLUMN last_activity_at         timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT cases_channel_card_pair CHECK ((channel_conversation_id IS NULL) = (channel_activity_id IS NULL));

-- Existing cases would otherwise all look freshly active on the day this migration ran. The trigger
-- is paused so the backfill does not pose as an edit of every case.
ALTER TABLE cases DISABLE TRIGGER cases_touch_updated_at;
UPDATE cases c SET last_activity_at = COALESCE(
  (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.actor_role <> 'system'),
  c.created_at);
ALTER TABLE cases ENABLE TRIGGER cases_touch_updated_at;

CREATE INDEX cases_open_last_activity_idx ON cases (last_activity_at) WHERE stage NOT IN ('closed', 'declined');
`;
