/**
 * The multi-persona simulator at /simulator: several people's Teams panes side by side, talking to
 * this same app over its real /api/messages, while this module plays the Bot Connector for the
 * serviceUrl those activities carry (`<app>/simulator/connector/`). Served only in local
 * unauthenticated mode (createApp decides; main.ts never imports it otherwise), because it acts as
 * anyone, moves the app's clock and empties the database.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Queue } from 'bullmq';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import { parseJobId, fromJobId } from '../reminders/ids';
import { REMINDERS_QUEUE } from '../reminders/redis';
import { RosterRepository } from '../store/rosterRepository';
import { adaptiveCardAction, conversationUpdate, installationUpdate, message, postActivity, type ChannelOptions } from './activities';
import type { MovableClock } from './clock';
import { BotConnector, type ConnectorRequest } from './connector';
import { SIMULATOR_PAGE } from './page';
import { defaultCast, newPerson, SIM_CHANNEL, SIM_TEAM, type Persona } from './personas';

export { MovableClock } from './clock';

export interface SimulatorDeps {
  log: Logger;
  pool: Pool;
  clock: MovableClock;
  calendar: WorkingCalendar;
  staffTenantId: string;
  /** The first of PARTNER_TENANTS, for the referrer; undefined when none is configured. */
  partnerTenantId: string | undefined;
  redisUrl: string;
  keyPrefix: string;
}

/** One message in a pane, as the page draws it. */
interface Item {
  id: string;
  /** The conversation without `;messageid=`. */
  conversationId: string;
  /** In a channel: the root message of the thread it replies to. */
  thread?: string;
  /** `bot`, a persona key, or `note` (something the simulator tells the person, not Teams). */
  from: string;
  text?: string;
  attachments?: unknown[];
  deleted?: boolean;
  /** Card a persona sees instead of the first attachment: an Action.Execute answer or a refresh, for them only. */
  views: Record<string, unknown>;
  version: number;
}

export interface Simulator {
  /** Serves every /simulator path. */
  handle(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void>;
  /** Where the app listens, once it does. */
  started(appUrl: string): void;
  close(): Promise<void>;
}

const PLACEHOLDER_PARTNER = '22222222-2222-4222-8222-222222222222';

const actSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), persona: z.string(), pane: z.enum(['chat', 'channel']), text: z.string().min(1).max(4000), thread: z.string().optional() }),
  z.object({ type: z.literal('execute'), persona: z.string(), itemId: z.string(), verb: z.string(), data: z.record(z.string(), z.unknown()), trigger: z.enum(['manual', 'automatic']).default('manual') }),
]);
const clockSchema = z.object({ to: z.enum(['day', 'week', 'next']) });
const personSchema = z.object({ name: z.string().trim().min(1).max(60), role: z.enum(['facilitator', 'referrer']) });

function splitConversation(id: string): { conversationId: string; thread?: string } {
  const at = id.indexOf(';messageid=');
  return at < 0 ? { conversationId: id } : { conversationId: id.slice(0, at), thread: id.slice(at + ';messageid='.length) };
}

