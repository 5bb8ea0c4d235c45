import type { WireActivity as Activity } from '../../src/simulator/wire';
import { ADAPTIVE_CARD_CONTENT_TYPE, cardsIn, expectValidCard } from './cards';
import { inConversation, type ConnectorEmulator, type SentActivity } from './connector';
import { teamsChannel, teamsUserId, postActivity, type PostResult, type TeamsChannel, type TeamsUser } from './activities';

/**
 * A sent activity as this user sees it: when its card's `refresh.userIds` names them, Teams shows
 * the card the bot answers the refresh with (Universal Actions); `baseCard` is what the message holds.
 */
export type SeenActivity = SentActivity & { baseCard?: Record<string, unknown> };

export interface TurnResult {
  status: number;
  /** The invoke response body, for card actions. */
  body: unknown;
  /** Activities the bot sent during the turn, each as this user sees it (refreshed when it names them). */
  sent: SeenActivity[];
  /** Cards it updated in place during the turn. */
  updated: { activityId: string; card: Record<string, unknown> }[];
}

/** Every card in text form, for assertions on what a person would read. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of ['text', 'title', 'label', 'value', 'errorMessage']) if (typeof o[k] === 'string') out.push(o[k] as string);
      for (const child of Object.values(o)) if (typeof child === 'object') walk(child);
    }
  };
  walk(card);
  return out.join('\n');
}

/** The Action.Execute buttons of a card: title → { verb, data }. */
export function actionsOf(card: Record<string, unknown>): Map<string, { verb: string; data: Record<string, unknown> }> {
  const found = new Map<string, { verb: string; data: Record<string, unknown> }>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'Action.Execute' && typeof o.title === 'string' && typeof o.verb === 'string') {
        found.set(o.title, { verb: o.verb, data: (o.data ?? {}) as Record<string, unknown> });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return found;
}

export function inputIds(card: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && o.type.startsWith('Input.') && typeof o.id === 'string') ids.push(o.id);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return ids;
}

/**
 * One user's 1:1 chat with the bot, driven over HTTP exactly as Teams would. Every card the bot
 * sends, updates or returns is checked with Microsoft's Adaptive Cards parser.
 */
export class Chat {
  readonly teams: TeamsChannel;

  constructor(
    private readonly appUrl: () => string,
    readonly connector: ConnectorEmulator,
    readonly user: TeamsUser,
    /** Waits for the app's follow-up sends (offers, notices) so a turn's result includes them. */
    private readonly settle: () => Promise<void> = async () => {},
    /** A Bot Framework bearer token for each request, when the app checks them. */
    private readonly token?: () => Promise<string>,
  ) {
    this.teams = teamsChannel({ serviceUrl: connector.url });
  }

  get conversationId(): string {
    return this.teams.message('', this.user).conversation!.id;
  }

  async post(activity: Partial<Activity>): Promise<TurnResult> {
    const before = this.connector.requests().length;
    const res: PostResult = await postActivity(this.appUrl(), activity, this.token ? { token: await this.token() } : {});
    await this.settle();
    const fresh = this.connector.requests().slice(before);
    const sent = this.connector.sent().filter((a) => fresh.some((r) => r.assignedId === a.id));
    const updated = fresh
      .filter((r) => r.kind === 'update' && r.status < 300)
      .flatMap((r) => cardsIn(r.body).map((card) => ({ activityId: r.activityId ?? '', card })));
    for (const a of sent) cardsIn(a).forEach((c) => expectValidCard(c));
    for (const u of updated) expectValidCard(u.card);
    for (const c of cardsIn(res.body)) expectValidCard(c);
    const seen: SeenActivity[] = [];
    for (const a of sent) seen.push(await this.view(a));
    return { status: res.status, body: res.body, sent: seen, updated };
  }

  /** Teams' id for this user, as refresh.userIds names them. */
  get teamsId(): string {
    return teamsUserId(this.user);
  }

