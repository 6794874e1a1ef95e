// The API key lives only in the worker: never in the sandbox's environment, the task record, the
// task log or the process logs, even when the endpoint echoes it in an error. And a cancel aborts
// the model request that is in flight.
import { afterEach, describe, expect, it } from 'vitest';
import { toolAnswers } from '../support/fake-openai.js';
import { waitUntil } from '../support/local-sandbox.js';
import { untilFinal } from '../support/queue-stack.js';
import { FIX_TURNS, specOf, startModelWorld, type ModelWorld } from '../support/model-world.js';

const KEY = 'sk-test-SECRET-4f9a2c71d0';

describe('model fixer: secrets and cancel', () => {
  let world: ModelWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('keeps the API key out of the sandbox environment, the task record, the task log and the process logs', async () => {
    let envSeen = '';
    world = await startModelWorld({
      apiKey: KEY,
      settings: { apiKey: KEY },
      // As in production, where the worker's own environment holds LLM_API_KEY.
      baseEnv: { ...process.env, LLM_API_KEY: KEY },
      turns: [
        { calls: [{ name: 'run', arguments: { command: 'env' } }] },
        (request) => {
          envSeen = toolAnswers(request).at(-1) ?? '';
          return FIX_TURNS[1]!;
        },
        FIX_TURNS[3]!,
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model' });
    // The key did reach the endpoint, as a bearer token from the worker.
    expect(world.fake.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);

    expect(envSeen).toMatch(/^exit code 0\n/);
    expect(envSeen).toMatch(/^PATH=/m);
    expect(envSeen).not.toContain(KEY);
    expect(envSeen).not.toContain('LLM_API_KEY');
    const log = await world.logText(task.id);
    expect(log).toMatch(/^PATH=/m);
    expect(log).not.toContain(KEY);
    expect(JSON.stringify(task)).not.toContain(KEY);
    expect(JSON.stringify(world.fake.requests.map((r) => r.body))).not.toContain(KEY);
    expect(world.processLogs()).not.toContain(KEY);
  });

  it('redacts the key from an error message the endpoint sends back', async () => {
    world = await startModelWorld({
      settings: { apiKey: KEY },
      respond: () => ({ status: 400, message: `bad request for key ${KEY}` }),
    });
    const task = await world.run(specOf(await world.repo()));
    expect(task.result?.outcome).toBe('not_fixed');
    expect(task.result?.reason).toMatch(
      /^the model endpoint 127\.0\.0\.1:\d+ answered 400 bad request for key \[redacted\]$/,
    );
    expect(JSON.stringify(task)).not.toContain(KEY);
    expect(await world.logText(task.id)).not.toContain(KEY);
    expect(world.processLogs()).not.toContain(KEY);
  });

  it('a cancel during a model call aborts the request in flight and ends the task cancelled', async () => {
    world = await startModelWorld({ turns: [{ hang: true }] });
    const { id } = await world.stack.tasks.submit(specOf(await world.repo()));
    const fake = world.fake;
    await waitUntil(() => fake.pending() === 1, 'the model request to arrive', 60_000);
    await world.stack.tasks.cancel(id);
    const task = await untilFinal(world.stack, id, 60_000);
    expect(task.state).toBe('cancelled');
    await waitUntil(() => fake.requests[0]?.aborted === true, 'the model request to be aborted', 10_000);
    expect(fake.requests).toHaveLength(1);
    expect(world.modelRequests).toEqual(['aborted']);
  });
});
