/**
 * Keydra as a replica (src/replication/replica.ts), over real sockets: of a real redis-server 7.0
 * primary (full sync of every type, streamed writes, partial resync after CLIENT KILL TYPE master,
 * READONLY, MASTERDOWN, REPLICAOF NO ONE, a redis-server sub-replica fed by the proxied stream)
 * with a redis-server replica of the same primary as control; of a Keydra primary (disk-based
 * and in-memory loads, swapdb); and of a fake primary sending a corrupt RDB (link dropped,
 * retried, server alive).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient, encodeCommand } from '../../src/client/rawClient.js';
import { encodeRdb } from '../../src/persistence/rdb/rdb.js';
import '../../src/persistence/rdb/types.js';
import { Keyspace } from '../../src/store/db.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, type Peer, freePort, redisServerPath, spawnServer, spawnedKill9, startKeydra, startRedis } from '../helpers/servers.js';
import type { RunningServer } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `cond` holds; fails with `what` otherwise. */
async function waitFor(what: string, cond: () => Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** INFO <section> as a name → value map. */
async function info(c: RawClient, section = 'replication'): Promise<Map<string, string>> {
  const text = (await c.call('INFO', section)) as string;
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

async function field(c: RawClient, name: string, section = 'replication'): Promise<string> {
  return (await info(c, section)).get(name) ?? '';
}

/** Waits for the replica's link to be up and its applied offset to reach the primary's. */
async function caughtUp(primary: RawClient, replica: RawClient): Promise<void> {
  await waitFor('link up and offsets equal', async () => {
    const r = await info(replica);
    if (r.get('master_link_status') !== 'up') return false;
    const p = await info(primary);
    return p.get('master_repl_offset') === r.get('slave_repl_offset');
  });
}

const str = (n: RespNode) => (typeof n === 'string' ? n : JSON.stringify(n));

/**
 * Every key of dbs 0..15, type-aware (encodings may differ between servers): type, content in a
 * canonical order, absolute expire time; plus the function libraries.
 */
async function dataset(c: RawClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < 16; db++) {
    await c.call('SELECT', db);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const r = (await c.call('SCAN', cursor, 'COUNT', 1000)) as RespNode[];
      cursor = r[0] as string;
      keys.push(...(r[1] as string[]));
    } while (cursor !== '0');
    keys.sort();
    for (const k of keys) {
      const type = str(await c.call('TYPE', k));
      let v: unknown;
      if (type.includes('string')) v = await c.call('GET', k);
      else if (type.includes('list')) v = await c.call('LRANGE', k, 0, -1);
      else if (type.includes('hash')) v = ((await c.call('HGETALL', k)) as string[]).join('\0').split('\0');
      else if (type.includes('zset')) v = await c.call('ZRANGE', k, 0, -1, 'WITHSCORES');
      else if (type.includes('set')) v = ((await c.call('SMEMBERS', k)) as string[]).sort();
      else if (type.includes('stream'))
        v = [await c.call('XRANGE', k, '-', '+'), await c.call('XINFO', 'GROUPS', k), await c.call('XPENDING', k, 'g')];
      if (type.includes('hash')) {
        const flat = v as string[];
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
        v = pairs.sort();
      }
      out[`${db}:${k}`] = { type, v, exp: await c.call('PEXPIRETIME', k) };
    }
  }
  await c.call('SELECT', 0);
  out.functions = await c.call('FUNCTION', 'LIST', 'WITHCODE');
  return out;
}

/** Writes one of each type (small and big encodings), several dbs, TTLs, a function library, a stream with a group. */
async function populate(c: RawClient): Promise<void> {
  await c.call('SELECT', 0);
  await c.call('SET', 'str', 'hello');
  await c.call('SET', 'int', '12345');
  await c.call('SET', 'bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.call('SET', 'ttl', 'v', 'PX', 3600000);
  await c.call('RPUSH', 'list', 'a', 'b', 'c');
  await c.call('RPUSH', 'biglist', ...Array.from({ length: 1500 }, (_, i) => `item-${i}`));
  await c.call('HSET', 'hash', 'f1', 'v1', 'f2', '2');
  await c.call('HSET', 'bighash', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await c.call('SADD', 'intset', 1, 2, 3, 100);
  await c.call('SADD', 'set', 'x', 'y', 'z');
  await c.call('SADD', 'bigset', ...Array.from({ length: 700 }, (_, i) => `m${i}`));
  await c.call('ZADD', 'zset', 1, 'a', 2.5, 'b', -3, 'c');
  await c.call('ZADD', 'bigzset', ...Array.from({ length: 300 }, (_, i) => [i * 1.5, `z${i}`]).flat());
  await c.call('EXPIRE', 'bigzset', 7200);
  for (let i = 0; i < 5; i++) await c.call('XADD', 'stream', `${i + 1}-0`, 'f', `v${i}`);
  await c.call('XGROUP', 'CREATE', 'stream', 'g', '0');
  await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', 'stream', '>');
  await c.call(
    'FUNCTION',
    'LOAD',
    "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return redis.call('GET', keys[1]) end)",
  );
  await c.call('SELECT', 1);
  await c.call('SET', 'db1key', 'one');
  await c.call('HSET', 'db1hash', 'a', '1');
  await c.call('SELECT', 5);
  await c.call('SET', 'db5key', 'five');
  await c.call('SADD', 'db5set', 'q');
  await c.call('SELECT', 0);
}

/** Writes that reach a replica as a stream: expiry, scripts, MULTI/EXEC, a served BLPOP, FLUSHDB. */
async function streamedWrites(c: RawClient, port: number): Promise<void> {
  await c.call('SELECT', 0);
  await c.call('SET', 'later', 'x');
  await c.call('PEXPIRE', 'later', 100);
  await c.call('INCRBYFLOAT', 'float', '1.5');
  await c.call('EVAL', "redis.call('SET', KEYS[1], 'fromlua'); redis.call('RPUSH', KEYS[2], 'l1', 'l2'); return 1", 2, 'luakey', 'lualist');
  await c.call('FCALL', 'myfunc', 1, 'str');
  await c.pipeline([['MULTI'], ['SET', 'tx1', 'a'], ['INCR', 'int'], ['ZINCRBY', 'zset', '10', 'a'], ['EXEC']]);
  // A blocked client served by a push: propagated as the push plus the pop.
  const blocker = await RawClient.connect(port);
  const popped = blocker.call('BLPOP', 'queue', 5);
  await sleep(50);
  await c.call('RPUSH', 'queue', 'job1', 'job2');
  assert.deepEqual(await popped, ['queue', 'job1']);
  blocker.close();
  await c.call('SPOP', 'set');
  await c.call('XADD', 'stream', '10-0', 'f', 'new');
  await c.call('XACK', 'stream', 'g', '1-0');
  await c.call('SELECT', 5);
  await c.call('FLUSHDB');
  await c.call('SET', 'afterflush', '1');
  await c.call('SELECT', 0);
  await sleep(300); // `later` expires on the primary (lazily or actively: a DEL either way)
  await c.call('GET', 'later');
}

/**
 * A fake primary: answers PING and REPLCONF as a primary does (no reply to ACKs) and hands the
 * socket to `onPsync` when the replica sends PSYNC.
 */
function fakePrimary(onPsync: (s: net.Socket) => void): net.Server {
  return net.createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (m === null) return;
        let pos = m[0].length;
        const argv: string[] = [];
        for (let i = 0; i < Number(m[1]); i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(pos));
          if (h === null) return;
          const len = Number(h[1]);
          if (buf.length < pos + h[0].length + len + 2) return;
          argv.push(buf.slice(pos + h[0].length, pos + h[0].length + len));
          pos += h[0].length + len + 2;
        }
        buf = buf.slice(pos);
        const cmd = argv[0].toUpperCase();
        if (cmd === 'PING') sock.write('+PONG\r\n');
        else if (cmd === 'REPLCONF') {
          if (argv[1].toUpperCase() !== 'ACK') sock.write('+OK\r\n');
        } else if (cmd === 'PSYNC') onPsync(sock);
      }
    });
    sock.on('error', () => {});
  });
}

