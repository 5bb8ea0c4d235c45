import { card, execute, heading, para, subtle, type AdaptiveCard } from './adaptive';
import { VERBS } from './verbs';

/**
 * What the service is and who can be referred. Outside a 1:1 chat (a referrer's `help` in a channel)
 * it has no buttons: referrals are made only in a 1:1 chat, so it says where instead.
 */
export function welcomeCard(where: 'personal' | 'elsewhere' = 'personal', privacyUrl?: string): AdaptiveCard {
  if (where !== 'personal') {
    return card([
      heading('RJ Referrals'),
      para('Refer a case to the restorative justice service, and follow your referrals.'),
      para('For privacy, referrals are made in a 1:1 chat with me: open a chat with **RJ Referrals** (Apps, then RJ Referrals) and type **refer** there.'),
    ], privacyUrl ? [{ type: 'Action.OpenUrl', title: 'How we use data', url: privacyUrl }] : []);
  }
  return card(
    [
      heading('RJ Referrals'),
      para(
        'Refer a case to the restorative justice service. Restorative justice lets the person harmed by a crime ' +
          'and the person responsible communicate, safely and voluntarily, with trained facilitators.',
      ),
      para('**Who can be referred**', { spacing: 'Medium' }),
      para(
        '- The offender has been sentenced and the legal process is over\n' +
          '- They have admitted the offence and accepted responsibility\n' +
          '- There is an identifiable harmed person, and a perpetrator was arrested\n' +
          '- The crime involves London residents\n' +
          '- Not stalking or child abuse where the harmed person is under 18',
      ),
      subtle('A few yes/no questions check this first (you can answer "not sure"). Type **cancel** at any time to stop; nothing is saved until you submit the form.'),
    ],
    [
      execute('Make a referral', VERBS.startReferral, {}, { style: 'positive' }),
      execute('My referrals', VERBS.myReferrals),
      ...(privacyUrl ? [{ type: 'Action.OpenUrl' as const, title: 'How we use data', url: privacyUrl }] : []),
    ],
  );
}
