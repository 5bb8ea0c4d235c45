import { createApp, type App } from '../../src/main';
import { loadConfig } from '../../src/config';
import { TEST_DATA_KEY_ENV } from './dataKeys';
import type { FieldCipher } from '../../src/store/crypto/fieldCipher';
import { createLogger } from '../../src/log';
import type { Clock } from '../../src/shared/clock';
import type { BotFrameworkEndpoints } from '../../src/teams/botAuthentication';

export const STAFF_TENANT = '11111111-1111-4111-8111-111111111111';
export const PARTNER_TENANT = '22222222-2222-4222-8222-222222222222';
export const UNKNOWN_TENANT = '99999999-9999-4999-8999-999999999999';
export const PARTNER_ORG = 'Metropolitan Police';

export interface TestAppOptions {
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
  clock?: Clock;
  /** Collects every log line (JSON) instead of discarding them, at debug level. */
  logLines?: string[];
  /** Local OpenID metadata, issuer and login authority (test/support/botFrameworkAuth.ts) for tests with MicrosoftAppId set. */
  botFrameworkEndpoints?: BotFrameworkEndpoints;
  /** npm run bench only: PlaintextCipher for its encryption-off comparison (createApp's fieldCipher). */
  fieldCipher?: FieldCipher;
  /** npm run bench only: leave the local simulator out (createApp's `simulator`). */
  simulator?: false;
}

/**
 * The real app, in-process, on a free port, with test tenants; logs are silent unless TEST_LOG is set.
 * Unauthenticated (ALLOW_UNAUTHENTICATED=1 on 127.0.0.1) unless `env` sets MicrosoftAppId.
 */
export async function startTestApp(o: TestAppOptions): Promise<App> {
  const config = loadConfig({
    PORT: '0',
    // Without MicrosoftAppId the app starts only when told to, on loopback; tests that set an app id keep both (they are then moot).
    HOST: '127.0.0.1',
    ALLOW_UNAUTHENTICATED: '1',
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    STAFF_TENANT_ID: STAFF_TENANT,
    PARTNER_TENANTS: `${PARTNER_TENANT}=${PARTNER_ORG}`,
    LOG_LEVEL: o.logLines ? 'debug' : process.env.TEST_LOG ?? 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    ...TEST_DATA_KEY_ENV,
    ...o.env,
  });
  const lines = o.logLines;
  const log = lines ? createLogger(config.LOG_LEVEL, { write: (line: string) => void lines.push(line) }) : createLogger(config.LOG_LEVEL);
  return createApp(config, { log, clock: o.clock, botFrameworkEndpoints: o.botFrameworkEndpoints, fieldCipher: o.fieldCipher, ...(o.simulator === false ? { simulator: false } : {}) });
}
