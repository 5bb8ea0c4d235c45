import { card, execute, heading, para, subtle, type AdaptiveCard, type CardElement, type ExecuteAction } from './adaptive';
import { PROGRESS_VERBS } from './progressVerbs';
import { CASE_VERBS, VERBS } from './verbs';

/** One line of `help`: how to type the command and what it does (from the command registry). */
export interface HelpLine {
  usage: string;
  description: string;
}

export interface StaffHelpView {
  coordinator: boolean;
  facilitator: boolean;
  /** Where help was asked: buttons and commands are those that work there. */
  where: 'personal' | 'team' | 'groupChat';
  /** The person's commands that work here, in the registry's order. */
  commands: HelpLine[];
  /** Their commands that work only in a 1:1 chat (asked in a channel or group chat). */
  onlyInPrivate: string[];
}

function rolesLine(v: StaffHelpView): string {
  if (v.coordinator && v.facilitator) return 'You are a coordinator and a facilitator.';
  return v.coordinator ? 'You are a coordinator.' : 'You are a facilitator.';
}

/**
 * `help` for people on the roster: what their roles let them do, here. A coordinator asking in the
 * channel gets the channel's commands, and is told which others work in their 1:1 chat; nothing on
 * it is a button that only answers "use a 1:1 chat".
 */
export function staffHelpCard(v: StaffHelpView): AdaptiveCard {
  const body: CardElement[] = [
    heading('What you can do'),
    para(rolesLine(v)),
    para(v.commands.map((c) => `- **${c.usage}**: ${c.description}`).join('\n')),
  ];
  if (v.onlyInPrivate.length > 0) {
    body.push(subtle(`In your 1:1 chat with me: ${v.onlyInPrivate.map((c) => `**${c}**`).join(', ')}. Case details are only shown there.`));
  }
  const actions: ExecuteAction[] = [];
  if (v.coordinator) {
    actions.push(
      execute('Open cases', PROGRESS_VERBS.list, { list: 'all', page: 1 }, { associatedInputs: 'none' }),
      execute('Overdue', PROGRESS_VERBS.list, { list: 'overdue', page: 1 }, { associatedInputs: 'none' }),
      execute('Roster', CASE_VERBS.rosterShow, {}, { associatedInputs: 'none' }),
    );
  }
  if (v.facilitator) actions.push(execute('My cases', PROGRESS_VERBS.list, { list: 'mine', page: 1 }, { associatedInputs: 'none' }));
  if (v.where === 'personal') actions.push(execute('Make a referral', VERBS.startReferral, {}, { associatedInputs: 'none' }));
  // Rows of at most three, so no title is cut on a phone.
  for (let k = 0; k < actions.length; k += 3) body.push({ type: 'ActionSet', actions: actions.slice(k, k + 3), spacing: k === 0 ? 'Medium' : 'Small' });
  return card(body);
}
