/**
 * Client-side caching with real clients: node-redis 5's RESP3 `clientSideCache` (CLIENT TRACKING
 * ON, `invalidate` pushes) against Keydra, with redis-server 7.0 as the control when installed:
 * hits after a first read, invalidation by another client's write, by expiry, by FLUSHALL, and the
 * same counts on both servers.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { BasicClientSideCache, createClient } from 'redis';
import { keydraAndRedis } from '../helpers/servers.js';

const servers = keydraAndRedis();

/** Runs the scenario on one server and returns the cache's hit/miss counts and observed values. */
async function scenario(port: number): Promise<{ hits: number; misses: number; values: (string | null)[] }> {
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
  const cached = createClient({ socket: { port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache });
  const writer = createClient({ socket: { port, host: '127.0.0.1' } });
  await cached.connect();
  await writer.connect();
  const values: (string | null)[] = [];
  const settle = async (): Promise<void> => {
    // A round trip on the cached connection delivers any pending invalidation push first.
    await cached.ping();
  };
  try {
    await writer.flushAll();
    await writer.set('a', '1');
    values.push(await cached.get('a')); // miss
    values.push(await cached.get('a')); // hit
    values.push(await cached.get('a')); // hit
    await writer.set('a', '2'); // invalidates
    await settle();
    values.push(await cached.get('a')); // miss, new value
    values.push(await cached.get('a')); // hit
    await writer.set('b', 'x', { PX: 50 });
    values.push(await cached.get('b')); // miss
    await sleep(150);
    values.push(await writer.get('b')); // the expiry is noticed (lazily or actively): invalidation
    await settle();
    values.push(await cached.get('b')); // miss: null
    values.push(await cached.hGet('h', 'f')); // miss (nil is cached too)
    await writer.hSet('h', 'f', 'v');
    await settle();
    values.push(await cached.hGet('h', 'f')); // miss, new value
    await writer.flushAll(); // null invalidation: everything dropped
    await settle();
    values.push(await cached.get('a')); // miss: null
    const st = cache.stats();
    return { hits: st.hitCount, misses: st.missCount, values };
  } finally {
    await cached.quit();
    await writer.quit();
  }
}

test('node-redis RESP3 clientSideCache: hits, invalidation by write, expiry and FLUSHALL', async () => {
  const { k, r } = servers;
  const got = await scenario(k.port);
  assert.deepEqual(got.values, ['1', '1', '1', '2', '2', 'x', null, null, null, 'v', null]);
  assert.equal(got.hits, 3);
  if (r !== null) assert.deepEqual(got, await scenario(r.port));
});

/**
 * Sends each command on one raw RESP3 connection and returns the bytes that came back for each
 * (collected until the socket stays quiet for 100 ms): pushes and replies in arrival order.
 */
async function rawExchange(port: number, commands: string[][]): Promise<string[]> {
  const net = await import('node:net');
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  let buf = '';
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
  });
  const out: string[] = [];
  try {
    for (const args of commands) {
      s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
      let seen = -1;
      while (seen !== buf.length || buf.length === 0) {
        seen = buf.length;
        await sleep(100);
      }
      out.push(buf);
      buf = '';
    }
  } finally {
    s.destroy();
  }
  return out;
}

test('a key evicted before a command runs is invalidated before that command reply (tracking.c: only a command in execution defers it)', async () => {
  const { k, r } = servers;
  const run = async (port: number): Promise<string> => {
    const [, , , info] = await rawExchange(port, [['HELLO', '3'], ['FLUSHALL'], ['CLIENT', 'TRACKING', 'on'], ['INFO', 'memory']]);
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    const notCounted = Number(/mem_not_counted_for_evict:(\d+)/.exec(info)?.[1] ?? 0);
    assert.ok(used > 0, info);
    // One connection: it reads volatile-key (tracked), then a 2 MB SETBIT puts memory over a
    // limit 1 MB above the start, so the next command first evicts volatile-key, the only
    // volatile key.
    const replies = await rawExchange(port, [
      ['HELLO', '3'],
      ['CLIENT', 'TRACKING', 'on'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-random'],
      ['CONFIG', 'SET', 'maxmemory', String(used - notCounted + 1024 * 1024)],
      ['SETEX', 'volatile-key', '10000', 'x'],
      ['GET', 'volatile-key'],
      ['SETBIT', 'big-key', '16000000', '0'],
      ['GETBIT', 'big-key', '0'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['FLUSHALL'],
    ]);
    return replies[7];
  };
  const got = await run(k.port);
  assert.equal(got, '>2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n:0\r\n');
  if (r !== null) assert.equal(await run(r.port), got);
});
