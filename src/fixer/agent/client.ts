// The model endpoint: the official `openai` client pointed at any OpenAI-compatible server
// (OpenAI, vLLM, Ollama, LiteLLM) through `baseURL`. The client retries 429, 5xx, timeouts and
// connection errors with exponential backoff (Retry-After honoured up to 60 s) up to maxRetries,
// and bounds every attempt with the request timeout. What is left after that is final for this
// task: ModelUnavailableError, with a reason fit for the task log (secrets redacted).
import OpenAI from 'openai';
import type {
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { AppError, CancelledError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Redactor } from '../../shared/redact.js';

export interface ModelClientSettings {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  requestTimeoutMs: number;
  maxRetries: number;
  /** Sent as max_tokens: the longest answer of one turn. */
  maxCompletionTokens: number;
  /** Largest response body read; more fails the request. */
  maxResponseBytes: number;
}

/** Counts every HTTP attempt (retries included) by status: "200", "429", "error", "aborted". */
export interface ModelRequestObserver {
  request(status: string): void;
}

export interface Completion {
  message: ChatCompletionMessage;
  finishReason: string | null;
  /** From the response's usage; null when the server sent none. */
  promptTokens: number | null;
  completionTokens: number | null;
  elapsedMs: number;
}

export interface ModelClient {
  complete(
    messages: ChatCompletionMessageParam[],
    tools: ChatCompletionTool[],
    signal: AbortSignal,
  ): Promise<Completion>;
}

/** The endpoint could not answer (down, refused the key, kept failing after the retries). */
export class ModelUnavailableError extends AppError {
  readonly code = 'model_unavailable';
}

/** The request was stopped by our own budget signal (wall time), not by a cancel. */
export class ModelBudgetAbort extends Error {}

// Without a key the client would fall back to OPENAI_API_KEY from the environment; local servers
// take any bearer token, so a placeholder keeps the environment out of it.
const NO_KEY = 'not-set';

export function createModelClient(
  settings: ModelClientSettings,
  redact: Redactor,
  observer?: ModelRequestObserver,
  logger?: Logger,
): ModelClient {
  const countingFetch: typeof fetch = async (input, init) => {
    try {
      const response = await fetch(input, init);
      observer?.request(String(response.status));
      return boundedResponse(response, settings);
    } catch (err) {
      observer?.request(init?.signal?.aborted ? 'aborted' : 'error');
      throw err;
    }
  };
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    apiKey: settings.apiKey ?? NO_KEY,
    organization: null,
    project: null,
    timeout: settings.requestTimeoutMs,
    maxRetries: settings.maxRetries,
    fetch: countingFetch,
    webhookSecret: null,
    // The client's own warnings go to our logger as one event, redacted; it never prints to the console.
    logLevel: 'warn',
    logger: {
      error: (message: unknown) => logger?.error({ detail: redact(String(message)) }, 'model_client_error'),
      warn: (message: unknown) => logger?.warn({ detail: redact(String(message)) }, 'model_client_warning'),
      info: () => undefined,
      debug: () => undefined,
    },
  });

  return {
    async complete(messages, tools, signal) {
      const started = performance.now();
      try {
        // Only what every OpenAI-compatible server understands: tool_choice defaults to auto when
        // tools are given, and parallel_tool_calls is refused by some proxies (several calls in
        // one turn are run in order anyway).
        const response = await client.chat.completions.create(
          { model: settings.model, messages, tools, max_tokens: settings.maxCompletionTokens },
          { signal },
        );
        const choice = response.choices?.[0];
        if (choice?.message === undefined)
          throw new ModelUnavailableError('the model endpoint answered without a message');
        return {
          message: choice.message,
          finishReason: choice.finish_reason ?? null,
          promptTokens: response.usage?.prompt_tokens ?? null,
          completionTokens: response.usage?.completion_tokens ?? null,
          elapsedMs: Math.round(performance.now() - started),
        };
      } catch (err) {
        throw classify(err, signal, settings, redact);
      }
    },
  };
}

/**
 * The response with its body cut off at maxResponseBytes: a server (or anything in between) that
 * sends more makes the read fail instead of filling the worker's memory. The failure is thrown
 * while the client reads the body, where it is not retried.
 */
function boundedResponse(response: Response, settings: ModelClientSettings): Response {
  if (response.body === null) return response;
  const limit = settings.maxResponseBytes;
  let seen = 0;
  const cut = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) {
        controller.error(
          new ModelUnavailableError(
            `the model endpoint ${new URL(settings.baseUrl).host} answered more than ${limit} bytes (LLM_MAX_RESPONSE_BYTES)`,
          ),
        );
        return;
      }
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(cut), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function classify(err: unknown, signal: AbortSignal, settings: ModelClientSettings, redact: Redactor): Error {
  if (err instanceof ModelUnavailableError) return err;
  if (signal.aborted) {
    return signal.reason instanceof ModelBudgetAbort
      ? signal.reason
      : new CancelledError('task cancelled during a model request');
  }
  const where = new URL(settings.baseUrl).host;
  const message = (() => {
    if (err instanceof OpenAI.APIConnectionTimeoutError)
      return `the model endpoint ${where} did not answer within ${settings.requestTimeoutMs} ms (${settings.maxRetries} retries)`;
    if (err instanceof OpenAI.APIConnectionError)
      return `the model endpoint ${where} cannot be reached (${settings.maxRetries} retries)`;
    if (err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError)
      return `the model endpoint ${where} refused the API key (${err.status})`;
    if (err instanceof OpenAI.APIError) {
      const retried = err.status === 429 || (err.status ?? 0) >= 500 ? ` after ${settings.maxRetries} retries` : '';
      return `the model endpoint ${where} answered ${err.message.slice(0, 300)}${retried}`;
    }
    return `the model request failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
  })();
  // No `cause`: the client's errors carry request details (headers included) we never want logged.
  return new ModelUnavailableError(redact(message));
}
