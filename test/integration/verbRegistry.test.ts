import { TestAdapter, TurnContext } from 'botbuilder';
import { DialogSet } from 'botbuilder-dialogs';
import { z } from 'zod';
import type { AdaptiveCard } from '../../cards/adaptive';
import { caseBaseCard, caseUnavailableCard } from '../../cards/caseBase';
import {
  assignCard,
  caseStatusCard,
  channelCaseCard,
  offerCard,
  offerCardForOthers,
  replacementDoneCard,
  replacementNeededCard,
  type ChannelCaseView,
  type PairChoice,
} from '../../cards/caseCards';
import { channelCheckAnsweredCard, channelCheckCard, coordinatorWaitCard } from '../../cards/channelCards';
import { myReferralsCard } from '../../cards/myReferrals';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import {
  caseCard,
  caseListCard,
  closeFormCard,
  conferenceFormCard,
  consentFormCard,
  contactFormCard,
  indirectFormCard,
  outcomeFormCard,
  reopenFormCard,
  riskFormCard,
  MAX_PRIMARY_ACTIONS,
  type CaseActionButton,
  type FormView,
} from '../../cards/progressCards';
import { referralConfirmationCard } from '../../cards/referralConfirmation';
import { referralClosedCard, referralFormCard, referralSubmittedCard } from '../../cards/referralForm';
import { digestCard, REMINDER_VERBS, reminderCard, snoozedCard, undeliveredCard, type ReminderCardItem } from '../../cards/reminders';
import { auditCard } from '../../cards/audit';
import { legalHoldDoneCard, legalHoldFormCard } from '../../cards/legalHold';
import { erasureConfirmCard, erasureDoneCard, erasureFormCard, erasureReminderCard, erasureRequestCard } from '../../cards/erasure';
import { staffHelpCard } from '../../cards/help';
import { rosterCard, rosterHistoryCard, rosterRemoveConfirmCard } from '../../cards/roster';

const REMINDER_VERB_SET: string[] = Object.values(REMINDER_VERBS);
import { answeredQuestionCard, ineligibleAnsweredCard, ineligibleCard, screeningQuestionCard, staleQuestionCard } from '../../cards/screening';
import { RETIRED_VERBS } from '../../cards/verbs';
import { welcomeCard } from '../../cards/welcome';
import { caseActions } from '../../src/app/caseCardView';
import { botHandlers, type HandlerServices } from '../../src/bot';
import { anyone, buildRoutes, coordinators, defineCommand, definePatternCommand, defineVerb, DuplicateRouteError, type CardVerb } from '../../src/bot/registry';
import { CONTACT_LOGGED, caseProgress, type StoredEvent } from '../../src/domain/caseProgress';
import { eventData, INITIAL_FACTS, apply, type CaseFacts } from '../../src/domain/caseState';
import { assessEligibility, SCREENING_QUESTIONS } from '../../src/domain/eligibility';
import { decide, type CaseCommand } from '../../src/domain/lifecycle';
import type { Actor as DomainActor } from '../../src/domain/permissions';
import { cardReplyOf, setActor } from '../../src/bot/turn';
import { createLogger, PERSONAL_FIELD_NAMES } from '../../src/log';
import { REFERRAL_FORM_FIELDS } from '../../src/domain/referralForm';

/*
 * The one registry: a name given twice stops the start-up, every verb a card can emit has a
 * handler, and no handler waits for a verb that no card emits (aliases excepted: they are the
 * names cards already posted in Teams still carry).
 */

const none = z.object({}).passthrough();
const noop = async () => undefined;
const routesOf = (verbs: CardVerb[], commands: Parameters<typeof buildRoutes>[0]['commands'] = []) =>
  buildRoutes({ verbs, commands, fallback: noop, roles: async () => { throw new Error('not asked while building'); }, seen: noop });

