/**
 * Loads an RDB written by redis-server 7.0.15 (test/fixtures/redis7-alltypes.rdb: every type in
 * each encoding, an expire, a second db), re-encodes it and loads the result again: same content.
 * Also listpack / intset / ziplist blob codecs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeIntset, decodeListpack, decodeZiplist, encodeIntset, encodeListpack } from '../../../src/persistence/rdb/listpack.js';
import { decodeRdb, encodeRdb } from '../../../src/persistence/rdb/rdb.js';
import '../../../src/persistence/rdb/types.js';
import { type Keyspace, Keyspace as KS, type KeyspaceHooks, ObjType } from '../../../src/store/db.js';
import type { RHash } from '../../../src/store/hash.js';
import type { QuickList } from '../../../src/store/quicklist.js';
import type { RSet } from '../../../src/store/set.js';
import type { ZSet } from '../../../src/store/zset.js';

const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;
const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'redis7-alltypes.rdb');

/** A canonical dump of a keyspace for comparisons. */
function snapshot(ks: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const db of ks.dbs) {
    for (const [k, o] of db.table) {
      let v: unknown;
      if (o.type === ObjType.String) v = o.value;
      else if (o.type === ObjType.List) v = [...(o.value as QuickList)];
      else if (o.type === ObjType.Set) v = [...(o.value as RSet).members].sort();
      else if (o.type === ObjType.Hash) v = [...(o.value as RHash)].sort();
      else v = [...(o.value as ZSet)];
      out[`${db.id}:${k}`] = { v, ttl: db.getExpire(k), enc: (o.value as { encoding?: string }).encoding };
    }
  }
  return out;
}

describe('redis-server 7.0 RDB fixture', () => {
  it('loads every type and encoding, and survives a Keydra save/load round trip', () => {
    const ks = new KS(16, hooks);
    const info = decodeRdb(fs.readFileSync(FIXTURE), ks);
    assert.equal(info.keys, 12);
    const s = snapshot(ks);
    assert.deepEqual((s['0:l'] as { v: string[] }).v, ['a', '1', '-5000', '70000', '9999999999']);
    assert.equal((s['0:lbig'] as { v: string[] }).v.length, 300);
    assert.deepEqual((s['0:si'] as { v: string[]; enc: string }).enc, 'intset');
    assert.deepEqual((s['0:z'] as { v: unknown }).v, [
      ['c', -0.1],
      ['a', 1],
      ['b', 2.5],
      ['d', Number.POSITIVE_INFINITY],
    ]);
    assert.equal((s['0:zbig'] as { enc: string }).enc, 'skiplist');
    assert.equal((s['0:hbig'] as { enc: string }).enc, 'hashtable');
    assert.equal((s['0:e'] as { ttl: number }).ttl, 4102444800000);
    assert.equal((s['2:d2'] as { v: string }).v, 'two');
    const again = new KS(16, hooks);
    decodeRdb(Buffer.from(encodeRdb(ks)), again);
    assert.deepEqual(snapshot(again), s);
  });
});

describe('blob codecs', () => {
  it('listpack round-trips strings and every integer width', () => {
    const items = [
      '',
      'a',
      'x'.repeat(63),
      'x'.repeat(64),
      'y'.repeat(5000),
      '0',
      '127',
      '128',
      '-1',
      '-4096',
      '4095',
      '4096',
      '-32769',
      '8388607',
      '-2147483649',
      '9223372036854775807',
      '-9223372036854775808',
      '01',
      '1.5',
    ];
    assert.deepEqual(decodeListpack(encodeListpack(items)), items);
  });
  it('intset round-trips and picks the width', () => {
    assert.deepEqual(decodeIntset(encodeIntset(['-2', '1', '300'])), ['-2', '1', '300']);
    assert.equal(encodeIntset(['1', '70000']).readUInt32LE(0), 4);
    assert.deepEqual(decodeIntset(encodeIntset(['1', '5000000000'])), ['1', '5000000000']);
  });
  it('ziplist decodes strings and integers', () => {
    // zlbytes, zltail, zllen, entries: "ab" (prevlen 0, 6-bit str), 5 (imm), -3000 (int16), end.
    const entries = Buffer.from([0x00, 0x02, 0x61, 0x62, 0x04, 0xf6, 0x02, 0xc0, 0x48, 0xf4]);
    const b = Buffer.alloc(10 + entries.length + 1);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt32LE(10, 4);
    b.writeUInt16LE(3, 8);
    entries.copy(b, 10);
    b[b.length - 1] = 0xff;
    assert.deepEqual(decodeZiplist(b), ['ab', '5', '-3000']);
  });
});
