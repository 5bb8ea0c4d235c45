import type { RosterRepository } from '../store/rosterRepository';

/** Staff display names by Entra id, read now from the roster (names label cards; ids decide). */
export async function staffNames(roster: Pick<RosterRepository, 'get'>, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set([...ids].filter((x): x is string => Boolean(x)))) {
    const s = await roster.get(id);
    if (s) out.set(id, s.displayName);
  }
  return out;
}
