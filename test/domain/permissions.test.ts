import { ACTIONS, can, visibility, type Action, type Actor, type CaseView, type Visibility } from '../../src/domain/permissions';

const STAFF = 'tenant-staff';
const PARTNER = 'tenant-probation';

const actor = (aadObjectId: string, tenantId: string, roles: { coordinator?: boolean; facilitator?: boolean } = {}): Actor => ({
  aadObjectId,
  tenantId,
  staffTenant: tenantId === STAFF,
  coordinator: roles.coordinator ?? false,
  facilitator: roles.facilitator ?? false,
});

const COORD = actor('coord', STAFF, { coordinator: true });
const ASSIGNED = actor('fac-a', STAFF, { facilitator: true });
const OFFERED = actor('fac-b', STAFF, { facilitator: true });
const DECLINED = actor('fac-d', STAFF, { facilitator: true });
const OTHER_FAC = actor('fac-z', STAFF, { facilitator: true });
const REFERRER = actor('ref', PARTNER);
const OTHER_REFERRER = actor('ref-2', PARTNER);
/** The same object id in another tenant is another person. */
const REFERRER_ELSEWHERE = actor('ref', 'tenant-police');
/** A partner tenant cannot grant itself service roles. */
const PARTNER_COORD = actor('pc', PARTNER, { coordinator: true, facilitator: true });
const STAFF_REFERRER = actor('staff-ref', STAFF);
/** A former facilitator no longer on the roster keeps nothing, even on a case listing them. */
const OFF_ROSTER = actor('fac-a', STAFF, { facilitator: false });

const CASE: CaseView = {
  referrerAadId: 'ref',
  referrerTenantId: PARTNER,
  acceptedFacilitators: ['fac-a'],
  offers: [
    { facilitatorAadId: 'fac-a', status: 'accepted' },
    { facilitatorAadId: 'fac-b', status: 'offered' },
    { facilitatorAadId: 'fac-d', status: 'declined' },
  ],
};

describe('visibility', () => {
  test.each<[string, Actor, Visibility]>([
    ['coordinator', COORD, 'full'],
    ['facilitator who accepted', ASSIGNED, 'full'],
    ['facilitator only offered', OFFERED, 'none'],
    ['facilitator who declined', DECLINED, 'none'],
    ['another facilitator', OTHER_FAC, 'none'],
    ['the referrer', REFERRER, 'status'],
    ['another referrer', OTHER_REFERRER, 'none'],
    ['same object id, other tenant', REFERRER_ELSEWHERE, 'none'],
    ['partner tenant claiming roles', PARTNER_COORD, 'none'],
    ['off the roster', OFF_ROSTER, 'none'],
  ])('%s sees %s', (_name, who, expected) => {
    expect(visibility(who, CASE)).toBe(expected);
  });

  test('a coordinator who referred the case still sees everything', () => {
    expect(visibility(COORD, { ...CASE, referrerAadId: 'coord', referrerTenantId: STAFF })).toBe('full');
  });
});

type Row = [string, Actor, Action, true | string];
const C = 'Only coordinators';

