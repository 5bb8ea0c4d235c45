/**
 * Who may do and see what (DESIGN.md, "Roles and who may see what"). One table, so a card, a dialog
 * and the lifecycle all refuse with the same words.
 */

/** The person acting, from a verified activity; `facilitator` means "on the roster". */
export interface Actor {
  readonly aadObjectId: string;
  readonly tenantId: string;
  /** True only for the service's own tenant. */
  readonly staffTenant: boolean;
  readonly coordinator: boolean;
  readonly facilitator: boolean;
}

export type OfferState = 'offered' | 'accepted' | 'declined';

/** What the permission rules need to know about one case. */
export interface CaseView {
  readonly referrerAadId: string;
  readonly referrerTenantId: string;
  /** Facilitators who accepted and are still on the case (a replaced one is not listed). */
  readonly acceptedFacilitators: readonly string[];
  /** Open and answered offers of the facilitators currently on the case. */
  readonly offers: readonly { readonly facilitatorAadId: string; readonly status: OfferState }[];
}

/** The part of a case that decides who works on it; enough for every action except seeing it. */
export type AssignmentView = Pick<CaseView, 'acceptedFacilitators' | 'offers'>;

export type Permission = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

export const ACTIONS = [
  'refer',
  'viewOwnReferrals',
  'viewCaseStatus',
  'viewCase',
  'triage',
  'assign',
  'answerOffer',
  'updateCase',
  'signOffRisk',
  'closeCase',
  'reopenCase',
  'manageRoster',
  'viewRosterHistory',
  'chooseChannel',
  'viewAllCases',
  'viewReports',
  'viewAudit',
  'legalHold',
  'erasure',
] as const;
export type Action = (typeof ACTIONS)[number];

export type Visibility = 'full' | 'status' | 'none';

const ALLOWED: Permission = { allowed: true };
const refuse = (message: string): Permission => ({ allowed: false, message });

const COORDINATOR_ONLY: Readonly<Partial<Record<Action, string>>> = {
  triage: 'Only coordinators can accept or decline referrals.',
  assign: 'Only coordinators can assign or replace facilitators.',
  signOffRisk: "Only coordinators can sign off a high risk assessment.",
  closeCase: 'Only coordinators can close a case.',
  reopenCase: 'Only coordinators can reopen a case.',
  manageRoster: 'Only coordinators can manage the facilitator roster.',
  viewRosterHistory: 'Only coordinators can see the roster history.',
  chooseChannel: 'Only coordinators can choose the referrals channel.',
  viewAllCases: 'Only coordinators can see all cases.',
  viewReports: 'Only coordinators can see reports.',
  viewAudit: 'Only coordinators can see who looked at or changed a case.',
  legalHold: 'Only coordinators can put a case on legal hold or lift it.',
  erasure: 'Only coordinators can record and decide erasure requests.',
};

const NOT_YOURS = 'You can only see cases you referred or that are assigned to you.';

/*
 * Roles are honoured only inside the service's tenant: a partner tenant whose directory happened to
 * carry the same flag must never gain a service role.
 */
export function isCoordinator(actor: Actor): boolean {
  return actor.staffTenant && actor.coordinator;
}

export function isFacilitator(actor: Actor): boolean {
  return actor.staffTenant && actor.facilitator;
}

function isReferrerOf(actor: Actor, view: CaseView | AssignmentView): boolean {
  // Object ids are unique per tenant only, so the tenant must match as well.
  return 'referrerAadId' in view && view.referrerAadId === actor.aadObjectId && view.referrerTenantId === actor.tenantId;
}

function worksOn(actor: Actor, view: CaseView | AssignmentView): boolean {
  return isFacilitator(actor) && view.acceptedFacilitators.includes(actor.aadObjectId);
}

function visibilityOf(actor: Actor, view: CaseView | AssignmentView): Visibility {
  if (isCoordinator(actor) || worksOn(actor, view)) return 'full';
  // An offered facilitator decides from the offer card alone; the case opens to them on acceptance.
  if (isReferrerOf(actor, view)) return 'status';
  return 'none';
}

/**
 * Whether a case's details may show in the actor's Teams chat now (issue 10, item 1): coordinators
 * always; its current facilitators while it is open. Anyone else's messages about it show the base
 * view only, and a refresh says it is no longer available to them.
 */
export function detailsInChat(actor: Actor, caseView: CaseView, closed: boolean): boolean {
  if (isCoordinator(actor)) return true;
  return !closed && worksOn(actor, caseView);
}

/** How much of a case the actor may see: everything, the stage only (their own referral), or nothing. */
export function visibility(actor: Actor, caseView: CaseView): Visibility {
  return visibilityOf(actor, caseView);
}

/**
 * Whether the actor may take the action. Case actions (viewCaseStatus, viewCase, answerOffer,
 * updateCase) need the case; without it only a coordinator is allowed, so a missing view never opens
 * a case to anyone else.
 */
