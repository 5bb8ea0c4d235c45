import { ActivityTypes, type Activity, type ConversationParameters, type ConversationReference, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import { attachment, type AdaptiveCard } from '../../cards/adaptive';
import { systemClock, type Clock } from '../shared/clock';
import type { Logger } from '../log';
import { channelOf, threadRootOf } from '../app/coordinators';
import { noMetrics, type Metrics } from '../metrics';
import type { ConversationRefRecord, ConversationRefRepository } from '../store/conversationRefRepository';
import { RateLimiter, realSleep, type RateKeys } from './rateLimiter';
import { backoffMs, classifyError, DEFAULT_RETRY_POLICY, parseRetryAfter, type ConnectorFailure, type RetryPolicy } from './retry';

/** A message activity, or an Adaptive Card to send as one. */
export type ProactiveContent = Partial<Activity> | AdaptiveCard;

/**
 * - `unreachable`: Teams answered 403/404; the reference is marked stale until the person writes again.
 * - `no_reference`: nobody to send to: no stored 1:1 chat and none could be created.
 * - `rejected`: the request itself is wrong (400, 401, too large...); retrying would repeat it.
 * - `exhausted`: transient errors outlasted the retry budget; worth trying again later.
 */
export type SendFailureKind = 'unreachable' | 'no_reference' | 'rejected' | 'exhausted';

export interface SendFailure {
  ok: false;
  /** True when trying again later cannot help without someone acting first. */
  permanent: boolean;
  kind: SendFailureKind;
  /** HTTP status of the last answer, or null (no request made, or no response). */
  status: number | null;
  /** Ids and codes only, safe to log and store. */
  reason: string;
  conversationId: string | null;
  attempts: number;
  /** For `exhausted` after a Retry-After too long to sleep through: when a later try may succeed. */
  retryAfterMs?: number;
}

export type SendResult = { ok: true; conversationId: string; activityId: string; attempts: number } | SendFailure;
export type UpdateResult = { ok: true; conversationId: string; activityId: string; attempts: number } | SendFailure;
export type CreateConversationResult = { ok: true; conversationId: string; attempts: number } | SendFailure;

/** Passed to `onPermanentFailure` so the composition root can tell coordinators. */
export interface PermanentFailure {
  kind: 'unreachable' | 'no_reference';
  tenantId: string | null;
  aadObjectId: string | null;
  conversationId: string | null;
  status: number | null;
  reason: string;
  /** The reference was already stale before this send, so coordinators were told the first time. */
  alreadyStale: boolean;
}

/** The two adapter calls used; a CloudAdapter from createProactiveAdapter() satisfies it. */
export interface ProactiveAdapter {
  continueConversationAsync(botAppId: string, reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void>;
  createConversationAsync(
    botAppId: string,
    channelId: string,
    serviceUrl: string,
    audience: string,
    conversationParameters: ConversationParameters,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void>;
}

export type ConversationRefs = Pick<ConversationRefRepository, 'get' | 'findPersonal' | 'upsert' | 'markStale'>;

export interface ProactiveSenderDeps {
  /** Use createProactiveAdapter(): no middleware, no onTurnError, no SDK retries. */
  adapter: ProactiveAdapter;
  /** MicrosoftAppId ('' in local development). */
  botAppId: string;
  refs: ConversationRefs;
  log: Logger;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Defaults to one built from clock and sleep with Teams' limits. */
  limiter?: RateLimiter;
  /** Called (and awaited; errors logged) for every `unreachable` or `no_reference` failure. */
  onPermanentFailure?: (failure: PermanentFailure) => Promise<void> | void;
  /**
   * Where to create a 1:1 chat for a user with no stored reference at all: Teams' serviceUrl for the
   * tenant (any recent reference from that tenant has it). Without it such users are `no_reference`.
   */
  serviceUrlForTenant?: (tenantId: string) => Promise<string | undefined> | string | undefined;
  /** Counts every call to Teams by its status (429 and 403 included). */
  metrics?: Metrics;
}

/** Teams rejects larger messages; failing here avoids burning retries on a certain 413. */
export const MAX_ACTIVITY_BYTES = 80 * 1024;
const TEAMS_CHANNEL = 'msteams';
/**
 * The adapter falls back to the configured cloud's channel scope when the audience is missing (what
 * botbuilder's own TeamsInfo passes); its type says string, but a literal public-cloud scope would be
 * wrong for government clouds.
 */
const CONFIGURED_AUDIENCE = undefined as unknown as string;

const storedReference = z
  .object({
    conversation: z.object({ id: z.string().min(1) }).passthrough(),
    user: z.object({ id: z.string() }).passthrough().optional(),
    bot: z.object({ id: z.string().min(1), name: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();

type Attempted<T> = { ok: true; value: T; attempts: number } | { ok: false; failure: ConnectorFailure; attempts: number; exhausted: boolean; retryAfterMs?: number };

class TurnDidNotRun extends Error {
  constructor() {
    super('the proactive turn did not run (middleware ended it)');
    this.name = 'TurnDidNotRun';
  }
}

/**
 * The one way the bot speaks first: reminders, offers to facilitators, notes to coordinators. It never
 * throws for a delivery problem; it answers with a result, so callers commit their state change first
 * and record the outcome after, and a failed send never undoes (or loses) the change it reports.
 * Logs carry ids, statuses and codes, never message content.
 */
export class ProactiveSender {
  private readonly adapter: ProactiveAdapter;
  private readonly botAppId: string;
  private readonly refs: ConversationRefs;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly limiter: RateLimiter;
  private readonly onPermanentFailure: ProactiveSenderDeps['onPermanentFailure'];
  private readonly serviceUrlForTenant: ProactiveSenderDeps['serviceUrlForTenant'];
  private readonly metrics: Metrics;

  constructor(d: ProactiveSenderDeps) {
    this.adapter = d.adapter;
    this.botAppId = d.botAppId;
    this.refs = d.refs;
    this.log = d.log;
    const clock = d.clock ?? systemClock;
    this.now = () => clock().getTime();
    this.sleep = d.sleep ?? realSleep;
    this.random = d.random ?? Math.random;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...d.retry };
    this.limiter = d.limiter ?? new RateLimiter({ now: this.now, sleep: this.sleep });
    this.onPermanentFailure = d.onPermanentFailure;
    this.serviceUrlForTenant = d.serviceUrlForTenant;
    this.metrics = d.metrics ?? noMetrics;
  }

  /** Sends a new message to a conversation the bot already has a reference for. */
  async sendToConversation(conversationId: string, content: ProactiveContent): Promise<SendResult> {
    try {
      const ref = await this.refs.get(conversationId);
      if (!ref) return await this.noReference({ conversationId, tenantId: null, aadObjectId: null }, 'no stored conversation reference');
      return await this.sendVia(ref, content);
    } catch (err) {
      return this.unexpected('send', conversationId, err);
    }
  }

  /**
   * Sends to a person's 1:1 chat with the bot. With no usable reference (none stored, or stale) it asks
   * Teams for the 1:1 conversation, which works whenever the app is installed for the person.
   */
  async sendToUser(tenantId: string, aadObjectId: string, content: ProactiveContent): Promise<SendResult> {
    const tenant = tenantId.toLowerCase();
    const user = aadObjectId.toLowerCase();
    try {
      const ref = await this.refs.findPersonal(tenant, user);
      if (ref && !ref.stale) return await this.sendVia(ref, content);

      const serviceUrl = ref?.serviceUrl ?? (await this.serviceUrlForTenant?.(tenant));
      if (!serviceUrl) {
        return await this.noReference({ conversationId: ref?.conversationId ?? null, tenantId: tenant, aadObjectId: user }, 'no conversation reference and no serviceUrl for the tenant', ref?.stale ?? false);
      }
      const teamsUserId = ref ? teamsUserIdOf(ref) : undefined;
      const created = await this.createPersonalConversation(tenant, { aadObjectId: user, ...(teamsUserId ? { teamsUserId } : {}) }, serviceUrl);
      if (!created.ok) return created;
      const fresh = await this.refs.get(created.conversationId);
      if (!fresh) return await this.noReference({ conversationId: created.conversationId, tenantId: tenant, aadObjectId: user }, 'created conversation reference not found');
      const sent = await this.sendVia(fresh, content);
      return sent.ok ? { ...sent, attempts: sent.attempts + created.attempts } : sent;
    } catch (err) {
      return this.unexpected('sendToUser', null, err);
    }
  }

  /** Replaces a message the bot sent earlier (a card whose buttons no longer apply, say). */
  async updateActivity(conversationId: string, activityId: string, content: ProactiveContent): Promise<UpdateResult> {
    try {
      const ref = await this.refs.get(conversationId);
      if (!ref) return await this.noReference({ conversationId, tenantId: null, aadObjectId: null }, 'no stored conversation reference');
      if (ref.stale) return await this.staleAlready(ref);
      const activity = { ...toActivity(content), id: activityId };
      const tooBig = this.checkSize(activity, conversationId);
      if (tooBig) return tooBig;
      const r = await this.attempt({ conversationId, tenantId: ref.tenantId }, { op: 'update', conversationId, activityId }, () =>
        this.inTurn(ref, async (ctx) => {
          await ctx.updateActivity(activity);
        }),
      );
      if (r.ok) return { ok: true, conversationId, activityId, attempts: r.attempts };
      // A 404 about the message (deleted by the user) says nothing about the conversation.
      const aboutMessage = r.failure.status === 404 && /activity|message/i.test(r.failure.code ?? '');
      return await this.failed(ref, r, aboutMessage ? 'rejected' : undefined);
    } catch (err) {
      return this.unexpected('update', conversationId, err);
    }
  }

  /**
   * Creates (or, as Teams does for an existing pair, returns) the person's 1:1 conversation with the
   * bot and stores its reference. `teamsUserId` (`29:...`) is used as the member id when known; Teams
   * also accepts the Entra object id.
   */
  async createPersonalConversation(tenantId: string, user: { aadObjectId: string; teamsUserId?: string }, serviceUrl: string): Promise<CreateConversationResult> {
    const tenant = tenantId.toLowerCase();
    const aadObjectId = user.aadObjectId.toLowerCase();
    const memberId = user.teamsUserId ?? aadObjectId;
    const bot = { id: `28:${this.botAppId}`, name: '' };
    const params: ConversationParameters = {
      isGroup: false,
      bot,
      members: [{ id: memberId, name: '' }],
      tenantId: tenant,
      channelData: { tenant: { id: tenant } },
    };
    try {
      const r = await this.attempt({ tenantId: tenant }, { op: 'createConversation', tenantId: tenant, aadObjectId }, async () => {
        const box: { id?: string } = {};
        await this.adapter.createConversationAsync(this.botAppId, TEAMS_CHANNEL, serviceUrl, CONFIGURED_AUDIENCE, params, async (ctx) => {
          box.id = ctx.activity.conversation?.id;
        });
        if (!box.id) throw new TurnDidNotRun();
        return box.id;
      });
      if (!r.ok) {
        const kind = r.exhausted ? 'exhausted' : r.failure.class === 'unreachable' ? 'unreachable' : 'rejected';
        const failure = failureOf(kind, r, null);
        if (kind === 'unreachable') await this.notify({ kind, tenantId: tenant, aadObjectId, conversationId: null, status: failure.status, reason: failure.reason, alreadyStale: false });
        return failure;
      }
      const conversationId = r.value;
      const reference: Partial<ConversationReference> = {
        channelId: TEAMS_CHANNEL,
        serviceUrl,
        conversation: { id: conversationId, conversationType: 'personal', tenantId: tenant, isGroup: false, name: '' },
        user: { id: memberId, name: '', aadObjectId },
        bot,
      };
      await this.refs.upsert({ conversationId, tenantId: tenant, aadObjectId, conversationType: 'personal', serviceUrl, reference });
      this.log.info({ conversationId, tenantId: tenant, aadObjectId, attempts: r.attempts }, 'personal conversation created');
      return { ok: true, conversationId, attempts: r.attempts };
    } catch (err) {
      return this.unexpected('createConversation', null, err);
    }
  }

  /**
   * Starts a new thread in a Teams channel: `POST /v3/conversations` with the channel in channelData
   * and the message as the conversation's first activity, as Teams' proactive-messaging docs describe.
   * Teams answers with the thread's conversation id (`<channel>;messageid=<root>`); its reference is
   * stored at once so replies and updates in the thread work like any other conversation's. The
   * channel's own reference (stored when it was registered) gives the serviceUrl and tenant.
   */
  async startThread(channelId: string, content: ProactiveContent): Promise<SendResult> {
    try {
      const ref = await this.refs.get(channelId);
      if (!ref) return await this.noReference({ conversationId: channelId, tenantId: null, aadObjectId: null }, 'no stored reference for the channel');
      if (ref.stale) return await this.staleAlready(ref);
      const activity = toActivity(content);
      const tooBig = this.checkSize(activity, channelId);
      if (tooBig) return tooBig;
      const stored = storedReference.parse(ref.reference);
      const bot = { id: stored.bot?.id ?? `28:${this.botAppId}`, name: stored.bot?.name ?? '' };
      const params: ConversationParameters = {
        isGroup: true,
        bot,
        tenantId: ref.tenantId,
        channelData: { channel: { id: channelId }, tenant: { id: ref.tenantId } },
        // The SDK's type wants a whole Activity; the connector takes the message fields given here.
        activity: activity as Activity,
      };
      const r = await this.attempt({ conversationId: channelId, tenantId: ref.tenantId }, { op: 'startThread', conversationId: channelId }, async () => {
        const box: { id?: string } = {};
        await this.adapter.createConversationAsync(this.botAppId, TEAMS_CHANNEL, ref.serviceUrl, CONFIGURED_AUDIENCE, params, async (ctx) => {
          box.id = ctx.activity.conversation?.id;
        });
        if (!box.id) throw new TurnDidNotRun();
        return box.id;
      });
      if (!r.ok) return await this.failed(ref, r);
      const threadId = r.value;
      // botbuilder's CloudAdapter drops the response's activityId; in Teams the root message's id is the thread's messageid.
      const activityId = threadRootOf(threadId);
      if (!activityId || channelOf(threadId) !== channelId) {
        this.log.error({ conversationId: channelId, threadId }, 'Teams answered a new thread with an id that is not a thread of the channel');
        return { ok: false, permanent: true, kind: 'rejected', status: null, reason: 'new thread id is not a thread of the channel', conversationId: channelId, attempts: r.attempts };
      }
      const reference = { ...stored, conversation: { ...stored.conversation, id: threadId } };
      await this.refs.upsert({ conversationId: threadId, tenantId: ref.tenantId, aadObjectId: null, conversationType: 'channel', serviceUrl: ref.serviceUrl, reference });
      this.log.info({ conversationId: threadId, activityId, attempts: r.attempts }, 'channel thread started');
      return { ok: true, conversationId: threadId, activityId, attempts: r.attempts };
    } catch (err) {
      return this.unexpected('startThread', channelId, err);
    }
  }

  // ---------------------------------------------------------------------------------------------------

  private async sendVia(ref: ConversationRefRecord, content: ProactiveContent): Promise<SendResult> {
    // Pointless until the person comes back (their next activity clears the flag): Teams would say 403 again.
    if (ref.stale) return this.staleAlready(ref);
    const activity = toActivity(content);
    const conversationId = ref.conversationId;
    const tooBig = this.checkSize(activity, conversationId);
    if (tooBig) return tooBig;
    const r = await this.attempt({ conversationId, tenantId: ref.tenantId }, { op: 'send', conversationId }, () =>
      this.inTurn(ref, async (ctx) => (await ctx.sendActivity(activity))?.id),
    );
    if (!r.ok) return this.failed(ref, r);
    if (!r.value) this.log.warn({ conversationId }, 'proactive send answered without an activity id');
    this.log.info({ conversationId, activityId: r.value ?? null, attempts: r.attempts }, 'proactive message sent');
    return { ok: true, conversationId, activityId: r.value ?? '', attempts: r.attempts };
  }

  /**
   * Rate-limited attempts with backoff. Throws only what `op` throws that is not a connector failure
   * (which classifyError turns into `rejected`, so in practice nothing).
   */
  private async attempt<T>(keys: RateKeys, ids: Record<string, string>, op: () => Promise<T>): Promise<Attempted<T>> {
    for (let attempt = 1; ; attempt++) {
      const waited = await this.limiter.acquire(keys);
      if (waited > 0) this.log.debug({ ...ids, waitMs: waited }, 'proactive send held by the rate limiter');
      try {
        const value = await op();
        this.metrics.proactiveSend('2xx');
        return { ok: true, value, attempts: attempt };
      } catch (err) {
        const failure = classifyError(err);
        this.metrics.proactiveSend(failure.status ?? 'error');
        if (failure.class !== 'transient') return { ok: false, failure, attempts: attempt, exhausted: false };
        const retryAfterMs = parseRetryAfter(failure.retryAfterHeader, this.now());
        if (retryAfterMs !== undefined) {
          // Every send to this conversation waits, not only this one: Teams throttles the conversation.
          this.limiter.blockUntil(keys.conversationId !== undefined ? { conversationId: keys.conversationId } : keys, this.now() + retryAfterMs);
        }
        const delay = Math.max(backoffMs(attempt, this.policy, this.random), retryAfterMs ?? 0);
        if (attempt >= this.policy.maxAttempts || delay > this.policy.maxWaitMs) {
          this.log.warn({ ...ids, status: failure.status, code: failure.code, attempts: attempt, retryAfterMs: retryAfterMs ?? null }, 'proactive call gave up after transient failures');
          return { ok: false, failure, attempts: attempt, exhausted: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
        }
        this.log.info({ ...ids, status: failure.status, code: failure.code, attempt, delayMs: delay }, 'proactive call failed, retrying');
        await this.sleep(delay);
      }
    }
  }

  /**
   * Runs `fn` in a proactive turn and hands back its result or error. The turn's own error path would
   * otherwise decide what happens to a failure; here the caller classifies it.
   */
  private async inTurn<T>(ref: ConversationRefRecord, fn: (ctx: TurnContext) => Promise<T>): Promise<T> {
    const box: { done?: { value: T }; error?: { err: unknown } } = {};
    await this.adapter.continueConversationAsync(this.botAppId, referenceOf(ref), async (ctx) => {
      try {
        box.done = { value: await fn(ctx) };
      } catch (err) {
        box.error = { err };
      }
    });
    if (box.error) throw box.error.err;
    if (!box.done) throw new TurnDidNotRun();
    return box.done.value;
  }

  private async failed(ref: ConversationRefRecord, r: Extract<Attempted<unknown>, { ok: false }>, override?: 'rejected'): Promise<SendFailure> {
    const kind: SendFailureKind = override ?? (r.exhausted ? 'exhausted' : r.failure.class === 'unreachable' ? 'unreachable' : 'rejected');
    const failure = failureOf(kind, r, ref.conversationId);
    if (kind === 'unreachable') {
      try {
        await this.refs.markStale(ref.conversationId, failure.reason);
      } catch (err) {
        this.log.error({ conversationId: ref.conversationId, err: errorMessage(err) }, 'could not mark conversation reference stale');
      }
      this.log.warn({ conversationId: ref.conversationId, tenantId: ref.tenantId, status: failure.status, reason: failure.reason }, 'conversation unreachable: reference marked stale');
      await this.notify({ kind, tenantId: ref.tenantId, aadObjectId: ref.aadObjectId, conversationId: ref.conversationId, status: failure.status, reason: failure.reason, alreadyStale: false });
    } else if (kind === 'rejected') {
      this.log.error({ conversationId: ref.conversationId, status: failure.status, reason: failure.reason }, 'proactive call rejected');
    }
    return failure;
  }

  private async staleAlready(ref: ConversationRefRecord): Promise<SendFailure> {
    const reason = `reference stale: ${ref.staleReason ?? 'unknown'}`;
    this.log.info({ conversationId: ref.conversationId }, 'proactive send skipped: reference is stale');
    await this.notify({ kind: 'unreachable', tenantId: ref.tenantId, aadObjectId: ref.aadObjectId, conversationId: ref.conversationId, status: null, reason, alreadyStale: true });
    return { ok: false, permanent: true, kind: 'unreachable', status: null, reason, conversationId: ref.conversationId, attempts: 0 };
  }

  private async noReference(at: { conversationId: string | null; tenantId: string | null; aadObjectId: string | null }, reason: string, alreadyStale = false): Promise<SendFailure> {
    this.log.warn({ ...at, reason }, 'proactive send impossible: no conversation reference');
    await this.notify({ kind: 'no_reference', ...at, status: null, reason, alreadyStale });
    return { ok: false, permanent: true, kind: 'no_reference', status: null, reason, conversationId: at.conversationId, attempts: 0 };
  }

  private checkSize(activity: Partial<Activity>, conversationId: string): SendFailure | undefined {
    const bytes = Buffer.byteLength(JSON.stringify(activity), 'utf8');
    if (bytes <= MAX_ACTIVITY_BYTES) return undefined;
    const reason = `activity is ${bytes} bytes, over the ${MAX_ACTIVITY_BYTES} byte limit`;
    this.log.error({ conversationId, bytes }, 'proactive message too large');
    return { ok: false, permanent: true, kind: 'rejected', status: null, reason, conversationId, attempts: 0 };
  }

  private async notify(f: PermanentFailure): Promise<void> {
    if (!this.onPermanentFailure) return;
    try {
      await this.onPermanentFailure(f);
    } catch (err) {
      this.log.error({ conversationId: f.conversationId, err: errorMessage(err) }, 'onPermanentFailure hook failed');
    }
  }

  /** A bug or a store outage: reported as a retryable failure, because the promise is never to throw. */
  private unexpected(op: string, conversationId: string | null, err: unknown): SendFailure {
    this.log.error({ op, conversationId, err: errorMessage(err) }, 'proactive call failed unexpectedly');
    return { ok: false, permanent: false, kind: 'exhausted', status: null, reason: `unexpected error in ${op}`, conversationId, attempts: 0 };
  }
}

function failureOf(kind: SendFailureKind, r: Extract<Attempted<unknown>, { ok: false }>, conversationId: string | null): SendFailure {
  const f = r.failure;
  const reason = [f.status ?? 'no response', f.code].filter((x) => x !== null).join(' ');
  return {
    ok: false,
    permanent: kind !== 'exhausted',
    kind,
    status: f.status,
    reason,
    conversationId,
    attempts: r.attempts,
    ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
  };
}

function isAdaptiveCard(c: ProactiveContent): c is AdaptiveCard {
  return (c as { type?: unknown }).type === 'AdaptiveCard';
}

function toActivity(content: ProactiveContent): Partial<Activity> {
  if (isAdaptiveCard(content)) return { type: ActivityTypes.Message, attachments: [attachment(content)] };
  return { type: ActivityTypes.Message, ...content };
}

/** The stored reference, with the serviceUrl column (refreshed on every inbound activity) winning. */
function referenceOf(ref: ConversationRefRecord): Partial<ConversationReference> {
  const parsed = storedReference.parse(ref.reference);
  return { ...(parsed as unknown as Partial<ConversationReference>), serviceUrl: ref.serviceUrl };
}

function teamsUserIdOf(ref: ConversationRefRecord): string | undefined {
  const parsed = storedReference.safeParse(ref.reference);
  const id = parsed.success ? parsed.data.user?.id : undefined;
  return id?.startsWith('29:') ? id : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
