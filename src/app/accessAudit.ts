import { plain } from '../../cards/adaptive';
import { auditCard } from '../../cards/audit';
import { AUDIT_PAGE_SIZE, auditPage, auditText, viewerRole, type AccessView, type AuditEntry } from '../domain/accessAudit';
import { can, type Actor as DomainActor } from '../domain/permissions';
import type { AuditRepository } from '../store/auditRepository';
import type { CaseRepository } from '../store/caseRepository';
import type { RosterRepository } from '../store/rosterRepository';
import type { Actor } from './actor';
import { refused, type Reply } from './reply';
import { noSuchCase } from './caseAction';
import { staffNames } from './staffNames';
import { dateTime } from './caseCardView';
import type { Clock } from '../shared/clock';

export interface AccessAuditDeps {
  audit: Pick<AuditRepository, 'recordView' | 'count' | 'page'>;
  cases: Pick<CaseRepository, 'findByReference' | 'getCase'>;
  roster: Pick<RosterRepository, 'get'>;
  roles: (actor: Actor) => Promise<DomainActor>;
  clock: Clock;
}

/** A way of recording that someone saw a case's personal fields (the card views call it). */
export type RecordView = (who: DomainActor, caseId: string, view: AccessView) => Promise<void>;

/** Records views in the access audit, stamped with the app's clock. */
export function recordViewIn(audit: Pick<AuditRepository, 'recordView'>, clock: Clock): RecordView {
  return async (who, caseId, view) => {
    await audit.recordView({ caseId, actorAadId: who.aadObjectId, role: viewerRole(who), view, at: clock() });
  };
}

const ROLE_WORDS: Readonly<Record<string, string>> = {
  coordinator: 'a coordinator',
  facilitator: 'a facilitator',
  referrer: 'the referrer',
  system: 'the service',
};

/**
 * The access audit of a case: records each view of its personal fields, and shows coordinators who
 * looked at and who changed it. A view that cannot be recorded is not shown (the caller's error
 * propagates), so nobody sees details the audit does not know about.
 */
export class AccessAudit {
  constructor(private readonly d: AccessAuditDeps) {}

  get recordView(): RecordView {
    return recordViewIn(this.d.audit, this.d.clock);
  }

  /** `audit RJ-2026-0001`: latest 50 entries per page, for coordinators only. */
  async trail(actor: Actor, caseIdOrReference: string, page = 1): Promise<Reply> {
    const allowed = can(await this.d.roles(actor), 'viewAudit');
    if (!allowed.allowed) return refused(allowed.message);
    const key = caseIdOrReference.trim();
    const c = /^RJ-/i.test(key) ? await this.d.cases.findByReference(key.toUpperCase()) : await this.d.cases.getCase(key);
    if (!c) return noSuchCase(key.toUpperCase());
    const total = await this.d.audit.count(c.id);
    const p = auditPage(total, page);
    const entries = await this.d.audit.page(c.id, { limit: AUDIT_PAGE_SIZE, offset: p.offset });
    const names = await staffNames(this.d.roster, entries.map((e) => e.actorAadId));
    const who = (e: AuditEntry) => {
      const name = e.actorAadId ? names.get(e.actorAadId) : undefined;
      const role = ROLE_WORDS[e.role] ?? e.role;
      if (name) return `${plain(name)} (${role})`;
      if (e.role === 'referrer') return 'The referrer';
      return e.actorAadId ? `Someone not on the roster (${role})` : 'The service';
    };
    return {
      kind: 'card',
      card: auditCard({
        caseId: c.id,
        reference: c.reference,
        rows: entries.map((e) => ({ when: dateTime(e.at), who: who(e), what: auditText(e) })),
        page: p.page,
        pageCount: p.pageCount,
        total,
      }),
    };
  }
}
