import { validateReferralForm, normalisePhone, type ReferralFormValues, type ReferralFormContext } from '../../src/domain/referralForm';

const ctx: ReferralFormContext = {
  answers: { sentenced: 'yes', responsibility: 'yes', harmedPerson: 'yes', arrested: 'yes', stalkingOrChildAbuse: 'no', london: 'yes' },
  requiresSource: false,
  today: '2026-11-25',
};

const good: ReferralFormValues = {
  offenceType: 'burglary',
  offenceDate: '2025-03-01',
  sentenceDate: '2026-01-10',
  sentenceType: 'custody',
  offenderName: 'Alex Example',
  offenderAware: 'yes',
  harmedPersonName: 'Sam Example',
  harmedPersonAware: 'yes',
  harmedPersonPhone: '020 7946 0000',
  harmedPersonEmail: 'sam@example.org',
  harmedPersonBorough: 'Hackney',
};

describe('validateReferralForm', () => {
  test('accepts a complete valid form and normalises the phone number', () => {
    const r = validateReferralForm(good, ctx);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.harmedPersonPhone).toBe('02079460000');
      expect(r.value.offenderAware).toBe(true);
      expect(r.value.referralSource).toBeUndefined();
    }
  });

  test.each<[string, ReferralFormValues, Partial<ReferralFormContext>, string[]]>([
    ['missing required fields', {}, {}, ['offenceType', 'offenceDate', 'sentenceDate', 'offenderName', 'harmedPersonName', 'offenderAware', 'harmedPersonAware']],
    ['future offence date', { ...good, offenceDate: '2026-12-01' }, {}, ['offenceDate']],
    ['impossible date', { ...good, offenceDate: '2025-02-30' }, {}, ['offenceDate']],
    ['sentence before offence', { ...good, sentenceDate: '2025-01-01' }, {}, ['sentenceDate']],
    ['future sentencing date', { ...good, sentenceDate: '2027-01-01' }, {}, ['sentenceDate']],
    ['malformed phone', { ...good, harmedPersonPhone: '12345' }, {}, ['harmedPersonPhone']],
    ['malformed email', { ...good, harmedPersonEmail: 'sam-at-example' }, {}, ['harmedPersonEmail']],
    ['over-long description', { ...good, offenceDescription: 'x'.repeat(2001) }, {}, ['offenceDescription']],
    ['over-long name', { ...good, offenderName: 'x'.repeat(101) }, {}, ['offenderName']],
    ['offence type contradicts a "no" to stalking or child abuse', { ...good, offenceType: 'stalking' }, {}, ['offenceType']],
    [
      'offence type contradicts a "yes" to stalking or child abuse',
      good,
      { answers: { ...ctx.answers, stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' } },
      ['offenceType'],
    ],
    ['unknown borough', { ...good, harmedPersonBorough: 'Manchester' }, {}, ['harmedPersonBorough']],
    ['unknown offence type', { ...good, offenceType: 'arson' }, {}, ['offenceType']],
    ['nobody knows about the referral', { ...good, offenderAware: 'no', harmedPersonAware: 'no' }, {}, ['offenderAware']],
    ['staff tenant must give the source', good, { requiresSource: true }, ['referralSource']],
    ['date of birth after the offence', { ...good, offenderDateOfBirth: '2025-06-01' }, {}, ['offenderDateOfBirth']],
  ])('%s', (_name, values, over, fields) => {
    const r = validateReferralForm(values, { ...ctx, ...over });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual([...fields].sort());
  });

  test('sentencing date is optional when the sentencing answer was "not sure"', () => {
    const { sentenceDate: _omit, ...rest } = good;
    expect(validateReferralForm(rest, { ...ctx, answers: { ...ctx.answers, sentenced: 'not_sure' } }).ok).toBe(true);
  });

  test('stalking with a "yes" screening answer is accepted', () => {
    const r = validateReferralForm({ ...good, offenceType: 'stalking' }, { ...ctx, answers: { ...ctx.answers, stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' } });
    expect(r.ok).toBe(true);
  });

  test('the staff tenant source is kept', () => {
    const r = validateReferralForm({ ...good, referralSource: 'met_police' }, { ...ctx, requiresSource: true });
    expect(r.ok && r.value.referralSource).toBe('met_police');
  });
});

test.each<[string, string | undefined]>([
  ['020 7946 0000', '02079460000'],
  ['+44 20 7946 0000', '02079460000'],
  ['07700 900123', '07700900123'],
  ['(020) 7946-0000', '02079460000'],
  ['12345', undefined],
  ['call me', undefined],
])('normalisePhone(%j) → %s', (raw, expected) => {
  expect(normalisePhone(raw)).toBe(expected);
});
