/**
 * maxmemory end to end: a child keydra-server with maxmemory 64mb and allkeys-lru takes 1 GB of
 * distinct keys while its RSS stays under a stated bound, evicted_keys grows and recently used
 * keys survive; noeviction answers -OOM while reads and DEL keep working.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { freePort, type Peer, startKeydra } from '../helpers/servers.js';
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
});
