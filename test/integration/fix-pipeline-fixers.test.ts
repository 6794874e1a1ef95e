// The eslint and npm-lockfile fixers on real repositories, the task's fixer selection, and how
// the checkout is diffed and reset between fixers.
import { describe, expect, it } from 'vitest';
import { checkedOutWorktree, runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('fixers', () => {
  it('eslint --fix repairs fixable lint errors', async () => {
    const repo = await fixtures.repo('eslint');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'eslint' });
    expect(run.result!.commands.map((c) => c.command)).toContain('npx eslint --fix .');
    expect(run.result!.patch).toContain('+let count = 1;');
    expect(run.result!.patch).toContain('+const unchanged = 2;');
    // The last command is the proof: the whole command on a fresh checkout with the patch.
    expect(run.result!.commands.at(-1)).toMatchObject({ command: 'npx eslint .', exitCode: 0 });
    expect(run.result!.proof).toMatchObject({ command: 'npx eslint .', exitCode: 0 });
  });

  it('npm install --package-lock-only brings the lock file back in sync for npm ci', async () => {
    const repo = await fixtures.repo('npm-lockfile');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'npm-lockfile' });
    expect(run.result!.patch).toMatch(/^diff --git a\/package-lock\.json b\/package-lock\.json$/m);
    expect(run.result!.patch).toContain('"demo-dep": "file:vendor/demo-dep"');
    // Only the lock file changes: node_modules installed by the verifying `npm ci` is ignored.
    expect(run.result!.patch.match(/^diff --git /gm)).toHaveLength(1);
  });

  it('tries only the fixers the task allows', async () => {
    const repo = await fixtures.repo('eslint');
    const run = await runPipeline(provider(), specFor(repo, { fixers: ['prettier', 'npm-lockfile'] }));
    expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null });
    expect(run.result!.commands.map((c) => c.command)).not.toContain('npx eslint --fix .');
  });
});

describe('worktree between fixers', () => {
  it('diffs new files made after the snapshot, but not earlier or ignored ones, and resets cleanly', async () => {
    const repo = await fixtures.repo('eslint');
    const { sandbox, worktree } = await checkedOutWorktree(provider(), repo, 'worktree');
    await sandbox.writeFile('repo/made-by-ci-command.txt', 'artifact');
    const before = await worktree.untracked();
    expect([...before]).toEqual(['made-by-ci-command.txt']);

    await sandbox.writeFile('repo/src/count.js', 'export default 1;\n');
    await sandbox.writeFile("repo/src/new 'file'.js", 'export const added = true;\n');
    await sandbox.writeFile('repo/node_modules/dep/index.js', 'ignored');
    const { patch, truncated } = await worktree.patch(before, 1 << 20);
    expect(truncated).toBe(false);
    expect(patch).toContain('diff --git a/src/count.js b/src/count.js');
    expect(patch).toContain('new file mode 100644');
    expect(patch).toContain('+export const added = true;');
    expect(patch).not.toContain('made-by-ci-command');
    expect(patch).not.toContain('node_modules');

    await worktree.reset(before);
    expect((await sandbox.readFile('repo/src/count.js')).toString()).toContain('var count = 1;');
    await expect(sandbox.readFile("repo/src/new 'file'.js")).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await sandbox.readFile('repo/made-by-ci-command.txt')).toString()).toBe('artifact');
    const { patch: afterReset } = await worktree.patch(before, 1 << 20);
    expect(afterReset).toBe('');
  });
});
