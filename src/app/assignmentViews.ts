import type { Actor } from './actor';
import { waitLabel, type CoordinatorWait } from '../domain/coordinatorWaits';
import type { CaseLocker } from './caseCommands';
import type { Clock } from '../shared/clock';
import type { Actor as DomainActor } from '../domain/permissions';
import type { Logger } from '../log';
import { plain } from '../../cards/adaptive';
import { DECLINE_REASONS, type ChannelCaseView, type OfferView } from '../../cards/caseCards';
import { CASE_STAGES } from '../domain/vocabulary';
import type { CaseRecord, CaseRepository } from '../store/caseRepository';
import type { AssignmentRepository, Offer } from '../store/assignmentRepository';
import type { RosterRepository } from '../store/rosterRepository';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import { displayDate } from '../shared/clock';
import { staffNames } from './staffNames';

/** What every triage and assignment use case is given: roles (read only), the cards it answers with, the lock. */
export interface CaseUseCaseDeps {
  /** Roles from the roster, read only (StaffRoles.of). */
  roles: (actor: Actor) => Promise<DomainActor>;
  views: AssignmentViews;
  /** The case's row lock: every change runs under it (runCaseCommands). */
  locks: CaseLocker;
  clock: Clock;
  log: Logger;
}

export interface AssignmentViewDeps {
  cases: Pick<CaseRepository, 'getCase'>;
  assignments: Pick<AssignmentRepository, 'listOffers'>;
  roster: Pick<RosterRepository, 'get'>;
  refs: Pick<ConversationRefRepository, 'findPersonal'>;
  staffTenantId: string;
  /** What the case waits on a coordinator for: shown on the coordinators' card until done. */
  waits?: (caseId: string) => Promise<CoordinatorWait[]>;
}

/**
 * The coordinators' channel card and the facilitator's offer card, read now
 * (the outbox sends what these render when it sends): reads and renders only, never writes.
 */
export class AssignmentViews {
  constructor(private readonly d: AssignmentViewDeps) {}

  /** `known`: the case when the caller has just read it. */
  async channelView(caseId: string, alerts: string[] = [], known?: CaseRecord): Promise<ChannelCaseView | undefined> {
    const c = known ?? (await this.d.cases.getCase(caseId));
    if (!c) return undefined;
    const offers = await this.d.assignments.listOffers(caseId);
    const names = await staffNames(this.d.roster, [...offers.map((o) => o.facilitatorAadId), ...(c.triagedBy ? [c.triagedBy] : [])]);
    const triage = c.triagedAt && c.triagedBy
      ? { by: names.get(c.triagedBy) ?? 'a coordinator', on: displayDate(c.triagedAt), declined: c.stage === 'declined' ? declineCategory(c.declineReason) : undefined }
      : undefined;
    const sendAlerts = offers.filter((o) => o.status === 'offered' && o.sendError).map((o) => `${plain(names.get(o.facilitatorAadId) ?? 'A facilitator')} could not be reached in Teams: they must install or reopen the RJ Referrals app. ${o.sendError}`);
    return {
      caseId: c.id,
      reference: c.reference,
      offenceType: c.offenceType,
      source: c.source,
      referredOn: displayDate(c.createdAt),
      stage: c.stage,
      stageLabel: CASE_STAGES[c.stage],
      complex: c.complex,
      extraCare: c.extraCare,
      needsReview: c.needsReviewReasons.length > 0,
      triage,
      offers: offers.map((o) => ({
        facilitatorName: names.get(o.facilitatorAadId) ?? 'Unknown facilitator',
        status: o.status,
        on: o.answeredAt ? displayDate(o.answeredAt) : undefined,
        reason: o.declineReason ?? undefined,
        sendError: o.sendError ?? undefined,
      })),
      alerts: [...sendAlerts, ...(await this.d.waits?.(c.id) ?? []).map(waitLabel), ...alerts],
    };
  }

  /** The offer card's content, read now (also what the outbox sends). */
  async offerView(offer: Offer): Promise<OfferView | undefined> {
    const c = await this.d.cases.getCase(offer.caseId);
    if (!c) return undefined;
    const others = (await this.d.assignments.listOffers(offer.caseId)).filter((o) => o.id !== offer.id && (o.status === 'offered' || o.status === 'accepted'));
    const names = await staffNames(this.d.roster, others.map((o) => o.facilitatorAadId));
    const ref = await this.d.refs.findPersonal(this.d.staffTenantId, offer.facilitatorAadId);
    const teamsUserId = (ref?.reference as { user?: { id?: string } } | undefined)?.user?.id;
    return {
      offerId: offer.id,
      reference: c.reference,
      offenceType: c.offenceType,
      borough: c.participants.find((p) => p.role === 'harmed_person')?.borough ?? undefined,
      complex: c.complex,
      extraCare: c.extraCare,
      coFacilitatorName: others[0] ? names.get(others[0].facilitatorAadId) : undefined,
      status: offer.status,
      answeredOn: offer.answeredAt ? displayDate(offer.answeredAt) : undefined,
      refreshUserIds: teamsUserId ? [teamsUserId] : [],
    };
  }
}

/** The channel shows why a referral was declined by category only; the coordinator's note stays in the record. */
function declineCategory(recorded: string | null): string {
  return Object.values(DECLINE_REASONS).find((label) => recorded?.startsWith(label)) ?? 'declined';
}
