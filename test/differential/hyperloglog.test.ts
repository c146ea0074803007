/**
 * Differential tests of the HyperLogLog commands against redis-server 7.0: the raw HLL bytes (GET,
 * DUMP) after every kind of update, cached cardinality, sparse→dense promotion at
 * hll-sparse-max-bytes, PFMERGE/PFCOUNT unions, PFDEBUG, invalid and corrupted values, and 50k
 * seeded random elements into several keys compared reply by reply.
 */
import { test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

test('PFADD/PFCOUNT basics, cached cardinality bytes, GET and DUMP of the value', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['PFADD', 'h1'],
    ['PFADD', 'h1'],
    ['GET', 'h1'],
    ['PFCOUNT', 'h1'],
    ['PFADD', 'h1', 'a', 'b', 'c'],
    ['GET', 'h1'],
    ['PFADD', 'h1', 'a', 'b'],
    ['PFCOUNT', 'h1'],
    ['GET', 'h1'],
    ['PFCOUNT', 'h1'],
    ['PFADD', 'h1', '', 'x\x00y', '\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7'],
    ['GET', 'h1'],
    ['DUMP', 'h1'],
    ['PFCOUNT', 'nokey'],
    ['PFCOUNT', 'nokey', 'nokey2'],
    ['PFCOUNT', 'h1', 'nokey'],
    ['PFDEBUG', 'ENCODING', 'h1'],
    ['PFDEBUG', 'DECODE', 'h1'],
    ['PFSELFTEST'],
    ['PFADD'],
    ['PFCOUNT'],
  );
});

test('invalid values: WRONGTYPE, not an HLL, corrupted sparse data', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const hdr = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00';
  await same(
    ['LPUSH', 'lst', 'x'],
    ['PFADD', 'lst', 'a'],
    ['PFCOUNT', 'lst'],
    ['PFCOUNT', 'lst', 'nokey'],
    ['PFMERGE', 'lst', 'nokey'],
    ['PFMERGE', 'dst', 'lst'],
    ['PFDEBUG', 'ENCODING', 'lst'],
    ['SET', 'str', 'hello'],
    ['PFADD', 'str', 'a'],
    ['PFCOUNT', 'str'],
    ['PFCOUNT', 'str', 'str'],
    ['PFMERGE', 'str'],
    ['SET', 'num', '123456789'],
    ['PFADD', 'num', 'a'],
    ['SET', 'badenc', 'HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff'],
    ['PFCOUNT', 'badenc'],
    ['SET', 'baddense', 'HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'],
    ['PFADD', 'baddense', 'x'],
    ['SET', 'short', 'HYLL\x01'],
    ['PFCOUNT', 'short'],
    // Sparse opcodes covering fewer than 16384 registers (cache marked stale so PFCOUNT counts).
    ['SET', 'corrupt', `${hdr.slice(0, 15)}\x80\x7f\x00`],
    ['PFCOUNT', 'corrupt'],
    ['PFCOUNT', 'corrupt', 'nokey'],
    ['PFMERGE', 'dst2', 'corrupt'],
    ['EXISTS', 'dst2'],
    ['PFADD', 'corrupt', 'a', 'b', 'c'],
    ['PFDEBUG', 'GETREG', 'corrupt'],
    ['PFDEBUG', 'TODENSE', 'corrupt'],
    ['PFDEBUG', 'DECODE', 'corrupt'],
    // Valid cache bytes are trusted as Redis does.
    ['SET', 'cached', `HYLL\x01\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00\x7f\xff`],
    ['PFCOUNT', 'cached'],
    ['SET', 'hyll', hdr],
    ['PFCOUNT', 'hyll'],
    ['PFADD', 'hyll', 'q'],
  );
});

test('PFDEBUG subcommands and errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['PFADD', 'pd', 'a', 'b', 'c', 'd'],
    ['PFDEBUG', 'DECODE', 'pd'],
    ['PFDEBUG', 'encoding', 'pd'],
    ['PFDEBUG', 'GETREG', 'pd'],
    ['GET', 'pd'],
    ['PFDEBUG', 'ENCODING', 'pd'],
    ['PFDEBUG', 'DECODE', 'pd'],
    ['PFDEBUG', 'TODENSE', 'pd'],
    ['PFADD', 'pd2', 'z'],
    ['PFDEBUG', 'TODENSE', 'pd2'],
    ['GET', 'pd2'],
    ['PFCOUNT', 'pd2'],
    ['PFDEBUG', 'NOPE', 'pd'],
    ['PFDEBUG', 'NOPE', 'nokey'],
    ['PFDEBUG', 'GETREG', 'nokey'],
    ['PFDEBUG', 'GETREG', 'pd', 'extra'],
    ['PFDEBUG', 'ENCODING', 'pd', 'extra'],
    ['PFDEBUG', 'GETREG'],
    ['SET', 'plain', 'x'],
    ['PFDEBUG', 'ENCODING', 'plain'],
  );
});

