// List-style format checks name their files as locations, also when the check prints hint lines
// among the names (gofmt/goimports in CI scripts, prettier --list-different).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';

const run = (command: string, output: string, files: string[]) =>
  diagnose({ command, exitCode: 1, output, files: new Set(files) });

describe('list-style checks with hint lines', () => {
  it('gofmt -s -l with a "Please format" hint names the files', () => {
    const d = run(
      'test -z "$(gofmt -s -l . | tee /dev/stderr)" || (echo "Please format Go code by running: go fmt ./..."; exit 1)',
      'cmd/app/main.go\nPlease format Go code by running: go fmt ./...\n',
      ['cmd/app/main.go', 'go.mod'],
    );
    expect(d).toMatchObject({ tool: 'gofmt', category: 'format', locations: [{ path: 'cmd/app/main.go' }] });
  });

  it('goimports with a heading line above the names', () => {
    const d = run(
      'files=$(goimports -l .); if [ -n "$files" ]; then echo "Go files must be formatted:"; echo "$files"; exit 1; fi',
      'Go files must be formatted:\na.go\nb/c.go\n',
      ['a.go', 'b/c.go'],
    );
    expect(d).toMatchObject({ tool: 'goimports', category: 'format' });
    expect(d.locations.map((l) => l.path)).toEqual(['a.go', 'b/c.go']);
  });

  it('another tool failing in the same chain is not taken for a formatting hint', () => {
    const d = run('go build ./... && test -z "$(gofmt -l .)"', './main.go:5:2: undefined: fmt.Prntln\nmain.go\n', [
      'main.go',
    ]);
    expect(d.tool).not.toBe('gofmt');
  });

  it('prettier --list-different prints bare names: they are the locations', () => {
    const d = run('npx prettier --list-different "src/**/*.ts"', 'src/a.ts\nsrc/b/c.ts\n', ['src/a.ts', 'src/b/c.ts']);
    expect(d).toMatchObject({ tool: 'prettier', category: 'format' });
    expect(d.locations.map((l) => l.path)).toEqual(['src/a.ts', 'src/b/c.ts']);
  });

  it('black --check and ruff format --check name files beside their summaries', () => {
    const black = run(
      'black --check src',
      'would reformat src/app.py\n\nOh no! 💥 💔 💥\n1 file would be reformatted, 3 files would be left unchanged.\n',
      ['src/app.py'],
    );
    expect(black.locations.map((l) => l.path)).toEqual(['src/app.py']);
    const ruff = run(
      'ruff format --check .',
      'Would reformat: pkg/mod.py\n1 file would be reformatted, 4 files already formatted\n',
      ['pkg/mod.py'],
    );
    expect(ruff.locations.map((l) => l.path)).toEqual(['pkg/mod.py']);
  });
});