describe('duplicates fail at start-up', () => {
  test('a verb registered twice', () => {
    const v = () => defineVerb({ verb: 'x.do', schema: none, who: anyone('tests'), handle: noop });
    expect(() => routesOf([v(), v()])).toThrow(DuplicateRouteError);
    expect(() => routesOf([v(), v()])).toThrow('The card verb "x.do" is registered twice');
  });

  test('an alias that is another verb\'s name, or another alias', () => {
    const a = defineVerb({ verb: 'x.a', schema: none, who: anyone('tests'), handle: noop });
    const b = defineVerb({ verb: 'x.b', aliases: ['x.a'], schema: none, who: anyone('tests'), handle: noop });
    const c = defineVerb({ verb: 'x.c', aliases: ['x.old'], schema: none, who: anyone('tests'), handle: noop });
    const d = defineVerb({ verb: 'x.d', aliases: ['x.old'], schema: none, who: anyone('tests'), handle: noop });
    expect(() => routesOf([a, b])).toThrow('"x.a" is registered twice');
    expect(() => routesOf([c, d])).toThrow('"x.old" is registered twice');
    expect(routesOf([a, c]).verbs.has('x.old')).toBe(true);
  });

  test('a command text, or a command pattern, given twice', () => {
    const help = () => defineCommand({ texts: ['help'], who: anyone('tests'), handle: noop });
    expect(() => routesOf([], [help(), defineCommand({ texts: ['hi', 'help'], who: anyone('tests'), handle: noop })])).toThrow('The command "help" is registered twice');
    const p = () => definePatternCommand({ pattern: /^case (x)$/, who: coordinators('triage'), handle: noop });
    expect(() => routesOf([], [p(), p()])).toThrow(DuplicateRouteError);
  });

  test("the bot's own list has no duplicate: building it does not throw", () => {
    expect(() => buildRoutes({ ...handlers(), roles: async () => { throw new Error('unused'); }, seen: noop })).not.toThrow();
  });
});

describe('who may use a verb is checked before its handler, after its data', () => {
  const person = { aadObjectId: 'a1', tenantId: 't', staffTenant: true };
  const ctxFor = () => {
    const ctx = new TurnContext(new TestAdapter(), { type: 'invoke', name: 'adaptiveCard/action', conversation: { id: 'c', isGroup: false, name: '', conversationType: 'personal' }, from: { id: 'u', name: '' } });
    setActor(ctx, person);
    return ctx;
  };
  const build = (coordinator: boolean, ran: string[], seen: string[]) =>
    buildRoutes({
      verbs: [defineVerb({ verb: 'x.triage', schema: z.object({ caseId: z.string().min(1) }), who: coordinators('triage'), handle: async (_ctx, data) => { ran.push(data.caseId); } })],
      commands: [],
      fallback: noop,
      roles: async (a) => ({ ...a, coordinator, facilitator: false }),
      seen: async (a) => { seen.push(a.aadObjectId); },
    });

  test('a coordinator-only verb refuses anyone else with the permission table\'s words, and its handler never runs', async () => {
    const ran: string[] = [];
    const seen: string[] = [];
    const ctx = ctxFor();
    expect(await build(false, ran, seen).verbs.get('x.triage')!.run(ctx, { caseId: 'k' })).toEqual({ ok: true });
    expect(ran).toEqual([]);
    expect(cardReplyOf(ctx)).toEqual({ kind: 'message', text: 'Only coordinators can accept or decline referrals.', refused: true });
    expect(seen).toEqual(['a1']);
  });

  test('a coordinator reaches the handler; malformed data is refused first, whoever sends it', async () => {
    const ran: string[] = [];
    const routes = build(true, ran, []);
    expect(await routes.verbs.get('x.triage')!.run(ctxFor(), { caseId: 'k' })).toEqual({ ok: true });
    expect(ran).toEqual(['k']);
    expect(await build(false, ran, []).verbs.get('x.triage')!.run(ctxFor(), { caseId: '' })).toMatchObject({ ok: false, issues: ['caseId'] });
  });
});

/** Services the handlers are built with: listing them calls none of these, so each throws if called. */
function handlers() {
  const untouched = <T extends object>(name: string): T =>
    new Proxy({} as T, { get: (_t, key) => { throw new Error(`${name}.${String(key)} was used while only listing handlers`); } });
  const s: HandlerServices = {
    triage: untouched('triage'),
    assignment: untouched('assignment'),
    offers: untouched('offers'),
    roster: untouched('roster'),
    progress: untouched('progress'),
    details: untouched('details'),
    reminders: untouched('reminders'),
    audit: untouched('audit'),
    holds: untouched('holds'),
    erasure: untouched('erasure'),
    roles: async () => { throw new Error('roles asked while listing'); },
    log: untouched('log'),
  };
  return botHandlers(s, { intake: untouched('intake'), dialogs: new DialogSet(), shownTo: async () => undefined });
}

