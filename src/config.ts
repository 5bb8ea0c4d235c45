import { z } from 'zod';

/**
 * The whole environment as one schema, read once at start-up. A bad or missing value stops the
 * process with a message naming the variable, so a misconfigured deployment never half-starts.
 */

const uuidish = z.string().regex(/^[0-9a-fA-F-]{8,64}$/, 'must be an Entra (Azure AD) GUID');

const boolFlag = z
  .enum(['', '0', '1', 'true', 'false'])
  .default('')
  .transform((v) => v === '1' || v === 'true');

/** Addresses only this machine can reach: the one place a bot without authentication may listen. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host.trim().toLowerCase());
}

/**
 * Whether a database or Redis URL points at this machine (loopback address or a Unix socket), where
 * TLS adds nothing. Anything unparseable counts as remote, so it is held to the TLS rule.
 */
export function isLocalServiceUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const socketHost = parsed.searchParams.get('host');
  if (socketHost !== null && socketHost.startsWith('/')) return true;
  const host = decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '' || host.startsWith('/')) return socketHost === null || socketHost.startsWith('/');
  return isLoopbackHost(host) || /^127(\.\d{1,3}){3}$/.test(host) || host === '0:0:0:0:0:0:0:1';
}

/** PostgreSQL sslmodes that refuse an unencrypted connection and check who answers. */
export const REQUIRED_SSLMODES: readonly string[] = ['require', 'verify-full'];

function sslmodeOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('sslmode') ?? undefined;
  } catch {
    return undefined;
  }
}

/** A master or data key: AES-256. */
export const KEY_BYTES = 32;
/** A master key id (kid): short, and safe inside the envelopes that name it. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses DATA_KEYS: comma-separated `kid:base64` pairs, each key 32 bytes. Returns the problem as a
 * message instead of throwing so the config schema can report it against the variable.
 */
export function parseMasterKeys(raw: string): { ok: true; keys: Map<string, Buffer> } | { ok: false; message: string } {
  const keys = new Map<string, Buffer>();
  for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = pair.indexOf(':');
    const kid = colon > 0 ? pair.slice(0, colon).trim() : '';
    const b64 = colon > 0 ? pair.slice(colon + 1).trim() : '';
    if (!KID_PATTERN.test(kid)) return { ok: false, message: `an entry is not kid:base64 with a kid of letters, digits, "-" or "_" (at most 32): "${kid || pair.slice(0, 8) + '…'}"` };
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, message: `the key of "${kid}" is not base64` };
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES) return { ok: false, message: `the key of "${kid}" is ${key.length} bytes; it must be ${KEY_BYTES} (openssl rand -base64 32)` };
    if (keys.has(kid)) return { ok: false, message: `kid "${kid}" appears twice` };
    keys.set(kid, key);
  }
  if (keys.size === 0) return { ok: false, message: 'holds no key' };
  return { ok: true, keys };
}

/** DATA_KEYS: the master keys, `kid:base64` pairs separated by commas (each key 32 bytes). */
export const dataKeys = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    if (raw.trim() === '') return new Map<string, Buffer>();
    const parsed = parseMasterKeys(raw);
    if (!parsed.ok) {
      // The message never repeats a key: it names the kid or the problem only.
      ctx.addIssue({ code: 'custom', message: `${parsed.message}; the form is kid:base64 pairs separated by commas, each key 32 bytes (openssl rand -base64 32)` });
      return z.NEVER;
    }
    return parsed.keys;
  });

