import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../../src/shared/redact.js';

describe('redactor', () => {
  it('hides every configured secret, plain and base64-encoded as git sends it', () => {
    const redact = createRedactor(['ghp_secret123', 'tok-abc']);
    const basic = Buffer.from('x-access-token:ghp_secret123').toString('base64');
    expect(redact('clone with ghp_secret123 and tok-abc')).toBe(`clone with ${REDACTED} and ${REDACTED}`);
    expect(redact(`Authorization: Basic ${basic}`)).toBe(`Authorization: Basic ${REDACTED}`);
  });

  it('leaves text alone when there is nothing to hide, and ignores trivially short secrets', () => {
    expect(createRedactor([])('a b c')).toBe('a b c');
    expect(createRedactor(['ab'])('ab ab')).toBe('ab ab');
  });

  it('treats regex metacharacters in secrets literally', () => {
    expect(createRedactor(['a.b*c'])('a.b*c axbbc')).toBe(`${REDACTED} axbbc`);
  });
});