/** Every Action.Execute verb in a card: actions, selectActions, ShowCard's inner card and `refresh.action`. */
function verbsIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const x of node) verbsIn(x, out);
  } else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o.type === 'Action.Execute' && typeof o.verb === 'string') out.add(o.verb);
    // The Action.Submit fallback carries the verb in its data.
    if (o.type === 'Action.Submit' && typeof o.data === 'object' && o.data !== null && typeof (o.data as { verb?: unknown }).verb === 'string') {
      out.add((o.data as { verb: string }).verb);
    }
    for (const v of Object.values(o)) verbsIn(v, out);
  }
  return out;
}

const caseId = '00000000-0000-4000-8000-000000000001';
const pair = (id: string, experienced = false): PairChoice => ({ aadObjectId: id, name: `Facilitator ${id}`, openCases: 1, maxCases: 4, experienced });
const channelView = (stage: string, offers: ChannelCaseView['offers'] = []): ChannelCaseView => ({
  caseId, reference: 'RJ-2026-0001', offenceType: 'burglary', source: 'Probation', referredOn: '1 May 2026', stage, stageLabel: stage,
  complex: true, extraCare: true, needsReview: true, triage: { by: 'Coordinator', on: '2 May 2026' }, offers, alerts: ['an alert'],
});
const form: FormView = { caseId, reference: 'RJ-2026-0001', values: {}, errors: {}, today: '2026-05-04', nonce: '00000000-0000-4000-8000-0000000000ff' };
const reminderItems: ReminderCardItem[] = [
  { rule: 'first_contact_due', reminderKey: 'k1', dueAt: new Date('2026-05-04T09:00:00Z'), about: { kind: 'participant', participantId: 'p', role: 'harmed_person' }, caseId, caseReference: 'RJ-2026-0001' },
  { rule: 'triage_due', reminderKey: 'k2', dueAt: new Date('2026-05-04T09:00:00Z'), about: { kind: 'case' }, caseId, caseReference: 'RJ-2026-0001' },
  { rule: 're_refer', reminderKey: 'k3', dueAt: new Date('2026-05-04T09:00:00Z'), about: { kind: 'screening', sentencingDate: '2026-05-04' } },
  // The offer's reminder answers with the offer's own verbs; a snoozed item keeps its other buttons.
  { rule: 'assignment_answer_due', reminderKey: 'k4', reminderId: 'k4|20260504T0900Z', dueAt: new Date('2026-05-04T09:00:00Z'), about: { kind: 'offer', offerId: 'o', facilitatorAadObjectId: 'f1' }, caseId, caseReference: 'RJ-2026-0001', notice: 'Choose a reason before declining.' },
  { rule: 'follow_up_due', reminderKey: 'k5', reminderId: 'k5|20260504T0900Z', dueAt: new Date('2026-05-04T09:00:00Z'), about: { kind: 'participant', participantId: 'p', role: 'offender' }, caseId, caseReference: 'RJ-2026-0001', snoozed: { until: new Date('2026-05-05T08:00:00Z'), left: 2 } },
];

/** The case card's buttons as the app chooses them, for a coordinator and a facilitator, along real paths through the lifecycle. */
function caseCardButtons(): CaseActionButton[] {
  return caseCardButtonSets().flat();
}

