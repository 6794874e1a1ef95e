// Extra CAs for the task's clone (GIT_CA_FILE): a Git server behind a private CA must be trusted
// without swapping out the sandbox image's own bundle, which public hosts and package registries
// still need. The bundle lives in the pipeline's scratch folder, a sibling of the checkout, so it
// is never part of the repository's files, its diff or the patch; only the commands that talk to
// the remote are pointed at it (http.sslCAInfo through gitRemoteEnv).
import { readFile } from 'node:fs/promises';
import { ConfigError, InfrastructureError } from '../errors.js';
import type { Sandbox } from '../sandbox/types.js';
import type { CommandRunner } from './runner.js';
import { shellQuote } from '../shared/shell.js';
import { inWorkdir, SCRATCH_DIR } from './worktree.js';

/** Where images keep their system bundle: Debian, Ubuntu and Alpine; Fedora and RHEL; others' cert.pem. */
export const SYSTEM_CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
] as const;
const EXTRA_FILE = `${SCRATCH_DIR}/git-ca-extra.pem`;
const BUNDLE_FILE = `${SCRATCH_DIR}/git-ca-bundle.pem`;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The PEM bundle GIT_CA_FILE names, read once at startup; a file without a certificate is a setup error. */
export async function loadGitCaBundle(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`GIT_CA_FILE ${file} cannot be read`, { cause });
  }
  if (!PEM_CERTIFICATE.test(text))
    throw new ConfigError(`GIT_CA_FILE ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Pure: the shell command that writes `bundle` as the first system bundle of `systemBundles` that
 * exists (none in a bare image), followed by `extra`.
 */
export function combineCaCommand(
  extra: string,
  bundle: string,
  systemBundles: readonly string[] = SYSTEM_CA_BUNDLES,
): string {
  const candidates = systemBundles.map(shellQuote).join(' ');
  return `{ for f in ${candidates}; do if [ -s "$f" ]; then cat "$f"; echo; break; fi; done; cat ${shellQuote(extra)}; } > ${shellQuote(bundle)}`;
}

/** Writes the extra CAs and the combined bundle into the sandbox; returns the bundle's absolute path there. */
export async function installGitCaBundle(runner: CommandRunner, sandbox: Sandbox, pem: string): Promise<string> {
  await sandbox.writeFile(EXTRA_FILE, pem);
  const result = await runner.run(combineCaCommand(EXTRA_FILE, BUNDLE_FILE), {
    label: "combine the sandbox's CA bundle with GIT_CA_FILE",
  });
  if (result.exitCode !== 0) {
    throw new InfrastructureError(
      'git_ca_bundle_failed',
      `could not write the git CA bundle in the sandbox (exit ${result.exitCode})`,
      {
        cause: new Error(result.output.slice(-2000)),
      },
    );
  }
  return inWorkdir(sandbox, BUNDLE_FILE);
}
