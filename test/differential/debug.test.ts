/**
 * DEBUG subcommands Redis's own test suite relies on, against a real redis-server 7.0 with
 * `enable-debug-command yes` and `appendonly yes`: LOADAOF (the dataset comes back from the AOF
 * alone), PAUSE-CRON (no active expiry while set), SET-DISABLE-DENY-SCRIPTS (noscript commands
 * callable from scripts), REPLYBUFFER argument checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DEBUG subcommands used by the Redis suite (differential)', () => {
  let d: Differential | null = null;
  const same = useDifferential(
    (x) => {
      d = x;
    },
    {
      redisArgs: ['--enable-debug-command', 'yes', '--appendonly', 'yes'],
      keydra: { 'enable-debug-command': 'yes', appendonly: 'yes' },
    },
  );

  it('LOADAOF reloads the dataset from the AOF', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(['FLUSHALL'], ['SET', 'dbg:a', '1'], ['RPUSH', 'dbg:l', 'x', 'y'], ['HSET', 'dbg:h', 'f', 'v'], ['EXPIRE', 'dbg:a', '1000']);
    await same(['DEBUG', 'LOADAOF'], ['DBSIZE'], ['LRANGE', 'dbg:l', '0', '-1'], ['HGETALL', 'dbg:h'], ['GET', 'dbg:a']);
    const [rt, kt] = await Promise.all([d.r.call('TTL', 'dbg:a'), d.k.call('TTL', 'dbg:a')]);
    assert.ok((rt as number) > 990 && (kt as number) > 990, `TTL kept: redis ${rt}, keydra ${kt}`);
  });

  it('PAUSE-CRON stops active expiry until cleared', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(['FLUSHALL'], ['DEBUG', 'PAUSE-CRON', '1'], ['SET', 'dbg:e', 'v', 'PX', '20']);
    await sleep(400);
    await same(['DBSIZE']); // still 1: nothing reclaimed it
    await same(['DEBUG', 'PAUSE-CRON', '0']);
    for (let i = 0; i < 50; i++) {
      const [r, k] = await Promise.all([d.r.call('DBSIZE'), d.k.call('DBSIZE')]);
      if (r === 0 && k === 0) return;
      await sleep(100);
    }
    assert.fail('the key was not actively expired after PAUSE-CRON 0');
  });

  it('QUICKLIST-PACKED-THRESHOLD takes memory sizes (1b .. 4gb - 1mb, 0 = default); lists of big elements behave the same', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const v of ['1b', '1', '0', '10k', '4gb', '4095mb', '-1', 'x', '1tb']) await same(['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', v]);
    await same(['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1b'], ['DEL', 'dbg:pl'], ['LPUSH', 'dbg:pl', '9', 'xxxxxxxxxx', 'xxxxxxxxxx']);
    await same(['LINSERT', 'dbg:pl', 'BEFORE', '9', '8'], ['LSET', 'dbg:pl', '0', 'yyyyyyyyyyyy'], ['LRANGE', 'dbg:pl', '0', '-1']);
    await same(['DEBUG', 'RELOAD'], ['LRANGE', 'dbg:pl', '0', '-1'], ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0']);
  });

  it('SET-DISABLE-DENY-SCRIPTS and REPLYBUFFER', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(['EVAL', "return redis.pcall('client', 'pause', '1')", '0']);
    await same(['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1'], ['EVAL', "return redis.pcall('client', 'unpause')", '0']);
    await same(['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0'], ['EVAL', "return redis.pcall('client', 'unpause')", '0']);
    await same(['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'never'], ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'reset']);
    await same(['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'x'], ['DEBUG', 'REPLYBUFFER', 'RESIZING', '1']);
  });
  it('DEBUG OBJECT sees a key that is expired but not yet reclaimed; a script then finds it gone', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const dd = d as Differential;
    await same(['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['SET', 'dbg:x', 'v', 'PX', '1']);
    await sleep(20);
    const kind = (r: unknown) => (typeof r === 'object' && r !== null && 't' in r ? (r as { t: string }).t : typeof r);
    await dd.sameAfter(['DEBUG', 'OBJECT', 'dbg:x'], kind);
    await same(['EVAL', "return redis.call('EXISTS', 'dbg:x')", '0'], ['EXISTS', 'dbg:x'], ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']);
  });
});
