/**
 * Differential tests of the string commands against redis-server 7.0: every command with its
 * options and error paths, wrong types, binary values (all 256 bytes), int64 limits, INCRBYFLOAT
 * formatting (long double arithmetic), TTL behaviour (compared as ranges), LCS and RESP3 forms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

/** Compares a time-dependent integer reply by its sign class and an upper bound. */
async function ttlLike(cmd: Cmd, max: number): Promise<void> {
  await (d as Differential).sameAfter(cmd, (r) => {
    if (typeof r !== 'number') return r;
    if (r < 0) return r;
    return r > 0 && r <= max ? 'in-range' : `out-of-range:${r}`;
  });
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

test('GET/SET basics, binary values and wrong types', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['GET', 'b:none'],
    ['SET', 'b:k', 'v'],
    ['GET', 'b:k'],
    ['SET', 'b:k', ''],
    ['GET', 'b:k'],
    ['STRLEN', 'b:k'],
    ['SET', 'b:bin', ALL_BYTES],
    ['GET', 'b:bin'],
    ['STRLEN', 'b:bin'],
    ['APPEND', 'b:bin', ALL_BYTES],
    ['GETRANGE', 'b:bin', '250', '260'],
    ['SET', Buffer.from([0, 255, 13, 10]), ALL_BYTES.subarray(128)],
    ['GET', Buffer.from([0, 255, 13, 10])],
    ['RPUSH', 'b:list', 'a'],
    ['GET', 'b:list'],
    ['STRLEN', 'b:list'],
    ['APPEND', 'b:list', 'x'],
    ['GETRANGE', 'b:list', '0', '1'],
    ['SETRANGE', 'b:list', '0', 'x'],
    ['SETRANGE', 'b:list', '0', ''],
    ['INCR', 'b:list'],
    ['DECRBY', 'b:list', '2'],
    ['INCRBYFLOAT', 'b:list', '1'],
    ['GETSET', 'b:list', 'x'],
    ['GETDEL', 'b:list'],
    ['GETEX', 'b:list'],
    ['GETEX', 'b:list', 'EX', '10'],
    ['SET', 'b:list', 'x', 'GET'],
    ['SET', 'b:list', 'x'],
    ['TYPE', 'b:list'],
    ['MGET', 'b:k', 'b:none', 'b:bin'],
    ['HSET', 'b:hash', 'f', 'v'],
    ['MGET', 'b:hash', 'b:k'],
    ['GET'],
    ['SET', 'b:k'],
    ['GET', 'b:k', 'x'],
  );
});

test('SET options, combinations and errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SET', 's:a', '1', 'NX'],
    ['SET', 's:a', '2', 'NX'],
    ['GET', 's:a'],
    ['SET', 's:a', '3', 'XX'],
    ['SET', 's:none', '3', 'XX'],
    ['EXISTS', 's:none'],
    ['SET', 's:a', '4', 'nx', 'xx'],
    ['SET', 's:a', '4', 'XX', 'NX'],
    ['SET', 's:a', '4', 'NX', 'NX'],
    ['SET', 's:a', '4', 'XX', 'xX'],
    ['SET', 's:a', '5', 'GET'],
    ['SET', 's:a', '6', 'GET', 'GET'],
    ['SET', 's:new', '6', 'GET'],
    ['SET', 's:a', '7', 'NX', 'GET'],
    ['SET', 's:new2', '7', 'NX', 'GET'],
    ['SET', 's:a', '8', 'XX', 'GET'],
    ['SET', 's:none2', '8', 'XX', 'GET'],
    ['GET', 's:a'],
    ['SET', 's:a', '1', 'EX'],
    ['SET', 's:a', '1', 'PX'],
    ['SET', 's:a', '1', 'EX', '10', 'PX', '10'],
    ['SET', 's:a', '1', 'EX', '10', 'EX', '20'],
    ['SET', 's:a', '1', 'EX', '10', 'KEEPTTL'],
    ['SET', 's:a', '1', 'KEEPTTL', 'EX', '10'],
    ['SET', 's:a', '1', 'KEEPTTL', 'PXAT', '10'],
    ['SET', 's:a', '1', 'EXAT', '10', 'PXAT', '10'],
    ['SET', 's:a', '1', 'PERSIST'],
    ['SET', 's:a', '1', 'foo'],
    ['SET', 's:a', '1', 'EX', 'abc'],
    ['SET', 's:a', '1', 'EX', '0'],
    ['SET', 's:a', '1', 'EX', '-1'],
    ['SET', 's:a', '1', 'PX', '0'],
    ['SET', 's:a', '1', 'EXAT', '0'],
    ['SET', 's:a', '1', 'PXAT', '-5'],
    ['SET', 's:a', '1', 'EX', '9223372036854775'],
    ['SET', 's:a', '1', 'EX', '9223372036854776'],
    ['SET', 's:a', '1', 'EX', '9223372036854775807'],
    ['SET', 's:a', '1', 'PX', '9223372036854775807'],
    ['SET', 's:a', '1', 'PX', '9223372036854775808'],
    ['SET', 's:a', '1', 'EXAT', '9223372036854775'],
    ['SET', 's:a', '1', 'EXAT', '9223372036854776'],
    ['SET', 's:a', '1', 'EX', '10', 'GET'],
    ['SET', 's:a', '1', 'PX', '1.5'],
    ['SET', 's:a', '1', 'EX', ' 10'],
    ['SET', 's:a', '1', 'EX', '010'],
  );
});

