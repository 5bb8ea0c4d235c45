import { DateTime } from 'luxon';
import type { ReminderAbout, ReminderRule } from '../src/domain/reminderPolicy';
import { callout, card, execute, heading, para, subtle, type ActionData, type AdaptiveCard, type CardAction, type CardElement, type Container } from './adaptive';
import { OFFER_DECLINE_REASONS } from './caseCards';
import { CASE_VERBS, VERBS } from './verbs';

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
  /** The delivery this item went out as: its buttons carry it, so a click can read the card back from the ledger. */
  readonly reminderId?: string;
  /** Shown again after a click: this item has been snoozed until then, and can be `left` more times. */
  readonly snoozed?: { readonly until: Date; readonly left: number };
  /** An offer reminder whose offer has been answered (or withdrawn) since the card was sent. */
  readonly offerStatus?: 'offered' | 'accepted' | 'declined' | 'withdrawn';
  /** What went wrong with this item's last click, said beside it. */
  readonly notice?: string;
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

const PARTY: Readonly<Record<string, string>> = { harmed_person: 'the harmed person', offender: 'the person who caused the harm' };

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
      return { title: `Please answer the offer of ${ref}`, detail: 'You were offered this case as a facilitator. Accept it, or choose a reason and decline it.' };
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

/** The input an offer reminder's Decline sends: one per offer, so two offers on one card keep their own reasons. */
export function offerReasonInputId(offerId: string): string {
  return `declineReason-${offerId}`;
}

function actionsFor(item: ReminderCardItem): CardAction[] {
  if (item.rule === 're_refer') return [execute('Make a referral', VERBS.startReferral, {}, { style: 'positive' })];
  const data: ActionData = item.reminderId ? { reminderId: item.reminderId } : {};
  if (item.about.kind === 'offer' && item.rule === 'assignment_answer_due') {
    // The offer's own answers, for the person it was offered to: not yet assigned, they could not open the case.
    if ((item.offerStatus ?? 'offered') !== 'offered') return [];
    const offer = { offerId: item.about.offerId, ...data };
    return [
      execute('Accept', CASE_VERBS.offerAccept, offer, { style: 'positive', associatedInputs: 'none' }),
      execute('Decline', CASE_VERBS.offerDecline, offer, { style: 'destructive' }),
    ];
  }
  if (!item.caseId) return [];
  const actions: CardAction[] = [execute('Open case', REMINDER_VERBS.open, { caseId: item.caseId }, { associatedInputs: 'none' })];
  if (item.rule === 'follow_up_due' || item.rule === 'first_contact_due') {
    actions.push(execute('Log contact', REMINDER_VERBS.logContact, { caseId: item.caseId }, { associatedInputs: 'none' }));
  }
  if (!item.snoozed) actions.push(execute('Snooze', REMINDER_VERBS.snooze, { reminderKey: item.reminderKey, caseId: item.caseId, ...data }, { associatedInputs: 'none' }));
  return actions;
}

/** What became of the item since the card was sent, and the reason input an open offer needs. */
function stateOf(item: ReminderCardItem, zone: string): CardElement[] {
  const out: CardElement[] = [];
  const ref = item.caseReference ? ` (${item.caseReference})` : '';
  if (item.snoozed) {
    const left = item.snoozed.left > 0 ? ` It can be snoozed ${item.snoozed.left} more time${item.snoozed.left === 1 ? '' : 's'}.` : ' It cannot be snoozed again.';
    out.push({ ...callout('good', `Snoozed${ref} until ${when(item.snoozed.until, zone)}.${left}`, { size: 'Small' }), spacing: 'Small' });
  }
  if (item.about.kind === 'offer' && item.rule === 'assignment_answer_due') {
    switch (item.offerStatus ?? 'offered') {
      case 'accepted':
        out.push({ ...callout('good', `You accepted this offer${ref}. The case details come in a separate message.`, { size: 'Small' }), spacing: 'Small' });
        break;
      case 'declined':
        out.push({ ...para(`You declined this offer${ref}. Thank you for letting us know.`, { size: 'Small' }), spacing: 'Small' });
        break;
      case 'withdrawn':
        out.push({ ...para(`This offer${ref} was withdrawn by a coordinator. Nothing more is needed from you.`, { size: 'Small' }), spacing: 'Small' });
        break;
      case 'offered':
        out.push({ type: 'Input.ChoiceSet', id: offerReasonInputId(item.about.offerId), label: 'If declining: reason', choices: Object.entries(OFFER_DECLINE_REASONS).map(([value, title]) => ({ title, value })), style: 'compact', placeholder: 'Choose a reason' });
        break;
    }
  }
  if (item.notice) out.push({ ...callout('attention', item.notice, { size: 'Small' }), spacing: 'Small' });
  return out;
}

/** A card for one reminder. */
export function reminderCard(item: ReminderCardItem, opts: ReminderCardOptions = {}): AdaptiveCard {
  const zone = opts.zone ?? LONDON;
  const { title, detail } = describeReminder(item, zone);
  return card([heading(title), para(detail), subtle(`Due ${when(item.dueAt, zone)}`), ...stateOf(item, zone)], actionsFor(item));
}

/**
 * "3 things due today": several reminders for one recipient due in the same minute, one card. Shown
 * again after a click on one item, it keeps every other item as it was and marks that one.
 */
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
      items: [para(title, { weight: 'Bolder' }), para(detail, { spacing: 'Small' }), ...stateOf(item, zone)],
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
