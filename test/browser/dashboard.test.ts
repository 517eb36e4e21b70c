// The dashboard in a real Chromium against the built master as a real process on loopback (SPEC §10):
// load, filter, search, page, open a node, watch it go offline and back live, edit labels, deregister,
// the reconnect notice across a restart, and token mode's sign-in with each kind of token. Every test
// also asserts that no request left loopback and that the page logged no console error.
// Screenshots of the overview and of a node page go to docs/img/ with ARGUS_SCREENSHOTS=1.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, requestFresh, startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';
import { assertClean as clean, browserMissing, launchChromium, watchedPage } from '../helpers/browser.js';
import { registrationBody, tempDir } from '../helpers/fixtures.js';

const missing = browserMissing();
// Without a browser the suite is skipped with that reason (one line); in CI it fails instead.
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

const SHOTS = process.env.ARGUS_SCREENSHOTS === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'img') : null;
const report = () => ({ timestamp: new Date().toISOString(), health: { 'gpu-0': { status: 'healthy', temp_c: 61 }, 'log-fluentbit': { status: 'healthy' } } });

async function registerMany(api: string, count: number, headers: Record<string, string> = {}) {
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const res = await requestFresh('POST', `${api}/nodes`, registrationBody(`gpu-pod-${i}`, { meta_data: { hostname: `gpu-host-${i}`, ip: `10.0.${Math.floor(i / 250)}.${i % 250}` } }), headers);
    assert.equal(res.status, 201);
    ids.push(res.body.id as string);
  }
  return ids;
}

/** The table's ID column, as the browser shows it. */
const tableIds = (page: Page) => page.locator('table.nodes tbody tr td:first-child').allInnerTexts();

