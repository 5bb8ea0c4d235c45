import { callout, card, execute, heading, para, plain, subtle, type AdaptiveCard } from './adaptive';
import { CASE_VERBS } from './verbs';

/** The coordinators' channel check: confirming or cancelling a registration that needs a second look. */
export const CHANNEL_VERBS = {
  confirm: 'channel.confirm',
  cancel: 'channel.cancel',
} as const;

/** At most this many names are listed; the rest are counted, so the card stays short on a phone. */
const NAMES_SHOWN = 10;

function nameList(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).map((n) => `- ${plain(n)}`);
  if (names.length > NAMES_SHOWN) shown.push(`- and ${names.length - NAMES_SHOWN} more`);
  return shown.join('\n');
}

/**
 * "Use this channel for referrals" when some members of the team are not on the roster: every new
 * referral's card would be seen by them, so the coordinator confirms knowingly (or cancels).
 */
export function channelCheckCard(v: { notOnRoster: readonly string[]; members: number }): AdaptiveCard {
  const n = v.notOnRoster.length;
  return card(
    [
      heading('Use this channel for referrals?'),
      callout('warning', `${n === 1 ? '1 member of this team is' : `${n} members of this team are`} not on the RJ roster. Everyone in the team will see the card of each new referral posted here.`),
      para(nameList(v.notOnRoster), { spacing: 'Small' }),
      subtle(`${v.members} members checked in Teams. Add people who should be here to the roster (roster add @name), or remove those who should not from the team, then confirm.`),
    ],
    [
      execute('Confirm', CHANNEL_VERBS.confirm, {}, { style: 'positive' }),
      execute('Cancel', CHANNEL_VERBS.cancel),
    ],
  );
}

/** What the check card becomes once answered, so its buttons cannot be pressed twice. */
export function channelCheckAnsweredCard(text: string): AdaptiveCard {
  return card([para(text)]);
}

/**
 * A case waiting on a coordinator (a high risk to sign off, a withdrawal to confirm), posted in the
 * case's thread (or to each coordinator): the reference, what it waits for, and the step's own button.
 * Nothing personal: the details open in the clicker's 1:1 chat.
 */
export function coordinatorWaitCard(v: { caseId: string; reference: string; waiting: string; action: { title: string; verb: string; data: Record<string, string> } }): AdaptiveCard {
  return card(
    [para(`**${v.reference}** needs a coordinator`, { weight: 'Bolder' }), callout('warning', v.waiting)],
    [
      execute(v.action.title, v.action.verb, { caseId: v.caseId, ...v.action.data }, { style: 'positive' }),
      execute('Open case', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' }),
    ],
  );
}
