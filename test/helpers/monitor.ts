// A monitor process for a region of the test's local environment (src/local/monitor-process.ts,
// which the bench uses too), with debug logs in the test's directory.
import { join } from 'node:path';
import type { LocalEnv } from '../../src/local/env.js';
import { startMonitor as startMonitorProcess } from '../../src/local/monitor-process.js';
import type { TableNames } from '../../src/store/index.js';

export type { MonitorProcess } from '../../src/local/monitor-process.js';

interface MonitorOptions {
  readonly env: LocalEnv;
  readonly region: string;
  readonly tables: TableNames;
  readonly logDir: string;
  readonly identity?: string;
  readonly extraEnv?: Record<string, string>;
}

let counter = 0;

export function startMonitor(options: MonitorOptions) {
  const identity = options.identity ?? `monitor-${options.region}-${++counter}`;
  const region = options.env.regions[options.region];
  if (!region) throw new Error(`no region ${options.region} in the local env`);
  return startMonitorProcess(
    {
      region: options.region,
      kubeconfig: region.kubeconfig,
      dynamodbEndpoint: options.env.dynamodb.endpoint,
      tables: options.tables,
      identity,
      log: join(options.logDir, `${identity}.log`),
      env: { LOG_LEVEL: 'debug', ...options.extraEnv },
    },
    // Generous: on a loaded 2-core machine, transpiling the sources alone can take a while.
    90_000,
  );
}
