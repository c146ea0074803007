/**
 * Streams persistence against a real redis-server 7.0:
 * - the redis-server fixture (test/fixtures/redis7-streams.rdb) loaded by both servers gives
 *   byte-identical XINFO STREAM FULL / XRANGE / XPENDING replies and DUMP payloads, and identical
 *   results for later writes that depend on the node layout (XTRIM ~);
 * - DUMP/RESTORE both ways (redis-server with sanitize-dump-payload yes), Redis 5/6 type-15
 *   payloads restored in both;
 * - Keydra's SAVE passes redis-check-rdb and loads in redis-server with the same replies;
 * - the AOF rewrite commands of a stream equal redis-server's own rewrite (aof-use-rdb-preamble no);
 * - a stream with groups and pending entries survives SAVE and BGREWRITEAOF + kill -9 + restart
 *   of a keydra-server child process.
 * Times in replies (delivery/seen times) come from the files, so they compare exactly; `idle`
 * fields depend on the clock and are masked.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { rewriteStreamObject } from '../../src/persistence/aof/stream-rewrite.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';
import { encodeListpack } from '../../src/persistence/rdb/listpack.js';
import { decodeRdb, dumpPayload, RdbWriter } from '../../src/persistence/rdb/rdb.js';
import { _internal, encodeRawId } from '../../src/persistence/rdb/stream.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { Keyspace, type KeyspaceHooks, ObjType } from '../../src/store/db.js';
import { Stream, type StreamId } from '../../src/store/stream.js';
import { rng as seeded } from '../helpers/random.js';
import { freePort, NO_REDIS, redisServerPath, startRedis } from '../helpers/servers.js';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'redis7-streams.rdb');
const BIN = join(process.cwd(), 'bin', 'keydra-server.js');
const FIXTURE_KEYS: [number, string][] = [
  [0, 's:big'],
  [0, 's:empty'],
  [0, 's:mk'],
  [0, 's:edge'],
  [0, 's:setid'],
  [0, 's:frag'],
  [3, 's:db3'],
];

const tmp = () => fs.mkdtempSync(join(tmpdir(), 'keydra-streampersist-'));
const text = (n: RespNode) => (typeof n === 'string' ? n : JSON.stringify(n));

/** Masks clock-dependent `idle` values in XINFO CONSUMERS replies and XPENDING extended rows. */
function maskIdle(n: RespNode): RespNode {
  if (!Array.isArray(n)) return n;
  const out = n.map(maskIdle);
  for (let i = 0; i + 1 < out.length; i++) if (out[i] === 'idle') out[i + 1] = 0;
  if (out.length === 4 && typeof out[0] === 'string' && typeof out[2] === 'number' && typeof out[3] === 'number') out[2] = 0;
  return out;
}

/** The queries compared for one stream key: raw replies where deterministic, masked otherwise. */
async function describeKey(c: RawClient, db: number, key: string, opts: { maskSeen?: boolean } = {}): Promise<string[]> {
  await c.send('SELECT', db);
  const out: string[] = [];
  // Labels name the key as $KEY so copies of a stream under other names compare equal.
  const raw = async (...cmd: (string | number)[]) =>
    out.push(`${cmd.map((a) => (a === key ? '$KEY' : a)).join(' ')} => ${(await c.send(...cmd)).raw.toString('latin1')}`);
  await raw('TYPE', key);
  await raw('XLEN', key);
  await raw('XRANGE', key, '-', '+');
  await raw('XREVRANGE', key, '+', '-', 'COUNT', 7);
  await raw('XINFO', 'STREAM', key);
  if (opts.maskSeen) {
    const full = (await c.call('XINFO', 'STREAM', key, 'FULL')) as RespNode;
    out.push(JSON.stringify(full, (_k, v) => v).replace(/"seen-time",\d+/g, '"seen-time",0'));
  } else await raw('XINFO', 'STREAM', key, 'FULL');
  await raw('XINFO', 'GROUPS', key);
  const groups = (await c.call('XINFO', 'GROUPS', key)) as RespNode[][];
  for (const g of groups) {
    const name = text(g[1]);
    await raw('XPENDING', key, name);
    out.push(JSON.stringify(maskIdle(await c.call('XPENDING', key, name, '-', '+', 1000))));
    out.push(JSON.stringify(maskIdle(await c.call('XINFO', 'CONSUMERS', key, name))));
  }
  await c.send('SELECT', 0);
  return out;
}

