import {
  ACTIONS,
  LAST_COORDINATOR,
  can,
  canChangeRoster,
  canRemoveRole,
  canSetReReferDate,
  detailsInChat,
  offerVisibility,
  visibility,
  type Action,
  type Actor,
  type CaseView,
  type OfferState,
  type OfferVisibility,
  type RosterRole,
  type Visibility,
} from '../../src/domain/permissions';

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

describe('detailsInChat: who sees a case message refreshed into its details (issue 10, item 1)', () => {
  test.each<[string, Actor, boolean, boolean]>([
    ['coordinator, open case', COORD, false, true],
    ['coordinator, closed case', COORD, true, true],
    ['facilitator on the case, open', ASSIGNED, false, true],
    ['facilitator on the case, closed', ASSIGNED, true, false],
    ['facilitator only offered', OFFERED, false, false],
    ['facilitator replaced or never on it', OTHER_FAC, false, false],
    ['the referrer (the status only, never details)', REFERRER, false, false],
    ['partner tenant claiming roles', PARTNER_COORD, false, false],
    ['off the roster', OFF_ROSTER, false, false],
  ])('%s', (_name, who, closed, expected) => {
    expect(detailsInChat(who, CASE, closed)).toBe(expected);
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
    ['coordinator reads roster history', COORD, 'viewRosterHistory', true],
    ['facilitator reads roster history', ASSIGNED, 'viewRosterHistory', 'Only coordinators can see the roster history.'],
    ['partner "coordinator" reads roster history', PARTNER_COORD, 'viewRosterHistory', 'Only coordinators can see the roster history.'],
    ['coordinator chooses the channel', COORD, 'chooseChannel', true],
    ['facilitator chooses the channel', ASSIGNED, 'chooseChannel', 'Only coordinators can choose the referrals channel.'],
    ['facilitator manages roster', ASSIGNED, 'manageRoster', 'Only coordinators can manage the facilitator roster.'],
    ['coordinator lists all cases', COORD, 'viewAllCases', true],
    ['facilitator lists all cases', ASSIGNED, 'viewAllCases', 'Only coordinators can see all cases.'],
    ['coordinator sees reports', COORD, 'viewReports', true],
    ['staff referrer sees reports', STAFF_REFERRER, 'viewReports', 'Only coordinators can see reports.'],
    ['coordinator reads a case audit', COORD, 'viewAudit', true],
    ['assigned facilitator reads the audit', ASSIGNED, 'viewAudit', 'Only coordinators can see who looked at or changed a case.'],
    ['partner "coordinator" reads the audit', PARTNER_COORD, 'viewAudit', 'Only coordinators can see who looked at or changed a case.'],
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
    for (const action of ['triage', 'assign', 'signOffRisk', 'closeCase', 'reopenCase', 'manageRoster', 'viewAllCases', 'viewReports', 'viewAudit'] as const) {
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

/* The roster as locked by the transaction that changes it: coord and coord-2 are coordinators now. */
const NOW = { coordinatorIds: ['coord', 'coord-2'] };
const COORD_2 = actor('coord-2', STAFF, { coordinator: true });
/** Read as a coordinator when the turn began, but removed before the change was written. */
const REMOVED_COORD = actor('coord-3', STAFF, { coordinator: true });

describe('canChangeRoster: a coordinator at the moment of the change', () => {
  test.each<[string, Actor, boolean]>([
    ['coordinator on the locked roster', COORD, true],
    ['coordinator removed meanwhile', REMOVED_COORD, false],
    ['facilitator', ASSIGNED, false],
    ['partner tenant with a coordinator id', { ...PARTNER_COORD, aadObjectId: 'coord' }, false],
  ])('%s', (_name, who, allowed) => {
    expect(canChangeRoster(who, NOW).allowed).toBe(allowed);
  });
});

describe('canRemoveRole', () => {
  type RemoveRow = [string, Actor, { coordinatorIds: string[] }, { aadObjectId: string; roles: RosterRole[]; openCases: number }, true | string | RegExp];
  test.each<RemoveRow>([
    ['a coordinator removes another', COORD, NOW, { aadObjectId: 'coord-2', roles: ['coordinator'], openCases: 0 }, true],
    ['a coordinator removes themselves while another remains', COORD, NOW, { aadObjectId: 'coord', roles: ['coordinator'], openCases: 0 }, true],
    ['the last coordinator removes themselves', COORD, { coordinatorIds: ['coord'] }, { aadObjectId: 'coord', roles: ['coordinator'], openCases: 0 }, LAST_COORDINATOR],
    ['the last coordinator, as both roles', COORD, { coordinatorIds: ['coord'] }, { aadObjectId: 'coord', roles: ['facilitator', 'coordinator'], openCases: 0 }, LAST_COORDINATOR],
    ['a removed coordinator removes the one left', REMOVED_COORD, { coordinatorIds: ['coord'] }, { aadObjectId: 'coord', roles: ['coordinator'], openCases: 0 }, 'Only coordinators can manage the facilitator roster.'],
    ['a facilitator removes a coordinator', ASSIGNED, NOW, { aadObjectId: 'coord-2', roles: ['coordinator'], openCases: 0 }, 'Only coordinators can manage the facilitator roster.'],
    ['a facilitator without cases', COORD_2, NOW, { aadObjectId: 'fac-z', roles: ['facilitator'], openCases: 0 }, true],
    ['a facilitator with open cases', COORD_2, NOW, { aadObjectId: 'fac-a', roles: ['facilitator'], openCases: 2 }, /still have 2 open case/],
    ['the last coordinator\'s facilitator role alone', COORD, { coordinatorIds: ['coord'] }, { aadObjectId: 'coord', roles: ['facilitator'], openCases: 0 }, true],
    ['nobody with no role', COORD, NOW, { aadObjectId: 'x', roles: [], openCases: 0 }, 'That person holds no role on the roster.'],
  ])('%s', (_name, who, now, subject, expected) => {
    const result = canRemoveRole(who, now, subject);
    if (expected === true) expect(result).toEqual({ allowed: true });
    else if (expected instanceof RegExp) expect(!result.allowed && result.message).toMatch(expected);
    else expect(result).toEqual({ allowed: false, message: expected });
  });
});

describe('offerVisibility: the offered facilitator and coordinators', () => {
  test.each<[string, Actor, OfferState | 'withdrawn', OfferVisibility]>([
    ['the offered facilitator, open offer', OFFERED, 'offered', 'full'],
    ['the offered facilitator, accepted', OFFERED, 'accepted', 'full'],
    ['the offered facilitator, declined', OFFERED, 'declined', 'full'],
    ['the facilitator replaced (offer withdrawn)', OFFERED, 'withdrawn', 'none'],
    ['the offered person, since taken off the roster', { ...OFFERED, facilitator: false }, 'offered', 'none'],
    ['a coordinator', COORD, 'offered', 'full'],
    ['a coordinator, withdrawn offer', COORD, 'withdrawn', 'full'],
    ['another facilitator', OTHER_FAC, 'offered', 'none'],
    ['the referrer', REFERRER, 'offered', 'none'],
    ['same id in a partner tenant', { ...PARTNER_COORD, aadObjectId: 'fac-b' }, 'offered', 'none'],
  ])('%s', (_name, who, status, expected) => {
    expect(offerVisibility(who, { facilitatorAadId: 'fac-b', status })).toBe(expected);
  });
});

describe('canSetReReferDate: only the person who screened', () => {
  const SCREENER = { aadObjectId: 'ref', tenantId: PARTNER };
  test.each<[string, Actor, typeof SCREENER | undefined, boolean]>([
    ['the screener', REFERRER, SCREENER, true],
    ['another referrer', OTHER_REFERRER, SCREENER, false],
    ['the same id in another tenant', REFERRER_ELSEWHERE, SCREENER, false],
    ['a coordinator', COORD, SCREENER, false],
    ['the screener, when nobody is known to have been shown it', REFERRER, undefined, false],
  ])('%s', (_name, who, shownTo, allowed) => {
    expect(canSetReReferDate(who, shownTo).allowed).toBe(allowed);
  });
});
