// The model-backed fixer through the real worker, local sandbox and pipeline against the scripted
// OpenAI-compatible fake: a fix that only counts once the command passes, a second try after a
// failed verification, budgets, retries and an endpoint that is down.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lastMessage, toolAnswers } from '../support/fake-openai.js';
import { Fixtures, sh } from '../support/fix-pipeline.js';
import { FIX_TURNS, specOf, startModelWorld, type ModelWorld } from '../support/model-world.js';

describe('model fixer: fixes, verifies, retries', () => {
  const fixtures = new Fixtures();
  let world: ModelWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(() => fixtures.cleanup());

  it('fixes a failing node --test by its edit, verified by re-running the command, and records its usage', async () => {
    world = await startModelWorld({ turns: FIX_TURNS });
    const repo = await world.repo();
    const task = await world.run(specOf(repo));

    expect(task.state).toBe('succeeded');
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model', fixers: ['model'], reason: null });
    expect(task.result?.patch).toContain('-  return a - b;');
    expect(task.result?.patch).toContain('+  return a + b;');
    expect(task.result?.model).toEqual({
      model: 'scripted-coder',
      steps: 4,
      attempts: 1,
      promptTokens: 400,
      completionTokens: 80,
      modelTimeMs: expect.any(Number),
      summary: 'sum subtracted instead of adding; it now returns a + b.',
    });
    // Reproduce, the model's own run, its verification, the final proof: all `node --test`.
    const runs = task.result?.commands.filter((c) => c.command === 'node --test') ?? [];
    expect(runs.map((c) => c.exitCode)).toEqual([1, 0, 0, 0]);

    const { requests, violations } = world.fake;
    expect(violations).toEqual([]);
    expect(requests).toHaveLength(4);
    const first = requests[0]!.body;
    expect(first.model).toBe('scripted-coder');
    expect(Object.keys(first).sort()).toEqual(['max_tokens', 'messages', 'model', 'tools']);
    expect(first.max_tokens).toBe(4096);
    expect(first.tools.map((t: any) => t.function.name)).toEqual([
      'read_file',
      'list_files',
      'search',
      'edit_file',
      'run',
      'finish',
    ]);
    expect(first.messages.map((m: any) => m.role)).toEqual(['system', 'user']);
    expect(first.messages[1].content).toContain('node --test');
    expect(first.messages[1].content).toContain('src/sum.js');
    expect(first.messages[1].content).toMatch(/sum adds two numbers|AssertionError|5/);
    expect(toolAnswers(requests[1]!)[0]).toContain('return a - b;');
    expect(toolAnswers(requests[2]!)[1]).toBe('edited src/sum.js');
    expect(toolAnswers(requests[3]!)[2]).toMatch(/^exit code 0\n/);
    expect(world.fixed).toEqual([['model']]);
    expect(world.tokens).toEqual({ prompt: 400, completion: 80 });
    expect(world.modelRequests).toEqual(['200', '200', '200', '200']);

    // The patch, applied to a clean clone, makes the command pass there too.
    const clone = `${repo.dir}-clone`;
    expect((await sh(`git clone --quiet ${repo.url} ${clone}`, '/')).code).toBe(0);
    await sh(`cat > ../fix.patch <<'EOF'\n${task.result!.patch}\nEOF`, clone);
    expect((await sh('git apply ../fix.patch && node --test', clone)).code).toBe(0);
    await sh(`rm -rf ${clone} ${clone}/../fix.patch`, '/');
  });

  it('takes over when a deterministic fixer made progress but the command still fails, on the tree it left', async () => {
    world = await startModelWorld({
      turns: [
        (request) => {
          // prettier ran first: its step now passes (kept), the next one still fails.
          expect(request.body.messages[1].content).toContain('npx prettier --check . && node test.js');
          return { calls: [{ name: 'run', arguments: { command: 'npx prettier --write .' } }] };
        },
        { calls: [{ name: 'edit_file', arguments: { path: 'test.js', content: 'console.log("fine");\n' } }] },
        { calls: [{ name: 'finish', arguments: { summary: 'formatted the sources and made test.js pass' } }] },
      ],
    });
    const repo = await fixtures.repo('prettier-still-failing');
    const task = await world.run(specOf(repo));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'prettier', fixers: ['prettier', 'model'] });
    expect(task.result?.patch).toContain('diff --git a/src/greet.js b/src/greet.js');
    expect(task.result?.patch).toContain('diff --git a/test.js b/test.js');
    const log = await world.logText(task.id);
    expect(log.indexOf('applying fixer prettier')).toBeGreaterThan(-1);
    expect(log.indexOf('applying fixer prettier')).toBeLessThan(log.indexOf('model fixer: scripted-coder'));
  });

  it('gives the model the new output when verification fails, and its second edit passes', async () => {
    world = await startModelWorld({
      turns: [
        {
          calls: [
            {
              name: 'edit_file',
              arguments: { path: 'src/sum.js', old_string: 'return a - b;', new_string: 'return a * b;' },
            },
          ],
        },
        { calls: [{ name: 'finish', arguments: { summary: 'multiply' } }] },
        (request) => {
          const told = lastMessage(request);
          expect(told.role).toBe('user');
          expect(told.content).toContain('still fails');
          expect(told.content).toMatch(/6 !== 5|6\s*\n.*5|expected/s);
          return {
            calls: [
              {
                name: 'edit_file',
                arguments: { path: 'src/sum.js', old_string: 'return a * b;', new_string: 'return a + b;' },
              },
            ],
          };
        },
        { calls: [{ name: 'finish', arguments: { summary: 'sum now adds' } }] },
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({
      outcome: 'fixed',
      fixer: 'model',
      model: { steps: 4, attempts: 2, summary: 'sum now adds' },
    });
    expect(task.result?.patch).toContain('+  return a + b;');
    expect(task.result?.commands.filter((c) => c.command === 'node --test').map((c) => c.exitCode)).toEqual([
      1, 1, 0, 0,
    ]);
  });

  it('runs several calls of one turn in order and answers each, those after finish with "not run"', async () => {
    world = await startModelWorld({
      turns: [
        {
          calls: [
            {
              name: 'edit_file',
              arguments: { path: 'src/sum.js', old_string: 'return a - b;', new_string: 'return a * b;' },
            },
            { name: 'finish', arguments: { summary: 'multiply' } },
            { name: 'read_file', arguments: { path: 'src/sum.js' } },
          ],
        },
        (request) => {
          expect(toolAnswers(request)).toEqual([
            'edited src/sum.js',
            'finished',
            'not run: the attempt ended before this call',
          ]);
          return {
            calls: [FIX_TURNS[1]!.calls[0]!, FIX_TURNS[3]!.calls[0]!].map((c) =>
              c.name === 'edit_file'
                ? { ...c, arguments: { path: 'src/sum.js', old_string: 'return a * b;', new_string: 'return a + b;' } }
                : c,
            ),
          };
        },
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', model: { steps: 2, attempts: 2 } });
  });

  it('ends not_fixed with the reason when the step budget runs out', async () => {
    world = await startModelWorld({
      settings: { budgets: { maxSteps: 3 } },
      respond: (request) => ({
        calls: [{ name: 'read_file', arguments: { path: 'src/sum.js', start_line: request.body.messages.length } }],
      }),
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(world.fake.requests).toHaveLength(3);
    expect(task.state).toBe('succeeded');
    expect(task.result).toMatchObject({
      outcome: 'not_fixed',
      fixer: null,
      patch: '',
      reason: 'the model fixer ran out of its step budget (3 steps)',
      model: { steps: 3, attempts: 1 },
    });
    expect(await world.logText(task.id)).toContain('model fixer: budget_exhausted');
  });

  it('the token and wall-time budgets end it too, a hanging request included', async () => {
    world = await startModelWorld({
      settings: { budgets: { maxTokens: 150 } },
      respond: (request) => ({
        calls: [{ name: 'list_files', arguments: { path: `d${request.body.messages.length}` } }],
        usage: { prompt: 100, completion: 20 },
      }),
    });
    const byTokens = await world.run(specOf(await world.repo()));
    expect(byTokens.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model fixer ran out of its token budget (240 of 150 tokens)',
      model: { steps: 2, promptTokens: 200, completionTokens: 40 },
    });
    await world.close();

    world = await startModelWorld({ settings: { budgets: { maxWallSeconds: 1 } }, turns: [{ hang: true }] });
    const byTime = await world.run(specOf(await world.repo()));
    expect(byTime.state).toBe('succeeded');
    expect(byTime.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model fixer ran out of its wall time budget (1 s)',
      model: { steps: 1 },
    });
    expect(world.fake.requests[0]!.aborted).toBe(true);
  });

  it("fits its wall time into what is left of the task's, and does not start without enough", async () => {
    world = await startModelWorld({ turns: FIX_TURNS });
    const short = await world.run(specOf(await world.repo(), { timeoutSeconds: 10 }));
    expect(short.result?.outcome).toBe('not_fixed');
    expect(await world.logText(short.id)).toMatch(/model fixer not run: \d+ s of the task's time would be left for it/);
    expect(world.fake.requests).toHaveLength(0);

    const fits = await world.run(specOf(await world.repo(), { timeoutSeconds: 60 }));
    expect(fits.result).toMatchObject({ outcome: 'fixed', fixer: 'model' });
    expect(await world.logText(fits.id)).toMatch(
      /model fixer: wall time budget cut to (4\d|3\d) s by the task's time left/,
    );
  });

  it('retries a 429 with backoff and then succeeds', async () => {
    world = await startModelWorld({
      turns: [{ status: 429, message: 'rate limited', headers: { 'retry-after-ms': '50' } }, ...FIX_TURNS],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model', model: { steps: 4 } });
    expect(world.modelRequests).toEqual(['429', '200', '200', '200', '200']);
    // The retry is the same request again.
    expect(world.fake.requests[1]!.body).toEqual(world.fake.requests[0]!.body);
  });

  it('a 5xx that lasts past the retry bound makes it give up with the reason; the worker carries on', async () => {
    world = await startModelWorld({
      settings: { maxRetries: 2 },
      respond: () => ({ status: 503, message: 'overloaded', headers: { 'retry-after-ms': '10' } }),
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.modelRequests).toEqual(['503', '503', '503']);
    expect(task.state).toBe('succeeded');
    expect(task.result).toMatchObject({ outcome: 'not_fixed', model: { steps: 1 } });
    expect(task.result?.reason).toMatch(
      /^the model endpoint 127\.0\.0\.1:\d+ answered 503 overloaded after 2 retries$/,
    );
  });

  it('an endpoint that is down makes it give up with a clear reason, never fail the task', async () => {
    world = await startModelWorld({ settings: { baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1 } });
    const task = await world.run(specOf(await world.repo()));
    expect(task.state).toBe('succeeded');
    expect(task.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model endpoint 127.0.0.1:9 cannot be reached (1 retries)',
    });
    expect(world.modelRequests).toEqual(['error', 'error']);
  });

  it('answers malformed tool calls (bad JSON, unknown tool, missing argument) with errors the model corrects', async () => {
    world = await startModelWorld({
      turns: [
        { calls: [{ name: 'read_file', arguments: '{"path": "src/sum.js"' }] },
        (request) => {
          expect(toolAnswers(request).at(-1)).toMatch(/^error: the arguments of read_file are not valid JSON/);
          return { calls: [{ name: 'write_file', arguments: { path: 'src/sum.js' } }] };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toMatch(
            /^error: unknown tool "write_file"; the tools are read_file, list_files, search, edit_file, run, finish$/,
          );
          return {
            calls: [{ name: 'edit_file', arguments: { old_string: 'return a - b;', new_string: 'return a + b;' } }],
          };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toMatch(/^error: invalid arguments for edit_file: path: /);
          return {
            calls: [
              {
                name: 'edit_file',
                arguments: { path: 'src/sum.js', old_string: 'return a - b;', new_string: 'return a + b;' },
              },
            ],
          };
        },
        { calls: [{ name: 'finish', arguments: { summary: 'fixed sum' } }] },
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model', model: { steps: 5 } });
  });
});
