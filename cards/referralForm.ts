import type { FormErrors, ReferralFormField, ReferralFormValues } from '../src/domain/referralForm';
import { FIELD_LIMITS, REFERRAL_FORM_FIELDS } from '../src/domain/referralForm';
import { LONDON_BOROUGHS, OFFENCE_TYPES, REFERRAL_SOURCES, SENTENCE_TYPES, type OffenceType } from '../src/domain/vocabulary';
import {
  callout,
  card,
  execute,
  heading,
  para,
  subtle,
  type AdaptiveCard,
  type CardElement,
  type Choice,
  type InputChoiceSet,
  type InputDate,
  type InputText,
} from './adaptive';
import { VERBS } from './verbs';

export interface ReferralFormView {
  formId: string;
  values: ReferralFormValues;
  errors: FormErrors;
  requiresSource: boolean;
  sentenceDateRequired: boolean;
  /** Offence types consistent with the screening answers. */
  offenceTypes: readonly OffenceType[];
  /** Shown at the top when some answers were "not sure". */
  reviewNote?: string;
  today: string;
  /** The service's Fair Processing Notice: how the details typed here are used. */
  privacyUrl?: string;
}

const choices = (o: Record<string, string>): Choice[] => Object.entries(o).map(([value, title]) => ({ title, value }));
const boroughChoices: Choice[] = LONDON_BOROUGHS.map((b) => ({ title: b, value: b }));
const yesNoChoices: Choice[] = [
  { title: 'Yes', value: 'yes' },
  { title: 'No', value: 'no' },
];

/** What the summary calls each field: unique, so "Please correct: …" says which one it means. */
const FIELD_NAMES: Readonly<Record<ReferralFormField, string>> = {
  referralSource: 'where the referral comes from',
  offenceType: 'offence type',
  offenceDescription: 'what happened',
  offenceDate: 'offence date',
  crimeReference: 'crime reference',
  sentenceDate: 'sentencing date',
  sentenceType: 'sentence',
  prison: 'prison',
  offenderName: "name of the person who caused the harm",
  offenderDateOfBirth: 'date of birth',
  offenderBorough: "their borough (person who caused the harm)",
  offenderAware: 'whether the person who caused the harm knows',
  harmedPersonName: "harmed person's name",
  harmedPersonBorough: "harmed person's borough",
  harmedPersonPhone: "harmed person's phone",
  harmedPersonEmail: "harmed person's email",
  harmedPersonAware: 'whether the harmed person knows',
  relationship: 'relationship',
  riskNotes: 'risks',
  accessNeeds: 'access needs',
  referrerPhone: 'your phone number',
};

/** "Please correct: sentencing date, date of birth.": the fields in the order the form shows them. */
export function errorSummary(errors: FormErrors): string | undefined {
  const named = REFERRAL_FORM_FIELDS.filter((f) => errors[f]).map((f) => FIELD_NAMES[f]);
  return named.length > 0 ? `Please correct: ${named.join(', ')}.` : undefined;
}

function withError(input: InputText | InputDate | InputChoiceSet, errors: FormErrors): CardElement[] {
  const err = errors[input.id as ReferralFormField];
  if (!err) return [input];
  return [input, { ...callout('attention', err, { size: 'Small', id: `${input.id}Error` }), spacing: 'None' }];
}

