// The frame of every dashboard page: head (own assets only: the dashboard works in a closed network),
// the header with the sign-out button in token mode, and the live-connection notice.
import { html, type SafeHtml } from './html.js';

/** Who is looking: what the page offers them. */
export interface Viewer {
  /** May edit labels, deregister and release the brake (the admin token, or auth disabled). */
  admin: boolean;
  /** Signed in with a token (token mode): the header offers "Sign out". */
  signedIn: boolean;
  /** The kind of token, shown in the header (token mode). */
  kind: 'admin' | 'read' | null;
}

export interface PageOptions {
  title: string;
  viewer: Viewer | null;
  /** The change stream this page follows (absent: a page that does not update live). */
  stream?: string;
  /** Server time of the render (relative times are kept current from it in the browser). */
  nowMs: number;
}

/** A whole page around `body`. */
export function page(o: PageOptions, body: SafeHtml): SafeHtml {
  const v = o.viewer;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0}'>
<title>${o.title} · Argus Master</title>
<link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/assets/app.css">
<script src="/ui/assets/htmx.min.js" defer></script>
<script src="/ui/assets/sse.js" defer></script>
<script type="module" src="/ui/assets/app.js"></script>
</head>
<body data-now="${o.nowMs}"${o.stream ? html` hx-ext="sse" sse-connect="${o.stream}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/ui/">Argus Master</a>
<nav aria-label="Sections" class="sections"><a href="/ui/maintenance"${o.title === 'Maintenance' ? html` aria-current="page"` : ''}>Maintenance</a> <a href="/ui/notifications"${o.title === 'Notifications' ? html` aria-current="page"` : ''}>Notifications</a></nav>
${o.stream ? html`<p id="live" class="live" role="status" aria-live="polite" data-state="connecting">Connecting to live updates…</p>` : ''}
${v?.signedIn
    ? html`<form class="signout" method="post" action="/ui/logout"><span class="who">${v.kind} token</span> <button type="submit">Sign out</button></form>`
    : ''}
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}
