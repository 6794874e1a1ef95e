// terraform fmt, shfmt and clang-format recognizers on output captured from the real tools
// (terraform 1.11, shfmt 3.6 and clang-format 14 from Debian's packages).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { diagnoseCaptured } from '../support/captured-outputs.js';

describe('other recognizers on captured output', () => {
  it('terraform fmt -check: the listed files, with the command as the evidence', () => {
    const d = diagnoseCaptured('terraform', 'terraform-fmt');
    expect(d.source).toBe('captured');
    expect(d).toMatchObject({
      tool: 'terraform',
      category: 'format',
      locations: [{ path: 'main.tf' }, { path: 'modules/net/main.tf' }],
    });
    // The same file names from a command that is not terraform fmt mean nothing.
    expect(diagnose({ command: 'cat files.txt', exitCode: 1, output: 'main.tf\n' }).tool).toBe('unknown');
  });

  it('terraform fmt -diff and a syntax error', () => {
    expect(
      diagnose({
        command: 'make check',
        exitCode: 3,
        output: 'main.tf\n--- old/main.tf\n+++ new/main.tf\n@@ -1 +1 @@\n-a=1\n+a = 1\n',
      }),
    ).toMatchObject({ tool: 'terraform', category: 'format' });
    const error = diagnose({
      command: 'terraform validate',
      exitCode: 1,
      output: '╷\n│ Error: Invalid expression\n│\n│   on main.tf line 3, in locals:\n│    3:   a = \n╵\n',
    });
    expect(error).toMatchObject({ tool: 'terraform', category: 'build', locations: [{ path: 'main.tf', line: 3 }] });
  });

  it('shfmt -d: the file and its first changed line', () => {
    const d = diagnoseCaptured('shfmt', 'shfmt');
    expect(d).toMatchObject({ tool: 'shfmt', category: 'format', locations: [{ path: 'scripts/deploy.sh', line: 3 }] });
    // The header and the first changed lines: what is wrong, not only where.
    expect(d.excerpt).toEqual(['--- scripts/deploy.sh.orig', '-    echo  "deploying $1"', '+  echo "deploying $1"']);
  });

  it('shfmt -l: the listed files when the command lists', () => {
    expect(
      diagnose({ command: 'test -z "$(shfmt -l -i 2 .)"', exitCode: 1, output: 'scripts/a.sh\nb.bash\n' }),
    ).toMatchObject({ tool: 'shfmt', locations: [{ path: 'scripts/a.sh' }, { path: 'b.bash' }] });
  });

  it('clang-format --dry-run -Werror: every violation with file:line:col', () => {
    const d = diagnoseCaptured('clang-format', 'clang-format');
    expect(d).toMatchObject({ tool: 'clang-format', category: 'format' });
    expect(d.locations.map((l) => `${l.path}:${l.line}`)).toEqual(['src/main.c:2', 'src/main.c:3', 'src/main.c:4']);
    expect(d.excerpt[0]).toBe('src/main.c:2:4: error: code should be clang-formatted [-Wclang-format-violations]');
  });
});
