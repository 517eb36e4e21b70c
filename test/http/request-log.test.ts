// The request log (SPEC-free, issue 22): by default a request that went well writes nothing; a refused
// one is one line at info, a failed one at error with its cause, a slow one at warn; LOG_REQUESTS=true
// adds a line when each request arrives and when it is answered.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { registrationBody } from '../helpers/fixtures.js';

/** A logger at info whose lines are kept, parsed. */
function capture() {
  const lines: Array<{ level: number; msg: string; module?: string; statusCode?: number; req?: { url: string }; err?: { message: string } }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, http: () => lines.filter((l) => l.module === 'http') };
}

describe('the request log', () => {
  let m: TestMaster | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('writes no line for requests that went well (the default)', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger });
    assert.equal((await m.app.inject({ method: 'POST', url: '/api/v1/master/nodes', payload: registrationBody() })).statusCode, 201);
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes/A1' })).statusCode, 200);
    assert.equal((await m.app.inject({ method: 'PUT', url: '/api/v1/master/nodes/A1/status', payload: { timestamp: '2025-09-24T03:24:59Z', health: {} } })).statusCode, 200);
    assert.deepEqual(log.http(), []);
  });

  it('writes a refused request (4xx) once, at info, with its status and URL', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger });
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes/A99?token=secret' })).statusCode, 404);
    const lines = log.http();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 30);
    assert.equal(lines[0]!.msg, 'request refused');
    assert.equal(lines[0]!.statusCode, 404);
    assert.equal(lines[0]!.req?.url, '/api/v1/master/nodes/A99?token=[redacted]');
  });

  it('writes at most one line a second per route and status, the next saying how many were left out', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger });
    for (let i = 0; i < 5; i++) assert.equal((await m.app.inject({ method: 'GET', url: `/api/v1/master/nodes/A${90 + i}` })).statusCode, 404);
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes/bad/events' })).statusCode, 404, 'another route');
    assert.equal(log.http().length, 2);
    m.clock.advance(1_000);
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes/A99' })).statusCode, 404);
    assert.equal(log.http().length, 3);
    assert.equal((log.http()[2] as { unlogged?: number }).unlogged, 4);
  });

  it('writes a failed request (5xx) once, at error, with its cause', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger });
    m.nodes.get = async () => { throw new Error('the disk caught fire'); };
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes/A1' })).statusCode, 500);
    const lines = log.http();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 50);
    assert.equal(lines[0]!.statusCode, 500);
    assert.equal(lines[0]!.err?.message, 'the disk caught fire');
  });

  it('writes a request slower than SLOW_REQUEST_SECONDS at warn', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger, slowRequestMs: 0 });
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes' })).statusCode, 200);
    const lines = log.http();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 40);
    assert.equal(lines[0]!.msg, 'slow request');
  });

  it('with LOG_REQUESTS=true, writes a line when each request arrives and when it is answered', async () => {
    const log = capture();
    m = await makeTestMaster({ logger: log.logger, logRequests: true });
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/v1/master/nodes' })).statusCode, 200);
    assert.deepEqual(log.http().map((l) => l.msg), ['incoming request', 'request completed']);
  });
});
