// "Tree differs after generation": git's own output of the diff and status checks (captured in
// test/fixtures/outputs/git-diff/), as the failing step of a chained command, and what the
// generated fixer reads from the command (which steps generate, which paths the check looks at).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { checkPathspec, isPureTreeCheck, seesUntracked } from '../../src/fixer/diagnosis/generated.js';
import { generatedFixer, generation } from '../../src/fixer/fixers/generated/index.js';
import { FIXERS } from '../../src/fixer/fixers/index.js';
import { capturedOutput } from '../support/captured-outputs.js';

const FILES = new Set(['go.mod', 'go.sum', 'src/gen/routes.js', 'main.go']);

/** The captured check as step 1 of `<generator> && <check>`, as the pipeline diagnoses it. */
function diagnoseStep(name: string, generator = 'go mod tidy') {
  const out = capturedOutput('git-diff', name);
  const command = `${generator} && ${out.command}`;
  return diagnose({
    command,
    exitCode: out.exitCode,
    output: out.output,
    step: { index: 1, command: out.command },
    files: FILES,
  });
}

describe('tree check diagnosis', () => {
  it('git diff --exit-code: names the changed files from the diff headers', () => {
    const d = diagnoseStep('exit-code');
    expect(d).toMatchObject({ tool: 'git-diff', category: 'generated' });
    expect(d.locations.map((l) => l.path)).toEqual(['go.mod', 'go.sum', 'src/gen/routes.js']);
    expect(d.excerpt).toContain('diff --git a/go.mod b/go.mod');
    expect(d.excerpt).toContain('+require github.com/google/uuid v1.6.0');
    expect(d.summary).toBe(
      "tree differs after generation: the command's own steps changed go.mod, go.sum, src/gen/routes.js and its diff check (`git diff --exit-code`) failed (generated)",
    );
  });

  it('git diff --quiet prints nothing: the command is the evidence, and the summary says no file was named', () => {
    const d = diagnoseStep('quiet', 'cargo fmt');
    expect(d).toMatchObject({ tool: 'git-diff', category: 'generated', locations: [] });
    expect(d.excerpt).toEqual(['git diff --quiet: the tree differs (no file list printed)']);
    expect(d.summary).toMatch(/changed files and its diff check \(`git diff --quiet`\) failed \(generated\)$/);
  });

  it('--name-only, --stat and status --porcelain lists name their files too', () => {
    expect(diagnoseStep('name-only').locations.map((l) => l.path)).toEqual(['go.mod', 'go.sum', 'src/gen/routes.js']);
    expect(diagnoseStep('stat-pathspec', 'npm run generate').locations.map((l) => l.path)).toEqual([
      'src/gen/routes.js',
    ]);
    // The new file is not in the checkout's file list, so only the tracked ones remain as locations.
    expect(diagnoseStep('porcelain', 'make fmt').locations.map((l) => l.path)).toEqual([
      'go.mod',
      'go.sum',
      'src/gen/routes.js',
    ]);
  });

  it("a check inside a script (make verify) is recognised by git's diff format alone, at lower confidence", () => {
    const out = capturedOutput('git-diff', 'exit-code');
    const d = diagnose({
      command: 'make verify',
      exitCode: 2,
      output: `go mod tidy\ngit diff --exit-code\n${out.output}make: *** [Makefile:2: verify] Error 1\n`,
      files: FILES,
    });
    expect(d).toMatchObject({ tool: 'git-diff', category: 'generated' });
    // Output that only looks like a diff, from a command that runs no check, is not a tree check.
    expect(diagnose({ command: 'node test.js', exitCode: 1, output: '--- a/x\n+++ b/x\n-old\n+new\n' }).tool).not.toBe(
      'git-diff',
    );
  });

  it('a passing check is no failure, and only the generated fixer detects the failing one', () => {
    const out = capturedOutput('git-diff', 'exit-code');
    expect(diagnose({ command: out.command, exitCode: 0, output: out.output }).tool).not.toBe('git-diff');
    const d = diagnoseStep('exit-code');
    const failure = { command: 'git diff --exit-code', exitCode: 1, output: out.output, diagnosis: d };
    expect(FIXERS.filter((f) => f.detect(failure)).map((f) => f.name)).toEqual(['generated']);
    expect(generatedFixer.detect({ ...failure, diagnosis: diagnoseStep('quiet') })).toBe(true);
  });
});

describe('what the generated fixer reads from the command', () => {
  it('the steps before a pure check generate; a step that checks its own output generates itself', () => {
    const tidy = 'cd mod && go mod tidy && git diff --exit-code && go test ./...';
    expect(generation(tidy, { index: 2, command: 'git diff --exit-code' })).toEqual({
      script: '{ cd mod\n} && { go mod tidy\n}',
      check: 'git diff --exit-code',
      pure: true,
    });
    expect(generation('make verify', null)).toMatchObject({ script: '{ make verify\n}', pure: false });
    // Nothing runs before the check: nothing generated, nothing to keep.
    expect(
      generation('git diff --exit-code && go test ./...', { index: 0, command: 'git diff --exit-code' }),
    ).toBeNull();
    // A chain whose failing step is unknown.
    expect(generation('go generate ./... && git diff --quiet', null)).toBeNull();
  });

  it('tells the check apart from a step that generates, and reads its pathspec and whether it counts untracked files', () => {
    expect(isPureTreeCheck('git diff --exit-code -- src/gen')).toBe(true);
    expect(isPureTreeCheck('test -z "$(git status --porcelain)"')).toBe(true);
    expect(isPureTreeCheck('[ -z "$(git status -s)" ]')).toBe(true);
    expect(isPureTreeCheck('git --no-pager diff --quiet')).toBe(true);
    expect(isPureTreeCheck('go generate ./... && git diff --exit-code')).toBe(false);
    expect(checkPathspec('git diff --exit-code -- src/gen api/openapi.json')).toEqual(['src/gen', 'api/openapi.json']);
    expect(checkPathspec('test -z "$(git status --porcelain -- dist)"')).toEqual(['dist']);
    expect(checkPathspec('git diff --exit-code')).toBeNull();
    expect(seesUntracked('test -z "$(git status --porcelain)"')).toBe(true);
    expect(seesUntracked('test -z "$(git status --porcelain -uno)"')).toBe(false);
    expect(seesUntracked('git diff --exit-code')).toBe(false);
  });
});
