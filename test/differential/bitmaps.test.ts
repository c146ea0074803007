/**
 * Differential tests of the bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
 * BITFIELD_RO) against redis-server 7.0: fixed cases with every error path, string growth, range
 * edge cases, BITFIELD overflow modes and widths, dirty counts (what is propagated), and a seeded
 * random sequence of 2000 operations compared reply by reply with the raw values.
 */
import { test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

test('SETBIT/GETBIT: growth, errors, wrong types', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SETBIT', 'sb', '7', '1'],
    ['GET', 'sb'],
    ['SETBIT', 'sb', '100', '1'],
    ['GET', 'sb'],
    ['STRLEN', 'sb'],
    ['SETBIT', 'sb', '100', '0'],
    ['SETBIT', 'sb', '100', '0'],
    ['GETBIT', 'sb', '7'],
    ['GETBIT', 'sb', '6'],
    ['GETBIT', 'sb', '100000'],
    ['GETBIT', 'nokey', '3'],
    ['SETBIT', 'sb', '-1', '1'],
    ['SETBIT', 'sb', 'x', '1'],
    ['SETBIT', 'sb', '1', '2'],
    ['SETBIT', 'sb', '1', '-1'],
    ['SETBIT', 'sb', '1', 'a'],
    ['SETBIT', 'sb', '4294967296', '1'],
    ['SETBIT', 'sb', '99999999999999999999', '1'],
    ['GETBIT', 'sb', '-1'],
    ['GETBIT', 'sb', '4294967296'],
    ['GETBIT', 'sb', '#1'],
    ['SET', 'num', '12345'],
    ['GETBIT', 'num', '2'],
    ['GETBIT', 'num', '3'],
    ['SETBIT', 'num', '9', '1'],
    ['GET', 'num'],
    ['LPUSH', 'lst', 'a'],
    ['SETBIT', 'lst', '1', '1'],
    ['GETBIT', 'lst', '1'],
    ['SETBIT', 'sb'],
    ['GETBIT', 'sb'],
  );
  await same(['SET', 'ttl', 'abc', 'EX', '100'], ['SETBIT', 'ttl', '30', '1'], ['TTL', 'ttl'], ['GET', 'ttl']);
});

test('BITCOUNT: byte and bit ranges, negative indexes, errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(['SET', 'bc', 'foobar\xff\x00\x81'], ['SET', 'empty', '']);
  const cmds: Cmd[] = [
    ['BITCOUNT', 'bc'],
    ['BITCOUNT', 'empty'],
    ['BITCOUNT', 'nokey'],
    ['BITCOUNT', 'nokey', 'a', 'b'],
  ];
  const idx = ['0', '1', '2', '-1', '-2', '-5', '7', '8', '9', '100', '-100', '63', '64', '71', '72', '5', '13'];
  for (const s of idx) {
    for (const e of idx) {
      cmds.push(['BITCOUNT', 'bc', s, e], ['BITCOUNT', 'bc', s, e, 'BIT'], ['BITCOUNT', 'bc', s, e, 'byte']);
    }
  }
  cmds.push(
    ['BITCOUNT', 'bc', '0'],
    ['BITCOUNT', 'bc', '0', '1', 'bits'],
    ['BITCOUNT', 'bc', 'x', '1'],
    ['BITCOUNT', 'bc', '0', 'y'],
    ['BITCOUNT', 'bc', '0', '1', 'BIT', 'x'],
    ['BITCOUNT', 'bc', '-9223372036854775807', '-9223372036854775808'],
    ['BITCOUNT', 'bc', '-9223372036854775808', '9223372036854775807'],
    ['BITCOUNT', 'bc', '0', '9223372036854775807', 'BIT'],
    ['BITCOUNT', 'empty', '0', '-1', 'BIT'],
    ['LPUSH', 'bclist', 'x'],
    ['BITCOUNT', 'bclist'],
    ['SET', 'bcnum', '-987'],
    ['BITCOUNT', 'bcnum', '1', '2'],
  );
  await same(...cmds);
});

