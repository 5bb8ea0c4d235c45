import type { Pool } from 'pg';
import type { Clock } from '../shared/clock';
import type { Config } from '../config';
import type { WorkingCalendar } from '../domain/workingTime';
import type { Actor as DomainActor } from '../domain/permissions';
import type { ReminderPolicy } from '../domain/reminderPolicy';
import type { Actor } from '../app/actor';
import type { Logger } from '../log';
import { DashboardRepository } from '../store/dashboardRepository';
import type { RosterRepository } from '../store/rosterRepository';
import { DashboardReadModel } from './readModel';
import { ErasureRepository } from '../store/erasure';
import type { RecordView } from '../app/accessAudit';
import type { Persona, TabAuth, TabDeps } from './routes';
import { createTokenChecker } from './tokenCheck';

/** The audience the tab's SSO tokens are issued for: TAB_AUDIENCE, else api://<TAB_HOST>/<MicrosoftAppId>. */
export function tabAudience(config: Pick<Config, 'TAB_AUDIENCE' | 'TAB_HOST' | 'MicrosoftAppId'>): string {
  if (config.TAB_AUDIENCE) return config.TAB_AUDIENCE;
  return config.TAB_HOST && config.MicrosoftAppId ? `api://${config.TAB_HOST}/${config.MicrosoftAppId}` : '';
}

/**
 * How the tab's API signs people in. With MicrosoftAppId set, only Teams SSO tokens (fail closed: no
 * audience configured means no API). Without it (local mode, which loadConfig allows on loopback
 * only) a persona picker stands in for Teams.
 */
export function tabAuth(config: Config, dashboard: DashboardRepository, roster: RosterRepository, clock: Clock): TabAuth {
  if (!config.MicrosoftAppId) {
    return {
      mode: 'dev',
      personas: async () => {
        const staff = await roster.list();
        const out: Persona[] = staff
          .filter((s) => s.coordinator || s.facilitator)
          .map((s) => ({ label: `${s.coordinator ? 'Coordinator' : 'Facilitator'}: ${s.displayName}`, tenantId: s.tenantId, aadObjectId: s.aadObjectId }));
        for (const r of await dashboard.someReferrers(10)) {
          out.push({ label: `Referrer ${r.aadObjectId.slice(0, 8)}${r.tenantId === config.STAFF_TENANT_ID ? '' : ` (${config.PARTNER_TENANTS.get(r.tenantId) ?? 'partner'})`}`, tenantId: r.tenantId, aadObjectId: r.aadObjectId });
        }
        return out;
      },
    };
  }
  const audience = tabAudience(config);
  if (!audience) return { mode: 'off', reason: 'The dashboard API is off: set TAB_HOST (the host the tab is served from) or TAB_AUDIENCE.' };
  return {
    mode: 'token',
    checker: createTokenChecker({
      allowedTenants: [config.STAFF_TENANT_ID, ...config.PARTNER_TENANTS.keys()],
      // v1 tokens carry the Application ID URI, v2 tokens the app id itself.
      audiences: [audience, config.MicrosoftAppId],
      jwksUrl: config.TAB_JWKS_URL,
      clockSkewSeconds: config.TAB_CLOCK_SKEW_SECONDS,
      now: clock,
    }),
  };
}

export function tabDeps(d: {
  config: Config;
  pool: Pool;
  roster: RosterRepository;
  roles: (actor: Actor) => Promise<DomainActor>;
  calendar: WorkingCalendar;
  reminderPolicy: ReminderPolicy;
  clock: Clock;
  log: Logger;
  recordView: RecordView;
}): TabDeps {
  const dashboard = new DashboardRepository(d.pool);
  const erasures = new ErasureRepository(d.pool);
  return {
    auth: tabAuth(d.config, dashboard, d.roster, d.clock),
    readModel: new DashboardReadModel({
      dashboard,
      roster: d.roster,
      roles: d.roles,
      calendar: d.calendar,
      reminderPolicy: d.reminderPolicy,
      clock: d.clock,
      staffTenantId: d.config.STAFF_TENANT_ID,
      botAppId: d.config.MicrosoftAppId,
      recordView: d.recordView,
      openErasureRequests: () => erasures.openCount(),
    }),
    log: d.log,
  };
}

/**
 * Where the monthly report card's button opens the dashboard: the Teams deep link to the personal
 * tab when TEAMS_APP_ID is known, else the tab's page (which, outside Teams, says to open it in Teams).
 */
export function dashboardUrl(config: Pick<Config, 'TEAMS_APP_ID' | 'TAB_HOST'>): string | undefined {
  if (config.TEAMS_APP_ID) return `https://teams.microsoft.com/l/entity/${config.TEAMS_APP_ID}/rj-dashboard`;
  return config.TAB_HOST ? `https://${config.TAB_HOST}/tab` : undefined;
}
