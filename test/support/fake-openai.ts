// A scripted fake of an OpenAI-compatible chat-completions endpoint, over real HTTP on loopback.
// The model endpoint is a third-party service, so this is where a fake stands in: it speaks the
// wire format (tool_calls included, no streaming: ci-fixer does not stream), records every request,
// checks each one's shape (model, messages, tools, tool results answering the calls before them),
// and plays scripted turns: answers, tool calls, HTTP errors, or a request that never answers.
// Also the seam for `bench:fix`'s model mode: startFakeOpenAI({ respond }) can answer dynamically.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedChatRequest {
  authorization: string | undefined;
  body: any;
  /** The client went away before an answer (a cancelled request). */
  aborted: boolean;
}

export interface ScriptedCall {
  name: string;
  /** An object is sent as JSON; a string is sent as-is (so a test can send malformed JSON). */
  arguments: string | Record<string, unknown>;
}

export type Turn =
  | { calls: ScriptedCall[]; content?: string; usage?: { prompt: number; completion: number } }
  | { content: string; usage?: { prompt: number; completion: number } }
  | { status: number; message?: string; headers?: Record<string, string> }
  | { hang: true }
  /** A 200 whose JSON body is about this many bytes (a runaway or hostile endpoint). */
  | { oversizedBytes: number };

/** A turn, or a function of the request that picks one (and may assert on what the agent sent). */
export type ScriptStep = Turn | ((request: RecordedChatRequest) => Turn);

export interface FakeOpenAIOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  turns?: ScriptStep[];
  /** Answers once the scripted turns are used up (default: a 400 "script exhausted", recorded as a violation). */
  respond?: (request: RecordedChatRequest) => Turn;
}

export interface FakeOpenAI {
  /** Base URL for the client, ending in /v1. */
  url: string;
  requests: RecordedChatRequest[];
  /** Shape problems found in requests (every test expects none). */
  violations: string[];
  /** Requests that are waiting for an answer (hang turns). */
  pending(): number;
  close(): Promise<void>;
}

let nextId = 0;

/** Problems with a chat-completions request body, by the OpenAI wire format. */
export function checkChatRequest(body: any): string[] {
  const problems: string[] = [];
  if (typeof body?.model !== 'string' || body.model === '') problems.push('model must be a non-empty string');
  if (!Array.isArray(body?.messages) || body.messages.length === 0)
    return [...problems, 'messages must be a non-empty array'];
  if (body.stream === true) problems.push('stream was requested');
  // An answer's length is bounded by the client, never left to the server's default.
  if (!Number.isInteger(body?.max_tokens) || body.max_tokens <= 0)
    problems.push('max_tokens must be a positive integer');
  const open = new Set<string>();
  body.messages.forEach((m: any, i: number) => {
    if (!['system', 'user', 'assistant', 'tool'].includes(m?.role))
      problems.push(`messages[${i}].role is ${JSON.stringify(m?.role)}`);
    if (m.role !== 'tool' && open.size > 0)
      problems.push(`messages[${i}] comes before every tool call was answered: ${[...open].join(', ')}`);
    if (m.role === 'assistant' && m.tool_calls !== undefined) {
      if (!Array.isArray(m.tool_calls) || m.tool_calls.length === 0)
        problems.push(`messages[${i}].tool_calls must be a non-empty array when present`);
      for (const call of m.tool_calls ?? []) {
        if (
          typeof call?.id !== 'string' ||
          call.type !== 'function' ||
          typeof call.function?.name !== 'string' ||
          typeof call.function?.arguments !== 'string'
        ) {
          problems.push(`messages[${i}] has a malformed tool call`);
        } else open.add(call.id);
      }
    }
    if (m.role === 'tool') {
      if (typeof m.content !== 'string') problems.push(`messages[${i}].content of a tool message must be a string`);
      if (!open.delete(m.tool_call_id))
        problems.push(`messages[${i}] answers unknown tool_call_id ${JSON.stringify(m.tool_call_id)}`);
    }
    if ((m.role === 'system' || m.role === 'user') && typeof m.content !== 'string')
      problems.push(`messages[${i}].content must be a string`);
  });
  if (!Array.isArray(body.tools) || body.tools.length === 0) problems.push('tools must be a non-empty array');
  for (const tool of body.tools ?? []) {
    if (
      tool?.type !== 'function' ||
      typeof tool.function?.name !== 'string' ||
      tool.function?.parameters?.type !== 'object'
    ) {
      problems.push(`malformed tool ${JSON.stringify(tool?.function?.name)}`);
    }
  }
  return problems;
}

function completion(model: string, turn: Extract<Turn, { content: string } | { calls: ScriptedCall[] }>) {
  const calls = 'calls' in turn ? turn.calls : [];
  const usage = turn.usage ?? { prompt: 100, completion: 20 };
  return {
    id: `chatcmpl-${++nextId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        finish_reason: calls.length > 0 ? 'tool_calls' : 'stop',
        message: {
          role: 'assistant',
          content: turn.content ?? null,
          ...(calls.length > 0
            ? {
                tool_calls: calls.map((c) => ({
                  id: `call_${++nextId}`,
                  type: 'function',
                  function: {
                    name: c.name,
                    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
                  },
                })),
              }
            : {}),
        },
      },
    ],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedChatRequest[] = [];
  const violations: string[] = [];
  const turns = [...(options.turns ?? [])];
  const hanging = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      violations.push(`unexpected ${req.method} ${req.url}`);
      return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    }
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      violations.push('request body is not JSON');
      return send(res, 400, { error: { message: 'invalid JSON', type: 'invalid_request_error' } });
    }
    const request: RecordedChatRequest = { authorization: req.headers.authorization, body, aborted: false };
    requests.push(request);
    res.on('close', () => {
      if (!res.writableFinished) request.aborted = true;
      hanging.delete(res);
    });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(res, 401, {
        error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    const problems = checkChatRequest(body);
    if (problems.length > 0) {
      violations.push(...problems);
      return send(res, 400, { error: { message: problems.join('; '), type: 'invalid_request_error' } });
    }
    const step = turns.shift();
    let turn: Turn;
    try {
      turn =
        step === undefined
          ? (options.respond?.(request) ?? { status: 400, message: 'script exhausted' })
          : typeof step === 'function'
            ? step(request)
            : step;
    } catch (err) {
      // A failed assertion inside a scripted step: recorded, and answered so the agent moves on.
      violations.push(`scripted step failed: ${(err as Error).message}`);
      turn = { status: 400, message: 'scripted step failed' };
    }
    if (step === undefined && options.respond === undefined) violations.push('script exhausted');
    if ('hang' in turn) {
      hanging.add(res);
      return;
    }
    if ('oversizedBytes' in turn) {
      const padded = completion(body.model, { content: 'x'.repeat(turn.oversizedBytes) });
      return send(res, 200, padded);
    }
    if ('status' in turn)
      return send(
        res,
        turn.status,
        { error: { message: turn.message ?? `status ${turn.status}`, type: 'server_error' } },
        turn.headers,
      );
    send(res, 200, completion(body.model, turn));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake failed: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, { error: { message: 'fake failed' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    violations,
    pending: () => hanging.size,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The last message of a recorded request (what the agent just told the model). */
export function lastMessage(request: RecordedChatRequest): any {
  return request.body.messages.at(-1);
}

/** The tool answers of a recorded request, in order. */
export function toolAnswers(request: RecordedChatRequest): string[] {
  return (request.body.messages as any[]).filter((m) => m.role === 'tool').map((m) => m.content as string);
}
