// The publisher (src/publish/publisher.ts) on a manual clock: the leader publishes when the publish
// version moves, whichever master moved it; a follower never does; a new leader publishes at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../../src/clock.js';
import { createPublisher } from '../../src/publish/publisher.js';
import type { FilePublisher } from '../../src/publish/published-file.js';
import { silentLogger } from '../helpers/fixtures.js';

/** Lets the promises of a poll settle (no time passes). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function fixture() {
  const clock = createManualClock();
  const state = { version: '1', leading: true, published: 0, failRead: false };
  const file: FilePublisher = { name: 'nodes.json', publish: async () => { state.published++; return 'written'; }, lastError: () => null };
  const publisher = createPublisher({
    store: { publishVersion: async () => { if (state.failRead) throw new Error('down'); return state.version; } },
    files: [file], leading: () => state.leading, clock, logger: silentLogger,
  });
  const poll = async () => {
    clock.advance(250);
    await settle();
  };
  return { clock, state, publisher, poll };
}

describe('the publisher', () => {
  it('publishes at its first poll, then only when the publish version moved', async () => {
    const { state, publisher, poll } = fixture();
    publisher.start();
    await poll();
    assert.equal(state.published, 1, 'the first poll');
    await poll();
    await poll();
    assert.equal(state.published, 1, 'nothing moved');
    state.version = '2'; // another master changed an online node
    await poll();
    assert.equal(state.published, 2, 'within a poll of the change');
    await publisher.stop();
    state.version = '3';
    await poll();
    assert.equal(state.published, 2, 'stopped');
  });

  it('never publishes as a follower, and publishes at once on becoming the leader', async () => {
    const { state, publisher, poll } = fixture();
    state.leading = false;
    publisher.start();
    await poll();
    state.version = '2';
    await poll();
    assert.equal(state.published, 0);
    await publisher.publish();
    assert.equal(state.published, 0, 'a sweep tick of a follower publishes nothing either');
    state.leading = true;
    await poll();
    assert.equal(state.published, 1, 'the new leader, though the version did not move since');
    await publisher.stop();
  });

  it('goes on polling when a read fails, and publishes once it works again', async () => {
    const { state, publisher, poll } = fixture();
    publisher.start();
    await poll();
    state.failRead = true;
    state.version = '2';
    await poll();
    await poll();
    assert.equal(state.published, 1);
    state.failRead = false;
    await poll();
    assert.equal(state.published, 2);
    await publisher.stop();
  });
});
