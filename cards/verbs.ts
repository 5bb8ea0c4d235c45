/** Every card verb the bot understands; the composition root routes each to one handler. */
export const VERBS = {
  startReferral: 'referral.start',
  myReferrals: 'referral.mine',
  help: 'help',
  screeningAnswer: 'screening.answer',
  screeningRemind: 'screening.remind',
  screeningNoRemind: 'screening.noRemind',
  submitReferral: 'referral.submit',
  cancelReferral: 'referral.cancel',
} as const;
export type Verb = (typeof VERBS)[keyof typeof VERBS];
