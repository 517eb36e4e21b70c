import assert from 'node:assert/strict';
import pino from 'pino';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { OnlineNode } from '../../src/domain/nodes-file-entry.js';
import { renderNodesFile } from '../../src/domain/nodes-file-entry.js';
import { writeFileAtomic, type FileContent } from '../../src/publish/atomic-write.js';
import { createFilePublisher } from '../../src/publish/published-file.js';
import { silentLogger, tempDir } from '../helpers/fixtures.js';
import { createManualClock } from '../../src/clock.js';

const node = (id: string, label: string[] = []): OnlineNode => ({
  id,
  metaData: { user: 'testuser', ip: '10.0.0.10', hostname: `host-${id}`, env: 'dev' },
  label,
});

describe('nodes.json entries (SPEC §4)', () => {
  it('renders the exact entry shape, in the given order', () => {
    const doc = JSON.parse(renderNodesFile([node('A1', ['gpu', 'exp001']), node('A2')]));
    assert.deepEqual(doc, [
      { node_id: 'A1', user_id: 'testuser', ip: '10.0.0.10', hostname: 'host-A1', labels: ['gpu', 'exp001'] },
      { node_id: 'A2', user_id: 'testuser', ip: '10.0.0.10', hostname: 'host-A2', labels: [] },
    ]);
    assert.deepEqual(Object.keys(doc[0]!), ['node_id', 'user_id', 'ip', 'hostname', 'labels']);
  });
  it('renders an empty set as []', () => {
    assert.deepEqual(JSON.parse(renderNodesFile([])), []);
  });
  it('renders a meta_data field that was never sent as ""', () => {
    const [entry] = JSON.parse(renderNodesFile([{ id: 'A3', metaData: {}, label: [] }]));
    assert.deepEqual(entry, { node_id: 'A3', user_id: '', ip: '', hostname: '', labels: [] });
  });
});

describe('writeFileAtomic', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => { t = tempDir(); });
  afterEach(() => t.cleanup());

  it('creates the directory and writes the whole content, leaving no temporary file', async () => {
    const path = join(t.dir, 'a/b/nodes.json');
    await writeFileAtomic(path, 'hello');
    assert.equal(readFileSync(path, 'utf8'), 'hello');
    assert.deepEqual(readdirSync(join(t.dir, 'a/b')), ['nodes.json']);
  });

  it('replaces the file by rename (a new inode), never writing into the old one', async () => {
    const path = join(t.dir, 'nodes.json');
    await writeFileAtomic(path, 'one');
    const before = statSync(path).ino;
    await writeFileAtomic(path, 'two');
    assert.notEqual(statSync(path).ino, before);
    assert.equal(readFileSync(path, 'utf8'), 'two');
  });

  it('leaves the target untouched and removes its temporary file when the rename fails', async () => {
    const path = join(t.dir, 'nodes.json');
    mkdirSync(join(path, 'occupied'), { recursive: true }); // a non-empty directory cannot be renamed over
    await assert.rejects(writeFileAtomic(path, 'new'));
    assert.deepEqual(readdirSync(t.dir), ['nodes.json']);
    assert.ok(statSync(path).isDirectory());
  });
});

