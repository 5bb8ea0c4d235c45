import type { AdaptiveCard } from '../../cards/adaptive';

/** What a use case answers: a card, a line of text, or a refusal (said to the person, counted as one). */
export type Reply = { kind: 'card'; card: AdaptiveCard } | { kind: 'refused'; message: string } | { kind: 'message'; text: string };

export const refused = (message: string): Reply => ({ kind: 'refused', message });
