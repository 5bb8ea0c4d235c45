import { z } from 'zod';

/**
 * The shape of an activity, checked before the Bot Framework adapter sees it: botbuilder assumes
 * these fields have their documented types and fails inside itself (a 500) when they do not, e.g.
 * a `type` of 5. A malformed activity is answered 400 with a short reason and nothing is stored.
 * Only types and bounds are checked here; who may act (tenant, channel, roles) is decided later.
 */

// C0 and C1 controls: never in an id or a display name, and NUL cannot be stored by PostgreSQL
// (conversation references keep these fields).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const noControl = (s: string) => !CONTROL.test(s);

const short = (max: number) => z.string().max(max).refine(noControl, 'must not contain control characters');
/**
 * Ids of activities, people, conversations and tenants are printable ASCII in Teams (and the
 * Emulator); anything else cannot be a real one, and botbuilder fails on some (a non-Error throw).
 */
const id = (max = 256) => z.string().min(1).max(max).regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces');

const account = z
  .object({
    id: id(),
    name: short(256).optional(),
    aadObjectId: id(64).optional(),
    role: short(32).optional(),
  })
  .passthrough();

const object = z.record(z.string(), z.unknown());

// NUL and unpaired UTF-16 surrogates cannot be stored in PostgreSQL text or jsonb at all.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first path (below `at`) of a key or string that cannot be stored, if any. */
function unstorable(v: unknown, at: (string | number)[], depth = 0): (string | number)[] | undefined {
  if (typeof v === 'string') return UNSTORABLE.test(v) ? at : undefined;
  if (depth > 8 || v === null || typeof v !== 'object') return undefined;
  for (const [k, x] of Object.entries(v)) {
    if (UNSTORABLE.test(k)) return [...at, k];
    const found = unstorable(x, [...at, Array.isArray(v) ? Number(k) : k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Teams refuses messages over about 28 KB; anything much longer is not from Teams. */
export const TEXT_MAX = 40_000;

export const activityEnvelope = z
  .object({
    type: z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z/]*$/, 'must be an activity type name'),
    id: id().optional(),
    channelId: id(64),
    serviceUrl: z.url({ protocol: /^https?$/ }).max(2048),
    from: account,
    recipient: account,
    conversation: z
      .object({
        id: id(1024),
        name: short(256).optional(),
        conversationType: short(32).optional(),
        tenantId: id(64).optional(),
        isGroup: z.boolean().optional(),
      })
      .passthrough(),
    replyToId: id().optional(),
    timestamp: short(64).optional(),
    localTimestamp: short(64).optional(),
    locale: short(32).optional(),
    name: short(256).optional(),
    action: short(64).optional(),
    textFormat: short(32).optional(),
    // Typed text may hold anything; the forms that store it check it (src/domain/text.ts).
    text: z.string().max(TEXT_MAX).optional(),
    value: z.union([object, z.null()]).optional(),
    channelData: object.optional(),
    entities: z.array(z.object({ type: short(64) }).passthrough()).max(100).optional(),
    attachments: z.array(z.object({ contentType: short(256) }).passthrough()).max(50).optional(),
    membersAdded: z.array(account).max(1000).optional(),
    membersRemoved: z.array(account).max(1000).optional(),
  })
  .passthrough()
  .superRefine((a, ctx) => {
    // The conversation reference (from, recipient, conversation, with whatever else they carry) is
    // stored for proactive messages: one unstorable character would fail the turn in PostgreSQL.
    for (const field of ['from', 'recipient', 'conversation'] as const) {
      const path = unstorable(a[field], [field]);
      if (path) ctx.addIssue({ code: 'custom', path, message: 'contains a character that cannot be stored' });
    }
    // Every Teams invoke carries its payload in `value`; botbuilder's invoke handlers read it unguarded.
    if (a.type === 'invoke' && (a.value === undefined || a.value === null)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'is required for an invoke' });
    }
  });

export type EnvelopeCheck = { ok: true } | { ok: false; reason: string; field: string };

/** Whether a request body is an activity botbuilder can handle; the reason names the field, never its value. */
export function checkActivityEnvelope(body: unknown): EnvelopeCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, field: '(body)', reason: 'The request body must be a JSON activity object.' };
  }
  const parsed = activityEnvelope.safeParse(body);
  if (parsed.success) return { ok: true };
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
  // zod reports the input only on request; its message says "received undefined" for a missing field.
  const missing = issue?.code === 'invalid_type' && /received undefined/.test(issue.message);
  const expected = issue?.code === 'invalid_type' ? (issue.expected === 'record' ? 'object' : issue.expected) : '';
  const why = missing
    ? 'is missing'
    : issue?.code === 'invalid_type'
      ? `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`
      : issue?.code === 'custom' || (issue?.code === 'invalid_format' && !issue.message.startsWith('Invalid'))
        ? issue.message
        : 'has the wrong format or size';
  return { ok: false, field, reason: `Malformed activity: "${field}" ${why}.` };
}
