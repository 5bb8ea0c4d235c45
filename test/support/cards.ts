/**
 * Adaptive Card validation with Microsoft's own parser (the `adaptivecards` package Teams' renderer
 * family is built from), so tests catch cards Teams would render wrongly or drop.
 *
 * The package's `lib/` build is ESM without file extensions and does not load under Node; the UMD
 * bundle in `dist/` does, and parsing/validation needs no DOM (rendering would).
 */
import type * as AC from 'adaptivecards';
import type { WireActivity as Activity, WireAttachment as Attachment } from '../../src/simulator/wire';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the UMD bundle has no module typings; the lib/ typings describe the same API
const adaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof AC;

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface CardCheck {
  /** Human-readable problems; empty when the card parses and validates cleanly. */
  errors: string[];
}

/** Teams renders Adaptive Cards up to 1.5 (DESIGN.md); a 1.6 card parses fine in the library but not in Teams. */
export const TEAMS_MAX_CARD_VERSION = '1.5';
/** DESIGN.md: keep messages under 80 KB. */
export const MAX_CARD_BYTES = 80 * 1024;

export interface CardCheckOptions {
  /** Highest card version accepted; default TEAMS_MAX_CARD_VERSION. */
  maxVersion?: string;
}

/**
 * Parses and validates a card. Every parse and validation event counts as an error, including
 * unknown element/action types (which Teams would silently replace with fallback or drop) and
 * inputs without an id (whose values Teams would never send back). On top of Microsoft's checks,
 * which let these through, it reports: a version above what Teams renders, a card over 80 KB,
 * TextBlock without text, Image without url, Action.Execute without verb, Action.OpenUrl without url.
 */
export function parseAdaptiveCard(json: unknown, opts: CardCheckOptions = {}): CardCheck {
  const errors: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { errors: ['card is not a JSON object'] };
  const obj = json as Record<string, unknown>;
  if (obj.type !== 'AdaptiveCard') errors.push(`card "type" must be "AdaptiveCard", got ${JSON.stringify(obj.type)}`);
  if (typeof obj.version !== 'string') errors.push('card "version" is missing (Teams needs it, e.g. "1.5")');
  const maxVersion = opts.maxVersion ?? TEAMS_MAX_CARD_VERSION;
  if (typeof obj.version === 'string' && compareVersions(obj.version, maxVersion) > 0) {
    errors.push(`card version ${obj.version} is above ${maxVersion}, the highest Teams renders`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(obj));
  if (bytes > MAX_CARD_BYTES) errors.push(`card is ${Math.ceil(bytes / 1024)} KB; keep messages under ${MAX_CARD_BYTES / 1024} KB`);
  walk(obj, '$', errors);

  const card = new adaptiveCards.AdaptiveCard();
  const ctx = new adaptiveCards.SerializationContext();
  try {
    card.parse(obj, ctx);
  } catch (e) {
    errors.push(`parser threw: ${e instanceof Error ? e.message : String(e)}`);
    return { errors };
  }
  for (let i = 0; i < ctx.eventCount; i++) {
    const ev = ctx.getEventAt(i);
    errors.push(`parse: ${describe(ev.event)}: ${ev.message}`);
  }
  for (const ev of card.validateProperties().validationEvents) {
    errors.push(`validate: ${describe(ev.event)}: ${ev.message}${where(ev.source)}`);
  }
  return { errors };
}

/** Properties the schema requires (or this bot relies on) that the library does not enforce. */
const REQUIRED: Record<string, string[]> = {
  TextBlock: ['text'],
  Image: ['url'],
  'Action.Execute': ['verb'],
  'Action.OpenUrl': ['url'],
  'Action.ShowCard': ['card'],
  'Action.ToggleVisibility': ['targetElements'],
};

function walk(node: unknown, path: string, errors: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => walk(child, `${path}[${i}]`, errors));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  // `data` holds the bot's own payload, and `fallback` may legitimately name a type from a later version.
  const type = typeof obj.type === 'string' ? obj.type : undefined;
  for (const prop of (type && REQUIRED[type]) || []) {
    const v = obj[prop];
    if (v === undefined || v === null || v === '') errors.push(`${type} at ${path} is missing required "${prop}"`);
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'data' && k !== 'fallback') walk(v, `${path}.${k}`, errors);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function describe(event: AC.ValidationEvent): string {
  return adaptiveCards.ValidationEvent[event] ?? `event ${event}`;
}

function where(source: AC.SerializableObject | undefined): string {
  if (!source) return '';
  const s = source as AC.SerializableObject & { id?: string; getJsonTypeName?: () => string };
  const type = typeof s.getJsonTypeName === 'function' ? s.getJsonTypeName() : source.constructor.name;
  return ` (at ${type}${s.id ? ` "${s.id}"` : ''})`;
}

/** Jest assertion: fails listing every problem and the card itself. */
export function expectValidCard(json: unknown, opts?: CardCheckOptions): void {
  const { errors } = parseAdaptiveCard(json, opts);
  if (errors.length > 0) {
    throw new Error(`Adaptive Card is invalid:\n  - ${errors.join('\n  - ')}\nCard:\n${JSON.stringify(json, null, 2).slice(0, 4000)}`);
  }
}

/**
 * The Adaptive Cards in an activity's attachments, or in an invoke response body
 * (`{ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card }`).
 */
export function cardsIn(activityOrInvokeResponse: unknown): Record<string, unknown>[] {
  if (typeof activityOrInvokeResponse !== 'object' || activityOrInvokeResponse === null) return [];
  const x = activityOrInvokeResponse as Partial<Activity> & { type?: unknown; value?: unknown; statusCode?: unknown };
  if (x.type === ADAPTIVE_CARD_CONTENT_TYPE && isObject(x.value)) return [x.value];
  const attachments: Attachment[] = Array.isArray(x.attachments) ? x.attachments : [];
  return attachments.filter((a) => a.contentType === ADAPTIVE_CARD_CONTENT_TYPE && isObject(a.content)).map((a) => a.content as Record<string, unknown>);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
