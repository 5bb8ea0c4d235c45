// First: when tracing is on, OpenTelemetry must patch http, pg and ioredis before they are loaded.
import { tracing } from './instrument';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ReferralIntake } from './app/referralIntake';
import { systemClock, type Clock } from './shared/clock';
import { createBot } from './bot';
import { ConfigError, isLoopbackHost, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './log';
import { createMetrics, noMetrics } from './metrics';
import { createServer, type HttpServer } from './server';
import { createPool } from './store/db';
import { migrate } from './store/migrate';
import { CaseRepository } from './store/caseRepository';
import { ScreeningRepository } from './store/screeningRepository';
import { ConversationRefRepository } from './store/conversationRefRepository';
import { PgStorage } from './store/pgStorage';
import { AssignmentRepository } from './store/assignmentRepository';
import { RosterRepository } from './store/rosterRepository';
import { SettingsRepository } from './store/settingsRepository';
import type { Actor } from './app/actor';
import { Assignment } from './app/assignment';
import { AssignmentViews } from './app/assignmentViews';
import { OfferAnswers } from './app/offerAnswers';
import { Triage } from './app/triage';
import { StaffRoles } from './app/roles';
import { referralsChannel, tellCoordinatorsNow } from './app/coordinators';
import { RosterService } from './app/rosterService';
import { createProactiveAdapter } from './teams/proactiveAdapter';
import type { BotFrameworkEndpoints } from './teams/botAuthentication';
import { ProactiveSender } from './teams/proactiveSender';
import { owe } from './app/owed';
import { OutboxRepository } from './store/outboxRepository';
import { OutboxDispatcher } from './outbox/dispatcher';
import { DetailsCards } from './app/detailsCards';
import { CaseCardRepository } from './store/caseCardRepository';
import { OwedDeliveries } from './outbox/deliveries';
import { CaseCardViews } from './app/caseCardView';
import { AccessAudit } from './app/accessAudit';
import { LegalHolds, RetentionPass } from './app/retention';
import { ErasureRequests, remindOpenErasures } from './app/erasure';
import { ErasureRepository } from './store/erasure';
import { RetentionRepository } from './store/retention';
import { AuditRepository } from './store/auditRepository';
import { CaseLists } from './app/caseLists';
import { progressUseCases } from './app/progress';
import { ProgressRunner } from './app/progressRunner';
import { CaseLocks } from './store/caseLock';
import { ProgressRepository } from './store/progressRepository';
import { coordinatorWaits } from './domain/coordinatorWaits';
import { foldCaseLog } from './domain/caseProgress';
import { EnvelopeCipher, type FieldCipher } from './store/crypto/fieldCipher';
import { MasterKeys } from './store/crypto/envelope';
import { sealPlaintextRows } from './store/crypto/sealExisting';
import { DateTime } from 'luxon';
import { loadWorkingCalendar } from './calendarFile';
import { createReminders, loadReminderPolicy } from './reminders';
import { reconnectForever } from './reminders/redis';
import { LONDON } from './shared/clock';
import type { Tracing } from './traceContext';
import { dashboardUrl, tabDeps } from './tab';
import type { Simulator } from './simulator';

export interface AppOptions {
  log?: Logger;
  clock?: Clock;
  /**
   * Tests only: where Bot Framework tokens are checked and obtained. An option rather than an
   * environment variable so that no deployment can be pointed at another token issuer: main() never passes it.
   */
  botFrameworkEndpoints?: BotFrameworkEndpoints;
  /** OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/instrument.ts); absent, nothing is traced. */
  tracing?: Tracing;
  /**
   * `npm run bench` only: its comparison run stores values unencrypted (PlaintextCipher) to measure
   * what encryption costs. An option, not a variable, so no deployment can turn encryption off.
   */
  fieldCipher?: FieldCipher;
  /**
   * `npm run bench` only: false leaves the local simulator out. Its server threads load TypeScript
   * through tsx's require hook alone, and Node 20's ESM hooks do not reach worker threads, so the
   * simulator's dynamic import() cannot load there; the bench measures turns, not the simulator.
   */
  simulator?: false;
}

export interface App {
  url: string;
  port: number;
  /**
   * Resolves when the messages owed so far (offers, notices, card updates) are all dealt with: none
   * in hand and none due, retries waiting for their time aside.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root: config → store → bot → server. Tests start the whole app through this,
 * in-process, against real PostgreSQL and Redis.
 */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  // The simulator (/simulator) only in local unauthenticated mode, and loaded only then: it acts as
  // anyone, moves the clock and empties the database. Its clock is the app's clock, moved on demand.
  const localMode = !config.MicrosoftAppId && config.ALLOW_UNAUTHENTICATED && isLoopbackHost(config.HOST) && !config.WORKER_ONLY;
  const sim = localMode && opts.simulator !== false ? await import('./simulator') : undefined;
  const movableClock = sim ? new sim.MovableClock(opts.clock ?? systemClock) : undefined;
  const clock = movableClock?.now ?? opts.clock ?? systemClock;
  if (!config.MicrosoftAppId) {
    // loadConfig allowed this only with ALLOW_UNAUTHENTICATED=1 on a loopback HOST; say it once, loudly.
    log.warn({ host: config.HOST }, 'authentication is OFF (ALLOW_UNAUTHENTICATED=1, no MicrosoftAppId): any local process can act as any user; local development only');
  }
  // prom-client's default process metrics (its GC observer above all) cost 14-20% of screening
  // throughput in npm run bench; CPU, memory and restarts come from the platform's container metrics.
  const metrics = config.METRICS_TOKEN ? createMetrics({ defaultMetrics: false }) : noMetrics;
  const pool = createPool(config.DATABASE_URL, { onIdleClientError: (err) => log.error({ err: err.message }, 'idle PostgreSQL client error') });
  // Only /readyz uses this one: it fails fast while Redis is down and reconnects for ever, so readiness comes back without a restart.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: reconnectForever(config.REDIS_RECONNECT_MAX_MS) });
  redis.on('error', (err) => log.warn({ err: err.message }, 'Redis connection error'));
  const cipher = opts.fieldCipher ?? new EnvelopeCipher(new MasterKeys(config.DATA_KEYS, config.DATA_KEY_ID));
  try {
    await migrate(pool, log);
    await sealPlaintextRows(pool, cipher, log);
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    await pool.end();
    throw err;
  }

  const refs = new ConversationRefRepository(pool);
  const cases = new CaseRepository(pool, { now: clock, cipher });
  const rosterRepo = new RosterRepository(pool, { now: clock });
  const settings = new SettingsRepository(pool);
  // Only into a roster with no coordinator (the first start): after that the roster decides.
  const seeded = await rosterRepo.seedCoordinators(config.COORDINATOR_AAD_IDS, config.STAFF_TENANT_ID);
  if (seeded > 0) log.info({ seeded }, 'first coordinators seeded from COORDINATOR_AAD_IDS');
  const calendar = await loadWorkingCalendar(config.BANK_HOLIDAYS_FILE);
  const policy = await loadReminderPolicy(config.REMINDER_POLICY_FILE);
  if (!calendar.coversYear(DateTime.fromJSDate(clock()).setZone(LONDON).year + 1)) {
    log.warn('the bank holiday list ends before next year: set BANK_HOLIDAYS_FILE so reminders skip them');
  }

  const outbox = new OutboxRepository(pool);
  metrics.addSources({
    pgPool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    outbox: () => outbox.backlog(),
  });
  const sender = new ProactiveSender({
    metrics,
    adapter: createProactiveAdapter(config, log, opts.botFrameworkEndpoints),
    botAppId: config.MicrosoftAppId,
    refs,
    log,
    clock,
    serviceUrlForTenant: (tenantId) => refs.serviceUrlForTenant(tenantId),
    // Coordinators are told through the outbox, once per person (a reference already stale was reported).
    onPermanentFailure: async (failure) => {
      if (!failure.alreadyStale) await outbox.owe([owe.unreachable(failure)]);
    },
  });
  const assignments = new AssignmentRepository(pool);
  // The one row lock every change to a case runs under, assignment and progress alike.
  const locks = new CaseLocks(pool, cases);
  const retentionRules = { years: config.RETENTION_YEARS, draftDays: config.DRAFT_RETENTION_DAYS, zone: calendar.zone };
  const erasureRepo = new ErasureRepository(pool);
  const retention = new RetentionPass({
    locks,
    repo: new RetentionRepository(pool),
    rules: retentionRules,
    clock,
    log,
    remindErasures: () =>
      remindOpenErasures({
        repo: erasureRepo,
        clock,
        log,
        tell: (card) => tellCoordinatorsNow({ messenger: sender, referralsChannel: channel, coordinatorIds: () => rosterRepo.coordinatorIds(), log, staffTenantId: config.STAFF_TENANT_ID }, card),
      }),
  });
  const roles = new StaffRoles(rosterRepo);
  // What the coordinators' channel, the offers and the pair's details show; the outbox renders with it too.
  // What a case waits on a coordinator for (a high risk to sign off, a withdrawal to confirm), from its log.
  const eventLog = new ProgressRepository(pool, cipher);
  const caseWaits = async (caseId: string) => coordinatorWaits(foldCaseLog(await eventLog.listEvents(caseId)).facts);
  const assignmentViews = new AssignmentViews({ cases, assignments, roster: rosterRepo, refs, staffTenantId: config.STAFF_TENANT_ID, waits: caseWaits });
  const channel = () => referralsChannel(settings);
  const roleOf = (a: Actor) => roles.of(a);
  // Case messages in people's chats hold the base view; details come through refresh (issue 10, item 1).
  const details = new DetailsCards({ cases, progress: eventLog, roles: roleOf, cards: new CaseCardRepository(pool), messenger: sender, refs, staffTenantId: config.STAFF_TENANT_ID, log });
  // Every process sends what the outbox holds (web, worker, or both); claims keep them from sending a row twice.
  const dispatcher = new OutboxDispatcher({
    repo: outbox,
    deliverer: new OwedDeliveries({ views: assignmentViews, details, referralsChannel: channel, cases, assignments, roster: rosterRepo, messenger: sender, caseWaits, staffTenantId: config.STAFF_TENANT_ID, serviceContact: config.SERVICE_CONTACT, log }),
    log,
    databaseUrl: config.DATABASE_URL,
    leaseMs: config.OUTBOX_LEASE_MS,
    concurrency: config.OUTBOX_CONCURRENCY,
  });

  // Reminders follow case state through PostgreSQL: every case event notifies the worker (migration
  // 003's trigger), in this process or another, and start-up and 06:00 daily reconcile everything.
  const reminders = createReminders(
    {
      redisUrl: config.REDIS_URL,
      databaseUrl: config.DATABASE_URL,
      keyPrefix: config.REDIS_KEY_PREFIX,
      staffTenantId: config.STAFF_TENANT_ID,
      runWorker: !config.WEB_ONLY,
      concurrency: config.REMINDER_CONCURRENCY,
      leaseMs: config.REMINDER_LEASE_MS,
      retryBaseMs: config.RECONCILE_RETRY_BASE_MS,
      retryMaxMs: config.RECONCILE_RETRY_MAX_MS,
      redisReconnectMaxMs: config.REDIS_RECONNECT_MAX_MS,
    },
    {
      pool,
      log,
      clock,
      calendar,
      policy,
      messenger: sender,
      coordinatorIds: () => rosterRepo.coordinatorIds(),
      referralsChannel: channel,
      caseThread: async (caseId) => (await assignments.getChannelCard(caseId))?.conversationId ?? null,
      metrics,
      ...(opts.tracing ? { tracing: opts.tracing } : {}),
      monthlyReport: { ...(dashboardUrl(config) ? { dashboardUrl: dashboardUrl(config) } : {}) },
      retention: () => retention.run(),
    },
  );
  try {
    await reminders.start();
    await dispatcher.start();
  } catch (err) {
    await dispatcher.stop();
    await reminders.close();
    redis.disconnect();
    await pool.end();
    throw err;
  }

  let http: HttpServer | undefined;
  let simulator: Simulator | undefined;
  let port = 0;
  const serverBase = {
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    ...(config.METRICS_TOKEN ? { metrics: { metrics, token: config.METRICS_TOKEN } } : {}),
    readiness: {
      postgres: async () => {
        await pool.query('SELECT 1');
      },
      redis: async () => {
        await redis.ping();
      },
    },
  };
  if (!config.WORKER_ONLY) {
    const intake = new ReferralIntake({
      cases,
      screenings: new ScreeningRepository(pool),
      clock,
      log,
      privacyUrl: config.PRIVACY_URL,
    });
    const assignmentDeps = { cases, assignments, roster: rosterRepo, roles: (a: Actor) => roles.of(a), views: assignmentViews, locks, staffTenantId: config.STAFF_TENANT_ID, clock, log };
    const assignmentUseCases = {
      triage: new Triage({ ...assignmentDeps, settings, refs }),
      assignment: new Assignment(assignmentDeps),
      offers: new OfferAnswers(assignmentDeps),
    };
    const progressRepo = new ProgressRepository(pool, cipher);
    const findCase = async (reference: string) => {
      const c = await cases.findByReference(reference);
      return c ? { id: c.id, reference: c.reference } : undefined;
    };
    const audit = new AccessAudit({ audit: new AuditRepository(pool), cases, roster: rosterRepo, roles: (a) => roles.of(a), clock });
    const views = new CaseCardViews({ cases, progress: progressRepo, roster: rosterRepo, roles: (a) => roles.of(a), calendar, reminderPolicy: policy, clock, recordView: audit.recordView });
    const progress = progressUseCases({
      views,
      lists: new CaseLists({ progress: progressRepo, roster: rosterRepo, roles: (a) => roles.of(a), views }),
      runner: new ProgressRunner({ views, locks, clock, log }),
      messenger: sender,
    });
    const inbound = createBot({
      config,
      log,
      intake,
      refs,
      storage: new PgStorage(pool, cipher),
      ...assignmentUseCases,
      roster: new RosterService(rosterRepo, config.STAFF_TENANT_ID, log, (a) => roles.of(a)),
      progress,
      details,
      reminders: reminders.actions,
      audit,
      holds: new LegalHolds({
        locks,
        clock,
        log,
        roles: (a) => roles.of(a),
        findCase,
      }),
      erasure: new ErasureRequests({ locks, clock, log, roles: (a) => roles.of(a), findCase }),
      roles: (a) => roles.of(a),
      recordSeenName: (a) => roles.recordSeenName(a),
      botFrameworkEndpoints: opts.botFrameworkEndpoints,
      metrics,
    });
    const tab = tabDeps({ config, pool, roster: rosterRepo, roles: (a) => roles.of(a), calendar, reminderPolicy: policy, clock, log, recordView: audit.recordView });
    simulator =
      sim && movableClock
        ? sim.createSimulator({
            log,
            pool,
            clock: movableClock,
            calendar,
            staffTenantId: config.STAFF_TENANT_ID,
            partnerTenantId: [...config.PARTNER_TENANTS.keys()][0],
            redisUrl: config.REDIS_URL,
            keyPrefix: config.REDIS_KEY_PREFIX,
          })
        : undefined;
    http = createServer({ ...serverBase, processMessage: (req, res) => inbound.process(req, res), tab, ...(simulator ? { simulator } : {}) });
    port = await http.listen(config.PORT, config.HOST);
    simulator?.started(`http://127.0.0.1:${port}`);
    log.info({ port, ...(simulator ? { simulator: `http://127.0.0.1:${port}/simulator` } : {}) }, 'RJ Referrals listening');
  } else {
    // No /api/messages here, but /healthz, /readyz and /metrics, so the worker is watched like the web.
    http = createServer(serverBase);
    port = await http.listen(config.PORT, config.HOST);
    log.info({ port }, 'RJ Referrals reminder worker running (WORKER_ONLY)');
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    idle: () => dispatcher.idle(),
    close: () => {
      closing ??= (async () => {
        await simulator?.close();
        await http?.close(config.SHUTDOWN_GRACE_MS);
        // The dispatcher sends and records the rows in hand; the rest stay owed for the next start.
        await dispatcher.stop();
        // The worker finishes the reminder in hand before its connections close.
        await reminders.close();
        redis.disconnect();
        await pool.end();
        // The spans of the shutdown itself included.
        await opts.tracing?.shutdown().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sending the last traces failed'));
        log.info('RJ Referrals stopped');
      })();
      return closing;
    },
  };
}

export interface FaultHandling {
  log: Logger;
  close(): Promise<void>;
  exit(code: number): void;
  graceMs: number;
}

/**
 * A fault nobody caught leaves the process in a state nobody planned for: say so (the error's name and
 * message only; a stack or a cause may quote personal data), let what is in flight finish, and exit 1
 * so the supervisor starts a clean process. Messages and reminders owed are in PostgreSQL, so nothing is lost.
 */
export function installFaultHandlers(proc: Pick<NodeJS.EventEmitter, 'once'>, h: FaultHandling): void {
  let handled = false;
  const fault = (kind: string) => (err: unknown) => {
    h.log.fatal({ kind, err: err instanceof Error ? `${err.name}: ${err.message}` : typeof err }, 'unexpected fault; shutting down');
    if (handled) return;
    handled = true;
    const exit = () => h.exit(1);
    setTimeout(exit, h.graceMs + 5000).unref();
    h.close().then(exit, exit);
  };
  proc.once('unhandledRejection', fault('unhandledRejection'));
  proc.once('uncaughtException', fault('uncaughtException'));
}

/**
 * The process: `node dist/src/main.js` runs this with nothing. The production rehearsal test runs the
 * same built code through it with the locally served Bot Framework endpoints, which no environment
 * variable can set (see BotFrameworkEndpoints).
 */
export async function runMain(opts: Pick<AppOptions, 'botFrameworkEndpoints'> = {}): Promise<void> {
  // Values already in the environment win over the file (process.loadEnvFile does not overwrite).
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      // 1, like every other refused start: a supervisor should not tell a bad setting from a failed start-up.
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const app = await createApp(config, { log, ...opts, ...(tracing ? { tracing } : {}) });
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
  installFaultHandlers(process, { log, close: () => app.close(), exit: (code) => process.exit(code), graceMs: config.SHUTDOWN_GRACE_MS });
}

if (require.main === module) {
  runMain().catch((err: unknown) => {
    console.error(`RJ Referrals failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
