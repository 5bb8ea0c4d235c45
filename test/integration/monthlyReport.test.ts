/**
 * The monthly report card: sent once to the coordinators' channel on the first working day of the
 * month with last month's figures and a button that opens the dashboard tab, not on other days, not
 * twice; a failed send gives the month back for the retry. Rendered at 360 and 450 px.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import type { AdaptiveCard } from '../../cards/adaptive';
import { createWorkingCalendar } from '../../src/domain/workingTime';
import { createLogger } from '../../src/log';
import { MonthlyReportJob } from '../../src/reminders/monthlyReport';
import { migrate } from '../../src/store/migrate';
import { openCardRenderer } from '../support/cardRenderer';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedDashboard } from '../support/dashboardSeed';
import { PARTNER_TENANT, STAFF_TENANT } from '../support/app';

const calendar = createWorkingCalendar();
const CHANNEL = '19:referrals@thread.tacv2';
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('monthly_report');
  pool = new Pool({ connectionString: db.url });
  pool.on('error', () => undefined);
  await migrate(pool, createLogger('silent'));
  await seedDashboard(pool, { cases: 150, from: new Date('2026-08-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), staffTenant: STAFF_TENANT, partnerTenant: PARTNER_TENANT });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function job(at: string, send: (card: AdaptiveCard) => boolean) {
  const sent: AdaptiveCard[] = [];
  const j = new MonthlyReportJob({
    pool,
    calendar,
    clock: () => new Date(at),
    log: createLogger('silent'),
    referralsChannel: async () => CHANNEL,
    dashboardUrl: 'https://teams.microsoft.com/l/entity/0c210042-6b78-557e-8cfe-bccb42de75fc/rj-dashboard',
    messenger: {
      sendToUser: async () => ({ ok: false, permanent: true, kind: 'unused', status: null, reason: 'unused' }),
      sendToConversation: async (conversationId, content) => {
        expect(conversationId).toBe(CHANNEL);
        if (!('body' in content)) throw new Error('the monthly report is a card, not a text message');
        const card = content;
        sent.push(card);
        return send(card) ? { ok: true, conversationId, activityId: 'a1' } : { ok: false, permanent: false, kind: 'throttled', status: 429, reason: 'test' };
      },
    },
  });
  return { j, sent };
}

test('once, on the first working day, with last month\'s referrals and a button to the tab', async () => {
  expect(await job('2026-11-03T09:00:00Z', () => true).j.run()).toBe('not_first_working_day');
  const failing = job('2026-11-02T09:00:00Z', () => false);
  await expect(failing.j.run()).rejects.toThrow('throttled');
  const first = job('2026-11-02T09:00:00Z', () => true);
  expect(await first.j.run()).toBe('sent');
  expect(await job('2026-11-02T09:00:05Z', () => true).j.run()).toBe('already_sent');
  expect(first.sent).toHaveLength(1);
  const card = first.sent[0]!;
  const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM cases WHERE created_at >= '2026-09-30T23:00:00Z' AND created_at < '2026-11-01T00:00:00Z'");
  expect(JSON.stringify(card)).toContain(`{"title":"Referrals received","value":"${rows[0]!.n}"}`);
  // Counts only: no reference or name reaches a channel everyone can read.
  expect(JSON.stringify(card)).not.toMatch(/RJ-\d{4}|Facilitator \d|Coordinator/);
  expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: expect.stringContaining('/l/entity/') }]);

  const renderer = await openCardRenderer();
  try {
    for (const width of [360, 450]) {
      expect(await renderer.overflowing(card, { width })).toEqual([]);
      const png = await renderer.render(card, { width });
      if (process.env.TAB_SCREENSHOTS === '1') {
        const dir = path.resolve(__dirname, '../../docs/tab');
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, `monthly-report-${width}.png`), png);
      }
    }
  } finally {
    await renderer.close();
  }
}, 60_000);
