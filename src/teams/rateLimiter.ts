/**
 * Keeps proactive sends under Teams' throttling limits, so a burst of reminders (a Monday morning after
 * a bank holiday) is spread out by us instead of being answered with 429s that cost retries and, when
 * ignored, get the bot blocked for longer.
 *
 * Sliding windows, counted as reservations: `acquire` books the earliest instant at which every window
 * of every key involved has room, records it, and sleeps until then. Booking before sleeping means
 * nobody wakes up to find the slot taken, and keeps each conversation's messages in the order they
 * were sent.
 *
 * The limits are per process. When the web process and the reminder worker run separately, each keeps
 * its own count; Teams' per-conversation limits are far above what one case generates, and the worker
 * sends nearly all proactive traffic, so the margin below covers that.
 */

export interface RateWindow {
  /** Sends allowed within any interval of `ms`. */
  limit: number;
  ms: number;
}

/** Teams: 7 per second, 8 per 2 s, 60 per 30 s, 1800 per hour, per bot per conversation. */
export const TEAMS_CONVERSATION_WINDOWS: readonly RateWindow[] = [
  { limit: 7, ms: 1_000 },
  { limit: 8, ms: 2_000 },
  { limit: 60, ms: 30_000 },
  { limit: 1_800, ms: 3_600_000 },
];

/** Teams documents "about 50" per second per app per tenant; "about" earns a margin. */
export const TEAMS_TENANT_WINDOWS: readonly RateWindow[] = [{ limit: 45, ms: 1_000 }];

export interface RateLimiterOptions {
  /** Milliseconds since the epoch; injected so tests need no real time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  conversationWindows?: readonly RateWindow[];
  tenantWindows?: readonly RateWindow[];
  /**
   * Added to every window's length: Teams counts arrivals, we count departures, and network jitter can
   * bring two sends spaced exactly one window apart closer together on its side.
   */
  marginMs?: number;
  /** How often idle keys are looked for and forgotten. */
  sweepEveryMs?: number;
}

/** What to count a send against. A create-conversation call has a tenant but no conversation yet. */
export interface RateKeys {
  conversationId?: string;
  tenantId?: string;
}

interface Log {
  windows: readonly RateWindow[];
  /** Booked send instants, ascending. */
  times: number[];
  /** Conversations are served in order; tenants fill gaps (see earliestFillingGaps). */
  ordered: boolean;
  /** Teams said Retry-After: nothing goes before this instant. */
  blockedUntil: number;
}

