/**
 * Redis Cluster's keyspace side on Keydra nodes (src/server/clusterRouter.ts, src/store/slotIndex.ts,
 * src/commands/cluster/keys.ts): the same scenario runs on a 2-node redis-server 7.0 cluster and on
 * a 2-node Keydra cluster built the same way (ADDSLOTSRANGE + MEET), and every raw reply is compared
 * (ports replaced by the node's role): CLUSTER KEYSLOT (hash tags, empty tags, binary keys),
 * COUNTKEYSINSLOT/GETKEYSINSLOT and their errors, -MOVED, -CROSSSLOT, MULTI/EXEC with a moved
 * command, SELECT/MOVE/COPY DB/SWAPDB refused, READONLY/READWRITE/ASKING, scripts touching non-local
 * keys or several slots, no-cluster scripts, SPUBLISH/SSUBSCRIBE, a migrating/importing slot (-ASK,
 * -TRYAGAIN, ASKING one-shot on the importing node), an unserved slot and a cluster down
 * (-CLUSTERDOWN, cluster-allow-reads-when-down). Then ioredis Cluster and node-redis createCluster
 * follow MOVED/ASK over 3 Keydra primaries built by `redis-cli --cluster create`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import { RawClient } from '../../src/client/rawClient.js';
import { keyHashSlot } from '../../src/store/keyslot.js';
import {
  type ClusterPeer,
  call,
  clusterCreate,
  clusterInfoField,
  clusterPort,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
} from '../helpers/cluster.js';
import { NO_REDIS, redisServerPath, startKeydra } from '../helpers/servers.js';

const skip = redisServerPath() === null ? NO_REDIS : false;

/** Keys for the scenario: X serves slots 0-8191, Y 8192-16383. */
const LOCAL = 'bar'; // slot 5061 (X)
const LOCAL2 = 'b'; // slot 3300 (X)
const REMOTE = 'foo'; // slot 12182 (Y)
const TAGGED = '{bar}x'; // slot 5061

/** Builds a cluster of `kind`: X gets slots 0-8191, Y the rest, Z is a replica of X. */
async function threeNodes(kind: 'keydra' | 'redis', root: string): Promise<[ClusterPeer, ClusterPeer, ClusterPeer]> {
  const x = await startClusterNode(kind, await clusterPort(), join(root, `${kind}-x`));
  const y = await startClusterNode(kind, await clusterPort(), join(root, `${kind}-y`));
  const z = await startClusterNode(kind, await clusterPort(), join(root, `${kind}-z`));
  await call(x.port, 'CLUSTER', 'ADDSLOTSRANGE', 0, 8191);
  await call(y.port, 'CLUSTER', 'ADDSLOTSRANGE', 8192, 16383);
  await call(x.port, 'CLUSTER', 'MEET', '127.0.0.1', y.port);
  await call(z.port, 'CLUSTER', 'MEET', '127.0.0.1', x.port);
  await waitClusterOk([x, y, z]);
  const xid = text(await call(x.port, 'CLUSTER', 'MYID'));
  await waitFor('Z knows X', 10_000, async () => text(await call(z.port, 'CLUSTER', 'REPLICATE', xid)) === 'OK');
  await waitFor('Z in sync with X', 20_000, async () => /master_link_status:up/.test(text(await call(z.port, 'INFO', 'replication'))));
  return [x, y, z];
}

/**
 * The scenario: commands sent to X (client a) and Y (client b); each raw reply with the nodes'
 * ports and ids replaced by X/Y.
 */
