/**
 * SlabKeyTable against a JS Map as the model: same contents, same insertion order, and live
 * iterators that survive inserts, deletes, overwrites and compactions the way Map iterators do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjType, RObject } from '../../../src/store/db.js';
import { INLINE_MAX, SlabKeyTable } from '../../../src/store/keyTable.js';
import { rng } from '../../helpers/random.js';

const obj = (v: string) => new RObject(ObjType.String, v);
const noTouch = (_o: RObject): void => {};

/** The table returns the stored object for big values and a copy for inline strings: same contents. */
function sameObj(a: RObject | undefined, b: RObject | undefined, what: string): void {
  if (b === undefined || a === undefined) {
    assert.equal(a, b, what);
    return;
  }
  if (b.type !== ObjType.String || (b.value as string).length > INLINE_MAX) assert.equal(a, b, `${what}: the same object`);
  assert.deepEqual([a.type, a.value, a.bits, a.seq], [b.type, b.value, b.bits, b.seq], what);
}

/** A value of one of the table's kinds: inline string, long string, another type. */
function someValue(r: () => number, step: number): RObject {
  const x = r();
  const o =
    x < 0.6
      ? obj(`v${step}`.repeat(1 + Math.floor(r() * 5)))
      : x < 0.8
        ? obj('L'.repeat(INLINE_MAX + 1 + Math.floor(r() * 20)))
        : new RObject(ObjType.List, [String(step)]);
  o.seq = step + 1;
  o.lru = step & 0xffff;
  return o;
}

