import type { Recipient } from '../domain/reminderPolicy';
import { isCanonicalUuid } from '../shared/ids';

/*
 * A queued job's id is its reminder's id, written compactly. The domain's ids are readable
 * (`follow_up_due|<case uuid>|<participant uuid>.person-<aad uuid>|20261125T0900Z`, ~165 characters),
 * and an id is stored four times in Redis (job key, its copy in the job's options, the delayed set,
 * the index sets), which alone would take a pending reminder over 1 KB. The compact form is
 * `<rule letter>.<owner>.<subject>.<recipient>.<due>`, each UUID as 22 base64url characters, `-` for
 * `case`/`screening`/`coordinators`, and the due minute in base 36: about 77 characters. It is an
 * exact, reversible encoding (same reminder, same job id), so adding a job twice is still a no-op.
 * An id with a part that is not a canonical UUID (a conference id chosen by another module, say) is
 * kept whole behind a `~`.
 *
 * The rule letters are persisted in Redis: only ever append to this table.
 */
const RULE_CODES = {
  triage_due: 'a',
  assignment_answer_due: 'b',
  assignment_answer_escalation: 'c',
  first_contact_due: 'd',
  first_contact_escalation: 'e',
  follow_up_due: 'f',
  stale_case: 'g',
  conference_first_notice: 'h',
  conference_last_notice: 'i',
  conference_outcome_due: 'j',
  agreement_review: 'k',
  re_refer: 'l',
} as const;
const RULE_BY_CODE = new Map<string, string>(Object.entries(RULE_CODES).map(([rule, code]) => [code, rule]));

const B64_UUID = /^[A-Za-z0-9_-]{22}$/;
const WHOLE = '~';
const DUE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/;

/*
 * The same reading of an id as the domain's parseReminderId, without luxon: reconciling every open
 * case parses each reminder id several times, and luxon's format parsing dominated that.
 */
