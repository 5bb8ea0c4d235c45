import { DateTime } from 'luxon';
import { referrerStatus } from '../../cards/myReferrals';
import { caseProgress, type CaseProgress, type StoredEvent } from '../domain/caseProgress';
import { dueItems, dueItemsAt, type DueCase, type DueItem, type DueRules } from '../domain/dueDates';
import type { ReminderPolicy } from '../domain/reminderPolicy';
import { caseView, PARTIES, PARTY_LABELS, type ConsentStatus } from '../domain/caseState';
import { can, isCoordinator, isFacilitator, visibility, type Actor as DomainActor } from '../domain/permissions';
import { reportTables, type ReportTable } from '../domain/reportTables';
import { serviceReport, type ServiceReport } from '../domain/reports';
import { CASE_STAGES, OFFENCE_TYPES, type CaseStage, type OffenceType } from '../domain/vocabulary';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Actor } from '../app/actor';
import type { RecordView } from '../app/accessAudit';
import { LONDON, type Clock } from '../shared/clock';
import type { DashboardRepository, DashboardScope, PipelineCaseRow, PipelineQuery } from '../store/dashboardRepository';
import type { RosterRepository, StaffMember } from '../store/rosterRepository';

/*
 * What the coordinators' dashboard reads, for one signed-in person. Every case shown has been folded
 * from its event log and passed through the bot's own permission rules (visibility/can), whatever
 * the SQL narrowed it to: a facilitator sees their cases, a referrer the status of their referrals.
 */

export type DashboardRole = 'coordinator' | 'facilitator' | 'referrer';

export interface Viewer {
  readonly actor: DomainActor;
  readonly role: DashboardRole;
}

export interface DueLine {
  readonly label: string;
  readonly due: string;
  readonly overdue: boolean;
}

export type PipelineRow =
  | {
      readonly kind: 'full';
      readonly reference: string;
      readonly stage: CaseStage;
      readonly stageLabel: string;
      readonly source: string;
      readonly facilitators: readonly string[];
      readonly daysInStage: number;
      readonly nextDue: DueLine | null;
      readonly overdue: boolean;
    }
  | { readonly kind: 'status'; readonly reference: string; readonly status: string; readonly referredOn: string };

export interface Pipeline {
  readonly role: DashboardRole;
  readonly counts: readonly { readonly stage: CaseStage; readonly label: string; readonly count: number }[];
  readonly cases: readonly PipelineRow[];
  readonly page: { readonly limit: number; readonly offset: number; readonly hasMore: boolean };
}

export interface PipelineFilters extends PipelineQuery {
  readonly overdue?: boolean;
  readonly limit: number;
  readonly offset: number;
}

export interface ReadModelDeps {
  dashboard: DashboardRepository;
  roster: RosterRepository;
  calendar: WorkingCalendar;
  clock: Clock;
  staffTenantId: string;
  /** The bot's app id, for the deep link that opens the bot chat on a case; empty in local mode. */
  botAppId: string;
  /** The policy the reminder worker runs with: the due lines are its reminders, as on the case card. */
  reminderPolicy: ReminderPolicy;
  /** Roles exactly as the bot reads them (StaffRoles.of in src/app/roles.ts). */
  roles: (actor: Actor) => Promise<DomainActor>;
  /** The access audit, as for the case card: a case opened in full here is recorded as `tab_case`. */
  recordView: RecordView;
  /** Erasure requests not yet decided (src/store/erasure.ts), shown with the reports. */
  openErasureRequests: () => Promise<number>;
}

export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 403 | 404; readonly message: string };

/** The case as the bot's case card reads it: the one fold and the policy's due items. */
export function foldCase(c: DueCase, events: readonly StoredEvent[], rules: DueRules): { progress: CaseProgress; due: DueItem[] } {
  const progress = caseProgress(events);
  return { progress, due: dueItems(c, progress, rules) };
}

// The case card's words (consentLine in src/app/caseProgress.ts), without the date.
const CONSENT_LABELS: Readonly<Record<ConsentStatus, string>> = {
  none: 'Not yet recorded',
  given: 'Given',
  declined: 'Declined to take part',
  withdrawn: 'Withdrawn',
};

function isoDate(d: Date): string {
  return DateTime.fromJSDate(d).setZone(LONDON).toISODate() ?? '';
}

export class DashboardReadModel {
  constructor(private readonly d: ReadModelDeps) {}

  /** Roles exactly as the bot reads them; undefined when the person has none here. */
  async viewer(aadObjectId: string, tenantId: string): Promise<Viewer | undefined> {
    const actor = await this.d.roles({ aadObjectId, tenantId, staffTenant: tenantId === this.d.staffTenantId });
    if (isCoordinator(actor)) return { actor, role: 'coordinator' };
    if (isFacilitator(actor)) return { actor, role: 'facilitator' };
    if (await this.d.dashboard.hasReferrals(tenantId, aadObjectId)) return { actor, role: 'referrer' };
    return undefined;
  }

