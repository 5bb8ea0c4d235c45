const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids arriving from card data are checked first: a malformed one is "not found", not a SQL error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * A UUID as PostgreSQL prints it (lower case). Encodings that must give back exactly the id they were
 * given (the compact reminder job ids) accept only this form, since upper case would not survive.
 */
export function isCanonicalUuid(value: string): boolean {
  return CANONICAL_UUID.test(value);
}
