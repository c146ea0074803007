/**
 * Differential tests of the sorted-set commands against redis-server 7.0: every command, errors,
 * WITHSCORES/LIMIT/REV combinations, inf/exclusive/lex bounds, RESP3 forms, a seeded random
 * sequence and blocking pops with real connections. (Speed lives in the bench, not in timed tests.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { RawClient } from '../../src/client/rawClient.js';
import { NO_REDIS, startKeydra } from '../helpers/servers.js';
import { rng } from '../helpers/random.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

test('ZADD flags, errors and replies', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['DEL', 'z'],
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z', 'NX', '5', 'a', '4', 'd'],
    ['ZADD', 'z', 'XX', 'CH', '5', 'a', '6', 'e'],
    ['ZADD', 'z', 'GT', 'CH', '1', 'a', '10', 'b'],
    ['ZADD', 'z', 'LT', 'CH', '1', 'a', '10', 'c'],
    ['ZADD', 'z', 'INCR', '2.5', 'a'],
    ['ZADD', 'z', 'NX', 'INCR', '2.5', 'a'],
    ['ZADD', 'z', 'XX', 'INCR', '2.5', 'zz'],
    ['ZADD', 'z', 'GT', 'INCR', '-1', 'a'],
    ['ZADD', 'z', 'XX', 'NX', '1', 'a'],
    ['ZADD', 'z', 'GT', 'LT', '1', 'a'],
    ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
    ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
    ['ZADD', 'z', '1'],
    ['ZADD', 'z', '1', 'a', '2'],
    ['ZADD', 'z', 'nan', 'a'],
    ['ZADD', 'z', 'abc', 'a'],
    ['ZADD', 'z', '1e400', 'a'],
    ['ZADD', 'z', '1e-400', 'a'],
    ['ZADD', 'z', '0x10', 'hex', '-0X1f', 'hex2', '0.0e-500', 'zero'],
    ['ZADD', 'z', ' 1', 'a'],
    ['ZADD', 'z', '1 ', 'a'],
    ['ZUNION', '1', 'z', 'WEIGHTS', '1e999'],
    ['ZADD', 'z', 'inf', 'i', '-inf', 'j', '+inf', 'k'],
    ['ZADD', 'z', 'INCR', '-inf', 'i'],
    ['ZINCRBY', 'z', '1.1', 'new'],
    ['ZINCRBY', 'z', 'x', 'new'],
    ['ZINCRBY', 'z', '+inf', 'j'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'nx', 'XX', '1', 'a'],
    ['EXISTS', 'nx'],
    ['ZADD', 'nx', 'XX', 'INCR', '1', 'a'],
    ['SET', 's', 'x'],
    ['ZADD', 's', '1', 'a'],
    ['ZSCORE', 's', 'a'],
    ['ZADD', 'f', '0.1', 'a', '1e300', 'b', '-0', 'c', '3.0000000000000004', 'd', '1e-20', 'e'],
    ['ZRANGE', 'f', '0', '-1', 'WITHSCORES'],
    ['ZMSCORE', 'f', 'a', 'nope', 'c'],
    ['ZMSCORE', 'nokey', 'a'],
    ['ZCARD', 'f'],
    ['ZCARD', 'nokey'],
    ['ZCARD', 's'],
    ['OBJECT', 'ENCODING', 'f'],
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '2'],
    ['DEL', 'enc'],
    ['ZADD', 'enc', '1', 'a', '2', 'b'],
    ['OBJECT', 'ENCODING', 'enc'],
    ['ZADD', 'enc', '3', 'c'],
    ['OBJECT', 'ENCODING', 'enc'],
    ['ZREM', 'enc', 'c'],
    ['OBJECT', 'ENCODING', 'enc'],
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    ['ZADD', 'enc2', '1', 'x'.repeat(65)],
    ['OBJECT', 'ENCODING', 'enc2'],
    ['TYPE', 'enc2'],
    ['COPY', 'f', 'fcopy'],
    ['ZADD', 'fcopy', '9', 'only-in-copy'],
    ['ZRANGE', 'fcopy', '0', '-1', 'WITHSCORES'],
    ['ZCARD', 'f'],
    ['OBJECT', 'ENCODING', 'fcopy'],
  );
});

test('ranks, counts and ranges', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(['DEL', 'r'], ['ZADD', 'r', '1', 'a', '2', 'b', '2', 'c', '3', 'd', '-inf', 'm', 'inf', 'p', '5', 'e']);
  const cmds: Cmd[] = [
    ['ZRANK', 'r', 'c'],
    ['ZREVRANK', 'r', 'c'],
    ['ZRANK', 'r', 'zz'],
    ['ZRANK', 'nokey', 'a'],
    ['ZCOUNT', 'r', '-inf', '+inf'],
    ['ZCOUNT', 'r', '(1', '3'],
    ['ZCOUNT', 'r', '(2', '(2'],
    ['ZCOUNT', 'r', 'x', '3'],
    ['ZCOUNT', 'r', '3', '1'],
    ['ZLEXCOUNT', 'r', '-', '+'],
    ['ZLEXCOUNT', 'r', '[b', '(d'],
    ['ZLEXCOUNT', 'r', 'b', 'd'],
    ['ZLEXCOUNT', 'r', '+', '-'],
  ];
  for (const a of ['0', '1', '-1', '-3', '-100', '2', '100']) {
    for (const b of ['0', '-1', '2', '-2', '100', '-100']) {
      cmds.push(['ZRANGE', 'r', a, b], ['ZREVRANGE', 'r', a, b, 'WITHSCORES'], ['ZRANGE', 'r', a, b, 'REV']);
    }
  }
  const bounds = ['-inf', '+inf', '1', '(1', '2', '(2', '3', '(5', '5', 'inf', '(-inf'];
  for (const a of bounds) {
    for (const b of bounds) {
      cmds.push(['ZRANGEBYSCORE', 'r', a, b, 'WITHSCORES'], ['ZREVRANGEBYSCORE', 'r', b, a]);
      cmds.push(['ZRANGE', 'r', a, b, 'BYSCORE', 'LIMIT', '1', '2']);
      cmds.push(['ZRANGE', 'r', b, a, 'BYSCORE', 'REV', 'LIMIT', '0', '-1', 'WITHSCORES']);
    }
  }
  const lex = ['-', '+', '[a', '(a', '[c', '(c', '[d', '(zz', '[', '('];
  for (const a of lex) {
    for (const b of lex) {
      cmds.push(['ZRANGEBYLEX', 'r', a, b], ['ZREVRANGEBYLEX', 'r', b, a, 'LIMIT', '1', '3']);
      cmds.push(['ZRANGE', 'r', a, b, 'BYLEX', 'LIMIT', '-1', '2']);
    }
  }
  cmds.push(
    ['ZRANGE', 'r', '0', '-1', 'LIMIT', '0', '1'],
    ['ZRANGE', 'r', '-', '+', 'BYLEX', 'WITHSCORES'],
    ['ZRANGE', 'r', '0', '-1', 'BYSCORE', 'BYLEX'],
    ['ZRANGE', 'r', '0', '-1', 'REV', 'REV'],
    ['ZRANGE', 'r', '0', '-1', 'LIMIT', '0'],
    ['ZRANGE', 'r', 'a', '-1'],
    ['ZRANGE', 'r', 'a', '-1', 'BYSCORE'],
    ['ZRANGE', 'r', 'a', '-1', 'BYLEX'],
    ['ZRANGE', 'r', '0', '1', 'BYSCORE', 'LIMIT', 'x', '1'],
    ['ZRANGEBYSCORE', 'r', '0', '1', 'REV'],
    ['ZRANGEBYSCORE', 'r', '0', '10', 'LIMIT', '2', '0'],
    ['ZRANGEBYSCORE', 'r', '0', '10', 'LIMIT', '100', '5'],
    ['ZRANGEBYLEX', 'r', '-', '+', 'WITHSCORES'],
    ['ZRANGE', 'nokey', '0', '-1'],
    ['ZRANGE', 's', '0', '-1'],
    ['ZRANGESTORE', 'dst', 'r', '1', '3'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'dst', 'r', '(2', 'inf', 'BYSCORE', 'LIMIT', '0', '2'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'dst', 'r', '[z', '+', 'BYLEX'],
    ['EXISTS', 'dst'],
    ['ZRANGESTORE', 'dst', 'r', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'dst', 'nokey', '0', '-1'],
  );
  await same(...cmds);
});

test('RESP3 forms', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await (d as Differential).sameAfter(['HELLO', '3'], () => true);
  await same(
    ['DEL', 'z3', 'y3'],
    ['ZADD', 'z3', '1.5', 'a', '2', 'b', 'inf', 'c'],
    ['ZADD', 'y3', '1', 'a'],
    ['ZSCORE', 'z3', 'a'],
    ['ZSCORE', 'z3', 'no'],
    ['ZINCRBY', 'z3', '1', 'a'],
    ['ZADD', 'z3', 'INCR', '1', 'a'],
    ['ZMSCORE', 'z3', 'a', 'x'],
    ['ZRANGE', 'z3', '0', '-1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'z3', '-inf', 'inf', 'WITHSCORES'],
    ['ZUNION', '2', 'z3', 'y3', 'WITHSCORES'],
    ['ZINTER', '2', 'z3', 'y3', 'WITHSCORES'],
    ['ZDIFF', '2', 'z3', 'y3', 'WITHSCORES'],
    ['ZPOPMIN', 'z3'],
    ['ZPOPMAX', 'z3', '5'],
    ['ZADD', 'z3', '1', 'a', '2', 'b'],
    ['ZMPOP', '2', 'nokey', 'z3', 'MIN', 'COUNT', '1'],
    ['ZMPOP', '1', 'nokey', 'MIN'],
    ['BZPOPMIN', 'z3', '0'],
    ['ZRANDMEMBER', 'y3', '-2', 'WITHSCORES'],
    ['ZRANK', 'nokey', 'a'],
  );
  await (d as Differential).sameAfter(['HELLO', '2'], () => true);
});

test('removals and pops', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const fill: Cmd = ['ZADD', 'p', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'];
  await same(
    ['DEL', 'p'],
    fill,
    ['ZREM', 'p', 'a', 'x', 'b'],
    ['ZREM', 'nokey', 'a'],
    ['ZREM', 's', 'a'],
    ['ZREMRANGEBYRANK', 'p', '1', '2'],
    ['ZRANGE', 'p', '0', '-1'],
    ['ZREMRANGEBYRANK', 'p', 'x', '2'],
    ['ZREMRANGEBYRANK', 'p', '5', '2'],
    fill,
    ['ZREMRANGEBYSCORE', 'p', '(2', '4'],
    ['ZREMRANGEBYSCORE', 'p', '(2', 'x'],
    ['ZREMRANGEBYLEX', 'p', '[e', '+'],
    ['ZREMRANGEBYLEX', 'p', 'e', '+'],
    ['ZRANGE', 'p', '0', '-1', 'WITHSCORES'],
    ['ZREMRANGEBYRANK', 'p', '0', '-1'],
    ['EXISTS', 'p'],
    fill,
    ['ZPOPMIN', 'p'],
    ['ZPOPMAX', 'p', '2'],
    ['ZPOPMIN', 'p', '0'],
    ['ZPOPMIN', 'p', '-1'],
    ['ZPOPMIN', 'p', 'x'],
    ['ZPOPMIN', 'p', '1', '2'],
    ['ZPOPMIN', 'nokey'],
    ['ZPOPMIN', 's'],
    ['ZMPOP', '2', 'nokey', 'p', 'MAX', 'COUNT', '10'],
    ['EXISTS', 'p'],
    ['ZMPOP', '0', 'p', 'MIN'],
    ['ZMPOP', '1', 'p', 'MIDDLE'],
    ['ZMPOP', '2', 'p', 'MIN'],
    ['ZMPOP', '1', 'p', 'MIN', 'COUNT', '0'],
    ['ZMPOP', '1', 'p', 'MIN', 'COUNT', '1', 'COUNT', '1'],
    ['ZMPOP', '1', 's', 'MIN'],
    ['BZPOPMIN', 'p', '-1'],
    ['BZPOPMIN', 'p', 'x'],
    ['BZMPOP', '0', '0', 'p', 'MIN'],
    ['BZMPOP', 'x', '1', 'p', 'MIN'],
    fill,
    ['BZPOPMAX', 'nokey', 'p', '0'],
    ['BZMPOP', '1', '2', 'nokey', 'p', 'MIN', 'COUNT', '2'],
    ['MULTI'],
    ['BZPOPMIN', 'empty', '0'],
    ['BZMPOP', '0', '1', 'empty', 'MIN'],
    ['EXEC'],
  );
});

test('set algebra with zsets and sets', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['DEL', 'a1', 'a2', 'a3', 'st', 'out'],
    ['ZADD', 'a1', '1', 'a', '2', 'b', '3', 'c', 'inf', 'i'],
    ['ZADD', 'a2', '10', 'b', '20', 'c', '30', 'd', '-inf', 'i'],
  );
  // Plain sets as inputs (score 1); until SADD exists in Keydra, `st` is a zset of score-1 members.
  const [probe] = await (d as Differential).k.send('COMMAND', 'INFO', 'sadd').then((r) => [r.raw.toString('latin1')]);
  if (probe.includes('sadd')) await same(['SADD', 'st', 'a', 'd', 'x']);
  else await same(['ZADD', 'st', '1', 'a', '1', 'd', '1', 'x']);
  const cmds: Cmd[] = [];
  for (const op of ['ZUNION', 'ZINTER']) {
    for (const agg of [[], ['AGGREGATE', 'SUM'], ['AGGREGATE', 'MIN'], ['AGGREGATE', 'max']]) {
      cmds.push([op, '2', 'a1', 'a2', ...agg, 'WITHSCORES']);
      cmds.push([op, '3', 'a1', 'a2', 'st', 'WEIGHTS', '2', '0.5', '3', ...agg, 'WITHSCORES']);
      cmds.push([op, '2', 'a1', 'nokey', ...agg]);
      cmds.push([`${op}STORE`, 'out', '2', 'a1', 'a2', 'WEIGHTS', '1', '-1', ...agg], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES']);
    }
    cmds.push([op, '2', 'a1', 'a2', 'WEIGHTS', '1', 'x']);
    cmds.push([op, '2', 'a1', 'a2', 'WEIGHTS', '1']);
    cmds.push([op, '2', 'a1', 'a2', 'AGGREGATE', 'avg']);
    cmds.push([op, '0', 'a1']);
    cmds.push([op, '3', 'a1', 'a2']);
    cmds.push([op, 'x', 'a1']);
    cmds.push([op, '2', 'a1', 's']);
    cmds.push([`${op}STORE`, 'out', '2', 'a1', 'a2', 'WITHSCORES']);
  }
  cmds.push(
    ['ZDIFF', '2', 'a1', 'a2', 'WITHSCORES'],
    ['ZDIFF', '2', 'a1', 'st'],
    ['ZDIFF', '1', 'nokey'],
    ['ZDIFF', '2', 'a1', 'a2', 'WEIGHTS', '1', '2'],
    ['ZDIFFSTORE', 'out', '2', 'a1', 'st'],
    ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
    ['ZDIFFSTORE', 'out', '2', 'a1', 'a1'],
    ['EXISTS', 'out'],
    ['ZINTERSTORE', 'out', '2', 'a1', 'nokey'],
    ['ZINTERCARD', '2', 'a1', 'a2'],
    ['ZINTERCARD', '2', 'a1', 'a2', 'LIMIT', '1'],
    ['ZINTERCARD', '2', 'a1', 'a2', 'LIMIT', '0'],
    ['ZINTERCARD', '2', 'a1', 'a2', 'LIMIT', '-1'],
    ['ZINTERCARD', '2', 'a1', 'a2', 'LIMIT', 'a'],
    ['ZINTERCARD', '2', 'a1', 'a2', 'LIMIT', '99999999999999999999'],
    ['SINTERCARD', '1', 'a1', 'LIMIT', 'a'],
    ['ZINTERCARD', '2', 'a1', 'st'],
    ['ZINTERCARD', '0', 'a1'],
    ['ZINTERCARD', '1', 'a1', 'WITHSCORES'],
    ['ZUNIONSTORE', 'a1', '2', 'a1', 'a2'],
    ['ZRANGE', 'a1', '0', '-1', 'WITHSCORES'],
  );
  await same(...cmds);
});

test('ZRANDMEMBER and ZSCAN', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const dd = d;
  await same(
    ['DEL', 'q'],
    ['ZADD', 'q', '1', 'a', '2', 'b', '3', 'c'],
    ['ZRANDMEMBER', 'q', '0'],
    ['ZRANDMEMBER', 'q', '5', 'WITHSCORES'],
    ['ZRANDMEMBER', 'q', '3'],
    ['ZRANDMEMBER', 'nokey'],
    ['ZRANDMEMBER', 'nokey', '3'],
    ['ZRANDMEMBER', 'q', 'x'],
    ['ZRANDMEMBER', 'q', '1', 'WITHSCORE'],
    ['ZRANDMEMBER', 'q', '1', 'WITHSCORES', 'x'],
    ['ZRANDMEMBER', 's'],
    ['ZSCAN', 'q', '0'],
    ['ZSCAN', 'q', '0', 'MATCH', 'b*'],
    ['ZSCAN', 'q', '0', 'COUNT', '0'],
    ['ZSCAN', 'q', 'x'],
    ['ZSCAN', 'nokey', '0'],
  );
  const len = (r: unknown) => (r as unknown[]).length;
  await dd.sameAfter(['ZRANDMEMBER', 'q', '5', 'WITHSCORES'], (r) => (r as string[]).map(String).sort());
  await dd.sameAfter(['ZRANDMEMBER', 'q', '-7'], len);
  await dd.sameAfter(['ZRANDMEMBER', 'q', '-7', 'WITHSCORES'], len);
  await dd.sameAfter(['ZRANDMEMBER', 'q', '2'], (r) => new Set(r as string[]).size);
  await dd.sameAfter(['ZRANDMEMBER', 'q'], (r) => ['a', 'b', 'c'].includes(String(r)));
});

test('randomised sequence with a fixed seed', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const rand = rng(42);
  const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)];
  const members = Array.from({ length: 40 }, (_, i) => `m${i}`);
  const score = () => pick(['0', '1', '-1', '2.5', String(Math.floor(rand() * 100)), '-inf', 'inf', '1e10', '0.1']);
  const bound = () => pick(['-inf', '+inf', '(1', '2', String(Math.floor(rand() * 100)), `(${Math.floor(rand() * 100)}`]);
  const lb = () => pick(['-', '+', `[m${Math.floor(rand() * 40)}`, `(m${Math.floor(rand() * 40)}`]);
  const idx = () => String(Math.floor(rand() * 60) - 30);
  await same(['DEL', 'rz', 'rz2']);
  const cmds: Cmd[] = [];
  for (let i = 0; i < 600; i++) {
    const k = pick(['rz', 'rz', 'rz2']);
    switch (Math.floor(rand() * 12)) {
      case 0:
      case 1:
        cmds.push(['ZADD', k, ...pick([[], ['NX'], ['XX'], ['GT'], ['LT', 'CH'], ['CH']]), score(), pick(members), score(), pick(members)]);
        break;
      case 2:
        cmds.push(['ZINCRBY', k, score(), pick(members)]);
        break;
      case 3:
        cmds.push(['ZREM', k, pick(members), pick(members)]);
        break;
      case 4:
        cmds.push(['ZRANGE', k, idx(), idx(), ...pick([[], ['WITHSCORES'], ['REV', 'WITHSCORES']])]);
        break;
      case 5:
        cmds.push(['ZRANGE', k, bound(), bound(), 'BYSCORE', ...pick([[], ['REV'], ['LIMIT', '1', '3']])]);
        break;
      case 6:
        cmds.push(['ZRANGE', k, lb(), lb(), 'BYLEX', ...pick([[], ['REV'], ['LIMIT', '0', '2']])]);
        break;
      case 7:
        cmds.push(['ZRANK', k, pick(members)], ['ZREVRANK', k, pick(members)], ['ZSCORE', k, pick(members)]);
        break;
      case 8:
        cmds.push(['ZCOUNT', k, bound(), bound()], ['ZLEXCOUNT', k, lb(), lb()]);
        break;
      case 9:
        cmds.push(
          pick([
            ['ZREMRANGEBYRANK', k, idx(), idx()],
            ['ZREMRANGEBYSCORE', k, bound(), bound()],
            ['ZREMRANGEBYLEX', k, lb(), lb()],
          ]),
        );
        break;
      case 10:
        cmds.push([pick(['ZPOPMIN', 'ZPOPMAX']), k, String(Math.floor(rand() * 3))]);
        break;
      default:
        cmds.push(['ZUNIONSTORE', 'rz3', '2', 'rz', 'rz2', 'AGGREGATE', pick(['SUM', 'MIN', 'MAX'])], ['ZCARD', k]);
    }
  }
  cmds.push(['ZRANGE', 'rz', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'rz2', '0', '-1', 'WITHSCORES']);
  await same(...cmds);
});

test('large inputs: ranks and ranges on 5000 members', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const args: string[] = [];
  for (let i = 0; i < 5000; i++) args.push(String((i * 7919) % 1000), `member:${i}`);
  await same(['DEL', 'big'], ['ZADD', 'big', ...args], ['OBJECT', 'ENCODING', 'big']);
  await same(
    ['ZRANK', 'big', 'member:4321'],
    ['ZREVRANK', 'big', 'member:17'],
    ['ZRANGE', 'big', '2500', '2510', 'WITHSCORES'],
    ['ZRANGE', 'big', '(500', '510', 'BYSCORE', 'LIMIT', '3', '7'],
    ['ZCOUNT', 'big', '100', '(200'],
    ['ZREMRANGEBYSCORE', 'big', '0', '99'],
    ['ZCARD', 'big'],
    ['ZRANGE', 'big', '-5', '-1', 'REV', 'WITHSCORES'],
  );
});

test('blocking pops with real connections', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const dd = d;
  const [r1, k1] = await dd.connectBoth();
  const [r2, k2] = await dd.connectBoth();
  try {
    await same(['DEL', 'bk', 'bk2']);
    // Waiter blocks, then another client adds.
    const pr = r1.send('BZPOPMIN', 'bk2', 'bk', '0');
    const pk = k1.send('BZPOPMIN', 'bk2', 'bk', '0');
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([r2.send('ZADD', 'bk', '3', 'x', '1', 'y'), k2.send('ZADD', 'bk', '3', 'x', '1', 'y')]);
    const [a, b] = await Promise.all([pr, pk]);
    assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'));
    await same(['ZRANGE', 'bk', '0', '-1', 'WITHSCORES']);
    // BZMPOP served by ZUNIONSTORE into the waited key.
    const pr2 = r1.send('BZMPOP', '0', '1', 'bk3', 'MAX', 'COUNT', '5');
    const pk2 = k1.send('BZMPOP', '0', '1', 'bk3', 'MAX', 'COUNT', '5');
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([r2.send('ZUNIONSTORE', 'bk3', '1', 'bk'), k2.send('ZUNIONSTORE', 'bk3', '1', 'bk')]);
    const [a2, b2] = await Promise.all([pr2, pk2]);
    assert.equal(b2.raw.toString('latin1'), a2.raw.toString('latin1'));
    // Timeout: nil array.
    const [a3, b3] = await Promise.all([r1.send('BZPOPMAX', 'never', '0.05'), k1.send('BZPOPMAX', 'never', '0.05')]);
    assert.equal(b3.raw.toString('latin1'), a3.raw.toString('latin1'));
    await same(['EXISTS', 'bk', 'bk3']);
  } finally {
    for (const c of [r1, k1, r2, k2]) c.close();
  }
});

test('keyspace notifications of sorted-set commands and SORT STORE', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const dd = d;
  await same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], ['DEL', 'nz', 'nz2', 'nzd', 'nl']);
  const [rs, ks] = await dd.connectBoth();
  /** Reads every message up to the reply to a PING (which follows all earlier notifications). */
  const drainBoth = async (): Promise<void> => {
    for (const [a, b] of [[rs, ks]]) {
      a.writeRaw('PING\r\n');
      b.writeRaw('PING\r\n');
    }
    for (;;) {
      const [a, b] = await Promise.all([rs.readReply(), ks.readReply()]);
      assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'));
      if (a.raw.toString('latin1').includes('pong')) return;
    }
  };
  try {
    rs.writeRaw('PSUBSCRIBE __keyevent@0__:*\r\n');
    ks.writeRaw('PSUBSCRIBE __keyevent@0__:*\r\n');
    await Promise.all([rs.readReply(), ks.readReply()]);
    await same(
      ['ZADD', 'nz', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f', '7', 'g'],
      ['ZADD', 'nz', 'NX', '1', 'a'],
      ['ZINCRBY', 'nz', '1', 'a'],
      ['ZREM', 'nz', 'a', 'zz'],
      ['ZREMRANGEBYRANK', 'nz', '0', '0'],
      ['ZREMRANGEBYSCORE', 'nz', '3', '3'],
      ['ZREMRANGEBYLEX', 'nz', '[d', '[d'],
      ['ZPOPMIN', 'nz'],
      ['ZPOPMAX', 'nz'],
      ['ZMPOP', '1', 'nz', 'MIN'],
      ['ZADD', 'nz2', '1', 'x'],
      ['ZUNIONSTORE', 'nzd', '1', 'nz2'],
      ['ZINTERSTORE', 'nzd', '2', 'nz2', 'nz2'],
      ['ZDIFFSTORE', 'nzd', '2', 'nz2', 'nz2'],
      ['ZRANGESTORE', 'nzd', 'nz2', '0', '-1'],
      ['ZRANGESTORE', 'nzd', 'nokey', '0', '-1'],
      ['SORT', 'nz2', 'STORE', 'nl'],
      ['SORT', 'nokey', 'STORE', 'nl'],
      ['ZPOPMIN', 'nz2'],
      ['ZADD', 'nz', '1', 'q'],
      ['ZREM', 'nz', 'q'],
    );
    await drainBoth();
  } finally {
    rs.close();
    ks.close();
    await same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  }
});

