// The JavaScript recognizers on what the real tools printed (test/fixtures/outputs/<tool>/,
// captured by scripts/capture-outputs/javascript.ts at the versions in scripts/lib/fixtures/javascript.ts).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { javascriptRecognizers } from '../../src/fixer/diagnosis/javascript.js';
import type { Recognition } from '../../src/fixer/diagnosis/types.js';
import type { DiagnosisTool } from '../../src/task.js';
import { captured, recognizeCaptured, recognizeOutput } from '../support/captured-js-output.js';

function run(tool: string, name: string, command?: string): Recognition {
  const found = recognizeCaptured(tool, name, command);
  if (found === null) throw new Error(`nothing recognised in ${tool}/${name}`);
  return found;
}
const text = (d: Recognition) => d.excerpt.join('\n');
const loc = (path: string, line?: number, column?: number) => ({
  path,
  ...(line === undefined ? {} : { line }),
  ...(column === undefined ? {} : { column }),
});

describe('javascript recognizers on captured output', () => {
  it('prettier --check: the unformatted files, as a format failure', () => {
    const d = run('prettier', 'check-unformatted');
    expect(d).toMatchObject({ tool: 'prettier', category: 'format', locations: [loc('src/greet.js')] });
    expect(text(d)).toContain('Code style issues found');
    expect(d.locations).not.toContainEqual(loc('src/ok.js'));
  });

  it('prettier on a file it cannot parse: a broken source file, not formatting', () => {
    const d = run('prettier', 'syntax-error');
    expect(d).toMatchObject({ tool: 'prettier', category: 'build', locations: [loc('src/broken.js', 1, 12)] });
    expect(text(d)).toContain('SyntaxError: Unexpected token');
  });

  it('eslint stylish output: each error with its file, line and column, and the summary', () => {
    const d = run('eslint', 'fixable');
    expect(d).toMatchObject({ tool: 'eslint', category: 'lint' });
    expect(d.locations).toEqual([loc('/ci/repo/src/count.js', 1, 1), loc('/ci/repo/src/count.js', 2, 5)]);
    expect(text(d)).toContain('no-var');
    expect(text(d)).toContain('potentially fixable with the `--fix` option');
    const unfixable = run('eslint', 'unfixable');
    expect(unfixable).toMatchObject({
      tool: 'eslint',
      category: 'lint',
      locations: [loc('/ci/repo/src/unused.js', 1, 7)],
    });
    expect(text(unfixable)).not.toContain('potentially fixable');
  });

  it('eslint under --max-warnings: the warnings are the failure', () => {
    const d = run('eslint', 'max-warnings');
    expect(d).toMatchObject({ tool: 'eslint', category: 'lint', locations: [loc('/ci/repo/src/log.js', 1, 1)] });
    expect(text(d)).toContain('no-console');
    expect(text(d)).toContain('ESLint found too many warnings (maximum: 0).');
  });

  it('biome: format-only errors are format; error-level lint rules make it lint; warnings do not count', () => {
    const check = run('biome', 'check-format-and-lint');
    expect(check).toMatchObject({ tool: 'biome', category: 'format' });
    expect(check.locations).toEqual([loc('package.json'), loc('src/greet.js')]);
    expect(text(check)).toContain('Found 2 errors.');
    const ci = run('biome', 'ci-format'); // coloured and hyperlinked: biome colours output under CI=true
    expect(ci).toMatchObject({
      tool: 'biome',
      category: 'format',
      locations: [loc('package.json'), loc('src/greet.js')],
    });
    const lint = run('biome', 'lint-errors');
    expect(lint).toMatchObject({
      tool: 'biome',
      category: 'lint',
      locations: [loc('src/compare.js', 2, 3), loc('src/compare.js', 3, 12)],
    });
    expect(text(lint)).toContain('lint/suspicious/noDebugger');
  });

  it('tsc, plain and --pretty: the type error at file:line:col', () => {
    for (const name of ['type-error', 'type-error-pretty']) {
      const d = run('tsc', name);
      expect(d).toMatchObject({ tool: 'tsc', category: 'type', locations: [loc('src/double.ts', 5, 7)] });
      expect(text(d)).toContain("TS2322: Type 'string' is not assignable to type 'number'.");
    }
  });

  it.each([
    ['jest', loc('test/sum.test.js', 5, 23), 'sum › adds two numbers', 'Received: -1'],
    ['vitest', loc('test/sum.test.js', 6, 23), 'sum > adds two numbers', 'expected -1 to be 3'],
    ['mocha', loc('test/sum.test.js', 6, 12), 'adds two numbers', '-1 !== 3'],
  ] as const)('%s: the failing test, the assertion line and message', (tool, first, title, message) => {
    const d = run(tool, 'failing-test');
    expect(d).toMatchObject({ tool, category: 'test' });
    expect(d.locations[0]).toEqual(first);
    expect(text(d)).toContain(title);
    expect(text(d)).toContain(message);
    expect(text(d)).not.toMatch(/processImmediate|Object\.toBe/);
  });

  it('npm: lock file drift, a missing lock file, a missing script', () => {
    const drift = run('npm', 'ci-out-of-sync');
    expect(drift).toMatchObject({ tool: 'npm', category: 'dependency', locations: [loc('package-lock.json')] });
    expect(drift.excerpt).toEqual([
      expect.stringContaining('can only install packages when your package.json and package-lock.json'),
      'npm error Missing: left-pad@1.0.0 from lock file',
    ]);
    expect(run('npm', 'ci-no-lockfile')).toMatchObject({ tool: 'npm', category: 'dependency' });
    expect(run('npm', 'missing-script')).toMatchObject({
      tool: 'npm',
      category: 'build',
      excerpt: ['npm error Missing script: "lint"'],
    });
  });

  it.each([
    ['yarn', 'classic-frozen-lockfile', 'yarn.lock', 'yarn was run with `--frozen-lockfile`'],
    ['yarn', 'berry-immutable', 'yarn.lock', 'YN0028'],
    ['pnpm', 'frozen-lockfile', 'pnpm-lock.yaml', 'ERR_PNPM_OUTDATED_LOCKFILE'],
    ['pnpm', 'pnpm10-frozen-lockfile', 'pnpm-lock.yaml', 'ERR_PNPM_OUTDATED_LOCKFILE'],
  ] as const)(
    '%s %s: frozen-lockfile drift is a dependency failure on the lock file',
    (tool, name, lockfile, signature) => {
      const d = run(tool, name);
      expect(d).toMatchObject({ tool, category: 'dependency', locations: [loc(lockfile)] });
      expect(text(d)).toContain(signature);
    },
  );

  it('the pnpm excerpt carries the reason printed under the error code', () => {
    expect(text(run('pnpm', 'frozen-lockfile'))).toContain('not up');
  });

  it('a tool behind npm run wins over npm\'s own "Lifecycle script failed"', () => {
    const c = captured('eslint', 'fixable');
    const wrapped = `> fixture@1.0.0 lint\n> eslint .\n${c.output}npm error Lifecycle script \`lint\` failed with error:\nnpm error code 1\nnpm error command failed\nnpm error command sh -c eslint .`;
    expect(recognizeOutput('npm run lint', wrapped)?.tool).toBe('eslint');
    expect(
      recognizeOutput('npm run lint', 'npm error Lifecycle script `lint` failed with error:\nnpm error code 1'),
    ).toMatchObject({ tool: 'npm', category: 'build' });
  });

  it('every recognizer has a command pattern that finds its tool however it is invoked', () => {
    const commands: Partial<Record<DiagnosisTool, string[]>> = {
      prettier: ['npx prettier --check .', 'npx prettier@3.3.3 -c src', './node_modules/.bin/prettier --check .'],
      eslint: ['eslint .', 'npm ci && npx eslint --max-warnings 0 src'],
      biome: ['npx @biomejs/biome ci .', 'biome check'],
      tsc: ['tsc --noEmit', 'npx tsc -p tsconfig.build.json'],
      jest: ['npx jest --ci'],
      vitest: ['vitest run'],
      mocha: ['mocha test/'],
      npm: ['npm ci'],
      yarn: ['yarn install --immutable', 'npx @yarnpkg/cli-dist@4 install'],
      pnpm: ['pnpm install --frozen-lockfile'],
    };
    for (const recognizer of javascriptRecognizers) {
      for (const command of commands[recognizer.tool] ?? [])
        expect(recognizer.commandPattern?.test(command), `${recognizer.tool}: ${command}`).toBe(true);
    }
    const prettier = javascriptRecognizers.find((r) => r.tool === 'prettier')!;
    expect(prettier.commandPattern!.test('npx eslint-config-prettier-check .')).toBe(false);
  });
});

