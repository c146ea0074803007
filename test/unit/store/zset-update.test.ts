/**
 * ZADD's update path on large zsets (src/store/zset.ts add → SkipList.updateScore from the
 * member's leaf, no per-element linked list) against a reference model (a Map and a sorted
 * array): after many random score updates, the order, every rank (both directions), rank lookups,
 * forward and backward walks from any element, and the tree's invariants must match the model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SkipNode } from '../../../src/store/skiplist.js';
import { SkipList } from '../../../src/store/skiplist.js';
import { ZAddIn, ZAddOut, ZSet } from '../../../src/store/zset.js';
import { rng } from '../../helpers/random.js';

type Entry = [string, number];
/** Redis's zset order: score, then member bytes (latin1 strings compare as bytes). */
const order = (a: Entry, b: Entry) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Checks everything a reader of `z` can see against the model (member → score). */
function checkAgainst(z: ZSet, model: Map<string, number>, rand: () => number): void {
  z.zsl.verify();
  const sorted = [...model].sort(order);
  assert.equal(z.size, sorted.length);
  assert.deepEqual([...z], sorted);
  const back: Entry[] = [];
  for (let x = z.zsl.tail; x !== null; x = x.backward) back.push([x.ele, x.score]);
  assert.deepEqual(back.reverse(), sorted);
  for (let i = 0; i < sorted.length; i++) {
    const [m, s] = sorted[i];
    assert.equal(z.score(m), s);
    assert.equal(z.rank(m, false), i, `rank of ${m}`);
    assert.equal(z.rank(m, true), sorted.length - 1 - i, `reverse rank of ${m}`);
    assert.equal(z.zsl.getRank(s, m), i + 1);
  }
  // Rank lookups and short walks both ways from random places (stale index hints included).
  for (let k = 0; k < 50 && sorted.length > 0; k++) {
    const i = Math.floor(rand() * sorted.length);
    const x = z.nodeAt(i) as SkipNode;
    assert.equal(x.ele, sorted[i][0]);
    let y: SkipNode | null = x;
    for (let j = i; j < Math.min(sorted.length, i + 70); j++, y = y.next) assert.equal(y?.ele, sorted[j][0]);
    y = x;
    for (let j = i; j >= Math.max(0, i - 70); j--, y = y.backward) assert.equal(y?.ele, sorted[j][0]);
  }
  assert.equal(z.nodeAt(sorted.length), null);
}

test('random ZADD updates (100k-style pattern) keep order, ranks and walks equal to the model', () => {
  const rand = rng(19);
  const z = new ZSet();
  const model = new Map<string, number>();
  const members = 3000;
  const name = (i: number) => `element:${String(i).padStart(12, '0')}`;
  for (let i = 0; i < members; i++) {
    const s = Math.floor(rand() * members);
    assert.equal(z.add(s, name(i), ZAddIn.None), ZAddOut.Added);
    model.set(name(i), s);
  }
  checkAgainst(z, model, rand);
  const nodes = new Map<string, SkipNode>();
  for (const m of model.keys()) nodes.set(m, z.dict.get(m) as SkipNode);
  for (let step = 1; step <= 30000; step++) {
    const m = name(Math.floor(rand() * members));
    const cur = model.get(m) as number;
    // Mostly far moves (another leaf), some near moves (same leaf), some unchanged scores.
    const r = rand();
    const s = r < 0.6 ? Math.floor(rand() * members) : r < 0.95 ? cur + Math.floor(rand() * 7) - 3 : cur;
    const out = z.add(s, m, ZAddIn.None);
    assert.equal(out, s === cur ? 0 : ZAddOut.Updated);
    assert.equal(z.lastScore, s);
    model.set(m, s);
    // The member keeps its element (the dict's value) across updates, as Redis's zslUpdateScore.
    assert.equal(z.dict.get(m), nodes.get(m));
    if (step % 5000 === 0) checkAgainst(z, model, rand);
  }
  checkAgainst(z, model, rand);
});

test('equal scores: updates order members by bytes (ties broken by member, binary members)', () => {
  const rand = rng(5);
  const z = new ZSet();
  const model = new Map<string, number>();
  const pool: string[] = [];
  for (let i = 0; i < 1500; i++) {
    let m = '';
    const len = 1 + Math.floor(rand() * 6);
    for (let k = 0; k < len; k++) m += String.fromCharCode(Math.floor(rand() * 256));
    pool.push(m);
  }
  for (let step = 0; step < 20000; step++) {
    const m = pool[Math.floor(rand() * pool.length)];
    const s = Math.floor(rand() * 3); // few distinct scores: most comparisons are ties
    z.add(s, m, ZAddIn.None);
    model.set(m, s);
    if (step % 4000 === 0) checkAgainst(z, model, rand);
  }
  checkAgainst(z, model, rand);
});

