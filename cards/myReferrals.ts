import { OFFENCE_TYPES, type CaseStage, type OffenceType } from '../src/domain/vocabulary';
import { card, execute, heading, para, subtle, type AdaptiveCard, type CardElement } from './adaptive';
import { VERBS } from './verbs';

export interface ReferralListItem {
  reference: string;
  submittedOn: string;
  stage: CaseStage;
  /** So an officer with many referrals can tell them apart without opening each. */
  offenceType: OffenceType;
}

/** What a referrer may know of a stage: the status, nothing confidential. */
export function referrerStatus(stage: CaseStage): string {
  switch (stage) {
    case 'referred':
      return 'Awaiting triage';
    case 'declined':
      return 'Declined by the service';
    case 'closed':
      return 'Closed';
    case 'accepted':
    case 'assigning':
      return 'Accepted; facilitators being assigned';
    default:
      return 'In progress with facilitators';
  }
}

export function myReferralsCard(items: readonly ReferralListItem[], more: boolean): AdaptiveCard {
  const body: CardElement[] = [heading('Your referrals')];
  if (items.length === 0) {
    body.push(para('You have not made any referrals yet.'));
  } else {
    // One short block per referral rather than a three-column FactSet, which a phone squeezes.
    for (const i of items) {
      body.push({
        type: 'Container',
        separator: true,
        items: [para(`**${i.reference}** · ${OFFENCE_TYPES[i.offenceType]}`), subtle(`Referred ${i.submittedOn} · ${referrerStatus(i.stage)}`)],
      });
    }
    if (more) body.push(subtle(`Showing your ${items.length} most recent referrals.`));
  }
  return card(body, [execute('Make a referral', VERBS.startReferral)]);
}
