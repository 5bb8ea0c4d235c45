import { stripUnsafe } from '../src/domain/text';

/**
 * A small typed subset of Adaptive Cards 1.5: only what our cards use, so a typo in a property
 * name is a compile error instead of a silently ignored field in Teams.
 */

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const CARD_VERSION = '1.5';

export type Spacing = 'None' | 'Small' | 'Default' | 'Medium' | 'Large' | 'ExtraLarge';
export type TextColor = 'Default' | 'Dark' | 'Light' | 'Accent' | 'Good' | 'Warning' | 'Attention';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  weight?: 'Default' | 'Lighter' | 'Bolder';
  size?: 'Default' | 'Small' | 'Medium' | 'Large' | 'ExtraLarge';
  color?: TextColor;
  isSubtle?: boolean;
  spacing?: Spacing;
  style?: 'default' | 'heading';
  id?: string;
}

export interface Fact {
  title: string;
  value: string;
}
export interface FactSet {
  type: 'FactSet';
  facts: Fact[];
  spacing?: Spacing;
}

export interface Container {
  type: 'Container';
  /** Needed only as the target of an Action.ToggleVisibility. */
  id?: string;
  /** False: hidden until an Action.ToggleVisibility shows it. */
  isVisible?: boolean;
  items: CardElement[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  spacing?: Spacing;
  separator?: boolean;
  /** Tapping the container toggles sections (the case card's section lines). */
  selectAction?: ToggleVisibilityAction;
}

export interface ActionSet {
  type: 'ActionSet';
  actions: CardAction[];
  spacing?: Spacing;
}

interface InputBase {
  id: string;
  label?: string;
  isRequired?: boolean;
  errorMessage?: string;
  spacing?: Spacing;
}

export interface InputText extends InputBase {
  type: 'Input.Text';
  value?: string;
  placeholder?: string;
  maxLength?: number;
  isMultiline?: boolean;
  style?: 'text' | 'tel' | 'url' | 'email';
  regex?: string;
}

export interface InputDate extends InputBase {
  type: 'Input.Date';
  value?: string;
  min?: string;
  max?: string;
}

export interface InputTime extends InputBase {
  type: 'Input.Time';
  /** HH:mm, 24-hour. */
  value?: string;
  min?: string;
  max?: string;
}

export interface Choice {
  title: string;
  value: string;
}
export interface InputChoiceSet extends InputBase {
  type: 'Input.ChoiceSet';
  choices: Choice[];
  value?: string;
  style?: 'compact' | 'expanded' | 'filtered';
  placeholder?: string;
  isMultiSelect?: boolean;
}

export type CardElement = TextBlock | FactSet | Container | ActionSet | InputText | InputDate | InputTime | InputChoiceSet;

export type ActionData = Record<string, string | number | boolean | null>;

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: string;
  /** Always carries the verb too, so the Action.Submit fallback routes the same way. */
  data: ActionData & { verb: string };
  style?: 'default' | 'positive' | 'destructive';
  associatedInputs?: 'auto' | 'none';
  fallback?: SubmitAction;
  /** 'secondary' puts the button in the card's overflow menu (…) in Teams. */
  mode?: 'primary' | 'secondary';
}

export interface SubmitAction {
  type: 'Action.Submit';
  title: string;
  data: ActionData & { verb: string };
  style?: 'default' | 'positive' | 'destructive';
  associatedInputs?: 'auto' | 'none';
}

/** Opens a link (a Teams deep link to the dashboard tab); the bot receives nothing. */
export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

/** Shows or hides parts of the card on the device, without a round trip to the bot. */
export interface ToggleVisibilityAction {
  type: 'Action.ToggleVisibility';
  title?: string;
  /** Element ids to toggle, or each with the visibility to set. */
  targetElements: (string | { elementId: string; isVisible: boolean })[];
  style?: 'default' | 'positive' | 'destructive';
}

export type CardAction = ExecuteAction | SubmitAction | OpenUrlAction | ToggleVisibilityAction;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: typeof CARD_VERSION;
  body: CardElement[];
  actions?: CardAction[];
  refresh?: { action: ExecuteAction; userIds?: string[] };
  msteams?: { width?: 'Full' };
}

export function card(body: CardElement[], actions: CardAction[] = []): AdaptiveCard {
  const c: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body,
    msteams: { width: 'Full' },
  };
  if (actions.length > 0) c.actions = actions;
  return c;
}

/**
 * Action.Execute (Universal Actions) with an Action.Submit fallback for clients that predate it:
 * both carry the verb in data so the bot routes either the same way.
 */
export function execute(
  title: string,
  verb: string,
  data: ActionData = {},
  opts: { style?: ExecuteAction['style']; associatedInputs?: 'auto' | 'none'; mode?: 'secondary' } = {},
): ExecuteAction {
  const payload = { ...data, verb };
  const action: ExecuteAction = { type: 'Action.Execute', title, verb, data: payload };
  const submit: SubmitAction = { type: 'Action.Submit', title, data: payload };
  if (opts.style) {
    action.style = opts.style;
    submit.style = opts.style;
  }
  if (opts.associatedInputs) {
    action.associatedInputs = opts.associatedInputs;
    submit.associatedInputs = opts.associatedInputs;
  }
  if (opts.mode) action.mode = opts.mode;
  action.fallback = submit;
  return action;
}

export const heading = (text: string): TextBlock => ({ type: 'TextBlock', text, wrap: true, size: 'Large', weight: 'Bolder', style: 'heading' });
export const para = (text: string, extra: Partial<TextBlock> = {}): TextBlock => ({ type: 'TextBlock', text, wrap: true, ...extra });
/**
 * A note that must stand out: a tinted container with the text in its default colour. Coloured text
 * (Warning yellow, Good green) is unreadable on Teams' light theme and Attention red fails WCAG AA
 * on the dark one; a container style's own text colour passes on both (test/domain/cardContrast.test.ts).
 */
export const callout = (style: 'good' | 'warning' | 'attention', text: string, extra: Partial<TextBlock> = {}): Container => ({
  type: 'Container',
  style,
  items: [{ type: 'TextBlock', text, wrap: true, ...extra }],
});
export const subtle = (text: string): TextBlock => ({ type: 'TextBlock', text, wrap: true, isSubtle: true, size: 'Small', spacing: 'Small' });
export const facts = (pairs: [string, string | undefined][]): FactSet => ({
  type: 'FactSet',
  facts: pairs.filter((p): p is [string, string] => Boolean(p[1])).map(([title, value]) => ({ title, value })),
});

/**
 * Adaptive Card text is Markdown: a user-typed value must not turn into a link or heading. Escapes
 * the characters Teams' Markdown subset reacts to, and drops control and text-direction characters
 * (src/domain/text.ts) so a value cannot display as something other than what it is.
 */
export function plain(text: string): string {
  return stripUnsafe(text).replace(/([\\*_`[\]()#>~|+!-])/g, '\\$1').replace(/\s*\n\s*/g, ' ');
}

export function attachment(c: AdaptiveCard): { contentType: string; content: AdaptiveCard } {
  return { contentType: CARD_CONTENT_TYPE, content: c };
}
