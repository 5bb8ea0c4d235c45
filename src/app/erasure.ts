import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { erasureConfirmCard, erasureDoneCard, erasureFormCard, erasureRequestCard, erasureReminderCard } from '../../cards/erasure';
import { PARTIES, type Party } from '../domain/caseState';
import { isRealDate, localDateOf } from '../domain/contactForm';
import { ERASURE_DECIDED, ERASURE_REQUESTED, erasureDates, partyFromWords } from '../domain/erasure';
import type { Actor as DomainActor } from '../domain/permissions';
import { stripUnsafe } from '../domain/text';
import type { Logger } from '../log';
import type { CaseLocks, LockedTx } from '../store/caseLock';
import type { ErasureRepository, ErasureRequest } from '../store/erasure';
import { owe } from './owed';
import { caseProgress } from '../domain/caseProgress';
import { allowedTo, inLockedCase, noSuchCase } from './caseAction';
import { displayDate, type Clock } from '../shared/clock';
import type { Actor } from './actor';
import { refused, type Reply } from './reply';
import type { AdaptiveCard } from '../../cards/adaptive';

/** How an erasure request speaks of each participant (the service's words, not "offender"). */
const WHO: Readonly<Record<Party, string>> = { harmed_person: 'the harmed person', offender: 'the person who caused the harm' };

export interface ErasureDeps {
  locks: Pick<CaseLocks, 'withCaseLocked'>;
  roles: (actor: Actor) => Promise<DomainActor>;
  findCase: (reference: string) => Promise<{ id: string; reference: string } | undefined>;
  clock: Clock;
  log: Logger;
}

const reason = z.string().transform((s) => stripUnsafe(s).trim()).pipe(z.string().min(1, 'Give the reason for refusing.').max(500, 'Keep the reason under 500 characters.'));

/**
 * Erasure requests (issue 10, item 7): a coordinator records one for one participant, with the date
 * it was received, then erases (that participant's personal values go, for good) or refuses with a
 * reason. Each step is an event with codes only.
 */
export class ErasureRequests {
  constructor(private readonly d: ErasureDeps) {}

  /** `erase RJ-… harmed person`: the open request's card, or the form to record one. */
  async start(actor: Actor, reference: string, partyWords: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    const party = partyFromWords(partyWords);
    if (!party) return refused(`Say whose data: **erase ${reference} harmed person** or **erase ${reference} person who caused the harm**.`);
    const c = await this.d.findCase(reference);
    if (!c) return noSuchCase(reference);
    return this.inCase(c.id, async (tx) => {
      const open = await tx.openErasureRequest(party);
      if (open) return this.requestCard(tx.case.reference, open);
      return { kind: 'card', card: erasureFormCard({ caseId: c.id, reference: c.reference, party, partyLabel: WHO[party], today: this.today() }) };
    });
  }

