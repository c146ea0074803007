/**
 * Client eviction (`maxmemory-clients`) over real sockets, Keydra against redis-server 7.0.15 as
 * control: once the normal and pubsub clients together use the limit, the biggest clients are
 * freed first (by memory bucket) until under it, logged (`Evicting client: ...`) and counted in
 * INFO `evicted_clients` (reset by CONFIG RESETSTAT); CLIENT NO-EVICT ON clients are never
 * evicted (when one alone is over the limit every evictable client goes); a client's query buffer,
 * partial arguments and unread output count in its CLIENT LIST tot-mem; a percentage limit follows
 * maxmemory; a lower limit evicts at once.
 * Source: Redis 7.0 networking.c (evictClients, getClientMemoryUsage, getClientEvictionLimit),
 * server.c (updateClientMemUsageAndBucket), tests/unit/client-eviction.tcl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RawClient, encodeCommand } from '../../src/client/rawClient.js';
import { NO_REDIS, type SpawnedServer, freePort, redisServerPath, spawnServer } from '../helpers/servers.js';

interface Server {
  name: 'keydra' | 'redis';
  port: number;
  s: SpawnedServer;
  log: string;
}

const KB = 1024;
const MB = 1024 * 1024;

/** A raw connection named `name` (its replies are not read). */
async function conn(port: number, name: string): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(encodeCommand(['CLIENT', 'SETNAME', name]));
  return sock;
}

/** Sends the start of a one-argument command whose bulk is `len` bytes, `sent` of them. */
function partialBulk(sock: net.Socket, len: number, sent: number): void {
  sock.write(`*1\r\n$${len}\r\n`);
  sock.write(Buffer.alloc(sent, 'v'));
}

/** The CLIENT LIST lines by client name. */
async function clientsByName(c: RawClient): Promise<Map<string, string>> {
  const list = String((await c.call('CLIENT', 'LIST')) as unknown);
  const m = new Map<string, string>();
  for (const l of list.split('\n')) {
    const n = / name=(\S*) /.exec(l);
    if (n !== null && n[1] !== '') m.set(n[1], l);
  }
  return m;
}

function field(line: string | undefined, key: string): string | null {
  if (line === undefined) return null;
  const m = new RegExp(`(?:^| )${key}=(\\S*)`).exec(line);
  return m ? m[1] : null;
}

async function info(c: RawClient, key: string): Promise<string | null> {
  const text = String((await c.call('INFO', 'all')) as unknown);
  const m = new RegExp(`^${key}:(.*)\\r?$`, 'm').exec(text);
  return m ? m[1].trim() : null;
}

/** Waits until `cond` holds (up to `ms`). */
async function until(cond: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return true;
    await sleep(20);
  }
  return cond();
}

