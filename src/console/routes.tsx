/** @jsxImportSource hono/jsx */
// The console's pages. They read and write through the TaskService like the API does, validate
// with the API's schemas, and ask access.ts which tasks the signed-in caller may see.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { readableBy } from '../api/access.js';
import { canRead, principalOf, requireRepository, requireScope, submitterOf } from '../api/auth.js';
import type { IntakeLimits } from '../api/intake-limits.js';
import type { AppEnv } from '../api/env.js';
import { DEFAULT_LIST_PAGE, taskListQuerySchema, taskSpecRequestSchema } from '../api/schemas.js';
import { fieldIssues } from '../api/validation.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { TaskListQuery, TaskService } from '../queue/types.js';
import type { TaskRecord } from '../task.js';
import { Layout } from './pages/layout.js';
import { OverviewPage } from './pages/overview.js';
import { EMPTY_SUBMIT, SubmitPage, type SubmitValues } from './pages/submit.js';
import { SINCE_CHOICES, TaskListPage, type ListFilters } from './pages/task-list.js';
import { TaskPage, TaskResult } from './pages/task-page.js';

export interface PageDeps {
  tasks: TaskService;
  publicUrl: string | undefined;
  /** Intake rate limits and queue caps, shared with the API; none when omitted. */
  limits?: IntakeLimits;
}

const NOTICES: Record<string, string> = {
  'cancel-requested': 'Cancellation requested.',
  'already-final': 'The task had already finished.',
  submitted: 'Task submitted.',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function notFound(c: Context<AppEnv>) {
  return c.html(
    <Layout title="Not found" nav="none" signedIn>
      <h1>Not found</h1>
      <p>
        No such task (it may have passed its retention). <a href="/tasks">All tasks</a>
      </p>
    </Layout>,
    404,
  );
}

async function readable(c: Context<AppEnv>, tasks: TaskService): Promise<TaskRecord | null> {
  const id = c.req.param('id') ?? '';
  if (!UUID.test(id)) return null;
  const task = await tasks.get(id);
  return task !== null && canRead(principalOf(c), task) ? task : null;
}

function listQuery(filters: ListFilters, cursor: string | undefined): Omit<TaskListQuery, 'limit'> | string {
  const since = SINCE_CHOICES.find(([value]) => value === filters.since)?.[2];
  const parsed = taskListQuerySchema.safeParse({
    state: filters.state,
    repo: filters.repo,
    source: filters.source,
    cursor,
  });
  if (!parsed.success)
    return fieldIssues(parsed.error)
      .map((i) => `${i.field}: ${i.message}`)
      .join('; ');
  const q = parsed.data;
  return {
    ...(q.state ? { state: q.state } : {}),
    ...(q.repo ? { repo: q.repo } : {}),
    ...(q.source ? { source: q.source } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
    ...(since ? { sinceMs: Date.now() - since * 1000 } : {}),
  };
}

function submitValues(body: Record<string, string | File | (string | File)[]>): SubmitValues {
  const text = (name: string): string => {
    const value = body[name];
    return typeof value === 'string' ? value : '';
  };
  const fixers = ([] as unknown[]).concat(body.fixers ?? []).filter((v): v is string => typeof v === 'string');
  return {
    'repo.url': text('repo.url').trim(),
    'repo.ref': text('repo.ref').trim(),
    command: text('command'),
    timeoutSeconds: text('timeoutSeconds').trim(),
    fixers,
  };
}

export function createPageRoutes(deps: PageDeps): Hono<AppEnv> {
  const { tasks } = deps;
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => c.html(<OverviewPage stats={await tasks.stats(24 * 3600, readableBy(c))} />));

  app.get('/tasks', async (c) => {
    const filters: ListFilters = {
      state: c.req.query('state'),
      repo: c.req.query('repo'),
      source: c.req.query('source'),
      since: c.req.query('since'),
    };
    for (const key of Object.keys(filters) as Array<keyof ListFilters>) if (!filters[key]) delete filters[key];
    const cursor = c.req.query('cursor') || undefined;
    const query = listQuery(filters, cursor);
    if (typeof query === 'string')
      return c.html(<TaskListPage tasks={[]} nextCursor={null} filters={filters} paged={false} error={query} />, 400);
    try {
      const page = await tasks.list({ ...query, limit: DEFAULT_LIST_PAGE, visible: readableBy(c) });
      return c.html(
        <TaskListPage tasks={page.tasks} nextCursor={page.nextCursor} filters={filters} paged={cursor !== undefined} />,
      );
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return c.html(<TaskListPage tasks={[]} nextCursor={null} filters={filters} paged error={err.message} />, 400);
    }
  });

  app.get('/tasks/new', (c) => c.html(<SubmitPage values={EMPTY_SUBMIT} errors={{}} />));

  app.post('/tasks/new', async (c) => {
    const values = submitValues(await c.req.parseBody({ all: true }));
    const candidate = {
      repo: { url: values['repo.url'], ref: values['repo.ref'] },
      command: values.command,
      ...(values.timeoutSeconds === '' ? {} : { timeoutSeconds: Number(values.timeoutSeconds) }),
      ...(values.fixers.length === 0 ? {} : { fixers: values.fixers }),
    };
    const parsed = taskSpecRequestSchema.safeParse(candidate);
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of fieldIssues(parsed.error)) errors[issue.field.replace(/\.\d+$/, '')] ??= issue.message;
      return c.html(<SubmitPage values={values} errors={errors} />, 400);
    }
    // The same gate as POST /api/v1/tasks: scope, rate limit and queue cap, submitter recorded.
    const caller = principalOf(c);
    requireScope(caller, 'submit');
    requireRepository(caller, parsed.data.repo.url);
    await deps.limits?.admit(caller.name);
    const task = await tasks.submit(parsed.data, submitterOf(caller));
    return c.redirect(`/tasks/${task.id}?notice=submitted`, 303);
  });

  app.get('/tasks/:id', async (c) => {
    const task = await readable(c, tasks);
    if (task === null) return notFound(c);
    const baseUrl = deps.publicUrl ?? new URL(c.req.url).origin;
    return c.html(<TaskPage task={task} baseUrl={baseUrl} notice={NOTICES[c.req.query('notice') ?? '']} />);
  });

  app.get('/tasks/:id/result', async (c) => {
    const task = await readable(c, tasks);
    if (task === null) return notFound(c);
    return c.html(<TaskResult task={task} />);
  });

  app.post('/tasks/:id/cancel', async (c) => {
    const task = await readable(c, tasks);
    if (task === null) return notFound(c);
    requireScope(principalOf(c), 'cancel');
    try {
      await tasks.cancel(task.id);
      return c.redirect(`/tasks/${task.id}?notice=cancel-requested`, 303);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return c.redirect(`/tasks/${task.id}?notice=already-final`, 303);
    }
  });

  return app;
}
