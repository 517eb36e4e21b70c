// The dashboard through app.inject (SPEC §10): pages, filters and paging by the server, the node page,
// the assets (all from this package), escaping, and token mode's sign-in, cookie, rights and Origin
// checks. The browser tests (test/browser) drive the same pages in a real Chromium.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';

const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: 'read-secret-0123456789' };
const ORIGIN = 'http://localhost:80';

let m: TestMaster;
afterEach(async () => { await m.close(); });

async function register(name: string, extra: Record<string, unknown> = {}, token?: string) {
  const res = await m.app.inject({ method: 'POST', url: '/api/v1/master/nodes', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: registrationBody(name, extra) });
  assert.equal(res.statusCode, 201, res.payload);
  return res.json().id as string;
}

const get = (url: string, cookie?: string) => m.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
const post = (url: string, form: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) =>
  m.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost:80', ...headers }, payload: new URLSearchParams(form).toString() });
/** The IDs in the table's rows, in order. */
const rowIds = (page: string) => [...page.matchAll(/<td><a href="\/ui\/nodes\/([^"]+)">/g)].map((x) => x[1]);

describe('dashboard, auth disabled', () => {
  it('redirects / to /ui/ and renders the overview and the table with the columns of SPEC §10', async () => {
    m = await makeTestMaster();
    const a = await register('pod-a', { meta_data: { hostname: 'gpu-a', ip: '10.0.0.1' } });
    await m.app.inject({ method: 'PUT', url: `/api/v1/master/nodes/${a}/status`, payload: { timestamp: '2025-09-24T03:19:48Z', health: {} } });
    m.clock.advance(12_000);
    await register('pod-b');
    const root = await get('/');
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/ui/');
    const res = await get('/ui/');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    const body = res.payload;
    for (const h of ['ID', 'Name', 'Status', 'Hostname', 'IP', 'Labels', 'Last report']) assert.match(body, new RegExp(`<th scope="col">${h}</th>`));
    assert.match(body, /<label for="q">Search<\/label>\s*<input type="search" id="q" name="q"/);
    assert.match(body, /href="\/ui\/\?status=online">Online <span class="count">1<\/span>/);
    assert.match(body, /href="\/ui\/\?status=initialized">Initialized <span class="count">1<\/span>/);
    assert.match(body, /All <span class="count">2<\/span>/);
    assert.match(body, />12 s ago</, 'the last report, relative to the clock');
    assert.match(body, /<td>gpu-a<\/td>\s*<td>10\.0\.0\.1<\/td>/);
    assert.match(body, /Mass-offline brake: <strong>released/);
    assert.match(body, /Sweeper: <strong>ready/);
    assert.match(body, /sse-connect="\/ui\/stream\?after=\d+"/);
    assert.deepEqual(rowIds(body), [a, 'A2']);
    assert.doesNotMatch(body, /(src|href)="(https?:)?\/\//, 'no asset from outside the master');
  });

  it('filters by status, label and search, and pages by 50 with Next and Previous', async () => {
    m = await makeTestMaster();
    for (let i = 1; i <= 120; i++) await register(`pod-${i}`);
    await m.app.inject({ method: 'PUT', url: '/api/v1/master/nodes/A7/config', payload: { label: ['gpu'] } });
    await m.app.inject({ method: 'PUT', url: '/api/v1/master/nodes/A7/status', payload: { timestamp: '2025-09-24T03:19:48Z', health: {} } });
    const first = (await get('/ui/')).payload;
    assert.equal(rowIds(first).length, 50);
    assert.match(first, /50 of 120/);
    assert.match(first, /<span aria-disabled="true">Previous<\/span>/);
    const next = /<a rel="next" href="([^"]+)">Next<\/a>/.exec(first)![1]!.replaceAll('&amp;', '&');
    assert.equal(next, '/ui/?after=A50');
    const second = (await get(next)).payload;
    assert.deepEqual([rowIds(second)[0], rowIds(second).at(-1)], ['A51', 'A100']);
    const prev = /<a rel="prev" href="([^"]+)">Previous<\/a>/.exec(second)![1]!;
    assert.equal(prev, '/ui/?before=A51');
    const back = (await get(prev)).payload;
    assert.deepEqual([rowIds(back)[0], rowIds(back).at(-1)], ['A1', 'A50']);
    assert.match(back, /<span aria-disabled="true">Previous<\/span>/, 'back on the first page');
    assert.deepEqual(rowIds((await get('/ui/?after=A100')).payload).length, 20);
    assert.deepEqual(rowIds((await get('/ui/?status=online')).payload), ['A7']);
    assert.deepEqual(rowIds((await get('/ui/?label=gpu')).payload), ['A7']);
    assert.deepEqual(rowIds((await get('/ui/?q=POD-11')).payload), ['A11', 'A110', 'A111', 'A112', 'A113', 'A114', 'A115', 'A116', 'A117', 'A118', 'A119']);
    const searched = (await get('/ui/?q=pod-11&status=initialized')).payload;
    assert.match(searched, /<input type="hidden" name="status" value="initialized">/, 'a search keeps the status filter');
    assert.match(searched, /value="pod-11"/);
    const bad = await get('/ui/?status=gone');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.payload, /role="alert">status must be one of/);
    const fragment = await get('/ui/fragments/fleet?status=online');
    assert.match(fragment.payload, /^<div id="fleet" hx-get="\/ui\/fragments\/fleet\?status=online"/);
  });

  it('shows a node page with every field, health as a table, labels, clock skew and its history', async () => {
    m = await makeTestMaster();
    const id = await register('pod-h');
    await m.app.inject({ method: 'PUT', url: `/api/v1/master/nodes/${id}/status`, payload: { timestamp: '2025-09-24T03:19:58Z', health: { 'gpu-0': { status: 'healthy', temp: 61 } } } });
    await m.app.inject({ method: 'PUT', url: `/api/v1/master/nodes/${id}/config`, payload: { label: ['rack-7'] } });
    const page = await get(`/ui/nodes/${id}`);
    assert.equal(page.statusCode, 200);
    const body = page.payload;
    assert.match(body, /<h1>Node A1 <span class="name">pod-h<\/span><\/h1>/);
    assert.match(body, /<caption>Last health report<\/caption>/);
    assert.match(body, /<dt>Health<\/dt><dd><span class="health healthy">healthy<\/span><\/dd>/);
    assert.match(body, /Every component is healthy\./);
    assert.match(body, /<dt>Maintenance<\/dt><dd>none<\/dd>/);
    assert.match(body, /<th scope="row">gpu-0<\/th><td><code>\{&quot;status&quot;:&quot;healthy&quot;,&quot;temp&quot;:61\}<\/code>/);
    assert.match(body, /<dt>Clock skew<\/dt><dd>2\.000 s<\/dd>/);
    assert.match(body, /<dt>Status since<\/dt>/);
    assert.match(body, /<h2 id="history-title">History<\/h2>/);
    assert.match(body, /<svg role="img" aria-label="Last 24 h: /);
    assert.match(body, /initialized → online \(report\)/);
    assert.match(body, /registered as pod-h/);
    assert.match(body, /<label for="labels">Labels<\/label>/);
    assert.match(body, /value="rack-7"/);
    assert.match(body, /sse-connect="\/ui\/stream\?after=\d+&amp;node=A1"/);
    const missing = await get('/ui/nodes/A99');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.payload, /node A99 not found/);
  });

  it('escapes what agents send: a name or label cannot become markup', async () => {
    m = await makeTestMaster();
    const id = await register('<img src=x onerror=alert(1)>', { meta_data: { hostname: '"><script>x</script>' } });
    assert.equal((await m.app.inject({ method: 'PUT', url: `/api/v1/master/nodes/${id}/config`, payload: { label: ['<b onmouseover=alert(2)>rack</b>'] } })).statusCode, 200);
    for (const url of ['/ui/', `/ui/nodes/${id}`]) {
      const body = (await get(url)).payload;
      assert.doesNotMatch(body, /<img src=x|<script>x|<b onmouseover/, url);
      assert.match(body, /&lt;img src=x onerror=alert\(1\)&gt;/, `${url}: the name, as text`);
      assert.match(body, /&lt;b onmouseover=alert\(2\)&gt;rack&lt;\/b&gt;/, `${url}: the label, as text`);
    }
  });

  it('edits labels and deregisters through forms from this origin only', async () => {
    m = await makeTestMaster();
    const id = await register('pod-e');
    const saved = await post(`/ui/nodes/${id}/labels`, { labels: 'gpu, rack-1 ,gpu,' });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/ui/nodes/${id}?saved=labels`);
    assert.deepEqual((await m.nodes.get(id)).label, ['gpu', 'rack-1']);
    assert.match((await get(`/ui/nodes/${id}?saved=labels`)).payload, /role="status">Labels saved\./);
    for (const headers of [{}, { origin: 'http://evil.example' }] as Array<Record<string, string>>) {
      const refused = await post(`/ui/nodes/${id}/labels`, { labels: 'x' }, headers);
      assert.equal(refused.statusCode, 403, JSON.stringify(headers));
      assert.match(refused.payload, /cross-origin request refused/);
    }
    assert.deepEqual((await m.nodes.get(id)).label, ['gpu', 'rack-1'], 'refused edits changed nothing');
    const proxied = await post(`/ui/nodes/${id}/labels`, { labels: 'gpu' }, { origin: 'https://argus.example', host: '10.0.0.5:3000', 'x-forwarded-host': 'argus.example' });
    assert.equal(proxied.statusCode, 303, 'behind a TLS proxy: the host the browser used is in X-Forwarded-Host');
    assert.equal((await post(`/ui/nodes/${id}/deregister`, {})).statusCode, 400, 'unconfirmed');
    const gone = await post(`/ui/nodes/${id}/deregister`, { confirm: 'yes' });
    assert.equal(gone.statusCode, 303);
    assert.equal((await get(`/ui/nodes/${id}`)).statusCode, 404);
    assert.match((await get(`/ui/fragments/nodes/${id}`)).payload, /was deregistered/);
  });

  it('holds the label form to the API\'s rules: at most 64 labels, text that is valid Unicode', async () => {
    m = await makeTestMaster();
    const id = await register('pod-labels');
    const many = await post(`/ui/nodes/${id}/labels`, { labels: Array.from({ length: 65 }, (_, i) => `l${i}`).join(',') });
    assert.equal(many.statusCode, 400);
    assert.match(many.payload, /at most 64 labels/);
    // A form body percent-encoding bytes that are not UTF-8 (a lone surrogate): refused, not kept as text.
    const bad = await m.app.inject({
      method: 'POST', url: `/ui/nodes/${id}/labels`, headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost:80', origin: ORIGIN },
      payload: 'labels=sur%ED%A0%80x',
    });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual((await m.nodes.get(id)).label, [], 'nothing stored');
    const api = await m.app.inject({ method: 'PUT', url: `/api/v1/master/nodes/${id}/config`, payload: { label: Array.from({ length: 65 }, (_, i) => `l${i}`) } });
    assert.equal(api.statusCode, 400, 'the API says the same');
  });

  it('serves its assets from the package only, and nothing else from those folders', async () => {
    m = await makeTestMaster();
    for (const [file, type] of [['htmx.min.js', /javascript/], ['sse.js', /javascript/], ['app.js', /javascript/], ['format.js', /javascript/], ['app.css', /text\/css/], ['favicon.svg', /image\/svg\+xml/], ['favicon.ico', /image\/(x-icon|vnd\.microsoft\.icon)/]] as const) {
      const res = await get(`/ui/assets/${file}`);
      assert.equal(res.statusCode, 200, file);
      assert.match(String(res.headers['content-type']), type, file);
    }
    assert.match((await get('/ui/assets/format.js')).payload, /export function ago/);
    for (const file of ['plugin.js', 'html.js', 'format.js.map', '../package.json', 'README.md']) assert.equal((await get(`/ui/assets/${file}`)).statusCode, 404, file);
    assert.equal((await get('/ui/nope')).statusCode, 404);
  });

  it('sends every page with headers that keep it out of frames and out of type sniffing; the API\'s JSON too', async () => {
    m = await makeTestMaster();
    const pageRes = await get('/ui/');
    assert.equal(pageRes.headers['x-frame-options'], 'DENY');
    assert.equal(pageRes.headers['x-content-type-options'], 'nosniff');
    assert.match(String(pageRes.headers['content-security-policy']), /frame-ancestors 'none'/);
    for (const url of ['/api/v1/master/nodes', '/api/v1/master/nodes/A404', '/nope']) {
      assert.equal((await get(url)).headers['x-content-type-options'], 'nosniff', url);
    }
    for (const file of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal((await get(`/ui/assets/${file}`)).statusCode, 404, file);
  });

  it('answers /favicon.ico with an icon (a browser asks for it on every page; a 404 is a console error) and links one from every page', async () => {
    m = await makeTestMaster();
    const icon = await get('/favicon.ico');
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/x-icon');
    assert.deepEqual([...icon.rawPayload.subarray(0, 4)], [0, 0, 1, 0], 'an ICO file');
    assert.match((await get('/ui/')).payload, /<link rel="icon" href="\/ui\/assets\/favicon\.svg" type="image\/svg\+xml">/);
  });
});

describe('dashboard sign-in with a hostile next', () => {
  for (const next of ['/ui/%00', '/ui/%0d%0aSet-Cookie:%20x=1', '/ui/%E2%80%A8', '//evil.example/ui/', '/ui\\evil', '/uix']) {
    it(`leads ${next} to /ui/ (never a 500, never another site)`, async () => {
      m = await makeTestMaster({ tokens });
      const page = await get(`/ui/login?next=${next}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.payload, /<input type="hidden" name="next" value="\/ui\/">/);
      const form = await post('/ui/login', { token: tokens.admin, next: decodeURIComponent(next) });
      assert.equal(form.statusCode, 303);
      assert.equal(form.headers.location, '/ui/');
      await m.close();
      m = await makeTestMaster();
      const open = await get(`/ui/login?next=${next}`);
      assert.equal(open.statusCode, 303, 'auth disabled: straight on');
      assert.equal(open.headers.location, '/ui/');
    });
  }
});

