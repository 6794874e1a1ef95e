// The cargo recognizers on output captured from the real cargo 1.95, rustfmt and clippy
// (scripts/capture-outputs-more.ts), plus the older spellings of the same messages.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { diagnoseCaptured } from '../support/captured-outputs.js';

describe('rust recognizers on captured output', () => {
  it('cargo build: error[E0308] with its arrow location is a type failure', () => {
    const d = diagnoseCaptured('cargo-build', 'cargo-build-type-error');
    expect(d.source).toBe('captured');
    expect(d).toMatchObject({
      tool: 'cargo-build',
      category: 'type',
      locations: [{ path: 'src/main.rs', line: 2, column: 22 }],
    });
    expect(d.excerpt).toEqual([
      'error[E0308]: mismatched types',
      ' --> src/main.rs:2:22',
      'error: could not compile `typedemo` (bin "typedemo") due to 1 previous error',
    ]);
  });

  it('cargo build: an error without a type code is a build failure', () => {
    const d = diagnose({
      command: 'cargo build',
      exitCode: 101,
      output:
        'error: expected one of `!` or `::`, found `fn`\n --> src/lib.rs:3:1\n  |\nerror: could not compile `x` (lib) due to 1 previous error\n',
    });
    expect(d).toMatchObject({
      tool: 'cargo-build',
      category: 'build',
      locations: [{ path: 'src/lib.rs', line: 3, column: 1 }],
    });
  });

  it('cargo test: the failing test, where it panicked, and the result line', () => {
    const d = diagnoseCaptured('cargo-test', 'cargo-test-failing');
    expect(d).toMatchObject({
      tool: 'cargo-test',
      category: 'test',
      locations: [{ path: 'src/lib.rs', line: 11, column: 9 }],
    });
    expect(d.excerpt).toHaveLength(4);
    expect(d.excerpt[0]).toBe('test tests::adds ... FAILED');
    expect(d.excerpt[1]).toMatch(/^thread 'tests::adds' \(\d+\) panicked at src\/lib\.rs:11:9:$/);
    expect(d.excerpt[2]).toBe('assertion `left == right` failed');
    expect(d.excerpt[3]).toMatch(/^test result: FAILED\. 1 passed; 1 failed; .* finished in [\d.]+s$/);
  });

  it('cargo test before Rust 1.73: the panic message sits inside the line', () => {
    const d = diagnose({
      command: 'cargo test',
      exitCode: 101,
      output:
        "test t ... FAILED\nthread 't' panicked at 'assertion failed: false', src/lib.rs:4:5\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n",
    });
    expect(d).toMatchObject({ tool: 'cargo-test', locations: [{ path: 'src/lib.rs', line: 4, column: 5 }] });
  });

  it('cargo fmt --check: each diff, even behind rustfmt colour codes', () => {
    const d = diagnoseCaptured('cargo-fmt', 'cargo-fmt');
    expect(d).toMatchObject({
      tool: 'cargo-fmt',
      category: 'format',
      locations: [{ path: '/sandbox/repo/src/lib.rs', line: 1 }],
    });
    const old = diagnose({
      command: 'cargo fmt -- --check',
      exitCode: 1,
      output: 'Diff in /r/src/main.rs at line 3:\n-fn  x(){}\n+fn x() {}\n',
    });
    expect(old).toMatchObject({ tool: 'cargo-fmt', locations: [{ path: '/r/src/main.rs', line: 3 }] });
  });

  it('clippy with -D warnings: a lint failure per denied lint, not a build failure', () => {
    const d = diagnoseCaptured('clippy', 'clippy');
    expect(d).toMatchObject({ tool: 'clippy', category: 'lint' });
    expect(d.locations).toEqual([
      { path: 'src/main.rs', line: 3, column: 8 },
      { path: 'src/main.rs', line: 2, column: 17 },
    ]);
    expect(d.excerpt[0]).toBe('error: length comparison to zero');
  });

  it('a Cargo.lock that --locked may not update is a dependency failure on the lock', () => {
    const d = diagnoseCaptured('cargo-build', 'cargo-lock');
    expect(d).toMatchObject({
      tool: 'cargo-build',
      category: 'dependency',
      locations: [{ path: '/sandbox/repo/Cargo.lock' }, { path: 'Cargo.toml' }],
    });
    const old = diagnose({
      command: 'cargo build --frozen',
      exitCode: 101,
      output: 'error: the lock file /r/Cargo.lock needs to be updated but --frozen was passed to prevent this\n',
    });
    expect(old).toMatchObject({
      category: 'dependency',
      locations: [{ path: '/r/Cargo.lock' }, { path: 'Cargo.toml' }],
    });
  });

  it("cargo test on Rust < 1.73 (Debian bookworm's rustc 1.63): the place ends a multi-line message", () => {
    // As Debian's cargo 1.65 / rustc 1.63 print it (seen on this machine kind).
    const output = [
      'running 1 test',
      'test tests::adds ... FAILED',
      '',
      'failures:',
      '',
      '---- tests::adds stdout ----',
      "thread 'tests::adds' panicked at 'assertion failed: `(left == right)`",
      '  left: `6`,',
      " right: `5`', src/lib.rs:11:9",
      'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
      '',
      'test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s',
    ].join('\n');
    const d = diagnose({ command: 'cargo test', exitCode: 101, output });
    expect(d).toMatchObject({
      tool: 'cargo-test',
      category: 'test',
      locations: [{ path: 'src/lib.rs', line: 11, column: 9 }],
    });
  });

  it('cargo test --quiet on a recent toolchain names the failing test as "name --- FAILED"', () => {
    const output =
      "running 1 test\ntests::adds --- FAILED\n\nfailures:\n\n---- tests::adds stdout ----\n\nthread 'tests::adds' (12669) panicked at src/lib.rs:7:9:\nassertion `left == right` failed\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
    const d = diagnose({ command: 'cargo test --quiet', exitCode: 101, output });
    expect(d.excerpt).toContain('tests::adds --- FAILED');
    expect(d.locations).toEqual([{ path: 'src/lib.rs', line: 7, column: 9 }]);
  });
});
