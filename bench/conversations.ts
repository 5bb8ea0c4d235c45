/**
 * What each simulated user does, one turn at a time, and how the benchmark tells that the bot really
 * answered (a fast wrong answer must not count as throughput).
 */
import type { WireActivity as Activity } from '../src/simulator/wire';
import { assessEligibility, nextQuestion, type Answer, type QuestionId, type ScreeningAnswers } from '../src/domain/eligibility';
import { teamsChannel, type TeamsChannel, type TeamsUser } from '../test/support/activities';
import type { ConnectorRequest } from '../test/support/connector';

export interface HttpReply {
  status: number;
  body: unknown;
}

export interface Turn {
  activity: Partial<Activity>;
  /** Throws when the reply or the connector calls made during the turn are not what a user expects. */
  check(reply: HttpReply, connectorCalls: ConnectorRequest[]): void;
}

export interface Conversation {
  readonly conversationId: string;
  next(): Turn;
}

const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';

const ELIGIBLE: ScreeningAnswers = {
  sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes',
};

/** Every outcome the screening can reach, so the load covers the ineligible record and the form card. */
const PLANS: ScreeningAnswers[] = [
  ELIGIBLE,
  { ...ELIGIBLE, london: 'no' },
  { ...ELIGIBLE, arrested: 'not_sure' },
  { ...ELIGIBLE, stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' },
  { ...ELIGIBLE, sentenced: 'no' },
];

const TYPED: Record<Answer, string> = { yes: 'yes', no: 'no', not_sure: 'not sure' };

class TurnError extends Error {}

function fail(conversationId: string, what: string, reply: HttpReply, calls: ConnectorRequest[]): never {
  const sent = calls.map((c) => `${c.status} ${c.method} ${c.kind}`).join(', ') || 'none';
  throw new TurnError(`${conversationId}: ${what} (HTTP ${reply.status}, connector calls: ${sent})`);
}

// --- reading what the bot sent ----------------------------------------------------------------------

function cardsOf(body: unknown): Record<string, unknown>[] {
  const atts = (body as { attachments?: unknown } | undefined)?.attachments;
  if (!Array.isArray(atts)) return [];
  return atts.flatMap((a: unknown) => {
    const att = a as { contentType?: unknown; content?: unknown };
    return att.contentType === CARD_TYPE && att.content && typeof att.content === 'object' ? [att.content as Record<string, unknown>] : [];
  });
}

function walk(v: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === 'object') {
    visit(v as Record<string, unknown>);
    Object.values(v).forEach((x) => walk(x, visit));
  }
}

function textIn(v: unknown): string {
  const out: string[] = [];
  walk(v, (o) => {
    if (typeof o.text === 'string') out.push(o.text);
  });
  return out.join('\n');
}

interface ExecuteAction {
  title: string;
  verb: string;
  data: Record<string, unknown>;
}

function executeActions(card: unknown): ExecuteAction[] {
  const out: ExecuteAction[] = [];
  walk(card, (o) => {
    if (o.type === 'Action.Execute' && typeof o.title === 'string' && typeof o.verb === 'string') {
      out.push({ title: o.title, verb: o.verb, data: (o.data ?? {}) as Record<string, unknown> });
    }
  });
  return out;
}

/** New messages the bot posted during the turn, with the ids the connector gave them. */
function sentMessages(calls: ConnectorRequest[]): { id: string; body: unknown }[] {
  return calls.filter((c) => (c.kind === 'send' || c.kind === 'reply') && c.status < 300).map((c) => ({ id: c.assignedId ?? '', body: c.body }));
}

// --- RJ Referrals: screening conversations ----------------------------------------------------------

type RjState =
  | { phase: 'idle' }
  | { phase: 'asking'; screeningId: string; questionId: QuestionId; cardActivityId: string; answers: ScreeningAnswers; plan: ScreeningAnswers }
  | { phase: 'form' };

/**
 * One referrer screening case after case: `refer`, every question (typed and clicked alternately, the
 * order shifting each screening), the outcome, then `cancel` when the outcome is the referral form.
 */
export class ScreeningConversation implements Conversation {
  readonly conversationId: string;
  private readonly teams: TeamsChannel;
  private state: RjState = { phase: 'idle' };
  private screenings = 0;
  private answered = 0;

  constructor(
    serviceUrl: string,
    private readonly user: TeamsUser,
    private readonly index: number,
  ) {
    this.teams = teamsChannel({ serviceUrl });
    this.conversationId = this.teams.message('', user).conversation?.id ?? '';
  }