describe('dashboard in Chromium', { skip: missing ?? false }, () => {
  let browser: Browser;
  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });

  describe('auth disabled', () => {
    const t = tempDir('argus-browser-');
    let m: MasterProcess;
    let ids: string[] = [];
    // A reporter keeps chosen nodes online (every 400 ms) until told otherwise.
    const reporting = new Set<string>();
    let reporter: NodeJS.Timeout | null = null;
    let stopped = false;
    before(async () => {
      m = await startMaster(t.dir, { MASTER_WORKERS: '2' });
      ids = await registerMany(m.api, 60);
      for (const id of ids.slice(0, 40)) reporting.add(id);
      await requestFresh('PUT', `${m.api}/nodes/${ids[2]}/config`, { label: ['rack-3', 'a100'] });
      const tick = async () => {
        await Promise.all([...reporting].map((id) => requestFresh('PUT', `${m.api}/nodes/${id}/status`, report()).catch(() => null)));
        // A tick in flight when the suite ends must not schedule another (the process would never exit).
        if (!stopped) reporter = setTimeout(() => void tick(), 400);
      };
      await tick();
      await waitFor('40 nodes online', async () => (await requestFresh('GET', `${m.api}/nodes/statistics`)).body.status_statistics.find((s: any) => s.status === 'online')?.count === 40);
    });
    after(async () => {
      stopped = true;
      if (reporter) clearTimeout(reporter);
      await stopMaster(m);
      t.cleanup();
    });

    it('loads the overview and the table, filters by status, searches, and pages by 50', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/`);
        assert.equal(new URL(page.url()).pathname, '/ui/', '/ leads to the dashboard');
        await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
        const headers = await page.locator('table.nodes thead th').allInnerTexts();
        assert.deepEqual(headers, ['ID', 'Name', 'Status', 'Hostname', 'IP', 'Labels', 'Last report']);
        assert.equal((await tableIds(page)).length, 50);
        await page.getByRole('link', { name: 'Online 40' }).waitFor();
        await page.getByRole('link', { name: 'Initialized 20' }).waitFor();
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
        if (SHOTS) {
          mkdirSync(SHOTS, { recursive: true });
          await page.screenshot({ path: join(SHOTS, 'dashboard-overview.png'), fullPage: false });
        }

        await page.getByRole('link', { name: 'Initialized 20' }).click();
        await page.waitForURL(/status=initialized/);
        assert.deepEqual(await tableIds(page), ids.slice(40));
        assert.equal(await page.getByRole('link', { name: 'Initialized 20' }).getAttribute('aria-current'), 'page');

        await page.getByRole('link', { name: /^All/ }).click();
        await page.getByRole('searchbox', { name: 'Search' }).fill('gpu-pod-5');
        await page.keyboard.press('Enter');
        await page.waitForURL(/q=gpu-pod-5/);
        assert.deepEqual(await tableIds(page), [ids[4], ...ids.slice(49, 59)]);
        assert.equal(await page.getByRole('searchbox', { name: 'Search' }).inputValue(), 'gpu-pod-5', 'the URL keeps the search (shareable)');

        await page.goto(`${m.base}/ui/`);
        await page.getByRole('link', { name: 'Next' }).click();
        await page.waitForURL(/after=/);
        assert.deepEqual(await tableIds(page), ids.slice(50));
        await page.getByRole('link', { name: 'Previous' }).click();
        await page.waitForURL(/before=/);
        assert.deepEqual(await tableIds(page), ids.slice(0, 50));

        // Keyboard only: Tab to the search box from the top of the page, type, Enter.
        await page.goto(`${m.base}/ui/`);
        const searchFocused = () => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id?: string } | null } }).document.activeElement?.id === 'q');
        let tabs = 0;
        while (!(await searchFocused()) && tabs < 10) {
          await page.keyboard.press('Tab');
          tabs++;
        }
        assert.ok(await searchFocused(), 'the search box is reached with Tab');
        // Before it: the skip link, the brand and the header's section links (Maintenance, Notifications), nothing else.
        const sections = await page.locator('nav.sections a').count();
        assert.ok(tabs <= 3 + sections, `the search box is among the first stops from the top (${tabs} presses of Tab, ${sections} section links)`);
        await page.keyboard.type('gpu-host-60');
        await page.keyboard.press('Enter');
        await page.waitForURL(/q=gpu-host-60/);
        assert.deepEqual(await tableIds(page), [ids[59]]);
        clean(watched, 'overview');
      } finally {
        await context.close();
      }
    });

    it('opens a node from the table and follows it offline and back online live, without a reload', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        const id = ids[2]!;
        await page.goto(`${m.base}/ui/?label=rack-3`);
        await page.getByRole('link', { name: id, exact: true }).click();
        await page.waitForURL(new RegExp(`/ui/nodes/${id}$`));
        await page.getByRole('heading', { name: `Node ${id}` }).waitFor();
        await page.getByRole('heading', { name: 'History' }).waitFor();
        await page.getByRole('table', { name: 'Health' }).getByRole('rowheader', { name: 'gpu-0' }).waitFor();
        await page.getByRole('img', { name: /^Last 24 h: / }).waitFor();
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
        const status = page.locator('#node dd .status');
        assert.equal(await status.innerText(), 'online');
        if (SHOTS) await page.screenshot({ path: join(SHOTS, 'dashboard-node.png'), fullPage: true });
        // A marker that a reload would lose: the page must change without one.
        await page.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 1; });

        reporting.delete(id);
        await waitFor('the sweep marks it offline', async () => (await requestFresh('GET', `${m.api}/nodes/${id}`)).body.status === 'offline', 10_000, 50);
        const offlineAt = Date.now();
        await page.locator('#node dd .status', { hasText: 'offline' }).waitFor({ timeout: 2_000 });
        const shownAfterMs = Date.now() - offlineAt;
        await page.getByRole('cell', { name: 'online → offline (sweep)' }).waitFor({ timeout: 2_000 });

        reporting.add(id);
        await waitFor('a report brings it back', async () => (await requestFresh('GET', `${m.api}/nodes/${id}`)).body.status === 'online', 5_000, 50);
        await page.locator('#node dd .status', { hasText: 'online' }).waitFor({ timeout: 2_000 });
        assert.equal(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 1, 'no reload happened');
        assert.ok(shownAfterMs < 2_000, `shown ${shownAfterMs} ms after the change`);
        clean(watched, 'node page');
      } finally {
        await context.close();
      }
    });

    it('updates the overview counts live when a node goes offline', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/ui/`);
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
        await page.getByRole('link', { name: 'Online 40' }).waitFor({ timeout: 5_000 });
        reporting.delete(ids[10]!);
        await page.getByRole('link', { name: 'Offline 1' }).waitFor({ timeout: 8_000 });
        await page.getByRole('link', { name: 'Online 39' }).waitFor({ timeout: 2_000 });
        reporting.add(ids[10]!);
        await page.getByRole('link', { name: 'Online 40' }).waitFor({ timeout: 5_000 });
        clean(watched, 'live overview');
      } finally {
        await context.close();
      }
    });

    it('edits labels and deregisters a node from its page', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        const id = ids[45]!;
        await page.goto(`${m.base}/ui/nodes/${id}`);
        await page.getByRole('textbox', { name: 'Labels' }).fill('h100, rack-9');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('status').filter({ hasText: 'Labels saved.' }).waitFor();
        assert.deepEqual((await requestFresh('GET', `${m.api}/nodes/${id}`)).body.label, ['h100', 'rack-9']);
        await page.getByRole('link', { name: 'rack-9' }).first().click();
        await page.waitForURL(/label=rack-9/);
        assert.deepEqual(await tableIds(page), [id]);

        await page.goto(`${m.base}/ui/nodes/${id}`);
        await page.getByRole('checkbox', { name: /Yes, remove/ }).check();
        await page.getByRole('button', { name: 'Deregister' }).click();
        await page.waitForURL(/\/ui\/$/);
        assert.equal((await requestFresh('GET', `${m.api}/nodes/${id}`)).status, 404);
        clean(watched, 'edits');
      } finally {
        await context.close();
      }
    });

    it('says when the live stream drops, reconnects by itself, and catches up', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/ui/`);
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
        const port = Number(new URL(m.base).port);
        await stopMaster(m);
        await page.locator('#live[data-state="lost"]').waitFor({ timeout: 5_000 });
        assert.match(await page.locator('#live').innerText(), /reconnecting/);
        const whileStopping = watched.consoleErrors.splice(0);
        // A change no stream can carry, made while no master runs: the first node of the table goes from
        // the file. Only the refresh after the stream reopens can take it off the page.
        const [gone] = await tableIds(page);
        const db = new Database(join(t.dir, 'master/db.sqlite3'));
        try {
          assert.equal(db.prepare('DELETE FROM nodes WHERE id = ?').run(gone).changes, 1);
        } finally {
          db.close();
        }
        m = await startMaster(t.dir, { MASTER_WORKERS: '2' }, port);
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 10_000 });
        await waitFor('the table without the node removed while the master was down', async () => !(await tableIds(page)).includes(gone!), 5_000);
        assert.deepEqual(watched.outside, []);
        // While the master is down the browser logs the failed connection attempts, and htmx logs each
        // htmx:sseError with its Event (console text "Event"); nothing else once the new master runs.
        const outage = (e: string) => e === 'Event' || /ERR_CONNECTION_REFUSED|Failed to load resource/.test(e);
        assert.deepEqual(watched.consoleErrors.filter((e) => !outage(e)), []);
        // While the old one stops, a stream may also reopen on a worker that has not stopped yet and the
        // refresh it triggers fail as that worker goes (htmx logs htmx:afterRequest and htmx:sendError;
        // seen once in CI on a slow box): the refresh after the next reopen catches up.
        assert.deepEqual(whileStopping.filter((e) => !outage(e) && e !== 'htmx:afterRequest' && e !== 'htmx:sendError'), []);
      } finally {
        await context.close();
      }
    });
  });

  describe('AUTH_MODE=token', () => {
    const t = tempDir('argus-browser-token-');
    const tokens = { enroll: 'enroll-token-0123456789', admin: 'admin-token-0123456789', read: 'read-token-0123456789' };
    let m: MasterProcess;
    let id = '';
    before(async () => {
      m = await startMaster(t.dir, { AUTH_MODE: 'token', ENROLL_TOKEN: tokens.enroll, ADMIN_TOKEN: tokens.admin, READ_TOKEN: tokens.read }, await freePort());
      [id] = await registerMany(m.api, 3, { authorization: `Bearer ${tokens.enroll}` }) as [string];
    });
    after(async () => {
      await stopMaster(m);
      t.cleanup();
    });

    const signIn = async (page: Page, token: string) => {
      await page.goto(`${m.base}/ui/nodes/${id}`);
      await page.waitForURL(/\/ui\/login\?next=/);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };

    it('refuses a wrong or node-kind token, lets the read token look without editing', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await signIn(page, 'not-a-token');
        await page.getByRole('alert').filter({ hasText: 'This token is not valid.' }).waitFor();
        await page.getByLabel('Token').fill(tokens.enroll);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: 'cannot open the dashboard' }).waitFor();
        watched.consoleErrors.length = 0; // the browser logs the 401 answers of the refused sign-ins

        await page.getByLabel('Token').fill(tokens.read);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(new RegExp(`/ui/nodes/${id}$`), { timeout: 5_000 });
        await page.getByRole('heading', { name: 'History' }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0, 'no label editor for the read token');
        assert.equal(await page.getByRole('button', { name: 'Deregister' }).count(), 0);
        const cookies = await context.cookies();
        const cookie = cookies.find((c) => c.name === 'argus_session')!;
        assert.deepEqual([cookie.httpOnly, cookie.sameSite, cookie.path], [true, 'Strict', '/ui']);
        assert.ok(!cookies.some((c) => c.value.includes(tokens.read)), 'no cookie holds the token');
        assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '', 'the page\'s scripts cannot read the session');
        await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/ui\/login/);
        await page.goto(`${m.base}/ui/`);
        await page.waitForURL(/\/ui\/login/);
        // The signed-out session is over for good: its cookie, put back, opens nothing.
        await context.addCookies([cookie]);
        await page.goto(`${m.base}/ui/`);
        await page.waitForURL(/\/ui\/login/);
        clean(watched, 'read token');
      } finally {
        await context.close();
      }
    });

    it('lets the admin token edit labels', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await signIn(page, tokens.admin);
        await page.waitForURL(new RegExp(`/ui/nodes/${id}$`));
        await page.getByRole('textbox', { name: 'Labels' }).fill('ops');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('status').filter({ hasText: 'Labels saved.' }).waitFor();
        const node = await requestFresh('GET', `${m.api}/nodes/${id}`, undefined, { authorization: `Bearer ${tokens.admin}` });
        assert.deepEqual(node.body.label, ['ops']);
        clean(watched, 'admin token');
      } finally {
        await context.close();
      }
    });
  });
});
