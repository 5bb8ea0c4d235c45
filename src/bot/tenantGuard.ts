import { ActivityTypes, TurnContext, type Middleware } from 'botbuilder';
import type { Logger } from '../log';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import type { JsonObject } from '../store/types';
import { cleanDisplayName } from '../domain/text';
import { identitySchema } from './activitySchemas';
import { setActor } from './turn';

export interface TenantGuardOptions {
  staffTenantId: string;
  partnerTenants: ReadonlyMap<string, string>;
  /** Without an app id (local development) an activity with no tenant is taken as the staff tenant. */
  authEnabled: boolean;
  refs: ConversationRefRepository;
  log: Logger;
}

export const REFUSAL_TEXT =
  'Sorry, RJ Referrals is only available to the restorative justice service and its partner organisations. ' +
  'If you think your organisation should have access, please contact the service.';

const UNIDENTIFIED_TEXT =
  'Sorry, I could not tell who you are from this message, so I cannot continue. Please use Microsoft Teams with your work account.';

/**
 * Runs first on every activity: decides who is acting from verified ids (tenant and Entra object
 * id, never a display name), refuses tenants that are not on the allow-list before anything is
 * stored, and keeps the conversation reference fresh for proactive messages.
 */
/** How long a conversation reference written by one activity is trusted before the next write. */
const REFERENCE_REFRESH_MS = 60_000;
const REFERENCE_CACHE_MAX = 10_000;

export class TenantGuard implements Middleware {
  /**
   * Conversations whose reference was written recently, with what was written: a busy chat then
   * costs one write a minute instead of one per message (the write was a third of a turn's queries).
   */
  private readonly recent = new Map<string, { fingerprint: string; at: number }>();

  constructor(private readonly o: TenantGuardOptions) {}

  async onTurn(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
    const a = ctx.activity;
    const parsed = identitySchema.safeParse(a);
    if (!parsed.success) {
      this.o.log.warn({ activityType: a.type, activityId: a.id }, 'activity rejected: missing or malformed identity fields');
      await this.answer(ctx, 400, UNIDENTIFIED_TEXT);
      return;
    }
    const identity = parsed.data;
    const rawTenant = identity.channelData?.tenant?.id ?? identity.conversation.tenantId;
    const tenantId = rawTenant ? rawTenant.toLowerCase() : this.o.authEnabled ? undefined : this.o.staffTenantId;
    const staffTenant = tenantId === this.o.staffTenantId;
    const organisation = tenantId ? this.o.partnerTenants.get(tenantId) : undefined;
    if (!tenantId || (!staffTenant && !organisation)) {
      this.o.log.warn({ tenantId: tenantId ?? null, activityType: a.type, activityId: a.id }, 'activity from a tenant not on the allow-list refused');
      await this.answer(ctx, 403, REFUSAL_TEXT);
      return;
    }
    const rawId = identity.from.aadObjectId ?? (this.o.authEnabled ? undefined : identity.from.id);
    const aadObjectId = rawId?.toLowerCase();
    if (!aadObjectId) {
      this.o.log.warn({ tenantId, activityType: a.type, activityId: a.id }, 'activity without an Entra object id refused');
      await this.answer(ctx, 400, UNIDENTIFIED_TEXT);
      return;
    }
    setActor(ctx, {
      aadObjectId,
      tenantId,
      staffTenant,
      organisation,
      displayName: cleanDisplayName(identity.from.name),
    });
    await this.captureReference(ctx, tenantId, aadObjectId, identity.conversation.conversationType ?? 'personal');
    this.o.log.debug({ activityId: a.id, activityType: a.type, invoke: a.name, conversationId: a.conversation.id, tenantId, aadObjectId }, 'activity');
    await next();
  }

  private async captureReference(ctx: TurnContext, tenantId: string, aadObjectId: string, conversationType: string): Promise<void> {
    const a = ctx.activity;
    // The activity id is per message; a proactive send never needs it, and keeping it would make
    // every message a change.
    const { activityId: _activityId, ...reference } = TurnContext.getConversationReference(a);
    const conversationId = a.conversation.id;
    const fingerprint = `${a.serviceUrl}|${tenantId}|${aadObjectId}|${conversationType}`;
    const now = Date.now();
    const seen = this.recent.get(conversationId);
    if (seen && seen.fingerprint === fingerprint && now - seen.at < REFERENCE_REFRESH_MS) return;
    await this.o.refs.upsert({
      conversationId,
      tenantId,
      aadObjectId: conversationType === 'personal' ? aadObjectId : null,
      conversationType,
      serviceUrl: a.serviceUrl,
      reference: reference as unknown as JsonObject,
    });
    if (this.recent.size >= REFERENCE_CACHE_MAX) this.recent.clear();
    this.recent.set(conversationId, { fingerprint, at: now });
  }

  /** One polite answer where the user is waiting for one; silence for events nobody sees. */
  private async answer(ctx: TurnContext, status: 400 | 403, text: string): Promise<void> {
    const a = ctx.activity;
    if (a.type === ActivityTypes.Invoke) {
      await ctx.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: status, type: 'application/vnd.microsoft.error', value: { code: status === 403 ? 'Forbidden' : 'BadRequest', message: text } } },
      });
    } else if (a.type === ActivityTypes.Message || (a.type === ActivityTypes.InstallationUpdate && a.action === 'add')) {
      await ctx.sendActivity(text);
    }
  }
}