export const realSleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly conversationWindows: readonly RateWindow[];
  private readonly tenantWindows: readonly RateWindow[];
  private readonly sweepEveryMs: number;
  private readonly logs = new Map<string, Log>();
  private lastSweep: number;

  constructor(o: RateLimiterOptions = {}) {
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    const margin = o.marginMs ?? 100;
    const pad = (ws: readonly RateWindow[]): RateWindow[] => ws.map((w) => ({ limit: w.limit, ms: w.ms + margin }));
    this.conversationWindows = pad(o.conversationWindows ?? TEAMS_CONVERSATION_WINDOWS);
    this.tenantWindows = pad(o.tenantWindows ?? TEAMS_TENANT_WINDOWS);
    for (const w of [...this.conversationWindows, ...this.tenantWindows]) {
      if (!(w.limit >= 1 && Number.isInteger(w.limit) && w.ms > 0)) throw new RangeError(`invalid rate window ${w.limit}/${w.ms} ms`);
    }
    this.sweepEveryMs = o.sweepEveryMs ?? 60_000;
    this.lastSweep = this.now();
  }

  /**
   * Books a slot and resolves when it arrives. Returns how long it waited, in milliseconds. A booked
   * slot counts even if the caller then does not send: over-counting only ever slows us down.
   */
  async acquire(keys: RateKeys): Promise<number> {
    const now = this.now();
    this.sweep(now);
    const { conversation, tenant } = this.logsFor(keys);
    // The conversation's slot is the lower bound the tenant's slot is searched from.
    let at = conversation ? earliestInOrder(conversation, now) : now;
    if (tenant) at = earliestFillingGaps(tenant, at);
    if (conversation) book(conversation, at, now);
    if (tenant) book(tenant, at, now);
    const wait = at - now;
    if (wait > 0) await this.sleep(wait);
    return wait;
  }

  /** Honours a Retry-After for every later send to the same conversation, not only the one retried. */
  blockUntil(keys: RateKeys, until: number): void {
    const { conversation, tenant } = this.logsFor(keys);
    for (const log of [conversation, tenant]) if (log) log.blockedUntil = Math.max(log.blockedUntil, until);
  }

  /** Keys currently remembered (for tests and metrics). */
  size(): number {
    return this.logs.size;
  }

  private logsFor(keys: RateKeys): { conversation?: Log; tenant?: Log } {
    return {
      ...(keys.conversationId !== undefined ? { conversation: this.log(`c:${keys.conversationId}`, this.conversationWindows, true) } : {}),
      ...(keys.tenantId !== undefined ? { tenant: this.log(`t:${keys.tenantId}`, this.tenantWindows, false) } : {}),
    };
  }

  private log(key: string, windows: readonly RateWindow[], ordered: boolean): Log {
    let log = this.logs.get(key);
    if (!log) {
      log = { windows, times: [], ordered, blockedUntil: 0 };
      this.logs.set(key, log);
    }
    return log;
  }

  /** A key is idle once its last booking has left its longest window and no block is pending. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.sweepEveryMs) return;
    this.lastSweep = now;
    for (const [key, log] of this.logs) {
      const longest = Math.max(...log.windows.map((w) => w.ms));
      const last = log.times[log.times.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (last <= now - longest && log.blockedUntil <= now) this.logs.delete(key);
    }
  }
}

/**
 * A conversation's bookings are in ascending order (each at or after the previous one: first come, first
 * served), so only windows ending at the new booking need checking, and room in a window of `limit`
 * means the `limit`-th most recent booking is at least one window old.
 */
function earliestInOrder(log: Log, lower: number): number {
  let at = Math.max(lower, log.blockedUntil, log.times[log.times.length - 1] ?? Number.NEGATIVE_INFINITY);
  for (const w of log.windows) {
    const nth = log.times[log.times.length - w.limit];
    if (nth !== undefined) at = Math.max(at, nth + w.ms);
  }
  return at;
}

/**
 * A tenant's bookings may fill gaps: a conversation held back (by its own windows or a Retry-After)
 * has booked a slot far ahead, and a send to another conversation must not queue behind it. So the new
 * booking may land before existing ones, and every window that would contain it is checked. Room
 * only ever opens when a booking leaves a window, so the candidates are `lower` and each booking plus
 * a window length; the last candidate always fits.
 */
function earliestFillingGaps(log: Log, lower: number): number {
  const from = Math.max(lower, log.blockedUntil);
  if (log.windows.every((w) => fits(log.times, from, w))) return from;
  const candidates = [...new Set(log.windows.flatMap((w) => log.times.map((t) => t + w.ms)))].filter((c) => c > from).sort((a, b) => a - b);
  for (const c of candidates) if (log.windows.every((w) => fits(log.times, c, w))) return c;
  return from; // unreachable: the largest candidate leaves every window empty
}

/** Whether a booking at `at` keeps every interval (x - ms, x] that contains it within `limit`. */
function fits(times: readonly number[], at: number, w: RateWindow): boolean {
  const near = times.filter((t) => t > at - w.ms && t < at + w.ms);
  // The count over (x - ms, x], x in [at, at + ms), only rises at a booking, so those x suffice.
  for (const x of [at, ...near.filter((t) => t > at)]) {
    const inWindow = near.filter((t) => t > x - w.ms && t <= x).length;
    if (inWindow + 1 > w.limit) return false;
  }
  return true;
}

function book(log: Log, at: number, now: number): void {
  if (log.ordered) {
    log.times.push(at);
    const keep = Math.max(...log.windows.map((w) => w.limit));
    if (log.times.length > keep) log.times.splice(0, log.times.length - keep);
    return;
  }
  const longest = Math.max(...log.windows.map((w) => w.ms));
  const firstLive = log.times.findIndex((t) => t > now - longest);
  log.times.splice(0, firstLive < 0 ? log.times.length : firstLive);
  const i = log.times.findIndex((t) => t > at);
  log.times.splice(i < 0 ? log.times.length : i, 0, at);
}
