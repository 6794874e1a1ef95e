/** @jsxImportSource hono/jsx */
import { TASK_SOURCES, type TaskSummary } from '../../queue/types.js';
import { TASK_STATES } from '../../task.js';
import { Layout } from './layout.js';
import { TaskTable } from './task-table.js';

/** The "created within" choices, in seconds. */
export const SINCE_CHOICES: ReadonlyArray<[string, string, number]> = [
  ['1h', 'last hour', 3600],
  ['24h', 'last 24 hours', 86400],
  ['7d', 'last 7 days', 7 * 86400],
];

export interface ListFilters {
  state?: string;
  repo?: string;
  source?: string;
  since?: string;
}

function query(filters: ListFilters, cursor?: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return text === '' ? '/tasks' : `/tasks?${text}`;
}

export function TaskListPage(props: {
  tasks: TaskSummary[];
  nextCursor: string | null;
  filters: ListFilters;
  paged: boolean;
  error?: string;
}) {
  const f = props.filters;
  return (
    <Layout title="Tasks" nav="tasks" signedIn>
      <h1>Tasks</h1>
      {props.error !== undefined && (
        <p class="alert" role="alert">
          {props.error}
        </p>
      )}
      <form method="get" action="/tasks" class="filters" aria-label="Filter tasks">
        <div class="field">
          <label for="f-state">State</label>
          <select id="f-state" name="state">
            <option value="">any</option>
            {TASK_STATES.map((s) => (
              <option value={s} selected={f.state === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-repo">Repository contains</label>
          <input id="f-repo" name="repo" type="text" value={f.repo ?? ''} maxlength={2048} />
        </div>
        <div class="field">
          <label for="f-source">Source</label>
          <select id="f-source" name="source">
            <option value="">any</option>
            {TASK_SOURCES.map((s) => (
              <option value={s} selected={f.source === s}>
                {s === 'api' ? 'API' : 'GitHub'}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-since">Created</label>
          <select id="f-since" name="since">
            <option value="">any time</option>
            {SINCE_CHOICES.map(([value, label]) => (
              <option value={value} selected={f.since === value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
      </form>
      {props.tasks.length === 0 ? (
        <p class="muted" id="no-tasks">
          No tasks match{props.paged ? ' on this page' : ''}.
        </p>
      ) : (
        <TaskTable tasks={props.tasks} caption="Tasks, newest first" />
      )}
      <nav class="pager" aria-label="Pages">
        {props.paged && <a href={query(f)}>Newest</a>}
        {props.nextCursor !== null && (
          <a href={query(f, props.nextCursor)} rel="next">
            Older tasks
          </a>
        )}
      </nav>
    </Layout>
  );
}
