import { recordingRefusal } from '../../domain/erasure';
import { randomUUID } from 'node:crypto';
import { contactFormCard } from '../../../cards/progressCards';
import { assignmentView, PARTIES, PARTY_LABELS } from '../../domain/caseState';
import { caseProgress, CONTACT_LOGGED, type ContactLogged } from '../../domain/caseProgress';
import { validateContactForm, type ContactFormValues } from '../../domain/contactForm';
import { can } from '../../domain/permissions';
import type { JsonObject } from '../../store/types';
import type { Actor } from '../actor';
import type { Reply } from '../reply';
import { FORM_OUTDATED, hashValues, Refused, type FormSubmit, type ProgressRunner } from '../progressRunner';
import { CONTACT_STAGES } from '../caseCardView';

/** A contact with a participant: checked against the permissions and the stage under the lock, recorded once per form nonce (a correction replaces the contact it names). */

export async function logContact(r: ProgressRunner, actor: Actor, caseId: string, values: ContactFormValues & { correctsContactId?: string }, nonce?: string): Promise<Reply> {
  const loaded = await r.views.loadFull(actor, caseId);
  if ('kind' in loaded) return loaded;
  const { c, p, who } = loaded;
  const problem = r.views.formProblem(p, who, 'contact');
  if (problem) return { kind: 'card', card: await r.views.renderCase(c, p, who, { text: problem, kind: 'attention' }) };
  const corrects = values.correctsContactId || undefined;
  const v = validateContactForm(values, { now: r.now(), earliest: c.createdAt });
  if (!v.ok || !nonce) {
    const form = v.ok ? r.views.formView(c, values, {}, FORM_OUTDATED) : r.views.formView(c, values, v.errors, undefined, nonce);
    return { kind: 'card', card: contactFormCard(corrects ? { ...form, actionData: { correctsContactId: corrects } } : form) };
  }
  const entry = v.value;
  const contactId = randomUUID();
  const noteId = entry.note ? randomUUID() : undefined;
  const hint = entry.outcome === 'declined' || entry.outcome === 'withdrew' ? ' If they no longer wish to take part, record it under Record consent.' : '';
  const saved = `${corrects ? 'Corrected contact' : 'Contact'} with ${PARTY_LABELS[entry.party]} saved.${hint}`;
  const submit: FormSubmit = { kind: 'contact', nonce, valuesHash: hashValues(values) };
  let repeated: string | undefined;
  try {
    repeated = await r.locks.withCaseLocked(c.id, async (tx) => {
      // First: a repeat of a submit that committed changes nothing, whatever happened since.
      const first = await r.repeatedSubmit(tx, submit, who);
      if (first !== undefined) return first;
      // Checked again under the lock: the pair or the stage may have changed since the form opened.
      const progress = caseProgress(await tx.listEvents());
      const facts = progress.facts;
      if (!can(who, 'updateCase', assignmentView(facts)).allowed || !CONTACT_STAGES.includes(facts.stage)) throw new Refused('This case can no longer be updated by you.');
      const sealedOff = recordingRefusal(progress.retention, entry.party);
      if (sealedOff) throw new Refused(sealedOff);
      if (corrects) {
        // A contact is corrected once; a second correction corrects the correction.
        const contacts = progress.contacts;
        if (!PARTIES.some((x) => contacts[x].some((k) => k.contactId === corrects))) throw new Refused('That contact was already corrected (or is not on this case): open the case again.');
      }
      if (noteId && entry.note) await tx.insertNote({ id: noteId, kind: 'contact', text: entry.note, authorAadId: who.aadObjectId, party: entry.party });
      const data: ContactLogged = {
        contactId,
        party: entry.party,
        at: entry.at,
        method: entry.method,
        outcome: entry.outcome,
        ...(entry.nextFollowUpOn ? { nextFollowUpOn: entry.nextFollowUpOn } : {}),
        ...(noteId ? { noteId } : {}),
        ...(corrects ? { correctsContactId: corrects } : {}),
      };
      await tx.appendEvent({ actorAadId: who.aadObjectId, actorRole: r.role(who), type: CONTACT_LOGGED, data: data as unknown as JsonObject });
      await r.recordSubmit(tx, submit, who, saved);
      return undefined;
    });
  } catch (err) {
    if (err instanceof Refused) return r.views.openCase(actor, c.id, { text: err.message, kind: 'attention' });
    throw err;
  }
  if (repeated !== undefined) return r.views.openCase(actor, c.id, { text: repeated, kind: 'good' });
  r.log.info({ caseId: c.id, contactId, correctsContactId: corrects, party: entry.party, outcome: entry.outcome }, 'contact logged');
  return r.views.openCase(actor, c.id, { text: saved, kind: 'good' });
}
