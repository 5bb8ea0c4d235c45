import { assignCard, channelCaseCard, replacementDoneCard, type PairChoice } from '../../cards/caseCards';
import { staffHelpCard } from '../../cards/help';
import { outcomeFormCard } from '../../cards/progressCards';
import { rosterRemoveConfirmCard } from '../../cards/roster';
import { openCardRenderer, type CardRenderer } from '../support/cardRenderer';

/*
 * Issue 14, items 4 and 8, as a phone shows them: the cards this slice changed render in Teams' own
 * renderer at 360 px and 450 px with nothing cut off, long names on the pair buttons included.
 */

let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await openCardRenderer();
}, 30_000);
afterAll(async () => {
  await renderer?.close();
});

const p = (id: string, name: string, experienced = false): PairChoice => ({ aadObjectId: id, name, openCases: 1, maxCases: 4, experienced });
const form = { caseId: 'c', reference: 'RJ-2026-0042', values: {}, errors: {}, today: '2026-12-03' };
const CARDS = {
  assign: assignCard({
    caseId: 'c', reference: 'RJ-2026-0042', complex: true, available: [p('1', 'Fran Alder')],
    suggestions: [
      { a: p('1', 'Fran Alder', true), b: p('2', 'Gabe Birch'), reason: 'fewest open cases' },
      { a: p('3', 'Maximilianarosalind Featherstonehaugh', true), b: p('4', 'Christopherjonathan Worthington'), reason: 'next fewest' },
    ],
  }),
  replace: assignCard({ caseId: 'c', reference: 'RJ-2026-0042', complex: false, suggestions: [], available: [p('3', 'Hal Cedar')], replaceable: [p('1', 'Fran Alder'), p('2', 'Gabe Birch')] }),
  replacementDone: replacementDoneCard({ caseId: 'c', reference: 'RJ-2026-0042', offeredTo: ['Hal Cedar'], onCase: [{ name: 'Fran Alder', status: 'accepted' }, { name: 'Hal Cedar', status: 'offered' }] }),
  help: staffHelpCard({ coordinator: true, facilitator: true, where: 'personal', commands: [{ usage: 'contact RJ-2026-0007', description: 'Log a contact with someone in a case' }], onlyInPrivate: [] }),
  outcome: outcomeFormCard({ ...form, values: { held: 'no' }, errors: { notHeldReason: 'Say briefly why it did not take place.' }, indirect: false }),
  confirm: rosterRemoveConfirmCard({ aadObjectId: 'x', name: 'Ivy Damson', op: 'remove', roles: ['facilitator'] }),
  triage: channelCaseCard({
    caseId: 'c', reference: 'RJ-2026-0042', offenceType: 'burglary', source: 'Probation', referredOn: '3 December 2026', stage: 'referred', stageLabel: 'Awaiting triage',
    complex: true, extraCare: true, needsReview: true, offers: [], alerts: [],
  }),
};

test.each(Object.keys(CARDS))('%s fits 360 px and 450 px', async (name) => {
  for (const width of [360, 450]) expect(await renderer.overflowing(CARDS[name as keyof typeof CARDS], { width })).toEqual([]);
});

test('long names are shortened on the button, never cut: "Offer to Maximilia… and Christoph…"', () => {
  const titles = JSON.stringify(CARDS.assign).match(/"title":"Offer to [^"]*"/g) ?? [];
  expect(titles).toContain('"title":"Offer to Fran and Gabe"');
  for (const t of titles) expect(t.length - '"title":""'.length).toBeLessThanOrEqual(34);
});
