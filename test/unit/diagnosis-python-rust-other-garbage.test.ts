// The python, rust and "other" recognizers on output no tool printed: random bytes, one huge line,
// ANSI noise, and lines built to make two open-ended pattern parts backtrack. Each gives
// `unknown` (or its own tool on a real line among the noise) without throwing; the file's test
// timeout is the bound.
import { describe, expect, it } from 'vitest';
import { cleanLines, diagnose } from '../../src/fixer/diagnosis/index.js';
import { otherRecognizers } from '../../src/fixer/diagnosis/other.js';
import { pythonRecognizers } from '../../src/fixer/diagnosis/python.js';
import { rustRecognizers } from '../../src/fixer/diagnosis/rust.js';

const MINE = [...pythonRecognizers, ...rustRecognizers, ...otherRecognizers];
const run = (output: string, command = 'make ci') => diagnose({ command, exitCode: 1, output }, MINE);

function randomBytes(n: number, seed = 7): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += String.fromCharCode(x % 256);
  }
  return out;
}

describe('garbage in, unknown out', () => {
  it('random bytes, a 1 MiB line and ANSI noise', () => {
    expect(run(randomBytes(256 * 1024)).tool).toBe('unknown');
    expect(run('x'.repeat(1 << 20)).tool).toBe('unknown');
    expect(run('\u001b[31m\u001b[1m\u001b]8;;http://x\u0007\u001b[0m\r\n'.repeat(20_000)).tool).toBe('unknown');
  });

  it('lines built to backtrack stay cheap, and every recognizer survives them', () => {
    const traps = [
      `thread 'a' panicked at '${"', ".repeat(300)}`,
      `Diff in ${'a.rs:1'.repeat(160)}`,
      ` --> ${'a:1:'.repeat(240)}`,
      `=== ${'1 failed '.repeat(110)}`,
      `cannot update the lock file ${'x because '.repeat(95)}`,
      `${'a'.repeat(990)}.py:1:1: F401`,
    ];
    const output = Array.from({ length: 4000 }, (_, i) => traps[i % traps.length]).join('\n');
    const lines = cleanLines(output);
    for (const recognizer of MINE)
      expect(() => recognizer.recognize({ command: 'ci', lines, exitCode: 1 })).not.toThrow();
    expect(run(output).tool).not.toBe('cargo-test');
  });

  it('a real line still counts among the noise', () => {
    const noise = randomBytes(64 * 1024).replace(/\n/g, ' ');
    expect(
      run(`${noise}\nsrc/a.c:1:2: error: code should be clang-formatted [-Wclang-format-violations]\n${noise}`),
    ).toMatchObject({ tool: 'clang-format', locations: [{ path: 'src/a.c', line: 1, column: 2 }] });
  });
});
