import type { Logger } from '../log';

/**
 * Work that follows a committed change but must not hold up the person who made it: Teams shows an
 * error on a card action slower than about ten seconds, and a throttled send can wait longer. The
 * change is already saved; these only announce it. Shutdown waits for them.
 */
export class BackgroundTasks {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  run(name: string, ids: Record<string, string>, fn: () => Promise<void>): void {
    const p = fn()
      .catch((err: unknown) => {
        this.log.error({ task: name, ...ids, err: err instanceof Error ? err.message : String(err) }, 'background task failed');
      })
      .finally(() => {
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  /** Resolves once nothing is running (tasks started meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
