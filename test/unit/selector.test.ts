// Selectors (SPEC §12): the grammar, its errors, and the in-memory evaluation, on the cases the storage
// contract suite also runs against each backend's SQL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSelector, SelectorError } from '../../src/domain/selector.js';
import { matches } from '../../src/domain/selector-match.js';
import { BAD_SELECTORS, SELECTOR_CASES, SELECTOR_NODES } from '../helpers/selector-cases.js';

describe('selectors in memory (SPEC §12)', () => {
  for (const [text, ids] of SELECTOR_CASES) {
    it(`${JSON.stringify(text)} selects ${ids.join(', ') || 'nothing'}`, () => {
      const selector = parseSelector(text);
      assert.deepEqual(SELECTOR_NODES.filter((n) => matches(selector, n)).map((n) => n.id), ids);
    });
  }
});

describe('selectors that do not parse', () => {
  for (const [text, message] of BAD_SELECTORS) {
    it(`${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is refused: ${message}`, () => {
      assert.throws(() => parseSelector(text), (err: unknown) => {
        assert.ok(err instanceof SelectorError, String(err));
        assert.ok(err.message.includes(message), err.message);
        assert.match(err.message, /^invalid selector at position \d+: expected /);
        return true;
      });
    });
  }

  it('the typed form of each kind of requirement', () => {
    assert.deepEqual(parseSelector('gpu, !ib, rack in (7,8), status=online, meta.gpu_number>=8, meta.user!=bob, health.Exp=FAILED, flapping=false, label.id=3'), [
      { kind: 'labelKey', op: 'exists', key: 'gpu' },
      { kind: 'labelKey', op: 'absent', key: 'ib' },
      { kind: 'labels', op: 'in', labels: ['rack=7', 'rack=8'] },
      { kind: 'field', field: 'status', op: 'in', values: ['online'] },
      { kind: 'metaCompare', path: ['gpu_number'], op: '>=', number: 8 },
      { kind: 'meta', path: ['user'], op: 'notin', values: ['bob'] },
      { kind: 'component', component: 'Exp', op: 'in', values: ['failed'] },
      { kind: 'flag', flag: 'flapping', value: false },
      { kind: 'labels', op: 'in', labels: ['id=3'] },
    ]);
  });
});
