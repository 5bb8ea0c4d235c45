/**
 * Starts PostgreSQL and Redis once per jest run and hands their URLs to test workers through the
 * environment (workers are forked after global setup, so they inherit process.env).
 *
 * jest.config.js names this file in more than one project, and jest runs every selected project's
 * globalSetup; the state on globalThis makes the second call a no-op instead of a second pair of servers.
 */
import { startServices, type RunningServices } from './services';

export const SERVICES_KEY = Symbol.for('rj-referrals.test.services');

export interface ServicesState {
  services: RunningServices;
  /** Env vars we set, so teardown restores exactly what we changed and nothing a user provided. */
  setEnv: string[];
}

type WithServices = typeof globalThis & { [SERVICES_KEY]?: ServicesState | 'starting' };

export default async function globalSetup(): Promise<void> {
  const g = globalThis as WithServices;
  if (g[SERVICES_KEY]) return;
  g[SERVICES_KEY] = 'starting';
  try {
    const pre = { pgAdminUrl: process.env.TEST_PG_ADMIN_URL || undefined, redisUrl: process.env.TEST_REDIS_URL || undefined };
    const started = Date.now();
    const services = await startServices(pre);
    const setEnv: string[] = [];
    if (!pre.pgAdminUrl) {
      process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
      setEnv.push('TEST_PG_ADMIN_URL');
    }
    if (!pre.redisUrl) {
      process.env.TEST_REDIS_URL = services.redisUrl;
      setEnv.push('TEST_REDIS_URL');
    }
    g[SERVICES_KEY] = { services, setEnv };
    if (setEnv.length) {
      console.log(`\n[test services] started in ${Date.now() - started} ms: PostgreSQL ${services.pgAdminUrl}, Redis ${services.redisUrl}`);
    }
  } catch (e) {
    delete g[SERVICES_KEY];
    throw e;
  }
}
