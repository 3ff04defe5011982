import { log } from './stats.js';

/**
 * What the bench started, stopped in the reverse order. Every caller (the end of the run, the
 * overall time limit, a signal) waits for the same teardown: a second caller must not exit while
 * the first is still stopping servers.
 */
export class Teardown {
  private readonly steps: (() => unknown)[] = [];
  private running: Promise<void> | undefined;

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      log('tearing down');
      for (const step of this.steps.reverse()) {
        try {
          await step();
        } catch (err) {
          log(`teardown step failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}
