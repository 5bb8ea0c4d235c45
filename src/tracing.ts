import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { envDetector, hostDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BullMQOtel } from 'bullmq-otel';
import type { Tracing } from './traceContext';

/**
 * OpenTelemetry traces, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/instrument.ts).
 * Traces say which ids went where and how long it took, never who: spans carry ids, counts, SQL with
 * its parameters left out, Redis command names without arguments, and URLs without query strings.
 * The standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, OTEL_TRACES_SAMPLER, ...)
 * apply; OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL (traces go to /v1/traces).
 */
export function startTracing(env: NodeJS.ProcessEnv): Tracing {
  const name = env.OTEL_SERVICE_NAME || 'rj-referrals';
  const sdk = new NodeSDK({
    serviceName: name,
    traceExporter: new RedactingExporter(new OTLPTraceExporter()),
    // Traces only: the process's metrics are prom-client's /metrics, and its logs are pino's.
    metricReaders: [],
    logRecordProcessors: [],
    // Not the process detector: it records the command line and the OS user.
    resourceDetectors: [envDetector, hostDetector],
    instrumentations: [
      new HttpInstrumentation({
        // Probes every few seconds would bury the traces that matter.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|livez|metrics)\b/.test(req.url ?? ''),
        // Called when the response is done, by which time restify has parsed the activity onto req.body.
        applyCustomAttributesOnSpan: (span, request) => {
          if ('body' in request) span.setAttributes(activityAttributes(request.body));
        },
      }),
      new PgInstrumentation({
        // Statement text only; its values are parameters ($1, $2), which this would record.
        enhancedDatabaseReporting: false,
        // The W3C traceparent as a comment on each statement: migration 009 records it with every case
        // event, so the reminder reconcile that the event's notification triggers joins this trace.
        addSqlCommenterCommentToQueries: true,
        // Polling (the outbox, the listener) outside any request would be a trace per poll.
        requireParentSpan: true,
      }),
      new IORedisInstrumentation({
        // The command name only: arguments hold keys and BullMQ job payloads.
        dbStatementSerializer: (command) => command,
        requireParentSpan: true,
      }),
    ],
  });
  sdk.start();
  const tracer = trace.getTracer(name);
  const propagator = new W3CTraceContextPropagator();
  return {
    bullmq: new BullMQOtel(name),
    inTrace(traceParent, spanName, attributes, fn) {
      const parent = propagator.extract(ROOT_CONTEXT, { traceparent: traceParent }, defaultTextMapGetter);
      return tracer.startActiveSpan(spanName, { kind: SpanKind.INTERNAL, attributes }, parent, async (span) => {
        try {
          return await fn();
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
          throw err;
        } finally {
          span.end();
        }
      });
    },
    shutdown: () => sdk.shutdown(),
  };
}

/** A code of ours or Teams' (activity type, invoke name, card verb): letters, digits and ./_- only. */
const CODE = /^[A-Za-z0-9._/-]{1,64}$/;

/**
 * What kind of activity a server span handled, from codes only: never its text, form values or
 * the sender's name. A value that does not look like a code is left out.
 */
export function activityAttributes(body: unknown): Attributes {
  const out: Attributes = {};
  const field = (o: unknown, key: string): unknown => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined);
  const code = (attr: string, v: unknown) => {
    if (typeof v === 'string' && CODE.test(v)) out[attr] = v;
  };
  code('rj.activity.type', field(body, 'type'));
  code('rj.activity.name', field(body, 'name'));
  code('rj.card.verb', field(field(field(body, 'value'), 'action'), 'verb'));
  return out;
}

/** Attributes that may carry what a caller typed or a credential, whatever instrumentation set them. */
const DROPPED = /^(url\.query|http\.request\.header\.|http\.response\.header\.|client\.address|http\.client_ip|db\.query\.parameter\.|db\.postgresql\.values|exception\.stacktrace)/;
const URLS = new Set(['url.full', 'http.url', 'url.original']);

/** A URL without its query string and fragment; a path (http.target) likewise. */
function withoutQuery(value: string): string {
  const cut = value.search(/[?#]/);
  return cut < 0 ? value : value.slice(0, cut);
}

export function redactAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (DROPPED.test(key)) continue;
    out[key] = (URLS.has(key) || key === 'http.target') && typeof value === 'string' ? withoutQuery(value) : value;
  }
  return out;
}

/**
 * The last guard before spans leave the process: whatever an instrumentation records by default or
 * in a later version, query strings, headers, client addresses and parameter values do not leave.
 */
class RedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function redactSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: redactAttributes(span.attributes),
    links: span.links,
    events: span.events.map((e) => ({ ...e, attributes: e.attributes && redactAttributes(e.attributes) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
