// Applies a task's patch to a clean checkout, as a user taking the fix would.
import { spawn } from 'node:child_process';
import { git } from './git-fixtures.js';

/** `git apply` of `patch` in `dir`; rejects with git's message when it does not apply. */
export function applyPatch(dir: string, patch: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['apply', '--whitespace=nowarn', '-'], {
      cwd: dir,
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git apply failed (${code}): ${stderr.trim()}`)),
    );
    child.stdin.end(patch);
  });
}

/**
 * The patch applied and committed in `dir`, as CI checks a fix: on a clean checkout of a commit,
 * so checks such as `git diff --exit-code` see the fix as part of the tree.
 */
export async function commitPatch(dir: string, patch: string): Promise<void> {
  await applyPatch(dir, patch);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '--no-verify', '--message', 'the ci-fixer patch']);
}
