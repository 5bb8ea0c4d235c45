import { validateContactForm, zonedInstant, type ContactFormContext, type ContactFormValues } from '../../src/domain/contactForm';
import {
  validateCloseForm,
  validateConferenceForm,
  validateConsentForm,
  validateOutcomeForm,
  validateReasonForm,
  validateRiskForm,
} from '../../src/domain/progressForms';
import { caseProgress, type StoredEvent } from '../../src/domain/caseProgress';
import { DEFAULT_REMINDER_POLICY } from '../../src/domain/defaultReminderPolicy';
import { dueItems, type DueCase } from '../../src/domain/dueDates';
import { createWorkingCalendar } from '../../src/domain/workingTime';

// Wednesday 25 March 2026, 15:00 in London (GMT, before the clocks change on the 29th).
const now = new Date('2026-03-25T15:00:00Z');
const ctx: ContactFormContext = { now, earliest: new Date('2026-01-10T12:00:00Z') };

const good: ContactFormValues = {
  party: 'harmed_person',
  contactDate: '2026-03-25',
  contactTime: '14:30',
  method: 'phone',
  outcome: 'no_answer',
  note: '  Tried twice  ',
  nextFollowUpOn: '2026-03-27',
};

describe('validateContactForm', () => {
  test('accepts a complete contact, as a London instant, with the note trimmed', () => {
    const r = validateContactForm(good, ctx);
    expect(r).toEqual({
      ok: true,
      value: { party: 'harmed_person', at: '2026-03-25T14:30:00.000Z', method: 'phone', outcome: 'no_answer', note: 'Tried twice', nextFollowUpOn: '2026-03-27' },
    });
  });

  test('British Summer Time: 14:30 in July is 13:30 UTC; a typed 9:05 is 09:05', () => {
    const summer = { now: new Date('2026-07-01T15:00:00Z') };
    const r = validateContactForm({ ...good, contactDate: '2026-07-01', contactTime: '9:05', nextFollowUpOn: undefined }, summer);
    expect(r.ok && r.value.at).toBe('2026-07-01T08:05:00.000Z');
  });

  test('optional fields may be left empty', () => {
    const r = validateContactForm({ ...good, note: ' ', nextFollowUpOn: '' }, ctx);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.note).toBeUndefined();
      expect(r.value.nextFollowUpOn).toBeUndefined();
    }
  });

  test('a contact a few minutes "ahead" (clock skew) is accepted', () => {
    expect(validateContactForm({ ...good, contactTime: '15:03' }, ctx).ok).toBe(true);
  });

  test.each<[string, ContactFormValues, string[]]>([
    ['nothing filled in', {}, ['party', 'contactDate', 'contactTime', 'method', 'outcome']],
    ['unknown party', { ...good, party: 'witness' }, ['party']],
    ['impossible date', { ...good, contactDate: '2026-02-30' }, ['contactDate']],
    ['malformed time', { ...good, contactTime: '25:00' }, ['contactTime']],
    ['later today', { ...good, contactTime: '16:00' }, ['contactDate']],
    ['tomorrow', { ...good, contactDate: '2026-03-26', nextFollowUpOn: '2026-03-30' }, ['contactDate']],
    ['before the case was referred', { ...good, contactDate: '2026-01-09' }, ['contactDate']],
    ['unknown method', { ...good, method: 'pigeon' }, ['method']],
    ['unknown outcome', { ...good, outcome: 'maybe' }, ['outcome']],
    ['note of 1,001 characters', { ...good, note: 'x'.repeat(1001) }, ['note']],
    ['follow-up on the day of the contact', { ...good, nextFollowUpOn: '2026-03-25' }, ['nextFollowUpOn']],
    ['follow-up before the contact', { ...good, contactDate: '2026-03-20', nextFollowUpOn: '2026-03-19' }, ['nextFollowUpOn']],
    ['follow-up in the past, after an old contact', { ...good, contactDate: '2026-03-01', nextFollowUpOn: '2026-03-10' }, ['nextFollowUpOn']],
    ['follow-up more than a year ahead', { ...good, nextFollowUpOn: '2027-04-01' }, ['nextFollowUpOn']],
    ['impossible follow-up date', { ...good, nextFollowUpOn: '2026-04-31' }, ['nextFollowUpOn']],
    ['"other" outcome without a note', { ...good, outcome: 'other', note: '' }, ['note']],
    ['"other" method without a note', { ...good, method: 'other', note: undefined }, ['note']],
  ])('refuses: %s', (_name, values, fields) => {
    const r = validateContactForm(values, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual([...fields].sort());
  });

  test('a note of exactly 1,000 characters is fine', () => {
    expect(validateContactForm({ ...good, note: 'x'.repeat(1000) }, ctx).ok).toBe(true);
  });

  test('zonedInstant moves a time skipped by the spring-forward change forward an hour', () => {
    expect(zonedInstant('2026-03-29', '01:30')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});

describe('the other progress forms', () => {
  const clock = { now };

  test.each<[string, () => { ok: boolean; errors?: Record<string, string> }, string[]]>([
    ['consent: complete', () => validateConsentForm({ party: 'offender', consentStatus: 'given', consentDate: '2026-03-25' }, clock), []],
    ['consent: future date', () => validateConsentForm({ party: 'offender', consentStatus: 'given', consentDate: '2026-03-26' }, clock), ['consentDate']],
    ['consent: nothing', () => validateConsentForm({}, clock), ['party', 'consentStatus', 'consentDate']],
    ['risk: complete', () => validateRiskForm({ riskLevel: 'high', riskDate: '2026-03-24', riskSummary: 'Threats' }, clock), []],
    ['risk: no summary, unknown level', () => validateRiskForm({ riskLevel: 'severe', riskDate: '2026-03-24', riskSummary: ' ' }, clock), ['riskLevel', 'riskSummary']],
    ['risk: long summary', () => validateRiskForm({ riskLevel: 'low', riskDate: '2026-03-24', riskSummary: 'x'.repeat(501) }, clock), ['riskSummary']],
    ['conference: complete', () => validateConferenceForm({ conferenceDate: '2026-04-10', conferenceTime: '10:00', venue: 'HMP Brixton' }, clock), []],
    ['conference: in the past', () => validateConferenceForm({ conferenceDate: '2026-03-25', conferenceTime: '09:00', venue: 'HMP Brixton' }, clock), ['conferenceDate']],
    ['conference: no venue, bad time', () => validateConferenceForm({ conferenceDate: '2026-04-10', conferenceTime: 'ten', venue: '' }, clock), ['conferenceTime', 'venue']],
    ['outcome: held with agreement and review', () => validateOutcomeForm({ held: 'yes', agreement: 'yes', reviewOn: '2026-06-25' }, { ...clock, since: new Date('2026-03-25T10:00:00Z') }), []],
    ['outcome: agreement without review date', () => validateOutcomeForm({ held: 'yes', agreement: 'yes' }, clock), ['reviewOn']],
    ['outcome: not held without reason', () => validateOutcomeForm({ held: 'no' }, clock), ['notHeldReason']],
    ['outcome: before the conference started', () => validateOutcomeForm({ held: 'yes', agreement: 'no' }, { ...clock, since: new Date('2026-03-26T10:00:00Z') }), ['held']],
    ['outcome: no answer to the first question', () => validateOutcomeForm({ agreement: 'yes', notHeldReason: 'x' }, clock), ['held']],
    ['outcome: held, agreement unanswered (a reason typed under "No" is not an answer)', () => validateOutcomeForm({ held: 'yes', notHeldReason: 'x' }, clock), ['agreement']],
    ['outcome: not held, with the hidden "Yes" answers filled in: only the reason counts', () => validateOutcomeForm({ held: 'no', agreement: 'yes', notHeldReason: 'Unwell' }, clock), []],
    ['outcome: indirect communication not completed needs no reason', () => validateOutcomeForm({ held: 'no' }, { ...clock, indirect: true }), []],
    ['close: declined at triage is not a closing outcome', () => validateCloseForm({ closeOutcome: 'declined_at_triage' }), ['closeOutcome']],
    ['close: complete', () => validateCloseForm({ closeOutcome: 'no_contact_possible', closeNote: 'Tried for 3 months' }), []],
    ['reopen: empty reason', () => validateReasonForm({ reopenReason: '  ' }, 'reopenReason', 'Give a reason.'), ['reopenReason']],
  ])('%s', (_name, run, fields) => {
    const r = run();
    expect(r.ok).toBe(fields.length === 0);
    if (!r.ok) expect(Object.keys(r.errors ?? {}).sort()).toEqual([...fields].sort());
  });

  test('an outcome keeps only its own answer\'s values', () => {
    expect(validateOutcomeForm({ held: 'no', agreement: 'yes', reviewOn: '2026-06-25', notHeldReason: 'Unwell' }, clock)).toEqual({ ok: true, value: { held: false, agreement: false, reason: 'Unwell' } });
    expect(validateOutcomeForm({ held: 'yes', agreement: 'no', reviewOn: '2026-06-25', notHeldReason: 'x' }, clock)).toEqual({ ok: true, value: { held: true, agreement: false } });
  });

  test('conference time is a London wall-clock time', () => {
    const r = validateConferenceForm({ conferenceDate: '2026-04-10', conferenceTime: '10:00', venue: 'HMP Brixton', attendees: 'Both' }, clock);
    expect(r).toEqual({ ok: true, value: { startsAt: '2026-04-10T09:00:00.000Z', venue: 'HMP Brixton', attendees: 'Both' } });
  });
});

describe('caseProgress and dueItems', () => {
  let n = 0;
  const ev = (type: string, at: string, data: Record<string, unknown> = {}, actor: string | null = 'f1'): StoredEvent => ({ id: String(++n), at: new Date(at), actorAadId: actor, type, data });
  const confirmed = [
    ev('referred', '2026-03-02T10:00:00Z', {}, 'ref'),
    ev('referral_accepted', '2026-03-02T11:00:00Z', {}, 'c'),
    ev('stage_changed', '2026-03-02T11:00:00Z', { from: 'referred', to: 'accepted' }, 'c'),
    ev('stage_changed', '2026-03-02T11:01:00Z', { from: 'accepted', to: 'assigning' }, 'c'),
    ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f1' }, 'c'),
    ev('facilitator_offered', '2026-03-02T11:01:00Z', { facilitatorAadId: 'f2' }, 'c'),
    ev('offer_accepted', '2026-03-02T12:00:00Z', { facilitatorAadId: 'f1' }),
    ev('offer_accepted', '2026-03-02T13:00:00Z', { facilitatorAadId: 'f2' }, 'f2'),
    ev('pair_confirmed', '2026-03-02T13:00:00Z', { facilitatorAadIds: ['f1', 'f2'] }, 'f2'),
    ev('stage_changed', '2026-03-02T13:00:00Z', { from: 'assigning', to: 'preparation' }, 'f2'),
    ev('stage_changed', '2026-03-02T13:00:00Z', { from: 'assigning', to: 'preparation' }, 'f2'),
  ];
  const calendar = createWorkingCalendar();
  const due = { calendar, policy: DEFAULT_REMINDER_POLICY };
  // The row as the store keeps it: the pair's confirmation is stamped when the pair_confirmed event is written.
  const row: DueCase = { id: 'case-1', reference: 'RJ-2026-0001', stage: 'preparation', createdAt: new Date('2026-03-02T10:00:00Z'), pairConfirmedAt: new Date('2026-03-02T13:00:00Z') };

  test('first contact is due 8 working days after the pair; overdue after', () => {
    const p = caseProgress(confirmed);
    expect(p.facts.stage).toBe('preparation');
    // One line per thing that happened: the stage change (written twice by an older writer) follows
    // from the acceptance that confirmed the pair, so it is part of that line, not a line of its own.
    expect(p.timeline.filter((t) => t.text.includes('Stage:'))).toHaveLength(0);
    expect(p.timeline.filter((t) => t.text === 'A facilitator accepted the offer; the pair is confirmed')).toHaveLength(1);
    expect(p.timeline.find((t) => t.text === 'Offered to two facilitators')).toMatchObject({ staff: ['f1', 'f2'], named: 'Offered to {0} and {1}' });
    const items = dueItems(row, p, { ...due, now: new Date('2026-03-10T10:00:00Z') });
    expect(items.map((i) => [i.kind, i.party, i.due.toISOString(), i.overdue])).toEqual([
      ['first_contact', 'harmed_person', '2026-03-12T13:00:00.000Z', false],
      ['first_contact', 'offender', '2026-03-12T13:00:00.000Z', false],
    ]);
    expect(dueItems(row, p, { ...due, now: new Date('2026-03-13T10:00:00Z') }).every((i) => i.overdue)).toBe(true);
  });

  test('the latest contact by its own time sets the follow-up; a correction replaces the contact it names', () => {
    const contact = (id: string, at: string, extra: Record<string, unknown> = {}) =>
      ev('contact_logged', '2026-03-05T12:00:00Z', { contactId: id, party: 'harmed_person', at, method: 'phone', outcome: 'reached', ...extra });
    const p = caseProgress([
      ...confirmed,
      contact('a', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-09' }),
      // Logged later for an earlier day: does not replace the newer contact.
      contact('b', '2026-03-03T10:00:00Z', { nextFollowUpOn: '2026-03-06' }),
      contact('c', '2026-03-04T10:00:00Z', { nextFollowUpOn: '2026-03-11', correctsContactId: 'a' }),
      ev('contact_logged', '2026-03-05T12:00:00Z', { party: 'offender' }),
    ]);
    expect(p.contacts.harmed_person.map((c) => c.contactId)).toEqual(['c', 'b']);
    expect(p.contacts.offender).toHaveLength(0);
    const items = dueItems(row, p, { ...due, now: new Date('2026-03-12T10:00:00Z') });
    expect(items[0]).toMatchObject({ kind: 'follow_up', party: 'harmed_person', overdue: true });
    expect(items[0]!.due.toISOString()).toBe('2026-03-11T09:00:00.000Z');
    expect(p.timeline.some((t) => t.text === 'Corrected contact with the harmed person: phone, reached')).toBe(true);
  });

  test('a closed case has nothing due', () => {
    const p = caseProgress([...confirmed, ev('case_closed', '2026-03-20T10:00:00Z', { outcome: 'no_contact_possible' }, 'c'), ev('stage_changed', '2026-03-20T10:00:00Z', { from: 'preparation', to: 'closed' }, 'c')]);
    expect(p.closed?.outcome).toBe('no_contact_possible');
    expect(dueItems({ ...row, stage: 'closed' }, p, { ...due, now: new Date('2026-04-20T10:00:00Z') })).toEqual([]);
  });
});
