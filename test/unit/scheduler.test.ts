import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSweeper } from '../../src/sweeping/scheduler.js';
import { silentLogger } from '../helpers/fixtures.js';

/** What a sweep that changed nothing answers. */
const swept = { transitions: [], brakeHeld: 0, restartGrace: false };

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('createSweeper', () => {
  it('sweeps and publishes once at start, then once per interval', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const calls: string[] = [];
    const sweeper = createSweeper({
      sweeping: { sweep: async () => { calls.push('sweep'); return swept; } },
      publish: async () => { calls.push('publish'); },
      intervalMs: 30_000,
      logger: silentLogger,
    });
    await sweeper.start();
    assert.deepEqual(calls, ['sweep', 'publish']);
    t.mock.timers.tick(29_999);
    await flush();
    assert.equal(calls.length, 2);
    t.mock.timers.tick(1);
    await flush();
    assert.deepEqual(calls, ['sweep', 'publish', 'sweep', 'publish']);
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal(calls.length, 6);
    await sweeper.stop();
    t.mock.timers.tick(120_000);
    await flush();
    assert.equal(calls.length, 6, 'no tick after stop');
  });

  it('writes the first heartbeat before the first publish (readiness does not wait for nodes.json), later ones after each publish', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const calls: string[] = [];
    const sweeper = createSweeper({
      sweeping: { sweep: async () => { calls.push('sweep'); return swept; } },
      publish: async () => { calls.push('publish'); },
      afterTick: async () => { calls.push('heartbeat'); },
      intervalMs: 1_000,
      logger: silentLogger,
    });
    await sweeper.start();
    assert.deepEqual(calls, ['sweep', 'heartbeat', 'publish', 'heartbeat']);
    t.mock.timers.tick(1_000);
    await flush();
    assert.deepEqual(calls.slice(4), ['sweep', 'publish', 'heartbeat']);
    await sweeper.stop();
  });

  it('still publishes (and keeps ticking) when a sweep fails', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let publishes = 0;
    const sweeper = createSweeper({
      sweeping: { sweep: async () => { throw new Error('disk I/O error'); } },
      publish: async () => { publishes++; },
      intervalMs: 1_000,
      logger: silentLogger,
    });
    await sweeper.start();
    t.mock.timers.tick(1_000);
    await flush();
    assert.equal(publishes, 2);
    await sweeper.stop();
  });

  it('never overlaps ticks: the next is scheduled after the previous finished', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    let sweeps = 0;
    const sweeper = createSweeper({
      sweeping: {
        sweep: async () => {
          sweeps++;
          running++;
          maxRunning = Math.max(maxRunning, running);
          if (sweeps === 2) await new Promise<void>((r) => { release = r; });
          running--;
          return swept;
        },
      },
      publish: async () => undefined,
      intervalMs: 1_000,
      logger: silentLogger,
    });
    await sweeper.start();
    t.mock.timers.tick(1_000); // second sweep starts and hangs
    await flush();
    t.mock.timers.tick(5_000);
    await flush();
    assert.equal(sweeps, 2);
    release();
    await flush();
    t.mock.timers.tick(1_000);
    await flush();
    assert.equal(sweeps, 3);
    assert.equal(maxRunning, 1);
    await sweeper.stop();
  });
});
