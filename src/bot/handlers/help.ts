import type { TurnContext } from 'botbuilder';
import type { DialogSet } from 'botbuilder-dialogs';
import { staffHelpCard } from '../../../cards/help';
import { welcomeCard } from '../../../cards/welcome';
import type { Actor } from '../../app/actor';
import type { Actor as DomainActor } from '../../domain/permissions';
import { anyone, defineCommand, helpFor, type HelpScope, type TextCommand } from '../registry';
import { actorOf } from '../turn';
import { sendCard } from './replies';

/** `help`: what this person may do, by their roles in the roster, where they asked. */
export interface HelpDeps {
  /** Roles as the roster has them now (StaffRoles.of), as every command reads them. */
  roles: (actor: Actor) => Promise<DomainActor>;
  /** The registry's whole command list (help included): the lines are derived from it. */
  commands: () => readonly TextCommand[];
  dialogs: DialogSet;
  /** The Fair Processing Notice, linked from the welcome card a referrer gets. */
  privacyUrl?: () => string | undefined;
}

function scopeOf(ctx: TurnContext): HelpScope {
  const type = ctx.activity.conversation.conversationType ?? 'personal';
  if (type === 'channel') return 'team';
  return type === 'groupChat' ? 'groupChat' : 'personal';
}

async function help(d: HelpDeps, ctx: TurnContext): Promise<void> {
  const who = await d.roles(actorOf(ctx));
  const scope = scopeOf(ctx);
  if (!who.coordinator && !who.facilitator) {
    await sendCard(ctx, welcomeCard(scope === 'personal' ? 'personal' : 'elsewhere', d.privacyUrl?.()));
  } else {
    const here = helpFor(d.commands(), who, scope);
    const inPrivate = scope === 'personal' ? [] : helpFor(d.commands(), who, 'personal').filter((h) => !here.some((x) => x.title === h.title));
    await sendCard(ctx, staffHelpCard({
      coordinator: who.coordinator,
      facilitator: who.facilitator,
      where: scope,
      commands: here.map((h) => ({ usage: h.usage ?? h.title, description: h.description })),
      onlyInPrivate: inPrivate.map((h) => h.usage ?? h.title),
    }));
  }
  const dc = await d.dialogs.createContext(ctx);
  if (dc.activeDialog) await ctx.sendActivity('You have a referral in progress: answer the question above, or type **cancel** to stop.');
}

export const helpCommand = (d: HelpDeps): TextCommand =>
  defineCommand({
    texts: ['help', 'hi', 'hello'],
    who: anyone('everyone: the answer depends on their roles in the roster'),
    help: { title: 'help', description: 'What you can do here', audience: ['everyone'], scopes: ['personal', 'team', 'groupChat'] },
    handle: (ctx) => help(d, ctx),
  });