/**
 * Runs `fn` with a fresh Keydra replica and a redis-server control replica, both not yet attached
 * to any primary, and a client to each; closes the clients and both servers afterwards, whatever
 * `fn` does. Without redis-server the file is skipped, so the control is always there.
 */
async function withReplicaPair(
  keydraOpts: Record<string, string | number | boolean>,
  redisArgs: string[],
  fn: (pair: { rep: Peer; r: RawClient; ctlRep: Peer; rc: RawClient }) => Promise<void>,
): Promise<void> {
  const rep = await startKeydra(keydraOpts);
  const ctlRep = (await startRedis(redisArgs)) as Peer;
  const r = await RawClient.connect(rep.port);
  const rc = await RawClient.connect(ctlRep.port);
  try {
    await fn({ rep, r, ctlRep, rc });
  } finally {
    r.close();
    rc.close();
    await rep.close();
    await ctlRep.close();
  }
}

describe('Keydra replica of a redis-server 7.0 primary', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  let primary: Peer | null = null;
  let control: Peer | null = null;
  let sub: Peer | null = null;
  let keydra: (Peer & { running: RunningServer }) | null = null;
  let p: RawClient;
  let k: RawClient;
  let ctl: RawClient;
  before(async () => {
    primary = await startRedis(['--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes']);
    control = await startRedis();
    keydra = await startKeydra({ 'repl-timeout': 5, 'repl-diskless-sync-delay': 0 });
    p = await RawClient.connect((primary as Peer).port);
    k = await RawClient.connect(keydra.port);
    ctl = await RawClient.connect((control as Peer).port);
    await populate(p);
  });
  after(async () => {
    for (const c of [p, k, ctl]) c?.close();
    await keydra?.close();
    await sub?.close();
    await control?.close();
    await primary?.close();
  });

  it('full sync (diskless from the primary, disk load): every type, every db, TTLs, functions; same as a redis-server replica', async () => {
    const pp = (primary as Peer).port;
    assert.equal(str(await k.call('REPLICAOF', '127.0.0.1', pp)), '{"t":"+","v":"OK"}');
    assert.equal(str(await ctl.call('REPLICAOF', '127.0.0.1', pp)), '{"t":"+","v":"OK"}');
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    const want = await dataset(p);
    assert.deepEqual(await dataset(k), want);
    assert.deepEqual(await dataset(ctl), want);
    // The RDB went through dir/dbfilename (repl-diskless-load disabled).
    assert.ok(existsSync(join((keydra as Peer).dir, 'dump.rdb')));
    const r = await info(k);
    assert.equal(r.get('master_replid'), await field(p, 'master_replid'));
    assert.equal(r.get('master_sync_in_progress'), '0');
  });

  it('INFO replication and ROLE list the replica fields in the order redis-server does', async () => {
    const names = (m: Map<string, string>) => [...m.keys()];
    assert.deepEqual(names(await info(k)), names(await info(ctl)));
    const role = (await k.call('ROLE')) as RespNode[];
    const ctlRole = (await ctl.call('ROLE')) as RespNode[];
    assert.deepEqual(role.slice(0, 4), ctlRole.slice(0, 4));
    assert.equal(role[3], 'connected');
    assert.equal(typeof role[4], 'number');
  });

  it('streams writes: expiry as DEL, EVAL/FCALL, MULTI/EXEC, a served BLPOP, FLUSHDB; applies what the primary applied', async () => {
    await streamedWrites(p, (primary as Peer).port);
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    const want = await dataset(p);
    assert.deepEqual(await dataset(k), want);
    assert.deepEqual(await dataset(ctl), want);
    assert.equal(await k.call('EXISTS', 'later'), 0);
  });

  it('an expired key the primary has not deleted yet is hidden on the replica, not deleted; the primary’s DEL removes it', async () => {
    await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await p.call('SET', 'soon', 'v', 'PX', 100);
    await caughtUp(p, k);
    await sleep(200);
    assert.equal(await k.call('GET', 'soon'), null);
    assert.equal(await k.call('DBSIZE'), await p.call('DBSIZE')); // still held by both
    await p.call('GET', 'soon'); // lazy expiry on the primary: DEL propagated
    await caughtUp(p, k);
    assert.equal(await k.call('DBSIZE'), await p.call('DBSIZE'));
    await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  });

  it('refuses writes with READONLY (replica-read-only yes)', async () => {
    const r = await k.call('SET', 'x', '1');
    assert.deepEqual(r, { t: '-', v: "READONLY You can't write against a read only replica." });
    assert.deepEqual(await ctl.call('SET', 'x', '1'), r);
  });

  it('a writable replica (replica-read-only no) deletes expired keys on write and expires its own keys', async () => {
    const run = async (c: RawClient) => {
      await c.call('CONFIG', 'SET', 'replica-read-only', 'no');
      await c.call('SELECT', 9);
      await c.call('SET', 'own', '1', 'PX', 100);
      await c.call('SET', 'own2', '1', 'PX', 100);
      await sleep(1500); // the replica's own expiry deletes both
      const afterOwn = await c.call('DBSIZE');
      await c.call('SELECT', 0);
      await c.call('CONFIG', 'SET', 'replica-read-only', 'yes');
      return afterOwn;
    };
    assert.equal(await run(k), 0);
    assert.equal(await run(ctl), 0);
    await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await p.call('SELECT', 9);
    await p.call('SET', 'fromp', '5', 'PX', 50);
    await p.call('SELECT', 0);
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    await sleep(100);
    const incr = async (c: RawClient) => {
      await c.call('CONFIG', 'SET', 'replica-read-only', 'no');
      await c.call('SELECT', 9);
      const out = [await c.call('DBSIZE'), await c.call('INCR', 'fromp'), await c.call('TTL', 'fromp')];
      await c.call('DEL', 'fromp');
      await c.call('SELECT', 0);
      await c.call('CONFIG', 'SET', 'replica-read-only', 'yes');
      return out;
    };
    assert.deepEqual(await incr(k), [1, 1, -1]);
    assert.deepEqual(await incr(ctl), [1, 1, -1]);
    await p.call('SELECT', 9);
    await p.call('DEL', 'fromp');
    await p.call('SELECT', 0);
    await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  });

  it('partial resync after CLIENT KILL TYPE master: sync_partial_ok grows, no full sync, writes meanwhile arrive', async () => {
    const stats0 = await info(p, 'stats');
    const list = (await k.call('CLIENT', 'LIST', 'TYPE', 'master')) as string;
    assert.match(list, /flags=M/);
    assert.equal(await k.call('CLIENT', 'KILL', 'TYPE', 'master'), 1);
    await p.call('SET', 'during', 'gap');
    await p.call('LPUSH', 'list', 'new');
    await caughtUp(p, k);
    const stats1 = await info(p, 'stats');
    assert.equal(Number(stats1.get('sync_partial_ok')), Number(stats0.get('sync_partial_ok')) + 1);
    assert.equal(stats1.get('sync_full'), stats0.get('sync_full'));
    assert.deepEqual(await dataset(k), await dataset(p));
    assert.ok(Number(await field(p, 'total_net_repl_input_bytes', 'stats')) >= 0);
    assert.ok(Number(await field(k, 'total_net_repl_input_bytes', 'stats')) > 0);
  });

  it('proxies the primary’s stream byte for byte to a redis-server sub-replica', async () => {
    sub = await startRedis();
    const s = await RawClient.connect((sub as Peer).port);
    try {
      await s.call('REPLICAOF', '127.0.0.1', (keydra as Peer).port);
      await caughtUp(k, s);
      await p.call('SET', 'chained', 'yes');
      await p.call('HSET', 'hash', 'f3', 'v3');
      await caughtUp(p, k);
      await caughtUp(k, s);
      assert.equal(await field(s, 'master_replid'), await field(p, 'master_replid'));
      assert.equal(await field(s, 'master_repl_offset'), await field(p, 'master_repl_offset'));
      assert.deepEqual(await dataset(s), await dataset(p));
    } finally {
      s.close();
    }
  });

  it('REPLICAOF NO ONE keeps the data, takes writes, continues the history as replid2', async () => {
    const before = await dataset(k);
    const replid = await field(k, 'master_replid');
    const off = Number(await field(k, 'master_repl_offset'));
    assert.equal(str(await k.call('REPLICAOF', 'NO', 'ONE')), '{"t":"+","v":"OK"}');
    assert.deepEqual(await dataset(k), before);
    assert.equal(str(await k.call('SET', 'mine', '1')), '{"t":"+","v":"OK"}');
    const r = await info(k);
    assert.equal(r.get('role'), 'master');
    assert.equal(r.get('master_replid2'), replid);
    assert.equal(Number(r.get('second_repl_offset')), off + 1);
    await k.call('DEL', 'mine');
  });

  it('replica-serve-stale-data no: MASTERDOWN once the primary is gone (INFO still answers)', async () => {
    await k.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
    await caughtUp(p, k);
    await k.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
    await ctl.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
    assert.equal(await k.call('GET', 'str'), 'hello');
    p.close();
    await (primary as Peer).close();
    primary = null;
    await waitFor('link down', async () => (await field(k, 'master_link_status')) === 'down');
    await waitFor('control link down', async () => (await field(ctl, 'master_link_status')) === 'down');
    const err = await k.call('GET', 'str');
    assert.deepEqual(err, await ctl.call('GET', 'str'));
    assert.match(str(err), /MASTERDOWN/);
    const r = await info(k);
    assert.ok(Number(r.get('master_link_down_since_seconds')) >= 0);
    assert.equal(r.get('master_last_io_seconds_ago'), '-1');
    // The redis-server sub-replica of an earlier test may still be attached to Keydra (REPLICAOF does
    // not drop replicas, as in Redis): its slaveN line is not part of the comparison.
    const names = (m: Map<string, string>) => [...m.keys()].filter((x) => !/^slave\d+$/.test(x));
    assert.deepEqual(names(r), names(await info(ctl)));
    await k.call('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');
    assert.equal(await k.call('GET', 'str'), 'hello');
    const role = (await k.call('ROLE')) as RespNode[];
    assert.ok(['connect', 'connecting'].includes(role[3] as string));
    assert.equal(role[4], -1);
    await k.call('REPLICAOF', 'NO', 'ONE');
    await ctl.call('REPLICAOF', 'NO', 'ONE');
  });
});

