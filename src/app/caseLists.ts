import { caseListCard, type CaseListRow, type CaseListView, type ListKind } from '../../cards/progressCards';
import { caseProgress } from '../domain/caseProgress';
import { dueItems, nextDueLabel, type DueItem } from '../domain/dueDates';
import { can, type Actor as DomainActor } from '../domain/permissions';
import { ACTIVE_STAGES, CASE_STAGES, compareStages, OFFENCE_TYPES, type CaseStage } from '../domain/vocabulary';
import type { ProgressRepository } from '../store/progressRepository';
import type { RosterRepository } from '../store/rosterRepository';
import type { Actor } from './actor';
import { refused, type Reply } from './reply';
import { displayDate } from '../shared/clock';
import { staffNames } from './staffNames';
import type { CaseCardViews } from './caseCardView';

export interface ListFilters {
  stage?: string;
  facilitator?: string;
  overdue?: string;
  page?: number;
}

export interface CaseListDeps {
  progress: Pick<ProgressRepository, 'openCases' | 'eventsOf'>;
  roster: Pick<RosterRepository, 'get' | 'list'>;
  /** Roles from the roster, read only (StaffRoles.of). */
  roles: (actor: Actor) => Promise<DomainActor>;
  views: Pick<CaseCardViews, 'dueContext'>;
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 15;

/** `my cases`, `cases` and `overdue`: read and rendered, never written. */
export class CaseLists {
  constructor(private readonly d: CaseListDeps) {}

  async list(actor: Actor, kind: ListKind, filters: ListFilters = {}): Promise<Reply> {
    const who = await this.d.roles(actor);
    if (kind === 'all' && !can(who, 'viewAllCases').allowed) return refused('Only coordinators can see all cases. Type **my cases** for yours.');
    if (kind === 'mine' && !who.facilitator) return refused(who.coordinator ? 'You have no cases as a facilitator. Type **cases** to see all open cases.' : 'Only facilitators have cases of their own.');
    if (kind === 'overdue' && !who.coordinator && !who.facilitator) return refused('Only facilitators and coordinators can see overdue cases.');
    const stage = ACTIVE_STAGES.find((s) => s === filters.stage);
    const facilitator = kind === 'all' ? filters.facilitator || undefined : kind === 'mine' || !who.coordinator ? who.aadObjectId : undefined;
    const overdueOnly = kind === 'overdue' || filters.overdue === 'overdue';
    const rows = await this.d.progress.openCases({ ...(facilitator ? { facilitatorAadId: facilitator } : {}), ...(kind === 'all' && stage ? { stage } : {}) });
    const events = await this.d.progress.eventsOf(rows.map((r) => r.id));
    const ctx = this.d.views.dueContext();
    const names = await staffNames(this.d.roster, rows.flatMap((r) => r.facilitators));
    let items: (CaseListRow & { sortDue: number; sortStage: CaseStage })[] = rows.map((r) => {
      const due = dueItems(r, caseProgress(events.get(r.id) ?? []), ctx);
      const overdue = due.some(isOverdueContact);
      return {
        caseId: r.id,
        reference: r.reference,
        stageLabel: CASE_STAGES[r.stage],
        offence: OFFENCE_TYPES[r.offenceType],
        facilitators: kind === 'mine' ? undefined : r.facilitators.map((id) => names.get(id) ?? 'Unknown').join(' and ') || 'No facilitators yet',
        next: nextDueLabel(overdue ? due.filter(isOverdueContact) : due, displayDate),
        overdue,
        sortDue: due[0]?.due.getTime() ?? Number.MAX_SAFE_INTEGER,
        sortStage: r.stage,
      };
    });
    if (overdueOnly) items = items.filter((i) => i.overdue);
    // Coordinators read by stage; facilitators by what is due soonest.
    items.sort(kind === 'all' ? (a, b) => compareStages(a.sortStage, b.sortStage) || a.sortDue - b.sortDue : (a, b) => a.sortDue - b.sortDue);
    const size = this.d.pageSize ?? DEFAULT_PAGE_SIZE;
    const pageCount = Math.max(1, Math.ceil(items.length / size));
    const page = Math.min(Math.max(1, Math.trunc(filters.page ?? 1)), pageCount);
    const view: CaseListView = {
      kind,
      title: kind === 'mine' ? 'My cases' : kind === 'overdue' ? 'Overdue cases' : 'Open cases',
      rows: items.slice((page - 1) * size, page * size).map(({ sortDue: _s, sortStage: _t, ...row }) => row),
      page,
      pageCount,
      total: items.length,
      emptyText: kind === 'overdue' || overdueOnly ? 'Nothing is overdue.' : kind === 'mine' ? 'You have no open cases.' : 'No open cases match.',
    };
    if (kind === 'all') {
      const staff = await this.d.roster.list({ facilitatorsOnly: true });
      view.filters = {
        stages: ACTIVE_STAGES.map((s) => ({ title: CASE_STAGES[s], value: s })),
        facilitators: staff.map((s) => ({ title: s.displayName, value: s.aadObjectId })),
        ...(stage ? { stage } : {}),
        ...(facilitator ? { facilitator } : {}),
        overdue: overdueOnly ? 'overdue' : 'all',
      };
    }
    return { kind: 'card', card: caseListCard(view) };
  }
}

function isOverdueContact(d: DueItem): boolean {
  return d.overdue && (d.kind === 'first_contact' || d.kind === 'follow_up');
}

