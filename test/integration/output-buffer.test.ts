/**
 * client-output-buffer-limit over real sockets, Keydra against redis-server 7.0.15 as control:
 * clients that do not read their replies are closed past their class's hard limit at once, past
 * the soft limit after its seconds, with Redis's log line; a command whose reply would pass the
 * hard limit does not first build that reply in memory (the issue: Keydra held 1 GB for a
 * client pipelining GETs of a 1 MB value); without a limit (`normal 0 0 0`, the default) nothing
 * is closed; the backlog shows in CLIENT LIST omem and tot-mem. Other clients are served meanwhile.
 * Source: Redis 7.0 networking.c (checkClientOutputBufferLimits,
 * closeClientOnOutputBufferLimitReached, getClientOutputBufferMemoryUsage), server.c clientsCron.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient, encodeCommand } from '../../src/client/rawClient.js';
import { NO_REDIS, type SpawnedServer, freePort, redisServerPath, spawnServer } from '../helpers/servers.js';

interface Server {
  name: 'keydra' | 'redis';
  port: number;
  s: SpawnedServer;
  log: string;
}

const MB = 1024 * 1024;
const LOG_LINE = 'scheduled to be closed ASAP for overcoming of output buffer limits.';

/** Resident memory of a process, bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * A connection named `name` that never reads: its socket is paused, what arrives stays in the
 * kernel (it does not see the server close either: `gone` asks the server's CLIENT LIST).
 */
async function nonReader(port: number, name: string): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.pause();
  sock.write(encodeCommand(['CLIENT', 'SETNAME', name]));
  return sock;
}

/** True once the client named `name` is no longer connected. */
async function gone(c: RawClient, name: string): Promise<boolean> {
  return (await field(c, name, 'id')) === null;
}

/** A CLIENT LIST field of the client named `name` (null when it is not listed). */
async function field(c: RawClient, name: string, key: string): Promise<number | null> {
  const list = String((await c.call('CLIENT', 'LIST')) as unknown);
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  if (line === undefined) return null;
  const m = new RegExp(`(?:^| )${key}=(\\d+)`).exec(line);
  return m ? Number(m[1]) : null;
}

