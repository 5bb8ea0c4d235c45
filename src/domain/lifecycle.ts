import {
  apply,
  assignmentView,
  CLOSING_OUTCOMES,
  INDIRECT_METHODS,
  PARTIES,
  PARTY_LABELS,
  RISK_LEVELS,
  WITHDRAWAL_OUTCOME,
  type CaseEvent,
  type CaseFacts,
  type ClosingOutcome,
  type ConsentStatus,
  type IndirectMethod,
  type Party,
  type RiskLevel,
} from './caseState';
import { can, type Action, type Actor } from './permissions';
import { ACTIVE_STAGES, CASE_STAGES, CLOSED_STAGES, stagesBetween, type CaseStage } from './vocabulary';

/*
 * The case lifecycle (DESIGN.md, "Case lifecycle") as a pure state machine:
 *
 *   referred → accepted | declined
 *   accepted → assigning → preparation (pair confirmed) ⇄ ready (risk cleared, both consent)
 *   ready → conference_scheduled | indirect_communication → follow_up → closed(outcome)
 *   closed | declined → reopened by a coordinator with a reason
 *
 * `decide` checks a command against the facts and the actor and either refuses it, changing
 * nothing, or returns the events that record it; the caller appends them in one transaction and
 * `apply` folds them into the next facts. The order of checks is fixed: permission (so nobody
 * learns a stranger's case state), closed, stage, input, preconditions. A command whose effect is
 * already in place (a double click, a Teams retry) succeeds with no events.
 */

export type CaseCommand =
  | { readonly kind: 'accept' }
  | { readonly kind: 'decline'; readonly reason: string }
  | { readonly kind: 'startAssignment' }
  | { readonly kind: 'offerPair'; readonly facilitatorAadIds: readonly [string, string] }
  | { readonly kind: 'acceptOffer' }
  | { readonly kind: 'declineOffer'; readonly reason: string }
  | { readonly kind: 'replaceFacilitator'; readonly remove: string; readonly offer: string; readonly reason?: string }
  | { readonly kind: 'recordConsent'; readonly party: Party; readonly status: 'given' | 'declined' }
  | { readonly kind: 'withdraw'; readonly party: Party }
  | { readonly kind: 'recordRisk'; readonly level: RiskLevel }
  | { readonly kind: 'signOffRisk' }
  | { readonly kind: 'scheduleConference'; readonly conferenceId: string; readonly startsAt: string; readonly venue: string }
  | { readonly kind: 'cancelConference'; readonly reason: string }
  | { readonly kind: 'chooseIndirect'; readonly method: IndirectMethod }
  | { readonly kind: 'recordConferenceHeld'; readonly agreement: boolean }
  | { readonly kind: 'completeIndirect'; readonly agreement: boolean }
  | { readonly kind: 'reviewAgreement' }
  | { readonly kind: 'close'; readonly outcome: ClosingOutcome }
  | { readonly kind: 'confirmWithdrawal'; readonly party: Party }
  | { readonly kind: 'reopen'; readonly reason: string };

export type CommandKind = CaseCommand['kind'];

export type RefusalCode =
  | 'FORBIDDEN'
  | 'CASE_CLOSED'
  | 'WRONG_STAGE'
  | 'INVALID_INPUT'
  | 'REASON_REQUIRED'
  | 'INVALID_PAIR'
  | 'ALREADY_ANSWERED'
  | 'CONSENT_MISSING'
  | 'RISK_NOT_ASSESSED'
  | 'RISK_NOT_SIGNED_OFF'
  | 'OUTCOME_NOT_MET';

export type Decision =
  | { readonly ok: true; readonly events: readonly CaseEvent[]; readonly nextStage: CaseStage }
  | { readonly ok: false; readonly code: RefusalCode; readonly message: string };

const OPEN_AFTER_TRIAGE = ACTIVE_STAGES;
const ASSIGNED = stagesBetween('assigning', 'follow_up');
const CONSENT_STAGES = stagesBetween('accepted', 'indirect_communication');
/** Risk is assessed before any meeting, so not once a conference or letters are under way. */
const RISK_STAGES = stagesBetween('preparation', 'ready');

interface CommandRule {
  readonly action: Action;
  /** Overrides the permission's own message where the command names the act more precisely. */
  readonly forbidden?: string;
  readonly stages: readonly CaseStage[];
  /** Said before "This case is at the … stage." */
  readonly wrongStage: string;
}

