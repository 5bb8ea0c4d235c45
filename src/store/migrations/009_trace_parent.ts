/**
 * The trace a case event belongs to, so the reminder reconcile its notification triggers (in this
 * process or a worker process) joins the trace of the Teams activity that made the change. Never
 * edit once shipped: add the next migration.
 */
export const sql = `
-- The W3C traceparent of the statement that appended the event, or NULL when tracing is off. With
-- tracing on, the pg instrumentation appends /*traceparent='00-<trace id>-<span id>-<flags>'*/ to
-- every statement, so every writer of case_events is covered without passing anything around. The
-- statement text is the application's own (typed values are always parameters), and only a strict
-- traceparent is taken from it. Default set apart from ADD COLUMN so existing rows are not rewritten.
ALTER TABLE case_events ADD COLUMN trace_parent text;
ALTER TABLE case_events ALTER COLUMN trace_parent
  SET DEFAULT substring(current_query() FROM 'traceparent=''(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})''');

-- The notification carries it after the case id: "<case id>[ <traceparent>]".
CREATE OR REPLACE FUNCTION notify_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rj_case_changed', NEW.case_id::text || coalesce(' ' || NEW.trace_parent, ''));
  RETURN NULL;
END;
$$;
`;
