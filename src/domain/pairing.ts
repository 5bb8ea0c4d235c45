/**
 * The bot's suggested facilitator pairs (DESIGN.md, "Assignment"): only active facilitators below
 * their maximum caseload, the least loaded first, at least one experienced facilitator for a complex
 * case, never the same person twice. The coordinator still chooses; suggestions come first on the card.
 */

export interface Facilitator {
  readonly aadObjectId: string;
  /** False while paused (leave, a break between cases). */
  readonly active: boolean;
  readonly experienced: boolean;
  readonly openCases: number;
  readonly maxCases: number;
}

export interface Pair {
  /** The less loaded facilitator first (the kept one first when replacing). */
  readonly facilitatorAadIds: readonly [string, string];
  /** Open cases of the two together, for display and ordering. */
  readonly openCases: number;
  readonly reason: string;
}

/** `reason` is set exactly when `pairs` is empty, and says why. */
export interface PairSuggestions {
  readonly pairs: readonly Pair[];
  readonly reason?: string;
}

export interface Candidate {
  readonly aadObjectId: string;
  readonly reason: string;
}

/** `reason` is set exactly when `candidates` is empty, and says why. */
export interface ReplacementSuggestions {
  readonly candidates: readonly Candidate[];
  readonly reason?: string;
}

export interface PairOptions {
  readonly complex: boolean;
  /** Nobody here is suggested: whoever declined this case, whoever is being replaced. */
  readonly exclude?: readonly string[];
  /** The facilitator who stays when one of a pair is replaced; every pair then includes them. */
  readonly keep?: string;
  readonly limit: number;
}

export interface ReplacementOptions {
  readonly complex: boolean;
  readonly keep: string;
  readonly exclude?: readonly string[];
  readonly limit: number;
}

const AVAILABLE = '(active and below their maximum caseload)';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byLoad(a: Facilitator, b: Facilitator): number {
  return a.openCases - b.openCases || compareIds(a.aadObjectId, b.aadObjectId);
}

function requireLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}

/** The roster with each person once (the first entry wins), so nobody can be paired with themselves. */
function distinct(roster: readonly Facilitator[]): Facilitator[] {
  const byId = new Map<string, Facilitator>();
  for (const f of roster) if (!byId.has(f.aadObjectId)) byId.set(f.aadObjectId, f);
  return [...byId.values()];
}

function available(roster: readonly Facilitator[], excluded: ReadonlySet<string>): Facilitator[] {
  return distinct(roster)
    .filter((f) => f.active && f.openCases < f.maxCases && !excluded.has(f.aadObjectId))
    .sort(byLoad);
}

function load(f: Facilitator): string {
  return `${f.openCases} of ${f.maxCases}`;
}

/**
 * Facilitators to take over from one who declined or is being replaced, the least loaded first. For
 * a complex case a replacement must be experienced unless the one who stays is.
 */
export function suggestReplacement(roster: readonly Facilitator[], opts: ReplacementOptions): ReplacementSuggestions {
  requireLimit(opts.limit);
  // A kept facilitator missing from the roster is treated as inexperienced: the safe side for a complex case.
  const keptExperienced = distinct(roster).find((f) => f.aadObjectId === opts.keep)?.experienced ?? false;
  const pool = available(roster, new Set([...(opts.exclude ?? []), opts.keep]));
  if (pool.length === 0) return { candidates: [], reason: `No other facilitator is available ${AVAILABLE}.` };
  const needExperience = opts.complex && !keptExperienced;
  const fit = needExperience ? pool.filter((f) => f.experienced) : pool;
  if (fit.length === 0) {
    return {
      candidates: [],
      reason: 'No experienced facilitator is available, and a complex case needs at least one in the pair.',
    };
  }
  return {
    candidates: fit.slice(0, opts.limit).map((f) => ({
      aadObjectId: f.aadObjectId,
      reason: `${plural(f.openCases, 'open case', 'open cases')} (${load(f)})${needExperience ? '; experienced' : ''}.`,
    })),
  };
}

/**
 * Suggested pairs, the lowest combined caseload first (then the lower of the two busiest, then ids),
 * so the same roster always gives the same list.
 */
export function suggestPairs(roster: readonly Facilitator[], opts: PairOptions): PairSuggestions {
  requireLimit(opts.limit);
  if (opts.keep !== undefined) {
    const keep = opts.keep;
    const kept = distinct(roster).find((f) => f.aadObjectId === keep);
    const replacements = suggestReplacement(roster, { ...opts, keep, limit: opts.limit });
    if (replacements.candidates.length === 0) return { pairs: [], reason: replacements.reason ?? '' };
    const byId = new Map(distinct(roster).map((f) => [f.aadObjectId, f]));
    return {
      pairs: replacements.candidates.map((c) => ({
        facilitatorAadIds: [keep, c.aadObjectId],
        openCases: (kept?.openCases ?? 0) + (byId.get(c.aadObjectId)?.openCases ?? 0),
        reason: `Keeps the current facilitator; the new one has ${c.reason}`,
      })),
    };
  }

  const pool = available(roster, new Set(opts.exclude ?? []));
  if (pool.length < 2) {
    const who = pool.length === 0 ? 'No facilitator is' : 'Only one facilitator is';
    return { pairs: [], reason: `${who} available ${AVAILABLE}; a pair needs two.` };
  }
  if (opts.complex && !pool.some((f) => f.experienced)) {
    return {
      pairs: [],
      reason: 'No experienced facilitator is available, and a complex case needs at least one in the pair.',
    };
  }

  const candidates: { a: Facilitator; b: Facilitator }[] = [];
  // `pool` is sorted by load, so in each pair `a` is the less loaded one.
  pool.forEach((a, i) => {
    for (const b of pool.slice(i + 1)) {
      if (!opts.complex || a.experienced || b.experienced) candidates.push({ a, b });
    }
  });
  candidates.sort(
    (x, y) =>
      x.a.openCases + x.b.openCases - (y.a.openCases + y.b.openCases) ||
      x.b.openCases - y.b.openCases ||
      compareIds(x.a.aadObjectId, y.a.aadObjectId) ||
      compareIds(x.b.aadObjectId, y.b.aadObjectId),
  );

  return {
    pairs: candidates.slice(0, opts.limit).map(({ a, b }) => {
      const total = a.openCases + b.openCases;
      const experience = !opts.complex
        ? ''
        : a.experienced && b.experienced
          ? '; both experienced'
          : '; one experienced';
      return {
        facilitatorAadIds: [a.aadObjectId, b.aadObjectId],
        openCases: total,
        reason: `${plural(total, 'open case', 'open cases')} between them (${load(a)} and ${load(b)})${experience}.`,
      };
    }),
  };
}
