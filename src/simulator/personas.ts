import { randomUUID } from 'node:crypto';
import { personalConversationId, teamsUserId, type TeamsUser } from './activities';

export type Role = 'referrer' | 'coordinator' | 'facilitator';

export interface Persona {
  /** Stable key the page uses: `referrer`, `coordinator`, `facilitator1`, ..., `person-3`. */
  key: string;
  role: Role;
  user: TeamsUser;
  /** Teams' `29:` id: what refresh.userIds and mentions carry. */
  teamsId: string;
  /** Their 1:1 chat with the bot. */
  conversationId: string;
}

/** The coordinators' channel in the simulated team. */
export const SIM_TEAM = '19:simteam0000000000000000@thread.tacv2';
export const SIM_CHANNEL = '19:simreferrals000000000000@thread.tacv2';

/**
 * The people the simulator starts with. Their Entra object ids are fixed and shared with
 * .m365agentsplayground.yml, so the coordinator seeded here is the one the playground plays.
 */
export const DEFAULT_PEOPLE = {
  coordinator: { aadObjectId: 'c0000000-0000-4000-8000-00000000c001', name: 'Cleo Coordinator' },
  facilitator1: { aadObjectId: 'f0000000-0000-4000-8000-00000000f001', name: 'Fern Facilitator' },
  facilitator2: { aadObjectId: 'f0000000-0000-4000-8000-00000000f002', name: 'Fitz Facilitator' },
  referrer: { aadObjectId: 'a0000000-0000-4000-8000-00000000a001', name: 'Ada Officer' },
} as const;

export function persona(key: string, role: Role, user: TeamsUser): Persona {
  const teamsId = teamsUserId(user);
  return { key, role, user, teamsId, conversationId: personalConversationId(teamsId) };
}

/** The cast of a fresh simulator: a referrer in the partner tenant, a coordinator and two facilitators in the staff tenant. */
export function defaultCast(staffTenantId: string, partnerTenantId: string): Persona[] {
  const staff = (p: { aadObjectId: string; name: string }): TeamsUser => ({ ...p, tenantId: staffTenantId });
  return [
    persona('referrer', 'referrer', { ...DEFAULT_PEOPLE.referrer, tenantId: partnerTenantId }),
    persona('coordinator', 'coordinator', staff(DEFAULT_PEOPLE.coordinator)),
    persona('facilitator1', 'facilitator', staff(DEFAULT_PEOPLE.facilitator1)),
    persona('facilitator2', 'facilitator', staff(DEFAULT_PEOPLE.facilitator2)),
  ];
}

/** Someone added from the page: a facilitator (staff tenant) or a referrer (partner tenant). */
export function newPerson(n: number, name: string, role: 'facilitator' | 'referrer', staffTenantId: string, partnerTenantId: string): Persona {
  return persona(`person-${n}`, role, { aadObjectId: randomUUID(), name, tenantId: role === 'referrer' ? partnerTenantId : staffTenantId });
}
