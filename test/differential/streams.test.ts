/**
 * Stream commands without consumer groups against a real redis-server 7.0: XADD, XLEN, XRANGE,
 * XREVRANGE, XDEL, XTRIM, XSETID, XREAD and XINFO STREAM, raw replies compared byte for byte.
 * IDs are explicit so replies are deterministic; `*` replies are checked for shape only.
 * Node-boundary behaviour (`~` trimming, radix-tree-keys/nodes) is compared on streams large
 * enough to span many nodes, with small and large (> node byte limit) entries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cmd, Differential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

const MAX = '18446744073709551615';

describe('streams (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('XADD with explicit, partial and edge IDs; errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '1-2', 'a', '2', 'b', '3'],
      ['XADD', 's', '2', 'a', '3'],
      ['XADD', 's', '2-*', 'x', 'y'],
      ['XADD', 's', '5-*', 'x', 'y'],
      ['XADD', 's', '0-0', 'a', 'b'],
      ['XADD', 's', '0', 'a', 'b'],
      ['XADD', 's', '0-*', 'a', 'b'],
      ['XADD', 's', '1', 'a', 'b'],
      ['XADD', 's', '5-0', 'a', 'b'],
      ['XADD', 's', '3-1'],
      ['XADD', 's', '3-1', 'a'],
      ['XADD', 's', '3-1', 'a', 'b', 'c'],
      ['XADD', 's', 'nomkstream', '6-0', 'a', 'b'],
      ['XADD', 'nokey', 'NOMKSTREAM', '6-0', 'a', 'b'],
      ['EXISTS', 'nokey'],
      ['XADD', 's', 'abc', 'a', 'b'],
      ['XADD', 's', '-1', 'a', 'b'],
      ['XADD', 's', '1-x', 'a', 'b'],
      ['XADD', 's', '+', 'a', 'b'],
      ['XADD', 's', '-', 'a', 'b'],
      ['XADD', 's', '7-', 'a', 'b'],
      ['XADD', 's', '007-1', 'a', 'b'],
      ['XADD', 's', `${MAX}0-1`, 'a', 'b'],
      ['XADD', 'e', `${MAX}-${'18446744073709551614'}`, 'a', 'b'],
      ['XADD', 'e', `${MAX}-*`, 'a', 'b'],
      ['XADD', 'e', `${MAX}-*`, 'a', 'b'],
      ['XADD', 'e', '*', 'a', 'b'],
      ['XADD', 'e2', '5-18446744073709551615', 'a', 'b'],
      ['XADD', 'e2', '5-*', 'a', 'b'],
      ['XADD', 'e2', '6-*', 'a', 'b'],
      ['XRANGE', 's', '-', '+'],
      ['XRANGE', 'e', '-', '+'],
      ['XRANGE', 'e2', '-', '+'],
      ['XLEN', 's'],
      ['XLEN', 'nokey'],
      ['XADD', 'bin', '1-1', 'f\x00\xff', 'v\r\n\x00'],
      ['XADD', 'bin', '1-2', '', ''],
      ['XRANGE', 'bin', '-', '+'],
    );
    // Auto IDs: same shape, increasing.
    const [a, b] = await Promise.all([d.r.call('XADD', 'auto', '*', 'f', 'v'), d.k.call('XADD', 'auto', '*', 'f', 'v')]);
    assert.match(String(b), /^\d+-0$/);
    assert.match(String(a), /^\d+-0$/);
    const k2 = String(await d.k.call('XADD', 'auto', '*', 'f', 'v'));
    const [ms1, seq1] = String(b).split('-').map(BigInt);
    const [ms2, seq2] = k2.split('-').map(BigInt);
    assert.ok(ms2 > ms1 || (ms2 === ms1 && seq2 === seq1 + 1n));
  });

  it('XRANGE / XREVRANGE: bounds, exclusive, incomplete IDs, COUNT, errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'r']];
    for (let ms = 1; ms <= 5; ms++) for (let seq = 0; seq < 3; seq++) cmds.push(['XADD', 'r', `${ms}-${seq}`, 'f', `${ms}.${seq}`]);
    await d.same(...cmds);
    await d.same(
      ['XRANGE', 'r', '-', '+'],
      ['XRANGE', 'r', '-', '+', 'COUNT', '4'],
      ['XRANGE', 'r', '-', '+', 'count', '0'],
      ['XRANGE', 'r', '-', '+', 'COUNT', '-3'],
      ['XRANGE', 'r', '-', '+', 'COUNT', '2', 'COUNT', '3'],
      ['XRANGE', 'r', '2', '3'],
      ['XRANGE', 'r', '2-1', '3-1'],
      ['XRANGE', 'r', '(2-1', '(3-1'],
      ['XRANGE', 'r', '(2', '+'],
      ['XRANGE', 'r', '-', '(3'],
      ['XRANGE', 'r', '(1-0', '(1-1'],
      ['XRANGE', 'r', '4', '2'],
      ['XRANGE', 'r', '(-', '+'],
      ['XRANGE', 'r', '-', '(+'],
      ['XRANGE', 'r', `(${MAX}-${MAX}`, '+'],
      ['XRANGE', 'r', '-', '(0-0'],
      ['XRANGE', 'r', '(', '+'],
      ['XRANGE', 'r', 'x', '+'],
      ['XRANGE', 'r', '-', '+', 'COUNT'],
      ['XRANGE', 'r', '-', '+', 'COUNT', 'x'],
      ['XRANGE', 'r', '-', '+', 'LIMIT', '1'],
      ['XRANGE', 'nokey', '-', '+'],
      ['XRANGE', 'nokey', 'x', '+'],
      ['XREVRANGE', 'r', '+', '-'],
      ['XREVRANGE', 'r', '+', '-', 'COUNT', '4'],
      ['XREVRANGE', 'r', '3', '2'],
      ['XREVRANGE', 'r', '(3-2', '(2-0'],
      ['XREVRANGE', 'r', '2', '3'],
      ['XREVRANGE', 'r', '+', '-', 'COUNT', '0'],
      ['XREVRANGE', 'nokey', '+', '-'],
      ['XREVRANGE', 'r', `${MAX}`, '5-1'],
    );
  });

  it('XDEL, XLEN, XSETID, XINFO STREAM counters (max-deleted-entry-id, entries-added, first entry)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['DEL', 'x'],
      ['XADD', 'x', '1-1', 'a', '1'],
      ['XADD', 'x', '2-1', 'a', '2'],
      ['XADD', 'x', '3-1', 'a', '3'],
      ['XADD', 'x', '4-1', 'b', '4'],
      ['XDEL', 'x', '2-1', '9-9', '2-1'],
      ['XDEL', 'x', 'bad'],
      ['XDEL', 'x', '1-1', 'bad'],
      ['XDEL', 'nokey', 'bad'],
      ['XLEN', 'x'],
      ['XINFO', 'STREAM', 'x'],
      ['XDEL', 'x', '1-1'],
      ['XINFO', 'STREAM', 'x'],
      ['XDEL', 'x', '4-1'],
      ['XINFO', 'STREAM', 'x'],
      ['XDEL', 'x', '3-1'],
      ['XINFO', 'STREAM', 'x'],
      ['XRANGE', 'x', '-', '+'],
      ['EXISTS', 'x'],
      ['XADD', 'x', '5-1', 'a', '5'],
      ['XINFO', 'STREAM', 'x'],
      ['XSETID', 'x', '5-0'],
      ['XSETID', 'x', '6-0'],
      ['XSETID', 'x', '4-0'],
      ['XSETID', 'x', '10-0', 'ENTRIESADDED', '0'],
      ['XSETID', 'x', '10-0', 'ENTRIESADDED', '-1'],
      ['XSETID', 'x', '10-0', 'ENTRIESADDED', 'x'],
      ['XSETID', 'x', '10-0', 'ENTRIESADDED', '100', 'MAXDELETEDID', '9-0'],
      ['XSETID', 'x', '10-0', 'MAXDELETEDID', '11-0'],
      ['XSETID', 'x', '8-0'],
      ['XSETID', 'x', '10-0', 'foo'],
      ['XSETID', 'x', '10-0', 'ENTRIESADDED'],
      ['XSETID', 'x', 'bad'],
      ['XSETID', 'x', '+'],
      ['XSETID', 'nokey', '1-1'],
      ['XSETID', 'nokey', 'bad'],
      ['XINFO', 'STREAM', 'x'],
      ['XADD', 'x', '10-0', 'a', 'b'],
      ['XADD', 'x', '10-*', 'a', 'b'],
      ['XINFO', 'STREAM', 'x'],
      ['XADD', 'y', '1-1', 'a', '1'],
      ['XDEL', 'y', '1-1'],
      ['XSETID', 'y', '0-5'],
      ['XSETID', 'y', '1-0'],
      ['XINFO', 'STREAM', 'y'],
    );
  });

  it('XTRIM and XADD trimming: MAXLEN/MINID, = and ~, LIMIT, node boundaries, errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const fill = (key: string, n: number, from = 1, value = (i: number) => `v${i}`): Cmd[] => {
      const out: Cmd[] = [['DEL', key]];
      for (let i = from; i < from + n; i++) out.push(['XADD', key, `${i}-0`, 'field', value(i)]);
      return out;
    };
    await d.same(...fill('t', 350));
    await d.same(
      ['XINFO', 'STREAM', 't'],
      ['XTRIM', 't', 'MAXLEN', '~', '300'],
      ['XTRIM', 't', 'MAXLEN', '~', '200'],
      ['XLEN', 't'],
      ['XTRIM', 't', 'MAXLEN', '~', '10', 'LIMIT', '50'],
      ['XTRIM', 't', 'MAXLEN', '~', '10', 'LIMIT', '100'],
      ['XTRIM', 't', 'MAXLEN', '~', '10', 'LIMIT', '0'],
      ['XINFO', 'STREAM', 't'],
      ['XTRIM', 't', 'MAXLEN', '=', '120'],
      ['XINFO', 'STREAM', 't'],
      ['XTRIM', 't', 'MAXLEN', '119'],
      ['XTRIM', 't', 'MINID', '~', '260'],
      ['XTRIM', 't', 'MINID', '260'],
      ['XRANGE', 't', '-', '+', 'COUNT', '2'],
      ['XTRIM', 't', 'minid', '=', '300-0'],
      ['XINFO', 'STREAM', 't'],
      ['XTRIM', 't', 'MAXLEN', '0'],
      ['XINFO', 'STREAM', 't'],
      ['XTRIM', 't', 'MAXLEN', '-1'],
      ['XTRIM', 't', 'MAXLEN', 'x'],
      ['XTRIM', 't', 'MINID', 'x'],
      ['XTRIM', 't', 'MINID', '-'],
      ['XTRIM', 't', 'MAXLEN', '1', 'MINID', '1'],
      ['XTRIM', 't', 'MAXLEN', '1', 'LIMIT', '10'],
      ['XTRIM', 't', 'MAXLEN', '~', '1', 'LIMIT', '-1'],
      ['XTRIM', 't', 'LIMIT', '10'],
      ['XTRIM', 't', 'FOO', '10'],
      ['XTRIM', 't', 'MAXLEN', '~'],
      ['XTRIM', 'nokey', 'MAXLEN', '1'],
    );
    // XADD with trimming; the stream keeps growing past node limits.
    const cmds: Cmd[] = fill('u', 250);
    for (let i = 251; i <= 420; i += 13) {
      cmds.push(['XADD', 'u', 'MAXLEN', '~', '100', `${i}-0`, 'field', `v${i}`]);
      cmds.push(['XLEN', 'u']);
    }
    cmds.push(
      ['XADD', 'u', 'MAXLEN', '50', '500-0', 'a', 'b'],
      ['XADD', 'u', 'MINID', '~', '490', 'LIMIT', '10', '501-0', 'a', 'b'],
      ['XADD', 'u', 'MINID', '499', '502-0', 'a', 'b'],
      ['XADD', 'u', 'MAXLEN', '~', '0', 'LIMIT', '1000', '503-0', 'a', 'b'],
      ['XADD', 'u', 'MAXLEN', '1', 'LIMIT', '5', '504-0', 'a', 'b'],
      ['XADD', 'u', 'LIMIT', '5', '504-0', 'a', 'b'],
      ['XADD', 'u', 'MAXLEN', '-1', '504-0', 'a', 'b'],
      ['XADD', 'u', 'MAXLEN', '~', '1', 'LIMIT', 'x', '504-0', 'a', 'b'],
      ['XADD', 'u', 'MAXLEN', '1', 'MINID', '1', '504-0', 'a', 'b'],
      ['XINFO', 'STREAM', 'u'],
      ['XRANGE', 'u', '-', '+'],
    );
    await d.same(...cmds);
    // Large entries: the node byte limit (4096) decides the split, not the 100 entries.
    await d.same(...fill('big', 60, 1, (i) => 'x'.repeat(i * 37)));
    await d.same(['XINFO', 'STREAM', 'big'], ['XTRIM', 'big', 'MAXLEN', '~', '30'], ['XINFO', 'STREAM', 'big']);
    // Mixed field names and integer-looking values (listpack integer encoding sizes).
    const mixed: Cmd[] = [['DEL', 'mix']];
    const r = rng(7);
    for (let i = 1; i <= 400; i++) {
      const fields: string[] = [];
      const nf = 1 + Math.floor(r() * 3);
      for (let f = 0; f < nf; f++)
        fields.push(
          r() < 0.7 ? `f${f}` : `g${Math.floor(r() * 5)}`,
          r() < 0.5 ? String(Math.floor(r() * 100000) - 500) : 'y'.repeat(Math.floor(r() * 40)),
        );
      mixed.push(['XADD', 'mix', `${i}-${Math.floor(r() * 3)}`, ...fields]);
    }
    await d.same(...mixed);
    await d.same(
      ['XINFO', 'STREAM', 'mix'],
      ['XTRIM', 'mix', 'MAXLEN', '~', '250'],
      ['XINFO', 'STREAM', 'mix'],
      ['XTRIM', 'mix', 'MINID', '~', '300'],
      ['XINFO', 'STREAM', 'mix'],
    );
  });

  it('stream-node-max-entries / stream-node-max-bytes (CONFIG SET) decide node splits', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [
      ['CONFIG', 'SET', 'stream-node-max-entries', '5'],
      ['CONFIG', 'GET', 'stream-node-max-entries'],
      ['CONFIG', 'GET', 'stream-node-max-bytes'],
      ['DEL', 'cfg'],
    ];
    for (let i = 1; i <= 23; i++) cmds.push(['XADD', 'cfg', `${i}-0`, 'a', 'b']);
    cmds.push(['XINFO', 'STREAM', 'cfg'], ['XTRIM', 'cfg', 'MAXLEN', '~', '7'], ['XADD', 'cfg', 'MAXLEN', '~', '1', '24-0', 'a', 'b']);
    cmds.push(['CONFIG', 'SET', 'stream-node-max-entries', '0'], ['CONFIG', 'SET', 'stream-node-max-bytes', '100'], ['DEL', 'cfg']);
    for (let i = 1; i <= 30; i++) cmds.push(['XADD', 'cfg', `${i}-0`, 'field', 'v'.repeat(i)]);
    cmds.push(
      ['XINFO', 'STREAM', 'cfg'],
      ['XTRIM', 'cfg', 'MAXLEN', '~', '10'],
      ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
      ['CONFIG', 'SET', 'stream-node-max-bytes', '4kb'],
      ['CONFIG', 'GET', 'stream-node-max-entries'],
      ['CONFIG', 'GET', 'stream-node-max-bytes'],
    );
    await d.same(...cmds);
  });

  it('XDEL then XADD keeps node layout (deleted entries still count), radix-tree nodes with 64-bit IDs', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'n']];
    for (let i = 1; i <= 150; i++) cmds.push(['XADD', 'n', `${i}-0`, 'a', 'b']);
    for (let i = 1; i <= 100; i += 2) cmds.push(['XDEL', 'n', `${i}-0`]);
    for (let i = 151; i <= 260; i++) cmds.push(['XADD', 'n', `${i}-0`, 'a', 'b']);
    cmds.push(['XINFO', 'STREAM', 'n'], ['XTRIM', 'n', 'MAXLEN', '~', '150'], ['XINFO', 'STREAM', 'n']);
    for (let i = 2; i <= 100; i += 2) cmds.push(['XDEL', 'n', `${i}-0`]);
    cmds.push(['XINFO', 'STREAM', 'n']);
    // Huge IDs across the 64-bit range.
    cmds.push(['DEL', 'h']);
    const ids = ['1-1', '4294967296-0', '9007199254740993-7', '9223372036854775808-0', `${MAX}-0`, `${MAX}-18446744073709551614`];
    for (const id of ids) {
      for (let j = 0; j < 101; j++) cmds.push(['XADD', 'h', `${id.split('-')[0]}-*`, 'k', 'v']);
    }
    cmds.push(
      ['XINFO', 'STREAM', 'h'],
      ['XRANGE', 'h', '9007199254740993', '9007199254740993-3'],
      ['XREVRANGE', 'h', '+', '-', 'COUNT', '3'],
    );
    await d.same(...cmds);
  });

  it('XREAD: several streams, $, COUNT, missing keys, errors; RESP3 map', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['DEL', 'a', 'b'],
      ['XADD', 'a', '1-1', 'f', '1'],
      ['XADD', 'a', '1-2', 'f', '2'],
      ['XADD', 'b', '2-1', 'g', '1'],
      ['XREAD', 'STREAMS', 'a', 'b', '0', '0'],
      ['XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0'],
      ['XREAD', 'STREAMS', 'a', 'b', '1-1', '2-1'],
      ['XREAD', 'STREAMS', 'a', 'b', '$', '$'],
      ['XREAD', 'STREAMS', 'a', 'nokey', '0-0', '0'],
      ['XREAD', 'STREAMS', 'nokey', '$'],
      ['XREAD', 'COUNT', '-5', 'STREAMS', 'a', '0'],
      ['XREAD', 'STREAMS', 'a', 'a', '0', '1-1'],
      ['XREAD', 'STREAMS', 'a', '+'],
      ['XREAD', 'STREAMS', 'a', '-'],
      ['XREAD', 'STREAMS', 'a', `${MAX}-${MAX}`],
      ['XREAD', 'STREAMS', 'a', 'b', '0'],
      ['XREAD', 'STREAMS', 'a', '>'],
      ['XREAD', 'STREAMS', 'a', 'x'],
      ['XREAD', 'COUNT', 'x', 'STREAMS', 'a', '0'],
      ['XREAD', 'BLOCK', 'x', 'STREAMS', 'a', '0'],
      ['XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', 'a', '0'],
      ['XREAD', 'BLOCK', '10', 'STREAMS', 'a', '0'],
      ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0'],
      ['XREAD', 'NOACK', 'STREAMS', 'a', '0'],
      ['XREAD', 'FOO', 'STREAMS', 'a', '0'],
      ['XREAD', 'COUNT', '1', 'a', '0'],
      ['SET', 'str', 'x'],
      ['XREAD', 'STREAMS', 'a', 'str', '0', '0'],
      ['XREAD', 'STREAMS', 'str', '$'],
      ['MULTI'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$'],
      ['XREAD', 'BLOCK', '1000', 'STREAMS', 'a', '0'],
      ['EXEC'],
    );
    await Promise.all([d.r.call('HELLO', '3'), d.k.call('HELLO', '3')]);
    await d.same(
      ['XREAD', 'STREAMS', 'a', 'b', '0', '0'],
      ['XREAD', 'STREAMS', 'a', '$'],
      ['XRANGE', 'a', '-', '+', 'COUNT', '0'],
      ['XINFO', 'STREAM', 'a'],
      ['XINFO', 'STREAM', 'a', 'FULL'],
      ['XINFO', 'STREAM', 'nokey'],
    );
    await Promise.all([d.r.call('HELLO', '2'), d.k.call('HELLO', '2')]);
  });

  it('XINFO STREAM FULL (no groups), HELP, errors; WRONGTYPE; OBJECT ENCODING, TYPE, COPY, RENAME', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'f']];
    for (let i = 1; i <= 25; i++) cmds.push(['XADD', 'f', `${i}-1`, 'k', String(i)]);
    await d.same(
      ...cmds,
      ['XINFO', 'STREAM', 'f', 'FULL'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', '3'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', '0'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', '-1'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', 'x'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT'],
      ['XINFO', 'STREAM', 'f', 'FOO'],
      ['XINFO', 'STREAM', 'f', 'FULL', 'x', 'y'],
      ['XINFO', 'STREAM', 'nokey'],
      ['XINFO', 'GROUPS', 'nokey'],
      ['XINFO', 'GROUPS', 'f'],
      ['XINFO', 'HELP'],
      ['XINFO', 'HELP', 'x'],
      ['XINFO', 'FOO', 'f'],
      ['XINFO', 'STREAM'],
      ['XINFO'],
      ['TYPE', 'f'],
      ['OBJECT', 'ENCODING', 'f'],
      ['COPY', 'f', 'f2'],
      ['XDEL', 'f', '1-1'],
      ['XRANGE', 'f2', '-', '2'],
      ['XINFO', 'STREAM', 'f2'],
      ['RENAME', 'f2', 'f3'],
      ['XLEN', 'f3'],
      ['SET', 'str', 'x'],
      ['XADD', 'str', '1-1', 'a', 'b'],
      ['XLEN', 'str'],
      ['XRANGE', 'str', '-', '+'],
      ['XREVRANGE', 'str', '+', '-'],
      ['XDEL', 'str', '1-1'],
      ['XTRIM', 'str', 'MAXLEN', '1'],
      ['XSETID', 'str', '1-1'],
      ['XINFO', 'STREAM', 'str'],
      ['XGROUP', 'CREATE', 'str', 'g', '0'],
      ['XACK', 'str', 'g', '1-1'],
      ['XPENDING', 'str', 'g'],
      ['XCLAIM', 'str', 'g', 'c', '0', '1-1'],
      ['XAUTOCLAIM', 'str', 'g', 'c', '0', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'str', '>'],
      ['SORT', 'f3'],
      ['SORT', 'f3', 'ALPHA', 'LIMIT', '0', '1'],
      ['EXPIRE', 'f3', '100'],
      ['XADD', 'f3', '99-1', 'c', 'd'],
      ['TTL', 'f3'],
      ['LPUSH', 'f3', 'x'],
      ['GETRANGE', 'f3', '0', '1'],
      ['APPEND', 'f3', 'x'],
      ['HSET', 'f3', 'a', 'b'],
      ['SADD', 'f3', 'a'],
      ['ZADD', 'f3', '1', 'a'],
      ['UNLINK', 'f3'],
      ['DEL', 'f', 'f3'],
      ['EXISTS', 'f'],
      ['XADD', 'f4', '1-1', 'a', 'b'],
    );
    // SCAN TYPE stream finds the stream keys (order is hash order: compared sorted).
    await d.sameAfter(['SCAN', '0', 'TYPE', 'stream', 'COUNT', '1000'], (r) => [...((r as unknown[])[1] as string[])].sort());
  });
});

/** Masks Unix-ms times (XINFO FULL) or, for XPENDING entries, the idle column. */
function maskTimes(n: unknown, pending: boolean): unknown {
  if (typeof n === 'number' || typeof n === 'bigint') return Number(n) > 1e12 ? 'T' : n;
  if (Array.isArray(n)) {
    if (pending && n.length === 4 && typeof n[2] === 'number') return [n[0], n[1], 'IDLE', n[3]];
    return n.map((x) => maskTimes(x, pending));
  }
  if (n !== null && typeof n === 'object' && 'v' in n && Array.isArray((n as { v: unknown }).v))
    return maskTimes((n as { v: unknown }).v, pending);
  return n;
}

