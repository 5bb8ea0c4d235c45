/**
 * The referral intake schema. Migrations are TypeScript string modules rather than .sql files so that
 * tsc carries them into dist/ and no path has to be resolved at runtime. Never edit a migration that
 * has shipped: add the next one.
 */
export const sql = `
CREATE TABLE case_reference_counters (
  year     int PRIMARY KEY,
  last_seq int NOT NULL CHECK (last_seq > 0)
);

CREATE TABLE cases (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference             text NOT NULL,
  ref_year              int  NOT NULL,
  ref_seq               int  NOT NULL CHECK (ref_seq > 0),
  -- The CaseStage codes of src/domain/vocabulary.ts; a new stage needs a migration that replaces this.
  stage                 text NOT NULL DEFAULT 'referred' CONSTRAINT cases_stage_check CHECK (stage IN (
                          'referred', 'accepted', 'declined', 'assigning', 'preparation', 'ready',
                          'conference_scheduled', 'indirect_communication', 'follow_up', 'closed')),
  eligibility           text NOT NULL CHECK (eligibility IN ('eligible', 'needs_review')),
  needs_review_reasons  text[] NOT NULL DEFAULT '{}',
  source                text NOT NULL,
  referrer_aad_id       text NOT NULL,
  referrer_tenant_id    text NOT NULL,
  offence_type          text NOT NULL,
  offence_description   text NOT NULL,
  offence_date          date,
  crime_reference       text,
  sentence_date         date,
  sentence_type         text,
  prison                text,
  relationship          text,
  risk_notes            text,
  access_needs          text,
  referrer_phone        text,
  complex               boolean NOT NULL DEFAULT false,
  extra_care            boolean NOT NULL DEFAULT false,
  submission_key        text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cases_reference_unique UNIQUE (reference),
  CONSTRAINT cases_ref_year_seq_unique UNIQUE (ref_year, ref_seq),
  CONSTRAINT cases_submission_key_unique UNIQUE (submission_key),
  CONSTRAINT cases_reference_format CHECK (reference ~ '^RJ-[0-9]{4}-[0-9]{4,}$')
);

-- "My referrals": a referrer sees only their own cases, newest first.
CREATE INDEX cases_referrer_idx ON cases (referrer_tenant_id, referrer_aad_id, created_at DESC);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER cases_touch_updated_at BEFORE UPDATE ON cases
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE participants (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id        uuid NOT NULL REFERENCES cases (id),
  role           text NOT NULL CHECK (role IN ('harmed_person', 'offender')),
  name           text NOT NULL,
  date_of_birth  date,
  borough        text,
  phone          text,
  email          text,
  aware          boolean NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT participants_case_role_unique UNIQUE (case_id, role)
);

-- The timeline and the audit trail. Corrections are new events, never edits.
CREATE TABLE case_events (
  id            bigserial PRIMARY KEY,
  case_id       uuid NOT NULL REFERENCES cases (id),
  at            timestamptz NOT NULL DEFAULT now(),
  actor_aad_id  text,
  actor_role    text NOT NULL,
  type          text NOT NULL,
  data          jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX case_events_case_idx ON case_events (case_id, id);

CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_events is append-only: % is not allowed', TG_OP
    USING HINT = 'Record a correction as a new event.';
END;
$$;

CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
  FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
  FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

-- Every screening is counted, including the ineligible ones, but never holds participant data.
CREATE TABLE screenings (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  at               timestamptz NOT NULL DEFAULT now(),
  tenant_id        text NOT NULL,
  source           text,
  answers          jsonb NOT NULL,
  outcome          text NOT NULL CHECK (outcome IN ('eligible', 'ineligible', 'needs_review')),
  reason_codes     text[] NOT NULL DEFAULT '{}',
  sentencing_date  date,
  re_refer_aad_id  text,
  case_id          uuid REFERENCES cases (id),
  -- A referrer's identity is kept only to remind them on a known sentencing date.
  CONSTRAINT screenings_re_refer_needs_date CHECK (re_refer_aad_id IS NULL OR sentencing_date IS NOT NULL)
);

CREATE INDEX screenings_re_refer_idx ON screenings (sentencing_date) WHERE re_refer_aad_id IS NOT NULL;
CREATE INDEX screenings_case_idx ON screenings (case_id) WHERE case_id IS NOT NULL;

CREATE TABLE conversation_refs (
  conversation_id    text PRIMARY KEY,
  tenant_id          text NOT NULL,
  aad_object_id      text,
  conversation_type  text NOT NULL,
  service_url        text NOT NULL,
  reference          jsonb NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  stale              boolean NOT NULL DEFAULT false,
  stale_reason       text,
  stale_at           timestamptz,
  -- Set by the first welcome: Teams sends both installationUpdate and conversationUpdate on install.
  welcomed_at        timestamptz
);

CREATE INDEX conversation_refs_user_idx ON conversation_refs (tenant_id, aad_object_id);

-- One counter for every write, as botbuilder's MemoryStorage does, so an eTag is never reused even
-- after a key is deleted and written again.
CREATE SEQUENCE bot_state_etag_seq;

CREATE TABLE bot_state (
  key         text PRIMARY KEY,
  doc         jsonb NOT NULL,
  etag        bigint NOT NULL DEFAULT nextval('bot_state_etag_seq'),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
`;
