// GitHub's own example webhook payloads (@octokit/webhooks-examples, MIT), and signing as GitHub
// does. Tests change only the fields a scenario is about (a conclusion, a clone URL), on a copy.
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';

interface Definition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const DEFINITIONS = require('@octokit/webhooks-examples') as Definition[];

/** A deep copy of the example of `event` that `pick` selects (the first by default). */
export function example(
  event: string,
  pick: (payload: Record<string, any>) => boolean = () => true,
): Record<string, any> {
  const found = DEFINITIONS.find((d) => d.name === event)?.examples.find(pick);
  if (found === undefined) throw new Error(`no example ${event} payload matches`);
  return structuredClone(found) as Record<string, any>;
}

/**
 * The examples hold no workflow_run that failed, so this is their completed (success) run with
 * its conclusion set to failure; every other field is GitHub's.
 */
export function failedWorkflowRun(): Record<string, any> {
  const payload = example('workflow_run', (p) => p.action === 'completed' && p.workflow_run?.conclusion === 'success');
  payload.workflow_run.conclusion = 'failure';
  return payload;
}

export function failedCheckRun(): Record<string, any> {
  return example('check_run', (p) => p.action === 'completed' && p.check_run?.conclusion === 'failure');
}

/** Events ci-fixer does not act on, as GitHub sends them. */
export const IRRELEVANT_EVENTS = ['push', 'issues', 'pull_request', 'star', 'release', 'workflow_job'] as const;

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

export async function signedDelivery(
  event: string,
  payload: unknown,
  secret: string,
  deliveryId: string = crypto.randomUUID(),
): Promise<SignedDelivery> {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': deliveryId,
      'X-Hub-Signature-256': await sign(secret, body),
      'User-Agent': 'GitHub-Hookshot/test',
    },
  };
}

export function post(delivery: SignedDelivery): RequestInit {
  return { method: 'POST', headers: delivery.headers, body: delivery.body };
}

export const WEBHOOK_SECRET = 'whsec-current-0123456789';
export const OLD_WEBHOOK_SECRET = 'whsec-previous-9876543210';
