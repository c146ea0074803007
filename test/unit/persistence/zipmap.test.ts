import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeZipmap } from '../../../src/persistence/rdb/listpack.js';

/** A zipmap as Redis < 2.6 wrote it (zipmap.c): count, then <len>field<len><free>value<free bytes>, 0xFF. */
function zipmap(entries: [string, string, number][]): Buffer {
  const parts: number[] = [entries.length];
  const len = (n: number) => {
    if (n < 254) parts.push(n);
    else {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      parts.push(254, ...b);
    }
  };
  for (const [f, v, free] of entries) {
    len(f.length);
    parts.push(...Buffer.from(f, 'latin1'));
    len(v.length);
    parts.push(free, ...Buffer.from(v, 'latin1'), ...new Array(free).fill(0));
  }
  parts.push(255);
  return Buffer.from(parts);
}

test('decodeZipmap reads short and long lengths and skips free bytes', () => {
  const long = 'x'.repeat(300);
  assert.deepEqual(
    decodeZipmap(
      zipmap([
        ['f1', 'v1', 0],
        ['f2', long, 3],
        [long, '', 1],
      ]),
    ),
    ['f1', 'v1', 'f2', long, long, ''],
  );
});

test('decodeZipmap rejects truncated or trailing data', () => {
  const good = zipmap([['a', 'b', 0]]);
  assert.throws(() => decodeZipmap(good.subarray(0, good.length - 3)), /Zipmap/);
  assert.throws(() => decodeZipmap(Buffer.concat([good, Buffer.from([1])])), /Zipmap/);
});
