/** RDB primitives: CRC64 (Jones), LZF, string encodings, whole-file round trip, DUMP payloads. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Crc64, crc64 } from '../../../src/persistence/rdb/crc64.js';
import { lzfCompress, lzfDecompress } from '../../../src/persistence/rdb/lzf.js';
import {
  decodeRdb,
  dumpPayload,
  encodeRdb,
  RdbError,
  RdbReader,
  RdbWriter,
  restorePayload,
  verifyDumpPayload,
} from '../../../src/persistence/rdb/rdb.js';
import { Keyspace, type KeyspaceHooks, ObjType, RObject } from '../../../src/store/db.js';

/** No-op keyspace hooks (whatever callbacks the Keyspace grows). */
const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('crc64', () => {
  it('matches the Jones check value used by Redis', () => {
    assert.equal(crc64(Buffer.from('123456789')).readBigUInt64LE(0), 0xe9c6d914c4b8d9can);
    assert.equal(crc64(Buffer.alloc(0)).readBigUInt64LE(0), 0n);
  });
  it('slicing-by-8 agrees with a bit-at-a-time reference at every length, offset and chunking', () => {
    // Reference: Redis crc64.c's _crc64 bit loop (reflected Jones polynomial), in BigInt.
    const POLY = 0x95ac9329ac4bc9b5n;
    const ref = (b: Uint8Array): bigint => {
      let crc = 0n;
      for (const byte of b) {
        crc ^= BigInt(byte);
        for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
      }
      return crc;
    };
    const r = rng(7);
    const big = Buffer.alloc(300);
    for (let i = 0; i < big.length; i++) big[i] = Math.floor(r() * 256);
    // Short inputs take the byte loops; 64 bytes and more the aligned word loop (any alignment of
    // the start, also in a view whose byteOffset is odd).
    const lens = [...Array(41).keys(), 63, 64, 65, 71, 72, 73, 100, 137, 200, 290];
    for (const len of lens) {
      for (const off of [0, 1, 2, 3, 7]) {
        const part = big.subarray(off, off + len);
        assert.equal(crc64(big, off, off + len).readBigUInt64LE(0), ref(part), `len ${len} off ${off}`);
        const view = big.subarray(1);
        if (off + len < view.length) assert.equal(crc64(view, off, off + len).readBigUInt64LE(0), ref(view.subarray(off, off + len)), `view len ${len} off ${off}`);
      }
    }
    assert.equal(crc64(big).readBigUInt64LE(0), ref(big));
    const c = new Crc64();
    for (let at = 0; at < big.length; ) {
      const n = Math.min(big.length - at, Math.floor(r() * 23));
      c.update(big, at, at + n);
      at += n;
    }
    assert.equal(c.value, ref(big));
  });
});

describe('lzf', () => {
  it('round-trips random and repetitive data', () => {
    const r = rng(42);
    for (let n = 0; n < 300; n++) {
      const len = Math.floor(r() * 5000) + 3;
      const alphabet = Math.floor(r() * 255) + 1;
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = r() < 0.5 && i > 10 ? b[i - 1 - Math.floor(r() * 10)] : Math.floor(r() * alphabet);
      const c = lzfCompress(b, len + (len >> 4) + 16);
      assert.ok(c !== null);
      assert.deepEqual(lzfDecompress(c, len), b);
    }
  });
  it('returns null when the output does not fit', () => {
    const b = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
    assert.equal(lzfCompress(b, b.length - 4), null);
  });
  it('rejects corrupt input', () => {
    assert.throws(() => lzfDecompress(Buffer.from([0xe0, 0xff, 0xff]), 100));
    assert.throws(() => lzfDecompress(Buffer.from([5, 1, 2]), 6));
  });
});

describe('rdb strings', () => {
  it('uses integer encodings for canonical integers only', () => {
    const cases: [string, number[]][] = [
      ['0', [0xc0, 0]],
      ['-128', [0xc0, 0x80]],
      ['300', [0xc1, 0x2c, 0x01]],
      ['70000', [0xc2, 0x70, 0x11, 0x01, 0x00]],
      ['007', [3, 0x30, 0x30, 0x37]],
      ['-0', [2, 0x2d, 0x30]],
      ['4294967296', [10, ...Buffer.from('4294967296')]],
    ];
    for (const [s, bytes] of cases) {
      const w = new RdbWriter(8);
      w.string(s);
      assert.deepEqual([...w.result()], bytes, s);
      assert.equal(new RdbReader(Buffer.from(w.result())).string(), s);
    }
  });
  it('encodes lengths in 6, 14, 32 bits', () => {
    for (const n of [0, 63, 64, 16383, 16384, 2 ** 32 - 1]) {
      const w = new RdbWriter(8);
      w.len(n);
      assert.equal(new RdbReader(Buffer.from(w.result())).len(), n);
    }
  });
});

