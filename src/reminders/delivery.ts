import { digestCard, reminderCard, undeliveredCard, type ReminderCardItem } from '../../cards/reminders';
import type { AdaptiveCard } from '../../cards/adaptive';
import type { Clock } from '../shared/clock';
import { reachCoordinators } from '../app/coordinators';
import type { Messenger, SendOutcome } from '../app/messenger';
import { remindersFor, reReferReminder, type Recipient, type Reminder, type ReminderPolicy } from '../domain/reminderPolicy';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Logger } from '../log';
import { noMetrics, type Metrics } from '../metrics';
import type { DeliveryClaim, ReminderRepository } from '../store/reminderRepository';
import { parseJobId, type ParsedReminderId } from './ids';
import type { ReminderScheduler } from './scheduler';

/** What delivery sends through: the app's one Messenger port (ProactiveSender implements it). */
export type ReminderMessenger = Pick<Messenger, 'sendToUser' | 'sendToConversation'>;

export interface DeliveryDeps {
  repo: ReminderRepository;
  scheduler: ReminderScheduler;
  messenger: ReminderMessenger;
  policy: ReminderPolicy;
  calendar: WorkingCalendar;
  clock: Clock;
  log: Logger;
  /** Lateness (due → accepted by Teams) of every reminder delivered. */
  metrics?: Metrics;
  /** Coordinators, for 1:1 reminders when there is no referrals channel (or it is unreachable). */
  coordinatorIds: () => Promise<readonly string[]>;
  /** The coordinators' channel conversation, if one is registered. */
  referralsChannel: () => Promise<string | undefined>;
  /** The case's thread in the channel: a coordinators' reminder about one case is a reply there. */
  caseThread?: (caseId: string) => Promise<string | null>;
  /** Staff (coordinators, facilitators) all live in the service's tenant. */
  staffTenantId: string;
  /**
   * How long a claim stays exclusive: longer than any one send may take with the sender's own
   * retries, since a live worker's claim must never be taken over. A worker that dies mid-send
   * delays its reminders by at most this.
   */
  leaseMs: number;
  /** Most reminders on one digest card (a longer digest goes out as several). */
  digestMax?: number;
  /** Send attempts (claims) of one reminder before a transient failure is recorded as final. */
  maxAttempts?: number;
}

export type DeliveryOutcome =
  | { kind: 'done'; sent: string[]; failed: string[]; dropped: string[] }
  /** A transient send failure: the claims are released and the job should be retried. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number; attempts: number; sent: string[] }
  /** The job's own reminder is claimed by another worker, alive as far as we know, until `until`. */
  | { kind: 'held'; until: Date };

export const DEFAULT_DIGEST_MAX = 10;
export const DEFAULT_MAX_ATTEMPTS = 8;

const FINISHED = new Set(['sent', 'failed']);

/**
 * Delivers the reminder behind one due job, together with every other reminder for the same
 * recipient due in the same minute (one digest card). The order of steps is the guarantee:
 * re-read the cases and keep only reminders the policy still wants now; record the decision
 * (claim) in PostgreSQL; only then send; then record the outcome.
 */
export class ReminderDelivery {
  private readonly digestMax: number;
  private readonly maxAttempts: number;
  private readonly metrics: Metrics;

  constructor(private readonly d: DeliveryDeps) {
    this.digestMax = d.digestMax ?? DEFAULT_DIGEST_MAX;
    this.maxAttempts = d.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.metrics = d.metrics ?? noMetrics;
  }

