/**
 * The activity builders live with the local simulator (src/simulator/activities.ts), which posts the
 * same Teams-shaped activities as the tests: one description of what Teams sends, not two.
 */
export * from '../../src/simulator/activities';
