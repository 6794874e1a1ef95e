// Whether a GitHub task's origin is one ci-fixer may make tokens for. The worker reads jobs from
// Redis, and anyone who can write there can forge one: an attacker's clone URL with a victim's
// installation id would otherwise receive that installation's tokens.
import { TaskError } from '../errors.js';
import type { GitHubOrigin } from '../task.js';

/**
 * Throws a TaskError unless the clone URL is `https://<gitHost>/<fullName>.git` and the task clones
 * exactly that URL (the sandbox's read token goes wherever spec.repo.url points).
 */
export function assertTrustedOrigin(origin: GitHubOrigin, repoUrl: string, gitHost: string): void {
  const refuse = (why: string) =>
    new TaskError('github_origin_untrusted', `refusing to make GitHub tokens for this task: ${why}`);
  let url: URL;
  try {
    url = new URL(origin.repository.cloneUrl);
  } catch {
    throw refuse('the clone URL is not a URL');
  }
  if (url.protocol !== 'https:' || url.host.toLowerCase() !== gitHost.toLowerCase()) {
    throw refuse(`the clone URL's host ${url.host} is not the GitHub host ${gitHost}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw refuse('the clone URL carries credentials or a query');
  if (url.pathname.toLowerCase() !== `/${origin.repository.fullName.toLowerCase()}.git`) {
    throw refuse(`the clone URL is not the repository ${origin.repository.fullName}`);
  }
  if (repoUrl !== origin.repository.cloneUrl) throw refuse('the task clones another URL than its repository');
}
