/**
 * QuickList's packed nodes (src/store/quicklist.ts): elements of every size class (empty, short,
 * 254/255/256 bytes at the length-field boundary, larger than a node) and every byte value, so
 * lists span many nodes, checked against an array model under seeded random operations,
 * including the byte paths (writeRange, writeAt, popHeadTo, popTailTo) and LPOS's positions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NODE_BYTES, QuickList } from '../../../src/store/quicklist.js';
import { rng } from '../../helpers/random.js';

/** Collects bulk replies as latin1 strings. */
class Sink {
  out: string[] = [];
  bulkSlice(b: Uint8Array, s: number, e: number): void {
    this.out.push(Buffer.from(b.subarray(s, e)).toString('latin1'));
  }
}

/** Model of positions(): indexes from the head of matches of v. */
function modelPositions(m: string[], v: string, rank: number, fromTail: boolean, count: number, maxlen: number): number[] {
  const out: number[] = [];
  const limit = maxlen === 0 ? m.length : Math.min(maxlen, m.length);
  let matches = 0;
  for (let i = 0; i < limit; i++) {
    const pos = fromTail ? m.length - 1 - i : i;
    if (m[pos] === v && ++matches >= rank) {
      out.push(pos);
      if (count !== 0 && out.length >= count) break;
    }
  }
  return out;
}

describe('QuickList packed nodes', () => {
  it('matches an array model with elements of every size and byte value', () => {
    const rand = rng(19);
    const pool: string[] = ['', 'a', 'b', 'x'.repeat(254), 'y'.repeat(255), 'z'.repeat(256), '\xff', '\xff\x00\xff'];
    for (let i = 0; i < 40; i++) {
      const n = Math.floor(rand() * 40);
      let s = '';
      for (let j = 0; j < n; j++) s += String.fromCharCode(Math.floor(rand() * 256));
      pool.push(s);
    }
    pool.push('L'.repeat(NODE_BYTES + 5), 'M'.repeat(3 * NODE_BYTES));
    const pick = (): string => {
      const r = rand();
      // Mostly small elements so nodes fill up; large ones now and then.
      if (r < 0.97) return pool[Math.floor(rand() * (pool.length - 2))];
      return pool[pool.length - 1 - Math.floor(rand() * 2)];
    };
    const q = new QuickList();
    let m: string[] = [];
    let maxNodes = 0;
    for (let i = 0; i < 30000; i++) {
      const v = pick();
      const op = Math.floor(rand() * 14);
      if (op <= 2) {
        q.pushHead(v);
        m.unshift(v);
      } else if (op <= 5) {
        q.pushTail(v);
        m.push(v);
      } else if (op === 6) {
        if (rand() < 0.5) assert.equal(q.popHead(), m.shift());
        else {
          const s = new Sink();
          assert.equal(q.popHeadTo(s), m.length > 0);
          assert.deepEqual(s.out, m.length > 0 ? [m.shift()] : []);
        }
      } else if (op === 7) {
        if (rand() < 0.5) assert.equal(q.popTail(), m.pop());
        else {
          const s = new Sink();
          assert.equal(q.popTailTo(s), m.length > 0);
          assert.deepEqual(s.out, m.length > 0 ? [m.pop()] : []);
        }
      } else if (op === 8) {
        const idx = Math.floor(rand() * (m.length + 1));
        q.insert(idx, v);
        m.splice(idx, 0, v);
      } else if (op === 9) {
        const idx = Math.floor(rand() * (2 * m.length + 2)) - m.length - 1;
        assert.equal(q.at(idx), m.at(idx));
        const s = new Sink();
        assert.equal(q.writeAt(idx, s), m.at(idx) !== undefined);
        assert.equal(q.set(idx, v), idx >= -m.length && idx < m.length);
        if (idx >= -m.length && idx < m.length) m[idx < 0 ? idx + m.length : idx] = v;
      } else if (op === 10 && m.length > 0) {
        const a = Math.floor(rand() * m.length);
        const b = Math.min(m.length - 1, a + Math.floor(rand() * 150));
        const s = new Sink();
        q.writeRange(a, b, s);
        assert.deepEqual(s.out, m.slice(a, b + 1));
        // Sequential index reads after a range (the remembered position) and backwards.
        for (let j = b; j >= a && j > b - 5; j--) assert.equal(q.at(j), m[j]);
      } else if (op === 11 && rand() < 0.2) {
        const count = Math.floor(rand() * 7) - 3;
        const limit = count === 0 ? Infinity : Math.abs(count);
        let removed = 0;
        const keep = (e: string): boolean => {
          if (e !== v || removed >= limit) return true;
          removed++;
          return false;
        };
        m = count >= 0 ? m.filter(keep) : m.reverse().filter(keep).reverse();
        assert.equal(q.removeEqual(v, count), removed);
      } else if (op === 12 && rand() < 0.05) {
        const l = Math.floor(rand() * 100);
        const r = Math.floor(rand() * 100);
        q.trim(l, r);
        m = l + r >= m.length ? [] : m.slice(l, m.length - r);
      } else if (op === 13) {
        const rank = 1 + Math.floor(rand() * 3);
        const fromTail = rand() < 0.5;
        const count = Math.floor(rand() * 4);
        const maxlen = rand() < 0.5 ? 0 : Math.floor(rand() * m.length);
        assert.deepEqual(q.positions(v, rank, fromTail, count, maxlen), modelPositions(m, v, rank, fromTail, count, maxlen));
        assert.equal(q.indexOf(v), m.indexOf(v));
      }
      assert.equal(q.length, m.length);
      if (q.nodeCount > maxNodes) maxNodes = q.nodeCount;
    }
    // The run must have exercised many nodes (walks across node boundaries).
    assert.ok(maxNodes > 10, `most nodes: ${maxNodes}`);
    assert.deepEqual([...q], m);
    assert.deepEqual([...q.reversed()], [...m].reverse());
    const cl = q.clone();
    q.pushHead('only in the original');
    q.set(1, 'changed');
    assert.deepEqual(cl.toArray(), m);
    const s = new Sink();
    cl.writeRange(0, m.length - 1, s);
    assert.deepEqual(s.out, m);
  });

  it('keeps nodes within NODE_BYTES: 100k short elements take few nodes', () => {
    const q = new QuickList();
    for (let i = 0; i < 100000; i++) {
      if (i % 2 === 0) q.pushHead(`e${i}`);
      else q.pushTail(`e${i}`);
    }
    // ~8 bytes per entry: about 1000 entries per 8 KB node.
    assert.ok(q.nodeCount < 120, `nodes: ${q.nodeCount}`);
    assert.equal(q.at(0), 'e99998');
    assert.equal(q.at(-1), 'e99999');
    assert.equal(q.at(50000), 'e1');
  });

  it('splits a node grown past NODE_BYTES by LSET and LINSERT', () => {
    const q = QuickList.from(Array.from({ length: 2000 }, (_, i) => `v${i}`));
    const n0 = q.nodeCount;
    const big = 'B'.repeat(NODE_BYTES * 2);
    q.set(100, big);
    q.insert(500, big);
    assert.ok(q.nodeCount >= n0 + 2, `nodes ${n0} -> ${q.nodeCount}`);
    assert.equal(q.at(100), big);
    assert.equal(q.at(500), big);
    assert.equal(q.at(501), 'v500');
    assert.equal(q.length, 2001);
  });
});
