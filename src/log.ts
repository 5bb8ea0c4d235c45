import pino, { type Logger } from 'pino';
import { PERSONAL_FIELD_NAMES } from './domain/personalFields';

export type { Logger };

/**
 * Logs carry ids, never names, offence details, contact details or message text. Callers log ids
 * only; the redaction list is the safety net for a field that slips through.
 */
export const REDACT_PATHS: readonly string[] = [
  // A form's values logged as an object, inside a request, an activity's value or its action data.
  ...PERSONAL_FIELD_NAMES.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  'req.headers.authorization', 'headers.authorization', 'authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rj-referrals' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
