/**
 * Case progress: the free text that goes with contacts, risk assessments, conferences and closing.
 * It lives apart from case_events so the event log (timeline, audit, reminders) carries ids and
 * codes only, and the text can be governed (read, retained, erased) on its own. Never edit once
 * shipped: add the next migration.
 */
export const sql = `
CREATE TABLE case_notes (
  id             uuid PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES cases (id),
  -- What the note belongs to; the event that records the fact carries this row's id.
  kind           text NOT NULL CONSTRAINT case_notes_kind_check CHECK (kind IN (
                   'contact', 'risk', 'conference_attendees', 'conference_not_held', 'closing', 'reopening')),
  text           text NOT NULL CONSTRAINT case_notes_text_length CHECK (char_length(text) BETWEEN 1 AND 1000),
  author_aad_id  text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX case_notes_case_idx ON case_notes (case_id, at);

-- A note is corrected by a new note on a new event, as everything else in a case's history.
CREATE FUNCTION case_notes_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_notes cannot be edited: record a correction as a new note';
END;
$$;

CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes
  FOR EACH ROW EXECUTE FUNCTION case_notes_no_update();

-- Lists read every open case's contacts; this keeps that to an index scan.
CREATE INDEX case_events_contacts_idx ON case_events (case_id, id) WHERE type = 'contact_logged';
`;
