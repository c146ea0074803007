/**
 * Unit tests of the zset's ordered index (counted B+tree, skiplist interface) and ZSet against a naive sorted-array model: insert, delete,
 * score updates, ranks, rank lookup, score and lex ranges, clone and encoding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LexRange, MAX_LEX, MIN_LEX, type ScoreRange, type SkipNode, SkipList } from '../../../src/store/skiplist.js';
import { ZAddIn, ZAddOut, ZSet } from '../../../src/store/zset.js';
import { rng } from '../../helpers/random.js';

type Entry = [string, number];
const order = (a: Entry, b: Entry) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function check(zsl: SkipList, model: Entry[]): void {
  zsl.verify();
  assert.equal(zsl.length, model.length);
  const got = [...zsl.nodes()].map((n) => [n.ele, n.score]);
  assert.deepEqual(got, model);
  // backward links
  const back: Entry[] = [];
  for (let x = zsl.tail; x !== null; x = x.backward) back.push([x.ele, x.score]);
  assert.deepEqual(back.reverse(), model);
  for (let i = 0; i < model.length; i++) {
    assert.equal(zsl.getRank(model[i][1], model[i][0]), i + 1);
    assert.equal(zsl.getByRank(i + 1)?.ele, model[i][0]);
  }
  assert.equal(zsl.getByRank(0), null);
  assert.equal(zsl.getByRank(model.length + 1), null);
}

test('skiplist matches a sorted-array model under random operations', () => {
  const rand = rng(7);
  const zsl = new SkipList();
  const scores = new Map<string, number>();
  for (let step = 0; step < 3000; step++) {
    const m = `k${Math.floor(rand() * 300)}`;
    const s = Math.floor(rand() * 50) / 2;
    const cur = scores.get(m);
    const op = rand();
    if (cur === undefined) {
      zsl.insert(s, m);
      scores.set(m, s);
    } else if (op < 0.5) {
      zsl.updateScore(cur, m, s);
      scores.set(m, s);
    } else {
      assert.ok(zsl.delete(cur, m));
      assert.ok(!zsl.delete(cur, m));
      scores.delete(m);
    }
    if (step % 250 === 0) check(zsl, [...scores].sort(order));
  }
  const model = [...scores].sort(order);
  check(zsl, model);
  const ranges: ScoreRange[] = [
    { min: 3, max: 10, minex: false, maxex: false },
    { min: 3, max: 10, minex: true, maxex: true },
    { min: -Infinity, max: Infinity, minex: false, maxex: false },
    { min: 5, max: 5, minex: false, maxex: false },
    { min: 5, max: 5, minex: true, maxex: false },
    { min: 30, max: 40, minex: false, maxex: false },
  ];
  for (const r of ranges) {
    const inR = model.filter(([, s]) => (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max));
    assert.equal(zsl.firstInRange(r)?.ele, inR[0]?.[0]);
    assert.equal(zsl.lastInRange(r)?.ele, inR[inR.length - 1]?.[0]);
  }
});

test('lex ranges on equal scores', () => {
  const zsl = new SkipList();
  for (const m of ['a', 'b', 'c', 'd', 'e']) zsl.insert(0, m);
  const r = (min: LexRange['min'], minex: boolean, max: LexRange['max'], maxex: boolean): LexRange => ({ min, minex, max, maxex });
  assert.equal(zsl.firstInLexRange(r('b', false, 'd', true))?.ele, 'b');
  assert.equal(zsl.lastInLexRange(r('b', false, 'd', true))?.ele, 'c');
  assert.equal(zsl.firstInLexRange(r('b', true, MAX_LEX, true))?.ele, 'c');
  assert.equal(zsl.lastInLexRange(r(MIN_LEX, true, MAX_LEX, true))?.ele, 'e');
  assert.equal(zsl.firstInLexRange(r(MAX_LEX, true, MIN_LEX, true)), null);
  assert.equal(zsl.firstInLexRange(r('c', true, 'c', false)), null);
});

test('ZSet flags, encoding and clone', () => {
  const z = new ZSet();
  const add = (score: number, m: string, flags: number): [number, number] => [z.add(score, m, flags), z.lastScore];
  assert.deepEqual(add(1, 'a', ZAddIn.None), [ZAddOut.Added, 1]);
  assert.deepEqual(add(2, 'a', ZAddIn.Nx), [ZAddOut.Nop, 1]);
  assert.deepEqual(add(0, 'a', ZAddIn.Gt), [ZAddOut.Nop, 1]);
  assert.deepEqual(add(5, 'a', ZAddIn.Gt), [ZAddOut.Updated, 5]);
  assert.deepEqual(add(Number.POSITIVE_INFINITY, 'b', ZAddIn.Incr), [ZAddOut.Added, Number.POSITIVE_INFINITY]);
  assert.deepEqual(add(Number.NEGATIVE_INFINITY, 'b', ZAddIn.Incr)[0], ZAddOut.Nan);
  assert.deepEqual(add(1, 'zz', ZAddIn.Xx), [ZAddOut.Nop, 0]);
  assert.equal(z.encoding, 'listpack');
  for (let i = 0; i < 200; i++) z.insert(i, `m${i}`);
  assert.equal(z.encoding, 'skiplist');
  for (let i = 0; i < 200; i++) z.remove(`m${i}`);
  assert.equal(z.encoding, 'skiplist', 'conversion is sticky');
  const small = new ZSet();
  small.insert(1, 'x'.repeat(65));
  assert.equal(small.encoding, 'skiplist');
  const copy = z.clone();
  assert.deepEqual([...copy], [...z]);
  assert.equal(copy.encoding, 'skiplist');
  copy.remove('a');
  assert.equal(z.score('a'), 5);
  assert.equal(z.rank('a', false), 0);
  assert.equal(z.rank('a', true), 1);
  assert.equal(z.rank('nope', false), -1);
});

test('deleteFirst / ZSet.popFirst remove the lowest element and keep ranks and spans right', () => {
  const r = rng(14);
  const z = new ZSet();
  const model: Entry[] = [];
  for (let i = 0; i < 500; i++) {
    const m = `m${Math.floor(r() * 1e6)}`;
    if (z.score(m) !== undefined) continue;
    const s = Math.floor(r() * 50);
    z.insert(s, m);
    model.push([m, s]);
  }
  model.sort(order);
  while (model.length > 0) {
    const x = z.popFirst();
    const [m, s] = model.shift() as Entry;
    assert.equal(x?.ele, m);
    assert.equal(x?.score, s);
    assert.equal(z.score(m), undefined);
    if (model.length % 50 === 0) check(z.zsl, model);
  }
  assert.equal(z.popFirst(), null);
  assert.equal(z.size, 0);
});

/** Reference: the sorted model's first index at or after which `pred` is false. */
function firstFalse(model: Entry[], pred: (e: Entry) => boolean): number {
  let i = 0;
  while (i < model.length && pred(model[i])) i++;
  return i;
}

