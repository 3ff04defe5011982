// The monitor's loops: work queue, reconcile, leader-gated lifecycle.
export { ConfigError, loadMonitorConfig, SETTINGS, type SettingKey } from './config.js';
export { DesiredCache, type DesiredEntry } from './desired-cache.js';
export { type Result, TerminalError, toQueueResult } from './errors.js';
export { Monitor } from './monitor.js';
export { WorkQueue } from './queue.js';
export { type ReconcileDeps, reconcileEndpoint } from './reconcile-endpoint.js';
export { StatusBook } from './status-book.js';
