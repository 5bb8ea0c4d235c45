import { suggestPairs, suggestReplacement, type Facilitator } from '../../src/domain/pairing';

const fac = (aadObjectId: string, openCases: number, over: Partial<Facilitator> = {}): Facilitator => ({
  aadObjectId,
  active: true,
  experienced: false,
  openCases,
  maxCases: 4,
  ...over,
});

const ids = (pairs: readonly { facilitatorAadIds: readonly [string, string] }[]): string[] =>
  pairs.map((p) => p.facilitatorAadIds.join('+'));

describe('suggestPairs', () => {
  const roster: Facilitator[] = [
    fac('dana', 2),
    fac('ali', 1),
    fac('cleo', 0),
    fac('bo', 1),
    fac('paused', 0, { active: false }),
    fac('full', 0, { maxCases: 0 }),
    fac('atmax', 3, { maxCases: 3 }),
  ];

  test.each<[string, Facilitator[], Parameters<typeof suggestPairs>[1], string[]]>([
    ['fewest open cases first; ties broken by id', roster, { complex: false, limit: 4 }, ['cleo+ali', 'cleo+bo', 'ali+bo', 'cleo+dana']],
    ['limit caps the list', roster, { complex: false, limit: 2 }, ['cleo+ali', 'cleo+bo']],
    ['excluded people are never suggested', roster, { complex: false, exclude: ['cleo'], limit: 3 }, ['ali+bo', 'ali+dana', 'bo+dana']],
    [
      'complex: every pair has an experienced facilitator',
      [fac('a', 0), fac('b', 0), fac('x', 3, { experienced: true }), fac('y', 2, { experienced: true })],
      { complex: true, limit: 10 },
      ['a+y', 'b+y', 'a+x', 'b+x', 'y+x'],
    ],
    [
      'not complex: experience does not matter',
      [fac('a', 0), fac('b', 0), fac('x', 3, { experienced: true })],
      { complex: false, limit: 10 },
      ['a+b', 'a+x', 'b+x'],
    ],
    [
      'the same person twice in the roster is one person',
      [fac('a', 0), fac('a', 0), fac('b', 1)],
      { complex: false, limit: 10 },
      ['a+b'],
    ],
    [
      'equal totals: the pair whose busier member has fewer cases first',
      [fac('a', 0), fac('b', 2), fac('c', 1), fac('d', 1)],
      { complex: false, limit: 3 },
      ['a+c', 'a+d', 'c+d'],
    ],
  ])('%s', (_name, list, opts, expected) => {
    const result = suggestPairs(list, opts);
    expect(ids(result.pairs)).toEqual(expected);
    expect(result.reason).toBeUndefined();
    for (const p of result.pairs) expect(p.facilitatorAadIds[0]).not.toBe(p.facilitatorAadIds[1]);
  });

  test('paused and full facilitators are excluded', () => {
    const all = suggestPairs(roster, { complex: false, limit: 100 }).pairs.flatMap((p) => p.facilitatorAadIds);
    expect(all).not.toContain('paused');
    expect(all).not.toContain('full');
    expect(all).not.toContain('atmax');
    expect(new Set(all)).toEqual(new Set(['ali', 'bo', 'cleo', 'dana']));
  });

  test('each pair says why, in words', () => {
    const [first] = suggestPairs(roster, { complex: false, limit: 1 }).pairs;
    expect(first).toEqual({
      facilitatorAadIds: ['cleo', 'ali'],
      openCases: 1,
      reason: '1 open case between them (0 of 4 and 1 of 4).',
    });
    const [complex] = suggestPairs([fac('a', 0), fac('x', 1, { experienced: true })], { complex: true, limit: 1 }).pairs;
    expect(complex?.reason).toBe('1 open case between them (0 of 4 and 1 of 4); one experienced.');
  });

  test('the order does not depend on the roster order', () => {
    const reversed = [...roster].reverse();
    expect(suggestPairs(reversed, { complex: false, limit: 10 })).toEqual(suggestPairs(roster, { complex: false, limit: 10 }));
  });

  test.each<[string, Facilitator[], Parameters<typeof suggestPairs>[1], string]>([
    ['nobody available', [fac('p', 0, { active: false })], { complex: false, limit: 3 }, 'No facilitator is available (active and below their maximum caseload); a pair needs two.'],
    ['only one available', [fac('a', 0), fac('p', 0, { active: false }), fac('f', 4)], { complex: false, limit: 3 }, 'Only one facilitator is available (active and below their maximum caseload); a pair needs two.'],
    ['only one once the decliners are excluded', [fac('a', 0), fac('b', 0)], { complex: false, exclude: ['b'], limit: 3 }, 'Only one facilitator is available (active and below their maximum caseload); a pair needs two.'],
    ['complex case with no experienced facilitator', [fac('a', 0), fac('b', 0), fac('x', 0, { experienced: true, active: false })], { complex: true, limit: 3 }, 'No experienced facilitator is available, and a complex case needs at least one in the pair.'],
    ['complex case whose only experienced facilitator is full', [fac('a', 0), fac('b', 0), fac('x', 4, { experienced: true })], { complex: true, limit: 3 }, 'No experienced facilitator is available, and a complex case needs at least one in the pair.'],
  ])('empty with a reason: %s', (_name, list, opts, reason) => {
    expect(suggestPairs(list, opts)).toEqual({ pairs: [], reason });
  });

  test.each([0, -1, 1.5, Number.NaN])('limit %p is refused', (limit) => {
    expect(() => suggestPairs(roster, { complex: false, limit })).toThrow(RangeError);
  });
});

