// The e2e and k8s tiers run the built ci-fixer (dist/). `npx vitest run --project e2e` on a stale
// dist/ would test old code, so this setup rebuilds first and says why; a failed build fails the run.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_STAMP, staleReason } from '../../scripts/lib/build-freshness.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export default function setup(): void {
  const reason = staleReason(ROOT);
  if (reason === undefined) return;
  process.stderr.write(`[ci-fixer tests] dist/ is stale: ${reason}; rebuilding (npm run build)\n`);
  rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 300_000,
    });
  } catch (err) {
    throw new Error(
      `dist/ is stale (${reason}) and the rebuild failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  // As `npm run build` does: the console's stylesheet and script are read from dist/ at start.
  cpSync(path.join(ROOT, 'src/console/assets'), path.join(ROOT, 'dist/src/console/assets'), { recursive: true });
  writeFileSync(path.join(ROOT, BUILD_STAMP), '');
}
