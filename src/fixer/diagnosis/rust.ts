// Recognizers for cargo and its tools: build errors, test failures, rustfmt diffs, clippy lints and
// a Cargo.lock that `--locked` forbids updating. Patterns follow output captured from cargo 1.95
// (test/fixtures/outputs/), with the older spellings noted where they differ.
import { collect, Findings, lastMatch, scanned, withSummary } from './scan.js';
import type { Recognition, Recognizer } from './types.js';

// rustc: "error[E0308]: mismatched types" then " --> src/main.rs:2:18"; a diagnostic without a code
// ("error: expected one of …") has the same arrow. The build closes with
// "error: could not compile `demo` (bin "demo") due to 1 previous error".
const ERROR_HEADER = /^error(?:\[(E\d{4})\])?: (.*)$/;
const WARNING_HEADER = /^warning(?:\[(E\d{4})\])?: (.*)$/;
const ARROW = /^\s*--> (.+?):(\d+):(\d+)$/;
const NOT_A_DIAGNOSTIC =
  /^(?:could not compile|aborting due to|test failed, to rerun|build failed|\d+ warnings? emitted|`[^`]+` \([^)]*\) generated \d+ warnings?)/;
const COULD_NOT_COMPILE = /^error: could not compile `[^`]+`.*$/;
// Error codes of type mismatches and missing methods/traits: a "type" failure, not a broken build.
const TYPE_CODES = new Set(['E0061', 'E0277', 'E0282', 'E0283', 'E0308', 'E0369', 'E0599', 'E0609', 'E0614', 'E0618']);

// Cargo 1.73+: "error: cannot update the lock file /repo/Cargo.lock because --locked was passed to
// prevent this"; earlier: "error: the lock file /repo/Cargo.lock needs to be updated but --locked
// was passed to prevent this". The same with --frozen.
const LOCKED =
  /(?:cannot update the lock file (.+?) because|the lock file (.+?) needs to be updated but) --(?:locked|frozen) was passed to prevent this/;
const DEPENDENCY =
  /^error: (?:no matching package named|failed to select a version for|failed to get `[^`]+` as a dependency|failed to load source for dependency)/;

interface Block {
  severity: 'error' | 'warning';
  code: string | undefined;
  header: string;
  location?: { path: string; line: string; column: string };
  clippy: boolean;
  deniedByWarnings: boolean;
}

/** rustc/clippy diagnostics as blocks: a header line, its first arrow, and its notes. */
function diagnostics(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current: Block | null = null;
  for (const line of lines) {
    const m = line.match(ERROR_HEADER) ?? line.match(WARNING_HEADER);
    if (m) {
      current = null;
      if (NOT_A_DIAGNOSTIC.test(m[2]!)) continue;
      current = {
        severity: line.startsWith('error') ? 'error' : 'warning',
        code: m[1],
        header: line,
        clippy: false,
        deniedByWarnings: false,
      };
      if (blocks.length < 200) blocks.push(current);
      continue;
    }
    if (current === null) continue;
    const arrow = line.match(ARROW);
    if (arrow && current.location === undefined)
      current.location = { path: arrow[1]!, line: arrow[2]!, column: arrow[3]! };
    else if (/clippy::|rust-clippy\//.test(line)) current.clippy = true;
    if (/implied by `-D warnings`/.test(line)) current.deniedByWarnings = true;
  }
  return blocks;
}

function fromBlocks(blocks: Block[], found: Findings): void {
  for (const block of blocks) {
    if (block.location) found.at(block.location.path, block.location.line, block.location.column);
    found.line(block.header);
    if (block.location) found.line(` --> ${block.location.path}:${block.location.line}:${block.location.column}`);
  }
}

function lockfile(lines: readonly string[]): Recognition | null {
  const m = lastMatch(lines, LOCKED);
  if (m !== null) {
    return {
      tool: 'cargo-build',
      category: 'dependency',
      locations: [{ path: m[1] ?? m[2]! }, { path: 'Cargo.toml' }],
      excerpt: [m.input!],
      confidence: 0.97,
    };
  }
  const dep = lastMatch(lines, DEPENDENCY);
  if (dep !== null)
    return {
      tool: 'cargo-build',
      category: 'dependency',
      locations: [{ path: 'Cargo.toml' }],
      excerpt: [dep.input!],
      confidence: 0.85,
    };
  return null;
}

export const cargoBuildRecognizer: Recognizer = {
  tool: 'cargo-build',
  commandPattern: /\bcargo\s+(?:\+\S+\s+)?(?:build|check|run|b|c|r)\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const locked = lockfile(lines);
    if (locked) return locked;
    const errors = diagnostics(lines).filter((b) => b.severity === 'error' && !b.clippy && !b.deniedByWarnings);
    const summary = lastMatch(lines, COULD_NOT_COMPILE)?.[0];
    if (errors.length === 0) return null;
    const found = new Findings();
    fromBlocks(errors, found);
    const category = errors.some((b) => b.code !== undefined && TYPE_CODES.has(b.code)) ? 'type' : 'build';
    return {
      tool: 'cargo-build',
      category,
      locations: found.locations,
      excerpt: withSummary(found.excerpt, summary),
      confidence: summary ? 0.9 : 0.7,
    };
  },
};

export const clippyRecognizer: Recognizer = {
  tool: 'clippy',
  commandPattern: /\bcargo\s+(?:\+\S+\s+)?clippy\b|\bclippy-driver\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const command = input.command;
    const blocks = diagnostics(lines).filter((b) => b.severity === 'error');
    const lints = blocks.filter((b) => b.clippy);
    // Under `cargo clippy -- -D warnings` rustc's own warnings fail the run too.
    const denied = /\bclippy\b/.test(command) ? blocks.filter((b) => b.deniedByWarnings && !b.clippy) : [];
    if (lints.length === 0 && denied.length === 0) return null;
    const found = new Findings();
    fromBlocks([...lints, ...denied], found);
    const summary = lastMatch(lines, COULD_NOT_COMPILE)?.[0];
    return {
      tool: 'clippy',
      category: 'lint',
      locations: found.locations,
      excerpt: withSummary(found.excerpt, summary),
      confidence: lints.length > 0 ? 0.95 : 0.85,
    };
  },
};

// libtest: "test tests::adds ... FAILED", then per failure "thread 'tests::adds' (2083) panicked at
// src/lib.rs:5:47:" and the message on the next line (Rust < 1.73: "thread 'tests::adds' panicked
// at 'assertion failed…', src/lib.rs:5:47"), closing "test result: FAILED. 1 passed; 1 failed; …".
// `--quiet` on recent toolchains prints "tests::adds --- FAILED" instead.
const TEST_FAILED = /^(?:test (\S+) \.\.\. FAILED|(\S+) --- FAILED)$/;
const PANICKED = /^thread '[^']*'(?: \(\d+\))? panicked at /;
const PANIC_PLACE = /([^\s',]+):(\d+):(\d+):?$/;
// Before 1.73 a multi-line message comes first, and the place closes its last line: "right: `5`', src/lib.rs:11:9".
const OLD_PANIC_END = /', ([^\s',]+):(\d+):(\d+)$/;
const OLD_PANIC_LOOKAHEAD = 20;

/** Where a panic happened: on its own line, or (Rust < 1.73) where its quoted message ends. */
function panicPlace(lines: readonly string[], at: number): RegExpMatchArray | null {
  const own = lines[at]!.match(PANIC_PLACE);
  if (own) return own;
  for (let j = at + 1; j < Math.min(lines.length, at + 1 + OLD_PANIC_LOOKAHEAD); j++) {
    const end = lines[j]!.match(OLD_PANIC_END);
    if (end) return end;
  }
  return null;
}
const TEST_SUMMARY = /^test result: FAILED\. \d+ passed; \d+ failed;.*$/;

export const cargoTestRecognizer: Recognizer = {
  tool: 'cargo-test',
  commandPattern: /\bcargo\s+(?:\+\S+\s+)?(?:test|t|nextest)\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = new Findings();
    let failures = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let m: RegExpMatchArray | null;
      if ((m = line.match(TEST_FAILED))) {
        failures++;
        found.line(line);
      } else if (PANICKED.test(line) && (m = panicPlace(lines, i))) {
        found.at(m[1]!, m[2], m[3]);
        found.line(line);
        const message = lines[i + 1];
        if (line.endsWith(':') && message !== undefined && message.trim() !== '') found.line(message);
      }
    }
    const summary = lastMatch(lines, TEST_SUMMARY)?.[0];
    if (summary === undefined && failures === 0) return null;
    return {
      tool: 'cargo-test',
      category: 'test',
      locations: found.locations,
      excerpt: withSummary(found.excerpt, summary),
      confidence: summary ? 0.95 : 0.7,
    };
  },
};

// cargo fmt --check / rustfmt --check: "Diff in /repo/src/main.rs:1:" (rustfmt 1.7+), earlier
// "Diff in /repo/src/main.rs at line 1:". Not anchored: a colour reset may lead the line.
const FMT_DIFF = /Diff in (\S.*?\.rs)(?: at line |:)(\d+):$/;

export const cargoFmtRecognizer: Recognizer = {
  tool: 'cargo-fmt',
  commandPattern: /\bcargo\s+(?:\+\S+\s+)?fmt\b|\brustfmt\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = collect(lines, FMT_DIFF, (m) => m[0]);
    if (found.locations.length === 0) return null;
    return {
      tool: 'cargo-fmt',
      category: 'format',
      locations: found.locations,
      excerpt: found.excerpt.slice(0, 12),
      confidence: 0.95,
    };
  },
};

export const rustRecognizers: readonly Recognizer[] = [
  cargoBuildRecognizer,
  clippyRecognizer,
  cargoTestRecognizer,
  cargoFmtRecognizer,
];
