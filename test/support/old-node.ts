// A real Node older than package.json's engines, for the tests of what our scripts do on one.
// Never the machine's own /usr/bin/node (its version is whatever the image ships): the npm
// registry's `node@20` package, installed the way scripts/lib/ensure.sh's ensure_node installs
// Node 24, into a cache folder of its own under CI_FIXER_CACHE, once per machine.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

const run = promisify(execFile);
export const OLD_NODE_MAJOR = 20;
/** An install downloads one Node build (about 30 MB). */
export const OLD_NODE_INSTALL_MS = 300_000;

function cacheRoot(): string {
  return process.env.CI_FIXER_CACHE ?? path.join(os.homedir(), '.cache', 'ci-fixer');
}

export interface OldNode {
  /** The folder holding `node`, to put first on a PATH. */
  binDir: string;
  /** The binary as Node reports it in process.execPath. */
  execPath: string;
}

/** Installs Node OLD_NODE_MAJOR into the cache when it is not there yet; returns where it is. */
export async function ensureOldNode(): Promise<OldNode> {
  const prefix = path.join(cacheRoot(), `node${OLD_NODE_MAJOR}`);
  const binDir = path.join(prefix, 'bin');
  if (!existsSync(path.join(binDir, 'node'))) {
    // Installed beside its final place and renamed into it: a half-done install (killed run) is
    // never taken for a Node, and two runs installing at once both end with a whole one.
    const partial = `${prefix}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    try {
      await run('npm', ['install', '-g', '--prefix', partial, '--no-audit', '--no-fund', `node@${OLD_NODE_MAJOR}`], {
        env: scrubbedEnv({ npm_config_update_notifier: 'false' }),
        timeout: OLD_NODE_INSTALL_MS - 10_000,
        maxBuffer: 16 << 20,
      });
      await rename(partial, prefix).catch((err: NodeJS.ErrnoException) => {
        // Another run got there first.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }
  return { binDir, execPath: realpathSync(path.join(binDir, 'node')) };
}
