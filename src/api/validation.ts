// Turns a failed zod validation into the API's typed errors, so app.onError maps every input
// problem in one place and the body names each offending field.
import type { Hook } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../errors.js';
import { fieldIssues } from '../shared/field-issues.js';
import type { AppEnv } from './env.js';

export { type FieldIssue, fieldIssues } from '../shared/field-issues.js';

const TARGET_NAMES: Record<string, string> = { json: 'request body', query: 'query', header: 'header', param: 'path' };

export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return undefined;
  // Path parameters are resource names: one that cannot be valid names nothing that exists.
  if (result.target === 'param') throw new NotFoundError('no such task');
  const issues = fieldIssues(result.error);
  const where = TARGET_NAMES[result.target] ?? result.target;
  const summary = issues.map((i) => (i.field === '' ? i.message : `${i.field}: ${i.message}`)).join('; ');
  throw new ValidationError(`invalid ${where}: ${summary}`, { details: { in: where, issues } });
};