async function scenario(x: ClusterPeer, y: ClusterPeer, z: ClusterPeer): Promise<string[]> {
  const a = await RawClient.connect(x.port);
  const b = await RawClient.connect(y.port);
  const r = await RawClient.connect(z.port);
  const xid = text(await a.call('CLUSTER', 'MYID'));
  const yid = text(await b.call('CLUSTER', 'MYID'));
  const out: string[] = [];
  const norm = (s: string) =>
    s.replaceAll(String(x.port), 'XPORT').replaceAll(String(y.port), 'YPORT').replaceAll(xid, 'XID').replaceAll(yid, 'YID');
  const on = async (c: RawClient, ...cmd: (string | Buffer | number)[]) => {
    const r = await c.send(...cmd);
    out.push(`${norm(cmd.map(String).join(' ')).slice(0, 60)} => ${norm(r.raw.toString('latin1'))}`);
  };
  // KEYSLOT: tags, empty and unclosed tags, binary keys.
  for (const k of ['foo', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'foo{bar}{zap}', '{}', '{', '}{', '', 'a{b'])
    await on(a, 'CLUSTER', 'KEYSLOT', k);
  await on(a, 'CLUSTER', 'KEYSLOT', Buffer.from([0, 255, 0x7b, 1, 0x7d, 200]));
  await on(a, 'CLUSTER', 'KEYSLOT', Buffer.from([0xff, 0xfe, 0x80]));
  // Local and moved keys.
  await on(a, 'SET', LOCAL, '1');
  await on(a, 'SET', TAGGED, '2');
  await on(a, 'SET', LOCAL2, '3');
  await on(a, 'SET', REMOTE, '1');
  await on(a, 'GET', REMOTE);
  await on(b, 'SET', REMOTE, 'y');
  await on(a, 'MGET', LOCAL, REMOTE);
  await on(a, 'MGET', LOCAL, TAGGED);
  await on(a, 'MGET', LOCAL, LOCAL2);
  await on(a, 'PING');
  await on(a, 'DBSIZE');
  // Slot index.
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 5061);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 3300);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 12182);
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 5061, 10);
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 5061, 1);
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 5061, 0);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 16384);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', -1);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 'x');
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 16384, 1);
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 1, -1);
  await on(a, 'CLUSTER', 'GETKEYSINSLOT', 1, 'x');
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT');
  await on(a, 'DEL', TAGGED);
  await on(a, 'CLUSTER', 'COUNTKEYSINSLOT', 5061);
  // Transactions.
  await on(a, 'MULTI');
  await on(a, 'SET', LOCAL, '2');
  await on(a, 'SET', REMOTE, '2');
  await on(a, 'EXEC');
  await on(a, 'MULTI');
  await on(a, 'INCR', LOCAL);
  await on(a, 'GET', LOCAL);
  await on(a, 'EXEC');
  await on(a, 'MULTI');
  await on(a, 'GET', LOCAL);
  await on(a, 'GET', LOCAL2);
  await on(a, 'EXEC');
  // Only db 0.
  await on(a, 'SELECT', 0);
  await on(a, 'SELECT', 1);
  await on(a, 'SELECT', 100);
  await on(a, 'MOVE', LOCAL, 1);
  await on(a, 'COPY', LOCAL, '{bar}copy', 'DB', 1);
  await on(a, 'COPY', LOCAL, '{bar}copy', 'DB', 0);
  await on(a, 'SWAPDB', 0, 1);
  // Connection flags.
  await on(a, 'READONLY');
  await on(a, 'GET', REMOTE);
  await on(a, 'READWRITE');
  await on(a, 'ASKING');
  await on(a, 'GET', REMOTE);
  await on(a, 'CLIENT', 'NO-EVICT', 'off');
  // A replica of X: MOVED to X unless READONLY (reads only); Y's slots always MOVED.
  await on(a, 'SET', LOCAL2, 'r');
  await on(a, 'WAIT', 1, 5000);
  await on(r, 'GET', LOCAL2);
  await on(r, 'READONLY');
  await on(r, 'GET', LOCAL2);
  await on(r, 'MGET', LOCAL2, LOCAL2);
  await on(r, 'SET', LOCAL2, 'w');
  await on(r, 'GET', REMOTE);
  await on(r, 'EVAL_RO', 'return redis.call("get",KEYS[1])', 1, LOCAL2);
  await on(r, 'MULTI');
  await on(r, 'GET', LOCAL2);
  await on(r, 'EXEC');
  await on(r, 'READWRITE');
  await on(r, 'GET', LOCAL2);
  // MOVED's endpoint (cluster-preferred-endpoint-type).
  await on(a, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'hostname');
  await on(a, 'GET', REMOTE);
  await on(a, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'unknown-endpoint');
  await on(a, 'GET', REMOTE);
  await on(a, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'ip');
  // Scripts.
  await on(a, 'EVAL', `return redis.call('get','${REMOTE}')`, 0);
  await on(a, 'EVAL', 'return redis.call("get",KEYS[1])', 1, REMOTE);
  await on(a, 'EVAL', 'return redis.call("get",KEYS[1])', 1, LOCAL);
  await on(a, 'EVAL', 'return redis.call("get",KEYS[1])', 2, LOCAL, LOCAL2);
  await on(a, 'EVAL', `redis.call('get','${LOCAL}') return redis.call('get','${LOCAL2}')`, 0);
  await on(a, 'EVAL', `return redis.call('get','${LOCAL2}')`, 1, LOCAL);
  await on(a, 'EVAL', `#!lua\nredis.call('get','${LOCAL}') return redis.call('get','${LOCAL2}')`, 0);
  await on(a, 'EVAL', `#!lua\nreturn redis.call('get','${LOCAL2}')`, 1, LOCAL);
  await on(a, 'EVAL', `#!lua flags=allow-cross-slot-keys\nredis.call('get','${LOCAL}') return redis.call('get','${LOCAL2}')`, 0);
  await on(a, 'EVAL', '#!lua flags=no-cluster\nreturn 1', 0);
  await on(a, 'EVAL', `#!lua\nreturn redis.call('get','${REMOTE}')`, 0);
  // Sharded pub/sub channels are keys.
  await on(a, 'SPUBLISH', REMOTE, 'm');
  await on(a, 'SPUBLISH', LOCAL, 'm');
  await on(a, 'SSUBSCRIBE', REMOTE);
  // A slot in migration: X migrating 5061 to Y, Y importing it.
  await on(a, 'CLUSTER', 'SETSLOT', 5061, 'MIGRATING', yid);
  await on(b, 'CLUSTER', 'SETSLOT', 5061, 'IMPORTING', xid);
  await on(a, 'GET', LOCAL);
  await on(a, 'GET', '{bar}missing');
  await on(a, 'MGET', LOCAL, '{bar}missing');
  await on(a, 'MGET', '{bar}missing', '{bar}missing2');
  await on(b, 'GET', '{bar}missing');
  await on(b, 'ASKING');
  await on(b, 'GET', '{bar}missing');
  await on(b, 'GET', '{bar}missing');
  await on(b, 'ASKING');
  await on(b, 'MGET', '{bar}missing', '{bar}missing2');
  await on(b, 'ASKING');
  await on(b, 'SET', '{bar}new', 'v');
  await on(b, 'ASKING');
  await on(b, 'MULTI');
  await on(b, 'GET', '{bar}new');
  await on(b, 'EXEC');
  await on(b, 'RESTORE-ASKING', '{bar}r', 0, 'garbage');
  await on(a, 'CLUSTER', 'SETSLOT', 5061, 'STABLE');
  await on(b, 'CLUSTER', 'SETSLOT', 5061, 'STABLE');
  await on(b, 'CLUSTER', 'COUNTKEYSINSLOT', 5061);
  await on(b, 'CLUSTER', 'GETKEYSINSLOT', 5061, 5);
  await on(a, 'GET', LOCAL);
  // A client blocked on a key of a slot this node gives away gets -MOVED (clientsCron).
  const blk = (() => {
    for (let i = 0; ; i++) {
      const s = keyHashSlot(`blk${i}`);
      if (s < 8192 && s !== 5061 && s !== 3300) return `blk${i}`;
    }
  })();
  const w = await RawClient.connect(x.port);
  const blocked = w.send('BLPOP', blk, 0);
  await new Promise((res) => setTimeout(res, 300));
  await on(a, 'CLUSTER', 'SETSLOT', keyHashSlot(blk), 'NODE', yid);
  out.push(`BLPOP (blocked) => ${norm((await blocked).raw.toString('latin1'))}`);
  await on(a, 'CLUSTER', 'SETSLOT', keyHashSlot(blk), 'NODE', xid);
  await on(a, 'GET', blk);
  w.close();
  // An unserved slot: the cluster goes down (cluster-require-full-coverage yes).
  await on(a, 'CLUSTER', 'DELSLOTS', 3300);
  await waitFor('cluster_state:fail', 10_000, async () => (await clusterInfoField(x.port, 'cluster_state')) === 'fail');
  await on(a, 'GET', LOCAL2);
  await on(a, 'GET', LOCAL);
  await on(a, 'PING');
  await on(a, 'CONFIG', 'SET', 'cluster-allow-reads-when-down', 'yes');
  await on(a, 'GET', LOCAL);
  await on(a, 'SET', LOCAL, '9');
  await on(a, 'EVAL', `return redis.call('set','${LOCAL}','1')`, 0);
  await on(a, 'SPUBLISH', LOCAL, 'm');
  await on(a, 'CONFIG', 'SET', 'cluster-allow-pubsubshard-when-down', 'no');
  await on(a, 'SPUBLISH', LOCAL, 'm');
  await on(a, 'CONFIG', 'SET', 'cluster-allow-reads-when-down', 'no');
  await on(a, 'EVAL', `return redis.call('get','${LOCAL}')`, 0);
  a.close();
  b.close();
  r.close();
  return out;
}

