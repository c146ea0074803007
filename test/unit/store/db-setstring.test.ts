/**
 * Db.setString (SET/MSET write path): same effects as lookupWrite + setKey with fewer Map
 * operations. Checks seq (insertion order), type replacement, TTL handling and the hooks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Db, Keyspace, ObjType, RObject } from '../../../src/store/db.js';

function setup(): { ks: Keyspace; db: Db; modified: string[]; added: string[]; before: string[] } {
  const modified: string[] = [];
  const added: string[] = [];
  const before: string[] = [];
  const ks = new Keyspace(1, {
    keyModified: (_db, k) => modified.push(k),
    keyAdded: (_db, k) => added.push(k),
    keyExpired: () => {},
  });
  ks.beforeWrite = (_db, k) => before.push(k);
  return { ks, db: ks.dbs[0], modified, added, before };
}

test('setString: new key gets a new seq and fires beforeWrite, keyModified, keyAdded', () => {
  const { db, modified, added, before } = setup();
  assert.equal(db.setString('a', '1'), false);
  assert.equal(db.setString('b', '2'), false);
  const a = db.table.get('a');
  const b = db.table.get('b');
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(a.type, ObjType.String);
  assert.ok(b.seq > a.seq && a.seq > 0);
  assert.deepEqual(modified, ['a', 'b']);
  assert.deepEqual(added, ['a', 'b']);
  assert.deepEqual(before, ['a', 'b']);
});

test('setString: existing string key is overwritten in place (same seq and place), TTL removed unless keepTtl', () => {
  const { db, modified, added, before } = setup();
  db.setString('a', '1');
  db.setString('z', '1');
  const seq = db.table.get('a')?.seq;
  db.setExpire('a', Date.now() + 100000);
  assert.equal(db.setString('a', '2', true), true);
  assert.equal(db.table.get('a')?.value, '2');
  assert.equal(db.table.get('a')?.seq, seq);
  assert.notEqual(db.getExpire('a'), -1);
  assert.equal(db.setString('a', '3'), true);
  assert.equal(db.getExpire('a'), -1);
  assert.equal(db.table.get('a')?.value, '3');
  assert.deepEqual([...db.table.keys()], ['a', 'z']);
  // A long value (kept as an object, not inline) is overwritten in that same object.
  db.setString('a', 'L'.repeat(100));
  const o = db.table.get('a');
  db.setString('a', 'M'.repeat(100));
  assert.equal(db.table.get('a'), o);
  assert.equal(o?.value, 'M'.repeat(100));
  assert.equal(o?.seq, seq);
  db.delete('z');
  assert.deepEqual(added, ['a', 'z']);
  assert.deepEqual(modified, ['a', 'z', 'a', 'a', 'a', 'a', 'z']);
  assert.ok(before.length >= 3);
});

test('setString: a key of another type is replaced by a string, keeping its seq', () => {
  const { db } = setup();
  db.setKey('z', new RObject(ObjType.Hash, new Map()));
  const seq = db.table.get('z')?.seq;
  assert.equal(db.setString('z', 'v'), true);
  const o = db.table.get('z');
  assert.equal(o?.type, ObjType.String);
  assert.equal(o?.value, 'v');
  assert.equal(o?.seq, seq);
});

test('setString: an expired key counts as absent', () => {
  const { ks, db } = setup();
  db.setString('e', '1');
  db.setExpire('e', ks.now - 1);
  assert.equal(db.setString('e', '2'), false);
  assert.equal(db.getExpire('e'), -1);
  assert.equal(ks.stats.expired_keys, 1);
});

test('storeInteger writes the digits over an inline value (shorter, equal, negative) and falls back when longer', () => {
  const { db } = setup();
  const cases: [string, number][] = [
    ['9', 10], // longer: storeString
    ['100', 7], // shorter
    ['-5', 12], // equal length
    ['42', -3],
    ['1000', -100],
    ['0', 0],
    ['123456789012345', -9007199254740991], // longer, negative
    ['-9007199254740991', 9007199254740991],
  ];
  for (const [before, n] of cases) {
    db.setString('k', before);
    const seq = (db.table.get('k') as RObject).seq;
    assert.equal(db.lookupWriteView('k') !== undefined, true);
    db.storeInteger('k', n);
    const o = db.table.get('k') as RObject;
    assert.equal(o.value, String(n), `${before} -> ${n}`);
    assert.equal(o.seq, seq, 'same key, same seq');
  }
  // A value kept as an object (not inline): storeString's path.
  db.setKey('big', new RObject(ObjType.String, 'x'.repeat(100)));
  db.storeInteger('big', 5);
  assert.equal((db.table.get('big') as RObject).value, '5');
});
