import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  type Request,
  type Response,
  type TurnContext,
} from 'botbuilder';
import { DialogSet, type DialogState } from 'botbuilder-dialogs';
import { welcomeCard } from '../../cards/welcome';
import { ReferralDialog } from '../../dialogs/referralDialog';
import type { Actor } from '../app/actor';
import type { ReferralIntake, ScreeningShownTo } from '../app/referralIntake';
import type { Assignment } from '../app/assignment';
import type { OfferAnswers } from '../app/offerAnswers';
import type { Triage } from '../app/triage';
import type { RosterService } from '../app/rosterService';
import type { ReminderActions } from '../reminders';
import type { ProgressUseCases } from '../app/progress';
import type { AccessAudit } from '../app/accessAudit';
import type { LegalHolds } from '../app/retention';
import type { ErasureRequests } from '../app/erasure';
import type { Config } from '../config';
import type { Actor as DomainActor } from '../domain/permissions';
import type { Logger } from '../log';
import { noMetrics, type Metrics, type TurnOutcome } from '../metrics';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import type { PgStorage } from '../store/pgStorage';
import { RjBot } from './rjBot';
import { buildRoutes, type CardVerb, type TextCommand } from './registry';
import type { CommandHandler } from './router';
import { TenantGuard } from './tenantGuard';
import { InboundGate } from './inboundGate';
import { checkActivityEnvelope } from './activityEnvelope';
import { botAuthenticationArgs, type BotFrameworkEndpoints } from '../teams/botAuthentication';
import { actorOf, cardActionOf, isPersonalChat, replyToCard } from './turn';
import * as helpHandlers from './handlers/help';
import * as offerHandlers from './handlers/offers';
import * as progressHandlers from './handlers/progress';
import type { ProgressDeps } from './handlers/progress';
import * as referralHandlers from './handlers/referral';
import type { ReferralDeps } from './handlers/referral';
import * as reminderHandlers from './handlers/reminders';
import * as rosterHandlers from './handlers/roster';
import * as triageHandlers from './handlers/triage';
import * as auditHandlers from './handlers/audit';
import * as retentionHandlers from './handlers/retention';
import * as erasureHandlers from './handlers/erasure';
import { sendCard, type CaseChat } from './handlers/replies';

export interface BotServices {
  config: Config;
  log: Logger;
  intake: ReferralIntake;
  refs: ConversationRefRepository;
  storage: PgStorage;
  triage: Triage;
  assignment: Assignment;
  offers: OfferAnswers;
  roster: RosterService;
  progress: ProgressUseCases;
  /** Case messages in chats: base views, refreshed into details for who may see them (issue 10, item 1). */
  details: CaseChat['details'];
  reminders: ReminderActions;
  /** The access audit's `audit RJ-…` view (recording views happens in the case card views). */
  audit: Pick<AccessAudit, 'trail'>;
  /** Legal hold on a case (`hold RJ-…`, `lift hold RJ-…`). */
  holds: Pick<LegalHolds, 'form' | 'place' | 'cancel' | 'lift'>;
  /** Erasure requests (`erase RJ-… harmed person`). */
  erasure: Pick<ErasureRequests, 'start' | 'record' | 'view' | 'erase' | 'refuse' | 'cancel'>;
  /** Roles from the roster, read only (StaffRoles.of). */
  roles: (actor: Actor) => Promise<DomainActor>;
  /** Keeps a staff member's name as Teams shows it now (StaffRoles.recordSeenName): the one write of a role look-up. */
  recordSeenName: (actor: Actor) => Promise<void>;
  /** Test-only token endpoints (see BotFrameworkEndpoints); production uses botbuilder's public-cloud defaults. */
  botFrameworkEndpoints?: BotFrameworkEndpoints;
  /** Turns by kind and outcome, card actions by verb and outcome (noMetrics when metrics are off). */
  metrics?: Metrics;
}

export interface Bot {
  adapter: CloudAdapter;
  bot: RjBot;
  /** One /api/messages request: authentication and the channel check, then the adapter and the bot. */
  process(req: Request, res: Response): Promise<void>;
}



/** The activity's type (and an invoke's name) as a metrics label; anything else is 'other'. */
function activityKind(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'other';
  const type = 'type' in body && typeof body.type === 'string' ? body.type : 'other';
  const name = 'name' in body && typeof body.name === 'string' ? body.name : undefined;
  return type === 'invoke' && name ? `invoke/${name}` : type;
}

/**
 * The bot's composition root: the adapter, the dialogs, and the one table that maps every text
 * command and card verb to its handler.
 */
