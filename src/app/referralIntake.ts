import { randomUUID } from 'node:crypto';
import {
  assessEligibility,
  offersReReferReminder,
  type EligibilityResult,
  type ScreeningAnswers,
} from '../domain/eligibility';
import { validateReferralForm, type FormErrors, type ReferralDetails, type ReferralFormValues } from '../domain/referralForm';
import { OFFENCE_TYPES, REFERRAL_SOURCES, type OffenceType } from '../domain/vocabulary';
import type { Logger } from '../log';
import type { CaseRepository, ReferralSummary } from '../store/caseRepository';
import type { ScreeningRepository } from '../store/screeningRepository';
import type { JsonObject } from '../store/types';
import { canSetReReferDate } from '../domain/permissions';
import type { Actor } from './actor';
import { londonDate, type Clock } from '../shared/clock';
import { owe } from './owed';

export interface IntakeDeps {
  cases: CaseRepository;
  screenings: ScreeningRepository;
  clock: Clock;
  log: Logger;
  /** The Fair Processing Notice, linked from the referral form; empty when the service has none configured. */
  privacyUrl?: string;
}

export type SubmitResult =
  | { ok: false; errors: FormErrors }
  | { ok: true; reference: string; caseId: string; created: boolean; eligibility: EligibilityResult; details: ReferralDetails };

/**
 * Who an ineligible result (with its reminder offer) was shown to. Kept in that person's own
 * conversation state, never in the screening, which stays an anonymous record.
 */
export interface ScreeningShownTo {
  screeningId: string;
  aadObjectId: string;
  tenantId: string;
}

export type ReminderResult =
  | { ok: true; sentencingDate: string; eligibility: EligibilityResult }
  | { ok: false; reason: 'not_found' | 'not_offered' | 'forbidden'; message: string }
  | { ok: false; reason: 'invalid_date'; message: string; eligibility: EligibilityResult };

/** Offence types a referrer may choose, given how they answered the stalking/child-abuse question. */
export function offenceTypesFor(answers: ScreeningAnswers): OffenceType[] {
  const all = Object.keys(OFFENCE_TYPES) as OffenceType[];
  const excluded = (t: OffenceType) => t === 'stalking' || t === 'child_abuse';
  if (answers.stalkingOrChildAbuse === 'no') return all.filter((t) => !excluded(t));
  if (answers.stalkingOrChildAbuse === 'yes') return all.filter(excluded);
  return all;
}

/**
 * The referral intake use cases: what happens when a screening ends and when a form is submitted.
 * Knows nothing of Teams; the dialogs call it with an Actor.
 */
export class ReferralIntake {
  constructor(private readonly deps: IntakeDeps) {}

  today(): string {
    return londonDate(this.deps.clock());
  }

  get privacyUrl(): string | undefined {
    return this.deps.privacyUrl || undefined;
  }

  newId(): string {
    return randomUUID();
  }

  sourceOf(actor: Actor, details?: ReferralDetails): string {
    if (actor.organisation) return actor.organisation;
    return details?.referralSource ? REFERRAL_SOURCES[details.referralSource] : 'Service staff';
  }

  /** Ineligible screenings are kept as an anonymous record: answers, reasons, source, time. */
  async recordIneligible(actor: Actor, screeningId: string, answers: ScreeningAnswers, result: EligibilityResult): Promise<void> {
    await this.deps.screenings.record({
      id: screeningId,
      tenantId: actor.tenantId,
      source: actor.organisation ?? null,
      answers: answers as JsonObject,
      outcome: 'ineligible',
      reasonCodes: result.reasons,
      sentencingDate: null,
      reReferAadId: null,
    });
    this.deps.log.info({ screeningId, reasons: result.reasons }, 'screening ineligible');
  }

  /**
   * The referrer asked to be reminded on the sentencing date. Only offered when sentencing is the one
   * failing rule, and only the person who screened may set it (the card lives in their 1:1 chat).
   */
  async setReReferDate(actor: Actor, screeningId: string, date: string, offeredTo: ScreeningShownTo | undefined): Promise<ReminderResult> {
    const s = await this.deps.screenings.get(screeningId);
    if (!s || s.tenantId !== actor.tenantId) {
      return { ok: false, reason: 'not_found', message: 'That screening could not be found. Type refer to start again.' };
    }
    const allowed = canSetReReferDate(actor, offeredTo?.screeningId === screeningId ? offeredTo : undefined);
    if (!allowed.allowed) return { ok: false, reason: 'forbidden', message: allowed.message };
    const result = assessEligibility({ answers: s.answers as ScreeningAnswers });
    if (!offersReReferReminder(result)) {
      return { ok: false, reason: 'not_offered', message: 'A reminder is only offered when sentencing is the one thing outstanding.' };
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      return { ok: false, reason: 'invalid_date', message: 'Choose the sentencing date from the date picker.', eligibility: result };
    }
    if (date < this.today()) {
      return { ok: false, reason: 'invalid_date', message: 'That date has passed: if sentencing is over, type refer to refer the case now.', eligibility: result };
    }
    if (!(await this.deps.screenings.setReRefer(screeningId, date, actor.aadObjectId))) {
      return { ok: false, reason: 'not_found', message: 'That screening could not be found. Type refer to start again.' };
    }
    this.deps.log.info({ screeningId }, 're-refer reminder requested');
    return { ok: true, sentencingDate: date, eligibility: result };
  }

