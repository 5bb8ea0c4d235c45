/**
 * Screenshots of the cards linked from the README's "what people see" sections, rendered as Teams
 * does (test/support/cardRenderer.ts) at a phone's width and the desktop chat's:
 *   npx tsx test/support/cardScreenshots.ts [suffix] [card ...]
 * writes docs/cards/<card>-<width>[-suffix].png (an empty suffix: '').
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { channelCaseCard } from '../../cards/caseCards';
import { caseBaseCard, caseUnavailableCard } from '../../cards/caseBase';
import { referralFormCard } from '../../cards/referralForm';
import { needsReviewNote } from '../../cards/screening';
import { OFFENCE_TYPES, type OffenceType } from '../../src/domain/vocabulary';
import { openCardRenderer } from './cardRenderer';

export const SCREENSHOT_CARDS = {
  'referral-form': referralFormCard({
    formId: 'f1',
    values: { offenceDate: '2026-11-02', offenderName: 'Sam Example' },
    errors: { offenceType: 'Choose the offence type.', sentenceDate: 'Enter the sentencing date as a real date (yyyy-mm-dd).', offenderDateOfBirth: 'Enter the date of birth as a real date (yyyy-mm-dd).', harmedPersonName: 'Enter their name.' },
    requiresSource: false,
    sentenceDateRequired: false,
    offenceTypes: Object.keys(OFFENCE_TYPES) as OffenceType[],
    reviewNote: needsReviewNote(['NO_ARREST']),
    today: '2026-12-03',
  }),
  'triage-card': channelCaseCard({
    caseId: '00000000-0000-4000-8000-000000000001',
    reference: 'RJ-2026-0042',
    offenceType: 'death_by_dangerous_driving',
    source: 'Probation Service (London)',
    referredOn: '3 December 2026',
    stage: 'referred',
    stageLabel: 'Awaiting triage',
    complex: true,
    extraCare: false,
    needsReview: true,
    offers: [],
    alerts: ['Choose a reason before declining.'],
  }),
  // What a case message holds in chat history (issue 10, item 1): the details come by refresh.
  'case-message': caseBaseCard({ caseId: '00000000-0000-4000-8000-000000000001', reference: 'RJ-2026-0042', stageLabel: 'Preparation', view: 'case', userIds: ['29:fay', '29:gabe'] }),
  'case-unavailable': caseUnavailableCard('RJ-2026-0042'),
};

async function main(): Promise<void> {
  const suffix = process.argv[2] ? `-${process.argv[2]}` : '';
  // Further arguments: only these cards (all of them without).
  const only = process.argv.slice(3);
  const renderer = await openCardRenderer();
  try {
    for (const [name, c] of Object.entries(SCREENSHOT_CARDS).filter(([n]) => only.length === 0 || only.includes(n))) {
      for (const width of [360, 450]) {
        const file = path.resolve(__dirname, '../../docs/cards', `${name}-${width}${suffix}.png`);
        writeFileSync(file, await renderer.render(c, { width }));
        process.stdout.write(`${file}\n`);
      }
    }
  } finally {
    await renderer.close();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
