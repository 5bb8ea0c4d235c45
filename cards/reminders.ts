import { DateTime } from 'luxon';
import type { ReminderAbout, ReminderRule } from '../src/domain/reminderPolicy';
import { card, execute, heading, para, subtle, type AdaptiveCard, type CardAction, type CardElement, type Container } from './adaptive';
import { VERBS } from './verbs';

/** Reminder card verbs; the bot's verb table routes them to ReminderActions. */
export const REMINDER_VERBS = {
  open: 'reminder.open',
  snooze: 'reminder.snooze',
  logContact: 'reminder.logContact',
} as const;

/**
 * One reminder as a card shows it. Deliberately without names: a reminder may land in the
 * coordinators' channel, so it names cases by reference and parties by role only.
 */
export interface ReminderCardItem {
  readonly rule: ReminderRule;
  readonly reminderKey: string;
  readonly dueAt: Date;
  readonly about: ReminderAbout;
  readonly caseId?: string;
  readonly caseReference?: string;
}

export interface ReminderCardOptions {
  /** Zone the dates are written in; default Europe/London. */
  readonly zone?: string;
  /** Reminders beyond those on this card, for the same recipient and minute (a long digest is split). */
  readonly part?: { readonly index: number; readonly of: number };
  /** The sender's clock: a digest due on this day says "today". */
  readonly now?: Date;
}

const LONDON = 'Europe/London';

const PARTY: Readonly<Record<string, string>> = { harmed_person: 'the harmed person', offender: 'the offender' };

function when(instant: Date | string, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { zone }) : DateTime.fromJSDate(instant).setZone(zone);
  return dt.setLocale('en-GB').toFormat("cccc d LLLL yyyy 'at' HH:mm");
}

