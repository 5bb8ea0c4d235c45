import { callout, card, execute, type CardAction, heading, para, plain, subtle, type AdaptiveCard, type CardElement, type Choice } from './adaptive';
import { CASE_VERBS } from './verbs';

export interface RosterPerson {
  aadObjectId: string;
  name: string;
  coordinator: boolean;
  facilitator: boolean;
  active: boolean;
  experienced: boolean;
  openCases: number;
  maxCases: number;
}

export interface RosterView {
  people: RosterPerson[];
  /** People in the current team or chat who are not on the roster yet. */
  candidates: { aadObjectId: string; name: string }[];
  message?: string;
}

const update = (title: string, aadObjectId: string, op: string, extra: Record<string, string> = {}) =>
  execute(title, CASE_VERBS.rosterUpdate, { aadObjectId, op, ...extra }, { associatedInputs: 'none' });

export function rosterCard(v: RosterView): AdaptiveCard {
  const body: CardElement[] = [heading('Facilitator roster')];
  if (v.message) body.push(callout('good', v.message));
  const facilitators = v.people.filter((p) => p.facilitator);
  if (facilitators.length === 0) body.push(para('Nobody is on the roster yet. Add facilitators below.'));
  for (const p of facilitators) {
    const status = [p.active ? 'Active' : 'Paused', p.experienced ? 'experienced' : undefined, `${p.openCases} of ${p.maxCases} cases`, p.coordinator ? 'also coordinator' : undefined]
      .filter(Boolean)
      .join(' · ');
    body.push({
      type: 'Container',
      separator: true,
      items: [
        para(`**${plain(p.name)}**`),
        subtle(status),
        {
          type: 'ActionSet',
          actions: [
            p.active ? update('Pause', p.aadObjectId, 'pause') : update('Resume', p.aadObjectId, 'resume'),
            p.experienced ? update('Not experienced', p.aadObjectId, 'inexperienced') : update('Mark experienced', p.aadObjectId, 'experienced'),
            update('Remove', p.aadObjectId, 'remove'),
          ],
        },
      ],
    });
  }
  const coordinators = v.people.filter((p) => p.coordinator);
  body.push(para('**Coordinators**', { spacing: 'Large' }));
  for (const p of coordinators) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        para(plain(p.name)),
        // The last coordinator's button is still shown: the refusal then says why, and what to do.
        { type: 'ActionSet', actions: [update('Remove as coordinator', p.aadObjectId, 'removeCoordinator')] },
      ],
    });
  }

  if (facilitators.length > 0) {
    const people: Choice[] = facilitators.map((p) => ({ title: p.name, value: p.aadObjectId }));
    const sizes: Choice[] = Array.from({ length: 10 }, (_, i) => ({ title: String(i + 1), value: String(i + 1) }));
    body.push(
      para('**Maximum caseload**', { spacing: 'Large' }),
      { type: 'Input.ChoiceSet', id: 'maxPerson', label: 'Facilitator', choices: people, style: 'compact' },
      { type: 'Input.ChoiceSet', id: 'maxCases', label: 'Maximum open cases', choices: sizes, style: 'compact' },
      { type: 'ActionSet', actions: [execute('Set maximum', CASE_VERBS.rosterUpdate, { op: 'maxCases', aadObjectId: '' })] },
    );
  }
  body.push(para('**Add someone**', { spacing: 'Large' }));
  if (v.candidates.length > 0) {
    body.push(
      { type: 'Input.ChoiceSet', id: 'newMember', label: 'Person from this team or chat', choices: v.candidates.map((c) => ({ title: c.name, value: c.aadObjectId })), style: 'compact' },
      { type: 'Input.ChoiceSet', id: 'newRole', label: 'Role', choices: [{ title: 'Facilitator', value: 'facilitator' }, { title: 'Coordinator', value: 'coordinator' }], value: 'facilitator', style: 'expanded' },
      { type: 'ActionSet', actions: [execute('Add', CASE_VERBS.rosterAdd, {})] },
    );
  }
  body.push(subtle('Or type **roster add @name** (or **roster add coordinator @name**) in a team or chat where they are a member, and **roster remove @name** to take someone off the roster. **roster history** shows every change.'));
  return card(body, [execute('Roster history', CASE_VERBS.rosterHistory, { page: 1 }, { associatedInputs: 'none' })]);
}

/** What a removal takes away: one role from the roster card, or every role (`roster remove @name`). */
export type RemovalKind = 'remove' | 'removeCoordinator' | 'removeAll';

export interface RemovalQuestion {
  aadObjectId: string;
  name: string;
  op: RemovalKind;
  /** The roles the removal takes away, as people read them. */
  roles: ('facilitator' | 'coordinator')[];
}

/** Removing someone is asked once more before it is done: Confirm does it, Cancel changes nothing. */
export function rosterRemoveConfirmCard(q: RemovalQuestion): AdaptiveCard {
  const what = q.roles.map((r) => (r === 'facilitator' ? 'a facilitator' : 'a coordinator')).join(' and ');
  const consequences: string[] = [];
  if (q.roles.includes('facilitator')) consequences.push('They will no longer be offered cases.');
  if (q.roles.includes('coordinator')) consequences.push('They will no longer triage referrals, assign facilitators or manage the roster.');
  return card(
    [
      heading(`Remove ${plain(q.name)}?`),
      para(`${plain(q.name)} will no longer be ${what}. ${consequences.join(' ')}`),
      subtle('Their past work stays in the case histories, and the change is kept in the roster history.'),
    ],
    [
      execute('Confirm', CASE_VERBS.rosterUpdate, { aadObjectId: q.aadObjectId, op: q.op, confirmed: 'yes' }, { style: 'destructive', associatedInputs: 'none' }),
      execute('Cancel', CASE_VERBS.rosterShow, { cancelled: 'yes' }, { associatedInputs: 'none' }),
    ],
  );
}

export interface RosterHistoryView {
  /** Latest first; `text` is already written with the people's names. */
  rows: { when: string; text: string }[];
  page: number;
  pageCount: number;
  total: number;
}

/** Who changed the roster and how, latest first, paged like the case lists. */
export function rosterHistoryCard(v: RosterHistoryView): AdaptiveCard {
  const body: CardElement[] = [heading('Roster history')];
  if (v.rows.length === 0) body.push(para('No roster changes have been recorded yet.'));
  for (const r of v.rows) body.push({ type: 'Container', separator: true, items: [subtle(r.when), para(r.text, { spacing: 'None' })] });
  if (v.pageCount > 1) body.push(subtle(`Page ${v.page} of ${v.pageCount} · ${v.total} changes`));
  const paging: CardAction[] = [];
  if (v.page > 1) paging.push(execute('Previous page', CASE_VERBS.rosterHistory, { page: v.page - 1 }, { associatedInputs: 'none' }));
  if (v.page < v.pageCount) paging.push(execute('Next page', CASE_VERBS.rosterHistory, { page: v.page + 1 }, { associatedInputs: 'none' }));
  return card(body, paging);
}