describe('rdb files', () => {
  it('round-trips dbs, binary keys, expires and compressed values; skips expired keys', () => {
    const ks = new Keyspace(16, hooks);
    const now = Date.now();
    ks.dbs[0].add('a', new RObject(ObjType.String, '12345'));
    ks.dbs[0].add('\x00\xff\r\n', new RObject(ObjType.String, 'x'.repeat(1000)));
    ks.dbs[0].add('ttl', new RObject(ObjType.String, 'v'));
    ks.dbs[0].setExpire('ttl', now + 100000);
    ks.dbs[0].add('gone', new RObject(ObjType.String, 'v'));
    ks.dbs[0].setExpire('gone', now - 1);
    ks.dbs[15].add('b', new RObject(ObjType.String, '\x80'.repeat(70000)));
    const img = encodeRdb(ks);
    assert.equal(img.toString('latin1', 0, 9), 'REDIS0010');
    const ks2 = new Keyspace(16, hooks);
    const info = decodeRdb(Buffer.from(img), ks2);
    assert.equal(info.keys, 4);
    assert.equal(info.expiredSkipped, 1);
    assert.equal(ks2.dbs[0].table.get('\x00\xff\r\n')?.value, 'x'.repeat(1000));
    assert.equal(ks2.dbs[0].getExpire('ttl'), now + 100000);
    assert.equal(ks2.dbs[15].table.get('b')?.value, '\x80'.repeat(70000));
    assert.equal(info.aux.get('redis-ver'), '7.0.15');
  });
  it('string values of every length around the inline limit (44) and the 6-bit length (63) load alike, also over existing keys', () => {
    const ks = new Keyspace(16, hooks);
    const vals = new Map<string, string>();
    for (let n = 0; n <= 70; n++) vals.set(`s${n}`, String.fromCharCode(...Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)));
    for (const v of ['0', '-1', '127', '32768', '-2147483648', '123456789012', ' 12', 'value:1']) vals.set(`i${v}`, v);
    for (const [k, v] of vals) ks.dbs[0].add(k, new RObject(ObjType.String, v));
    ks.dbs[0].setExpire('s10', Date.now() + 100000);
    const img = Buffer.from(encodeRdb(ks));
    const ks2 = new Keyspace(16, hooks);
    // Existing keys are replaced (allowDup, as DEBUG RELOAD): the inline path must not add twice.
    ks2.dbs[0].add('s3', new RObject(ObjType.String, 'old'));
    ks2.dbs[0].add('s50', new RObject(ObjType.String, 'old'));
    const info = decodeRdb(img, ks2);
    assert.equal(info.keys, vals.size);
    assert.equal(ks2.dbs[0].size, vals.size);
    for (const [k, v] of vals) assert.equal(ks2.dbs[0].table.get(k)?.value, v, k);
    assert.equal(ks2.dbs[0].getExpire('s10') !== undefined, true);
    // Without allowDup a duplicate is an error (the inline path included).
    const ks3 = new Keyspace(16, hooks);
    ks3.dbs[0].add('s3', new RObject(ObjType.String, 'old'));
    assert.throws(() => decodeRdb(img, ks3, Date.now(), true, false), /duplicated key 's3'/);
  });
  it('rejects bad checksum, truncation and bad signature with an offset', () => {
    const ks = new Keyspace(16, hooks);
    ks.dbs[0].add('k', new RObject(ObjType.String, 'hello world'));
    const img = Buffer.from(encodeRdb(ks));
    const flipped = Buffer.from(img);
    flipped[img.length - 12] ^= 0x01;
    assert.throws(() => decodeRdb(flipped, new Keyspace(16, hooks)), RdbError);
    assert.throws(() => decodeRdb(img.subarray(0, img.length - 5), new Keyspace(16, hooks)), /Unexpected EOF/);
    const bad = Buffer.from(img);
    bad[0] = 0x58;
    assert.throws(() => decodeRdb(bad, new Keyspace(16, hooks)), /Wrong signature/);
  });
});

describe('DUMP payloads', () => {
  it('are byte-identical to Redis 7.0 for int, raw and LZF strings', () => {
    const hex = (o: RObject) => Buffer.from(dumpPayload(o), 'latin1').toString('hex');
    // Captured from redis-server 7.0: DUMP of "1" and of 300 times "x".
    assert.equal(hex(new RObject(ObjType.String, '1')), '00c0010a002678e7b6d10111fc');
    const lz = Buffer.from('00c30c412c017878e0ff00e017000178780a00f033195a8b660d84', 'hex');
    assert.equal(hex(new RObject(ObjType.String, 'x'.repeat(300))), lz.toString('hex'));
    // Longer, less regular data exercises hash collisions and long matches like liblzf.
    const w = new RdbWriter(16);
    w.string('abcabcabd'.repeat(40));
    assert.equal(new RdbReader(Buffer.from(w.result())).string(), 'abcabcabd'.repeat(40));
  });
  it('verify and restore; reject corrupt footers', () => {
    const p = Buffer.from(dumpPayload(new RObject(ObjType.String, 'hello')), 'latin1');
    assert.ok(verifyDumpPayload(p));
    assert.equal(restorePayload(p).value, 'hello');
    const bad = Buffer.from(p);
    bad[2] ^= 1;
    assert.equal(verifyDumpPayload(bad), false);
    const newer = Buffer.from(p);
    newer[newer.length - 10] = 11;
    assert.equal(verifyDumpPayload(newer), false);
  });
});