describe('client eviction (maxmemory-clients)', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  const servers: Server[] = [];
  const dirs: string[] = [];
  const socks: net.Socket[] = [];
  before(async () => {
    for (const name of ['redis', 'keydra'] as const) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), `cevict-${name}-`));
      dirs.push(dir);
      const log = join(dir, 'server.log');
      const args = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--dir', dir, '--logfile', log];
      const s = await spawnServer(name, port, args);
      await s.c.call('CLIENT', 'SETNAME', 'control');
      await s.c.call('CLIENT', 'NO-EVICT', 'on');
      servers.push({ name, port, s, log });
    }
  });
  after(() => {
    for (const s of socks) s.destroy();
    for (const p of servers) {
      p.s.c.close();
      p.s.proc.kill('SIGKILL');
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Runs `body` on each server, then puts it back as it was (also when an assertion failed). */
  async function eachServer(body: (p: Server) => Promise<void>): Promise<void> {
    for (const p of servers) {
      try {
        await body(p);
      } finally {
        await reset(p);
      }
    }
  }

  /** Closes the test's connections and puts the limit back to none. */
  async function reset(p: Server): Promise<void> {
    for (const s of socks.splice(0)) s.destroy();
    await p.s.c.call('CONFIG', 'SET', 'maxmemory-clients', '0');
    await p.s.c.call('CONFIG', 'SET', 'maxmemory', '0');
    await until(async () => (await clientsByName(p.s.c)).size === 1);
    await p.s.c.call('CONFIG', 'RESETSTAT');
  }

  it('the biggest client is evicted first, once, logged and counted; the others stay', async () => {
    const results: string[] = [];
    await eachServer(async (p) => {
      const c = p.s.c;
      await c.call('CONFIG', 'SET', 'maxmemory-clients', String(MB));
      const small = await conn(p.port, 'small');
      const medium = await conn(p.port, 'medium');
      socks.push(small, medium);
      partialBulk(medium, 300 * KB, 300 * KB); // a big argument not complete: 300 KB of query buffer
      assert.ok(
        await until(async () => Number(field((await clientsByName(c)).get('medium'), 'tot-mem')) >= 300 * KB),
        `${p.name}: medium's tot-mem shows its query buffer`,
      );
      assert.equal(await info(c, 'evicted_clients'), '0', p.name);
      // 700 KB announced: Redis reserves the whole argument in the query buffer at once.
      const big = await conn(p.port, 'big');
      socks.push(big);
      partialBulk(big, 700 * KB, 10 * KB);
      assert.ok(await until(async () => !(await clientsByName(c)).has('big')), `${p.name}: big was evicted`);
      const names = [...(await clientsByName(c)).keys()].sort();
      results.push(`${names.join(',')} evicted_clients=${await info(c, 'evicted_clients')}`);
      assert.match(readFileSync(p.log, 'utf8'), /Evicting client: id=\d+ addr=\S+ .*name=big /);
      await c.call('CONFIG', 'RESETSTAT');
      assert.equal(await info(c, 'evicted_clients'), '0', `${p.name}: CONFIG RESETSTAT`);
    });
    assert.deepEqual(results, ['control,medium,small evicted_clients=1', 'control,medium,small evicted_clients=1']);
  });

  it('a CLIENT NO-EVICT client over the limit is kept, every evictable client goes instead', async () => {
    const results: string[] = [];
    await eachServer(async (p) => {
      const c = p.s.c;
      await c.call('CONFIG', 'SET', 'maxmemory-clients', String(MB));
      const keeper = await conn(p.port, 'keeper');
      socks.push(keeper);
      keeper.write(encodeCommand(['CLIENT', 'NO-EVICT', 'on']));
      assert.ok(await until(async () => field((await clientsByName(c)).get('keeper'), 'flags') === 'e'), `${p.name}: flags=e`);
      const a = await conn(p.port, 'a');
      const b = await conn(p.port, 'b');
      socks.push(a, b);
      assert.ok(await until(async () => (await clientsByName(c)).size === 4), p.name);
      partialBulk(keeper, 2 * MB, 2 * MB);
      // The keeper's memory is seen by the clients cron (within a second): then a and b go.
      assert.ok(
        await until(async () => {
          const m = await clientsByName(c);
          return !m.has('a') && !m.has('b');
        }),
        `${p.name}: the evictable clients were evicted`,
      );
      const keep = (await clientsByName(c)).get('keeper');
      assert.ok(Number(field(keep, 'tot-mem')) > 2 * MB, `${p.name}: keeper tot-mem ${field(keep, 'tot-mem')}`);
      results.push(`${[...(await clientsByName(c)).keys()].sort().join(',')} evicted_clients=${await info(c, 'evicted_clients')}`);
      assert.match(readFileSync(p.log, 'utf8'), /Over client maxmemory after evicting all evictable clients/);
    });
    assert.deepEqual(results, ['control,keeper evicted_clients=2', 'control,keeper evicted_clients=2']);
  });

  it('a lower limit (a percentage of maxmemory) evicts at once, the largest clients until under it', async () => {
    const results: string[] = [];
    await eachServer(async (p) => {
      const c = p.s.c;
      const clients = [
        ['q1', 100 * KB],
        ['q2', 400 * KB],
        ['q3', 900 * KB],
      ] as const;
      for (const [name, size] of clients) {
        const s = await conn(p.port, name);
        socks.push(s);
        partialBulk(s, size, size);
      }
      assert.ok(
        await until(async () => Number(field((await clientsByName(c)).get('q3'), 'qbuf')) === 900 * KB),
        `${p.name}: q3's query buffer filled`,
      );
      await c.call('CONFIG', 'SET', 'maxmemory', String(20 * MB));
      // 5% of 20 MB = 1 MB: q3 (~900 KB) goes, then the total of q1 and q2 is under it.
      await c.call('CONFIG', 'SET', 'maxmemory-clients', '5%');
      assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory-clients'), ['maxmemory-clients', '5%']);
      assert.ok(await until(async () => !(await clientsByName(c)).has('q3')), `${p.name}: q3 evicted`);
      results.push(`${[...(await clientsByName(c)).keys()].sort().join(',')} evicted_clients=${await info(c, 'evicted_clients')}`);
    });
    assert.deepEqual(results, ['control,q1,q2 evicted_clients=1', 'control,q1,q2 evicted_clients=1']);
  });

  it('a client pipelining big replies without reading is evicted for its output', async () => {
    await eachServer(async (p) => {
      const c = p.s.c;
      await c.call('SET', 'big', 'x'.repeat(256 * KB));
      await c.call('CONFIG', 'SET', 'maxmemory-clients', String(2 * MB));
      const reader = await conn(p.port, 'nonreader');
      reader.pause();
      socks.push(reader);
      assert.ok(await until(async () => (await clientsByName(c)).has('nonreader')), `${p.name}: named`);
      reader.write(Buffer.concat(Array.from({ length: 200 }, () => encodeCommand(['GET', 'big']))));
      assert.ok(await until(async () => !(await clientsByName(c)).has('nonreader')), `${p.name}: evicted for its output`);
      assert.equal(await info(c, 'evicted_clients'), '1', p.name);
    });
  });

  it('without maxmemory-clients nothing is evicted; INFO mem_clients_normal counts the clients', async () => {
    await eachServer(async (p) => {
      const c = p.s.c;
      const s = await conn(p.port, 'grower');
      socks.push(s);
      partialBulk(s, 3 * MB, 3 * MB);
      assert.ok(await until(async () => Number(field((await clientsByName(c)).get('grower'), 'qbuf')) === 3 * MB), p.name);
      await sleep(1200); // the clients cron has seen it
      assert.ok(Number(await info(c, 'mem_clients_normal')) > 3 * MB, `${p.name}: mem_clients_normal`);
      assert.equal(await info(c, 'evicted_clients'), '0', p.name);
      assert.ok((await clientsByName(c)).has('grower'), p.name);
    });
  });
});
