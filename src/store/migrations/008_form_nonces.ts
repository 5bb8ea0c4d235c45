/**
 * Case-progress forms are idempotent: each form card carries a nonce, and a submit records it here
 * in the same transaction as the change it makes. A double click or a Teams retry of the same card
 * finds its nonce and is answered with the first submit's result instead of recording the change
 * twice. A refused or invalid submit writes nothing, so its nonce stays usable. Holds ids and the
 * bot's own answer only, never typed text. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE form_nonces (
  nonce          uuid PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES cases (id),
  -- Which form (contact, consent, risk, conference, indirect, outcome, close, reopen).
  form           text NOT NULL CONSTRAINT form_nonces_form_length CHECK (char_length(form) BETWEEN 1 AND 32),
  actor_aad_id   text NOT NULL,
  -- sha256 of the submitted values: a repeat with other values is not a retry of this submit.
  values_hash    text NOT NULL CONSTRAINT form_nonces_values_hash CHECK (values_hash ~ '^[0-9a-f]{64}$'),
  -- The answer the first submit got ("Contact with the harmed person saved."), shown again on a repeat.
  result         text NOT NULL CONSTRAINT form_nonces_result_length CHECK (char_length(result) BETWEEN 1 AND 500),
  at             timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX form_nonces_case_idx ON form_nonces (case_id);
`;