describe('dashboard, AUTH_MODE=token', () => {
  const signIn = async (token: string) => {
    const res = await post('/ui/login', { token, next: '/ui/nodes/A1' });
    return res;
  };

  it('sends a visitor without a token to the sign-in page, and signs in with the read or admin token only', async () => {
    m = await makeTestMaster({ tokens });
    await register('pod-t', {}, tokens.enroll);
    const page = await get('/ui/');
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/ui/login?next=%2Fui%2F');
    const login = await get('/ui/login?next=%2Fui%2F');
    assert.equal(login.statusCode, 200);
    assert.match(login.payload, /<label for="token">Token<\/label>\s*<input type="password" id="token" name="token"/);
    assert.match(login.payload, /name="token" required autocomplete="off"/, 'a password manager is not offered the admin token');
    assert.match(login.payload, /<button type="submit">Sign in<\/button>/);
    assert.equal((await get('/ui/assets/app.css')).statusCode, 200, 'the sign-in page has its styles');
    assert.equal((await get('/ui/fragments/fleet')).statusCode, 401);
    assert.equal((await get('/ui/stream')).statusCode, 401);
    for (const bad of ['wrong-token', tokens.enroll]) {
      const res = await signIn(bad);
      assert.equal(res.statusCode, 401, bad);
      assert.equal(res.headers['set-cookie'], undefined);
      assert.match(res.payload, /role="alert"/);
    }
    const ok = await signIn(tokens.read);
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/ui/nodes/A1');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, /^argus_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/ui; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(cookie, /read-secret/, 'the cookie holds a session id, never the token');
    const evil = await post('/ui/login', { token: tokens.read, next: 'https://evil.example/' });
    assert.equal(evil.headers.location, '/ui/', 'never sent to another site after signing in');
  });

  /** The session cookie of a sign-in with `token`, as the browser sends it back. */
  const sessionOf = async (token: string) => String((await signIn(token)).headers['set-cookie']).split(';')[0]!;

  it('lets the read token look but not change; the admin token edits; sign-out ends the session for good', async () => {
    m = await makeTestMaster({ tokens });
    const id = await register('pod-r', {}, tokens.enroll);
    const read = await sessionOf(tokens.read);
    const admin = await sessionOf(tokens.admin);
    const asRead = (await get(`/ui/nodes/${id}`, read)).payload;
    assert.match(asRead, /<h2 id="history-title">History<\/h2>/);
    assert.doesNotMatch(asRead, /<button type="submit">Save<\/button>/, 'no editor for the read token');
    assert.match(asRead, /read token <\/span>|read token <button|<span class="who">read token<\/span>/);
    const refused = await post(`/ui/nodes/${id}/labels`, { labels: 'x' }, { origin: ORIGIN, cookie: read });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.payload, /only the admin token may change the fleet/);
    assert.match((await get(`/ui/nodes/${id}`, admin)).payload, /<button type="submit">Save<\/button>/);
    const saved = await post(`/ui/nodes/${id}/labels`, { labels: 'gpu' }, { origin: ORIGIN, cookie: admin });
    assert.equal(saved.statusCode, 303);
    assert.deepEqual((await m.nodes.get(id)).label, ['gpu']);
    assert.equal((await post(`/ui/nodes/${id}/labels`, { labels: 'y' }, { cookie: admin })).statusCode, 403, 'no Origin: refused');
    const out = await post('/ui/logout', {}, { origin: ORIGIN, cookie: admin });
    assert.equal(out.statusCode, 303);
    assert.match(String(out.headers['set-cookie']), /^argus_session=; Max-Age=0|^argus_session=;.*Expires=Thu, 01 Jan 1970/);
    assert.equal((await get('/ui/', admin)).statusCode, 303, 'a copy of the signed-out cookie opens nothing');
    assert.equal((await get('/ui/fragments/fleet', admin)).statusCode, 401);
    assert.equal((await get('/ui/', read)).statusCode, 200, 'other sessions go on');
    assert.equal((await get('/ui/', 'argus_session=forged')).statusCode, 303, 'a forged cookie is no sign-in');
    assert.equal((await get('/ui/', `argus_token=${tokens.admin}`)).statusCode, 303, 'nor the old token cookie');
    assert.equal((await signIn(tokens.enroll)).statusCode, 401, 'nor the enrollment token');
  });

  it('ends a session 12 h after sign-in, and at once when its token is no longer the master\'s', async () => {
    m = await makeTestMaster({ tokens });
    const admin = await sessionOf(tokens.admin);
    m.clock.advance(12 * 3_600_000 - 1);
    assert.equal((await get('/ui/', admin)).statusCode, 200);
    m.clock.advance(1);
    assert.equal((await get('/ui/', admin)).statusCode, 303, 'expired');
    const again = await sessionOf(tokens.admin);
    // The admin changes ADMIN_TOKEN and restarts: a master on the same database with other tokens.
    const { createSessions } = await import('../../src/sessions.js');
    const after = createSessions(m.store, { ...tokens, admin: 'another-admin-secret-0123' }, m.clock);
    assert.equal(await after.resolve(again.split('=')[1]!), null);
    assert.equal(await createSessions(m.store, tokens, m.clock).resolve(again.split('=')[1]!), 'admin', 'the same tokens: still open');
  });
});
