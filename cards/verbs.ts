/** Every card verb the bot understands; the composition root routes each to one handler. */
export const VERBS = {
  startReferral: 'referral.start',
  myReferrals: 'referral.mine',
  screeningAnswer: 'screening.answer',
  screeningRemind: 'screening.remind',
  screeningNoRemind: 'screening.noRemind',
  submitReferral: 'referral.submit',
  cancelReferral: 'referral.cancel',
} as const;
export type Verb = (typeof VERBS)[keyof typeof VERBS];

/** Triage and assignment verbs (coordinators' channel, facilitators' offers, roster). */
export const CASE_VERBS = {
  triageAccept: 'triage.accept',
  triageDecline: 'triage.decline',
  openCase: 'case.open',
  /** The refresh of a case message in someone's chat (cards/caseBase.ts): their own view of the details. */
  viewCase: 'case.view',
  assignStart: 'assign.start',
  assignConfirm: 'assign.confirm',
  offerAccept: 'offer.accept',
  offerDecline: 'offer.decline',
  offerRefresh: 'offer.refresh',
  rosterAdd: 'roster.add',
  rosterUpdate: 'roster.update',
  rosterHistory: 'roster.history',
  auditPage: 'audit.page',
  legalHoldPlace: 'retention.hold',
  legalHoldCancel: 'retention.holdCancel',
  erasureRecord: 'erasure.record',
  erasureCancel: 'erasure.cancel',
  erasureErase: 'erasure.erase',
  erasureRefuse: 'erasure.refuse',
  erasureView: 'erasure.view',
  /** The roster card again: help's Roster button, and Cancel on a removal's confirmation. */
  rosterShow: 'roster.show',
  /** Cancel on the assign and replace forms: the card they came from, unchanged. */
  assignCancel: 'assign.cancel',
} as const;

/**
 * Verb names that cards already posted in Teams still carry after a rename (chat history keeps old
 * cards): each is registered as an alias of the verb that replaced it, never emitted by a card now.
 */
export const RETIRED_VERBS = {
  /** The case card's "open" before it and the coordinators' card's "Open" became one verb, CASE_VERBS.openCase. */
  progressCase: 'progress.case',
} as const;