function splitReminderId(id: string): { key: string; rule: string; dueAt: Date } | undefined {
  const cut = id.lastIndexOf('|');
  if (cut < 0) return undefined;
  const key = id.slice(0, cut);
  const parts = key.split('|');
  const m = DUE.exec(id.slice(cut + 1));
  if (parts.length !== 3 || !parts[0] || !m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const dueAt = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (dueAt.getUTCMonth() !== mo - 1 || dueAt.getUTCDate() !== d || h > 23 || mi > 59) return undefined;
  return { key, rule: parts[0], dueAt };
}

function formatDue(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

function packUuid(uuid: string): string | undefined {
  return isCanonicalUuid(uuid) ? Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url') : undefined;
}

function unpackUuid(packed: string): string | undefined {
  if (!B64_UUID.test(packed)) return undefined;
  const hex = Buffer.from(packed, 'base64url').toString('hex');
  if (hex.length !== 32) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The job id of a reminder (see above). */
export function toJobId(reminderId: string): string {
  const parsed = splitReminderId(reminderId);
  const [rule, owner, tail] = parsed ? parsed.key.split('|') : [];
  const code = rule !== undefined ? (RULE_CODES as Record<string, string>)[rule] : undefined;
  if (!parsed || code === undefined || owner === undefined || tail === undefined) return WHOLE + reminderId;
  const dot = tail.lastIndexOf('.');
  const subject = tail.slice(0, dot);
  const recipient = tail.slice(dot + 1);
  const ownerPacked = packUuid(owner);
  const defaultSubject = rule === 're_refer' ? 'screening' : 'case';
  const subjectPacked = subject === defaultSubject ? '-' : packUuid(subject);
  const recipientPacked = recipient === 'coordinators' ? '-' : recipient.startsWith('person-') ? packUuid(recipient.slice('person-'.length)) : undefined;
  const minutes = parsed.dueAt.getTime() / 60_000;
  if (ownerPacked === undefined || subjectPacked === undefined || recipientPacked === undefined || !Number.isInteger(minutes) || minutes < 0) {
    return WHOLE + reminderId;
  }
  const compact = `${code}.${ownerPacked}.${subjectPacked}.${recipientPacked}.${minutes.toString(36)}`;
  // Belt and braces: only an encoding that decodes to the very same id is used.
  return fromJobId(compact) === reminderId ? compact : WHOLE + reminderId;
}

/** The reminder id of a job id; undefined for anything that is not one. */
export function fromJobId(jobId: string): string | undefined {
  if (jobId.startsWith(WHOLE)) return jobId.slice(WHOLE.length);
  const parts = jobId.split('.');
  if (parts.length !== 5) return undefined;
  const [code, ownerPacked, subjectPacked, recipientPacked, due] = parts as [string, string, string, string, string];
  const rule = RULE_BY_CODE.get(code);
  const owner = unpackUuid(ownerPacked);
  const subject = subjectPacked === '-' ? (rule === 're_refer' ? 'screening' : 'case') : unpackUuid(subjectPacked);
  const recipient = recipientPacked === '-' ? 'coordinators' : unpackUuid(recipientPacked);
  const minutes = /^[0-9a-z]{1,12}$/.test(due) ? parseInt(due, 36) : NaN;
  if (rule === undefined || owner === undefined || subject === undefined || recipient === undefined || !Number.isFinite(minutes)) return undefined;
  const dueText = formatDue(minutes * 60_000);
  return `${rule}|${owner}|${subject}.${recipient === 'coordinators' ? recipient : `person-${recipient}`}|${dueText}`;
}

/**
 * A reminder read back into the parts the scheduler and worker route by. Everything a queued job
 * needs is in its id, so jobs carry no data: a job is small and can never disagree with its id.
 */
export interface ParsedReminderId {
  /** The reminder id (the ledger's key). */
  readonly id: string;
  /** The BullMQ job id. */
  readonly jobId: string;
  readonly key: string;
  readonly rule: string;
  /** The case id, or the screening id for `re_refer`. */
  readonly ownerId: string;
  readonly ownerKind: 'case' | 'screening';
  /** What the reminder is about within its owner: an offer, participant or conference id, or `case`. */
  readonly subject: string;
  readonly recipient: Recipient;
  /** `coordinators` or `person-<encoded aad>`, as in the id. */
  readonly recipientCode: string;
  readonly dueAt: Date;
  /** `yyyyMMddTHHmmZ`: reminders for one recipient with the same minute go out as one digest. */
  readonly minute: string;
}

/** Parses a reminder id or a job id. */
export function parseJobId(idOrJobId: string): ParsedReminderId | undefined {
  const id = idOrJobId.startsWith(WHOLE) || !idOrJobId.includes('|') ? fromJobId(idOrJobId) : idOrJobId;
  const parsed = id !== undefined ? splitReminderId(id) : undefined;
  if (id === undefined || !parsed) return undefined;
  const [rule, owner, tail] = parsed.key.split('|');
  if (rule === undefined || owner === undefined || tail === undefined) return undefined;
  const dot = tail.lastIndexOf('.');
  if (dot < 0) return undefined;
  const recipientCode = tail.slice(dot + 1);
  let recipient: Recipient;
  let ownerId: string;
  let subject: string;
  try {
    ownerId = decodeURIComponent(owner);
    subject = decodeURIComponent(tail.slice(0, dot));
    if (recipientCode === 'coordinators') recipient = { kind: 'coordinators' };
    else if (recipientCode.startsWith('person-') && recipientCode.length > 'person-'.length) {
      recipient = { kind: 'person', aadObjectId: decodeURIComponent(recipientCode.slice('person-'.length)) };
    } else return undefined;
  } catch {
    return undefined;
  }
  return {
    id,
    jobId: toJobId(id),
    key: parsed.key,
    rule,
    ownerId,
    ownerKind: rule === 're_refer' ? 'screening' : 'case',
    subject,
    recipient,
    recipientCode,
    dueAt: parsed.dueAt,
    minute: id.slice(id.lastIndexOf('|') + 1),
  };
}
