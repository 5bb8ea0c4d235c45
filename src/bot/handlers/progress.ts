import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { ListKind } from '../../../cards/progressCards';
import { execute } from '../../../cards/adaptive';
import { PROGRESS_VERBS } from '../../../cards/progressVerbs';
import { CASE_VERBS, RETIRED_VERBS } from '../../../cards/verbs';
import type { FormKind } from '../../app/caseCardView';
import type { ProgressUseCases } from '../../app/progress';
import type { Actor } from '../../app/actor';
import type { Reply } from '../../app/reply';
import { PARTIES } from '../../domain/caseState';
import { CASE_STAGES, type CaseStage } from '../../domain/vocabulary';
import { anyone, defineCommand, type CommandHelp, definePatternCommand, defineVerb, type CardVerb, type TextCommand } from '../registry';
import { cardChoice } from '../router';
import { actorOf, isPersonalChat } from '../turn';
import { answerOnCard, IN_YOUR_CHAT, OPEN_A_CHAT, readerOf, recordAnswerShown, sayCasePrivately, sayPrivately, sendCasePrivately, type CaseChat } from './replies';
import { CHAT_VIEWS, type ChatView } from '../../../cards/caseBase';

/** The case card, its forms and the case lists. */
export interface ProgressDeps {
  progress: ProgressUseCases;
  chat: CaseChat;
}

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
/** "Correct last contact" names no party: the latest contact logged is corrected (older cards name one). */
const correctData = z.object({ caseId: id, party: z.enum(PARTIES).optional() }).passthrough();
const listData = z
  .object({
    list: z.enum(['mine', 'all', 'overdue']),
    page: z.coerce.number().int().min(1).max(1000).optional(),
    stage: cardChoice(Object.keys(CASE_STAGES) as [CaseStage, ...CaseStage[]]),
    facilitator: z.string().max(64).optional(),
    overdue: cardChoice(['all', 'overdue'] as const),
  })
  .passthrough();

/** Case cards show whom they may: the use case checks the viewer against the case on every click. */
const CASE_PEOPLE = anyone("the case's facilitators and coordinators (the referrer sees the status): checked against the case");
/** Which list decides who may see it (all cases: coordinators; my cases: facilitators); the use case checks. */
const LIST_READERS = anyone('facilitators and coordinators, by list: checked by the list use case');

function values(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string' && !NOT_VALUES.has(k)) out[k] = v;
  return out;
}

/**
 * Case cards never show in a channel: a click there sends the base view to the clicker's 1:1 chat
 * (refreshing into `view` for them). In the 1:1 chat the answer replaces the clicked message for the
 * clicker, and the message is recorded as showing the case.
 */
function inPrivate<T extends { caseId: string }>(d: ProgressDeps, view: ChatView, fn: (ctx: TurnContext, data: T) => Promise<Reply>) {
  return async (ctx: TurnContext, data: T): Promise<void> => {
    const r = await fn(ctx, data);
    if (isPersonalChat(ctx) || r.kind !== 'card') {
      answerOnCard(ctx, r);
      if (r.kind === 'card') await recordAnswerShown(d.chat, ctx, data.caseId);
      return;
    }
    answerOnCard(ctx, { kind: 'message', text: (await sendCasePrivately(d.chat, ctx, data.caseId, view)) ? IN_YOUR_CHAT : OPEN_A_CHAT });
  };
}

const listCommand = (d: ProgressDeps, texts: readonly [string, ...string[]], kind: ListKind, help: CommandHelp): TextCommand =>
  defineCommand({ texts, who: LIST_READERS, help, handle: (ctx) => sayPrivately(ctx, () => d.progress.list(actorOf(ctx), kind)) });

export const myCasesCommand = (d: ProgressDeps) =>
  listCommand(d, ['my cases'], 'mine', { title: 'my cases', description: 'Your open cases and what is due next', audience: ['facilitator'], scopes: ['personal'] });
export const casesCommand = (d: ProgressDeps) =>
  listCommand(d, ['cases', 'all cases'], 'all', { title: 'cases', description: 'All open cases, with filters by stage and facilitator', audience: ['coordinator'], scopes: ['personal'] });
export const overdueCommand = (d: ProgressDeps) =>
  listCommand(d, ['overdue'], 'overdue', { title: 'overdue', description: 'Cases with something overdue', audience: ['coordinator', 'facilitator'], scopes: ['personal'] });