  async record(actor: Actor, caseId: string, partyCode: string, receivedOn: unknown): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    const party = PARTIES.find((p) => p === partyCode);
    if (!party) return refused('That is not a participant of a case: start again with erase RJ-… harmed person.');
    return this.inCase(caseId, async (tx) => {
      const reference = tx.case.reference;
      const date = typeof receivedOn === 'string' ? receivedOn.trim() : '';
      const form = (error: string): Reply => ({ kind: 'card', card: erasureFormCard({ caseId, reference, party, partyLabel: WHO[party], today: this.today(), receivedOn: date, error }) });
      if (!isRealDate(date)) return form('Enter the date the request was received (yyyy-mm-dd).');
      if (date > this.today()) return form('The date received cannot be in the future.');
      const open = await tx.openErasureRequest(party);
      if (open) return this.requestCard(reference, open, 'This request was already recorded.');
      const { dueOn, remindOn } = erasureDates(date);
      const request = { id: randomUUID(), party, receivedOn: date, dueOn, remindOn, recordedAt: this.d.clock(), recordedBy: who.aadObjectId };
      await tx.insertErasureRequest(request);
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: 'coordinator', type: ERASURE_REQUESTED, data: { requestId: request.id, party } });
      this.d.log.info({ caseId, requestId: request.id, party }, 'erasure request recorded');
      return this.requestCard(reference, { ...request, caseId, remindedAt: null, decidedAt: null, decision: null }, `Request recorded: answer by ${displayDate(dueOn)}.`);
    });
  }

  async view(actor: Actor, caseId: string, requestId: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    return this.inCase(caseId, async (tx) => {
      const r = await tx.erasureRequest(requestId);
      return r ? this.requestCard(tx.case.reference, r) : refused('That erasure request could not be found.');
    });
  }

  async erase(actor: Actor, caseId: string, requestId: string, confirmed: boolean): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    return this.inCase(caseId, async (tx) => {
      const reference = tx.case.reference;
      const r = await tx.erasureRequest(requestId);
      if (!r) return refused('That erasure request could not be found.');
      if (r.decidedAt) return { kind: 'card', card: this.decidedCard(reference, r) };
      if (!confirmed) return { kind: 'card', card: erasureConfirmCard({ caseId, requestId, reference, partyLabel: WHO[r.party] }) };
      const now = this.d.clock();
      await tx.eraseParticipant(r.party, now);
      await tx.decideErasureRequest(r.id, { decision: 'erased', by: who.aadObjectId, at: now });
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: 'coordinator', type: ERASURE_DECIDED, data: { requestId: r.id, party: r.party, decision: 'erased' } });
      // Every message that showed the case goes back to its base view; its readers refresh without them.
      await tx.owe([owe.sealCards(caseId)]);
      this.d.log.info({ caseId, requestId: r.id, party: r.party }, 'participant erased on request');
      return { kind: 'card', card: erasureDoneCard(reference, `The data of ${WHO[r.party]} on ${reference} was erased on ${displayDate(localDateOf(now))}.`) };
    });
  }

  async refuse(actor: Actor, caseId: string, requestId: string, why: unknown): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    return this.inCase(caseId, async (tx) => {
      const reference = tx.case.reference;
      const r = await tx.erasureRequest(requestId);
      if (!r) return refused('That erasure request could not be found.');
      if (r.decidedAt) return { kind: 'card', card: this.decidedCard(reference, r) };
      // An anonymised case's key is destroyed: there is nothing left to keep, nor a key to keep a reason under.
      if (caseProgress(await tx.listEvents()).retention.anonymisedAt) return this.requestCard(reference, r, undefined, 'This case was anonymised: nothing about them is held any more. Choose Erase… to answer the request.');
      const checked = reason.safeParse(typeof why === 'string' ? why : '');
      if (!checked.success) return this.requestCard(reference, r, undefined, checked.error.issues[0]?.message ?? 'Check the reason.');
      const now = this.d.clock();
      const noteId = randomUUID();
      await tx.insertNote({ id: noteId, kind: 'erasure_refusal', text: checked.data, authorAadId: who.aadObjectId });
      await tx.decideErasureRequest(r.id, { decision: 'refused', by: who.aadObjectId, at: now, refusalNoteId: noteId });
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: 'coordinator', type: ERASURE_DECIDED, data: { requestId: r.id, party: r.party, decision: 'refused', noteId } });
      this.d.log.info({ caseId, requestId: r.id, party: r.party }, 'erasure request refused');
      return { kind: 'card', card: erasureDoneCard(reference, `The request from ${WHO[r.party]} was refused on ${displayDate(localDateOf(now))}; the reason is kept with the case.`) };
    });
  }

  async cancel(actor: Actor, caseId: string): Promise<Reply> {
    const who = await this.allowed(actor);
    if ('kind' in who) return who;
    return this.inCase(caseId, async (tx) => ({ kind: 'card', card: erasureDoneCard(tx.case.reference, 'Cancelled: no request was recorded.') }));
  }

  private requestCard(reference: string, r: ErasureRequest, message?: string, error?: string): Reply {
    if (r.decidedAt) return { kind: 'card', card: this.decidedCard(reference, r) };
    return {
      kind: 'card',
      card: erasureRequestCard({
        caseId: r.caseId, requestId: r.id, reference, partyLabel: WHO[r.party], receivedOn: displayDate(r.receivedOn), dueOn: displayDate(r.dueOn),
        ...(message ? { message } : {}), ...(error ? { error } : {}),
      }),
    };
  }

  private decidedCard(reference: string, r: ErasureRequest): AdaptiveCard {
    const on = r.decidedAt ? displayDate(localDateOf(r.decidedAt)) : '';
    return erasureDoneCard(reference, r.decision === 'erased' ? `Already erased on ${on}.` : `Already refused on ${on}.`);
  }

  private today(): string {
    return localDateOf(this.d.clock());
  }

  private allowed(actor: Actor): Promise<DomainActor | Reply> {
    return allowedTo(this.d.roles, actor, 'erasure');
  }

  private inCase(caseId: string, fn: (tx: LockedTx) => Promise<Reply>): Promise<Reply> {
    return inLockedCase(this.d.locks, caseId, fn);
  }
}

/** Day 21 of an open request: the coordinators are told, once (reminded_at), by the daily pass. */
export async function remindOpenErasures(d: {
  repo: Pick<ErasureRepository, 'remindersDue' | 'markReminded'>;
  clock: Clock;
  tell: (card: AdaptiveCard) => Promise<boolean>;
  log: Logger;
}): Promise<number> {
  const now = d.clock();
  const due = await d.repo.remindersDue(localDateOf(now));
  const told: string[] = [];
  for (const r of due) {
    const card = erasureReminderCard({ caseId: r.caseId, reference: r.reference, partyLabel: WHO[r.party], receivedOn: displayDate(r.receivedOn), dueOn: displayDate(r.dueOn) });
    // Not marked when it could not be sent: tomorrow's pass tries again.
    if (await d.tell(card)) told.push(r.requestId);
    else d.log.warn({ caseId: r.caseId, requestId: r.requestId }, 'erasure reminder could not reach the coordinators');
  }
  await d.repo.markReminded(told, now);
  return told.length;
}

