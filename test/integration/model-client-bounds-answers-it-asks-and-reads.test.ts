// The model client bounds what it asks for and what it reads: every request carries max_tokens
// (the fake endpoint refuses a request without it), and an answer larger than
// LLM_MAX_RESPONSE_BYTES fails the request as model_unavailable instead of being read whole.
// Real HTTP on loopback to the fake OpenAI-compatible endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import { createModelClient, ModelUnavailableError } from '../../src/fixer/agent/client.js';
import { createRedactor } from '../../src/shared/redact.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

const TOOLS = [
  {
    type: 'function' as const,
    function: { name: 'done', description: 'finish', parameters: { type: 'object', properties: {} } },
  },
];
const MESSAGES = [{ role: 'user' as const, content: 'fix it' }];

describe('the model client', () => {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  const clientFor = (url: string, maxResponseBytes = 4 * 1024 * 1024) =>
    createModelClient(
      {
        baseUrl: url,
        apiKey: undefined,
        model: 'scripted-coder',
        requestTimeoutMs: 10_000,
        maxRetries: 0,
        maxCompletionTokens: 777,
        maxResponseBytes,
      },
      createRedactor([]),
    );

  it('sends max_tokens on every request', async () => {
    fake = await startFakeOpenAI({ turns: [{ content: 'ok' }, { content: 'again' }] });
    const client = clientFor(fake.url);
    await client.complete(MESSAGES, TOOLS, new AbortController().signal);
    await client.complete(MESSAGES, TOOLS, new AbortController().signal);
    expect(fake.violations).toEqual([]);
    expect(fake.requests.map((r) => r.body.max_tokens)).toEqual([777, 777]);
  });

  it('fails an answer over the response cap as model_unavailable, naming the cap', async () => {
    fake = await startFakeOpenAI({ turns: [{ oversizedBytes: 8 * 1024 * 1024 }, { content: 'small' }] });
    const client = clientFor(fake.url, 256 * 1024);
    const err = await client.complete(MESSAGES, TOOLS, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnavailableError);
    expect((err as ModelUnavailableError).code).toBe('model_unavailable');
    expect((err as Error).message).toContain('more than 262144 bytes');
    // An answer under the cap is still read.
    const ok = await client.complete(MESSAGES, TOOLS, new AbortController().signal);
    expect(ok.message.content).toBe('small');
  });
});
