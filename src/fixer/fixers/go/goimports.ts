import type { Fixer } from '../../types.js';
import { checkFlags, formatTargets, goToolchainProblem, notFound } from './toolchain.js';

// How the check ran goimports, so the fix runs the same one: pinned through `go run`, as a go.mod
// tool (`go tool goimports`, Go 1.24+), or whatever `goimports` is on PATH.
const GO_RUN = /\bgo\s+run\s+(golang\.org\/x\/tools\/cmd\/goimports(?:@[\w.+-]+)?)/;
const GO_TOOL = /\bgo\s+tool\s+goimports\b/;
// Its name in the command, also pinned (`go run …/goimports@v0.41.0`) or as a go.mod tool.
const GOIMPORTS = /go\s+run\s+\S*goimports\S*|go\s+tool\s+goimports|goimports/;
const PINNED_EXAMPLE = 'go run golang.org/x/tools/cmd/goimports@v0.41.0';

export function goimportsInvocation(command: string): string {
  const run = GO_RUN.exec(command);
  const base = run ? `go run ${run[1]}` : GO_TOOL.test(command) ? 'go tool goimports' : 'goimports';
  // The check's -local and -format-only, so the imports are grouped the way it wants them.
  return [base, ...checkFlags(command, GOIMPORTS)].join(' ');
}

export const goimportsFixer: Fixer = {
  name: 'goimports',
  ecosystem: 'go',
  // Also on `goimports: not found`, to say what to add rather than "no fixer recognises this".
  detect: (failure) =>
    failure.diagnosis.tool === 'goimports' &&
    (failure.diagnosis.category === 'format' || failure.diagnosis.category === 'environment'),
  async apply(ctx) {
    const invocation = goimportsInvocation(ctx.failure.command);
    if (invocation.startsWith('goimports')) {
      if (!(await ctx.hasCommand('goimports'))) return notFound('goimports', ` (or run it pinned: ${PINNED_EXAMPLE})`);
    } else {
      const problem = await goToolchainProblem(ctx);
      if (problem) return problem;
    }
    await ctx.run(`${invocation} -w ${formatTargets(ctx, GOIMPORTS)}`);
    return { status: 'applied' };
  },
};
