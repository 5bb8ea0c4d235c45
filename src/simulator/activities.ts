/**
 * Builders for the activities Teams actually POSTs to a bot's /api/messages, and helpers to POST them.
 *
 * Shapes follow what Teams sends in a personal (1:1) chat: `channelData.tenant.id`, `from.aadObjectId`,
 * `29:` user ids, `28:` bot ids, `a:` conversation ids, `adaptiveCard/action` invokes for
 * Action.Execute and `value`-only messages with `channelData.postBack` for the Action.Submit fallback.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { WireAccount as ChannelAccount, WireActivity as Activity } from './wire';

/** A Teams user as the bot sees them. */
export interface TeamsUser {
  aadObjectId: string;
  tenantId: string;
  name: string;
  /** Teams user id (`29:...`); derived from aadObjectId when omitted. */
  userId?: string;
  /** Their 1:1 conversation with the bot; derived from userId when omitted. */
  conversationId?: string;
}

/** What every activity needs to know about the channel and the bot. */
export interface ChannelOptions {
  /** The connector emulator's URL (`connector.url`): the bot replies there. */
  serviceUrl: string;
  /** The bot's Microsoft App ID; the recipient is `28:<appId>`. */
  botAppId?: string;
  botName?: string;
}

/** Per-activity overrides. */
export interface ActivityOptions {
  id?: string;
  timestamp?: Date;
  replyToId?: string;
  locale?: string;
  /** Extra channelData, merged over `{ tenant: { id } }`. */
  channelData?: Record<string, unknown>;
  entities?: Activity['entities'];
  attachments?: Activity['attachments'];
  value?: unknown;
}

export const DEFAULT_BOT_APP_ID = '00000000-0000-0000-0000-00000000b07a';

/** A deterministic `29:` id so the same user always maps to the same Teams id across a test. */
export function teamsUserId(who: Pick<TeamsUser, 'aadObjectId' | 'userId'>): string {
  return who.userId ?? `29:1${digest(`user:${who.aadObjectId}`)}`;
}

/**
 * The 1:1 conversation id Teams gives a user+bot pair. The connector emulator's `POST /v3/conversations`
 * uses the same function, so a proactive 1:1 lands in the conversation the user's messages come from,
 * as in real Teams.
 */
export function personalConversationId(userId: string): string {
  return `a:1${digest(`conv:${userId}`)}`;
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 40);
}

function conversationIdOf(who: TeamsUser): string {
  return who.conversationId ?? personalConversationId(teamsUserId(who));
}

export function botAccount(ch: ChannelOptions): ChannelAccount {
  return { id: `28:${ch.botAppId ?? DEFAULT_BOT_APP_ID}`, name: ch.botName ?? 'RJ Referrals' };
}

function userAccount(who: TeamsUser): ChannelAccount {
  return { id: teamsUserId(who), aadObjectId: who.aadObjectId, name: who.name };
}

function base(type: string, who: TeamsUser, ch: ChannelOptions, opts: ActivityOptions = {}): Partial<Activity> {
  const timestamp = opts.timestamp ?? new Date();
  const activity: Partial<Activity> = {
    type,
    id: opts.id ?? `1${Date.now()}${Math.floor(Math.random() * 1000)}`,
    timestamp,
    localTimestamp: timestamp,
    localTimezone: 'Europe/London',
    channelId: 'msteams',
    serviceUrl: ch.serviceUrl,
    from: userAccount(who),
    recipient: botAccount(ch),
    conversation: { id: conversationIdOf(who), conversationType: 'personal', tenantId: who.tenantId, isGroup: false, name: '' },
    channelData: { tenant: { id: who.tenantId }, ...opts.channelData },
    locale: opts.locale ?? 'en-GB',
  };
  if (opts.replyToId !== undefined) activity.replyToId = opts.replyToId;
  if (opts.entities !== undefined) activity.entities = opts.entities;
  if (opts.attachments !== undefined) activity.attachments = opts.attachments;
  if (opts.value !== undefined) activity.value = opts.value;
  return activity;
}

function clientInfo(locale: string): NonNullable<Activity['entities']> {
  return [{ type: 'clientInfo', locale, country: 'GB', platform: 'Web', timezone: 'Europe/London' }];
}

// ---------------------------------------------------------------------------------------------------
// Free functions: the channel is passed each time. `teamsChannel()` below binds it once.

export function message(text: string, who: TeamsUser, opts: ChannelOptions & ActivityOptions): Partial<Activity> {
  return {
    ...base('message', who, opts, { entities: clientInfo(opts.locale ?? 'en-GB'), ...opts }),
    text,
    textFormat: 'plain',
  };
}

/** Teams sends this when the app is installed in (`add`) or removed from (`remove`) the user's personal scope. */
export function installationUpdate(who: TeamsUser, opts: ChannelOptions & ActivityOptions & { action?: 'add' | 'remove' }): Partial<Activity> {
  return {
    ...base('installationUpdate', who, opts, { ...opts, channelData: { source: { name: 'message' }, ...opts.channelData } }),
    action: opts.action ?? 'add',
  };
}

