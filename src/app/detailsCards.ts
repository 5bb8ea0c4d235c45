import { caseBaseCard, caseUnavailableCard, type ChatView } from '../../cards/caseBase';
import type { AdaptiveCard } from '../../cards/adaptive';
import { caseProgress } from '../domain/caseProgress';
import { caseView, isClosed } from '../domain/caseState';
import { detailsInChat, type Actor as DomainActor } from '../domain/permissions';
import { CASE_STAGES } from '../domain/vocabulary';
import type { Logger } from '../log';
import type { CaseCardRepository, ShownCaseCard } from '../store/caseCardRepository';
import type { CaseRecord, CaseRepository } from '../store/caseRepository';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import type { ProgressRepository } from '../store/progressRepository';
import type { Actor } from './actor';
import type { Messenger, SendOutcome } from './messenger';

export interface DetailsCardsDeps {
  cases: Pick<CaseRepository, 'getCase' | 'findByReference'>;
  progress: Pick<ProgressRepository, 'listEvents'>;
  /** Roles from the roster, read only (StaffRoles.of). */
  roles: (actor: Actor) => Promise<DomainActor>;
  cards: Pick<CaseCardRepository, 'recordShown' | 'unsealed'>;
  messenger: Pick<Messenger, 'sendToUser' | 'updateActivity'>;
  refs: Pick<ConversationRefRepository, 'findPersonal'>;
  staffTenantId: string;
  log: Logger;
}

/** The reader of a message in their own 1:1 chat with the bot. */
export interface Reader {
  actor: Actor;
  /** Their Teams id (`29:…`), which refresh.userIds names; undefined when not known. */
  teamsUserId: string | undefined;
}

/** What sealing a case's messages came to: which readers lost access for good, and whether to try again. */
export interface SealOutcome {
  updated: number;
  /** Rows whose readers may no longer see the case (or whose message is gone): never updated again. */
  sealedIds: string[];
  /** A transient failure (throttled, Teams down): try again later; updates are idempotent. */
  retry?: { reason: string; retryAfterMs?: number };
}

/**
 * Case details in Teams chats (issue 10, item 1). A message about a case holds only its base view
 * (reference, stage, Open) and a `refresh` for the readers who may see the details; the details are
 * read from PostgreSQL at each refresh, for that reader. Every message that showed details is
 * recorded, so that when a reader's access ends (replaced, closed) or the data changes under them
 * (erasure, anonymisation) it is updated back to the base view, which also drops whatever Teams
 * kept on their device.
 */
export class DetailsCards {
  constructor(private readonly d: DetailsCardsDeps) {}

  /** Whether the actor may see the case's details in their chat now (detailsInChat of the case as it is). */
  async mayView(actor: Actor, caseIdOrReference: string): Promise<boolean> {
    const found = await this.find(caseIdOrReference);
    if (!found) return false;
    return this.allowed(await this.d.roles(actor), found);
  }

  /** The base view of a case for `readers` (Teams ids) to refresh into `view`; undefined for no such case. */
  async baseCard(caseIdOrReference: string, view: ChatView, readers: readonly string[]): Promise<{ caseId: string; card: AdaptiveCard } | undefined> {
    const c = await this.lookup(caseIdOrReference);
    if (!c) return undefined;
    return { caseId: c.id, card: caseBaseCard({ caseId: c.id, reference: c.reference, stageLabel: CASE_STAGES[c.stage], view, userIds: [...readers] }) };
  }

  /** What a reader without access sees of the case: its reference, and that it is not theirs to see. */
  async unavailableCard(caseIdOrReference: string): Promise<AdaptiveCard> {
    return caseUnavailableCard((await this.lookup(caseIdOrReference))?.reference ?? undefined);
  }

  /** Records a message as showing the case to its reader (a click's answer Teams keeps, a card sent). */
  async shownTo(caseIdOrReference: string, message: Omit<ShownCaseCard, 'caseId'>): Promise<void> {
    const c = await this.lookup(caseIdOrReference);
    if (c) await this.d.cards.recordShown({ ...message, caseId: c.id });
  }

