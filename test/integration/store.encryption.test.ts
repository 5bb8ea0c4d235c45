import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { CaseRepository, type NewReferral } from '../../src/store/caseRepository';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { PgStorage } from '../../src/store/pgStorage';
import { ProgressRepository } from '../../src/store/progressRepository';
import { PlaintextCipher } from '../../src/store/crypto/fieldCipher';
import { sealPlaintextRows } from '../../src/store/crypto/sealExisting';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCipher } from '../support/dataKeys';

/**
 * Migration 012 and its start-up step: rows stored in plaintext before encryption are sealed in
 * place (keys made for their cases), read back unchanged, and the step is idempotent. Also: the
 * store refuses values moved between rows or fields.
 */

const TENANT = '11111111-1111-1111-1111-111111111111';

function referral(submissionKey: string): NewReferral {
  return {
    submissionKey, screeningId: null, referrerAadId: 'aaaaaaaa-0000-0000-0000-000000000001', referrerTenantId: TENANT, source: 'Probation Service (London)',
    eligibility: 'eligible', needsReviewReasons: [], offenceType: 'burglary', offenceDescription: 'Took the Gladstone bag from the porch',
    offenceDate: '2025-03-14', crimeReference: 'CRIS-991', sentenceDate: '2025-09-01', sentenceType: 'custody', prison: 'HMP Pentonville',
    relationship: 'neighbours', riskNotes: 'Avoid Tuesdays', accessNeeds: null, referrerPhone: '020 7946 0000', complex: false, extraCare: false,
    harmedPerson: { name: 'Philippa Plainrow', dateOfBirth: '1980-02-29', borough: 'Hackney', phone: '07700 900001', email: 'philippa@example.org', aware: true },
    offender: { name: 'Oswin Oldrow', dateOfBirth: null, borough: null, phone: null, email: null, aware: false },
  };
}

