/**
 * The Bot Framework connector that Teams exposes at `serviceUrl`, played locally: the tests' connector
 * emulator (test/support/connector.ts serves it on a port of its own) and the simulator at /simulator
 * (src/simulator/index.ts serves it under the app's own URL) are both this one class.
 *
 * The bot sends, replies, updates, deletes, creates 1:1 conversations and looks up members here exactly
 * as it would against smba.trafficmanager.net; every request is recorded, and tests can make the next
 * ones fail with the errors Teams really returns (429 with Retry-After, 403, 404, 412, 500, 502, 503, 504).
 *
 * Note for retry tests: botbuilder's ConnectorClient (via @azure/core-rest-pipeline) already retries
 * 429/5xx up to 3 times itself, honouring Retry-After. `requests()` shows every attempt, including the
 * failed ones, so a test can tell the SDK's retries from the app's.
 *
 * Two more SDK facts it reflects: proactive sends made in a `continueConversationAsync` turn arrive as
 * replies (`POST .../activities/{random uuid}`), so `sent()` counts sends and replies alike; and Teams
 * returns a member's AAD id as `objectId` from `GET .../members` (TeamsInfo.getMembers maps it to
 * aadObjectId) but as `aadObjectId` from `.../members/{id}` and `.../pagedmembers`.
 */
import { EventEmitter } from 'node:events';
import type { WireAccount as ChannelAccount, WireActivity as Activity } from './wire';
import { personalConversationId } from './activities';

export type RequestKind =
  | 'send' // POST /v3/conversations/{id}/activities
  | 'reply' // POST /v3/conversations/{id}/activities/{replyToId}
  | 'update' // PUT /v3/conversations/{id}/activities/{activityId}
  | 'delete' // DELETE /v3/conversations/{id}/activities/{activityId}
  | 'createConversation' // POST /v3/conversations
  | 'members' // GET /v3/conversations/{id}/members
  | 'member' // GET /v3/conversations/{id}/members/{memberId}
  | 'pagedMembers' // GET /v3/conversations/{id}/pagedmembers
  | 'unknown';

export interface ConnectorRequest {
  seq: number;
  kind: RequestKind;
  method: string;
  /** Path as received, without the query string (still URL-encoded). */
  path: string;
  query: Record<string, string>;
  /** Decoded (`a:1...`, `19:...@thread.tacv2;messageid=...`). */
  conversationId?: string;
  /** For reply: the replyToId; for update/delete: the target activity; for sends: the id assigned. */
  activityId?: string;
  memberId?: string;
  /** For successful sends, replies and create-with-activity: the activity id the emulator assigned. */
  assignedId?: string;
  body: unknown;
  headers: Record<string, string>;
  /** Convenience copy of headers.authorization. */
  authorization?: string;
  time: Date;
  /** The status the emulator answered with. */
  status: number;
  /** True when the answer came from failNext(). */
  injected: boolean;
}

/** A bot-sent activity as recorded: the body plus the id the emulator assigned and where it went. */
export interface SentActivity extends Partial<Activity> {
  id: string;
  /** The conversation from the request path (authoritative; the body's conversation may be absent). */
  conversationId: string;
}

export interface RecordedUpdate {
  conversationId: string;
  activityId: string;
  activity: Partial<Activity>;
  time: Date;
}

export type FailStatus = 429 | 403 | 404 | 412 | 500 | 502 | 503 | 504;

export interface FailRule {
  /** Which requests to fail: a predicate, or a filter (all given fields must match). Omitted: any request. */
  match?: ((req: ConnectorRequest) => boolean) | { conversationId?: string; kind?: RequestKind; method?: string };
  status: FailStatus;
  /** Sent as the Retry-After header (seconds). */
  retryAfterSeconds?: number;
  /** How many matching requests to fail; default 1. */
  times?: number;
  /** Error body; defaults to a Bot Framework ErrorResponse matching the status. */
  body?: unknown;
}

/** A roster member as Teams returns it from the members APIs. */
export interface TeamsMember extends ChannelAccount {
  aadObjectId: string;
  tenantId?: string;
  email?: string;
  userPrincipalName?: string;
  userRole?: 'user' | 'guest' | 'anonymous';
}

export interface ConnectorOptions {
  /** Members returned for any conversation without its own roster. */
  roster?: TeamsMember[];
}

/** One HTTP request as the connector needs it; the body unparsed, as it came. */
export interface ConnectorHttpRequest {
  method: string;
  /** Path and query string, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export interface ConnectorHttpResponse {
  status: number;
  /** Serialised JSON, or empty. */
  payload: string;
  headers: Record<string, string>;
}