  next(): Turn {
    const s = this.state;
    switch (s.phase) {
      case 'idle':
        return { activity: this.teams.message('refer', this.user), check: (r, c) => this.afterRefer(r, c) };
      case 'form':
        return { activity: this.teams.message('cancel', this.user), check: (r, c) => this.afterCancel(r, c) };
      case 'asking': {
        const answer = s.plan[s.questionId];
        if (!answer) throw new TurnError(`${this.conversationId}: the plan has no answer for ${s.questionId}`);
        const click = (this.answered + this.index) % 2 === 0;
        this.answered += 1;
        const activity = click
          ? this.teams.adaptiveCardAction('screening.answer', { verb: 'screening.answer', screeningId: s.screeningId, questionId: s.questionId, answer }, this.user, { replyToId: s.cardActivityId })
          : this.teams.message(TYPED[answer], this.user);
        return { activity, check: (r, c) => this.afterAnswer(s, answer, click, r, c) };
      }
    }
  }

  private expectQuestion(reply: HttpReply, calls: ConnectorRequest[], id: QuestionId): { screeningId: string; cardActivityId: string } {
    for (const m of sentMessages(calls)) {
      for (const card of cardsOf(m.body)) {
        const yes = executeActions(card).find((a) => a.verb === 'screening.answer' && a.data.answer === 'yes');
        if (yes && yes.data.questionId === id && typeof yes.data.screeningId === 'string') return { screeningId: yes.data.screeningId, cardActivityId: m.id };
      }
    }
    return fail(this.conversationId, `expected question "${id}"`, reply, calls);
  }

  private afterRefer(reply: HttpReply, calls: ConnectorRequest[]): void {
    if (reply.status !== 200) fail(this.conversationId, 'refer was not answered with 200', reply, calls);
    const first = nextQuestion({});
    if (!first) throw new TurnError('no screening questions');
    const plan = PLANS[(this.index + this.screenings) % PLANS.length] ?? ELIGIBLE;
    this.screenings += 1;
    const q = this.expectQuestion(reply, calls, first.id);
    this.state = { phase: 'asking', ...q, questionId: first.id, answers: {}, plan };
  }

  private afterAnswer(s: Extract<RjState, { phase: 'asking' }>, answer: Answer, click: boolean, reply: HttpReply, calls: ConnectorRequest[]): void {
    if (reply.status !== 200) fail(this.conversationId, 'answer was not answered with 200', reply, calls);
    if (click) {
      const b = reply.body as { statusCode?: unknown; type?: unknown; value?: unknown } | undefined;
      if (b?.statusCode !== 200 || b.type !== CARD_TYPE || !textIn(b.value).includes('Your answer')) {
        fail(this.conversationId, 'the invoke response is not the answered question card', reply, calls);
      }
    } else if (!calls.some((c) => c.kind === 'update' && c.status < 300 && c.activityId === s.cardActivityId)) {
      fail(this.conversationId, 'the typed answer did not update the question card in place', reply, calls);
    }
    const answers: ScreeningAnswers = { ...s.answers, [s.questionId]: answer };
    const next = nextQuestion(answers);
    if (next) {
      const q = this.expectQuestion(reply, calls, next.id);
      this.state = { ...s, ...q, questionId: next.id, answers };
      return;
    }
    const cards = sentMessages(calls).flatMap((m) => cardsOf(m.body));
    if (assessEligibility({ answers }).outcome === 'ineligible') {
      if (!cards.some((c) => textIn(c).includes('cannot be referred'))) fail(this.conversationId, 'expected the ineligible card', reply, calls);
      this.state = { phase: 'idle' };
    } else {
      if (!cards.some((c) => executeActions(c).some((a) => a.title === 'Submit referral'))) fail(this.conversationId, 'expected the referral form', reply, calls);
      this.state = { phase: 'form' };
    }
  }

  private afterCancel(reply: HttpReply, calls: ConnectorRequest[]): void {
    if (reply.status !== 200) fail(this.conversationId, 'cancel was not answered with 200', reply, calls);
    const said = sentMessages(calls).map((m) => (m.body as { text?: unknown }).text);
    if (!said.some((t) => typeof t === 'string' && t.includes('Referral cancelled'))) fail(this.conversationId, 'expected "Referral cancelled"', reply, calls);
    this.state = { phase: 'idle' };
  }
}

// --- the echo baseline ------------------------------------------------------------------------------

/** The same users and activity shapes, to the echo bot: every message must come back once, verbatim. */
export class EchoConversation implements Conversation {
  readonly conversationId: string;
  private readonly teams: TeamsChannel;
  private n = 0;

  constructor(
    serviceUrl: string,
    private readonly user: TeamsUser,
  ) {
    this.teams = teamsChannel({ serviceUrl });
    this.conversationId = this.teams.message('', user).conversation?.id ?? '';
  }

  next(): Turn {
    const text = `message ${++this.n}`;
    return {
      activity: this.teams.message(text, this.user),
      check: (reply, calls) => {
        if (reply.status !== 200) fail(this.conversationId, 'message was not answered with 200', reply, calls);
        const said = sentMessages(calls).map((m) => (m.body as { text?: unknown }).text);
        if (said.length !== 1 || said[0] !== `echo: ${text}`) fail(this.conversationId, `expected one "echo: ${text}"`, reply, calls);
      },
    };
  }
}
