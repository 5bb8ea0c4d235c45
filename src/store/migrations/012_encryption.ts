/**
 * Encryption at rest (issue 10, item 3). Personal values are sealed by the application (AES-256-GCM,
 * src/store/crypto) under data keys kept here, one per participant and one for the case as a whole,
 * each wrapped by a master key from DATA_KEYS. Destroying a key (wrapped_key and kid set to NULL) makes
 * everything sealed under it unreadable: that is how one person is erased without touching the
 * append-only event log. Rows stored in plaintext before this migration are sealed by the start-up
 * step src/store/crypto/sealExisting.ts (it needs the keys, which SQL never sees). Never edit once
 * shipped: add the next migration.
 */
export const sql = `
CREATE TABLE participant_keys (
  id            uuid PRIMARY KEY,
  -- Deferred: a referral seals its columns with keys made before the case row is inserted.
  case_id       uuid NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
  -- Whose key: one participant's, or 'case' for text about the case as a whole (docs/DATA.md).
  role          text NOT NULL CONSTRAINT participant_keys_role_check CHECK (role IN ('harmed_person', 'offender', 'case')),
  -- The master key (a kid of DATA_KEYS) that wraps this key; npm run data -- rotate-keys moves it.
  kid           text,
  -- iv (12) || AES-256-GCM(data key) (32) || tag (16), bound to id, case and role.
  wrapped_key   bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rewrapped_at  timestamptz,
  destroyed_at  timestamptz,
  CONSTRAINT participant_keys_case_role_unique UNIQUE (case_id, role),
  CONSTRAINT participant_keys_live_or_destroyed CHECK (
    (destroyed_at IS NULL AND kid IS NOT NULL AND wrapped_key IS NOT NULL AND octet_length(wrapped_key) = 60)
    OR (destroyed_at IS NOT NULL AND kid IS NULL AND wrapped_key IS NULL))
);

-- The rotation reads the keys still wrapped under an old kid.
CREATE INDEX participant_keys_kid_idx ON participant_keys (kid, id) WHERE kid IS NOT NULL;

-- A sealed date of birth is text, not a date.
ALTER TABLE participants ALTER COLUMN date_of_birth TYPE text USING to_char(date_of_birth, 'YYYY-MM-DD');

-- A sealed note is longer than the 1000 characters typed; the forms keep that limit.
ALTER TABLE case_notes DROP CONSTRAINT case_notes_text_length;
ALTER TABLE case_notes ADD CONSTRAINT case_notes_text_not_empty CHECK (char_length(text) >= 1);
`;
