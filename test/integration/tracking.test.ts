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
