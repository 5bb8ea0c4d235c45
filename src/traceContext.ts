import type { Telemetry } from 'bullmq';

/** Attributes a span of ours may carry: ids, counts and codes only, never names or typed text. */
export type IdAttributes = Readonly<Record<string, string | number>>;

/**
 * What the app needs from OpenTelemetry when tracing is on (src/tracing.ts makes it). A type only, so
 * that the app and tests never load an OpenTelemetry module unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
export interface Tracing {
  /** For the reminders Queue and Worker: the job's processing span joins the trace that added it. */
  readonly bullmq: Telemetry;
  /**
   * Runs `fn` in a span that continues the trace of a W3C traceparent recorded with a case event, so
   * work done after a PostgreSQL notification belongs to the Teams activity that caused it.
   */
  inTrace<T>(traceParent: string, name: string, attributes: IdAttributes, fn: () => Promise<T>): Promise<T>;
  /** Sends the spans still buffered; the last thing a process does. */
  shutdown(): Promise<void>;
}