function projectRoot(): string {
  // src/simulator (tsx, ts-jest) or dist/src/simulator (npm start): the checkout is where package.json is.
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(path.join(dir, 'package.json'));
      return dir;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error('simulator: cannot find the project root (package.json) above ' + __dirname);
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');

export function createSimulator(d: SimulatorDeps): Simulator {
  const partner = d.partnerTenantId ?? PLACEHOLDER_PARTNER;
  const connector = new BotConnector();
  const streams = new Set<ServerResponse>();
  const state = {
    appUrl: '',
    people: defaultCast(d.staffTenantId, partner),
    items: [] as Item[],
    added: 0,
    setUp: false,
    queue: undefined as Queue | undefined,
  };
  const root = projectRoot();
  const asset = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');

  const channel = (): ChannelOptions => ({ serviceUrl: `${state.appUrl}/simulator/connector/` });
  const who = (key: string): Persona => {
    const p = state.people.find((x) => x.key === key);
    if (!p) throw new SimulatorError(404, `no person "${key}" in the simulator; reload the page`);
    return p;
  };
  const setRoster = () => {
    const members = (people: readonly Persona[]) => people.map((p) => ({ id: p.teamsId, name: p.user.name, aadObjectId: p.user.aadObjectId, tenantId: p.user.tenantId, userRole: 'user' as const }));
    connector.setRoster(members(state.people));
    // The coordinators' team holds the service's staff only: registering its channel checks that.
    connector.setRoster(members(state.people.filter((p) => p.user.tenantId === d.staffTenantId)), SIM_TEAM);
  };
  setRoster();

  const broadcast = (event: unknown): void => {
    const line = `data: ${JSON.stringify(event)}\n\n`;
    for (const s of streams) s.write(line);
  };
  const snapshot = () => ({
    type: 'snapshot',
    now: d.clock.now().toISOString(),
    channel: SIM_CHANNEL,
    partnerConfigured: d.partnerTenantId !== undefined,
    people: state.people.map((p) => ({ key: p.key, role: p.role, name: p.user.name, teamsId: p.teamsId, aadObjectId: p.user.aadObjectId, conversationId: p.conversationId })),
    items: state.items,
  });
  const upsert = (item: Item): void => {
    const i = state.items.findIndex((x) => x.id === item.id && x.conversationId === item.conversationId);
    if (i >= 0) state.items[i] = item;
    else state.items.push(item);
    broadcast({ type: 'item', item });
  };
  const note = (conversationId: string, text: string, thread?: string): void =>
    upsert({ id: `note-${randomUUID()}`, conversationId, ...(thread ? { thread } : {}), from: 'note', text, views: {}, version: 1 });

  // What the bot did through the connector becomes what each pane shows.
  connector.onRequest((r: ConnectorRequest) => {
    if (r.status >= 300 || r.conversationId === undefined) return;
    const { conversationId, thread } = splitConversation(r.conversationId);
    if (r.kind === 'send' || r.kind === 'reply' || (r.kind === 'createConversation' && r.assignedId)) {
      const body = (r.kind === 'createConversation' ? (r.body as { activity?: unknown }).activity : r.body) as { text?: string; attachments?: unknown[] } | undefined;
      upsert({
        id: r.assignedId ?? randomUUID(),
        conversationId,
        ...(thread ? { thread } : {}),
        from: 'bot',
        ...(body?.text ? { text: body.text } : {}),
        ...(body?.attachments ? { attachments: body.attachments } : {}),
        views: {},
        version: 1,
      });
    } else if (r.kind === 'update' || r.kind === 'delete') {
      const old = state.items.find((x) => x.id === r.activityId && x.conversationId === conversationId);
      if (!old) return;
      if (r.kind === 'delete') upsert({ ...old, deleted: true, attachments: [], text: 'This message has been deleted.', version: old.version + 1 });
      else {
        const body = r.body as { text?: string; attachments?: unknown[] };
        // Teams shows an updated card to everyone; the per-person views start again from it.
        upsert({ ...old, text: body.text ?? '', attachments: body.attachments ?? [], views: {}, version: old.version + 1 });
      }
    }
  });

  const post = async (activity: Record<string, unknown>) => postActivity(state.appUrl, activity);

  const say = async (p: Persona, pane: 'chat' | 'channel', text: string, thread?: string): Promise<void> => {
    const id = `1${Date.now()}${Math.floor(Math.random() * 1000)}`;
    const opts = { ...channel(), id, timestamp: d.clock.now() };
    if (pane === 'chat') {
      upsert({ id, conversationId: p.conversationId, from: p.key, text, views: {}, version: 1 });
      const res = await post(message(text, p.user, opts));
      if (res.status >= 300) note(p.conversationId, `The bot answered HTTP ${res.status}.`);
      return;
    }
    // A channel post mentions the bot, as Teams requires; "@Name" of anyone in the simulator becomes a mention too.
    const mentioned = state.people.filter((x) => text.includes(`@${x.user.name}`));
    let body = `<at>RJ Referrals</at> ${text.replace(/^@?RJ Referrals\s*/i, '')}`;
    for (const m of mentioned) body = body.split(`@${m.user.name}`).join(`<at>${m.user.name}</at>`);
    const root = thread ?? id;
    upsert({ id, conversationId: SIM_CHANNEL, ...(thread ? { thread } : {}), from: p.key, text, views: {}, version: 1 });
    const a = message(body, p.user, opts);
    a.entities = [
      ...(a.entities ?? []),
      { type: 'mention', mentioned: { id: a.recipient?.id, name: 'RJ Referrals' }, text: '<at>RJ Referrals</at>' },
      ...mentioned.map((m) => ({ type: 'mention', mentioned: { id: m.teamsId, name: m.user.name }, text: `<at>${m.user.name}</at>` })),
    ];
    const res = await post(inChannel(a, p, root));
    if (res.status >= 300) note(SIM_CHANNEL, `The bot answered HTTP ${res.status}.`, root);
  };

  // Teams gives a channel message the conversation `<channel>;messageid=<thread root>`.
  const inChannel = (a: ReturnType<typeof message>, p: Persona, root: string) => ({
    ...a,
    conversation: { id: `${SIM_CHANNEL};messageid=${root}`, conversationType: 'channel', tenantId: p.user.tenantId, isGroup: true, name: 'Referrals' },
    channelData: { tenant: { id: p.user.tenantId }, team: { id: SIM_TEAM, name: 'RJ Service' }, channel: { id: SIM_CHANNEL, name: 'Referrals' } },
  });

  const execute = async (p: Persona, itemId: string, verb: string, data: Record<string, unknown>, trigger: 'manual' | 'automatic'): Promise<unknown> => {
    const item = state.items.find((x) => x.id === itemId && (x.conversationId === p.conversationId || x.conversationId === SIM_CHANNEL));
    if (!item) throw new SimulatorError(404, `no message ${itemId} in ${p.user.name}'s panes`);
    const a = adaptiveCardAction(verb, data, p.user, { ...channel(), replyToId: item.id, trigger, timestamp: d.clock.now() });
    const activity = item.conversationId === SIM_CHANNEL ? { ...inChannel(a, p, item.thread ?? item.id), name: a.name, value: a.value, type: 'invoke' } : a;
    const res = await post(activity);
    const answer = res.body as { statusCode?: number; type?: string; value?: unknown } | undefined;
    if (answer?.type === 'application/vnd.microsoft.card.adaptive' && answer.value) {
      // An Action.Execute answer replaces the card for the person who clicked it only.
      const now = state.items.find((x) => x.id === item.id && x.conversationId === item.conversationId) ?? item;
      upsert({ ...now, views: { ...now.views, [p.key]: answer.value }, version: now.version + 1 });
    } else if (answer?.type === 'application/vnd.microsoft.activity.message' && typeof answer.value === 'string' && trigger === 'manual') {
      note(item.conversationId, `To ${p.user.name}: ${answer.value}`, item.conversationId === SIM_CHANNEL ? item.thread ?? item.id : undefined);
    } else if (res.status >= 300 || (answer?.statusCode !== undefined && answer.statusCode >= 300)) {
      note(item.conversationId, `The bot answered ${answer?.statusCode ?? res.status} to ${p.user.name}'s click.`, item.conversationId === SIM_CHANNEL ? item.thread ?? item.id : undefined);
    }
    return answer;
  };

  /** Installs the app for a person the way Teams does: installationUpdate, then conversationUpdate. */
  const install = async (p: Persona): Promise<void> => {
    const opts = { ...channel(), timestamp: d.clock.now() };
    await post(installationUpdate(p.user, { ...opts, action: 'add' }));
    await post(conversationUpdate(['bot'], p.user, opts));
  };

  /** The service as a coordinator would set it up: the app in everyone's chat and the team, the channel chosen, the facilitators on the roster. */
  const setUp = async (): Promise<void> => {
    const seeded = await new RosterRepository(d.pool, { now: d.clock.now }).seedCoordinators([who('coordinator').user.aadObjectId], d.staffTenantId);
    if (seeded > 0) d.log.info({ seeded }, 'simulator: coordinator seeded');
    const coordinator = who('coordinator');
    const teamAdd = conversationUpdate(['bot'], coordinator.user, { ...channel(), timestamp: d.clock.now(), channelData: { eventType: 'teamMemberAdded' } });
    await post({ ...inChannel(teamAdd, coordinator, 'x'), conversation: { id: SIM_CHANNEL, conversationType: 'channel', tenantId: d.staffTenantId, isGroup: true }, type: 'conversationUpdate', membersAdded: teamAdd.membersAdded, channelData: { tenant: { id: d.staffTenantId }, team: { id: SIM_TEAM, name: 'RJ Service' }, eventType: 'teamMemberAdded' } });
    for (const p of state.people) await install(p);
    // The roster first: registering the channel asks to confirm when team members are not on it.
    const facilitators = state.people.filter((p) => p.role === 'facilitator');
    if (facilitators.length > 0) await say(coordinator, 'channel', `roster add ${facilitators.map((f) => `@${f.user.name}`).join(' ')}`);
    await say(coordinator, 'channel', 'use this channel for referrals');
    state.setUp = true;
  };

  const reminders = (): Queue => {
    if (state.queue) return state.queue;
    // Its own connection, opened on first use: an e2e test app that never moves the clock never opens it.
    const q = new Queue(REMINDERS_QUEUE, { connection: { url: d.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false }, prefix: d.keyPrefix });
    q.on('error', (err) => d.log.warn({ err: err.message }, 'simulator: reminders queue error'));
    state.queue = q;
    return q;
  };

  /** Reminder jobs waiting for their time, with when each is due on the app's clock. */
  const delayedReminders = async () => {
    const jobs = await reminders().getJobs(['delayed']);
    return jobs.flatMap((j) => {
      const id = j.id === undefined ? undefined : fromJobId(j.id);
      const parsed = id === undefined ? undefined : parseJobId(id);
      return parsed ? [{ job: j, dueAt: parsed.dueAt }] : [];
    });
  };

  /**
   * BullMQ waits in real time (a job's delay was worked out on the app's clock when it was queued), so
   * after a jump the reminders now due are promoted: the worker in this process then delivers them
   * exactly as it would have, checking the app's clock as always.
   */
  const moveClock = async (to: 'day' | 'week' | 'next') => {
    const now = d.clock.now();
    let target: Date | undefined;
    if (to === 'day') target = d.calendar.addWorkingDays(now, 1);
    else if (to === 'week') target = d.calendar.addCalendarDays(now, 7);
    else {
      const next = (await delayedReminders()).map((r) => r.dueAt.getTime()).filter((t) => t > now.getTime()).sort((a, b) => a - b)[0];
      target = next === undefined ? undefined : new Date(next);
    }
    if (target) d.clock.moveTo(target);
    const after = d.clock.now().getTime();
    const due = (await delayedReminders()).filter((r) => r.dueAt.getTime() <= after);
    for (const r of due) await r.job.promote();
    d.log.info({ to, moved: target !== undefined, promoted: due.length }, 'simulator: clock moved');
    broadcast({ type: 'clock', now: d.clock.now().toISOString() });
    return { now: d.clock.now().toISOString(), promoted: due.length, moved: target !== undefined };
  };

  /** Empties every table but the migrations' record, in one transaction, and the reminder queue. */
  const reset = async () => {
    const client = await d.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ t: string }>("SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'");
      if (rows.length > 0) {
        // The case and roster logs refuse TRUNCATE by trigger (append-only in every real database); here,
        // inside this one transaction, they are switched off, the tables emptied and switched back on.
        for (const r of rows) await client.query(`ALTER TABLE ${r.t} DISABLE TRIGGER USER`);
        await client.query(`TRUNCATE ${rows.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
        for (const r of rows) await client.query(`ALTER TABLE ${r.t} ENABLE TRIGGER USER`);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    await reminders().drain(true);
    d.clock.reset();
    connector.clear();
    state.items = [];
    state.people = defaultCast(d.staffTenantId, partner);
    state.added = 0;
    setRoster();
    d.log.info('simulator: reset to an empty database');
    broadcast(snapshot());
    await setUp();
  };

  const readJson = (req: { body?: unknown }): unknown => {
    if (typeof req.body === 'string') return JSON.parse(req.body);
    return req.body ?? {};
  };

  const routes = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    if (p.startsWith('/simulator/connector/')) {
      const rawBody = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      const answer = connector.handle({ method, url: req.url ?? '/', headers: req.headers, rawBody });
      res.writeHead(answer.status, answer.headers);
      res.end(answer.payload);
      return;
    }
    if (method === 'GET' && p === '/simulator') return send(res, 200, SIMULATOR_PAGE, 'text/html; charset=utf-8');
    if (method === 'GET' && p === '/simulator/assets/adaptivecards.js') return send(res, 200, asset('node_modules/adaptivecards/dist/adaptivecards.min.js'), 'text/javascript; charset=utf-8');
    if (method === 'GET' && p === '/simulator/assets/markdown-it.js') return send(res, 200, asset('node_modules/markdown-it/dist/browser/markdown-it.umd.min.js'), 'text/javascript; charset=utf-8');
    if (method === 'GET' && p === '/simulator/assets/host-config.json') return send(res, 200, asset('test/support/hostConfigs/microsoft-teams-light.json'), 'application/json; charset=utf-8');
    if (method === 'GET' && p === '/simulator/assets/teams.css') return send(res, 200, asset('test/support/hostConfigs/teams-container-light.css'), 'text/css; charset=utf-8');
    if (method === 'GET' && p === '/simulator/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`data: ${JSON.stringify(snapshot())}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (method !== 'POST') return json(res, 404, { error: 'not found' });
    const body = readJson(req);
    switch (p) {
      case '/simulator/api/setup':
        if (!state.setUp) await setUp();
        return json(res, 200, { ok: true });
      case '/simulator/api/reset':
        await reset();
        return json(res, 200, { ok: true });
      case '/simulator/api/clock':
        return json(res, 200, await moveClock(parse(clockSchema, body).to));
      case '/simulator/api/people': {
        const b = parse(personSchema, body);
        state.added += 1;
        const person = newPerson(state.added, b.name, b.role, d.staffTenantId, partner);
        state.people.push(person);
        setRoster();
        broadcast(snapshot());
        await install(person);
        if (b.role === 'facilitator') await say(who('coordinator'), 'channel', `roster add @${person.user.name}`);
        return json(res, 200, { key: person.key });
      }
      case '/simulator/api/act': {
        const a = parse(actSchema, body);
        const person = who(a.persona);
        if (a.type === 'message') await say(person, a.pane, a.text, a.thread);
        else return json(res, 200, { answer: await execute(person, a.itemId, a.verb, a.data, a.trigger) });
        return json(res, 200, { ok: true });
      }
      default:
        return json(res, 404, { error: 'not found' });
    }
  };

  return {
    async handle(req, res) {
      try {
        await routes(req, res);
      } catch (err) {
        const status = err instanceof SimulatorError ? err.status : 500;
        if (status === 500) d.log.error({ err: err instanceof Error ? err.message : String(err) }, 'simulator request failed');
        if (!res.headersSent) json(res, status, { error: err instanceof Error ? err.message : String(err) });
      }
    },
    started(appUrl) {
      state.appUrl = appUrl;
    },
    async close() {
      for (const s of streams) s.end();
      streams.clear();
      await state.queue?.close();
    },
  };
}

class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new SimulatorError(400, `bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}