test('BITPOS: clear bits past the end, end given, BIT ranges, errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SET', 'ones', '\xff\xff\xff'],
    ['SET', 'zeros', '\x00\x00\x00'],
    ['SET', 'mix', '\x00\xff\xf0\x0f\x00\x01'],
    ['SET', 'empty', ''],
  );
  const cmds: Cmd[] = [];
  const idx = ['0', '1', '2', '-1', '-2', '-3', '5', '8', '9', '15', '16', '17', '23', '24', '40', '47', '100', '-100'];
  for (const key of ['ones', 'zeros', 'mix', 'empty', 'nokey']) {
    for (const bit of ['0', '1']) {
      cmds.push(['BITPOS', key, bit]);
      for (const s of idx) {
        cmds.push(['BITPOS', key, bit, s], ['BITPOS', key, bit, s, '-1', 'BIT']);
        for (const e of idx) {
          cmds.push(['BITPOS', key, bit, s, e], ['BITPOS', key, bit, s, e, 'BIT'], ['BITPOS', key, bit, s, e, 'BYTE']);
        }
      }
    }
  }
  cmds.push(
    ['BITPOS', 'mix', '2'],
    ['BITPOS', 'mix', '-1'],
    ['BITPOS', 'mix', 'x'],
    ['BITPOS', 'nokey', '2'],
    ['BITPOS', 'mix', '1', 'a'],
    ['BITPOS', 'mix', '1', '0', 'b'],
    ['BITPOS', 'mix', '1', '0', '1', 'BITS'],
    ['BITPOS', 'mix', '1', '0', '1', 'BIT', 'x'],
    ['LPUSH', 'bplist', 'x'],
    ['BITPOS', 'bplist', '1'],
    ['SET', 'bpnum', '1234'],
    ['BITPOS', 'bpnum', '0', '1'],
  );
  await same(...cmds);
});

test('BITOP: AND/OR/XOR/NOT, missing sources, empty result deletes, errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['SET', 'a', '\x01\x02\xff\x10'],
    ['SET', 'b', '\xf0\x0f'],
    ['SET', 'c', 'hello world'],
    ['SET', 'e', ''],
    ['BITOP', 'AND', 'r', 'a', 'b'],
    ['GET', 'r'],
    ['BITOP', 'or', 'r', 'a', 'b', 'c'],
    ['GET', 'r'],
    ['BITOP', 'Xor', 'r', 'a', 'b', 'c', 'nokey'],
    ['GET', 'r'],
    ['BITOP', 'AND', 'r', 'a', 'nokey'],
    ['GET', 'r'],
    ['BITOP', 'NOT', 'r', 'c'],
    ['GET', 'r'],
    ['BITOP', 'NOT', 'r', 'nokey'],
    ['EXISTS', 'r'],
    ['SET', 'r', 'x', 'EX', '100'],
    ['BITOP', 'OR', 'r', 'e', 'nokey'],
    ['EXISTS', 'r'],
    ['BITOP', 'AND', 'a', 'a', 'b'],
    ['GET', 'a'],
    ['BITOP', 'NOT', 'r', 'a', 'b'],
    ['BITOP', 'NOT', 'r'],
    ['BITOP', 'NAND', 'r', 'a'],
    ['BITOP', 'NAND', 'r', 'a', 'b'],
    ['LPUSH', 'l', 'x'],
    ['BITOP', 'AND', 'r', 'a', 'l'],
    ['BITOP', 'AND', 'l', 'a'],
    ['TYPE', 'l'],
    ['SET', 'n', '12'],
    ['BITOP', 'NOT', 'r', 'n'],
    ['GET', 'r'],
    ['BITOP', 'AND', 'r'],
  );
});

