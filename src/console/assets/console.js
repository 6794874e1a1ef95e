// ci-fixer console: the live parts of the task page, and Copy buttons. Everything else is
// server-rendered HTML. The event stream is /api/v1/tasks/:id/events, authenticated by the
// session cookie (the page never sees the token). Each event id is a log cursor: lines at or
// below the last cursor shown are dropped, so a reconnect can never show a line twice.

(() => {
  var FINAL = { succeeded: true, failed: true, cancelled: true };
  var CHUNK_LINES = 500;

  function copyButtons() {
    document.querySelectorAll('button[data-copy]').forEach((button) => {
      button.hidden = false;
      button.addEventListener('click', () => {
        var source = document.getElementById(button.getAttribute('data-copy'));
        var status = document.getElementById(`${button.getAttribute('data-copy')}-status`);
        var text = source ? source.textContent : '';
        var done = (message) => {
          if (status) status.textContent = message;
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            () => {
              done('Copied.');
            },
            () => {
              done('Copy failed: select the text instead.');
            },
          );
        } else {
          const range = document.createRange();
          range.selectNodeContents(source);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          done('Selected: press Ctrl+C to copy.');
        }
      });
    });
  }

  function taskPage(root) {
    var id = root.getAttribute('data-task-id');
    var log = document.getElementById('log');
    var count = document.getElementById('log-count');
    var follow = document.getElementById('log-follow');
    var live = document.getElementById('live-status');
    var stateEl = document.getElementById('task-state');
    var phaseEl = document.getElementById('task-phase');
    var cancel = document.getElementById('cancel-form');
    var cursor = 0;
    var chunk = null;
    var pending = [];
    var timer = null;
    var phasesSeen = [];
    var linesWhileRunning = 0;
    var state = root.getAttribute('data-state');
    var initiallyFinal = !!FINAL[state];

    // Scrolling up to read stops following; ticking the box again resumes it.
    var ownScrollTop = -1;
    function toEnd() {
      log.scrollTop = log.scrollHeight;
      ownScrollTop = log.scrollTop;
    }
    log.addEventListener('scroll', () => {
      // Our own jump to the end fires this too, possibly after more lines arrived.
      if (Math.abs(log.scrollTop - ownScrollTop) < 2) return;
      if (log.scrollHeight - log.scrollTop - log.clientHeight > 40) follow.checked = false;
    });
    follow.addEventListener('change', () => {
      if (follow.checked) toEnd();
    });

    function flush() {
      timer = null;
      pending.forEach((entry) => {
        if (chunk === null || chunk.childElementCount >= CHUNK_LINES) {
          if (chunk !== null) chunk.classList.add('full');
          chunk = document.createElement('div');
          chunk.className = 'log-chunk';
          log.appendChild(chunk);
        }
        var row = document.createElement('div');
        row.className = `log-line ${entry.line.stream}`;
        row.setAttribute('data-cursor', String(entry.cursor));
        var n = document.createElement('span');
        n.className = 'n';
        n.setAttribute('aria-hidden', 'true');
        n.textContent = String(entry.cursor);
        var t = document.createElement('span');
        t.className = 't';
        t.textContent = entry.line.text;
        row.appendChild(n);
        row.appendChild(t);
        chunk.appendChild(row);
      });
      pending = [];
      count.textContent = cursor + (cursor === 1 ? ' line' : ' lines');
      root.setAttribute('data-log-lines', String(cursor));
      if (follow.checked) toEnd();
    }

    function duration(task) {
      if (!task.startedAt) return '–';
      var ms = (task.finishedAt ? Date.parse(task.finishedAt) : Date.now()) - Date.parse(task.startedAt);
      if (ms < 1000) return `${Math.round(ms)} ms`;
      if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
      return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
    }

    function showState(task) {
      state = task.state;
      document.getElementById('task-attempts').textContent = String(task.attempts);
      document.getElementById('task-duration').textContent = duration(task);
      root.setAttribute('data-state', task.state);
      stateEl.textContent = task.state;
      stateEl.className = `badge state-${task.state}`;
      phaseEl.textContent = task.phase || (FINAL[task.state] ? 'done' : 'waiting');
      if (task.phase && phasesSeen[phasesSeen.length - 1] !== task.phase) {
        phasesSeen.push(task.phase);
        root.setAttribute('data-phases-seen', phasesSeen.join(' '));
      }
      var reached = true;
      document.querySelectorAll('#phases li').forEach((li) => {
        var phase = li.getAttribute('data-phase');
        li.classList.remove('done', 'current');
        if (phase === task.phase) {
          li.classList.add('current');
          li.setAttribute('aria-current', 'step');
          reached = false;
          return;
        }
        li.removeAttribute('aria-current');
        if (task.phase && reached) li.classList.add('done');
        if (FINAL[task.state] && task.state === 'succeeded') li.classList.add('done');
      });
      if (cancel) cancel.hidden = !!FINAL[task.state];
    }

    function refreshResult() {
      fetch(`/tasks/${encodeURIComponent(id)}/result`, { credentials: 'same-origin' })
        .then((res) => (res.ok ? res.text() : Promise.reject(new Error(String(res.status)))))
        .then((html) => {
          document.getElementById('result').innerHTML = html;
          root.setAttribute('data-result-loaded', 'true');
        })
        .catch(() => {
          live.textContent = 'Finished; reload the page to see the result.';
        });
    }

    var source = new EventSource(`/api/v1/tasks/${encodeURIComponent(id)}/events`);
    source.addEventListener('open', () => {
      live.textContent = 'Live.';
    });
    source.addEventListener('state', (event) => {
      showState(JSON.parse(event.data));
    });
    source.addEventListener('log', (event) => {
      var at = Number(event.lastEventId);
      if (!(at > cursor)) return;
      cursor = at;
      if (!FINAL[state]) linesWhileRunning += 1;
      root.setAttribute('data-lines-while-running', String(linesWhileRunning));
      pending.push({ cursor: at, line: JSON.parse(event.data) });
      if (timer === null) timer = setTimeout(flush, 30);
    });
    source.addEventListener('end', () => {
      source.close();
      if (timer !== null) {
        clearTimeout(timer);
      }
      flush();
      live.textContent = 'Finished.';
      root.setAttribute('data-stream', 'ended');
      // A task that was final when the page was rendered already shows its result.
      if (initiallyFinal) root.setAttribute('data-result-loaded', 'true');
      else refreshResult();
    });
    source.addEventListener('error', (event) => {
      if (event.data) {
        live.textContent = 'The stream failed; reconnecting.';
        return;
      }
      live.textContent =
        source.readyState === EventSource.CLOSED
          ? 'Live updates stopped: reload the page (or sign in again).'
          : 'Reconnecting…';
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    copyButtons();
    var root = document.querySelector('[data-task-id]');
    if (root) taskPage(root);
  });
})();
