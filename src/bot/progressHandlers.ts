import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { attachment } from '../../cards/adaptive';
import type { ListKind } from '../../cards/progressCards';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import type { Reply } from '../app/caseWorkflow';
import { PARTIES } from '../domain/caseState';
import { CASE_STAGES, type CaseStage } from '../domain/vocabulary';
import type { CaseProgressService, FormKind } from '../app/caseProgress';
import type { Logger } from '../log';
import { cardChoice, verb, type VerbRoute, type CommandHandler, type PatternRoute } from './router';
import { actorOf, isPersonalChat, replyToCard, type CardReply } from './turn';

export interface ProgressHandlerDeps {
  progress: CaseProgressService;
  log: Logger;
}

const PRIVATE_ONLY = 'Case details are only shown in your 1:1 chat with RJ Referrals: type the same there.';

const id = z.string().trim().min(1).max(64);
/**
 * Card inputs arrive beside the action's own data; only strings are form values. `formNonce` is the
 * form card's own (see FormView.nonce); a submit without one gets the form back with a fresh one.
 */
const formData = z.object({ caseId: id, formNonce: z.uuid().optional() }).catchall(z.unknown());
const NOT_VALUES: ReadonlySet<string> = new Set(['verb', 'caseId', 'formNonce']);
const caseData = z.object({ caseId: id }).passthrough();
const openFormData = z.object({ caseId: id, party: z.enum(PARTIES).optional() }).passthrough();
const partyData = z.object({ caseId: id, party: z.enum(PARTIES) }).passthrough();
const listData = z
  .object({
    list: z.enum(['mine', 'all', 'overdue']),
    page: z.coerce.number().int().min(1).max(1000).optional(),
    stage: cardChoice(Object.keys(CASE_STAGES) as [CaseStage, ...CaseStage[]]),
    facilitator: z.string().max(64).optional(),
    overdue: cardChoice(['all', 'overdue'] as const),
  })
  .passthrough();

function values(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string' && !NOT_VALUES.has(k)) out[k] = v;
  return out;
}


function toCardReply(r: Reply): CardReply {
  if (r.kind === 'card') return { kind: 'card', card: r.card };
  return r.kind === 'message' ? { kind: 'message', text: r.text } : { kind: 'message', text: r.message, refused: true };
}

async function say(ctx: TurnContext, r: Reply): Promise<void> {
  if (r.kind === 'card') await ctx.sendActivity({ type: 'message', attachments: [attachment(r.card)] });
  else await ctx.sendActivity(r.kind === 'message' ? r.text : r.message);
}

/** Typed commands: `case RJ-…`, `contact RJ-…`, `my cases`, `cases`, `overdue`; all 1:1 only. */
export function progressCommands(d: ProgressHandlerDeps): { commands: [string, CommandHandler][]; patterns: PatternRoute[] } {
  const privately = async (ctx: TurnContext, fn: () => Promise<Reply>) => {
    if (!isPersonalChat(ctx)) {
      await ctx.sendActivity(PRIVATE_ONLY);
      return;
    }
    await say(ctx, await fn());
  };
  const list = (kind: ListKind): CommandHandler => (ctx) => privately(ctx, () => d.progress.list(actorOf(ctx), kind));
  return {
    commands: [
      ['my cases', list('mine')],
      ['cases', list('all')],
      ['all cases', list('all')],
      ['overdue', list('overdue')],
    ],
    patterns: [
      { pattern: /^case (rj-\d{4}-\d{4,})$/, handle: (ctx, m) => privately(ctx, () => d.progress.openCase(actorOf(ctx), m[1]!.toUpperCase())) },
      { pattern: /^contact (rj-\d{4}-\d{4,})$/, handle: (ctx, m) => privately(ctx, () => d.progress.form(actorOf(ctx), m[1]!.toUpperCase(), 'contact')) },
    ],
  };
}

