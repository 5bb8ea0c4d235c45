import type { Clock } from '../shared/clock';

/**
 * The app's clock in the simulator: the given clock plus an offset that only grows, so time still
 * passes as it does for everyone and the simulator can jump it forward (a working day, a week, to the
 * next reminder). Jumps never go back: the case history would stop making sense.
 */
export class MovableClock {
  private offsetMs = 0;

  constructor(private readonly base: Clock) {}

  /** The Clock to inject into the app. */
  readonly now: Clock = () => new Date(this.base().getTime() + this.offsetMs);

  /** Moves the clock to `to`, if that is later than now; returns the new time. */
  moveTo(to: Date): Date {
    const ahead = to.getTime() - this.now().getTime();
    if (ahead > 0) this.offsetMs += ahead;
    return this.now();
  }

  /** Back to the base clock (a reset: the database is empty again, so nothing depends on the jump). */
  reset(): void {
    this.offsetMs = 0;
  }
}
