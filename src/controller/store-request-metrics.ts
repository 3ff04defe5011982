// Counts every DynamoDB and Streams request by operation and result, at the SDK's edge: the one
// place every request passes, whichever module sent it.
import type { InitializeMiddleware } from '@smithy/types';
import type { MonitorMetrics } from '../observability/index.js';
import type { StoreClients } from '../store/index.js';

export function countStoreRequests(clients: StoreClients, metrics: MonitorMetrics): void {
  const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
    try {
      const out = await next(args);
      metrics.storeRequests.inc({ operation, result: 'ok' });
      return out;
    } catch (err) {
      metrics.storeRequests.inc({ operation, result: err instanceof Error ? err.name : 'error' });
      throw err;
    }
  };
  const options = { step: 'initialize', name: 'inferctlRequestMetrics' } as const;
  clients.dynamodb.middlewareStack.add(middleware as never, options);
  clients.streams.middlewareStack.add(middleware as never, options);
}
