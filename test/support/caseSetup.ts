/**
 * Drives a case over /api/messages from a referral to a confirmed pair (stage `preparation`), the
 * way the people involved would: the referrer screens and submits, a coordinator accepts it in the
 * referrals channel and offers it to a pair, both facilitators accept from their 1:1 offer cards.
 */
import type { WireActivity as Activity } from '../../src/simulator/wire';
import { inConversation, type ConnectorEmulator } from './connector';
import { Chat, actionsOf, cardText, cardWithAction, invokeCard, textOf } from './chat';
import { cardsIn } from './cards';
import { teamsUserId, type TeamsUser } from './activities';
import { STAFF_TENANT } from './app';

export const CHANNEL = '19:referrals0000000000@thread.tacv2';
const TEAM = '19:team000000000000000@thread.tacv2';

const ELIGIBLE = { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' } as const;
export const REFERRAL_FORM = {
  offenceType: 'robbery', offenceDate: '2025-02-01', sentenceDate: '2025-08-01', offenderName: 'Olly Offender', offenderAware: 'yes',
  harmedPersonName: 'Harriet Harmed', harmedPersonBorough: 'Camden', harmedPersonPhone: '020 7946 0001', harmedPersonAware: 'yes',
};

export interface PostedCard {
  activityId: string;
  conversationId: string;
  card: Record<string, unknown>;
}

/**
 * The conversation Teams gives a channel activity: `<channel>;messageid=<thread root>`. A click on a
 * card is in the card's thread; a new message starts a thread of its own (its id is the root).
 */
export function channelThreadOf(connector: ConnectorEmulator, a: Partial<Activity>): string {
  if (a.replyToId) {
    const card = connector.sent().find((x) => x.id === a.replyToId && inConversation(x.conversationId, CHANNEL));
    if (card) return card.conversationId.includes(';messageid=') ? card.conversationId : `${CHANNEL};messageid=${card.id}`;
  }
  return `${CHANNEL};messageid=${a.id ?? '0'}`;
}

export interface CaseSetup {
  chat(u: TeamsUser): Chat;
  inChannel(a: Partial<Activity>): Partial<Activity>;
  channelMessage(c: Chat, text: string, mentions?: TeamsUser[]): Partial<Activity>;
  /** In a channel, its threads are searched too; `conversationId` of the answer is where the card is. */
  latestCardIn(conversationId: string, containing: string): PostedCard;
  /** As latestCardIn, waiting for a proactive send that may still be on its way. */
  waitForCard(conversationId: string, containing: string, timeoutMs?: number): Promise<PostedCard>;
  /** Registers the channel and puts the facilitators on the roster (once per app). */
  prepareService(coordinator: TeamsUser, facilitators: TeamsUser[]): Promise<void>;
  /** `fields` adds to (or overrides) REFERRAL_FORM. */
  refer(referrer: TeamsUser, fields?: Readonly<Record<string, string>>): Promise<string>;
  /** A new case confirmed with the pair: returns its reference. `fields` as for refer. */
  caseInPreparation(referrer: TeamsUser, coordinator: TeamsUser, pair: [TeamsUser, TeamsUser], fields?: Readonly<Record<string, string>>): Promise<string>;
}

export function button(card: Record<string, unknown>, title: string): { verb: string; data: Record<string, unknown> } {
  const a = actionsOf(card).get(title);
  if (!a) throw new Error(`no "${title}" button; have: ${[...actionsOf(card).keys()].join(', ')}`);
  return a;
}

export function caseSetup(appUrl: () => string, connector: ConnectorEmulator, opts: { token?: () => Promise<string> } = {}): CaseSetup {
  const chat = (u: TeamsUser) => new Chat(appUrl, connector, u, undefined, opts.token);

  const inChannel = (a: Partial<Activity>): Partial<Activity> => ({
    ...a,
    conversation: { id: channelThreadOf(connector, a), conversationType: 'channel', tenantId: STAFF_TENANT, isGroup: true, name: 'Referrals' },
    channelData: { tenant: { id: STAFF_TENANT }, team: { id: TEAM }, channel: { id: CHANNEL } },
  });

  const channelMessage = (c: Chat, text: string, mentions: TeamsUser[] = []): Partial<Activity> => {
    const a = c.teams.message(`<at>RJ Referrals</at> ${text} ${mentions.map((m) => `<at>${m.name}</at>`).join(' ')}`.trim(), c.user);
    a.entities = [
      { type: 'mention', mentioned: { id: a.recipient!.id, name: 'RJ Referrals' }, text: '<at>RJ Referrals</at>' },
      ...mentions.map((m) => ({ type: 'mention', mentioned: { id: teamsUserId(m), name: m.name }, text: `<at>${m.name}</at>` })),
    ];
    return inChannel(a);
  };

  const latestCardIn = (conversationId: string, containing: string) => {
    const updates = connector.updates().filter((u) => inConversation(u.conversationId, conversationId)).reverse();
    for (const u of updates) for (const c of cardsIn(u.activity)) if (cardText(c).includes(containing)) return { activityId: u.activityId, conversationId: u.conversationId, card: c };
    const sent = connector.sentTo(conversationId).reverse();
    for (const a of sent) for (const c of cardsIn(a)) if (cardText(c).includes(containing)) return { activityId: a.id, conversationId: a.conversationId, card: c };
    throw new Error(`no card containing "${containing}" in ${conversationId}`);
  };

  const waitForCard = async (conversationId: string, containing: string, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        return latestCardIn(conversationId, containing);
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };

  const prepareService = async (coordinator: TeamsUser, facilitators: TeamsUser[]) => {
    const c = chat(coordinator);
    // The roster first: registering the channel asks to confirm when team members are not on it.
    const added = await c.post(channelMessage(c, 'roster add', facilitators));
    for (const f of facilitators) if (!textOf(added).includes(f.name)) throw new Error(`${f.name} not added: ${textOf(added)}`);
    const ok = await c.post(channelMessage(c, 'use this channel for referrals'));
    if (textOf(ok).includes('posted in this channel')) return;
    const confirm = cardWithAction(ok, 'Confirm');
    const done = await c.post(inChannel(c.teams.adaptiveCardAction(confirm.action.verb, confirm.action.data, coordinator, { replyToId: confirm.activityId })));
    if (!cardText(invokeCard(done)).includes('posted in this channel')) throw new Error(`channel not registered: ${textOf(ok)}`);
  };

  const refer = async (referrer: TeamsUser, fields: Readonly<Record<string, string>> = {}) => {
    const c = chat(referrer);
    let turn = await c.say('refer');
    for (;;) {
      const q = (() => {
        try {
          return cardWithAction(turn, 'Yes');
        } catch {
          return undefined;
        }
      })();
      if (!q) break;
      const id = String(q.action.data.questionId) as keyof typeof ELIGIBLE;
      turn = await c.say(ELIGIBLE[id]);
    }
    const form = cardWithAction(turn, 'Submit referral');
    const done = await c.click(form.action.verb, { ...form.action.data, ...REFERRAL_FORM, ...fields }, form.activityId);
    // Only what came back to this referrer: owed messages about other cases may go out meanwhile.
    const mine = { ...done, sent: done.sent.filter((a) => a.conversationId === c.conversationId) };
    const m = /RJ-\d{4}-\d{4}/.exec(textOf(mine));
    if (!m) throw new Error(`no reference in: ${textOf(done)}`);
    return m[0];
  };

  const caseInPreparation = async (referrer: TeamsUser, coordinator: TeamsUser, pair: [TeamsUser, TeamsUser], fields: Readonly<Record<string, string>> = {}) => {
    const reference = await refer(referrer, fields);
    const c = chat(coordinator);
    const posted = await waitForCard(CHANNEL, `Referral ${reference}`);
    const click = async (card: Record<string, unknown>, title: string, extra: Record<string, unknown> = {}) => {
      const b = button(card, title);
      return invokeCard(await c.post(inChannel(c.teams.adaptiveCardAction(b.verb, { ...b.data, ...extra }, coordinator, { replyToId: posted.activityId }))));
    };
    const accepted = await click(posted.card, 'Accept into service');
    const assign = await click(accepted, 'Assign facilitators');
    await click(assign, 'Offer to the chosen pair', { facilitatorA: pair[0].aadObjectId, facilitatorB: pair[1].aadObjectId });
    for (const f of pair) {
      const offer = await waitForCard(chat(f).conversationId, `Case offer: ${reference}`);
      const acc = button(offer.card, 'Accept');
      await chat(f).click(acc.verb, acc.data, offer.activityId);
    }
    return reference;
  };

  return { chat, inChannel, channelMessage, latestCardIn, waitForCard, prepareService, refer, caseInPreparation };
}
