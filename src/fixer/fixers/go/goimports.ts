import type { Fixer } from '../../types.js';
import { formatTargets, goToolchainProblem, notFound } from './toolchain.js';

// How the check ran goimports, so the fix runs the same one: pinned through `go run`, as a go.mod
// tool (`go tool goimports`, Go 1.24+), or whatever `goimports` is on PATH.
const GO_RUN = /\bgo\s+run\s+(golang\.org\/x\/tools\/cmd\/goimports(?:@[\w.+-]+)?)/;
const GO_TOOL = /\bgo\s+tool\s+goimports\b/;
const LOCAL_FLAG = /\bgoimports\b[^|&;]*?\s-local[= ]([\w./,-]+)/;
const PINNED_EXAMPLE = 'go run golang.org/x/tools/cmd/goimports@v0.41.0';

export function goimportsInvocation(command: string): string {
  const run = GO_RUN.exec(command);
  const base = run ? `go run ${run[1]}` : GO_TOOL.test(command) ? 'go tool goimports' : 'goimports';
  const local = LOCAL_FLAG.exec(command);
  return local ? `${base} -local ${local[1]}` : base;
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
    await ctx.run(`${invocation} -w ${formatTargets(ctx)}`);
    return { status: 'applied' };
  },
};