export function createBot(s: BotServices): Bot {
  const { config, log, intake } = s;
  const auth = new ConfigurationBotFrameworkAuthentication(...botAuthenticationArgs(config, s.botFrameworkEndpoints));
  const authEnabled = Boolean(config.MicrosoftAppId);
  const adapter = new CloudAdapter(auth);
  const gate = new InboundGate({ auth, authEnabled, log });
  adapter.use(
    new TenantGuard({
      staffTenantId: config.STAFF_TENANT_ID,
      partnerTenants: config.PARTNER_TENANTS,
      authEnabled,
      refs: s.refs,
      log,
    }),
  );
  adapter.onTurnError = async (ctx, err) => {
    // Ids only: the error's message may not contain user text, but the activity certainly does.
    log.error({ err: { message: err.message, stack: err.stack }, activityId: ctx.activity.id, activityType: ctx.activity.type, conversationId: ctx.activity.conversation?.id }, 'turn failed');
    const sorry = 'Sorry, something went wrong on our side and nothing was changed. Please try again in a minute.';
    try {
      if (ctx.activity.type === ActivityTypes.Invoke) {
        await ctx.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'InternalError', message: sorry } } } });
      } else if (ctx.activity.type === ActivityTypes.Message) {
        await ctx.sendActivity(sorry);
      }
    } catch (sendErr) {
      log.error({ err: sendErr instanceof Error ? sendErr.message : String(sendErr), activityId: ctx.activity.id }, 'could not tell the user about a failed turn');
    }
  };

  const conversationState = new ConversationState(s.storage);
  const dialogState = conversationState.createProperty<DialogState>('dialogState');
  const dialogs = new DialogSet(dialogState);
  // Who each ineligible result was shown to, in that conversation's own state (the screening itself
  // stays anonymous): only they may answer its reminder offer. The last few are enough.
  const screeningsShown = conversationState.createProperty<ScreeningShownTo[]>('screeningsShown');
  dialogs.add(new ReferralDialog(intake, log, async (ctx, screeningId) => {
    const actor = actorOf(ctx);
    const kept = (await screeningsShown.get(ctx, [])).filter((x) => x.screeningId !== screeningId).slice(-9);
    await screeningsShown.set(ctx, [...kept, { screeningId, aadObjectId: actor.aadObjectId, tenantId: actor.tenantId }]);
  }, { actorOf, cardActionOf, replyToCard }));
  const shownTo = async (ctx: TurnContext, screeningId: string) => (await screeningsShown.get(ctx, [])).find((x) => x.screeningId === screeningId);


  // A name (or alias) given twice in the list stops the start-up here.
  const routes = buildRoutes({ ...botHandlers(s, { intake, dialogs, shownTo }), roles: s.roles, seen: s.recordSeenName });

  const bot = new RjBot({
    conversationState,
    routes,
    log,
    // Installed in a team or group chat: no referral buttons there (they would only say "use a 1:1 chat").
    welcome: (ctx) => sendCard(ctx, welcomeCard(isPersonalChat(ctx) ? 'personal' : 'elsewhere', s.config.PRIVACY_URL || undefined)),
    firstWelcome: (conversationId) => s.refs.claimWelcome(conversationId),
    metrics: s.metrics,
  });
  // The gate first (401/403 before anything about the request is looked at), then the envelope
  // (a malformed activity is the sender's fault, 400, not a failure inside botbuilder), then the adapter.
  const checked = async (req: Request, res: Response): Promise<boolean> => {
    const envelope = checkActivityEnvelope(req.body);
    if (!envelope.ok) {
      log.warn({ field: envelope.field }, 'malformed activity refused');
      res.send(400, { error: 'BadRequest', message: envelope.reason });
      return false;
    }
    await adapter.process(req, res, (ctx) => bot.run(ctx));
    return true;
  };
  const metrics = s.metrics ?? noMetrics;
  const process = async (req: Request, res: Response): Promise<void> => {
    let admitted = false;
    let outcome: TurnOutcome = 'error';
    try {
      await gate.process(req, res, async () => {
        admitted = await checked(req, res);
      });
      // botbuilder answers a failed turn with a 5xx itself rather than throwing.
      const status = 'statusCode' in res && typeof res.statusCode === 'number' ? res.statusCode : 200;
      outcome = !admitted ? 'refused' : status >= 500 ? 'error' : 'ok';
    } finally {
      metrics.turn(activityKind(req.body), outcome);
    }
  };
  return { adapter, bot, process };
}

export type HandlerServices = Pick<BotServices, 'triage' | 'assignment' | 'offers' | 'roster' | 'progress' | 'details' | 'reminders' | 'audit' | 'holds' | 'erasure' | 'roles' | 'log'>;

/**
 * The one list of every text command and card verb the bot understands, each a small module of
 * src/bot/handlers (name, schema, who may use it, handler). Commands are tried in this order.
 */
