import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { estimateTokens, fitToWindow, RESPONSE_RESERVE_FRACTION } from '../../src/fixer/agent/context-window.js';

function conversation(turns: number, outputChars: number): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: 'rules' },
    { role: 'user', content: 'the task' },
  ];
  for (let i = 0; i < turns; i++) {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `c${i}`, type: 'function', function: { name: 'read_file', arguments: `{"path":"f${i}"}` } }],
    });
    messages.push({ role: 'tool', tool_call_id: `c${i}`, content: `output ${i} `.repeat(outputChars / 10) });
  }
  return messages;
}

describe('model fixer context window', () => {
  it('leaves a conversation that fits alone', () => {
    const messages = conversation(3, 1000);
    const copy = structuredClone(messages);
    expect(fitToWindow(messages, 32_000)).toBe(0);
    expect(messages).toEqual(copy);
  });

  it('cuts the oldest tool outputs to stubs first, keeping the prompt, the task and the latest turns whole', () => {
    const messages = conversation(20, 4000);
    const latest = structuredClone(messages.slice(-4));
    const trimmed = fitToWindow(messages, 8000);
    expect(trimmed).toBeGreaterThan(0);
    expect(estimateTokens(messages)).toBeLessThanOrEqual(8000 * (1 - RESPONSE_RESERVE_FRACTION));
    expect(messages[0]).toEqual({ role: 'system', content: 'rules' });
    expect(messages[1]).toEqual({ role: 'user', content: 'the task' });
    expect(messages[3]!.content).toMatch(/^\[tool output trimmed to fit the context window \(\d+ characters\)/);
    expect(messages.slice(-4)).toEqual(latest);
    // Every tool call still has its answer: the wire format stays valid.
    expect(messages.filter((m) => m.role === 'tool')).toHaveLength(20);
  });

  it('cuts even the latest outputs to their tails when they alone overflow the window', () => {
    const messages = conversation(2, 40_000);
    fitToWindow(messages, 4000);
    expect(estimateTokens(messages)).toBeLessThanOrEqual(3000);
    expect(messages.at(-1)!.content).toMatch(/^\[cut to its last \d+ characters to fit the context window\]\n/);
    expect(String(messages.at(-1)!.content).endsWith('output 1 ')).toBe(true);
  });
});
