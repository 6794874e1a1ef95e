// The bench:fix corpus's commands fail (or pass) for the case's own reason, run for real: gofmt,
// go test and cargo fmt, so this lives in the integration tier, which has the fixers' toolchains
// (the unit tier needs only Node and npm). The corpus's shape: test/unit/bench-corpus-builds-failing-repos.test.ts.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCase, CORPUS, kindOf } from '../../scripts/bench/corpus/index.js';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-bench-corpus-run-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function run(command: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const env = scrubbedEnv({ npm_config_yes: 'true', npm_config_update_notifier: 'false' });
    execFile('sh', ['-c', `(${command}) 2>&1`], { cwd, env, timeout: 60_000 }, (err, stdout) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, output: stdout }),
    );
  });
}

describe('bench:fix corpus commands', () => {
  // What each command prints when it fails (or passes) for the case's own reason.
  it.each([
    ['gofmt', /^$/], // the `test -z "$(gofmt -l .)"` idiom prints nothing
    ['go-passing', /^ok\s+example\.com\/demo\/pkg\/calc/m],
    ['js-node-test-logic-bug', /^ℹ fail 1$/m],
    ['js-npm-lockfile', /can only install packages when your package\.json and package-lock\.json/],
    ['rs-cargo-fmt', /^Diff in .*src\/lib\.rs/m],
    ['rs-cargo-fmt-diff-quiet', /^$/], // cargo fmt rewrites quietly, and `git diff --quiet` prints nothing
  ])(
    'case %s: its command fails, or passes when the case is green',
    async (name, printed) => {
      const c = CORPUS.find((candidate) => candidate.name === name);
      expect(c, name).toBeDefined();
      const repo = await buildCase(path.join(root, 'run'), c!);
      const { code, output } = await run(c!.command, repo.dir);
      if (kindOf(c!) === 'green') expect(code, output).toBe(0);
      else expect(code, output).not.toBe(0);
      expect(output).toMatch(printed);
    },
    60_000,
  );
});