test('large trees (splits, merges, root changes) match the model under random operations', () => {
  for (const seed of [1, 2, 3]) {
    const rand = rng(seed);
    const zsl = new SkipList();
    const scores = new Map<string, number>();
    // Elements by member: every other update/delete passes the node (found by identity).
    const nodes = new Map<string, SkipNode>();
    const universe = 5000;
    for (let step = 0; step < 40000; step++) {
      const m = `m${Math.floor(rand() * universe)}`;
      // Few distinct scores so members break many ties; sometimes -0, infinities, fractions.
      const pick = rand();
      const s =
        pick < 0.01 ? -0 : pick < 0.02 ? Number.NEGATIVE_INFINITY : pick < 0.03 ? Number.POSITIVE_INFINITY : Math.floor(rand() * 200) / 4;
      const cur = scores.get(m);
      const op = rand();
      // Phases: grow, churn, shrink (the shrink phase empties most leaves and merges nodes).
      const phase = step < 15000 ? 0 : step < 30000 ? 1 : 2;
      if (cur === undefined) {
        if (phase === 2 && op < 0.8) continue;
        nodes.set(m, zsl.insert(s, m));
        scores.set(m, s);
      } else if (phase !== 2 && op < 0.5) {
        // Small moves (in-leaf paths) and big ones.
        const ns = op < 0.25 ? cur + (rand() < 0.5 ? 0.01 : -0.01) : s;
        if (Number.isNaN(ns) || ns === cur) continue;
        const node = nodes.get(m) as SkipNode;
        assert.equal(zsl.updateScore(cur, m, ns, rand() < 0.5 ? node : undefined), node);
        scores.set(m, ns);
      } else if (op < 0.6) {
        const x = rand() < 0.5 ? zsl.deleteFirst() : zsl.deleteLast();
        if (x !== null) {
          scores.delete(x.ele);
          nodes.delete(x.ele);
        }
      } else {
        const node = rand() < 0.5 ? nodes.get(m) : undefined;
        assert.ok(zsl.delete(cur, m, node));
        assert.ok(!zsl.delete(cur, m, node));
        scores.delete(m);
        nodes.delete(m);
      }
      if (step % 5000 === 4999) check(zsl, [...scores].sort(order));
    }
    const model = [...scores].sort(order);
    check(zsl, model);
    for (let k = 0; k < 300; k++) {
      const a = Math.floor(rand() * 210) / 4 - 1;
      const b = a + Math.floor(rand() * 40) / 4;
      const r: ScoreRange = { min: a, max: b, minex: rand() < 0.5, maxex: rand() < 0.5 };
      const inR = model.filter(([, s]) => (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max));
      assert.equal(zsl.firstInRange(r)?.ele, inR[0]?.[0]);
      assert.equal(zsl.lastInRange(r)?.ele, inR[inR.length - 1]?.[0]);
    }
    // Absent members have rank 0.
    assert.equal(zsl.getRank(1, 'absent'), 0);
    // Empty it completely: the root shrinks back to an empty leaf that accepts inserts again.
    while (zsl.deleteFirst() !== null);
    check(zsl, []);
    zsl.insert(1, 'x');
    check(zsl, [['x', 1]]);
  }
});