test('propagation: pops are replicated as ZPOPMIN/ZPOPMAX (Redis 7.0)', async () => {
  const peer = await startKeydra();
  const seen: string[] = [];
  peer.running.server.addPropagationListener((_db, argv) => seen.push(argv.join(' ')));
  const a = await RawClient.connect(peer.port);
  const b = await RawClient.connect(peer.port);
  try {
    await a.send('ZADD', 'pz', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    await a.send('ZMPOP', '1', 'pz', 'MAX', 'COUNT', '2');
    await a.send('BZPOPMIN', 'pz', '0');
    await a.send('BZMPOP', '0', '1', 'pz', 'MIN', 'COUNT', '3');
    const waiting = a.send('BZPOPMAX', 'pw', '0');
    await new Promise((r) => setTimeout(r, 30));
    await b.send('ZADD', 'pw', '5', 'x');
    await waiting;
    await a.send('ZPOPMIN', 'nokey');
    // BZMPOP COUNT 3 with one member left propagates the count popped (t_zset.c genericZpopCommand: min(count, size)).
    assert.deepEqual(seen, ['ZADD pz 1 a 2 b 3 c 4 d', 'ZPOPMAX pz 2', 'ZPOPMIN pz', 'ZPOPMIN pz 1', 'ZADD pw 5 x', 'ZPOPMAX pw']);
  } finally {
    a.close();
    b.close();
    await peer.close();
  }
});
