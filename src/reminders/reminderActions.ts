import type { AdaptiveCard } from '../../cards/adaptive';
import { snoozedCard } from '../../cards/reminders';
import type { Clock } from '../shared/clock';
import { can, isCoordinator, type Actor } from '../domain/permissions';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import type { ReminderRepository } from '../store/reminderRepository';
import { parseJobId } from './ids';

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
  repo: Pick<ReminderRepository, 'assignmentView' | 'snooze'>;
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
  async snooze(actor: Actor, reminderKey: string, caseId: string): Promise<ReminderActionResult> {
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
    return { kind: 'card', card: snoozedCard({ until: r.until, count: r.count, max: this.max }) };
  }

  private async checkCase(actor: Actor, caseId: string): Promise<ReminderActionResult | undefined> {
    const view = await this.d.repo.assignmentView(caseId);
    if (!view) return { kind: 'refused', message: 'That case could not be found.' };
    return can(actor, 'updateCase', view).allowed ? undefined : { kind: 'refused', message: NOT_YOURS };
  }
}
