import type { AdaptiveCard } from '../../cards/adaptive';
import { digestCard, snoozedCard, type ReminderCardItem } from '../../cards/reminders';
import type { ReminderAbout, ReminderRule } from '../domain/reminderPolicy';
import type { Clock } from '../shared/clock';
import { can, isCoordinator, type Actor } from '../domain/permissions';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import type { ReminderRepository, SentReminderCard } from '../store/reminderRepository';
import { parseJobId, type ParsedReminderId } from './ids';

export const MAX_SNOOZES = 3;

/**
 * What a reminder card's button leads to. `openCase` and `logContact` are routed by the bot to the
 * existing case card and contact flow (which check permissions again, as every handler does).
 */
export type ReminderActionResult =
  | { kind: 'card'; card: AdaptiveCard }
  | { kind: 'refused'; message: string }
  | { kind: 'openCase'; caseId: string }
  | { kind: 'logContact'; caseId: string };

export interface ReminderActionsDeps {
  repo: Pick<ReminderRepository, 'assignmentView' | 'snooze' | 'sentCard' | 'latestSentId' | 'caseView'>;
  calendar: WorkingCalendar;
  clock: Clock;
  log: Logger;
  /**
   * Runs after a snooze is recorded: the scheduler's reconcileCase when it runs in this process. The
   * snooze's case event also notifies the worker process, so this is optional.
   */
  onSnoozed?: (caseId: string) => Promise<unknown>;
  maxSnoozes?: number;
}

const NOT_YOURS = 'Only the facilitators assigned to this case, or a coordinator, can act on its reminders.';

/** The verbs of the reminder card (`reminder.open`, `reminder.snooze`, `reminder.logContact`). */
export class ReminderActions {
  private readonly max: number;

  constructor(private readonly d: ReminderActionsDeps) {
    this.max = d.maxSnoozes ?? MAX_SNOOZES;
  }

  async open(actor: Actor, caseId: string): Promise<ReminderActionResult> {
    const refusal = await this.checkCase(actor, caseId);
    return refusal ?? { kind: 'openCase', caseId };
  }

  async logContact(actor: Actor, caseId: string): Promise<ReminderActionResult> {
    const refusal = await this.checkCase(actor, caseId);
    return refusal ?? { kind: 'logContact', caseId };
  }

  /**
   * Moves the reminder to the start of the next working day, at most `maxSnoozes` times. A
   * coordinator may snooze any reminder of a case; a facilitator on the case only their own.
   */
  async snooze(actor: Actor, reminderKey: string, caseId: string, reminderId?: string): Promise<ReminderActionResult> {
    // The key arrives in card data: it must be a case reminder's key, of this very case.
    // Any due instant makes it a full id, which parses into the key's parts.
    const parsed = parseJobId(`${reminderKey}|20000101T0000Z`);
    if (!parsed || parsed.ownerKind !== 'case' || parsed.ownerId.toLowerCase() !== caseId.toLowerCase()) {
      return { kind: 'refused', message: 'That reminder could not be found.' };
    }
    const refusal = await this.checkCase(actor, caseId);
    if (refusal) return refusal;
    const coordinator = isCoordinator(actor);
    if (!coordinator && !(parsed.recipient.kind === 'person' && parsed.recipient.aadObjectId.toLowerCase() === actor.aadObjectId.toLowerCase())) {
      return { kind: 'refused', message: 'Only the person reminded, or a coordinator, can snooze this reminder.' };
    }
    const cal = this.d.calendar;
    const until = cal.atOrNextWorkingStart(cal.localDate(cal.addCalendarDays(this.d.clock(), 1)));
    const r = await this.d.repo.snooze({
      reminderKey,
      caseId: parsed.ownerId,
      until,
      byAadId: actor.aadObjectId,
      actorRole: coordinator ? 'coordinator' : 'facilitator',
      max: this.max,
    });
    if (!r.ok) {
      return { kind: 'refused', message: `This reminder has already been snoozed ${this.max} times. Deal with it, or ask a coordinator.` };
    }
    this.d.log.info({ caseId: parsed.ownerId, rule: parsed.rule, count: r.count }, 'reminder snoozed');
    if (this.d.onSnoozed) {
      await this.d.onSnoozed(parsed.ownerId).catch((err: unknown) => {
        this.d.log.warn({ caseId: parsed.ownerId, err: err instanceof Error ? err.message : String(err) }, 'reconcile after snooze failed; the change notification will retry');
      });
    }
    // The card is read back from the ledger, not from the click's data: the other items stay as they were.
    const sent = reminderId !== undefined && reminderId.startsWith(`${reminderKey}|`) ? reminderId : await this.d.repo.latestSentId(reminderKey);
    const again = sent ? await this.sentCard(sent, actor) : undefined;
    if (again) return { kind: 'card', card: again };
    const reference = (await this.d.repo.caseView(parsed.ownerId))?.caseReference;
    return { kind: 'card', card: snoozedCard({ ...(reference ? { caseReference: reference } : {}), until: r.until, count: r.count, max: this.max }) };
  }