describe('createFilePublisher (nodes.json)', () => {
  const createNodesFilePublisher = (d: { path: string; readOnline: () => Promise<OnlineNode[]>; logger: typeof silentLogger; write?: (p: string, c: FileContent) => Promise<void> }) =>
    createFilePublisher({ name: 'nodes.json', path: d.path, read: d.readOnline, render: renderNodesFile, logger: d.logger, write: d.write });
  let t: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    t = tempDir();
    path = join(t.dir, 'prometheus/nodes.json');
  });
  afterEach(() => t.cleanup());

  it('writes [] when no node is online', async () => {
    const p = createNodesFilePublisher({ path, readOnline: async () => [], logger: silentLogger });
    assert.equal(await p.publish(), 'written');
    assert.equal(readFileSync(path, 'utf8'), '[]\n');
  });

  it('writes a document given as bytes in parts and logs its node count and size', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const p = createFilePublisher({
      name: 'nodes.json', path, logger,
      read: async () => ({ parts: [Buffer.from('[{"node_id":'), Buffer.from('"A1"}]\n')], nodes: 1 }),
      render: (d) => d.parts,
      count: (d) => d.nodes,
    });
    assert.equal(await p.publish(), 'written');
    assert.equal(readFileSync(path, 'utf8'), '[{"node_id":"A1"}]\n');
    const written = lines.find((l) => l.msg === 'nodes.json written');
    assert.deepEqual([written?.nodes, written?.bytes], [1, 19]);
    assert.equal(await p.publish(), 'unchanged', 'the same parts hash the same');
  });

  it('does not rewrite unchanged content', async () => {
    let writes = 0;
    const p = createNodesFilePublisher({
      path,
      readOnline: async () => [node('A1')],
      logger: silentLogger,
      write: async (f, c) => { writes++; await writeFileAtomic(f, c); },
    });
    assert.equal(await p.publish(), 'written');
    assert.equal(await p.publish(), 'unchanged');
    assert.equal(writes, 1);
  });

  it('writes again when the online set or labels change', async () => {
    let online = [node('A1')];
    const p = createNodesFilePublisher({ path, readOnline: async () => online, logger: silentLogger });
    await p.publish();
    online = [node('A1', ['gpu'])];
    assert.equal(await p.publish(), 'written');
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8'))[0].labels, ['gpu']);
    online = [];
    assert.equal(await p.publish(), 'written');
    assert.equal(readFileSync(path, 'utf8'), '[]\n');
  });

  it('recreates the file when it was deleted', async () => {
    const p = createNodesFilePublisher({ path, readOnline: async () => [node('A1')], logger: silentLogger });
    await p.publish();
    rmSync(path);
    assert.equal(await p.publish(), 'written');
    assert.equal(JSON.parse(readFileSync(path, 'utf8'))[0].node_id, 'A1');
  });

  it('rewrites the file when someone else changed it', async () => {
    const p = createNodesFilePublisher({ path, readOnline: async () => [node('A1')], logger: silentLogger });
    await p.publish();
    writeFileSync(path, 'garbage that is longer than before, surely');
    assert.equal(await p.publish(), 'written');
    assert.equal(JSON.parse(readFileSync(path, 'utf8'))[0].node_id, 'A1');
  });

  it('keeps the old file when reading the online nodes fails (never writes [] from a failed read)', async () => {
    let fail = false;
    const p = createNodesFilePublisher({
      path,
      readOnline: async () => {
        if (fail) throw new Error('database is locked');
        return [node('A1')];
      },
      logger: silentLogger,
    });
    await p.publish();
    const before = readFileSync(path, 'utf8');
    fail = true;
    assert.equal(await p.publish(), 'failed');
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.match(p.lastError()!.message, /locked/);
    fail = false;
    assert.equal(await p.publish(), 'unchanged');
    assert.equal(p.lastError(), null);
  });

  it('reports a failed write and keeps serving later publishes', async () => {
    let broken = true;
    const p = createNodesFilePublisher({
      path,
      readOnline: async () => [node('A1')],
      logger: silentLogger,
      write: async (f, c) => {
        if (broken) throw new Error('EACCES');
        await writeFileAtomic(f, c);
      },
    });
    assert.equal(await p.publish(), 'failed');
    broken = false;
    assert.equal(await p.publish(), 'written');
  });

  it('waits the minimum interval between runs, and requests made meanwhile share the next run', async () => {
    const clock = createManualClock();
    let reads = 0;
    const p = createFilePublisher({ name: 'x', path, read: async () => { reads++; return [node('A1')]; }, render: renderNodesFile, logger: silentLogger, minIntervalMs: 100, clock });
    await p.publish();
    const later = [p.publish(), p.publish()];
    for (let i = 0; i < 20; i++) await Promise.resolve();
    assert.equal(reads, 1, 'the next run waits');
    clock.advance(100);
    await Promise.all(later);
    assert.equal(reads, 2, 'both requests were served by one run');
  });

  it('waits at least as long as the last run took, so that changes that never stop take at most half the time', async () => {
    const clock = createManualClock();
    let reads = 0;
    const p = createFilePublisher({
      name: 'x', path, logger: silentLogger, minIntervalMs: 100, clock, render: renderNodesFile,
      read: async () => {
        reads++;
        clock.advance(400); // a build of a large fleet: 400 ms
        return [node(`A${reads}`)];
      },
    });
    await p.publish();
    const next = p.publish();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    clock.advance(399);
    for (let i = 0; i < 20; i++) await Promise.resolve();
    assert.equal(reads, 1, 'not before 400 ms (the last run took 400)');
    clock.advance(1);
    await next;
    assert.equal(reads, 2);
  });

  it('coalesces requests made while a publish runs into one more run', async () => {
    let reads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const p = createNodesFilePublisher({
      path,
      readOnline: async () => {
        reads++;
        if (reads === 1) await gate;
        return [node('A1')];
      },
      logger: silentLogger,
    });
    const first = p.publish();
    await new Promise((r) => setImmediate(r)); // the first run has started and waits on the gate
    const rest = [p.publish(), p.publish(), p.publish()];
    release();
    await Promise.all([first, ...rest]);
    assert.equal(reads, 2);
  });
});
