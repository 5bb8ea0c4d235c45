import { recordingRefusal } from '../domain/erasure';
import { caseProgress } from '../domain/caseProgress';
import { createHash } from 'node:crypto';
import type { CaseEvent, CaseFacts } from '../domain/caseState';
import { waitsStartedBy } from '../domain/coordinatorWaits';
import type { CaseCommand } from '../domain/lifecycle';
import type { Actor as DomainActor } from '../domain/permissions';
import { type FieldErrors, type FormValues } from '../domain/progressForms';
import type { Logger } from '../log';
import type { NoteKind, ProgressCase } from '../store/progressRepository';
import type { OwedMessage } from '../store/outboxRepository';
import { owe } from './owed';
import type { Actor } from './actor';
import { ANSWERED_BEFORE, runCaseCommands, type RunOptions, type RunResult } from './caseCommands';
import type { Reply } from './reply';
import type { Clock } from '../shared/clock';
import type { CaseLocker } from './caseCommands';
import type { LockedTx } from '../store/caseLock';
import { CaseCardViews, type FormKind } from './caseCardView';

export interface ProgressRunnerDeps {
  views: CaseCardViews;
  /** The case's row lock: every progress change runs under it. */
  locks: CaseLocker;
  clock: Clock;
  log: Logger;
}

/** A submitted form's nonce (generated with the form card) and which form it belongs to. */
export interface FormSubmit {
  kind: FormKind;
  nonce: string;
  /** What was submitted, hashed: a retry sends the same values, a changed stale card does not. */
  valuesHash: string;
}

