import { pino, type Logger } from 'pino';

export type { Logger };

/** Built once in main.ts; components receive `logger.child({ component })`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ci-fixer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: credentials must never be logged, even by accident in a field.
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'secret', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