  /** `jobId`: the job's id (or the reminder id itself). */
  async deliver(jobId: string): Promise<DeliveryOutcome> {
    const own = parseJobId(jobId);
    const done: DeliveryOutcome = { kind: 'done', sent: [], failed: [], dropped: [] };
    if (!own) {
      this.d.log.warn({ jobId }, 'reminder job with an id that is not a reminder id: ignored');
      return done;
    }
    // Fast path: a sibling's worker already delivered this one as part of its digest.
    const ownRow = (await this.d.repo.deliveries([own.id])).get(own.id);
    if (ownRow && FINISHED.has(ownRow.status)) {
      await this.d.scheduler.forget([own], { exceptJob: own.jobId });
      return done;
    }

    const memberIds = new Set([own.jobId, ...(await this.d.scheduler.digestMembers(own))]);
    const members = [...memberIds]
      .map(parseJobId)
      .filter((m): m is ParsedReminderId => m !== undefined && m.recipientCode === own.recipientCode && m.minute === own.minute);
    const rows = await this.d.repo.deliveries(members.map((m) => m.id));
    const finished = members.filter((m) => FINISHED.has(rows.get(m.id)?.status ?? ''));
    const pending = members.filter((m) => !FINISHED.has(rows.get(m.id)?.status ?? ''));

    const { wanted, tenantOf } = await this.wantedNow(pending);
    const deliverable = pending.filter((m) => wanted.has(m.id));
    const notWanted = pending.filter((m) => !wanted.has(m.id));
    if (notWanted.length > 0) {
      await this.d.repo.markDropped(notWanted.map(claimOf), 'no longer applies');
      this.d.log.info({ dropped: notWanted.map((m) => m.id) }, 'reminders dropped: the case moved on');
    }

    const claimed = await this.d.repo.claim(deliverable.map(claimOf), this.d.leaseMs);
    const mine = deliverable.filter((m) => claimed.has(m.id));
    const sent: string[] = [];
    const failed: string[] = [];
    let retry: { reason: string; retryAfterMs?: number; attempts: number } | undefined;

    const items = mine
      .map((m) => ({ m, r: wanted.get(m.id) }))
      .filter((x): x is { m: ParsedReminderId; r: Reminder } => x.r !== undefined)
      .sort((a, b) => a.r.dueAt.getTime() - b.r.dueAt.getTime() || refOf(a.r).localeCompare(refOf(b.r)) || a.m.id.localeCompare(b.m.id));
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += this.digestMax) chunks.push(items.slice(i, i + this.digestMax));

    for (const [index, chunk] of chunks.entries()) {
      const ids = chunk.map((x) => x.m.id);
      const cardItems = chunk.map((x) => toCardItem(x.r));
      const content =
        chunks.length === 1 && chunk.length === 1 && cardItems[0]
          ? reminderCard(cardItems[0])
          : digestCard(cardItems, { now: this.d.clock(), ...(chunks.length > 1 ? { part: { index: index + 1, of: chunks.length } } : {}) });
      const screeningTenant = chunk.map((x) => (x.r.rule === 're_refer' ? tenantOf.get(x.r.screeningId) : undefined)).find((t) => t !== undefined);
      const caseIds = unique(chunk.map((x) => (x.r.rule === 're_refer' ? '' : x.r.caseId)));
      const thread = own.recipient.kind === 'coordinators' && caseIds.length === 1 && caseIds[0] ? await this.d.caseThread?.(caseIds[0]) : undefined;
      const result = await this.send(own.recipient, screeningTenant ?? this.d.staffTenantId, content, thread);
      if (result.ok) {
        await this.d.repo.markSent(ids, { conversationId: result.conversationId, activityId: result.activityId });
        sent.push(...ids);
        const deliveredAt = this.d.clock().getTime();
        for (const x of chunk) this.metrics.reminderLateness((deliveredAt - x.r.dueAt.getTime()) / 1000);
        continue;
      }
      if (result.permanent) {
        // The sender has already marked the reference stale and told the coordinators.
        await this.d.repo.markFailed(ids, `${result.kind} ${result.status ?? ''}`.trim());
        failed.push(...ids);
        this.d.log.warn({ reminders: ids, kind: result.kind, status: result.status }, 'reminder could not be delivered: recorded as failed');
        continue;
      }
      const rest = chunks.slice(index).flatMap((c) => c.map((x) => x.m.id));
      const attempts = Math.max(...rest.map((id) => claimed.get(id) ?? 1));
      if (attempts >= this.maxAttempts) {
        await this.d.repo.markFailed(rest, `gave up: ${result.reason}`);
        failed.push(...rest);
        this.d.log.error({ reminders: rest, status: result.status }, 'reminder delivery gave up after its last attempt');
        await this.reportUndelivered(chunks.slice(index).flatMap((c) => c.map((x) => toCardItem(x.r))), result.reason, own.recipient);
      } else {
        await this.d.repo.release(rest, result.reason);
        retry = { reason: result.reason, attempts, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
        this.d.log.info({ reminders: rest, status: result.status, retryAfterMs: result.retryAfterMs ?? null }, 'reminder delivery will be retried');
      }
      break;
    }
    if (sent.length > 0) this.d.log.info({ reminders: sent, recipient: own.recipientCode }, 'reminders delivered');

    const settled = new Set([...sent, ...failed]);
    const byId = new Map(members.map((m) => [m.id, m]));
    const forget = [...finished, ...notWanted, ...[...settled].flatMap((id) => byId.get(id) ?? [])];
    await this.d.scheduler.forget(forget, { exceptJob: own.jobId });
    // Repeating rules have a next occurrence once this one is recorded; a dropped one may have a successor.
    const touched = [...notWanted, ...[...settled].flatMap((id) => byId.get(id) ?? [])];
    await this.d.scheduler.reconcileCases(unique(touched.filter((m) => m.ownerKind === 'case').map((m) => m.ownerId)));
    await this.d.scheduler.reconcileScreenings(unique(touched.filter((m) => m.ownerKind === 'screening').map((m) => m.ownerId)));

    if (retry) return { kind: 'retry', ...retry, sent };
    if (deliverable.some((m) => m.id === own.id) && !claimed.has(own.id)) {
      const until = (await this.d.repo.deliveries([own.id])).get(own.id)?.leaseUntil;
      if (until) return { kind: 'held', until };
    }
    return { kind: 'done', sent, failed, dropped: notWanted.map((m) => m.id) };
  }

