/**
 * Lazy free (Redis 7.0 lazyfree.c) on Keydra and, as control, on redis-server: UNLINK of a big
 * value and FLUSHDB/FLUSHALL ASYNC are freed in the background (INFO lazyfree_pending_objects
 * back to 0, lazyfreed_objects counting them, CONFIG RESETSTAT zeroing it), values with a free
 * effort of at most 64 are freed at once, lazyfree-lazy-user-del/-flush make DEL and FLUSHDB
 * lazy, and used_memory comes back down after the background free (and after a synchronous
 * FLUSHALL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RawClient } from '../../src/client/rawClient.js';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

function field(info: unknown, name: string): number {
  const m = String(info).match(new RegExp(`${name}:(\\d+)`));
  return m === null ? Number.NaN : Number(m[1]);
}

/** Waits until lazyfree_pending_objects is 0, then returns lazyfreed_objects. */
async function settled(c: RawClient): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const info = await c.call('INFO', 'memory');
    if (field(info, 'lazyfree_pending_objects') === 0) return field(info, 'lazyfreed_objects');
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('lazy free did not finish');
}

/** Adds `n` members to set `key` in batches. */
async function bigSet(c: RawClient, key: string, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i += 1000) {
    const args: string[] = [];
    for (let j = i; j < Math.min(i + 1000, from + n); j++) args.push(`m${j}`);
    await c.call('SADD', key, ...args);
  }
}

describe('lazy free (Keydra and redis-server)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('UNLINK, DEL with lazyfree-lazy-user-del, FLUSHDB/FLUSHALL ASYNC count the objects freed in the background', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const c of [d.r, d.k]) {
      const who: string = c === d.r ? 'redis' : 'keydra';
      await c.call('FLUSHALL');
      await c.call('CONFIG', 'RESETSTAT');
      // Above the threshold (65 members in a hashtable set): background.
      await bigSet(c, 'big', 1000);
      await c.call('SADD', 'small', 'a', 'b');
      await c.call('RPUSH', 'list', 'a', 'b');
      assert.equal(String(await c.call('UNLINK', 'big', 'small', 'list', 'nosuch')), '3', who);
      assert.equal(await settled(c), 1, `${who}: one object lazy freed`);
      // DEL is lazy only with lazyfree-lazy-user-del.
      await bigSet(c, 'big', 1000);
      await c.call('DEL', 'big');
      assert.equal(await settled(c), 1, who);
      await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes');
      await bigSet(c, 'big', 1000);
      await c.call('DEL', 'big');
      assert.equal(await settled(c), 2, who);
      await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no');
      // FLUSHDB ASYNC: every key of the db counts.
      await c.call('MSET', 'a', '1', 'b', '2', 'c', '3');
      await c.call('FLUSHDB', 'ASYNC');
      assert.equal(await settled(c), 5, who);
      await c.call('MSET', 'a', '1', 'b', '2');
      await c.call('FLUSHDB', 'SYNC');
      assert.equal(await settled(c), 5, who);
      await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'yes');
      await c.call('MSET', 'a', '1', 'b', '2');
      await c.call('SELECT', '1');
      await c.call('SET', 'x', '1');
      await c.call('FLUSHALL');
      assert.equal(await settled(c), 8, who);
      await c.call('SELECT', '0');
      await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'no');
      await c.call('CONFIG', 'RESETSTAT');
      assert.equal(await settled(c), 0, `${who}: CONFIG RESETSTAT`);
    }
  });

  it('a stream is lazy freed by its nodes and groups, not once its group is destroyed (lazyfree.tcl)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const c of [d.r, d.k]) {
      const who: string = c === d.r ? 'redis' : 'keydra';
      await c.call('CONFIG', 'RESETSTAT');
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '5');
      for (let j = 0; j < 1000; j += 100) {
        const batch: Promise<unknown>[] = [];
        for (let k = j; k < j + 100; k++) batch.push(c.call('XADD', 'st', '*', 'foo', String(k)));
        await Promise.all(batch);
      }
      await c.call('XGROUP', 'CREATE', 'st', 'g', '0');
      await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'st', '>');
      await c.call('UNLINK', 'st');
      assert.equal(await settled(c), 1, who);
      await c.call('CONFIG', 'RESETSTAT');
      await c.call('XADD', 's', '*', 'a', 'b');
      await c.call('XGROUP', 'CREATE', 's', 'bla', '$');
      await c.call('XGROUP', 'DESTROY', 's', 'bla');
      await c.call('UNLINK', 's');
      assert.equal(await settled(c), 0, who);
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
    }
  });

  it('used_memory comes back down after UNLINK, FLUSHDB ASYNC and FLUSHALL SYNC of a 100,000-member set (Keydra)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const c = d.k;
    for (const how of ['UNLINK', 'FLUSHDB', 'FLUSHALL'] as const) {
      await c.call('FLUSHALL');
      await settled(c);
      const orig = field(await c.call('INFO', 'memory'), 'used_memory');
      await bigSet(c, 'myset', 100_000);
      const peak = field(await c.call('INFO', 'memory'), 'used_memory');
      assert.ok(peak > orig + 1_000_000, `${how}: peak ${peak} orig ${orig}`);
      if (how === 'UNLINK') await c.call('UNLINK', 'myset');
      else if (how === 'FLUSHDB') await c.call('FLUSHDB', 'ASYNC');
      else await c.call('FLUSHALL', 'SYNC');
      let used = peak;
      for (let i = 0; i < 50 && !(used < peak && used < orig * 2); i++) {
        await new Promise((r) => setTimeout(r, 100));
        used = field(await c.call('INFO', 'memory'), 'used_memory');
      }
      assert.ok(used < peak && used < orig * 2, `${how}: used_memory ${used} (peak ${peak}, before ${orig})`);
    }
  });
});
