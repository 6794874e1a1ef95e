// The deployment guide's `npx tsx scripts/...` commands on a Node older than package.json's
// engines: one line naming the Node needed and how to get it, exit 1, instead of a stack trace
// from deep inside undici. The old Node is a real one the test brings (test/support/old-node.ts),
// not the machine's /usr/bin/node, whose version is the image's business.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { ensureOldNode, OLD_NODE_INSTALL_MS, OLD_NODE_MAJOR, type OldNode } from '../support/old-node.js';

const run = promisify(execFile);
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

let old: OldNode;
beforeAll(async () => {
  old = await ensureOldNode();
}, OLD_NODE_INSTALL_MS);

describe.each(['scripts/test-k8s-sandbox.ts', 'scripts/verify-k8s-deployment.ts'])('%s on an old Node', (script) => {
  it('fails with one line that says which Node is needed and how to get it', async () => {
    // The old Node alone on PATH, as in a shell whose `node` is that one: `npx tsx` runs
    // node_modules/.bin/tsx, whose `#!/usr/bin/env node` finds it there.
    const env = { PATH: old.binDir, HOME: process.env.HOME ?? '/tmp' };
    const { stdout: version } = await run('node', ['--version'], { env });
    expect(version.trim()).toMatch(new RegExp(`^v${OLD_NODE_MAJOR}\\.`));

    const failure = await run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [script], {
      cwd: REPO_ROOT,
      env,
      timeout: 50_000,
    }).then(
      () => undefined,
      (err: { code?: number; stdout?: string; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    const lines = (failure?.stderr ?? '').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^ci-fixer needs Node >= 22; this is Node v${OLD_NODE_MAJOR}\\.\\S+ \\(${literal(old.execPath)}\\)\\. Get one with: npm install -g .*node@24`,
      ),
    );
  }, 60_000);
});
