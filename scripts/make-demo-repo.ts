// Creates a local git repository whose CI check fails, for trying ci-fixer end to end:
//   npx tsx scripts/make-demo-repo.ts [dir] [--variant prettier|eslint|npm-lockfile|...]
// Prints the repository's file:// URL, then a task body ready for POST /api/v1/tasks.
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFixtureRepo, FIXTURE_VARIANTS, type FixtureVariant } from './lib/git-fixtures.js';

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npx tsx scripts/make-demo-repo.ts [dir] [--variant ${FIXTURE_VARIANTS.join('|')}]\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let variant: FixtureVariant = 'prettier';
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--variant') {
      const value = args[++i];
      if (!FIXTURE_VARIANTS.includes(value as FixtureVariant)) usage(`unknown variant: ${value}`);
      variant = value as FixtureVariant;
    } else if (arg.startsWith('-')) {
      usage(`unknown option: ${arg}`);
    } else if (dir === undefined) {
      dir = path.resolve(arg);
    } else {
      usage('only one directory may be given');
    }
  }
  if (dir === undefined) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-demo-'));
  } else {
    const entries = await readdir(dir).catch(() => []);
    if (entries.length > 0) usage(`directory is not empty: ${dir}`);
  }
  const repo = await createFixtureRepo(dir, variant);
  // One write, and a closed pipe is fine: `... | head -n 1` takes the URL and leaves.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  process.stdout.write(
    `${repo.url}\n${JSON.stringify({ repo: { url: repo.url, ref: repo.branch }, command: repo.command })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`make-demo-repo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
