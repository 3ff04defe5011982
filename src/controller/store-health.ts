// What the monitor's own store requests say about the store: the last one succeeded, or why not.
import type { Logger } from 'pino';

export class StoreHealth {
  private healthy = false;
  private problem = 'store not contacted yet';

  constructor(private readonly log: Logger) {}

  ok(): void {
    this.healthy = true;
  }

  failed(err: unknown): void {
    this.healthy = false;
    this.problem = err instanceof Error ? err.message : String(err);
    this.log.warn({ err: this.problem }, 'store unavailable');
  }

  /** undefined while healthy, else the last failure's message. */
  get trouble(): string | undefined {
    return this.healthy ? undefined : this.problem;
  }
}
