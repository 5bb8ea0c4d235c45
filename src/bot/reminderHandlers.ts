import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { REMINDER_VERBS } from '../../cards/reminders';
import type { CaseProgressService } from '../app/caseProgress';
import type { CaseWorkflow, Reply } from '../app/caseWorkflow';
import type { ReminderActions, ReminderActionResult } from '../reminders';
import { verb, type VerbRoute } from './router';
import { actorOf, isPersonalChat, replyToCard } from './turn';

export interface ReminderHandlerDeps {
  reminders: ReminderActions;
  workflow: CaseWorkflow;
  progress: CaseProgressService;
}

const id = z.string().trim().min(1).max(64);
const caseData = z.object({ caseId: id }).passthrough();
const snoozeData = z.object({ caseId: id, reminderKey: z.string().trim().min(1).max(400) }).passthrough();

/** The buttons on reminder cards: each checked against the case before anything is shown or moved. */
export function reminderVerbs(d: ReminderHandlerDeps): [string, VerbRoute][] {
  /** A reminder may sit in the coordinators' channel: case cards and forms go to the clicker's own chat. */
  const show = async (ctx: TurnContext, r: Reply): Promise<void> => {
    if (r.kind !== 'card') {
      replyToCard(ctx, { kind: 'message', text: r.kind === 'message' ? r.text : r.message });
      return;
    }
    if (isPersonalChat(ctx)) {
      await ctx.sendActivity({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: r.card }] });
      replyToCard(ctx, { kind: 'message', text: 'Opened below.' });
      return;
    }
    const sent = await d.progress.sendPrivately(actorOf(ctx), r.card);
    replyToCard(ctx, { kind: 'message', text: sent ? 'The case is in your 1:1 chat with RJ Referrals.' : 'Open a 1:1 chat with RJ Referrals first, then try again.' });
  };
  const follow = async (ctx: TurnContext, r: ReminderActionResult): Promise<void> => {
    switch (r.kind) {
      case 'refused':
        replyToCard(ctx, { kind: 'message', text: r.message });
        return;
      case 'card':
        replyToCard(ctx, { kind: 'card', card: r.card });
        return;
      case 'openCase':
        await show(ctx, await d.progress.openCase(actorOf(ctx), r.caseId));
        return;
      case 'logContact':
        await show(ctx, await d.progress.form(actorOf(ctx), r.caseId, 'contact'));
        return;
    }
  };
  const who = (ctx: TurnContext) => d.workflow.domainActor(actorOf(ctx));
  return [
    [REMINDER_VERBS.open, verb(caseData, async (ctx, data) => follow(ctx, await d.reminders.open(await who(ctx), data.caseId)))],
    [REMINDER_VERBS.logContact, verb(caseData, async (ctx, data) => follow(ctx, await d.reminders.logContact(await who(ctx), data.caseId)))],
    [REMINDER_VERBS.snooze, verb(snoozeData, async (ctx, data) => follow(ctx, await d.reminders.snooze(await who(ctx), data.reminderKey, data.caseId)))],
  ];
}
