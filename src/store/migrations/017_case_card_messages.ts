/**
 * Every Teams message that showed (or may show, through its refresh) a case's details in someone's
 * 1:1 chat (issue 10, item 1): the case details sent to the pair, a case card or form typed for or
 * clicked open, an invoke answer Teams keeps on the clicked message. When someone's access ends
 * (replaced, case closed) or the data changes under them (erasure, anonymisation), each is updated to
 * the base view: reference, stage and Open, nothing personal. `sealed_at` marks a message whose
 * reader has lost access for good; one still readable stays listed so a later change updates it
 * again. Ids only: no card content is kept. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE TABLE case_card_messages (
  id               bigserial PRIMARY KEY,
  case_id          uuid NOT NULL REFERENCES cases (id),
  conversation_id  text NOT NULL,
  activity_id      text NOT NULL,
  -- The reader (the 1:1 chat's user): their Entra id decides access; their Teams id is what refresh.userIds names.
  aad_object_id    text NOT NULL,
  tenant_id        text NOT NULL,
  teams_user_id    text,
  first_shown_at   timestamptz NOT NULL DEFAULT now(),
  last_shown_at    timestamptz NOT NULL DEFAULT now(),
  sealed_at        timestamptz,
  CONSTRAINT case_card_messages_one UNIQUE (conversation_id, activity_id)
);

CREATE INDEX case_card_messages_open_idx ON case_card_messages (case_id) WHERE sealed_at IS NULL;
`;
