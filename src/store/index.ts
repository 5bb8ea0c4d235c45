export * from './db';
export * from './types';
export * from './migrate';
export * from './caseRepository';
export * from './screeningRepository';
export * from './conversationRefRepository';
export * from './pgStorage';
export * from './settingsRepository';
export {
  RosterRepository,
  normaliseAadId,
  MAX_CASES_RANGE,
  SEEDED_COORDINATOR_NAME,
  type StaffMember,
  type StaffUpsert,
} from './rosterRepository';
export * from './assignmentRepository';
export { CaseLocks, type LockedTx } from './caseLock';
