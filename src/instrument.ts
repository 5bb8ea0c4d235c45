import { existsSync } from 'node:fs';
import path from 'node:path';
import { otlpEndpoint } from './config';
import type { Tracing } from './traceContext';

/**
 * Imported first by src/main.ts: OpenTelemetry patches http, pg and ioredis as they are loaded, so it
 * must start before any of them. It does so only in the process started as src/main.ts (tests import
 * createApp from there and must not get a process-wide SDK) and only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set and valid (when invalid, loadConfig refuses the start with the reason). Otherwise not one
 * OpenTelemetry module is loaded.
 */
function startIfEntry(): Tracing | undefined {
  const entry = require.main?.filename;
  if (!entry || path.dirname(entry) !== __dirname || path.parse(entry).name !== 'main') return undefined;
  // As main() does, but earlier: the endpoint may be in .env. Values already in the environment win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const endpoint = otlpEndpoint.safeParse(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (!endpoint.success || endpoint.data === '') return undefined;
  // A require, not an import: it must stay unloaded when tracing is off, and start synchronously.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./tracing') as typeof import('./tracing');
  return startTracing(process.env);
}

export const tracing: Tracing | undefined = startIfEntry();
