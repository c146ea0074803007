/**
 * maxmemory end to end: a child keydra-server with maxmemory 64mb and allkeys-lru takes 1 GB of
 * distinct keys while its RSS stays under a stated bound, evicted_keys grows and recently used
 * keys survive; noeviction answers -OOM while reads and DEL keep working; used_memory moves with
 * the data only, as redis-server's does (unit/maxmemory's "is the memory limit honoured").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { freePort, NO_REDIS, type Peer, redisServerPath, spawnedKill9, spawnServer, startKeydra } from '../helpers/servers.js';
import type { RunningServer } from '../../src/index.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
/**
 * RSS bound stated for maxmemory 64mb: the idle server's RSS plus 2 × maxmemory (the dataset, its
 * garbage until the next mark-compact, and the 2 × 2 MB young generation; measured: idle + ~80 MB).
 */
const MAXMEMORY_MB = 64;
const RSS_SLACK_MB = 2 * MAXMEMORY_MB;

function infoField(info: RespNode, name: string): string {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(String(info));
  return m ? m[1].trim() : '';
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

describe('eviction (integration)', () => {
  it('allkeys-lru with maxmemory 64mb holds RSS under the bound over 1 GB of writes', async () => {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        CLI,
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory',
        `${MAXMEMORY_MB}mb`,
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      {
        stdio: 'ignore',
      },
    );
    let c: RawClient | null = null;
    try {
      for (let i = 0; i < 100 && c === null; i++) {
        try {
          c = await RawClient.connect(port);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(c, 'server started');
      const pid = Number(infoField(await c.call('INFO', 'server'), 'process_id'));
      const idleRss = rssMb(pid);
      const value = Buffer.alloc(16 * 1024, 'x');
      const hot: string[] = [];
      for (let i = 0; i < 50; i++) hot.push(`hot:${i}`);
      await c.pipeline(hot.map((k) => ['SET', k, value]));
      const total = 1024 * 1024 * 1024;
      const batch = 256;
      let written = 0;
      let peakRss = 0;
      let n = 0;
      while (written < total) {
        const cmds: (string | Buffer)[][] = [];
        for (let i = 0; i < batch; i++) cmds.push(['SET', `key:${n++}`, value]);
        for (const k of hot) cmds.push(['GET', k]);
        const replies = await c.pipeline(cmds);
        for (let i = 0; i < batch; i++) assert.equal(replies[i].raw.toString(), '+OK\r\n');
        written += batch * value.length;
        if ((n & 4095) === 0) peakRss = Math.max(peakRss, rssMb(pid));
      }
      peakRss = Math.max(peakRss, rssMb(pid));
      const stats = await c.call('INFO', 'stats');
      const evicted = Number(infoField(stats, 'evicted_keys'));
      assert.ok(evicted > n / 2, `evicted_keys ${evicted} of ${n}`);
      assert.ok(peakRss < idleRss + RSS_SLACK_MB, `peak RSS ${peakRss.toFixed(0)} MB < idle RSS ${idleRss.toFixed(0)} MB + 2 × maxmemory`);
      const hits = (await c.pipeline(hot.map((k) => ['EXISTS', k]))).filter((r) => r.node === 1).length;
      const dbsize = await c.call('DBSIZE');
      assert.ok(hits >= hot.length * 0.9, `recently used keys survive: ${hits}/${hot.length} (dbsize ${dbsize}, evicted ${evicted})`);
      const last = await c.call('EXISTS', `key:${n - 1}`);
      assert.equal(last, 1);
      const mem = await c.call('INFO', 'memory');
      const used = Number(infoField(mem, 'used_memory'));
      assert.ok(used <= 80 * 1024 * 1024, `used_memory ${used}`);
      console.log(
        `# eviction: wrote ${n} keys (1 GB), evicted ${evicted}, idle RSS ${idleRss.toFixed(0)} MB, peak RSS ${peakRss.toFixed(0)} MB, used_memory ${used}, hot keys ${hits}/50`,
      );
    } finally {
      c?.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  describe('noeviction', () => {
    let peer: Peer & { running: RunningServer };
    let c: RawClient;
    before(async () => {
      peer = await startKeydra({ 'maxmemory-policy': 'noeviction' });
      c = await RawClient.connect(peer.port);
    });
    after(async () => {
      c.close();
      await peer.close();
    });
    it('answers -OOM to denyoom writes; reads and DEL keep working', async () => {
      assert.deepEqual(await c.call('SET', 'a', '1'), { t: '+', v: 'OK' });
      assert.deepEqual(await c.call('CONFIG', 'SET', 'maxmemory', '1'), { t: '+', v: 'OK' });
      const r = await c.call('SET', 'b', '2');
      assert.deepEqual(r, { t: '-', v: "OOM command not allowed when used memory > 'maxmemory'." });
      assert.deepEqual(await c.call('LPUSH', 'l', 'x'), { t: '-', v: "OOM command not allowed when used memory > 'maxmemory'." });
      assert.equal(await c.call('GET', 'a'), '1');
      assert.equal(await c.call('DEL', 'a'), 1);
      assert.equal(await c.call('EXISTS', 'a'), 0);
      const stats = await c.call('INFO', 'stats');
      assert.equal(infoField(stats, 'evicted_keys'), '0');
      assert.deepEqual(await c.call('CONFIG', 'SET', 'maxmemory', '0'), { t: '+', v: 'OK' });
      assert.deepEqual(await c.call('SET', 'b', '2'), { t: '+', v: 'OK' });
    });
    it('MEMORY USAGE and MEMORY STATS answer', async () => {
      await c.call('SET', 'mu', 'x'.repeat(1000));
      const u = (await c.call('MEMORY', 'USAGE', 'mu')) as number;
      assert.ok(u > 1000 && u < 1400, `usage ${u}`);
      assert.equal(await c.call('MEMORY', 'USAGE', 'missing'), null);
      const st = (await c.call('MEMORY', 'STATS')) as RespNode[];
      assert.ok(st.includes('keys.count') && st.includes('dataset.bytes') && st.includes('peak.allocated'));
    });
  });

  describe('used_memory moves with the data only, as redis-server (unit/maxmemory)', {
    skip: redisServerPath() === null ? NO_REDIS : false,
  }, () => {
    const used = async (c: RawClient) => Number(infoField(await c.call('INFO', 'memory'), 'used_memory'));
    for (const kind of ['keydra', 'redis'] as const) {
      it(`${kind}: a limit 100 KB over used_memory takes more than 10 SETEX keys and holds twice as many within 4 KB`, async (t) => {
        const s = await spawnServer(kind, await freePort(), ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
        try {
          const c = s.c;
          // Some churn first (Redis's test runs after others): big values written and flushed.
          for (let j = 0; j < 50; j++) await c.call('SETRANGE', String(j), '100000', 'x');
          for (const policy of ['allkeys-lru', 'volatile-ttl', 'allkeys-random']) {
            await c.call('FLUSHALL');
            const limit = (await used(c)) + 100 * 1024;
            await c.call('CONFIG', 'SET', 'maxmemory', String(limit));
            await c.call('CONFIG', 'SET', 'maxmemory-policy', policy);
            let n = 0;
            for (;;) {
              await c.call('SETEX', `key:${n}:${Math.random()}`, '10000', 'x');
              n++;
              if ((await used(c)) + 4096 > limit) break;
            }
            assert.ok(n > 10, `${kind} ${policy}: over the limit after ${n} keys`);
            for (let j = 0; j < n; j++) await c.call('SETEX', `more:${j}:${Math.random()}`, '10000', 'x');
            const end = await used(c);
            // redis-server itself can pass the limit here by a dict resize of its expires (~8 KB
            // at a power of two, which its own test's key count happens to miss): reported only.
            if (kind === 'keydra') assert.ok(end < limit + 4096, `${kind} ${policy}: used_memory ${end - limit} bytes over the limit`);
            else t.diagnostic(`${kind} ${policy}: ${n} keys to the limit, then ${end - limit} bytes from it`);
            assert.ok(Number(infoField(await c.call('INFO', 'stats'), 'evicted_keys')) > 0, `${kind} ${policy}: keys evicted`);
            await c.call('CONFIG', 'SET', 'maxmemory', '0');
          }
          // A collection counts as it grows, and stops counting when deleted.
          const before = await used(c);
          for (let j = 0; j < 10; j++)
            await c.call('RPUSH', 'list', ...Array.from({ length: 100 }, (_, i) => `element:${j}:${i}:${'v'.repeat(80)}`));
          const grown = (await used(c)) - before;
          // (~93 KB of element bytes: Keydra's packed list nodes hold about that, redis-server's listpacks ~120 KB.)
          assert.ok(grown > 90_000 && grown < 400_000, `${kind}: 1000 elements of ~90 bytes grew used_memory by ${grown}`);
          await c.call('DEL', 'list');
          const back = (await used(c)) - before;
          // (redis-server keeps the grown query buffer counted until its cron trims it: reported only.)
          if (kind === 'keydra') {
            assert.ok(Math.abs(back) < 4096, `${kind}: ${back} bytes left after DEL`);
            t.diagnostic(`${kind}: list grew used_memory by ${grown}, ${back} bytes left after DEL`);
          } else t.diagnostic(`${kind}: list grew used_memory by ${grown}, ${back} bytes left after DEL`);
        } finally {
          await spawnedKill9(s);
        }
      });
    }
  });
});
