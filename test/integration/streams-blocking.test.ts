/**
 * Blocking stream reads over several real ioredis connections: XREAD BLOCK woken by XADD from
 * another client, timeouts (nil), `$`, BLOCK 0, several waiters, XREADGROUP BLOCK delivering to
 * the first waiter only, released with an error when the group is destroyed or the key deleted
 * or retyped, wake-ups from MULTI/EXEC, and non-blocking behaviour inside MULTI.
 * Each scenario runs against Keydra and, when installed, a real redis-server 7.0, and the
 * observed outcomes must be equal (so expectations are Redis's own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type Peer, startKeydra, startRedis } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A result or the error text, so outcomes of both servers can be compared. */
async function outcome<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (e) {
    return `ERR:${(e as Error).message}`;
  }
}

type Scenario = (port: number, conn: () => Redis) => Promise<unknown>;

/** Waits until the server reports `n` blocked clients (bounded). */
async function waitBlocked(ctl: Redis, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const info = await ctl.info('clients');
    const m = /blocked_clients:(\d+)/.exec(info);
    if (m && Number(m[1]) === n) return;
    await sleep(5);
  }
  assert.fail(`expected ${n} blocked clients`);
}

const scenarios: Record<string, Scenario> = {
  async 'XREAD BLOCK woken by XADD from another client; $ skips older entries'(_port, conn) {
    const [a, b] = [conn(), conn()];
    await a.xadd('s1', '1-0', 'old', '1');
    const p = a.xread('BLOCK', 0, 'STREAMS', 's1', '$');
    await waitBlocked(b, 1);
    await b.xadd('s1', '2-0', 'new', '2');
    return await p;
  },
  async 'XREAD BLOCK timeout returns nil; BLOCK on a missing key'(_port, conn) {
    const a = conn();
    const r1 = await a.xread('BLOCK', 50, 'STREAMS', 'nokey', '$');
    await a.xadd('s2', '1-0', 'f', 'v');
    const r2 = await a.xread('BLOCK', 30, 'STREAMS', 's2', '1-0');
    return [r1, r2];
  },
  async 'several XREAD waiters on several keys are all served; COUNT'(_port, conn) {
    const [a, b, c, w] = [conn(), conn(), conn(), conn()];
    const pa = a.xread('BLOCK', 0, 'STREAMS', 'k1', 'k2', '$', '$');
    const pb = b.xread('COUNT', 1, 'BLOCK', 0, 'STREAMS', 'k2', '0');
    const pc = c.xread('BLOCK', 0, 'STREAMS', 'k1', '0-0');
    await waitBlocked(w, 3);
    await w.xadd('k2', '5-0', 'x', '1', 'y', '2');
    await w.xadd('k1', '6-0', 'z', '3');
    return [await pa, await pb, await pc];
  },
  async 'XADD inside MULTI/EXEC wakes waiters after EXEC; XREAD BLOCK inside MULTI does not block'(_port, conn) {
    const [a, w] = [conn(), conn()];
    const p = a.xread('BLOCK', 0, 'STREAMS', 'm1', '$');
    await waitBlocked(w, 1);
    const exec = await w.multi().xadd('m1', '1-0', 'a', '1').xadd('m1', '2-0', 'b', '2').exec();
    const served = await p;
    const inMulti = await w.multi().xread('BLOCK', 0, 'STREAMS', 'm1', '$').xread('BLOCK', 0, 'STREAMS', 'm1', '0').exec();
    return [exec, served, inMulti];
  },
  async 'XADD from a Lua script wakes waiters; XREAD BLOCK inside a script is refused'(_port, conn) {
    const [a, w] = [conn(), conn()];
    const p = a.xread('BLOCK', 0, 'STREAMS', 'lua1', '$');
    await waitBlocked(w, 1);
    const added = await w.eval("return redis.call('XADD', KEYS[1], '3-3', 'from', 'lua')", 1, 'lua1');
    const served = await p;
    const refused = await outcome(w.eval("return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", 1, 'lua1'));
    const pcall = await outcome(
      w.eval("return redis.pcall('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", 1, 'lua1'),
    );
    return [added, served, String(refused).replace(/script: \w+/, 'script: SHA'), pcall];
  },
  async 'XREADGROUP BLOCK: one new entry goes to the first waiter only; PEL and group updated'(_port, conn) {
    const [a, b, w] = [conn(), conn(), conn()];
    await w.xgroup('CREATE', 'g1', 'grp', '$', 'MKSTREAM');
    const pa = a.xreadgroup('GROUP', 'grp', 'alice', 'BLOCK', 0, 'STREAMS', 'g1', '>');
    await waitBlocked(w, 1);
    const pb = b.xreadgroup('GROUP', 'grp', 'bob', 'BLOCK', 300, 'STREAMS', 'g1', '>');
    await waitBlocked(w, 2);
    await w.xadd('g1', '1-0', 'job', '1');
    const ra = await pa;
    const rb = await pb;
    const pending = await w.xpending('g1', 'grp');
    const groups = await w.xinfo('GROUPS', 'g1');
    return [ra, rb, pending, groups];
  },
  async 'XREADGROUP BLOCK NOACK woken by XADD, consumer created on serve'(_port, conn) {
    const [a, w] = [conn(), conn()];
    await w.xgroup('CREATE', 'g2', 'grp', '$', 'MKSTREAM');
    const p = a.xreadgroup('GROUP', 'grp', 'carol', 'COUNT', 5, 'BLOCK', 0, 'NOACK', 'STREAMS', 'g2', '>');
    await waitBlocked(w, 1);
    const before = (await w.xinfo('CONSUMERS', 'g2', 'grp')) as unknown[];
    await w.xadd('g2', '1-0', 'a', '1');
    const r = await p;
    return [before.length, r, await w.xpending('g2', 'grp')];
  },
  async 'blocked XREADGROUP released when the group is destroyed (NOGROUP)'(_port, conn) {
    const [a, b, w] = [conn(), conn(), conn()];
    await w.xgroup('CREATE', 'd1', 'grp', '$', 'MKSTREAM');
    const pa = outcome(a.xreadgroup('GROUP', 'grp', 'c1', 'BLOCK', 0, 'STREAMS', 'd1', '>'));
    const pb = outcome(b.xread('BLOCK', 200, 'STREAMS', 'd1', '$'));
    await waitBlocked(w, 2);
    const destroyed = await w.xgroup('DESTROY', 'd1', 'grp');
    return [destroyed, await pa, await pb];
  },
  async 'blocked XREADGROUP released when the key is deleted or retyped (UNBLOCKED); XREAD keeps waiting'(_port, conn) {
    const [a, b, c, w] = [conn(), conn(), conn(), conn()];
    await w.xgroup('CREATE', 'd2', 'grp', '$', 'MKSTREAM');
    await w.xgroup('CREATE', 'd3', 'grp', '$', 'MKSTREAM');
    const pa = outcome(a.xreadgroup('GROUP', 'grp', 'c1', 'BLOCK', 0, 'STREAMS', 'd2', '>'));
    const pb = outcome(b.xreadgroup('GROUP', 'grp', 'c2', 'BLOCK', 0, 'STREAMS', 'd2', '>'));
    const pc = outcome(c.xread('BLOCK', 200, 'STREAMS', 'd2', '$'));
    await waitBlocked(w, 3);
    await w.del('d2');
    const ra = await pa;
    const rb = await pb;
    const pd = outcome(a.xreadgroup('GROUP', 'grp', 'c1', 'BLOCK', 0, 'STREAMS', 'd3', '>'));
    await waitBlocked(w, 2);
    await w.set('d3', 'now a string');
    return [ra, rb, await pd, await pc];
  },
  async 'FLUSHDB releases blocked XREADGROUP (UNBLOCKED) but not XREAD'(_port, conn) {
    const [a, b, w] = [conn(), conn(), conn()];
    await w.xgroup('CREATE', 'fl', 'grp', '$', 'MKSTREAM');
    const pa = outcome(a.xreadgroup('GROUP', 'grp', 'c1', 'BLOCK', 0, 'STREAMS', 'fl', '>'));
    const pb = outcome(b.xread('BLOCK', 150, 'STREAMS', 'fl', '$'));
    await waitBlocked(w, 2);
    await w.flushdb();
    return [await pa, await pb];
  },
  async 'pipelined commands after a blocked XREAD run once it is served'(_port, conn) {
    const [a, w] = [conn(), conn()];
    const pipe = a.pipeline().xread('BLOCK', 0, 'STREAMS', 'pp', '$').xlen('pp').echo('after').exec();
    await waitBlocked(w, 1);
    await w.xadd('pp', '7-7', 'f', 'v');
    return await pipe;
  },
};

describe('stream blocking reads (Keydra, compared with redis-server)', () => {
  let keydra: Peer;
  let redis: Peer | null;
  const opened: Redis[] = [];
  before(async () => {
    keydra = await startKeydra();
    redis = await startRedis();
  });
  after(async () => {
    for (const c of opened) c.disconnect();
    await keydra.close();
    await redis?.close();
  });

  const connFor = (port: number) => () => {
    const c = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    opened.push(c);
    return c;
  };

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const k = await scenario(keydra.port, connFor(keydra.port));
      if (redis !== null) {
        const r = await scenario(redis.port, connFor(redis.port));
        assert.deepEqual(k, r);
      }
      // Something was observed: no scenario ends with an empty outcome.
      assert.notEqual(k, undefined);
    });
  }

  it('XREAD BLOCK 0 keeps waiting until data arrives (no timeout)', async () => {
    const c = connFor(keydra.port);
    const [a, w] = [c(), c()];
    const p = a.xread('BLOCK', 0, 'STREAMS', 'forever', '$');
    await sleep(300);
    await waitBlocked(w, 1);
    await w.xadd('forever', '1-1', 'a', 'b');
    assert.deepEqual(await p, [['forever', [['1-1', ['a', 'b']]]]]);
  });
});