describe('replacing one of a pair', () => {
  const roster: Facilitator[] = [
    fac('kept', 3),
    fac('gone', 0),
    fac('ali', 2),
    fac('bo', 1),
    fac('xen', 2, { experienced: true }),
    fac('paused', 0, { active: false, experienced: true }),
  ];

  test('suggestReplacement: least loaded first, without the kept one or the excluded', () => {
    const result = suggestReplacement(roster, { complex: false, keep: 'kept', exclude: ['gone'], limit: 5 });
    expect(result.candidates.map((c) => c.aadObjectId)).toEqual(['bo', 'ali', 'xen']);
    expect(result.candidates[0]?.reason).toBe('1 open case (1 of 4).');
    expect(result.reason).toBeUndefined();
  });

  test('complex case with an inexperienced kept facilitator: the replacement must be experienced', () => {
    const result = suggestReplacement(roster, { complex: true, keep: 'kept', exclude: ['gone'], limit: 5 });
    expect(result.candidates).toEqual([{ aadObjectId: 'xen', reason: '2 open cases (2 of 4); experienced.' }]);
  });

  test('complex case with an experienced kept facilitator: anyone available', () => {
    const withExperiencedKept = roster.map((f) => (f.aadObjectId === 'kept' ? { ...f, experienced: true } : f));
    const result = suggestReplacement(withExperiencedKept, { complex: true, keep: 'kept', exclude: ['gone'], limit: 5 });
    expect(result.candidates.map((c) => c.aadObjectId)).toEqual(['bo', 'ali', 'xen']);
  });

  test('a kept facilitator missing from the roster counts as inexperienced', () => {
    const result = suggestReplacement(roster, { complex: true, keep: 'stranger', exclude: ['gone'], limit: 5 });
    expect(result.candidates.map((c) => c.aadObjectId)).toEqual(['xen']);
  });

  test('no experienced replacement for a complex case', () => {
    expect(suggestReplacement(roster, { complex: true, keep: 'kept', exclude: ['gone', 'xen'], limit: 5 })).toEqual({
      candidates: [],
      reason: 'No experienced facilitator is available, and a complex case needs at least one in the pair.',
    });
  });

  test('nobody else available', () => {
    expect(suggestReplacement([fac('kept', 1), fac('gone', 0)], { complex: false, keep: 'kept', exclude: ['gone'], limit: 5 })).toEqual({
      candidates: [],
      reason: 'No other facilitator is available (active and below their maximum caseload).',
    });
  });

  test('suggestPairs with keep: every pair keeps them, and a full kept facilitator still counts', () => {
    const full = roster.map((f) => (f.aadObjectId === 'kept' ? { ...f, openCases: 4 } : f));
    const result = suggestPairs(full, { complex: false, keep: 'kept', exclude: ['gone'], limit: 2 });
    expect(result.pairs).toEqual([
      { facilitatorAadIds: ['kept', 'bo'], openCases: 5, reason: 'Keeps the current facilitator; the new one has 1 open case (1 of 4).' },
      { facilitatorAadIds: ['kept', 'ali'], openCases: 6, reason: 'Keeps the current facilitator; the new one has 2 open cases (2 of 4).' },
    ]);
  });

  test('suggestPairs with keep and nobody to pair with: empty with a reason', () => {
    expect(suggestPairs([fac('kept', 1)], { complex: false, keep: 'kept', limit: 3 })).toEqual({
      pairs: [],
      reason: 'No other facilitator is available (active and below their maximum caseload).',
    });
  });
});
