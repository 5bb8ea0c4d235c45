import { ConfigError, isLocalServiceUrl, loadConfig } from '../../src/config';
import { TEST_DATA_KEY_ENV } from '../support/dataKeys';

const base = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/rj',
  REDIS_URL: 'redis://127.0.0.1:6379',
  STAFF_TENANT_ID: '11111111-1111-4111-8111-111111111111',
  ...TEST_DATA_KEY_ENV,
};
const bot = { MicrosoftAppId: '3f1b5a2e-7c4d-4e8f-9a0b-1c2d3e4f5a6b', MicrosoftAppPassword: 'secret' };

test('a bot registration is SingleTenant unless told otherwise (Azure creates no new multi-tenant bots)', () => {
  expect(loadConfig({ ...base, ...bot, MicrosoftAppTenantId: base.STAFF_TENANT_ID }).MicrosoftAppType).toBe('SingleTenant');
});

test.each([
  ['SingleTenant', { ...bot }],
  ['UserAssignedMSI', { MicrosoftAppId: bot.MicrosoftAppId }],
])('%s without MicrosoftAppTenantId is refused, naming it', (type, env) => {
  expect(() => loadConfig({ ...base, ...env, MicrosoftAppType: type })).toThrow(ConfigError);
  expect(() => loadConfig({ ...base, ...env, MicrosoftAppType: type })).toThrow(/MicrosoftAppTenantId/);
});

test('an older MultiTenant registration needs no tenant id; local mode needs no bot settings at all', () => {
  expect(loadConfig({ ...base, ...bot, MicrosoftAppType: 'MultiTenant' }).MicrosoftAppType).toBe('MultiTenant');
  expect(loadConfig({ ...base, ALLOW_UNAUTHENTICATED: '1', HOST: '127.0.0.1' }).MicrosoftAppId).toBe('');
});