describe('SlabKeyTable', () => {
  it('matches a Map under random sets, overwrites and deletes (contents and order)', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const t = new SlabKeyTable();
      const m = new Map<string, RObject>();
      for (let step = 0; step < 30000; step++) {
        const key = `k:${Math.floor(r() * 2000)}${r() < 0.1 ? '\x00\xff\r\n' : ''}`;
        const op = r();
        if (op < 0.5) {
          const o = someValue(r, step);
          t.set(key, o);
          m.set(key, o);
        } else if (op < 0.85) assert.equal(t.delete(key), m.delete(key));
        else sameObj(t.get(key), m.get(key), key);
        assert.equal(t.size, m.size);
      }
      assert.deepEqual([...t.keys()], [...m.keys()]);
      const te = [...t.entries()];
      const me = [...m.entries()];
      assert.equal(te.length, me.length);
      for (let i = 0; i < te.length; i++) sameObj(te[i][1], me[i][1], te[i][0]);
      for (const [k, o] of m) sameObj(t.get(k), o, k);
      for (const k of m.keys()) assert.equal(t.has(k), true);
      assert.equal(t.has('absent'), false);
      assert.equal(t.get(''), undefined);
    }
  });

  it('inline strings: overwrites that shrink, grow, become objects and come back', () => {
    const t = new SlabKeyTable();
    const seqOf = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const o = obj(`s${i}`);
      o.seq = i + 1;
      t.set(`k${i}`, o);
      seqOf.set(`k${i}`, i + 1);
    }
    const vals = ['', 'x', 'y'.repeat(INLINE_MAX), 'z'.repeat(INLINE_MAX + 1), '12345', 'w'.repeat(30)];
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 200; i++) {
        const o = obj(vals[(i + round) % vals.length]);
        o.raw = (i & 1) === 1;
        o.seq = seqOf.get(`k${i}`) as number;
        t.set(`k${i}`, o);
      }
      for (let i = 0; i < 200; i++) {
        const got = t.get(`k${i}`) as RObject;
        assert.equal(got.value, vals[(i + round) % vals.length]);
        assert.equal(got.raw, (i & 1) === 1);
        assert.equal(got.seq, i + 1);
      }
    }
    assert.deepEqual([...t.keys()], [...seqOf.keys()], 'overwrites keep the order');
    // touched() stores a copy's eviction metadata back; set() stores a changed copy back.
    const c = t.get('k0') as RObject;
    c.lru = 12345;
    t.touched(c);
    assert.equal(t.get('k0')?.lru, 12345);
    const d = t.get('k1') as RObject;
    d.value = 'changed';
    assert.equal(t.get('k1')?.value === 'changed', false, 'a copy');
    t.set('k1', d);
    assert.equal(t.get('k1')?.value, 'changed');
  });

  it('the empty key and binary keys are keys like any other', () => {
    const t = new SlabKeyTable();
    const keys = ['', '\x00', '\x00\x00', '\xff'.repeat(300), 'a'.repeat(100000)];
    for (const k of keys) t.set(k, obj(k));
    for (const k of keys) assert.equal(t.get(k)?.value, k);
    assert.deepEqual([...t.keys()], keys);
    assert.throws(() => t.set('\u263a', obj('x')), /latin1/);
    assert.equal(t.size, keys.length);
  });

  it('live iterators visit every key present throughout exactly once, across compactions', () => {
    const r = rng(7);
    const t = new SlabKeyTable();
    const m = new Map<string, RObject>();
    for (let i = 0; i < 5000; i++) {
      t.set(`s:${i}`, obj('x'));
      m.set(`s:${i}`, obj('x'));
    }
    const it = t.keys();
    const mit = m.keys();
    const seen: string[] = [];
    const mseen: string[] = [];
    let churn = 0;
    for (;;) {
      const a = it.next();
      const b = mit.next();
      assert.equal(a.done, b.done);
      if (a.done) break;
      seen.push(a.value);
      mseen.push(b.value as string);
      // Heavy churn between steps: deletes ahead and behind, re-adds, new keys (forcing compactions).
      for (let j = 0; j < 5 && seen.length < 20000; j++) {
        const k = `s:${Math.floor(r() * 5000)}`;
        if (r() < 0.6) {
          t.delete(k);
          m.delete(k);
        } else {
          t.set(k, obj('y'));
          m.set(k, obj('y'));
        }
        if (seen.length > 3000) continue; // new keys only early on, or the iteration never ends
        const n = `n:${churn++}`;
        t.set(n, obj('z'));
        m.set(n, obj('z'));
        if (r() < 0.7) {
          t.delete(n);
          m.delete(n);
        }
      }
    }
    assert.deepEqual(seen, mseen);
    assert.deepEqual([...t.keys()], [...m.keys()]);
    // A finished iterator stays finished, as a Map iterator.
    t.set('after', obj('x'));
    assert.equal(it.next().done, true);
  });

  it('a newest-first iterator visits, newest first, every key present at its start and not deleted before it got there, across compactions', () => {
    const r = rng(11);
    const t = new SlabKeyTable();
    const order: string[] = [];
    for (let i = 0; i < 5000; i++) {
      t.set(`s:${i}`, obj('x'));
      order.push(`s:${i}`);
    }
    const it = t.entriesNewestFirst();
    const deleted = new Set<string>();
    const seen: string[] = [];
    let churn = 0;
    let compactions = 0;
    for (;;) {
      const before = t.externalBytes;
      const a = it.next();
      if (a.done) break;
      const [k, o] = a.value;
      assert.ok(!deleted.has(k), `${k} was deleted before the iterator reached it`);
      assert.equal(o.value, t.get(k)?.value);
      seen.push(k);
      // Deletes ahead and behind, overwrites (same place), new keys (not visited), forcing compactions.
      for (let j = 0; j < 5; j++) {
        const d = `s:${Math.floor(r() * 5000)}`;
        if (r() < 0.5) {
          if (t.delete(d)) deleted.add(d);
        } else if (t.has(d)) t.set(d, obj('y'));
        const n = `n:${churn++}`;
        t.set(n, obj('z'));
        if (r() < 0.9) t.delete(n);
      }
      if (t.externalBytes < before) compactions++;
    }
    // Exactly the original keys not deleted before their turn, in reverse insertion order.
    const seenSet = new Set(seen);
    const expected = order.filter((k) => seenSet.has(k)).reverse();
    assert.deepEqual(seen, expected);
    for (const k of order) assert.ok(seenSet.has(k) || deleted.has(k), `${k} neither visited nor deleted`);
    assert.ok(!seen.some((k) => k.startsWith('n:')), 'keys added after the start are not visited');
    assert.ok(compactions > 0, 'the churn compacted the table while the iterator was live');
    assert.equal(it.next().done, true);
  });

  it('space of deleted keys is reclaimed: churn does not grow the table without bound', () => {
    const t = new SlabKeyTable();
    for (let i = 0; i < 1000; i++) t.set(`base:${i}`, obj('v'));
    let early = 0;
    let peak = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 1000; i++) t.set(`tmp:${round}:${i}`, obj('v'));
      for (let i = 0; i < 1000; i++) assert.equal(t.delete(`tmp:${round}:${i}`), true);
      if (round < 5) early = Math.max(early, t.externalBytes);
      else peak = Math.max(peak, t.externalBytes);
    }
    assert.equal(t.size, 1000);
    // Sized by the peak (2000 keys), not by the 201,000 keys inserted over time.
    assert.ok(peak <= early * 3, `${peak} bytes at most over 200 rounds, ${early} in the first 5`);
    for (let i = 0; i < 1000; i++) assert.equal(t.get(`base:${i}`)?.value, 'v');
  });
  it('randomKey picks every live key, also after most keys were deleted (a compaction on delete)', () => {
    const t = new SlabKeyTable();
    assert.equal(t.randomKey(), undefined);
    for (let i = 0; i < 1000; i++) t.set(`r:${i}`, obj('v'));
    const it = t.keys();
    for (let i = 0; i < 500; i++) it.next();
    for (let i = 0; i < 1000; i++) if (i % 100 !== 7) t.delete(`r:${i}`);
    assert.equal(t.size, 10);
    // The iterator parked halfway goes on with the keys after it: r:507, r:607, ...
    assert.deepEqual([...it], ['r:507', 'r:607', 'r:707', 'r:807', 'r:907']);
    const seen = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const k = t.randomKey() as string;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), [...t.keys()].sort());
    for (const n of seen.values()) assert.ok(n > 300 && n < 700, `picked ${n} of 5000 times`);
  });
  it('the index grows progressively: every key stays reachable while lookups, inserts and deletes interleave with the move', () => {
    const r = rng(11);
    const t = new SlabKeyTable();
    const m = new Map<string, RObject>();
    for (let i = 0; i < 60000; i++) {
      const k = `g:${i}`;
      const o = obj(String(i));
      t.set(k, o);
      m.set(k, o);
      // Between slot moves: look keys up (which moves them early), delete a few, re-add some.
      const probe = `g:${Math.floor(r() * (i + 1))}`;
      assert.equal(t.get(probe)?.value, m.get(probe)?.value, probe);
      if (r() < 0.2) {
        const d = `g:${Math.floor(r() * (i + 1))}`;
        assert.equal(t.delete(d), m.delete(d), d);
      }
    }
    assert.equal(t.size, m.size);
    for (const [k, o] of m) assert.equal(t.get(k)?.value, o.value, k);
    assert.deepEqual([...t.keys()], [...m.keys()]);
  });

  it('reserveKeys (the RDB RESIZEDB hint) sizes the table mid-way without losing a key, order or the index tags', () => {
    const r = rng(12);
    const t = new SlabKeyTable();
    const m = new Map<string, RObject>();
    const put = (k: string) => {
      const o = obj(k);
      t.set(k, o);
      m.set(k, o);
    };
    for (let i = 0; i < 3000; i++) put(`a:${i}`);
    for (let i = 0; i < 3000; i += 3) assert.equal(t.delete(`a:${i}`), m.delete(`a:${i}`));
    // Reserved while the index may be growing (3000 keys passed a 3/4 load on the way), then filled.
    t.reserveKeys(m.size + 70000);
    for (let i = 0; i < 70000; i++) put(`b:${i}${r() < 0.01 ? '\x00' : ''}`);
    t.reserveKeys(10); // fewer than held: nothing to do
    assert.equal(t.size, m.size);
    for (const [k, o] of m) assert.equal(t.get(k)?.value, o.value, k);
    assert.equal(t.get('a:0'), undefined);
    assert.equal(t.has('b:70000'), false);
    assert.deepEqual([...t.keys()], [...m.keys()]);
  });

  it('expires live in the table: set, get, delete, dropped with the key, kept across compactions, iterated by position', () => {
    const r = rng(13);
    const t = new SlabKeyTable();
    const m = new Map<string, RObject>();
    const e = new Map<string, number>();
    for (let step = 0; step < 40000; step++) {
      const key = `e:${Math.floor(r() * 3000)}`;
      const op = r();
      if (op < 0.35) {
        const o = someValue(r, step);
        t.set(key, o); // an overwrite keeps the expire, as the table's set does (Db drops it when asked)
        m.set(key, o);
      } else if (op < 0.55) {
        assert.equal(t.expires.set(key, step * 1000), m.has(key));
        if (m.has(key)) e.set(key, step * 1000);
      } else if (op < 0.65) assert.equal(t.expires.delete(key), e.delete(key));
      else if (op < 0.85) {
        assert.equal(t.delete(key), m.delete(key));
        e.delete(key);
      } else assert.equal(t.expires.get(key), e.get(key), key);
      assert.equal(t.expires.size, e.size);
    }
    for (const [k, w] of e) assert.equal(t.expires.get(k), w, k);
    assert.deepEqual(new Map(t.expires.entries()), e);
    assert.deepEqual([...t.expires.keys()].sort(), [...e.keys()].sort());
    assert.equal(t.expires.has('absent'), false);
    assert.equal(t.expires.set('absent', 1), false);
    assert.deepEqual([...t.keys()], [...m.keys()]);
  });

  it('an expires iterator visits each key with a TTL once when nothing changes, and goes on past deletions', () => {
    const t = new SlabKeyTable();
    for (let i = 0; i < 1000; i++) {
      t.set(`x:${i}`, obj('v'));
      if (i % 3 === 0) t.expires.set(`x:${i}`, i);
    }
    const seen = [...t.expires.keys()];
    assert.equal(seen.length, 334);
    assert.equal(new Set(seen).size, 334);
    const it = t.expires.keys();
    const first = it.next().value as string;
    t.delete(first);
    let n = 1;
    for (const _ of it) n++;
    assert.ok(n >= 333 && n <= 334, String(n));
    assert.equal(t.expires.size, 333);
  });
});

