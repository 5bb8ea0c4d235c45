/**
 * Erasure requests (issue 10, item 7): one row per request for one participant of a case, with its
 * dates and decision; the refusal's reason is a case note. An erased participant keeps their row
 * (the case's shape stays) with every personal value removed and `erased_at` set. Never edit once
 * shipped: add the next migration.
 */
export const sql = `
CREATE TABLE erasure_requests (
  id               uuid PRIMARY KEY,
  case_id          uuid NOT NULL REFERENCES cases (id),
  party            text NOT NULL CONSTRAINT erasure_requests_party CHECK (party IN ('harmed_person', 'offender')),
  received_on      date NOT NULL,
  due_on           date NOT NULL,
  remind_on        date NOT NULL,
  recorded_at      timestamptz NOT NULL,
  recorded_by      text NOT NULL,
  reminded_at      timestamptz,
  decided_at       timestamptz,
  decided_by       text,
  decision         text CONSTRAINT erasure_requests_decision CHECK (decision IN ('erased', 'refused')),
  refusal_note_id  uuid,
  CONSTRAINT erasure_requests_decided CHECK ((decided_at IS NULL) = (decision IS NULL))
);

-- One open request per participant: a second is the same request.
CREATE UNIQUE INDEX erasure_requests_one_open ON erasure_requests (case_id, party) WHERE decided_at IS NULL;
CREATE INDEX erasure_requests_open_idx ON erasure_requests (remind_on) WHERE decided_at IS NULL;

ALTER TABLE participants ADD COLUMN erased_at timestamptz;

ALTER TABLE case_notes DROP CONSTRAINT case_notes_kind_check;
ALTER TABLE case_notes ADD CONSTRAINT case_notes_kind_check CHECK (kind IN (
  'contact', 'risk', 'conference_attendees', 'conference_not_held', 'closing', 'reopening', 'legal_hold', 'erasure_refusal'));
`;
