import { caseCard, caseListCard, contactFormCard, type CaseCardView } from '../../cards/progressCards';
import { PROGRESS_VERBS } from '../../cards/progressVerbs';
import { actionsOf } from '../support/chat';
import { expectValidCard, MAX_CARD_BYTES } from '../support/cards';

const long = (n: number) => 'ü'.repeat(n);

describe('progress cards stay valid and under the Teams size limit', () => {
  test('a case card with every field at its maximum length', () => {
    const v: CaseCardView = {
      caseId: '00000000-0000-4000-8000-000000000001',
      reference: 'RJ-2026-0001',
      stageLabel: 'Preparation',
      offence: 'Robbery',
      referredOn: '2 March 2026',
      flags: 'Complex',
      facilitators: [long(100), long(100)],
      participants: (['harmed_person', 'offender'] as const).map((party) => ({
        party, name: long(100), borough: 'Camden', phone: '02079460000', email: long(254), consent: 'Given on 3 March 2026',
        latestContact: '3 March 2026, 09:30 · Phone · Reached', latestNote: long(1000), nextFollowUp: '4 March 2026', due: { label: 'Follow up', overdue: true },
      })),
      referral: { description: long(2000), relationship: long(200), riskNotes: long(2000), accessNeeds: long(1000) },
      risk: { line: 'High', summary: long(500), signOff: 'Signed off' },
      plan: Array.from({ length: 20 }, () => `Conference at ${long(200)}: rescheduled`),
      planNote: long(500),
      closed: { line: 'Conference held', note: long(1000) },
      timeline: Array.from({ length: 10 }, () => ({ on: '3 Mar 2026', text: `Contact with harmed person (${long(100)})` })),
      actions: [{ title: 'Record consent', verb: PROGRESS_VERBS.consentForm }],
      message: { text: 'Saved.', kind: 'good' },
    };
    const c = caseCard(v);
    expectValidCard(c);
    expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(MAX_CARD_BYTES);
  });

  test('a contact form keeps typed values and shows errors', () => {
    const c = contactFormCard({ caseId: 'c', reference: 'RJ-2026-0001', values: { note: long(1000), contactTime: '25:00' }, errors: { contactTime: 'Enter the time.' }, today: '2026-03-02' });
    expectValidCard(c);
    expect(JSON.stringify(c)).toContain(long(1000));
  });

  test('a full page of the case list, with paging and filters', () => {
    const rows = Array.from({ length: 15 }, (_, k) => ({
      caseId: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`, reference: `RJ-2026-${String(k).padStart(4, '0')}`,
      stageLabel: 'Preparation', offence: 'Robbery', facilitators: `${long(100)} and ${long(100)}`, next: 'Follow up with harmed person: overdue since 2 March 2026', overdue: true,
    }));
    const c = caseListCard({
      kind: 'all', title: 'Open cases', rows, page: 2, pageCount: 3, total: 40, emptyText: '',
      filters: { stages: [{ title: 'Preparation', value: 'preparation' }], facilitators: Array.from({ length: 60 }, (_, k) => ({ title: long(100), value: String(k) })), stage: 'preparation', overdue: 'overdue' },
    });
    expectValidCard(c);
    expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(MAX_CARD_BYTES);
    const actions = actionsOf(c as unknown as Record<string, unknown>);
    expect(actions.get('Next page')?.data).toMatchObject({ list: 'all', page: 3, stage: 'preparation', overdue: 'overdue' });
    expect(actions.get('Previous page')?.data).toMatchObject({ page: 1 });
  });
});
