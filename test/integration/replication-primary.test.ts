/**
 * The primary side of replication against real redis-server 7.0 replicas: a Keydra primary (and,
 * as control, a redis-server primary in the same scenario) feeds redis-server replicas started with
 * `--replicaof`; after full syncs (diskless and disk-based, replica loading from disk or swapdb),
 * streamed writes, partial resyncs, WAIT, slow and killed replicas, the replica's dataset is
 * compared with the primary's key by key (typed reads of every key of every db, TTLs as
 * PEXPIRETIME, FUNCTION LIST WITHCODE).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { Differential } from '../helpers/differential.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { freePort, NO_REDIS, type Peer, redisServerPath, spawnServer, spawnedKill9, startKeydra, startRedis } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const skip = redisServerPath() === null ? NO_REDIS : false;

type Kind = 'keydra' | 'redis';
type Replica = Peer & { proc: ChildProcess };

/** Decoded reply as plain JS: strings, numbers, arrays; errors as `ERR:<text>`. */
function plain(n: RespNode): unknown {
  if (n === null || typeof n === 'string' || typeof n === 'number') return n;
  if (typeof n === 'bigint') return n.toString();
  if (Array.isArray(n)) return n.map(plain);
  if (n.t === '-') return `ERR:${n.v}`;
  if (n.t === '_') return null;
  if ('v' in n) return Array.isArray(n.v) ? n.v.map(plain) : n.v;
  return n;
}

async function call(c: RawClient, ...argv: (string | number)[]): Promise<unknown> {
  return plain(await c.call(...argv));
}

