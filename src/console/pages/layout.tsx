/** @jsxImportSource hono/jsx */
// The page shell: one stylesheet and one script, both served by ci-fixer itself.
import type { Child } from 'hono/jsx';
import { ASSET_PATHS } from '../assets.js';

export type NavKey = 'overview' | 'tasks' | 'new' | 'queues' | 'none';

const NAV: ReadonlyArray<[NavKey, string, string]> = [
  ['overview', '/', 'Overview'],
  ['tasks', '/tasks', 'Tasks'],
  ['new', '/tasks/new', 'New task'],
  ['queues', '/admin/queues', 'Queues'],
];

export function Layout(props: { title: string; nav: NavKey; signedIn: boolean; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ci-fixer`}</title>
        <link rel="stylesheet" href={ASSET_PATHS.css} />
        <script src={ASSET_PATHS.js} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            ci-fixer
          </a>
          {props.signedIn && (
            <nav aria-label="Main">
              <ul>
                {NAV.map(([key, href, label]) => (
                  <li>
                    <a href={href} aria-current={props.nav === key ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {props.signedIn && (
            <form method="post" action="/logout" class="signout">
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function StateBadge(props: { state: string; id?: string }) {
  return (
    <span class={`badge state-${props.state}`} id={props.id} data-state={props.state}>
      {props.state}
    </span>
  );
}
