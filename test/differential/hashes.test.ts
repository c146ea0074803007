/**
 * Hash commands against a real redis-server 7.0: replies compared byte for byte, except random
 * picks (HRANDFIELD) and hashtable-ordered replies, which are normalised (sorted, sizes, membership).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';
import { rng } from '../helpers/random.js';

function flat(r: unknown): string[] {
  if (Array.isArray(r)) return r.flatMap(flat);
  if (r && typeof r === 'object' && 'v' in r) return flat((r as { v: unknown }).v);
  return [String(r)];
}

/** Pairs (field,value) sorted, for hashtable-ordered HGETALL / HSCAN element lists. */
function sortedPairs(r: unknown): string[] {
  const f = flat(r);
  const pairs: string[] = [];
  for (let i = 0; i + 1 < f.length; i += 2) pairs.push(`${f[i]}=${f[i + 1]}`);
  return pairs.sort();
}

describe('hashes (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('HSET, HSETNX, HGET, HMSET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN, HDEL', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['HSET', 'h:a', 'f1', 'v1', 'f2', 'v2', 'f3', ''],
      ['HSET', 'h:a', 'f1', 'x', 'f4', 'y'],
      ['HSET', 'h:a', 'f1'],
      ['HMSET', 'h:a', 'f1'],
      ['HMSET', 'h:a', 'f5', '5', 'f6', '6'],
      ['HSETNX', 'h:a', 'f1', 'no'],
      ['HSETNX', 'h:a', 'f9', 'yes'],
      ['HGET', 'h:a', 'f1'],
      ['HGET', 'h:a', 'nope'],
      ['HGET', 'h:nokey', 'f'],
      ['HMGET', 'h:a', 'f1', 'nope', 'f3'],
      ['HMGET', 'h:nokey', 'a', 'b'],
      ['HGETALL', 'h:a'],
      ['HKEYS', 'h:a'],
      ['HVALS', 'h:a'],
      ['HGETALL', 'h:nokey'],
      ['HKEYS', 'h:nokey'],
      ['HLEN', 'h:a'],
      ['HLEN', 'h:nokey'],
      ['HEXISTS', 'h:a', 'f2'],
      ['HEXISTS', 'h:a', 'nope'],
      ['HSTRLEN', 'h:a', 'f2'],
      ['HSTRLEN', 'h:a', 'nope'],
      ['HDEL', 'h:a', 'f2', 'nope', 'f2'],
      ['HGETALL', 'h:a'],
      ['HDEL', 'h:nokey', 'f'],
      ['HDEL', 'h:a', 'f1', 'f3', 'f4', 'f5', 'f6', 'f9'],
      ['EXISTS', 'h:a'],
      ['SET', 'h:str', 'x'],
      ['HSET', 'h:str', 'a', 'b'],
      ['HGET', 'h:str', 'a'],
      ['HGETALL', 'h:str'],
      ['HDEL', 'h:str', 'a'],
      ['HLEN', 'h:str'],
      ['HMGET', 'h:str', 'a'],
      ['HSETNX', 'h:str', 'a', 'b'],
      ['HSET', 'h:bin', '\x00\xff\r\n', '\x01\x80'],
      ['HGETALL', 'h:bin'],
    );
  });

  it('HGETALL in RESP3 is a map', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.sameAfter(['HELLO', '3'], () => true);
    await d.same(['HSET', 'h:r3', 'a', '1', 'b', '2'], ['HGETALL', 'h:r3'], ['HGETALL', 'h:nokey'], ['HKEYS', 'h:r3']);
    await d.sameAfter(['HELLO', '2'], () => true);
  });

  it('HINCRBY and HINCRBYFLOAT', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['HINCRBY', 'h:i', 'n', '5'],
      ['HINCRBY', 'h:i', 'n', '-7'],
      ['HINCRBY', 'h:i', 'n', 'x'],
      ['HINCRBY', 'h:i', 'n', '9223372036854775807'],
      ['HINCRBY', 'h:i', 'm', '9223372036854775807'],
      ['HINCRBY', 'h:i', 'm', '1'],
      ['HINCRBY', 'h:i', 'm', '-9223372036854775807'],
      ['HSET', 'h:i', 's', 'abc', 'sp', ' 1'],
      ['HINCRBY', 'h:i', 's', '1'],
      ['HINCRBY', 'h:i', 'sp', '1'],
      ['HINCRBYFLOAT', 'h:i', 's', '1'],
      ['HINCRBYFLOAT', 'h:i', 'f', '0.1'],
      ['HINCRBYFLOAT', 'h:i', 'f', '0.2'],
      ['HINCRBYFLOAT', 'h:i', 'f', '1e3'],
      ['HINCRBYFLOAT', 'h:i', 'f', '-1001.3'],
      ['HINCRBYFLOAT', 'h:i', 'f', 'abc'],
      ['HINCRBYFLOAT', 'h:i', 'f', 'inf'],
      ['HINCRBYFLOAT', 'h:i', 'f', '1e5000'],
      ['HINCRBYFLOAT', 'h:i', 'f', '3.0e3'],
      ['HINCRBYFLOAT', 'h:i', 'n', '1.5'],
      ['HINCRBYFLOAT', 'h:i', 'g', '1.23456789012345678901'],
      ['HINCRBYFLOAT', 'h:i', 'g', '-5e-5'],
      ['HINCRBYFLOAT', 'h:i', 'big', '1e30'],
      ['HINCRBYFLOAT', 'h:i', 'big', '-1e30'],
      ['HSET', 'h:i', 'nul', '1\x002'],
      ['HINCRBYFLOAT', 'h:i', 'nul', '1'],
      ['HINCRBYFLOAT', 'h:i', 'f', '1\x002'],
      ['HGETALL', 'h:i'],
      ['SET', 'h:str', 'x'],
      ['HINCRBY', 'h:str', 'a', '1'],
      ['HINCRBYFLOAT', 'h:str', 'a', '1'],
    );
    const r = rng(7);
    const cmds: string[][] = [];
    for (let i = 0; i < 200; i++) {
      const v = ((r() - 0.5) * 10 ** Math.floor(r() * 12)).toFixed(Math.floor(r() * 8));
      cmds.push(['HINCRBYFLOAT', 'h:rand', `f${i % 5}`, v]);
    }
    await d.same(...cmds);
  });

  it('encodings: listpack → hashtable by entries and by value length', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: string[][] = [];
    for (let i = 0; i < 512; i++) cmds.push(['HSET', 'h:enc', `f${i}`, `${i}`]);
    await d.same(...cmds, ['OBJECT', 'ENCODING', 'h:enc'], ['HGETALL', 'h:enc']);
    await d.same(['HSET', 'h:enc', 'f512', 'x'], ['OBJECT', 'ENCODING', 'h:enc'], ['HDEL', 'h:enc', 'f512', 'f1']);
    await d.same(['OBJECT', 'ENCODING', 'h:enc'], ['HLEN', 'h:enc']);
    await d.sameAfter(['HGETALL', 'h:enc'], sortedPairs);
    await d.same(
      ['HSET', 'h:long', 'a', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'h:long'],
      ['HSET', 'h:long', 'b', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'h:long'],
      ['HSET', 'h:long2', 'y'.repeat(65), '1'],
      ['OBJECT', 'ENCODING', 'h:long2'],
      ['HINCRBYFLOAT', 'h:lf', 'f', '1.00000000000000000001'],
      ['OBJECT', 'ENCODING', 'h:lf'],
      ['HSETNX', 'h:lf', 'f', 'z'.repeat(70)],
      ['OBJECT', 'ENCODING', 'h:lf'],
      ['HINCRBYFLOAT', 'h:lf2', 'f', '1e70'],
      ['OBJECT', 'ENCODING', 'h:lf2'],
      ['HINCRBY', 'h:lf3', 'q'.repeat(70), '1'],
      ['OBJECT', 'ENCODING', 'h:lf3'],
      ['COPY', 'h:lf3', 'h:lf4'],
      ['OBJECT', 'ENCODING', 'h:lf4'],
      ['HGETALL', 'h:lf4'],
    );
  });

  it('randomised large hash: ops then full compare', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const r = rng(42);
    const cmds: string[][] = [];
    for (let i = 0; i < 4000; i++) {
      const f = `f${Math.floor(r() * 1500)}`;
      const op = r();
      if (op < 0.6) cmds.push(['HSET', 'h:big', f, `${Math.floor(r() * 1e6)}`]);
      else if (op < 0.8) cmds.push(['HDEL', 'h:big', f, `f${Math.floor(r() * 1500)}`]);
      else if (op < 0.9) cmds.push(['HINCRBY', 'h:big', f, `${Math.floor(r() * 100)}`]);
      else cmds.push(['HGET', 'h:big', f]);
    }
    await d.same(...cmds, ['HLEN', 'h:big'], ['OBJECT', 'ENCODING', 'h:big']);
    await d.sameAfter(['HGETALL', 'h:big'], sortedPairs);
    await d.sameAfter(['HKEYS', 'h:big'], (x) => flat(x).sort());
  });

  it('HRANDFIELD', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['HSET', 'h:rf', 'a', '1', 'b', '2', 'c', '3'],
      ['HRANDFIELD', 'h:nokey'],
      ['HRANDFIELD', 'h:nokey', '3'],
      ['HRANDFIELD', 'h:nokey', '-3', 'WITHVALUES'],
      ['HRANDFIELD', 'h:rf', '0'],
      ['HRANDFIELD', 'h:rf', 'x'],
      ['HRANDFIELD', 'h:rf', '1', 'WITHVALUE'],
      ['HRANDFIELD', 'h:rf', '1', 'WITHVALUES', 'x'],
      ['HRANDFIELD', 'h:rf', '-9223372036854775807', 'WITHVALUES'],
      ['HRANDFIELD', 'h:rf', '9223372036854775807', 'WITHVALUES'],
      ['SET', 'h:str', 'x'],
      ['HRANDFIELD', 'h:str'],
      ['HRANDFIELD', 'h:str', '2'],
    );
    const members = new Set(['a', 'b', 'c']);
    await d.sameAfter(['HRANDFIELD', 'h:rf'], (x) => members.has(String(x)));
    await d.sameAfter(['HRANDFIELD', 'h:rf', '2'], (x) => {
      const f = flat(x);
      return [f.length, new Set(f).size, f.every((m) => members.has(m))];
    });
    await d.sameAfter(['HRANDFIELD', 'h:rf', '10'], (x) => flat(x).sort());
    await d.sameAfter(['HRANDFIELD', 'h:rf', '-10'], (x) => [flat(x).length, flat(x).every((m) => members.has(m))]);
    await d.sameAfter(['HRANDFIELD', 'h:rf', '-5', 'WITHVALUES'], (x) => {
      const f = flat(x);
      const ok = f.every((m, i) => (i % 2 ? f[i - 1].charCodeAt(0) - 96 === Number(m) : members.has(m)));
      return [f.length, ok];
    });
    await d.sameAfter(['HELLO', '3'], () => true);
    await d.sameAfter(['HRANDFIELD', 'h:rf', '-4', 'WITHVALUES'], (x) => [
      (x as unknown[]).length,
      (x as unknown[]).every((p) => Array.isArray(p) && p.length === 2),
    ]);
    await d.sameAfter(['HRANDFIELD', 'h:rf', '2', 'WITHVALUES'], (x) => (x as unknown[]).length);
    await d.same(['HSET', 'h:rf1', 'a', '1'], ['HRANDFIELD', 'h:rf1', '5', 'WITHVALUES'], ['HRANDFIELD', 'h:rf1', '5']);
    await d.same(['HRANDFIELD', 'h:rf1', '-2', 'WITHVALUES'], ['HRANDFIELD', 'h:nokey', '-2', 'WITHVALUES']);
    await d.sameAfter(['HELLO', '2'], () => true);
    // a big hash: distinct picks
    const cmds: string[][] = [];
    for (let i = 0; i < 1000; i++) cmds.push(['HSET', 'h:rbig', `f${i}`, `${i}`]);
    await d.same(...cmds);
    for (const n of ['5', '300', '900', '999', '1000', '2000']) {
      await d.sameAfter(['HRANDFIELD', 'h:rbig', n], (x) => {
        const f = flat(x);
        return [f.length, new Set(f).size];
      });
    }
  });

  it('HSCAN', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['HSET', 'h:sc', 'a1', '1', 'b1', '2', 'a2', '3'],
      ['HSCAN', 'h:sc', '0'],
      ['HSCAN', 'h:sc', '0', 'MATCH', 'a*'],
      ['HSCAN', 'h:sc', '0', 'COUNT', '1'],
      ['HSCAN', 'h:sc', '7', 'MATCH', '*', 'COUNT', '100'],
      ['HSCAN', 'h:sc', 'x'],
      ['HSCAN', 'h:sc', '-1'],
      ['HSCAN', 'h:sc', '0', 'COUNT', '0'],
      ['HSCAN', 'h:sc', '0', 'COUNT', 'x'],
      ['HSCAN', 'h:sc', '0', 'MATCH'],
      ['HSCAN', 'h:sc', '0', 'TYPE', 'string'],
      ['HSCAN', 'h:nokey', '0', 'BADOPT'],
      ['SET', 'h:str', 'x'],
      ['HSCAN', 'h:str', '0'],
    );
    const cmds: string[][] = [];
    for (let i = 0; i < 1000; i++) cmds.push(['HSET', 'h:scbig', `f${i}`, `${i}`]);
    await d.same(...cmds);
    for (const peer of [d.r, d.k]) {
      const seen = new Set<string>();
      let cursor = '0';
      let rounds = 0;
      do {
        const rep = (await peer.call('HSCAN', 'h:scbig', cursor, 'COUNT', '20')) as [string, string[]];
        cursor = String(rep[0]);
        for (let i = 0; i < rep[1].length; i += 2) seen.add(String(rep[1][i]));
        // delete some elements during the scan: the guarantee covers the others
        if (rounds === 3) await peer.call('HDEL', 'h:scbig', 'f0', 'f999', 'f250');
        rounds++;
      } while (cursor !== '0' && rounds < 10000);
      for (let i = 1; i < 999; i++) if (i !== 250) assert.ok(seen.has(`f${i}`), `f${i} seen`);
    }
  });
  it('CONFIG SET of hash-max-listpack-* and set-max-intset-entries changes the encodings (HSET, HINCRBYFLOAT, SADD)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    try {
      await d.same(['CONFIG', 'SET', 'hash-max-listpack-value', '8'], ['DEL', 'enc:h1', 'enc:h2', 'enc:s']);
      await d.same(['HSET', 'enc:h1', 'tmp', '0'], ['HINCRBYFLOAT', 'enc:h1', 'tmp', '0.000005'], ['OBJECT', 'ENCODING', 'enc:h1']);
      await d.same(['HSET', 'enc:h2', 'tmp', '0'], ['HINCRBYFLOAT', 'enc:h2', 'tmp', '0.0000005'], ['OBJECT', 'ENCODING', 'enc:h2']);
      await d.same(['CONFIG', 'SET', 'hash-max-listpack-entries', '2'], ['DEL', 'enc:h1'], ['HSET', 'enc:h1', 'a', '1', 'b', '2']);
      await d.same(['OBJECT', 'ENCODING', 'enc:h1'], ['HSET', 'enc:h1', 'c', '3'], ['OBJECT', 'ENCODING', 'enc:h1']);
      await d.same(['CONFIG', 'SET', 'set-max-intset-entries', '2'], ['SADD', 'enc:s', '1', '2'], ['OBJECT', 'ENCODING', 'enc:s']);
      await d.same(['SADD', 'enc:s', '3'], ['OBJECT', 'ENCODING', 'enc:s']);
    } finally {
      await d.same(
        ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
        ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
        ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
      );
    }
  });
});