describe('streams (differential, seeded random command sequences)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  /**
   * Random XADD/XDEL/XTRIM/XRANGE/XREVRANGE/XSETID/XINFO and group commands (XGROUP, XREADGROUP,
   * XACK, XCLAIM/XAUTOCLAIM with min-idle 0, XPENDING summary, XINFO GROUPS) on two keys,
   * every reply compared byte for byte (commands whose replies carry times are left out).
   */
  // STREAM_FUZZ_SEEDS=1,2,3 runs other seeds (for bug hunting).
  const seeds = process.env.STREAM_FUZZ_SEEDS ? process.env.STREAM_FUZZ_SEEDS.split(',').map(Number) : [11, 12, 13];
  for (const seed of seeds) {
    it(`seed ${seed}: 1500 commands`, async (t) => {
      if (!d) return t.skip(NO_REDIS);
      const r = rng(seed);
      const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
      const keys = ['rk1', 'rk2'];
      await d.same(['DEL', ...keys]);
      const next = new Map<string, number>(keys.map((k) => [k, 1]));
      const someId = (k: string): string => {
        const top = next.get(k) as number;
        const x = r();
        if (x < 0.1) return pick(['-', '+']);
        if (x < 0.2) return String(Math.floor(r() * top));
        if (x < 0.25) return `(${Math.floor(r() * top)}-${Math.floor(r() * 3)}`;
        return `${Math.floor(r() * top)}-${Math.floor(r() * 3)}`;
      };
      const strictId = (k: string): string => `${Math.floor(r() * ((next.get(k) as number) + 2))}-${Math.floor(r() * 3)}`;
      const consumers = ['c1', 'c2', 'c3'];
      const groups = ['g1', 'g2'];
      let errors = 0;
      for (let i = 0; i < 1500; i++) {
        const k = pick(keys);
        const x = r();
        let cmd: Cmd;
        if (x < 0.3) {
          const top = next.get(k) as number;
          const ms = r() < 0.8 ? top : Math.max(0, top - 2);
          if (r() < 0.85) next.set(k, top + (r() < 0.3 ? 0 : 1));
          const id = r() < 0.3 ? `${ms}-*` : `${ms}-${Math.floor(r() * 3)}`;
          const trim: string[] = r() < 0.15 ? [pick(['MAXLEN', 'MINID']), pick(['~', '=', '']), '0'].filter((s) => s !== '') : [];
          if (trim.length > 0) trim[trim.length - 1] = trim[0] === 'MAXLEN' ? String(Math.floor(r() * 60)) : strictId(k);
          const nf = 1 + Math.floor(r() * 2);
          const fields: string[] = [];
          for (let f = 0; f < nf; f++) fields.push(pick(['a', 'b', 'field']), String(Math.floor(r() * 1000)));
          cmd = ['XADD', k, ...trim, id, ...fields];
        } else if (x < 0.38) cmd = ['XDEL', k, strictId(k), strictId(k)];
        else if (x < 0.42) {
          const strat = pick(['MAXLEN', 'MINID']);
          cmd = ['XTRIM', k, strat, pick(['~', '=']), strat === 'MAXLEN' ? String(Math.floor(r() * 50)) : strictId(k)];
        } else if (x < 0.52) cmd = ['XRANGE', k, someId(k), someId(k), 'COUNT', String(Math.floor(r() * 8))];
        else if (x < 0.57) cmd = ['XREVRANGE', k, someId(k), someId(k)];
        else if (x < 0.6) cmd = ['XINFO', 'STREAM', k];
        else if (x < 0.61) {
          const extra: string[] = [];
          if (r() < 0.4) extra.push('ENTRIESADDED', String(Math.floor(r() * 200)));
          if (r() < 0.3) extra.push('MAXDELETEDID', strictId(k));
          cmd = ['XSETID', k, strictId(k), ...extra];
        } else if (x < 0.65) {
          const er = r() < 0.3 ? ['ENTRIESREAD', String(Math.floor(r() * 100) - 1)] : [];
          cmd = ['XGROUP', 'CREATE', k, pick(groups), pick(['$', '0', strictId(k)]), 'MKSTREAM', ...er];
        } else if (x < 0.67) cmd = ['XGROUP', 'SETID', k, pick(groups), pick(['$', '0', strictId(k)])];
        else if (x < 0.79) {
          const noack = r() < 0.2 ? ['NOACK'] : [];
          cmd = [
            'XREADGROUP',
            'GROUP',
            pick(groups),
            pick(consumers),
            'COUNT',
            String(1 + Math.floor(r() * 4)),
            ...noack,
            'STREAMS',
            k,
            r() < 0.8 ? '>' : '0',
          ];
        } else if (x < 0.85) cmd = ['XACK', k, pick(groups), strictId(k), strictId(k)];
        else if (x < 0.89) {
          const opts = r() < 0.5 ? ['JUSTID'] : [];
          if (r() < 0.3) opts.push('FORCE');
          if (r() < 0.3) opts.push('RETRYCOUNT', String(Math.floor(r() * 5)));
          if (r() < 0.2) opts.push('LASTID', strictId(k));
          cmd = ['XCLAIM', k, pick(groups), pick(consumers), '0', strictId(k), strictId(k), ...opts];
        } else if (x < 0.92) {
          const justid = r() < 0.5 ? ['JUSTID'] : [];
          cmd = ['XAUTOCLAIM', k, pick(groups), pick(consumers), '0', someId(k), 'COUNT', String(1 + Math.floor(r() * 5)), ...justid];
        } else if (x < 0.95) cmd = ['XPENDING', k, pick(groups)];
        else if (x < 0.98) cmd = ['XINFO', 'GROUPS', k];
        else if (x < 0.99) cmd = ['XGROUP', 'DELCONSUMER', k, pick(groups), pick(consumers)];
        else cmd = ['XREAD', 'COUNT', '3', 'STREAMS', k, someId(k).replace('(', '')];
        if (r() < 0.04) {
          // Clock-dependent replies, compared with times masked.
          const g = pick(groups);
          const full = r() < 0.5;
          await d.sameAfter(full ? ['XINFO', 'STREAM', k, 'FULL'] : ['XPENDING', k, g, '-', '+', '20'], (n) => maskTimes(n, !full));
        }
        const [raw] = await d.same(cmd);
        if (raw[0] === 45) errors++;
      }
      // The sequence mostly exercises successful paths, not argument errors.
      assert.ok(errors < 300, `${errors} error replies`);
      await d.same(['XRANGE', 'rk1', '-', '+'], ['XRANGE', 'rk2', '-', '+'], ['XINFO', 'STREAM', 'rk1'], ['XINFO', 'STREAM', 'rk2']);
    });
  }
});