  /**
   * A message as this user's Teams shows it: in their own chat, a card whose refresh names them is
   * refreshed (an automatic `adaptiveCard/action` invoke) and they see the answer; anything else as sent.
   */
  async view(a: SentActivity): Promise<SeenActivity> {
    const base = cardsIn(a)[0];
    const refresh = base?.refresh as { action?: { verb?: unknown; data?: unknown }; userIds?: unknown } | undefined;
    const names = Array.isArray(refresh?.userIds) && refresh.userIds.includes(this.teamsId);
    if (!base || !names || typeof refresh?.action?.verb !== 'string' || !inConversation(a.conversationId, this.conversationId)) return a;
    const data = (refresh.action.data ?? {}) as Record<string, unknown>;
    const res = await postActivity(this.appUrl(), this.teams.adaptiveCardAction(refresh.action.verb, data, this.user, { replyToId: a.id, trigger: 'automatic' }), this.token ? { token: await this.token() } : {});
    await this.settle();
    const refreshed = cardsIn(res.body)[0];
    if (!refreshed) throw new Error(`the refresh of ${a.id} (${refresh.action.verb}) answered without a card: ${JSON.stringify(res.body)}`);
    expectValidCard(refreshed);
    return { ...a, attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: refreshed }], baseCard: base };
  }

  say(text: string): Promise<TurnResult> {
    return this.post(this.teams.message(text, this.user));
  }

  /** Clicks an Action.Execute button: an `adaptiveCard/action` invoke. */
  click(verb: string, data: Record<string, unknown>, replyToId: string): Promise<TurnResult> {
    return this.post(this.teams.adaptiveCardAction(verb, data, this.user, { replyToId }));
  }

  /** The same click through the Action.Submit fallback. */
  submit(data: Record<string, unknown>, replyToId: string): Promise<TurnResult> {
    return this.post(this.teams.submitAction(data, this.user, replyToId));
  }
}

/** The one card in a turn's sent activities that has a button titled `title`. */
export function cardWithAction(turn: TurnResult, title: string): { activityId: string; card: Record<string, unknown>; action: { verb: string; data: Record<string, unknown> } } {
  for (const a of turn.sent) {
    for (const c of cardsIn(a)) {
      const action = actionsOf(c).get(title);
      if (action) return { activityId: a.id, card: c, action };
    }
  }
  throw new Error(`No card with a "${title}" button among ${turn.sent.length} sent activities:\n${turn.sent.map((a) => cardText(cardsIn(a)[0]) || a.text).join('\n---\n')}`);
}

export function textOf(turn: TurnResult): string {
  return turn.sent.map((a) => [a.text ?? '', ...cardsIn(a).map(cardText)].join('\n')).join('\n---\n');
}

export function invokeCard(turn: TurnResult): Record<string, unknown> {
  const cards = cardsIn(turn.body);
  if (cards.length !== 1) throw new Error(`Expected the invoke response to carry a card, got ${JSON.stringify(turn.body)}`);
  return cards[0]!;
}

/** Every Action.Execute button of a card, in order (titles may repeat, e.g. one per roster row). */
export function allActions(card: Record<string, unknown>): { title: string; verb: string; data: Record<string, unknown> }[] {
  const found: { title: string; verb: string; data: Record<string, unknown> }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'Action.Execute' && typeof o.title === 'string' && typeof o.verb === 'string') {
        found.push({ title: o.title, verb: o.verb, data: (o.data ?? {}) as Record<string, unknown> });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return found;
}

/** The latest card a turn sent whose text contains `containing` (a late proactive card may arrive in the same turn). */
export function sentCard(turn: TurnResult, containing: string): { activityId: string; card: Record<string, unknown> } {
  for (const a of [...turn.sent].reverse()) for (const c of cardsIn(a)) if (cardText(c).includes(containing)) return { activityId: a.id, card: c };
  throw new Error(`no card with "${containing}" in: ${textOf(turn)}`);
}

/**
 * Opens a form by its verb and saves it through the save button the form itself carries (its nonce
 * included), as a person would; throws when the form comes back with its save button (not saved).
 */
export async function fillForm(chat: Chat, open: { verb: string; data: Record<string, unknown> }, save: string, inputs: Record<string, string>): Promise<Record<string, unknown>> {
  const form = invokeCard(await chat.click(open.verb, open.data, 'form-message'));
  const action = allActions(form).find((a) => a.verb === save);
  if (!action) throw new Error(`the form opened by ${open.verb} has no ${save} action: ${allActions(form).map((a) => a.verb).join(', ')}`);
  const saved = invokeCard(await chat.click(action.verb, { ...action.data, ...inputs }, 'form-message'));
  if (allActions(saved).some((a) => a.verb === save)) throw new Error(`${save} was not saved: ${cardText(saved)}`);
  return saved;
}
