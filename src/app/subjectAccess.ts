import { caseProgress } from '../domain/caseProgress';
import { PARTY_LABELS, type Party } from '../domain/caseState';
import { auditText, viewerRole } from '../domain/accessAudit';
import { CONTACT_METHODS, CONTACT_OUTCOMES } from '../domain/contactForm';
import { can, type Actor as DomainActor } from '../domain/permissions';
import { RISK_LABELS } from '../domain/progressForms';
import { CASE_STAGES, OFFENCE_TYPES } from '../domain/vocabulary';
import type { AuditRepository } from '../store/auditRepository';
import type { CaseRepository } from '../store/caseRepository';
import type { ProgressRepository } from '../store/progressRepository';
import type { Clock } from '../shared/clock';

/** Everything held about one participant of one case (UK GDPR Article 15), as data. */
export interface SubjectAccessExport {
  readonly generatedAt: string;
  readonly reference: string;
  readonly party: Party;
  readonly about: string;
  readonly person: { readonly name: string; readonly dateOfBirth: string | null; readonly borough: string | null; readonly phone: string | null; readonly email: string | null; readonly awareOfReferral: boolean };
  readonly case: { readonly referredOn: string; readonly offenceType: string; readonly stage: string };
  readonly consent: { readonly status: string; readonly on: string | null };
  readonly contacts: readonly { readonly at: string; readonly method: string; readonly outcome: string; readonly note: string | null; readonly nextFollowUpOn: string | null }[];
  /** About the case as a whole, which concerns this person too. */
  readonly risk: { readonly level: string; readonly on: string | null; readonly summary: string | null } | null;
  readonly conferences: readonly { readonly startsAt: string; readonly venue: string; readonly status: string }[];
  /** Who saw or changed the case, by Entra id and role: ids and codes, as recorded. */
  readonly accessLog: readonly { readonly at: string; readonly actorAadId: string | null; readonly role: string; readonly what: string }[];
}

export interface SubjectAccessDeps {
  cases: Pick<CaseRepository, 'findByReference'>;
  progress: Pick<ProgressRepository, 'listEvents' | 'notes'>;
  audit: Pick<AuditRepository, 'count' | 'page' | 'recordView'>;
  clock: Clock;
}

export class SubjectAccessError extends Error {}

/**
 * Gathers what is held about one participant: their own fields and contacts, the consent they gave,
 * and what is held about the case as a whole (risk, conferences), never the other participant's
 * details or contacts. The export itself is recorded in the access audit, as `export`, before it is
 * returned: a coordinator must ask for it.
 */
export async function subjectAccessExport(d: SubjectAccessDeps, by: DomainActor, reference: string, party: Party): Promise<SubjectAccessExport> {
  const allowed = can(by, 'erasure');
  if (!allowed.allowed) throw new SubjectAccessError(`${by.aadObjectId}: ${allowed.message}`);
  const c = await d.cases.findByReference(reference.trim().toUpperCase());
  if (!c) throw new SubjectAccessError(`There is no case ${reference}.`);
  const person = c.participants.find((p) => p.role === party);
  if (!person) throw new SubjectAccessError(`${reference} has no ${PARTY_LABELS[party]} on record.`);
  const p = caseProgress(await d.progress.listEvents(c.id));
  const mine = p.contacts[party];
  const noteIds = [...mine.map((x) => x.noteId), p.risk?.noteId].filter((x): x is string => Boolean(x));
  const notes = await d.progress.notes(c.id, noteIds);
  const now = d.clock();
  await d.audit.recordView({ caseId: c.id, actorAadId: by.aadObjectId, role: viewerRole(by), view: 'export', at: now });
  const total = await d.audit.count(c.id);
  const log = await d.audit.page(c.id, { limit: Math.max(1, total), offset: 0 });
  return {
    generatedAt: now.toISOString(),
    reference: c.reference,
    party,
    about: PARTY_LABELS[party],
    person: { name: person.name, dateOfBirth: person.dateOfBirth, borough: person.borough, phone: person.phone, email: person.email, awareOfReferral: person.aware },
    case: { referredOn: c.createdAt.toISOString(), offenceType: OFFENCE_TYPES[c.offenceType], stage: CASE_STAGES[p.facts.stage] },
    consent: { status: p.consent[party].status, on: p.consent[party].on ?? null },
    contacts: mine.map((x) => ({
      at: x.at,
      method: CONTACT_METHODS[x.method],
      outcome: CONTACT_OUTCOMES[x.outcome],
      note: x.noteId ? notes.get(x.noteId)?.text ?? null : null,
      nextFollowUpOn: x.nextFollowUpOn ?? null,
    })),
    risk: p.risk ? { level: RISK_LABELS[p.risk.level], on: p.risk.on ?? null, summary: p.risk.noteId ? notes.get(p.risk.noteId)?.text ?? null : null } : null,
    conferences: p.conferences.map((x) => ({ startsAt: x.startsAt, venue: x.venue, status: x.cancelled ? 'cancelled' : x.held ? 'held' : 'scheduled' })),
    accessLog: log.map((e) => ({ at: e.at.toISOString(), actorAadId: e.actorAadId, role: e.role, what: auditText(e) })),
  };
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** The same export as a page a person can read (the JSON is the complete record; this is its view). */
export function subjectAccessHtml(x: SubjectAccessExport): string {
  const row = (k: string, v: string | null | boolean) => `<tr><th scope="row">${escape(k)}</th><td>${escape(v === null ? '—' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v)}</td></tr>`;
  const table = (head: string[], rows: (string | null)[][]) =>
    rows.length === 0
      ? '<p>None recorded.</p>'
      : `<table><thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${escape(v ?? '—')}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Data held: ${escape(x.reference)}, ${escape(x.about)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.4}table{border-collapse:collapse;width:100%;margin-bottom:1rem}th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}</style>
</head><body>
<h1>Data held about ${escape(x.about)} in case ${escape(x.reference)}</h1>
<p>Generated ${escape(x.generatedAt)}.</p>
<h2>Personal details</h2><table>${row('Name', x.person.name)}${row('Date of birth', x.person.dateOfBirth)}${row('Borough', x.person.borough)}${row('Phone', x.person.phone)}${row('Email', x.person.email)}${row('Aware of the referral', x.person.awareOfReferral)}</table>
<h2>The case</h2><table>${row('Referred', x.case.referredOn)}${row('Offence type', x.case.offenceType)}${row('Stage', x.case.stage)}</table>
<h2>Consent</h2><table>${row('Status', x.consent.status)}${row('Recorded for', x.consent.on)}</table>
<h2>Contacts</h2>${table(['When', 'How', 'Outcome', 'Note', 'Next follow-up'], x.contacts.map((c) => [c.at, c.method, c.outcome, c.note, c.nextFollowUpOn]))}
<h2>Risk assessment (about the case)</h2>${x.risk ? `<table>${row('Level', x.risk.level)}${row('Assessed', x.risk.on)}${row('Summary', x.risk.summary)}</table>` : '<p>None recorded.</p>'}
<h2>Conferences</h2>${table(['When', 'Venue', 'Status'], x.conferences.map((c) => [c.startsAt, c.venue, c.status]))}
<h2>Who saw or changed the case</h2>${table(['When', 'Who (Entra id)', 'Role', 'What'], x.accessLog.map((a) => [a.at, a.actorAadId, a.role, a.what]))}
</body></html>
`;
}