function day(date: string, zone: string): string {
  return DateTime.fromISO(date, { zone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
}

function party(about: ReminderAbout): string {
  return about.kind === 'participant' ? (PARTY[about.role] ?? 'a participant') : 'a participant';
}

/** The headline and one line of detail; references and roles only. */
export function describeReminder(item: ReminderCardItem, zone: string = LONDON): { title: string; detail: string } {
  const ref = item.caseReference ?? 'the case';
  const a = item.about;
  switch (item.rule) {
    case 'triage_due':
      return { title: `Triage due: ${ref}`, detail: 'This referral is waiting for a coordinator to accept or decline it.' };
    case 'assignment_answer_due':
      return { title: `Please answer the offer of ${ref}`, detail: 'You were offered this case as a facilitator. Accept or decline it from the offer card.' };
    case 'assignment_answer_escalation':
      return { title: `Offer not answered: ${ref}`, detail: 'A facilitator has not answered the offer of this case. Consider offering it to someone else.' };
    case 'first_contact_due':
      return { title: `First contact due: ${ref}`, detail: `No contact with ${party(a)} has been logged since the pair was confirmed.` };
    case 'first_contact_escalation':
      return { title: `No first contact yet: ${ref}`, detail: `The facilitators have not logged any contact with ${party(a)}.` };
    case 'follow_up_due':
      return { title: `Follow-up due: ${ref}`, detail: `A follow-up with ${party(a)} was planned for today.` };
    case 'stale_case':
      return { title: `No recent activity: ${ref}`, detail: 'Nothing has been recorded on this case for some weeks. Check in with the facilitators.' };
    case 'conference_first_notice':
      return { title: `Conference coming up: ${ref}`, detail: a.kind === 'conference' ? `The conference is on ${when(a.startsAt, zone)}.` : 'A conference is coming up.' };
    case 'conference_last_notice':
      return { title: `Conference soon: ${ref}`, detail: a.kind === 'conference' ? `The conference is on ${when(a.startsAt, zone)}. Check the arrangements.` : 'A conference is about to take place.' };
    case 'conference_outcome_due':
      return { title: `Record the conference outcome: ${ref}`, detail: a.kind === 'conference' ? `The conference was on ${when(a.startsAt, zone)}. Record whether it was held.` : 'Record the conference outcome.' };
    case 'agreement_review':
      return { title: `Agreement review due: ${ref}`, detail: 'Review how the outcome agreement is going and record the review.' };
    case 're_refer':
      return {
        title: 'Time to refer again?',
        detail: a.kind === 'screening'
          ? `You asked to be reminded on the sentencing date you gave (${day(a.sentencingDate, zone)}). If the offender has now been sentenced, you can make a new referral.`
          : 'If the offender has now been sentenced, you can make a new referral.',
      };
  }
}

function actionsFor(item: ReminderCardItem): CardAction[] {
  if (item.rule === 're_refer') return [execute('Make a referral', VERBS.startReferral, {}, { style: 'positive' })];
  if (!item.caseId) return [];
  const actions: CardAction[] = [execute('Open case', REMINDER_VERBS.open, { caseId: item.caseId })];
  if (item.rule === 'follow_up_due' || item.rule === 'first_contact_due') {
    actions.push(execute('Log contact', REMINDER_VERBS.logContact, { caseId: item.caseId }));
  }
  actions.push(execute('Snooze to next working day', REMINDER_VERBS.snooze, { reminderKey: item.reminderKey, caseId: item.caseId }));
  return actions;
}

/** A card for one reminder. */
export function reminderCard(item: ReminderCardItem, opts: ReminderCardOptions = {}): AdaptiveCard {
  const zone = opts.zone ?? LONDON;
  const { title, detail } = describeReminder(item, zone);
  return card([heading(title), para(detail), subtle(`Due ${when(item.dueAt, zone)}`)], actionsFor(item));
}

/** "3 things due today": several reminders for one recipient due in the same minute, one card. */
export function digestCard(items: readonly ReminderCardItem[], opts: ReminderCardOptions = {}): AdaptiveCard {
  const zone = opts.zone ?? LONDON;
  const first = items[0];
  if (!first) throw new RangeError('digestCard needs at least one reminder');
  if (items.length === 1 && !opts.part) return reminderCard(first, opts);
  const total = opts.part ? `${items.length} of the things due` : `${items.length} things due`;
  const body: CardElement[] = [
    heading(`${total} ${opts.now && isSameDay(first.dueAt, opts.now, zone) ? 'today' : `on ${day(DateTime.fromJSDate(first.dueAt).setZone(zone).toISODate() ?? '', zone)}`}`),
  ];
  if (opts.part) body.push(subtle(`Part ${opts.part.index} of ${opts.part.of}`));
  items.forEach((item, i) => {
    const { title, detail } = describeReminder(item, zone);
    const section: Container = {
      type: 'Container',
      separator: i > 0,
      spacing: 'Medium',
      items: [para(title, { weight: 'Bolder' }), para(detail, { spacing: 'Small' })],
    };
    const actions = actionsFor(item);
    if (actions.length > 0) section.items.push({ type: 'ActionSet', actions });
    body.push(section);
  });
  return card(body);
}

function isSameDay(a: Date, b: Date, zone: string): boolean {
  return DateTime.fromJSDate(a).setZone(zone).hasSame(DateTime.fromJSDate(b).setZone(zone), 'day');
}

/** The reply to a snooze: replaces the reminder card, without its buttons. */
export function snoozedCard(item: { caseReference?: string; until: Date; count: number; max: number }, zone: string = LONDON): AdaptiveCard {
  const left = item.max - item.count;
  return card([
    para(`Snoozed${item.caseReference ? ` (${item.caseReference})` : ''} until ${when(item.until, zone)}.`, { weight: 'Bolder' }),
    subtle(left > 0 ? `It can be snoozed ${left} more time${left === 1 ? '' : 's'}.` : 'It cannot be snoozed again.'),
  ]);
}

/**
 * Told to coordinators when a reminder could not be delivered after every attempt: the reminder is
 * recorded as failed, so a person has to follow it up. References and rules only.
 */
export function undeliveredCard(items: readonly ReminderCardItem[], reason: string): AdaptiveCard {
  const lines = items.map((i) => `- ${describeReminder(i).title}`).join('\n');
  return card([
    heading('Reminders that could not be delivered'),
    para('Teams kept refusing these reminders, so the bot has stopped trying. Please follow them up by hand:'),
    para(lines),
    subtle(`Last answer from Teams: ${reason}`),
  ]);
}