  private dueContext(): DueRules {
    return { policy: this.d.reminderPolicy, calendar: this.d.calendar, now: this.d.clock() };
  }

  private scope(v: Viewer): DashboardScope {
    if (v.role === 'coordinator') return { kind: 'all' };
    if (v.role === 'facilitator') return { kind: 'facilitator', aadObjectId: v.actor.aadObjectId };
    return { kind: 'referrer', aadObjectId: v.actor.aadObjectId, tenantId: v.actor.tenantId };
  }

  private staffNames(): Promise<Map<string, string>> {
    return this.d.dashboard.staffNames();
  }

  /** Rows the viewer may see, folded; `undefined` entries are cases the rules hide from them. */
  private async rows(v: Viewer, cases: readonly PipelineCaseRow[], names: Map<string, string>, now: Date): Promise<PipelineRow[]> {
    const events = await this.d.dashboard.events(cases.map((c) => c.id));
    const ctx: DueRules = { policy: this.d.reminderPolicy, calendar: this.d.calendar, now };
    const out: PipelineRow[] = [];
    for (const c of cases) {
      const log = events.get(c.id) ?? [];
      const progress = caseProgress(log);
      // The scheduler's stored schedule when it has seen every event read here (the same dueItems,
      // without a policy run per row); otherwise the case changed since, and the fold decides.
      const stored = c.due && c.due.throughEventId === (log[log.length - 1]?.id ?? null) ? c.due.schedule : undefined;
      const due = stored ? dueItemsAt(stored, now) : dueItems(c, progress, ctx);
      const seen = visibility(v.actor, caseView(progress.facts, { aadObjectId: c.referrerAadId, tenantId: c.referrerTenantId }));
      if (seen === 'none') continue;
      if (seen === 'status') {
        out.push({ kind: 'status', reference: c.reference, status: referrerStatus(c.stage), referredOn: isoDate(c.createdAt) });
        continue;
      }
      const stageSince = [...log].reverse().find((e) => e.type === 'stage_changed')?.at ?? c.createdAt;
      const first = due[0];
      out.push({
        kind: 'full',
        reference: c.reference,
        stage: progress.facts.stage,
        stageLabel: CASE_STAGES[progress.facts.stage],
        source: c.source,
        facilitators: progress.facts.facilitators.filter((f) => f.status === 'accepted').map((f) => names.get(f.aadObjectId) ?? 'Unknown facilitator'),
        daysInStage: Math.max(0, Math.floor(DateTime.fromJSDate(ctx.now).diff(DateTime.fromJSDate(stageSince), 'days').days)),
        nextDue: first ? { label: first.label, due: first.due.toISOString(), overdue: first.overdue } : null,
        overdue: due.some((x) => x.overdue),
      });
    }
    return out;
  }

  async pipeline(v: Viewer, f: PipelineFilters): Promise<Pipeline> {
    const scope = this.scope(v);
    // A facilitator's and a referrer's lists are already theirs: another facilitator's filter means nothing there.
    const q: PipelineQuery = { ...(f.stage ? { stage: f.stage } : {}), ...(f.source ? { source: f.source } : {}), ...(f.facilitator && v.role === 'coordinator' ? { facilitator: f.facilitator } : {}) };
    const now = this.d.clock();
    // Overdue comes from the due projection the reminder scheduler keeps (dueItems, stored per case),
    // so the filter is an index lookup; each row shown is still folded, and one whose fold disagrees
    // (a change the scheduler has not reconciled yet, a second or so) is left out rather than shown
    // as overdue when it is not.
    const [counts, names, page] = await Promise.all([
      this.d.dashboard.stageCounts(scope, q),
      this.staffNames(),
      this.d.dashboard.cases(scope, q, { limit: f.limit + 1, offset: f.offset, ...(f.overdue ? { overdueAt: now } : {}) }),
    ]);
    const hasMore = page.length > f.limit;
    const rows = await this.rows(v, page.slice(0, f.limit), names, now);
    const cases = f.overdue ? rows.filter((r) => r.kind === 'full' && r.overdue) : rows;
    // Referrers see how many of their referrals are where, in the words of their status, not stage codes.
    const stages = Object.keys(CASE_STAGES) as CaseStage[];
    return {
      role: v.role,
      counts: stages.map((s) => ({ stage: s, label: v.role === 'referrer' ? referrerStatus(s) : CASE_STAGES[s], count: counts.get(s) ?? 0 })),
      cases,
      page: { limit: f.limit, offset: f.offset, hasMore },
    };
  }

