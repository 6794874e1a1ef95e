// Re-runs the real tools on the python, rust and "other" fixture cases and stores what they print
// as test data: test/fixtures/outputs/<tool>/<case>.txt (stdout and stderr in arrival order, the
// fixture's temporary path replaced by /sandbox/repo) and <case>.json (command, exit code, tool
// version). The recognizer tests read these files. Run: npx tsx scripts/capture-outputs-more.ts
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MORE_CASES } from './lib/fixtures/more-cases.js';
import { createCaseRepo, type FixtureCase } from './lib/fixtures/repo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUTS_DIR = path.join(ROOT, 'test/fixtures/outputs');
/** Stands in for the fixture's temporary directory, so re-captures differ only where the tools do. */
export const REPO_PLACEHOLDER = '/sandbox/repo';

const VERSION_COMMANDS: Record<string, string> = {
  black: 'black --version',
  isort: 'isort --version-number',
  pytest: 'pytest --version',
  mypy: 'mypy --version',
  poetry: 'poetry --version',
  'cargo-fmt': 'cargo fmt --version',
  'cargo-build': 'cargo --version',
  'cargo-test': 'cargo --version',
  clippy: 'cargo clippy --version',
  terraform: 'terraform version',
  shfmt: 'shfmt --version',
  'clang-format': 'clang-format --version',
};

interface Captured {
  exitCode: number;
  output: string;
}

/** Runs `command` in `cwd` with sh, as CI would, with a bound. */
function capture(command: string, cwd: string, timeoutMs = 180_000): Promise<Captured> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CARGO_TERM_COLOR: 'never' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? -1, output });
    });
  });
}

async function captureCase(name: string, fixture: FixtureCase): Promise<void> {
  const parent = await mkdtemp(path.join(os.tmpdir(), `ci-fixer-capture-${name}-`));
  try {
    const dir = path.join(parent, 'repo');
    await createCaseRepo(dir, name, fixture);
    const run = await capture(fixture.command, dir);
    // Never overwrite a good capture with a shell's "not found".
    if (run.exitCode === 127) {
      console.error(
        `${fixture.tool}/${name}: not captured, the tool is missing here: ${run.output.trim().split('\n').at(-1)}`,
      );
      process.exitCode = 1;
      return;
    }
    // The first line naming a version (terraform may lead with a configuration warning).
    const versionOutput = (await capture(VERSION_COMMANDS[fixture.tool] ?? 'true', dir)).output;
    const version =
      versionOutput
        .split('\n')
        .find((line) => /\d+\.\d+/.test(line))
        ?.trim() ?? '';
    const output = run.output.split(dir).join(REPO_PLACEHOLDER);
    const outDir = path.join(OUTPUTS_DIR, fixture.tool);
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, `${name}.txt`), output);
    await writeFile(
      path.join(outDir, `${name}.json`),
      `${JSON.stringify({ command: fixture.command, exitCode: run.exitCode, version, source: 'captured' }, null, 2)}\n`,
    );
    console.log(`${fixture.tool}/${name}: exit ${run.exitCode}, ${output.length} chars (${version})`);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

const only = process.argv.slice(2);
for (const [name, fixture] of Object.entries(MORE_CASES)) {
  if (only.length === 0 || only.includes(name)) await captureCase(name, fixture);
}
