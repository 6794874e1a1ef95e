// Firefox's executable as playwright-core sees it (test/support/browser.ts starts this file with
// node, the real binary as first argument): Debian's firefox-esr, run with the arguments
// playwright-core gave, with this process on the WebDriver BiDi socket between them.
//
// Why: playwright-core (1.65) opens every browser context with emulation.setMediaFeaturesOverride,
// a command newer than Firefox 153 ESR, which answers "unknown command", so no page could open.
// The shim answers that one command itself, and only when it asks for no override at all (the
// console has no colour-scheme styles, and the tests ask for none); any real override still goes
// to Firefox and fails there. Every other message passes through unchanged.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

const [FIREFOX, ...FIREFOX_ARGS] = process.argv.slice(2);
if (!FIREFOX) {
  process.stderr.write('usage: node firefox-bidi-shim.ts <firefox binary> [firefox arguments]\n');
  process.exit(2);
}
// The line playwright-core reads to find the socket (from stderr).
const LISTENING = /^(.*WebDriver BiDi listening on )(ws:\/\/\S+)(.*)$/;

interface BidiCommand {
  id?: number;
  method?: string;
  params?: { features?: Record<string, unknown> };
}

/** The reply Firefox would give if it knew the command, for a request that overrides nothing. */
function localReply(text: string): string | undefined {
  let command: BidiCommand;
  try {
    command = JSON.parse(text) as BidiCommand;
  } catch {
    return undefined;
  }
  if (command.method !== 'emulation.setMediaFeaturesOverride') return undefined;
  const features = Object.values(command.params?.features ?? {});
  if (features.some((value) => value !== null && value !== undefined)) return undefined;
  return JSON.stringify({ type: 'success', id: command.id, result: {} });
}

function closeWith(socket: WebSocket, code: number, reason: Buffer): void {
  // 1005 and 1006 describe a close without a frame: they cannot be sent on.
  if (code >= 1000 && code <= 4999 && code !== 1005 && code !== 1006) socket.close(code, reason);
  else socket.close();
}

function proxyTo(upstreamUrl: string): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (client, request) => {
    const upstream = new WebSocket(new URL(request.url ?? '/', upstreamUrl).href);
    const queued: string[] = [];
    const toFirefox = (text: string) =>
      upstream.readyState === WebSocket.OPEN ? upstream.send(text) : queued.push(text);
    upstream.on('open', () => {
      for (const text of queued.splice(0)) upstream.send(text);
    });
    upstream.on('message', (data: RawData) => client.send(data.toString()));
    upstream.on('close', (code, reason) => closeWith(client, code, reason));
    upstream.on('error', () => client.terminate());
    client.on('message', (data: RawData) => {
      const text = data.toString();
      const reply = localReply(text);
      if (reply) client.send(reply);
      else toFirefox(text);
    });
    client.on('close', (code, reason) => closeWith(upstream, code, reason));
    client.on('error', () => upstream.terminate());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`unexpected address ${address}`));
      else resolve(`ws://127.0.0.1:${address.port}`);
    });
  });
}

const firefox = spawn(FIREFOX, FIREFOX_ARGS, { stdio: ['ignore', 'inherit', 'pipe'] });
firefox.on('error', (error) => {
  process.stderr.write(`cannot start ${FIREFOX}: ${error.message}\n`);
  process.exit(1);
});
firefox.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => firefox.kill(signal));

createInterface({ input: firefox.stderr }).on('line', (line) => {
  const match = LISTENING.exec(line);
  if (!match) {
    process.stderr.write(`${line}\n`);
    return;
  }
  proxyTo(match[2]!).then(
    (url) => process.stderr.write(`${match[1]}${url}${match[3]}\n`),
    (error: Error) => {
      process.stderr.write(`the BiDi shim could not listen: ${error.message}\n`);
      firefox.kill('SIGKILL');
    },
  );
});
