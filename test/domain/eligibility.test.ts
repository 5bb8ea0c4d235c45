import {
  assessEligibility,
  applicableAnswers,
  nextQuestion,
  offersReReferReminder,
  parseAnswer,
  REASON_CODES,
  REASON_EXPLANATIONS,
  SCREENING_QUESTIONS,
  type Answer,
  type ScreeningAnswers,
} from '../../src/domain/eligibility';

const allYes: ScreeningAnswers = {
  sentenced: 'yes',
  responsibility: 'yes',
  harmedPerson: 'yes',
  arrested: 'yes',
  stalkingOrChildAbuse: 'no',
  london: 'yes',
};

const with_ = (over: ScreeningAnswers): ScreeningAnswers => ({ ...allYes, ...over });

describe('assessEligibility', () => {
  test.each<[string, ScreeningAnswers, string, string[], string[], { complex?: boolean; extraCare?: boolean }]>([
    ['all criteria met', allYes, 'eligible', [], [], { extraCare: false }],
    ['not sentenced', with_({ sentenced: 'no' }), 'ineligible', ['NOT_SENTENCED'], [], {}],
    ['responsibility not accepted', with_({ responsibility: 'no' }), 'ineligible', ['RESPONSIBILITY_NOT_ACCEPTED'], [], {}],
    ['no identifiable harmed person', with_({ harmedPerson: 'no' }), 'ineligible', ['NO_IDENTIFIABLE_HARMED_PERSON'], [], {}],
    ['no arrest', with_({ arrested: 'no' }), 'ineligible', ['NO_ARREST'], [], {}],
    ['not London', with_({ london: 'no' }), 'ineligible', ['NOT_LONDON'], [], {}],
    ['stalking, harmed person under 18', with_({ stalkingOrChildAbuse: 'yes', harmedUnder18: 'yes' }), 'ineligible', ['EXCLUDED_OFFENCE_UNDER_18'], [], {}],
    ['stalking, adult harmed person: eligible with extra care', with_({ stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' }), 'eligible', [], [], { extraCare: true }],
    ['child abuse, harmed person now adult: eligible with extra care', with_({ stalkingOrChildAbuse: 'yes', harmedUnder18: 'no' }), 'eligible', [], [], { extraCare: true }],
    ['stalking, not sure of age', with_({ stalkingOrChildAbuse: 'yes', harmedUnder18: 'not_sure' }), 'needs_review', [], ['EXCLUDED_OFFENCE_UNDER_18'], { extraCare: true }],
    ['not sure if stalking, harmed person under 18', with_({ stalkingOrChildAbuse: 'not_sure', harmedUnder18: 'yes' }), 'needs_review', [], ['EXCLUDED_OFFENCE_UNDER_18'], { extraCare: false }],
    ['not sure if stalking, adult harmed person', with_({ stalkingOrChildAbuse: 'not_sure', harmedUnder18: 'no' }), 'eligible', [], [], { extraCare: false }],
    ['one not sure', with_({ arrested: 'not_sure' }), 'needs_review', [], ['NO_ARREST'], {}],
    ['not sure mixed with no: the no wins', with_({ arrested: 'not_sure', london: 'no' }), 'ineligible', ['NOT_LONDON'], ['NO_ARREST'], {}],
    [
      'several failures are all listed, in rule order',
      with_({ london: 'no', sentenced: 'no', responsibility: 'no', stalkingOrChildAbuse: 'yes', harmedUnder18: 'yes' }),
      'ineligible',
      ['NOT_SENTENCED', 'RESPONSIBILITY_NOT_ACCEPTED', 'EXCLUDED_OFFENCE_UNDER_18', 'NOT_LONDON'],
      [],
      {},
    ],
    [
      'everything no',
      { sentenced: 'no', responsibility: 'no', harmedPerson: 'no', arrested: 'no', stalkingOrChildAbuse: 'yes', harmedUnder18: 'yes', london: 'no' },
      'ineligible',
      [...REASON_CODES],
      [],
      {},
    ],
    [
      'everything not sure',
      { sentenced: 'not_sure', responsibility: 'not_sure', harmedPerson: 'not_sure', arrested: 'not_sure', stalkingOrChildAbuse: 'not_sure', harmedUnder18: 'not_sure', london: 'not_sure' },
      'needs_review',
      [],
      [...REASON_CODES],
      {},
    ],
  ])('%s', (_name, answers, outcome, reasons, uncertain, flags) => {
    const r = assessEligibility({ answers });
    expect(r.outcome).toBe(outcome);
    expect(r.reasons).toEqual(reasons);
    expect(r.uncertain).toEqual(uncertain);
    expect(r.complete).toBe(true);
    if (flags.extraCare !== undefined) expect(r.flags.extraCare).toBe(flags.extraCare);
  });

  test.each([
    ['murder', true],
    ['manslaughter', true],
    ['death_by_dangerous_driving', true],
    ['assault', false],
    ['theft', false],
  ] as const)('offence %s is complex: %s', (offenceType, complex) => {
    expect(assessEligibility({ answers: allYes, offenceType }).flags.complex).toBe(complex);
  });

  test('a stalking offence type with an adult harmed person is flagged for extra care', () => {
    const r = assessEligibility({ answers: with_({ stalkingOrChildAbuse: 'not_sure', harmedUnder18: 'no' }), offenceType: 'stalking' });
    expect(r.flags.extraCare).toBe(true);
    expect(r.outcome).toBe('eligible');
  });

  test('an incomplete screening is never eligible', () => {
    const r = assessEligibility({ answers: { sentenced: 'yes' } });
    expect(r.complete).toBe(false);
    expect(r.outcome).not.toBe('eligible');
  });

  test('the under-18 question is required when the offence may be stalking or child abuse', () => {
    const r = assessEligibility({ answers: with_({ stalkingOrChildAbuse: 'yes' }) });
    expect(r.complete).toBe(false);
  });

  test('every reason has an explanation with what to do next', () => {
    for (const code of REASON_CODES) {
      expect(REASON_EXPLANATIONS[code].title.length).toBeGreaterThan(10);
      expect(REASON_EXPLANATIONS[code].whatNext.length).toBeGreaterThan(10);
      // Read after "not sure …" on the coordinators' card.
      expect(REASON_EXPLANATIONS[code].topic).toMatch(/^whether /);
    }
  });
});

describe('re-refer offer', () => {
  test.each<[string, ScreeningAnswers, boolean]>([
    ['only not sentenced', with_({ sentenced: 'no' }), true],
    ['not sentenced and not London', with_({ sentenced: 'no', london: 'no' }), false],
    ['not sure about sentencing', with_({ sentenced: 'not_sure' }), false],
    ['eligible', allYes, false],
  ])('%s → %s', (_n, answers, expected) => {
    expect(offersReReferReminder(assessEligibility({ answers }))).toBe(expected);
  });
});

describe('question flow', () => {
  test('asks every rule in order and skips the under-18 question when not relevant', () => {
    const answers: ScreeningAnswers = {};
    const asked: string[] = [];
    for (let q = nextQuestion(answers); q; q = nextQuestion(answers)) {
      asked.push(q.id);
      answers[q.id] = q.id === 'stalkingOrChildAbuse' ? 'no' : 'yes';
    }
    expect(asked).toEqual(['sentenced', 'responsibility', 'harmedPerson', 'arrested', 'stalkingOrChildAbuse', 'london']);
  });

  test.each<[Answer]>([['yes'], ['not_sure']])('asks the under-18 question after "%s" to stalking or child abuse', (a) => {
    expect(nextQuestion(with_({ stalkingOrChildAbuse: a, london: undefined }))?.id).toBe('harmedUnder18');
  });

  test('drops an under-18 answer that no longer applies', () => {
    expect(applicableAnswers(with_({ stalkingOrChildAbuse: 'no', harmedUnder18: 'yes' })).harmedUnder18).toBeUndefined();
  });

  test('every question covers a rule and has a hint', () => {
    expect(SCREENING_QUESTIONS.map((q) => q.id)).toHaveLength(7);
    for (const q of SCREENING_QUESTIONS) expect(q.hint).toBeTruthy();
  });
});

describe('parseAnswer', () => {
  test.each<[string, Answer | undefined]>([
    ['yes', 'yes'], ['Y', 'yes'], ['Yes.', 'yes'], ['  yep ', 'yes'], ['YES!', 'yes'],
    ['no', 'no'], ['N', 'no'], ['Nope', 'no'], ['not yet', 'no'],
    ['not sure', 'not_sure'], ["don't know", 'not_sure'], ['Don’t know', 'not_sure'], ['dont know', 'not_sure'],
    ['unsure', 'not_sure'], ['I do not know', 'not_sure'],
    ['purple', undefined], ['yes and no', undefined], ['', undefined], ['maybe not', undefined], ['42', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseAnswer(text)).toBe(expected);
  });
});
