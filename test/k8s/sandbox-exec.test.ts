// Commands in a sandbox pod over the exec websocket of a real API server: real exit codes from
// the status channel, output streamed line by line while the command runs, and timeouts and
// cancels that stop the command inside the pod (not only our end of the socket).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CancelledError, ValidationError } from '../../src/errors.js';
import type { KubernetesSandbox } from '../../src/sandbox/kubernetes/sandbox.js';
import { k8sClients } from '../support/k8s.js';
import { aliveProbe, useProvider, useSandbox, useSandboxNamespace } from '../support/k8s-sandbox.js';
import { LineLog, waitUntil } from '../support/local-sandbox.js';

describe('kubernetes sandbox exec', () => {
  const ns = useSandboxNamespace('sbx-exec');
  const p = useProvider(ns);
  const box = useSandbox(p);

  async function output(command: string, timeoutMs = 30_000): Promise<string[]> {
    const lines: string[] = [];
    const result = await box.current.exec(command, { timeoutMs, onOutput: (_s, line) => lines.push(line) });
    expect(result.exitCode).toBe(0);
    return lines;
  }

  async function isAlive(pid: number): Promise<boolean> {
    return (await output(aliveProbe(pid)))[0] === 'alive';
  }

  it('reports exit codes 0, 1 and 3 from the status channel', async () => {
    for (const code of [0, 1, 3]) {
      const result = await box.current.exec(`exit ${code}`, { timeoutMs: 30_000 });
      expect(result).toMatchObject({ exitCode: code, timedOut: false });
    }
    expect((await box.current.exec('false', { timeoutMs: 30_000 })).exitCode).toBe(1);
  });

  it('streams interleaved stdout and stderr line by line before the command ends', async () => {
    const log = new LineLog();
    // The command waits for a file only a second exec creates: it can end only after the test
    // has seen its first lines, so those lines were streamed, not collected at the end.
    const running = box.current.exec(
      'echo out-1; echo err-1 >&2; echo out-2; i=0; while [ ! -e release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo err-2 >&2; printf tail',
      { timeoutMs: 90_000, onOutput: log.onOutput },
    );
    await log.waitFor(/^out-2$/);
    await log.waitFor(/^err-1$/);
    expect(log.lines.some((l) => l.line === 'err-2')).toBe(false);
    await box.current.writeFile('release', '');
    const result = await running;
    expect(result.exitCode).toBe(0);
    expect(log.lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['out-1', 'out-2', 'tail']);
    expect(log.lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err-1', 'err-2']);
    await box.current.exec('rm -f release', { timeoutMs: 30_000 });
  });

  it('passes env values and runs in cwd relative to the workdir', async () => {
    await output("mkdir -p 'sub dir'");
    const lines: string[] = [];
    const result = await box.current.exec('pwd -P; printf "%s\\n" "$SECRETISH"', {
      timeoutMs: 30_000,
      cwd: 'sub dir',
      env: { SECRETISH: `it's "quoted" $HOME` },
      onOutput: (_s, line) => lines.push(line),
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual([`${box.current.workdir}/sub dir`, `it's "quoted" $HOME`]);
    await expect(box.current.exec('true', { timeoutMs: 30_000, cwd: 'missing' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('feeds stdin to the command', async () => {
    const lines: string[] = [];
    await box.current.exec('tr a-z A-Z', {
      timeoutMs: 30_000,
      stdin: Buffer.from('hello\nworld'),
      onOutput: (_s, l) => lines.push(l),
    });
    expect(lines).toEqual(['HELLO', 'WORLD']);
  });

  it('kills the remote command and its children when the timeout passes', async () => {
    const log = new LineLog();
    const result = await box.current.exec('sleep 300 & echo "child $!"; wait', {
      timeoutMs: 2000,
      onOutput: log.onOutput,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    const pid = Number((await log.waitFor(/^child (\d+)$/))[1]);
    await waitUntil(async () => !(await isAlive(pid)), `remote sleep ${pid} to be killed`, 30_000);
  });

  it('kills the remote command when the task is cancelled, and rejects with CancelledError', async () => {
    const log = new LineLog();
    const controller = new AbortController();
    const running = box.current.exec('sleep 300 & echo "child $!"; wait', {
      timeoutMs: 120_000,
      signal: controller.signal,
      onOutput: log.onOutput,
    });
    const pid = Number((await log.waitFor(/^child (\d+)$/))[1]);
    expect(await isAlive(pid)).toBe(true);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await waitUntil(async () => !(await isAlive(pid)), `remote sleep ${pid} to be killed`, 30_000);
  });

  it('fails running commands at once when the pod is deleted under them', async () => {
    const own = await p.current.provider.create({ taskId: randomUUID(), timeoutSeconds: 120 });
    try {
      const log = new LineLog();
      // Settled into a value at once: the rejection may come before the test awaits it.
      const running = own.exec('echo started; sleep 300', { timeoutMs: 120_000, onOutput: log.onOutput }).then(
        () => undefined,
        (err: unknown) => err,
      );
      await log.waitFor(/^started$/);
      const podName = (own as KubernetesSandbox).podName;
      await k8sClients().core.deleteNamespacedPod({ name: podName, namespace: ns.name });
      expect(await running).toMatchObject({ code: 'sandbox_lost' });
      await expect(own.exec('true', { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'sandbox_lost' });
    } finally {
      await own.dispose();
    }
  });
});