const RULES: Readonly<Record<CommandKind, CommandRule>> = {
  accept: {
    action: 'triage',
    forbidden: 'Only coordinators can accept referrals.',
    stages: ['referred'],
    wrongStage: 'Only a referral awaiting triage can be accepted.',
  },
  decline: {
    action: 'triage',
    forbidden: 'Only coordinators can decline referrals.',
    stages: ['referred'],
    wrongStage: 'Only a referral awaiting triage can be declined.',
  },
  startAssignment: {
    action: 'assign',
    forbidden: 'Only coordinators can assign facilitators.',
    stages: ['accepted'],
    wrongStage: 'Assignment starts once a referral has been accepted.',
  },
  offerPair: {
    action: 'assign',
    forbidden: 'Only coordinators can assign facilitators.',
    stages: ['accepted', 'assigning'],
    wrongStage: 'A pair can only be offered while the case is being assigned.',
  },
  acceptOffer: {
    action: 'answerOffer',
    stages: ASSIGNED,
    wrongStage: 'This offer can no longer be answered.',
  },
  declineOffer: {
    action: 'answerOffer',
    stages: ASSIGNED,
    wrongStage: 'This offer can no longer be answered.',
  },
  replaceFacilitator: {
    action: 'assign',
    forbidden: 'Only coordinators can replace a facilitator.',
    stages: ASSIGNED,
    wrongStage: 'A facilitator can only be replaced once facilitators have been offered the case.',
  },
  recordConsent: {
    action: 'updateCase',
    stages: CONSENT_STAGES,
    wrongStage: 'Consent can only be recorded between acceptance and the conference or indirect communication.',
  },
  withdraw: {
    action: 'updateCase',
    stages: CONSENT_STAGES,
    wrongStage: 'A withdrawal can only be recorded between acceptance and the conference or indirect communication.',
  },
  recordRisk: {
    action: 'updateCase',
    stages: RISK_STAGES,
    wrongStage: 'The risk assessment is recorded during preparation, before any meeting.',
  },
  signOffRisk: {
    action: 'signOffRisk',
    stages: RISK_STAGES,
    wrongStage: 'A risk assessment is signed off during preparation, before any meeting.',
  },
  scheduleConference: {
    action: 'updateCase',
    stages: ['ready', 'conference_scheduled', 'indirect_communication'],
    wrongStage: 'A conference can only be scheduled once the case is ready.',
  },
  cancelConference: {
    action: 'updateCase',
    stages: ['conference_scheduled'],
    wrongStage: 'There is no scheduled conference to cancel.',
  },
  chooseIndirect: {
    action: 'updateCase',
    stages: ['ready', 'conference_scheduled'],
    wrongStage: 'Indirect communication can only be chosen once the case is ready.',
  },
  recordConferenceHeld: {
    action: 'updateCase',
    stages: ['conference_scheduled'],
    wrongStage: 'A conference can only be recorded as held once it has been scheduled.',
  },
  completeIndirect: {
    action: 'updateCase',
    stages: ['indirect_communication'],
    wrongStage: 'Indirect communication can only be completed once it has been chosen.',
  },
  reviewAgreement: {
    action: 'updateCase',
    stages: ['follow_up'],
    wrongStage: 'An outcome agreement is reviewed during follow-up.',
  },
  close: {
    action: 'closeCase',
    stages: OPEN_AFTER_TRIAGE,
    wrongStage: 'Only a case accepted into the service can be closed; a new referral is declined instead.',
  },
  confirmWithdrawal: {
    action: 'closeCase',
    forbidden: 'Only coordinators can confirm a withdrawal and close the case.',
    stages: CONSENT_STAGES,
    wrongStage: 'There is no withdrawal to confirm at this stage.',
  },
  reopen: {
    action: 'reopenCase',
    stages: CLOSED_STAGES,
    wrongStage: 'Only a closed case can be reopened.',
  },
};

export const COMMAND_KINDS = Object.keys(RULES) as CommandKind[];

type Refusal = Extract<Decision, { ok: false }>;

const refuse = (code: RefusalCode, message: string): Refusal => ({ ok: false, code, message });
const unchanged = (facts: CaseFacts): Decision => ({ ok: true, events: [], nextStage: facts.stage });

