import { channelCaseCard, DECLINE_REASONS } from '../../cards/caseCards';
import type { CaseCommand } from '../domain/lifecycle';
import { can } from '../domain/permissions';
import { optionalTextField } from '../domain/text';
import type { SettingsRepository } from '../store/settingsRepository';
import type { Actor } from './actor';
import { runWithCase } from './caseCommands';
import { owe } from './owed';
import { channelOf, REFERRALS_CHANNEL_KEY, type ReferralsChannelSetting } from './coordinators';
import { channelCheckCard } from '../../cards/channelCards';
import type { ConversationRefRepository } from '../store/conversationRefRepository';
import type { RosterRepository } from '../store/rosterRepository';
import { refused, type Reply } from './reply';
import { declineReasonSchema } from './reasonCodes';
import type { CaseUseCaseDeps } from './assignmentViews';

export interface TriageDeps extends CaseUseCaseDeps {
  settings: Pick<SettingsRepository, 'set'>;
  refs: Pick<ConversationRefRepository, 'upsert'>;
  roster: Pick<RosterRepository, 'list'>;
  staffTenantId: string;
}

/** Where "use this channel for referrals" was typed (or its check confirmed), from the activity. */
export interface ChannelPlace {
  conversationId: string;
  conversationType: string;
  /** channelData.channel.id: the channel itself. */
  channelId?: string;
  teamId?: string;
  tenantId: string;
  serviceUrl: string;
  /** The activity's conversation reference with its conversation id set to the channel's. */
  reference: object;
}

/** A member of the team as Teams lists them (ids and codes; the name only to show the coordinator). */
export interface ChannelMember {
  aadObjectId?: string;
  tenantId?: string;
  userRole?: string;
  name?: string;
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

  /**
   * "Use this channel for referrals": stores the channel itself (not the thread the command was
   * typed in) and a conversation reference for it, so each new referral starts a thread of its own
   * there. Who can read the channel is checked first (issue 10): every member must be staff of the
   * service's tenant (no guests, nobody from another organisation), or it is refused; members not on
   * the roster are listed and the coordinator confirms (`confirmed`) before it is used.
   */
  async registerChannel(actor: Actor, place: ChannelPlace, listMembers: () => Promise<readonly ChannelMember[]>, confirmed = false): Promise<Reply> {
    const allowed = can(await this.d.roles(actor), 'chooseChannel');
    if (!allowed.allowed) return refused(allowed.message);
    if (place.conversationType !== 'channel') return refused('Type this in the Teams channel where coordinators should see new referrals (mention the bot there).');
    const channelId = place.channelId ?? channelOf(place.conversationId);
    let members: readonly ChannelMember[];
    try {
      members = await listMembers();
    } catch (err) {
      this.d.log.warn({ conversationId: channelId, err: err instanceof Error ? err.message : String(err) }, 'could not list the team members of a channel being registered');
      return refused('Teams did not give the list of people in this team, so the channel was not checked and is not used. Try again in a minute.');
    }
    if (members.length === 0) return refused('Teams gave an empty list of people for this team, so the channel was not checked and is not used. Try again in a minute.');
    const staffTenant = this.d.staffTenantId.toLowerCase();
    const outsiders = members.filter((m) => (m.tenantId ?? '').toLowerCase() !== staffTenant || m.userRole === 'guest' || m.userRole === 'anonymous');
    if (outsiders.length > 0) {
      this.d.log.warn({ conversationId: channelId, outsiders: outsiders.length, members: members.length }, 'referrals channel refused: members outside the staff tenant');
      const names = outsiders.slice(0, 10).map((m) => m.name?.trim() || 'someone without a name').join(', ');
      const more = outsiders.length > 10 ? ` and ${outsiders.length - 10} more` : '';
      return refused(
        `This channel cannot be used for referrals: ${outsiders.length === 1 ? '1 member of this team is a guest or' : `${outsiders.length} members of this team are guests or`} from outside the service's organisation (${names}${more}). ` +
          'Referral cards must only be seen by the service\'s own staff: use a team with staff members only.',
      );
    }
    const onRoster = new Set((await this.d.roster.list()).filter((m) => m.coordinator || m.facilitator).map((m) => m.aadObjectId.toLowerCase()));
    const notOnRoster = members.filter((m) => !m.aadObjectId || !onRoster.has(m.aadObjectId.toLowerCase()));
    if (notOnRoster.length > 0 && !confirmed) {
      return { kind: 'card', card: channelCheckCard({ notOnRoster: notOnRoster.map((m) => m.name?.trim() || 'someone without a name'), members: members.length }) };
    }
    const setting: ReferralsChannelSetting = { channelId, tenantId: place.tenantId, serviceUrl: place.serviceUrl, ...(place.teamId ? { teamId: place.teamId } : {}) };
    // Proactive sends find a conversation by its reference: the channel's own, not the command's thread.
    await this.d.refs.upsert({ conversationId: channelId, tenantId: place.tenantId, aadObjectId: null, conversationType: 'channel', serviceUrl: place.serviceUrl, reference: place.reference });
    await this.d.settings.set(REFERRALS_CHANNEL_KEY, setting, actor.aadObjectId);
    this.d.log.info({ conversationId: channelId, members: members.length, notOnRoster: notOnRoster.length }, 'referrals channel registered');
    return { kind: 'message', text: 'From now on, every new referral will be posted in this channel for triage, each as a post of its own.' };
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
