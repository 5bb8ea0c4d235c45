import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ReferralIntake } from './app/referralIntake';
import { systemClock, type Clock } from './app/clock';
import { createBot } from './bot';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './log';
import { createServer } from './server';
import { createPool } from './store/db';
import { migrate } from './store/migrate';
import { CaseRepository } from './store/caseRepository';
import { ScreeningRepository } from './store/screeningRepository';
import { ConversationRefRepository } from './store/conversationRefRepository';
import { PgStorage } from './store/pgStorage';
import { AssignmentRepository } from './store/assignmentRepository';
import { RosterRepository } from './store/rosterRepository';
import { SettingsRepository } from './store/settingsRepository';
import { CaseWorkflow } from './app/caseWorkflow';
import { RosterService } from './app/rosterService';
import { createProactiveAdapter } from './teams/proactiveAdapter';
import { ProactiveSender } from './teams/proactiveSender';
import { BackgroundTasks } from './app/background';
import { CaseProgressService } from './app/caseProgress';
import { ProgressRepository } from './store/progressRepository';
import { createWorkingCalendar } from './domain/workingTime';

export interface AppOptions {
  log?: Logger;
  clock?: Clock;
}

export interface App {
  url: string;
  port: number;
  /** Resolves when announcements that follow a change (offers, notices) have all been sent. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root: config → store → bot → server. Tests start the whole app through this,
 * in-process, against real PostgreSQL and Redis.
 */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const clock = opts.clock ?? systemClock;
  const pool = createPool(config.DATABASE_URL, { onIdleClientError: (err) => log.error({ err: err.message }, 'idle PostgreSQL client error') });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'Redis connection error'));
  try {
    await migrate(pool, log);
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    await pool.end();
    throw err;
  }

  const refs = new ConversationRefRepository(pool);
  // Every committed change to a case ends here, so whatever follows a case's state (the reminder
  // schedule) is brought up to date by one call site. Failures are logged; the change stands.
  const caseChangeListeners: ((caseId: string) => Promise<void>)[] = [];
  const onCaseChanged = async (caseId: string): Promise<void> => {
    for (const listener of caseChangeListeners) {
      try {
        await listener(caseId);
      } catch (err) {
        log.error({ caseId, err: err instanceof Error ? err.message : String(err) }, 'case change follow-up failed');
      }
    }
  };
  const cases = new CaseRepository(pool, { now: clock });
  const rosterRepo = new RosterRepository(pool);
  await rosterRepo.seedCoordinators(config.COORDINATOR_AAD_IDS, config.STAFF_TENANT_ID);
  // Late-bound: the sender reports unreachable people to the workflow, which sends through the sender.
  const late: { workflow?: CaseWorkflow } = {};
  const sender = new ProactiveSender({
    adapter: createProactiveAdapter(config, log),
    botAppId: config.MicrosoftAppId,
    refs,
    log,
    clock,
    serviceUrlForTenant: (tenantId) => refs.serviceUrlForTenant(tenantId),
    onPermanentFailure: (failure) => late.workflow?.reportUnreachable(failure),
  });
  const background = new BackgroundTasks(log);
  const workflow = new CaseWorkflow({
    background,
    onCaseChanged,
    cases,
    assignments: new AssignmentRepository(pool),
    roster: rosterRepo,
    settings: new SettingsRepository(pool),
    refs,
    messenger: sender,
    staffTenantId: config.STAFF_TENANT_ID,
    clock,
    log,
  });
  late.workflow = workflow;
  const intake = new ReferralIntake({
    cases,
    screenings: new ScreeningRepository(pool),
    clock,
    log,
    onReferralCreated: async (caseId) => {
      await onCaseChanged(caseId);
      background.run('announce referral', { caseId }, () => workflow.announceReferral(caseId));
    },
  });
  const roster = new RosterService(rosterRepo, config.STAFF_TENANT_ID, log);
  const progress = new CaseProgressService({
    cases,
    progress: new ProgressRepository(pool),
    roster: rosterRepo,
    messenger: sender,
    domainActor: (a) => workflow.domainActor(a),
    calendar: createWorkingCalendar(),
    clock,
    log,
    onCaseChanged: async (caseId) => {
      await onCaseChanged(caseId);
      workflow.coordinatorCardChanged(caseId);
    },
  });
  const { adapter, bot } = createBot({ config, log, intake, refs, storage: new PgStorage(pool), workflow, roster, progress });
  const http = createServer({
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    processMessage: (req, res) => adapter.process(req, res, (ctx) => bot.run(ctx)),
    readiness: {
      postgres: async () => {
        await pool.query('SELECT 1');
      },
      redis: async () => {
        await redis.ping();
      },
    },
  });
  const port = await http.listen(config.PORT, config.HOST);
  log.info({ port }, 'RJ Referrals listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    idle: () => background.idle(),
    close: () => {
      closing ??= (async () => {
        await http.close(config.SHUTDOWN_GRACE_MS);
        await background.idle();
        redis.disconnect();
        await pool.end();
        log.info('RJ Referrals stopped');
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  // Values already in the environment win over the file (process.loadEnvFile does not overwrite).
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const app = await createApp(config, { log });
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`RJ Referrals failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