const ERROR_CODES: Record<FailStatus, { code: string; message: string }> = {
  429: { code: 'Throttled', message: 'Too many requests' },
  403: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
  404: { code: 'ConversationNotFound', message: 'Conversation not found.' },
  412: { code: 'PreconditionFailed', message: 'Precondition failed, please try again.' },
  500: { code: 'InternalServerError', message: 'Internal server error' },
  502: { code: 'ServiceError', message: 'Bad gateway' },
  503: { code: 'ServiceUnavailable', message: 'Service unavailable' },
  504: { code: 'GatewayTimeout', message: 'Gateway timeout' },
};

interface ActiveRule extends FailRule {
  remaining: number;
}

export class BotConnector {
  private readonly events = new EventEmitter();
  private readonly log: ConnectorRequest[] = [];
  private rules: ActiveRule[] = [];
  private defaultRoster: TeamsMember[];
  private readonly rosters = new Map<string, TeamsMember[]>();
  private seq = 0;
  private nextActivityId = Date.now();

  constructor(opts: ConnectorOptions = {}) {
    this.defaultRoster = opts.roster ?? [];
    this.events.setMaxListeners(0);
  }

  /** Called with every request recorded, after it was answered. */
  onRequest(listener: (req: ConnectorRequest) => void): () => void {
    this.events.on('request', listener);
    return () => this.events.off('request', listener);
  }

  // --- configuration ---------------------------------------------------------------------------------

  /** Members for one conversation, or for every conversation without its own (conversationId omitted). */
  setRoster(members: TeamsMember[], conversationId?: string): void {
    if (conversationId === undefined) this.defaultRoster = members;
    else this.rosters.set(conversationId, members);
  }

