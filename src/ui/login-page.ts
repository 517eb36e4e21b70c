// The sign-in page of token mode (/ui/login): one password field, "Token", and "Sign in".
import { html, type SafeHtml } from './html.js';

export function loginBody(next: string, error: string | null): SafeHtml {
  return html`<h1>Sign in</h1>
<p>This master runs in token mode: sign in with its admin token (may edit) or its read token (may look).</p>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form method="post" action="/ui/login" class="login">
<input type="hidden" name="next" value="${next}">
<label for="token">Token</label>
<input type="password" id="token" name="token" required autocomplete="off" autofocus>
<button type="submit">Sign in</button>
</form>`;
}

/** An error page's body. */
export function errorBody(status: number, message: string): SafeHtml {
  return html`<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
<p class="notice error" role="alert">${message}</p>
<p><a href="/ui/">Back to the fleet overview</a></p>`;
}