test('SET / SETEX / PSETEX / GETEX expire handling', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(['SET', 't:a', 'v', 'EX', '100']);
  await ttlLike(['PTTL', 't:a'], 100000);
  await same(['SET', 't:a', 'w', 'KEEPTTL']);
  await ttlLike(['PTTL', 't:a'], 100000);
  await same(['SET', 't:a', 'x']);
  await same(['PTTL', 't:a']);
  await same(['SET', 't:a', 'v', 'PX', '50000', 'GET']);
  await ttlLike(['PTTL', 't:a'], 50000);
  await same(['SET', 't:a', 'v', 'EXAT', '4102444800']);
  await ttlLike(['TTL', 't:a'], 4102444800);
  await same(['SET', 't:a', 'v', 'PXAT', '4102444800000', 'XX']);
  await ttlLike(['PTTL', 't:a'], 4102444800000);
  // An absolute time in the past: OK, then the key is gone.
  await same(['SET', 't:past', 'v', 'EXAT', '1'], ['GET', 't:past'], ['EXISTS', 't:past']);
  await same(['SET', 't:past', 'v', 'PXAT', '1000', 'GET'], ['GET', 't:past']);
  // SETEX / PSETEX
  await same(
    ['SETEX', 't:e', '0', 'v'],
    ['SETEX', 't:e', '-1', 'v'],
    ['SETEX', 't:e', 'x', 'v'],
    ['SETEX', 't:e', '9223372036854775807', 'v'],
    ['PSETEX', 't:e', '0', 'v'],
    ['PSETEX', 't:e', '9223372036854775807', 'v'],
    ['SETEX', 't:e', '100', 'v'],
    ['GET', 't:e'],
  );
  await ttlLike(['PTTL', 't:e'], 100000);
  await same(['PSETEX', 't:e', '100000', 'w'], ['GET', 't:e']);
  await ttlLike(['PTTL', 't:e'], 100000);
  await same(['RPUSH', 't:list', 'a'], ['SETEX', 't:list', '10', 'v'], ['TYPE', 't:list']);
  // GETEX
  await same(
    ['GETEX', 't:none'],
    ['GETEX', 't:none', 'EX', '10'],
    ['GETEX', 't:none', 'EX', '0'],
    ['SET', 't:g', 'v'],
    ['GETEX', 't:g'],
    ['PTTL', 't:g'],
    ['GETEX', 't:g', 'EX', '0'],
    ['GETEX', 't:g', 'EX', '-3'],
    ['GETEX', 't:g', 'EX', 'x'],
    ['GETEX', 't:g', 'EX'],
    ['GETEX', 't:g', 'EX', '10', 'PX', '10'],
    ['GETEX', 't:g', 'EX', '10', 'PERSIST'],
    ['GETEX', 't:g', 'PERSIST', 'EX', '10'],
    ['GETEX', 't:g', 'KEEPTTL'],
    ['GETEX', 't:g', 'NX'],
    ['GETEX', 't:g', 'GET'],
    ['GETEX', 't:g', 'EX', '9223372036854775807'],
    ['GETEX', 't:g', 'PERSIST', 'PERSIST'],
    ['PTTL', 't:g'],
    ['GETEX', 't:g', 'EX', '100'],
  );
  await ttlLike(['PTTL', 't:g'], 100000);
  await same(['GETEX', 't:g', 'PX', '200000']);
  await ttlLike(['PTTL', 't:g'], 200000);
  await same(['GETEX', 't:g', 'EXAT', '4102444800']);
  await ttlLike(['TTL', 't:g'], 4102444800);
  await same(['GETEX', 't:g', 'PXAT', '4102444800000']);
  await ttlLike(['TTL', 't:g'], 4102444800);
  await same(['GETEX', 't:g', 'persist'], ['PTTL', 't:g'], ['GETEX', 't:g', 'PERSIST']);
  await same(['GETEX', 't:g', 'EXAT', '1'], ['EXISTS', 't:g'], ['GETEX', 't:g']);
  await same(['SET', 't:g', 'v'], ['GETEX', 't:g', 'PXAT', '1'], ['EXISTS', 't:g']);
  // INCR family and APPEND/SETRANGE keep the TTL; GETSET and MSET clear it.
  await same(['SET', 't:n', '1', 'EX', '100'], ['INCR', 't:n']);
  await ttlLike(['PTTL', 't:n'], 100000);
  await same(['INCRBYFLOAT', 't:n', '1.5'], ['APPEND', 't:n', '0'], ['SETRANGE', 't:n', '0', '9']);
  await ttlLike(['PTTL', 't:n'], 100000);
  await same(['GETSET', 't:n', '5'], ['PTTL', 't:n']);
  await same(['SET', 't:n', '1', 'EX', '100'], ['MSET', 't:n', '2'], ['PTTL', 't:n']);
  await same(['SET', 't:n', '1', 'EX', '100'], ['GETDEL', 't:n'], ['PTTL', 't:n']);
});

