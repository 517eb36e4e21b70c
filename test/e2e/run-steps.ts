// Runs scenario steps (scenario-steps.ts) against a master reached by URL, keeping the state between
// invocations in a file: the container end-to-end scripts (tests/scripts/0N_*.sh) call it per step.
//   node --import tsx test/e2e/run-steps.ts 03 [04 …]     (step "dns" checks the container's dns-monitor)
// Environment: ARGUS_E2E_URL (http://127.0.0.1:31300), ARGUS_E2E_PRIVATE (tests/private/argus: the
// bind-mounted /private/argus), ARGUS_E2E_STATE (tests/tmp/e2e-state.json), ARGUS_E2E_RESTART (a shell
// command that restarts the master), ARGUS_E2E_ONLINE/OFFLINE/INTERVAL (the master's thresholds, seconds).
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { strictJson } from '../helpers/strict-json.js';
import { waitFor } from './harness.js';
import { scenarioSteps, type ScenarioContext, type ScenarioStep } from './scenario-steps.js';

const root = resolve(import.meta.dirname, '../..');
const env = process.env;
const base = env.ARGUS_E2E_URL ?? 'http://127.0.0.1:31300';
const privateDir = resolve(env.ARGUS_E2E_PRIVATE ?? join(root, 'tests/private/argus'));
const stateFile = resolve(env.ARGUS_E2E_STATE ?? join(root, 'tests/tmp/e2e-state.json'));
const nodesJsonPath = join(privateDir, 'metric/prometheus/nodes.json');

async function waitReady(timeoutMs = 60_000) {
  await waitFor(`${base}/readyz`, async () => (await fetch(`${base}/readyz`)).status === 200, timeoutMs, 250);
}

/** The container's dns-monitor reacts to a dns.conf change (files in the bind-mounted /private/argus/etc). */
const dnsStep: ScenarioStep = {
  id: 'dns',
  title: 'the dns-monitor runs update-dns.sh when dns.conf changes',
  async run() {
    const etc = join(privateDir, 'etc');
    mkdirSync(etc, { recursive: true });
    const marker = join(etc, 'dns-updated.txt');
    rmSync(marker, { force: true });
    const script = join(etc, 'update-dns.sh');
    // The paths inside the container: /private/argus/etc/…
    writeFileSync(script, '#!/bin/sh\ncat /private/argus/etc/dns.conf >> /private/argus/etc/dns-updated.txt\n');
    chmodSync(script, 0o755);
    const content = `nameserver 10.0.0.${Math.floor(Math.random() * 200) + 2}\n`;
    writeFileSync(join(etc, 'dns.conf'), content);
    await waitFor('update-dns.sh to run with the new dns.conf', () => existsSync(marker) && readFileSync(marker, 'utf8').includes(content), 30_000, 250);
    const log = join(privateDir, 'master/log/dns-monitor.log');
    if (existsSync(log)) {
      await waitFor('the run in dns-monitor.log', () => readFileSync(log, 'utf8').includes('update script finished'), 10_000, 250);
    }
  },
};

async function main() {
  const wanted = process.argv.slice(2);
  const all = [...scenarioSteps, dnsStep];
  const steps = wanted.map((id) => all.find((s) => s.id === id) ?? assert.fail(`unknown step ${id}; known: ${all.map((s) => s.id).join(' ')}`));
  const state = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as ScenarioContext['state']) : {};
  const ctx: ScenarioContext = {
    base,
    api: `${base}/api/v1/master`,
    timing: {
      onlineSeconds: Number(env.ARGUS_E2E_ONLINE ?? 3),
      offlineSeconds: Number(env.ARGUS_E2E_OFFLINE ?? 8),
      intervalSeconds: Number(env.ARGUS_E2E_INTERVAL ?? 1),
    },
    readNodesJson: () => strictJson(readFileSync(nodesJsonPath), 'nodes.json'),
    nodesJsonExists: () => existsSync(nodesJsonPath),
    deleteNodesJson: () => rmSync(nodesJsonPath),
    async restart() {
      const cmd = env.ARGUS_E2E_RESTART;
      if (!cmd) throw new Error('ARGUS_E2E_RESTART is not set: cannot restart the master');
      execSync(cmd, { stdio: 'inherit' });
      await waitReady();
    },
    state,
  };
  await waitReady();
  let failed = 0;
  for (const step of steps) {
    const started = Date.now();
    try {
      await step.run(ctx);
      process.stdout.write(`ok - ${step.id}: ${step.title} (${Date.now() - started} ms)\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`not ok - ${step.id}: ${step.title}\n${(err as Error).stack ?? String(err)}\n`);
      break;
    }
  }
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state));
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
