/**
 * The service's fixed vocabularies. Values are stable codes stored in the database; labels are
 * what people read. Adding a value is a product decision: add it here and nowhere else.
 */

export const OFFENCE_TYPES = {
  assault: 'Assault',
  burglary: 'Burglary',
  criminal_damage: 'Criminal damage',
  death_by_dangerous_driving: 'Death by dangerous driving',
  grievous_bodily_harm: 'Grievous bodily harm',
  manslaughter: 'Manslaughter',
  murder: 'Murder',
  robbery: 'Robbery',
  theft: 'Theft',
  stalking: 'Stalking',
  child_abuse: 'Child abuse',
  other: 'Other',
} as const;
export type OffenceType = keyof typeof OFFENCE_TYPES;

/** Homicide and death-by-driving cases need experienced facilitators. */
export const COMPLEX_OFFENCES: readonly OffenceType[] = ['murder', 'manslaughter', 'death_by_dangerous_driving'];

export const SENTENCE_TYPES = {
  custody: 'Custody',
  community_order: 'Community order',
  suspended_sentence: 'Suspended sentence',
  other: 'Other',
} as const;
export type SentenceType = keyof typeof SENTENCE_TYPES;

export const REFERRAL_SOURCES = {
  probation: 'Probation Service (London)',
  met_police: 'Metropolitan Police',
  crc: 'Community Rehabilitation Company',
  voluntary_agency: 'Voluntary agency',
  self_referral: 'Self-referral by a harmed person',
} as const;
export type ReferralSource = keyof typeof REFERRAL_SOURCES;

/** The 32 London boroughs and the City of London. */
export const LONDON_BOROUGHS = [
  'Barking and Dagenham', 'Barnet', 'Bexley', 'Brent', 'Bromley', 'Camden', 'City of London', 'Croydon',
  'Ealing', 'Enfield', 'Greenwich', 'Hackney', 'Hammersmith and Fulham', 'Haringey', 'Harrow', 'Havering',
  'Hillingdon', 'Hounslow', 'Islington', 'Kensington and Chelsea', 'Kingston upon Thames', 'Lambeth',
  'Lewisham', 'Merton', 'Newham', 'Redbridge', 'Richmond upon Thames', 'Southwark', 'Sutton',
  'Tower Hamlets', 'Waltham Forest', 'Wandsworth', 'Westminster',
] as const;
export type LondonBorough = (typeof LONDON_BOROUGHS)[number];

/**
 * Where a case stands in its lifecycle (DESIGN.md, "Case lifecycle"): the one list of stages, with
 * their labels, in lifecycle order. Lists sort by this order and every stage set below (and the SQL
 * of the repositories, see src/store/stages.ts) is derived from it.
 */
export const CASE_STAGES = {
  referred: 'Referred, awaiting triage',
  accepted: 'Accepted into the service',
  declined: 'Declined at triage',
  assigning: 'Assigning facilitators',
  preparation: 'Preparation',
  ready: 'Ready',
  conference_scheduled: 'Conference scheduled',
  indirect_communication: 'Indirect communication',
  follow_up: 'Follow-up',
  closed: 'Closed',
} as const;
export type CaseStage = keyof typeof CASE_STAGES;

/** Every stage code, in lifecycle order. */
export const STAGE_ORDER = Object.keys(CASE_STAGES) as CaseStage[];

/** Finished: closed after work, or declined at triage. Nothing is due and no reminder runs. */
export const CLOSED_STAGES: readonly CaseStage[] = ['declined', 'closed'];

export function isClosedStage(stage: CaseStage): boolean {
  return CLOSED_STAGES.includes(stage);
}

/** Not finished, awaiting triage included (reminder reconciliation covers these). */
export const OPEN_STAGES: readonly CaseStage[] = STAGE_ORDER.filter((s) => !isClosedStage(s));

/** Accepted into the service and not finished: the case lists, closing. */
export const ACTIVE_STAGES: readonly CaseStage[] = OPEN_STAGES.filter((s) => s !== 'referred');

/** The stages from `from` to `to` inclusive, in lifecycle order (closed stages never included). */
export function stagesBetween(from: CaseStage, to: CaseStage): CaseStage[] {
  const i = OPEN_STAGES.indexOf(from);
  const j = OPEN_STAGES.indexOf(to);
  if (i < 0 || j < i) throw new RangeError(`stagesBetween: "${from}" to "${to}" is not a range of open stages`);
  return OPEN_STAGES.slice(i, j + 1);
}

/** Lifecycle order, for sorting cases by stage. */
export function compareStages(a: CaseStage, b: CaseStage): number {
  return STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b);
}
