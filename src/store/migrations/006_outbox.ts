/**
 * The outbox: every message a committed change owes (the coordinators' card, offers, notices, card
 * updates, reports of people the bot cannot reach) is a row written in the same transaction as the
 * change, and a dispatcher sends it afterwards. Rows hold ids and codes; anything that names a person
 * or describes an offence is read from the case when the message is sent. Never edit once shipped:
 * add the next migration.
 */
export const sql = `
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  -- What to send ('channel_post', 'channel_card', 'offer', ...); 'data' holds its ids and codes.
  kind            text NOT NULL,
  case_id         uuid REFERENCES cases (id),
  data            jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Rows of one lane (one card, one person) are sent one at a time, oldest first, so a person never
  -- reads "you are no longer assigned" before the offer it withdraws.
  lane            text NOT NULL,
  -- Successive updates of one card share a key: a newer pending row replaces an older unsent one.
  coalesce_key    text,
  status          text NOT NULL DEFAULT 'pending' CONSTRAINT outbox_status_check
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'superseded', 'skipped')),
  -- Not before this instant (a retry after a transient failure waits here).
  due_at          timestamptz NOT NULL DEFAULT now(),
  -- While 'sending': whose claim it is and until when. A claim whose dispatcher died (lease run out)
  -- may be taken again; outcomes are recorded only under the claim that made the send.
  claim_token     uuid,
  lease_until     timestamptz,
  attempts        int NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  conversation_id text,
  activity_id     text,
  -- Statuses and codes only, never message text.
  error           text,
  CONSTRAINT outbox_sending_has_lease CHECK (status <> 'sending' OR (claim_token IS NOT NULL AND lease_until IS NOT NULL))
);

-- What the dispatcher reads: unfinished rows by due time, and the head of each lane.
CREATE INDEX outbox_unfinished_due_idx ON outbox (due_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_unfinished_lane_idx ON outbox (lane, id) WHERE status IN ('pending', 'sending');
CREATE UNIQUE INDEX outbox_one_pending_per_key ON outbox (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL;
CREATE INDEX outbox_case_idx ON outbox (case_id) WHERE case_id IS NOT NULL;

-- Wakes every dispatcher (in any process) when a transaction that owes messages commits; identical
-- payloads in one transaction collapse into one notification.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rj_outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
`;