test('SETNX, GETSET, GETDEL, MGET, MSET, MSETNX', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SETNX', 'm:a', '1'],
    ['SETNX', 'm:a', '2'],
    ['GET', 'm:a'],
    ['GETSET', 'm:a', '3'],
    ['GETSET', 'm:none', '3'],
    ['GET', 'm:none'],
    ['GETDEL', 'm:none'],
    ['GETDEL', 'm:none'],
    ['EXISTS', 'm:none'],
    ['MSET', 'm:a'],
    ['MSET', 'm:a', '1', 'm:b'],
    ['MSET', 'm:a', '1', 'm:b', '2', 'm:a', '3'],
    ['MGET', 'm:a', 'm:b', 'm:c', 'm:a'],
    ['MSETNX', 'm:c', '1', 'm:a', '2'],
    ['MGET', 'm:c'],
    ['MSETNX', 'm:c', '1', 'm:d', '2'],
    ['MSETNX', 'm:c', '1', 'm:e'],
    ['MSETNX', 'm:e', '1', 'm:e', '2'],
    ['MGET', 'm:c', 'm:d', 'm:e'],
    ['MGET'],
  );
});

test('INCR/DECR/INCRBY/DECRBY: int64 limits and parsing', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['INCR', 'i:a'],
    ['INCR', 'i:a'],
    ['DECR', 'i:a'],
    ['DECR', 'i:b'],
    ['INCRBY', 'i:a', '100'],
    ['INCRBY', 'i:a', '-1000'],
    ['DECRBY', 'i:a', '-5'],
    ['INCRBY', 'i:a', 'x'],
    ['INCRBY', 'i:a', '1.5'],
    ['INCRBY', 'i:a', '+1'],
    ['INCRBY', 'i:a', '01'],
    ['INCRBY', 'i:a', ' 1'],
    ['INCRBY', 'i:a', '9223372036854775808'],
    ['DECRBY', 'i:a', '-9223372036854775808'],
    ['DECRBY', 'i:none', '-9223372036854775808'],
    ['SET', 'i:max', '9223372036854775806'],
    ['INCR', 'i:max'],
    ['INCR', 'i:max'],
    ['GET', 'i:max'],
    ['SET', 'i:min', '-9223372036854775807'],
    ['DECR', 'i:min'],
    ['DECR', 'i:min'],
    ['INCRBY', 'i:min', '-1'],
    ['INCRBY', 'i:min', '9223372036854775807'],
    ['INCRBY', 'i:min', '9223372036854775807'],
    ['INCRBY', 'i:min', '9223372036854775807'],
    ['SET', 'i:big', '9007199254740991'],
    ['INCR', 'i:big'],
    ['INCR', 'i:big'],
    ['INCRBY', 'i:big', '-9007199254740994'],
    ['DECRBY', 'i:big', '9223372036854775807'],
    ['SET', 'i:s', 'abc'],
    ['INCR', 'i:s'],
    ['SET', 'i:s', '1.0'],
    ['INCR', 'i:s'],
    ['SET', 'i:s', '-0'],
    ['INCR', 'i:s'],
    ['SET', 'i:s', '007'],
    ['INCR', 'i:s'],
    ['SET', 'i:s', ''],
    ['INCR', 'i:s'],
    ['SET', 'i:s', '9223372036854775808'],
    ['INCR', 'i:s'],
    ['SET', 'i:s', '-9223372036854775808'],
    ['INCR', 'i:s'],
    ['DECR', 'i:s'],
    ['SET', 'i:s', '1 '],
    ['INCR', 'i:s'],
    ['INCR', 'i:s', '1'],
  );
});