/** Card verbs of the case card, its forms and the lists; each answers by replacing the clicked card. */
export function progressVerbs(d: ProgressHandlerDeps): [string, VerbRoute][] {
  const reply = (ctx: TurnContext, r: Reply) => replyToCard(ctx, toCardReply(r));
  /** Case cards never show in a channel: a click there sends the card to the clicker's 1:1 chat. */
  const inPrivate = <T>(fn: (ctx: TurnContext, data: T) => Promise<Reply>) => async (ctx: TurnContext, data: T) => {
    if (isPersonalChat(ctx)) {
      reply(ctx, await fn(ctx, data));
      return;
    }
    const r = await fn(ctx, data);
    if (r.kind !== 'card') {
      reply(ctx, r);
      return;
    }
    const sent = await d.progress.sendPrivately(actorOf(ctx), r.card);
    reply(ctx, { kind: 'message', text: sent ? 'The case is in your 1:1 chat with RJ Referrals.' : 'Open a 1:1 chat with RJ Referrals first, then try again.' });
  };
  const form = (kind: FormKind) => verb(openFormData, inPrivate<z.infer<typeof openFormData>>((ctx, data) => d.progress.form(actorOf(ctx), data.caseId, kind, data.party ? { party: data.party } : {})));
  const save = (fn: (ctx: TurnContext, caseId: string, v: Record<string, string>, nonce: string | undefined) => Promise<Reply>) =>
    verb(formData, inPrivate<z.infer<typeof formData>>((ctx, data) => fn(ctx, data.caseId, values(data), data.formNonce)));
  const p = d.progress;
  return [
    [PROGRESS_VERBS.openCase, verb(caseData, inPrivate<z.infer<typeof caseData>>((ctx, data) => p.openCase(actorOf(ctx), data.caseId)))],
    [PROGRESS_VERBS.contactForm, form('contact')],
    [PROGRESS_VERBS.contactSave, save((ctx, caseId, v, nonce) => p.logContact(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.contactCorrect, verb(partyData, inPrivate<z.infer<typeof partyData>>((ctx, data) => p.correctionForm(actorOf(ctx), data.caseId, data.party)))],
    [PROGRESS_VERBS.consentForm, form('consent')],
    [PROGRESS_VERBS.consentSave, save((ctx, caseId, v, nonce) => p.recordConsent(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.riskForm, form('risk')],
    [PROGRESS_VERBS.riskSave, save((ctx, caseId, v, nonce) => p.recordRisk(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.riskSignOff, verb(caseData, inPrivate<z.infer<typeof caseData>>((ctx, data) => p.signOffRisk(actorOf(ctx), data.caseId)))],
    [PROGRESS_VERBS.conferenceForm, form('conference')],
    [PROGRESS_VERBS.conferenceSave, save((ctx, caseId, v, nonce) => p.scheduleConference(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.indirectForm, form('indirect')],
    [PROGRESS_VERBS.indirectSave, save((ctx, caseId, v, nonce) => p.chooseIndirect(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.outcomeForm, form('outcome')],
    [PROGRESS_VERBS.outcomeSave, save((ctx, caseId, v, nonce) => p.recordOutcome(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.agreementReviewed, verb(caseData, inPrivate<z.infer<typeof caseData>>((ctx, data) => p.reviewAgreement(actorOf(ctx), data.caseId)))],
    [PROGRESS_VERBS.closeForm, form('close')],
    [PROGRESS_VERBS.closeSave, save((ctx, caseId, v, nonce) => p.close(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.confirmWithdrawal, verb(partyData, inPrivate<z.infer<typeof partyData>>((ctx, data) => p.confirmWithdrawal(actorOf(ctx), data.caseId, data.party)))],
    [PROGRESS_VERBS.reopenForm, form('reopen')],
    [PROGRESS_VERBS.reopenSave, save((ctx, caseId, v, nonce) => p.reopen(actorOf(ctx), caseId, v, nonce))],
    [PROGRESS_VERBS.list, verb(listData, inPrivate<z.infer<typeof listData>>((ctx, data) =>
      p.list(actorOf(ctx), data.list, { page: data.page, stage: data.stage || undefined, facilitator: data.facilitator || undefined, overdue: data.overdue || undefined })))],
  ];
}

/**
 * The richer case card for the existing "Open case" verb (CASE_VERBS.openCase on the coordinators'
 * channel card): listed after caseVerbs it replaces the older details card.
 */
export function progressOpenCase(d: ProgressHandlerDeps): VerbRoute {
  const route = progressVerbs(d).find(([v]) => v === PROGRESS_VERBS.openCase);
  if (!route) throw new Error('progressOpenCase: the open-case route is missing');
  return route[1];
}