export function referralFormCard(v: ReferralFormView): AdaptiveCard {
  const val = (f: ReferralFormField) => v.values[f] ?? undefined;
  const textInput = (id: ReferralFormField, label: string, maxLength: number, extra: Partial<InputText> = {}): CardElement[] => {
    const input: InputText = { type: 'Input.Text', id, label, maxLength, ...extra };
    const value = val(id);
    if (value !== undefined) input.value = value;
    return withError(input, v.errors);
  };
  const dateInput = (id: ReferralFormField, label: string, required: boolean, extra: Partial<InputDate> = {}): CardElement[] => {
    const input: InputDate = { type: 'Input.Date', id, label, max: v.today, ...extra };
    if (required) {
      input.isRequired = true;
      input.errorMessage = `Enter the ${label.toLowerCase()}.`;
    }
    const value = val(id);
    if (value !== undefined) input.value = value;
    return withError(input, v.errors);
  };
  const choiceInput = (id: ReferralFormField, label: string, options: Choice[], required: boolean, extra: Partial<InputChoiceSet> = {}): CardElement[] => {
    const input: InputChoiceSet = { type: 'Input.ChoiceSet', id, label, choices: options, style: 'compact', ...extra };
    if (required) {
      input.isRequired = true;
      input.errorMessage = `Choose an answer for "${label}".`;
    }
    const value = val(id);
    if (value !== undefined) input.value = value;
    return withError(input, v.errors);
  };
  const section = (title: string): CardElement => para(`**${title}**`, { spacing: 'Large', size: 'Medium' });

  const summary = errorSummary(v.errors);
  const body: CardElement[] = [heading('Referral form')];
  if (v.reviewNote) body.push(callout('warning', v.reviewNote));
  body.push(subtle('Fields marked * are required. Nothing is saved until you submit a complete form; type **cancel** to stop.'));
  // The people named here are told how their data is used in the service's Fair Processing Notice.
  if (v.privacyUrl) body.push(subtle(`How the service uses these details: [privacy notice](${v.privacyUrl}).`));
  // Named, so a phone user knows what to scroll to; each is marked below its field too.
  if (summary) body.push(callout('attention', `${summary} Then submit again.`, { weight: 'Bolder' }));
  if (v.requiresSource) {
    body.push(section('Referral'), ...choiceInput('referralSource', 'Where does this referral come from?', choices(REFERRAL_SOURCES), true));
  }
  const offenceChoices = v.offenceTypes.map((t) => ({ title: OFFENCE_TYPES[t], value: t }));
  body.push(
    section('The offence'),
    ...choiceInput('offenceType', 'Offence type', offenceChoices, true),
    ...textInput('offenceDescription', 'What happened (brief)', FIELD_LIMITS.offenceDescription, { isMultiline: true }),
    ...dateInput('offenceDate', 'Offence date', true),
    ...textInput('crimeReference', 'Crime reference number', FIELD_LIMITS.crimeReference),
    ...dateInput('sentenceDate', 'Sentencing date', v.sentenceDateRequired),
    ...choiceInput('sentenceType', 'Sentence', choices(SENTENCE_TYPES), false),
    ...textInput('prison', 'Prison (if in custody)', FIELD_LIMITS.prison),
    section('The person who caused the harm'),
    ...textInput('offenderName', 'Full name', FIELD_LIMITS.name, { isRequired: true, errorMessage: 'Enter their name.' }),
    ...dateInput('offenderDateOfBirth', 'Date of birth', false),
    ...choiceInput('offenderBorough', 'London borough', boroughChoices, false),
    ...choiceInput('offenderAware', 'Do they know about this referral?', yesNoChoices, true, { style: 'expanded' }),
    section('The harmed person'),
    ...textInput('harmedPersonName', 'Full name', FIELD_LIMITS.name, { isRequired: true, errorMessage: 'Enter their name.' }),
    ...choiceInput('harmedPersonBorough', 'London borough', boroughChoices, false),
    // A hint that cannot be mistaken for a number already filled in.
    ...textInput('harmedPersonPhone', 'Phone', 30, { style: 'tel', placeholder: 'e.g. 07… or 020…' }),
    ...textInput('harmedPersonEmail', 'Email', FIELD_LIMITS.email, { style: 'email' }),
    ...choiceInput('harmedPersonAware', 'Do they know about this referral?', yesNoChoices, true, { style: 'expanded' }),
    section('Anything else'),
    ...textInput('relationship', 'Relationship between them (if any)', FIELD_LIMITS.relationship),
    ...textInput('riskNotes', 'Risks the facilitators should know about', FIELD_LIMITS.riskNotes, { isMultiline: true }),
    ...textInput('accessNeeds', 'Access or communication needs', FIELD_LIMITS.accessNeeds, { isMultiline: true }),
    ...textInput('referrerPhone', 'Your phone number', 30, { style: 'tel', placeholder: 'e.g. 07… or 020…' }),
  );
  return card(body, [
    execute('Submit referral', VERBS.submitReferral, { formId: v.formId }, { style: 'positive' }),
    execute('Cancel', VERBS.cancelReferral, { formId: v.formId }, { associatedInputs: 'none' }),
  ]);
}

/** The form after a successful submit: read-only, so nobody submits it twice. */
export function referralSubmittedCard(reference: string, submittedOn: string, offenceType: OffenceType): AdaptiveCard {
  return card([
    heading('Referral submitted'),
    para(`Case reference **${reference}**, submitted on ${submittedOn}.`),
    para(`Offence: ${OFFENCE_TYPES[offenceType]}`, { isSubtle: true }),
    subtle('This form is closed. Type **my referrals** to see the status of your referrals.'),
  ]);
}

/** The form after cancel, or a click on a form that is no longer open. */
export function referralClosedCard(message: string): AdaptiveCard {
  return card([heading('Referral form closed'), para(message)]);
}