const partnerTenants = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const map = new Map<string, string>();
    for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
      const eq = pair.indexOf('=');
      const id = eq > 0 ? pair.slice(0, eq).trim().toLowerCase() : '';
      const name = eq > 0 ? pair.slice(eq + 1).trim() : '';
      if (!id || !name || !/^[0-9a-f-]{8,64}$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not a tenantId=Organisation name pair` });
        return z.NEVER;
      }
      map.set(id, name);
    }
    return map;
  });

const idList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const ids = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    for (const id of ids) {
      if (!/^[0-9a-f-]{8,64}$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: `"${id}" is not an Entra object id` });
        return z.NEVER;
      }
    }
    return ids;
  });

/**
 * Where OpenTelemetry traces go (an OTLP/HTTP collector, e.g. http://otel-collector:4318); empty turns
 * tracing off. src/instrument.ts checks it too, before this schema is read, so it is exported.
 */
export const otlpEndpoint = z
  .string()
  .default('')
  .refine((v) => v === '' || (/^https?:\/\//.test(v) && URL.canParse(v)), 'must be an http:// or https:// URL of an OTLP/HTTP collector (e.g. http://otel-collector:4318), or unset to turn tracing off');

export const dataKeyId = z.union([z.literal(''), z.string().regex(KID_PATTERN, 'must be a kid of DATA_KEYS (letters, digits, "-" or "_")')]).default('');

export const configSchema = z
  .object({
    // 0 asks the OS for a free port (tests, benchmarks).
    PORT: z.coerce.number().int().min(0).max(65535).default(3978),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    MicrosoftAppId: z.string().default(''),
    MicrosoftAppPassword: z.string().default(''),
    // Azure stopped creating multi-tenant bot registrations on 31 July 2025: a new bot is SingleTenant
    // (the service's tenant) or UserAssignedMSI; MultiTenant stays for registrations made before then.
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('SingleTenant'),
    MicrosoftAppTenantId: z.string().default(''),
    // Local development only: lets the bot run without MicrosoftAppId (no authentication) on a loopback HOST.
    ALLOW_UNAUTHENTICATED: boolFlag,
    STAFF_TENANT_ID: uuidish.transform((s) => s.toLowerCase()),
    PARTNER_TENANTS: partnerTenants,
    COORDINATOR_AAD_IDS: idList,
    // How a referrer reaches the service (a phone number, an email address), added to the notices they are sent. Empty: not shown.
    SERVICE_CONTACT: z
      .string()
      .trim()
      .max(200, 'must be at most 200 characters: a phone number or an email address, not a paragraph')
      // eslint-disable-next-line no-control-regex -- one line of text: a newline or control character would break the notice
      .regex(/^[^\u0000-\u001F\u007F]*$/, 'must be one line of plain text')
      .default(''),
    // The service's Fair Processing Notice (how it uses personal data), linked from the welcome card and the referral form.
    PRIVACY_URL: z.union([z.literal(''), z.url({ protocol: /^https$/, error: 'must be an https:// address of the privacy notice' })]).default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(16 * 1024).max(10 * 1024 * 1024).default(512 * 1024),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120000).default(10000),
    // Reminders (BullMQ on Redis). The prefix keeps a {hash tag} so Redis Cluster holds a queue in one slot.
    REDIS_KEY_PREFIX: z.string().regex(/^[^\s:]+$/, 'must not contain spaces or ":"').default('{rj}'),
    WORKER_ONLY: boolFlag,
    WEB_ONLY: boolFlag,
    BANK_HOLIDAYS_FILE: z.string().default(''),
    REMINDER_POLICY_FILE: z.string().default(''),
    REMINDER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
    REMINDER_LEASE_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(300_000),
    // A reconcile that failed (Redis down) is retried after this, doubling up to the max, until it succeeds.
    RECONCILE_RETRY_BASE_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    RECONCILE_RETRY_MAX_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
    REDIS_RECONNECT_MAX_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
    // The outbox of messages owed after a change: rows in hand at once, and how long a claim outlives a dead dispatcher.
    OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
    OUTBOX_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    // /metrics (Prometheus) is served only when this is set, and only to a scraper presenting it as a bearer token.
    METRICS_TOKEN: z.union([z.literal(''), z.string().min(24, 'must be at least 24 characters (a long random string)')]).default(''),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_SERVICE_NAME: z.string().default('rj-referrals'),
    // The coordinators' dashboard (Teams tab, /tab and /api/tab/*). Its API takes Teams SSO tokens:
    // the public host name the tab is served from (the manifest's api://<host>/<app id>) ...
    TAB_HOST: z.union([z.literal(''), z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?$/i, 'must be a host name such as rj.example.org (no scheme, no path)')]).default(''),
    // ... the token audience (default api://<TAB_HOST>/<MicrosoftAppId>) and where the signing keys are
    // (default Microsoft's keys for the token's tenant; "{tenant}" in the URL is replaced by its tid).
    TAB_AUDIENCE: z.string().default(''),
    TAB_JWKS_URL: z
      .string()
      .default('https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys')
      .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v.replace('{tenant}', 'x')), 'must be an https:// URL of a JWKS (may contain {tenant})'),
    // The Teams app id of the package (npm run package prints it): the monthly report card's button opens the tab with it.
    TEAMS_APP_ID: z.union([z.literal(''), uuidish.transform((s) => s.toLowerCase())]).default(''),
    // Seconds of clock difference tolerated on a token's exp/nbf.
    TAB_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
    // Retention (docs/DATA.md): closed cases are anonymised this many years after closing; abandoned
    // referral drafts are deleted after this many days.
    RETENTION_YEARS: z.coerce.number().int().min(1, 'RETENTION_YEARS must be at least 1').max(100).default(7),
    DRAFT_RETENTION_DAYS: z.coerce.number().int().min(1, 'DRAFT_RETENTION_DAYS must be at least 1').max(3650).default(30),
    // 'production' makes start-up strict: real master keys and TLS to PostgreSQL and Redis.
    NODE_ENV: z.string().default(''),
    // Encryption at rest (src/store/crypto): the master keys that wrap every data key, and the one new keys are wrapped with.
    DATA_KEYS: dataKeys,
    DATA_KEY_ID: dataKeyId,
  })
  .superRefine((c, ctx) => {
    // Fail closed: without an app id nothing authenticates /api/messages, so anyone who can reach it
    // could act as any user (a coordinator included). That is only acceptable on this machine, on purpose.
    if (!c.MicrosoftAppId && !c.ALLOW_UNAUTHENTICATED) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppId'],
        message:
          'is required: without it requests to /api/messages are not authenticated. Set the bot\'s app id (and MicrosoftAppPassword); ' +
          'for local development only, set ALLOW_UNAUTHENTICATED=1 with HOST=127.0.0.1 instead (npm start does this when it runs local services)',
      });
    }
    if (c.ALLOW_UNAUTHENTICATED && !isLoopbackHost(c.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ALLOW_UNAUTHENTICATED'],
        message: `is only allowed with HOST on a loopback address (${LOOPBACK_HOSTS.join(', ')}), not "${c.HOST}": an unauthenticated bot must not be reachable from other machines. Unset it and set MicrosoftAppId, or set HOST=127.0.0.1`,
      });
    }
    if (c.MicrosoftAppId && !c.MicrosoftAppPassword && c.MicrosoftAppType !== 'UserAssignedMSI') {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'is required when MicrosoftAppId is set' });
    }
    if (c.MicrosoftAppId && c.MicrosoftAppType !== 'MultiTenant' && !c.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: `is required for a ${c.MicrosoftAppType} app (the service's Entra tenant id)` });
    }
    if (c.RECONCILE_RETRY_MAX_MS < c.RECONCILE_RETRY_BASE_MS) {
      ctx.addIssue({ code: 'custom', path: ['RECONCILE_RETRY_MAX_MS'], message: 'must not be less than RECONCILE_RETRY_BASE_MS' });
    }
    if (c.WORKER_ONLY && c.WEB_ONLY) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_ONLY'], message: 'cannot be set together with WEB_ONLY' });
    }
    const production = c.NODE_ENV === 'production';
    if (c.DATA_KEYS.size === 0 || !c.DATA_KEY_ID) {
      const missing = c.DATA_KEYS.size === 0 ? 'DATA_KEYS' : 'DATA_KEY_ID';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: production
          ? 'is required with NODE_ENV=production: personal data is encrypted under the master keys DATA_KEYS (kid:base64 pairs, 32-byte keys) and DATA_KEY_ID names the current one; set both (deploy/README.md)'
          : 'is required: set DATA_KEYS (kid:base64 pairs, 32-byte keys) and DATA_KEY_ID (the current kid); for local development npm start creates them in .data/data-keys.env',
      });
    } else if (!c.DATA_KEYS.has(c.DATA_KEY_ID)) {
      ctx.addIssue({ code: 'custom', path: ['DATA_KEY_ID'], message: `"${c.DATA_KEY_ID}" is not a kid of DATA_KEYS (${[...c.DATA_KEYS.keys()].join(', ')})` });
    }
    if (production && !isLocalServiceUrl(c.DATABASE_URL) && !REQUIRED_SSLMODES.includes(sslmodeOf(c.DATABASE_URL) ?? '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: `must use TLS with NODE_ENV=production: add ?sslmode=require (or sslmode=verify-full) to the URL${sslmodeOf(c.DATABASE_URL) ? ` (it has sslmode=${sslmodeOf(c.DATABASE_URL)})` : ''}; only a loopback host may go without`,
      });
    }
    if (production && !isLocalServiceUrl(c.REDIS_URL) && !c.REDIS_URL.startsWith('rediss://')) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'must use TLS with NODE_ENV=production: a rediss:// URL; only a loopback host may use redis://' });
    }
    if (c.PARTNER_TENANTS.has(c.STAFF_TENANT_ID)) {
      ctx.addIssue({ code: 'custom', path: ['PARTNER_TENANTS'], message: 'must not contain STAFF_TENANT_ID' });
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration; fix these environment variables (see .env.example):\n${lines.join('\n')}`);
  }
  return result.data;
}
