/**
 * RSet (src/store/set.ts) against a JS Set model: intset while every member is a canonical
 * integer (sorted), hashtable after (its MemberIndex through growth, swap removals, random
 * removals by position and shrink); has/add/delete answers, the members array and a clone match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RSet } from '../../../src/store/set.js';
import { rng } from '../../helpers/random.js';

function check(s: RSet, model: Set<string>): void {
  assert.equal(s.size, model.size);
  assert.deepEqual(new Set(s.members), model);
  assert.equal(new Set(s.members).size, s.members.length, 'no duplicates');
  for (const m of model) assert.ok(s.has(m), m);
}

describe('RSet', () => {
  it('intset keeps integers sorted, converts on a non-integer, then matches a Set through churn', () => {
    const r = rng(17);
    const s = new RSet();
    const model = new Set<string>();
    for (const m of ['5', '-3', '100', '0', '5']) {
      assert.equal(s.add(m), !model.has(m));
      model.add(m);
    }
    assert.equal(s.encoding, 'intset');
    assert.deepEqual(s.members, ['-3', '0', '5', '100']);
    assert.equal(s.has('05'), false);
    s.add('a');
    model.add('a');
    assert.equal(s.encoding, 'hashtable');
    check(s, model);
    for (let step = 0; step < 40000; step++) {
      const space = step < 20000 ? 6000 : 300;
      const m = r() < 0.3 ? String(Math.floor(r() * space)) : `m:${Math.floor(r() * space)}`;
      const p = r();
      if (p < 0.55) {
        assert.equal(s.add(m), !model.has(m));
        model.add(m);
      } else if (p < 0.9) {
        assert.equal(s.delete(m), model.delete(m));
        assert.equal(s.delete(m), false);
      } else if (s.size > 0) {
        const removed = s.removeAt(s.randomIndex());
        assert.ok(model.delete(removed));
      }
      assert.equal(s.has(m), model.has(m));
      if (step % 1999 === 0) check(s, model);
    }
    check(s, model);
    const c = s.clone();
    check(c, model);
    c.add('only in the clone');
    const first = s.members[0];
    c.delete(first);
    assert.ok(!s.has('only in the clone'));
    assert.ok(s.has(first));
    for (const m of [...model]) assert.ok(s.delete(m));
    assert.equal(s.size, 0);
    assert.ok(s.add('again'));
    assert.ok(s.has('again'));
  });
});
