/**
 * Eviction policies on an in-process keyspace (no sockets): each policy evicts only what it may,
 * in the order Redis's pool would (src/evict/index.ts Evictor.evictOne), plus the LFU helpers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config } from '../../../src/config/config.js';
import { evictorOf, LFU_INIT_VAL, lfuDecrAndReturn, lfuLogIncr, lfuMinutes } from '../../../src/evict/index.js';
import { KeydraServer } from '../../../src/server/server.js';
import { commandTable } from '../../../src/commands/table.js';
import { lruClock, ObjType, RObject } from '../../../src/store/db.js';

function serverWith(policy: string): KeydraServer {
  const cfg = new Config();
  cfg.set('maxmemory-policy', [policy]);
  cfg.set('maxmemory-samples', ['64']);
  return new KeydraServer(commandTable, cfg);
}

function put(s: KeydraServer, key: string, ttlMs?: number, lru?: number): RObject {
  const db = s.keyspace.dbs[0];
  const o = new RObject(ObjType.String, 'v');
  db.add(key, o);
  if (ttlMs !== undefined) db.setExpire(key, s.keyspace.now + ttlMs);
  if (lru !== undefined) {
    // As RESTORE IDLETIME/FREQ: metadata set after the add is stored back (small strings are kept as bytes).
    o.lru = lru;
    db.storeValue(key, o);
  }
  return o;
}

/** Evicts until nothing may be evicted; returns the evicted keys in order. */
function drain(s: KeydraServer, policy: string): string[] {
  const db = s.keyspace.dbs[0];
  const before = new Set(db.table.keys());
  const order: string[] = [];
  while (evictorOf(s).evictOne(policy)) {
    for (const k of before) {
      if (!db.hasKey(k)) {
        order.push(k);
        before.delete(k);
      }
    }
  }
  return order;
}

describe('eviction policies', () => {
  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
    it(`${policy} never evicts keys without TTL`, () => {
      const s = serverWith(policy);
      for (let i = 0; i < 40; i++) put(s, `p:${i}`);
      for (let i = 0; i < 10; i++) put(s, `v:${i}`, 100000 + i);
      const evicted = drain(s, policy);
      assert.deepEqual([...evicted].sort(), Array.from({ length: 10 }, (_, i) => `v:${i}`).sort());
      assert.equal(s.keyspace.dbs[0].size, 40);
      assert.equal(s.keyspace.stats.evicted_keys, 10);
    });
  }

  it('volatile-ttl evicts the nearest expiry first', () => {
    const s = serverWith('volatile-ttl');
    const ttls = [500, 100, 900, 300, 700, 200, 800, 400, 600, 1000];
    for (const [i, t] of ttls.entries()) put(s, `k${i}`, t * 1000);
    const evicted = drain(s, 'volatile-ttl');
    const expected = ttls
      .map((t, i) => [t, `k${i}`] as const)
      .sort((a, b) => a[0] - b[0])
      .map((x) => x[1]);
    assert.deepEqual(evicted, expected);
  });

  it('allkeys-lru evicts the longest idle first; allkeys-random evicts everything', () => {
    const s = serverWith('allkeys-lru');
    for (let i = 0; i < 20; i++) put(s, `k${i}`, undefined, lruClock(s.keyspace.now - (i % 2 === 0 ? 1000 + i : i) * 1000));
    const evicted = drain(s, 'allkeys-lru');
    assert.deepEqual(
      evicted.slice(0, 10),
      [18, 16, 14, 12, 10, 8, 6, 4, 2, 0].map((i) => `k${i}`),
    );
    const r = serverWith('allkeys-random');
    for (let i = 0; i < 20; i++) put(r, `k${i}`);
    assert.equal(drain(r, 'allkeys-random').length, 20);
  });

  it('allkeys-lfu evicts the least frequently used first', () => {
    const s = serverWith('allkeys-lfu');
    const min = lfuMinutes(s.keyspace.now);
    for (let i = 0; i < 10; i++) put(s, `k${i}`, undefined, (min << 8) | (100 - i * 5));
    const evicted = drain(s, 'allkeys-lfu');
    assert.deepEqual(
      evicted,
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => `k${i}`),
    );
  });

  it('LFU counter: new keys start at LFU_INIT_VAL, grows logarithmically, decays per minute', () => {
    const s = serverWith('allkeys-lfu');
    const o = put(s, 'k');
    assert.equal(o.lru & 0xff, LFU_INIT_VAL);
    let c = 0;
    for (let i = 0; i < 1000; i++) c = lfuLogIncr(c, 10);
    assert.ok(c > 10 && c < 40, `counter ${c}`);
    const now = Date.now();
    const lru = ((lfuMinutes(now - 3 * 60000) << 8) | 20) >>> 0;
    assert.equal(lfuDecrAndReturn(lru, now, 1), 17);
    assert.equal(lfuDecrAndReturn(lru, now, 0), 20);
  });
});
