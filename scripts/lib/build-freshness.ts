// Whether dist/ was built from the sources as they are now. The e2e and k8s tiers run the built
// ci-fixer; on a stale dist/ they would test yesterday's code and pass or fail for the wrong reason.
// The stamp is the one scripts/lib/ensure.sh writes, so `npm test` and the tiers agree.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const BUILD_STAMP = 'dist/.build-stamp';
const INPUTS = ['src', 'workers', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
// A bound on the walk; the source tree is a few hundred files.
const MAX_FILES = 20_000;

/** The first input newer than the stamp, or 'dist/ has never been built'; undefined when fresh. */
export function staleReason(root: string): string | undefined {
  const stamp = path.join(root, BUILD_STAMP);
  if (!existsSync(stamp)) return `${BUILD_STAMP} is missing (dist/ has never been built by the test tooling)`;
  const builtAt = statSync(stamp).mtimeMs;
  const pending = INPUTS.map((p) => path.join(root, p));
  let seen = 0;
  while (pending.length > 0 && seen < MAX_FILES) {
    const file = pending.pop() as string;
    if (!existsSync(file)) continue;
    seen += 1;
    const info = statSync(file);
    if (info.isDirectory()) {
      for (const entry of readdirSync(file)) pending.push(path.join(file, entry));
    } else if (info.mtimeMs > builtAt) {
      return `${path.relative(root, file)} is newer than the last build`;
    }
  }
  return undefined;
}