describe('cluster routing: Keydra and redis-server clusters (2 primaries, 1 replica) answer alike', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-routing-'));
  const nodes: ClusterPeer[] = [];
  let redisOut: string[] = [];
  let keydraOut: string[] = [];

  before(async () => {
    const [[rx, ry, rz], [kx, ky, kz]] = await Promise.all([threeNodes('redis', root), threeNodes('keydra', root)]);
    nodes.push(rx, ry, rz, kx, ky, kz);
    [redisOut, keydraOut] = await Promise.all([scenario(rx, ry, rz), scenario(kx, ky, kz)]);
  });
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('the key slots agree with the store (sanity of the scenario keys)', () => {
    assert.equal(keyHashSlot(LOCAL), 5061);
    assert.equal(keyHashSlot(LOCAL2), 3300);
    assert.equal(keyHashSlot(REMOTE), 12182);
    // The scenario reaches every redirection (so the comparison below covers them).
    for (const want of [
      'SET foo 1 => -MOVED 12182 127.0.0.1:YPORT',
      '-ASK 5061 127.0.0.1:YPORT',
      'BLPOP (blocked) => -MOVED',
      'GET b => -MOVED 3300 127.0.0.1:XPORT',
      'GET b => $1\r\nr\r\n',
      '-MOVED 12182 ?:YPORT',
      '-MOVED 12182 :YPORT',
      '-TRYAGAIN Multiple keys request',
      "-CROSSSLOT Keys in request don't hash to the same slot",
      '-CLUSTERDOWN Hash slot not served',
      '-CLUSTERDOWN The cluster is down\r\n',
      '-CLUSTERDOWN The cluster is down and only accepts read commands',
      'Script attempted to access a non local key',
      'Script attempted to access keys that do not hash to the same slot',
      'Script attempted to execute a write command while the cluster is down and readonly',
    ])
      assert.ok(
        redisOut.some((l) => l.includes(want)),
        want,
      );
  });

  it('every reply is byte-identical to redis-server 7.0 (ports and ids normalized)', () => {
    const diffs: string[] = [];
    for (let i = 0; i < Math.max(redisOut.length, keydraOut.length); i++)
      if (keydraOut[i] !== redisOut[i])
        diffs.push(`step ${i}\n  redis:  ${JSON.stringify(redisOut[i])}\n  keydra: ${JSON.stringify(keydraOut[i])}`);
    assert.deepEqual(diffs, []);
  });
});

