// Secrets must never reach a task log. Redaction happens at the log sink, so every producer
// (fixer commands, sandbox drivers, worker notices) is covered without having to remember it.
// Logs arrive a line at a time, so a multi-line secret (a PEM key) is also matched line by line:
// each of its lines long enough to be specific is a secret of its own.

const MIN_SECRET_LENGTH = 4;
/** Lines of a multi-line secret shorter than this ("-----END-----", blank) are not secrets alone. */
const MIN_LINE_LENGTH = 16;
export const REDACTED = '[redacted]';

export type Redactor = (text: string) => string;

export function createRedactor(secrets: Iterable<string>): Redactor {
  const unique = [...new Set(expand([...secrets]).filter((s) => s.length >= MIN_SECRET_LENGTH))];
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

/** A secret, plus for a multi-line one its JSON-escaped form and each of its specific lines. */
function expand(secrets: string[]): string[] {
  const out: string[] = [];
  for (const secret of secrets) {
    out.push(secret);
    if (!secret.includes('\n')) continue;
    out.push(secret.replace(/\r?\n/g, '\\n'));
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_LENGTH) out.push(line.trim());
  }
  return out;
}

// Credentials nobody configured, recognised by their shape: per-task GitHub installation tokens,
// a clone URL's userinfo, an Authorization header quoted in an error, a PEM private key. Used for
// the process log, where any library's error message may carry one; not for task logs, where a
// repository's own output (a test printing a sample URL) must stay as it was.
const CREDENTIAL_SHAPES: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // -----BEGIN RSA PRIVATE KEY----- ... (its line breaks raw or JSON-escaped)
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, () => REDACTED],
  // https://x-access-token:TOKEN@host keeps its user name; https://TOKEN@host loses it.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@"'\\]*):[^\s/@"'\\]+@/gi, (_, scheme, user) => `${scheme}${user}:${REDACTED}@`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@"'\\]+@/gi, (_, scheme) => `${scheme}${REDACTED}@`],
  // Authorization: Bearer X, "authorization":"token X", authorization=Basic X
  [
    /\b((?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|token|basic)\s+)?[^\s"'\\,;}]+/gi,
    (_, key, scheme) => `${key}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  ],
  // GitHub's token formats (ghs_ is an installation token, minted per task).
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, () => REDACTED],
];

/** Replaces credentials recognised by their shape (see CREDENTIAL_SHAPES). */
export function redactCredentialShapes(text: string): string {
  let out = text;
  for (const [pattern, replacement] of CREDENTIAL_SHAPES) out = out.replace(pattern, replacement);
  return out;
}
