import type { Logger } from '../log';
import type { ClaimedMessage, OutboxEffect, OutboxRepository } from '../store/outboxRepository';
import { PgListener } from '../store/pgListen';

/** Raised by migration 006's trigger when a transaction that wrote outbox rows commits. */
export const OUTBOX_CHANNEL = 'rj_outbox';

/** What delivering one row came to; `effects` are written with the outcome, in one transaction. */
export type Delivery =
  | { status: 'sent'; conversationId: string | null; activityId: string | null; effects?: OutboxEffect[] }
  | { status: 'skipped'; reason: string; effects?: OutboxEffect[] }
  | { status: 'failed'; reason: string; effects?: OutboxEffect[] }
  /** Transient: try again later. `giveUpEffects` are written if this was the last attempt allowed. */
  | { status: 'retry'; reason: string; retryAfterMs?: number; giveUpEffects?: OutboxEffect[] };

export interface Deliverer {
  /** Renders and sends one claimed row. Should not throw; if it does, the row is retried later. */
  deliver(message: ClaimedMessage): Promise<Delivery>;
}

export interface DispatcherOptions {
  repo: OutboxRepository;
  deliverer: Deliverer;
  log: Logger;
  /** For the LISTEN connection; without it the dispatcher only polls (and is kicked in-process). */
  databaseUrl?: string;
  /** How long a claim stays ours without a heartbeat; renewed every third of it while a send runs. */
  leaseMs?: number;
  /** Rows in hand at once (each is the head of its lane, so they go to different cards or people). */
  concurrency?: number;
  /** Safety net: look for due rows this often even without a notification. */
  pollMs?: number;
  /** Claims of one row before a transient failure counts as final. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  /** In [0, 1); the jitter source. */
  random?: () => number;
  reconnectMs?: number;
}

/**
 * Sends what the outbox holds. Any number of dispatchers (web and worker processes) may run: a claim
 * is `FOR UPDATE SKIP LOCKED` with a lease, and an outcome is recorded only under the claim that made
 * the send, so no row is sent twice by two live dispatchers. A dispatcher that dies mid-send leaves a
 * claim whose lease runs out; the row is then sent again. That is the one duplicate left: Teams
 * accepted the message, and the process died before the row was marked sent.
 */
export class OutboxDispatcher {
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly random: () => number;
  private readonly inFlight = new Map<string, { claim: ClaimedMessage; done: Promise<void> }>();
  private pumping: Promise<void> | undefined;
  private wanted = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly pg: PgListener | undefined;

  constructor(private readonly o: DispatcherOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.concurrency = o.concurrency ?? 8;
    this.pollMs = o.pollMs ?? 5_000;
    this.maxAttempts = o.maxAttempts ?? 15;
    this.retryBaseMs = o.retryBaseMs ?? 5_000;
    this.retryCapMs = o.retryCapMs ?? 10 * 60_000;
    this.random = o.random ?? Math.random;
    this.pg = o.databaseUrl === undefined ? undefined : new PgListener({
      databaseUrl: o.databaseUrl,
      channels: [OUTBOX_CHANNEL],
      applicationName: 'rj-outbox-listener',
      label: 'outbox listener',
      log: o.log,
      reconnectMs: o.reconnectMs,
      onNotification: () => this.kick(),
      // Rows committed while nobody listened are found by this kick (or, until then, the poll).
      onReconnected: () => this.kick(),
    });
  }

  /** Listens for new rows and sends everything already due (what a crashed process left included). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.pg?.start();
    this.heartbeat = setInterval(() => this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.kick();
  }

  /** Stops claiming, lets the rows in hand finish (sent and recorded), closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pg?.stop();
    await this.settled();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Look now: a transaction that owes messages has just committed (in this process). */
  kick(): void {
    if (this.stopped) return;
    this.wanted = true;
    if (this.pumping) return;
    this.pumping = this.pump()
      .catch((err: unknown) => this.o.log.error({ err: message(err) }, 'outbox: claiming failed'))
      .finally(() => {
        this.pumping = undefined;
        if (this.wanted && !this.stopped && this.inFlight.size < this.concurrency) this.kick();
        else this.scheduleWake();
      });
  }