  /**
   * The base view of `view` sent to the reader's own 1:1 chat (a click in a channel, a reminder), and
   * recorded. Only for a reader who may see it: the caller has checked (a refusal says why).
   */
  async sendToChat(reader: Reader, caseId: string, view: ChatView): Promise<SendOutcome | undefined> {
    const base = await this.baseCard(caseId, view, reader.teamsUserId ? [reader.teamsUserId] : []);
    if (!base) return undefined;
    const sent = await this.d.messenger.sendToUser(reader.actor.tenantId, reader.actor.aadObjectId, base.card);
    if (sent.ok) await this.d.cards.recordShown({ caseId: base.caseId, conversationId: sent.conversationId, activityId: sent.activityId, aadObjectId: reader.actor.aadObjectId, tenantId: reader.actor.tenantId, teamsUserId: reader.teamsUserId ?? null });
    return sent;
  }

  /** The pair's details message: the base view, refreshing for each facilitator on the case now. */
  async pairCard(caseId: string): Promise<AdaptiveCard | undefined> {
    const c = await this.find(caseId);
    if (!c) return undefined;
    const accepted = c.facts.facilitators.filter((f) => f.status === 'accepted').map((f) => f.aadObjectId);
    const ids = await Promise.all(accepted.map((aad) => this.teamsUserId(aad)));
    return caseBaseCard({ caseId: c.id, reference: c.reference, stageLabel: CASE_STAGES[c.stage], view: 'case', userIds: ids.filter((x): x is string => Boolean(x)) });
  }

  async teamsUserId(aadObjectId: string): Promise<string | undefined> {
    const ref = await this.d.refs.findPersonal(this.d.staffTenantId, aadObjectId.toLowerCase());
    const id = (ref?.reference as { user?: { id?: unknown } } | undefined)?.user?.id;
    return typeof id === 'string' && id.startsWith('29:') ? id : undefined;
  }

  /**
   * Every recorded message of the case back to its base view: refreshing for a reader who may still
   * see the case (so the change shows at once), "no longer available" for one who may not.
   */
  async seal(caseId: string): Promise<SealOutcome> {
    const c = await this.find(caseId);
    const out: SealOutcome = { updated: 0, sealedIds: [] };
    if (!c) return out;
    for (const m of await this.d.cards.unsealed(c.id)) {
      const actor: Actor = { aadObjectId: m.aadObjectId, tenantId: m.tenantId, staffTenant: m.tenantId === this.d.staffTenantId.toLowerCase() };
      const visible = this.allowed(await this.d.roles(actor), c);
      const content = visible
        ? caseBaseCard({ caseId: c.id, reference: c.reference, stageLabel: CASE_STAGES[c.stage], view: 'case', userIds: m.teamsUserId ? [m.teamsUserId] : [] })
        : caseUnavailableCard(c.reference);
      const r = await this.d.messenger.updateActivity(m.conversationId, m.activityId, content);
      if (r.ok) {
        out.updated += 1;
        if (!visible) out.sealedIds.push(m.id);
        continue;
      }
      if (r.permanent) {
        // The message is gone or the chat cannot be reached: there is nothing left to update.
        this.d.log.warn({ caseId: c.id, conversationId: m.conversationId, reason: r.reason }, 'a case message could not be updated to its base view');
        out.sealedIds.push(m.id);
        continue;
      }
      out.retry ??= { reason: r.reason, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
    }
    return out;
  }

  private allowed(who: DomainActor, c: CaseWithFacts): boolean {
    return detailsInChat(who, caseView(c.facts, { aadObjectId: c.referrerAadId, tenantId: c.referrerTenantId }), isClosed(c.facts));
  }

  private async find(caseIdOrReference: string): Promise<CaseWithFacts | undefined> {
    const c = await this.lookup(caseIdOrReference);
    if (!c) return undefined;
    return { ...c, facts: caseProgress(await this.d.progress.listEvents(c.id)).facts };
  }

  /** Cards carry the case's id; typed commands its reference. */
  private lookup(caseIdOrReference: string): Promise<CaseRecord | null> {
    const key = caseIdOrReference.trim();
    return /^RJ-/i.test(key) ? this.d.cases.findByReference(key.toUpperCase()) : this.d.cases.getCase(key);
  }
}

type CaseWithFacts = CaseRecord & { facts: ReturnType<typeof caseProgress>['facts'] };
