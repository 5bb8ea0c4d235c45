import type { Actor as DomainActor } from '../domain/permissions';
import type { RosterRepository } from '../store/rosterRepository';
import type { Actor } from './actor';

/**
 * Who someone is to the service, from the roster alone, read again on every action, so a card
 * clicked after its viewer was removed or replaced is judged by who they are now.
 * (COORDINATOR_AAD_IDS only seeds an empty roster at start-up.)
 */
export class StaffRoles {
  constructor(private readonly roster: Pick<RosterRepository, 'get' | 'rename'>) {}

  /** Roles only: reads the roster, writes nothing. */
  async of(actor: Actor): Promise<DomainActor> {
    const staff = actor.staffTenant ? await this.roster.get(actor.aadObjectId) : null;
    return {
      aadObjectId: actor.aadObjectId,
      tenantId: actor.tenantId,
      staffTenant: actor.staffTenant,
      coordinator: actor.staffTenant && staff?.coordinator === true,
      facilitator: actor.staffTenant && staff?.facilitator === true,
    };
  }

  /**
   * The one write: staff names label cards (who triaged, the co-facilitator), so keep them as Teams
   * shows them now; a seeded coordinator has none until their first action. Called once as each
   * verb or command starts (src/bot/registry.ts), before anything reads a name.
   */
  async recordSeenName(actor: Actor): Promise<void> {
    if (!actor.staffTenant || !actor.displayName) return;
    await this.roster.rename(actor.aadObjectId, actor.displayName.slice(0, 100));
  }
}
