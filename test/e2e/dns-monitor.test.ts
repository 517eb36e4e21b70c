// The real `argus-master dns-monitor` command: reacts to dns.conf appearing and changing, logs each
// change and run with its exit code, survives a failing script, and stops promptly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from './harness.js';

const CLI = join(import.meta.dirname, '../../dist/cli.js');

describe('argus-master dns-monitor (end-to-end)', () => {
  it('runs the update script when dns.conf appears and changes, and stops on SIGTERM', async () => {
    const t = tempDir('argus-dns-');
    const conf = join(t.dir, 'dns.conf');
    const script = join(t.dir, 'update-dns.sh');
    const marker = join(t.dir, 'runs.txt');
    writeFileSync(script, `#!/bin/sh\ncat "${conf}" >> "${marker}"\ngrep -q fail "${conf}" && exit 4\nexit 0\n`);
    chmodSync(script, 0o755);
    const proc = spawn(process.execPath, [CLI, 'dns-monitor'], {
      env: { PATH: process.env.PATH, DNS_CONF_PATH: conf, DNS_UPDATE_SCRIPT: script, DNS_MONITOR_INTERVAL_SECONDS: '0.2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const lines = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // Each change replaces the file whole: writeFileSync truncates first, and a poll of a busy box
    // between the truncation and the write saw an empty file — a change of its own, a fourth run.
    const writeConf = (text: string) => {
      writeFileSync(`${conf}.tmp`, text);
      renameSync(`${conf}.tmp`, conf);
    };
    try {
      await waitFor('the monitor to start', () => out.includes('dns-monitor started'), 5_000);
      await waitFor('a poll', () => out.includes('dns.conf not found'), 2_000);
      assert.equal(existsSync(marker), false);
      writeConf('nameserver 10.0.0.1\n');
      await waitFor('the first run', () => existsSync(marker) && readFileSync(marker, 'utf8') === 'nameserver 10.0.0.1\n', 3_000);
      writeConf('nameserver 10.0.0.2 fail\n');
      await waitFor('the failing run to be logged', () => lines().some((l) => l.msg === 'update script failed'), 3_000);
      writeConf('nameserver 10.0.0.3\n');
      await waitFor('the third run', () => readFileSync(marker, 'utf8').includes('10.0.0.3'), 3_000);
      const ended = () => lines().filter((l) => /^update script (finished|failed)$/.test(l.msg));
      await waitFor('the third run to be logged', () => ended().length === 3, 3_000);
      const runs = ended();
      assert.deepEqual(runs.map((l) => l.exitCode), [0, 4, 0]);
      assert.ok(runs.every((l) => typeof l.durationMs === 'number'));
      assert.equal(lines().filter((l) => l.msg === 'dns.conf changed').length, 3);
      const stopAt = Date.now();
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(Date.now() - stopAt < 2_000, 'stops promptly');
    } finally {
      proc.kill('SIGKILL');
      t.cleanup();
    }
  });

  it('refuses a bad interval with one line naming it', () => {
    const r = spawnSync(process.execPath, [CLI, 'dns-monitor'], { env: { PATH: process.env.PATH, DNS_MONITOR_INTERVAL_SECONDS: 'often' }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /^argus-master dns-monitor: invalid DNS_MONITOR_INTERVAL_SECONDS="often"/);
  });
});
