// Failures of the master's own making, on the built CLI with two workers: a SIGKILL under load, a
// reader of nodes.json during label updates and sweeps, the restart grace, readiness, token mode.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { strictJson } from '../helpers/strict-json.js';
import { pidsAnswering, processGroup, readNodesJson, request, sleep, startMaster, stopMaster, waitFor } from './harness.js';

const report = () => ({ timestamp: new Date().toISOString(), health: { a: { status: 'healthy' } } });

describe('end-to-end: hardening (two workers)', () => {
  it('keeps every answered registration and config change when SIGKILLed under reporting load', async () => {
    const t = tempDir('argus-e2e-');
    let m = await startMaster(t.dir);
    const registered = new Map<string, string>();
    const labelled = new Map<string, string[]>();
    try {
      for (let i = 0; i < 20; i++) {
        const r = await request('POST', `${m.api}/nodes`, registrationBody(`load-${i}`));
        registered.set(r.body.id, r.body.name);
      }
      const ids = [...registered.keys()];
      let stop = false;
      const agents = ids.map(async (id, i) => {
        for (let k = 0; !stop && k < 10_000; k++) {
          try {
            await request('PUT', `${m.api}/nodes/${id}/status`, report());
            if (k % 5 === 0) {
              const label = [`round-${k}`];
              const res = await request('PUT', `${m.api}/nodes/${id}/config`, { label, config: { k } });
              if (res.status === 200) labelled.set(id, label);
            }
            if (k % 7 === i % 7) {
              const res = await request('POST', `${m.api}/nodes`, registrationBody(`late-${i}-${k}`));
              if (res.status === 201) registered.set(res.body.id, res.body.name);
            }
          } catch {
            return; // the master is gone
          }
        }
      });
      await sleep(1_500);
      m.kill('SIGKILL', true);
      stop = true;
      await Promise.all(agents);
      await m.exited;
      assert.ok(strictJson(readFileSync(m.nodesJsonPath), 'nodes.json'), 'nodes.json is whole after the kill');
      m = await startMaster(t.dir);
      const stored = new Map(((await request('GET', `${m.api}/nodes`)).body as Array<{ id: string; name: string }>).map((n) => [n.id, n.name]));
      for (const [id, name] of registered) assert.equal(stored.get(id), name, `answered registration ${id}`);
      for (const [id, label] of labelled) {
        // The last answered label change is there, or a later one whose answer the kill cut off.
        const now = (await request('GET', `${m.api}/nodes/${id}`)).body.label[0] as string;
        assert.ok(Number(now.slice(6)) >= Number(label[0]!.slice(6)), `config change of ${id}: ${now} vs ${label[0]}`);
      }
      assert.ok(registered.size > 20 && labelled.size > 0, `load happened: ${registered.size} registered, ${labelled.size} labelled`);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('never shows a reader a partial nodes.json during label updates and sweeps', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir, { SCHEDULER_INTERVAL_SECONDS: '0.2' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await request('POST', `${m.api}/nodes`, registrationBody(`r-${i}`))).body.id);
      let stop = false;
      let reads = 0;
      const reader = (async () => {
        while (!stop) {
          const bytes = readFileSync(m.nodesJsonPath);
          strictJson(bytes, 'nodes.json'); // throws on a partial file
          const text = bytes.toString('utf8');
          assert.ok(text.endsWith(']\n'));
          reads++;
          await new Promise((r) => setImmediate(r));
        }
      })();
      const deadline = Date.now() + 4_000;
      for (let k = 0; Date.now() < deadline; k++) {
        const id = ids[k % ids.length]!;
        await request('PUT', `${m.api}/nodes/${id}/status`, report());
        await request('PUT', `${m.api}/nodes/${id}/config`, { label: Array.from({ length: (k % 9) + 1 }, (_, j) => `label-${k}-${j}`) });
      }
      stop = true;
      await reader;
      assert.ok(reads > 200, `the reader read ${reads} times`);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('gives the fleet a full offline threshold after a restart (restart grace)', async () => {
    const t = tempDir('argus-e2e-');
    let m = await startMaster(t.dir);
    try {
      const id = (await request('POST', `${m.api}/nodes`, registrationBody())).body.id;
      await request('PUT', `${m.api}/nodes/${id}/status`, report());
      await stopMaster(m);
      await sleep(3_500); // the master is down for longer than the offline threshold (3 s)
      const port = Number(new URL(m.base).port);
      const startedAt = Date.now(); // the master's own start (and its grace) comes after this
      m = await startMaster(t.dir, {}, port);
      assert.equal((await request('GET', `${m.api}/nodes/${id}`)).body.status, 'online');
      assert.equal(readNodesJson(m).length, 1);
      await waitFor('the node to go offline after the grace', async () => (await request('GET', `${m.api}/nodes/${id}`)).body.status === 'offline', 8_000);
      assert.ok(Date.now() - startedAt > 3_000, `offline only after the threshold since the start (${Date.now() - startedAt} ms)`);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('keeps serving with an unwritable nodes.json directory and says so in /readyz', async () => {
    const t = tempDir('argus-e2e-');
    writeFileSync(join(t.dir, 'not-a-dir'), 'x');
    const m = await startMaster(t.dir, { METRIC_NODES_JSON_PATH: join(t.dir, 'not-a-dir/nodes.json') });
    try {
      const ready = await request('GET', `${m.base}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ready');
      assert.match(ready.body.warnings[0], /^nodes\.json cannot be written: /);
      assert.equal((await request('POST', `${m.api}/nodes`, registrationBody())).status, 201);
      assert.match(m.output(), /nodes\.json write failed/);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('runs in token mode from *_FILE secrets', async () => {
    const t = tempDir('argus-e2e-');
    writeFileSync(join(t.dir, 'enroll'), 'enroll-secret-0123456789\n');
    writeFileSync(join(t.dir, 'admin'), 'admin-secret-0123456789\n');
    const m = await startMaster(t.dir, { AUTH_MODE: 'token', ENROLL_TOKEN_FILE: join(t.dir, 'enroll'), ADMIN_TOKEN_FILE: join(t.dir, 'admin'), LOG_REQUESTS: 'true' });
    try {
      const call = async (method: string, url: string, token: string | null, body?: unknown) => {
        const res = await fetch(url, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: strictJson(await res.arrayBuffer(), `${method} ${url}`) };
      };
      assert.equal((await call('POST', `${m.api}/nodes`, null, registrationBody())).status, 401);
      const created = await call('POST', `${m.api}/nodes`, 'enroll-secret-0123456789', registrationBody());
      assert.equal(created.status, 201);
      // The token works on every worker (it lives in the shared database): new connections, which the
      // primary hands to the workers in turn, and the request log says which process answered.
      const answers = await pidsAnswering(m, 'PUT', `${m.api}/nodes/${created.body.id}/status`, 6, { body: report(), headers: { authorization: `Bearer ${created.body.token}` } });
      assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers));
      const workers = processGroup(m).filter((pid) => pid !== m.proc.pid);
      assert.equal(workers.length, 2);
      assert.deepEqual([...new Set(answers.map((a) => a.pid))].sort(), [...workers].sort(), 'both workers accepted the token');
      assert.equal((await call('GET', `${m.api}/nodes`, 'admin-secret-0123456789')).status, 200);
      assert.equal((await call('GET', `${m.base}/readyz`, null)).status, 200);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('closes a connection whose body trickles in past REQUEST_TIMEOUT_SECONDS, and one answered 401 before its body', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir, { REQUEST_TIMEOUT_SECONDS: '1', AUTH_MODE: 'token', ENROLL_TOKEN: 'enroll-secret-0123456789', ADMIN_TOKEN: 'admin-secret-0123456789' });
    const { port } = new URL(m.base);
    /** Opens a socket, sends `head`, then a byte every 250 ms; resolves with what came back and when it closed. */
    const trickle = (head: string) => new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const started = Date.now();
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
      let answer = '';
      const timer = setInterval(() => socket.writable && socket.write('x'), 250);
      const hardStop = setTimeout(() => { socket.destroy(); reject(new Error(`still open after 8 s; got ${answer}`)); }, 8_000);
      socket.on('data', (d) => { answer += d.toString('utf8'); });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(hardStop);
        resolve({ answer, closedAfterMs: Date.now() - started });
      });
    });
    try {
      const slow = await trickle(`POST /api/v1/master/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer enroll-secret-0123456789\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      assert.match(slow.answer, /^HTTP\/1\.1 408 /);
      assert.match(slow.answer, /\{"error":"request timed out/);
      assert.ok(slow.closedAfterMs < 4_000, `closed after ${slow.closedAfterMs} ms`);
      const early = await trickle(`POST /api/v1/master/nodes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      assert.match(early.answer, /^HTTP\/1\.1 401 /);
      assert.match(early.answer, /connection: close/i);
      assert.ok(early.closedAfterMs < 900, `closed after the 401 at once, not at the request timeout (${early.closedAfterMs} ms)`);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });
});
