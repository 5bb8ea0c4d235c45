import { randomUUID } from 'node:crypto';
import type { CaseEvent } from '../../domain/caseState';
import { currentConference } from '../../domain/caseProgress';
import { validateConferenceForm, validateOutcomeForm, type FormValues } from '../../domain/progressForms';
import type { Actor } from '../actor';
import type { Reply } from '../reply';
import type { ProgressRunner } from '../progressRunner';
import { dateTime } from '../caseCardView';

/** Scheduling a conference (a reschedule keeps the history) and recording whether it was held. */

export async function scheduleConference(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  return r.withForm(actor, caseId, 'conference', values, nonce, (fv) => validateConferenceForm(fv, { now: r.now() }), (entry, form) => {
    const conferenceId = randomUUID();
    const noteId = entry.attendees ? randomUUID() : undefined;
    return r.command(actor, caseId, [{ kind: 'scheduleConference', conferenceId, startsAt: entry.startsAt, venue: entry.venue }], `Conference scheduled for ${dateTime(entry.startsAt)}.`, {
      form,
      annotate: (e) => (e.type === 'conference_scheduled' && noteId ? { attendeesNoteId: noteId } : undefined),
      extra: (tx, events) => (noteId && entry.attendees ? r.note(tx, events, 'conference_scheduled', noteId, 'conference_attendees', entry.attendees, actor) : Promise.resolve()),
    });
  });
}

export async function recordOutcome(r: ProgressRunner, actor: Actor, caseId: string, values: FormValues, nonce?: string): Promise<Reply> {
  const loaded = await r.views.load(caseId);
  const conference = loaded ? currentConference(loaded.p) : undefined;
  const indirect = loaded?.p.facts.stage === 'indirect_communication';
  return r.withForm(actor, caseId, 'outcome', values, nonce, (fv) => validateOutcomeForm(fv, { now: r.now(), since: !indirect && conference ? new Date(conference.startsAt) : undefined, indirect }), (entry, form) => {
    const review = (e: CaseEvent) => ((e.type === 'conference_held' || e.type === 'indirect_completed') && entry.reviewOn ? { reviewOn: entry.reviewOn } : undefined);
    if (indirect) {
      if (!entry.held) return r.views.openCase(actor, caseId, { text: 'Nothing changed: indirect communication continues until it is completed, or the case is closed.', kind: 'attention' });
      return r.command(actor, caseId, [{ kind: 'completeIndirect', agreement: entry.agreement }], 'Indirect communication recorded as completed.', { form, annotate: review });
    }
    if (entry.held) return r.command(actor, caseId, [{ kind: 'recordConferenceHeld', agreement: entry.agreement }], entry.agreement ? 'Conference held, with an outcome agreement.' : 'Conference recorded as held.', { form, annotate: review });
    const noteId = randomUUID();
    return r.command(actor, caseId, [{ kind: 'cancelConference', reason: 'not held' }], 'Conference recorded as not held; schedule a new one when ready.', {
      form,
      annotate: (e) => (e.type === 'conference_cancelled' ? { noteId } : undefined),
      extra: (tx, events) => r.note(tx, events, 'conference_cancelled', noteId, 'conference_not_held', entry.reason ?? 'not held', actor),
    });
  });
}
