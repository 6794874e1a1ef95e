import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { lowerBudgets } from '../../src/fixer/agent/index.js';
import { isTestFailure } from '../../src/fixer/agent/pipeline-step.js';
import { parseCiFixerFile } from '../../src/fixer/repo-config.js';
import { sandboxBaseEnv } from '../../src/sandbox/local.js';
import type { Diagnosis } from '../../src/task.js';

const diagnosis = (category: Diagnosis['category']): Diagnosis => ({
  tool: 'unknown',
  category,
  step: null,
  locations: [],
  excerpt: [],
  summary: '',
});

describe('model fixer settings', () => {
  it('is off without LLM_BASE_URL, and with it reads the endpoint, the model and the budgets', () => {
    expect(loadConfig({}).llm).toBeUndefined();
    const config = loadConfig({
      LLM_BASE_URL: 'http://127.0.0.1:11434/v1/',
      LLM_MODEL: 'qwen2.5-coder:14b',
      LLM_API_KEY: 'sk-local-1234',
      LLM_MAX_STEPS: '12',
    });
    expect(config.llm).toEqual({
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'sk-local-1234',
      model: 'qwen2.5-coder:14b',
      budgets: { maxSteps: 12, maxTokens: 300_000, maxWallSeconds: 600, maxAttempts: 3 },
      contextTokens: 32_000,
      requestTimeoutMs: 120_000,
      maxRetries: 3,
      maxCompletionTokens: 4096,
      maxResponseBytes: 4 * 1024 * 1024,
      patchMaxBytes: 65_536,
      runTimeoutMs: 120_000,
    });
    // A secret: redacted from logs, and kept out of the local sandbox's environment.
    expect(config.secrets).toContain('sk-local-1234');
    expect(sandboxBaseEnv({ PATH: '/bin', LLM_API_KEY: 'sk-local-1234', LLM_BASE_URL: 'x' })).toEqual({ PATH: '/bin' });
  });

  it('names the variable at fault', () => {
    expect(() => loadConfig({ LLM_BASE_URL: 'http://vllm:8000/v1' })).toThrow(
      'LLM_MODEL is required when LLM_BASE_URL is set',
    );
    expect(() => loadConfig({ LLM_BASE_URL: 'not a url', LLM_MODEL: 'm' })).toThrow(/LLM_BASE_URL/);
    expect(() => loadConfig({ LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'm', LLM_MAX_ATTEMPTS: '0' })).toThrow(
      /LLM_MAX_ATTEMPTS/,
    );
  });

  it('.ci-fixer.yml opts out with `model: false` or `enabled: false`, and names a bad budget by its line', () => {
    expect(parseCiFixerFile('model: false\n').model).toBe(false);
    expect(parseCiFixerFile('model:\n  enabled: false\n').model).toEqual({ enabled: false });
    expect(parseCiFixerFile('model:\n  maxSteps: 5\n  maxAttempts: 1\n').model).toEqual({
      maxSteps: 5,
      maxAttempts: 1,
    });
    expect(() => parseCiFixerFile('command: npm test\nmodel:\n  maxSteps: 0\n')).toThrow(/line 3: model\.maxSteps/);
    expect(() => parseCiFixerFile('model:\n  steps: 5\n')).toThrow(/line 2/);
  });

  it('a repository can lower each budget, never raise one', () => {
    const server = { maxSteps: 30, maxTokens: 300_000, maxWallSeconds: 600, maxAttempts: 3 };
    expect(lowerBudgets(server, { maxSteps: 5, maxAttempts: 10 })).toEqual({ ...server, maxSteps: 5 });
    expect(lowerBudgets(server, { maxTokens: 1e9, maxWallSeconds: 60 })).toEqual({ ...server, maxWallSeconds: 60 });
    expect(lowerBudgets(server)).toEqual(server);
  });

  it('protects tests for test failures: by the diagnosis, or by a failing command that runs a test runner', () => {
    const failure = (command: string, category: Diagnosis['category'] = 'unknown') => ({
      command,
      exitCode: 1,
      output: '',
      diagnosis: diagnosis(category),
    });
    expect(isTestFailure(failure('make check', 'test'))).toBe(true);
    for (const command of [
      'node --test',
      'node --experimental-strip-types --test',
      'npm test',
      'npm run test',
      'npx vitest run',
      'pytest -q',
      'go test ./...',
      'cargo test',
    ]) {
      expect(isTestFailure(failure(command)), command).toBe(true);
    }
    for (const command of ['npx eslint .', 'npx tsc --noEmit', 'go vet ./...', 'cargo build'])
      expect(isTestFailure(failure(command)), command).toBe(false);
  });
});
