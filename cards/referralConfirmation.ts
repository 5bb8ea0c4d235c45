import { card, execute, facts, heading, para, subtle, type AdaptiveCard, type CardElement } from './adaptive';
import { VERBS } from './verbs';

export interface ConfirmationView {
  reference: string;
  needsReview: boolean;
  complex: boolean;
  extraCare: boolean;
}

export function referralConfirmationCard(v: ConfirmationView): AdaptiveCard {
  const body: CardElement[] = [
    heading('Thank you: referral received'),
    facts([
      ['Case reference', v.reference],
      ['Status', v.needsReview ? 'Awaiting coordinator review' : 'Awaiting triage'],
    ]),
    para('**What happens next**', { spacing: 'Medium' }),
    para(
      (v.needsReview
        ? 'Because some answers were "not sure", a coordinator will first check that the case fits the service. '
        : '') +
        'A coordinator will triage the referral, usually within 3 working days, and then assign two trained volunteer facilitators. ' +
        'You will hear when the case is accepted and when it closes. Quote the case reference if you contact the service.',
    ),
  ];
  const notes: string[] = [];
  if (v.complex) notes.push('This is a complex case: it will be given experienced facilitators.');
  if (v.extraCare) notes.push('This case is flagged for extra care under practice guidance for stalking and abuse cases.');
  if (notes.length > 0) body.push(subtle(notes.join(' ')));
  return card(body, [execute('My referrals', VERBS.myReferrals)]);
}
