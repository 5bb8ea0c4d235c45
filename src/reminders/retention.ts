/** The Job Scheduler (BullMQ) and job name of the daily retention pass (src/app/retention.ts); reconciled with the others. */
export const RETENTION_SCHEDULER = 'retention.daily';
export const RETENTION_JOB = 'retention.pass';
