import { channelCaseCard, DECLINE_REASONS } from '../../cards/caseCards';
import type { CaseCommand } from '../domain/lifecycle';
import { can } from '../domain/permissions';
import { optionalTextField } from '../domain/text';
import type { SettingsRepository } from '../store/settingsRepository';
import type { Actor } from './actor';
import { runWithCase } from './caseCommands';
import { owe } from './owed';
import { REFERRALS_CHANNEL_KEY } from './coordinators';
import { refused, type Reply } from './reply';
import { declineReasonSchema } from './reasonCodes';
import type { CaseUseCaseDeps } from './assignmentViews';

export interface TriageDeps extends CaseUseCaseDeps {
  settings: Pick<SettingsRepository, 'set'>;
}

/** The coordinator's note on a declined referral (the card allows 500 characters). */
const DECLINE_NOTE = optionalTextField({ label: 'the note', max: 500, multiline: true });

/**
 * Choosing the coordinators' channel, and triage of a new referral: accepted into the service or
 * declined (the referrer is told; the note stays in the record). Decided by the pure lifecycle and
 * written under the case's row lock with the messages it owes.
 */
export class Triage {
  constructor(private readonly d: TriageDeps) {}

  async registerChannel(actor: Actor, conversationId: string, conversationType: string): Promise<Reply> {
    const allowed = can(await this.d.roles(actor), 'chooseChannel');
    if (!allowed.allowed) return refused(allowed.message);
    if (conversationType !== 'channel') return refused('Type this in the Teams channel where coordinators should see new referrals (mention the bot there).');
    await this.d.settings.set(REFERRALS_CHANNEL_KEY, { conversationId }, actor.aadObjectId);
    this.d.log.info({ conversationId }, 'referrals channel registered');
    return { kind: 'message', text: 'From now on, every new referral will be posted in this channel for triage.' };
  }

  async triage(actor: Actor, caseId: string, decision: 'accept' | 'decline', reasonCode?: string, note?: string): Promise<Reply> {
    const who = await this.d.roles(actor);
    const allowed = can(who, 'triage');
    if (!allowed.allowed) return refused(allowed.message);
    const code = declineReasonSchema.safeParse(reasonCode);
    if (decision === 'decline' && !code.success) {
      const view = await this.d.views.channelView(caseId);
      if (!view) return refused('That case could not be found.');
      return { kind: 'card', card: channelCaseCard({ ...view, alerts: [reasonCode ? 'That is not one of the listed reasons: choose a reason from the list before declining.' : 'Choose a reason before declining.'] }) };
    }
    const checkedNote = decision === 'decline' ? DECLINE_NOTE.safeParse(note) : undefined;
    if (checkedNote && !checkedNote.success) {
      const view = await this.d.views.channelView(caseId);
      if (!view) return refused('That case could not be found.');
      return { kind: 'card', card: channelCaseCard({ ...view, alerts: [checkedNote.error.issues[0]?.message ?? 'Check the note.'] }) };
    }
    const label = code.success ? DECLINE_REASONS[code.data] : undefined;
    // The event log keeps the reason's code; the case record keeps the category and the note.
    const command: CaseCommand = decision === 'accept' ? { kind: 'accept' } : { kind: 'decline', reason: code.success ? code.data : 'other' };
    const now = this.d.clock();
    const r = await runWithCase(this.d.locks, caseId, who, 'coordinator', [command], async (tx, events, c) => {
      if (events.length === 0) return;
      await tx.setTriage({ by: who.aadObjectId, at: now, declineReason: decision === 'decline' ? [label, checkedNote?.data].filter(Boolean).join(': ') : undefined });
      await tx.owe([owe.channelCard(caseId), ...(decision === 'decline' ? [owe.referrerNotice(c, 'declined')] : [])]);
    });
    if (!r.ok) return refused(r.message);
    this.d.log.info({ caseId, decision, changed: r.events.length > 0 }, 'referral triaged');
    const view = await this.d.views.channelView(caseId);
    if (!view) return refused('That case could not be found.');
    return { kind: 'card', card: channelCaseCard(view) };
  }
}