describe('can', () => {
  test.each<Row>([
    // Anyone from an allowed tenant refers and lists their own referrals.
    ['referrer refers', REFERRER, 'refer', true],
    ['facilitator refers', ASSIGNED, 'refer', true],
    ['referrer lists own referrals', REFERRER, 'viewOwnReferrals', true],
    // Coordinator-only actions.
    ['coordinator triages', COORD, 'triage', true],
    ['facilitator triages', ASSIGNED, 'triage', 'Only coordinators can accept or decline referrals.'],
    ['referrer triages', REFERRER, 'triage', 'Only coordinators can accept or decline referrals.'],
    ['partner "coordinator" triages', PARTNER_COORD, 'triage', 'Only coordinators can accept or decline referrals.'],
    ['coordinator assigns', COORD, 'assign', true],
    ['facilitator assigns', ASSIGNED, 'assign', 'Only coordinators can assign or replace facilitators.'],
    ['coordinator signs off risk', COORD, 'signOffRisk', true],
    ['facilitator signs off risk', ASSIGNED, 'signOffRisk', 'Only coordinators can sign off a high risk assessment.'],
    ['coordinator closes', COORD, 'closeCase', true],
    ['facilitator closes', ASSIGNED, 'closeCase', 'Only coordinators can close a case.'],
    ['coordinator reopens', COORD, 'reopenCase', true],
    ['referrer reopens', REFERRER, 'reopenCase', 'Only coordinators can reopen a case.'],
    ['coordinator manages roster', COORD, 'manageRoster', true],
    ['facilitator manages roster', ASSIGNED, 'manageRoster', 'Only coordinators can manage the facilitator roster.'],
    ['coordinator lists all cases', COORD, 'viewAllCases', true],
    ['facilitator lists all cases', ASSIGNED, 'viewAllCases', 'Only coordinators can see all cases.'],
    ['coordinator sees reports', COORD, 'viewReports', true],
    ['staff referrer sees reports', STAFF_REFERRER, 'viewReports', 'Only coordinators can see reports.'],
    // Answering an offer: only the facilitator it was made to.
    ['offered facilitator answers', OFFERED, 'answerOffer', true],
    ['facilitator who answered may repeat (idempotent)', ASSIGNED, 'answerOffer', true],
    ['another facilitator answers', OTHER_FAC, 'answerOffer', 'Only the facilitator this case was offered to can accept or decline the offer.'],
    ['coordinator answers for them', COORD, 'answerOffer', 'Only the facilitator this case was offered to can accept or decline the offer.'],
    ['partner with the same flag answers', { ...PARTNER_COORD, aadObjectId: 'fac-b' }, 'answerOffer', 'Only the facilitator this case was offered to can accept or decline the offer.'],
    // Working on the case.
    ['assigned facilitator updates', ASSIGNED, 'updateCase', true],
    ['coordinator updates', COORD, 'updateCase', true],
    ['offered facilitator updates', OFFERED, 'updateCase', 'Only the facilitators assigned to this case, or a coordinator, can update it.'],
    ['referrer updates', REFERRER, 'updateCase', 'Only the facilitators assigned to this case, or a coordinator, can update it.'],
    ['off-roster facilitator updates', OFF_ROSTER, 'updateCase', 'Only the facilitators assigned to this case, or a coordinator, can update it.'],
    // Seeing the case.
    ['assigned facilitator views', ASSIGNED, 'viewCase', true],
    ['coordinator views', COORD, 'viewCase', true],
    ['referrer views details', REFERRER, 'viewCase', 'You can see the status of your referral; the case details stay with the service.'],
    ['offered facilitator views details', OFFERED, 'viewCase', 'You can only see cases you referred or that are assigned to you.'],
    ['other referrer views details', OTHER_REFERRER, 'viewCase', 'You can only see cases you referred or that are assigned to you.'],
    ['referrer views status', REFERRER, 'viewCaseStatus', true],
    ['assigned facilitator views status', ASSIGNED, 'viewCaseStatus', true],
    ['other referrer views status', OTHER_REFERRER, 'viewCaseStatus', 'You can only see cases you referred or that are assigned to you.'],
    ['same id other tenant views status', REFERRER_ELSEWHERE, 'viewCaseStatus', 'You can only see cases you referred or that are assigned to you.'],
  ])('%s', (_name, who, action, expected) => {
    const result = can(who, action, CASE);
    expect(result).toEqual(expected === true ? { allowed: true } : { allowed: false, message: expected });
  });

  test('coordinator-only messages all name coordinators', () => {
    for (const action of ['triage', 'assign', 'signOffRisk', 'closeCase', 'reopenCase', 'manageRoster', 'viewAllCases', 'viewReports'] as const) {
      const result = can(REFERRER, action, CASE);
      expect(result.allowed).toBe(false);
      if (!result.allowed) expect(result.message.startsWith(C)).toBe(true);
    }
  });

  test('without a case view only a coordinator may take a case action', () => {
    for (const action of ['viewCaseStatus', 'viewCase', 'answerOffer', 'updateCase'] as const) {
      expect(can(ASSIGNED, action).allowed).toBe(false);
      expect(can(REFERRER, action).allowed).toBe(false);
    }
    expect(can(COORD, 'viewCase').allowed).toBe(true);
    expect(can(COORD, 'updateCase').allowed).toBe(true);
  });

  test('a view without the referrer never lets a referrer in', () => {
    const { referrerAadId: _r, referrerTenantId: _t, ...assignment } = CASE;
    expect(can(REFERRER, 'viewCaseStatus', assignment).allowed).toBe(false);
    expect(can(ASSIGNED, 'viewCase', assignment).allowed).toBe(true);
  });

  test('every action has a decision for every kind of actor', () => {
    for (const action of ACTIONS) {
      for (const who of [COORD, ASSIGNED, OFFERED, REFERRER, PARTNER_COORD]) {
        const result = can(who, action, CASE);
        if (!result.allowed) expect(result.message).toMatch(/\.$/);
      }
    }
  });
});
