/** @jsxImportSource hono/jsx */
import type { TaskSummary } from '../../queue/types.js';
import { formatAge, outcomeLabel, repoLabel, shortId, taskDuration } from './format.js';
import { StateBadge } from './layout.js';

export function TaskTable(props: { tasks: TaskSummary[]; caption: string }) {
  const now = Date.now();
  return (
    <div class="table-wrap">
      <table class="tasks">
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Repository and ref</th>
            <th scope="col">Command</th>
            <th scope="col">Outcome</th>
            <th scope="col">Fixer</th>
            <th scope="col">Duration</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((t) => (
            <tr data-task-row={t.id}>
              <td>
                <a href={`/tasks/${t.id}`} class="mono">
                  {shortId(t.id)}
                </a>
              </td>
              <td>
                <StateBadge state={t.state} />
                {t.phase !== null && <span class="muted">{` ${t.phase}`}</span>}
              </td>
              <td>
                <span title={t.repo.url}>{repoLabel(t.repo.url)}</span> <code>{t.repo.ref}</code>
              </td>
              <td class="cmd">
                <code>{t.command ?? '(from the repository)'}</code>
              </td>
              <td>{t.state === 'failed' ? (t.error?.code ?? 'failed') : outcomeLabel(t.outcome)}</td>
              <td>{t.fixer ?? '–'}</td>
              <td>{taskDuration(t, now)}</td>
              <td>
                <time datetime={t.createdAt}>{formatAge(t.createdAt, now)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