describe('Keydra replica of a Keydra primary', () => {
  const peers: Peer[] = [];
  const clients: RawClient[] = [];
  const open = async (port: number) => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };
  after(async () => {
    for (const c of clients) c.close();
    for (const s of peers.reverse()) await s.close();
  });

  for (const [name, primaryOpts, replicaOpts] of [
    ['disk-based transfer ($<len>) loaded from disk', { 'repl-diskless-sync': false }, { 'repl-diskless-load': 'disabled' }],
    ['diskless transfer ($EOF:) loaded in memory (on-empty-db)', { 'repl-diskless-sync': true }, { 'repl-diskless-load': 'on-empty-db' }],
    [
      'diskless transfer into swapdb (old data replaced only at the end)',
      { 'repl-diskless-sync': true },
      { 'repl-diskless-load': 'swapdb' },
    ],
  ] as const) {
    it(name, async () => {
      const prim = await startKeydra({ 'repl-diskless-sync-delay': 0, ...primaryOpts });
      const rep = await startKeydra({ ...replicaOpts });
      peers.push(prim, rep);
      const p = await open(prim.port);
      const r = await open(rep.port);
      await populate(p);
      // Replaced by the primary's dataset (on-empty-db loads in memory only into an empty one).
      if (replicaOpts['repl-diskless-load'] !== 'on-empty-db') await r.call('SET', 'stale', 'old');
      await r.call('REPLICAOF', '127.0.0.1', prim.port);
      await caughtUp(p, r);
      assert.deepEqual(await dataset(r), await dataset(p));
      assert.equal(await r.call('EXISTS', 'stale'), 0);
      assert.equal(existsSync(join(rep.dir, 'dump.rdb')), replicaOpts['repl-diskless-load'] === 'disabled');
      await streamedWrites(p, prim.port);
      await caughtUp(p, r);
      assert.deepEqual(await dataset(r), await dataset(p));
      // WAIT on the primary counts our ACK.
      await p.call('SET', 'acked', '1');
      assert.equal(await p.call('WAIT', 1, 2000), 1);
      // Partial resync after the link drops.
      const full0 = await field(p, 'sync_full', 'stats');
      await r.call('CLIENT', 'KILL', 'TYPE', 'master');
      await p.call('SET', 'gap', '1');
      await caughtUp(p, r);
      assert.equal(await field(p, 'sync_full', 'stats'), full0);
      assert.equal(await r.call('GET', 'gap'), '1');
      await r.call('REPLICAOF', 'NO', 'ONE');
    });
  }
});