export function can(actor: Actor, action: Action, caseView?: CaseView | AssignmentView): Permission {
  const coordinatorOnly = COORDINATOR_ONLY[action];
  if (coordinatorOnly !== undefined) return isCoordinator(actor) ? ALLOWED : refuse(coordinatorOnly);

  switch (action) {
    case 'refer':
    case 'viewOwnReferrals':
      // Tenants off the allow-list never get this far (the tenant guard refuses them).
      return ALLOWED;
    case 'viewCaseStatus':
      if (isCoordinator(actor)) return ALLOWED;
      return caseView && visibilityOf(actor, caseView) !== 'none' ? ALLOWED : refuse(NOT_YOURS);
    case 'viewCase':
      if (isCoordinator(actor)) return ALLOWED;
      if (caseView && visibilityOf(actor, caseView) === 'full') return ALLOWED;
      if (caseView && isReferrerOf(actor, caseView)) {
        return refuse('You can see the status of your referral; the case details stay with the service.');
      }
      return refuse(NOT_YOURS);
    case 'answerOffer':
      return caseView && isFacilitator(actor) && caseView.offers.some((o) => o.facilitatorAadId === actor.aadObjectId)
        ? ALLOWED
        : refuse('Only the facilitator this case was offered to can accept or decline the offer.');
    case 'updateCase':
      if (isCoordinator(actor)) return ALLOWED;
      return caseView && worksOn(actor, caseView)
        ? ALLOWED
        : refuse('Only the facilitators assigned to this case, or a coordinator, can update it.');
    default:
      // Every coordinator-only action returned above; this keeps the switch exhaustive for tsc.
      return refuse(COORDINATOR_ONLY[action] ?? 'You are not allowed to do that.');
  }
}

// ---- decisions that need more than the actor's roles ------------------------------------------------

export type RosterRole = 'facilitator' | 'coordinator';

/** The roster as it stands inside the transaction that changes it (its coordinator rows locked). */
export interface RosterNow {
  readonly coordinatorIds: readonly string[];
}

export const LAST_COORDINATOR =
  'The last coordinator cannot be removed: add another coordinator first (roster add coordinator @name), then remove this one.';

/**
 * A roster change is allowed to whoever is a coordinator at the moment it is written, not when the
 * card was sent or the turn began: a coordinator removed a second ago is refused.
 */
export function canChangeRoster(actor: Actor, now: RosterNow): Permission {
  return actor.staffTenant && now.coordinatorIds.includes(actor.aadObjectId) ? ALLOWED : refuse(COORDINATOR_ONLY.manageRoster!);
}

/**
 * Taking a role away. The roster must keep at least one coordinator (nobody could manage it
 * otherwise), and a facilitator still holding offers or cases must be replaced on them first.
 */
export function canRemoveRole(
  actor: Actor,
  now: RosterNow,
  subject: { readonly aadObjectId: string; readonly roles: readonly RosterRole[]; readonly openCases: number },
): Permission {
  const manage = canChangeRoster(actor, now);
  if (!manage.allowed) return manage;
  if (subject.roles.length === 0) return refuse('That person holds no role on the roster.');
  if (subject.roles.includes('coordinator')) {
    const others = now.coordinatorIds.filter((id) => id !== subject.aadObjectId);
    if (others.length === 0) return refuse(LAST_COORDINATOR);
  }
  if (subject.roles.includes('facilitator') && subject.openCases > 0) {
    return refuse(`They still have ${subject.openCases} open case(s) or offer(s): replace them there first, or pause them.`);
  }
  return ALLOWED;
}

/** How much of an offer card the actor may see when it is refreshed or clicked. */
export type OfferVisibility = 'full' | 'none';

/**
 * The offered facilitator (while the offer is theirs: not once withdrawn, when they were replaced)
 * and coordinators see the offer; anyone else, in whose client the card may still be rendered, sees
 * that it exists and nothing about the case.
 */
export function offerVisibility(
  actor: Actor,
  offer: { readonly facilitatorAadId: string; readonly status: OfferState | 'withdrawn' },
): OfferVisibility {
  if (isCoordinator(actor)) return 'full';
  if (isFacilitator(actor) && offer.facilitatorAadId === actor.aadObjectId && offer.status !== 'withdrawn') return 'full';
  return 'none';
}

/**
 * The re-refer date is the screener's own reminder: only the person the ineligible result was shown
 * to (in their 1:1 chat) may set it. `offeredTo` is who that was, or undefined if unknown here.
 */
export function canSetReReferDate(actor: Pick<Actor, 'aadObjectId' | 'tenantId'>, offeredTo: { readonly aadObjectId: string; readonly tenantId: string } | undefined): Permission {
  return offeredTo && offeredTo.aadObjectId === actor.aadObjectId && offeredTo.tenantId === actor.tenantId
    ? ALLOWED
    : refuse('Only the person who answered the screening questions can set this reminder, from their own chat with RJ Referrals.');
}
