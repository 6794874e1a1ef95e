/** @jsxImportSource hono/jsx */
// A task's page: status and phases (kept live by console.js over SSE), the log, the result and
// the actions. The result part is also served alone, for the script to swap in at the end.
import { TASK_PHASES, isFinal, type Diagnosis, type TaskRecord } from '../../task.js';
import { shellQuote } from '../../shared/shell.js';
import { Diff } from './diff.js';
import { formatDuration, outcomeLabel, shortId, taskDuration } from './format.js';
import { Layout, StateBadge } from './layout.js';

/** A curl that submits this task's spec again; the token stays a variable, never on the page. */
export function curlFor(task: TaskRecord, baseUrl: string): string {
  const { repo, command, fixers, timeoutSeconds, labels } = task.spec;
  const body = JSON.stringify({
    repo,
    command,
    ...(fixers ? { fixers } : {}),
    ...(timeoutSeconds ? { timeoutSeconds } : {}),
    ...(labels ? { labels } : {}),
  });
  return [
    `curl -X POST ${shellQuote(`${baseUrl}/api/v1/tasks`)}`,
    `-H "Authorization: Bearer $CI_FIXER_TOKEN"`,
    `-H 'Content-Type: application/json'`,
    `-d ${shellQuote(body)}`,
  ].join(' \\\n  ');
}

function GitHubLinks(props: { task: TaskRecord }) {
  const origin = props.task.spec.github;
  const report = props.task.result?.github;
  const links: Array<[string, string]> = [];
  if (origin) {
    const repo = `https://github.com/${origin.repository.fullName}`;
    links.push(['Repository', repo], ['Failing commit', `${repo}/commit/${origin.headSha}`]);
    if (origin.runId !== null) links.push(['Workflow run', `${repo}/actions/runs/${origin.runId}`]);
    for (const pr of origin.pullRequests) links.push([`Pull request #${pr}`, `${repo}/pull/${pr}`]);
  }
  if (report?.checkRunUrl) links.push(['Check run', report.checkRunUrl]);
  if (report?.pullRequestUrl) links.push(['Fix pull request', report.pullRequestUrl]);
  if (report?.commentUrl) links.push(['Comment with the patch', report.commentUrl]);
  if (links.length === 0) return null;
  return (
    <>
      <h2>GitHub</h2>
      <ul id="github-links">
        {links.map(([label, href]) => (
          <li>
            <a href={href} rel="noreferrer">
              {label}
            </a>
          </li>
        ))}
      </ul>
      {report?.error && <p class="alert">{`Reporting to GitHub failed: ${report.error.message}`}</p>}
    </>
  );
}

function DiagnosisView(props: { diagnosis: Diagnosis }) {
  const d = props.diagnosis;
  return (
    <section class="diag" id="diagnosis" aria-label="Diagnosis">
      <h2>Diagnosis</h2>
      <p>{d.summary}</p>
      <p>
        {[d.tool, d.category, d.step && `in step ${d.step.index + 1}: ${d.step.command}`].filter(Boolean).join(' · ')}
      </p>
      {d.locations.length > 0 && (
        <ul>
          {d.locations.map((l) => (
            <li>
              <code>{l.line ? `${l.path}:${l.line}` : l.path}</code>
            </li>
          ))}
        </ul>
      )}
      {d.excerpt.length > 0 && <pre>{d.excerpt.join('\n')}</pre>}
    </section>
  );
}