/** Who was added: Teams users, or `'bot'` for the bot itself (what a personal install sends). */
export type Member = TeamsUser | 'bot';

export function conversationUpdate(membersAdded: Member[], who: TeamsUser, opts: ChannelOptions & ActivityOptions & { membersRemoved?: Member[] }): Partial<Activity> {
  // Teams sends these accounts without a name, which botbuilder's type insists on.
  const toAccount = (m: Member): ChannelAccount => (m === 'bot' ? { id: botAccount(opts).id } : { id: teamsUserId(m), aadObjectId: m.aadObjectId }) as ChannelAccount;
  const activity: Partial<Activity> = { ...base('conversationUpdate', who, opts, opts), membersAdded: membersAdded.map(toAccount) };
  if (opts.membersRemoved) activity.membersRemoved = opts.membersRemoved.map(toAccount);
  return activity;
}

/** The invoke Teams sends when a user clicks an Action.Execute button (Universal Actions). */
export function adaptiveCardAction(
  verb: string,
  data: Record<string, unknown>,
  who: TeamsUser,
  opts: ChannelOptions & ActivityOptions & { replyToId: string; trigger?: 'manual' | 'automatic' },
): Partial<Activity> {
  return {
    ...base('invoke', who, opts, {
      ...opts,
      id: opts.id ?? `f:${randomUUID()}`,
      channelData: { source: { name: 'message' }, legacy: { replyToId: opts.replyToId }, ...opts.channelData },
    }),
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', id: randomUUID(), verb, data }, trigger: opts.trigger ?? 'manual' },
  };
}

/**
 * The Action.Submit fallback: a message with `value` (the action's data merged with the inputs) and no
 * text. `replyToId` is the id of the activity holding the card.
 */
export function submitAction(data: Record<string, unknown>, who: TeamsUser, replyToId: string, opts: ChannelOptions & ActivityOptions): Partial<Activity> {
  return base('message', who, opts, {
    ...opts,
    replyToId,
    value: data,
    channelData: { postBack: true, source: { name: 'message' }, legacy: { replyToId }, ...opts.channelData },
    entities: clientInfo(opts.locale ?? 'en-GB'),
  });
}

export interface TeamsChannel {
  message(text: string, who: TeamsUser, opts?: ActivityOptions): Partial<Activity>;
  installationUpdate(who: TeamsUser, opts?: ActivityOptions & { action?: 'add' | 'remove' }): Partial<Activity>;
  conversationUpdate(membersAdded: Member[], who: TeamsUser, opts?: ActivityOptions & { membersRemoved?: Member[] }): Partial<Activity>;
  adaptiveCardAction(verb: string, data: Record<string, unknown>, who: TeamsUser, opts: ActivityOptions & { replyToId: string; trigger?: 'manual' | 'automatic' }): Partial<Activity>;
  submitAction(data: Record<string, unknown>, who: TeamsUser, replyToId: string, opts?: ActivityOptions): Partial<Activity>;
}

/** Binds the channel once: `const teams = teamsChannel({ serviceUrl: connector.url }); teams.message('hi', alice)`. */
export function teamsChannel(ch: ChannelOptions): TeamsChannel {
  return {
    message: (text, who, opts) => message(text, who, { ...opts, ...ch }),
    installationUpdate: (who, opts) => installationUpdate(who, { ...opts, ...ch }),
    conversationUpdate: (members, who, opts) => conversationUpdate(members, who, { ...opts, ...ch }),
    adaptiveCardAction: (verb, data, who, opts) => adaptiveCardAction(verb, data, who, { ...opts, ...ch }),
    submitAction: (data, who, replyToId, opts) => submitAction(data, who, replyToId, { ...opts, ...ch }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Posting to the bot

export interface PostResult {
  status: number;
  /** Parsed JSON when the response is JSON, the text otherwise, undefined when empty. */
  body: unknown;
  headers: Record<string, string>;
}

/** POSTs an activity to `${baseUrl}/api/messages` as Teams would (JSON, optional bearer token). */
export async function postActivity(baseUrl: string, activity: Partial<Activity>, opts: { token?: string } = {}): Promise<PostResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return postRaw(baseUrl, JSON.stringify(activity), headers);
}

/** POSTs any bytes (malformed JSON, wrong content type, oversized bodies) to `${baseUrl}/api/messages`. */
export async function postRaw(baseUrl: string, rawBody: string | Buffer, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/messages`, {
    method: 'POST',
    headers,
    body: typeof rawBody === 'string' ? rawBody : new Uint8Array(rawBody),
  });
  const text = await res.text();
  let body: unknown = text === '' ? undefined : text;
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      /* keep the text: a test asserting on a bad body wants to see it */
    }
  }
  const outHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    outHeaders[k] = v;
  });
  return { status: res.status, body, headers: outHeaders };
}
