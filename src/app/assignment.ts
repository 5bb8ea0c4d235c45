import { assignCard, channelCaseCard, replacementDoneCard, replacementNeededCard, type AssignFrom, type PairChoice } from '../../cards/caseCards';
import { staffNames } from './staffNames';
import type { CaseCommand } from '../domain/lifecycle';
import { can, type Actor as DomainActor } from '../domain/permissions';
import { suggestPairs, suggestReplacement, type Facilitator } from '../domain/pairing';
import type { CaseRepository } from '../store/caseRepository';
import type { AssignmentRepository, Offer } from '../store/assignmentRepository';
import type { RosterRepository, StaffMember } from '../store/rosterRepository';
import type { Actor } from './actor';
import { runWithCase } from './caseCommands';
import { owe } from './owed';
import { refused, type Reply } from './reply';
import type { CaseUseCaseDeps } from './assignmentViews';

export interface AssignmentDeps extends CaseUseCaseDeps {
  cases: Pick<CaseRepository, 'getCase'>;
  assignments: Pick<AssignmentRepository, 'listOffers'>;
  roster: Pick<RosterRepository, 'get' | 'list'>;
  staffTenantId: string;
}

/**
 * Assigning a pair of facilitators, replacing one, or choosing someone for an offer declined: the
 * offers and their 1:1 cards (owed) are written together under the case's row lock; a delivery
 * failure is recorded on the offer for coordinators to see.
 */
export class Assignment {
  constructor(private readonly d: AssignmentDeps) {}

  async assignView(actor: Actor, caseId: string, error?: string, from: AssignFrom = 'channel'): Promise<Reply> {
    const who = await this.d.roles(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const c = await this.d.cases.getCase(caseId);
    if (!c) return refused('That case could not be found.');
    if (c.stage === 'referred') return refused('Accept the referral into the service before assigning facilitators.');
    if (c.stage === 'declined' || c.stage === 'closed') return refused('This case is closed; reopen it before assigning facilitators.');
    const offers = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status !== 'withdrawn');
    // A "Choose replacement" post clicked after the replacement was chosen elsewhere: say so, in place.
    if (from === 'replacement' && !replacementNeeded(offers)) return this.replacementDone(caseId, c.reference);
    const staff = await this.d.roster.list({ facilitatorsOnly: true });
    const roster = staff.map(toFacilitator);
    const byId = new Map(staff.map((s) => [s.aadObjectId, s]));
    const choice = (id: string): PairChoice | undefined => {
      const s = byId.get(id);
      return s ? { aadObjectId: s.aadObjectId, name: s.displayName, openCases: s.openCases, maxCases: s.maxCases, experienced: s.experienced } : undefined;
    };
    const live = offers.filter((o) => o.status !== 'declined');
    const declined = offers.filter((o) => o.status === 'declined').map((o) => o.facilitatorAadId);
    const onCase = live.map((o) => o.facilitatorAadId);
    const available = staff
      .filter((s) => s.active && !onCase.includes(s.aadObjectId) && !declined.includes(s.aadObjectId))
      .map((s) => choice(s.aadObjectId)!);
    if (live.length === 1) {
      const keep = choice(live[0]!.facilitatorAadId);
      const r = suggestReplacement(roster, { complex: c.complex, keep: live[0]!.facilitatorAadId, exclude: declined, limit: 3 });
      return {
        kind: 'card',
        card: assignCard({
          caseId, reference: c.reference, complex: c.complex, keep, error, available, from,
          suggestions: r.candidates.map((s) => ({ a: choice(s.aadObjectId)!, reason: s.reason })),
          noSuggestionReason: r.reason,
        }),
      };
    }
    if (live.length === 2) {
      return {
        kind: 'card',
        card: assignCard({
          caseId, reference: c.reference, complex: c.complex, error, available, suggestions: [], from,
          replaceable: live.map((o) => choice(o.facilitatorAadId)).filter((p): p is PairChoice => p !== undefined),
        }),
      };
    }
    const r = suggestPairs(roster, { complex: c.complex, exclude: declined, limit: 3 });
    return {
      kind: 'card',
      card: assignCard({
        caseId, reference: c.reference, complex: c.complex, error, available, from,
        suggestions: r.pairs.map((p) => ({ a: choice(p.facilitatorAadIds[0])!, b: choice(p.facilitatorAadIds[1])!, reason: p.reason })),
        noSuggestionReason: r.reason,
      }),
    };
  }

  /**
   * Offers the case to a pair (or one replacement). The offers and their 1:1 cards (owed) are written
   * together; a delivery failure is recorded on the offer for coordinators to see.
   */
  async offer(actor: Actor, caseId: string, a: string, b: string | undefined, from: AssignFrom = 'channel'): Promise<Reply> {
    const who = await this.d.roles(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const view = (error: string) => this.assignView(actor, caseId, error, from);
    const ids = [a, b].filter((x): x is string => Boolean(x));
    if (ids.length === 0) return view('Choose the facilitators first.');
    for (const id of ids) {
      const s = await this.d.roster.get(id);
      if (!s || !s.facilitator || !s.active) return view('Choose active facilitators from the roster.');
    }
    const current = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status !== 'withdrawn');
    const live = current.filter((o) => o.status !== 'declined');
    const declined = current.filter((o) => o.status === 'declined');
    let commands: CaseCommand[];
    if (current.length === 0) {
      if (ids.length !== 2 || ids[0] === ids[1]) return view('A pair needs two different facilitators.');
      commands = [{ kind: 'startAssignment' }, { kind: 'offerPair', facilitatorAadIds: [ids[0]!, ids[1]!] }];
    } else {
      const newcomers = ids.filter((id) => !live.some((o) => o.facilitatorAadId === id));
      if (newcomers.length === 0 || new Set(newcomers).size !== newcomers.length) return view('Choose someone who is not already on the case.');
      if (declined.length === 0) return view('Nobody has declined: use Replace a facilitator to swap someone.');
      if (newcomers.length < declined.length) return view(`Choose ${declined.length} replacements.`);
      commands = declined.map((d, k) => ({ kind: 'replaceFacilitator' as const, remove: d.facilitatorAadId, offer: newcomers[k]!, reason: 'declined the offer' }));
    }
    return this.applyOffer(actor, who, caseId, commands, from);
  }

