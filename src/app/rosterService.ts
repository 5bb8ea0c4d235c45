import { DateTime } from 'luxon';
import { plain } from '../../cards/adaptive';
import { rosterCard, rosterHistoryCard, rosterRemoveConfirmCard, type RemovalKind, type RosterView } from '../../cards/roster';
import type { Logger } from '../log';
import { cleanDisplayName } from '../domain/text';
import { MAX_CASES_RANGE, type RosterEventRecord, type RosterRepository, type RosterRole, type RosterTx } from '../store/rosterRepository';
import { can, canChangeRoster, canRemoveRole, type Actor as DomainActor } from '../domain/permissions';
import type { Actor } from './actor';
import { LONDON } from '../shared/clock';

export const ROSTER_OPS = ['pause', 'resume', 'experienced', 'inexperienced', 'remove', 'removeCoordinator', 'removeAll', 'maxCases'] as const;
/** The ops that take a role away: asked to confirm first (removalQuestion). */
export const REMOVAL_OPS: readonly RosterOp[] = ['remove', 'removeCoordinator', 'removeAll'];
export type RosterOp = (typeof ROSTER_OPS)[number];

export type RosterReply = { ok: true; card: ReturnType<typeof rosterCard> } | { ok: false; message: string };

const HISTORY_PAGE_SIZE = 15;

class Refusal extends Error {}

/** The facilitator roster, managed by coordinators from chat. Identity is the Entra object id. */
export class RosterService {
  constructor(
    private readonly roster: RosterRepository,
    private readonly staffTenantId: string,
    private readonly log: Logger,
    /** Roles from the roster, read only (StaffRoles.of), as the cases read them. */
    private readonly roles: (actor: Actor) => Promise<DomainActor>,
  ) {}

  async isCoordinator(actor: Actor): Promise<boolean> {
    return can(await this.roles(actor), 'manageRoster').allowed;
  }

