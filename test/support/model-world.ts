// The model-backed fixer end to end in one process: the real worker on the test Redis, the real
// local sandbox and pipeline, the real agent and `openai` client, against the scripted fake
// endpoint over loopback. Everything a test needs to look at is kept: requests, logs, metrics.
import path from 'node:path';
import type { LlmSettings } from '../../src/config.js';
import { createModelAgent } from '../../src/fixer/agent/index.js';
import type { TaskRecord, TaskSpec } from '../../src/task.js';
import type { FixWorker } from '../../workers/worker.js';
import { createModelFixtureRepo } from '../../scripts/lib/fixtures/model.js';
import type { FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from './fake-openai.js';
import { Fixtures } from './fix-pipeline.js';
import { captureLogger, startLocalProvider } from './local-sandbox.js';
import { createQueueStack, runToEnd, startStackWorker, type QueueStack } from './queue-stack.js';

export interface ModelWorldOptions extends FakeOpenAIOptions {
  settings?: Partial<Omit<LlmSettings, 'budgets'>> & { budgets?: Partial<LlmSettings['budgets']> };
  /** The environment the local sandbox starts from (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Worker secrets, as main.ts passes config.secrets. */
  secrets?: string[];
}

export interface ModelWorld {
  fake: FakeOpenAI;
  stack: QueueStack;
  worker: FixWorker;
  /** Every pino record of the worker, the agent and the sandbox provider, as JSON text. */
  processLogs(): string;
  modelRequests: string[];
  tokens: { prompt: number; completion: number };
  fixed: string[][];
  repo(extra?: Record<string, string>): Promise<FixtureRepo>;
  run(spec: TaskSpec): Promise<TaskRecord>;
  logText(id: string): Promise<string>;
  close(): Promise<void>;
}

export function modelSettings(url: string, overrides: ModelWorldOptions['settings'] = {}): LlmSettings {
  const { budgets, ...rest } = overrides;
  return {
    baseUrl: url,
    apiKey: undefined,
    model: 'scripted-coder',
    contextTokens: 32_000,
    requestTimeoutMs: 10_000,
    maxRetries: 2,
    maxCompletionTokens: 4096,
    maxResponseBytes: 4 * 1024 * 1024,
    patchMaxBytes: 64 * 1024,
    runTimeoutMs: 60_000,
    ...rest,
    budgets: { maxSteps: 20, maxTokens: 1_000_000, maxWallSeconds: 300, maxAttempts: 3, ...budgets },
  };
}

export async function startModelWorld(options: ModelWorldOptions = {}): Promise<ModelWorld> {
  const fake = await startFakeOpenAI(options);
  const fixtures = new Fixtures();
  const stack = createQueueStack();
  const { logger, records } = captureLogger();
  const modelRequests: string[] = [];
  const tokens = { prompt: 0, completion: 0 };
  const fixed: string[][] = [];
  const settings = modelSettings(options.settings?.baseUrl ?? fake.url, options.settings);
  const agent = createModelAgent(settings, {
    logger: logger.child({ component: 'model-agent' }),
    metrics: {
      request: (status) => void modelRequests.push(status),
      tokens: (kind, count) => {
        tokens[kind] += count;
      },
    },
  });
  const { provider, records: providerRecords } = await startLocalProvider(
    options.baseEnv ? { baseEnv: options.baseEnv } : {},
  );
  const worker = await startStackWorker(stack, {
    sandboxes: provider,
    agent,
    logger: logger.child({ component: 'worker' }),
    secrets: options.secrets ?? (settings.apiKey ? [settings.apiKey] : []),
    metrics: {
      taskFinished: () => undefined,
      sandboxReady: () => undefined,
      writeRefused: () => undefined,
      taskFixed: (f) => void fixed.push(f),
    },
  });
  return {
    fake,
    stack,
    worker,
    processLogs: () => JSON.stringify([...records, ...providerRecords]),
    modelRequests,
    tokens,
    fixed,
    repo: async (extra) => createModelFixtureRepo(path.join(await fixtures.tempDir('model'), 'repo'), extra),
    run: (spec) => runToEnd(stack, spec, 120_000),
    logText: async (id) => (await stack.tasks.readLogs(id, 0, 100_000)).lines.map((l) => l.text).join('\n'),
    async close() {
      await worker.stop();
      await stack.close();
      await fake.close();
      await fixtures.cleanup();
    },
  };
}

/** The spec of a fixture repository's failing command. */
export function specOf(repo: FixtureRepo, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { repo: { url: repo.url, ref: repo.branch }, command: repo.command, ...extra };
}

/** The scripted turns of a correct fix: read, edit, check, finish. */
export const FIX_TURNS = [
  { calls: [{ name: 'read_file', arguments: { path: 'src/sum.js' } }] },
  {
    calls: [
      {
        name: 'edit_file',
        arguments: { path: 'src/sum.js', old_string: 'return a - b;', new_string: 'return a + b;' },
      },
    ],
  },
  { calls: [{ name: 'run', arguments: { command: 'node --test' } }] },
  { calls: [{ name: 'finish', arguments: { summary: 'sum subtracted instead of adding; it now returns a + b.' } }] },
];
