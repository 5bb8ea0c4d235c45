import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/*
 * The tab's API takes the Teams single sign-on token (authentication.getAuthToken) as a bearer
 * token. It is an Entra access token for our own API: signed with the keys of the user's tenant,
 * issued by that tenant (v1 or v2 endpoint), for our audience, with the delegated scope
 * access_as_user. Anything less is refused with a reason code the page and the logs can name.
 */

export const TOKEN_REASONS = [
  'missing_token',
  'malformed_token',
  'tenant_not_allowed',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  'missing_scope',
  'missing_claims',
  'keys_unavailable',
] as const;
export type TokenReason = (typeof TOKEN_REASONS)[number];

export type TokenCheck =
  | { readonly ok: true; readonly oid: string; readonly tid: string }
  | { readonly ok: false; readonly reason: TokenReason };

export interface TokenCheckOptions {
  /** Tenants whose users may call the API (the bot's own allow-list: staff and partner tenants), lower-case. */
  allowedTenants: readonly string[];
  /** Accepted `aud` values: api://<host>/<app id> (v1 tokens) and the app id itself (v2 tokens). */
  audiences: readonly string[];
  /** JWKS URL; "{tenant}" is replaced by the token's tid. */
  jwksUrl: string;
  clockSkewSeconds: number;
  /** Tests pin "now" to the app's clock. */
  now?: () => Date;
}

export const REQUIRED_SCOPE = 'access_as_user';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function issuersFor(tid: string): string[] {
  return [`https://sts.windows.net/${tid}/`, `https://login.microsoftonline.com/${tid}/v2.0`];
}

export interface TokenChecker {
  check(authorization: string | undefined): Promise<TokenCheck>;
}

export function createTokenChecker(o: TokenCheckOptions): TokenChecker {
  const allowed = new Set(o.allowedTenants.map((t) => t.toLowerCase()));
  // One key set per tenant, made on first use and kept: jose caches and refreshes the keys itself.
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keysFor = (tid: string): JWTVerifyGetKey => {
    let set = keySets.get(tid);
    if (!set) {
      set = createRemoteJWKSet(new URL(o.jwksUrl.replace('{tenant}', tid)), { timeoutDuration: 5000, cooldownDuration: 30_000 });
      keySets.set(tid, set);
    }
    return set;
  };

  return {
    async check(authorization) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!m) return { ok: false, reason: 'missing_token' };
      const token = m[1]!;
      let tid: string;
      try {
        const claims = decodeJwt(token);
        // Read before verifying only to pick the tenant's keys and issuer; nothing is trusted until verified.
        tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : '';
      } catch {
        return { ok: false, reason: 'malformed_token' };
      }
      if (!GUID.test(tid)) return { ok: false, reason: 'missing_claims' };
      if (!allowed.has(tid)) return { ok: false, reason: 'tenant_not_allowed' };
      try {
        const { payload } = await jwtVerify(token, keysFor(tid), {
          algorithms: ['RS256'],
          issuer: issuersFor(tid),
          audience: [...o.audiences],
          clockTolerance: o.clockSkewSeconds,
          requiredClaims: ['exp', 'iat', 'oid', 'tid'],
          ...(o.now ? { currentDate: o.now() } : {}),
        });
        const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
        if (!scopes.includes(REQUIRED_SCOPE)) return { ok: false, reason: 'missing_scope' };
        const oid = typeof payload.oid === 'string' ? payload.oid.toLowerCase() : '';
        if (!GUID.test(oid)) return { ok: false, reason: 'missing_claims' };
        return { ok: true, oid, tid };
      } catch (err) {
        return { ok: false, reason: reasonOf(err) };
      }
    },
  };
}

function reasonOf(err: unknown): TokenReason {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid';
    return 'missing_claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JOSEAlgNotAllowed) return 'bad_signature';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return 'keys_unavailable';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed_token';
  // A fetch failure of the key set (connection refused, DNS) surfaces as a plain error.
  if (err instanceof Error && !(err instanceof errors.JOSEError)) return 'keys_unavailable';
  return 'bad_signature';
}