  /** Makes the next matching request(s) fail with `status`. Rules are consumed in the order given. */
  failNext(rule: FailRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** Forgets recorded requests and pending failures; rosters stay. */
  clear(): void {
    this.log.length = 0;
    this.rules = [];
  }

  /** Rejects whoever is still waiting (waitFor). */
  protected closed(): void {
    this.events.emit('closed');
  }

  // --- queries ---------------------------------------------------------------------------------------

  /** Every request, including failed and injected ones, in arrival order. */
  requests(): ConnectorRequest[] {
    return [...this.log];
  }

  /** Activities the bot successfully sent (new messages and replies, and those created with a conversation). */
  sent(): SentActivity[] {
    return this.log.filter((r) => r.status < 300 && (r.kind === 'send' || r.kind === 'reply' || (r.kind === 'createConversation' && hasActivity(r.body)))).map(toSent);
  }

  /** What was sent to a conversation; for a channel, to its threads as well (inConversation). */
  sentTo(conversationId: string): SentActivity[] {
    return this.sent().filter((a) => inConversation(a.conversationId, conversationId));
  }

  /** Successful in-place updates (updateActivity). */
  updates(): RecordedUpdate[] {
    return this.log
      .filter((r) => r.kind === 'update' && r.status < 300)
      .map((r) => ({ conversationId: r.conversationId ?? '', activityId: r.activityId ?? '', activity: (r.body ?? {}) as Partial<Activity>, time: r.time }));
  }

  /** Successful deletes, as `{ conversationId, activityId }`. */
  deletes(): Array<{ conversationId: string; activityId: string }> {
    return this.log.filter((r) => r.kind === 'delete' && r.status < 300).map((r) => ({ conversationId: r.conversationId ?? '', activityId: r.activityId ?? '' }));
  }

  /**
   * Resolves with the first truthy value of `predicate`, evaluated now and after every request the
   * emulator records; rejects after `timeoutMs` with a summary of what was received.
   */
  waitFor<T>(predicate: (c: this) => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const now = predicate(this);
    if (now) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('request', check);
        this.events.off('closed', onClosed);
      };
      const check = (): void => {
        let v: T | undefined | null | false;
        try {
          v = predicate(this);
        } catch (e) {
          cleanup();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (v) {
          cleanup();
          resolve(v);
        }
      };
      const onClosed = (): void => {
        cleanup();
        reject(new Error('connector emulator closed while waiting'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`connector: condition not met within ${timeoutMs} ms. Received:\n${this.summary()}`));
      }, timeoutMs);
      this.events.on('request', check);
      this.events.on('closed', onClosed);
    });
  }

  /** Waits for a sent activity matching `predicate` (default: any) and returns it. */
  waitForSent(predicate: (a: SentActivity) => boolean = () => true, timeoutMs = 5000): Promise<SentActivity> {
    return this.waitFor((c) => c.sent().find(predicate), timeoutMs);
  }

  /** One line per request, for failure messages. */
  summary(): string {
    if (this.log.length === 0) return '  (no requests)';
    return this.log
      .map((r) => {
        const body = r.body as { type?: string; text?: string; attachments?: unknown[] } | undefined;
        const what = body?.type ? ` ${body.type}${body.text ? ` "${body.text.slice(0, 60)}"` : ''}${body.attachments?.length ? ` +${body.attachments.length} attachment(s)` : ''}` : '';
        return `  #${r.seq} ${r.status}${r.injected ? ' (injected)' : ''} ${r.method} ${r.kind} conv=${r.conversationId ?? '-'}${r.activityId ? ` act=${r.activityId}` : ''}${what}`;
      })
      .join('\n');
  }

  // --- the HTTP side ---------------------------------------------------------------------------------

  /** Answers one request to the connector's REST API (`/v3/conversations/...`) and records it. */
  handle(req: ConnectorHttpRequest): ConnectorHttpResponse {
    const raw = req.rawBody;
    let answer: ConnectorHttpResponse = { status: 500, payload: '', headers: {} };
    const u = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const route = parseRoute(method, u.pathname);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;

    const rec: ConnectorRequest = {
      seq: ++this.seq,
      kind: route.kind,
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      body: undefined,
      headers,
      time: new Date(),
      status: 0,
      injected: false,
    };
    if (route.conversationId !== undefined) rec.conversationId = route.conversationId;
    if (route.activityId !== undefined) rec.activityId = route.activityId;
    if (route.memberId !== undefined) rec.memberId = route.memberId;
    if (headers.authorization !== undefined) rec.authorization = headers.authorization;

    const reply = (status: number, body?: unknown, extra: Record<string, string> = {}): void => {
      rec.status = status;
      this.log.push(rec);
      const payload = body === undefined ? '' : JSON.stringify(body);
      answer = { status, payload, headers: { ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...extra } };
      this.events.emit('request', rec);
    };

    if (raw.length > 0) {
      try {
        rec.body = JSON.parse(raw);
      } catch {
        rec.body = raw;
        reply(400, { error: { code: 'BadArgument', message: 'Request body is not valid JSON' } });
        return answer;
      }
    }

    // A new thread is a request about its channel, so a failure rule for the channel matches it too.
    const startsThreadIn = route.kind === 'createConversation' ? channelOfCreate(rec.body) : undefined;
    if (startsThreadIn !== undefined) rec.conversationId = startsThreadIn;
    const rule = this.rules.find((r) => r.remaining > 0 && ruleMatches(r, rec));
    if (rule) {
      rule.remaining--;
      this.rules = this.rules.filter((r) => r.remaining > 0);
      rec.injected = true;
      const extra: Record<string, string> = rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {};
      reply(rule.status, rule.body ?? { error: ERROR_CODES[rule.status] }, extra);
      return answer;
    }

    switch (route.kind) {
      case 'send':
      case 'reply': {
        const id = this.newActivityId();
        rec.activityId = route.kind === 'send' ? id : rec.activityId;
        rec.assignedId = id;
        reply(201, { id });
        return answer;
      }
      case 'update':
        reply(200, { id: rec.activityId });
        return answer;
      case 'delete':
        reply(200);
        return answer;
      case 'createConversation': {
        const body = (rec.body ?? {}) as { members?: ChannelAccount[]; isGroup?: boolean; activity?: Partial<Activity> };
        const channel = channelOfCreate(rec.body);
        if (channel !== undefined) {
          // A new post in a channel: Teams starts a thread whose id is the channel's plus the root
          // message's id, and answers with both (the message must be given).
          if (!hasActivity(rec.body)) {
            reply(400, { error: { code: 'BadArgument', message: 'activity is required to start a thread in a channel' } });
            return answer;
          }
          const id = this.newActivityId();
          rec.conversationId = `${channel};messageid=${id}`;
          rec.assignedId = id;
          reply(201, { id: rec.conversationId, activityId: id });
          return answer;
        }
        const first = body.members?.[0]?.id;
        if (!first) {
          reply(400, { error: { code: 'BadArgument', message: 'members is required' } });
          return answer;
        }
        // Teams accepts the user's Entra object id as well as their 29: id, and answers a 1:1 create
        // with the existing conversation for that user and bot.
        const member = first.startsWith('29:') ? undefined : this.defaultRoster.find((m) => m.aadObjectId.toLowerCase() === first.toLowerCase());
        const userId = member?.id ?? first;
        const conversationId = body.isGroup ? `19:${this.newActivityId()}@thread.v2` : personalConversationId(userId);
        rec.conversationId = conversationId;
        const response: Record<string, string> = { id: conversationId };
        if (hasActivity(rec.body)) {
          const id = this.newActivityId();
          rec.assignedId = id;
          response.activityId = id;
        }
        reply(201, response);
        return answer;
      }
      case 'members':
        reply(200, this.rosterOf(rec.conversationId).map(({ aadObjectId, ...rest }) => ({ ...rest, objectId: aadObjectId })));
        return answer;
      case 'member': {
        const m = this.rosterOf(rec.conversationId).find((x) => x.id === rec.memberId || x.aadObjectId === rec.memberId);
        if (m) reply(200, m);
        else reply(404, { error: { code: 'MemberNotFoundInConversation', message: 'The member could not be found in the conversation.' } });
        return answer;
      }
      case 'pagedMembers': {
        const all = this.rosterOf(rec.conversationId);
        const size = Math.max(1, Number(rec.query.pageSize ?? 200) || 200);
        const start = Number(rec.query.continuationToken ?? 0) || 0;
        const page: { members: TeamsMember[]; continuationToken?: string } = { members: all.slice(start, start + size) };
        if (start + size < all.length) page.continuationToken = String(start + size);
        reply(200, page);
        return answer;
      }
      default:
        reply(404, { error: { code: 'NotFound', message: `connector emulator: no route for ${method} ${u.pathname}` } });
        return answer;
    }
  }

  private rosterOf(conversationId: string | undefined): TeamsMember[] {
    return (conversationId !== undefined ? this.rosters.get(conversationId) : undefined) ?? this.defaultRoster;
  }

  /** Teams message ids are millisecond-timestamp-like strings; monotonic keeps ordering assertions simple. */
  private newActivityId(): string {
    this.nextActivityId = Math.max(this.nextActivityId + 1, Date.now());
    return String(this.nextActivityId);
  }
}

