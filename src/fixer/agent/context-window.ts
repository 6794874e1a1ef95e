// Keeps the conversation inside the model's context window. Tokens are estimated from characters
// (about four per token for code and English; tokenizers differ per model, so there is a reserve):
// when the estimate goes over, the oldest tool outputs are cut to a stub first, then older
// assistant texts; the system prompt, the task and the latest turns stay whole.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

const CHARS_PER_TOKEN = 4;
const MESSAGE_OVERHEAD_TOKENS = 8;
/** Messages at the end that are never trimmed: the current turn and its tool answers. */
const KEEP_RECENT = 4;
/** Room left for the model's answer. */
export const RESPONSE_RESERVE_FRACTION = 0.25;

function contentChars(message: ChatCompletionMessageParam): number {
  let chars = 0;
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') chars += content.length;
  else if (Array.isArray(content)) for (const part of content) chars += JSON.stringify(part).length;
  const calls = (message as { tool_calls?: unknown[] }).tool_calls;
  if (Array.isArray(calls)) chars += JSON.stringify(calls).length;
  return chars;
}

export function estimateTokens(messages: readonly ChatCompletionMessageParam[], toolsJsonChars = 0): number {
  let chars = toolsJsonChars;
  for (const message of messages) chars += contentChars(message);
  return Math.ceil(chars / CHARS_PER_TOKEN) + messages.length * MESSAGE_OVERHEAD_TOKENS;
}

function stub(kind: string, chars: number): string {
  return `[${kind} trimmed to fit the context window (${chars} characters); repeat the call if you still need it]`;
}

/**
 * Trims `messages` in place until the estimate fits `windowTokens` minus the reserve. Returns how
 * many messages were trimmed. The first two messages (system prompt, task) are never removed; if
 * even the recent turns do not fit, their tool outputs are cut to their last characters.
 */
export function fitToWindow(messages: ChatCompletionMessageParam[], windowTokens: number, toolsJsonChars = 0): number {
  const budget = Math.floor(windowTokens * (1 - RESPONSE_RESERVE_FRACTION));
  let trimmed = 0;
  const over = () => estimateTokens(messages, toolsJsonChars) > budget;
  const end = Math.max(2, messages.length - KEEP_RECENT);
  for (const role of ['tool', 'assistant'] as const) {
    for (let i = 2; i < end && over(); i++) {
      const message = messages[i] as ChatCompletionMessageParam;
      if (message.role !== role || typeof message.content !== 'string') continue;
      const chars = message.content.length;
      if (chars < 200) continue; // already a stub, or too small to matter
      message.content = stub(role === 'tool' ? 'tool output' : 'earlier reasoning', chars);
      trimmed++;
    }
  }
  // Still over: the recent tool outputs and the task's failure excerpt keep only their tails.
  for (let i = 1; i < messages.length && over(); i++) {
    const message = messages[i] as ChatCompletionMessageParam;
    if ((message.role !== 'tool' && message.role !== 'user') || typeof message.content !== 'string') continue;
    const keep = Math.max(500, Math.floor((budget * CHARS_PER_TOKEN) / (messages.length + 1)));
    if (message.content.length <= keep) continue;
    message.content = `[cut to its last ${keep} characters to fit the context window]\n${message.content.slice(-keep)}`;
    trimmed++;
  }
  return trimmed;
}
