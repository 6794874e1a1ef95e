// The agent alone on the real local sandbox (a real clone, the real `openai` client against the
// scripted fake), for what the worker-level tests cannot reach: a test file known only from the
// diagnosis, the patch cap, and the context window in the requests the model gets.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createModelAgent } from '../../src/fixer/agent/index.js';
import { createCommandRunner } from '../../src/fixer/runner.js';
import type { AgentContext, FixContext } from '../../src/fixer/types.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import { estimateTokens } from '../../src/fixer/agent/context-window.js';
import { createModelFixtureRepo } from '../../scripts/lib/fixtures/model.js';
import { startFakeOpenAI, toolAnswers, type FakeOpenAI, type ScriptStep } from '../support/fake-openai.js';
import { Fixtures } from '../support/fix-pipeline.js';
import { captureLogger, startLocalProvider } from '../support/local-sandbox.js';
import { FIX_TURNS, modelSettings } from '../support/model-world.js';

const CHECK =
  "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { sum } from '../src/sum.js';\ntest('sum again', () => assert.equal(sum(2, 3), 5));\n";

describe('model agent on the local sandbox', () => {
  const fixtures = new Fixtures();
  let provider: SandboxProvider | undefined;
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await provider?.stop();
    await fake?.close();
  });
  afterAll(() => fixtures.cleanup());

  /** Clones a fixture into a fresh sandbox and runs the agent on it with the given script. */
  async function runAgent(
    turns: ScriptStep[],
    options: {
      settings?: Parameters<typeof modelSettings>[1];
      ctx?: Partial<AgentContext>;
      extra?: Record<string, string>;
    } = {},
  ) {
    fake = await startFakeOpenAI({ turns });
    ({ provider } = await startLocalProvider());
    const repo = await createModelFixtureRepo(`${await fixtures.tempDir('agent')}/repo`, {
      'checks/sum-check.js': CHECK,
      ...options.extra,
    });
    const sandbox = await provider.create({ taskId: 'agent-test', timeoutSeconds: 120 });
    const logs: string[] = [];
    const fixCtx = {
      timeoutSeconds: 120,
      sandbox,
      signal: new AbortController().signal,
      log: (_s: string, text: string) => void logs.push(text),
    } as unknown as FixContext;
    const runner = createCommandRunner(fixCtx);
    expect((await runner.run(`git clone --quiet ${repo.url} repo`)).exitCode).toBe(0);
    const run: AgentContext['run'] = (command, o) => runner.run(command, { ...o, cwd: 'repo' });
    const failed = await run('node --test test/sum.test.js checks/sum-check.js');
    const agent = createModelAgent(modelSettings(fake.url, options.settings), { logger: captureLogger().logger });
    const result = await agent.run({
      taskId: 'agent-test',
      command: 'node --test test/sum.test.js checks/sum-check.js',
      failure: {
        command: 'node --test test/sum.test.js checks/sum-check.js',
        exitCode: failed.exitCode,
        output: failed.output,
        diagnosis: {
          tool: 'node-test',
          category: 'test',
          step: null,
          locations: [{ path: 'checks/sum-check.js', line: 4, column: 1 }],
          excerpt: ['-1 !== 5'],
          summary: 'node-test failed in checks/sum-check.js:4 (test)',
        },
      },
      sandbox,
      run,
      verify: async () => {
        const r = await run('node --test test/sum.test.js checks/sum-check.js');
        return { passed: r.exitCode === 0, exitCode: r.exitCode, output: r.output };
      },
      files: ['package.json', 'src/sum.js', 'test/sum.test.js', 'checks/sum-check.js'],
      repoDir: 'repo',
      protectTests: true,
      budgets: { maxSteps: 20, maxTokens: 1_000_000, maxWallSeconds: 300, maxAttempts: 2 },
      log: (text) => void logs.push(text),
      signal: new AbortController().signal,
      ...options.ctx,
    });
    return { result, logs, fake };
  }

  it("protects a test file the diagnosis names, though its path is no test convention's", async () => {
    const { result, fake } = await runAgent([
      {
        calls: [
          {
            name: 'edit_file',
            arguments: { path: 'checks/sum-check.js', old_string: 'sum(2, 3), 5', new_string: 'sum(2, 3), -1' },
          },
        ],
      },
      (request) => {
        expect(toolAnswers(request).at(-1)).toMatch(/^refused: checks\/sum-check\.js is a test file/);
        return FIX_TURNS[1]!;
      },
      FIX_TURNS[3]!,
    ]);
    expect(fake.violations).toEqual([]);
    expect(result).toMatchObject({ passed: true, reason: 'verified', usage: { steps: 3, attempts: 1 } });
  });

  it('undoes a change that takes the patch over its cap, and says so', async () => {
    const { result, fake, logs } = await runAgent(
      [
        {
          calls: [
            {
              name: 'edit_file',
              arguments: {
                path: 'src/sum.js',
                content: `// ${'x'.repeat(3000)}\nexport function sum(a, b) {\n  return a + b;\n}\n`,
              },
            },
          ],
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toMatch(
            /^refused and undone: the change would make the patch \d+ bytes, over the cap of 1024; make a smaller change$/,
          );
          return { calls: [{ name: 'read_file', arguments: { path: 'src/sum.js' } }] };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toContain('return a - b;');
          return FIX_TURNS[1]!;
        },
        FIX_TURNS[3]!,
      ],
      { settings: { patchMaxBytes: 1024 } },
    );
    expect(fake.violations).toEqual([]);
    expect(result.reason).toBe('verified');
    expect(logs.some((l) => l.startsWith('model fixer: refused and undone: the change would make the patch'))).toBe(
      true,
    );
  });

  it('keeps every request inside the context window by trimming old tool outputs', async () => {
    const big = Array.from({ length: 200 }, (_, i) => `// line ${i} ${'filler '.repeat(6)}`).join('\n');
    const reads: ScriptStep[] = Array.from({ length: 6 }, (_, i) => ({
      calls: [{ name: 'read_file', arguments: { path: 'src/big.js', start_line: i + 1 } }],
    }));
    const { fake } = await runAgent([...reads, ...FIX_TURNS.slice(1)], {
      settings: { contextTokens: 4000 },
      extra: { 'src/big.js': big },
    });
    expect(fake.violations).toEqual([]);
    expect(fake.requests).toHaveLength(9);
    for (const request of fake.requests)
      expect(estimateTokens(request.body.messages, JSON.stringify(request.body.tools).length)).toBeLessThanOrEqual(
        3000,
      );
    const last = toolAnswers(fake.requests.at(-1)!);
    expect(last[0]).toMatch(/^\[tool output trimmed to fit the context window/);
    expect(last.at(-2)).toBe('edited src/sum.js');
    expect(last.at(-1)).toMatch(/^exit code 0\n/);
  });
});
