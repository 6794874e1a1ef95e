// Secrets must never reach a task log. Redaction happens at the log sink, so every producer
// (fixer commands, sandbox drivers, worker notices) is covered without having to remember it.

const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

export type Redactor = (text: string) => string;

export function createRedactor(secrets: Iterable<string>): Redactor {
  const unique = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH))];
  if (unique.length === 0) return (text) => text;
  // Longest first, so a secret containing another is replaced whole. Base64 forms are covered
  // too, since a token sent as HTTP basic auth shows up encoded in verbose git output.
  const variants = new Set<string>();
  for (const secret of unique) {
    variants.add(secret);
    variants.add(Buffer.from(secret).toString('base64'));
    variants.add(Buffer.from(`x-access-token:${secret}`).toString('base64'));
  }
  const pattern = new RegExp(
    [...variants]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return (text) => text.replace(pattern, REDACTED);
}