function stageSentence(stage: CaseStage): string {
  return `This case is at the "${CASE_STAGES[stage]}" stage.`;
}

function closedMessage(facts: CaseFacts): string {
  if (facts.stage === 'declined') return 'This referral was declined at triage. A coordinator can reopen it with a reason.';
  const outcome = facts.outcome ? ` (${CLOSING_OUTCOMES[facts.outcome]})` : '';
  return `This case is closed${outcome}. A coordinator can reopen it with a reason.`;
}

/** The gate a command passes before its own logic: who, whether closed, which stage. */
function gate(facts: CaseFacts, kind: CommandKind, actor: Actor): Refusal | undefined {
  const rule = RULES[kind];
  const permission = can(actor, rule.action, assignmentView(facts));
  if (!permission.allowed) return refuse('FORBIDDEN', rule.forbidden ?? permission.message);
  if (rule.stages.includes(facts.stage)) return undefined;
  if (CLOSED_STAGES.includes(facts.stage)) return refuse('CASE_CLOSED', closedMessage(facts));
  return refuse('WRONG_STAGE', `${rule.wrongStage} ${stageSentence(facts.stage)}`);
}

/** The command kinds the actor could issue at this stage (preconditions aside): which buttons to show. */
export function availableCommands(facts: CaseFacts, actor: Actor): CommandKind[] {
  const answered = facts.facilitators.some((s) => s.aadObjectId === actor.aadObjectId && s.status !== 'offered');
  return COMMAND_KINDS.filter(
    (kind) => gate(facts, kind, actor) === undefined && !(answered && (kind === 'acceptOffer' || kind === 'declineOffer')),
  );
}

// ---------------------------------------------------------------------------------------------
// Preconditions
// ---------------------------------------------------------------------------------------------

const CONSENT_PHRASE: Readonly<Record<ConsentStatus, string>> = {
  none: 'has not yet',
  given: 'has consented',
  declined: 'has declined',
  withdrawn: 'has withdrawn their consent',
};

/** Why the case may not move to a meeting yet, phrased after `doing` ("A conference can only be scheduled"). */
function readinessProblem(facts: CaseFacts, doing: string): Refusal | undefined {
  const missing = PARTIES.filter((p) => facts.consents[p] !== 'given');
  if (missing.length > 0) {
    const detail =
      missing.length === PARTIES.length && missing.every((p) => facts.consents[p] === 'none')
        ? 'neither has yet'
        : missing
            .map((p) => `${PARTY_LABELS[p]} ${CONSENT_PHRASE[facts.consents[p]]}`)
            .join(' and ');
    return refuse('CONSENT_MISSING', `${doing} once both people have consented: ${detail}.`);
  }
  if (!facts.risk) return refuse('RISK_NOT_ASSESSED', `${doing} once a risk assessment has been recorded.`);
  if (facts.risk.level === 'high' && !facts.risk.signedOff) {
    return refuse('RISK_NOT_SIGNED_OFF', `${doing} once a coordinator has signed off the high risk assessment.`);
  }
  return undefined;
}

function isReady(facts: CaseFacts): boolean {
  return facts.pairConfirmed && readinessProblem(facts, '') === undefined;
}

/** Where a case stands once reopened: where it was, or as far back as its facts now support. */
function resumeStage(facts: CaseFacts): CaseStage {
  if (facts.stage === 'declined') return 'referred';
  const before = facts.stageBeforeClose;
  if (before === 'accepted' || before === 'assigning') return before;
  if (!facts.pairConfirmed) return 'accepted';
  if (before === 'follow_up') return 'follow_up';
  if (!isReady(facts)) return 'preparation';
  if (before === 'indirect_communication' && facts.indirect && !facts.indirect.completed) return 'indirect_communication';
  // A conference scheduled when the case closed was cancelled by the closing.
  return 'ready';
}

/** Applies events and appends the stage change `to` needs, if any; the result of every success. */
function succeed(facts: CaseFacts, events: readonly CaseEvent[], to?: (after: CaseFacts) => CaseStage): Decision {
  const after = events.reduce(apply, facts);
  const target = to ? to(after) : after.stage;
  if (target === facts.stage) return { ok: true, events, nextStage: facts.stage };
  return { ok: true, events: [...events, { type: 'stage_changed', from: facts.stage, to: target }], nextStage: target };
}