test.each([
  ['no app id and no ALLOW_UNAUTHENTICATED', {}, /MicrosoftAppId/],
  ['ALLOW_UNAUTHENTICATED on every interface', { ALLOW_UNAUTHENTICATED: '1', HOST: '0.0.0.0' }, /ALLOW_UNAUTHENTICATED/],
])('fails closed: %s', (_name, env, message) => {
  expect(() => loadConfig({ ...base, ...env })).toThrow(message);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT: unset turns tracing off; a malformed one is refused, naming it', () => {
  const local = { ...base, ALLOW_UNAUTHENTICATED: '1', HOST: '127.0.0.1' };
  expect(loadConfig(local).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('');
  expect(loadConfig({ ...local, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
  for (const bad of ['otel-collector:4318', 'grpc://otel-collector:4317', 'http://']) {
    expect(() => loadConfig({ ...local, OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
  }
});

test('SERVICE_CONTACT: empty unless set, trimmed; a second line or a paragraph is refused, naming it', () => {
  const local = { ...base, ALLOW_UNAUTHENTICATED: '1', HOST: '127.0.0.1' };
  expect(loadConfig(local).SERVICE_CONTACT).toBe('');
  expect(loadConfig({ ...local, SERVICE_CONTACT: '  rj@example.org or 020 7946 0999 ' }).SERVICE_CONTACT).toBe('rj@example.org or 020 7946 0999');
  expect(() => loadConfig({ ...local, SERVICE_CONTACT: 'rj@example.org\nCall us' })).toThrow(/SERVICE_CONTACT: must be one line of plain text/);
  expect(() => loadConfig({ ...local, SERVICE_CONTACT: 'x'.repeat(201) })).toThrow(/SERVICE_CONTACT: must be at most 200 characters/);
});

describe('DATA_KEYS and DATA_KEY_ID (encryption at rest)', () => {
  const local = { ...base, ALLOW_UNAUTHENTICATED: '1', HOST: '127.0.0.1' };
  const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
  const { DATA_KEYS: _k, DATA_KEY_ID: _i, ...withoutKeys } = local;

  test('kid:base64 pairs become the master keys; DATA_KEY_ID picks the current one', () => {
    const c = loadConfig({ ...local, DATA_KEYS: `2026-01:${key(1)}, 2026-07:${key(2)}`, DATA_KEY_ID: '2026-07' });
    expect([...c.DATA_KEYS.keys()]).toEqual(['2026-01', '2026-07']);
    expect(c.DATA_KEYS.get('2026-07')).toEqual(Buffer.alloc(32, 2));
    expect(c.DATA_KEY_ID).toBe('2026-07');
  });

  test.each([
    ['missing, in development', withoutKeys, /DATA_KEYS: is required: .*npm start creates them in \.data\/data-keys\.env/],
    ['missing, with NODE_ENV=production', { ...withoutKeys, NODE_ENV: 'production' }, /DATA_KEYS: is required with NODE_ENV=production: .*DATA_KEY_ID/],
    ['no DATA_KEY_ID', { ...local, DATA_KEY_ID: '' }, /DATA_KEY_ID: is required/],
    ['DATA_KEY_ID not among DATA_KEYS', { ...local, DATA_KEY_ID: 'test-9' }, /DATA_KEY_ID: "test-9" is not a kid of DATA_KEYS \(test-1, test-2\)/],
    ['a key of 16 bytes', { ...local, DATA_KEYS: `a:${Buffer.alloc(16).toString('base64')}`, DATA_KEY_ID: 'a' }, /DATA_KEYS: the key of "a" is 16 bytes; it must be 32/],
    ['not base64', { ...local, DATA_KEYS: 'a:not base64!', DATA_KEY_ID: 'a' }, /DATA_KEYS: the key of "a" is not base64/],
    ['no kid', { ...local, DATA_KEYS: key(1), DATA_KEY_ID: 'a' }, /DATA_KEYS: an entry is not kid:base64/],
    ['a kid twice', { ...local, DATA_KEYS: `a:${key(1)},a:${key(2)}`, DATA_KEY_ID: 'a' }, /DATA_KEYS: kid "a" appears twice/],
  ])('refused: %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('a refusal never repeats key material', () => {
    const secret = Buffer.alloc(16, 7).toString('base64');
    expect(() => loadConfig({ ...local, DATA_KEYS: `a:${secret}`, DATA_KEY_ID: 'a' })).toThrow(/DATA_KEYS/);
    try {
      loadConfig({ ...local, DATA_KEYS: `a:${secret}`, DATA_KEY_ID: 'a' });
    } catch (err) {
      expect(String(err)).not.toContain(secret);
    }
  });
});

describe('transport: TLS to PostgreSQL and Redis with NODE_ENV=production', () => {
  const prod = { ...base, ...bot, MicrosoftAppTenantId: base.STAFF_TENANT_ID, NODE_ENV: 'production' };
  const remoteDb = 'postgres://rj:pw@db.example.org:5432/rj';
  const remoteRedis = ':pw@cache.example.org:6380';

  test.each([
    ['remote, sslmode=require', `${remoteDb}?sslmode=require`, true],
    ['remote, sslmode=verify-full', `${remoteDb}?sslmode=verify-full&sslrootcert=/certs/ca.crt`, true],
    ['remote, no sslmode', remoteDb, false],
    ['remote, sslmode=prefer', `${remoteDb}?sslmode=prefer`, false],
    ['remote, sslmode=disable', `${remoteDb}?sslmode=disable`, false],
    ['remote, sslmode=no-verify', `${remoteDb}?sslmode=no-verify`, false],
    ['loopback 127.0.0.1, no sslmode', 'postgres://rj@127.0.0.1:5432/rj', true],
    ['loopback localhost, no sslmode', 'postgres://rj@localhost/rj', true],
    ['loopback [::1], no sslmode', 'postgres://rj@[::1]:5432/rj', true],
    ['a Unix socket', 'postgres:///rj?host=/var/run/postgresql', true],
    ['a host merely starting with 127', 'postgres://rj@127.example.org/rj', false],
  ])('DATABASE_URL %s: %s', (_name, url, ok) => {
    const env = { ...prod, DATABASE_URL: url, REDIS_URL: `rediss://${remoteRedis}` };
    if (ok) expect(loadConfig(env).DATABASE_URL).toBe(url);
    else expect(() => loadConfig(env)).toThrow(/DATABASE_URL: must use TLS with NODE_ENV=production: add \?sslmode=require \(or sslmode=verify-full\)/);
  });

  test.each([
    ['remote rediss://', `rediss://${remoteRedis}`, true],
    ['remote redis://', `redis://${remoteRedis}`, false],
    ['loopback redis://', 'redis://127.0.0.1:6379', true],
    ['loopback localhost redis://', 'redis://localhost:6379', true],
  ])('REDIS_URL %s', (_name, url, ok) => {
    const env = { ...prod, DATABASE_URL: `${remoteDb}?sslmode=require`, REDIS_URL: url };
    if (ok) expect(loadConfig(env).REDIS_URL).toBe(url);
    else expect(() => loadConfig(env)).toThrow(/REDIS_URL: must use TLS with NODE_ENV=production: a rediss:\/\/ URL/);
  });

  test('outside production plain connections are allowed (development, tests)', () => {
    expect(loadConfig({ ...prod, NODE_ENV: 'development', DATABASE_URL: remoteDb, REDIS_URL: `redis://${remoteRedis}` }).DATABASE_URL).toBe(remoteDb);
  });

  test('both refused at once are both named', () => {
    expect(() => loadConfig({ ...prod, DATABASE_URL: remoteDb, REDIS_URL: `redis://${remoteRedis}` })).toThrow(/DATABASE_URL[\s\S]*REDIS_URL/);
  });

  test.each([
    ['http://127.0.0.1', true],
    ['not a url', false],
    ['postgres://rj@10.0.0.1/rj', false],
    ['postgres://rj@127.1.2.3/rj', true],
  ])('isLocalServiceUrl(%s) is %s', (url, local) => {
    expect(isLocalServiceUrl(url)).toBe(local);
  });
});
