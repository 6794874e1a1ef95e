// Path confinement for the local sandbox's file API. Checks are made on real paths (symlinks
// resolved), because a cloned repository is untrusted and may contain links pointing anywhere.
// This confines honest mistakes and hostile repo contents; it is not a security boundary against
// commands running concurrently on the same host (the local driver has none; see local.ts).
import { lstat, mkdir, open, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../errors.js';

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function escapeError(requested: string): ValidationError {
  return new ValidationError(`sandbox path escapes the workdir: ${JSON.stringify(requested)}`, {
    details: { field: 'path', path: requested },
  });
}

/** Lexical resolution: relative paths are taken from `root`; absolute ones must lie inside it. */
function resolveLexically(root: string, requested: string): string {
  if (typeof requested !== 'string' || requested.length === 0 || requested.includes('\0')) {
    throw new ValidationError(`invalid sandbox path: ${JSON.stringify(requested)}`, { details: { field: 'path' } });
  }
  const abs = path.resolve(root, requested);
  if (!isInside(root, abs)) throw escapeError(requested);
  return abs;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function assertRealInside(root: string, p: string, requested: string): Promise<string> {
  const real = await realpath(p);
  if (!isInside(root, real)) throw escapeError(requested);
  return real;
}

/** `root` must already be a real path. Returns the real path of an existing directory. */
export async function resolveDirInside(root: string, requested: string): Promise<string> {
  const abs = resolveLexically(root, requested);
  if (!(await exists(abs))) {
    throw new ValidationError(`sandbox directory does not exist: ${JSON.stringify(requested)}`, {
      details: { field: 'cwd' },
    });
  }
  const real = await assertRealInside(root, abs, requested);
  if (!(await stat(real)).isDirectory()) {
    throw new ValidationError(`sandbox path is not a directory: ${JSON.stringify(requested)}`, {
      details: { field: 'cwd' },
    });
  }
  return real;
}

/** Reads at most `maxBytes` from the head of the file. */
export async function readFileInside(root: string, requested: string, maxBytes: number): Promise<Buffer> {
  const abs = resolveLexically(root, requested);
  if (!(await exists(abs))) {
    throw Object.assign(new Error(`no such file in the sandbox: ${JSON.stringify(requested)}`), { code: 'ENOENT' });
  }
  const handle = await open(await assertRealInside(root, abs, requested), 'r');
  try {
    const buffer = Buffer.alloc(Math.min(maxBytes, (await handle.stat()).size));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

export async function writeFileInside(root: string, requested: string, data: Uint8Array | string): Promise<void> {
  const abs = resolveLexically(root, requested);
  if (abs === root)
    throw new ValidationError('cannot write to the sandbox workdir itself', { details: { field: 'path' } });
  const parent = path.dirname(abs);
  // Check the deepest existing ancestor before mkdir, so a symlinked component can't make us
  // create directories outside the workdir.
  let ancestor = parent;
  while (!(await exists(ancestor))) ancestor = path.dirname(ancestor);
  await assertRealInside(root, ancestor, requested);
  await mkdir(parent, { recursive: true });
  const realParent = await assertRealInside(root, parent, requested);
  let target = path.join(realParent, path.basename(abs));
  if (await exists(target)) target = await assertRealInside(root, target, requested);
  await writeFile(target, data);
}
