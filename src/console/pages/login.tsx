/** @jsxImportSource hono/jsx */
import { Layout } from './layout.js';

export function LoginPage(props: { error?: string; next: string }) {
  return (
    <Layout title="Sign in" nav="none" signedIn={false}>
      <h1>Sign in</h1>
      {props.error !== undefined && (
        <p class="alert" role="alert" id="login-error">
          {props.error}
        </p>
      )}
      <form method="post" action="/login" class="stack">
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            aria-invalid={props.error !== undefined ? 'true' : undefined}
            aria-describedby={props.error !== undefined ? 'login-error token-hint' : 'token-hint'}
          />
          <span class="hint" id="token-hint">
            One of the server's API_TOKENS. It is kept in an HttpOnly cookie for this site only, never in the page.
          </span>
        </div>
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
    </Layout>
  );
}
