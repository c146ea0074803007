/**
 * The collection tables against a JS Map model: StrTable (src/store/strTable.ts) and BytesTable
 * (src/store/bytesTable.ts, values of changing lengths: in-place overwrite, append, compaction)
 * through random sets, swap deletes (StrTable also ordered ones), growth and shrink; positional access and clone
 * match; the HSCAN walk over their dense ids (positions from the end, src/commands/sets/scan.ts
 * scanWindow) returns every key present for the whole scan while keys are added and removed.
 * BytesTable alone: binary bytes 0x00–0xff and long values kept exactly, the slab stays bounded
 * under overwrite churn.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanWindow } from '../../../src/commands/sets/scan.js';
import { BytesTable } from '../../../src/store/bytesTable.js';
import { StrTable } from '../../../src/store/strTable.js';
import { rng } from '../../helpers/random.js';

/** What both tables offer for string values. */
type Table = StrTable<string> | BytesTable;

function check(t: Table, model: Map<string, string>, order?: string[]): void {
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

/** A latin1 string of `n` chars drawn from all 256 byte values. */
function binary(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
  return s;
}

/** Each table, with the delete modes it has (BytesTable: swap only, the hashtable encoding's). */
const tables: [string, () => Table, boolean[]][] = [
  ['StrTable', () => new StrTable<string>(), [false, true]],
  ['BytesTable', () => new BytesTable(), [false]],
];

/** Deletes `k` from `t`, keeping insertion order when `ordered` (StrTable only). */
function del(t: Table, k: string, ordered: boolean): boolean {
  return t instanceof StrTable ? t.delete(k, ordered) : t.delete(k);
}

for (const [name, make, modes] of tables) {
  describe(name, () => {
    for (const ordered of modes) {
      it(`matches a Map through growth, overwrites, ${ordered ? 'ordered' : 'swap'} deletes and shrink`, () => {
        const r = rng(ordered ? 7 : 11);
        const t = make();
        const model = new Map<string, string>();
        const order: string[] = [];
        // Phases: grow to ~4000 keys, churn, shrink to a handful, grow again.
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
              const v = binary(r, r() < 0.5 ? 3 : Math.floor(r() * 80));
              const isNew = !model.has(k);
              assert.equal(t.set(k, v), isNew);
              model.set(k, v);
              if (isNew) order.push(k);
            } else {
              const had = model.delete(k);
              assert.equal(del(t, k, ordered), had);
              assert.equal(del(t, k, ordered), false);
              if (had && ordered) order.splice(order.indexOf(k), 1);
            }
            assert.equal(t.has(k), model.has(k));
            if (s % 997 === 0) check(t, model, ordered ? order : undefined);
          }
          check(t, model, ordered ? order : undefined);
        }
        // Empty it completely, then reuse.
        for (const k of [...model.keys()]) assert.ok(del(t, k, ordered));
        assert.equal(t.size, 0);
        assert.equal(t.get('f1'), undefined);
        assert.ok(t.set('x', '1'));
        assert.equal(t.get('x'), '1');
      });
    }

    it('handles keys with colliding homes and the empty string; a clone is independent', () => {
      const t = make();
      const keys = ['', 'a', 'b', '\x00', '\xff\xfe', 'element:000000000001'];
      for (let i = 0; i < 2000; i++) keys.push(`k:${i}`);
      for (const [i, k] of keys.entries()) assert.ok(t.set(k, String(i)));
      for (const [i, k] of keys.entries()) assert.equal(t.get(k), String(i));
      for (let i = 0; i < keys.length; i += 2) assert.ok(t.delete(keys[i]));
      for (const [i, k] of keys.entries()) assert.equal(t.get(k), i % 2 === 0 ? undefined : String(i));
      const c = t.clone();
      assert.ok(c.delete(keys[1]));
      c.set(keys[3], 'changed');
      assert.equal(t.get(keys[1]), '1');
      assert.equal(t.get(keys[3]), '3');
      assert.equal(c.size, t.size - 1);
      assert.deepEqual([...t].length, t.size);
    });

    it('a scan from the end returns every key present for the whole scan (swap deletes)', () => {
      const r = rng(3);
      const t = make();
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
          t.set(`new${n++}`, `v${n}`);
        }
      } while (cursor !== 0);
      for (let i = 0; i < 3000; i++) {
        const k = `k${i}`;
        if (!removed.has(k)) assert.ok(seen.has(k), `missed ${k}`);
      }
    });
  });
}

describe('BytesTable bytes', () => {
  it('keeps binary keys and values, the empty string and long values exactly', () => {
    const r = rng(13);
    const t = new BytesTable();
    const model = new Map<string, string>();
    const keys = ['', '\x00', '\xff\xfe', 'a', binary(r, 300)];
    for (let i = 0; i < 500; i++) keys.push(binary(r, 1 + Math.floor(r() * 40)));
    for (const k of keys) {
      const v = binary(r, Math.floor(r() * 2000));
      t.set(k, v);
      model.set(k, v);
    }
    check(t, model);
    const c = t.clone();
    check(c, model);
    for (let i = 0; i < t.size; i++) assert.equal(t.valueLengthAt(i), t.valueAt(i).length);
    assert.ok(c.delete(keys[1]));
    assert.equal(t.get(keys[1]), model.get(keys[1]));
    assert.equal(c.size, t.size - 1);
    c.set(keys[2], 'changed');
    assert.equal(t.get(keys[2]), model.get(keys[2]));
    assert.deepEqual(
      [...t].map(([k]) => k),
      [...model.keys()],
    );
  });

  it('compacts: overwriting values with other lengths does not grow the slab without bound', () => {
    const t = new BytesTable();
    for (let i = 0; i < 1000; i++) t.set(`field:${i}`, 'x'.repeat(10));
    const before = t.slabBytes;
    for (let round = 0; round < 200; round++) {
      const v = 'y'.repeat(10 + (round % 7));
      for (let i = 0; i < 1000; i++) t.set(`field:${i}`, v);
    }
    // 1000 live records of ~32 bytes; without compaction 200 rounds would append ~6.4 MB.
    assert.ok(t.slabBytes <= before * 4, `slab ${t.slabBytes} bytes after churn, ${before} before`);
    for (let i = 0; i < 1000; i++) assert.equal(t.get(`field:${i}`), 'y'.repeat(10 + (199 % 7)));
  });
});
