import type { FormErrors, ReferralFormField, ReferralFormValues } from '../src/domain/referralForm';
import { FIELD_LIMITS } from '../src/domain/referralForm';
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
}

const choices = (o: Record<string, string>): Choice[] => Object.entries(o).map(([value, title]) => ({ title, value }));
const boroughChoices: Choice[] = LONDON_BOROUGHS.map((b) => ({ title: b, value: b }));
const yesNoChoices: Choice[] = [
  { title: 'Yes', value: 'yes' },
  { title: 'No', value: 'no' },
];

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

  const errorCount = Object.keys(v.errors).length;
  const body: CardElement[] = [heading('Referral form')];
  if (v.reviewNote) body.push(callout('warning', v.reviewNote));
  body.push(subtle('Fields marked * are required. Nothing is saved until you submit a complete form; type **cancel** to stop.'));
  if (errorCount > 0) {
    body.push(
      callout(
        'attention',
        errorCount === 1 ? 'Please correct the field marked below, then submit again.' : `Please correct the ${errorCount} fields marked below, then submit again.`,
        { weight: 'Bolder' },
      ),
    );
  }
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
    ...textInput('harmedPersonPhone', 'Phone', 30, { style: 'tel', placeholder: '020 7946 0000' }),
    ...textInput('harmedPersonEmail', 'Email', FIELD_LIMITS.email, { style: 'email' }),
    ...choiceInput('harmedPersonAware', 'Do they know about this referral?', yesNoChoices, true, { style: 'expanded' }),
    section('Anything else'),
    ...textInput('relationship', 'Relationship between them (if any)', FIELD_LIMITS.relationship),
    ...textInput('riskNotes', 'Risks the facilitators should know about', FIELD_LIMITS.riskNotes, { isMultiline: true }),
    ...textInput('accessNeeds', 'Access or communication needs', FIELD_LIMITS.accessNeeds, { isMultiline: true }),
    ...textInput('referrerPhone', 'Your phone number', 30, { style: 'tel' }),
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
