import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  type Request,
  type Response,
  type TurnContext,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogState } from 'botbuilder-dialogs';
import { z } from 'zod';
import { attachment } from '../../cards/adaptive';
import { myReferralsCard } from '../../cards/myReferrals';
import { referralClosedCard, referralSubmittedCard } from '../../cards/referralForm';
import { ineligibleAnsweredCard, ineligibleCard, staleQuestionCard } from '../../cards/screening';
import { VERBS } from '../../cards/verbs';
import { welcomeCard } from '../../cards/welcome';
import { ReferralDialog, REFERRAL_DIALOG } from '../../dialogs/referralDialog';
import { offersReReferReminder } from '../domain/eligibility';
import type { ReferralIntake, ScreeningShownTo } from '../app/referralIntake';
import type { CaseWorkflow } from '../app/caseWorkflow';
import type { RosterService } from '../app/rosterService';
import { caseCommands, caseVerbs } from './caseHandlers';
import { progressCommands, progressOpenCase, progressVerbs } from './progressHandlers';
import { reminderVerbs } from './reminderHandlers';
import type { ReminderActions } from '../reminders';
import type { CaseProgressService } from '../app/caseProgress';
import { CASE_VERBS } from '../../cards/verbs';
import { displayDate } from '../app/clock';
import type { Config } from '../config';
import type { Logger } from '../log';
import { noMetrics, type Metrics, type TurnOutcome } from '../metrics';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import type { PgStorage } from '../store/pgStorage';
import { RjBot } from './rjBot';
import { verb, type CommandHandler, type Routes } from './router';
import { TenantGuard } from './tenantGuard';
import { InboundGate } from './inboundGate';
import { checkActivityEnvelope } from './activityEnvelope';
import { botAuthenticationArgs, type BotFrameworkEndpoints } from '../teams/botAuthentication';
import { actorOf, cardActionOf, isPersonalChat, replyToCard } from './turn';

export interface BotServices {
  config: Config;
  log: Logger;
  intake: ReferralIntake;
  refs: ConversationRefRepository;
  storage: PgStorage;
  workflow: CaseWorkflow;
  roster: RosterService;
  progress: CaseProgressService;
  reminders: ReminderActions;
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

const MY_REFERRALS_LIMIT = 20;
const PRIVATE_ONLY =
  'For privacy, referrals are made in a 1:1 chat with me. Open a chat with RJ Referrals (Apps, then RJ Referrals) and type refer there.';

const noData = z.object({}).passthrough();

/** The activity's type (and an invoke's name) as a metrics label; anything else is 'other'. */
function activityKind(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'other';
  const type = 'type' in body && typeof body.type === 'string' ? body.type : 'other';
  const name = 'name' in body && typeof body.name === 'string' ? body.name : undefined;
  return type === 'invoke' && name ? `invoke/${name}` : type;
}
const formIdData = z.object({ formId: z.string().min(1).max(64) }).passthrough();
const screeningIdData = z.object({ screeningId: z.string().min(1).max(64) }).passthrough();
const remindData = z.object({ screeningId: z.string().min(1).max(64), sentencingDate: z.string().max(40).optional() }).passthrough();

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


  const sendCardMessage = (ctx: TurnContext, c: ReturnType<typeof welcomeCard>) =>
    ctx.sendActivity({ type: ActivityTypes.Message, attachments: [attachment(c)] });

  const help: CommandHandler = async (ctx) => {
    await sendCardMessage(ctx, welcomeCard());
    const dc = await dialogs.createContext(ctx);
    if (dc.activeDialog) await ctx.sendActivity('You have a referral in progress: answer the question above, or type **cancel** to stop.');
  };

  const startReferral: CommandHandler = async (ctx) => {
    if (!isPersonalChat(ctx)) {
      await ctx.sendActivity(PRIVATE_ONLY);
      return;
    }
    const dc = await dialogs.createContext(ctx);
    if (dc.activeDialog) {
      await dc.cancelAllDialogs();
      await ctx.sendActivity('Your unfinished referral was cancelled (nothing was saved). Starting a new one.');
    }
    await dc.beginDialog(REFERRAL_DIALOG);
  };

  const myReferrals: CommandHandler = async (ctx) => {
    if (!isPersonalChat(ctx)) {
      await ctx.sendActivity(PRIVATE_ONLY);
      return;
    }
    const { items, more } = await intake.myReferrals(actorOf(ctx), MY_REFERRALS_LIMIT);
    await sendCardMessage(
      ctx,
      myReferralsCard(items.map((i) => ({ reference: i.reference, submittedOn: displayDate(i.createdAt), stage: i.stage, offenceType: i.offenceType })), more),
    );
  };

  const cancel: CommandHandler = async (ctx) => {
    const dc = await dialogs.createContext(ctx);
    if (!dc.activeDialog) {
      await ctx.sendActivity('There is nothing to cancel. Type **refer** to make a referral.');
      return;
    }
    await dc.cancelAllDialogs();
    await ctx.sendActivity('Referral cancelled. Nothing was saved.');
  };

