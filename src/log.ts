import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Logs carry ids, never names, offence details, contact details or message text. Callers log ids
 * only; the redaction list is the safety net for a field that slips through.
 */
export const REDACT_PATHS = [
  'text', '*.text', 'value', '*.value', 'attachments', '*.attachments',
  'name', '*.name', '*.*.name', 'phone', '*.phone', 'email', '*.email',
  'body', '*.body', 'details', '*.details', 'note', '*.note',
  'req.headers.authorization', 'headers.authorization', 'authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rj-referrals' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