  /**
   * Resolves when nothing owed is in hand anywhere or due now (retries waiting for their time aside):
   * what tests wait for after an action, in place of the announcements it used to start.
   */
  async idle(): Promise<void> {
    for (;;) {
      await this.settled();
      const outstanding = await this.o.repo.outstanding();
      if (outstanding === 0 && this.inFlight.size === 0 && !this.pumping) return;
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async settled(): Promise<void> {
    while (this.pumping || this.inFlight.size > 0) {
      await Promise.all([this.pumping, ...[...this.inFlight.values()].map((f) => f.done)]);
    }
  }

  private async pump(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) return;
      const claims = await this.o.repo.claim(free, this.leaseMs);
      for (const c of claims) this.begin(c);
      // A full batch may have left more behind.
      if (claims.length === free) this.wanted = true;
    }
  }

  private begin(claim: ClaimedMessage): void {
    const done = this.handle(claim)
      .catch((err: unknown) => this.o.log.error({ outboxId: claim.id, kind: claim.kind, err: message(err) }, 'outbox: recording an outcome failed; the lease will run out and the row be retried'))
      .finally(() => {
        this.inFlight.delete(claim.id);
        // The next row of this lane (or any row waiting for a free slot) may go now.
        this.kick();
      });
    this.inFlight.set(claim.id, { claim, done });
  }

  private async handle(claim: ClaimedMessage): Promise<void> {
    let d: Delivery;
    try {
      d = await this.o.deliverer.deliver(claim);
    } catch (err) {
      d = { status: 'retry', reason: `unexpected error: ${message(err).slice(0, 200)}` };
    }
    const ids = { outboxId: claim.id, kind: claim.kind, caseId: claim.caseId, attempts: claim.attempts };
    let recorded: boolean;
    switch (d.status) {
      case 'sent':
        recorded = await this.o.repo.finish(claim, { status: 'sent', conversationId: d.conversationId, activityId: d.activityId }, d.effects);
        this.o.log.info({ ...ids, conversationId: d.conversationId, activityId: d.activityId }, 'outbox: sent');
        break;
      case 'skipped':
        recorded = await this.o.repo.finish(claim, { status: 'skipped', error: d.reason }, d.effects);
        this.o.log.info({ ...ids, reason: d.reason }, 'outbox: nothing to send');
        break;
      case 'failed':
        recorded = await this.o.repo.finish(claim, { status: 'failed', error: d.reason }, d.effects);
        this.o.log.warn({ ...ids, reason: d.reason }, 'outbox: failed permanently');
        break;
      case 'retry':
        if (claim.attempts >= this.maxAttempts) {
          recorded = await this.o.repo.finish(claim, { status: 'failed', error: `gave up after ${claim.attempts} attempts: ${d.reason}` }, d.giveUpEffects);
          this.o.log.error({ ...ids, reason: d.reason }, 'outbox: gave up after transient failures');
        } else {
          const delayMs = this.backoffMs(claim.attempts, d.retryAfterMs);
          recorded = await this.o.repo.retryLater(claim, delayMs, d.reason);
          this.o.log.warn({ ...ids, reason: d.reason, delayMs }, 'outbox: will retry');
        }
        break;
    }
    if (!recorded) this.o.log.warn(ids, 'outbox: claim lost before the outcome was recorded (lease ran out)');
  }

  /** Exponential with jitter in [½, 1] of the ceiling, never sooner than Teams' Retry-After. */
  private backoffMs(attempts: number, retryAfterMs: number | undefined): number {
    const ceiling = Math.min(this.retryCapMs, this.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    const jittered = Math.floor(ceiling * (0.5 + Math.min(Math.max(this.random(), 0), 1) / 2));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  private renewLeases(): void {
    const claims = [...this.inFlight.values()].map((f) => f.claim);
    if (claims.length === 0) return;
    this.o.repo.extendLease(claims, this.leaseMs).catch((err: unknown) => this.o.log.warn({ err: message(err), claims: claims.length }, 'outbox: could not renew leases'));
  }

  /** Sleeps until the next retry falls due or a dead claim's lease runs out, at most pollMs. */
  private scheduleWake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const arm = (ms: number) => {
      if (this.stopped) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, ms);
      this.timer.unref();
    };
    arm(this.pollMs);
    // Rows in hand kick again when they finish; only an empty hand needs to know when to look next.
    if (this.inFlight.size > 0) return;
    this.o.repo.nextWakeMs().then(
      (ms) => {
        if (ms !== undefined && ms < this.pollMs && !this.pumping) arm(ms + 5);
      },
      (err: unknown) => this.o.log.warn({ err: message(err) }, 'outbox: could not read the next due time'),
    );
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
