// Failures as users' repositories have them, through the real pipeline on the local sandbox: a
// monorepo's check after `cd` is fixed in that package only, a tool the sandbox lacks is named
// with where to add it, and a failure that passes on a re-run is a flaky one, not "unfixable".
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitRepo, type FileMap } from '../../scripts/lib/git-fixtures.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

const { fixtures, provider } = usePipelineEnvironment();
const SLOW = 180_000;

async function userRepo(label: string, files: FileMap, command: string) {
  return commitRepo(path.join(await fixtures.tempDir(`user-${label}`), 'repo'), files, command, 'initial');
}

describe('user repositories', () => {
  it(
    'fixes a monorepo package checked after `cd` in that package only, and names its files',
    async () => {
      const repo = await userRepo(
        'monorepo',
        {
          // The root and a sibling package are unformatted too, but the check never looks at them.
          'package.json': '{ "name": "mono", "private": true, "workspaces": ["packages/*"] }\n',
          'packages/api/index.js': 'const  x = {a:1}\n',
          'packages/web/package.json': '{ "name": "web", "version": "1.0.0", "private": true }\n',
          'packages/web/src/app.js': 'export const App = ()=>{ return {title:"x"} }\n',
        },
        'cd packages/web && npx prettier@3.3.3 --check .',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      const result = run.result!;
      expect(result).toMatchObject({ outcome: 'fixed', fixers: ['prettier'] });
      expect(result.diagnosis?.locations.map((l) => l.path)).toEqual([
        'packages/web/package.json',
        'packages/web/src/app.js',
      ]);
      expect(result.diagnosis?.summary).toBe('prettier failed in packages/web/package.json (format)');
      expect(result.patch.match(/^diff --git a\/(\S+)/gm)).toEqual([
        'diff --git a/packages/web/package.json',
        'diff --git a/packages/web/src/app.js',
      ]);

      const check = path.join(await fixtures.tempDir('user-monorepo-check'), 'clone');
      expect((await sh(`git clone --quiet ${repo.url} ${check}`, process.cwd())).code).toBe(0);
      await writeFile(path.join(check, 'fix.patch'), result.patch);
      expect(await sh('git apply fix.patch && rm fix.patch', check)).toMatchObject({ code: 0 });
      expect(await sh(repo.command, check)).toMatchObject({ code: 0 });
    },
    SLOW,
  );

  it(
    'names a tool the sandbox lacks, after the fixers did what they could',
    async () => {
      const repo = await userRepo(
        'missing-tool',
        { 'main.tf': 'variable "x" {\n  default="a"\n}\n' },
        'terraform fmt -check && cifixer-test-linter-not-installed --recursive',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'not_fixed' });
      expect(run.result!.reason).toMatch(
        /^tool missing after terraform-fmt: cifixer-test-linter-not-installed not found: add it to setup in \.ci-fixer\.yml \(.*cifixer-test-linter-not-installed: (?:command )?not found\)$/,
      );
    },
    SLOW,
  );

  it(
    'says a failure that passes on a re-run with nothing changed is flaky',
    async () => {
      const repo = await userRepo(
        'flaky',
        {
          '.gitignore': '.warm\n',
          // Fails on a cold checkout only, like a test racing a cache.
          'test.sh':
            '#!/bin/sh\nif [ ! -f .warm ]; then touch .warm; echo "ECONNRESET while fetching fixture" >&2; exit 1; fi\necho ok\n',
        },
        'sh test.sh',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'not_reproduced', patch: '', fixers: [] });
      expect(run.result!.reason).toMatch(/passed on a re-run with nothing changed: a flaky failure/);
      expect(run.result!.commands.filter((c) => c.command === 'sh test.sh').map((c) => c.exitCode)).toEqual([1, 0]);
    },
    SLOW,
  );

  it(
    "reproduces a workflow block whose earlier line fails though its last line passes, as a CI runner's set -e does",
    async () => {
      const files = { 'check.sh': '#!/bin/sh\necho "lint: 2 problems" >&2\nexit 1\n' };
      for (const [name, command] of [
        ['lines', 'sh check.sh\necho done'],
        ['lines-set-e', 'set -e\necho installing\nsh check.sh\necho done'],
      ] as const) {
        const run = await runPipeline(provider(), specFor(await userRepo(name, files, command)));
        expect(run.result).toMatchObject({ outcome: 'not_fixed' });
        const step = command.split('\n').indexOf('sh check.sh');
        expect(run.result!.diagnosis).toMatchObject({ step: { index: step, command: 'sh check.sh' } });
        expect(run.result!.diagnosis!.excerpt).toContain('lint: 2 problems');
        // The failing line ended the run: the next line never printed.
        expect(run.logs.some((l) => l.text === 'done')).toBe(false);
      }
    },
    SLOW,
  );

  it(
    'stops a single compound step spanning lines at its failing line, as set -e does in CI',
    async () => {
      const files = { 'check.sh': '#!/bin/sh\necho "lint: 2 problems" >&2\nexit 1\n' };
      const run = await runPipeline(
        provider(),
        specFor(await userRepo('block', files, 'if true; then\n  sh check.sh\n  echo done\nfi')),
      );
      expect(run.result).toMatchObject({ outcome: 'not_fixed' });
      expect(run.result!.diagnosis!.excerpt).toContain('lint: 2 problems');
      expect(run.logs.some((l) => l.text === 'done')).toBe(false);
    },
    SLOW,
  );

  it(
    'asks the sandbox for a command once per fixer run',
    async () => {
      const repo = await userRepo(
        'go-fmt',
        {
          'go.mod': 'module example.com/qa\n\ngo 1.21\n',
          'calc.go': 'package calc\n\nfunc Add(a int,b int) int {\n  return a+b\n}\n',
        },
        'go vet ./... && test -z "$(gofmt -l .)"',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['gofmt'] });
      expect(run.result!.commands.filter((c) => c.command === 'command -v go >/dev/null 2>&1')).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'formats only what the prettier check behind an npm script looked at',
    async () => {
      const repo = await userRepo(
        'prettier-script',
        {
          'package.json':
            '{ "name": "app", "private": true, "scripts": { "format:check": "npx prettier@3.3.3 --check \\"src/**/*.js\\"" } }\n',
          'data.json': '{"not":"checked"}\n',
          'src/a.js': 'export const a = {x:1,\n y:2}\n',
        },
        'npm run format:check',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['prettier'] });
      expect(run.result!.commands.map((c) => c.command).filter((c) => / --write /.test(c))).toEqual([
        expect.stringMatching(/prettier --write "src\/\*\*\/\*\.js"$/),
      ]);
      expect(run.result!.patch.match(/^diff --git a\/(\S+)/gm)).toEqual(['diff --git a/src/a.js']);
    },
    SLOW,
  );

  it(
    'leaves out of the patch what the verifying build wrote (a go build binary), keeping the go.sum the fix wrote',
    async () => {
      const repo = await userRepo(
        'go-sum',
        {
          'go.mod': 'module example.com/qa/gosum\n\ngo 1.21\n\nrequire github.com/google/uuid v1.6.0\n',
          'main.go':
            'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/google/uuid"\n)\n\nfunc main() {\n\tfmt.Println(uuid.NewString())\n}\n',
        },
        // A single main package: `go build` writes the binary `gosum` once it builds.
        'go build . && go vet ./...',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['go-mod-tidy'] });
      expect(run.result!.patch.match(/^diff --git a\/(\S+)/gm)).toEqual(['diff --git a/go.sum']);
    },
    SLOW,
  );
});
