import type { Fixer } from '../../types.js';
import { checkFlags, formatTargets, goToolchainProblem, notFound } from './toolchain.js';

const GOFMT = /gofmt/;

export const gofmtFixer: Fixer = {
  name: 'gofmt',
  ecosystem: 'go',
  // The diagnosis carries the evidence, including the silent `test -z "$(gofmt -l .)"` idiom; on
  // `gofmt: not found` (environment) it runs to say what to add.
  detect: (failure) =>
    failure.diagnosis.tool === 'gofmt' &&
    (failure.diagnosis.category === 'format' || failure.diagnosis.category === 'environment'),
  async apply(ctx) {
    let gofmt = 'gofmt';
    if (await ctx.hasCommand('go')) {
      const problem = await goToolchainProblem(ctx);
      if (problem) return problem;
      // The gofmt of the toolchain go runs this module with (the pinned one under GOTOOLCHAIN=auto).
      gofmt = '"$(go env GOROOT)/bin/gofmt"';
    } else if (!(await ctx.hasCommand('gofmt'))) {
      return notFound('gofmt');
    }
    // The check's own simplification and rewrite rules: `gofmt -s -l .` is fixed by `gofmt -s -w`.
    const flags = checkFlags(ctx.failure.command, GOFMT);
    await ctx.run([gofmt, ...flags, '-w', formatTargets(ctx, GOFMT)].join(' '));
    return { status: 'applied' };
  },
};
