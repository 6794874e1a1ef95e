// The process log (pino, stdout) as a built worker writes it: a library error that quotes a URL
// with credentials and configured secrets in it (here the Kubernetes client refusing the API
// server URL of a kubeconfig) shows neither the secrets nor the URL's password, on any line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchCiFixer, type LaunchedCiFixer } from '../support/ci-fixer-process.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';

const GIT_TOKEN = 'plain-git-token-without-a-known-shape-0123';
const EXTRA = 'redact-me-in-the-process-log-42';
const URL_PASSWORD = 'url-password-nobody-configured-77';
/** An installation-token-shaped value: minted per task, so never in the config. */
const INSTALLATION_TOKEN = `ghs_${'A1b2C3d4'.repeat(5)}`;
const NEVER_LOGGED = [GIT_TOKEN, EXTRA, URL_PASSWORD, INSTALLATION_TOKEN];

describe('the process log', () => {
  const prefix = uniquePrefix('e2e-process-log');
  let dir: string;
  let worker: LaunchedCiFixer | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-process-log-'));
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    const redis = connect();
    await deletePrefix(redis, prefix).finally(() => redis.quit());
    await rm(dir, { recursive: true, force: true });
  });

  it('hides configured secrets and URL credentials inside error messages and stacks', async () => {
    // Port 9 (discard) on loopback: the client refuses the URL before it would connect anywhere.
    const server = `https://x-access-token:${URL_PASSWORD}@127.0.0.1:9/${GIT_TOKEN}/${EXTRA}/${INSTALLATION_TOKEN}`;
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
        'users: [{ name: u, user: { token: kube-user-token-0123456789 } }]',
        'contexts: [{ name: c, context: { cluster: c, user: u } }]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    worker = launchCiFixer('worker', {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      SANDBOX_DRIVER: 'kubernetes',
      KUBECONFIG: kubeconfig,
      SANDBOX_NAMESPACE: 'ci-fixer-process-log',
      GIT_TOKEN,
      REDACT: EXTRA,
    });
    const failed = await worker.waitForLog('pod_watch_error', () => true, 60_000);
    const err = failed.err as { message: string; stack: string };
    // The error was logged, with what is safe to read left in place.
    expect(err.message).toContain(
      'Request cannot be constructed from a URL that includes credentials: https://x-access-token:[redacted]@127.0.0.1:9/[redacted]/[redacted]/[redacted]/api/v1/',
    );
    expect(err.stack).toContain('x-access-token:[redacted]@127.0.0.1:9/');
    await worker.stop('SIGKILL');
    const output = worker.output();
    expect(output).toContain('pod_watch_error');
    for (const secret of NEVER_LOGGED) expect(output).not.toContain(secret);
    // Every line is still JSON a log collector can read.
    for (const entry of worker.logs) expect(entry.msg).not.toBe('raw');
  });
});
