// The pure rules of availability and the fleet's history (SPEC §17): windows and steps accepted, a
// node's figures from its sums, the walk back over history buckets, and CSV that a spreadsheet reads
// as data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvLine, historyPoints, nodeAvailability, parseAvailabilityWindow, parseHistory } from '../../src/domain/availability.js';
import { rfc3339 } from '../../src/domain/time.js';

const H = 3_600_000;
const zero = { online: 0, offline: 0, initialized: 0, degraded: 0, maintenance: 0 };

describe('availability rules', () => {
  it('accepts the four windows (24h by default) and names them when refusing', () => {
    assert.deepEqual(parseAvailabilityWindow(undefined), { ok: true, value: '24h' });
    assert.deepEqual(parseAvailabilityWindow('90d'), { ok: true, value: '90d' });
    const bad = parseAvailabilityWindow('toString');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /one of 24h, 7d, 30d, 90d \(got "toString"\)/);
  });

  it('accepts steps that are multiples of 5 minutes within the window', () => {
    assert.deepEqual(parseHistory('7d', undefined), { ok: true, value: { window: '7d', windowMs: 7 * 24 * H, stepMs: H } });
    assert.deepEqual(parseHistory(undefined, '15m'), { ok: true, value: { window: '24h', windowMs: 24 * H, stepMs: 900_000 } });
    for (const step of ['7m', '0m', '25h', '5s', '1.5h', '-5m']) assert.equal(parseHistory('24h', step).ok, false, step);
  });

  it('leaves maintenance out of the monitored time, and has no ratio without monitored time', () => {
    const sums = { id: 'A1', startMs: 0, cutMs: null, onlineMs: 18 * H, offlineMs: 2 * H, maintenanceMs: 4 * H, incidents: 1 };
    assert.deepEqual(nodeAvailability(sums, 24 * H, rfc3339), { id: 'A1', online_ratio: 0.9, offline_seconds: 7200, incidents: 1, maintenance_seconds: 14_400 });
    const allMaintenance = nodeAvailability({ ...sums, onlineMs: 0, offlineMs: 0, maintenanceMs: 24 * H }, 24 * H, rfc3339);
    assert.equal(allMaintenance.online_ratio, null);
    assert.deepEqual(nodeAvailability({ ...sums, cutMs: 6 * H }, 24 * H, rfc3339).from, rfc3339(6 * H), 'a cut node says from when');
  });

  it('walks the counts back from now over buckets; a change at a point counts at it; a change after now undoes for every point', () => {
    const now = 10 * H + 1_000;
    const changes = [
      { b: 9 * H, ...zero, online: 1 }, // an event in (9h, 9h05]: after the 9h point
      { b: 10 * H, ...zero, offline: 1 }, // in (10h, 10h05]: after the 10h point (now is 10h + 1 s)
      { b: 8 * H - 300_000, ...zero, degraded: 1 }, // in (7h55, 8h]: at or before the 8h point
    ];
    const points = historyPoints({ ...zero, online: 5, offline: 2, degraded: 1 }, changes, now, H, 3);
    assert.deepEqual(points.map((p) => [p.time, p.online, p.offline, p.degraded]), [
      [8 * H, 4, 1, 1], [9 * H, 4, 1, 1], [10 * H, 5, 1, 1], [now, 5, 2, 1],
    ]);
  });

  it('quotes CSV fields with separators and defuses a leading formula sign', () => {
    assert.equal(csvLine(['a,b', 'say "hi"', null, 3, '=cmd|x', '+1', '-2', '@sum']), '"a,b","say ""hi""",,3,\'=cmd|x,\'+1,\'-2,\'@sum\r\n');
    assert.equal(csvLine([-2, 0.5]), '-2,0.5\r\n', 'numbers are numbers');
  });
});