export function botHandlers(s: HandlerServices, referral: ReferralDeps): { commands: TextCommand[]; verbs: CardVerb[]; fallback: CommandHandler } {
  const app = { triage: s.triage, assignment: s.assignment, offers: s.offers, roster: s.roster, log: s.log };
  const chat: CaseChat = { details: s.details };
  const progress: ProgressDeps = { progress: s.progress, chat };
  // help lists the commands of this very list (derived, not a second list to keep in step).
  const commands: TextCommand[] = [
    helpHandlers.helpCommand({ roles: s.roles, commands: () => commands, dialogs: referral.dialogs, privacyUrl: () => referral.intake.privacyUrl }),
    referralHandlers.referCommand(referral),
    referralHandlers.myReferralsCommand(referral),
    referralHandlers.cancelCommand(referral),
    // Its help line is given here: the handler's module is about registering the channel.
    { ...triageHandlers.useThisChannel(app), help: { title: 'use this channel for referrals', description: 'Post new referrals in this channel for triage', audience: ['coordinator'], scopes: ['team'] } },
    rosterHandlers.rosterCommand(app),
    rosterHandlers.rosterHistoryCommand(app),
    rosterHandlers.rosterAddByMention(app),
    rosterHandlers.rosterRemoveByMention(app),
    progressHandlers.myCasesCommand(progress),
    progressHandlers.casesCommand(progress),
    progressHandlers.overdueCommand(progress),
    progressHandlers.caseCommand(progress),
    progressHandlers.contactCommand(progress),
    auditHandlers.auditCommand({ audit: s.audit }),
    retentionHandlers.holdCommand({ holds: s.holds }),
    retentionHandlers.liftHoldCommand({ holds: s.holds }),
    erasureHandlers.eraseCommand({ erasure: s.erasure }),
  ];
  return {
    commands,
    verbs: [
      referralHandlers.startReferralVerb(referral),
      referralHandlers.myReferralsVerb(referral),
      referralHandlers.screeningAnswer(referral),
      referralHandlers.screeningRemind(referral),
      referralHandlers.screeningNoRemind(referral),
      referralHandlers.submitReferral(referral),
      referralHandlers.cancelReferral(referral),
      triageHandlers.channelConfirm(app),
      triageHandlers.channelCancel(),
      triageHandlers.triageAccept(app),
      triageHandlers.triageDecline(app),
      triageHandlers.assignStart(app),
      triageHandlers.assignConfirm(app),
      triageHandlers.assignCancel(app),
      offerHandlers.offerAccept({ ...app, reminders: s.reminders }),
      offerHandlers.offerDecline({ ...app, reminders: s.reminders }),
      offerHandlers.offerRefresh(app),
      rosterHandlers.rosterAdd(app),
      rosterHandlers.rosterUpdate(app),
      rosterHandlers.rosterHistory(app),
      rosterHandlers.rosterShow(app),
      progressHandlers.openCase(progress),
      progressHandlers.viewCase(progress),
      progressHandlers.contactForm(progress),
      progressHandlers.contactSave(progress),
      progressHandlers.contactCorrect(progress),
      progressHandlers.consentForm(progress),
      progressHandlers.consentSave(progress),
      progressHandlers.riskForm(progress),
      progressHandlers.riskSave(progress),
      progressHandlers.riskSignOff(progress),
      progressHandlers.conferenceForm(progress),
      progressHandlers.conferenceSave(progress),
      progressHandlers.indirectForm(progress),
      progressHandlers.indirectSave(progress),
      progressHandlers.outcomeForm(progress),
      progressHandlers.outcomeSave(progress),
      progressHandlers.agreementReviewed(progress),
      progressHandlers.closeForm(progress),
      progressHandlers.closeSave(progress),
      progressHandlers.confirmWithdrawal(progress),
      progressHandlers.reopenForm(progress),
      progressHandlers.reopenSave(progress),
      progressHandlers.caseList(progress),
      auditHandlers.auditPage({ audit: s.audit }),
      retentionHandlers.placeHold({ holds: s.holds }),
      retentionHandlers.cancelHold({ holds: s.holds }),
      erasureHandlers.recordErasure({ erasure: s.erasure }),
      erasureHandlers.viewErasure({ erasure: s.erasure }),
      erasureHandlers.eraseNow({ erasure: s.erasure }),
      erasureHandlers.refuseErasure({ erasure: s.erasure }),
      erasureHandlers.cancelErasure({ erasure: s.erasure }),
      reminderHandlers.reminderOpen({ reminders: s.reminders, progress: s.progress, roles: s.roles, chat }),
      reminderHandlers.reminderLogContact({ reminders: s.reminders, progress: s.progress, roles: s.roles, chat }),
      reminderHandlers.reminderSnooze({ reminders: s.reminders, progress: s.progress, roles: s.roles, chat }),
    ],
    fallback: referralHandlers.continueDialog(referral),
  };
}
