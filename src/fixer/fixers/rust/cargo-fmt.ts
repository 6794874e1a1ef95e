// cargo fmt: re-runs the check (`cargo fmt --all -- --check`, `cargo +nightly fmt --check`,
// `rustfmt --check src/lib.rs`) without --check. The commands run in the checkout, so rustup picks
// the toolchain that rust-toolchain(.toml) pins, and rustfmt reads rustfmt.toml itself.
import { cargoFmtRecognizer } from '../../diagnosis/rust.js';
import type { FixerContext } from '../../types.js';
import { withoutFlags } from '../invocation.js';
import { commandLine, toolFixer } from '../tool-fixer.js';

/** The check's arguments without --check, and without a `--` left with nothing after it. */
export function fmtArgs(args: readonly string[]): string[] {
  const out = withoutFlags(args, ['--check', '-l', '--files-with-diff'], ['--message-format']);
  while (out.at(-1) === '--') out.pop();
  return out;
}

async function logToolchainPin(ctx: FixerContext): Promise<void> {
  for (const file of ['rust-toolchain.toml', 'rust-toolchain']) {
    const text = await ctx.readFile(file);
    if (text === null) continue;
    const channel = text.match(/^\s*channel\s*=\s*"([^"]+)"/m)?.[1] ?? text.trim().split('\n')[0];
    ctx.log(`${file} pins the ${channel} toolchain; cargo fmt runs under it`);
    return;
  }
}

const fmt = toolFixer({
  name: 'cargo-fmt',
  ecosystem: 'rust',
  tool: 'rustfmt',
  recognizer: cargoFmtRecognizer,
  repairs: () => true,
  head: /cargo(?:\s+\+\S+)?\s+fmt|rustfmt/,
  fix: (inv) => commandLine(inv.launcher + inv.program, fmtArgs(inv.args)),
  fallback: { launcher: '', program: 'cargo fmt', args: ['--all'] },
  // cargo is there but the rustfmt component may not be.
  probe: (inv) => (/^\S*cargo\b/.test(inv.program) ? `${inv.program.replace(/\s+fmt$/, '')} fmt --version` : null),
});

export const cargoFmtFixer = {
  ...fmt,
  async apply(ctx: FixerContext) {
    await logToolchainPin(ctx);
    return fmt.apply(ctx);
  },
};