/** Preparation and ready follow the readiness facts both ways; a later stage keeps its place. */
function settleReadiness(after: CaseFacts): CaseStage {
  if (after.stage !== 'preparation' && after.stage !== 'ready') return after.stage;
  return isReady(after) ? 'ready' : 'preparation';
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function isParty(value: unknown): value is Party {
  return PARTIES.some((p) => p === value);
}

function outcomeProblem(facts: CaseFacts, outcome: ClosingOutcome): Refusal | undefined {
  const label = `"${CLOSING_OUTCOMES[outcome]}"`;
  const unmet = (why: string): Refusal => refuse('OUTCOME_NOT_MET', `A case can only be closed as ${label} ${why}.`);
  switch (outcome) {
    case 'conference_held':
      return facts.conference?.held ? undefined : unmet('once the conference has been recorded as held');
    case 'indirect_communication_completed':
      return facts.indirect?.completed ? undefined : unmet('once the indirect communication has been recorded as completed');
    case 'harmed_person_withdrew':
    case 'offender_withdrew': {
      const party: Party = outcome === 'harmed_person_withdrew' ? 'harmed_person' : 'offender';
      const status = facts.consents[party];
      return status === 'declined' || status === 'withdrawn'
        ? undefined
        : unmet(`once ${PARTY_LABELS[party]}'s withdrawal or refusal has been recorded`);
    }
    case 'unsuitable_after_assessment':
      return facts.risk ? undefined : unmet('once a risk assessment has been recorded');
    case 'no_contact_possible':
      return facts.pairConfirmed ? undefined : unmet('once a pair of facilitators has been assigned to try');
    case 'declined_at_triage':
      return refuse('INVALID_INPUT', 'A referral is declined at triage, with a reason, before it is accepted; this case was accepted.');
  }
}

function closeWith(facts: CaseFacts, outcome: ClosingOutcome): Decision {
  const problem = outcomeProblem(facts, outcome);
  if (problem) return problem;
  const events: CaseEvent[] = [];
  if (facts.conference && !facts.conference.held) {
    events.push({ type: 'conference_cancelled', conferenceId: facts.conference.conferenceId, reason: 'case closed' });
  }
  events.push({ type: 'case_closed', outcome });
  return succeed(facts, events, () => 'closed');
}

// ---------------------------------------------------------------------------------------------
// decide
// ---------------------------------------------------------------------------------------------

export function decide(facts: CaseFacts, command: CaseCommand, actor: Actor): Decision {
  // A repeated close is a double click on a closed case, not a mistake to report.
  if (facts.stage === 'closed' && (command.kind === 'close' || command.kind === 'confirmWithdrawal')) {
    const outcome = command.kind === 'close' ? command.outcome : WITHDRAWAL_OUTCOME[command.party];
    if (outcome === facts.outcome && can(actor, 'closeCase').allowed) return unchanged(facts);
  }
  const kind = command.kind;
  if (!(kind in RULES)) return refuse('INVALID_INPUT', 'That is not something the bot can do with a case.');
  if (kind === 'accept' && facts.stage === 'accepted' && can(actor, 'triage').allowed) return unchanged(facts);
  if (kind === 'decline' && facts.stage === 'declined' && can(actor, 'triage').allowed) return unchanged(facts);
  if (kind === 'startAssignment' && facts.stage === 'assigning' && can(actor, 'assign').allowed) return unchanged(facts);

  const refused = gate(facts, kind, actor);
  if (refused) return refused;

  switch (command.kind) {
    case 'accept':
      return succeed(facts, [{ type: 'referral_accepted' }], () => 'accepted');

    case 'decline': {
      const reason = text(command.reason);
      if (!reason) return refuse('REASON_REQUIRED', 'Give a reason for declining the referral.');
      return succeed(facts, [{ type: 'referral_declined', reason }], () => 'declined');
    }

    case 'startAssignment':
      return succeed(facts, [], () => 'assigning');

    case 'offerPair': {
      if (facts.facilitators.length > 0) {
        return refuse('INVALID_PAIR', 'Facilitators have already been offered this case; replace one instead.');
      }
      const [a, b] = command.facilitatorAadIds.map(text);
      if (!a || !b || a === b) return refuse('INVALID_PAIR', 'A pair needs two different facilitators.');
      return succeed(
        facts,
        [
          { type: 'facilitator_offered', facilitatorAadId: a },
          { type: 'facilitator_offered', facilitatorAadId: b },
        ],
        () => 'assigning',
      );
    }

    case 'acceptOffer': {
      const slot = facts.facilitators.find((s) => s.aadObjectId === actor.aadObjectId);
      if (!slot || slot.status === 'accepted') return unchanged(facts);
      if (slot.status === 'declined') {
        return refuse('ALREADY_ANSWERED', 'You declined this offer. A coordinator can offer it to you again.');
      }
      const events: CaseEvent[] = [{ type: 'offer_accepted', facilitatorAadId: slot.aadObjectId }];
      const accepted = facts.facilitators.filter((s) => s.status === 'accepted').map((s) => s.aadObjectId);
      if (accepted.length === 1) {
        events.push({ type: 'pair_confirmed', facilitatorAadIds: [...accepted, slot.aadObjectId] });
      }
      return succeed(facts, events, (after) => (after.stage === 'assigning' && after.pairConfirmed ? 'preparation' : after.stage));
    }

    case 'declineOffer': {
      const slot = facts.facilitators.find((s) => s.aadObjectId === actor.aadObjectId);
      if (!slot || slot.status === 'declined') return unchanged(facts);
      if (slot.status === 'accepted') {
        return refuse('ALREADY_ANSWERED', 'You have already accepted this case. Ask a coordinator if you need to be replaced.');
      }
      const reason = text(command.reason);
      if (!reason) return refuse('REASON_REQUIRED', 'Give a reason for declining, so the coordinator can find someone else.');
      return succeed(facts, [{ type: 'offer_declined', facilitatorAadId: slot.aadObjectId, reason }]);
    }

    case 'replaceFacilitator': {
      const remove = text(command.remove);
      const offer = text(command.offer);
      if (!facts.facilitators.some((s) => s.aadObjectId === remove)) {
        return refuse('INVALID_PAIR', 'The facilitator to replace is not on this case.');
      }
      if (!offer || offer === remove) return refuse('INVALID_PAIR', 'Choose a different facilitator as the replacement.');
      if (facts.facilitators.some((s) => s.aadObjectId === offer)) {
        return refuse('INVALID_PAIR', 'That facilitator is already on this case; a pair needs two different people.');
      }
      return succeed(facts, [
        { type: 'facilitator_removed', facilitatorAadId: remove, reason: text(command.reason) },
        { type: 'facilitator_offered', facilitatorAadId: offer },
      ]);
    }

    case 'recordConsent': {
      if (!isParty(command.party) || (command.status !== 'given' && command.status !== 'declined')) {
        return refuse('INVALID_INPUT', 'Say whose consent this is and whether it was given or declined.');
      }
      if (facts.consents[command.party] === command.status) return unchanged(facts);
      return succeed(facts, [{ type: 'consent_recorded', party: command.party, status: command.status }], settleReadiness);
    }

    case 'withdraw': {
      if (!isParty(command.party)) return refuse('INVALID_INPUT', 'Say who has withdrawn.');
      const status = facts.consents[command.party];
      if (status === 'withdrawn') return unchanged(facts);
      if (status !== 'given') {
        const label = PARTY_LABELS[command.party];
        return refuse(
          'INVALID_INPUT',
          `${capitalise(label)} ${status === 'declined' ? 'has already declined' : 'has not consented'}, so there is no consent to withdraw.`,
        );
      }
      return succeed(facts, [{ type: 'consent_withdrawn', party: command.party }], settleReadiness);
    }

    case 'recordRisk':
      if (!RISK_LEVELS.includes(command.level)) return refuse('INVALID_INPUT', 'A risk level is low, medium or high.');
      return succeed(facts, [{ type: 'risk_assessed', level: command.level }], settleReadiness);

    case 'signOffRisk':
      if (!facts.risk) return refuse('RISK_NOT_ASSESSED', 'There is no risk assessment to sign off yet.');
      if (facts.risk.level !== 'high') {
        return refuse('INVALID_INPUT', `Only a high risk needs a coordinator's sign-off; this assessment is ${facts.risk.level}.`);
      }
      if (facts.risk.signedOff) return unchanged(facts);
      return succeed(facts, [{ type: 'risk_signed_off' }], settleReadiness);

    case 'scheduleConference': {
      const conferenceId = text(command.conferenceId);
      const startsAt = text(command.startsAt);
      const venue = text(command.venue);
      if (!conferenceId) return refuse('INVALID_INPUT', 'The conference needs an id.');
      if (!ISO_INSTANT.test(startsAt) || Number.isNaN(Date.parse(startsAt))) {
        return refuse('INVALID_INPUT', 'Give the date and time of the conference.');
      }
      if (!venue) return refuse('INVALID_INPUT', 'Give the venue of the conference.');
      const problem = readinessProblem(facts, 'A conference can only be scheduled');
      if (problem) return problem;
      const current = facts.conference && !facts.conference.held ? facts.conference : null;
      if (current?.conferenceId === conferenceId) {
        if (current.startsAt === startsAt && current.venue === venue) return unchanged(facts);
        return refuse('INVALID_INPUT', 'This conference is already scheduled; reschedule it as a new conference.');
      }
      const events: CaseEvent[] = [];
      if (current) events.push({ type: 'conference_cancelled', conferenceId: current.conferenceId, reason: 'rescheduled' });
      events.push({ type: 'conference_scheduled', conferenceId, startsAt, venue });
      return succeed(facts, events, () => 'conference_scheduled');
    }

    case 'cancelConference': {
      const reason = text(command.reason);
      if (!reason) return refuse('REASON_REQUIRED', 'Give a reason for cancelling the conference.');
      const conference = facts.conference;
      if (!conference || conference.held) return refuse('WRONG_STAGE', 'There is no scheduled conference to cancel.');
      return succeed(facts, [{ type: 'conference_cancelled', conferenceId: conference.conferenceId, reason }], (after) =>
        isReady(after) ? 'ready' : 'preparation',
      );
    }

    case 'chooseIndirect': {
      if (!(command.method in INDIRECT_METHODS)) {
        return refuse('INVALID_INPUT', 'Indirect communication is by letters, shuttle communication or another indirect way.');
      }
      const problem = readinessProblem(facts, 'Indirect communication can only start');
      if (problem) return problem;
      const events: CaseEvent[] = [];
      if (facts.conference && !facts.conference.held) {
        events.push({ type: 'conference_cancelled', conferenceId: facts.conference.conferenceId, reason: 'indirect communication chosen' });
      }
      events.push({ type: 'indirect_chosen', method: command.method });
      return succeed(facts, events, () => 'indirect_communication');
    }

    case 'recordConferenceHeld': {
      const problem = readinessProblem(facts, 'A conference can only be recorded as held');
      if (problem) return problem;
      const conference = facts.conference;
      if (!conference) return refuse('WRONG_STAGE', 'There is no scheduled conference to record.');
      return succeed(
        facts,
        [{ type: 'conference_held', conferenceId: conference.conferenceId, agreement: command.agreement === true }],
        () => 'follow_up',
      );
    }

    case 'completeIndirect': {
      const problem = readinessProblem(facts, 'Indirect communication can only be recorded as completed');
      if (problem) return problem;
      return succeed(facts, [{ type: 'indirect_completed', agreement: command.agreement === true }], () => 'follow_up');
    }

    case 'reviewAgreement':
      if (!facts.agreement) return refuse('INVALID_INPUT', 'There is no outcome agreement to review.');
      if (facts.agreement.reviewed) return unchanged(facts);
      return succeed(facts, [{ type: 'agreement_reviewed' }]);

    case 'close':
      if (!(command.outcome in CLOSING_OUTCOMES)) return refuse('INVALID_INPUT', 'Choose a closing outcome.');
      return closeWith(facts, command.outcome);

    case 'confirmWithdrawal': {
      if (!isParty(command.party)) return refuse('INVALID_INPUT', 'Say who has withdrawn.');
      const status = facts.consents[command.party];
      if (status !== 'declined' && status !== 'withdrawn') {
        return refuse('OUTCOME_NOT_MET', `${capitalise(PARTY_LABELS[command.party])} has not withdrawn; there is nothing to confirm.`);
      }
      return closeWith(facts, WITHDRAWAL_OUTCOME[command.party]);
    }

    case 'reopen': {
      const reason = text(command.reason);
      if (!reason) return refuse('REASON_REQUIRED', 'Give a reason for reopening the case.');
      const target = resumeStage(facts);
      return succeed(facts, [{ type: 'case_reopened', reason }], () => target);
    }
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
