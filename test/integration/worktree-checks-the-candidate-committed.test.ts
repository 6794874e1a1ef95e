// A candidate fix is checked as CI checks a commit (Worktree.onCandidate): during the check the
// tree is clean to every git check, and afterwards HEAD, the index (the checkpoint) and the
// worktree are what the fixer rounds expect; the patch is what the check ran on.
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../src/fixer/git.js';
import { checkedOutWorktree, usePipelineEnvironment } from '../support/fix-pipeline.js';

const { fixtures, provider } = usePipelineEnvironment();

async function checkout() {
  const { sandbox, runner, worktree, sha } = await checkedOutWorktree(
    provider(),
    await fixtures.repo('eslint'),
    'candidate',
  );
  const git = async (command: string) => {
    const result = await runner.run(command, { cwd: REPO_DIR });
    return { code: result.exitCode, out: result.output.trim() };
  };
  return { sandbox, worktree, sha, git };
}

describe('the candidate as a temporary commit', () => {
  it('every git check sees a clean tree during the check; then HEAD, the checkpoint and the worktree are back', async () => {
    const { sandbox, worktree, sha, git } = await checkout();
    await sandbox.writeFile('repo/build.log', 'output of the command, before any fix');
    const before = await worktree.untracked();
    // A kept fixer (staged by its checkpoint), then the fixer being checked: an edit and a new file.
    await sandbox.writeFile('repo/package.json', '{ "name": "kept" }\n');
    await worktree.checkpoint(before);
    await sandbox.writeFile('repo/src/count.js', 'export default 1;\n');
    await sandbox.writeFile('repo/src/added.js', 'export const added = true;\n');

    const seen = await worktree.onCandidate(before, async () => {
      const checks = {
        diff: await git('git diff --exit-code'),
        quiet: await git('git diff --quiet HEAD'),
        cached: await git('git diff --cached --quiet'),
        status: await git('git status --porcelain --untracked-files=all -- src package.json'),
        author: await git('git log -1 --format=%an%n%ae%n%s'),
        parent: await git('git rev-parse HEAD~1'),
      };
      // What the check itself writes stays in the worktree, and is not part of what it checked.
      await sandbox.writeFile('repo/src/count.js', 'export default 2;\n');
      return checks;
    });
    expect(seen.diff).toEqual({ code: 0, out: '' });
    expect(seen.quiet.code).toBe(0);
    expect(seen.cached.code).toBe(0);
    expect(seen.status).toEqual({ code: 0, out: '' });
    expect(seen.author.out).toBe(
      'ci-fixer\nci-fixer@localhost.invalid\nci-fixer: candidate fix (temporary, never pushed)',
    );
    expect(seen.parent.out).toBe(sha);

    expect((await git('git rev-parse HEAD')).out).toBe(sha);
    expect((await git('git symbolic-ref -q HEAD')).code).toBe(1); // detached, as checked out
    expect((await git('git diff --cached --name-only')).out).toBe('package.json'); // the checkpoint
    expect((await git('git diff --name-only')).out).toBe('src/count.js');
    expect((await git('git status --porcelain -- src/added.js build.log')).out).toBe('?? build.log\n?? src/added.js');
    expect((await sandbox.readFile('repo/src/count.js')).toString()).toBe('export default 2;\n');

    const { patch } = await worktree.patch(before, 1 << 20);
    expect(patch.match(/^diff --git a\/(\S+)/gm)).toEqual([
      'diff --git a/package.json',
      'diff --git a/src/added.js',
      'diff --git a/src/count.js',
    ]);
    expect(patch).toContain('+export default 1;');
    expect(patch).not.toContain('export default 2;');
    expect(patch).not.toContain('build.log');

    // Undoing the fixer goes back to the checkpoint, as before.
    await worktree.restore(before);
    expect((await git('git status --porcelain -- src package.json')).out).toBe('M  package.json');
  });

  it('a check that throws still leaves HEAD and the index as they were', async () => {
    const { sandbox, worktree, sha, git } = await checkout();
    const before = await worktree.untracked();
    await sandbox.writeFile('repo/src/count.js', 'export default 1;\n');
    await expect(
      worktree.onCandidate(before, async () => Promise.reject(new Error('the sandbox went away'))),
    ).rejects.toThrow('the sandbox went away');
    expect((await git('git rev-parse HEAD')).out).toBe(sha);
    expect((await git('git diff --cached --quiet')).code).toBe(0);
    expect((await git('git diff --name-only')).out).toBe('src/count.js');
  });
});
