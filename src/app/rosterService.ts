import { rosterCard, type RosterView } from '../../cards/roster';
import type { Logger } from '../log';
import { cleanDisplayName } from '../domain/text';
import type { RosterRepository } from '../store/rosterRepository';
import { isCoordinator, type Actor as DomainActor } from '../domain/permissions';
import type { Actor } from './actor';

export type RosterOp = 'pause' | 'resume' | 'experienced' | 'inexperienced' | 'remove' | 'maxCases';

export type RosterReply = { ok: true; card: ReturnType<typeof rosterCard> } | { ok: false; message: string };

/** The facilitator roster, managed by coordinators from chat. Identity is the Entra object id. */
export class RosterService {
  constructor(
    private readonly roster: RosterRepository,
    private readonly staffTenantId: string,
    private readonly log: Logger,
    /** Roles as CaseWorkflow.domainActor decides them, so the roster and the cases agree on who is a coordinator. */
    private readonly domainActor: (actor: Actor) => Promise<DomainActor>,
  ) {}

  async isCoordinator(actor: Actor): Promise<boolean> {
    return isCoordinator(await this.domainActor(actor));
  }

  async card(actor: Actor, candidates: RosterView['candidates'], message?: string): Promise<RosterReply> {
    if (!(await this.isCoordinator(actor))) return { ok: false, message: 'Only coordinators can manage the facilitator roster.' };
    const people = await this.roster.list();
    const known = new Set(people.filter((p) => p.facilitator || p.coordinator).map((p) => p.aadObjectId));
    return {
      ok: true,
      card: rosterCard({
        people: people.map((p) => ({
          aadObjectId: p.aadObjectId, name: p.displayName, coordinator: p.coordinator, facilitator: p.facilitator,
          active: p.active, experienced: p.experienced, openCases: p.openCases, maxCases: p.maxCases,
        })),
        candidates: candidates.filter((c) => !known.has(c.aadObjectId.toLowerCase())),
        message,
      }),
    };
  }

  /** Adds someone from the staff tenant as a facilitator or a coordinator. */
  async add(actor: Actor, person: { aadObjectId: string; name: string; tenantId?: string }, role: 'facilitator' | 'coordinator'): Promise<string | { error: string }> {
    if (!(await this.isCoordinator(actor))) return { error: 'Only coordinators can manage the facilitator roster.' };
    if (person.tenantId && person.tenantId.toLowerCase() !== this.staffTenantId) {
      return { error: 'Only people in the service\'s own organisation can join the roster.' };
    }
    await this.roster.upsert({
      aadObjectId: person.aadObjectId,
      tenantId: this.staffTenantId,
      displayName: cleanDisplayName(person.name) ?? 'Unnamed',
      ...(role === 'facilitator' ? { facilitator: true } : { coordinator: true }),
    });
    if (role === 'facilitator') await this.roster.setActive(person.aadObjectId, true);
    this.log.info({ staff: person.aadObjectId, role, by: actor.aadObjectId }, 'roster: person added');
    return `${person.name} added as ${role === 'facilitator' ? 'a facilitator' : 'a coordinator'}.`;
  }

  async update(actor: Actor, aadObjectId: string, op: RosterOp, maxCases?: number): Promise<string | { error: string }> {
    if (!(await this.isCoordinator(actor))) return { error: 'Only coordinators can manage the facilitator roster.' };
    const person = await this.roster.get(aadObjectId);
    if (!person) return { error: 'That person is not on the roster.' };
    switch (op) {
      case 'pause':
        await this.roster.setActive(aadObjectId, false);
        break;
      case 'resume':
        await this.roster.setActive(aadObjectId, true);
        break;
      case 'experienced':
        await this.roster.setExperienced(aadObjectId, true);
        break;
      case 'inexperienced':
        await this.roster.setExperienced(aadObjectId, false);
        break;
      case 'remove':
        if (person.openCases > 0) return { error: `${person.displayName} still has ${person.openCases} open case(s): replace them on those cases first, or pause them.` };
        await this.roster.removeFacilitator(aadObjectId);
        break;
      case 'maxCases':
        if (maxCases === undefined || !Number.isInteger(maxCases) || maxCases < 1 || maxCases > 20) return { error: 'Choose a maximum caseload between 1 and 20.' };
        await this.roster.setMaxCases(aadObjectId, maxCases);
        break;
    }
    this.log.info({ staff: aadObjectId, op, by: actor.aadObjectId }, 'roster updated');
    const labels: Record<RosterOp, string> = {
      pause: 'paused', resume: 'resumed', experienced: 'marked experienced', inexperienced: 'no longer marked experienced',
      remove: 'removed from the roster', maxCases: `set to at most ${maxCases ?? ''} cases`,
    };
    return `${person.displayName} ${labels[op]}.`;
  }
}
