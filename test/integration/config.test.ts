import { ConfigError, loadConfig } from '../../src/config';

const base = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/rj',
  REDIS_URL: 'redis://127.0.0.1:6379',
  STAFF_TENANT_ID: '11111111-1111-4111-8111-111111111111',
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
