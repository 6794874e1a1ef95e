// A failed zod validation as a list of named fields: the API's 400 bodies and the webhook's
// refusals (src/github/events.ts) name each offending field the same way.
import type { z } from 'zod';

const MAX_ISSUES = 20;

export interface FieldIssue {
  /** Dotted path of the field, e.g. `repo.url`; empty for the value as a whole. */
  field: string;
  message: string;
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    field: issue.path.map((segment) => String(segment)).join('.'),
    message: issue.message,
  }));
}
