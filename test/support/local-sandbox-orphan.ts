// Run as a separate Node process by local-sandbox-kills.test.ts: starts a command with a short
// timeout whose grandchild ignores SIGTERM, prints the grandchild's pid, and waits to be SIGKILLed.
import { createLogger } from '../../src/logger.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local.js';

const provider = createLocalSandboxProvider({ logger: createLogger('silent'), killGraceMs: 500 });
await provider.start();
const sandbox = await provider.create({ taskId: 'orphan', timeoutSeconds: 60 });
// Killed before it can dispose, so the test removes the workdir.
process.stdout.write(`workdir ${sandbox.workdir}\n`);
await sandbox.exec(`sh -c '(trap "" TERM; exec sleep 300) & echo "grandchild $!"; wait'`, {
  timeoutMs: Number(process.argv[2] ?? 3000),
  onOutput: (_stream, line) => process.stdout.write(`${line}\n`),
});
process.stdout.write('exec returned\n');
