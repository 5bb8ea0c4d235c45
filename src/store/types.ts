/** Values that survive a round trip through a jsonb column unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A calendar date as 'YYYY-MM-DD'; never a JS Date, which would drag a time zone into it. */
export type IsoDate = string;

/**
 * Parameters are stringified here because pg would turn a JS array into a PostgreSQL array literal,
 * not JSON. Pair with a `$n::jsonb` cast. NUL is dropped from strings because jsonb rejects \u0000,
 * and one pasted control character must not make a whole turn's state unsaveable.
 */
export function toJsonParam(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v));
}
