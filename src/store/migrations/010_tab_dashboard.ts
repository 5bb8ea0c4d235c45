/**
 * Indexes for the coordinators' dashboard (the tab): reports select a period's referrals by when
 * they were made and its contacts and closures by type and time; the facilitators view reads each
 * person's latest recorded event. Never edit once shipped: add the next migration.
 */
export const sql = `
CREATE INDEX cases_created_at_idx ON cases (created_at);
CREATE INDEX cases_stage_idx ON cases (stage);
CREATE INDEX case_events_type_at_idx ON case_events (type, at);
CREATE INDEX case_events_actor_at_idx ON case_events (actor_aad_id, at) WHERE actor_aad_id IS NOT NULL;
`;
