// Finds and runs helm and kubectl: $HELM_BIN / $KUBECTL_BIN, else the binaries the test-cluster
// build caches (scripts/test-cluster/build.sh --print-bin-dir), else the PATH. Nothing is downloaded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scrubbedEnv } from './child-env.js';

const run = promisify(execFile);
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'chart');

export type Tool = 'helm' | 'kubectl';
const OVERRIDE: Record<Tool, string> = { helm: 'HELM_BIN', kubectl: 'KUBECTL_BIN' };

let binDir: Promise<string> | undefined;
function testClusterBinDir(): Promise<string> {
  binDir ??= run('bash', [join(REPO_ROOT, 'scripts/test-cluster/build.sh'), '--print-bin-dir'], {
    timeout: 10_000,
  }).then(({ stdout }) => stdout.trim());
  return binDir;
}

export async function toolPath(tool: Tool, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const override = env[OVERRIDE[tool]];
  if (override) return override;
  const cached = join(await testClusterBinDir(), tool);
  return existsSync(cached) ? cached : tool;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the tool; a non-zero exit is returned, not thrown, so callers can assert on the message. */
export async function runTool(
  tool: Tool,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolResult> {
  const bin = await toolPath(tool);
  try {
    const { stdout, stderr } = await run(bin, args, {
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 32 * 1024 * 1024,
      env: scrubbedEnv(options.env),
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number')
      throw new Error(`${tool} ${args.slice(0, 2).join(' ')} did not finish (${bin}): ${e.message}`, { cause: err });
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
