/**
 * The per-slot key index (src/store/slotIndex.ts) and Db keeping it in step with its dict through
 * every write path (add, setKey, setString, deleteKey/delete, lazy expiry, clear), compared after
 * a random workload with a full recount of the dict; and Db without an index (cluster disabled).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keyspace, ObjType, RObject } from '../../../src/store/db.js';
import { keyHashSlot } from '../../../src/store/keyslot.js';
import { SlotIndex } from '../../../src/store/slotIndex.js';
import { rng } from '../../helpers/random.js';

function keyspace(): Keyspace {
  const ks = new Keyspace(2, { keyModified: () => {}, keyExpired: () => {} });
  ks.dbs[0].slots = new SlotIndex();
  return ks;
}

/** Counts per slot recomputed from the dict. */
function recount(keys: Iterable<string>): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const k of keys) {
    const s = keyHashSlot(k);
    if (!m.has(s)) m.set(s, []);
    m.get(s)!.push(k);
  }
  return m;
}

test('SlotIndex: count, keys newest first with a limit, remove, forEachKeyInSlot deleting, clear', () => {
  const idx = new SlotIndex();
  const slot = keyHashSlot('{t}a');
  for (const k of ['{t}a', '{t}b', '{t}c']) idx.add(k);
  idx.add('other');
  assert.equal(idx.count(slot), 3);
  assert.deepEqual(idx.keys(slot, 10), ['{t}c', '{t}b', '{t}a']);
  assert.deepEqual(idx.keys(slot, 2), ['{t}c', '{t}b']);
  assert.deepEqual(idx.keys(slot, 0), []);
  assert.deepEqual(idx.keys((slot + 1) % 16384 === keyHashSlot('other') ? (slot + 2) % 16384 : (slot + 1) % 16384, 5), []);
  idx.remove('{t}b');
  assert.equal(idx.count(slot), 2);
  const seen: string[] = [];
  idx.forEachKeyInSlot(slot, (k) => {
    seen.push(k);
    idx.remove(k);
  });
  assert.deepEqual(seen, ['{t}a', '{t}c']);
  assert.equal(idx.count(slot), 0);
  assert.equal(idx.size, 1);
  idx.clear();
  assert.equal(idx.count(keyHashSlot('other')), 0);
  assert.equal(idx.size, 0);
});

test('Db keeps db 0 slot index equal to its keys through every write path (random workload)', () => {
  const ks = keyspace();
  const db = ks.dbs[0];
  const r = rng(17);
  const key = () => (r() < 0.3 ? `{tag${Math.floor(r() * 5)}}k${Math.floor(r() * 50)}` : `k${Math.floor(r() * 400)}`);
  for (let i = 0; i < 5000; i++) {
    const op = r();
    const k = key();
    if (op < 0.25) db.setString(k, 'v');
    else if (op < 0.4) db.setKey(k, new RObject(ObjType.List, []));
    else if (op < 0.5) {
      if (!db.hasKey(k)) db.add(k, new RObject(ObjType.String, 'x'));
    } else if (op < 0.7) db.delete(k);
    else if (op < 0.8) {
      // An expired key removed lazily on lookup.
      if (db.hasKey(k)) {
        db.setExpire(k, ks.now - 1);
        assert.equal(db.lookupRead(k), undefined);
      }
    } else if (op < 0.95) db.setString(k, 'w', true);
    else if (op < 0.952) db.clear();
  }
  const want = recount(db.table.keys());
  const idx = db.slots!;
  assert.equal(idx.size, db.size);
  for (let s = 0; s < 16384; s++) {
    const keys = want.get(s) ?? [];
    assert.equal(idx.count(s), keys.length, `slot ${s}`);
    assert.deepEqual(new Set(idx.keys(s, 1e9)), new Set(keys));
  }
});

test('Db without an index (cluster disabled, other dbs) keeps slots null', () => {
  const ks = new Keyspace(1, { keyModified: () => {}, keyExpired: () => {} });
  ks.dbs[0].setString('a', '1');
  assert.equal(ks.dbs[0].slots, null);
  const k2 = keyspace();
  k2.dbs[1].setString('a', '1');
  assert.equal(k2.dbs[1].slots, null);
  assert.equal(k2.dbs[0].slots!.size, 0);
});

test('rebuild (a dataset swapped in whole) recomputes the index from the keys', () => {
  const idx = new SlotIndex();
  idx.add('stale');
  idx.rebuild(['a', 'b', '{a}c']);
  assert.equal(idx.size, 3);
  assert.equal(idx.count(keyHashSlot('a')), 2);
  assert.equal(idx.count(keyHashSlot('stale')), keyHashSlot('stale') === keyHashSlot('a') ? 2 : 0);
});
