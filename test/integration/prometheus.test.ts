// Against the real Prometheus (Debian's package, installed by .ci/run): an http_sd_config and a
// file_sd_config pointed at the master on loopback; the online nodes appear as targets with their
// labels, a node that goes offline disappears, and `promtool check metrics` accepts /metrics.
// Run with `npm run test:prometheus` (needs `prometheus` and `promtool` on PATH).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { freePort, request, startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';

type Target = { discoveredLabels: Record<string, string>; labels: Record<string, string>; health: string; scrapePool: string };

describe('Prometheus consumes the master (http_sd, file_sd, /metrics)', () => {
  const t = tempDir('argus-prom-');
  let m: MasterProcess;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';
  let reporter: NodeJS.Timeout | undefined;
  const fileSd = join(t.dir, 'file_sd/argus.json');

  before(async () => {
    // Targets point at the master itself (the nodes' ip is loopback), so Prometheus really scrapes /metrics.
    const masterPort = await freePort();
    m = await startMaster(t.dir, { PROMETHEUS_FILE_SD_PATH: fileSd, PROMETHEUS_SD_PORTS: String(masterPort) }, masterPort);
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const relabel = `
    relabel_configs:
      - source_labels: [__meta_argus_node_id]
        target_label: node_id
      - source_labels: [__meta_argus_labels]
        target_label: argus_labels`;
    writeFileSync(join(t.dir, 'prometheus.yml'), `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: argus-http-sd
    http_sd_configs:
      - url: ${m.api}/sd/prometheus?port=${masterPort}
        refresh_interval: 1s${relabel}
  - job_name: argus-file-sd
    file_sd_configs:
      - files: ['${fileSd}']
        refresh_interval: 1s${relabel}
`);
    prom = spawn('prometheus', [
      `--config.file=${join(t.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(t.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d) => { promLog += d; });
    prom.stderr!.on('data', (d) => { promLog += d; });
    await waitFor('Prometheus to be ready', async () => (await fetch(`${promUrl}/-/ready`)).status === 200, 30_000, 200).catch((err) => {
      throw new Error(`${(err as Error).message}\n${promLog.slice(-2000)}`);
    });
  });

  after(async () => {
    clearInterval(reporter);
    prom?.kill('SIGTERM');
    if (m) await stopMaster(m);
    t.cleanup();
  });

  const targets = async (): Promise<Target[]> => {
    const res = await fetch(`${promUrl}/api/v1/targets?state=active`);
    return ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
  };
  const nodeIdsOf = (ts: Target[], pool: string) => ts.filter((x) => x.scrapePool === pool).map((x) => x.labels.node_id).sort();

  it('lists the online nodes with their labels, then drops the one that goes offline', async () => {
    const port = new URL(m.base).port;
    const a = (await request('POST', `${m.api}/nodes`, registrationBody('gpu-a', { meta_data: { ip: '127.0.0.1', hostname: 'gpu-a', user: 'alice', env: 'prod', instance: 'i1' } }))).body.id;
    const b = (await request('POST', `${m.api}/nodes`, registrationBody('gpu-b', { meta_data: { ip: '127.0.0.2', hostname: 'gpu-b', user: 'bob', env: 'dev', instance: 'i2' } }))).body.id;
    await request('PUT', `${m.api}/nodes/${a}/config`, { label: ['gpu', 'h100'] });
    const report = (id: string) => request('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: {} });
    let reportB = true; // both report until Prometheus has seen both; then b stops and goes offline
    await report(a);
    await report(b);
    reporter = setInterval(() => {
      void report(a);
      if (reportB) void report(b);
    }, 500);

    const both = await waitFor('both nodes in both discovery jobs', async () => {
      const ts = await targets();
      return nodeIdsOf(ts, 'argus-http-sd').join() === `${a},${b}` && nodeIdsOf(ts, 'argus-file-sd').join() === `${a},${b}` && ts;
    }, 20_000, 250).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${JSON.stringify(await targets()).slice(0, 2000)}\n${promLog.slice(-1500)}`);
    });
    for (const pool of ['argus-http-sd', 'argus-file-sd']) {
      const ta = both.find((x) => x.scrapePool === pool && x.labels.node_id === a)!;
      assert.equal(ta.discoveredLabels.__address__, `127.0.0.1:${port}`);
      assert.equal(ta.discoveredLabels.__meta_argus_name, 'gpu-a');
      assert.equal(ta.discoveredLabels.__meta_argus_user, 'alice');
      assert.equal(ta.discoveredLabels.__meta_argus_env, 'prod');
      assert.equal(ta.discoveredLabels.__meta_argus_label_h100, 'true');
      assert.equal(ta.labels.argus_labels, ',gpu,h100,');
    }
    reportB = false;
    // Prometheus really scrapes the target on loopback: the master's own /metrics.
    await waitFor('a successful scrape of the master /metrics', async () => {
      const ts = await targets();
      return ts.find((x) => x.scrapePool === 'argus-http-sd' && x.labels.node_id === a)?.health === 'up';
    }, 15_000, 250);

    await waitFor('the offline node to leave both jobs', async () => {
      const ts = await targets();
      return nodeIdsOf(ts, 'argus-http-sd').join() === a && nodeIdsOf(ts, 'argus-file-sd').join() === a;
    }, 20_000, 250);
    assert.equal((await request('GET', `${m.api}/nodes/${b}`)).body.status, 'offline');
  });

  it('serves /metrics that promtool accepts', async () => {
    const text = await (await fetch(`${m.base}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  });
});
