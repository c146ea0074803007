/**
 * RHash (src/store/hash.ts) against a JS Map model in both encodings: the listpack's packed string
 * (src/store/hashListpack.ts: lengths of one and several LEB128 chars, binary bytes, insertion
 * order through updates and removals, the positional cursor walked forwards and backwards) and
 * the conversion to hashtable at hash-max-listpack-entries / -value, after which every pair is
 * still there. `bytes` follows the contents.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { hashLimits, RHash } from '../../../src/store/hash.js';
import { lenChars } from '../../../src/store/hashListpack.js';
import { rng } from '../../helpers/random.js';

const defaults = { ...hashLimits };

function binary(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
  return s;
}

/** Compares h with the model; `ordered`: positions follow the model's insertion order. */
function check(h: RHash, model: Map<string, string>, ordered: boolean): void {
  assert.equal(h.size, model.size);
  const keys = [...model.keys()];
  for (let i = 0; i < h.size; i++) {
    const f = h.fieldAt(i);
    if (ordered) assert.equal(f, keys[i]);
    assert.equal(h.valueAt(i), model.get(f));
  }
  // Backwards too (the cursor restarts from the front).
  for (let i = h.size - 1; i >= 0; i -= 3) assert.equal(h.valueAt(i), model.get(h.fieldAt(i)));
  for (const [f, v] of model) {
    assert.equal(h.get(f), v);
    assert.ok(h.has(f));
  }
  assert.deepEqual(new Map(h), model);
}

describe('RHash', () => {
  afterEach(() => Object.assign(hashLimits, defaults));

  it('listpack: matches a Map through sets, updates of other lengths and removals, in insertion order', () => {
    const r = rng(21);
    const h = new RHash();
    const model = new Map<string, string>();
    for (let s = 0; s < 20000; s++) {
      const f = `f${Math.floor(r() * 200)}`;
      if (r() < 0.6) {
        const v = binary(r, Math.floor(r() * 65));
        assert.equal(h.set(f, v), !model.has(f));
        model.set(f, v);
      } else {
        assert.equal(h.delete(f), model.delete(f));
      }
      assert.equal(h.encoding, 'listpack');
      if (s % 499 === 0) check(h, model, true);
    }
    check(h, model, true);
    const bytes = h.bytes;
    let packed = 0;
    for (const [f, v] of model) packed += f.length + v.length + 2;
    assert.ok(bytes >= packed && bytes <= packed + 80, `bytes ${bytes} for ${packed} packed chars`);
  });

  it('listpack: lengths of two and three LEB128 chars, empty fields and values', () => {
    hashLimits.maxListpackValue = 100_000;
    assert.equal(lenChars(127).length, 1);
    assert.equal(lenChars(128).length, 2);
    assert.equal(lenChars(16384).length, 3);
    const r = rng(5);
    const h = new RHash();
    const model = new Map<string, string>();
    for (const [f, v] of [
      ['', ''],
      ['a', ''],
      ['', 'empty field'],
      [binary(r, 127), binary(r, 128)],
      [binary(r, 300), binary(r, 16383)],
      ['big', binary(r, 20000)],
      ['\x80\xff', '\x00'],
    ]) {
      h.set(f, v);
      model.set(f, v);
    }
    check(h, model, true);
    assert.equal(h.encoding, 'listpack');
    assert.ok(h.delete(''));
    model.delete('');
    h.set('big', 'small now');
    model.set('big', 'small now');
    check(h, model, true);
  });

  it('converts to hashtable past hash-max-listpack-entries or -value, keeping every pair', () => {
    for (const trigger of ['entries', 'value']) {
      hashLimits.maxListpackEntries = 16;
      hashLimits.maxListpackValue = 8;
      const h = new RHash();
      const model = new Map<string, string>();
      for (let i = 0; i < 16; i++) {
        h.set(`k${i}`, `v${i}`);
        model.set(`k${i}`, `v${i}`);
      }
      assert.equal(h.encoding, 'listpack');
      const copy = h.clone();
      if (trigger === 'entries') {
        h.set('k16', 'v16');
        model.set('k16', 'v16');
      } else {
        h.set('k3', 'longer than 8');
        model.set('k3', 'longer than 8');
      }
      assert.equal(h.encoding, 'hashtable', trigger);
      check(h, model, false);
      assert.equal(copy.encoding, 'listpack');
      assert.equal(copy.get('k3'), 'v3');
      // Removing fields does not convert back (as Redis).
      for (let i = 0; i < 10; i++) h.delete(`k${i}`);
      assert.equal(h.encoding, 'hashtable');
    }
  });

  it('fromPairs builds the same hash as sets, in the encoding its size calls for, and refuses a repeated field', () => {
    const flat: string[] = [];
    for (let i = 0; i < 40; i++) flat.push(`f${i}`, `v${i}`);
    const a = RHash.fromPairs(flat) as RHash;
    const b = new RHash();
    for (let i = 0; i < flat.length; i += 2) b.set(flat[i], flat[i + 1]);
    assert.equal(a.encoding, 'listpack');
    assert.deepEqual([...a], [...b]);
    assert.equal(a.bytes, b.bytes);
    assert.equal(RHash.fromPairs([...flat, 'f7', 'again']), null);
    hashLimits.maxListpackEntries = 10;
    const c = RHash.fromPairs(flat) as RHash;
    assert.equal(c.encoding, 'hashtable');
    assert.deepEqual(new Map(c), new Map(b));
    assert.equal(RHash.fromPairs([...flat, 'f7', 'again']), null);
  });
});
