import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { REMINDER_VERBS } from '../../../cards/reminders';
import type { Actor } from '../../app/actor';
import type { ProgressUseCases } from '../../app/progress';
import type { Reply } from '../../app/reply';
import type { Actor as DomainActor } from '../../domain/permissions';
import type { ReminderActionResult, ReminderActions } from '../../reminders';
import { anyone, defineVerb, type CardVerb } from '../registry';
import { actorOf, isPersonalChat, replyToCard } from '../turn';
import { IN_YOUR_CHAT, OPEN_A_CHAT, sendCaseHere, sendCasePrivately, type CaseChat } from './replies';
import type { ChatView } from '../../../cards/caseBase';

/** The buttons on reminder cards: each checked against the case before anything is shown or moved. */
export interface ReminderDeps {
  reminders: ReminderActions;
  progress: Pick<ProgressUseCases, 'openCase' | 'form'>;
  roles: (actor: Actor) => Promise<DomainActor>;
  chat: CaseChat;
}

const id = z.string().trim().min(1).max(64);
const caseData = z.object({ caseId: id }).passthrough();
/** `reminderId`: the sending the card was (cards sent before it was carried have the key only). */
const snoozeData = z.object({ caseId: id, reminderKey: z.string().trim().min(1).max(400), reminderId: z.string().trim().min(1).max(420).optional() }).passthrough();
const REMINDED = anyone('whoever the reminder was for: checked against the case (and the reminder) by the reminder actions');

/**
 * A reminder may sit in the coordinators' channel: the case card or form goes to the clicker's own
 * chat, as its base view (refreshing into `view` for them), never as a card with details.
 */
async function show(d: ReminderDeps, ctx: TurnContext, caseId: string, view: ChatView, r: Reply): Promise<void> {
  if (r.kind !== 'card') {
    replyToCard(ctx, { kind: 'message', text: r.kind === 'message' ? r.text : r.message });
    return;
  }
  if (isPersonalChat(ctx)) {
    await sendCaseHere(d.chat, ctx, caseId, view);
    replyToCard(ctx, { kind: 'message', text: 'Opened below.' });
    return;
  }
  replyToCard(ctx, { kind: 'message', text: (await sendCasePrivately(d.chat, ctx, caseId, view)) ? IN_YOUR_CHAT : OPEN_A_CHAT });
}

async function follow(d: ReminderDeps, ctx: TurnContext, r: ReminderActionResult): Promise<void> {
  switch (r.kind) {
    case 'refused':
      replyToCard(ctx, { kind: 'message', text: r.message });
      return;
    case 'card':
      replyToCard(ctx, { kind: 'card', card: r.card });
      return;
    case 'openCase':
      await show(d, ctx, r.caseId, 'case', await d.progress.openCase(actorOf(ctx), r.caseId));
      return;
    case 'logContact':
      await show(d, ctx, r.caseId, 'contact', await d.progress.form(actorOf(ctx), r.caseId, 'contact'));
      return;
  }
}

/** A reminder button: the reminder action decides against the case, then the answer is shown where it belongs. */
function reminderVerb<T>(verb: string, schema: z.ZodType<T>, act: (d: ReminderDeps, who: DomainActor, data: T) => Promise<ReminderActionResult>) {
  return (d: ReminderDeps): CardVerb =>
    defineVerb({ verb, schema, who: REMINDED, handle: async (ctx, data) => follow(d, ctx, await act(d, await d.roles(actorOf(ctx)), data)) });
}

export const reminderOpen = reminderVerb(REMINDER_VERBS.open, caseData, (d, who, data) => d.reminders.open(who, data.caseId));
export const reminderLogContact = reminderVerb(REMINDER_VERBS.logContact, caseData, (d, who, data) => d.reminders.logContact(who, data.caseId));
export const reminderSnooze = reminderVerb(REMINDER_VERBS.snooze, snoozeData, (d, who, data) => d.reminders.snooze(who, data.reminderKey, data.caseId, data.reminderId));