export function TaskResult(props: { task: TaskRecord }) {
  const { task } = props;
  const result = task.result;
  // Records from before diagnosis have none.
  const diagnosis = task.result?.diagnosis ?? undefined;
  return (
    <>
      {task.error !== null && (
        <p class="alert" id="task-error">
          {`${task.error.code}: ${task.error.message}`}
        </p>
      )}
      {result !== null && (
        <p id="outcome">
          Outcome: <strong>{outcomeLabel(result.outcome)}</strong>
          {result.fixer !== null && ` by ${result.fixer}`}
        </p>
      )}
      {diagnosis && <DiagnosisView diagnosis={diagnosis} />}
      {result !== null && result.commands.length > 0 && (
        <>
          <h2>Commands</h2>
          <div class="table-wrap">
            <table id="commands">
              <thead>
                <tr>
                  <th scope="col">Command</th>
                  <th scope="col">Exit code</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {result.commands.map((cmd) => (
                  <tr>
                    <td class="cmd">
                      <code>{cmd.command}</code>
                    </td>
                    <td>{cmd.timedOut ? `${cmd.exitCode} (timed out)` : cmd.exitCode}</td>
                    <td>{formatDuration(cmd.durationMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {result !== null && result.patch !== '' && (
        <>
          <h2>Patch</h2>
          {result.patchTruncated && <p class="muted">The patch was cut at PATCH_MAX_BYTES.</p>}
          <Diff patch={result.patch} />
        </>
      )}
      <GitHubLinks task={task} />
    </>
  );
}

export function TaskPage(props: { task: TaskRecord; baseUrl: string; notice?: string }) {
  const { task } = props;
  const final = isFinal(task.state);
  const phaseIndex = task.phase === null ? -1 : TASK_PHASES.indexOf(task.phase);
  return (
    <Layout title={`Task ${shortId(task.id)}`} nav="tasks" signedIn>
      <div data-task-id={task.id} data-state={task.state} data-initial-state={task.state}>
        <h1>
          Task <span class="mono">{task.id}</span>
        </h1>
        {props.notice !== undefined && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <div class="status-line">
          <StateBadge state={task.state} id="task-state" />
          <span>
            Phase: <strong id="task-phase">{task.phase ?? (final ? 'done' : 'waiting')}</strong>
          </span>
          <span class="muted" id="live-status" role="status" aria-live="polite"></span>
        </div>
        <ol class="phases" id="phases" aria-label="Phases">
          {TASK_PHASES.map((phase, i) => (
            <li
              data-phase={phase}
              class={phase === task.phase ? 'current' : phaseIndex > i || task.state === 'succeeded' ? 'done' : ''}
              aria-current={phase === task.phase ? 'step' : undefined}
            >
              {phase}
            </li>
          ))}
        </ol>

        <h2>Details</h2>
        <dl class="meta">
          <dt>Repository</dt>
          <dd>
            {/^https:/.test(task.spec.repo.url) ? (
              <a href={task.spec.repo.url}>{task.spec.repo.url}</a>
            ) : (
              <code>{task.spec.repo.url}</code>
            )}
          </dd>
          <dt>Ref</dt>
          <dd>
            <code>{task.spec.repo.ref}</code>
          </dd>
          <dt>Command</dt>
          <dd>
            <code>{task.spec.command ?? '(read from the repository when the task runs)'}</code>
          </dd>
          <dt>Source</dt>
          <dd>{task.spec.github ? `GitHub ${task.spec.github.event}` : 'API'}</dd>
          <dt>Created</dt>
          <dd>
            <time datetime={task.createdAt}>{task.createdAt}</time>
          </dd>
          <dt>Duration</dt>
          <dd id="task-duration">{taskDuration(task)}</dd>
          <dt>Attempts</dt>
          <dd id="task-attempts">{task.attempts}</dd>
        </dl>

        <div class="actions">
          {!final && (
            <form method="post" action={`/tasks/${task.id}/cancel`} id="cancel-form">
              <button type="submit" class="danger">
                Cancel task
              </button>
            </form>
          )}
        </div>

        <div id="result">
          <TaskResult task={task} />
        </div>

        <h2 id="log-heading">Log</h2>
        <div class="log-tools">
          <span id="log-count">0 lines</span>
          <label>
            <input type="checkbox" id="log-follow" checked /> Follow new lines
          </label>
          <a href={`/api/v1/tasks/${task.id}/logs?limit=5000`}>Raw log (JSON)</a>
        </div>
        <div id="log" class="log" role="log" aria-labelledby="log-heading" tabindex={0}></div>
        <noscript>
          <p>The live log needs JavaScript; the raw log link above works without it.</p>
        </noscript>

        <h2>Copy as curl</h2>
        <p class="muted">Submits this task again. Set CI_FIXER_TOKEN to your API token first.</p>
        <pre class="curl" id="curl">
          {curlFor(task, props.baseUrl)}
        </pre>
        <div class="actions">
          <button type="button" class="secondary" data-copy="curl" hidden>
            Copy as curl
          </button>
          <span id="curl-status" role="status" aria-live="polite"></span>
        </div>
      </div>
    </Layout>
  );
}
