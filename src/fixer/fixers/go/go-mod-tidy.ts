import { MODULE_PROBLEMS } from '../../diagnosis/go.js';
import type { Fixer } from '../../types.js';
import { goToolchainProblem } from './toolchain.js';

export const goModTidyFixer: Fixer = {
  name: 'go-mod-tidy',
  ecosystem: 'go',
  detect: (failure) =>
    (failure.diagnosis.tool === 'go-mod' && failure.diagnosis.category === 'dependency') ||
    MODULE_PROBLEMS.some(({ pattern }) => pattern.test(failure.output)),
  async apply(ctx) {
    const problem = await goToolchainProblem(ctx);
    if (problem) return problem;
    if ((await ctx.readFile('go.mod')) === null)
      return { status: 'skipped', message: 'go-mod-tidy: no go.mod at the repository root' };
    // Adds what the code imports, drops what it no longer does, and fills go.sum, with the go line
    // kept. Modules come through GOPROXY/GOFLAGS as the sandbox sets them. A failure is logged by
    // the run; the verify step decides.
    await ctx.run('go mod tidy');
    // A vendored module must also get the vendor folder in step, or the build stays inconsistent.
    if ((await ctx.readFile('vendor/modules.txt')) !== null) await ctx.run('go mod vendor');
    return { status: 'applied' };
  },
};
