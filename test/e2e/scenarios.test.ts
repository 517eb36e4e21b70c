// The source README's end-to-end scenarios 02–09 (scenario-steps.ts), against the built CLI on loopback
// with second-scale thresholds (online ≤ 1.5 s, offline > 3 s, sweep every 0.5 s): with two workers (a
// primary that sweeps and publishes, workers that serve), and as a single process (MASTER_WORKERS=1).
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/fixtures.js';
import { readNodesJson, startMaster, stopMaster, type MasterProcess } from './harness.js';
import { scenarioSteps, type ScenarioContext } from './scenario-steps.js';

for (const [workers, shape] of [['2', 'two workers'], ['1', 'single process']] as const) {
  describe(`end-to-end scenarios 02–09 (${shape})`, () => {
    const t = tempDir('argus-e2e-');
    let m: MasterProcess;
    let ctx: ScenarioContext;
    before(async () => {
      m = await startMaster(t.dir, { MASTER_WORKERS: workers });
      ctx = {
        base: m.base,
        api: m.api,
        timing: { onlineSeconds: 1.5, offlineSeconds: 3, intervalSeconds: 0.5 },
        readNodesJson: () => readNodesJson(m),
        nodesJsonExists: () => existsSync(m.nodesJsonPath),
        deleteNodesJson: () => rmSync(m.nodesJsonPath),
        async restart() {
          assert.deepEqual(await stopMaster(m), { code: 0, signal: null }, 'graceful SIGTERM exits 0');
          m = await startMaster(t.dir, { MASTER_WORKERS: workers }, Number(new URL(m.base).port));
        },
        state: {},
      };
    });
    after(async () => {
      if (m) await stopMaster(m);
      t.cleanup();
    });

    for (const step of scenarioSteps) {
      it(`${step.id}: ${step.title}`, () => step.run(ctx));
    }
  });
}
