import { z } from 'zod';
import { DECLINE_REASONS, OFFER_DECLINE_REASONS } from '../../cards/caseCards';

const codesOf = <T extends Record<string, string>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];
/*
 * Reason codes arrive as card data: only a listed code is one. (A plain `in` check accepted
 * "constructor" and the rest of Object.prototype.)
 */
export const declineReasonSchema = z.enum(codesOf(DECLINE_REASONS));
export const offerDeclineReasonSchema = z.enum(codesOf(OFFER_DECLINE_REASONS));
