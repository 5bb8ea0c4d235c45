/**
 * A local stand-in for the two Microsoft services a bot with MicrosoftAppId set talks to:
 *
 * - the Bot Framework channel's token issuer: an OpenID configuration and JWKS over HTTP on 127.0.0.1,
 *   whose test RSA key signs the tokens a test puts on its requests to /api/messages (`channelToken`);
 * - the login authority the bot gets its outbound token from (client credentials through MSAL): HTTPS
 *   on 127.0.0.1 with a throwaway self-signed certificate (MSAL accepts only https authorities), whose
 *   tokens the connector emulator then sees on every reply (`issuedTokens`).
 *
 * The app is pointed at both through `endpoints` (createApp's botFrameworkEndpoints option).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type KeyLike } from 'jose';
import selfsigned from 'selfsigned';
import type { BotFrameworkEndpoints } from '../../src/teams/botAuthentication';

export const TEST_APP_ID = '0f0f0f0f-0000-4000-8000-000000000abc';
export const TEST_APP_PASSWORD = 'test-only-client-secret';

export interface ChannelTokenOptions {
  /** Default TEST_APP_ID. */
  audience?: string;
  /** Default the local issuer (`endpoints.tokenIssuer`). */
  issuer?: string;
  /** The `serviceurl` claim: botbuilder requires it to equal the activity's serviceUrl. */
  serviceUrl: string;
  /** Seconds from now; negative for a token that has expired. Default 3600. */
  expiresIn?: number;
  /** "Now" for iat/nbf/exp, when the bot checking the token runs on another clock than the test. */
  now?: Date;
  /** Sign with this key instead of the published one (same kid): a signature that does not verify. */
  key?: KeyLike;
}

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  grantType: string;
  scope: string;
}

export interface BotFrameworkAuthServers {
  endpoints: BotFrameworkEndpoints;
  /** A Bot Framework channel token as Teams would send it, signed with the published key. */
  channelToken(o: ChannelTokenOptions): Promise<string>;
  /** An unsigned token (`alg: none`) with otherwise valid claims. */
  unsignedToken(o: ChannelTokenOptions): string;
  /** A key nobody published, to forge signatures with. */
  foreignKey(): Promise<KeyLike>;
  /** Client-credentials requests the login authority answered, in order. */
  tokenRequests(): TokenRequest[];
  /** Access tokens the login authority issued to the bot, in order. */
  issuedTokens(): string[];
  close(): Promise<void>;
}

const KID = 'rj-test-key-1';

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port)));
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  // Two calls: restify (loaded in the same process) replaces ServerResponse#writeHead with one that does not return the response.
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * A self-signed certificate for 127.0.0.1, made fresh for each run (nothing secret is committed). It is
 * valid from 2020 to 2040, so a bot running on a pinned clock (the production rehearsal) trusts it too.
 */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date('2020-01-01T00:00:00Z'),
    notAfterDate: new Date('2040-01-01T00:00:00Z'),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function startBotFrameworkAuth(): Promise<BotFrameworkAuthServers> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  // Bot Framework publishes the channels each key may sign for; botbuilder checks the activity's channelId against them.
  const jwk: JWK & { endorsements: string[] } = { ...(await exportJWK(publicKey)), kid: KID, use: 'sig', alg: 'RS256', endorsements: ['msteams', 'webchat', 'directline', 'emulator'] };
  const loginKeys = await generateKeyPair('RS256');

  const metadata = createHttpServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') json(res, 200, { issuer: issuerUrl, jwks_uri: `${metadataBase}/keys`, id_token_signing_alg_values_supported: ['RS256'] });
    else if (req.url === '/keys') json(res, 200, { keys: [jwk] });
    else json(res, 404, { error: 'not_found' });
  });
  const metadataBase = `http://127.0.0.1:${await listen(metadata)}`;
  const issuerUrl = `${metadataBase}/`;

  const requests: TokenRequest[] = [];
  const issued: string[] = [];
  const tls = await selfSignedCertificate();
  const login = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
      const tenant = `${loginBase}/botframework.com`;
      if (req.method === 'GET' && path.endsWith('/.well-known/openid-configuration')) {
        json(res, 200, {
          issuer: `${tenant}/v2.0`,
          authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${tenant}/oauth2/v2.0/token`,
          end_session_endpoint: `${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${tenant}/discovery/v2.0/keys`,
        });
        return;
      }
      if (req.method === 'POST' && path === '/botframework.com/oauth2/v2.0/token') {
        const form = new URLSearchParams(await readBody(req));
        const r: TokenRequest = { clientId: form.get('client_id') ?? '', clientSecret: form.get('client_secret') ?? '', grantType: form.get('grant_type') ?? '', scope: form.get('scope') ?? '' };
        requests.push(r);
        if (r.clientId !== TEST_APP_ID || r.clientSecret !== TEST_APP_PASSWORD || r.grantType !== 'client_credentials') {
          json(res, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
          return;
        }
        const accessToken = await new SignJWT({ appid: r.clientId })
          .setProtectedHeader({ alg: 'RS256', kid: 'rj-test-login-key' })
          .setIssuer(`${tenant}/v2.0`)
          .setAudience(r.scope.replace(/\/\.default$/, ''))
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(loginKeys.privateKey);
        issued.push(accessToken);
        json(res, 200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: accessToken });
        return;
      }
      json(res, 404, { error: 'not_found' });
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  const loginBase = `https://127.0.0.1:${await listen(login)}`;

  const claims = (o: ChannelTokenOptions) => ({ serviceurl: o.serviceUrl, aud: o.audience ?? TEST_APP_ID, iss: o.issuer ?? issuerUrl });
  const times = (o: ChannelTokenOptions) => {
    const now = Math.floor((o.now?.getTime() ?? Date.now()) / 1000);
    const exp = now + (o.expiresIn ?? 3600);
    // An expired token was also issued and valid before it expired.
    return { iat: Math.min(now, exp - 3600), nbf: Math.min(now, exp - 3600), exp };
  };

  return {
    endpoints: { openIdMetadataUrl: `${metadataBase}/.well-known/openid-configuration`, tokenIssuer: issuerUrl, loginUrl: `${loginBase}/botframework.com`, loginCaPem: tls.cert },
    async channelToken(o) {
      const { serviceurl, aud, iss } = claims(o);
      const t = times(o);
      return new SignJWT({ serviceurl, nbf: t.nbf })
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt(t.iat)
        .setExpirationTime(t.exp)
        .sign(o.key ?? privateKey);
    },
    unsignedToken(o) {
      const { serviceurl, aud, iss } = claims(o);
      const t = times(o);
      return new UnsecuredJWT({ serviceurl, nbf: t.nbf }).setIssuer(iss).setAudience(aud).setIssuedAt(t.iat).setExpirationTime(t.exp).encode();
    },
    foreignKey: async () => (await generateKeyPair('RS256')).privateKey,
    tokenRequests: () => [...requests],
    issuedTokens: () => [...issued],
    async close() {
      for (const s of [metadata, login]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

