import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the service counts, in Prometheus form. Ids and codes only as labels (a verb, an HTTP
 * status, an activity type), never anything typed by a person. Metrics are off unless
 * METRICS_TOKEN is set; then `noMetrics` is used, so the hot path pays nothing for them.
 */
export type TurnOutcome = 'ok' | 'refused' | 'error';
export type ActionOutcome = 'ok' | 'refused' | 'invalid' | 'error';

/** Point-in-time figures read when Prometheus scrapes, from whoever owns them. */
export interface MetricSources {
  queue?: () => Promise<{ waiting: number; delayed: number; failed: number }>;
  outbox?: () => Promise<{ backlog: number; oldestAgeSeconds: number }>;
  pgPool?: () => { total: number; idle: number; waiting: number };
}

export interface Metrics {
  readonly enabled: boolean;
  turn(kind: string, outcome: TurnOutcome): void;
  cardAction(verb: string, outcome: ActionOutcome): void;
  /** `status` is '2xx' for a send Teams accepted, the HTTP status of a failed one, or 'error' when none came back. */
  proactiveSend(status: number | '2xx' | 'error'): void;
  /** Seconds from a reminder's due time to the moment Teams accepted it. */
  reminderLateness(seconds: number): void;
  /** `scope`: 'cases' after a change (one or a few cases), 'all' at start-up, daily and after an outage. */
  reconcileDuration(scope: 'cases' | 'all', seconds: number): void;
  /** Adds sources read at scrape time; later calls add to, never replace, earlier ones. */
  addSources(sources: MetricSources): void;
  /** The exposition text and its content type; undefined when metrics are off. */
  scrape(): Promise<{ contentType: string; body: string } | undefined>;
}

export const noMetrics: Metrics = {
  enabled: false,
  turn: () => undefined,
  cardAction: () => undefined,
  proactiveSend: () => undefined,
  reminderLateness: () => undefined,
  reconcileDuration: () => undefined,
  addSources: () => undefined,
  scrape: async () => undefined,
};

/** Verbs and activity kinds come from requests: only known shapes become labels, so nobody can grow the label set. */
const LABEL_PATTERN = /^[a-zA-Z][a-zA-Z0-9_./-]{0,63}$/;
const safeLabel = (value: string): string => (LABEL_PATTERN.test(value) ? value : 'other');

/** `defaultMetrics`: prom-client's process metrics (CPU, memory, GC, event loop); measurably costly on the turn path. */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'rj-referrals' });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const sources: MetricSources[] = [];
  const turns = new Counter({ name: 'rj_turns_total', help: 'Bot Framework activities handled, by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] });
  const actions = new Counter({ name: 'rj_card_actions_total', help: 'Card actions (Action.Execute verbs), by verb and outcome', labelNames: ['verb', 'outcome'], registers: [registry] });
  const sends = new Counter({ name: 'rj_proactive_sends_total', help: 'Messages sent to Teams, by HTTP status (429: throttled, 403: blocked or uninstalled)', labelNames: ['status'], registers: [registry] });
  const lateness = new Histogram({
    name: 'rj_reminder_lateness_seconds',
    help: 'From a reminder\'s due time to its delivery',
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600],
    registers: [registry],
  });
  const reconcile = new Histogram({
    name: 'rj_reconcile_duration_seconds',
    help: 'Time to reconcile reminders against the schedule in Redis, by scope (cases, all)',
    labelNames: ['scope'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });

  const sum = async <T>(pick: (s: MetricSources) => (() => Promise<T>) | undefined): Promise<T[]> =>
    Promise.all(sources.flatMap((s) => {
      const f = pick(s);
      return f ? [f()] : [];
    }));

  new Gauge({
    name: 'rj_reminder_queue_jobs',
    help: 'Reminder jobs in Redis, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const all = await sum((s) => s.queue);
      for (const state of ['waiting', 'delayed', 'failed'] as const) this.set({ state }, all.reduce((n, q) => n + q[state], 0));
    },
  });
  new Gauge({
    name: 'rj_outbox_backlog',
    help: 'Messages owed to Teams and not yet sent',
    registers: [registry],
    async collect() {
      const all = await sum((s) => s.outbox);
      this.set(all.reduce((n, o) => n + o.backlog, 0));
    },
  });
  new Gauge({
    name: 'rj_outbox_oldest_age_seconds',
    help: 'Age of the oldest message owed to Teams',
    registers: [registry],
    async collect() {
      const all = await sum((s) => s.outbox);
      this.set(all.reduce((n, o) => Math.max(n, o.oldestAgeSeconds), 0));
    },
  });
  new Gauge({
    name: 'rj_pg_pool_clients',
    help: 'PostgreSQL pool clients, by state (in_use, idle, waiting)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      let total = 0;
      let idle = 0;
      let waiting = 0;
      for (const s of sources) {
        const p = s.pgPool?.();
        if (!p) continue;
        total += p.total;
        idle += p.idle;
        waiting += p.waiting;
      }
      this.set({ state: 'in_use' }, total - idle);
      this.set({ state: 'idle' }, idle);
      this.set({ state: 'waiting' }, waiting);
    },
  });

  return {
    enabled: true,
    turn: (kind, outcome) => turns.inc({ kind: safeLabel(kind), outcome }),
    cardAction: (verb, outcome) => actions.inc({ verb: safeLabel(verb), outcome }),
    proactiveSend: (status) => sends.inc({ status: String(status) }),
    reminderLateness: (seconds) => lateness.observe(Math.max(0, seconds)),
    reconcileDuration: (scope, seconds) => reconcile.observe({ scope }, seconds),
    addSources: (s) => void sources.push(s),
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** Constant-time comparison of a presented bearer token with the configured one. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
