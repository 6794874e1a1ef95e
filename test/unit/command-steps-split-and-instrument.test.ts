// Splitting a CI command into steps, and the instrumented script that records which step ran:
// the split on real shell syntax, and (run by the real sh) the same output and exit status as the
// original with the marker naming the failing step.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromStep, instrumented, isManifest, SHELL_OPTIONS, stepKind } from '../../src/fixer/steps/plan.js';
import { splitSteps } from '../../src/fixer/steps/split.js';

const commands = (command: string) => splitSteps(command).map((s) => s.command);

describe('splitSteps', () => {
  it('splits && chains, ; lists and lines', () => {
    expect(commands('npx eslint . && npx prettier --check .')).toEqual(['npx eslint .', 'npx prettier --check .']);
    expect(splitSteps('a && b; c\nd').map((s) => s.separator)).toEqual(['&&', ';', '\n', '']);
    expect(commands('npm ci\n\n# lint it\nnpm run lint\n')).toEqual(['npm ci', 'npm run lint']);
  });

  it('keeps quotes, substitutions and subshells inside their step', () => {
    expect(commands(`test -z "$(gofmt -l . && echo ';')" && go vet ./...`)).toEqual([
      `test -z "$(gofmt -l . && echo ';')"`,
      'go vet ./...',
    ]);
    expect(commands(`echo 'a && b' && (cd x && make) && echo \${V:-"x;y"} && echo \`date; true\``)).toEqual([
      `echo 'a && b'`,
      '(cd x && make)',
      'echo ${V:-"x;y"}',
      'echo `date; true`',
    ]);
  });

  it('keeps compound commands, here-documents, continuations and comments whole', () => {
    const ifBlock = 'if [ -f go.mod ]; then\n  go test ./...\nfi';
    expect(commands(`${ifBlock}\nnpm test`)).toEqual([ifBlock, 'npm test']);
    expect(commands('for f in a b; do echo $f; done && case $x in a) echo a;; *) echo b;; esac')).toEqual([
      'for f in a b; do echo $f; done',
      'case $x in a) echo a;; *) echo b;; esac',
    ]);
    const heredoc = 'cat > cfg.json <<\'EOF\'\n{ "a": 1 } && ;\nEOF';
    expect(commands(`${heredoc}\nnode check.js`)).toEqual([heredoc, 'node check.js']);
    expect(commands('npm run build \\\n  --verbose && npm test # all of them')).toEqual([
      'npm run build \\\n  --verbose',
      'npm test # all of them',
    ]);
    expect(commands('npm ci &&\n  npm test')).toEqual(['npm ci', 'npm test']);
    expect(commands('npm ci || npm i &&\n  # then\n  npm test')).toEqual(['npm ci || npm i &&\n  # then\n  npm test']);
    expect(commands('npm test \\\n')).toEqual(['npm test']);
    expect(commands('{ echo a; echo b; } && f() { echo c; }')).toEqual(['{ echo a; echo b; }', 'f() { echo c; }']);
  });

  it('keeps an and-or list with || whole, and unparsable input as one step', () => {
    expect(commands('npm ci || npm install && npm test; npm run lint')).toEqual([
      'npm ci || npm install && npm test',
      'npm run lint',
    ]);
    expect(commands(`echo "unterminated && npm test`)).toEqual([`echo "unterminated && npm test`]);
    expect(commands('echo ) && x')).toEqual(['echo ) && x']);
  });

  it('never throws and returns substrings of the command, on any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) => {
        const steps = splitSteps(input);
        expect(steps.length).toBeGreaterThan(0);
        for (const step of steps) expect(input.includes(step.command)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('step kinds and partial runs', () => {
  it('tells shell state, installs and work apart', () => {
    expect(
      ['cd web', 'export CI=1', 'set -euo pipefail', 'FOO=bar', '. venv/bin/activate', 'npm start &'].map(stepKind),
    ).toEqual(Array(6).fill('state'));
    expect(
      [
        'npm ci',
        'yarn',
        'yarn install --frozen-lockfile',
        'pnpm i',
        'pip install -r requirements.txt',
        'go mod download',
      ].map(stepKind),
    ).toEqual(Array(6).fill('install'));
    expect(
      ['npm test', 'yarn lint', 'go test ./...', 'npx prettier --check . 2>&1', 'FOO=1 npm test'].map(stepKind),
    ).toEqual(Array(5).fill('work'));
    expect(isManifest('web/package-lock.json')).toBe(true);
    expect(isManifest('requirements-dev.txt')).toBe(true);
    expect(isManifest('src/package.ts')).toBe(false);
  });

  it('re-runs the failing step after the state steps, and installs only when manifests changed', () => {
    const steps = splitSteps('cd web && npm ci && npm test && npm run check');
    const run = fromStep(steps, 3, '/m', false);
    expect(run).toMatchObject({ whole: false, skipped: [1, 2] });
    expect(run.script).toBe(`${SHELL_OPTIONS}{ cd web\n} && { printf '%s' 3 2>/dev/null > /m; npm run check\n}`);
    expect(fromStep(steps, 3, '/m', true).skipped).toEqual([2]);
    expect(fromStep(steps, 0, '/m', false)).toMatchObject({ whole: true, skipped: [] });
  });
});

// Each case spawns real shells; the machine may be busy.
const SH_TIMEOUT = 60_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'ci-fixer-steps-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(script: string, shell = 'sh', options: string[] = []): { status: number; out: string } {
  const r = spawnSync(shell, [...options, '-c', script], { cwd: work, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status ?? -1, out: `${r.stdout}|${r.stderr}` };
}
/** The original command the way a CI runner runs it (`sh -e`): what the instrumented script must match. */
const shE = (command: string) => sh(command, 'sh', ['-e']);

describe('instrumented scripts under the real sh', () => {
  const marker = path.join(work, 'step');
  const stepArb = fc.constantFrom(
    'echo one',
    'true',
    'false',
    'exit 3',
    'echo "a;b" >&2',
    'cd /',
    'echo $?',
    'X=1',
    'echo ${X:-unset}',
    'pwd',
  );
  const sepArb = fc.constantFrom(' && ', '; ', '\n');

  it(
    'behaves like the original command under sh -e, and the marker names the last step that started',
    () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(stepArb, sepArb), { minLength: 1, maxLength: 5 }), (parts) => {
          const command = parts.map(([step, sep], i) => (i === parts.length - 1 ? step : step + sep)).join('');
          const steps = splitSteps(command);
          expect(steps).toHaveLength(parts.length);
          writeFileSync(marker, '');
          const original = shE(command);
          const traced = sh(instrumented(steps, marker));
          expect(traced).toEqual(original);
          // The last step that started: `&&` skips a step after a failure; a failure that ends its
          // and-list (before `;` or a line break) stops the script, as errexit does.
          let expected = 0;
          let status = 0;
          for (const [i, [step, sep]] of parts.entries()) {
            if (i > 0 && (parts[i - 1] as [string, string])[1] === ' && ' && status !== 0) continue;
            expected = i;
            if (step.startsWith('exit')) break;
            status = step === 'false' ? 1 : 0;
            if (status !== 0 && sep !== ' && ') break;
          }
          expect(readFileSync(marker, 'utf8')).toBe(String(expected));
        }),
        { numRuns: 40 },
      );
    },
    SH_TIMEOUT,
  );

  it(
    'is valid shell whenever the original is (sh -n parses, runs nothing)',
    () => {
      const parses = (script: string) =>
        spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8', timeout: 10_000 }).status === 0;
      const token = fc.constantFrom(
        'echo',
        ' ',
        'a',
        ' && ',
        '; ',
        '\n',
        "'x;y'",
        '"q $(b && c) q"',
        '$(d)',
        '(e; f)',
        '{ g; }',
        ' | ',
        ' || ',
        '# c\n',
        'if true; then h; fi',
        'case x in x) i;; esac',
        'cat <<EOF\nbody && x\nEOF\n',
        '\\\n',
        ' & ',
        '$?',
        ' 2>&1',
        'for k in 1; do j; done',
        '`k`',
        '${l:-m}',
        'f() { n; }',
      );
      fc.assert(
        fc.property(fc.array(token, { minLength: 1, maxLength: 12 }), (parts) => {
          const command = parts.join('');
          if (!parses(command)) return;
          expect(parses(instrumented(splitSteps(command), marker))).toBe(true);
        }),
        { numRuns: 300 },
      );
    },
    SH_TIMEOUT,
  );

  it('runs a chained command with cd, a here-document and a comment unchanged', () => {
    const command = "cd / && cat <<'EOF' # a comment\nhello && bye\nEOF\npwd";
    const steps = splitSteps(command);
    expect(steps).toHaveLength(3);
    expect(sh(instrumented(steps, marker))).toEqual(sh(command));
    expect(execFileSync('cat', [marker], { encoding: 'utf8' })).toBe('2');
  });

  it('stops at a failing line though the next would pass, with the marker on the failing line', () => {
    writeFileSync(marker, '');
    const run = sh(instrumented(splitSteps('echo one\nexit_code() { return 4; }; exit_code\necho two'), marker));
    expect(run).toEqual({ status: 4, out: 'one\n|' });
    expect(readFileSync(marker, 'utf8')).toBe('2');
  });

  it('keeps $? for a step that reads it after a failed && chain, without errexit firing', () => {
    expect(sh(instrumented(splitSteps('false && echo skipped\necho "rc=$?"'), marker))).toEqual({
      status: 0,
      out: 'rc=1\n|',
    });
  });

  it('fails a pipeline whose first command fails where the shell has pipefail (bash), and runs on sh without it', () => {
    const command = 'false | cat\necho after';
    writeFileSync(marker, '');
    expect(sh(instrumented(splitSteps(command), marker), 'bash')).toEqual({ status: 1, out: '|' });
    expect(readFileSync(marker, 'utf8')).toBe('0');
    // Debian's dash has no pipefail: the probe must not stop the script, and errexit still holds.
    expect(sh(instrumented(splitSteps(command), marker))).toEqual(shE(command));
    expect(sh(instrumented(splitSteps('set +e\nfalse\necho after'), marker))).toEqual({ status: 0, out: 'after\n|' });
  });
});