test('ZADD flags and INCR on a large set match the model (GT/LT/NX/XX, INCR, NaN)', () => {
  const rand = rng(23);
  const z = new ZSet();
  const model = new Map<string, number>();
  const flagsOf = [ZAddIn.None, ZAddIn.Nx, ZAddIn.Xx, ZAddIn.Gt, ZAddIn.Lt, ZAddIn.Incr, ZAddIn.Incr | ZAddIn.Gt, ZAddIn.Incr | ZAddIn.Xx];
  for (let step = 0; step < 20000; step++) {
    const m = `m${Math.floor(rand() * 1500)}`;
    const flags = flagsOf[Math.floor(rand() * flagsOf.length)];
    const s = rand() < 0.01 ? Number.POSITIVE_INFINITY : Math.floor(rand() * 200) - 100;
    const cur = model.get(m);
    const out = z.add(s, m, flags);
    if (cur === undefined) {
      if (flags & ZAddIn.Xx) assert.equal(out, ZAddOut.Nop);
      else {
        assert.equal(out, ZAddOut.Added);
        model.set(m, s);
      }
      continue;
    }
    const want = flags & ZAddIn.Incr ? cur + s : s;
    if (flags & ZAddIn.Nx) assert.equal(out, ZAddOut.Nop);
    else if (Number.isNaN(want)) assert.equal(out, ZAddOut.Nan);
    else if ((flags & ZAddIn.Gt && want <= cur) || (flags & ZAddIn.Lt && want >= cur)) assert.equal(out, ZAddOut.Nop);
    else if (want === cur) assert.equal(out, 0);
    else {
      assert.equal(out, ZAddOut.Updated);
      assert.equal(z.lastScore, want);
      model.set(m, want);
    }
    if (rand() < 0.05) {
      assert.ok(z.remove(m));
      model.delete(m);
    }
    if (step % 5000 === 0) checkAgainst(z, model, rand);
  }
  checkAgainst(z, model, rand);
});

test('a removed element walks nowhere and has no rank; another list’s element is not found', () => {
  const a = new SkipList();
  const b = new SkipList();
  const nodes: SkipNode[] = [];
  for (let i = 0; i < 500; i++) nodes.push(a.insert(i, `m${i}`));
  const other = b.insert(7, 'm7');
  assert.equal(a.rankOf(other), 0);
  assert.equal(a.delete(7, 'm7', other), false);
  assert.equal(a.length, 500);
  const x = nodes[250];
  assert.equal(a.rankOf(x), 251);
  assert.ok(a.delete(x.score, x.ele, x));
  assert.equal(x.next, null);
  assert.equal(x.backward, null);
  assert.equal(a.rankOf(x), 0);
  assert.equal(a.delete(x.score, x.ele, x), false);
  assert.equal(nodes[249].next, nodes[251]);
  assert.equal(nodes[251].backward, nodes[249]);
  a.verify();
  // Emptied by pops, then reused.
  while (a.deleteFirst() !== null);
  assert.equal(a.first, null);
  assert.equal(a.tail, null);
  a.verify();
  const y = a.insert(1, 'y');
  assert.equal(a.first, y);
  assert.equal(a.tail, y);
  assert.equal(y.next, null);
  a.verify();
});

test('encoding converts at the listpack thresholds and updates keep it', () => {
  const z = new ZSet();
  for (let i = 0; i < 128; i++) z.add(i, `m${i}`, ZAddIn.None);
  assert.equal(z.encoding, 'listpack');
  for (let i = 0; i < 128; i++) z.add(200 - i, `m${i}`, ZAddIn.None);
  assert.equal(z.encoding, 'listpack');
  z.add(1, 'm128', ZAddIn.None);
  assert.equal(z.encoding, 'skiplist');
  const w = new ZSet();
  w.add(1, 'x'.repeat(64), ZAddIn.None);
  assert.equal(w.encoding, 'listpack');
  w.add(1, 'y'.repeat(65), ZAddIn.None);
  assert.equal(w.encoding, 'skiplist');
});