describe('cluster clients: ioredis Cluster and node-redis createCluster over 3 Keydra primaries', () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-clients-'));
  const nodes: ClusterPeer[] = [];

  before(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startClusterNode('keydra', await clusterPort(), join(root, `n${i}`)));
    const r = await clusterCreate(nodes, 0);
    assert.equal(r.code, 0, r.out);
    await waitClusterOk(nodes);
  });
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('ioredis Cluster: keys over every node, MULTI on one slot, a script, MOVED after a slot moves', async () => {
    const c = new IoCluster([{ host: '127.0.0.1', port: nodes[0].port }], { redisOptions: { maxRetriesPerRequest: 3 } });
    try {
      for (let i = 0; i < 200; i++) await c.set(`k${i}`, String(i));
      for (let i = 0; i < 200; i++) assert.equal(await c.get(`k${i}`), String(i));
      let total = 0;
      for (const n of nodes) total += Number(await call(n.port, 'DBSIZE'));
      assert.equal(total, 200);
      const res = await c.multi().incr('{u1}a').incr('{u1}a').get('{u1}a').exec();
      assert.deepEqual(
        res?.map((x) => x[1]),
        [1, 2, '2'],
      );
      assert.equal(await c.eval('return redis.call("get", KEYS[1])', 1, 'k7'), '7');
      await assert.rejects(c.mget('k1', 'k2'), /CROSSSLOT/);
      // Move the slot of k1 from its owner to another node with its key (MIGRATE), as resharding does.
      const slot = keyHashSlot('k1');
      const ids = await Promise.all(nodes.map(async (n) => text(await call(n.port, 'CLUSTER', 'MYID'))));
      const src = await ownerOf(nodes, slot);
      const dst = nodes.find((n) => n !== src)!;
      const srcId = ids[nodes.indexOf(src)];
      const dstId = ids[nodes.indexOf(dst)];
      await call(dst.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', srcId);
      await call(src.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', dstId);
      // While migrating, a new key of the slot goes to the importing node through -ASK.
      const fresh = sameSlotKey('k1', 'fresh');
      await c.set(fresh, 'new');
      assert.equal(Number(await call(dst.port, 'CLUSTER', 'COUNTKEYSINSLOT', slot)), 1);
      assert.equal(await c.get('k1'), '1');
      const keys = (await call(src.port, 'CLUSTER', 'GETKEYSINSLOT', slot, 100)) as unknown as string[];
      assert.ok(keys.includes('k1'));
      const mig = text(await call(src.port, 'MIGRATE', '127.0.0.1', dst.port, '', 0, 5000, 'KEYS', ...keys));
      assert.equal(mig, 'OK');
      for (const n of nodes) await call(n.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', dstId);
      assert.equal(await c.get('k1'), '1');
      assert.equal(await c.get(fresh), 'new');
      assert.equal(Number(await call(src.port, 'CLUSTER', 'COUNTKEYSINSLOT', slot)), 0);
    } finally {
      c.disconnect();
    }
  });

  it('node-redis createCluster: SET/GET over every slot owner, MULTI on one slot', async () => {
    const c = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${nodes[1].port}` }] });
    await c.connect();
    try {
      for (let i = 0; i < 100; i++) await c.set(`nr${i}`, String(i));
      for (let i = 0; i < 100; i++) assert.equal(await c.get(`nr${i}`), String(i));
      const r = await c.multi().set('{t}a', '1').incr('{t}a').exec();
      assert.deepEqual(r, ['OK', 2]);
    } finally {
      await c.quit();
    }
  });
});

/** The node whose CLUSTER SLOTS says it serves `slot`. */
async function ownerOf(nodes: ClusterPeer[], slot: number): Promise<ClusterPeer> {
  const slots = (await call(nodes[0].port, 'CLUSTER', 'SLOTS')) as unknown as [number, number, [string, number, string]][];
  for (const [lo, hi, [, port]] of slots) if (slot >= lo && slot <= hi) return nodes.find((n) => n.port === Number(port))!;
  throw new Error(`slot ${slot} not served`);
}

/** A key with the slot of `key` (a hash tag of its name). */
function sameSlotKey(key: string, suffix: string): string {
  for (let i = 0; ; i++) {
    const k = `${suffix}${i}`;
    if (keyHashSlot(k) === keyHashSlot(key)) return k;
  }
}

describe('the per-slot key index follows every way a key comes and goes', () => {
  it('COUNTKEYSINSLOT/GETKEYSINSLOT equal a recount of KEYS after a mixed workload', async () => {
    const k = await startKeydra({ 'cluster-enabled': 'yes', port: await clusterPort(), loglevel: 'warning' });
    const c = await RawClient.connect(k.port);
    try {
      assert.equal(text((await c.send('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)).node), 'OK');
      await waitFor('cluster_state:ok', 10_000, async () => (await clusterInfoField(k.port, 'cluster_state')) === 'ok');
      const t = '{t}';
      const steps: (string | number)[][] = [
        ['MSET', `${t}a`, '1', `${t}b`, '2', `${t}c`, '3'],
        ['RENAME', `${t}a`, `${t}a2`],
        ['RENAMENX', `${t}b`, `${t}b2`],
        ['SET', 'px', 'v', 'PX', 1],
        ['RPUSH', `${t}l`, 'x', 'y'],
        ['SORT', `${t}l`, 'ALPHA', 'STORE', `${t}sorted`],
        ['LPOP', `${t}l`],
        ['LPOP', `${t}l`],
        ['SADD', `${t}s1`, 'a', 'b'],
        ['SADD', `${t}s2`, 'b', 'c'],
        ['SINTERSTORE', `${t}dst`, `${t}s1`, `${t}s2`],
        ['SINTERSTORE', `${t}empty`, `${t}s1`, `${t}nosuch`],
        ['ZADD', 'z', 1, 'm'],
        ['ZREM', 'z', 'm'],
        ['HSET', 'h', 'f', 'v'],
        ['GETDEL', `${t}c`],
        ['COPY', `${t}b2`, `${t}copy`],
        ['SET', 'u1', 'x'],
        ['UNLINK', 'u1'],
        ['XADD', 'st', '*', 'f', 'v'],
        ['INCR', 'counter'],
        ['EXPIRE', 'counter', 0],
        ['SET', 'gone', 'x', 'EX', 100],
        ['DEL', 'gone'],
        ['PFADD', 'hll', 'a'],
        ['SETBIT', 'bits', 7, 1],
        ['GEOADD', 'geo', 13.361389, 38.115556, 'Palermo'],
      ];
      for (let i = 0; i < 100; i++) steps.push(['SET', `bulk:${i}`, String(i)]);
      for (let i = 0; i < 100; i += 3) steps.push(['DEL', `bulk:${i}`]);
      for (const s of steps) assert.doesNotMatch((await c.send(...s)).raw.toString(), /^-/, JSON.stringify(s));
      await new Promise((r) => setTimeout(r, 20)); // px expires
      await c.send('GET', 'px'); // lazy expiry
      const raw = (await c.send('DUMP', 'h')).raw;
      const payload = raw.subarray(raw.indexOf('\r\n') + 2, raw.length - 2);
      assert.equal((await c.send('RESTORE', 'restored', 0, payload)).raw.toString(), '+OK\r\n');
      const keys = ((await c.send('KEYS', '*')).node as unknown as string[]).map(String);
      const bySlot = new Map<number, Set<string>>();
      for (const key of keys) {
        const s = keyHashSlot(key);
        if (!bySlot.has(s)) bySlot.set(s, new Set());
        bySlot.get(s)!.add(key);
      }
      assert.equal(Number((await c.send('DBSIZE')).node), keys.length);
      for (const [s, set] of bySlot) {
        assert.equal(Number((await c.send('CLUSTER', 'COUNTKEYSINSLOT', s)).node), set.size, `slot ${s}`);
        const got = ((await c.send('CLUSTER', 'GETKEYSINSLOT', s, 1000)).node as unknown as string[]).map(String);
        assert.deepEqual(new Set(got), set);
      }
      // Slots of deleted keys are empty again.
      assert.equal(Number((await c.send('CLUSTER', 'COUNTKEYSINSLOT', keyHashSlot('u1'))).node), bySlot.get(keyHashSlot('u1'))?.size ?? 0);
      await c.send('FLUSHALL', 'ASYNC');
      for (const s of bySlot.keys()) assert.equal(Number((await c.send('CLUSTER', 'COUNTKEYSINSLOT', s)).node), 0);
    } finally {
      c.close();
      await k.close();
    }
  });
});
