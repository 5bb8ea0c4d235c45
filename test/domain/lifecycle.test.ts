import {
  apply,
  caseView,
  CASE_EVENT_TYPES,
  eventData,
  INITIAL_FACTS,
  pairStatus,
  parseCaseEvent,
  pendingWithdrawals,
  replay,
  CaseEventError,
  type CaseEvent,
  type CaseFacts,
} from '../../src/domain/caseState';
import { availableCommands, decide, type CaseCommand, type RefusalCode } from '../../src/domain/lifecycle';
import { visibility, type Actor } from '../../src/domain/permissions';
import type { CaseStage } from '../../src/domain/vocabulary';

const staff = (aadObjectId: string, roles: { coordinator?: boolean; facilitator?: boolean }): Actor => ({
  aadObjectId,
  tenantId: 'tenant-staff',
  staffTenant: true,
  coordinator: roles.coordinator ?? false,
  facilitator: roles.facilitator ?? false,
});

const COORD = staff('coord', { coordinator: true });
const A = staff('fac-a', { facilitator: true });
const B = staff('fac-b', { facilitator: true });
const C = staff('fac-c', { facilitator: true });
const REFERRER: Actor = { aadObjectId: 'ref', tenantId: 'tenant-partner', staffTenant: false, coordinator: false, facilitator: false };

type Step = readonly [Actor, CaseCommand];

/** Runs commands through `decide`, failing loudly on a refusal, and returns the facts and the log. */
function run(steps: readonly Step[], from: CaseFacts = INITIAL_FACTS): { facts: CaseFacts; log: CaseEvent[] } {
  let facts = from;
  const log: CaseEvent[] = [];
  for (const [actor, command] of steps) {
    const d = decide(facts, command, actor);
    if (!d.ok) throw new Error(`${command.kind} refused: ${d.message}`);
    for (const e of d.events) facts = apply(facts, e);
    expect(facts.stage).toBe(d.nextStage);
    log.push(...d.events);
  }
  return { facts, log };
}

const at = (steps: readonly Step[]): CaseFacts => run(steps).facts;

const TO_ACCEPTED: Step[] = [[COORD, { kind: 'accept' }]];
const TO_ASSIGNING: Step[] = [...TO_ACCEPTED, [COORD, { kind: 'offerPair', facilitatorAadIds: ['fac-a', 'fac-b'] }]];
const TO_PREPARATION: Step[] = [...TO_ASSIGNING, [A, { kind: 'acceptOffer' }], [B, { kind: 'acceptOffer' }]];
const HARMED_CONSENTS: Step = [A, { kind: 'recordConsent', party: 'harmed_person', status: 'given' }];
const OFFENDER_CONSENTS: Step = [B, { kind: 'recordConsent', party: 'offender', status: 'given' }];
const TO_READY: Step[] = [...TO_PREPARATION, HARMED_CONSENTS, OFFENDER_CONSENTS, [A, { kind: 'recordRisk', level: 'low' }]];
const SCHEDULE: CaseCommand = { kind: 'scheduleConference', conferenceId: 'conf-1', startsAt: '2026-09-01T10:00:00Z', venue: 'HMP Pentonville' };
const TO_CONFERENCE: Step[] = [...TO_READY, [A, SCHEDULE]];
const TO_INDIRECT: Step[] = [...TO_READY, [A, { kind: 'chooseIndirect', method: 'letters' }]];
const TO_FOLLOW_UP: Step[] = [...TO_CONFERENCE, [A, { kind: 'recordConferenceHeld', agreement: true }]];
const TO_FOLLOW_UP_INDIRECT: Step[] = [...TO_INDIRECT, [B, { kind: 'completeIndirect', agreement: false }]];
const TO_CLOSED: Step[] = [...TO_FOLLOW_UP, [COORD, { kind: 'close', outcome: 'conference_held' }]];

const F = {
  referred: INITIAL_FACTS,
  accepted: at(TO_ACCEPTED),
  declined: at([[COORD, { kind: 'decline', reason: 'Outside London' }]]),
  assigning: at(TO_ASSIGNING),
  assigningDeclined: at([...TO_ASSIGNING, [A, { kind: 'declineOffer', reason: 'Too busy' }]]),
  assigningHalf: at([...TO_ASSIGNING, [A, { kind: 'acceptOffer' }]]),
  preparation: at(TO_PREPARATION),
  preparationOffenderMissing: at([...TO_PREPARATION, HARMED_CONSENTS, [A, { kind: 'recordRisk', level: 'low' }]]),
  preparationNoRisk: at([...TO_PREPARATION, HARMED_CONSENTS, OFFENDER_CONSENTS]),
  preparationHighRisk: at([...TO_PREPARATION, HARMED_CONSENTS, OFFENDER_CONSENTS, [A, { kind: 'recordRisk', level: 'high' }]]),
  preparationMediumRisk: at([...TO_PREPARATION, [A, { kind: 'recordRisk', level: 'medium' }]]),
  preparationOffenderDeclined: at([...TO_PREPARATION, [A, { kind: 'recordConsent', party: 'offender', status: 'declined' }]]),
  ready: at(TO_READY),
  readyHarmedWithdrew: at([...TO_READY, [A, { kind: 'withdraw', party: 'harmed_person' }]]),
  conference: at(TO_CONFERENCE),
  conferenceOffenderWithdrew: at([...TO_CONFERENCE, [A, { kind: 'withdraw', party: 'offender' }]]),
  indirect: at(TO_INDIRECT),
  followUp: at(TO_FOLLOW_UP),
  followUpIndirect: at(TO_FOLLOW_UP_INDIRECT),
  closed: at(TO_CLOSED),
} satisfies Record<string, CaseFacts>;
type Fixture = keyof typeof F;

