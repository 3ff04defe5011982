// Logs, metrics and health endpoints of the monitor.
export { createLogger, type Logger } from './logger.js';
export { MonitorMetrics } from './metrics.js';
export { type HealthSource, PortInUseError, startObservabilityServer } from './server.js';