async function withClient<T>(port: number, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** INFO <section> as a field map. */
async function info(port: number, section: string): Promise<Record<string, string>> {
  const text = (await withClient(port, (c) => call(c, 'INFO', section))) as string;
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(30);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the replica's link is up, its load is done and its offset equals the primary's. */
async function synced(primaryPort: number, replicaPort: number, ms = 30000): Promise<void> {
  await waitFor(
    `replica ${replicaPort} in sync with ${primaryPort}`,
    async () => {
      const r = await info(replicaPort, 'replication');
      if (r.master_link_status !== 'up' || r.master_sync_in_progress !== '0') return false;
      const p = await info(primaryPort, 'replication');
      return r.master_repl_offset === p.master_repl_offset;
    },
    ms,
  );
}

/** Starts a redis-server replica of 127.0.0.1:`port`. */
async function startReplica(port: number, args: string[] = []): Promise<Replica> {
  const r = await startRedis(['--replicaof', '127.0.0.1', String(port), ...args]);
  if (r === null) throw new Error('no redis-server');
  return r;
}

/** A populated primary of `kind`, one redis-server replica in sync with it, and a client on the primary. */
async function startSyncedPair(kind: Kind, opts: Record<string, string> = {}): Promise<{ p: Peer; r: Replica; c: RawClient }> {
  const p = await startPrimary(kind, opts);
  await populate(p.port);
  const r = await startReplica(p.port);
  await synced(p.port, r.port);
  return { p, r, c: await RawClient.connect(p.port) };
}

async function startPrimary(kind: Kind, opts: Record<string, string> = {}): Promise<Peer> {
  const base = { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0', ...opts };
  // A logfile (absolute path) turns the in-process Keydra's log on.
  if (kind === 'keydra') return startKeydra(opts.logfile !== undefined ? { ...base, log: true } : base);
  const args: string[] = [];
  for (const [k, v] of Object.entries(base)) args.push(`--${k}`, v);
  const r = await startRedis(args);
  if (r === null) throw new Error('no redis-server');
  return r;
}

/** Every key of every db read by type, with its PEXPIRETIME; plus the function libraries. */
async function dataset(port: number): Promise<Record<string, unknown>> {
  return withClient(port, async (c) => {
    const out: Record<string, unknown> = {};
    for (let db = 0; db < 16; db++) {
      await call(c, 'SELECT', db);
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = (await call(c, 'SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      keys.sort();
      const dbOut: Record<string, unknown> = {};
      for (const k of keys) {
        const type = (await call(c, 'TYPE', k)) as string;
        let v: unknown;
        if (type === 'string') v = await call(c, 'GET', k);
        else if (type === 'list') v = await call(c, 'LRANGE', k, 0, -1);
        else if (type === 'hash') v = ((await call(c, 'HGETALL', k)) as string[]).join('\n').split('\n');
        else if (type === 'set') v = ((await call(c, 'SMEMBERS', k)) as string[]).sort();
        else if (type === 'zset') v = await call(c, 'ZRANGE', k, 0, -1, 'WITHSCORES');
        else if (type === 'stream') v = [await call(c, 'XRANGE', k, '-', '+'), await call(c, 'XINFO', 'STREAM', k, 'FULL')];
        if (type === 'hash') {
          const a = v as string[];
          const pairs: string[] = [];
          for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}=${a[i + 1]}`);
          v = pairs.sort();
        }
        dbOut[k] = { type, v, exp: await call(c, 'PEXPIRETIME', k) };
      }
      if (keys.length > 0) out[`db${db}`] = dbOut;
    }
    await call(c, 'SELECT', 0);
    out.functions = await call(c, 'FUNCTION', 'LIST', 'WITHCODE');
    return out;
  });
}

/** DBSIZE of every db (counts keys logically expired but not yet deleted on a replica). */
async function dbsizes(port: number): Promise<number[]> {
  return withClient(port, async (c) => {
    const out: number[] = [];
    for (let db = 0; db < 16; db++) {
      await call(c, 'SELECT', db);
      out.push((await call(c, 'DBSIZE')) as number);
    }
    return out;
  });
}

/**
 * Asserts two big structures are equal, naming the first differing entry with short excerpts
 * (assert.deepEqual's diff of megabyte-sized values takes minutes).
 */
function sameData(actual: unknown, expected: unknown, label: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a === e) return;
  if (typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null) {
    const ao = actual as Record<string, unknown>;
    const eo = expected as Record<string, unknown>;
    for (const k of new Set([...Object.keys(eo), ...Object.keys(ao)])) {
      if (JSON.stringify(ao[k]) !== JSON.stringify(eo[k])) {
        if (typeof ao[k] === 'object' && typeof eo[k] === 'object') sameData(ao[k], eo[k], `${label} / ${k}`);
        assert.fail(`${label} / ${k}: replica ${JSON.stringify(ao[k])?.slice(0, 300)} primary ${JSON.stringify(eo[k])?.slice(0, 300)}`);
      }
    }
  }
  assert.fail(`${label}: replica ${a.slice(0, 300)} primary ${e.slice(0, 300)}`);
}

async function assertSame(primaryPort: number, replicaPort: number, label: string): Promise<void> {
  await synced(primaryPort, replicaPort);
  const [p, r] = [await dataset(primaryPort), await dataset(replicaPort)];
  sameData(r, p, `${label}: replica dataset differs from the primary's`);
  assert.deepEqual(await dbsizes(replicaPort), await dbsizes(primaryPort), `${label}: DBSIZE differs`);
}

const LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return redis.call('get', keys[1]) end)";

/** Fills every type in several dbs, small and big encodings, keys with TTLs, a function library. */
async function populate(port: number): Promise<void> {
  await withClient(port, async (c) => {
    const big = 'x'.repeat(200_000);
    const cmds: (string | number)[][] = [
      ['SET', 'str', 'hello'],
      ['SET', 'int', '12345'],
      ['SET', 'neg', '-9007199254740993'],
      ['SET', 'big', big],
      ['SET', 'bin', '\x00\x01\xff\r\n'],
      ['SET', 'ttl', 'v', 'PX', 3_600_000],
      ['RPUSH', 'list', 'a', 'b', '1', '2'],
      ['HSET', 'hash', 'f1', 'v1', 'f2', '2'],
      ['SADD', 'intset', '1', '2', '3'],
      ['SADD', 'set', 'a', 'b', 'c'],
      ['ZADD', 'zset', '1', 'a', '2.5', 'b', '-inf', 'c'],
      ['HSET', 'hashttl', 'a', 'b'],
      ['EXPIRE', 'hashttl', 7200],
      ['XADD', 'stream', '1-1', 'f', 'v'],
      ['XADD', 'stream', '2-1', 'f', 'v2'],
      ['XADD', 'stream', '3-1', 'f', 'v3'],
      ['XGROUP', 'CREATE', 'stream', 'g1', '0'],
      ['XGROUP', 'CREATE', 'stream', 'g2', '$'],
      ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', 2, 'STREAMS', 'stream', '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', 1, 'STREAMS', 'stream', '>'],
      ['XACK', 'stream', 'g1', '1-1'],
      ['FUNCTION', 'LOAD', LIB],
    ];
    for (let i = 0; i < 1000; i++) cmds.push(['RPUSH', 'biglist', `e${i}`]);
    const hargs: string[] = [];
    const zargs: string[] = [];
    const sargs: string[] = [];
    for (let i = 0; i < 600; i++) {
      hargs.push(`f${i}`, `v${i}`);
      zargs.push(String(i * 1.5), `m${i}`);
      sargs.push(`s${i}`);
    }
    cmds.push(['HSET', 'bighash', ...hargs], ['ZADD', 'bigzset', ...zargs], ['SADD', 'bigset', ...sargs]);
    for (let db = 1; db < 16; db++) {
      cmds.push(['SELECT', db], ['SET', `k${db}`, `v${db}`], ['SET', `t${db}`, 'x', 'EX', 1000 + db], ['LPUSH', `l${db}`, 'a']);
    }
    cmds.push(['SELECT', 0]);
    for (let i = 0; i < 2000; i++) cmds.push(['SET', `key:${i}`, i]);
    const replies = await c.pipeline(cmds.map((a) => a.map(String)));
    for (const [i, r] of replies.entries()) {
      assert.ok(
        !(typeof r.node === 'object' && r.node !== null && 't' in r.node && r.node.t === '-'),
        `${cmds[i][0]}: ${JSON.stringify(r.node)}`,
      );
    }
  });
}

const kinds: Kind[] = ['redis', 'keydra'];

for (const kind of kinds) {
  describe(`replication primary (${kind} primary, redis-server replicas): full sync and stream`, { skip }, () => {
    for (const [name, popts, ropts] of [
      ['diskless, replica loads from disk', { 'repl-diskless-sync': 'yes' }, ['--repl-diskless-load', 'disabled']],
      ['diskless, replica loads with swapdb', { 'repl-diskless-sync': 'yes' }, ['--repl-diskless-load', 'swapdb']],
      ['disk-based', { 'repl-diskless-sync': 'no' }, ['--repl-diskless-load', 'disabled']],
    ] as [string, Record<string, string>, string[]][]) {
      it(`full sync of every type: ${name}`, async () => {
        const p = await startPrimary(kind, popts);
        let r: Replica | null = null;
        try {
          await populate(p.port);
          r = await startReplica(p.port, ropts);
          await assertSame(p.port, r.port, name);
          const st = await info(p.port, 'stats');
          assert.equal(st.sync_full, '1');
        } finally {
          await r?.close();
          await p.close();
        }
      });
    }

    describe('streamed writes after the sync', () => {
      let p: Peer;
      let r: Replica;
      let c: RawClient;
      before(async () => {
        ({ p, r, c } = await startSyncedPair(kind));
      });
      after(async () => {
        c.close();
        await r.close();
        await p.close();
      });

      it('active expiry sends DEL', async () => {
        await call(c, 'SET', 'e1', 'v', 'PX', 50);
        await call(c, 'HSET', 'e2', 'a', 'b');
        await call(c, 'PEXPIRE', 'e2', 60);
        await waitFor('active expiry on the primary', async () => (await call(c, 'EXISTS', 'e1', 'e2')) === 0);
        await sleep(150);
        await assertSame(p.port, r.port, 'active expiry');
      });

      it('lazy expiry (active expiry off) sends DEL', async () => {
        await call(c, 'DEBUG', 'SET-ACTIVE-EXPIRE', 0);
        try {
          await call(c, 'SET', 'lazy', 'v', 'PX', 30);
          await sleep(100);
          await synced(p.port, r.port);
          // Not deleted yet anywhere: the replica still counts it.
          assert.deepEqual(await withClient(r.port, (rc) => call(rc, 'DBSIZE')), await call(c, 'DBSIZE'));
          assert.equal(await call(c, 'GET', 'lazy'), null);
          await assertSame(p.port, r.port, 'lazy expiry');
        } finally {
          await call(c, 'DEBUG', 'SET-ACTIVE-EXPIRE', 1);
        }
      });

      it('EVAL with writes, TIME and SPOP (effects replicated)', async () => {
        await call(c, 'SADD', 'pool', 'a', 'b', 'c', 'd', 'e', 'f');
        const res = await call(
          c,
          'EVAL',
          "local t = redis.call('TIME'); redis.call('SET', KEYS[1], t[1] .. '.' .. t[2]); local m = redis.call('SPOP', KEYS[2]); redis.call('RPUSH', KEYS[3], m); return m",
          3,
          'now',
          'pool',
          'popped',
        );
        assert.equal(typeof res, 'string');
        await call(c, 'EVAL', "redis.call('INCRBYFLOAT', KEYS[1], '1.5'); redis.call('SRANDMEMBER', KEYS[2]); return 1", 2, 'fl', 'pool');
        await call(c, 'FCALL', 'myfunc', 1, 'str');
        await assertSame(p.port, r.port, 'EVAL');
      });

      it('relative TTLs reach the replica as the same absolute time; redis.set_repl', async () => {
        await call(c, 'SET', 'ex1', 'v', 'EX', 1000);
        await call(c, 'SETEX', 'ex2', 1000, 'v');
        await call(c, 'PSETEX', 'ex3', 100000, 'v');
        await call(c, 'SET', 'ex4', 'v');
        await call(c, 'EXPIRE', 'ex4', 500);
        await call(c, 'SET', 'ex5', 'v');
        await call(c, 'PEXPIRE', 'ex5', 500000);
        await call(c, 'SET', 'ex6', 'v');
        await call(c, 'GETEX', 'ex6', 'EX', 900);
        await call(c, 'SET', 'ex7', '1.5', 'EX', 800);
        await call(c, 'INCRBYFLOAT', 'ex7', '2');
        await call(c, 'SET', 'ex8', 'v', 'EX', 100);
        await call(c, 'GETEX', 'ex8', 'PERSIST');
        await call(c, 'SET', 'ex9', 'v', 'EX', 100);
        await call(c, 'SET', 'ex9', 'w', 'KEEPTTL');
        await call(c, 'HSET', 'ex10', 'a', 'b');
        await call(c, 'EXPIREAT', 'ex10', Math.floor(Date.now() / 1000) + 1000);
        const payload = await call(c, 'DUMP', 'ex10');
        assert.equal(typeof payload, 'string');
        await call(
          c,
          'EVAL',
          "redis.set_repl(redis.REPL_NONE); redis.call('SET', 'notrepl', '1'); redis.set_repl(redis.REPL_ALL); redis.call('SET', 'repl', '1')",
          0,
        );
        await synced(p.port, r.port);
        assert.equal(await withClient(r.port, (rc) => call(rc, 'EXISTS', 'notrepl')), 0);
        assert.equal(await withClient(r.port, (rc) => call(rc, 'EXISTS', 'repl')), 1);
        await call(c, 'DEL', 'notrepl');
        await assertSame(p.port, r.port, 'TTLs');
      });

      it('MULTI/EXEC', async () => {
        await call(c, 'MULTI');
        await call(c, 'INCR', 'ctr');
        await call(c, 'SPOP', 'pool');
        await call(c, 'SELECT', 7);
        await call(c, 'SET', 'in7', 'x');
        await call(c, 'SELECT', 0);
        assert.equal(((await call(c, 'EXEC')) as unknown[]).length, 5);
        await assertSame(p.port, r.port, 'MULTI/EXEC');
      });

      it('served BLPOP and BLMOVE', async () => {
        const b = await RawClient.connect(p.port);
        try {
          const pending = b.call('BLPOP', 'q', 0);
          await sleep(50);
          await call(c, 'RPUSH', 'q', 'x', 'y');
          assert.deepEqual(plain(await pending), ['q', 'x']);
          const pending2 = b.call('BLMOVE', 'q2', 'dst', 'LEFT', 'RIGHT', 0);
          await sleep(50);
          await call(c, 'LPUSH', 'q2', 'm');
          assert.equal(plain(await pending2), 'm');
        } finally {
          b.close();
        }
        await assertSame(p.port, r.port, 'BLPOP/BLMOVE');
      });

      it('SELECT across dbs, SWAPDB, FLUSHDB, FLUSHALL', async () => {
        for (let db = 0; db < 16; db++) {
          await call(c, 'SELECT', db);
          await call(c, 'SET', `sel${db}`, db);
        }
        await call(c, 'SELECT', 0);
        await assertSame(p.port, r.port, 'SELECT');
        await call(c, 'SWAPDB', 0, 3);
        await call(c, 'SET', 'after-swap', '1');
        await assertSame(p.port, r.port, 'SWAPDB');
        await call(c, 'SELECT', 5);
        await call(c, 'FLUSHDB');
        await call(c, 'SELECT', 0);
        await assertSame(p.port, r.port, 'FLUSHDB');
        await call(c, 'FLUSHALL');
        await call(c, 'SET', 'after-flushall', '1');
        await assertSame(p.port, r.port, 'FLUSHALL');
      });

      it('PUBLISH reaches the subscribers of the replica', async () => {
        const sub = await RawClient.connect(r.port);
        try {
          await sub.call('SUBSCRIBE', 'chan');
          await call(c, 'PUBLISH', 'chan', 'hello');
          const msg = await Promise.race([sub.readReply(), sleep(5000).then(() => null)]);
          assert.ok(msg !== null, 'the replica got the PUBLISH');
          assert.deepEqual(plain(msg.node), ['message', 'chan', 'hello']);
        } finally {
          sub.close();
        }
      });

      it('evictions under maxmemory send DEL', async () => {
        const used = Number((await info(p.port, 'memory')).used_memory);
        await call(c, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
        await call(c, 'CONFIG', 'SET', 'maxmemory', used + 300_000);
        try {
          const v = 'v'.repeat(1000);
          for (let i = 0; i < 1000; i += 100) {
            const batch: string[][] = [];
            for (let j = i; j < i + 100; j++) batch.push(['SET', `ev:${j}`, v]);
            await c.pipeline(batch);
          }
          const evicted = Number((await info(p.port, 'stats')).evicted_keys);
          assert.ok(evicted > 0, 'the primary evicted keys');
        } finally {
          await call(c, 'CONFIG', 'SET', 'maxmemory', 0);
        }
        await assertSame(p.port, r.port, 'evictions');
      });
    });
  });
}

/** Loads `n` string keys key:0..n-1 of about `size` random (incompressible) bytes with pipelined MSETs. */
async function loadStrings(port: number, n: number, size: number): Promise<void> {
  await withClient(port, async (c) => {
    const pool = randomBytes(size * 64).toString('base64');
    for (let i = 0; i < n; ) {
      const batch: string[][] = [];
      for (let b = 0; b < 20 && i < n; b++) {
        const argv = ['MSET'];
        for (let k = 0; k < 100 && i < n; k++, i++) {
          const at = (i * 7877) % (pool.length - size);
          argv.push(`key:${i}`, `${i}:${pool.slice(at, at + size)}`);
        }
        batch.push(argv);
      }
      await c.pipeline(batch);
    }
  });
}

/** The values of key:0..n-1 (pipelined MGETs), for comparing a big string dataset quickly. */
async function strings(port: number, n: number): Promise<unknown[]> {
  return withClient(port, async (c) => {
    const out: unknown[] = [];
    for (let i = 0; i < n; i += 1000) {
      const keys: string[] = [];
      for (let k = i; k < Math.min(n, i + 1000); k++) keys.push(`key:${k}`);
      out.push(...((await call(c, 'MGET', ...keys)) as unknown[]));
    }
    return out;
  });
}

async function stats(port: number): Promise<{ full: number; ok: number; err: number }> {
  const s = await info(port, 'stats');
  return { full: Number(s.sync_full), ok: Number(s.sync_partial_ok), err: Number(s.sync_partial_err) };
}

for (const kind of kinds) {
  describe(`replication primary (${kind} primary, redis-server replicas): resync, WAIT, slow and dead replicas`, { skip }, () => {
    for (const diskless of ['yes', 'no']) {
      it(`writes made during a full sync are neither lost nor duplicated (repl-diskless-sync ${diskless})`, async () => {
        const p = await startPrimary(kind, { 'repl-diskless-sync': diskless });
        let r: Replica | null = null;
        const n = 100_000;
        try {
          await loadStrings(p.port, n, 200);
          r = await startReplica(p.port, ['--repl-diskless-load', 'disabled']);
          const replica = r;
          let stop = false;
          const writer = async (id: number): Promise<number> => {
            const c = await RawClient.connect(p.port);
            let i = 0;
            try {
              while (!stop) {
                const k = (i * 7919 + id * 104729) % n;
                await c.pipeline([
                  ['INCR', 'ctr'],
                  ['RPUSH', `log:${id}`, String(i)],
                  ['SET', `key:${k}`, `w${id}-${i}`],
                ]);
                i++;
              }
            } finally {
              c.close();
            }
            return i;
          };
          const writers = [writer(1), writer(2), writer(3)];
          await waitFor('link up', async () => (await info(replica.port, 'replication')).master_link_status === 'up');
          await sleep(200);
          stop = true;
          const counts = await Promise.all(writers);
          await synced(p.port, r.port);
          await withClient(r.port, async (rc) => {
            assert.equal(Number(await call(rc, 'GET', 'ctr')), counts[0] + counts[1] + counts[2]);
            for (const [i, cnt] of counts.entries()) {
              sameData(
                await call(rc, 'LRANGE', `log:${i + 1}`, 0, -1),
                Array.from({ length: cnt }, (_, j) => String(j)),
                `log:${i + 1}`,
              );
            }
          });
          sameData(await strings(r.port, n), await strings(p.port, n), 'string values');
          assert.deepEqual(await dbsizes(r.port), await dbsizes(p.port));
        } finally {
          await r?.close();
          await p.close();
        }
      });
    }

    it('FLUSHALL, SWAPDB and writes in other dbs during a full sync', async () => {
      const p = await startPrimary(kind);
      let r: Replica | null = null;
      try {
        await loadStrings(p.port, 50_000, 200);
        await withClient(p.port, async (c) => {
          await call(c, 'SELECT', 3);
          await call(c, 'SET', 'in3', 'before');
        });
        r = await startReplica(p.port);
        const replica = r;
        await waitFor('the replica attached', async () => (await info(p.port, 'replication')).connected_slaves === '1', 10000);
        await withClient(p.port, async (c) => {
          await call(c, 'FLUSHALL');
          await call(c, 'SET', 'after-flush', '1');
          await call(c, 'SELECT', 3);
          await call(c, 'SET', 'in3', 'after');
          await call(c, 'SWAPDB', 3, 4);
          await call(c, 'SELECT', 0);
          await call(c, 'SET', 'last', '1');
        });
        await waitFor('link up', async () => (await info(replica.port, 'replication')).master_link_status === 'up');
        await assertSame(p.port, replica.port, 'writes during the sync');
      } finally {
        await r?.close();
        await p.close();
      }
    });

    it('two replicas in one diskless transfer; announced ip and port in INFO and ROLE', async () => {
      const p = await startPrimary(kind, { 'repl-diskless-sync-delay': '1' });
      let r1: Replica | null = null;
      let r2: Replica | null = null;
      try {
        await populate(p.port);
        r1 = await startReplica(p.port, ['--replica-announce-ip', '10.1.2.3', '--replica-announce-port', '7777']);
        r2 = await startReplica(p.port, ['--repl-diskless-load', 'swapdb']);
        await assertSame(p.port, r1.port, 'first replica');
        await assertSame(p.port, r2.port, 'second replica');
        assert.equal((await stats(p.port)).full, 2);
        const inf = await info(p.port, 'replication');
        const lines = [inf.slave0, inf.slave1].sort();
        assert.match(lines[0], /^ip=10\.1\.2\.3,port=7777,state=online,/);
        assert.match(lines[1], new RegExp(`^ip=127\\.0\\.0\\.1,port=${r2.port},state=online,`));
        const role = (await withClient(p.port, (c) => call(c, 'ROLE'))) as [string, number, string[][]];
        assert.deepEqual(role[2].map((x) => `${x[0]}:${x[1]}`).sort(), ['10.1.2.3:7777', `127.0.0.1:${r2.port}`]);
      } finally {
        await r1?.close();
        await r2?.close();
        await p.close();
      }
    });

    it('repl-backlog-ttl: the backlog is freed and the replid changes once no replica is left', async () => {
      const p = await startPrimary(kind, { 'repl-backlog-ttl': '1' });
      let r: Replica | null = await startReplica(p.port);
      try {
        await synced(p.port, r.port);
        const before = await info(p.port, 'replication');
        assert.equal(before.repl_backlog_active, '1');
        await r.close();
        r = null;
        await waitFor('the backlog freed', async () => (await info(p.port, 'replication')).repl_backlog_active === '0', 10000);
        const after = await info(p.port, 'replication');
        assert.notEqual(after.master_replid, before.master_replid);
        assert.equal(after.master_replid2, '0000000000000000000000000000000000000000');
        assert.equal(after.repl_backlog_histlen, '0');
        // A new replica starts a new history: full sync, and it is in sync.
        r = await startReplica(p.port);
        await assertSame(p.port, r.port, 'after the backlog was freed');
      } finally {
        await r?.close();
        await p.close();
      }
    });

    describe('one replica attached', () => {
      let p: Peer;
      let r: Replica;
      let c: RawClient;
      const logDir = mkdtempSync(join(tmpdir(), 'keydra-primary-log-'));
      const logfile = join(logDir, 'primary.log');
      before(async () => {
        ({ p, r, c } = await startSyncedPair(kind, { logfile }));
      });
      after(async () => {
        c.close();
        await r.close();
        await p.close();
        rmSync(logDir, { recursive: true, force: true });
      });

      it('partial resync after CLIENT KILL TYPE master on the replica', async () => {
        const before = await stats(p.port);
        assert.equal(await withClient(r.port, (rc) => call(rc, 'CLIENT', 'KILL', 'TYPE', 'master')), 1);
        for (let i = 0; i < 100; i++) await call(c, 'SET', `pr:${i}`, i);
        await assertSame(p.port, r.port, 'after CLIENT KILL TYPE master');
        const after = await stats(p.port);
        assert.equal(after.full, before.full, 'no extra full sync');
        assert.equal(after.ok, before.ok + 1, 'sync_partial_ok incremented');
      });

      it('CLIENT LIST shows the replica (flags=S); CLIENT KILL TYPE replica drops it; it continues partially', async () => {
        const list = (await call(c, 'CLIENT', 'LIST', 'TYPE', 'replica')) as string;
        const lines = list.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 1, list);
        assert.match(lines[0], / flags=S /);
        assert.match(lines[0], / cmd=(psync|replconf) /);
        const before = await stats(p.port);
        assert.equal(await call(c, 'CLIENT', 'KILL', 'TYPE', 'slave'), 1);
        await call(c, 'SET', 'after-kill', '1');
        await assertSame(p.port, r.port, 'after CLIENT KILL TYPE replica');
        const after = await stats(p.port);
        assert.equal(after.full, before.full);
        assert.equal(after.ok, before.ok + 1);
      });

      it('INFO replication and ROLE of the primary', async () => {
        const inf = await info(p.port, 'replication');
        assert.equal(inf.role, 'master');
        assert.equal(inf.connected_slaves, '1');
        assert.match(inf.slave0, new RegExp(`^ip=127\\.0\\.0\\.1,port=${r.port},state=online,offset=\\d+,lag=[01]$`));
        assert.equal(inf.repl_backlog_active, '1');
        assert.ok(Number(inf.master_repl_offset) > 0);
        assert.ok(Number(inf.repl_backlog_histlen) > 0);
        assert.equal(Number(inf.repl_backlog_first_byte_offset) + Number(inf.repl_backlog_histlen) - 1, Number(inf.master_repl_offset));
        assert.deepEqual(Object.keys(inf), [
          'role',
          'connected_slaves',
          'slave0',
          'master_failover_state',
          'master_replid',
          'master_replid2',
          'master_repl_offset',
          'second_repl_offset',
          'repl_backlog_active',
          'repl_backlog_size',
          'repl_backlog_first_byte_offset',
          'repl_backlog_histlen',
        ]);
        await synced(p.port, r.port);
        const role = (await call(c, 'ROLE')) as [string, number, string[][]];
        assert.equal(role[0], 'master');
        assert.equal(typeof role[1], 'number');
        assert.equal(role[2].length, 1);
        assert.deepEqual(role[2][0].slice(0, 2), ['127.0.0.1', String(r.port)]);
        assert.match(role[2][0][2], /^\d+$/);
      });

      it('partial resync is impossible once the backlog overflowed: full resync', async () => {
        await call(c, 'CONFIG', 'SET', 'repl-backlog-size', 16384);
        const before = await stats(p.port);
        r.proc.kill('SIGSTOP');
        try {
          assert.equal(await call(c, 'CLIENT', 'KILL', 'TYPE', 'replica'), 1);
          const v = 'z'.repeat(1000);
          for (let i = 0; i < 100; i++) await call(c, 'SET', `of:${i}`, v);
        } finally {
          r.proc.kill('SIGCONT');
        }
        await assertSame(p.port, r.port, 'after the backlog overflowed');
        const after = await stats(p.port);
        assert.equal(after.full, before.full + 1, 'a full resync');
        assert.equal(after.err, before.err + 1, 'sync_partial_err incremented');
        await call(c, 'CONFIG', 'SET', 'repl-backlog-size', 1024 * 1024);
      });

      it('min-replicas-to-write: -NOREPLICAS while the replica is stopped', async () => {
        await call(c, 'CONFIG', 'SET', 'min-replicas-to-write', 1);
        await call(c, 'CONFIG', 'SET', 'min-replicas-max-lag', 2);
        try {
          assert.equal(await call(c, 'SET', 'mr', '1'), 'OK');
          r.proc.kill('SIGSTOP');
          try {
            await waitFor('NOREPLICAS', async () => (await call(c, 'SET', 'mr', '2')) !== 'OK', 10000);
            assert.equal(await call(c, 'SET', 'mr', '3'), 'ERR:NOREPLICAS Not enough good replicas to write.');
          } finally {
            r.proc.kill('SIGCONT');
          }
          await waitFor('writes accepted again', async () => (await call(c, 'SET', 'mr', '4')) === 'OK', 10000);
        } finally {
          await call(c, 'CONFIG', 'SET', 'min-replicas-to-write', 0);
        }
        await assertSame(p.port, r.port, 'after min-replicas');
      });

      it('a replica slower than the stream is disconnected, and resyncs fully after SIGCONT', async () => {
        await call(c, 'CONFIG', 'SET', 'client-output-buffer-limit', 'replica 262144 131072 1');
        // A backlog smaller than what the dropped replica missed: it cannot continue.
        await call(c, 'CONFIG', 'SET', 'repl-backlog-size', 16384);
        const before = await stats(p.port);
        r.proc.kill('SIGSTOP');
        try {
          const v = 'y'.repeat(10_000);
          for (let i = 0; i < 4000 && (await info(p.port, 'replication')).connected_slaves !== '0'; i += 100) {
            const batch: string[][] = [];
            for (let j = i; j < i + 100; j++) batch.push(['SET', `slow:${j % 500}`, v]);
            await c.pipeline(batch);
          }
          assert.equal((await info(p.port, 'replication')).connected_slaves, '0', 'the slow replica was dropped');
          // ... for its output buffer: Redis's line names the client (CLIENT LIST format, flags=S).
          await waitFor('the output-buffer log line', async () =>
            /Client id=\d+ addr=127\.0\.0\.1:\d+ .*flags=S .* closed (ASAP )?for overcoming of output buffer limits\./.test(
              readFileSync(logfile, 'latin1'),
            ),
          );
        } finally {
          r.proc.kill('SIGCONT');
          await call(c, 'CONFIG', 'SET', 'client-output-buffer-limit', 'replica 268435456 67108864 60');
        }
        await call(c, 'CONFIG', 'SET', 'repl-backlog-size', 1024 * 1024);
        await assertSame(p.port, r.port, 'after the slow replica came back');
        const after = await stats(p.port);
        assert.ok(after.full >= before.full + 1, 'a full resync');
      });
    });

    it('WAIT counts the replicas that acknowledged, and times out with fewer', async () => {
      const p = await startPrimary(kind);
      let r1: Replica | null = null;
      let r2: Replica | null = null;
      try {
        r1 = await startReplica(p.port);
        r2 = await startReplica(p.port);
        await synced(p.port, r1.port);
        await synced(p.port, r2.port);
        await withClient(p.port, async (c) => {
          await call(c, 'SET', 'w', '1');
          assert.equal(await call(c, 'WAIT', 2, 5000), 2);
          assert.equal(await call(c, 'WAIT', 5, 200), 2);
          (r2 as Replica).proc.kill('SIGSTOP');
          try {
            await call(c, 'SET', 'w', '2');
            const t0 = Date.now();
            assert.equal(await call(c, 'WAIT', 2, 500), 1);
            assert.ok(Date.now() - t0 >= 450, 'WAIT waited for its timeout');
            assert.equal(await call(c, 'WAIT', 1, 5000), 1);
          } finally {
            (r2 as Replica).proc.kill('SIGCONT');
          }
          assert.equal(await call(c, 'WAIT', 2, 10000), 2);
        });
      } finally {
        await r1?.close();
        await r2?.close();
        await p.close();
      }
    });

    it('kill -9 of a replica during its full sync: the primary stays healthy and the next replica syncs', async () => {
      // A 1 s diskless delay: the replica waits for the transfer, is stopped, then the transfer
      // starts and stalls on its full socket, then the replica is killed.
      const p = await startPrimary(kind, { 'repl-diskless-sync-delay': '1' });
      let r: Replica | null = null;
      const n = 50_000;
      try {
        await loadStrings(p.port, n, 500);
        r = await startReplica(p.port);
        const victim = r;
        await waitFor('the replica attached', async () => (await info(p.port, 'replication')).connected_slaves === '1', 10000);
        victim.proc.kill('SIGSTOP');
        assert.match((await info(p.port, 'replication')).slave0, /state=wait_bgsave/);
        await sleep(1500); // the delay passes, the transfer starts and stalls on the stopped replica
        assert.match(
          (await info(p.port, 'replication')).slave0,
          /state=wait_bgsave/,
          'the transfer stalls (a diskless transfer shows wait_bgsave)',
        );
        await victim.close(); // SIGKILL
        r = null;
        await withClient(p.port, async (c) => assert.equal(await call(c, 'SET', 'alive', '1'), 'OK'));
        await waitFor('the dead replica is gone', async () => (await info(p.port, 'replication')).connected_slaves === '0', 10000);
        r = await startReplica(p.port);
        await synced(p.port, r.port);
        sameData(await strings(r.port, n), await strings(p.port, n), 'string values');
        assert.deepEqual(await dbsizes(r.port), await dbsizes(p.port));
      } finally {
        await r?.close();
        await p.close();
      }
    });

    it('a replica stuck in its diskless transfer is dropped after repl-timeout; the next one syncs', async () => {
      const p = await startPrimary(kind, { 'repl-diskless-sync-delay': '1', 'repl-timeout': '2' });
      let r: Replica | null = null;
      const n = 50_000;
      try {
        await loadStrings(p.port, n, 500);
        r = await startReplica(p.port);
        const victim = r;
        await waitFor('the replica attached', async () => (await info(p.port, 'replication')).connected_slaves === '1', 10000);
        victim.proc.kill('SIGSTOP');
        const t0 = Date.now();
        await waitFor('the stuck replica dropped', async () => (await info(p.port, 'replication')).connected_slaves === '0', 15000);
        assert.ok(Date.now() - t0 >= 2000, 'not before repl-timeout');
        victim.proc.kill('SIGCONT');
        await victim.close();
        r = await startReplica(p.port);
        await synced(p.port, r.port);
        sameData(await strings(r.port, n), await strings(p.port, n), 'string values');
      } finally {
        await r?.close();
        await p.close();
      }
    });

    for (const diskless of ['yes', 'no']) {
      it(`redis-cli --rdb (REPLCONF rdb-only + old SYNC) gets the dataset, repl-diskless-sync ${diskless}`, async () => {
        const p = await startPrimary(kind, { 'repl-diskless-sync': diskless });
        const dir = mkdtempSync(join(tmpdir(), 'repl-rdb-'));
        let loaded: Peer | null = null;
        try {
          await populate(p.port);
          // Asynchronously: the Keydra primary runs in this process.
          const out = await new Promise<string>((resolve, reject) =>
            execFile('redis-cli', ['-p', String(p.port), '--rdb', join(dir, 'dump.rdb')], { timeout: 30000 }, (err, stdout, stderr) =>
              err ? reject(err) : resolve(stdout + stderr),
            ),
          );
          assert.match(out, /Transfer finished with success/);
          loaded = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
          const l = loaded as Peer;
          sameData(await dataset(l.port), await dataset(p.port), 'the RDB from redis-cli --rdb');
          // The old-SYNC client is gone; the primary has no replica left.
          await waitFor('no replica left', async () => (await info(p.port, 'replication')).connected_slaves === '0', 5000);
        } finally {
          await loaded?.close();
          rmSync(dir, { recursive: true, force: true });
          await p.close();
        }
      });
    }

    it('a replica restarted from its own RDB continues partially', async () => {
      const p = await startPrimary(kind);
      const dir = mkdtempSync(join(tmpdir(), 'repl-restart-'));
      const port = await freePort();
      const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--replicaof', '127.0.0.1', String(p.port)];
      let s = await spawnServer('redis', port, args);
      try {
        await populate(p.port);
        // (A stream's consumer seen-times and entries-read change through the replica's own RDB reload.)
        await withClient(p.port, (c) => call(c, 'DEL', 'stream'));
        await synced(p.port, port);
        const before = await stats(p.port);
        // SHUTDOWN SAVE stores the replication ID and offset in the replica's RDB.
        await s.c.send('SHUTDOWN', 'SAVE').catch(() => null);
        await new Promise((res) => (s.proc.exitCode !== null ? res(null) : s.proc.once('exit', res)));
        await withClient(p.port, (c) => call(c, 'SET', 'while-down', '1'));
        s = await spawnServer('redis', port, args);
        await assertSame(p.port, port, 'after the replica restarted');
        const after = await stats(p.port);
        assert.equal(after.full, before.full);
        assert.equal(after.ok, before.ok + 1);
      } finally {
        await spawnedKill9(s);
        rmSync(dir, { recursive: true, force: true });
        await p.close();
      }
    });
  });
}

describe('replication commands from a plain client: same replies as redis-server', { skip }, () => {
  let d: Differential | null = null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('REPLCONF options and errors, WAIT without replicas, ROLE, REPLICAOF errors', async () => {
    const dd = d as Differential;
    await dd.same(
      ['REPLCONF'],
      ['REPLCONF', 'listening-port', 'abc'],
      ['REPLCONF', 'listening-port'],
      ['REPLCONF', 'listening-port', '6380'],
      ['REPLCONF', 'foo', 'bar'],
      ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'],
      ['REPLCONF', 'ip-address', '1.2.3.4'],
      ['REPLCONF', 'ip-address', 'x'.repeat(46)],
      ['REPLCONF', 'ip-address', 'x'.repeat(255)],
      ['REPLCONF', 'ip-address', 'x'.repeat(256)],
      ['WAIT', 'a', '1'],
      ['WAIT', '1', 'a'],
      ['WAIT', '1', '-1'],
      ['WAIT', '0', '10'],
      ['SET', 'k', 'v'],
      ['WAIT', '1', '50'],
      ['MULTI'],
      ['WAIT', '1', '0'],
      ['EXEC'],
      ['ROLE'],
      ['REPLICAOF', 'no', 'one'],
      ['REPLICAOF', '127.0.0.1', 'abc'],
      ['REPLICAOF', '127.0.0.1', '70000'],
      ['SLAVEOF', '127.0.0.1', '-1'],
      ['REPLICAOF', 'NO', 'ONE'],
    );
    // REPLCONF ACK and GETACK from a client that is not a replica: no reply at all.
    for (const cl of [dd.r, dd.k]) {
      cl.writeRaw('REPLCONF ACK 10\r\nREPLCONF GETACK *\r\nPING\r\n');
      assert.deepEqual(plain((await cl.readReply()).node), 'PONG');
    }
  });

  it('PSYNC with a non-integer offset; a replica link that sends a command with a reply is dropped', async () => {
    const dd = d as Differential;
    await dd.same(['PSYNC', 'replicationid', 'offset_str'], ['PING']);
    for (const kind of ['redis', 'keydra'] as Kind[]) {
      const port = kind === 'redis' ? dd.redis.port : dd.keydra.port;
      for (const cmd of [['PING'], ['GET', 'foo'], ['SLOWLOG', 'GET']]) {
        const c = await RawClient.connect(port);
        try {
          c.writeRaw('PSYNC ? -1\r\n');
          // The client is a replica from here on (+FULLRESYNC and the RDB may still be on their way).
          await sleep(100);
          c.writeRaw(`${cmd.join(' ')}\r\n`);
          const closed = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), 5000);
            c.socket.once('close', () => {
              clearTimeout(t);
              resolve(true);
            });
          });
          assert.ok(closed, `${kind}: the replica link is closed after ${cmd[0]}`);
        } finally {
          c.close();
        }
        await withClient(port, async (x) => assert.equal(await call(x, 'PING'), 'PONG'));
      }
    }
  });
});

describe('replication primary: a Keydra process killed and restarted, and a chain of replicas', { skip }, () => {
  it('kill -9 of a Keydra primary: after its restart the replica resyncs fully to the new dataset', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'keydra-primary-'));
    const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];
    let k = await spawnServer('keydra', port, args);
    let r: Replica | null = null;
    try {
      await populate(port);
      r = await startReplica(port);
      await assertSame(port, r.port, 'before the crash');
      const replidBefore = (await info(port, 'replication')).master_replid;
      await spawnedKill9(k);
      k = await spawnServer('keydra', port, args);
      await withClient(port, (c) => call(c, 'SET', 'after-restart', '1'));
      await assertSame(port, r.port, 'after the restart');
      assert.notEqual((await info(port, 'replication')).master_replid, replidBefore);
      assert.equal((await stats(port)).full, 1);
      assert.deepEqual(await dbsizes(r.port), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      await r?.close();
      await spawnedKill9(k);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Keydra primary → redis-server replica → redis-server sub-replica', async () => {
    const p = await startPrimary('keydra');
    let r1: Replica | null = null;
    let r2: Replica | null = null;
    try {
      await populate(p.port);
      r1 = await startReplica(p.port);
      r2 = await startReplica(r1.port);
      await withClient(p.port, async (c) => {
        await call(c, 'SELECT', 9);
        await call(c, 'RPUSH', 'chain', 'a', 'b');
        await call(c, 'SELECT', 0);
        await call(c, 'SET', 'chain', '1');
      });
      await assertSame(p.port, r1.port, 'replica');
      await assertSame(r1.port, r2.port, 'sub-replica');
      assert.equal((await info(r2.port, 'replication')).master_replid, (await info(p.port, 'replication')).master_replid);
    } finally {
      await r2?.close();
      await r1?.close();
      await p.close();
    }
  });
});

describe('replication primary: PUBLISH goes to the replicas, not to the AOF', { skip }, () => {
  it('a Keydra primary with appendonly yes', async () => {
    const p = await startKeydra({ appendonly: true, 'repl-diskless-sync-delay': 0 });
    let r: Replica | null = null;
    let sub: RawClient | null = null;
    try {
      r = await startReplica(p.port);
      await synced(p.port, r.port);
      sub = await RawClient.connect(r.port);
      await sub.call('SUBSCRIBE', 'ch');
      await withClient(p.port, async (c) => {
        await call(c, 'SET', 'a', '1');
        await call(c, 'PUBLISH', 'ch', 'one');
        await call(c, 'MULTI');
        await call(c, 'SET', 'b', '2');
        await call(c, 'PUBLISH', 'ch', 'two');
        await call(c, 'EXEC');
      });
      for (const m of ['one', 'two']) assert.deepEqual(plain((await sub.readReply()).node), ['message', 'ch', m]);
      await assertSame(p.port, r.port, 'with the AOF on');
      const aofDir = join(p.dir, 'appendonlydir');
      const aof = readdirSync(aofDir)
        .filter((f) => f.includes('.incr.'))
        .map((f) => readFileSync(join(aofDir, f), 'latin1'))
        .join('');
      assert.match(aof, /\$1\r\nb\r\n\$1\r\n2\r\n/);
      assert.doesNotMatch(aof, /PUBLISH/i);
    } finally {
      sub?.close();
      await r?.close();
      await p.close();
    }
  });
});