/** `case RJ-2026-0007`: the case card in a 1:1 chat. */
export const caseCommand = (d: ProgressDeps): TextCommand =>
  definePatternCommand({
    pattern: /^case (rj-\d{4}-\d{4,})$/,
    who: CASE_PEOPLE,
    help: { title: 'case', usage: 'case RJ-2026-0007', description: 'Open a case: its stage, people, what is due and what you can do', audience: ['coordinator', 'facilitator'], scopes: ['personal'] },
    handle: (ctx, m) => sayCasePrivately(d.chat, ctx, m[1]!.toUpperCase(), 'case', () => d.progress.openCase(actorOf(ctx), m[1]!.toUpperCase())),
  });

/** `contact RJ-2026-0007`: the contact form in a 1:1 chat. */
export const contactCommand = (d: ProgressDeps): TextCommand =>
  definePatternCommand({
    pattern: /^contact (rj-\d{4}-\d{4,})$/,
    who: CASE_PEOPLE,
    help: { title: 'contact', usage: 'contact RJ-2026-0007', description: 'Log a contact with someone in a case', audience: ['coordinator', 'facilitator'], scopes: ['personal'] },
    handle: (ctx, m) => sayCasePrivately(d.chat, ctx, m[1]!.toUpperCase(), 'contact', () => d.progress.form(actorOf(ctx), m[1]!.toUpperCase(), 'contact')),
  });

/** The one verb that opens a case: the coordinators' channel card's Open, the case card's Refresh and Back, the lists. */
export const openCase = (d: ProgressDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.openCase,
    aliases: [RETIRED_VERBS.progressCase],
    schema: caseData,
    who: CASE_PEOPLE,
    handle: inPrivate(d, 'case', (ctx, data: z.infer<typeof caseData>) => d.progress.openCase(actorOf(ctx), data.caseId)),
  });

const viewData = z.object({ caseId: id, view: z.enum(CHAT_VIEWS).default('case') }).passthrough();

/**
 * The refresh of a case message (cards/caseBase.ts): Teams asks for it when a reader named in its
 * userIds looks at it. The details are read now and recorded in the access audit; a reader who may
 * no longer see the case, or a refresh outside a 1:1 chat, gets "no longer available to you".
 */
export const viewCase = (d: ProgressDeps): CardVerb =>
  defineVerb({
    verb: CASE_VERBS.viewCase,
    schema: viewData,
    who: CASE_PEOPLE,
    handle: async (ctx, data: z.infer<typeof viewData>) => {
      const reader = readerOf(ctx);
      if (!isPersonalChat(ctx) || !(await d.chat.details.mayView(reader.actor, data.caseId))) {
        answerOnCard(ctx, { kind: 'card', card: await d.chat.details.unavailableCard(data.caseId) });
        return;
      }
      const r = data.view === 'case'
        ? await d.progress.openCase(reader.actor, data.caseId, undefined, 'details_refresh')
        : await d.progress.form(reader.actor, data.caseId, data.view);
      if (r.kind === 'card' && data.view === 'case') {
        // The reader's own view refreshes again when they come back to it, so it shows the case as it is then.
        r.card.refresh = { action: execute('Refresh', CASE_VERBS.viewCase, { caseId: data.caseId, view: 'case' }, { associatedInputs: 'none' }), userIds: reader.teamsUserId ? [reader.teamsUserId] : [] };
      }
      answerOnCard(ctx, r);
      if (r.kind === 'card') await recordAnswerShown(d.chat, ctx, data.caseId);
    },
  });

/** A case-card button without form values: the use case answers with the case card (or a refusal on it). */
function caseVerb<T extends { caseId: string }>(d: ProgressDeps, verb: string, schema: z.ZodType<T>, act: (p: ProgressDeps['progress'], actor: Actor, data: T) => Promise<Reply>): CardVerb {
  return defineVerb({ verb, schema, who: CASE_PEOPLE, handle: inPrivate(d, 'case', (ctx, data: T) => act(d.progress, actorOf(ctx), data)) });
}

const formVerb = (d: ProgressDeps, verb: string, kind: FormKind): CardVerb =>
  defineVerb({
    verb,
    schema: openFormData,
    who: CASE_PEOPLE,
    handle: inPrivate(d, kind, (ctx, data: z.infer<typeof openFormData>) => d.progress.form(actorOf(ctx), data.caseId, kind, data.party ? { party: data.party } : {})),
  });