/** The same, one set per card a viewer sees at each step. */
function caseCardButtonSets(): CaseActionButton[][] {
  const coordinator: DomainActor = { aadObjectId: 'c1', tenantId: 't', staffTenant: true, coordinator: true, facilitator: false };
  const f1: DomainActor = { aadObjectId: 'f1', tenantId: 't', staffTenant: true, coordinator: false, facilitator: true };
  const f2: DomainActor = { ...f1, aadObjectId: 'f2' };
  const past = '2026-05-01T10:00:00Z';
  const now = new Date('2026-06-01T12:00:00Z');
  const buttons: CaseActionButton[][] = [];
  const walk = (steps: readonly (readonly [CaseCommand, DomainActor] | 'contact')[]) => {
    let facts: CaseFacts = INITIAL_FACTS;
    const stored: StoredEvent[] = [];
    const push = (type: string, data: Record<string, unknown>, by: string) => stored.push({ id: String(stored.length), at: new Date(past), actorAadId: by, type, data });
    for (const step of steps) {
      if (step === 'contact') {
        for (const party of ['harmed_person', 'offender'] as const) push(CONTACT_LOGGED, { contactId: `k${stored.length}`, party, at: past, method: 'phone', outcome: 'reached' }, 'f1');
      } else {
        const d = decide(facts, step[0], step[1]);
        if (!d.ok) throw new Error(`${step[0].kind}: ${d.message}`);
        for (const e of d.events) {
          facts = apply(facts, e);
          push(e.type, eventData(e), step[1].aadObjectId);
        }
      }
      const p = caseProgress(stored);
      for (const who of [coordinator, f1]) buttons.push(caseActions(p, who, now));
    }
  };
  const toPreparation = [
    [{ kind: 'accept' }, coordinator],
    [{ kind: 'startAssignment' }, coordinator],
    [{ kind: 'offerPair', facilitatorAadIds: ['f1', 'f2'] }, coordinator],
    [{ kind: 'acceptOffer' }, f1],
    [{ kind: 'acceptOffer' }, f2],
    'contact',
  ] as const;
  const consented = [
    ...toPreparation,
    [{ kind: 'recordConsent', party: 'harmed_person', status: 'given' }, f1],
    [{ kind: 'recordConsent', party: 'offender', status: 'given' }, f1],
    [{ kind: 'recordRisk', level: 'high' }, f1],
    [{ kind: 'signOffRisk' }, coordinator],
  ] as const;
  walk([
    ...consented,
    [{ kind: 'scheduleConference', conferenceId: 'conf', startsAt: past, venue: 'Hall' }, f1],
    [{ kind: 'recordConferenceHeld', agreement: true }, f1],
    [{ kind: 'close', outcome: 'no_contact_possible' }, coordinator],
    [{ kind: 'reopen', reason: 'more to do' }, coordinator],
  ]);
  walk([...consented, [{ kind: 'chooseIndirect', method: 'letters' }, f1], [{ kind: 'completeIndirect', agreement: false }, f1]]);
  walk([...toPreparation, [{ kind: 'recordConsent', party: 'offender', status: 'declined' }, f1], [{ kind: 'confirmWithdrawal', party: 'offender' }, coordinator]]);
  return buttons;
}

