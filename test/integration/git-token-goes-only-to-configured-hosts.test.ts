// GIT_TOKEN is sent only to GIT_TOKEN_HOSTS. A task naming any other https host (an attacker's
// git server here: a second loopback server that accepts anyone) is cloned without credentials.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo } from '../../scripts/lib/git-fixtures.js';
import type { FixWorker } from '../../workers/worker.js';
import { Fixtures } from '../support/fix-pipeline.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, startStackWorker, untilFinal, type QueueStack } from '../support/queue-stack.js';

const TOKEN = 'ghs_CloneTokenForTheTrustedHost123';
const basic = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;

describe('GIT_TOKEN_HOSTS', () => {
  const fixtures = new Fixtures();
  let trusted: GitHttpsServer;
  let attacker: GitHttpsServer;
  let stack: QueueStack;
  let worker: FixWorker;

  beforeAll(async () => {
    const trustedRoot = await fixtures.tempDir('trusted');
    const attackerRoot = await fixtures.tempDir('attacker');
    await createFixtureRepo(path.join(trustedRoot, 'private.git'), 'passing');
    await createFixtureRepo(path.join(attackerRoot, 'bait.git'), 'passing');
    trusted = await startGitHttpsServer(trustedRoot, { user: 'x-access-token', password: TOKEN });
    attacker = await startGitHttpsServer(attackerRoot, () => true);
    // One CA bundle that trusts both throwaway certificates.
    const bundle = path.join(await fixtures.tempDir('ca'), 'bundle.pem');
    await writeFile(bundle, (await readFile(trusted.caFile, 'utf8')) + (await readFile(attacker.caFile, 'utf8')));
    stack = createQueueStack();
    const { provider } = await startLocalProvider({ baseEnv: { ...process.env, GIT_SSL_CAINFO: bundle } });
    worker = await startStackWorker(stack, {
      sandboxes: provider,
      gitToken: { token: TOKEN, hosts: [new URL(trusted.baseUrl).host] },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await trusted?.close();
    await attacker?.close();
    await fixtures.cleanup();
  });

  it('sends the token to a configured host', async () => {
    // Submitted as the API does for a token that may use GIT_TOKEN (repository scopes, or the only token).
    const { id } = await stack.tasks.submit(
      { repo: { url: `${trusted.baseUrl}private.git`, ref: 'main' }, command: 'true' },
      { submittedBy: 'owner', cloneWithGitToken: true },
    );
    const task = await untilFinal(stack, id);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced' } });
    expect(trusted.authorizations).toContain(basic);
  });

  it('clones from any other host without an Authorization header', async () => {
    const { id } = await stack.tasks.submit(
      { repo: { url: `${attacker.baseUrl}bait.git`, ref: 'main' }, command: 'true' },
      { submittedBy: 'owner', cloneWithGitToken: true },
    );
    const task = await untilFinal(stack, id);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced' } });
    expect(attacker.requests.length).toBeGreaterThan(0);
    expect(attacker.authorizations.filter((a) => a !== undefined)).toEqual([]);
  });
});