test('BITFIELD: GET/SET/INCRBY, overflow modes, widths, # offsets, errors, BITFIELD_RO', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const cmds: Cmd[] = [
    ['BITFIELD', 'bf'],
    ['EXISTS', 'bf'],
    ['BITFIELD', 'bf', 'GET', 'u8', '0'],
    ['EXISTS', 'bf'],
    ['BITFIELD', 'bf', 'SET', 'u8', '0', '255', 'GET', 'u8', '0', 'GET', 'i8', '0'],
    ['BITFIELD', 'bf', 'INCRBY', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '5'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '102', '5', 'INCRBY', 'i4', '#3', '-9'],
    ['GET', 'bf'],
    ['BITFIELD', 'bf', 'SET', 'i64', '0', '-9223372036854775808', 'GET', 'i64', '0', 'GET', 'u63', '0', 'GET', 'u63', '1'],
    ['BITFIELD', 'bf', 'INCRBY', 'i64', '0', '-1'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '-1', 'INCRBY', 'i64', '0', '9223372036854775807'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '1'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'WRAP', 'INCRBY', 'i64', '0', '1'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'i64', '0', '-1', 'INCRBY', 'i64', '0', '9223372036854775807'],
    ['BITFIELD', 'bf', 'SET', 'u63', '1', '-1', 'GET', 'u63', '1', 'INCRBY', 'u63', '1', '1'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'SET', 'u63', '1', '-1', 'SET', 'i8', '3', '1000', 'SET', 'i8', '3', '-1000', 'GET', 'i8', '3'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'SET', 'u8', '1', '256', 'SET', 'i1', '0', '1', 'SET', 'i1', '0', '-1', 'GET', 'i1', '0'],
    ['BITFIELD', 'bf', 'INCRBY', 'u1', '7', '3', 'INCRBY', 'i1', '7', '1', 'INCRBY', 'i1', '7', '-3'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'sat', 'INCRBY', 'u8', '#9', '-300', 'INCRBY', 'i16', '#9', '-40000', 'INCRBY', 'i16', '#9', '40000'],
    ['BITFIELD', 'bf', 'GET', 'i5', '#1000'],
    ['BITFIELD', 'bf', 'SET', 'i5', '#40', '7'],
    ['STRLEN', 'bf'],
    ['GET', 'bf'],
    ['BITFIELD', 'bf', 'GET', 'u64', '0'],
    ['BITFIELD', 'bf', 'GET', 'i65', '0'],
    ['BITFIELD', 'bf', 'GET', 'i0', '0'],
    ['BITFIELD', 'bf', 'GET', 'x8', '0'],
    ['BITFIELD', 'bf', 'GET', 'u', '0'],
    ['BITFIELD', 'bf', 'GET', 'u8', '-1'],
    ['BITFIELD', 'bf', 'GET', 'u8', '#-1'],
    ['BITFIELD', 'bf', 'GET', 'u8', '#'],
    ['BITFIELD', 'bf', 'GET', 'u8', '4294967296'],
    ['BITFIELD', 'bf', 'GET', 'u8', '#536870912'],
    ['BITFIELD', 'bf', 'GET', 'i64', '#1152921504606846976'],
    ['BITFIELD', 'bf', 'SET', 'u8', '0', 'x'],
    ['BITFIELD', 'bf', 'SET', 'u8', '0'],
    ['BITFIELD', 'bf', 'INCRBY', 'u8', '0'],
    ['BITFIELD', 'bf', 'GET', 'u8'],
    ['BITFIELD', 'bf', 'OVERFLOW', 'WRAPS', 'GET', 'u8', '0'],
    ['BITFIELD', 'bf', 'OVERFLOW'],
    ['BITFIELD', 'bf', 'FOO', 'u8', '0'],
    ['BITFIELD', 'bf', 'GET', 'u8', '0', 'SET', 'u8', '0', '1', 'GET', 'x8', '0'],
    ['BITFIELD_RO', 'bf', 'GET', 'u8', '0', 'GET', 'i3', '#5'],
    ['BITFIELD_RO', 'bf', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'bf', 'INCRBY', 'u8', '0', '1'],
    ['BITFIELD_RO', 'nokey', 'GET', 'u8', '0'],
    ['BITFIELD_RO', 'bf'],
    ['LPUSH', 'bfl', 'x'],
    ['BITFIELD', 'bfl', 'GET', 'u8', '0'],
    ['BITFIELD', 'bfl', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'bfl', 'GET', 'u8', '0'],
    ['BITFIELD_RO', 'bfl', 'SET', 'u8', '0', '1'],
    ['SET', 'bfn', '42'],
    ['BITFIELD', 'bfn', 'GET', 'u16', '0', 'INCRBY', 'u8', '8', '1'],
    ['GET', 'bfn'],
    ['BITFIELD', 'bfnew', 'OVERFLOW', 'FAIL', 'INCRBY', 'u4', '100', '16'],
    ['GET', 'bfnew'],
  ];
  await same(...cmds);
});

/** rdb_changes_since_last_save, the server's dirty counter. */
async function dirty(): Promise<[number, number]> {
  const dd = d as Differential;
  const [a, b] = await Promise.all([dd.r.call('INFO', 'persistence'), dd.k.call('INFO', 'persistence')]);
  const n = (s: unknown) => Number(/rdb_changes_since_last_save:(\d+)/.exec(String(s))?.[1]);
  return [n(a), n(b)];
}