describe('REPLICAOF before the Lua VM is loaded', () => {
  it("a fresh replica process (no scripting used yet) gets the primary's functions, with no error on its link", async () => {
    const prim = await startKeydra({ 'repl-diskless-sync-delay': 0 });
    const p = await RawClient.connect(prim.port);
    const dir = mkdtempSync(join(tmpdir(), 'keydra-lazylua-'));
    const port = await freePort();
    // Its own process: the VM loads on first use, and nothing has used it yet.
    const rep = await spawnServer('keydra', port, ['--save', '', '--dir', dir, '--logfile', join(dir, 'log')]);
    try {
      await p.call(
        'FUNCTION',
        'LOAD',
        "#!lua name=lazylib\nredis.register_function{function_name='lazyf', callback=function() return 7 end, flags={'no-writes'}}",
      );
      await p.call('SET', 'k', 'v');
      await rep.c.call('REPLICAOF', '127.0.0.1', prim.port);
      await waitFor('link up', async () => (await field(rep.c, 'master_link_status')) === 'up');
      assert.equal(await rep.c.call('FCALL_RO', 'lazyf', 0), 7);
      assert.equal(await rep.c.call('GET', 'k'), 'v');
      // Redis logs "== CRITICAL ==" when the replica's replay of the sync errs (e.g. FUNCTION FLUSH
      // answered before the VM was there).
      assert.doesNotMatch(readFileSync(join(dir, 'log'), 'latin1'), /CRITICAL/);
    } finally {
      p.close();
      await spawnedKill9(rep);
      await prim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bind-source-addr', () => {
  it('a Keydra replica connects to its primary from bind-source-addr; a redis-server primary (and a Keydra one) list it with that ip', async () => {
    const rep = await startKeydra({ 'bind-source-addr': '127.0.0.2' });
    const prims: Peer[] = [await startKeydra({ 'repl-diskless-sync-delay': 0 })];
    const rp = await startRedis(['--repl-diskless-sync-delay', '0']);
    if (rp !== null) prims.push(rp);
    const r = await RawClient.connect(rep.port);
    try {
      assert.deepEqual(await r.call('CONFIG', 'GET', 'bind-source-addr'), ['bind-source-addr', '127.0.0.2']);
      for (const prim of prims) {
        const p = await RawClient.connect(prim.port);
        // 127.0.0.2 is not a local client for protected mode (Redis: only 127.0.0.1 and ::1).
        await p.call('CONFIG', 'SET', 'protected-mode', 'no');
        await r.call('REPLICAOF', '127.0.0.1', prim.port);
        await waitFor('link up', async () => (await field(r, 'master_link_status')) === 'up');
        // The primary marks a diskless replica online on its first REPLCONF ACK, which may land
        // just after the replica reports its link up.
        await waitFor('replica online', async () => /state=online/.test(await field(p, 'slave0')));
        assert.match(await field(p, 'slave0'), /^ip=127\.0\.0\.2,port=\d+,state=online/);
        p.close();
      }
      await r.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      r.close();
      await rep.close();
      for (const prim of prims) await prim.close();
    }
  });
});

describe('Keydra replica of a broken primary', () => {
  it('a corrupt RDB drops the link with a log line, is retried, and the server stays up', async () => {
    let attempts = 0;
    // Each sync attempt gets a full resync with a corrupt payload.
    const fake = fakePrimary((sock) => {
      const body = Buffer.from('REDIS0010garbage-garbage-garbage', 'latin1');
      sock.write(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n\n\n$${body.length}\r\n`);
      sock.write(body);
    });
    fake.on('connection', () => attempts++); // one connection per sync attempt
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const rep = await startKeydra({ 'repl-diskless-load': 'swapdb' });
    const c = await RawClient.connect(rep.port);
    try {
      await c.call('SET', 'keep', 'me');
      await c.call('REPLICAOF', '127.0.0.1', port);
      await waitFor('two sync attempts', async () => attempts >= 2, 10000);
      assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
      assert.equal(await field(c, 'master_link_status'), 'down');
      // swapdb: the old dataset is kept when the load fails.
      assert.equal(await c.call('GET', 'keep'), 'me');
      await c.call('CONFIG', 'SET', 'repl-diskless-load', 'disabled');
      const n = attempts;
      await waitFor('another attempt (disk load)', async () => attempts > n, 10000);
      await sleep(100);
      assert.equal(await field(c, 'master_link_status'), 'down');
      // Loaded from disk: flushed first, as Redis.
      assert.equal(await c.call('DBSIZE'), 0);
      await c.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      c.close();
      await rep.close();
      await new Promise((r) => fake.close(r));
    }
  });
});

describe('REPLICAOF with blocked clients', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  it('clients blocked on keys get -UNBLOCKED, as on redis-server', async () => {
    const prim = await startRedis();
    const kd = await startKeydra();
    const rd = await startRedis();
    try {
      const results: RespNode[] = [];
      for (const port of [rd?.port as number, kd.port]) {
        const blocked = await RawClient.connect(port);
        const c = await RawClient.connect(port);
        const reply = blocked.call('BLPOP', 'foo', 0);
        await sleep(50);
        await c.call('REPLICAOF', '127.0.0.1', (prim as Peer).port);
        results.push(await reply);
        await c.call('REPLICAOF', 'NO', 'ONE');
        c.close();
        blocked.close();
      }
      assert.deepEqual(results[1], results[0]);
      assert.match(str(results[1]), /UNBLOCKED force unblock/);
    } finally {
      await kd.close();
      await rd?.close();
      await prim?.close();
    }
  });
});

describe('Keydra replica of a primary that splits its stream anywhere', () => {
  it('counts every byte into the offset, whole MULTI/EXEC units, and ACKs the exact offset on GETACK', async () => {
    const rdb = encodeRdb(new Keyspace(16, { keyModified() {}, keyExpired() {} }));
    const cmds = [
      ['SELECT', '0'],
      ['SET', 'k', 'v'],
      ['MULTI'],
      ['SET', 'a', '1'],
      ['INCR', 'a'],
      ['EXEC'],
      ['SET', 'big', 'x'.repeat(70000)],
      ['RPUSH', 'l', 'p', 'q'],
    ].map((a) => encodeCommand(a));
    const stream = Buffer.concat(cmds);
    const acks: string[] = [];
    let sock: net.Socket | null = null;
    const fake = net.createServer((s) => {
      sock = s;
      s.setNoDelay(true);
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const m = /^\*(\d+)\r\n((?:\$\d+\r\n[^\r]*\r\n)*)/.exec(buf);
          if (m === null) return;
          const parts = m[2].split('\r\n').filter((_, i) => i % 2 === 1);
          if (parts.length < Number(m[1])) return;
          buf = buf.slice(m[0].length);
          const cmd = parts[0].toUpperCase();
          if (cmd === 'PING') s.write('+PONG\r\n');
          else if (cmd === 'REPLCONF' && parts[1].toUpperCase() === 'ACK') acks.push(parts[2]);
          else if (cmd === 'REPLCONF') s.write('+OK\r\n');
          else if (cmd === 'PSYNC') {
            s.write(`+FULLRESYNC ${'b'.repeat(40)} 100\r\n$${rdb.length}\r\n`);
            s.write(rdb);
          }
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const rep = await startKeydra();
    const c = await RawClient.connect(rep.port);
    try {
      await c.call('REPLICAOF', '127.0.0.1', (fake.address() as net.AddressInfo).port);
      await waitFor('link up', async () => (await field(c, 'master_link_status')) === 'up');
      assert.equal(await field(c, 'master_repl_offset'), '100');
      // One byte at a time for the small commands, odd-sized pieces for the big one.
      for (let i = 0; i < stream.length; ) {
        const n = i < stream.length - 70100 ? 1 : 997;
        (sock as unknown as net.Socket).write(stream.subarray(i, i + n));
        i += n;
        await new Promise((r) => setImmediate(r));
      }
      const total = 100 + stream.length;
      await waitFor('all applied', async () => Number(await field(c, 'slave_repl_offset')) === total);
      assert.equal(await field(c, 'master_repl_offset'), String(total));
      assert.equal(await c.call('GET', 'a'), '2');
      assert.equal(await c.call('STRLEN', 'big'), 70000);
      assert.deepEqual(await c.call('LRANGE', 'l', 0, -1), ['p', 'q']);
      // GETACK: the ACK carries the offset before the GETACK itself.
      (sock as unknown as net.Socket).write(encodeCommand(['REPLCONF', 'GETACK', '*']));
      await waitFor('ack', async () => acks.includes(String(total)));
      // Half a MULTI: the offset moves only at EXEC.
      const half = Buffer.concat([encodeCommand(['MULTI']), encodeCommand(['SET', 'z', '1'])]);
      (sock as unknown as net.Socket).write(half);
      await sleep(100);
      const getack = encodeCommand(['REPLCONF', 'GETACK', '*']).length;
      assert.equal(await field(c, 'slave_repl_offset'), String(total + getack));
      assert.equal(await field(c, 'slave_read_repl_offset'), String(total + getack + half.length));
      (sock as unknown as net.Socket).write(encodeCommand(['EXEC']));
      await waitFor('exec applied', async () => (await c.call('GET', 'z')) === '1');
      assert.equal(await field(c, 'slave_repl_offset'), await field(c, 'slave_read_repl_offset'));
      await c.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      c.close();
      await rep.close();
      (sock as net.Socket | null)?.destroy();
      await new Promise((r) => fake.close(r));
    }
  });
});

describe('a diskless transfer cut in the middle (swapdb)', () => {
  // No redis-server control here: Redis reads a socket load blocking its event loop (it would not
  // answer INFO until repl-timeout); its own suite checks these states (replication.tcl, "Diskless
  // load swapdb (different replid)").
  it('shows loading:1 and -LOADING while reading, keeps the old data when the primary goes away', async () => {
    const socks = new Set<net.Socket>();
    let serve = true;
    const fake = fakePrimary((s) => {
      socks.add(s);
      if (!serve) return; // the next attempts wait for a PSYNC reply
      // Half an RDB, then silence.
      s.write(`+FULLRESYNC ${'c'.repeat(40)} 0\r\n$EOF:${'d'.repeat(40)}\r\nREDIS0010`);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const kd = await startKeydra({ 'repl-diskless-load': 'swapdb' });
    const c = await RawClient.connect(kd.port);
    try {
      await c.call('SET', 'mykey', 'myvalue');
      await c.call('REPLICAOF', '127.0.0.1', port);
      await waitFor('loading', async () => (await field(c, 'loading', 'persistence')) === '1');
      assert.equal(await field(c, 'master_sync_in_progress'), '1');
      assert.match(str(await c.call('GET', 'mykey')), /^\{"t":"-","v":"LOADING /);
      serve = false;
      for (const s of socks) s.destroy();
      socks.clear();
      await waitFor('loading over', async () => (await field(c, 'loading', 'persistence')) === '0');
      assert.equal(await c.call('GET', 'mykey'), 'myvalue');
      assert.equal(await c.call('DBSIZE'), 1);
      await c.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      c.close();
      await kd.close();
      for (const s of socks) s.destroy();
      await new Promise((r) => fake.close(r));
    }
  });
});

describe('a restarted Keydra replica', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  it('continues with a partial resync from the repl-id/offset its RDB saved at shutdown', async () => {
    const prim = await startRedis(['--repl-diskless-sync-delay', '0']);
    const dir = mkdtempSync(join(tmpdir(), 'keydra-replica-restart-'));
    const port = await freePort();
    const args = ['--dir', dir, '--save', '3600 1', '--appendonly', 'no', '--replicaof', '127.0.0.1', String(prim?.port)];
    let rep = await spawnServer('keydra', port, args);
    const p = await RawClient.connect((prim as Peer).port);
    try {
      await p.call('SET', 'a', '1');
      await p.call('SELECT', 3);
      await p.call('SET', 'in3', 'x');
      await caughtUp(p, rep.c);
      const stats0 = await info(p, 'stats');
      await rep.c.call('SHUTDOWN').catch(() => null);
      await new Promise((r) => rep.proc.once('exit', r));
      rep.c.close();
      // Written while the replica is down: the partial resync brings it, in db 3 (repl-stream-db).
      await p.call('SET', 'while-down', 'y');
      rep = await spawnServer('keydra', port, args);
      await caughtUp(p, rep.c);
      const stats1 = await info(p, 'stats');
      assert.equal(Number(stats1.get('sync_partial_ok')), Number(stats0.get('sync_partial_ok')) + 1);
      assert.equal(stats1.get('sync_full'), stats0.get('sync_full'));
      await rep.c.call('SELECT', 3);
      assert.equal(await rep.c.call('GET', 'while-down'), 'y');
      assert.equal(await rep.c.call('GET', 'in3'), 'x');
    } finally {
      p.close();
      await spawnedKill9(rep);
      await prim?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a swapdb full sync of the same history (async loading)', () => {
  it('serves the old dataset while the new one loads aside (async_loading:1, no -LOADING), and keeps it when cut', async () => {
    const rdb = encodeRdb(new Keyspace(16, { keyModified() {}, keyExpired() {} }));
    const replid = 'e'.repeat(40);
    let attempt = 0;
    const socks = new Set<net.Socket>();
    const fake = fakePrimary((s) => {
      socks.add(s);
      attempt++;
      if (attempt === 1) {
        // A whole (empty) RDB, then a write in the stream.
        s.write(`+FULLRESYNC ${replid} 0\r\n$${rdb.length}\r\n`);
        s.write(rdb);
        s.write(encodeCommand(['SET', 'mykey', 'myvalue']));
      } else if (attempt === 2) {
        // Same replid again: half an RDB, then silence.
        s.write(`+FULLRESYNC ${replid} 0\r\n$EOF:${'f'.repeat(40)}\r\nREDIS0010`);
      }
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const kd = await startKeydra({ 'repl-diskless-load': 'swapdb' });
    const c = await RawClient.connect(kd.port);
    try {
      await c.call('REPLICAOF', '127.0.0.1', (fake.address() as net.AddressInfo).port);
      await waitFor('first sync', async () => (await c.call('GET', 'mykey')) === 'myvalue');
      for (const s of socks) s.destroy();
      await waitFor('async loading', async () => (await field(c, 'async_loading', 'persistence')) === '1');
      assert.equal(await field(c, 'loading', 'persistence'), '0');
      assert.equal(await c.call('GET', 'mykey'), 'myvalue');
      // Refused meanwhile (DENY_LOADING configs, CMD_NO_ASYNC_LOADING), as replication.tcl checks.
      const loadingErr = { t: '-', v: 'LOADING Redis is loading the dataset in memory' };
      assert.deepEqual(await c.call('CONFIG', 'SET', 'appendonly', 'no'), loadingErr);
      assert.deepEqual(await c.call('REPLICAOF', 'NO', 'ONE'), loadingErr);
      for (const s of socks) s.destroy();
      await waitFor('async loading over', async () => (await field(c, 'async_loading', 'persistence')) === '0');
      assert.equal(await c.call('GET', 'mykey'), 'myvalue');
      await c.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      c.close();
      await kd.close();
      for (const s of socks) s.destroy();
      await new Promise((r) => fake.close(r));
    }
  });
});

/** A value of `n` bytes that does not compress to nothing (an RDB LZF-compresses long strings). */
function bigValue(n: number, seed: string): string {
  let s = '';
  let x = 0;
  for (const ch of seed) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  while (s.length < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += x.toString(36);
  }
  return s.slice(0, n);
}

/**
 * Big values beyond every listpack/intset limit (and a 250 KB string): a list of 3000 elements
 * some of them 100 bytes long, a hash of 1200 fields with values over hash-max-listpack-value, a
 * set of 1000 members, a zset of 1000 members with a long one, under `prefix`.
 */
async function bigValues(c: RawClient, prefix: string): Promise<void> {
  const ok = (r: RespNode) => assert.ok(!(typeof r === 'object' && r !== null && 't' in r && r.t === '-'), JSON.stringify(r));
  ok(await c.call('SET', `${prefix}:str`, bigValue(250_000, prefix)));
  ok(
    await c.call(
      'RPUSH',
      `${prefix}:list`,
      ...Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? bigValue(100, `${prefix}${i}`) : `e${i}`)),
    ),
  );
  ok(
    await c.call(
      'HSET',
      `${prefix}:hash`,
      ...Array.from({ length: 1200 }, (_, i) => [`f${i}`, i % 5 === 0 ? bigValue(80, `h${i}`) : `v${i}`]).flat(),
    ),
  );
  ok(await c.call('SADD', `${prefix}:set`, ...Array.from({ length: 1000 }, (_, i) => `m${i}`)));
  ok(await c.call('SADD', `${prefix}:intset`, ...Array.from({ length: 1000 }, (_, i) => i * 3)));
  ok(
    await c.call(
      'ZADD',
      `${prefix}:zset`,
      ...Array.from({ length: 1000 }, (_, i) => [i / 7, i === 500 ? bigValue(200, 'z') : `z${i}`]).flat(),
    ),
  );
  ok(await c.call('EXPIRE', `${prefix}:zset`, 9000));
}

/** The encodings (OBJECT ENCODING) of the big values of `bigValues`, to check they are past the compact ones. */
async function bigEncodings(c: RawClient, prefix: string): Promise<RespNode[]> {
  const out: RespNode[] = [];
  for (const t of ['str', 'list', 'hash', 'set', 'intset', 'zset']) out.push(await c.call('OBJECT', 'ENCODING', `${prefix}:${t}`));
  return out;
}

describe('Keydra replica of a redis-server primary: WAIT, script effects, big values, in-memory loads', {
  skip: redisServerPath() === null ? NO_REDIS : false,
}, () => {
  let primary: Peer | null = null;
  let control: Peer | null = null;
  let keydra: Peer | null = null;
  let p: RawClient;
  let k: RawClient;
  let ctl: RawClient;
  before(async () => {
    primary = await startRedis(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']);
    control = await startRedis();
    keydra = await startKeydra({ 'repl-timeout': 5 });
    p = await RawClient.connect((primary as Peer).port);
    k = await RawClient.connect(keydra.port);
    ctl = await RawClient.connect((control as Peer).port);
  });
  after(async () => {
    for (const c of [p, k, ctl]) c?.close();
    await keydra?.close();
    await control?.close();
    await primary?.close();
  });

  it('WAIT on the redis-server primary counts the Keydra replica (its REPLCONF ACKs)', async () => {
    await k.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
    await caughtUp(p, k);
    await p.call('SET', 'waited', '1');
    // Only the Keydra replica is attached: 1 can come from its ACK alone.
    assert.equal(await p.call('WAIT', 1, 5000), 1);
    const t0 = Date.now();
    assert.equal(await p.call('WAIT', 2, 300), 1);
    assert.ok(Date.now() - t0 >= 250, 'WAIT 2 waited for its timeout');
    // The periodic ACK (every second) brings the primary's view of the replica's offset up to date.
    await p.call('INCR', 'waited');
    await waitFor('slave0 offset acked', async () => {
      const off = await field(p, 'master_repl_offset');
      return new RegExp(`port=${(keydra as Peer).port},state=online,offset=${off},`).test(await field(p, 'slave0'));
    });
    await ctl.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
    await caughtUp(p, ctl);
    await p.call('SET', 'waited', '2');
    assert.equal(await p.call('WAIT', 2, 5000), 2);
  });

  it('big values (250 KB string, list/hash/set/zset past the listpack limits) in a full sync and in the stream', async () => {
    await k.call('REPLICAOF', 'NO', 'ONE');
    await ctl.call('REPLICAOF', 'NO', 'ONE');
    await bigValues(p, 'sync');
    assert.deepEqual(await bigEncodings(p, 'sync'), ['raw', 'quicklist', 'hashtable', 'hashtable', 'hashtable', 'skiplist']);
    const full0 = Number(await field(p, 'sync_full', 'stats'));
    await k.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
    await ctl.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    assert.equal(Number(await field(p, 'sync_full', 'stats')), full0 + 2, 'both replicas synced fully (new history after NO ONE)');
    assert.equal(await k.call('STRLEN', 'sync:str'), 250_000);
    const want = await dataset(p);
    assert.deepEqual(await dataset(k), want);
    assert.deepEqual(await dataset(ctl), want);
    // The same in the stream: each a single command of hundreds of KB.
    await bigValues(p, 'stream');
    await p.call('SETRANGE', 'sync:str', 200_000, bigValue(100_000, 'tail'));
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    assert.equal(await k.call('STRLEN', 'sync:str'), 300_000);
    const want2 = await dataset(p);
    assert.deepEqual(await dataset(k), want2);
    assert.deepEqual(await dataset(ctl), want2);
  });

  it('EVAL with TIME and SPOP inside: the effects are replicated (same values on the replica)', async () => {
    await p.call('SADD', 'pool', ...Array.from({ length: 50 }, (_, i) => `p${i}`));
    await p.call('SADD', 'pool2', ...Array.from({ length: 50 }, (_, i) => `q${i}`));
    const script = [
      "local t = redis.call('TIME')",
      "redis.call('SET', KEYS[1], t[1] .. '.' .. t[2])",
      "local m = redis.call('SPOP', KEYS[2])",
      "redis.call('RPUSH', KEYS[3], m)",
      "local ms = redis.call('SPOP', KEYS[2], 3)",
      "for _, x in ipairs(ms) do redis.call('SADD', KEYS[4], x) end",
      "redis.call('SRANDMEMBER', KEYS[2])",
      "redis.call('HSET', KEYS[5], 'at', t[1], 'us', t[2], 'n', redis.call('SCARD', KEYS[2]))",
      'return m',
    ].join('\n');
    for (let i = 0; i < 5; i++) {
      await p.call('EVAL', script, 5, `ts${i}`, 'pool', 'popped', 'popped-many', 'meta');
      await sleep(2);
    }
    // The same from a function (FCALL): TIME's microseconds as a score, SPOP's pick as the member.
    await p.call(
      'FUNCTION',
      'LOAD',
      'REPLACE',
      "#!lua name=poplib\nredis.register_function('popit', function(keys, args) local t = redis.call('TIME'); redis.call('ZADD', keys[2], t[2], redis.call('SPOP', keys[1])); return 1 end)",
    );
    for (let i = 0; i < 5; i++) await p.call('FCALL', 'popit', 2, 'pool2', 'byusec');
    await caughtUp(p, k);
    await caughtUp(p, ctl);
    assert.equal(await k.call('SCARD', 'pool'), 30);
    assert.equal(await k.call('LLEN', 'popped'), 5);
    assert.equal(await k.call('ZCARD', 'byusec'), 5);
    const want = await dataset(p);
    assert.deepEqual(await dataset(k), want);
    assert.deepEqual(await dataset(ctl), want);
    // What the script read from TIME reached the replica as written on the primary.
    assert.equal(await k.call('GET', 'ts3'), await p.call('GET', 'ts3'));
  });

  for (const mode of ['on-empty-db', 'swapdb'] as const) {
    it(`repl-diskless-load ${mode}: a diskless sync from the redis-server primary is loaded in memory, data correct`, async () => {
      await withReplicaPair({ 'repl-diskless-load': mode }, ['--repl-diskless-load', mode], async ({ rep, r, rc }) => {
        // swapdb replaces whatever the replica had; on-empty-db loads in memory only into an empty one.
        if (mode === 'swapdb') {
          await r.call('SET', 'stale', 'old');
          await rc.call('SET', 'stale', 'old');
        }
        await r.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
        await rc.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
        await caughtUp(p, r);
        await caughtUp(p, rc);
        assert.equal(await r.call('EXISTS', 'stale'), 0);
        assert.equal(existsSync(join(rep.dir, 'dump.rdb')), false, 'loaded from the socket, not through a file');
        const want = await dataset(p);
        assert.deepEqual(await dataset(r), want);
        assert.deepEqual(await dataset(rc), want);
        await p.call('SET', `after-${mode}`, '1');
        await p.call('SPOP', 'pool');
        await caughtUp(p, r);
        assert.equal(await r.call('GET', `after-${mode}`), '1');
        assert.deepEqual(await dataset(r), await dataset(p));
        await r.call('REPLICAOF', 'NO', 'ONE');
        await rc.call('REPLICAOF', 'NO', 'ONE');
      });
    });
  }

  it('replica-announce-ip/port of a Keydra replica: the redis-server primary’s INFO slaveN and ROLE show them, as for a redis-server replica', async () => {
    const announce = { 'replica-announce-ip': '10.1.2.3', 'replica-announce-port': 7777 };
    await withReplicaPair(announce, ['--replica-announce-ip', '10.4.5.6', '--replica-announce-port', '8888'], async ({ r, rc }) => {
      await k.call('REPLICAOF', 'NO', 'ONE');
      await ctl.call('REPLICAOF', 'NO', 'ONE');
      await waitFor('no replicas left', async () => (await field(p, 'connected_slaves')) === '0');
      await r.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
      await rc.call('REPLICAOF', '127.0.0.1', (primary as Peer).port);
      await caughtUp(p, r);
      await caughtUp(p, rc);
      await p.call('SET', 'announced', '1');
      assert.equal(await p.call('WAIT', 2, 5000), 2);
      const inf = await info(p);
      const lines = [inf.get('slave0'), inf.get('slave1')].sort();
      // (offset: the ACK WAIT asked for, before WAIT's own REPLCONF GETACK in the stream)
      assert.match(lines[0] as string, /^ip=10\.1\.2\.3,port=7777,state=online,offset=\d+,lag=[01]$/);
      assert.match(lines[1] as string, /^ip=10\.4\.5\.6,port=8888,state=online,offset=\d+,lag=[01]$/);
      const role = (await p.call('ROLE')) as [string, number, string[][]];
      const entries = role[2].map((e) => e.slice(0, 2).join(':')).sort();
      assert.deepEqual(entries, ['10.1.2.3:7777', '10.4.5.6:8888']);
      // The replica's own view is unchanged: its primary's real address.
      assert.equal(await field(r, 'master_port'), String((primary as Peer).port));
      await r.call('REPLICAOF', 'NO', 'ONE');
      await rc.call('REPLICAOF', 'NO', 'ONE');
    });
  });
});

describe('masteruser + masterauth: a Keydra replica authenticating as an ACL user', {
  skip: redisServerPath() === null ? NO_REDIS : false,
}, () => {
  // The primary's default user has another password: a replica sending AUTH <masterauth> alone
  // (as the default user) would be refused; only AUTH repl secret opens the link.
  const primaryArgs = ['--requirepass', 'adminpw', '--repl-diskless-sync-delay', '0'];
  const setupUser = async (c: RawClient) => {
    assert.deepEqual(await c.call('AUTH', 'adminpw'), { t: '+', v: 'OK' });
    assert.deepEqual(await c.call('ACL', 'SETUSER', 'repl', 'on', '>secret', '+psync', '+replconf', '+ping'), { t: '+', v: 'OK' });
  };
  for (const kind of ['redis', 'keydra'] as const) {
    it(`${kind} primary: the link comes up as user repl; a wrong password keeps it down with Redis's log line`, async () => {
      const prim =
        kind === 'redis' ? await startRedis(primaryArgs) : await startKeydra({ requirepass: 'adminpw', 'repl-diskless-sync-delay': 0 });
      const logDir = mkdtempSync(join(tmpdir(), 'keydra-masteruser-'));
      const p = await RawClient.connect((prim as Peer).port);
      const repOpts = { masteruser: 'repl', masterauth: 'secret', log: true, logfile: join(logDir, 'log') };
      const ctlArgs = ['--masteruser', 'repl', '--masterauth', 'secret', '--logfile', 'log'];
      try {
        await withReplicaPair(repOpts, ctlArgs, async ({ r, ctlRep, rc }) => {
          await setupUser(p);
          await p.call('SET', 'k', 'v');
          await r.call('REPLICAOF', '127.0.0.1', (prim as Peer).port);
          await rc.call('REPLICAOF', '127.0.0.1', (prim as Peer).port);
          await caughtUp(p, r);
          await caughtUp(p, rc);
          assert.equal(await r.call('GET', 'k'), 'v');
          const list = (await p.call('CLIENT', 'LIST', 'TYPE', 'replica')) as string;
          const users = list
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => /user=(\S+)/.exec(l)?.[1]);
          assert.deepEqual(users, ['repl', 'repl']);
          await p.call('SET', 'k', 'v2');
          await caughtUp(p, r);
          assert.equal(await r.call('GET', 'k'), 'v2');
          // A wrong password: the next handshake fails; the link stays down, retried, logged as Redis does.
          for (const c of [r, rc]) {
            await c.call('CONFIG', 'SET', 'masterauth', 'wrong');
            await c.call('CLIENT', 'KILL', 'TYPE', 'master');
          }
          await sleep(2500);
          for (const c of [r, rc]) assert.equal(await field(c, 'master_link_status'), 'down');
          await p.call('SET', 'k', 'v3');
          await sleep(300);
          assert.equal(await r.call('GET', 'k'), 'v2');
          const line = 'Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled.';
          const ctlLog = readFileSync(join(ctlRep.dir, 'log'), 'latin1');
          assert.ok(ctlLog.includes(line), 'the redis-server replica logs it');
          const log = readFileSync(join(logDir, 'log'), 'latin1');
          const mine = log.split('\n').filter((l) => l.includes(line));
          assert.ok(mine.length >= 2, `logged at each attempt:\n${log.slice(-2000)}`);
          // Redis's line format: pid:S (a replica) date time # (warning) message.
          assert.match(mine[0], /^\d+:S \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} # Unable to AUTH/);
          // The right password again: the link comes back (partial resync) with the write made meanwhile.
          await r.call('CONFIG', 'SET', 'masterauth', 'secret');
          await caughtUp(p, r);
          assert.equal(await r.call('GET', 'k'), 'v3');
          await r.call('REPLICAOF', 'NO', 'ONE');
          await rc.call('REPLICAOF', 'NO', 'ONE');
        });
      } finally {
        p.close();
        await prim?.close();
        rmSync(logDir, { recursive: true, force: true });
      }
    });
  }
});