/** Every card builder in cards/, from typed inputs covering their branches. */
function everyCard(): AdaptiveCard[] {
  const eligibility = assessEligibility({ answers: {} });
  const cards: AdaptiveCard[] = [
    welcomeCard(),
    welcomeCard('elsewhere'),
    ...(['personal', 'team'] as const).map((where) =>
      staffHelpCard({ coordinator: true, facilitator: true, where, commands: [{ usage: 'roster', description: 'Manage the roster' }], onlyInPrivate: where === 'team' ? ['cases'] : [] })),
    myReferralsCard([{ reference: 'RJ-2026-0001', submittedOn: '1 May 2026', stage: 'referred', offenceType: 'burglary' }], true),
    myReferralsCard([], false),
    ...SCREENING_QUESTIONS.flatMap((q, i) => [screeningQuestionCard({ screeningId: 's', question: q, number: i + 1, retry: i === 0 }), answeredQuestionCard(q, i + 1, 'yes')]),
    staleQuestionCard(),
    ineligibleCard({ screeningId: 's', result: eligibility, offerReminder: true, today: '2026-05-04', error: 'bad date' }),
    ineligibleCard({ screeningId: 's', result: eligibility, offerReminder: false, today: '2026-05-04' }),
    ineligibleAnsweredCard(eligibility, '4 May 2026'),
    ineligibleAnsweredCard(eligibility, undefined),
    referralFormCard({ formId: 'f', values: {}, errors: {}, requiresSource: true, sentenceDateRequired: true, offenceTypes: ['burglary'], reviewNote: 'review', today: '2026-05-04' }),
    referralSubmittedCard('RJ-2026-0001', '1 May 2026', 'burglary'),
    referralClosedCard('closed'),
    referralConfirmationCard({ reference: 'RJ-2026-0001', needsReview: true, complex: true, extraCare: true }),
    ...['referred', 'accepted', 'assigning', 'preparation', 'declined', 'closed'].map((stage) => channelCaseCard(channelView(stage, [{ facilitatorName: 'A', status: 'declined' }]))),
    replacementNeededCard(caseId, 'RJ-2026-0001'),
    replacementDoneCard({ caseId, reference: 'RJ-2026-0001', offeredTo: ['C'], onCase: [{ name: 'A', status: 'accepted' }, { name: 'C', status: 'offered' }] }),
    assignCard({ caseId, reference: 'RJ-2026-0001', complex: true, suggestions: [{ a: pair('f1', true), b: pair('f2'), reason: 'fewest cases' }], available: [pair('f1'), pair('f2')], error: 'e' }),
    assignCard({ caseId, reference: 'RJ-2026-0001', complex: false, keep: pair('f1'), suggestions: [{ a: pair('f3'), reason: 'r' }], available: [pair('f3')], noSuggestionReason: 'none' }),
    assignCard({ caseId, reference: 'RJ-2026-0001', complex: false, suggestions: [], available: [pair('f3')], replaceable: [pair('f1'), pair('f2')] }),
    ...(['offered', 'accepted', 'declined', 'withdrawn'] as const).map((status) =>
      offerCard({ offerId: 'o', reference: 'RJ-2026-0001', offenceType: 'burglary', borough: 'Camden', complex: true, extraCare: true, coFacilitatorName: 'B', status, answeredOn: '2 May 2026', refreshUserIds: ['29:x'], message: 'm' })),
    offerCardForOthers('not yours'),
    caseBaseCard({ caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', view: 'case', userIds: ['29:x'] }),
    caseUnavailableCard('RJ-2026-0001'),
    caseStatusCard('RJ-2026-0001', 'Awaiting triage', '1 May 2026'),
    caseCard({
      caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', offence: 'Burglary', referredOn: '1 May 2026', facilitators: ['A'], participants: [],
      referral: {}, plan: [], timeline: [], actions: caseCardButtons(),
    }),
    contactFormCard(form),
    contactFormCard({ ...form, actionData: { correctsContactId: 'c' } }),
    consentFormCard(form),
    riskFormCard(form),
    conferenceFormCard({ ...form, rescheduling: true }),
    indirectFormCard(form),
    outcomeFormCard({ ...form, indirect: true }),
    outcomeFormCard({ ...form, indirect: false }),
    outcomeFormCard({ ...form, values: { held: 'no' }, errors: { notHeldReason: 'Say why.' }, indirect: false }),
    closeFormCard(form),
    reopenFormCard(form),
    ...(['mine', 'all', 'overdue'] as const).map((kind) =>
      caseListCard({
        kind, title: kind, page: 2, pageCount: 3, total: 40, emptyText: 'none',
        rows: [{ caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', offence: 'Burglary', next: 'soon', overdue: true }],
        ...(kind === 'all' ? { filters: { stages: [{ title: 'Preparation', value: 'preparation' }], facilitators: [{ title: 'A', value: 'f1' }], overdue: 'all' } } : {}),
      })),
    ...reminderItems.map((item) => reminderCard(item)),
    digestCard(reminderItems, { part: { index: 1, of: 2 }, now: new Date('2026-05-04T08:00:00Z') }),
    snoozedCard({ caseReference: 'RJ-2026-0001', until: new Date('2026-05-05T08:00:00Z'), count: 1, max: 3 }),
    undeliveredCard(reminderItems, 'unreachable'),
    rosterCard({
      people: [
        { aadObjectId: 'c1', name: 'C', coordinator: true, facilitator: false, active: true, experienced: false, openCases: 0, maxCases: 4 },
        { aadObjectId: 'f1', name: 'F', coordinator: false, facilitator: true, active: false, experienced: true, openCases: 1, maxCases: 4 },
        { aadObjectId: 'f2', name: 'G', coordinator: true, facilitator: true, active: true, experienced: false, openCases: 1, maxCases: 4 },
      ],
      candidates: [{ aadObjectId: 'n1', name: 'New' }],
      message: 'done',
    }),
    rosterHistoryCard({ rows: [{ when: 'today', text: 'x' }], page: 2, pageCount: 3, total: 40 }),
    auditCard({ caseId, reference: 'RJ-2026-0001', rows: [{ when: 'today', who: 'C', what: 'x' }], page: 2, pageCount: 3, total: 120 }),
    legalHoldFormCard({ caseId, reference: 'RJ-2026-0001', reason: 'r', error: 'e' }),
    legalHoldDoneCard('RJ-2026-0001', 'done'),
    erasureFormCard({ caseId, reference: 'RJ-2026-0001', party: 'harmed_person', partyLabel: 'the harmed person', today: '2026-12-03', error: 'e' }),
    erasureRequestCard({ caseId, requestId: 'r', reference: 'RJ-2026-0001', partyLabel: 'the harmed person', receivedOn: '1 December 2026', dueOn: '29 December 2026', message: 'm', error: 'e' }),
    erasureConfirmCard({ caseId, requestId: 'r', reference: 'RJ-2026-0001', partyLabel: 'the harmed person' }),
    erasureDoneCard('RJ-2026-0001', 'done'),
    erasureReminderCard({ caseId, reference: 'RJ-2026-0001', partyLabel: 'the harmed person', receivedOn: '1 December 2026', dueOn: '29 December 2026' }),
    rosterRemoveConfirmCard({ aadObjectId: 'f1', name: 'F', op: 'removeAll', roles: ['facilitator', 'coordinator'] }),
    channelCheckCard({ notOnRoster: ['Sam'], members: 3 }),
    channelCheckAnsweredCard('Cancelled.'),
    coordinatorWaitCard({ caseId: 'c1', reference: 'RJ-2026-0001', waiting: 'Waiting for risk sign-off.', action: { title: 'Sign off risk', verb: PROGRESS_VERBS.riskSignOff, data: {} } }),
    coordinatorWaitCard({ caseId: 'c1', reference: 'RJ-2026-0001', waiting: 'Waiting for a coordinator.', action: { title: 'Confirm and close', verb: PROGRESS_VERBS.confirmWithdrawal, data: { party: 'offender' } } }),
  ];
  return cards;
}

describe('every card verb has a handler, and every handler a card or a command', () => {
  const list = handlers();
  const routes = buildRoutes({ ...list, roles: async () => { throw new Error('unused'); }, seen: noop });
  const emitted = new Set(everyCard().flatMap((c) => [...verbsIn(c)]));

  test('the cards emit verbs at all (the walk reaches nested containers and refresh)', () => {
    expect(emitted.size).toBeGreaterThan(30);
    // Only in the offer card's `refresh.action`.
    expect(emitted).toContain('offer.refresh');
  });

  test('each verb a card can emit is routed', () => {
    const missing = [...emitted].filter((v) => !routes.verbs.has(v));
    expect(missing).toEqual([]);
  });

  test('each registered verb is emitted by some card; aliases only for retired names no card emits', () => {
    const unreachable = list.verbs.map((v) => v.verb).filter((v) => !emitted.has(v));
    expect(unreachable).toEqual([]);
    const aliases = list.verbs.flatMap((v) => v.aliases);
    expect(aliases.sort()).toEqual(Object.values(RETIRED_VERBS).sort());
    for (const a of aliases) expect(emitted).not.toContain(a);
  });

  test('one verb opens a case: the old name from cards already in Teams reaches the same handler', () => {
    const open = list.verbs.filter((v) => v.verb === 'case.open' || v.aliases.includes('case.open') || v.aliases.includes('progress.case'));
    expect(open).toHaveLength(1);
    expect(routes.verbs.get(RETIRED_VERBS.progressCase)).toBe(routes.verbs.get('case.open'));
  });

  test('every command is reachable by a text (exact, or a pattern matching an example)', () => {
    const examples = ['case rj-2026-0001', 'contact rj-2026-0001', 'audit rj-2026-0001', 'hold rj-2026-0001', 'lift hold rj-2026-0001', 'erase rj-2026-0001 harmed person', 'roster add coordinator', 'roster remove'];
    for (const c of list.commands) {
      if ('texts' in c) for (const t of c.texts) expect(routes.commands.has(t)).toBe(true);
      else expect(examples.some((e) => c.pattern.test(e))).toBe(true);
    }
  });
});

/** Every input id of a type in a card, ShowCard cards included. */
function inputIdsOf(c: unknown, types: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && types.has(o.type) && typeof o.id === 'string') out.push(o.id);
      Object.values(o).forEach(walk);
    }
  };
  walk(c);
  return out;
}

describe('whatever a person types into a card never reaches the logs (issue 10, item 9)', () => {
  const typed = [...new Set(everyCard().flatMap((c) => inputIdsOf(c, new Set(['Input.Text']))))];

  test('every free-text input of every card, and every referral form field, is on the redaction list', () => {
    expect(typed.length).toBeGreaterThan(10);
    expect([...typed, ...REFERRAL_FORM_FIELDS].filter((id) => !PERSONAL_FIELD_NAMES.includes(id))).toEqual([]);
  });

  test('logged as a form, as an invoke value or as action data, at debug level, each is redacted', () => {
    const lines: string[] = [];
    const log = createLogger('debug', { write: (l: string) => { lines.push(l); } });
    for (const [i, id] of [...typed, ...REFERRAL_FORM_FIELDS].entries()) {
      const secret = `Secret${i}Value`;
      log.debug({ [id]: secret }, 'form');
      log.debug({ form: { [id]: secret } }, 'values');
      log.debug({ activity: { value: { action: { data: { [id]: secret } } } } }, 'invoke');
      log.debug({ activity: { value: { [id]: secret } } }, 'submit');
    }
    expect(lines.length).toBe(4 * (typed.length + REFERRAL_FORM_FIELDS.length));
    expect(lines.join('\n')).not.toMatch(/Secret\d+Value/);
  });
});

/** Every button of a card in a row of buttons (the card's actions, ActionSets, ShowCards), with whether it is in the overflow menu. */
function buttonRows(node: unknown, rows: { title: string; secondary: boolean }[][] = []): { title: string; secondary: boolean }[][] {
  if (Array.isArray(node)) {
    for (const x of node) buttonRows(x, rows);
  } else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o.actions)) {
      rows.push((o.actions as Record<string, unknown>[]).map((a) => ({ title: String(a.title ?? ''), secondary: a.mode === 'secondary' })));
    }
    for (const v of Object.values(o)) buttonRows(v, rows);
  }
  return rows;
}

