import * as adaptive from '../../cards/adaptive';
import * as audit from '../../cards/audit';
import * as legalHold from '../../cards/legalHold';
import * as erasure from '../../cards/erasure';
import * as caseCards from '../../cards/caseCards';
import * as caseBase from '../../cards/caseBase';
import * as help from '../../cards/help';
import * as channelCards from '../../cards/channelCards';
import * as myReferrals from '../../cards/myReferrals';
import * as progressCards from '../../cards/progressCards';
import * as referralConfirmation from '../../cards/referralConfirmation';
import * as referralForm from '../../cards/referralForm';
import * as reminders from '../../cards/reminders';
import * as roster from '../../cards/roster';
import * as screening from '../../cards/screening';
import * as welcome from '../../cards/welcome';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { assessEligibility, SCREENING_QUESTIONS } from '../../src/domain/eligibility';
import { OFFENCE_TYPES, type OffenceType } from '../../src/domain/vocabulary';
import type { ReminderCardItem } from '../../cards/reminders';
import { AA_NORMAL_TEXT, contrastRatio, parseColour, textContrasts, type Theme } from '../support/contrast';

/*
 * Issue 14, item 6: no text in any card may be hard to read in Teams' light or dark theme. Every
 * card builder is run on inputs that reach its branches (notes, errors, flags, every status), and
 * every TextBlock/TextRun/FactSet colour is measured against its container style's background in
 * Microsoft's Teams host configs.
 */

const caseId = '00000000-0000-4000-8000-000000000001';
const person = (n: number, experienced = false) => ({ aadObjectId: `aad-${n}`, name: `Person ${n}`, openCases: n, maxCases: 3, experienced });
const due = new Date('2026-12-04T09:00:00Z');
const reminder = (rule: ReminderCardItem['rule'], about: ReminderCardItem['about'] = { kind: 'case' }): ReminderCardItem => ({
  rule, reminderKey: `k-${rule}`, dueAt: due, about, caseId, caseReference: 'RJ-2026-0001',
});
const formView = { caseId, reference: 'RJ-2026-0001', values: { note: 'n' }, errors: { note: 'Too long.', party: 'Choose one.' }, today: '2026-12-03', message: 'Saved, but check the date.' };
const channelView: caseCards.ChannelCaseView = {
  caseId, reference: 'RJ-2026-0001', offenceType: 'murder', source: 'Probation', referredOn: '3 December 2026', stage: 'referred', stageLabel: 'Awaiting triage',
  complex: true, extraCare: true, needsReview: true, triage: { by: 'Cora', on: '3 December 2026', declined: 'Duplicate referral' },
  offers: [{ facilitatorName: 'Fran', status: 'offered', sendError: '403' }, { facilitatorName: 'Gabe', status: 'declined', reason: 'capacity' }, { facilitatorName: 'Hal', status: 'accepted', on: '3 December 2026' }],
  alerts: ['Choose a reason before declining.'],
};
const caseView: progressCards.CaseCardView = {
  caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', offence: 'Robbery', referredOn: '2 March 2026', flags: 'Complex', facilitators: ['Fran', 'Gabe'],
  participants: [
    { party: 'harmed_person', name: 'Ann', phone: '020', consent: 'Given', latestNote: 'Called', nextFollowUp: '4 March', due: { label: 'Follow up: overdue since 2 March', overdue: true } },
    { party: 'offender', name: 'Bob', consent: 'Not yet', due: { label: 'First contact by 9 March', overdue: false } },
  ],
  referral: { description: 'd', relationship: 'r', riskNotes: 'Threatened the harmed person', accessNeeds: 'a' },
  risk: { line: 'High', summary: 's', signOff: 'Waiting for sign-off' }, plan: ['Conference on 9 March'], planNote: 'n', closed: { line: 'Conference held', note: 'n' },
  timeline: [{ on: '3 Mar', text: 'Contact' }], actions: [{ title: 'Record consent', verb: PROGRESS_VERBS.consentForm }], message: { text: 'Saved.', kind: 'good' },
};
const ineligible = assessEligibility({ answers: { sentenced: 'no', responsibility: 'no' } });
const onlySentencing = assessEligibility({ answers: { sentenced: 'no' } });

