/** The integer syntax of the store (Redis string2ll): the string and the byte-range parsers agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInt64, parseInt64Bytes } from '../../../src/store/int64.js';

test('parseInt64Bytes agrees with parseInt64 (string2ll) on edge and random inputs', () => {
  const inputs = ['', '0', '-0', '01', '-', '+1', ' 1', '1 ', '9', '-9', '123', '999999999999999', '1000000000000000',
    '9007199254740991', '9007199254740993', '-9223372036854775808', '9223372036854775807', '9223372036854775808',
    '-9223372036854775809', '12a', '1.5', '18446744073709551616', '123456789012345678901'];
  let seed = 5;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 2000; i++) {
    const len = 1 + Math.floor(r() * 21);
    let s = r() < 0.3 ? '-' : '';
    for (let j = 0; j < len; j++) s += r() < 0.97 ? String(Math.floor(r() * 10)) : 'x';
    inputs.push(s);
  }
  for (const s of inputs) {
    const buf = Buffer.from(`ab${s}cd`, 'latin1');
    assert.deepEqual(parseInt64Bytes(buf, 2, 2 + s.length), parseInt64(s), JSON.stringify(s));
  }
});
