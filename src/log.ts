// Structured JSON logs (pino) to stdout.
import { type Logger, pino } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