type Save = (p: ProgressDeps['progress'], ctx: TurnContext, caseId: string, v: Record<string, string>, nonce: string | undefined) => Promise<Reply>;
const saveVerb = (d: ProgressDeps, verb: string, save: Save): CardVerb =>
  defineVerb({
    verb,
    schema: formData,
    who: CASE_PEOPLE,
    handle: inPrivate(d, 'case', (ctx, data: z.infer<typeof formData>) => save(d.progress, ctx, data.caseId, values(data), data.formNonce)),
  });

export const contactForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.contactForm, 'contact');
export const contactSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.contactSave, (p, ctx, caseId, v, nonce) => p.logContact(actorOf(ctx), caseId, v, nonce));
export const contactCorrect = (d: ProgressDeps) => caseVerb(d, PROGRESS_VERBS.contactCorrect, correctData, (p, actor, data) => p.correctionForm(actor, data.caseId, data.party));
export const consentForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.consentForm, 'consent');
export const consentSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.consentSave, (p, ctx, caseId, v, nonce) => p.recordConsent(actorOf(ctx), caseId, v, nonce));
export const riskForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.riskForm, 'risk');
export const riskSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.riskSave, (p, ctx, caseId, v, nonce) => p.recordRisk(actorOf(ctx), caseId, v, nonce));
/** Coordinators only, but the lifecycle says so on the case card itself (with the case's own words). */
export const riskSignOff = (d: ProgressDeps) => caseVerb(d, PROGRESS_VERBS.riskSignOff, caseData, (p, actor, data) => p.signOffRisk(actor, data.caseId));
export const conferenceForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.conferenceForm, 'conference');
export const conferenceSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.conferenceSave, (p, ctx, caseId, v, nonce) => p.scheduleConference(actorOf(ctx), caseId, v, nonce));
export const indirectForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.indirectForm, 'indirect');
export const indirectSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.indirectSave, (p, ctx, caseId, v, nonce) => p.chooseIndirect(actorOf(ctx), caseId, v, nonce));
export const outcomeForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.outcomeForm, 'outcome');
export const outcomeSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.outcomeSave, (p, ctx, caseId, v, nonce) => p.recordOutcome(actorOf(ctx), caseId, v, nonce));
export const agreementReviewed = (d: ProgressDeps) => caseVerb(d, PROGRESS_VERBS.agreementReviewed, caseData, (p, actor, data) => p.reviewAgreement(actor, data.caseId));
export const closeForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.closeForm, 'close');
export const closeSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.closeSave, (p, ctx, caseId, v, nonce) => p.close(actorOf(ctx), caseId, v, nonce));
export const confirmWithdrawal = (d: ProgressDeps) => caseVerb(d, PROGRESS_VERBS.confirmWithdrawal, partyData, (p, actor, data) => p.confirmWithdrawal(actor, data.caseId, data.party));
export const reopenForm = (d: ProgressDeps) => formVerb(d, PROGRESS_VERBS.reopenForm, 'reopen');
export const reopenSave = (d: ProgressDeps) => saveVerb(d, PROGRESS_VERBS.reopenSave, (p, ctx, caseId, v, nonce) => p.reopen(actorOf(ctx), caseId, v, nonce));

/** Paging and filters of `my cases`, `cases` and `overdue`. */
export const caseList = (d: ProgressDeps): CardVerb =>
  defineVerb({
    verb: PROGRESS_VERBS.list,
    schema: listData,
    who: LIST_READERS,
    // Lists hold references, stages and staff names, never a participant's: a click in a channel sends the list itself to the clicker's chat.
    handle: async (ctx, data: z.infer<typeof listData>) => {
      const actor = actorOf(ctx);
      const r = await d.progress.list(actor, data.list, { page: data.page, stage: data.stage || undefined, facilitator: data.facilitator || undefined, overdue: data.overdue || undefined });
      if (isPersonalChat(ctx) || r.kind !== 'card') {
        answerOnCard(ctx, r);
        return;
      }
      answerOnCard(ctx, { kind: 'message', text: (await d.progress.sendListPrivately(actor, r.card)) ? IN_YOUR_CHAT : OPEN_A_CHAT });
    },
  });