  /**
   * The reminder card an offer was answered from, read back from the ledger with the offer's answer
   * marked: for the person the offer reminder was sent to only. Undefined when it cannot be read.
   */
  async afterOfferAnswer(aadObjectId: string, reminderId: string, notice?: { offerId: string; text: string }): Promise<AdaptiveCard | undefined> {
    const parsed = parseJobId(reminderId);
    if (!parsed || parsed.recipient.kind !== 'person' || parsed.recipient.aadObjectId.toLowerCase() !== aadObjectId.toLowerCase()) return undefined;
    return this.sentCard(reminderId, { aadObjectId, coordinator: false }, notice);
  }

  /**
   * A sent reminder card as it stands now: every reminder sent with it, rebuilt from PostgreSQL
   * (the ledger, the cases, snoozes and offers), each snoozed or answered one marked. Only for the
   * person it was sent to, or any coordinator for the coordinators' reminders.
   */
  private async sentCard(reminderId: string, who: Pick<Actor, 'aadObjectId' | 'coordinator'>, notice?: { offerId: string; text: string }): Promise<AdaptiveCard | undefined> {
    const own = parseJobId(reminderId);
    if (!own || !mayRead(own, who)) return undefined;
    const sent = await this.d.repo.sentCard(own.id);
    if (!sent) return undefined;
    const items = sent.reminders.flatMap((r) => {
      const parsed = parseJobId(r.reminderId);
      // Every item of one message has one recipient; a row that is not (it cannot happen) is left out rather than shown.
      return parsed && parsed.recipientCode === own.recipientCode ? [itemOf(parsed, r, sent, this.max, notice)] : [];
    });
    if (items.length === 0) return undefined;
    return digestCard(items, { now: this.d.clock() });
  }

  private async checkCase(actor: Actor, caseId: string): Promise<ReminderActionResult | undefined> {
    const view = await this.d.repo.assignmentView(caseId);
    if (!view) return { kind: 'refused', message: 'That case could not be found.' };
    return can(actor, 'updateCase', view).allowed ? undefined : { kind: 'refused', message: NOT_YOURS };
  }
}

function mayRead(id: ParsedReminderId, who: Pick<Actor, 'aadObjectId' | 'coordinator'>): boolean {
  if (id.recipient.kind === 'coordinators') return who.coordinator;
  return who.coordinator || id.recipient.aadObjectId.toLowerCase() === who.aadObjectId.toLowerCase();
}

/** One line of a sent card, as the database has it now. */
function itemOf(
  id: ParsedReminderId,
  row: SentReminderCard['reminders'][number],
  sent: SentReminderCard,
  max: number,
  notice: { offerId: string; text: string } | undefined,
): ReminderCardItem {
  const rule = id.rule as ReminderRule;
  const about = aboutOf(rule, id, sent);
  const snooze = sent.snoozes.get(id.key);
  // A snooze of an earlier sending of the same key (a repeating reminder) is not this item's.
  const snoozed = snooze && (!row.sentAt || snooze.at.getTime() >= row.sentAt.getTime()) ? { until: snooze.until, left: Math.max(0, max - snooze.count) } : undefined;
  const offer = about.kind === 'offer' ? sent.offers.get(about.offerId) : undefined;
  return {
    rule,
    reminderKey: id.key,
    reminderId: id.id,
    dueAt: row.dueAt,
    about,
    ...(row.caseId ? { caseId: row.caseId } : {}),
    ...(row.caseReference ? { caseReference: row.caseReference } : {}),
    ...(snoozed ? { snoozed } : {}),
    ...(offer ? { offerStatus: offer.status } : {}),
    ...(notice && about.kind === 'offer' && about.offerId === notice.offerId ? { notice: notice.text } : {}),
  };
}

function aboutOf(rule: ReminderRule, id: ParsedReminderId, sent: SentReminderCard): ReminderAbout {
  switch (rule) {
    case 'assignment_answer_due':
    case 'assignment_answer_escalation': {
      const offer = sent.offers.get(id.subject);
      return { kind: 'offer', offerId: id.subject, facilitatorAadObjectId: offer?.facilitatorAadId ?? '' };
    }
    case 'first_contact_due':
    case 'first_contact_escalation':
    case 'follow_up_due':
      return { kind: 'participant', participantId: id.subject, role: sent.participantRoles.get(id.subject) ?? '' };
    case 'conference_first_notice':
    case 'conference_last_notice':
    case 'conference_outcome_due': {
      const startsAt = sent.conferenceStarts.get(id.subject);
      return startsAt ? { kind: 'conference', conferenceId: id.subject, startsAt } : { kind: 'case' };
    }
    case 'agreement_review':
      return { kind: 'agreement' };
    case 're_refer': {
      const date = sent.sentencingDates.get(id.ownerId);
      return date ? { kind: 'screening', sentencingDate: date } : { kind: 'case' };
    }
    default:
      return { kind: 'case' };
  }
}