async function assertSameKeys(a: RawClient, b: RawClient, keys: [number, string][], what: string): Promise<void> {
  for (const [db, key] of keys) assert.deepEqual(await describeKey(b, db, key), await describeKey(a, db, key), `${what}: ${key}`);
}

async function waitRewrite(c: RawClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const info = String(await c.call('INFO', 'persistence'));
    if (/aof_rewrite_in_progress:0/.test(info) && !/aof_rewrite_scheduled:1/.test(info)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('AOF rewrite did not finish');
}

describe('streams persistence vs redis-server 7.0', () => {
  let dir = '';
  let redis: Awaited<ReturnType<typeof startRedis>> = null;
  let keydra: Awaited<ReturnType<typeof startServer>> | null = null;
  let r: RawClient;
  let k: RawClient;

  before(async () => {
    if (redisServerPath() === null) return;
    dir = tmp();
    fs.copyFileSync(FIXTURE, join(dir, 'fixture.rdb'));
    redis = await startRedis(['--dir', dir, '--dbfilename', 'fixture.rdb', '--sanitize-dump-payload', 'yes']);
    // CONFIG SET dir/dbfilename in the tests: protected configs (Redis 7.0 enable-protected-configs).
    keydra = await startServer({ port: 0, dir, dbfilename: 'fixture.rdb', save: '', appendonly: false, 'enable-protected-configs': 'yes' });
    r = await RawClient.connect(redis!.port);
    k = await RawClient.connect(keydra.port);
  });

  after(async () => {
    r?.close();
    k?.close();
    await keydra?.close();
    await redis?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads the redis-server fixture with identical XINFO FULL / XRANGE / XPENDING replies', async (t) => {
    if (redis === null) return t.skip(NO_REDIS);
    assert.equal(String(await k.call('DBSIZE')), String(await r.call('DBSIZE')));
    await assertSameKeys(r, k, FIXTURE_KEYS, 'fixture');
  });

  it('DUMP payloads are byte-identical, and RESTORE works both ways', async (t) => {
    if (redis === null) return t.skip(NO_REDIS);
    for (const [db, key] of FIXTURE_KEYS) {
      await r.send('SELECT', db);
      await k.send('SELECT', db);
      const dr = (await r.send('DUMP', key)).node as string;
      const dk = (await k.send('DUMP', key)).node as string;
      assert.equal(Buffer.from(dk, 'latin1').toString('hex'), Buffer.from(dr, 'latin1').toString('hex'), `DUMP ${key}`);
      // Keydra's payload restores in redis-server (deep sanitization on), Redis's in Keydra.
      assert.equal(text(await r.call('RESTORE', `${key}:fromk`, 0, Buffer.from(dk, 'latin1'))), JSON.stringify({ t: '+', v: 'OK' }));
      assert.equal(text(await k.call('RESTORE', `${key}:fromr`, 0, Buffer.from(dr, 'latin1'))), JSON.stringify({ t: '+', v: 'OK' }));
      assert.deepEqual(await describeKey(k, db, `${key}:fromr`), await describeKey(r, db, `${key}:fromk`), `restored ${key}`);
      assert.deepEqual(await describeKey(k, db, `${key}:fromr`), await describeKey(k, db, key), `restored copy of ${key}`);
      await r.send('SELECT', db);
      await k.send('SELECT', db);
      await r.send('DEL', `${key}:fromk`);
      await k.send('DEL', `${key}:fromr`);
    }
    await r.send('SELECT', 0);
    await k.send('SELECT', 0);
  });

  it('writes after loading see the same node layout (XTRIM ~, XDEL, XADD)', async (t) => {
    if (redis === null) return t.skip(NO_REDIS);
    const writes: (string | number)[][] = [
      ['XTRIM', 's:big', 'MAXLEN', '~', 170],
      ['XADD', 's:big', '1000-300', 'name', 'late', 'n', 300],
      ['XDEL', 's:big', '1000-120', '1000-240'],
      ['XTRIM', 's:big', 'MINID', '~', '1000-230'],
      ['XADD', 's:edge', 'MAXLEN', '~', 1, '*', 'x', 'y'],
      ['XACK', 's:big', 'g1', '1000-4', '1000-8'],
      ['XGROUP', 'SETID', 's:big', 'g2', '1000-150'],
      ['XADD', 's:empty', '6-0', 'a', 'again'],
      ['XSETID', 's:frag', '9-9'],
    ];
    for (const w of writes)
      assert.equal((await k.send(...w)).raw.toString('latin1'), (await r.send(...w)).raw.toString('latin1'), w.join(' '));
    await assertSameKeys(r, k, FIXTURE_KEYS, 'after writes');
  });

  it("Keydra's SAVE passes redis-check-rdb and loads in redis-server with the same replies", async (t) => {
    if (redis === null || keydra === null) return t.skip(NO_REDIS);
    const out = tmp();
    try {
      await k.send('CONFIG', 'SET', 'dir', out);
      await k.send('CONFIG', 'SET', 'dbfilename', 'keydra.rdb');
      assert.equal((await k.send('SAVE')).raw.toString(), '+OK\r\n');
      await k.send('CONFIG', 'SET', 'dir', dir);
      await k.send('CONFIG', 'SET', 'dbfilename', 'fixture.rdb');
      const check = spawnSync('redis-check-rdb', [join(out, 'keydra.rdb')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout);
      assert.match(check.stdout, /RDB looks OK/);
      const r2 = await startRedis(['--dir', out, '--dbfilename', 'keydra.rdb', '--sanitize-dump-payload', 'yes']);
      assert.ok(r2);
      const c2 = await RawClient.connect(r2.port);
      try {
        await assertSameKeys(c2, k, FIXTURE_KEYS, 'Keydra file in redis-server');
      } finally {
        c2.close();
        await r2.close();
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('restores Redis 5/6 type-15 payloads as redis-server does (first-id, entries-added, entries-read derived)', async (t) => {
    if (redis === null) return t.skip(NO_REDIS);
    const id = (s: string): StreamId => ({ ms: BigInt(s.split('-')[0]), seq: BigInt(s.split('-')[1]) });
    const s = new Stream();
    for (let i = 1; i <= 6; i++) s.add(id(`10-${i}`), ['k', String(i)]);
    s.delete(id('10-4'));
    const w = new RdbWriter();
    const nodes = _internal.buildNodes(s);
    w.len(nodes.length);
    for (const [m, lp] of nodes) {
      w.string(encodeRawId(m));
      w.string(lp);
    }
    w.len(5);
    w.len(10);
    w.len(6);
    const groups: [string, string][] = [
      ['at-first', '10-1'],
      ['at-last', '10-6'],
      ['before', '0-0'],
      ['middle', '10-3'],
      ['ahead', '11-0'],
    ];
    w.len(groups.length);
    for (const [name, last] of groups) {
      w.string(name);
      w.len(Number(id(last).ms));
      w.len(Number(id(last).seq));
      const pel = name === 'at-last' ? ['10-2', '10-5'] : [];
      w.len(pel.length);
      for (const p of pel) {
        w.latin1(encodeRawId(id(p)));
        w.int64LE(1700000000123);
        w.len(3);
      }
      w.len(pel.length > 0 ? 1 : 0);
      if (pel.length > 0) {
        w.string('worker');
        w.int64LE(1700000000456);
        w.len(pel.length);
        for (const p of pel) w.latin1(encodeRawId(id(p)));
      }
    }
    const body = Buffer.concat([Buffer.from([15]), w.result(), Buffer.from([9, 0])]);
    const payload = Buffer.concat([body, new Crc64().update(body, 0, body.length).bytesLE()]);
    for (const c of [r, k]) assert.equal((await c.send('RESTORE', 'v1', 0, payload)).raw.toString(), '+OK\r\n');
    await assertSameKeys(r, k, [[0, 'v1']], 'type 15');
  });

  it('rejects corrupt stream payloads in RESTORE with the same error as redis-server', async (t) => {
    if (redis === null) return t.skip(NO_REDIS);
    /** A one-entry stream payload whose group/consumer data is broken in one way. */
    const corrupt = (how: 'missing-nack' | 'dup-pel' | 'length' | 'dup-group') => {
      const lp = encodeListpack(['1', '0', '1', 'f', '0', '2', '0', '0', 'v', '4']);
      const w = new RdbWriter();
      w.len(1);
      w.string(encodeRawId({ ms: 1n, seq: 1n }));
      w.string(lp.toString('latin1'));
      w.len(how === 'length' ? 2 : 1);
      for (const n of [1, 1, 1, 1, 0, 0, 1]) w.len(n);
      const ngroups = how === 'dup-group' ? 2 : 1;
      w.len(ngroups);
      for (let g = 0; g < ngroups; g++) {
        w.string('g');
        for (const n of [1, 1, 1]) w.len(n);
        const pel = how === 'dup-pel' ? 2 : 1;
        w.len(pel);
        for (let i = 0; i < pel; i++) {
          w.latin1(encodeRawId({ ms: 1n, seq: 1n }));
          w.int64LE(1000);
          w.len(1);
        }
        w.len(1);
        w.string('c');
        w.int64LE(1000);
        w.len(1);
        w.latin1(encodeRawId({ ms: 1n, seq: how === 'missing-nack' ? 2n : 1n }));
      }
      const body = Buffer.concat([Buffer.from([19]), w.result(), Buffer.from([10, 0])]);
      return Buffer.concat([body, new Crc64().update(body, 0, body.length).bytesLE()]);
    };
    for (const how of ['missing-nack', 'dup-pel', 'dup-group'] as const) {
      const p = corrupt(how);
      const rr = (await r.send('RESTORE', `bad:${how}`, 0, p)).raw.toString();
      const kr = (await k.send('RESTORE', `bad:${how}`, 0, p)).raw.toString();
      assert.equal(kr, rr, how);
      assert.match(kr, /^-ERR Bad data format/);
      assert.equal(String(await k.call('EXISTS', `bad:${how}`)), '0');
    }
    // A length that does not match the entries: redis-server takes it as is (it never counts),
    // Keydra refuses it rather than serve a stream whose XLEN lies.
    assert.match((await k.send('RESTORE', 'bad:length', 0, corrupt('length'))).raw.toString(), /^-ERR Bad data format/);
  });
});

describe('streams built by the same commands on both servers', () => {
  it('DUMP byte-identically after random XADD/XDEL/XTRIM/XGROUP/XSETID sequences', async (t) => {
    if (redisServerPath() === null) return t.skip(NO_REDIS);
    const redis = await startRedis();
    assert.ok(redis);
    const keydra = await startServer({ port: 0, dir: tmp(), save: '', appendonly: false });
    const r = await RawClient.connect(redis.port);
    const k = await RawClient.connect(keydra.port);
    try {
      const next = seeded(2026);
      const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
      const fieldSets = [['a'], ['a', 'b'], ['name', 'n'], ['x', 'y', 'z']];
      for (let round = 0; round < 6; round++) {
        const key = `rs${round}`;
        let ms = int(0, 5);
        let seq = 0;
        const ids: string[] = [];
        const cmds: (string | number)[][] = [];
        for (let i = 0; i < 400; i++) {
          const op = int(0, 99);
          if (op < 80) {
            if (int(0, 3) === 0) {
              ms += int(1, 1000);
              seq = 0;
            } else seq += int(1, 3);
            const id = `${ms}-${seq}`;
            ids.push(id);
            const f: string[] = [];
            for (const nm of fieldSets[int(0, fieldSets.length - 1)])
              f.push(nm, int(0, 5) === 0 ? 'v'.repeat(int(0, 900)) : String(int(-100000, 100000)));
            cmds.push(['XADD', key, id, ...f]);
          } else if (op < 90 && ids.length > 0) cmds.push(['XDEL', key, ids[int(0, ids.length - 1)], ids[int(0, ids.length - 1)]]);
          else if (op < 93) cmds.push(['XTRIM', key, 'MAXLEN', '~', int(150, 300)]);
          else if (op < 95) cmds.push(['XTRIM', key, 'MAXLEN', int(150, 300)]);
          else if (op < 97 && ids.length > 0) cmds.push(['XGROUP', 'CREATE', key, `g${i}`, ids[int(0, ids.length - 1)]]);
          else if (ids.length > 0) cmds.push(['XTRIM', key, 'MINID', '~', ids[int(0, Math.floor(ids.length / 4))]]);
        }
        cmds.push(['XSETID', key, `${ms + 10}-0`, 'ENTRIESADDED', 100000, 'MAXDELETEDID', `${ms}-0`]);
        for (const c of cmds)
          assert.equal((await k.send(...c)).raw.toString('latin1'), (await r.send(...c)).raw.toString('latin1'), c.join(' ').slice(0, 200));
        const len = Number(await k.call('XLEN', key));
        assert.ok(len > 50, `${key} has ${len} entries`);
        assert.equal(
          (await k.send('XINFO', 'STREAM', key)).raw.toString('latin1'),
          (await r.send('XINFO', 'STREAM', key)).raw.toString('latin1'),
        );
        const dr = (await r.call('DUMP', key)) as string;
        const dk = (await k.call('DUMP', key)) as string;
        assert.equal(Buffer.from(dk, 'latin1').toString('hex'), Buffer.from(dr, 'latin1').toString('hex'), `DUMP ${key}`);
      }
    } finally {
      r.close();
      k.close();
      await keydra.close();
      await redis.close();
    }
  });
});

describe('stream AOF rewrite commands', () => {
  it("equal redis-server's own rewrite (aof-use-rdb-preamble no)", async (t) => {
    if (redisServerPath() === null) return t.skip(NO_REDIS);
    const redis = await startRedis(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
    assert.ok(redis);
    const keydra = await startServer({ port: 0, dir: tmp(), save: '', appendonly: false });
    const r = await RawClient.connect(redis.port);
    const k = await RawClient.connect(keydra.port);
    try {
      const setup: (string | number)[][] = [];
      for (let i = 1; i <= 130; i++)
        setup.push(['XADD', 'st', `500-${i}`, ...(i % 2 ? ['a', String(i)] : ['b', 'x'.repeat(i), 'c', String(-i)])]);
      setup.push(
        ['XDEL', 'st', '500-3', '500-77'],
        ['XGROUP', 'CREATE', 'st', 'grp', '500-20', 'ENTRIESREAD', 20],
        ['XGROUP', 'CREATE', 'st', 'another', '0'],
        ['XGROUP', 'CREATECONSUMER', 'st', 'grp', 'idle'],
        ['XCLAIM', 'st', 'grp', 'alice', 0, '500-5', '500-6', 'TIME', 1700000000000, 'RETRYCOUNT', 4, 'FORCE', 'JUSTID'],
        ['XCLAIM', 'st', 'grp', 'bob', 0, '500-9', 'TIME', 1700000005000, 'RETRYCOUNT', 1, 'FORCE', 'JUSTID'],
        ['XADD', 'empty', '1-1', 'f', 'v'],
        ['XDEL', 'empty', '1-1'],
        ['XGROUP', 'CREATE', 'empty', 'eg', '$'],
        ['XGROUP', 'CREATECONSUMER', 'empty', 'eg', 'c'],
        ['XSETID', 'empty', '5-5', 'ENTRIESADDED', 9, 'MAXDELETEDID', '3-0'],
      );
      for (const c of setup)
        assert.equal((await k.send(...c)).raw.toString('latin1'), (await r.send(...c)).raw.toString('latin1'), c.join(' '));
      assert.match((await r.send('BGREWRITEAOF')).raw.toString(), /rewriting started/);
      await waitRewrite(r);
      const aofDir = join(redis.dir, 'appendonlydir');
      const manifest = fs.readFileSync(join(aofDir, 'appendonly.aof.manifest'), 'latin1');
      const base = /file (\S+) seq \d+ type b/.exec(manifest)?.[1];
      assert.ok(base, manifest);
      const commands = parseResp(fs.readFileSync(join(aofDir, base)));
      for (const key of ['st', 'empty']) {
        const o = keydra.server.keyspace.dbs[0].table.get(key);
        assert.ok(o && o.type === ObjType.Stream);
        const mine = rewriteStreamObject(key, o.value as Stream);
        const theirs = commands.filter((c) => c[0] !== 'SELECT' && (c[1] === key || c[2] === key));
        assert.deepEqual(mine, theirs, key);
        // Replaying the commands in Keydra rebuilds the same stream.
        for (const c of mine) await k.send(...c.map((a) => (a === key ? `${key}:replay` : a)));
        const a = await describeKey(k, 0, key, { maskSeen: true });
        const b = await describeKey(k, 0, `${key}:replay`, { maskSeen: true });
        assert.deepEqual(b, a, `${key} replayed`);
      }
    } finally {
      r.close();
      k.close();
      await keydra.close();
      await redis.close();
    }
  });
});

describe('BGSAVE snapshots of streams are point-in-time', () => {
  // Each stream write runs in the same event-loop batch as BGSAVE, before the snapshot reaches
  // the stream (the last key): the file must hold the stream as it was before the write.
  // XACK, XCLAIM, XAUTOCLAIM and XREADGROUP change groups in place after a read lookup (as
  // Redis's handlers do, relying on fork): they call Keyspace.beforeWrite first, so the
  // snapshot copies the stream before the change.
  const cases: [string, string[]][] = [
    ['XADD', ['XADD', 'zz', '2-0', 'f', 'v']],
    ['XDEL', ['XDEL', 'zz', '1-5']],
    ['XTRIM', ['XTRIM', 'zz', 'MAXLEN', '3']],
    ['XSETID', ['XSETID', 'zz', '9-9']],
    ['XGROUP CREATE', ['XGROUP', 'CREATE', 'zz', 'g2', '0']],
    ['XGROUP SETID', ['XGROUP', 'SETID', 'zz', 'g', '1-40']],
    ['XGROUP CREATECONSUMER', ['XGROUP', 'CREATECONSUMER', 'zz', 'g', 'eve']],
    ['XGROUP DELCONSUMER', ['XGROUP', 'DELCONSUMER', 'zz', 'g', 'alice']],
    ['XGROUP DESTROY', ['XGROUP', 'DESTROY', 'zz', 'g']],
    ['XACK', ['XACK', 'zz', 'g', '1-1', '1-2']],
    ['XCLAIM', ['XCLAIM', 'zz', 'g', 'carol', '0', '1-3']],
    ['XAUTOCLAIM', ['XAUTOCLAIM', 'zz', 'g', 'dave', '0', '0']],
    ['XREADGROUP >', ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '5', 'STREAMS', 'zz', '>']],
    ['XREADGROUP history', ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 'zz', '0']],
  ];
  let srv: Awaited<ReturnType<typeof startServer>>;
  let c: RawClient;
  let dir = '';
  before(async () => {
    dir = tmp();
    srv = await startServer({ port: 0, dir, save: '', appendonly: false });
    c = await RawClient.connect(srv.port);
    for (let b = 0; b < 50; b++) {
      const a = ['MSET'];
      for (let i = 0; i < 2000; i++) a.push(`k${b}:${i}`, 'v'.repeat(50));
      await c.send(...a);
    }
  });
  after(async () => {
    c?.close();
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;
  for (const [name, cmd] of cases) {
    it(name, async () => {
      await c.send('DEL', 'zz');
      for (let i = 1; i <= 50; i++) await c.send('XADD', 'zz', `1-${i}`, 'f', String(i));
      await c.send('XGROUP', 'CREATE', 'zz', 'g', '0');
      await c.send('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 10, 'STREAMS', 'zz', '>');
      const expected = Buffer.from((await c.call('DUMP', 'zz')) as string, 'latin1');
      const [bg, w] = await c.pipeline([['BGSAVE'], cmd]);
      assert.match(bg.raw.toString(), /^\+Background saving started/);
      assert.doesNotMatch(w.raw.toString(), /^-/);
      for (let i = 0; i < 400 && /rdb_bgsave_in_progress:1/.test(String(await c.call('INFO', 'persistence'))); i++)
        await new Promise((r) => setTimeout(r, 25));
      const ks = new Keyspace(16, hooks);
      decodeRdb(fs.readFileSync(join(dir, 'dump.rdb')), ks);
      const o = ks.dbs[0].table.get('zz');
      assert.ok(o);
      assert.equal(Buffer.from(dumpPayload(o), 'latin1').toString('hex'), expected.toString('hex'));
    });
  }
});

/** Parses a RESP command stream (an AOF) into argv arrays. */
function parseResp(b: Buffer): string[][] {
  const out: string[][] = [];
  let p = 0;
  const line = () => {
    const e = b.indexOf('\r\n', p, 'latin1');
    const s = b.toString('latin1', p, e);
    p = e + 2;
    return s;
  };
  while (p < b.length) {
    const n = Number(line().slice(1));
    const argv: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = Number(line().slice(1));
      argv.push(b.toString('latin1', p, p + len));
      p += len + 2;
    }
    out.push(argv);
  }
  return out;
}

// ---- real processes ----------------------------------------------------------------------

async function spawnKeydra(dir: string, port: number, extra: string[] = []): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`keydra-server exited ${proc.exitCode}: ${stderr}`);
    try {
      const c = await RawClient.connect(port);
      await c.call('PING');
      c.close();
      return proc;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`keydra-server did not start: ${stderr}`);
}

async function kill9(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

/** Builds streams with groups, consumers and pending entries through commands. */
async function buildStreams(c: RawClient): Promise<void> {
  for (let i = 1; i <= 260; i++) {
    const f = i % 5 === 0 ? ['kind', 'odd', 'payload', 'p'.repeat(i % 40)] : ['user', `u${i}`, 'score', String(i * 7)];
    await c.send('XADD', 'jobs', `1700000000000-${i}`, ...f);
  }
  await c.send('XDEL', 'jobs', '1700000000000-10', '1700000000000-150');
  await c.send('XGROUP', 'CREATE', 'jobs', 'workers', '0');
  await c.send('XGROUP', 'CREATE', 'jobs', 'audit', '$');
  await c.send('XREADGROUP', 'GROUP', 'workers', 'w1', 'COUNT', 30, 'STREAMS', 'jobs', '>');
  await c.send('XREADGROUP', 'GROUP', 'workers', 'w2', 'COUNT', 20, 'STREAMS', 'jobs', '>');
  await c.send('XACK', 'jobs', 'workers', '1700000000000-1', '1700000000000-2');
  await c.send('XCLAIM', 'jobs', 'workers', 'w2', 0, '1700000000000-5', 'RETRYCOUNT', 9);
  await c.send('XGROUP', 'CREATECONSUMER', 'jobs', 'workers', 'spare');
  await c.send('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM');
  await c.send('XSETID', 'empty', '77-7', 'ENTRIESADDED', 12, 'MAXDELETEDID', '70-0');
}

const STREAM_KEYS: [number, string][] = [
  [0, 'jobs'],
  [0, 'empty'],
];

describe('streams survive restarts of a keydra-server process', () => {
  /** Runs `fn` with a spawner whose processes and clients are all killed/closed afterwards. */
  async function withProcesses(fn: (start: (extra?: string[]) => Promise<RawClient>, restart: () => Promise<void>) => Promise<void>) {
    const dir = tmp();
    const port = await freePort();
    let proc: ChildProcess | null = null;
    let args: string[] = [];
    const clients: RawClient[] = [];
    const start = async (extra: string[] = []) => {
      args = extra;
      proc = await spawnKeydra(dir, port, args);
      const c = await RawClient.connect(port);
      clients.push(c);
      return c;
    };
    try {
      await fn(start, async () => {
        for (const c of clients.splice(0)) c.close();
        if (proc) await kill9(proc);
        proc = null;
      });
    } finally {
      for (const c of clients) c.close();
      if (proc) await kill9(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('SAVE, kill -9, restart: identical replies', async () => {
    await withProcesses(async (start, kill) => {
      let c = await start();
      await buildStreams(c);
      assert.equal((await c.send('SAVE')).raw.toString(), '+OK\r\n');
      const before: string[][] = [];
      for (const [db, key] of STREAM_KEYS) before.push(await describeKey(c, db, key));
      await kill();
      c = await start();
      for (let i = 0; i < STREAM_KEYS.length; i++) assert.deepEqual(await describeKey(c, ...STREAM_KEYS[i]), before[i]);
    });
  });

  it('BGREWRITEAOF then more writes, kill -9, restart from the AOF: same streams', async () => {
    const aof = ['--appendonly', 'yes', '--appendfsync', 'always'];
    await withProcesses(async (start, kill) => {
      let c = await start(aof);
      await buildStreams(c);
      assert.match((await c.send('BGREWRITEAOF')).raw.toString(), /rewriting/);
      await waitRewrite(c);
      // After the rewrite: these go to the new INCR file as propagated commands.
      await c.send('XADD', 'jobs', '1700000000001-0', 'user', 'after', 'score', '1');
      await c.send('XREADGROUP', 'GROUP', 'workers', 'w3', 'COUNT', 4, 'STREAMS', 'jobs', '>');
      await c.send('XACK', 'jobs', 'workers', '1700000000000-3');
      await c.send('XDEL', 'jobs', '1700000000000-200');
      const before: string[][] = [];
      for (const [db, key] of STREAM_KEYS) before.push(await describeKey(c, db, key, { maskSeen: true }));
      await kill();
      c = await start(aof);
      for (let i = 0; i < STREAM_KEYS.length; i++)
        assert.deepEqual(await describeKey(c, ...STREAM_KEYS[i], { maskSeen: true }), before[i], STREAM_KEYS[i][1]);
    });
  });
});
