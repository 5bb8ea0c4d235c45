import { readFile } from 'node:fs/promises';
import { DEFAULT_REMINDER_POLICY } from '../domain/defaultReminderPolicy';
import { mergePolicy, ReminderPolicyError, type ReminderPolicy } from '../domain/reminderPolicy';

/**
 * The reminder policy: the defaults, with the overrides of `REMINDER_POLICY_FILE` (JSON, any subset
 * of the policy's sections and fields) when a path is given. Errors name the file and every wrong
 * key, so a bad file stops start-up with a message an operator can act on.
 */
export async function loadReminderPolicy(path: string): Promise<ReminderPolicy> {
  if (!path) return DEFAULT_REMINDER_POLICY;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ReminderPolicyError(`cannot read reminder policy file ${path}: ${(error as Error).message}`);
  }
  try {
    return mergePolicy(json);
  } catch (error) {
    throw new ReminderPolicyError(`${path}: ${(error as Error).message}`);
  }
}