describe('sealing what was stored before encryption (migration 012 + start-up step)', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('store_encryption');
    pool = createPool(db.url);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  test('plaintext cases, participants, notes, event venues and bot state are sealed, read back the same, and a second run does nothing', async () => {
    await migrate(pool, undefined, MIGRATIONS.filter((m) => m.version < '011'));
    const before = new CaseRepository(pool, { cipher: new PlaintextCipher() });
    const { caseId } = await before.createReferral(referral('legacy-1'));
    const contactNote = randomUUID();
    const riskNote = randomUUID();
    await pool.query(
      `INSERT INTO case_notes (id, case_id, kind, text, author_aad_id) VALUES ($1, $3, 'contact', 'Met Philippa at the library', 'f1'), ($2, $3, 'risk', 'Oswin has a temper', 'f1')`,
      [contactNote, riskNote, caseId],
    );
    await pool.query(
      `INSERT INTO case_events (case_id, actor_aad_id, actor_role, type, data) VALUES
         ($1, 'f1', 'facilitator', 'contact_logged', $2::jsonb),
         ($1, 'f1', 'facilitator', 'conference_scheduled', '{"conferenceId":"c1","startsAt":"2026-01-05T10:00:00Z","venue":"Bramble Hall"}')`,
      [caseId, JSON.stringify({ contactId: 'k1', party: 'harmed_person', noteId: contactNote })],
    );
    await new PgStorage(pool, new PlaintextCipher()).write({ 'msteams/conv-1/user-1': { form: { harmedPersonName: 'Philippa Plainrow' } } });
    const { rows: [stamped] } = await pool.query<{ updated_at: Date }>('SELECT updated_at FROM cases WHERE id = $1', [caseId]);

    await migrate(pool);
    const cipher = testCipher();
    const stats = await sealPlaintextRows(pool, cipher);
    expect(stats).toEqual({ cases: 1, participants: 2, notes: 2, events: 1, botState: 1 });

    const raw = JSON.stringify([
      (await pool.query('SELECT * FROM cases')).rows,
      (await pool.query('SELECT * FROM participants')).rows,
      (await pool.query('SELECT * FROM case_notes')).rows,
      (await pool.query('SELECT * FROM case_events')).rows,
      (await pool.query('SELECT * FROM bot_state')).rows,
    ]);
    for (const plain of ['Philippa', 'Oswin', 'Gladstone', 'CRIS-991', 'Pentonville', 'Avoid Tuesdays', '07700', 'library', 'temper', 'Bramble', '1980-02-29']) expect(raw).not.toContain(plain);
    const { rows: keys } = await pool.query<{ role: string; kid: string }>('SELECT role, kid FROM participant_keys WHERE case_id = $1 ORDER BY role', [caseId]);
    expect(keys).toEqual([{ role: 'case', kid: 'test-1' }, { role: 'harmed_person', kid: 'test-1' }, { role: 'offender', kid: 'test-1' }]);

    const after = new CaseRepository(pool, { cipher });
    const c = await after.getCase(caseId);
    expect(c?.offenceDescription).toBe('Took the Gladstone bag from the porch');
    expect(c?.crimeReference).toBe('CRIS-991');
    expect(c?.riskNotes).toBe('Avoid Tuesdays');
    expect(c?.accessNeeds).toBeNull();
    expect(c?.participants.map((p) => [p.name, p.dateOfBirth, p.borough, p.phone, p.email])).toEqual([
      ['Philippa Plainrow', '1980-02-29', 'Hackney', '07700 900001', 'philippa@example.org'],
      ['Oswin Oldrow', null, null, null, null],
    ]);
    const progress = new ProgressRepository(pool, cipher);
    const notes = await progress.notes(caseId, [contactNote, riskNote]);
    expect(notes.get(contactNote)?.text).toBe('Met Philippa at the library');
    expect(notes.get(riskNote)?.text).toBe('Oswin has a temper');
    // The contact note went under the harmed person's key (its contact event names the party), the risk note under the case key.
    const { rows: noteKeys } = await pool.query<{ id: string; role: string }>(
      `SELECT n.id, k.role FROM case_notes n JOIN participant_keys k ON k.id::text = split_part(n.text, '.', 2) WHERE n.case_id = $1`,
      [caseId],
    );
    expect(Object.fromEntries(noteKeys.map((r) => [r.id, r.role]))).toEqual({ [contactNote]: 'harmed_person', [riskNote]: 'case' });
    const events = await progress.listEvents(caseId);
    expect(events.find((e) => e.type === 'conference_scheduled')?.data.venue).toBe('Bramble Hall');
    expect((await new PgStorage(pool, cipher).read(['msteams/conv-1/user-1']))['msteams/conv-1/user-1']).toMatchObject({ form: { harmedPersonName: 'Philippa Plainrow' } });

    // Sealing is not an edit, and the append-only guards are back on.
    const { rows: [unchanged] } = await pool.query<{ updated_at: Date }>('SELECT updated_at FROM cases WHERE id = $1', [caseId]);
    expect(unchanged?.updated_at).toEqual(stamped?.updated_at);
    await expect(pool.query("UPDATE case_events SET type = 'x' WHERE case_id = $1", [caseId])).rejects.toThrow(/append-only/);
    await expect(pool.query("UPDATE case_notes SET kind = 'risk' WHERE case_id = $1", [caseId])).rejects.toThrow(/cannot be edited/);

    expect(await sealPlaintextRows(pool, cipher)).toEqual({ cases: 0, participants: 0, notes: 0, events: 0, botState: 0 });
  });

  test('a sealed value moved to another field, another participant or another case does not open', async () => {
    const cipher = testCipher();
    const cases = new CaseRepository(pool, { cipher });
    const a = await cases.createReferral(referral('bound-a'));
    const b = await cases.createReferral(referral('bound-b'));
    const repo = new CaseRepository(pool, { cipher });
    // Phone into email of the same person: same key, other field.
    await pool.query("UPDATE participants SET email = phone WHERE case_id = $1 AND role = 'harmed_person'", [a.caseId]);
    await expect(repo.getCase(a.caseId)).rejects.toThrow(/does not open with this key and binding/);
    // The harmed person's name into the offender's row: the offender's ring cannot open it either.
    await pool.query("UPDATE participants SET email = NULL WHERE case_id = $1 AND role = 'harmed_person'", [a.caseId]);
    await pool.query(
      "UPDATE participants SET name = (SELECT name FROM participants WHERE case_id = $1 AND role = 'harmed_person') WHERE case_id = $1 AND role = 'offender'",
      [a.caseId],
    );
    await expect(repo.getCase(a.caseId)).rejects.toThrow(/does not open with this key and binding/);
    // Case b's description copied into case a: its key is not one of a's keys.
    await pool.query('UPDATE cases SET offence_description = (SELECT offence_description FROM cases WHERE id = $2) WHERE id = $1', [a.caseId, b.caseId]);
    await pool.query("UPDATE participants SET name = (SELECT name FROM participants WHERE case_id = $2 AND role = 'offender') WHERE case_id = $1 AND role = 'offender'", [a.caseId, b.caseId]);
    await expect(repo.getCase(a.caseId)).rejects.toThrow(/which is not one of this case's keys/);
    // An untouched case still reads.
    expect((await repo.getCase(b.caseId))?.participants[0]?.name).toBe('Philippa Plainrow');
  });

  test('a destroyed participant key reads as erased; the other participant and the case text still read', async () => {
    const cipher = testCipher();
    const cases = new CaseRepository(pool, { cipher });
    const { caseId } = await cases.createReferral(referral('erase-1'));
    await pool.query("UPDATE participant_keys SET wrapped_key = NULL, kid = NULL, destroyed_at = now() WHERE case_id = $1 AND role = 'harmed_person'", [caseId]);
    const c = await cases.getCase(caseId);
    expect(c?.participants.map((p) => [p.name, p.phone])).toEqual([['[erased]', null], ['Oswin Oldrow', null]]);
    expect(c?.offenceDescription).toBe('Took the Gladstone bag from the porch');
  });
});
