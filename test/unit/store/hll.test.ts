/**
 * Unit tests of src/store/hll.ts: MurmurHash64A on 32-bit halves against a BigInt transcription
 * of Redis's C function, pattern lengths, dense register packing, sparse and dense encodings of
 * the same elements agreeing register by register, and corrupted sparse data detected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_Q,
  HLL_REGISTERS,
  HLL_SPARSE,
  HllBuf,
  createHll,
  denseGet,
  denseSet,
  denseStrAddOne,
  hllPatLen,
  isHll,
  mergeInto,
  murmurHash64A,
} from '../../../src/store/hll.js';
import { rng } from '../../helpers/random.js';

const M64 = (1n << 64n) - 1n;

/** MurmurHash64A transcribed from Redis's hyperloglog.c with BigInt (the reference). */
function murmurRef(s: string, seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const len = s.length;
  let h = (seed ^ (BigInt(len) * m)) & M64;
  const n8 = len - (len & 7);
  for (let i = 0; i < n8; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(s.charCodeAt(i + j));
    k = (k * m) & M64;
    k ^= k >> 47n;
    k = (k * m) & M64;
    h ^= k;
    h = (h * m) & M64;
  }
  const rem = len & 7;
  if (rem) {
    for (let j = rem - 1; j >= 0; j--) h ^= BigInt(s.charCodeAt(n8 + j)) << BigInt(8 * j);
    h = (h * m) & M64;
  }
  h ^= h >> 47n;
  h = (h * m) & M64;
  h ^= h >> 47n;
  return h;
}

function randomString(r: () => number, maxLen: number): string {
  const n = Math.floor(r() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
  return s;
}

describe('hll store', () => {
  it('MurmurHash64A matches the BigInt reference for random binary strings of every tail length', () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const s = randomString(r, 40);
      const [hi, lo] = murmurHash64A(s, 0xadc83b19);
      assert.equal((BigInt(hi) << 32n) | BigInt(lo), murmurRef(s, 0xadc83b19n), JSON.stringify(s));
    }
  });

  it('pattern length is 1..Q+1 and the index is the low 14 bits of the hash', () => {
    const r = rng(8);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(r, 20);
      const [index, count] = hllPatLen(s);
      const h = murmurRef(s, 0xadc83b19n);
      assert.equal(BigInt(index), h & 16383n);
      let rest = (h >> 14n) | (1n << BigInt(HLL_Q));
      let want = 1;
      while ((rest & 1n) === 0n) {
        want++;
        rest >>= 1n;
      }
      assert.equal(count, want);
    }
  });

  it('dense registers keep their 6-bit values without touching neighbours', () => {
    const b = Buffer.alloc(HLL_DENSE_SIZE);
    const want = new Uint8Array(HLL_REGISTERS);
    const r = rng(9);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      want[i] = Math.floor(r() * 64);
      denseSet(b, HLL_HDR_SIZE, i, want[i]);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) assert.equal(denseGet(b, HLL_HDR_SIZE, i), want[i]);
  });

  it('sparse and dense encodings of the same elements hold the same registers and counts', () => {
    const sparse = new HllBuf(createHll());
    const dense = new HllBuf(createHll());
    assert.ok(dense.sparseToDense());
    assert.equal(sparse.encoding, HLL_SPARSE);
    assert.equal(dense.encoding, HLL_DENSE);
    const r = rng(10);
    for (let i = 0; i < 1500; i++) {
      const s = randomString(r, 12);
      assert.equal(sparse.add(s, 1 << 20), dense.add(s, 1 << 20));
      if (i % 250 === 0) assert.equal(sparse.count(), dense.count());
    }
    assert.equal(sparse.encoding, HLL_SPARSE);
    const a = new Uint8Array(HLL_REGISTERS);
    const b = new Uint8Array(HLL_REGISTERS);
    assert.ok(mergeInto(a, sparse.toString()));
    assert.ok(mergeInto(b, dense.toString()));
    assert.deepEqual(a, b);
    assert.ok(isHll(sparse.toString()) && isHll(dense.toString()));
  });

  it('the single-element dense splice gives the same bytes as the Buffer path', () => {
    const h = new HllBuf(createHll());
    assert.ok(h.sparseToDense());
    let viaBuf = h.toString();
    let viaStr = viaBuf;
    const r = rng(11);
    for (let i = 0; i < 3000; i++) {
      const e = randomString(r, 10);
      const b = new HllBuf(viaBuf);
      const changed = b.add(e, 3000);
      if (changed === 1) b.invalidateCache();
      viaBuf = b.toString();
      const n = denseStrAddOne(viaStr, e);
      assert.equal(n !== null, changed === 1);
      if (n !== null) viaStr = n;
      assert.equal(viaStr, viaBuf);
    }
  });

  it('an empty HLL counts 0; corrupted sparse opcodes are detected', () => {
    assert.equal(new HllBuf(createHll()).count(), 0);
    const bad = `${createHll().slice(0, HLL_HDR_SIZE)}\x80\x7f\x00`;
    assert.equal(new HllBuf(bad).count(), -1);
    assert.equal(new HllBuf(bad).sparseToDense(), false);
    assert.equal(mergeInto(new Uint8Array(HLL_REGISTERS), bad), false);
    assert.equal(isHll('HYLL\x02'), false);
    assert.equal(isHll(`HYLL\x00${'\0'.repeat(11)}`), false);
  });
});
