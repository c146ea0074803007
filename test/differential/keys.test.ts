/**
 * Generic keyspace commands against a real redis-server 7.0: replies compared byte for byte.
 * Time-dependent replies use absolute times far in the future (EXPIREAT/PEXPIRETIME) or TTLs
 * in whole seconds that round identically; random or hash-ordered replies are normalised.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

const FUTURE_S = 4102444800; // 2100-01-01
const FUTURE_MS = 4102444800123;

function sortedKeys(r: unknown): unknown {
  return Array.isArray(r) ? [...(r as string[])].map(String).sort() : r;
}

describe('keys (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('DEL, UNLINK, EXISTS, TYPE, TOUCH', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SET', 'k:a', '1'],
      ['SET', 'k:b', '2'],
      ['RPUSH', 'k:l', 'x'],
      ['HSET', 'k:h', 'f', 'v'],
      ['ZADD', 'k:z', '1', 'm'],
      ['EXISTS', 'k:a', 'k:a', 'k:nope', 'k:b'],
      ['TYPE', 'k:a'],
      ['TYPE', 'k:l'],
      ['TYPE', 'k:h'],
      ['TYPE', 'k:z'],
      ['TYPE', 'k:nope'],
      ['TOUCH', 'k:a', 'k:nope', 'k:l'],
      ['DEL', 'k:a', 'k:a', 'k:nope'],
      ['UNLINK', 'k:b', 'k:l'],
      ['EXISTS', 'k:a', 'k:b', 'k:l'],
      ['DEL', 'k:h', 'k:z'],
      ['DEL'],
      ['EXISTS'],
      ['TYPE'],
      ['TOUCH'],
    );
  });

  it('RENAME and RENAMENX', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RENAME', 'r:missing', 'r:x'],
      ['RENAMENX', 'r:missing', 'r:x'],
      ['SET', 'r:a', 'va'],
      ['RENAME', 'r:a', 'r:a'],
      ['RENAMENX', 'r:a', 'r:a'],
      ['RENAME', 'r:a', 'r:b'],
      ['GET', 'r:a'],
      ['GET', 'r:b'],
      ['SET', 'r:c', 'vc'],
      ['RENAMENX', 'r:b', 'r:c'],
      ['RENAME', 'r:b', 'r:c'],
      ['GET', 'r:c'],
      ['EXISTS', 'r:b'],
      ['EXPIREAT', 'r:c', String(FUTURE_S)],
      ['RENAMENX', 'r:c', 'r:d'],
      ['EXPIRETIME', 'r:d'],
      ['TTL', 'r:c'],
      ['RPUSH', 'r:l', 'a', 'b'],
      ['RENAME', 'r:l', 'r:d'],
      ['TYPE', 'r:d'],
      ['TTL', 'r:d'],
      ['LRANGE', 'r:d', '0', '-1'],
      ['RENAME', 'r:d'],
    );
  });

  it('MOVE between dbs, with its errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['SET', 'm:a', '1'],
      ['MOVE', 'm:a', '0'],
      ['MOVE', 'm:a', '16'],
      ['MOVE', 'm:a', '-1'],
      ['MOVE', 'm:a', 'x'],
      ['MOVE', 'm:a', '99999999999'],
      ['MOVE', 'm:a', '99999999999999999999'],
      ['COPY', 'm:a', 'm:z', 'DB', '-99999999999'],
      ['MOVE', 'm:nope', '1'],
      ['PEXPIREAT', 'm:a', String(FUTURE_MS)],
      ['MOVE', 'm:a', '1'],
      ['EXISTS', 'm:a'],
      ['SELECT', '1'],
      ['GET', 'm:a'],
      ['PEXPIRETIME', 'm:a'],
      ['SET', 'm:b', 'in1'],
      ['SELECT', '0'],
      ['SET', 'm:b', 'in0'],
      ['MOVE', 'm:b', '1'],
      ['GET', 'm:b'],
      ['SELECT', '1'],
      ['GET', 'm:b'],
      ['DEL', 'm:a', 'm:b'],
      ['SELECT', '0'],
      ['DEL', 'm:b'],
    );
  });

  it('COPY with DB and REPLACE, deep copies', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['COPY', 'c:nope', 'c:x'],
      ['SET', 'c:a', 'va'],
      ['COPY', 'c:a', 'c:a'],
      ['COPY', 'c:a', 'c:a', 'DB', '0'],
      ['COPY', 'c:a', 'c:a', 'DB', '1'],
      ['COPY', 'c:a', 'c:b'],
      ['GET', 'c:b'],
      ['SET', 'c:b', 'other'],
      ['COPY', 'c:a', 'c:b'],
      ['COPY', 'c:a', 'c:b', 'REPLACE'],
      ['GET', 'c:b'],
      ['COPY', 'c:a', 'c:b', 'DB'],
      ['COPY', 'c:a', 'c:b', 'DB', '16'],
      ['COPY', 'c:a', 'c:b', 'DB', 'x'],
      ['COPY', 'c:a', 'c:b', 'FOO'],
      ['EXPIREAT', 'c:a', String(FUTURE_S)],
      ['COPY', 'c:a', 'c:t', 'replace', 'db', '2'],
      ['SELECT', '2'],
      ['EXPIRETIME', 'c:t'],
      ['DEL', 'c:a', 'c:t'],
      ['SELECT', '0'],
      ['RPUSH', 'c:l', '1', '2'],
      ['COPY', 'c:l', 'c:l2'],
      ['RPUSH', 'c:l2', '3'],
      ['LRANGE', 'c:l', '0', '-1'],
      ['LRANGE', 'c:l2', '0', '-1'],
      ['HSET', 'c:h', 'f', 'v'],
      ['COPY', 'c:h', 'c:h2'],
      ['HSET', 'c:h2', 'g', 'w'],
      ['HLEN', 'c:h'],
      ['ZADD', 'c:z', '1', 'a'],
      ['COPY', 'c:z', 'c:z2'],
      ['ZADD', 'c:z2', '2', 'b'],
      ['ZCARD', 'c:z'],
      ['DEL', 'c:a', 'c:b', 'c:l', 'c:l2', 'c:h', 'c:h2', 'c:z', 'c:z2'],
    );
  });

  it('EXPIRE family: options, errors, overflow, past times', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['EXPIRE', 'e:nope', '100'],
      ['SET', 'e:a', 'v'],
      ['EXPIRE', 'e:a', '100', 'NX', 'XX'],
      ['EXPIRE', 'e:a', '100', 'NX', 'GT'],
      ['EXPIRE', 'e:a', '100', 'nx', 'lt'],
      ['EXPIRE', 'e:a', '100', 'GT', 'LT'],
      ['EXPIRE', 'e:a', '100', 'FOO'],
      ['EXPIRE', 'e:a', 'abc'],
      ['EXPIRE', 'e:a', 'abc', 'FOO'],
      ['EXPIRE', 'e:a', '9223372036854775807'],
      ['EXPIRE', 'e:a', '-9223372036854775808'],
      ['PEXPIRE', 'e:a', '9223372036854775807'],
      ['EXPIREAT', 'e:a', '9223372036854775807'],
      ['EXPIRE', 'e:a', '92233720368547758'],
      ['PEXPIREAT', 'e:a', '9223372036854775808'],
      ['EXPIRE', 'e:a', '100', 'XX'],
      ['EXPIRE', 'e:a', '100', 'GT'],
      ['TTL', 'e:a'],
      ['EXPIRE', 'e:a', '100', 'LT'],
      ['TTL', 'e:a'],
      ['EXPIRE', 'e:a', '200', 'NX'],
      ['TTL', 'e:a'],
      ['EXPIRE', 'e:a', '50', 'NX'],
      ['EXPIRE', 'e:a', '300', 'XX', 'GT'],
      ['TTL', 'e:a'],
      ['EXPIRE', 'e:a', '100', 'GT'],
      ['EXPIRE', 'e:a', '100', 'LT'],
      ['TTL', 'e:a'],
      ['EXPIREAT', 'e:a', String(FUTURE_S)],
      ['EXPIRETIME', 'e:a'],
      ['PEXPIRETIME', 'e:a'],
      ['PEXPIREAT', 'e:a', String(FUTURE_MS)],
      ['EXPIRETIME', 'e:a'],
      ['PEXPIRETIME', 'e:a'],
      ['PERSIST', 'e:a'],
      ['PERSIST', 'e:a'],
      ['PERSIST', 'e:nope'],
      ['TTL', 'e:a'],
      ['PTTL', 'e:a'],
      ['EXPIRETIME', 'e:a'],
      ['PEXPIRETIME', 'e:a'],
      ['TTL', 'e:nope'],
      ['PTTL', 'e:nope'],
      ['EXPIRETIME', 'e:nope'],
      ['PEXPIRETIME', 'e:nope'],
      ['EXPIRE', 'e:a', '-1'],
      ['EXISTS', 'e:a'],
      ['SET', 'e:b', 'v'],
      ['EXPIREAT', 'e:b', '1'],
      ['GET', 'e:b'],
      ['SET', 'e:c', 'v'],
      ['PEXPIRE', 'e:c', '0'],
      ['EXISTS', 'e:c'],
      ['SET', 'e:d', 'v'],
      ['EXPIRE', 'e:d', '-5', 'LT'],
      ['EXISTS', 'e:d'],
      ['SET', 'e:e', 'v'],
      ['EXPIRE', 'e:e', '-5', 'GT'],
      ['EXISTS', 'e:e'],
      ['DEL', 'e:e'],
      ['EXPIRE', 'e:e'],
      ['TTL'],
      ['PERSIST'],
    );
  });

  it('SET clears the TTL; lazy expiry hides expired keys from every command', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SET', 'x:a', 'v'], ['PEXPIRE', 'x:a', '30'], ['SET', 'x:b', 'v'], ['PEXPIRE', 'x:b', '30']);
    await new Promise((r) => setTimeout(r, 80));
    await d.same(
      ['EXISTS', 'x:a'],
      ['TTL', 'x:a'],
      ['TYPE', 'x:a'],
      ['RENAME', 'x:b', 'x:c'],
      ['COPY', 'x:b', 'x:c'],
      ['MOVE', 'x:b', '1'],
      ['PERSIST', 'x:b'],
      ['EXPIRE', 'x:b', '10'],
      ['OBJECT', 'ENCODING', 'x:b'],
      ['KEYS', 'x:*'],
    );
    await d.same(['SET', 'x:d', 'v', 'EX', '100'], ['SET', 'x:d', 'w'], ['TTL', 'x:d'], ['DEL', 'x:d']);
  });

  it('KEYS with glob patterns', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r, k] = await d.connectBoth();
    await Promise.all([r.call('SELECT', '5'), k.call('SELECT', '5')]);
    const names = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h[a]llo', 'H*llo', 'a\\b', 'foo', 'bar', ''];
    for (const n of names) await Promise.all([r.call('SET', n, '1'), k.call('SET', n, '1')]);
    for (const p of [
      '*',
      'h?llo',
      'h*llo',
      'h[ae]llo',
      'h[^e]llo',
      'h[a-b]llo',
      'h\\[a\\]llo',
      'H\\*llo',
      '*o',
      'a\\\\b',
      '[',
      'h[',
      'nomatch*',
      '?',
    ]) {
      const [a, b] = await Promise.all([r.call('KEYS', p), k.call('KEYS', p)]);
      assert.deepEqual(sortedKeys(b), sortedKeys(a), `KEYS ${p}`);
    }
    await Promise.all([r.call('FLUSHDB'), k.call('DEL', ...names)]);
    r.close();
    k.close();
  });

  it('SCAN options, errors and full iterations', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r, k] = await d.connectBoth();
    await Promise.all([r.call('SELECT', '6'), k.call('SELECT', '6')]);
    const cmds: string[][] = [];
    for (let i = 0; i < 100; i++) cmds.push(['SET', `s:${i}`, 'v']);
    for (let i = 0; i < 20; i++) cmds.push(['RPUSH', `sl:${i}`, 'v']);
    for (const c of cmds) await Promise.all([r.call(...c), k.call(...c)]);
    for (const bad of [
      ['SCAN', 'x'],
      ['SCAN', ' 1'],
      ['SCAN', '1 '],
      ['SCAN', '-'],
      ['SCAN', '0x1'],
      ['SCAN', '18446744073709551616'],
      ['SCAN', '0', 'COUNT', '0'],
      ['SCAN', '0', 'COUNT', '-1'],
      ['SCAN', '0', 'COUNT', 'x'],
      ['SCAN', '0', 'COUNT'],
      ['SCAN', '0', 'MATCH'],
      ['SCAN', '0', 'FOO', 'bar'],
      ['SCAN'],
    ]) {
      const [a, b] = await Promise.all([r.send(...bad), k.send(...bad)]);
      assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), JSON.stringify(bad));
    }
    const full = async (c: typeof r, extra: string[]): Promise<string[]> => {
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = (await c.call('SCAN', cursor, ...extra)) as [unknown, unknown[]];
        cursor = String(next);
        for (const key of keys) seen.add(String(key));
      } while (cursor !== '0');
      return [...seen].sort();
    };
    for (const extra of [
      [],
      ['COUNT', '7'],
      ['MATCH', 's:1*'],
      ['TYPE', 'list'],
      ['type', 'STRING', 'match', '*9'],
      ['TYPE', 'nosuchtype'],
      ['COUNT', '1000'],
    ]) {
      assert.deepEqual(await full(k, extra), await full(r, extra), `SCAN ${extra.join(' ')}`);
    }
    // A small keyspace with a large COUNT completes in one call.
    const one = (await k.call('SCAN', '0', 'COUNT', '1000')) as [unknown, unknown[]];
    assert.equal(String(one[0]), '0');
    assert.equal(one[1].length, 120);
    await Promise.all([r.call('FLUSHDB'), k.call('DEL', ...cmds.map((c) => c[1]))]);
    await d.same(['SELECT', '6'], ['SCAN', '0'], ['SCAN', '0', 'MATCH', '*', 'COUNT', '5', 'TYPE', 'string'], ['SELECT', '0']);
    r.close();
    k.close();
  });

  it('RANDOMKEY', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SELECT', '7'], ['RANDOMKEY'], ['SET', 'only', 'v'], ['RANDOMKEY'], ['DEL', 'only'], ['RANDOMKEY']);
    await d.same(['SET', 'gone', 'v'], ['PEXPIRE', 'gone', '5']);
    await new Promise((r) => setTimeout(r, 30));
    await d.same(['RANDOMKEY'], ['SELECT', '0']);
  });

  it('OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ, HELP', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const long = 'x'.repeat(45);
    await d.same(
      ['SET', 'o:int', '12345'],
      ['SET', 'o:neg', '-9223372036854775808'],
      ['SET', 'o:big', '9223372036854775808'],
      ['SET', 'o:lead', '0123'],
      ['SET', 'o:emb', 'x'.repeat(44)],
      ['SET', 'o:raw', long],
      ['SET', 'o:small', '100'],
      ['OBJECT', 'ENCODING', 'o:int'],
      ['OBJECT', 'ENCODING', 'o:neg'],
      ['OBJECT', 'ENCODING', 'o:big'],
      ['OBJECT', 'ENCODING', 'o:lead'],
      ['OBJECT', 'ENCODING', 'o:emb'],
      ['OBJECT', 'ENCODING', 'o:raw'],
      ['OBJECT', 'encoding', 'o:nope'],
      ['OBJECT', 'REFCOUNT', 'o:small'],
      ['OBJECT', 'REFCOUNT', 'o:int'],
      ['OBJECT', 'REFCOUNT', 'o:raw'],
      ['OBJECT', 'REFCOUNT', 'o:nope'],
      ['OBJECT', 'IDLETIME', 'o:nope'],
      ['OBJECT', 'FREQ', 'o:raw'],
      ['OBJECT', 'FREQ', 'o:nope'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'help'],
      ['OBJECT', 'NOSUCH', 'x'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT'],
      ['RPUSH', 'o:l', 'a'],
      ['OBJECT', 'ENCODING', 'o:l'],
      ['HSET', 'o:h', 'a', 'b'],
      ['OBJECT', 'ENCODING', 'o:h'],
      ['ZADD', 'o:z', '1', 'a'],
      ['OBJECT', 'ENCODING', 'o:z'],
      ['DEL', 'o:int', 'o:neg', 'o:big', 'o:lead', 'o:emb', 'o:raw', 'o:small', 'o:l', 'o:h', 'o:z'],
    );
    // Idle time in whole seconds of the LRU clock: SET and OBJECT IDLETIME a few ms apart read 1
    // when they straddle a second boundary (on either server, at its own moment), else 0.
    await d.sameAfter(['OBJECT', 'IDLETIME', 'o:raw'], (r) => (r === 0 || r === 1 ? 'idle 0 or 1 s' : r));
  });

  it('OBJECT FREQ/IDLETIME under an LFU policy', async (t) => {
    const d2 = await Differential.start({
      redisArgs: ['--maxmemory-policy', 'allkeys-lfu'],
      keydra: { 'maxmemory-policy': 'allkeys-lfu' } as never,
    });
    if (!d2) return t.skip(NO_REDIS);
    try {
      await d2.same(['SET', 'f', 'v'], ['OBJECT', 'IDLETIME', 'f'], ['OBJECT', 'FREQ', 'nope']);
    } finally {
      await d2.close();
    }
  });

  it('propagates EXPIRE as PEXPIREAT and a past expire as DEL', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const server = (d.keydra as unknown as { running: { server: import('../../src/server/server.js').KeydraServer } }).running.server;
    const seen: string[][] = [];
    server.addPropagationListener((_db, argv) => seen.push(argv));
    const k = d.k;
    await k.call('SET', 'p:a', 'v');
    const before = Date.now();
    await k.call('EXPIRE', 'p:a', '100', 'NX');
    const after = Date.now();
    await k.call('PEXPIREAT', 'p:a', String(FUTURE_MS));
    await k.call('EXPIRE', 'p:a', '-1');
    await k.call('EXPIRE', 'p:nope', '10');
    assert.equal(seen[0][0], 'SET');
    assert.equal(seen[1][0], 'PEXPIREAT');
    const when = Number(seen[1][2]);
    assert.ok(when >= before + 100000 && when <= after + 100000, `abs time ${when}`);
    assert.equal(seen[1][3], 'NX');
    assert.deepEqual(seen[2], ['PEXPIREAT', 'p:a', String(FUTURE_MS)]);
    assert.deepEqual(seen[3], ['DEL', 'p:a']);
    assert.equal(seen.length, 4);
  });
  it('SCAN returns every key present for the whole iteration while the keyspace changes', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const server = (d.keydra as unknown as { running: { server: import('../../src/server/server.js').KeydraServer } }).running.server;
    const k = d.k;
    await k.call('SELECT', '9');
    const db = server.keyspace.dbs[9];
    const { ObjType, RObject } = await import('../../src/store/db.js');
    for (let i = 0; i < 10000; i++) db.setKey(`g:${i}`, new RObject(ObjType.String, 'v'));
    const removed = new Set<string>();
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, keys] = (await k.call('SCAN', cursor, 'COUNT', '50')) as [unknown, unknown[]];
      cursor = String(next);
      for (const key of keys) seen.add(String(key));
      // Grow, shrink and rewrite the keyspace between calls.
      const victim = `g:${(step * 7919) % 10000}`;
      if (((await k.call('DEL', victim)) as number) === 1) removed.add(victim);
      await k.call('SET', `g:new:${step}`, 'v');
      await k.call('SET', `g:${(step * 13) % 10000}`, 'overwritten');
      const moved = `g:${(step * 31 + 5) % 10000}`;
      if (((await k.call('RENAME', moved, `${moved}:r`).catch(() => null)) as unknown) === 'OK') removed.add(moved);
      step++;
    } while (cursor !== '0');
    let missing = 0;
    for (let i = 0; i < 10000; i++) if (!removed.has(`g:${i}`) && !seen.has(`g:${i}`)) missing++;
    assert.equal(missing, 0);
    db.clear();
    await k.call('SELECT', '0');
  });
  it('keyspace notifications of generic commands', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const [rs, ks] = await d.connectBoth();
    try {
      rs.writeRaw('PSUBSCRIBE __keyevent@*__:*\r\n');
      ks.writeRaw('PSUBSCRIBE __keyevent@*__:*\r\n');
      const expect = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const [a, b] = await Promise.all([rs.readReply(), ks.readReply()]);
          assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), `notification ${i}`);
        }
      };
      await expect(1);
      await d.same(['SET', 'n:a', '1']);
      await expect(1);
      await d.same(['RENAME', 'n:a', 'n:b'], ['RENAMENX', 'n:b', 'n:c']);
      await expect(4);
      await d.same(['MOVE', 'n:c', '3']);
      await expect(2);
      await d.same(['SELECT', '3'], ['COPY', 'n:c', 'n:d', 'DB', '4'], ['EXPIRE', 'n:c', '100'], ['PERSIST', 'n:c']);
      await expect(3);
      await d.same(['PEXPIRE', 'n:c', '0'], ['UNLINK', 'n:c'], ['SELECT', '4'], ['DEL', 'n:d'], ['SELECT', '0']);
      await expect(2);
      await d.same(['SET', 'n:e', '1'], ['PEXPIRE', 'n:e', '20']);
      await expect(2);
      await new Promise((r) => setTimeout(r, 300));
      await expect(1);
      assert.equal(rs.unread, 0);
      assert.equal(ks.unread, 0);
    } finally {
      rs.close();
      ks.close();
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    }
  });
  it('RESP3 replies', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r, k] = await d.connectBoth();
    try {
      for (const cmd of [
        ['HELLO', '3'],
        ['SELECT', '11'],
        ['OBJECT', 'ENCODING', 'r3:nope'],
        ['OBJECT', 'HELP'],
        ['SCAN', '0'],
        ['KEYS', '*'],
        ['RANDOMKEY'],
        ['SET', 'r3:a', '1'],
        ['SCAN', '0', 'COUNT', '100'],
        ['TTL', 'r3:a'],
        ['EXPIRE', 'r3:a', '10', 'GT', 'LT'],
        ['DEL', 'r3:a'],
      ]) {
        const [a, b] = await Promise.all([r.send(...cmd), k.send(...cmd)]);
        if (cmd[0] === 'HELLO') continue;
        assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), JSON.stringify(cmd));
      }
    } finally {
      r.close();
      k.close();
    }
  });
  it('KEYS agrees with Redis on random glob patterns (fuzz)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r, k] = await d.connectBoth();
    try {
      await Promise.all([r.call('SELECT', '12'), k.call('SELECT', '12')]);
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const alphabet = 'abAB-^]\\[*?';
      const word = (max: number, chars: string): string => {
        let w = '';
        for (let i = rand(max) + 1; i > 0; i--) w += chars[rand(chars.length)];
        return w;
      };
      const keys = new Set<string>();
      for (let i = 0; i < 60; i++) keys.add(word(6, 'abAB-^]\\['));
      for (const key of keys) await Promise.all([r.call('SET', key, '1'), k.call('SET', key, '1')]);
      for (let i = 0; i < 400; i++) {
        const p = word(7, alphabet);
        const [a, b] = await Promise.all([r.call('KEYS', p), k.call('KEYS', p)]);
        assert.deepEqual(sortedKeys(b), sortedKeys(a), `KEYS ${JSON.stringify(p)}`);
      }
      await Promise.all([r.call('FLUSHDB'), k.call('DEL', ...keys)]);
    } finally {
      r.close();
      k.close();
    }
  });
});