// ---------------------------------------------------------------------------------------------------

/** The channel a `POST /v3/conversations` starts a thread in (`channelData.channel.id`), if any. */
function channelOfCreate(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as { channelData?: { channel?: { id?: unknown } } }).channelData?.channel?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * True when `conversationId` is `target` or one of its threads: in Teams a channel's posts each have
 * a conversation of their own, `<channel>;messageid=<root>`, and a view of the channel shows them all.
 */
export function inConversation(conversationId: string | undefined, target: string): boolean {
  return conversationId === target || (conversationId ?? '').startsWith(`${target};messageid=`);
}

function hasActivity(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { activity?: unknown }).activity === 'object' && (body as { activity?: unknown }).activity !== null;
}

function toSent(r: ConnectorRequest): SentActivity {
  const assigned = r.assignedId ?? '';
  const body = (r.kind === 'createConversation' ? (r.body as { activity: Partial<Activity> }).activity : r.body) as Partial<Activity>;
  const sent: SentActivity = { ...body, id: assigned, conversationId: r.conversationId ?? '' };
  if (r.kind === 'reply' && sent.replyToId === undefined && r.activityId !== undefined) sent.replyToId = r.activityId;
  return sent;
}

function ruleMatches(rule: FailRule, req: ConnectorRequest): boolean {
  const m = rule.match;
  if (m === undefined) return true;
  if (typeof m === 'function') return m(req);
  return (m.conversationId === undefined || m.conversationId === req.conversationId) && (m.kind === undefined || m.kind === req.kind) && (m.method === undefined || m.method.toUpperCase() === req.method);
}

interface Route {
  kind: RequestKind;
  conversationId?: string;
  activityId?: string;
  memberId?: string;
}

/**
 * serviceUrl may carry a path (Teams uses e.g. `/emea/`) and clients may double a slash, so routing
 * starts at the first `/v3/`.
 */
export function parseRoute(method: string, pathname: string): Route {
  const at = pathname.indexOf('/v3/');
  if (at < 0) return { kind: 'unknown' };
  const parts = pathname
    .slice(at + 4)
    .split('/')
    .filter((p) => p !== '')
    .map(safeDecode);
  if (parts[0] !== 'conversations') return { kind: 'unknown' };
  const [, conversationId, sub, id, extra] = parts;
  if (conversationId === undefined) return method === 'POST' ? { kind: 'createConversation' } : { kind: 'unknown' };
  if (extra !== undefined) return { kind: 'unknown', conversationId };
  if (sub === 'activities') {
    if (id === undefined) return method === 'POST' ? { kind: 'send', conversationId } : { kind: 'unknown', conversationId };
    if (method === 'POST') return { kind: 'reply', conversationId, activityId: id };
    if (method === 'PUT') return { kind: 'update', conversationId, activityId: id };
    if (method === 'DELETE') return { kind: 'delete', conversationId, activityId: id };
  }
  if (sub === 'members' && method === 'GET') return id === undefined ? { kind: 'members', conversationId } : { kind: 'member', conversationId, memberId: id };
  if (sub === 'pagedmembers' && method === 'GET' && id === undefined) return { kind: 'pagedMembers', conversationId };
  return { kind: 'unknown', conversationId };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