/** Subscribers of `channel` (PUBSUB NUMSUB). */
async function numsub(c: RawClient, channel: string): Promise<number> {
  return ((await c.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
}

/** Round trip of a PING on `c`, ms. */
async function pingMs(c: RawClient): Promise<number> {
  const t0 = performance.now();
  assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
  return performance.now() - t0;
}

describe('client output buffer limits', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  const servers: Server[] = [];
  const dirs: string[] = [];
  before(async () => {
    for (const name of ['redis', 'keydra'] as const) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), `obuf-${name}-`));
      dirs.push(dir);
      const log = join(dir, 'server.log');
      const args = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--dir', dir, '--logfile', log];
      const s = await spawnServer(name, port, args);
      await s.c.call('SET', 'big', 'x'.repeat(MB));
      servers.push({ name, port, s, log });
    }
  });
  after(() => {
    for (const p of servers) {
      p.s.c.close();
      p.s.proc.kill('SIGKILL');
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('normal hard limit: a client pipelining GETs of 1 MB without reading is closed, memory stays bounded', async () => {
    for (const p of servers) {
      const c = p.s.c;
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 16mb 0 0');
      try {
        const pid = p.s.proc.pid as number;
        const before = rss(pid);
        const victim = await nonReader(p.port, 'victim');
        // 300 MB of replies asked for.
        victim.write(Buffer.concat(Array.from({ length: 300 }, () => encodeCommand(['GET', 'big']))));
        let peak = 0;
        let slowest = 0;
        const t0 = Date.now();
        let closed = false;
        while (!closed && Date.now() - t0 < 10000) {
          closed = await gone(c, 'victim');
          slowest = Math.max(slowest, await pingMs(c));
          peak = Math.max(peak, rss(pid));
          await sleep(20);
        }
        victim.destroy();
        assert.ok(closed, `${p.name}: the client was closed`);
        const grown = peak - before;
        assert.ok(grown < 100 * MB, `${p.name}: RSS grew by ${(grown / MB).toFixed(1)} MB`);
        assert.ok(slowest < 1000, `${p.name}: PING took ${slowest.toFixed(0)} ms`);
        assert.match(readFileSync(p.log, 'utf8'), new RegExp(`Client id=\\d+ addr=.* ${LOG_LINE.replace(/\./g, '\\.')}`));
      } finally {
        await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
      }
    }
  });

  it('a single reply over the normal hard limit closes the client mid-command: KEYS, HRANDFIELD/SRANDMEMBER with a huge negative count', async () => {
    const prefix = 'long-key-name-prefix-of-100-chars'.padEnd(100, '-');
    for (const p of servers) {
      const c = p.s.c;
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 100000 0 0');
      try {
        await c.pipeline(Array.from({ length: 1000 }, (_, i) => ['SET', `${prefix}${i}`, 'v']));
        await c.call('HSET', 'obuf-h', 'a', 'b');
        await c.call('SADD', 'obuf-s', 'a');
        // ~111 KB of KEYS reply (Redis counts each 16 KB reply block it allocates).
        for (const argv of [
          ['KEYS', `${prefix}*`],
          ['HRANDFIELD', 'obuf-h', '-999999999'],
          ['SRANDMEMBER', 'obuf-s', '-999999999'],
        ]) {
          const v = await RawClient.connect(p.port);
          const t0 = Date.now();
          await assert.rejects(v.call(...argv), `${p.name}: ${argv[0]} closes the connection`);
          v.close();
          assert.ok(Date.now() - t0 < 5000, `${p.name}: ${argv[0]} stopped mid-run`);
          assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
        }
        // Under the limit nothing happens: 200 keys of KEYS.
        const ok = await RawClient.connect(p.port);
        const r = await ok.call('KEYS', `${prefix}1??`);
        ok.close();
        assert.equal((r as unknown[]).length, 100, p.name);
      } finally {
        await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
        await c.pipeline(Array.from({ length: 1000 }, (_, i) => ['DEL', `${prefix}${i}`]));
      }
    }
  });

  it('no limit (normal 0 0 0): the backlog shows in omem and tot-mem, and every reply arrives once read', async () => {
    for (const p of servers) {
      const c = p.s.c;
      const reader = await RawClient.connect(p.port);
      await reader.call('CLIENT', 'SETNAME', 'slow');
      reader.socket.pause();
      const n = 40;
      const replies = Promise.all(Array.from({ length: n }, () => reader.readReply()));
      reader.writeRaw(Buffer.concat(Array.from({ length: n }, () => encodeCommand(['GET', 'big']))));
      let omem = 0;
      let tot = 0;
      const t0 = Date.now();
      while (omem < 16 * MB && Date.now() - t0 < 5000) {
        const line = String((await c.call('CLIENT', 'LIST')) as unknown)
          .split('\n')
          .find((l) => l.includes(' name=slow ')) as string;
        omem = Number(/ omem=(\d+)/.exec(line)?.[1]);
        tot = Number(/ tot-mem=(\d+)/.exec(line)?.[1]);
        await sleep(20);
      }
      assert.ok(omem >= 16 * MB, `${p.name}: omem ${omem}`);
      assert.ok(tot > omem, `${p.name}: tot-mem ${tot} counts omem ${omem}`);
      await sleep(500);
      assert.notEqual(await field(c, 'slow', 'id'), null, `${p.name}: still connected`);
      reader.socket.resume();
      const got = await replies;
      assert.equal(got.length, n);
      for (const r of got) assert.equal((r.node as string).length, MB);
      reader.close();
    }
  });

  it('pubsub hard limit: a subscriber that does not read is closed once its backlog passes it', async () => {
    for (const p of servers) {
      const c = p.s.c;
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 4mb 0 0');
      try {
        const sub = await nonReader(p.port, 'hard');
        sub.write(encodeCommand(['SUBSCRIBE', 'ch']));
        while ((await numsub(c, 'ch')) !== 1) await sleep(10);
        const msg = 'm'.repeat(256 * 1024);
        const t0 = Date.now();
        let closed = false;
        while (!closed && Date.now() - t0 < 10000) {
          await c.call('PUBLISH', 'ch', msg);
          closed = await gone(c, 'hard');
        }
        sub.destroy();
        assert.ok(closed, `${p.name}: subscriber closed`);
        assert.equal(await numsub(c, 'ch'), 0);
      } finally {
        await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
      }
    }
  });

  it('pubsub soft limit: closed only after being over it for more than its seconds', async () => {
    const results = await Promise.all(
      servers.map(async (p) => {
        const c = p.s.c;
        await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 1mb 1');
        const pub = await RawClient.connect(p.port);
        const sub = await nonReader(p.port, 'soft');
        sub.write(encodeCommand(['SUBSCRIBE', 'ch2']));
        while ((await numsub(pub, 'ch2')) !== 1) await sleep(10);
        const msg = 'm'.repeat(64 * 1024);
        // Fill the kernel's buffers and pass the soft limit, then keep it over with a trickle.
        let overSince = 0;
        let closed = false;
        const t0 = Date.now();
        while (!closed && Date.now() - t0 < 10000) {
          await pub.call('PUBLISH', 'ch2', msg);
          const omem = await field(pub, 'soft', 'omem');
          closed = omem === null;
          if (overSince === 0 && omem !== null && omem >= MB) overSince = Date.now();
          await sleep(overSince === 0 ? 2 : 50);
        }
        const overFor = Date.now() - overSince;
        sub.destroy();
        pub.close();
        await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
        return { name: p.name, closed, overFor, sawOver: overSince !== 0 };
      }),
    );
    for (const r of results) {
      assert.ok(r.sawOver, `${r.name}: omem passed the soft limit`);
      assert.ok(r.closed, `${r.name}: closed`);
      // Redis counts whole seconds: more than 1 s over it (less the time we took to see it), at most ~3.
      assert.ok(r.overFor >= 800 && r.overFor < 4000, `${r.name}: closed ${r.overFor} ms after passing the soft limit`);
    }
  });
});
