/**
 * DEBUG DIGEST's allocation-free SHA-1 (src/commands/server/digestSha1.ts) gives node:crypto's
 * SHA-1 for every length around the padding boundaries, long inputs, latin1 strings with bytes
 * above 0x7f, and when the output overwrites the input.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DigestSha1 } from '../../../src/commands/server/digestSha1.js';

const ref = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

test('DigestSha1 matches node:crypto SHA-1', () => {
  const h = new DigestSha1();
  const out = new Uint8Array(20);
  const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 4096, 4200, 100_000];
  for (const n of lengths) {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode((i * 131 + n) & 0xff);
    const b = Buffer.from(s, 'latin1');
    h.str(s, out);
    assert.equal(Buffer.from(out).toString('hex'), ref(b), `str of ${n} bytes`);
    h.bytes(b, 0, n, out);
    assert.equal(Buffer.from(out).toString('hex'), ref(b), `bytes of ${n} bytes`);
  }
  const d = Buffer.from('0123456789abcdefghij', 'latin1');
  const want = ref(d);
  h.bytes(d, 0, 20, d);
  assert.equal(d.toString('hex'), want, 'output over its own input');
});
