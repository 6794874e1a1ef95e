// Webhook authenticity: X-Hub-Signature-256 is an HMAC-SHA256 of the raw body under a shared
// secret. Comparison (constant time) is @octokit/webhooks-methods'; several secrets are tried so a
// secret can be rotated without dropping deliveries.
import { verifyWithFallback } from '@octokit/webhooks-methods';

export type SignatureCheck = 'valid' | 'unconfigured' | 'missing' | 'unsupported_algorithm' | 'invalid';

/** What the 401 says for each failed check; never which secret was tried. */
export const SIGNATURE_MESSAGES: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  unconfigured: 'webhook secret is not configured on this server (GITHUB_WEBHOOK_SECRETS)',
  missing: 'missing X-Hub-Signature-256 header',
  unsupported_algorithm: 'unsupported signature algorithm; X-Hub-Signature-256 with sha256 is required',
  invalid: 'invalid webhook signature',
};

const SHA256_SIGNATURE = /^sha256=[0-9a-f]{64}$/;

export interface SignatureHeaders {
  /** X-Hub-Signature-256 */
  sha256: string | undefined;
  /** X-Hub-Signature (legacy SHA-1), only used to say why a delivery is refused. */
  sha1: string | undefined;
}

export type SignatureVerifier = (rawBody: string, headers: SignatureHeaders) => Promise<SignatureCheck>;

export function createSignatureVerifier(secrets: readonly string[]): SignatureVerifier {
  const [first, ...rest] = secrets;
  return async (rawBody, headers) => {
    if (first === undefined) return 'unconfigured';
    const signature = headers.sha256?.trim();
    if (signature === undefined || signature === '') return headers.sha1 ? 'unsupported_algorithm' : 'missing';
    const separator = signature.indexOf('=');
    if (separator < 0 || signature.slice(0, separator).toLowerCase() !== 'sha256') return 'unsupported_algorithm';
    // The library compares lengths before timingSafeEqual; a well-formed value keeps it on that path.
    if (!SHA256_SIGNATURE.test(signature) || rawBody === '') return 'invalid';
    return (await verifyWithFallback(first, rawBody, signature, rest)) === true ? 'valid' : 'invalid';
  };
}
