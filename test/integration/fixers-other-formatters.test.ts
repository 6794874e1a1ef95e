// shfmt and clang-format on real repositories through the real pipeline on the local sandbox, each
// with the layout the check asked for; terraform fmt on its captured output (see below).
import { describe, expect, it } from 'vitest';
import { OTHER_CASES } from '../../scripts/lib/fixtures/other.js';
import { usePipelineEnvironment } from '../support/fix-pipeline.js';
import { caseRepo, expectFixedBy, expectToolMissing, replayCase, runWithoutTools } from '../support/fixer-cases.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('other formatters', () => {
  // terraform is on neither Debian's archive nor the npm registry, so a fresh machine cannot run
  // it: the fixer is tested on terraform's output (captured with terraform 1.11 by
  // scripts/capture-outputs-more.ts), in a sandbox without terraform.
  it('terraform fmt -check output is claimed by terraform-fmt, which reports terraform missing', async () => {
    const repo = await caseRepo(
      fixtures,
      'terraform-fmt',
      replayCase(
        'terraform',
        'terraform-fmt',
        OTHER_CASES['terraform-fmt'].files,
        3,
        'terraform fmt -check -recursive',
      ),
    );
    expectToolMissing(await runWithoutTools(fixtures, repo, ['terraform']), 'terraform-fmt', 'terraform');
  });

  it('shfmt -w keeps the check’s -i 2', async () => {
    const patch = await expectFixedBy(
      fixtures,
      provider(),
      'shfmt',
      OTHER_CASES.shfmt,
      'shfmt',
      'shfmt -w -i 2 scripts',
    );
    expect(patch).toContain('+  echo "deploying $1"');
  });

  it('clang-format -i follows .clang-format (4-space indents)', async () => {
    const patch = await expectFixedBy(
      fixtures,
      provider(),
      'clang-format',
      OTHER_CASES['clang-format'],
      'clang-format',
      'clang-format -i src/*.c src/*.h',
    );
    expect(patch).toContain('+int main(void) {\n+    printf("hi\\n");\n+    return 0;\n+}');
  });

  it('clang-format fed by xargs: the files its output flagged', async () => {
    const fixture = {
      ...OTHER_CASES['clang-format'],
      command: "git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror",
    };
    await expectFixedBy(
      fixtures,
      provider(),
      'clang-format-xargs',
      fixture,
      'clang-format',
      'clang-format -i src/main.c',
    );
  });

  it('shfmt missing from the sandbox: the fixer says how to get it', async () => {
    const repo = await caseRepo(fixtures, 'shfmt-missing', replayCase('shfmt', 'shfmt', OTHER_CASES.shfmt.files));
    expectToolMissing(await runWithoutTools(fixtures, repo, ['shfmt']), 'shfmt', 'shfmt');
  });
});