test('INCRBYFLOAT formatting as long double %.17Lf', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const cases: [string, string][] = [
    ['10.5', '0.1'],
    ['3.0e3', '0'],
    ['0', '0.1'],
    ['0.1', '0.2'],
    ['-1.5', '1.5'],
    ['1e20', '1'],
    ['5.0e3', '2.0e2'],
    ['17179869184', '1.5'],
    ['0', '1e-20'],
    ['0', '-1e-18'],
    ['0', '5e-18'],
    ['0', '1.5e-17'],
    ['0', '2.5e-17'],
    ['0', '0x1p-3'],
    ['0', '0x1.8P1'],
    ['0', '1e400'],
    ['0', '123456789.123456789123'],
    ['0', '-0'],
    ['0', '.5'],
    ['0', '5.'],
    ['0', '+3'],
    ['1e308', '1e308'],
    ['0', '1.18e4932'],
    ['0', '1.2e4932'],
    ['0', '1e-5000'],
    ['0', '99999999999999999999999'],
    ['0.3', '-0.1'],
    ['100', '-99.99'],
    ['0', '3.14159265358979323846264338327950288'],
    ['0', '1e'],
    ['0', '1e+'],
    ['0', 'e5'],
    ['0', '.'],
    ['0', ' 1'],
    ['0', '1 '],
    ['0', 'inf'],
    ['0', '-infinity'],
    ['0', 'nan'],
    ['0', '0x'],
    ['0', '1,5'],
    ['inf', '1'],
    ['abc', '1'],
    ['1.5e-3', '1'],
    ['9223372036854775807', '1'],
    ['-5', '-5.000000000000000001'],
    ['1\x002', '1'],
    ['1', '1\x002'],
    ['1\x00', '1'],
  ];
  for (const [a, b] of cases) await same(['SET', 'f:k', a], ['INCRBYFLOAT', 'f:k', b], ['GET', 'f:k']);
  await same(['INCRBYFLOAT', 'f:none', '1.25'], ['INCRBYFLOAT', 'f:none', '-1.25'], ['GET', 'f:none']);
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  await same(['SET', 'f:acc', '0']);
  for (let i = 0; i < 150; i++) {
    const v = ((next() - 0.5) * 10 ** Math.floor(next() * 12 - 4)).toPrecision(1 + Math.floor(next() * 18));
    await same(['INCRBYFLOAT', 'f:acc', v]);
  }
});