describe('buttons fit a phone (issue 14, item 3)', () => {
  const caseCards = caseCardButtonSets().map((actions) =>
    caseCard({ caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', offence: 'Burglary', referredOn: '1 May 2026', facilitators: ['A'], participants: [], referral: {}, plan: [], timeline: [], actions }));

  test('every case card the lifecycle leads to: at most three primary buttons, each title at most 20 characters, no two alike', () => {
    expect(caseCards.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    for (const c of caseCards) {
      const buttons = buttonRows(c).flat();
      const titles = buttons.map((b) => b.title);
      expect(buttons.filter((b) => !b.secondary).length).toBeLessThanOrEqual(MAX_PRIMARY_ACTIONS);
      expect(titles.filter((t) => t.length > 20)).toEqual([]);
      expect(new Set(titles).size).toBe(titles.length);
      titles.forEach((t) => seen.add(t));
    }
    // The walk reaches the buttons this is about, and the overflow.
    expect([...seen]).toEqual(expect.arrayContaining(['Log contact', 'Correct last contact', 'Record consent', 'Sign off high risk', 'Conference outcome', 'Close case', 'Reopen case', 'Refresh']));
    expect(caseCards.some((c) => buttonRows(c).flat().some((b) => b.secondary))).toBe(true);
  });

  test('reminder cards: every title at most 20 characters', () => {
    const reminderCards = everyCard().filter((c) => REMINDER_VERB_SET.some((v) => verbsIn(c).has(v)));
    expect(reminderCards.length).toBeGreaterThan(2);
    expect(reminderCards.flatMap((c) => buttonRows(c).flat().map((b) => b.title)).filter((t) => t.length > 20)).toEqual([]);
  });

  test('no card shows more than three primary buttons side by side', () => {
    const crowded = [...everyCard(), ...caseCards].flatMap((c) => buttonRows(c).filter((row) => row.filter((b) => !b.secondary).length > 3).map((row) => row.map((b) => b.title).join(' | ')));
    expect(crowded).toEqual([]);
  });
});
