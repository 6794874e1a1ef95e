// The Go recognizers on what the real Go toolchain printed for the Go fixtures
// (test/fixtures/outputs/, re-captured by `npx tsx scripts/capture-go-outputs.ts`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUTS_DIR, type CapturedOutput } from '../../scripts/capture-go-outputs.js';
import { GO_FIXTURES, type GoFixtureName } from '../../scripts/lib/fixtures/go.js';
import { diagnose } from '../../src/fixer/diagnosis/index.js';

function captured(name: string): CapturedOutput {
  return JSON.parse(readFileSync(path.join(OUTPUTS_DIR, `${name}.json`), 'utf8')) as CapturedOutput;
}

/** Diagnoses a captured run, checking paths against the files of the fixture it ran on. */
function diagnoseCaptured(name: string) {
  const run = captured(name);
  const files = new Set(Object.keys(GO_FIXTURES[run.fixture as GoFixtureName].files));
  return diagnose({ command: run.command, exitCode: run.exitCode, output: run.output, files });
}

describe('go recognizers on captured output', () => {
  it('compiler errors: go-build with the file, line and column, from go build and from go test', () => {
    for (const name of ['go-build/build', 'go-build/under-go-test']) {
      const d = diagnoseCaptured(name);
      expect(d).toMatchObject({ tool: 'go-build', category: 'build' });
      expect(d.locations).toEqual([{ path: 'pkg/calc/calc.go', line: 5, column: 17 }]);
      expect(d.excerpt).toContain('pkg/calc/calc.go:5:17: undefined: offset');
      expect(d.summary).toBe('go-build failed in pkg/calc/calc.go:5 (build)');
    }
  });

  it('vet findings: go-vet (lint), bare under go vet and under the [pkg] header of go test', () => {
    for (const name of ['go-vet/vet', 'go-vet/under-go-test']) {
      const d = diagnoseCaptured(name);
      expect(d).toMatchObject({ tool: 'go-vet', category: 'lint' });
      expect(d.locations).toEqual([{ path: 'pkg/calc/describe.go', line: 7, column: 22 }]);
      expect(d.excerpt[0]).toMatch(/fmt\.Sprintf format %s has arg/);
    }
  });

  it('a failing test: go-test with the test file found in its package folder, and the FAIL lines', () => {
    for (const name of ['go-test/fail', 'go-test/fail-verbose']) {
      const d = diagnoseCaptured(name);
      expect(d).toMatchObject({ tool: 'go-test', category: 'test' });
      expect(d.locations).toEqual([{ path: 'pkg/calc/calc_test.go', line: 7, column: null }]);
      expect(d.excerpt).toEqual(
        expect.arrayContaining(['--- FAIL: TestAdd (0.00s)', 'calc_test.go:7: Add(2, 3) = -1, want 5']),
      );
      expect(d.excerpt.some((l) => l.startsWith('FAIL\texample.com/demo/pkg/calc'))).toBe(true);
    }
  });

  it("a panicking test: go-test with the module's own frames of the trace, and the panic", () => {
    const d = diagnoseCaptured('go-test/panic');
    expect(d).toMatchObject({ tool: 'go-test', category: 'test' });
    expect(d.locations).toEqual([
      { path: 'pkg/calc/calc.go', line: 7, column: null },
      { path: 'pkg/calc/calc_test.go', line: 6, column: null },
    ]);
    expect(d.excerpt).toEqual([
      '--- FAIL: TestAdd (0.00s)',
      'panic: assignment to entry in nil map [recovered, repanicked]',
      expect.stringMatching(/^FAIL\texample\.com\/demo\/pkg\/calc\t/),
    ]);
  });

  it('gofmt: the silent `test -z "$(gofmt -l .)"` idiom by its command, -l listings and -d diffs by their files', () => {
    expect(diagnoseCaptured('gofmt/idiom')).toMatchObject({
      tool: 'gofmt',
      category: 'format',
      locations: [],
      excerpt: [],
    });
    for (const name of ['gofmt/list', 'gofmt/diff']) {
      expect(diagnoseCaptured(name)).toMatchObject({
        tool: 'gofmt',
        category: 'format',
        locations: [{ path: 'main.go', line: null }],
      });
    }
    expect(diagnoseCaptured('gofmt/diff').excerpt).toContain('+\tfmt.Println(calc.Add(2, 3))');
  });

  it('goimports: the idiom through go run, -d diffs, and a goimports the machine lacks (environment)', () => {
    expect(diagnoseCaptured('goimports/idiom')).toMatchObject({ tool: 'goimports', category: 'format' });
    expect(diagnoseCaptured('goimports/diff')).toMatchObject({
      tool: 'goimports',
      category: 'format',
      locations: [{ path: 'main.go' }],
    });
    const missing = diagnoseCaptured('goimports/missing');
    expect(missing).toMatchObject({ tool: 'goimports', category: 'environment' });
    expect(missing.excerpt[0]).toMatch(/goimports: not found/);
  });

  it("go-mod: the four module messages, with the go command's advice in the excerpt", () => {
    const missingModule = diagnoseCaptured('go-mod/missing-module');
    expect(missingModule).toMatchObject({
      tool: 'go-mod',
      category: 'dependency',
      locations: [{ path: 'main.go', line: 6, column: 2 }],
    });
    expect(missingModule.excerpt).toEqual([
      'main.go:6:2: no required module provides package github.com/google/uuid; to add it:',
      '\tgo get github.com/google/uuid',
    ]);
    expect(diagnoseCaptured('go-mod/missing-go-sum')).toMatchObject({
      tool: 'go-mod',
      category: 'dependency',
      locations: [{ path: 'main.go', line: 6 }],
    });
    const updates = diagnoseCaptured('go-mod/updates-needed');
    expect(updates).toMatchObject({ tool: 'go-mod', category: 'dependency', locations: [{ path: 'go.mod' }] });
    expect(updates.excerpt).toEqual(['go: updates to go.mod needed; to update it:', '\tgo mod tidy']);
    const vendoring = diagnoseCaptured('go-mod/inconsistent-vendoring');
    expect(vendoring).toMatchObject({
      tool: 'go-mod',
      category: 'dependency',
      locations: [{ path: 'vendor/modules.txt' }],
    });
    expect(vendoring.excerpt[1]).toMatch(
      /is explicitly required in go\.mod, but not marked as explicit in vendor\/modules\.txt/,
    );
  });

  it('a go line newer than the installed Go under GOTOOLCHAIN=local is an environment problem in go.mod', () => {
    const d = diagnoseCaptured('go-mod/toolchain-newer');
    expect(d).toMatchObject({ tool: 'go-mod', category: 'environment', locations: [{ path: 'go.mod' }] });
    expect(d.excerpt[0]).toMatch(/go\.mod requires go >= 1\.99 \(running go \S+; GOTOOLCHAIN=local\)/);
  });
});

