// Re-runs the real Go toolchain on the Go fixtures and writes what it printed to
// test/fixtures/outputs/<tool>/<case>.json, the test data of the Go recognizers.
//   npx tsx scripts/capture-go-outputs.ts
// Needs go on PATH (gofmt with it) and the module proxy or a warm module cache (google/uuid,
// golang.org/x/tools for goimports). The fixture's temp folder is replaced by /src/demo so
// re-captures differ only where the tools changed.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGoFixture, type GoFixtureName } from './lib/fixtures/go.js';

export interface CapturedOutput {
  fixture: string;
  command: string;
  exitCode: number;
  /** `go version` of the toolchain that printed it. */
  goVersion: string;
  /** stdout and stderr, merged in arrival order (as the sandbox streams them). */
  output: string;
}

interface Capture {
  file: string;
  fixture: GoFixtureName;
  /** Instead of the fixture's own CI command. */
  command?: string;
}

const CAPTURES: Capture[] = [
  { file: 'gofmt/idiom', fixture: 'gofmt' },
  { file: 'gofmt/diff', fixture: 'gofmt-diff' },
  { file: 'gofmt/list', fixture: 'gofmt-list' },
  { file: 'goimports/idiom', fixture: 'goimports' },
  { file: 'goimports/diff', fixture: 'goimports-diff' },
  { file: 'goimports/missing', fixture: 'goimports-missing' },
  { file: 'go-mod/missing-module', fixture: 'go-mod-missing' },
  { file: 'go-mod/missing-go-sum', fixture: 'go-sum-missing' },
  { file: 'go-mod/updates-needed', fixture: 'go-mod-updates' },
  { file: 'go-mod/inconsistent-vendoring', fixture: 'go-vendor' },
  { file: 'go-mod/toolchain-newer', fixture: 'go-toolchain-newer', command: 'go test ./...' },
  { file: 'go-build/build', fixture: 'go-build', command: 'go build ./...' },
  { file: 'go-build/under-go-test', fixture: 'go-build', command: 'go test ./...' },
  { file: 'go-vet/vet', fixture: 'go-vet', command: 'go vet ./...' },
  { file: 'go-vet/under-go-test', fixture: 'go-vet', command: 'go test ./...' },
  { file: 'go-test/fail', fixture: 'go-test', command: 'go test ./...' },
  { file: 'go-test/fail-verbose', fixture: 'go-test', command: 'go test -v ./...' },
  { file: 'go-test/panic', fixture: 'go-test-panic' },
];

export const OUTPUTS_DIR = fileURLToPath(new URL('../test/fixtures/outputs/', import.meta.url));
const PLACEHOLDER_DIR = '/src/demo';

function sh(command: string, cwd: string): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    // One stream, so the order is the order the tool printed in.
    execFile(
      'sh',
      ['-c', `(${command}) 2>&1`],
      { cwd, timeout: 300_000, env: { ...process.env, GOTOOLCHAIN: 'local' } },
      (err, stdout) => {
        const exitCode = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ exitCode, output: stdout });
      },
    );
  });
}

async function main(): Promise<void> {
  const goVersion = (await sh('go version', os.tmpdir())).output.trim();
  const root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-capture-'));
  try {
    for (const capture of CAPTURES) {
      const repo = await createGoFixture(path.join(root, capture.file.replace('/', '-')), capture.fixture);
      const command = capture.command ?? repo.command;
      const { exitCode, output } = await sh(command, repo.dir);
      const record: CapturedOutput = {
        fixture: capture.fixture,
        command,
        exitCode,
        goVersion,
        output: output.replaceAll(repo.dir, PLACEHOLDER_DIR),
      };
      const file = path.join(OUTPUTS_DIR, `${capture.file}.json`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
      console.log(`${capture.file}: exit ${exitCode}, ${output.split('\n').length} lines`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