test('APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['APPEND', 'r:a', 'hello'],
    ['APPEND', 'r:a', ' world'],
    ['APPEND', 'r:a', ''],
    ['STRLEN', 'r:a'],
    ['STRLEN', 'r:none'],
    ['SET', 'r:n', '12345'],
    ['APPEND', 'r:n', '6'],
    ['INCR', 'r:n'],
  );
  const ranges: [string, string][] = [
    ['0', '-1'],
    ['0', '0'],
    ['3', '1'],
    ['-3', '-1'],
    ['-1', '-3'],
    ['-100', '100'],
    ['100', '200'],
    ['5', '5'],
    ['-1', '0'],
    ['0', '-100'],
    ['-9223372036854775808', '9223372036854775807'],
    ['9223372036854775807', '-9223372036854775808'],
    ['-9223372036854775808', '-9223372036854775807'],
    ['-9223372036854775807', '-9223372036854775808'],
  ];
  for (const [s, e] of ranges) {
    await same(['GETRANGE', 'r:a', s, e], ['SUBSTR', 'r:a', s, e], ['GETRANGE', 'r:none', s, e]);
  }
  await same(
    ['SET', 'r:empty', ''],
    ['GETRANGE', 'r:empty', '0', '-1'],
    ['GETRANGE', 'r:a', 'x', '1'],
    ['GETRANGE', 'r:a', '1', 'x'],
    ['GETRANGE', 'r:a', '1'],
    ['SETRANGE', 'r:s', '5', 'abc'],
    ['GET', 'r:s'],
    ['SETRANGE', 'r:s', '0', 'XY'],
    ['SETRANGE', 'r:s', '7', 'ZZZZ'],
    ['SETRANGE', 'r:s', '20', '!'],
    ['GET', 'r:s'],
    ['SETRANGE', 'r:s', '1', ''],
    ['SETRANGE', 'r:s2', '1', ''],
    ['EXISTS', 'r:s2'],
    ['SETRANGE', 'r:s2', '-1', 'x'],
    ['SETRANGE', 'r:s2', 'x', 'x'],
    ['SETRANGE', 'r:s2', '536870912', 'x'],
    ['SETRANGE', 'r:s2', '9223372036854775807', 'x'],
    ['SETRANGE', 'r:s', '536870912', 'x'],
    ['SETRANGE', 'r:s', '9223372036854775807', ''],
    ['SETRANGE', 'r:s2', '9223372036854775807', ''],
    ['SET', 'r:i', '123'],
    ['SETRANGE', 'r:i', '1', '9'],
    ['INCR', 'r:i'],
    ['SETRANGE', 'r:bin', '3', ALL_BYTES],
    ['GET', 'r:bin'],
  );
});

test('LCS', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['MSET', 'l:a', 'ohmytext', 'l:b', 'mynewtext'],
    ['LCS', 'l:a', 'l:b'],
    ['LCS', 'l:a', 'l:b', 'LEN'],
    ['LCS', 'l:a', 'l:b', 'IDX'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'MINMATCHLEN', '4'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'WITHMATCHLEN'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'MINMATCHLEN', '-4'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'MINMATCHLEN', 'x'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'MINMATCHLEN'],
    ['LCS', 'l:a', 'l:b', 'IDX', 'LEN'],
    ['LCS', 'l:a', 'l:b', 'LEN', 'WITHMATCHLEN'],
    ['LCS', 'l:a', 'l:b', 'foo'],
    ['LCS', 'l:a', 'l:none'],
    ['LCS', 'l:none', 'l:none', 'IDX'],
    ['LCS', 'l:none', 'l:a', 'LEN'],
    ['RPUSH', 'l:list', 'x'],
    ['LCS', 'l:a', 'l:list'],
    ['LCS', 'l:list', 'l:a', 'foo'],
    ['SET', 'l:c', 'rosettacode'],
    ['SET', 'l:d', 'raisethysword'],
    ['LCS', 'l:c', 'l:d'],
    ['LCS', 'l:c', 'l:d', 'IDX', 'WITHMATCHLEN'],
    ['LCS', 'l:d', 'l:c', 'IDX', 'WITHMATCHLEN'],
    ['SET', 'l:e', ALL_BYTES],
    ['SET', 'l:f', Buffer.concat([ALL_BYTES.subarray(100), ALL_BYTES.subarray(0, 120)])],
    ['LCS', 'l:e', 'l:f'],
    ['LCS', 'l:e', 'l:f', 'IDX', 'MINMATCHLEN', '3', 'WITHMATCHLEN'],
  );
  let seed = 3;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 20; i++) {
    const gen = (): string => Array.from({ length: Math.floor(next() * 40) }, () => 'abcd'[Math.floor(next() * 4)]).join('');
    await same(
      ['MSET', 'l:x', gen(), 'l:y', gen()],
      ['LCS', 'l:x', 'l:y'],
      ['LCS', 'l:x', 'l:y', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 'l:x', 'l:y', 'IDX', 'MINMATCHLEN', '2'],
    );
  }
});

