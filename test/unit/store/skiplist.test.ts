/**
 * Unit tests of the span skiplist and ZSet against a naive sorted-array model: insert, delete,
 * score updates, ranks, rank lookup, score and lex ranges, clone and encoding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LexRange, MAX_LEX, MIN_LEX, type ScoreRange, SkipList } from '../../../src/store/skiplist.js';
import { ZAddIn, ZAddOut, ZSet } from '../../../src/store/zset.js';
import { rng } from '../../helpers/random.js';

type Entry = [string, number];
const order = (a: Entry, b: Entry) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function check(zsl: SkipList, model: Entry[]): void {
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
  assert.deepEqual(z.add(1, 'a', ZAddIn.None), [ZAddOut.Added, 1]);
  assert.deepEqual(z.add(2, 'a', ZAddIn.Nx), [ZAddOut.Nop, 1]);
  assert.deepEqual(z.add(0, 'a', ZAddIn.Gt), [ZAddOut.Nop, 1]);
  assert.deepEqual(z.add(5, 'a', ZAddIn.Gt), [ZAddOut.Updated, 5]);
  assert.deepEqual(z.add(Number.POSITIVE_INFINITY, 'b', ZAddIn.Incr), [ZAddOut.Added, Number.POSITIVE_INFINITY]);
  assert.deepEqual(z.add(Number.NEGATIVE_INFINITY, 'b', ZAddIn.Incr)[0], ZAddOut.Nan);
  assert.deepEqual(z.add(1, 'zz', ZAddIn.Xx), [ZAddOut.Nop, 0]);
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
