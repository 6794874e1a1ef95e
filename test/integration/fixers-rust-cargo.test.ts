// cargo fmt and a Cargo.lock under --locked, on real crates through the real pipeline on the local
// sandbox. The crates have path dependencies only: nothing is fetched from a registry.
import { describe, expect, it } from 'vitest';
import { RUST_CASES } from '../../scripts/lib/fixtures/rust.js';
import { runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { caseRepo, expectFixedBy, expectToolMissing, replayCase, runWithoutTools } from '../support/fixer-cases.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('rust fixers', () => {
  it('cargo fmt --all repairs `cargo fmt --all -- --check`, under the pinned toolchain', async () => {
    const patch = await expectFixedBy(
      fixtures,
      provider(),
      'cargo-fmt',
      RUST_CASES['cargo-fmt'],
      'cargo-fmt',
      'cargo fmt --all',
    );
    expect(patch).toContain('+pub fn add(a: i32, b: i32) -> i32 {\n+    a + b\n+}');
    expect(patch).not.toContain('target/');
  });

  it('the rust-toolchain pin is logged and never overridden', async () => {
    const repo = await caseRepo(fixtures, 'cargo-fmt-pin', RUST_CASES['cargo-fmt']);
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.logs.map((l) => l.text)).toContain(
      'rust-toolchain.toml pins the stable toolchain; cargo fmt runs under it',
    );
    expect(run.result!.commands.some((c) => /\bcargo \+/.test(c.command))).toBe(false);
  });

  it('cargo update --workspace adds the new path dependency to a Cargo.lock that --locked refused', async () => {
    // The lock cargo named, by its path in the sandbox: the workspace at the checkout's root.
    const offline = /^cargo update --workspace --offline --manifest-path \S+\/repo\/Cargo\.toml$/;
    const patch = await expectFixedBy(
      fixtures,
      provider(),
      'cargo-lock',
      RUST_CASES['cargo-lock'],
      'cargo-lock',
      offline,
    );
    expect(patch.match(/^diff --git .*$/gm)).toEqual(['diff --git a/Cargo.lock b/Cargo.lock']);
    expect(patch).toContain('+name = "util"');
  });

  it('a failing cargo test is left alone: no fixer claims it', async () => {
    const repo = await caseRepo(fixtures, 'cargo-test', RUST_CASES['cargo-test-failing']);
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null });
    expect(run.logs.map((l) => l.text)).toContain('no fixer recognises this failure');
  });

  it('without cargo in the sandbox, cargo-fmt says how to get it', async () => {
    // The CI log rustfmt printed elsewhere, replayed in a sandbox whose PATH has no cargo.
    const repo = await caseRepo(
      fixtures,
      'cargo-fmt-missing',
      replayCase('cargo-fmt', 'cargo-fmt', { 'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n' }),
    );
    expectToolMissing(await runWithoutTools(fixtures, repo, ['cargo', 'cargo-fmt', 'rustfmt']), 'cargo-fmt', 'cargo');
  });
});