test('RESP3 replies', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const dd = d as Differential;
  const [r, k] = await dd.connectBoth();
  try {
    for (const cmd of [
      ['HELLO', '3'],
      ['GET', 'p:none'],
      ['SET', 'p:a', 'ohmytext'],
      ['SET', 'p:a', 'x', 'NX'],
      ['SET', 'p:none', 'x', 'XX'],
      ['SET', 'p:b', 'mynewtext', 'GET'],
      ['MGET', 'p:a', 'p:none'],
      ['GETEX', 'p:none'],
      ['INCRBYFLOAT', 'p:f', '1.5'],
      ['LCS', 'p:a', 'p:b', 'IDX', 'WITHMATCHLEN'],
    ]) {
      const [a, b] = await Promise.all([r.send(...cmd), k.send(...cmd)]);
      if (cmd[0] === 'HELLO') continue;
      assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), `RESP3 reply to ${cmd.join(' ')}`);
    }
  } finally {
    r.close();
    k.close();
  }
});

test('OBJECT ENCODING of strings: int, embstr, raw by value; raw once changed in place (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP), by value again after SET or INCR', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const enc = (k: string): Cmd => ['OBJECT', 'ENCODING', k];
  await same(
    ['SET', 'e:n', '1234'],
    enc('e:n'),
    ['SETRANGE', 'e:n', '0', ''],
    enc('e:n'),
    ['SETRANGE', 'e:n', '0', '2'],
    enc('e:n'),
    ['GET', 'e:n'],
    ['INCR', 'e:n'],
    enc('e:n'),
    ['APPEND', 'e:n', '5'],
    enc('e:n'),
    ['SET', 'e:n', '77'],
    enc('e:n'),
    ['APPEND', 'e:new', '42'],
    enc('e:new'),
    ['SETRANGE', 'e:sr', '3', 'ab'],
    enc('e:sr'),
    ['SET', 'e:s', 'short'],
    enc('e:s'),
    ['SET', 'e:long', 'x'.repeat(45)],
    enc('e:long'),
    ['SETBIT', 'e:bit', '7', '1'],
    enc('e:bit'),
    ['BITFIELD', 'e:bf', 'SET', 'u8', '0', '255'],
    enc('e:bf'),
    ['BITOP', 'OR', 'e:op', 'e:bit', 'e:bf'],
    enc('e:op'),
    ['SET', 'e:bit', '12'],
    enc('e:bit'),
    ['INCRBYFLOAT', 'e:f', '1.5'],
    enc('e:f'),
  );
});

test('INCR/DECR in place: digit and int32 boundaries, shorter and longer results', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SET', 'w:a', '99999'],
    ['INCR', 'w:a'],
    ['GET', 'w:a'],
    ['DECR', 'w:a'],
    ['GET', 'w:a'],
    ['SET', 'w:b', '-9'],
    ['DECR', 'w:b'],
    ['INCRBY', 'w:b', '20'],
    ['GET', 'w:b'],
    ['SET', 'w:c', '2147483646'],
    ['INCR', 'w:c'],
    ['INCR', 'w:c'],
    ['INCR', 'w:c'],
    ['GET', 'w:c'],
    ['SET', 'w:d', '-2147483647'],
    ['DECR', 'w:d'],
    ['DECR', 'w:d'],
    ['GET', 'w:d'],
    ['INCRBY', 'w:d', '4294967296'],
    ['GET', 'w:d'],
    ['SET', 'w:e', '12345678901234567890123'],
    ['SET', 'w:e', '5'],
    ['INCRBY', 'w:e', '999999999999'],
    ['GET', 'w:e'],
    ['OBJECT', 'ENCODING', 'w:e'],
    ['DECRBY', 'w:e', '1000000000003'],
    ['GET', 'w:e'],
    ['STRLEN', 'w:e'],
  );
});
