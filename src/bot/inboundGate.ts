import type { Activity, Request, Response } from 'botbuilder';
import { AuthenticationError, type BotFrameworkAuthentication } from 'botframework-connector';
import { z } from 'zod';
import type { Logger } from '../log';

/**
 * Channels the bot talks to. It is a Teams bot: Web Chat and Direct Line would let anyone holding a
 * Direct Line secret in, and their users carry no tenant or Entra id. The Bot Framework Emulator is a
 * local tool, so it is accepted only without authentication (ALLOW_UNAUTHENTICATED on loopback).
 */
export function allowedChannels(authEnabled: boolean): ReadonlySet<string> {
  return new Set(authEnabled ? ['msteams'] : ['msteams', 'emulator']);
}

export type Admission = { ok: true } | { ok: false; status: 401 | 403 | 503; error: string };

export interface InboundGateOptions {
  /** The same authentication the adapter uses. */
  auth: BotFrameworkAuthentication;
  authEnabled: boolean;
  log: Logger;
}

/** Only what the gate reads; the adapter (and the envelope check in front of it) own the rest. */
const envelope = z.object({
  type: z.unknown(),
  id: z.unknown(),
  channelId: z.unknown(),
  serviceUrl: z.unknown(),
});

const short = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 64) : undefined);

/**
 * Runs in front of the adapter, so a refusal is a real HTTP status and nothing reaches the bot (no
 * conversation reference, no state, no screening). It authenticates first, so the channel check runs
 * only on a request the channel really sent, and an unauthenticated caller learns nothing but 401.
 *
 * It authenticates with botbuilder's own BotFrameworkAuthentication, then the adapter authenticates
 * the same request again: CloudAdapter takes a ready AuthenticateRequestResult only through a
 * protected method, and the second check costs one RSA verification against cached keys. Doing it
 * here also turns every token failure into 401: botbuilder answers 500 to a token whose signature
 * does not verify (jsonwebtoken's error is not an AuthenticationError).
 */
export class InboundGate {
  private readonly channels: ReadonlySet<string>;

  constructor(private readonly o: InboundGateOptions) {
    this.channels = allowedChannels(o.authEnabled);
  }

  async admit(body: unknown, authorization: string): Promise<Admission> {
    const parsed = envelope.safeParse(body);
    // Not an activity at all: the adapter answers 400 (and with authentication on, it checks the token first).
    if (!parsed.success) return { ok: true };
    const a = parsed.data;
    const ids = { activityType: short(a.type), activityId: short(a.id), channelId: short(a.channelId) };
    if (this.o.authEnabled) {
      try {
        await this.o.auth.authenticateRequest(body as Activity, authorization);
      } catch (err) {
        const reason = err instanceof Error ? err.message.slice(0, 200) : typeof err;
        // botbuilder reports a signing-key document it could not load as a 500 AuthenticationError: ours to fix, not the caller's.
        if (err instanceof AuthenticationError && err.statusCode >= 500) {
          this.o.log.error({ ...ids, reason }, 'could not check a Bot Framework token (OpenID metadata unavailable)');
          return { ok: false, status: 503, error: 'authentication unavailable, retry later' };
        }
        this.o.log.warn({ ...ids, reason }, 'request refused: not a valid Bot Framework token');
        return { ok: false, status: 401, error: 'unauthorized' };
      }
    }
    if (typeof a.channelId !== 'string' || !this.channels.has(a.channelId)) {
      this.o.log.warn(ids, 'activity from a channel other than Microsoft Teams refused');
      return { ok: false, status: 403, error: 'this bot only talks to Microsoft Teams' };
    }
    return { ok: true };
  }

  /** The gate, then the adapter: what /api/messages runs for each request. */
  async process(req: Request, res: Response, next: () => Promise<void>): Promise<void> {
    const header = req.headers.authorization ?? req.headers.Authorization;
    const admission = await this.admit(req.body, typeof header === 'string' ? header : '');
    if (!admission.ok) {
      if (admission.status === 503) res.header('Retry-After', '30');
      res.status(admission.status);
      res.send({ error: admission.error });
      res.end();
      return;
    }
    await next();
  }
}