describe('SlabKeyTable.overwriteInlineInt', () => {
  it('longer digits move the entry to the slab end in place (or report false when the slab is full), keeping value, order, seq and the live byte count', () => {
    const r = rng(21);
    const t = new SlabKeyTable();
    const m = new Map<string, number>();
    let grewInPlace = 0;
    let fellBack = 0;
    for (let step = 0; step < 40000; step++) {
      const key = `c:${Math.floor(r() * 3000)}`;
      const op = r();
      if (op < 0.05) {
        assert.equal(t.delete(key), m.delete(key));
        continue;
      }
      const cur = m.get(key);
      if (cur === undefined) {
        const o = obj(r() < 0.5 ? '9' : '-9');
        o.seq = step + 1;
        t.set(key, o);
        m.set(key, Number(o.value));
        continue;
      }
      const n = cur + (cur < 0 ? -1 : 1) * Math.floor(1 + r() * (r() < 0.1 ? 1e6 : 30));
      const id = t.locate(key);
      const oldLen = String(cur).length;
      const seq = (t.get(key) as RObject).seq;
      if (t.overwriteInlineInt(id, n, noTouch)) {
        if (String(n).length > oldLen) grewInPlace++;
      } else {
        assert.ok(String(n).length > oldLen, 'only a longer value can fail');
        fellBack++;
        const o = obj(String(n));
        o.seq = seq;
        t.set(key, o);
      }
      m.set(key, n);
      assert.equal(t.get(key)?.value, String(n), key);
      assert.equal(t.get(key)?.seq, seq, 'same key, same seq');
    }
    assert.ok(grewInPlace > 100 && fellBack > 0, `in place ${grewInPlace}, fell back ${fellBack}`);
    assert.deepEqual([...t.keys()], [...m.keys()], 'insertion order kept');
    for (const [k, n] of m) assert.equal(t.get(k)?.value, String(n), k);
    let bytes = 0;
    for (const [k, n] of m) bytes += k.length + String(n).length;
    const slab = t as unknown as { slabTop: number; slabDead: number };
    assert.equal(slab.slabTop - slab.slabDead, bytes, "the slab's live bytes are the keys' and values' bytes");
  });

  it('an object value or a missing entry is left alone', () => {
    const t = new SlabKeyTable();
    const big = obj('1'.repeat(INLINE_MAX + 1));
    t.set('big', big);
    assert.equal(t.overwriteInlineInt(t.locate('big'), 5, noTouch), false);
    assert.equal(t.get('big'), big);
  });
});

describe('SlabKeyTable.prefetch', () => {
  it('finds the entries of keys given as bytes and changes nothing', () => {
    const t = new SlabKeyTable();
    for (let i = 0; i < 5000; i++) t.set(`key:${i}`, obj(i % 7 === 0 ? 'x'.repeat(100) : `v${i}`));
    for (let i = 0; i < 5000; i += 3) t.delete(`key:${i}`);
    const names = ['key:1', 'key:2', 'key:3', 'nope', 'key:4998', 'key:7', ''];
    const buf = Buffer.from(names.join(''), 'latin1');
    const spans = new Int32Array(2 * names.length);
    let off = 0;
    names.forEach((k, j) => {
      spans[2 * j] = off;
      spans[2 * j + 1] = off += k.length;
    });
    const before = [...t.entries()].map(([k, v]) => [k, v.value]);
    // key:1, key:2, key:7 (an object value) are there; key:3 and key:4998 were deleted; two never were.
    assert.equal(t.prefetch(buf, spans, names.length), 3);
    assert.deepEqual(
      [...t.entries()].map(([k, v]) => [k, v.value]),
      before,
    );
    assert.equal(t.get('key:2')?.value, 'v2');
  });
});