/** Every card builder, each with the inputs that reach its branches. */
const CARDS: Record<string, () => adaptive.AdaptiveCard[]> = {
  channelCaseCard: () => (['referred', 'accepted', 'assigning', 'preparation', 'closed'] as const).map((stage) => caseCards.channelCaseCard({ ...channelView, stage })),
  replacementNeededCard: () => [caseCards.replacementNeededCard(caseId, 'RJ-2026-0001')],
  replacementDoneCard: () => [
    caseCards.replacementDoneCard({ caseId, reference: 'RJ-2026-0001', offeredTo: ['Gabe'], onCase: [{ name: 'Fran', status: 'accepted' }, { name: 'Gabe', status: 'offered' }] }),
    caseCards.replacementDoneCard({ caseId, reference: 'RJ-2026-0001', onCase: [] }),
  ],
  staffHelpCard: () => (['personal', 'team'] as const).map((where) =>
    help.staffHelpCard({ coordinator: true, facilitator: where === 'personal', where, commands: [{ usage: 'roster', description: 'Manage the facilitator roster' }], onlyInPrivate: where === 'team' ? ['cases', 'case RJ-2026-0007'] : [] })),
  rosterRemoveConfirmCard: () => [roster.rosterRemoveConfirmCard({ aadObjectId: 'aad-1', name: 'Person 1', op: 'remove', roles: ['facilitator'] })],
  channelCheckCard: () => [channelCards.channelCheckCard({ notOnRoster: Array.from({ length: 12 }, (_, i) => `Person ${i}`), members: 40 }), channelCards.channelCheckCard({ notOnRoster: ['Sam'], members: 2 })],
  channelCheckAnsweredCard: () => [channelCards.channelCheckAnsweredCard('Cancelled: this channel is not used for referrals.')],
  coordinatorWaitCard: () => [channelCards.coordinatorWaitCard({ caseId, reference: 'RJ-2026-0001', waiting: 'Waiting for risk sign-off: a coordinator must sign off the high risk assessment.', action: { title: 'Sign off risk', verb: PROGRESS_VERBS.riskSignOff, data: {} } })],
  assignCard: () => [
    caseCards.assignCard({ caseId, reference: 'RJ-2026-0001', complex: true, suggestions: [{ a: person(1, true), b: person(2), reason: 'least busy' }], available: [person(1), person(2)], error: 'Choose two different people.' }),
    caseCards.assignCard({ caseId, reference: 'RJ-2026-0001', complex: true, keep: person(1), suggestions: [], available: [person(3)], noSuggestionReason: 'Nobody free.', error: 'x' }),
    caseCards.assignCard({ caseId, reference: 'RJ-2026-0001', complex: true, suggestions: [], available: [person(3)], replaceable: [person(1), person(2)], error: 'x' }),
  ],
  offerCard: () => (['offered', 'accepted', 'declined', 'withdrawn'] as const).map((status) =>
    caseCards.offerCard({ offerId: caseId, reference: 'RJ-2026-0001', offenceType: 'burglary', borough: 'Camden', complex: true, extraCare: true, coFacilitatorName: 'Gabe', status, answeredOn: '3 December 2026', refreshUserIds: ['29:x'], message: 'Someone else answered first.' })),
  offerCardForOthers: () => [caseCards.offerCardForOthers('This offer was made to someone else.')],
  caseBaseCard: () => [caseBase.caseBaseCard({ caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', view: 'case', userIds: ['29:x'] })],
  caseUnavailableCard: () => [caseBase.caseUnavailableCard('RJ-2026-0001'), caseBase.caseUnavailableCard(undefined)],
  caseStatusCard: () => [caseCards.caseStatusCard('RJ-2026-0001', 'Awaiting triage', '3 December 2026')],
  myReferralsCard: () => [
    myReferrals.myReferralsCard([], false),
    myReferrals.myReferralsCard([{ reference: 'RJ-2026-0001', submittedOn: '3 December 2026', stage: 'referred', offenceType: 'burglary' }], true),
  ],
  caseCard: () => [caseCard({ ...caseView }), caseCard({ ...caseView, message: { text: 'Refused.', kind: 'attention' } })],
  contactFormCard: () => [progressCards.contactFormCard(formView), progressCards.contactFormCard({ ...formView, actionData: { correctsContactId: 'c' } })],
  consentFormCard: () => [progressCards.consentFormCard(formView)],
  riskFormCard: () => [progressCards.riskFormCard(formView)],
  conferenceFormCard: () => [progressCards.conferenceFormCard({ ...formView, rescheduling: true }), progressCards.conferenceFormCard({ ...formView, errors: { venue: 'Enter the venue.' }, rescheduling: false })],
  indirectFormCard: () => [progressCards.indirectFormCard(formView)],
  outcomeFormCard: () => [
    progressCards.outcomeFormCard({ ...formView, indirect: false }),
    progressCards.outcomeFormCard({ ...formView, indirect: true }),
    progressCards.outcomeFormCard({ ...formView, values: { held: 'yes' }, errors: { held: 'Not started yet.', reviewOn: 'Give the date.' }, indirect: false }),
  ],
  closeFormCard: () => [progressCards.closeFormCard(formView)],
  reopenFormCard: () => [progressCards.reopenFormCard(formView)],
  caseListCard: () => [progressCards.caseListCard({
    kind: 'all', title: 'Open cases', page: 2, pageCount: 3, total: 40, emptyText: 'None',
    rows: [{ caseId, reference: 'RJ-2026-0001', stageLabel: 'Preparation', offence: 'Robbery', facilitators: 'Fran and Gabe', next: 'Follow up: overdue', overdue: true }, { caseId, reference: 'RJ-2026-0002', stageLabel: 'Preparation', offence: 'Robbery', next: 'Nothing due', overdue: false }],
    filters: { stages: [{ title: 'Preparation', value: 'preparation' }], facilitators: [{ title: 'Fran', value: 'f' }], stage: 'preparation', facilitator: 'f', overdue: 'overdue' },
  }), progressCards.caseListCard({ kind: 'mine', title: 'My cases', page: 1, pageCount: 1, total: 0, emptyText: 'No cases.', rows: [] })],
  referralConfirmationCard: () => [referralConfirmation.referralConfirmationCard({ reference: 'RJ-2026-0001', needsReview: true, complex: true, extraCare: true })],
  referralFormCard: () => [true, false].map((requiresSource) => referralForm.referralFormCard({
    formId: 'f', values: { offenderName: 'Bob' }, errors: { offenceType: 'Choose the offence type.', harmedPersonName: 'Enter their name.' }, requiresSource, sentenceDateRequired: requiresSource,
    offenceTypes: Object.keys(OFFENCE_TYPES) as OffenceType[], reviewNote: screening.needsReviewNote(['NO_ARREST']), today: '2026-12-03',
  })),
  referralSubmittedCard: () => [referralForm.referralSubmittedCard('RJ-2026-0001', '3 December 2026', 'burglary')],
  referralClosedCard: () => [referralForm.referralClosedCard('This form is no longer open.')],
  reminderCard: () => [reminders.reminderCard(reminder('follow_up_due', { kind: 'participant', participantId: 'p', role: 'offender' })), reminders.reminderCard(reminder('re_refer', { kind: 'screening', screeningId: 's', sentencingDate: '2027-03-14' } as ReminderCardItem['about']))],
  digestCard: () => [
    reminders.digestCard([reminder('triage_due'), reminder('stale_case')], { part: { index: 1, of: 2 }, now: due }),
    // Read back after clicks: snoozed, an offer open with a problem, offers answered.
    reminders.digestCard([
      { ...reminder('follow_up_due', { kind: 'participant', participantId: 'p', role: 'harmed_person' }), snoozed: { until: due, left: 0 } },
      ...(['offered', 'accepted', 'declined', 'withdrawn'] as const).map((offerStatus) => ({
        ...reminder('assignment_answer_due', { kind: 'offer', offerId: `o-${offerStatus}`, facilitatorAadObjectId: 'f' }), offerStatus, notice: 'Choose a reason before declining.',
      })),
    ], { now: due }),
  ],
  snoozedCard: () => [reminders.snoozedCard({ caseReference: 'RJ-2026-0001', until: due, count: 1, max: 3 }), reminders.snoozedCard({ until: due, count: 3, max: 3 })],
  undeliveredCard: () => [reminders.undeliveredCard([reminder('triage_due')], '403 Forbidden')],
  rosterCard: () => [roster.rosterCard({
    people: [{ ...person(1, true), coordinator: true, facilitator: true, active: true }, { ...person(2), coordinator: false, facilitator: true, active: false }],
    candidates: [{ aadObjectId: 'aad-9', name: 'New' }], message: 'Added Person 9 as a facilitator.',
  }), roster.rosterCard({ people: [], candidates: [] })],
  auditCard: () => [
    audit.auditCard({ caseId, reference: 'RJ-2026-0001', rows: [{ when: '3 December 2026, 09:00', who: 'Cora (a coordinator)', what: 'Saw the case card with details' }], page: 2, pageCount: 3, total: 120 }),
    audit.auditCard({ caseId, reference: 'RJ-2026-0001', rows: [], page: 1, pageCount: 1, total: 0 }),
  ],
  legalHoldFormCard: () => [legalHold.legalHoldFormCard({ caseId, reference: 'RJ-2026-0001' }), legalHold.legalHoldFormCard({ caseId, reference: 'RJ-2026-0001', reason: 'Civil claim', error: 'Give the reason for the hold.' })],
  legalHoldDoneCard: () => [legalHold.legalHoldDoneCard('RJ-2026-0001', 'RJ-2026-0001 is on legal hold.')],
  erasureFormCard: () => [erasure.erasureFormCard({ caseId, reference: 'RJ-2026-0001', party: 'offender', partyLabel: 'the person who caused the harm', today: '2026-12-03', error: 'Enter the date.' })],
  erasureRequestCard: () => [erasure.erasureRequestCard({ caseId, requestId: caseId, reference: 'RJ-2026-0001', partyLabel: 'the harmed person', receivedOn: '1 December 2026', dueOn: '29 December 2026', message: 'Request recorded.', error: 'Give the reason for refusing.' })],
  erasureConfirmCard: () => [erasure.erasureConfirmCard({ caseId, requestId: caseId, reference: 'RJ-2026-0001', partyLabel: 'the harmed person' })],
  erasureDoneCard: () => [erasure.erasureDoneCard('RJ-2026-0001', 'Erased.')],
  erasureReminderCard: () => [erasure.erasureReminderCard({ caseId, reference: 'RJ-2026-0001', partyLabel: 'the harmed person', receivedOn: '1 December 2026', dueOn: '29 December 2026' })],
  rosterHistoryCard: () => [roster.rosterHistoryCard({ rows: [{ when: '3 December 2026', text: 'Cora added Fran' }], page: 2, pageCount: 3, total: 30 }), roster.rosterHistoryCard({ rows: [], page: 1, pageCount: 1, total: 0 })],
  screeningQuestionCard: () => [true, false].map((retry) => screening.screeningQuestionCard({ screeningId: 's', question: SCREENING_QUESTIONS[0]!, number: 1, retry })),
  answeredQuestionCard: () => [screening.answeredQuestionCard(SCREENING_QUESTIONS[0]!, 1, 'not_sure')],
  staleQuestionCard: () => [screening.staleQuestionCard()],
  ineligibleCard: () => [
    screening.ineligibleCard({ screeningId: 's', result: ineligible, offerReminder: false, today: '2026-12-03' }),
    screening.ineligibleCard({ screeningId: 's', result: onlySentencing, offerReminder: true, today: '2026-12-03', error: 'That date has passed.' }),
  ],
  ineligibleAnsweredCard: () => [screening.ineligibleAnsweredCard(onlySentencing, '14 March 2027'), screening.ineligibleAnsweredCard(ineligible, undefined)],
  welcomeCard: () => [welcome.welcomeCard(), welcome.welcomeCard('elsewhere')],
};
const { caseCard } = progressCards;

describe('the contrast measure', () => {
  test.each([
    ['#000000', '#ffffff', 21],
    ['#ffffff', '#ffffff', 1],
    ['#767676', '#ffffff', 4.54],
    ['#f8d22a', '#ffffff', 1.47],
  ])('%s on %s is %d:1', (fg, bg, ratio) => {
    expect(contrastRatio(parseColour(fg), parseColour(bg))).toBeCloseTo(ratio, 2);
  });

  test('an alpha colour (#AARRGGBB, as in host configs) is blended with what is under it', () => {
    expect(parseColour('#80000000', [255, 255, 255]).map(Math.round)).toEqual([127, 127, 127]);
  });

  test('finds the coloured text this issue is about: Warning yellow on white, Attention red on Teams dark', () => {
    const warned = adaptive.card([adaptive.para('Complex case', { color: 'Warning' })]);
    expect(textContrasts(warned, 'light').filter((t) => t.ratio < AA_NORMAL_TEXT)).toHaveLength(1);
    const red = adaptive.card([adaptive.para('Error', { color: 'Attention' })]);
    expect(textContrasts(red, 'light')[0]!.ratio).toBeGreaterThanOrEqual(AA_NORMAL_TEXT);
    expect(textContrasts(red, 'dark')[0]!.ratio).toBeLessThan(AA_NORMAL_TEXT);
    // The same words in a tinted container, in its default colour, pass in both themes.
    for (const theme of ['light', 'dark'] as const) {
      expect(textContrasts(adaptive.card([adaptive.callout('warning', 'Complex case')]), theme).map((t) => t.ratio >= AA_NORMAL_TEXT)).toEqual([true]);
    }
  });
});

describe('every card builder is covered', () => {
  test('each exported …Card function of cards/ has inputs here', () => {
    const modules = [audit, legalHold, erasure, caseCards, caseBase, channelCards, help, myReferrals, progressCards, referralConfirmation, referralForm, reminders, roster, screening, welcome];
    const builders = modules.flatMap((m) => Object.entries(m).filter(([name, v]) => typeof v === 'function' && /Card$/.test(name)).map(([name]) => name));
    expect(builders.filter((b) => !(b in CARDS))).toEqual([]);
  });
});

describe.each<Theme>(['light', 'dark'])('every text colour meets WCAG AA (4.5:1) against its container in Teams %s', (theme) => {
  test.each(Object.keys(CARDS))('%s', (name) => {
    const cards = CARDS[name]!();
    const measured = cards.flatMap((c) => textContrasts(c, theme));
    expect(measured.length).toBeGreaterThan(0);
    expect(measured.filter((t) => t.ratio < AA_NORMAL_TEXT)).toEqual([]);
  });
});