  /** The reminders the policy wants now for the members' cases and screenings, by id. */
  private async wantedNow(members: readonly ParsedReminderId[]): Promise<{ wanted: Map<string, Reminder>; tenantOf: Map<string, string> }> {
    const now = this.d.clock();
    const wanted = new Map<string, Reminder>();
    const tenantOf = new Map<string, string>();
    const caseIds = unique(members.filter((m) => m.ownerKind === 'case').map((m) => m.ownerId));
    const screeningIds = unique(members.filter((m) => m.ownerKind === 'screening').map((m) => m.ownerId));
    const views = await this.d.repo.caseViews(caseIds);
    for (const view of views.values()) for (const r of remindersFor(view, this.d.policy, this.d.calendar, now)) wanted.set(r.id, r);
    for (const s of await this.d.repo.reReferViews(screeningIds)) {
      const r = reReferReminder(s, this.d.calendar, this.d.policy);
      wanted.set(r.id, r);
      tenantOf.set(s.id, s.tenantId);
    }
    return { wanted, tenantOf };
  }

  /**
   * A reminder nobody received must not vanish into a log: the coordinators are told (unless the
   * reminder was theirs, in which case the channel and their chats just failed too).
   */
  private async reportUndelivered(items: ReminderCardItem[], reason: string, recipient: Recipient): Promise<void> {
    if (recipient.kind !== 'person' || items.length === 0) return;
    const r = await this.send({ kind: 'coordinators' }, this.d.staffTenantId, undeliveredCard(items, reason));
    if (!r.ok) this.d.log.error({ kind: r.kind, status: r.status }, 'coordinators could not be told about undelivered reminders');
  }

  private async send(recipient: Recipient, tenantId: string, content: AdaptiveCard, caseThread?: string | null): Promise<SendOutcome> {
    if (recipient.kind === 'person') return this.d.messenger.sendToUser(tenantId, recipient.aadObjectId, content);
    const route = await reachCoordinators(this.d, content, caseThread);
    if (route.via === 'channel') return route.sent;
    const coordinators = route.coordinatorIds;
    if (coordinators.length === 0) return { ok: false, permanent: true, kind: 'no_reference', status: null, reason: 'no coordinators on the roster' };
    const results = await Promise.all(coordinators.map((id) => this.d.messenger.sendToUser(this.d.staffTenantId, id, content)));
    const ok = results.find((r) => r.ok);
    if (ok) {
      const missed = results.filter((r) => !r.ok).length;
      if (missed > 0) this.d.log.warn({ missed, of: coordinators.length }, 'a coordinator reminder reached only some coordinators');
      return ok;
    }
    return results.find((r) => !r.ok && !r.permanent) ?? results[0] ?? { ok: false, permanent: true, kind: 'no_reference', status: null, reason: 'no coordinators' };
  }
}

function claimOf(m: ParsedReminderId): DeliveryClaim {
  return {
    reminderId: m.id,
    caseId: m.ownerKind === 'case' ? m.ownerId : null,
    screeningId: m.ownerKind === 'screening' ? m.ownerId : null,
    rule: m.rule,
    recipient: m.recipientCode,
    dueAt: m.dueAt,
  };
}

function refOf(r: Reminder): string {
  return r.rule === 're_refer' ? '' : r.caseReference;
}

function toCardItem(r: Reminder): ReminderCardItem {
  return {
    rule: r.rule,
    reminderKey: r.key,
    reminderId: r.id,
    dueAt: r.dueAt,
    about: r.about,
    ...(r.rule === 're_refer' ? {} : { caseId: r.caseId, caseReference: r.caseReference }),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