  async caseDetail(v: Viewer, reference: string): Promise<Answer<CaseDetail>> {
    const NOT_FOUND = { ok: false as const, status: 404 as const, message: `There is no case ${reference} that you can see.` };
    const c = await this.d.dashboard.caseByReference(reference);
    if (!c) return NOT_FOUND;
    const log = (await this.d.dashboard.events([c.id])).get(c.id) ?? [];
    const { progress, due } = foldCase(c, log, this.dueContext());
    const view = caseView(progress.facts, { aadObjectId: c.referrerAadId, tenantId: c.referrerTenantId });
    const seen = visibility(v.actor, view);
    // Nobody learns from the answer whether a case they may not see exists.
    if (seen === 'none') return NOT_FOUND;
    if (seen === 'status') return { ok: true, value: { kind: 'status', reference: c.reference, status: referrerStatus(c.stage), referredOn: isoDate(c.createdAt) } };
    const allowed = can(v.actor, 'viewCase', view);
    if (!allowed.allowed) return { ok: false, status: 403, message: allowed.message };
    await this.d.recordView(v.actor, c.id, 'tab_case');
    const header = await this.d.dashboard.caseHeader(c.id);
    const names = await this.staffNames();
    const name = (id: string | null | undefined) => (id ? names.get(id) ?? null : null);
    return {
      ok: true,
      value: {
        kind: 'full',
        reference: c.reference,
        stage: progress.facts.stage,
        stageLabel: CASE_STAGES[progress.facts.stage],
        source: c.source,
        offence: header ? OFFENCE_TYPES[header.offenceType as OffenceType] ?? header.offenceType : null,
        flags: [header?.complex ? 'Complex (experienced facilitator needed)' : '', header?.extraCare ? 'Extra care (stalking/abuse guidance)' : ''].filter(Boolean),
        referredOn: isoDate(c.createdAt),
        facilitators: progress.facts.facilitators.filter((f) => f.status === 'accepted').map((f) => names.get(f.aadObjectId) ?? 'Unknown facilitator'),
        consent: PARTIES.map((p) => ({ party: PARTY_LABELS[p], status: CONSENT_LABELS[progress.consent[p].status] })),
        due: due.map((x) => ({ label: x.label, due: x.due.toISOString(), overdue: x.overdue })),
        timeline: progress.timeline.map((t) => ({ at: t.at.toISOString(), text: t.text, by: name(t.actorAadId) })),
        openInBot: this.d.botAppId
          ? `https://teams.microsoft.com/l/chat/0/0?users=28:${encodeURIComponent(this.d.botAppId)}&message=${encodeURIComponent(`case ${c.reference}`)}`
          : null,
      },
    };
  }

  async facilitators(v: Viewer): Promise<Answer<FacilitatorRow[]>> {
    const allowed = can(v.actor, 'viewAllCases');
    if (!allowed.allowed) return { ok: false, status: 403, message: allowed.message };
    const people: StaffMember[] = await this.d.roster.list({ facilitatorsOnly: true });
    const last = await this.d.dashboard.lastActivity(people.map((p) => p.aadObjectId));
    return {
      ok: true,
      value: people.map((p) => ({
        aadObjectId: p.aadObjectId,
        name: p.displayName,
        openCases: p.openCases,
        maxCases: p.maxCases,
        paused: !p.active,
        experienced: p.experienced,
        lastActivityAt: last.get(p.aadObjectId)?.toISOString() ?? null,
      })),
    };
  }

  async report(v: Viewer, period: { from: Date; to: Date }): Promise<Answer<{ report: ServiceReport; tables: ReportTable[]; openErasureRequests: number }>> {
    const allowed = can(v.actor, 'viewReports');
    if (!allowed.allowed) return { ok: false, status: 403, message: allowed.message };
    const input = await this.d.dashboard.reportInput(period.from, period.to);
    const report = serviceReport(input, period, this.d.calendar);
    return { ok: true, value: { report, tables: reportTables(report), openErasureRequests: await this.d.openErasureRequests() } };
  }
}

export type CaseDetail =
  | { readonly kind: 'status'; readonly reference: string; readonly status: string; readonly referredOn: string }
  | {
      readonly kind: 'full';
      readonly reference: string;
      readonly stage: CaseStage;
      readonly stageLabel: string;
      readonly source: string;
      readonly offence: string | null;
      readonly flags: readonly string[];
      readonly referredOn: string;
      readonly facilitators: readonly string[];
      readonly consent: readonly { readonly party: string; readonly status: string }[];
      readonly due: readonly DueLine[];
      readonly timeline: readonly { readonly at: string; readonly text: string; readonly by: string | null }[];
      readonly openInBot: string | null;
    };

export interface FacilitatorRow {
  readonly aadObjectId: string;
  readonly name: string;
  readonly openCases: number;
  readonly maxCases: number;
  readonly paused: boolean;
  readonly experienced: boolean;
  readonly lastActivityAt: string | null;
}
