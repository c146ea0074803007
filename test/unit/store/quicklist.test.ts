/**
 * QuickList (src/store/quicklist.ts): behaviour against a plain array model under seeded random
 * operations, and a complexity check that end operations stay O(1) as the list grows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuickList } from '../../../src/store/quicklist.js';
import { rng } from '../../helpers/random.js';

describe('QuickList', () => {
  it('matches an array model under random operations', () => {
    const rand = rng(7);
    const q = new QuickList();
    let m: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const v = String(Math.floor(rand() * 10));
      const op = Math.floor(rand() * 10);
      if (op === 0) {
        q.pushHead(v);
        m.unshift(v);
      } else if (op === 1 || op === 2) {
        q.pushTail(v);
        m.push(v);
      } else if (op === 3) assert.equal(q.popHead(), m.shift());
      else if (op === 4) assert.equal(q.popTail(), m.pop());
      else if (op === 5) {
        const idx = Math.floor(rand() * (m.length + 1));
        q.insert(idx, v);
        m.splice(idx, 0, v);
      } else if (op === 6 && rand() < 0.2) {
        const count = Math.floor(rand() * 7) - 3;
        let removed = 0;
        const keep = (e: string): boolean => {
          if (e !== v || removed >= limit) return true;
          removed++;
          return false;
        };
        const limit = count === 0 ? Infinity : Math.abs(count);
        if (count >= 0) {
          m = m.filter(keep);
        } else {
          m = m.reverse().filter(keep).reverse();
        }
        assert.equal(q.removeEqual(v, count), removed);
      } else if (op === 7 && rand() < 0.05) {
        const l = Math.floor(rand() * 5);
        const r = Math.floor(rand() * 5);
        q.trim(l, r);
        m = l + r >= m.length ? [] : m.slice(l, m.length - r);
      } else if (op === 8) {
        const idx = Math.floor(rand() * (2 * m.length + 2)) - m.length - 1;
        assert.equal(q.at(idx), m.at(idx));
        assert.equal(q.set(idx, v), idx >= -m.length && idx < m.length);
        if (idx >= -m.length && idx < m.length) m[idx < 0 ? idx + m.length : idx] = v;
      } else if (op === 9) assert.equal(q.indexOf(v), m.indexOf(v));
      assert.equal(q.length, m.length);
    }
    assert.deepEqual([...q], m);
    assert.deepEqual(q.toArray(), m);
    assert.deepEqual([...q.reversed()], [...m].reverse());
    const cl = q.clone();
    cl.pushTail('extra');
    assert.equal(cl.length, q.length + 1);
    assert.deepEqual(QuickList.from(m).toArray(), m);
    assert.equal(q.encoding, 'quicklist');
  });

  it('keeps push/pop at both ends O(1): 1e6 vs 1e3 elements', () => {
    /** Per-op ns for `ops` push+pop pairs at each end of a list of `size`; best of 5 runs. */
    const perOp = (size: number): number => {
      const q = new QuickList();
      for (let i = 0; i < size; i++) q.pushTail('v');
      const ops = 200000;
      let best = Infinity;
      for (let run = 0; run < 5; run++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < ops; i++) {
          q.pushHead('a');
          q.popTail();
          q.pushTail('b');
          q.popHead();
        }
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / ops);
      }
      return best;
    };
    perOp(1000); // warm up the JIT
    const small = perOp(1000);
    const large = perOp(1_000_000);
    assert.ok(large / small < 5, `per-op time ratio ${(large / small).toFixed(2)} (small ${small} ns, large ${large} ns)`);
  });
});
