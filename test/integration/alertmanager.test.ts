// Against the real Alertmanager (Debian's prometheus-alertmanager, installed by .ci/run), on loopback with
// its own storage and no gossip: an endpoint of kind alertmanager; a node going offline fires
// ArgusNodeOffline with the node's labels and its dashboard link, a degraded one ArgusNodeDegraded;
// coming back and maintenance resolve them (SPEC §15).
// Run with `npm run test:alertmanager` (needs `prometheus-alertmanager` on PATH).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { freePort, requestFresh, startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';

const BINARY = 'prometheus-alertmanager';
const missing = spawnSync(BINARY, ['--version']).error ? `${BINARY} is not installed: the Alertmanager tests cannot run` : null;
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);
if (missing) process.stdout.write(`# ${missing}\n`);

type AmAlert = { labels: Record<string, string>; generatorURL: string; status: { state: string }; endsAt: string };

describe('Alertmanager receives the fleet (SPEC §15)', { skip: missing ?? false }, () => {
  const t = tempDir('argus-am-');
  let m: MasterProcess;
  let am: ChildProcess | undefined;
  let amUrl = '';
  let amLog = '';

  before(async () => {
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    writeFileSync(join(t.dir, 'alertmanager.yml'), 'route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n');
    am = spawn(BINARY, [
      `--config.file=${join(t.dir, 'alertmanager.yml')}`, `--storage.path=${join(t.dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    am.stdout!.on('data', (d) => { amLog += d; });
    am.stderr!.on('data', (d) => { amLog += d; });
    await waitFor('Alertmanager to be ready', async () => (await fetch(`${amUrl}/-/ready`).catch(() => null))?.status === 200, 30_000, 200).catch((err) => {
      throw new Error(`${(err as Error).message}\n${amLog.slice(-2000)}`);
    });
    m = await startMaster(t.dir, { ONLINE_THRESHOLD_SECONDS: '1', OFFLINE_THRESHOLD_SECONDS: '2', SCHEDULER_INTERVAL_SECONDS: '0.5', OFFLINE_BRAKE: 'off', PUBLIC_URL: 'https://argus.example' });
  });
  after(async () => {
    if (m) await stopMaster(m);
    am?.kill('SIGTERM');
    t.cleanup();
  });

  const alerts = async (): Promise<AmAlert[]> => (await (await fetch(`${amUrl}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`)).json()) as AmAlert[];
  const named = async (alertname: string, node: string) => (await alerts()).find((a) => a.labels.alertname === alertname && a.labels.node_id === node);

  it('fires ArgusNodeOffline with the node labels and resolves it when the node comes back', async () => {
    const made = await requestFresh('POST', `${m.api}/notifications/endpoints`, { name: 'am', url: amUrl, kind: 'alertmanager' });
    assert.equal(made.status, 201);
    assert.equal(made.body.secret, undefined, 'an Alertmanager endpoint has no signing secret');
    const id = (await requestFresh('POST', `${m.api}/nodes`, registrationBody('gpu-1'))).body.id as string;
    await requestFresh('PUT', `${m.api}/nodes/${id}/config`, { label: ['rack=7'] });
    await requestFresh('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: {} });
    const fired = await waitFor('ArgusNodeOffline firing', () => named('ArgusNodeOffline', id), 10_000, 200);
    assert.deepEqual(fired.labels, { alertname: 'ArgusNodeOffline', node_id: id, name: 'gpu-1', hostname: 'gpu-1', ip: '10.0.0.10', user: 'testuser', env: 'dev', instance: 'testinst', rack: '7' });
    assert.equal(fired.generatorURL, `https://argus.example/ui/nodes/${id}`);
    assert.equal(fired.status.state, 'active');
    await requestFresh('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: {} });
    await waitFor('ArgusNodeOffline resolved', async () => (await named('ArgusNodeOffline', id)) === undefined, 10_000, 200);
  });

  it('fires ArgusNodeDegraded for a failing component and resolves it when the node enters maintenance', async () => {
    const id = (await requestFresh('POST', `${m.api}/nodes`, registrationBody('gpu-2'))).body.id as string;
    const keep = setInterval(() => void requestFresh('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: { dcgm: { status: 'failed', message: 'XID 79' } } }).catch(() => undefined), 500);
    try {
      await waitFor('ArgusNodeDegraded firing', () => named('ArgusNodeDegraded', id), 10_000, 200);
      assert.equal((await requestFresh('POST', `${m.api}/maintenance`, { nodes: [id], reason: 'swap the GPU', duration_seconds: 600 })).status, 201);
      await waitFor('ArgusNodeDegraded resolved', async () => (await named('ArgusNodeDegraded', id)) === undefined, 10_000, 200);
    } finally {
      clearInterval(keep);
    }
  });
});