  async card(actor: Actor, candidates: RosterView['candidates'], message?: string): Promise<RosterReply> {
    const allowed = can(await this.roles(actor), 'manageRoster');
    if (!allowed.allowed) return { ok: false, message: allowed.message };
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
  async add(actor: Actor, person: { aadObjectId: string; name: string; tenantId?: string }, role: RosterRole): Promise<string | { error: string }> {
    const who = await this.roles(actor);
    const allowed = can(who, 'manageRoster');
    if (!allowed.allowed) return { error: allowed.message };
    if (person.tenantId && person.tenantId.toLowerCase() !== this.staffTenantId) {
      return { error: 'Only people in the service\'s own organisation can join the roster.' };
    }
    const name = cleanDisplayName(person.name) ?? 'Unnamed';
    return this.inTx(async (tx) => {
      this.mayChange(who, tx);
      const granted = await tx.add(who.aadObjectId, { aadObjectId: person.aadObjectId, tenantId: this.staffTenantId, displayName: name }, role);
      this.log.info({ staff: person.aadObjectId, role, by: who.aadObjectId, changed: granted }, 'roster: person added');
      const as = role === 'facilitator' ? 'a facilitator' : 'a coordinator';
      return granted ? `${person.name} added as ${as}.` : `${person.name} is already ${as}.`;
    });
  }

  /**
   * Before a removal: the question to confirm, or, when it would be refused (the last coordinator, a
   * facilitator with open cases, someone not on the roster), that refusal at once. Reads only.
   */
  async removalQuestion(actor: Actor, aadObjectId: string, op: RemovalKind): Promise<RosterReply> {
    const who = await this.roles(actor);
    const allowed = can(who, 'manageRoster');
    if (!allowed.allowed) return { ok: false, message: allowed.message };
    const person = await this.roster.get(aadObjectId);
    const held = person ? (['facilitator', 'coordinator'] as const).filter((r) => person[r]) : [];
    const roles = op === 'removeAll' ? held : held.filter((r) => r === (op === 'remove' ? 'facilitator' : 'coordinator'));
    if (!person || held.length === 0) return { ok: false, message: `${person?.displayName ?? 'That person'} is not on the roster.` };
    if (roles.length === 0) return { ok: false, message: `${person.displayName} is not ${op === 'remove' ? 'a facilitator' : 'a coordinator'}.` };
    const p = canRemoveRole(who, { coordinatorIds: await this.roster.coordinatorIds() }, { aadObjectId: person.aadObjectId, roles, openCases: person.openCases });
    if (!p.allowed) return { ok: false, message: `${person.displayName}: ${p.message}` };
    return { ok: true, card: rosterRemoveConfirmCard({ aadObjectId: person.aadObjectId, name: person.displayName, op, roles }) };
  }

  async update(actor: Actor, aadObjectId: string, op: RosterOp, maxCases?: number): Promise<string | { error: string }> {
    if (op === 'removeAll') return this.remove(actor, aadObjectId);
    const who = await this.roles(actor);
    const allowed = can(who, 'manageRoster');
    if (!allowed.allowed) return { error: allowed.message };
    if (op === 'maxCases' && (maxCases === undefined || !Number.isInteger(maxCases) || maxCases < MAX_CASES_RANGE.min || maxCases > MAX_CASES_RANGE.max)) {
      return { error: `Choose a maximum caseload between ${MAX_CASES_RANGE.min} and ${MAX_CASES_RANGE.max}.` };
    }
    return this.inTx(async (tx) => {
      this.mayChange(who, tx);
      const person = await tx.get(aadObjectId);
      if (!person || (!person.facilitator && !person.coordinator)) throw new Refusal('That person is not on the roster.');
      const by = who.aadObjectId;
      let done: string;
      switch (op) {
        case 'pause':
          await tx.setActive(by, person.aadObjectId, false);
          done = 'paused';
          break;
        case 'resume':
          await tx.setActive(by, person.aadObjectId, true);
          done = 'resumed';
          break;
        case 'experienced':
          await tx.setExperienced(by, person.aadObjectId, true);
          done = 'marked experienced';
          break;
        case 'inexperienced':
          await tx.setExperienced(by, person.aadObjectId, false);
          done = 'no longer marked experienced';
          break;
        case 'remove':
        case 'removeCoordinator': {
          const role: RosterRole = op === 'remove' ? 'facilitator' : 'coordinator';
          if (!person[role]) throw new Refusal(`${person.displayName} is not ${role === 'facilitator' ? 'a facilitator' : 'a coordinator'}.`);
          this.mayRemove(who, tx, person, [role]);
          await tx.removeRole(by, person.aadObjectId, role);
          done = role === 'facilitator' ? 'removed from the roster' : 'is no longer a coordinator';
          break;
        }
        case 'maxCases':
          // Checked above; narrowed again for the compiler.
          await tx.setMaxCases(by, person.aadObjectId, maxCases ?? MAX_CASES_RANGE.min);
          done = `set to at most ${maxCases ?? ''} cases`;
          break;
      }
      this.log.info({ staff: person.aadObjectId, op, by }, 'roster updated');
      return `${person.displayName} ${done}.`;
    });
  }

  /** `roster remove @name`: takes every role the person holds, all or nothing. */
  async remove(actor: Actor, aadObjectId: string): Promise<string | { error: string }> {
    const who = await this.roles(actor);
    const allowed = can(who, 'manageRoster');
    if (!allowed.allowed) return { error: allowed.message };
    return this.inTx(async (tx) => {
      this.mayChange(who, tx);
      const person = await tx.get(aadObjectId);
      const roles = person ? (['facilitator', 'coordinator'] as const).filter((r) => person[r]) : [];
      if (!person || roles.length === 0) throw new Refusal(`${person?.displayName ?? 'That person'} is not on the roster.`);
      this.mayRemove(who, tx, person, roles);
      for (const role of roles) await tx.removeRole(who.aadObjectId, person.aadObjectId, role);
      this.log.info({ staff: person.aadObjectId, roles, by: who.aadObjectId }, 'roster: person removed');
      return `${person.displayName} removed from the roster (${roles.join(' and ')}).`;
    });
  }

  /** Who changed the roster and how, latest first. */
  async history(actor: Actor, page = 1): Promise<{ ok: true; card: ReturnType<typeof rosterHistoryCard> } | { ok: false; message: string }> {
    const allowed = can(await this.roles(actor), 'viewRosterHistory');
    if (!allowed.allowed) return { ok: false, message: allowed.message };
    const wanted = Math.max(1, Math.trunc(page));
    let r = await this.roster.history({ limit: HISTORY_PAGE_SIZE, offset: (wanted - 1) * HISTORY_PAGE_SIZE });
    const pageCount = Math.max(1, Math.ceil(r.total / HISTORY_PAGE_SIZE));
    const shown = Math.min(wanted, pageCount);
    if (shown !== wanted) r = await this.roster.history({ limit: HISTORY_PAGE_SIZE, offset: (shown - 1) * HISTORY_PAGE_SIZE });
    return {
      ok: true,
      card: rosterHistoryCard({
        rows: r.events.map((e) => ({ when: when(e.at), text: describe(e) })),
        page: shown,
        pageCount,
        total: r.total,
      }),
    };
  }

  private mayChange(who: DomainActor, tx: { coordinatorIds: readonly string[] }): void {
    const p = canChangeRoster(who, tx);
    if (!p.allowed) throw new Refusal(p.message);
  }

  private mayRemove(
    who: DomainActor,
    tx: { coordinatorIds: readonly string[] },
    person: { aadObjectId: string; displayName: string; openCases: number },
    roles: readonly RosterRole[],
  ): void {
    const p = canRemoveRole(who, tx, { aadObjectId: person.aadObjectId, roles, openCases: person.openCases });
    if (!p.allowed) throw new Refusal(`${person.displayName}: ${p.message}`);
  }

  /** A refusal found inside the transaction rolls it back and becomes the answer. */
  private async inTx(fn: (tx: RosterTx) => Promise<string>): Promise<string | { error: string }> {
    try {
      return await this.roster.change(fn);
    } catch (err) {
      if (err instanceof Refusal) return { error: err.message };
      throw err;
    }
  }
}

function when(at: Date): string {
  return DateTime.fromJSDate(at).setZone(LONDON).setLocale('en-GB').toFormat("d LLLL yyyy', 'HH:mm");
}

function describe(e: RosterEventRecord): string {
  const by = plain(e.actorName ?? 'Someone no longer on the roster');
  const whom = plain(e.subjectName);
  switch (e.type) {
    case 'facilitator_added':
      return `${by} added ${whom} as a facilitator`;
    case 'coordinator_added':
      return `${by} added ${whom} as a coordinator`;
    case 'coordinator_seeded':
      return `${whom} became a coordinator at start-up (COORDINATOR\\_AAD\\_IDS, roster empty)`;
    case 'facilitator_removed':
      return `${by} removed ${whom} as a facilitator`;
    case 'coordinator_removed':
      return `${by} removed ${whom} as a coordinator`;
    case 'paused':
      return `${by} paused ${whom}`;
    case 'resumed':
      return `${by} resumed ${whom}`;
    case 'marked_experienced':
      return `${by} marked ${whom} experienced`;
    case 'unmarked_experienced':
      return `${by} marked ${whom} not experienced`;
    case 'max_cases_set':
      return `${by} set the maximum caseload of ${whom} to ${e.maxCases ?? '?'}`;
  }
}