describe('fixtures reach the stage they are named after', () => {
  test.each<[Fixture, CaseStage]>([
    ['referred', 'referred'],
    ['accepted', 'accepted'],
    ['declined', 'declined'],
    ['assigning', 'assigning'],
    ['assigningDeclined', 'assigning'],
    ['preparation', 'preparation'],
    ['preparationHighRisk', 'preparation'],
    ['ready', 'ready'],
    ['readyHarmedWithdrew', 'preparation'],
    ['conference', 'conference_scheduled'],
    ['conferenceOffenderWithdrew', 'conference_scheduled'],
    ['indirect', 'indirect_communication'],
    ['followUp', 'follow_up'],
    ['followUpIndirect', 'follow_up'],
    ['closed', 'closed'],
  ])('%s is %s', (name, stage) => {
    expect(F[name].stage).toBe(stage);
  });
});

describe('allowed transitions', () => {
  test.each<[string, Fixture, Actor, CaseCommand, CaseStage, string[]]>([
    ['coordinator accepts a referral', 'referred', COORD, { kind: 'accept' }, 'accepted', ['referral_accepted', 'stage_changed']],
    ['coordinator declines with a reason', 'referred', COORD, { kind: 'decline', reason: 'Not sentenced yet' }, 'declined', ['referral_declined', 'stage_changed']],
    ['coordinator starts assignment', 'accepted', COORD, { kind: 'startAssignment' }, 'assigning', ['stage_changed']],
    ['offering a pair from accepted starts assignment', 'accepted', COORD, { kind: 'offerPair', facilitatorAadIds: ['fac-a', 'fac-b'] }, 'assigning', ['facilitator_offered', 'facilitator_offered', 'stage_changed']],
    ['first facilitator accepts: still assigning', 'assigning', A, { kind: 'acceptOffer' }, 'assigning', ['offer_accepted']],
    ['second acceptance confirms the pair', 'assigningHalf', B, { kind: 'acceptOffer' }, 'preparation', ['offer_accepted', 'pair_confirmed', 'stage_changed']],
    ['facilitator declines with a reason', 'assigning', A, { kind: 'declineOffer', reason: 'On leave' }, 'assigning', ['offer_declined']],
    ['coordinator replaces a facilitator who declined', 'assigningDeclined', COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c' }, 'assigning', ['facilitator_removed', 'facilitator_offered']],
    ['coordinator replaces a facilitator during preparation', 'preparation', COORD, { kind: 'replaceFacilitator', remove: 'fac-b', offer: 'fac-c', reason: 'Moved away' }, 'preparation', ['facilitator_removed', 'facilitator_offered']],
    ['coordinator replaces a facilitator during follow-up', 'followUp', COORD, { kind: 'replaceFacilitator', remove: 'fac-b', offer: 'fac-c' }, 'follow_up', ['facilitator_removed', 'facilitator_offered']],
    ['facilitator records a consent', 'preparation', A, { kind: 'recordConsent', party: 'harmed_person', status: 'given' }, 'preparation', ['consent_recorded']],
    ['coordinator records a consent before assignment', 'accepted', COORD, { kind: 'recordConsent', party: 'offender', status: 'given' }, 'accepted', ['consent_recorded']],
    ['last consent makes the case ready', 'preparationOffenderMissing', B, { kind: 'recordConsent', party: 'offender', status: 'given' }, 'ready', ['consent_recorded', 'stage_changed']],
    ['a low risk assessment makes the case ready', 'preparationNoRisk', A, { kind: 'recordRisk', level: 'low' }, 'ready', ['risk_assessed', 'stage_changed']],
    ['a high risk assessment waits for sign-off', 'preparationNoRisk', A, { kind: 'recordRisk', level: 'high' }, 'preparation', ['risk_assessed']],
    ['coordinator signs off a high risk: ready', 'preparationHighRisk', COORD, { kind: 'signOffRisk' }, 'ready', ['risk_signed_off', 'stage_changed']],
    ['a new high assessment in ready goes back to preparation', 'ready', A, { kind: 'recordRisk', level: 'high' }, 'preparation', ['risk_assessed', 'stage_changed']],
    ['a withdrawal in ready goes back to preparation', 'ready', A, { kind: 'withdraw', party: 'offender' }, 'preparation', ['consent_withdrawn', 'stage_changed']],
    ['a declined consent is recorded', 'preparation', A, { kind: 'recordConsent', party: 'offender', status: 'declined' }, 'preparation', ['consent_recorded']],
    ['consent given again after a withdrawal: ready again', 'readyHarmedWithdrew', A, { kind: 'recordConsent', party: 'harmed_person', status: 'given' }, 'ready', ['consent_recorded', 'stage_changed']],
    ['a withdrawal after scheduling keeps the stage until confirmed', 'conference', B, { kind: 'withdraw', party: 'harmed_person' }, 'conference_scheduled', ['consent_withdrawn']],
    ['facilitator schedules a conference', 'ready', A, SCHEDULE, 'conference_scheduled', ['conference_scheduled', 'stage_changed']],
    ['scheduling again reschedules', 'conference', A, { ...SCHEDULE, conferenceId: 'conf-2', startsAt: '2026-09-08T10:00:00+01:00' }, 'conference_scheduled', ['conference_cancelled', 'conference_scheduled']],
    ['a conference after indirect communication', 'indirect', A, SCHEDULE, 'conference_scheduled', ['conference_scheduled', 'stage_changed']],
    ['cancelling a conference returns to ready', 'conference', A, { kind: 'cancelConference', reason: 'Prison lockdown' }, 'ready', ['conference_cancelled', 'stage_changed']],
    ['cancelling after a withdrawal returns to preparation', 'conferenceOffenderWithdrew', A, { kind: 'cancelConference', reason: 'Withdrawn' }, 'preparation', ['conference_cancelled', 'stage_changed']],
    ['facilitator chooses indirect communication', 'ready', B, { kind: 'chooseIndirect', method: 'shuttle' }, 'indirect_communication', ['indirect_chosen', 'stage_changed']],
    ['choosing indirect cancels a scheduled conference', 'conference', B, { kind: 'chooseIndirect', method: 'letters' }, 'indirect_communication', ['conference_cancelled', 'indirect_chosen', 'stage_changed']],
    ['conference held moves to follow-up', 'conference', A, { kind: 'recordConferenceHeld', agreement: true }, 'follow_up', ['conference_held', 'stage_changed']],
    ['indirect communication completed moves to follow-up', 'indirect', A, { kind: 'completeIndirect', agreement: true }, 'follow_up', ['indirect_completed', 'stage_changed']],
    ['agreement reviewed in follow-up', 'followUp', A, { kind: 'reviewAgreement' }, 'follow_up', ['agreement_reviewed']],
    ['close: conference held', 'followUp', COORD, { kind: 'close', outcome: 'conference_held' }, 'closed', ['case_closed', 'stage_changed']],
    ['close: indirect communication completed', 'followUpIndirect', COORD, { kind: 'close', outcome: 'indirect_communication_completed' }, 'closed', ['case_closed', 'stage_changed']],
    ['close: harmed person withdrew', 'readyHarmedWithdrew', COORD, { kind: 'close', outcome: 'harmed_person_withdrew' }, 'closed', ['case_closed', 'stage_changed']],
    ['close: offender declined counts as withdrew', 'preparationOffenderDeclined', COORD, { kind: 'close', outcome: 'offender_withdrew' }, 'closed', ['case_closed', 'stage_changed']],
    ['close: unsuitable after assessment', 'preparationMediumRisk', COORD, { kind: 'close', outcome: 'unsuitable_after_assessment' }, 'closed', ['case_closed', 'stage_changed']],
    ['close: no contact possible', 'preparation', COORD, { kind: 'close', outcome: 'no_contact_possible' }, 'closed', ['case_closed', 'stage_changed']],
    ['close with a scheduled conference cancels it', 'conference', COORD, { kind: 'close', outcome: 'unsuitable_after_assessment' }, 'closed', ['conference_cancelled', 'case_closed', 'stage_changed']],
    ['coordinator confirms a withdrawal: closed', 'conferenceOffenderWithdrew', COORD, { kind: 'confirmWithdrawal', party: 'offender' }, 'closed', ['conference_cancelled', 'case_closed', 'stage_changed']],
    ['coordinator reopens a closed case: back to follow-up', 'closed', COORD, { kind: 'reopen', reason: 'New issue after the agreement' }, 'follow_up', ['case_reopened', 'stage_changed']],
    ['coordinator reopens a declined referral: back to triage', 'declined', COORD, { kind: 'reopen', reason: 'Sentenced now' }, 'referred', ['case_reopened', 'stage_changed']],
  ])('%s', (_name, fixture, actor, command, nextStage, types) => {
    const d = decide(F[fixture], command, actor);
    if (!d.ok) throw new Error(`refused: ${d.message}`);
    expect(d.nextStage).toBe(nextStage);
    expect(d.events.map((e) => e.type)).toEqual(types);
    const last = d.events[d.events.length - 1];
    if (nextStage !== F[fixture].stage) expect(last).toEqual({ type: 'stage_changed', from: F[fixture].stage, to: nextStage });
    expect(replay(d.events, F[fixture]).stage).toBe(nextStage);
  });
});

describe('refused transitions change nothing and say why', () => {
  test.each<[string, Fixture, Actor, CaseCommand, RefusalCode, string | RegExp]>([
    // Roles
    ['a facilitator cannot accept a referral', 'referred', A, { kind: 'accept' }, 'FORBIDDEN', 'Only coordinators can accept referrals.'],
    ['a referrer cannot decline a referral', 'referred', REFERRER, { kind: 'decline', reason: 'x' }, 'FORBIDDEN', 'Only coordinators can decline referrals.'],
    ['a partner-tenant "coordinator" is not one', 'referred', { ...REFERRER, coordinator: true }, { kind: 'accept' }, 'FORBIDDEN', 'Only coordinators can accept referrals.'],
    ['a facilitator cannot start assignment', 'accepted', A, { kind: 'startAssignment' }, 'FORBIDDEN', 'Only coordinators can assign facilitators.'],
    ['a facilitator cannot offer a pair', 'accepted', A, { kind: 'offerPair', facilitatorAadIds: ['fac-a', 'fac-b'] }, 'FORBIDDEN', 'Only coordinators can assign facilitators.'],
    ['someone not offered cannot accept the offer', 'assigning', C, { kind: 'acceptOffer' }, 'FORBIDDEN', 'Only the facilitator this case was offered to can accept or decline the offer.'],
    ['a coordinator cannot answer for a facilitator', 'assigning', COORD, { kind: 'acceptOffer' }, 'FORBIDDEN', /Only the facilitator/],
    ['a replaced facilitator cannot answer any more', 'assigningDeclined', A, { kind: 'acceptOffer' }, 'ALREADY_ANSWERED', /You declined this offer/],
    ['a facilitator cannot replace a colleague', 'preparation', A, { kind: 'replaceFacilitator', remove: 'fac-b', offer: 'fac-c' }, 'FORBIDDEN', 'Only coordinators can replace a facilitator.'],
    ['an offered (not accepted) facilitator cannot update the case', 'assigning', A, { kind: 'recordConsent', party: 'offender', status: 'given' }, 'FORBIDDEN', 'Only the facilitators assigned to this case, or a coordinator, can update it.'],
    ['another facilitator cannot update the case', 'preparation', C, { kind: 'recordRisk', level: 'low' }, 'FORBIDDEN', /Only the facilitators assigned/],
    ['a referrer cannot update the case', 'ready', REFERRER, SCHEDULE, 'FORBIDDEN', /Only the facilitators assigned/],
    ['a facilitator cannot sign off a high risk', 'preparationHighRisk', A, { kind: 'signOffRisk' }, 'FORBIDDEN', 'Only coordinators can sign off a high risk assessment.'],
    ['a facilitator cannot close a case', 'followUp', A, { kind: 'close', outcome: 'conference_held' }, 'FORBIDDEN', 'Only coordinators can close a case.'],
    ['a facilitator cannot confirm a withdrawal', 'readyHarmedWithdrew', A, { kind: 'confirmWithdrawal', party: 'harmed_person' }, 'FORBIDDEN', 'Only coordinators can confirm a withdrawal and close the case.'],
    ['a facilitator cannot reopen', 'closed', A, { kind: 'reopen', reason: 'x' }, 'FORBIDDEN', 'Only coordinators can reopen a case.'],
    // Stages
    ['accepting an accepted case that has moved on', 'assigning', COORD, { kind: 'accept' }, 'WRONG_STAGE', 'Only a referral awaiting triage can be accepted. This case is at the "Assigning facilitators" stage.'],
    ['declining after acceptance', 'preparation', COORD, { kind: 'decline', reason: 'x' }, 'WRONG_STAGE', /Only a referral awaiting triage can be declined/],
    ['assigning before triage', 'referred', COORD, { kind: 'startAssignment' }, 'WRONG_STAGE', /Assignment starts once a referral has been accepted/],
    ['offering a pair before triage', 'referred', COORD, { kind: 'offerPair', facilitatorAadIds: ['fac-a', 'fac-b'] }, 'WRONG_STAGE', /while the case is being assigned/],
    ['replacing before any offer', 'accepted', COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c' }, 'WRONG_STAGE', /once facilitators have been offered/],
    ['consent before triage', 'referred', COORD, { kind: 'recordConsent', party: 'offender', status: 'given' }, 'WRONG_STAGE', /Consent can only be recorded/],
    ['consent in follow-up', 'followUp', A, { kind: 'recordConsent', party: 'offender', status: 'declined' }, 'WRONG_STAGE', /Consent can only be recorded/],
    ['risk after the conference is scheduled', 'conference', A, { kind: 'recordRisk', level: 'high' }, 'WRONG_STAGE', /before any meeting/],
    ['sign-off before preparation', 'accepted', COORD, { kind: 'signOffRisk' }, 'WRONG_STAGE', /signed off during preparation/],
    ['scheduling in preparation', 'preparation', A, SCHEDULE, 'WRONG_STAGE', 'A conference can only be scheduled once the case is ready. This case is at the "Preparation" stage.'],
    ['cancelling with no conference', 'ready', A, { kind: 'cancelConference', reason: 'x' }, 'WRONG_STAGE', /no scheduled conference to cancel/],
    ['indirect in preparation', 'preparation', A, { kind: 'chooseIndirect', method: 'letters' }, 'WRONG_STAGE', /once the case is ready/],
    ['held before scheduling', 'ready', A, { kind: 'recordConferenceHeld', agreement: false }, 'WRONG_STAGE', /once it has been scheduled/],
    ['completing indirect never chosen', 'conference', A, { kind: 'completeIndirect', agreement: false }, 'WRONG_STAGE', /once it has been chosen/],
    ['reviewing an agreement before follow-up', 'conference', A, { kind: 'reviewAgreement' }, 'WRONG_STAGE', /during follow-up/],
    ['closing a referral awaiting triage', 'referred', COORD, { kind: 'close', outcome: 'no_contact_possible' }, 'WRONG_STAGE', /declined instead/],
    ['reopening an open case', 'preparation', COORD, { kind: 'reopen', reason: 'x' }, 'WRONG_STAGE', /Only a closed case can be reopened/],
    ['anything on a closed case', 'closed', A, { kind: 'reviewAgreement' }, 'CASE_CLOSED', 'This case is closed (Conference held). A coordinator can reopen it with a reason.'],
    ['replacing on a closed case', 'closed', COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c' }, 'CASE_CLOSED', /This case is closed/],
    ['accepting a declined referral', 'declined', COORD, { kind: 'accept' }, 'CASE_CLOSED', 'This referral was declined at triage. A coordinator can reopen it with a reason.'],
    // Input
    ['declining without a reason', 'referred', COORD, { kind: 'decline', reason: '  ' }, 'REASON_REQUIRED', 'Give a reason for declining the referral.'],
    ['declining an offer without a reason', 'assigning', A, { kind: 'declineOffer', reason: '' }, 'REASON_REQUIRED', /Give a reason for declining/],
    ['reopening without a reason', 'closed', COORD, { kind: 'reopen', reason: '' }, 'REASON_REQUIRED', 'Give a reason for reopening the case.'],
    ['cancelling without a reason', 'conference', A, { kind: 'cancelConference', reason: '' }, 'REASON_REQUIRED', /Give a reason for cancelling/],
    ['a pair of the same person', 'accepted', COORD, { kind: 'offerPair', facilitatorAadIds: ['fac-a', 'fac-a'] }, 'INVALID_PAIR', 'A pair needs two different facilitators.'],
    ['a second pair over the first', 'assigning', COORD, { kind: 'offerPair', facilitatorAadIds: ['fac-c', 'fac-d'] }, 'INVALID_PAIR', /replace one instead/],
    ['replacing someone not on the case', 'preparation', COORD, { kind: 'replaceFacilitator', remove: 'fac-c', offer: 'fac-d' }, 'INVALID_PAIR', /not on this case/],
    ['replacing with the remaining facilitator', 'preparation', COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-b' }, 'INVALID_PAIR', /already on this case/],
    ['replacing with the same person', 'preparation', COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-a' }, 'INVALID_PAIR', /different facilitator/],
    ['a facilitator who accepted cannot decline afterwards', 'assigningHalf', A, { kind: 'declineOffer', reason: 'Changed my mind' }, 'ALREADY_ANSWERED', /already accepted this case/],
    ['withdrawing consent never given', 'preparation', A, { kind: 'withdraw', party: 'offender' }, 'INVALID_INPUT', 'The person who caused the harm has not consented, so there is no consent to withdraw.'],
    ['signing off a medium risk', 'preparationMediumRisk', COORD, { kind: 'signOffRisk' }, 'INVALID_INPUT', "Only a high risk needs a coordinator's sign-off; this assessment is medium."],
    ['scheduling with no date', 'ready', A, { ...SCHEDULE, startsAt: 'next Tuesday' }, 'INVALID_INPUT', /date and time/],
    ['scheduling with no venue', 'ready', A, { ...SCHEDULE, venue: '' }, 'INVALID_INPUT', /venue/],
    ['reviewing with no agreement', 'followUpIndirect', A, { kind: 'reviewAgreement' }, 'INVALID_INPUT', 'There is no outcome agreement to review.'],
    ['closing as declined at triage after acceptance', 'preparation', COORD, { kind: 'close', outcome: 'declined_at_triage' }, 'INVALID_INPUT', /declined at triage, with a reason, before it is accepted/],
    // Preconditions
    ['sign-off with no assessment', 'preparation', COORD, { kind: 'signOffRisk' }, 'RISK_NOT_ASSESSED', 'There is no risk assessment to sign off yet.'],
    ['rescheduling after the offender withdrew', 'conferenceOffenderWithdrew', A, { ...SCHEDULE, conferenceId: 'conf-2' }, 'CONSENT_MISSING', 'A conference can only be scheduled once both people have consented: the person who caused the harm has withdrawn their consent.'],
    ['indirect when the harmed person withdrew', 'conferenceOffenderWithdrew', A, { kind: 'chooseIndirect', method: 'letters' }, 'CONSENT_MISSING', 'Indirect communication can only start once both people have consented: the person who caused the harm has withdrawn their consent.'],
    ['held after a withdrawal', 'conferenceOffenderWithdrew', A, { kind: 'recordConferenceHeld', agreement: true }, 'CONSENT_MISSING', /the person who caused the harm has withdrawn their consent/],
    ['close: conference held without one', 'conference', COORD, { kind: 'close', outcome: 'conference_held' }, 'OUTCOME_NOT_MET', 'A case can only be closed as "Conference held" once the conference has been recorded as held.'],
    ['close: indirect completed without it', 'followUp', COORD, { kind: 'close', outcome: 'indirect_communication_completed' }, 'OUTCOME_NOT_MET', /once the indirect communication has been recorded as completed/],
    ['close: harmed person withdrew without a withdrawal', 'ready', COORD, { kind: 'close', outcome: 'harmed_person_withdrew' }, 'OUTCOME_NOT_MET', /once the harmed person's withdrawal or refusal has been recorded/],
    ['close: unsuitable with no assessment', 'preparation', COORD, { kind: 'close', outcome: 'unsuitable_after_assessment' }, 'OUTCOME_NOT_MET', /once a risk assessment has been recorded/],
    ['close: no contact before a pair was assigned', 'assigning', COORD, { kind: 'close', outcome: 'no_contact_possible' }, 'OUTCOME_NOT_MET', /once a pair of facilitators has been assigned/],
    ['confirming a withdrawal nobody made', 'ready', COORD, { kind: 'confirmWithdrawal', party: 'offender' }, 'OUTCOME_NOT_MET', 'The person who caused the harm has not withdrawn; there is nothing to confirm.'],
  ])('%s', (_name, fixture, actor, command, code, message) => {
    const before = F[fixture];
    const snapshot = JSON.stringify(before);
    const d = decide(before, command, actor);
    expect(d).toEqual({ ok: false, code, message: expect.any(String) });
    if (!d.ok) {
      if (typeof message === 'string') expect(d.message).toBe(message);
      else expect(d.message).toMatch(message);
    }
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

describe('preconditions before a meeting', () => {
  const gateOf = (facts: CaseFacts): string => {
    const d = decide({ ...facts, stage: 'ready' }, SCHEDULE, A);
    return d.ok ? 'ok' : d.message;
  };

  test('the offender has not consented yet', () => {
    expect(gateOf(F.preparationOffenderMissing)).toBe(
      'A conference can only be scheduled once both people have consented: the person who caused the harm has not yet.',
    );
  });

  test('neither has consented', () => {
    expect(gateOf(F.preparation)).toBe('A conference can only be scheduled once both people have consented: neither has yet.');
  });

  test('one declined, the other not yet asked', () => {
    expect(gateOf(F.preparationOffenderDeclined)).toBe(
      'A conference can only be scheduled once both people have consented: the harmed person has not yet and the person who caused the harm has declined.',
    );
  });

  test('risk not assessed', () => {
    expect(gateOf(F.preparationNoRisk)).toBe('A conference can only be scheduled once a risk assessment has been recorded.');
  });

  test('a high risk without a coordinator sign-off', () => {
    expect(gateOf(F.preparationHighRisk)).toBe(
      'A conference can only be scheduled once a coordinator has signed off the high risk assessment.',
    );
  });

  test('a signed-off high risk clears the way', () => {
    const facts = at([...TO_PREPARATION, HARMED_CONSENTS, OFFENDER_CONSENTS, [A, { kind: 'recordRisk', level: 'high' }], [COORD, { kind: 'signOffRisk' }]]);
    expect(facts.stage).toBe('ready');
    expect(decide(facts, SCHEDULE, A).ok).toBe(true);
  });
});

describe('repeats are idempotent: success with no events', () => {
  test.each<[string, Fixture, Actor, CaseCommand]>([
    ['accept twice', 'accepted', COORD, { kind: 'accept' }],
    ['decline twice', 'declined', COORD, { kind: 'decline', reason: 'Outside London' }],
    ['start assignment twice', 'assigning', COORD, { kind: 'startAssignment' }],
    ['accept an offer twice', 'assigningHalf', A, { kind: 'acceptOffer' }],
    ['decline an offer twice', 'assigningDeclined', A, { kind: 'declineOffer', reason: 'Too busy' }],
    ['same consent twice', 'ready', A, { kind: 'recordConsent', party: 'offender', status: 'given' }],
    ['withdraw twice', 'readyHarmedWithdrew', A, { kind: 'withdraw', party: 'harmed_person' }],
    ['sign off twice', 'ready', COORD, { kind: 'signOffRisk' }],
    ['the same conference twice', 'conference', A, SCHEDULE],
    ['close twice with the same outcome', 'closed', COORD, { kind: 'close', outcome: 'conference_held' }],
  ])('%s', (_name, fixture, actor, command) => {
    const facts = fixture === 'ready' && command.kind === 'signOffRisk'
      ? at([...TO_PREPARATION, HARMED_CONSENTS, OFFENDER_CONSENTS, [A, { kind: 'recordRisk', level: 'high' }], [COORD, { kind: 'signOffRisk' }]])
      : F[fixture];
    expect(decide(facts, command, actor)).toEqual({ ok: true, events: [], nextStage: facts.stage });
  });

  test('a repeat by someone not allowed is still refused', () => {
    expect(decide(F.accepted, { kind: 'accept' }, A)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decide(F.closed, { kind: 'close', outcome: 'conference_held' }, A)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  test('closing a closed case with another outcome is refused', () => {
    expect(decide(F.closed, { kind: 'close', outcome: 'no_contact_possible' }, COORD)).toMatchObject({ ok: false, code: 'CASE_CLOSED' });
  });

  test('the same conference id with other details is refused', () => {
    expect(decide(F.conference, { ...SCHEDULE, venue: 'Elsewhere' }, A)).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
  });
});

describe('reopening returns where the facts allow', () => {
  const reopen = (steps: Step[]): CaseStage => {
    const d = decide(at(steps), { kind: 'reopen', reason: 'Closed by mistake' }, COORD);
    if (!d.ok) throw new Error(d.message);
    return d.nextStage;
  };

  test('a withdrawal closed in preparation reopens in preparation, consent still withdrawn', () => {
    const steps: Step[] = [...TO_READY, [A, { kind: 'withdraw', party: 'offender' }], [COORD, { kind: 'confirmWithdrawal', party: 'offender' }]];
    expect(reopen(steps)).toBe('preparation');
    expect(at(steps).outcome).toBe('offender_withdrew');
  });

  test('closed with a conference scheduled: the conference was cancelled, so ready', () => {
    expect(reopen([...TO_CONFERENCE, [COORD, { kind: 'close', outcome: 'unsuitable_after_assessment' }]])).toBe('ready');
  });

  test('closed during indirect communication: back to it', () => {
    expect(reopen([...TO_INDIRECT, [COORD, { kind: 'close', outcome: 'no_contact_possible' }]])).toBe('indirect_communication');
  });

  test('closed before the pair was confirmed: back to assigning', () => {
    const steps: Step[] = [...TO_ASSIGNING, [COORD, { kind: 'recordConsent', party: 'offender', status: 'declined' }], [COORD, { kind: 'confirmWithdrawal', party: 'offender' }]];
    expect(reopen(steps)).toBe('assigning');
  });

  test('reopening clears the outcome', () => {
    const { facts } = run([...TO_CLOSED, [COORD, { kind: 'reopen', reason: 'New harm reported' }]]);
    expect(facts.outcome).toBeNull();
    expect(facts.stage).toBe('follow_up');
  });
});

describe('event sourcing', () => {
  const everything: Step[] = [
    ...TO_ASSIGNING,
    [A, { kind: 'declineOffer', reason: 'Too busy' }],
    [COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c', reason: 'Declined' }],
    [C, { kind: 'acceptOffer' }],
    [B, { kind: 'acceptOffer' }],
    [B, { kind: 'recordConsent', party: 'harmed_person', status: 'given' }],
    [C, { kind: 'recordConsent', party: 'offender', status: 'given' }],
    [C, { kind: 'recordRisk', level: 'high' }],
    [COORD, { kind: 'signOffRisk' }],
    [C, SCHEDULE],
    [C, { kind: 'cancelConference', reason: 'Prison lockdown' }],
    [C, { kind: 'chooseIndirect', method: 'shuttle' }],
    [B, { kind: 'completeIndirect', agreement: true }],
    [B, { kind: 'reviewAgreement' }],
    [COORD, { kind: 'close', outcome: 'indirect_communication_completed' }],
    [COORD, { kind: 'reopen', reason: 'Follow-up requested' }],
  ];

  test('the state follows from the log alone', () => {
    const { facts, log } = run(everything);
    expect(replay(log)).toEqual(facts);
    expect(facts.stage).toBe('follow_up');
    expect(facts.facilitators).toEqual([
      { aadObjectId: 'fac-b', status: 'accepted' },
      { aadObjectId: 'fac-c', status: 'accepted' },
    ]);
  });

  test('every event round-trips through the store columns', () => {
    const { log } = run(everything);
    const types = new Set(log.map((e) => e.type));
    expect(types.size).toBeGreaterThan(15);
    for (const event of log) {
      const stored = JSON.parse(JSON.stringify(eventData(event))) as unknown;
      expect(parseCaseEvent(event.type, stored)).toEqual(event);
    }
  });

  test('parseCaseEvent covers every type, skips foreign ones and rejects corrupt data', () => {
    expect(CASE_EVENT_TYPES).toHaveLength(new Set(CASE_EVENT_TYPES).size);
    expect(parseCaseEvent('referred', { eligibility: 'eligible', source: 'probation' })).toEqual({ type: 'referred' });
    expect(parseCaseEvent('contact_logged', { party: 'offender' })).toBeUndefined();
    expect(() => parseCaseEvent('case_closed', { outcome: 'went_fishing' })).toThrow(CaseEventError);
    expect(() => parseCaseEvent('stage_changed', { from: 'referred' })).toThrow(CaseEventError);
    expect(() => parseCaseEvent('pair_confirmed', { facilitatorAadIds: [1, 2] })).toThrow(CaseEventError);
  });

  test('an explicit stage change is what moves the stage, so old logs replay unchanged', () => {
    const facts = replay([{ type: 'referred' }, { type: 'referral_accepted' }]);
    expect(facts.stage).toBe('referred');
    expect(replay([{ type: 'stage_changed', from: 'referred', to: 'accepted' }], facts).stage).toBe('accepted');
  });
});

describe('derived facts', () => {
  test.each<[Fixture, ReturnType<typeof pairStatus>]>([
    ['accepted', 'none'],
    ['assigning', 'offered'],
    ['assigningHalf', 'offered'],
    ['assigningDeclined', 'incomplete'],
    ['preparation', 'confirmed'],
  ])('pair status of %s is %s', (fixture, status) => {
    expect(pairStatus(F[fixture])).toBe(status);
  });

  test('a replacement after confirmation leaves the pair incomplete until the newcomer accepts', () => {
    const facts = at([...TO_PREPARATION, [COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c' }]]);
    expect(pairStatus(facts)).toBe('incomplete');
    const d = decide(facts, { kind: 'acceptOffer' }, C);
    expect(d).toMatchObject({ ok: true, nextStage: 'preparation' });
    if (d.ok) expect(d.events.map((e) => e.type)).toEqual(['offer_accepted', 'pair_confirmed']);
  });

  test('a replaced facilitator loses sight of the case', () => {
    const facts = at([...TO_PREPARATION, [COORD, { kind: 'replaceFacilitator', remove: 'fac-a', offer: 'fac-c' }]]);
    const view = caseView(facts, { aadObjectId: 'ref', tenantId: 'tenant-partner' });
    expect(visibility(A, view)).toBe('none');
    expect(visibility(B, view)).toBe('full');
    expect(visibility(C, view)).toBe('none');
    expect(visibility(REFERRER, view)).toBe('status');
  });

  test('pending withdrawals list the refusing parties', () => {
    expect(pendingWithdrawals(F.readyHarmedWithdrew)).toEqual(['harmed_person']);
    expect(pendingWithdrawals(F.ready)).toEqual([]);
  });
});

describe('availableCommands', () => {
  test('a coordinator triages a new referral', () => {
    expect(availableCommands(F.referred, COORD)).toEqual(['accept', 'decline']);
  });

  test('an assigned facilitator in ready', () => {
    expect(availableCommands(F.ready, A)).toEqual([
      'recordConsent', 'withdraw', 'recordRisk', 'scheduleConference', 'chooseIndirect',
    ]);
  });

  test('an offered facilitator may only answer', () => {
    expect(availableCommands(F.assigning, A)).toEqual(['acceptOffer', 'declineOffer']);
  });

  test('a referrer can do nothing to a case', () => {
    expect(availableCommands(F.ready, REFERRER)).toEqual([]);
  });

  test('a coordinator on a closed case can only reopen', () => {
    expect(availableCommands(F.closed, COORD)).toEqual(['reopen']);
  });
});
