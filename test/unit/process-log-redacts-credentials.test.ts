// The process logger built the way main.ts builds it (config.secrets from loadConfig): every
// configured secret, credential-shaped text and credential-named field is hidden on every line,
// and each line stays valid JSON.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { redactCredentialShapes, REDACTED } from '../../src/shared/redact.js';

const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----';
const SECRETS = {
  API_TOKENS: 'ops:api-token-for-the-process-log-1',
  GIT_TOKEN: 'git-token-for-the-process-log-2',
  GITHUB_WEBHOOK_SECRETS: 'webhook-secret-with-"quotes"-3',
  REDIS_PASSWORD: 'redis-password-for-the-log-4',
  LLM_API_KEY: 'sk-model-key-for-the-log-5',
  GITHUB_APP_ID: '12345',
  GITHUB_APP_PRIVATE_KEY: PEM,
};
const VALUES = [
  'api-token-for-the-process-log-1',
  'git-token-for-the-process-log-2',
  'webhook-secret-with-"quotes"-3',
  'redis-password-for-the-log-4',
  'sk-model-key-for-the-log-5',
];

function processLogger() {
  const config = loadConfig(
    { ...SECRETS, REDIS_URL: 'redis://127.0.0.1:6379', LLM_BASE_URL: 'http://127.0.0.1:1/v1', LLM_MODEL: 'm' },
    'all',
  );
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) }, { secrets: config.secrets });
  return { logger, lines };
}

describe('the process log', () => {
  it('hides every configured secret in messages, error messages, stacks, nested fields and bindings', () => {
    const { logger, lines } = processLogger();
    const err = new Error(`clone failed for https://example.test/${VALUES[1]}/repo.git with key ${VALUES[4]}`, {
      cause: new Error(`AUTH ${VALUES[3]} refused`),
    });
    logger
      .child({ component: 'worker', note: VALUES[0] })
      .error({ err, detail: { deep: [VALUES[2]] } }, `failed: ${VALUES[2]}`);
    logger.warn({ key: PEM }, 'app key loaded');
    const text = lines.join('');
    for (const value of [
      ...VALUES,
      JSON.stringify(VALUES[2]).slice(1, -1),
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
    ])
      expect(text).not.toContain(value);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, any>);
    // pino appends the cause's message.
    expect(entries[0]!.err.message).toBe(
      `clone failed for https://example.test/${REDACTED}/repo.git with key ${REDACTED}: AUTH ${REDACTED} refused`,
    );
    expect(entries[0]!.msg).toBe(`failed: ${REDACTED}`);
    expect(entries[0]!.note).toBe(REDACTED);
    expect(entries[0]!.detail.deep).toEqual([REDACTED]);
  });

  it('hides URL credentials, Authorization headers and GitHub tokens nobody configured', () => {
    const { logger, lines } = processLogger();
    const installation = `ghs_${'x1Y2'.repeat(9)}`;
    logger.error(
      { err: new Error(`git fetch https://x-access-token:${installation}@github.example/o/r.git failed`) },
      'fetch_failed',
    );
    logger.warn({ url: 'https://tok-0123456789@git.example/o/r' }, 'clone');
    logger.info(`sent Authorization: Bearer opaque-bearer-0123 and authorization=token opaque-token-4567`);
    logger.info(
      {
        headers: { authorization: 'token abc-structured', cookie: 'session=s3cr3t' },
        request: { headers: { authorization: 'Bearer xyz-req' } },
      },
      'request',
    );
    const text = lines.join('');
    for (const value of [
      installation,
      'tok-0123456789',
      'opaque-bearer-0123',
      'opaque-token-4567',
      'abc-structured',
      's3cr3t',
      'xyz-req',
    ])
      expect(text).not.toContain(value);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, any>);
    expect(entries[0]!.err.message).toBe(`git fetch https://x-access-token:${REDACTED}@github.example/o/r.git failed`);
    expect(entries[1]!.url).toBe(`https://${REDACTED}@git.example/o/r`);
    expect(entries[2]!.msg).toBe(`sent Authorization: Bearer ${REDACTED} and authorization=token ${REDACTED}`);
  });

  it('leaves lines without credentials exactly as pino wrote them', () => {
    const { logger, lines } = processLogger();
    logger.info({ url: 'https://github.example/o/r.git', n: 3 }, 'clone "quoted" \\ done');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      url: 'https://github.example/o/r.git',
      n: 3,
      msg: 'clone "quoted" \\ done',
    });
    expect(redactCredentialShapes('git@github.example:o/r.git and mailto:a@b.example')).toBe(
      'git@github.example:o/r.git and mailto:a@b.example',
    );
  });
});
