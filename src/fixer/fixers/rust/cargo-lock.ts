// A Cargo.lock that `--locked` (or `--frozen`) forbids cargo to update. `cargo update --workspace`
// changes the least: it re-resolves only what the manifests now require and keeps every other
// locked version, where `cargo generate-lockfile` would move every dependency to its newest
// release. It is tried offline first (the sandbox's registry cache may hold all it needs), then
// with the network.
import { cargoBuildRecognizer } from '../../diagnosis/rust.js';
import type { Fixer } from '../../types.js';
import { shellQuote } from '../../../shared/shell.js';
import { recognise, toolMissing } from '../tool-fixer.js';

const LOCKED = /--(?:locked|frozen) was passed to prevent this/;

export const cargoLockFixer: Fixer = {
  name: 'cargo-lock',
  ecosystem: 'rust',
  detect(failure) {
    const found = recognise(cargoBuildRecognizer, failure);
    return found?.category === 'dependency' && found.excerpt.some((line) => LOCKED.test(line));
  },
  async apply(ctx) {
    if (!(await ctx.hasCommand('cargo'))) return toolMissing('cargo');
    // The lock the error names (a workspace in a sub-folder has its own).
    const lock = recognise(cargoBuildRecognizer, ctx.failure)?.locations[0]?.path ?? 'Cargo.lock';
    const manifest =
      lock.endsWith('Cargo.lock') && lock !== 'Cargo.lock'
        ? ` --manifest-path ${shellQuote(`${lock.slice(0, -'Cargo.lock'.length)}Cargo.toml`)}`
        : '';
    const offline = await ctx.run(`cargo update --workspace --offline${manifest}`);
    if (offline.exitCode !== 0) await ctx.run(`cargo update --workspace${manifest}`);
    return { status: 'applied' };
  },
};
