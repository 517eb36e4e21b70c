import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRfc3339, rfc3339 } from '../../src/http/render.js';

describe('rfc3339', () => {
  it('renders UTC with Z and no fraction on whole seconds', () => {
    assert.equal(rfc3339(Date.UTC(2025, 8, 24, 3, 24, 59)), '2025-09-24T03:24:59Z');
  });
  it('keeps milliseconds when there are some', () => {
    assert.equal(rfc3339(Date.UTC(2025, 8, 24, 3, 24, 59, 120)), '2025-09-24T03:24:59.120Z');
  });
});

describe('parseRfc3339', () => {
  const valid: Array<[string, number]> = [
    ['2025-09-24T03:24:59Z', Date.UTC(2025, 8, 24, 3, 24, 59)],
    ['2025-09-24T03:24:59.5Z', Date.UTC(2025, 8, 24, 3, 24, 59, 500)],
    ['2025-09-24T03:24:59.123456Z', Date.UTC(2025, 8, 24, 3, 24, 59, 123)],
    ['2025-09-24T11:24:59+08:00', Date.UTC(2025, 8, 24, 3, 24, 59)],
    ['2025-09-24t03:24:59z', Date.UTC(2025, 8, 24, 3, 24, 59)],
  ];
  for (const [text, ms] of valid) {
    it(`accepts ${text}`, () => assert.equal(parseRfc3339(text), ms));
  }
  for (const text of ['', 'now', '2025-09-24', '2025-09-24T03:24:59', '2025-09-24 03:24:59Z', '2025-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '1727148299']) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseRfc3339(text), undefined));
  }
});
