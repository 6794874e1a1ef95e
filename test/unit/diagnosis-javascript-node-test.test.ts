// node --test failures of Node 22 and 24, spec and TAP reporters, as the real runner printed them
// (test/fixtures/outputs/node-test/, captured by scripts/capture-outputs/javascript.ts).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { nodeTestRecognizer } from '../../src/fixer/diagnosis/javascript/node-test.js';
import { captured, recognizeCaptured, recognizeOutput } from '../support/captured-js-output.js';

const run = (name: string, command?: string) => {
  const found = recognizeCaptured('node-test', name, command);
  if (found === null) throw new Error(`nothing recognised in node-test/${name}`);
  return found;
};

describe('node-test recognizer', () => {
  for (const node of ['node22', 'node24']) {
    for (const reporter of ['spec', 'tap', 'default']) {
      it(`names the failing test, its file and the assertion in ${node} ${reporter} output`, () => {
        const diagnosis = run(`${node}-${reporter}`);
        expect(diagnosis).toMatchObject({ tool: 'node-test', category: 'test' });
        expect(diagnosis.locations).toContainEqual({ path: '/ci/repo/test/math.test.js', line: 9, column: 10 });
        // Through a pipe (as in CI) Node 22 defaults to TAP, which prints absolute paths; Node 24 to spec.
        const spec = reporter === 'spec' || (reporter === 'default' && node === 'node24');
        const declared = spec ? 'test/math.test.js' : '/ci/repo/test/math.test.js';
        expect(diagnosis.locations).toContainEqual({ path: declared, line: 8, column: 1 });
        expect(diagnosis.excerpt.join('\n')).toContain('multiplies');
        expect(diagnosis.excerpt.join('\n')).toContain('6 !== 7');
        // The stack and the passing test are not the excerpt.
        expect(diagnosis.excerpt.join('\n')).not.toMatch(/runInAsyncScope|adds/);
      });
    }

    it(`reports each failing test of a suite, not the suite, in ${node} spec output`, () => {
      const diagnosis = run(`${node}-suite-spec`);
      expect(diagnosis.tool).toBe('node-test');
      expect(diagnosis.locations).toEqual(
        expect.arrayContaining([
          { path: 'test/parser.test.js', line: 5, column: 3 },
          { path: 'test/parser.test.js', line: 8, column: 3 },
        ]),
      );
      const text = diagnosis.excerpt.join('\n');
      expect(text).toContain('reads numbers');
      expect(text).toContain('Error: unexpected token');
    });
  }

  it('recognises node --test behind npm test from its output alone', () => {
    const diagnosis = run('npm-test-node24', 'npm test');
    expect(diagnosis).toMatchObject({ tool: 'node-test', category: 'test' });
    expect(diagnosis.locations[0]).toEqual({ path: '/ci/repo/test/math.test.js', line: 9, column: 10 });
  });

  it('matches node --test in a command, not other node invocations', () => {
    expect(nodeTestRecognizer.commandPattern!.test('node --test')).toBe(true);
    expect(nodeTestRecognizer.commandPattern!.test('npm ci && node --experimental-strip-types --test test/')).toBe(
      true,
    );
    expect(nodeTestRecognizer.commandPattern!.test('node test.js')).toBe(false);
    expect(nodeTestRecognizer.commandPattern!.test('node build.js --testing')).toBe(false);
  });

  it('does not take a TAP stream of another runner for node --test', () => {
    const tape =
      'TAP version 13\n# adds\nnot ok 1 should be equal\n  ---\n    operator: equal\n  ...\n\n1..1\n# tests 1\n# pass  0\n# fail  1';
    expect(recognizeOutput('npx tape test.js', tape)?.tool).not.toBe('node-test');
  });

  it('gives the framework a node-test diagnosis with the excerpt', () => {
    for (const name of ['node22-default', 'node24-default']) {
      const c = captured('node-test', name);
      const diagnosis = diagnose({ command: c.command, exitCode: c.exitCode, output: c.output });
      expect(diagnosis).toMatchObject({ tool: 'node-test', category: 'test' });
      expect(diagnosis.excerpt.join('\n')).toContain('multiplies');
      expect(diagnosis.excerpt.join('\n')).toContain('6 !== 7');
    }
  });
});