test('PFMERGE: sparse and dense sources, destination included, new destination', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const cmds: Cmd[] = [];
  for (let i = 0; i < 40; i++) cmds.push(['PFADD', 'm1', `a${i}`, `b${i}`]);
  for (let i = 0; i < 3000; i += 10) cmds.push(['PFADD', 'm2', ...Array.from({ length: 10 }, (_, j) => `c${i + j}`)]);
  cmds.push(
    ['PFDEBUG', 'ENCODING', 'm2'],
    ['PFMERGE', 'm3', 'm1'],
    ['GET', 'm3'],
    ['PFMERGE', 'm3', 'm3'],
    ['PFMERGE', 'm4'],
    ['GET', 'm4'],
    ['PFMERGE', 'm1', 'nokey'],
    ['GET', 'm1'],
    ['PFMERGE', 'm5', 'm1', 'm2'],
    ['GET', 'm5'],
    ['PFCOUNT', 'm5'],
    ['PFCOUNT', 'm1', 'm2'],
    ['PFCOUNT', 'm1', 'm2', 'm3', 'nokey'],
    ['PFADD', 'm6', 'zz'],
    ['PFMERGE', 'm6', 'm1'],
    ['GET', 'm6'],
    ['PFMERGE', 'm6', 'm2'],
    ['PFDEBUG', 'ENCODING', 'm6'],
    ['GET', 'm6'],
    ['PFCOUNT', 'm6'],
    ['DUMP', 'm6'],
  );
  await same(...cmds);
});

test('sparse→dense promotion follows hll-sparse-max-bytes', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  for (const max of ['0', '30', '200', '3000', '12000']) {
    const cmds: Cmd[] = [
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', max],
      ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
      ['DEL', 'p'],
    ];
    for (let i = 0; i < 400; i++) {
      cmds.push(['PFADD', 'p', `e:${max}:${i}`]);
      if (i % 25 === 0) cmds.push(['PFDEBUG', 'ENCODING', 'p'], ['GET', 'p'], ['PFCOUNT', 'p']);
    }
    cmds.push(['GET', 'p'], ['PFMERGE', 'pm', 'p'], ['GET', 'pm'], ['DEL', 'pm']);
    await same(...cmds);
  }
  await same(['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
});

test('50k seeded random elements into several keys: replies, counts, merges and raw bytes', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const r = rng(0x4c4c);
  const int = (n: number) => Math.floor(r() * n);
  const keys = ['rh:a', 'rh:b', 'rh:c', 'rh:d', 'rh:e'];
  let added = 0;
  const elem = (): string | Buffer => {
    const x = r();
    if (x < 0.6) return `user:${int(40000)}`;
    return Buffer.from(Array.from({ length: int(33) }, () => int(256)));
  };
  while (added < 50000) {
    const k = keys[Math.min(keys.length - 1, Math.floor(r() * r() * keys.length))];
    const n = 1 + int(r() < 0.3 ? 3 : 40);
    const cmd: Cmd = ['PFADD', k];
    for (let i = 0; i < n; i++) cmd.push(elem());
    added += n;
    await same(cmd);
    if (r() < 0.05) await same(['PFCOUNT', k]);
    if (r() < 0.01) await same(['GET', k]);
  }
  for (const k of keys) await same(['PFDEBUG', 'ENCODING', k], ['GET', k], ['PFCOUNT', k], ['GET', k]);
  await same(
    ['PFCOUNT', ...keys],
    ['PFCOUNT', 'rh:d', 'rh:e'],
    ['PFMERGE', 'rh:all', ...keys],
    ['GET', 'rh:all'],
    ['PFCOUNT', 'rh:all'],
    ['GET', 'rh:all'],
    ['PFMERGE', 'rh:e', 'rh:d'],
    ['GET', 'rh:e'],
    ['DUMP', 'rh:a'],
    ['DUMP', 'rh:e'],
  );
});