test('dirty counts (what is propagated) as redis-server', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const cases: Cmd[] = [
    ['SETBIT', 'dk', '10', '1'],
    ['SETBIT', 'dk', '10', '1'],
    ['SETBIT', 'dk', '3', '0'],
    ['SETBIT', 'dk', '30', '0'],
    ['BITFIELD', 'dk', 'SET', 'u8', '0', '0', 'INCRBY', 'u8', '0', '0'],
    ['BITFIELD', 'dk', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'],
    ['BITFIELD', 'dk', 'GET', 'u8', '0'],
    ['BITFIELD', 'dk', 'SET', 'u8', '0', '1', 'INCRBY', 'i8', '0', '-1', 'INCRBY', 'i8', '0', '0'],
    ['BITFIELD', 'dk', 'OVERFLOW', 'SAT', 'INCRBY', 'u4', '0', '100', 'INCRBY', 'u4', '0', '100'],
    ['BITFIELD', 'dk', 'SET', 'u8', '800', '0'],
    ['BITFIELD', 'dk', 'SET', 'u8', '800', '0'],
    ['BITFIELD', 'dknew', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'],
    ['EXISTS', 'dknew'],
    ['BITFIELD', 'dknew2', 'SET', 'u2', '0', '0'],
    ['GET', 'dknew2'],
    ['SETBIT', 'dknew3', '0', '0'],
    ['BITOP', 'OR', 'dk2', 'nokey'],
    ['BITOP', 'OR', 'dk2', 'dk'],
    ['BITOP', 'OR', 'dk2', 'nokey'],
  ];
  for (const cmd of cases) {
    const [r0, k0] = await dirty();
    await same(cmd);
    const [r1, k1] = await dirty();
    if (r1 - r0 !== k1 - k0) throw new Error(`${cmd.join(' ')}: dirty +${k1 - k0}, redis +${r1 - r0}`);
  }
});

test('2000 seeded random bitmap operations, reply by reply', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const r = rng(0x6b17);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: T[]): T => a[int(a.length)];
  const keys = ['rk:a', 'rk:b', 'rk:c', 'rk:d'];
  const off = () => String(r() < 0.8 ? int(200) : int(3000));
  const idx = () => String(int(40) - 20);
  const bigVal = () => {
    const v = BigInt.asIntN(64, (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32)));
    return String(r() < 0.5 ? v : BigInt(int(600) - 300));
  };
  const type = () => (r() < 0.5 ? `i${1 + int(64)}` : `u${1 + int(63)}`);
  const cmds: Cmd[] = [];
  for (let n = 0; n < 2000; n++) {
    const k = pick(keys);
    const x = r();
    if (x < 0.25) cmds.push(['SETBIT', k, off(), String(int(2))]);
    else if (x < 0.35) cmds.push(['GETBIT', k, off()]);
    else if (x < 0.45) {
      const c: Cmd = ['BITCOUNT', k];
      if (r() < 0.8) c.push(idx(), idx());
      if (c.length > 2 && r() < 0.6) c.push(pick(['BIT', 'BYTE']));
      cmds.push(c);
    } else if (x < 0.6) {
      const c: Cmd = ['BITPOS', k, String(int(2))];
      const m = int(4);
      if (m >= 1) c.push(idx());
      if (m >= 2) c.push(idx());
      if (m >= 3) c.push(pick(['BIT', 'BYTE']));
      cmds.push(c);
    } else if (x < 0.68) {
      const op = pick(['AND', 'OR', 'XOR', 'NOT']);
      const srcs = op === 'NOT' ? [pick(keys)] : Array.from({ length: 1 + int(3) }, () => pick(keys));
      cmds.push(['BITOP', op, k, ...srcs]);
    } else if (x < 0.9) {
      const c: Cmd = [r() < 0.2 ? 'BITFIELD_RO' : 'BITFIELD', k];
      const nops = 1 + int(3);
      for (let i = 0; i < nops; i++) {
        const y = r();
        if (y < 0.2) c.push('OVERFLOW', pick(['WRAP', 'SAT', 'FAIL']));
        const t2 = type();
        const o = r() < 0.2 ? `#${int(20)}` : off();
        const z = r();
        if (z < 0.4) c.push('GET', t2, o);
        else if (z < 0.7) c.push('SET', t2, o, bigVal());
        else c.push('INCRBY', t2, o, bigVal());
      }
      cmds.push(c);
    } else if (x < 0.96) cmds.push(['GET', k]);
    else if (x < 0.98) cmds.push(['DEL', k]);
    else cmds.push(['SET', k, Buffer.from(Array.from({ length: int(20) }, () => int(256)))]);
  }
  for (const c of cmds) await same(c);
  for (const k of keys) await same(['GET', k]);
});