  const continueDialog: CommandHandler = async (ctx) => {
    const dc = await dialogs.createContext(ctx);
    const result = await dc.continueDialog();
    if (result.status !== DialogTurnStatus.empty) return;
    if (!isPersonalChat(ctx)) {
      await ctx.sendActivity('Type **help** to see what I can do. Referrals are made in a 1:1 chat with me.');
      return;
    }
    await ctx.sendActivity('Sorry, I did not understand that. Type **refer** to make a referral, **my referrals** to see yours, or **help**.');
  };

  /** A click on a card that belongs to a dialog: continue it, or say the card is no longer open. */
  const dialogVerb = (whenClosed: (ctx: TurnContext) => Promise<void>) => async (ctx: TurnContext) => {
    const dc = await dialogs.createContext(ctx);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await whenClosed(ctx);
  };

  const commands = new Map<string, CommandHandler>([
    ['refer', startReferral],
    ['make a referral', startReferral],
    ['new referral', startReferral],
    ['my referrals', myReferrals],
    ['help', help],
    ['hi', help],
    ['hello', help],
    ['cancel', cancel],
    ['stop', cancel],
  ]);
  const caseRoutes = caseCommands({ workflow: s.workflow, roster: s.roster, log });
  for (const [text, handler] of caseRoutes.commands) commands.set(text, handler);
  const progressDeps = { progress: s.progress, log };
  const progressRoutes = progressCommands(progressDeps);
  for (const [text, handler] of progressRoutes.commands) commands.set(text, handler);

  const routes: Routes = {
    commands,
    // The case card of case progress replaces the assignment one for "case RJ-…", so it comes first.
    patterns: [...progressRoutes.patterns, ...caseRoutes.patterns],
    fallback: continueDialog,
    verbs: new Map([
      ...caseVerbs({ workflow: s.workflow, roster: s.roster, log }),
      ...progressVerbs(progressDeps),
      ...reminderVerbs({ reminders: s.reminders, workflow: s.workflow, progress: s.progress }),
      [CASE_VERBS.openCase, progressOpenCase(progressDeps)],
      [VERBS.startReferral, verb(noData, async (ctx) => {
        await startReferral(ctx);
        replyToCard(ctx, { kind: 'message', text: isPersonalChat(ctx) ? 'Starting a referral.' : PRIVATE_ONLY });
      })],
      [VERBS.myReferrals, verb(noData, async (ctx) => {
        await myReferrals(ctx);
        replyToCard(ctx, { kind: 'message', text: 'Here are your referrals.' });
      })],
      [VERBS.screeningAnswer, verb(screeningIdData, dialogVerb(async (ctx) => {
        replyToCard(ctx, { kind: 'card', card: staleQuestionCard() });
      }))],
      [VERBS.cancelReferral, verb(formIdData, dialogVerb(async (ctx) => {
        replyToCard(ctx, { kind: 'card', card: referralClosedCard('This form is no longer open. Nothing else was changed.') });
      }))],
      [VERBS.submitReferral, verb(formIdData, dialogVerb(async (ctx) => {
        // A second click, or a Teams retry, after the first submit already saved the case.
        const formId = String(cardActionOf(ctx)?.data.formId ?? '');
        const done = await intake.submittedCase(actorOf(ctx), formId);
        replyToCard(ctx, {
          kind: 'card',
          card: done
            ? referralSubmittedCard(done.reference, displayDate(done.createdAt), done.offenceType)
            : referralClosedCard('This form is no longer open (it was cancelled or replaced). Type refer to start again.'),
        });
      }))],
      [VERBS.screeningRemind, verb(remindData, async (ctx, data) => {
        const actor = actorOf(ctx);
        const r = await intake.setReReferDate(actor, data.screeningId, data.sentencingDate ?? '', await shownTo(ctx, data.screeningId));
        if (r.ok) {
          replyToCard(ctx, { kind: 'card', card: ineligibleAnsweredCard(r.eligibility, displayDate(r.sentencingDate)) });
        } else if (r.reason === 'invalid_date') {
          replyToCard(ctx, {
            kind: 'card',
            card: ineligibleCard({ screeningId: data.screeningId, result: r.eligibility, offerReminder: offersReReferReminder(r.eligibility), today: intake.today(), error: r.message }),
          });
        } else {
          replyToCard(ctx, { kind: 'error', status: r.reason === 'forbidden' ? 403 : 404, text: r.message });
        }
      })],
      [VERBS.screeningNoRemind, verb(screeningIdData, async (ctx, data) => {
        const result = await intake.screeningResult(actorOf(ctx), data.screeningId, await shownTo(ctx, data.screeningId));
        replyToCard(ctx, result
          ? { kind: 'card', card: ineligibleAnsweredCard(result, undefined) }
          : { kind: 'error', status: 404, text: 'That screening could not be found. Type refer to start again.' });
      })],
    ]),
  };

  const bot = new RjBot({
    conversationState,
    routes,
    log,
    welcome: async (ctx) => {
      await sendCardMessage(ctx, welcomeCard());
    },
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
