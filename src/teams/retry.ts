/**
 * How a failed call to the Teams connector is classified and, when worth it, retried. Pure functions:
 * the sender supplies the clock and the randomness.
 */

export interface RetryPolicy {
  /** First backoff ceiling; doubles each attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  capMs: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /**
   * A Retry-After longer than this is not slept through: the send fails as transient with the wait
   * attached, so a queued job can be rescheduled instead of holding a worker for minutes.
   */
  maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 500, capMs: 30_000, maxAttempts: 6, maxWaitMs: 60_000 };

/**
 * "Full jitter": a uniformly random wait up to the exponential ceiling, so many senders throttled at
 * the same moment do not come back at the same moment. `attempt` is the one that just failed (1-based).
 */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Unparseable: no advice. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/**
 * - `unreachable`: 403 (bot removed, blocked or uninstalled; not in the roster) or 404 (conversation
 *   gone). Retrying cannot help and the reference is dead until the person comes back.
 * - `transient`: throttling (429), a conflicting concurrent operation (412), gateway errors and lost
 *   connections: worth retrying.
 * - `rejected`: anything else (400 malformed, 401 credentials, 413 too large): a bug or configuration
 *   problem that retrying would only repeat.
 */
export type FailureClass = 'unreachable' | 'transient' | 'rejected';

export interface ConnectorFailure {
  class: FailureClass;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Teams' error code (`BotNotInConversationRoster`, `ConversationBlockedByUser`, ...) or a network code. */
  code: string | null;
  retryAfterHeader: string | null;
}

const TRANSIENT_STATUS = new Set([408, 412, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'REQUEST_SEND_ERROR']);

/**
 * Reads a botbuilder/Azure `RestError` (statusCode, code, response.headers) structurally, so nothing
 * here depends on the SDK's classes.
 */
export function classifyError(err: unknown): ConnectorFailure {
  const status = numberProp(err, 'statusCode') ?? numberProp(err, 'status') ?? null;
  const code = stringProp(err, 'code') ?? null;
  const retryAfterHeader = headerOf(err, 'retry-after');
  let cls: FailureClass;
  if (status === 403 || status === 404) cls = 'unreachable';
  else if (status !== null) cls = TRANSIENT_STATUS.has(status) ? 'transient' : 'rejected';
  else cls = code !== null && NETWORK_CODES.has(code) ? 'transient' : isAbortOrTimeout(err) ? 'transient' : 'rejected';
  return { class: cls, status, code, retryAfterHeader };
}

function isAbortOrTimeout(err: unknown): boolean {
  const name = stringProp(err, 'name');
  return name === 'AbortError' || name === 'TimeoutError';
}

function prop(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

function numberProp(o: unknown, key: string): number | undefined {
  const v = prop(o, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function stringProp(o: unknown, key: string): string | undefined {
  const v = prop(o, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function headerOf(err: unknown, name: string): string | null {
  const headers = prop(prop(err, 'response'), 'headers');
  const get = prop(headers, 'get');
  if (typeof get === 'function') {
    const v: unknown = get.call(headers, name);
    return typeof v === 'string' ? v : null;
  }
  const v = prop(headers, name);
  return typeof v === 'string' ? v : null;
}
