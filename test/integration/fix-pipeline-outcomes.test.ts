// The pipeline end to end on real fixture repositories: fixed (prettier), not_fixed,
// not_reproduced, and a task that runs out of time or is cancelled.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError, TaskError } from '../../src/errors.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('fix pipeline outcomes', () => {
  it('fixes a prettier check failure with a patch that makes the check pass', async () => {
    const repo = await fixtures.repo('prettier');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    const result = run.result!;
    expect(result).toMatchObject({ outcome: 'fixed', fixer: 'prettier', patchTruncated: false });
    expect(run.phases).toEqual(['cloning', 'reproducing', 'fixing', 'verifying']);
    const commands = result.commands.map((c) => c.command);
    expect(commands[0]).toBe(`git clone --no-checkout --quiet -- ${repo.url} repo`);
    // Reproduce, the recheck after prettier, and the proof on a fresh checkout.
    expect(commands.filter((c) => c === 'npx prettier --check .')).toHaveLength(3);
    expect(commands.filter((c) => c === `git clone --no-checkout --quiet -- ${repo.url} repo`)).toHaveLength(2);
    expect(commands).toContain('git apply --index (the patch, exactly)');
    expect(result.proof).toMatchObject({
      commit: repo.commit,
      command: 'npx prettier --check .',
      exitCode: 0,
      patchSha256: createHash('sha256').update(result.patch).digest('hex'),
    });
    expect(result.proof?.sandbox).toMatch(/^local:ci-fixer-.*-proof-/);
    expect(commands).toContain('npx prettier --write .');
    expect(result.commands.filter((c) => c.timedOut)).toEqual([]);
    // Output of each command went to the log as it ran.
    expect(run.logs).toContainEqual({ stream: 'system', text: '$ npx prettier --check .' });
    expect(run.logs.some((l) => l.stream !== 'system' && /Code style issues found/.test(l.text))).toBe(true);
    expect(run.logs).toContainEqual({ stream: 'system', text: `checked out main at ${repo.commit}` });

    expect(result.patch).toMatch(/^diff --git a\/data\/settings\.json b\/data\/settings\.json$/m);
    expect(result.patch).toMatch(/^\+export function greet\(name\) \{$/m);
    // Applied to a fresh clone, the patch makes the original CI command pass.
    const check = path.join(await fixtures.tempDir('check'), 'clone');
    expect((await sh(`git clone --quiet ${repo.url} ${check}`, process.cwd())).code).toBe(0);
    expect((await sh('npx prettier --check .', check)).code).not.toBe(0);
    await writeFile(path.join(check, 'fix.patch'), result.patch);
    const applied = await sh('git apply --whitespace=nowarn fix.patch && rm fix.patch', check);
    expect(applied).toMatchObject({ code: 0 });
    expect(await sh('npx prettier --check .', check)).toMatchObject({ code: 0 });
  });

  it('caps a patch larger than patchMaxBytes and flags it', async () => {
    const repo = await fixtures.repo('prettier');
    const run = await runPipeline(provider(), specFor(repo), { patchMaxBytes: 120 });
    expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'prettier', patchTruncated: true });
    expect(Buffer.byteLength(run.result!.patch)).toBeLessThanOrEqual(120);
    expect(run.result!.patch.startsWith('diff --git ')).toBe(true);
  });

  it('ends not_fixed when the applicable fixer does not make the command pass', async () => {
    const repo = await fixtures.repo('prettier-still-failing');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null, patch: '', patchTruncated: false });
    const commands = run.result!.commands.map((c) => c.command);
    expect(commands).toContain('npx prettier --write .');
    expect(commands.filter((c) => c === repo.command)).toHaveLength(2);
    expect(run.phases).toEqual(['cloning', 'reproducing', 'fixing', 'verifying']);
  });

  it('ends not_fixed without trying anything when no fixer recognises the failure', async () => {
    const repo = await fixtures.repo('unfixable');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null, patch: '' });
    expect(run.result!.commands.at(-1)).toMatchObject({ command: 'node test.js', exitCode: 1 });
    expect(run.phases).toEqual(['cloning', 'reproducing']);
    expect(run.logs).toContainEqual({ stream: 'stderr', text: 'expected 2 but got 3' });
  });

  it('ends not_reproduced when the command passes', async () => {
    const repo = await fixtures.repo('passing');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.result).toMatchObject({ outcome: 'not_reproduced', fixer: null, patch: '' });
    expect(run.result!.commands.at(-1)).toMatchObject({ command: 'node test.js', exitCode: 0 });
    expect(run.logs).toContainEqual({ stream: 'stdout', text: 'all good' });
  });

  it('fails with task_timeout when the time budget runs out during a command', async () => {
    const repo = await fixtures.repo('passing');
    const run = await runPipeline(provider(), specFor(repo, { command: 'echo started; sleep 120' }), {
      timeoutSeconds: 4,
    });
    expect(run.error).toBeInstanceOf(TaskError);
    expect(run.error).toMatchObject({ code: 'task_timeout' });
    expect(run.logs).toContainEqual({ stream: 'stdout', text: 'started' });
  });

  it('stops with CancelledError when the task is cancelled mid-command', async () => {
    const repo = await fixtures.repo('passing');
    const controller = new AbortController();
    const run = await runPipeline(provider(), specFor(repo, { command: 'echo started; sleep 120' }), {
      signal: controller.signal,
      log: (_stream, text) => {
        if (text === 'started') controller.abort();
      },
    });
    expect(run.error).toBeInstanceOf(CancelledError);
  });
});
