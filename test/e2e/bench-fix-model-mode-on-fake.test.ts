// `npm run bench:fix -- --model --fake` as the bench runs it: the built API and worker, the local
// sandbox, real git repositories of two model-needed corpus cases, and the scripted endpoint on
// loopback, which fixes one case and gives up on the other.
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../../scripts/bench/corpus/index.js';
import { runModelBench } from '../../scripts/bench/fix-model.js';
import { redisUrl } from '../support/redis.js';

describe('bench:fix in model mode against the scripted fake', () => {
  it("prints the model fixer's rate and tokens per fix, with no false fix and no wire-format violation", async () => {
    const lines: string[] = [];
    const run = await runModelBench({
      cases: CORPUS.filter((c) => c.name === 'js-node-test-logic-bug' || c.name === 'js-prettier-then-test-bug'),
      fake: true,
      concurrency: 2,
      taskTimeoutSeconds: 120,
      redisUrl: redisUrl(),
      out: (line) => lines.push(line),
      progress: () => undefined,
    });
    const printed = lines.join('\n');
    expect(run.violations).toEqual([]);
    // The fake answers 100 prompt + 20 completion tokens a turn: edit_file and finish on the fixed
    // case, one finish on the one it gives up on.
    expect(run).toMatchObject({
      cases: 2,
      fixed: 1,
      falseFixes: 0,
      tokens: 360,
      tokensPerFix: 360,
      tokensPerFixedCase: 240,
      steps: 3,
      attempts: 2,
    });
    expect(printed).toMatch(/^js-node-test-logic-bug\s+test\s+fixed\s+fixed\s+yes\s+2\s+1\s+240\s/m);
    expect(printed).toMatch(
      /^js-prettier-then-test-bug\s+test\s+not_fixed\s+not_fixed\s+yes\s+1\s+1\s+120\s.*the model finished without changing anything/m,
    );
    expect(printed).toMatch(/^ {2}model fix rate {12}1\/2 \(50%\)$/m);
    expect(printed).toMatch(/^ {2}tokens per fix {12}360 /m);
    expect(printed).toMatch(/^ {2}false fixes {15}0$/m);
    expect(printed).toMatch(/^ {2}wire-format violations {4}0$/m);
  });
});
