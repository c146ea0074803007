/**
 * StrTable (src/store/strTable.ts) against a JS Map model: random sets, updates, swap and ordered
 * deletes through growth and shrink; positional access matches; the HSCAN walk (positions from
 * the end, src/commands/sets/scan.ts scanWindow) returns every key present for the whole scan
 * while keys are added and removed between calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanWindow } from '../../../src/commands/sets/scan.js';
import { StrTable } from '../../../src/store/strTable.js';
import { rng } from '../../helpers/random.js';

function check(t: StrTable<string>, model: Map<string, string>, order?: string[]): void {
  assert.equal(t.size, model.size);
  const seen = new Set<string>();
  for (let i = 0; i < t.size; i++) {
    const k = t.keyAt(i);
    assert.ok(!seen.has(k), `duplicate ${k}`);
    seen.add(k);
    assert.equal(t.valueAt(i), model.get(k));
    assert.equal(t.indexOf(k), i);
    if (order) assert.equal(k, order[i]);
  }
  for (const [k, v] of model) assert.equal(t.get(k), v);
}

describe('StrTable', () => {
  for (const ordered of [false, true]) {
    it(`matches a Map through growth, ${ordered ? 'ordered' : 'swap'} deletes and shrink`, () => {
      const r = rng(ordered ? 7 : 11);
      const t = new StrTable<string>();
      const model = new Map<string, string>();
      const order: string[] = [];
      // Phases: grow to ~5000 keys, churn, shrink to a handful, grow again.
      const phases: [number, number, number][] = [
        [6000, 0.9, 4000],
        [6000, 0.5, 4000],
        [8000, 0.1, 4000],
        [3000, 0.8, 300],
      ];
      for (const [steps, pAdd, keySpace] of phases) {
        for (let s = 0; s < steps; s++) {
          const k = `f${Math.floor(r() * keySpace)}`;
          if (r() < pAdd) {
            const v = `v${s}`;
            const isNew = !model.has(k);
            assert.equal(t.set(k, v), isNew);
            model.set(k, v);
            if (isNew) order.push(k);
          } else {
            const had = model.delete(k);
            assert.equal(t.delete(k, ordered), had);
            assert.equal(t.delete(k, ordered), false);
            if (had && ordered) order.splice(order.indexOf(k), 1);
          }
          assert.equal(t.has(k), model.has(k));
          if (s % 997 === 0) check(t, model, ordered ? order : undefined);
        }
        check(t, model, ordered ? order : undefined);
      }
      // Empty it completely, then reuse.
      for (const k of [...model.keys()]) assert.ok(t.delete(k, ordered));
      assert.equal(t.size, 0);
      assert.equal(t.get('f1'), undefined);
      assert.ok(t.set('x', '1'));
      assert.equal(t.get('x'), '1');
    });
  }

  it('handles keys with colliding homes and the empty string', () => {
    const t = new StrTable<number>();
    const keys = ['', 'a', 'b', '\x00', '\xff\xfe', 'element:000000000001'];
    for (let i = 0; i < 2000; i++) keys.push(`k:${i}`);
    for (const [i, k] of keys.entries()) assert.ok(t.set(k, i));
    for (const [i, k] of keys.entries()) assert.equal(t.get(k), i);
    for (let i = 0; i < keys.length; i += 2) assert.ok(t.delete(keys[i]));
    for (const [i, k] of keys.entries()) assert.equal(t.get(k), i % 2 === 0 ? undefined : i);
    const c = t.clone();
    assert.ok(c.delete(keys[1]));
    assert.equal(t.get(keys[1]), 1);
    assert.equal(c.size, t.size - 1);
    assert.deepEqual([...t].length, t.size);
  });

  it('a scan from the end returns every key present for the whole scan (swap deletes)', () => {
    const r = rng(3);
    const t = new StrTable<string>();
    for (let i = 0; i < 3000; i++) t.set(`k${i}`, '');
    const removed = new Set<string>();
    const seen = new Set<string>();
    let cursor = 0;
    let n = 0;
    do {
      const [next, start, end] = scanWindow(cursor, t.size, 17, false);
      for (let i = start; i < end; i++) seen.add(t.keyAt(i));
      cursor = next;
      for (let j = 0; j < 4; j++) {
        const victim = `k${Math.floor(r() * 3000)}`;
        if (t.delete(victim)) removed.add(victim);
        t.set(`new${n++}`, '');
      }
    } while (cursor !== 0);
    for (let i = 0; i < 3000; i++) {
      const k = `k${i}`;
      if (!removed.has(k)) assert.ok(seen.has(k), `missed ${k}`);
    }
  });
});
