// Talking to GitHub as ci-fixer: as a GitHub App (app id + private key -> short-lived installation
// tokens, scoped to the one repository) or with a personal token. The sandbox only ever gets a
// read-only token; writes (check runs, pushes, pull requests) use a token that stays in the worker.
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { Config } from '../config.js';
import { TaskError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GitHubOrigin } from '../task.js';

export interface GitHubCredentials {
  readonly mode: 'app' | 'token';
  /** For the worker: the API and pushes in the task's repository. */
  writeToken(origin: GitHubOrigin): Promise<string>;
  /** For the sandbox's clone: read-only, or undefined when no such token can be made. */
  readToken(origin: GitHubOrigin): Promise<string | undefined>;
  /**
   * Throws a TaskError unless the origin's installation covers its repository (App mode; a
   * personal token has no installation). Called before any token is made for the origin.
   */
  verifyInstallation(origin: GitHubOrigin): Promise<void>;
}

export interface GitHubClientOptions {
  apiUrl: string;
  requestTimeoutMs: number;
  logger: Logger;
}

/** fetch with a deadline, so no GitHub call can hang a task. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return fetch(input, { ...init, signal });
  };
}

export function createOctokit(token: string | undefined, options: GitHubClientOptions): Octokit {
  return new Octokit({
    ...(token === undefined ? {} : { auth: token }),
    baseUrl: options.apiUrl,
    userAgent: 'ci-fixer',
    request: { fetch: fetchWithTimeout(options.requestTimeoutMs) },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => options.logger.warn({ message }, 'github_client_warning'),
      error: (message: string) => options.logger.warn({ message }, 'github_client_error'),
    },
  });
}

/** How long a verified installation/repository pair is trusted without asking again. */
const VERIFIED_TTL_MS = 10 * 60_000;

function repoName(origin: GitHubOrigin): string {
  return origin.repository.fullName.split('/')[1] ?? origin.repository.fullName;
}

function requireInstallation(origin: GitHubOrigin): number {
  if (origin.installationId === null) {
    throw new TaskError(
      'github_no_installation',
      `the delivery for ${origin.repository.fullName} names no App installation`,
    );
  }
  return origin.installationId;
}

/** undefined when neither an App nor a personal token is configured (reporting is then off). */
export function createGitHubCredentials(
  config: Pick<Config['github'], 'app' | 'personalToken'>,
  options: GitHubClientOptions,
): GitHubCredentials | undefined {
  if (config.app !== undefined) {
    const unauthenticated = createOctokit(undefined, options);
    // auth-app caches installation tokens until shortly before they expire.
    const auth = createAppAuth({
      appId: config.app.id,
      privateKey: config.app.privateKey,
      request: unauthenticated.request,
    });
    const verified = new Map<string, number>();
    return {
      mode: 'app',
      async verifyInstallation(origin) {
        const installationId = requireInstallation(origin);
        const key = `${installationId}:${origin.repository.fullName.toLowerCase()}`;
        const at = verified.get(key);
        if (at !== undefined && Date.now() - at < VERIFIED_TTL_MS) return;
        const { token: jwt } = await auth({ type: 'app' });
        const octokit = createOctokit(jwt, options);
        const [owner = '', repo = ''] = origin.repository.fullName.split('/');
        let actual: number | undefined;
        try {
          actual = (await octokit.rest.apps.getRepoInstallation({ owner, repo })).data.id;
        } catch (err) {
          if ((err as { status?: unknown }).status !== 404) throw err;
        }
        if (actual !== installationId) {
          throw new TaskError(
            'github_installation_mismatch',
            `installation ${installationId} does not cover ${origin.repository.fullName}; no token was made`,
          );
        }
        verified.set(key, Date.now());
        while (verified.size > 1000) verified.delete(verified.keys().next().value as string);
      },
      async writeToken(origin) {
        const installationId = requireInstallation(origin);
        return (await auth({ type: 'installation', installationId, repositoryNames: [repoName(origin)] })).token;
      },
      async readToken(origin) {
        if (origin.installationId === null) return undefined;
        const token = await auth({
          type: 'installation',
          installationId: origin.installationId,
          repositoryNames: [repoName(origin)],
          permissions: { contents: 'read' },
        });
        return token.token;
      },
    };
  }
  const personal = config.personalToken;
  if (personal !== undefined) {
    return {
      mode: 'token',
      writeToken: async () => personal,
      verifyInstallation: async () => undefined,
      // A personal token cannot be narrowed; the sandbox clones with GIT_TOKEN (or anonymously).
      readToken: async () => undefined,
    };
  }
  return undefined;
}
