/** Stops what globalSetup started; later calls (one per jest project) find nothing left to do. */
import { SERVICES_KEY, type ServicesState } from './globalSetup';

type WithServices = typeof globalThis & { [SERVICES_KEY]?: ServicesState | 'starting' };

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as WithServices;
  const state = g[SERVICES_KEY];
  if (!state || state === 'starting') return;
  delete g[SERVICES_KEY];
  for (const name of state.setEnv) delete process.env[name];
  await state.services.stop();
}
