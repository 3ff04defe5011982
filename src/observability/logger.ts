import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  readonly region?: string;
  readonly identity?: string;
  /** Default stdout. */
  readonly destination?: DestinationStream;
}

/**
 * Structured JSON logs; level from the flag or LOG_LEVEL. `region` and `identity` are bound once
 * for every line: pino writes bindings and a call's own fields side by side, so a call that
 * passed them again produced each key twice, which JSON parsers resolve differently.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const bound = { region: options.region, identity: options.identity };
  const settings = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: bound,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (fields: Record<string, unknown>) => {
        const own = { ...fields };
        for (const key of Object.keys(bound)) delete own[key];
        return own;
      },
    },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
