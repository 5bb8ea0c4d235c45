import type { AdaptiveCard } from '../../../cards/adaptive';
import type { Actor } from '../actor';
import type { CaseCardViews } from '../caseCardView';
import type { CaseLists } from '../caseLists';
import type { Messenger } from '../messenger';
import type { ProgressRunner } from '../progressRunner';
import type { Reply } from '../reply';
import { logContact } from './contact';
import { confirmWithdrawal, recordConsent } from './consent';
import { recordRisk, signOffRisk } from './risk';
import { recordOutcome, scheduleConference } from './conference';
import { chooseIndirect } from './indirect';
import { reviewAgreement } from './agreement';
import { close, reopen } from './closing';

type FormSave = (actor: Actor, caseId: string, values: Record<string, string>, nonce?: string) => Promise<Reply>;
type CaseAction = (actor: Actor, caseId: string) => Promise<Reply>;

/**
 * Case progress as the bot uses it: the case card, its forms and the lists (reads, CaseCardViews and
 * CaseLists) and one use case per command (./contact, ./consent, ...), each run by the ProgressRunner.
 */
export interface ProgressUseCases {
  openCase: CaseCardViews['openCase'];
  form: CaseCardViews['form'];
  correctionForm: CaseCardViews['correctionForm'];
  list: CaseLists['list'];
  logContact: FormSave;
  recordConsent: FormSave;
  recordRisk: FormSave;
  signOffRisk: CaseAction;
  scheduleConference: FormSave;
  chooseIndirect: FormSave;
  recordOutcome: FormSave;
  reviewAgreement: CaseAction;
  close: FormSave;
  confirmWithdrawal: (actor: Actor, caseId: string, party: string) => Promise<Reply>;
  reopen: FormSave;
  /**
   * A card that holds no case details (a case list) for the actor's eyes, in their 1:1 chat; false
   * when it could not be sent. Case cards go through DetailsCards instead, as base views.
   */
  sendListPrivately: (actor: Actor, card: AdaptiveCard) => Promise<boolean>;
}

export function progressUseCases(d: { views: CaseCardViews; lists: CaseLists; runner: ProgressRunner; messenger: Pick<Messenger, 'sendToUser'> }): ProgressUseCases {
  const r = d.runner;
  return {
    openCase: (actor, caseId, message, seenAs) => d.views.openCase(actor, caseId, message, seenAs),
    form: (actor, caseId, kind, preset) => d.views.form(actor, caseId, kind, preset),
    correctionForm: (actor, caseId, party) => d.views.correctionForm(actor, caseId, party),
    list: (actor, kind, filters) => d.lists.list(actor, kind, filters),
    logContact: (actor, caseId, values, nonce) => logContact(r, actor, caseId, values, nonce),
    recordConsent: (actor, caseId, values, nonce) => recordConsent(r, actor, caseId, values, nonce),
    recordRisk: (actor, caseId, values, nonce) => recordRisk(r, actor, caseId, values, nonce),
    signOffRisk: (actor, caseId) => signOffRisk(r, actor, caseId),
    scheduleConference: (actor, caseId, values, nonce) => scheduleConference(r, actor, caseId, values, nonce),
    chooseIndirect: (actor, caseId, values, nonce) => chooseIndirect(r, actor, caseId, values, nonce),
    recordOutcome: (actor, caseId, values, nonce) => recordOutcome(r, actor, caseId, values, nonce),
    reviewAgreement: (actor, caseId) => reviewAgreement(r, actor, caseId),
    close: (actor, caseId, values, nonce) => close(r, actor, caseId, values, nonce),
    confirmWithdrawal: (actor, caseId, party) => confirmWithdrawal(r, actor, caseId, party),
    reopen: (actor, caseId, values, nonce) => reopen(r, actor, caseId, values, nonce),
    sendListPrivately: async (actor, card) => (await d.messenger.sendToUser(actor.tenantId, actor.aadObjectId, card)).ok,
  };
}