  /** The re-refer date this actor already set on a screening (with the card's button, say), or null. */
  async reReferDate(actor: Actor, screeningId: string): Promise<string | null> {
    const s = await this.deps.screenings.get(screeningId);
    return s && s.tenantId === actor.tenantId && s.reReferAadId === actor.aadObjectId ? s.sentencingDate : null;
  }

  /** Validates and saves a referral; idempotent on formId (a double submit creates one case). */
  async submit(
    actor: Actor,
    input: { formId: string; screeningId: string; answers: ScreeningAnswers; values: ReferralFormValues },
  ): Promise<SubmitResult> {
    const check = validateReferralForm(input.values, {
      answers: input.answers,
      requiresSource: actor.staffTenant,
      today: this.today(),
    });
    if (!check.ok) return { ok: false, errors: check.errors };
    const d = check.value;
    const eligibility = assessEligibility({ answers: input.answers, offenceType: d.offenceType });
    if (eligibility.outcome === 'ineligible') {
      // The screening dialog never offers the form for an ineligible screening; refuse rather than trust the client.
      throw new Error(`submit: screening ${input.screeningId} is ineligible; the form should not have been offered`);
    }
    const source = this.sourceOf(actor, d);
    const created = await this.deps.cases.createReferral({
      submissionKey: input.formId,
      screeningId: input.screeningId,
      screening: {
        tenantId: actor.tenantId,
        source,
        answers: input.answers as JsonObject,
        outcome: eligibility.outcome,
        reasonCodes: eligibility.uncertain,
        sentencingDate: null,
        reReferAadId: null,
      },
      referrerAadId: actor.aadObjectId,
      referrerTenantId: actor.tenantId,
      source,
      eligibility: eligibility.outcome,
      needsReviewReasons: eligibility.uncertain,
      offenceType: d.offenceType,
      offenceDescription: d.offenceDescription ?? '',
      offenceDate: d.offenceDate,
      crimeReference: d.crimeReference ?? null,
      sentenceDate: d.sentenceDate ?? null,
      sentenceType: d.sentenceType ?? null,
      prison: d.prison ?? null,
      relationship: d.relationship ?? null,
      riskNotes: d.riskNotes ?? null,
      accessNeeds: d.accessNeeds ?? null,
      referrerPhone: d.referrerPhone ?? null,
      complex: eligibility.flags.complex,
      extraCare: eligibility.flags.extraCare,
      harmedPerson: {
        name: d.harmedPersonName,
        dateOfBirth: null,
        borough: d.harmedPersonBorough ?? null,
        phone: d.harmedPersonPhone ?? null,
        email: d.harmedPersonEmail ?? null,
        aware: d.harmedPersonAware,
      },
      offender: {
        name: d.offenderName,
        dateOfBirth: d.offenderDateOfBirth ?? null,
        borough: d.offenderBorough ?? null,
        phone: null,
        email: null,
        aware: d.offenderAware,
      },
      // The coordinators' card is owed in the case's own transaction: a crash after the commit delays it, never loses it.
      owe: (caseId) => [owe.channelPost(caseId)],
    });
    this.deps.log.info(
      { caseId: created.caseId, reference: created.reference, created: created.created, outcome: eligibility.outcome },
      created.created ? 'referral created' : 'referral resubmitted',
    );
    return { ok: true, reference: created.reference, caseId: created.caseId, created: created.created, eligibility, details: d };
  }

  /** A form id that already became a case, for a repeat click after the dialog ended. */
  async submittedCase(actor: Actor, formId: string): Promise<{ reference: string; createdAt: Date; offenceType: OffenceType } | null> {
    const c = await this.deps.cases.findBySubmissionKey(formId);
    if (!c || c.referrerAadId !== actor.aadObjectId || c.referrerTenantId !== actor.tenantId) return null;
    return { reference: c.reference, createdAt: c.createdAt, offenceType: c.offenceType };
  }

  /** The referrer's own referrals, newest first; `more` when there are older ones than `limit`. */
  async myReferrals(actor: Actor, limit: number): Promise<{ items: ReferralSummary[]; more: boolean }> {
    const items = await this.deps.cases.listByReferrer(actor.tenantId, actor.aadObjectId, limit + 1);
    return { items: items.slice(0, limit), more: items.length > limit };
  }

  /** The answered result card, for the screener only (as the reminder it answers). */
  async screeningResult(actor: Actor, screeningId: string, offeredTo: ScreeningShownTo | undefined): Promise<EligibilityResult | null> {
    const s = await this.deps.screenings.get(screeningId);
    if (!s || s.tenantId !== actor.tenantId) return null;
    if (!canSetReReferDate(actor, offeredTo?.screeningId === screeningId ? offeredTo : undefined).allowed) return null;
    return assessEligibility({ answers: s.answers as ScreeningAnswers });
  }
}
