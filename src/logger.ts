import { pino, type Logger } from 'pino';
import { createRedactor, redactCredentialShapes } from './shared/redact.js';

export type { Logger };

export interface LoggerOptions {
  /** Every configured secret (config.secrets): hidden wherever it appears in a line. */
  secrets?: readonly string[];
}

// Fields that hold a credential by their name, wherever a caller put them; pino replaces them
// before serialising. Values inside other text (an error message quoting a clone URL, a library
// echoing a header) are caught on the serialised line instead, see redactLine.
const REDACT_PATHS = [
  'token',
  '*.token',
  'gitToken',
  '*.gitToken',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'privateKey',
  '*.privateKey',
  'apiKey',
  '*.apiKey',
  'webhookSecrets',
  '*.webhookSecrets',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'request.headers.authorization',
  '*.request.headers.authorization',
];

/** Built once in main.ts; components receive `logger.child({ component })`. */
export function createLogger(level: string, destination?: pino.DestinationStream, options: LoggerOptions = {}): Logger {
  const redactLine = lineRedactor(options.secrets ?? []);
  return pino(
    {
      level,
      base: { service: 'ci-fixer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: redactLine },
    },
    destination,
  );
}

/**
 * The last step before a line is written: configured secrets and credential-shaped text
 * (src/shared/redact.ts) are replaced anywhere in it (msg, err.message, err.stack, a nested field,
 * a child's bindings). A line with something to hide is parsed and redacted value by value, so
 * the replacement can never cut a JSON escape in half; a secret is matched in its JSON-escaped
 * form too, since that is how a quote or line break in it appears in the line.
 */
function lineRedactor(secrets: readonly string[]): (line: string) => string {
  const redactSecrets = createRedactor(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]));
  const redact = (text: string) => redactCredentialShapes(redactSecrets(text));
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return (line) => {
    const quick = redact(line);
    if (quick === line) return line;
    try {
      return `${JSON.stringify(walk(JSON.parse(line)))}${line.endsWith('\n') ? '\n' : ''}`;
    } catch {
      return quick;
    }
  };
}
