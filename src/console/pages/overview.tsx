/** @jsxImportSource hono/jsx */
import type { TaskStats } from '../../queue/types.js';
import { OUTCOMES } from '../../task.js';
import { outcomeLabel } from './format.js';
import { Layout } from './layout.js';
import { TaskTable } from './task-table.js';

export function OverviewPage(props: { stats: TaskStats }) {
  const { stats } = props;
  const queued = stats.queue.waiting + stats.queue.prioritized + stats.queue.delayed;
  const hours = Math.round(stats.windowSeconds / 3600);
  return (
    <Layout title="Overview" nav="overview" signedIn>
      <h1>Overview</h1>
      <dl class="cards" aria-label="Now">
        <div class="card">
          <dt>Queue depth</dt>
          <dd id="queue-depth">{queued}</dd>
        </div>
        <div class="card">
          <dt>Running tasks</dt>
          <dd id="running">{stats.queue.active}</dd>
        </div>
        <div class="card">
          <dt>Active sandboxes</dt>
          <dd>{stats.activeSandboxes}</dd>
        </div>
        <div class="card">
          <dt>{`Tasks, last ${hours} h`}</dt>
          <dd>{stats.total}</dd>
        </div>
      </dl>

      <h2>{`Outcomes over the last ${hours} h`}</h2>
      <div class="table-wrap">
        <table id="outcomes">
          <thead>
            <tr>
              {OUTCOMES.map((o) => (
                <th scope="col">{outcomeLabel(o)}</th>
              ))}
              <th scope="col">failed</th>
              <th scope="col">cancelled</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              {OUTCOMES.map((o) => (
                <td>{stats.outcomes[o]}</td>
              ))}
              <td>{stats.states.failed}</td>
              <td>{stats.states.cancelled}</td>
            </tr>
          </tbody>
        </table>
      </div>
      {stats.truncated && <p class="muted">Counted the newest {stats.total} tasks of the window only.</p>}

      <h2>Fix rate by fixer</h2>
      {stats.fixers.length === 0 ? (
        <p class="muted">No reproduced failures in this window yet.</p>
      ) : (
        <div class="table-wrap">
          <table id="fixers">
            <thead>
              <tr>
                <th scope="col">Fixer</th>
                <th scope="col">Reproduced failures</th>
                <th scope="col">Fixed</th>
                <th scope="col">Fix rate</th>
              </tr>
            </thead>
            <tbody>
              {stats.fixers.map((row) => (
                <tr>
                  <td>{row.fixer ?? 'none applicable'}</td>
                  <td>{row.total}</td>
                  <td>{row.fixed}</td>
                  <td>{`${Math.round((100 * row.fixed) / Math.max(1, row.total))} %`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Recent failures</h2>
      {stats.recentFailures.length === 0 ? (
        <p class="muted">None in this window.</p>
      ) : (
        <TaskTable tasks={stats.recentFailures} caption="Recent failures" />
      )}
    </Layout>
  );
}