  /** Replaces a facilitator who is on the case (accepted or waiting) with someone else. */
  async replace(actor: Actor, caseId: string, remove: string, replacement: string, from: AssignFrom = 'channel'): Promise<Reply> {
    const who = await this.d.roles(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const s = await this.d.roster.get(replacement);
    if (!s || !s.facilitator || !s.active) return this.assignView(actor, caseId, 'Choose an active facilitator from the roster.', from);
    return this.applyOffer(actor, who, caseId, [{ kind: 'replaceFacilitator', remove, offer: replacement, reason: 'replaced by a coordinator' }], from);
  }

  /**
   * Cancel on the assign or replace form: the card it was opened from, as it is now, with nothing
   * changed (the channel card, or the "Choose replacement" post, or what was done if that is stale).
   */
  async cancelView(actor: Actor, caseId: string, from: AssignFrom): Promise<Reply> {
    const who = await this.d.roles(actor);
    if (!can(who, 'assign').allowed) return refused('Only coordinators can assign or replace facilitators.');
    const c = await this.d.cases.getCase(caseId);
    if (!c) return refused('That case could not be found.');
    if (from === 'replacement') {
      const offers = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status !== 'withdrawn');
      return replacementNeeded(offers) ? { kind: 'card', card: replacementNeededCard(c.id, c.reference) } : this.replacementDone(caseId, c.reference);
    }
    const view = await this.d.views.channelView(caseId, [], c);
    return view ? { kind: 'card', card: channelCaseCard(view) } : refused('That case could not be found.');
  }

  /** The replacement post once someone was chosen: who was offered the place now (`offeredTo`), and who is on the case. */
  private async replacementDone(caseId: string, reference: string, offeredTo: string[] = []): Promise<Reply> {
    const live = (await this.d.assignments.listOffers(caseId)).filter((o) => o.status === 'offered' || o.status === 'accepted');
    const names = await staffNames(this.d.roster, [...live.map((o) => o.facilitatorAadId), ...offeredTo]);
    return {
      kind: 'card',
      card: replacementDoneCard({
        caseId,
        reference,
        offeredTo: offeredTo.length > 0 ? offeredTo.map((id) => names.get(id) ?? 'a facilitator') : undefined,
        onCase: live.map((o) => ({ name: names.get(o.facilitatorAadId) ?? 'A facilitator', status: o.status === 'accepted' ? 'accepted' : 'offered' })),
      }),
    };
  }

  private async applyOffer(actor: Actor, who: DomainActor, caseId: string, commands: CaseCommand[], from: AssignFrom): Promise<Reply> {
    const now = this.d.clock();
    const created: Offer[] = [];
    const removed: Offer[] = [];
    const r = await runWithCase(this.d.locks, caseId, who, 'coordinator', commands, async (tx, events) => {
      for (const e of events) {
        if (e.type === 'facilitator_removed') {
          const o = tx.locked.offers.find((x) => x.facilitatorAadId === e.facilitatorAadId && x.status !== 'withdrawn');
          if (o) {
            await tx.setOfferStatus(o.id, 'withdrawn', { at: now, reason: e.reason });
            removed.push(o);
          }
        }
        if (e.type === 'facilitator_offered') created.push(await tx.insertOffer({ facilitatorAadId: e.facilitatorAadId, offeredBy: who.aadObjectId }));
      }
      // Sent after the commit by the outbox: a throttled send must not time the coordinator's card out.
      await tx.owe([
        ...removed.map((o) => owe.offerWithdrawn(caseId, o.id, this.d.staffTenantId, o.facilitatorAadId)),
        ...created.map((o) => owe.offer(caseId, o.id, this.d.staffTenantId, o.facilitatorAadId)),
        ...(events.length > 0 ? [owe.channelCard(caseId)] : []),
        // A replaced facilitator's messages about the case go back to the base view, without details.
        ...(removed.length > 0 ? [owe.sealCards(caseId)] : []),
      ]);
    });
    if (!r.ok) return this.assignView(actor, caseId, r.message, from);
    this.d.log.info({ caseId, offered: created.length, removed: removed.length }, 'facilitators offered');
    if (from === 'replacement') {
      const c = await this.d.cases.getCase(caseId);
      if (c) return this.replacementDone(caseId, c.reference, created.map((o) => o.facilitatorAadId));
    }
    const view = await this.d.views.channelView(caseId);
    return view ? { kind: 'card', card: channelCaseCard(view) } : refused('That case could not be found.');
  }
}

/** Someone declined and nobody has taken their place yet (fewer than two still on the case). */
function replacementNeeded(offers: readonly Offer[]): boolean {
  return offers.some((o) => o.status === 'declined') && offers.filter((o) => o.status === 'offered' || o.status === 'accepted').length < 2;
}

function toFacilitator(s: StaffMember): Facilitator {
  return { aadObjectId: s.aadObjectId, active: s.active, experienced: s.experienced, openCases: s.openCases, maxCases: s.maxCases };
}
