// The model fixer as deployed: ci-fixer as a built process configured by LLM_* variables, the
// scripted OpenAI-compatible fake as its endpoint, a logic bug no tool can fix submitted over HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelFixtureRepo } from '../../scripts/lib/fixtures/model.js';
import type { FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { startCiFixer, type CiFixerProcess } from '../support/ci-fixer-process.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { FIX_TURNS } from '../support/model-world.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

const KEY = 'sk-e2e-model-key-9c1d3b';

describe('the model fixer in a running ci-fixer', () => {
  let dir: string;
  let repo: FixtureRepo;
  let fake: FakeOpenAI;
  let app: CiFixerProcess;
  const prefix = uniquePrefix('e2e-model');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-e2e-model-'));
    repo = await createModelFixtureRepo(path.join(dir, 'repo'));
    fake = await startFakeOpenAI({ apiKey: KEY, turns: FIX_TURNS });
    app = await startCiFixer('all', {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      API_TOKENS: 'e2e-token',
      LLM_BASE_URL: fake.url,
      LLM_API_KEY: KEY,
      LLM_MODEL: 'scripted-coder',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    const redis = connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('fixes a failing node --test with the model, counts it in /metrics, and never shows the key', async () => {
    expect(app.logs.filter((l) => l.msg === 'model_fixer_enabled')).toEqual([
      expect.objectContaining({
        component: 'model-agent',
        model: 'scripted-coder',
        endpoint: new URL(fake.url).origin,
      }),
    ]);
    const client = taskClient(app.url, 'e2e-token');
    const { id } = await client.submit({ repo: { url: repo.url, ref: 'main' }, command: 'node --test' });
    const task = await client.waitFor(id, TERMINAL, 120_000);
    expect(fake.violations).toEqual([]);
    expect(task.state).toBe('succeeded');
    expect(task.result?.outcome).toBe('fixed');
    expect(task.result?.fixer).toBe('model');
    expect(task.result?.patch).toContain('+  return a + b;');
    expect(task.result?.model).toMatchObject({
      model: 'scripted-coder',
      steps: 4,
      attempts: 1,
      promptTokens: 400,
      completionTokens: 80,
      summary: 'sum subtracted instead of adding; it now returns a + b.',
    });

    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^ci_fixer_model_requests_total\{status="200"\} 4$/m);
    expect(metrics).toMatch(/^ci_fixer_model_tokens_total\{kind="prompt"\} 400$/m);
    expect(metrics).toMatch(/^ci_fixer_model_tokens_total\{kind="completion"\} 80$/m);
    expect(metrics).toMatch(/^ci_fixer_fixes_total\{fixer="model"\} 1$/m);

    const log = (await client.readAllLogs(id, 500)).lines.map((l) => l.text).join('\n');
    expect(log).toContain('model fixer: verifying attempt 1 by re-running the command');
    expect(log).not.toContain(KEY);
    expect(JSON.stringify(app.logs)).not.toContain(KEY);
  });

  it('says once at startup that the model fixer is off when LLM_BASE_URL is unset', async () => {
    const worker = await startCiFixer('worker', { REDIS_URL: redisUrl(), QUEUE_PREFIX: `${prefix}-off` });
    try {
      expect(worker.logs.filter((l) => l.msg === 'model_fixer_disabled')).toEqual([
        expect.objectContaining({ variable: 'LLM_BASE_URL' }),
      ]);
      expect(worker.logs.some((l) => l.msg === 'model_fixer_enabled')).toBe(false);
    } finally {
      await worker.stop();
    }
  });
});