describe('javascript recognizers on bad input', () => {
  const all = (output: string, command = 'sh ci.sh') => recognizeOutput(command, output);

  it('find nothing, without throwing, in random bytes, one 1 MiB line and ANSI noise', () => {
    let seed = 42;
    const nextByte = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 256;
    };
    const random = Array.from({ length: 256 * 1024 }, () => String.fromCharCode(nextByte())).join('');
    expect(all(random)).toBeNull();
    expect(all('x'.repeat(1 << 20))).toBeNull();
    expect(all('\u001b[31m\u001b[1m\u001b[0m\u001b]8;;http://x\u001b\\\u001b[2K'.repeat(20_000))).toBeNull();
    expect(diagnose({ command: 'sh ci.sh', exitCode: 1, output: random }).tool).toBe('unknown');
  });

  it('read CRLF output and truncated output', () => {
    const c = captured('tsc', 'type-error');
    expect(all(c.output.replace(/\n/g, '\r\n'), c.command)).toMatchObject({
      tool: 'tsc',
      locations: [loc('src/double.ts', 5, 7)],
    });
    const spec = captured('node-test', 'node24-spec').output;
    const cut = spec.slice(0, spec.indexOf('6 !== 7') + 3);
    expect(all(cut, 'node --test')).toMatchObject({ tool: 'node-test', category: 'test' });
  });

  it('stay bounded on 256 KiB of output made of near-matches', () => {
    const near = [
      'test at ',
      'not ok 1 - ',
      '  1:1  error  ',
      'FAIL ',
      '[warn] ',
      'x(1,1): error TS',
      '  1) ',
      '# Subtest: ',
      '  ● ',
    ];
    const output = Array.from(
      { length: (256 * 1024) / 32 },
      (_, i) => `${near[i % near.length]}${'a'.repeat(20)}`,
    ).join('\n');
    for (const recognizer of javascriptRecognizers) {
      const found = recognizer.recognize({ command: 'sh ci.sh', lines: output.split('\n'), exitCode: 1 });
      expect(found?.excerpt.length ?? 0, recognizer.tool).toBeLessThanOrEqual(24);
      expect(found?.locations.length ?? 0, recognizer.tool).toBeLessThanOrEqual(20);
    }
  });
});
