import { card, execute, heading, para, subtle, type AdaptiveCard, type CardAction, type CardElement } from './adaptive';
import { CASE_VERBS } from './verbs';

export interface AuditView {
  caseId: string;
  reference: string;
  /** Latest first: when, who (a staff name or a role), what (codes turned into words, no personal value). */
  rows: { when: string; who: string; what: string }[];
  page: number;
  pageCount: number;
  total: number;
}

/** Who looked at and who changed one case, latest first, for coordinators. */
export function auditCard(v: AuditView): AdaptiveCard {
  const body: CardElement[] = [heading(`Audit: ${v.reference}`), subtle('Who saw this case’s details and who changed it, latest first.')];
  if (v.rows.length === 0) body.push(para('Nothing has been recorded for this case yet.'));
  for (const r of v.rows) {
    body.push({ type: 'Container', separator: true, items: [subtle(`${r.when} · ${r.who}`), para(r.what, { spacing: 'None' })] });
  }
  body.push(subtle(`Page ${v.page} of ${v.pageCount} · ${v.total} entries`));
  const paging: CardAction[] = [];
  const data = (page: number) => ({ caseId: v.caseId, page });
  if (v.page > 1) paging.push(execute('Newer', CASE_VERBS.auditPage, data(v.page - 1), { associatedInputs: 'none' }));
  if (v.page < v.pageCount) paging.push(execute('Older', CASE_VERBS.auditPage, data(v.page + 1), { associatedInputs: 'none' }));
  return card(body, paging);
}
