import { pino, type Logger } from 'pino';

/** Structured JSON logs; LOG_LEVEL picks the level (tests default to silent). */
export function createLogger(level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info')): Logger {
  return pino({ level, base: { service: 'marketloop' } });
}
export type { Logger };
