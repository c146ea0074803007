/**
 * Set commands against a real redis-server 7.0: replies compared byte for byte for intset-encoded
 * sets (sorted in both), normalised (sorted / sizes / membership) for hashtable order and random picks.
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
const sorted = (r: unknown): string[] => flat(r).sort();

describe('sets (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, errors (intset: exact order)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SADD', 's:i', '5', '-3', '100', '0', '5', '-9223372036854775808', '9223372036854775807'],
      ['SMEMBERS', 's:i'],
      ['OBJECT', 'ENCODING', 's:i'],
      ['SADD', 's:i', '007', '+1', '-0'],
      ['OBJECT', 'ENCODING', 's:i'],
      ['SADD', 's:j', '3', '1', '2'],
      ['SREM', 's:j', '2', '9', 'x'],
      ['SMEMBERS', 's:j'],
      ['SISMEMBER', 's:j', '1'],
      ['SISMEMBER', 's:j', '2'],
      ['SISMEMBER', 's:nokey', '2'],
      ['SMISMEMBER', 's:j', '1', '2', '3', 'x'],
      ['SMISMEMBER', 's:nokey', '1'],
      ['SCARD', 's:j'],
      ['SCARD', 's:nokey'],
      ['SMEMBERS', 's:nokey'],
      ['SREM', 's:nokey', 'a'],
      ['SREM', 's:j', '1', '3'],
      ['EXISTS', 's:j'],
      ['SET', 's:str', 'x'],
      ['SADD', 's:str', 'a'],
      ['SREM', 's:str', 'a'],
      ['SMEMBERS', 's:str'],
      ['SISMEMBER', 's:str', 'a'],
      ['SMISMEMBER', 's:str', 'a'],
      ['SCARD', 's:str'],
      ['SADD', 's:bin', '\x00\xff', '\r\n'],
      ['SCARD', 's:bin'],
    );
    await d.sameAfter(['SMEMBERS', 's:i'], sorted);
    await d.sameAfter(['HELLO', '3'], () => true);
    await d.same(['SADD', 's:r3', '3', '2', '1'], ['SMEMBERS', 's:r3'], ['SMEMBERS', 's:nokey'], ['SINTER', 's:r3']);
    await d.sameAfter(['HELLO', '2'], () => true);
  });

  it('encodings: intset limit 512 and non-integers', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: string[][] = [];
    for (let i = 0; i < 512; i++) cmds.push(['SADD', 's:enc', String((i * 7919) % 1000)]);
    await d.same(...cmds, ['OBJECT', 'ENCODING', 's:enc'], ['SMEMBERS', 's:enc'], ['SCARD', 's:enc']);
    const c2: string[][] = [];
    for (let i = 0; i < 600; i++) c2.push(['SADD', 's:enc2', String(i)]);
    await d.same(...c2, ['OBJECT', 'ENCODING', 's:enc2'], ['SREM', 's:enc2', ...Array.from({ length: 500 }, (_, i) => String(i))]);
    await d.same(['OBJECT', 'ENCODING', 's:enc2'], ['SADD', 's:enc3', '1', 'a'], ['OBJECT', 'ENCODING', 's:enc3']);
  });

  it('SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SADD', 's:a', '1', '2', '3', '4', '5'],
      ['SADD', 's:b', '4', '5', '6', '2'],
      ['SADD', 's:c', 'x', '5', 'y', '2'],
      ['SINTER', 's:a', 's:b'],
      ['SINTER', 's:a', 's:nokey'],
      ['SINTER', 's:a'],
      ['SINTERCARD', '2', 's:a', 's:b'],
      ['SINTERCARD', '2', 's:a', 's:b', 'LIMIT', '1'],
      ['SINTERCARD', '2', 's:a', 's:b', 'LIMIT', '0'],
      ['SINTERCARD', '0', 's:a'],
      ['SINTERCARD', '-1', 's:a'],
      ['SINTERCARD', 'x', 's:a'],
      ['SINTERCARD', '3', 's:a', 's:b'],
      ['SINTERCARD', '1', 's:a', 'LIMIT', '-1'],
      ['SINTERCARD', '1', 's:a', 'LIMIT', 'x'],
      ['SINTERCARD', '1', 's:a', 'LIMIT'],
      ['SINTERCARD', '1', 's:a', 'FOO', '1'],
      ['SINTERCARD', '1', 's:nokey'],
      ['SUNION', 's:a', 's:b'],
      ['SUNION', 's:nokey'],
      ['SDIFF', 's:a', 's:b'],
      ['SDIFF', 's:a', 's:a'],
      ['SDIFF', 's:nokey', 's:a'],
      ['SDIFF', 's:a', 's:nokey'],
      ['SINTERSTORE', 's:d', 's:a', 's:b'],
      ['SMEMBERS', 's:d'],
      ['OBJECT', 'ENCODING', 's:d'],
      ['SUNIONSTORE', 's:d', 's:a', 's:b'],
      ['SMEMBERS', 's:d'],
      ['SDIFFSTORE', 's:d', 's:a', 's:b'],
      ['SMEMBERS', 's:d'],
      ['SINTERSTORE', 's:d', 's:a', 's:nokey'],
      ['EXISTS', 's:d'],
      ['SET', 's:d', 'str'],
      ['SUNIONSTORE', 's:d', 's:nokey'],
      ['EXISTS', 's:d'],
      ['SET', 's:d', 'str'],
      ['SINTERSTORE', 's:d', 's:a', 's:b'],
      ['TYPE', 's:d'],
      ['SDIFFSTORE', 's:a', 's:a', 's:b'],
      ['SMEMBERS', 's:a'],
      ['SET', 's:str', 'x'],
      ['SINTER', 's:a', 's:str'],
      ['SINTER', 's:nokey', 's:str'],
      ['SINTERCARD', '2', 's:nokey', 's:str'],
      ['SUNION', 's:a', 's:str'],
      ['SDIFF', 's:str', 's:a'],
      ['SDIFF', 's:nokey', 's:str'],
      ['SINTERSTORE', 's:d', 's:str'],
      ['SUNIONSTORE', 's:d', 's:a', 's:str'],
      ['SDIFFSTORE', 's:d', 's:a', 's:str'],
    );
    for (const cmd of [
      ['SINTER', 's:b', 's:c'],
      ['SUNION', 's:a', 's:b', 's:c'],
      ['SDIFF', 's:c', 's:a'],
      ['SUNIONSTORE', 's:e', 's:b', 's:c'],
      ['SMEMBERS', 's:e'],
    ]) {
      await d.sameAfter(cmd, sorted);
    }
    // randomised large sets
    const r = rng(9);
    const cmds: string[][] = [];
    for (const k of ['s:x', 's:y', 's:z']) {
      const ms: string[] = [];
      for (let i = 0; i < 1500; i++) ms.push(r() < 0.5 ? String(Math.floor(r() * 3000)) : `m${Math.floor(r() * 3000)}`);
      cmds.push(['SADD', k, ...ms]);
    }
    await d.same(...cmds);
    for (const cmd of [
      ['SINTER', 's:x', 's:y'],
      ['SUNION', 's:x', 's:y', 's:z'],
      ['SDIFF', 's:x', 's:y', 's:z'],
    ]) {
      await d.sameAfter(cmd, sorted);
    }
    await d.same(
      ['SINTERCARD', '3', 's:x', 's:y', 's:z'],
      ['SINTERCARD', '2', 's:x', 's:y', 'LIMIT', '10'],
      ['SINTERSTORE', 's:o', 's:x', 's:y'],
      ['SUNIONSTORE', 's:o', 's:x', 's:y'],
      ['SDIFFSTORE', 's:o', 's:x', 's:y'],
      ['SCARD', 's:o'],
    );
  });

  it('SMOVE', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SADD', 's:m1', '1', '2'],
      ['SADD', 's:m2', 'a'],
      ['SMOVE', 's:m1', 's:m2', '1'],
      ['SMOVE', 's:m1', 's:m2', '9'],
      ['SMOVE', 's:nokey', 's:m2', '1'],
      ['SMOVE', 's:m1', 's:m1', '2'],
      ['SMOVE', 's:m1', 's:m1', '3'],
      ['SMOVE', 's:m1', 's:m3', '2'],
      ['EXISTS', 's:m1'],
      ['SMEMBERS', 's:m3'],
      ['SET', 's:str', 'x'],
      ['SMOVE', 's:str', 's:m2', 'a'],
      ['SMOVE', 's:m2', 's:str', 'a'],
      ['SMOVE', 's:nokey', 's:str', 'a'],
      ['SCARD', 's:m2'],
    );
    // The destination is modified (WATCH) only when the member was added to it (set.tcl).
    const [r2, k2] = await d.connectBoth();
    await d.same(
      ['DEL', 's:w1', 's:w2'],
      ['SADD', 's:w1', 'a', 'b'],
      ['SADD', 's:w2', 'a'],
      ['WATCH', 's:w2'],
      ['MULTI'],
      ['SADD', 's:w2', 'c'],
    );
    await Promise.all([r2.call('SMOVE', 's:w1', 's:w2', 'a'), k2.call('SMOVE', 's:w1', 's:w2', 'a')]);
    await d.same(['EXEC'], ['SCARD', 's:w2'], ['WATCH', 's:w2'], ['MULTI'], ['SADD', 's:w2', 'd']);
    await Promise.all([r2.call('SMOVE', 's:w1', 's:w2', 'b'), k2.call('SMOVE', 's:w1', 's:w2', 'b')]);
    await d.same(['EXEC'], ['SCARD', 's:w2']);
    r2.close();
    k2.close();
  });

  it('SPOP and SRANDMEMBER', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SADD', 's:p', '1', '2', '3'],
      ['SPOP', 's:nokey'],
      ['SPOP', 's:nokey', '2'],
      ['SPOP', 's:p', '-1'],
      ['SPOP', 's:p', 'x'],
      ['SPOP', 's:p', '0'],
      ['SPOP', 's:p', '1', '2'],
      ['SRANDMEMBER', 's:nokey'],
      ['SRANDMEMBER', 's:nokey', '5'],
      ['SRANDMEMBER', 's:nokey', '-5'],
      ['SRANDMEMBER', 's:p', '0'],
      ['SRANDMEMBER', 's:p', 'x'],
      ['SRANDMEMBER', 's:p', '1', '2'],
      ['SRANDMEMBER', 's:p', '3'],
      ['SRANDMEMBER', 's:p', '10'],
      ['SET', 's:str', 'x'],
      ['SPOP', 's:str'],
      ['SPOP', 's:str', '1'],
      ['SRANDMEMBER', 's:str'],
      ['SRANDMEMBER', 's:str', '1'],
    );
    await d.sameAfter(['HELLO', '3'], () => true);
    await d.same(['SADD', 's:p3', '1', '2'], ['SRANDMEMBER', 's:p3', '5'], ['SRANDMEMBER', 's:p3', '0'], ['SPOP', 's:p3', '0']);
    await d.same(['SPOP', 's:p3', '5'], ['SPOP', 's:nokey', '1'], ['SRANDMEMBER', 's:nokey', '1']);
    await d.same(['SADD', 's:p3', '1', '2', '3']);
    await d.sameAfter(['SRANDMEMBER', 's:p3', '-1'], (x) => (x as unknown[]).length);
    await d.sameAfter(['SPOP', 's:p3', '1'], (x) => (x as { t: string }).t);
    await d.sameAfter(['HELLO', '2'], () => true);
    const m3 = new Set(['1', '2', '3']);
    await d.sameAfter(['SRANDMEMBER', 's:p'], (x) => m3.has(String(x)));
    await d.sameAfter(['SRANDMEMBER', 's:p', '2'], (x) => [flat(x).length, new Set(flat(x)).size, flat(x).every((m) => m3.has(m))]);
    await d.sameAfter(['SRANDMEMBER', 's:p', '-10'], (x) => [flat(x).length, flat(x).every((m) => m3.has(m))]);
    await d.sameAfter(['SPOP', 's:p'], (x) => m3.has(String(x)));
    await d.sameAfter(['SCARD', 's:p'], (x) => x);
    await d.sameAfter(['SPOP', 's:p', '5'], (x) => flat(x).length);
    await d.same(['EXISTS', 's:p']);
    // big set: distinct picks, sizes after pops
    const ms = Array.from({ length: 3000 }, (_, i) => `e${i}`);
    await d.same(['SADD', 's:big', ...ms]);
    for (const n of ['3', '100', '1000', '2999', '3000', '5000']) {
      await d.sameAfter(['SRANDMEMBER', 's:big', n], (x) => [flat(x).length, new Set(flat(x)).size]);
    }
    await d.sameAfter(['SRANDMEMBER', 's:big', '-5000'], (x) => flat(x).length);
    for (const n of ['10', '1000', '1500']) {
      await d.sameAfter(['SPOP', 's:big', n], (x) => [flat(x).length, new Set(flat(x)).size]);
      await d.same(['SCARD', 's:big']);
    }
    await d.sameAfter(['SPOP', 's:big', '1000'], (x) => flat(x).length);
    await d.same(['EXISTS', 's:big']);
    // intset: SPOP count returns in order of the remaining? compare sets only
    await d.same(['SADD', 's:pi', ...Array.from({ length: 100 }, (_, i) => String(i))]);
    await d.sameAfter(['SPOP', 's:pi', '40'], (x) => [flat(x).length, new Set(flat(x)).size]);
    await d.same(['SCARD', 's:pi']);
  });

  it('SSCAN', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SADD', 's:sc', '3', '1', '2', '10'],
      ['SSCAN', 's:sc', '0'],
      ['SSCAN', 's:sc', '0', 'MATCH', '1*'],
      ['SSCAN', 's:sc', '5', 'COUNT', '1'],
      ['SSCAN', 's:sc', 'x'],
      ['SSCAN', 's:sc', '0', 'COUNT', '0'],
      ['SSCAN', 's:sc', '0', 'MATCH'],
      ['SSCAN', 's:nokey', '0'],
      ['SET', 's:str', 'x'],
      ['SSCAN', 's:str', '0'],
    );
    await d.same(['SADD', 's:scbig', ...Array.from({ length: 2000 }, (_, i) => `m${i}`)]);
    for (const peer of [d.r, d.k]) {
      const seen = new Set<string>();
      let cursor = '0';
      let rounds = 0;
      do {
        const rep = (await peer.call('SSCAN', 's:scbig', cursor, 'COUNT', '50', 'MATCH', 'm1*')) as [string, string[]];
        cursor = String(rep[0]);
        for (const m of rep[1]) seen.add(String(m));
        if (rounds === 2) await peer.call('SREM', 's:scbig', 'm0', 'm1999', 'm5');
        rounds++;
      } while (cursor !== '0' && rounds < 10000);
      for (let i = 1; i < 1999; i++) if (String(i).startsWith('1')) assert.ok(seen.has(`m${i}`), `m${i} seen`);
      assert.ok(![...seen].some((m) => !m.startsWith('m1')));
    }
  });
});

describe('hashes and sets: propagation and keyspace events', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('propagates SPOP as SREM/DEL and HINCRBYFLOAT as HSET', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const server = (d.keydra as unknown as { running: { server: import('../../src/server/server.js').KeydraServer } }).running.server;
    const seen: string[][] = [];
    server.addPropagationListener((_db, argv) => seen.push(argv));
    const k = d.k;
    await k.call('SADD', 'pp:s', 'a');
    await k.call('SPOP', 'pp:s');
    await k.call('SADD', 'pp:s', 'a', 'b', 'c');
    const popped = (await k.call('SPOP', 'pp:s', '2')) as string[];
    await k.call('SPOP', 'pp:s', '5');
    await k.call('SPOP', 'pp:s', '5');
    await k.call('SADD', 'pp:big', ...Array.from({ length: 3000 }, (_, i) => `m${i}`));
    await k.call('SPOP', 'pp:big', '2500');
    await k.call('HINCRBYFLOAT', 'pp:h', 'f', '1.5');
    await k.call('HINCRBYFLOAT', 'pp:h', 'f', 'x');
    assert.deepEqual(seen[0], ['SADD', 'pp:s', 'a']);
    assert.deepEqual(seen[1], ['SREM', 'pp:s', 'a']);
    assert.deepEqual(seen[3].slice(0, 2), ['SREM', 'pp:s']);
    assert.deepEqual(seen[3].slice(2).sort(), popped.map(String).sort());
    assert.deepEqual(seen[4], ['DEL', 'pp:s']);
    assert.equal(seen[5][0], 'SADD');
    // 2500 pops: MULTI, SREM ×3 (1024, 1024, 452), EXEC
    assert.deepEqual(
      seen.slice(6, 11).map((a) => `${a[0]}:${a.length - 2}`),
      ['MULTI:-1', 'SREM:1024', 'SREM:1024', 'SREM:452', 'EXEC:-1'],
    );
    assert.deepEqual(seen[11], ['HSET', 'pp:h', 'f', '1.5']);
    assert.equal(seen.length, 12);
  });

  it('keyspace events match Redis', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const [sr, sk] = await d.connectBoth();
    await sr.call('PSUBSCRIBE', '*');
    await sk.call('PSUBSCRIBE', '*');
    const cmds: string[][] = [
      ['HSET', 'ev:h', 'a', '1', 'b', '2'],
      ['HSETNX', 'ev:h', 'c', '3'],
      ['HSETNX', 'ev:h', 'c', '3'],
      ['HINCRBY', 'ev:h', 'a', '1'],
      ['HINCRBYFLOAT', 'ev:h', 'a', '1.5'],
      ['HDEL', 'ev:h', 'a', 'zz'],
      ['HDEL', 'ev:h', 'b', 'c'],
      ['SADD', 'ev:s', '1', '2'],
      ['SADD', 'ev:s', '1'],
      ['SREM', 'ev:s', '1'],
      ['SMOVE', 'ev:s', 'ev:t', '2'],
      ['SADD', 'ev:s', 'x'],
      ['SPOP', 'ev:s'],
      ['SADD', 'ev:s', 'x', 'y'],
      ['SPOP', 'ev:s', '1'],
      ['SPOP', 'ev:s', '3'],
      ['SADD', 'ev:a', '1', '2'],
      ['SADD', 'ev:b', '2', '3'],
      ['SINTERSTORE', 'ev:d', 'ev:a', 'ev:b'],
      ['SUNIONSTORE', 'ev:d', 'ev:a', 'ev:b'],
      ['SDIFFSTORE', 'ev:d', 'ev:a', 'ev:b'],
      ['SINTERSTORE', 'ev:d', 'ev:a', 'ev:nokey'],
      ['SDIFFSTORE', 'ev:d', 'ev:a', 'ev:a'],
      ['SREM', 'ev:a', '1', '2'],
      ['PUBLISH', 'ev:end', 'end'],
    ];
    for (const c of cmds) await d.sameAfter(c, (x) => (Array.isArray(x) ? (x as unknown[]).length : x));
    const collect = async (c: typeof sr): Promise<string[]> => {
      const out: string[] = [];
      for (;;) {
        const m = flat((await c.readReply()).node);
        out.push(m.slice(2).join(' '));
        if (m[2] === 'ev:end') return out;
      }
    };
    const events = await collect(sr);
    assert.ok(events.length > 30, `${events.length} events`);
    assert.deepEqual(await collect(sk), events);
    sr.close();
    sk.close();
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  });
});