test('lex seeks on a large equal-score tree match the model', () => {
  const rand = rng(9);
  const zsl = new SkipList();
  const names = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    // Byte strings including high bytes: latin1 order is memcmp order.
    let m = '';
    const len = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < len; k++) m += String.fromCharCode(Math.floor(rand() * 256));
    if (names.has(m)) continue;
    names.add(m);
    zsl.insert(0, m);
  }
  const model: Entry[] = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((m) => [m, 0]);
  check(zsl, model);
  const bound = (): LexRange['min'] => {
    const p = rand();
    if (p < 0.1) return MIN_LEX;
    if (p < 0.2) return MAX_LEX;
    return p < 0.6 ? model[Math.floor(rand() * model.length)][0] : String.fromCharCode(Math.floor(rand() * 256));
  };
  for (let k = 0; k < 500; k++) {
    const r: LexRange = { min: bound(), max: bound(), minex: rand() < 0.5, maxex: rand() < 0.5 };
    const gte = (e: string) => (r.min === MIN_LEX ? true : r.min === MAX_LEX ? false : r.minex ? e > r.min : e >= (r.min as string));
    const lte = (e: string) => (r.max === MAX_LEX ? true : r.max === MIN_LEX ? false : r.maxex ? e < r.max : e <= (r.max as string));
    const lo = firstFalse(model, ([e]) => !gte(e));
    const hi = firstFalse(model, ([e]) => lte(e)) - 1;
    const empty = lo > hi || lo >= model.length || hi < 0;
    assert.equal(zsl.firstInLexRange(r)?.ele, empty ? undefined : model[lo][0]);
    assert.equal(zsl.lastInLexRange(r)?.ele, empty ? undefined : model[hi][0]);
  }
});

test('sorted appends fill leaves (clone of a large set) and ranks stay exact', () => {
  const z = new ZSet();
  for (let i = 0; i < 20000; i++) z.insert(i, `m${i}`);
  const c = z.clone();
  c.zsl.verify();
  assert.equal(c.rank('m12345', false), 12345);
  assert.equal(c.rank('m12345', true), 20000 - 1 - 12345);
  assert.equal(c.nodeAt(19999)?.ele, 'm19999');
  assert.equal(z.popLast()?.ele, 'm19999');
  assert.equal(c.size, 20000);
});

test('ZSet on a large set matches a model: add (flags, incr), remove, pops, ranks, scores', () => {
  const rand = rng(21);
  const z = new ZSet();
  const model = new Map<string, number>();
  const flagsOf = [ZAddIn.None, ZAddIn.Nx, ZAddIn.Xx, ZAddIn.Gt, ZAddIn.Lt, ZAddIn.Incr];
  for (let step = 0; step < 30000; step++) {
    const m = `e${Math.floor(rand() * 2000)}`;
    const s = Math.floor(rand() * 100) - 50;
    const op = rand();
    if (op < 0.7) {
      const flags = flagsOf[Math.floor(rand() * flagsOf.length)];
      const cur = model.get(m);
      const out = z.add(s, m, flags);
      let want = cur === undefined ? s : flags & ZAddIn.Incr ? cur + s : s;
      let bits: number;
      if (cur === undefined) {
        bits = flags & ZAddIn.Xx ? ZAddOut.Nop : ZAddOut.Added;
        if (bits === ZAddOut.Nop) want = 0;
      } else if (flags & ZAddIn.Nx || (flags & ZAddIn.Gt && want <= cur) || (flags & ZAddIn.Lt && want >= cur)) {
        bits = ZAddOut.Nop;
        want = cur;
      } else bits = want !== cur ? ZAddOut.Updated : 0;
      assert.equal(out, bits);
      assert.equal(z.lastScore, want);
      if (bits === ZAddOut.Added || bits === ZAddOut.Updated) model.set(m, want);
    } else if (op < 0.85) {
      assert.equal(z.remove(m), model.delete(m));
    } else if (op < 0.9) {
      const x = rand() < 0.5 ? z.popFirst() : z.popLast();
      if (x !== null) {
        assert.equal(model.get(x.ele), x.score);
        model.delete(x.ele);
      } else assert.equal(model.size, 0);
    }
    if (step % 3000 === 2999) {
      const sorted = [...model].sort(order);
      z.zsl.verify();
      assert.equal(z.size, sorted.length);
      assert.deepEqual([...z], sorted);
      for (let k = 0; k < sorted.length; k += 7) {
        const [e, sc] = sorted[k];
        assert.equal(z.score(e), sc);
        assert.equal(z.rank(e, false), k);
        assert.equal(z.rank(e, true), sorted.length - 1 - k);
        assert.equal(z.nodeAt(k)?.ele, e);
      }
    }
  }
});
