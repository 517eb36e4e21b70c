// The master's Prometheus outputs on the built CLI with two workers: /metrics merged across processes,
// the file_sd file, and the http_sd endpoint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { strictJson } from '../helpers/strict-json.js';
import { pidsAnswering, processGroup, request, requestFresh, startMaster, stopMaster, waitFor } from './harness.js';

describe('end-to-end: Prometheus outputs (two workers)', () => {
  it('merges metrics of every process and writes file_sd like http_sd', async () => {
    const t = tempDir('argus-e2e-');
    const fileSd = join(t.dir, 'prometheus/file_sd/argus.json');
    const m = await startMaster(t.dir, { PROMETHEUS_FILE_SD_PATH: fileSd, PROMETHEUS_SD_PORTS: '9100,9400', LOG_REQUESTS: 'true' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await request('POST', `${m.api}/nodes`, registrationBody(`pod-${i}`, { meta_data: { ip: `10.1.0.${i}`, hostname: `pod-${i}` } }))).body.id);
      for (const id of ids.slice(0, 3)) await request('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: {} });
      // Scrapes on new connections reach both workers (the request log says which answered): the merged
      // figures must be the same whichever answers.
      const scrapes = await pidsAnswering(m, 'GET', `${m.base}/metrics`, 6);
      const workers = processGroup(m).filter((pid) => pid !== m.proc.pid);
      assert.deepEqual([...new Set(scrapes.map((s) => s.pid))].sort(), [...workers].sort(), 'both workers answered /metrics');
      for (let i = 0; i < 4; i++) {
        const text = (await requestFresh('GET', `${m.base}/metrics`)).body as string;
        assert.match(text, /^argus_master_registrations_total\{result="created"\} 10$/m);
        assert.match(text, /^argus_master_status_reports_total 3$/m);
        assert.match(text, /^argus_master_nodes\{status="online"\} 3$/m);
        assert.match(text, /^argus_master_nodes\{status="initialized"\} 7$/m);
        assert.match(text, /^argus_master_last_sweep_timestamp_seconds \d/m);
        assert.match(text, /^argus_master_published_file_writes_total\{file="nodes_json",result="written"\} \d+$/m);
        assert.match(text, /^process_resident_memory_bytes \d+/m);
      }
      const http = await waitFor('http_sd to list 3 groups', async () => {
        const r = await request('GET', `${m.api}/sd/prometheus`);
        return r.body.length === 3 && r.body;
      }, 3_000);
      assert.deepEqual(http[0].targets, ['10.1.0.0:9100', '10.1.0.0:9400']);
      const file = await waitFor('file_sd to match http_sd', () => {
        const doc = strictJson(readFileSync(fileSd), 'file_sd');
        return JSON.stringify(doc) === JSON.stringify(http) && doc;
      }, 3_000);
      assert.equal(file.length, 3);
      await waitFor('file_sd to empty when the nodes go offline', () => strictJson(readFileSync(fileSd), 'file_sd').length === 0, 8_000);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });
});
