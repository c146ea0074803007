/**
 * Hit rate against a real redis-server 7.0: the same maxmemory (16mb), policy and a Zipfian
 * (s = 1, 200k keys) read-through workload (GET; on a miss SET a 1 KB value). Keydra's hit rate
 * must be within 5 points of Redis's. Keydra runs as a child keydra-server, as accounting is
 * per process. Both figures are printed (`# <policy> hit rate: ...`). Measured 2026-11-21 (three runs, LRU clock
 * in 1/16 s): allkeys-lru Redis 71.5–71.6 % / Keydra 67.8–69.9 %; allkeys-lfu 72.9–73.0 % / 70.4–72.2 %.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../../../src/client/rawClient.js';
import { freePort, NO_REDIS, startRedis } from '../../helpers/servers.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli.js');

async function connect(port: number): Promise<RawClient> {
  for (let i = 0; ; i++) {
    try {
      return await RawClient.connect(port);
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs the Zipfian read-through workload; returns the hit rate (%) after a warm-up. */
async function zipfHitRate(c: RawClient): Promise<number> {
  const K = 200000;
  const cdf = new Float64Array(K);
  let acc = 0;
  for (let i = 0; i < K; i++) {
    acc += 1 / (i + 1);
    cdf[i] = acc;
  }
  let seed = 12345;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 4294967296;
  };
  const pick = (): number => {
    const u = rnd() * acc;
    let lo = 0;
    let hi = K - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cdf[m] < u) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  const val = 'x'.repeat(1000);
  let hits = 0;
  let total = 0;
  for (let b = 0; b < 300; b++) {
    const keys: string[] = [];
    for (let i = 0; i < 500; i++) keys.push(`z:${pick()}`);
    const r = await c.pipeline(keys.map((k) => ['GET', k]));
    const miss: string[][] = [];
    for (let i = 0; i < r.length; i++) {
      if (r[i].node === null) miss.push(['SET', keys[i], val]);
      else if (b >= 100) hits++;
    }
    if (b >= 100) total += keys.length;
    if (miss.length > 0) await c.pipeline(miss);
  }
  return (hits / total) * 100;
}

describe('eviction hit rate vs redis-server', () => {
  for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
    it(`${policy}: Zipfian hit rate within 5 points of Redis`, async (t) => {
      const redis = await startRedis(['--maxmemory', '16mb', '--maxmemory-policy', policy]);
      if (redis === null) {
        t.skip(NO_REDIS);
        return;
      }
      const port = await freePort();
      const proc = spawn(
        process.execPath,
        [CLI, '--port', String(port), '--save', '', '--maxmemory', '16mb', '--maxmemory-policy', policy],
        {
          stdio: 'ignore',
        },
      );
      try {
        const rc = await connect(redis.port);
        const kc = await connect(port);
        const [rh, kh] = [await zipfHitRate(rc), await zipfHitRate(kc)];
        rc.close();
        kc.close();
        console.log(`# ${policy} hit rate: redis ${rh.toFixed(2)}% keydra ${kh.toFixed(2)}%`);
        assert.ok(Math.abs(rh - kh) <= 5, `redis ${rh.toFixed(2)}% vs keydra ${kh.toFixed(2)}%`);
      } finally {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
        await redis.close();
      }
    });
  }
});
