// One worker of the monitor: takes keys from the queue until it shuts down (or, draining, until
// none is waiting), runs each (`reconcile` must not throw: it maps errors to an outcome), marks
// it done and tells the queue what happens next (PRACTICES 2).
import type { QueueOutcome } from './errors.js';
import type { WorkQueue } from './queue.js';

export async function runWorker(
  queue: WorkQueue,
  reconcile: (key: string) => Promise<QueueOutcome>,
  options: { drain?: boolean } = {},
): Promise<void> {
  for (;;) {
    // Draining (`monitor --once`): nothing adds keys any more, so an empty queue is the end.
    const key = options.drain ? queue.tryGet() : await queue.get();
    if (key === undefined) return;
    let outcome: QueueOutcome;
    try {
      outcome = await reconcile(key);
    } finally {
      queue.done(key);
    }
    // A reconcile with nothing to write never waits for I/O, and its promises resolve as
    // microtasks: without this yield, workers draining a resync of thousands of unchanged
    // endpoints ran as one microtask chain that kept the event loop from reading any response,
    // watch event or stream record for seconds (change latency p99 9 s at 10 000 endpoints).
    await new Promise<void>((resolve) => setImmediate(resolve));
    settle(queue, key, outcome);
  }
}

function settle(queue: WorkQueue, key: string, outcome: QueueOutcome): void {
  switch (outcome.kind) {
    case 'forget':
    case 'drop':
      queue.forget(key);
      queue.reschedule(key, undefined);
      break;
    case 'requeueAfter':
      queue.forget(key);
      queue.reschedule(key, outcome.ms);
      break;
    case 'retry':
      queue.addRateLimited(key);
      break;
  }
}
