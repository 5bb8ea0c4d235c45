import { card, execute, facts, heading, para, subtle, type AdaptiveCard } from './adaptive';
import { CASE_VERBS } from './verbs';

/**
 * What a case message in someone's chat may hold once it is in Teams' history (issue 10, item 1):
 * the reference, the stage and Open. The details come only through Universal Actions `refresh`, for
 * the people named in `userIds`, fetched when they look; Teams keeps that view on their device for
 * them alone, never in the message.
 */

/** What a refresh shows: the case card, or one of its forms (a form typed for, or opened from a reminder). */
export const CHAT_VIEWS = ['case', 'contact', 'consent', 'risk', 'conference', 'indirect', 'outcome', 'close', 'reopen'] as const;
export type ChatView = (typeof CHAT_VIEWS)[number];

export interface CaseBaseView {
  caseId: string;
  reference: string;
  stageLabel: string;
  view: ChatView;
  /** Teams ids (`29:…`) of the readers who may see the details now: their clients refresh to them. */
  userIds: string[];
}

export function caseBaseCard(v: CaseBaseView): AdaptiveCard {
  const c = card(
    [
      heading(`Case ${v.reference}`),
      facts([['Stage', v.stageLabel]]),
      subtle('The details show only to the people working on this case, when they open it.'),
    ],
    [execute('Open', CASE_VERBS.openCase, { caseId: v.caseId }, { associatedInputs: 'none' })],
  );
  c.refresh = { action: execute('Refresh', CASE_VERBS.viewCase, { caseId: v.caseId, view: v.view }, { associatedInputs: 'none' }), userIds: v.userIds };
  return c;
}

/** What a reader who lost access sees, in the message and at any refresh: the reference only (none for an unknown case). */
export function caseUnavailableCard(reference: string | undefined): AdaptiveCard {
  return card([
    heading(reference ? `Case ${reference}` : 'Case'),
    para('This case is no longer available to you.'),
    subtle('You are not working on it now, or it has closed. A coordinator can tell you more.'),
  ]);
}
