export * from './db';
export * from './types';
export * from './migrate';
export * from './caseRepository';
export * from './screeningRepository';
export * from './conversationRefRepository';
export * from './pgStorage';
