// GIT_CA_FILE: a Git server behind a private CA (here the https test server's throwaway
// certificate). Without the extra CA the sandbox's git refuses the clone; with it the clone
// works, the sandbox's own system bundle stays trusted beside it, and the bundle never reaches the
// checkout, its files or the patch.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createFixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { InfrastructureError } from '../../src/errors.js';
import { SYSTEM_CA_BUNDLES } from '../../src/fixer/git-ca.js';
import { runPipeline, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';

// The sandbox gets the host's trust store and nothing else: no variable that would add the CA.
const { GIT_SSL_CAINFO: _a, SSL_CERT_FILE: _b, GIT_SSL_NO_VERIFY: _c, ...hostEnv } = process.env;
const { fixtures, provider } = usePipelineEnvironment({ baseEnv: hostEnv });

describe('GIT_CA_FILE on the local sandbox driver', () => {
  let server: GitHttpsServer;
  let url: string;
  let ca: string;

  beforeAll(async () => {
    const root = await fixtures.tempDir('private-ca');
    await createFixtureRepo(path.join(root, 'app.git'), 'prettier');
    server = await startGitHttpsServer(root, () => true);
    url = `${server.baseUrl}app.git`;
    ca = await readFile(server.caFile, 'utf8');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses the clone from a server whose CA the sandbox does not trust', async () => {
    const run = await runPipeline(provider(), { repo: { url, ref: 'main' }, command: 'npx prettier --check .' });
    expect(run.error).toBeInstanceOf(InfrastructureError);
    expect((run.error as InfrastructureError).code).toBe('git_failed');
    expect(String((run.error as Error).cause)).toMatch(/certificate/i);
  });

  it('clones with the extra CA beside the system bundle, and keeps the bundle out of the checkout and the patch', async () => {
    const run = await runPipeline(
      provider(),
      { repo: { url, ref: 'main' }, command: 'npx prettier --check .' },
      { gitCaBundle: ca },
    );
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'prettier' });
    const patch = run.result?.patch ?? '';
    expect(patch).toContain('src/greet.js');
    expect(patch).not.toContain('BEGIN CERTIFICATE');
    expect(patch).not.toContain('git-ca');

    // The combined bundle: the host's system bundle (what the image trusts), then the extra CA.
    const bundle = (await run.sandbox.readFile('.ci-fixer/git-ca-bundle.pem')).toString();
    expect(bundle.endsWith(ca)).toBe(true);
    const system = SYSTEM_CA_BUNDLES.find((f) => existsSync(f));
    if (system !== undefined) expect(bundle.startsWith(await readFile(system, 'utf8'))).toBe(true);

    // Nothing of it in the repository's files, tracked or not.
    const files = await readdir(path.join(run.sandbox.workdir, 'repo'), { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile() && !f.parentPath.includes(`${path.sep}.git`))) {
      const content = await readFile(path.join(file.parentPath, file.name), 'utf8');
      expect(content.includes('BEGIN CERTIFICATE'), file.name).toBe(false);
    }
    const gitConfig = (await run.sandbox.readFile('repo/.git/config')).toString();
    expect(gitConfig).not.toContain('sslCAInfo');
    // The log names the step, not the certificate.
    expect(run.logs.some((l) => l.text.includes("combine the sandbox's CA bundle with GIT_CA_FILE"))).toBe(true);
    expect(run.logs.some((l) => l.text.includes('BEGIN CERTIFICATE'))).toBe(false);
  });
});