export function hashValues(values: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

export type CommandOptions = RunOptions & { form?: FormSubmit };

const NOTHING_CHANGED = 'Nothing changed: that was already recorded.';
const NONCE_USED = 'This form was already saved (it cannot be saved again with other values). Open the case again to see where it stands.';
export const FORM_OUTDATED = 'This form is out of date. Check the values below and save again.';

/** A refusal found under the lock: the transaction rolls back and the case card says why. */
export class Refused extends Error {}

/**
 * What every progress use case shares: a form's check and its nonce, and running lifecycle commands
 * under the case's row lock (runCaseCommands) with the messages they owe and the form's nonce in the
 * same transaction, answered with the case card.
 */
export class ProgressRunner {
  constructor(private readonly d: ProgressRunnerDeps) {}

  get views(): CaseCardViews {
    return this.d.views;
  }

  get locks(): CaseLocker {
    return this.d.locks;
  }

  get log(): Logger {
    return this.d.log;
  }

  now(): Date {
    return this.d.clock();
  }

  role(who: DomainActor): 'coordinator' | 'facilitator' {
    return who.coordinator ? 'coordinator' : 'facilitator';
  }

  /** Runs lifecycle commands and answers with the updated case card (or the refusal on it). */
  async command(
    actor: Actor,
    caseId: string,
    commands: readonly CaseCommand[],
    done: string,
    opts: CommandOptions = {},
  ): Promise<Reply> {
    const loaded = await this.d.views.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const { c, who } = loaded;
    const { form, ...runOpts } = opts;
    const guarded: RunOptions = {
      ...runOpts,
      ...(form ? { before: (tx: LockedTx) => this.repeatedSubmit(tx, form, who) } : {}),
      extra: async (tx, events, facts) => {
        if (runOpts.extra) await runOpts.extra(tx, events, facts);
        // Messages owed by the change commit with it (the outbox), and so does the form's nonce.
        if (events.length > 0) await tx.owe(owedAfter(tx.locked, events, facts));
        if (form) await this.recordSubmit(tx, form, who, events.length > 0 ? done : NOTHING_CHANGED);
      },
    };
    let r: RunResult;
    try {
      r = await runCaseCommands(this.d.locks, c.id, who, this.role(who), commands, {
        ...guarded,
        before: async (tx: LockedTx) => {
          const repeated = await guarded.before?.(tx);
          if (repeated !== undefined) return repeated;
          // Checked under the lock: an anonymisation or erasure may have committed since the card was read.
          const retention = caseProgress(await tx.listEvents()).retention;
          for (const command of commands) {
            // Confirming a withdrawal closes the case and says nothing new about the person: it stays possible.
            const about = command.kind === 'recordConsent' || command.kind === 'withdraw' ? command.party : undefined;
            const sealedOff = recordingRefusal(retention, about);
            if (sealedOff) throw new Refused(sealedOff);
          }
          return undefined;
        },
      });
    } catch (err) {
      if (err instanceof Refused) return this.d.views.openCase(actor, c.id, { text: err.message, kind: 'attention' });
      throw err;
    }
    if (!r.ok && r.code === ANSWERED_BEFORE) return this.d.views.openCase(actor, c.id, { text: r.message, kind: 'good' });
    if (!r.ok) {
      // In preparation the lifecycle can only say "wrong stage"; say what is still missing instead.
      const first = commands[0]?.kind;
      const gap = (first === 'scheduleConference' || first === 'chooseIndirect') && r.code === 'WRONG_STAGE' && loaded.p.facts.stage === 'preparation'
        ? this.d.views.explain(loaded.p, who, first)
        : undefined;
      this.d.log.info({ caseId: c.id, command: commands.map((x) => x.kind).join(','), code: r.code }, 'case command refused');
      return this.d.views.openCase(actor, c.id, { text: gap ?? r.message, kind: 'attention' });
    }
    if (r.events.length > 0) {
      this.d.log.info({ caseId: c.id, command: commands.map((x) => x.kind).join(','), stage: r.facts.stage }, 'case updated');
    }
    return this.d.views.openCase(actor, c.id, { text: r.events.length > 0 ? done : NOTHING_CHANGED, kind: 'good' });
  }

  /**
   * The first submit's answer when this form's nonce was already used (a double click, a Teams
   * retry); read under the case's lock, so a concurrent repeat waits for the first to commit.
   */
  async repeatedSubmit(tx: LockedTx, form: FormSubmit, who: DomainActor): Promise<string | undefined> {
    const used = await tx.usedFormNonce(form.nonce);
    if (!used) return undefined;
    // A nonce from someone else's card, another case or another form is not a repeat of this one.
    if (used.caseId !== tx.locked.id || used.actorAadId !== who.aadObjectId || used.form !== form.kind || used.valuesHash !== form.valuesHash) {
      throw new Refused(NONCE_USED);
    }
    this.d.log.info({ caseId: tx.locked.id, form: form.kind }, 'repeated form submit answered with the first result');
    return used.result;
  }

  /** Records the nonce with the answer, in the change's transaction. */
  async recordSubmit(tx: LockedTx, form: FormSubmit, who: DomainActor, result: string): Promise<void> {
    if (!(await tx.recordFormNonce({ nonce: form.nonce, form: form.kind, actorAadId: who.aadObjectId, valuesHash: form.valuesHash, result }))) throw new Refused(NONCE_USED);
  }

  /** Validates a submitted form: errors re-show it with the values kept; otherwise `then` runs. */
  /**
   * Validates a submitted form: errors re-show it with the values (and its nonce) kept; a form
   * without a nonce (a card from before nonces, or a crafted one) is shown again with a fresh one;
   * otherwise `then` runs with the submit to record in the change's transaction.
   */
  async withForm<T>(
    actor: Actor,
    caseId: string,
    kind: FormKind,
    values: FormValues,
    nonce: string | undefined,
    validate: (v: FormValues) => { ok: true; value: T } | { ok: false; errors: FieldErrors },
    then: (value: T, form: FormSubmit) => Promise<Reply>,
  ): Promise<Reply> {
    const loaded = await this.d.views.loadFull(actor, caseId);
    if ('kind' in loaded) return loaded;
    const v = validate(values);
    if (!v.ok) return { kind: 'card', card: this.d.views.formCard(loaded.c, loaded.p, kind, values, v.errors, undefined, nonce) };
    if (!nonce) {
      // Only a form that may be used now is shown again; otherwise the case says why not.
      const problem = this.d.views.formProblem(loaded.p, loaded.who, kind);
      if (problem) return { kind: 'card', card: await this.d.views.renderCase(loaded.c, loaded.p, loaded.who, { text: problem, kind: 'attention' }) };
      return { kind: 'card', card: this.d.views.formCard(loaded.c, loaded.p, kind, values, {}, FORM_OUTDATED) };
    }
    return then(v.value, { kind, nonce, valuesHash: hashValues(values) });
  }

  /** Writes a note only when the event that refers to it was written (not on a no-op repeat). */
  async note(tx: LockedTx, events: readonly CaseEvent[], type: CaseEvent['type'], id: string, kind: NoteKind, text: string, actor: Actor): Promise<void> {
    if (events.some((e) => e.type === type)) await tx.insertNote({ id, kind, text, authorAadId: actor.aadObjectId });
  }
}

/**
 * What a committed lifecycle change owes: the coordinators' card shows the new stage; a closing tells
 * the referrer the outcome and seals the facilitators' case messages; a step it leaves waiting on a coordinator pings the coordinators.
 */
function owedAfter(c: ProgressCase, events: readonly CaseEvent[], after: CaseFacts): OwedMessage[] {
  const closed = events.find((e): e is Extract<CaseEvent, { type: 'case_closed' }> => e.type === 'case_closed');
  return [
    owe.channelCard(c.id),
    ...(closed ? [owe.referrerNotice(c, 'closed', closed.outcome)] : []),
    // Closing ends the facilitators' access: their messages about the case go back to the base view.
    ...(closed ? [owe.sealCards(c.id)] : []),
    ...waitsStartedBy(events, after).map((w) => owe.coordinatorWait(c.id, w)),
  ];
}