describe('go recognizers keep to what is theirs', () => {
  it('the gofmt idiom is not blamed when another step of the chain printed an error', () => {
    const run = captured('go-test/fail');
    const d = diagnose({ command: 'test -z "$(gofmt -l .)" && go test ./...', exitCode: 1, output: run.output });
    expect(d.tool).toBe('go-test');
    const unknown = diagnose({
      command: 'test -z "$(gofmt -l .)" && ./check.sh',
      exitCode: 1,
      output: 'check.sh: licence header missing\n',
    });
    expect(unknown.tool).toBe('unknown');
  });

  it('module download chatter around the goimports idiom still reads as a formatting failure', () => {
    const output = 'go: downloading golang.org/x/mod v0.32.0\ngo: downloading golang.org/x/sync v0.19.0\n';
    const d = diagnose({
      command: 'test -z "$(go run golang.org/x/tools/cmd/goimports@v0.41.0 -l .)"',
      exitCode: 1,
      output,
    });
    expect(d).toMatchObject({ tool: 'goimports', category: 'format' });
  });

  it('garbage under a go command gives unknown: random bytes, one 1 MiB line, ANSI noise', () => {
    const random = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1');
    const longLine = `main.go:${'1'.repeat(1 << 20)}`;
    const ansi = '\u001b[31m\u001b[1m#\u001b[0m\r\n\u001b]8;;x\u0007'.repeat(5000);
    for (const output of [random, longLine, ansi]) {
      const d = diagnose({ command: 'test -z "$(gofmt -l .)" && go vet ./... && go test ./...', exitCode: 2, output });
      expect(d.tool).toBe('unknown');
    }
  });

  it('a passing gofmt listing (exit 0) is no diagnosis of its own', () => {
    expect(diagnose({ command: 'gofmt -l .', exitCode: 0, output: 'main.go\n' }).tool).toBe('unknown');
  });
});
