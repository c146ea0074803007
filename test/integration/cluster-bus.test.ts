/**
 * Redis Cluster with Keydra nodes (src/cluster): `redis-cli --cluster create` of 3 Keydra
 * primaries and 3 replicas, `--cluster check`, CLUSTER INFO/NODES/SLOTS/SHARDS compared in shape
 * with an all-redis-server cluster built the same way, nodes.conf in Redis's format, PUBLISH and
 * SPUBLISH over the bus; and the CLUSTER node/slot subcommands' replies and errors compared byte
 * for byte with a fresh redis-server 7.0 node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { keyHashSlot } from '../../src/store/keyslot.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  type ClusterPeer,
  call,
  callRaw,
  clusterCheck,
  clusterCreate,
  clusterInfoField,
  clusterNodes,
  clusterPort,
  shape,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
  waitTopology,
} from '../helpers/cluster.js';

const skip = redisServerPath() === null ? NO_REDIS : false;

describe('cluster bus: 3 Keydra primaries + 3 replicas beside an all-redis cluster', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-bus-'));
  const keydra: ClusterPeer[] = [];
  const redis: ClusterPeer[] = [];
  let created = { code: -1, out: '' };
  let redisCreated = { code: -1, out: '' };

  before(async () => {
    const starts: Promise<ClusterPeer>[] = [];
    for (let i = 0; i < 6; i++) {
      const kp = await clusterPort();
      const rp = await clusterPort();
      starts.push(startClusterNode('keydra', kp, join(root, `k${i}`)));
      starts.push(startClusterNode('redis', rp, join(root, `r${i}`)));
    }
    for (const p of await Promise.all(starts)) (p.kind === 'keydra' ? keydra : redis).push(p);
    [created, redisCreated] = await Promise.all([clusterCreate(keydra, 1), clusterCreate(redis, 1)]);
  });
  after(async () => {
    await Promise.all([...keydra, ...redis].map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('redis-cli --cluster create succeeds over Keydra nodes', () => {
    assert.equal(redisCreated.code, 0, redisCreated.out);
    assert.equal(created.code, 0, created.out);
    assert.match(created.out, /\[OK\] All nodes agree about slots configuration\./);
    assert.match(created.out, /\[OK\] All 16384 slots covered\./);
  });

  it('cluster_state becomes ok on every node, with 6 known nodes and 3 primaries', async () => {
    await waitClusterOk(keydra);
    await waitTopology(keydra, 3);
    for (const n of keydra) {
      assert.equal(await clusterInfoField(n.port, 'cluster_known_nodes'), '6');
      assert.equal(await clusterInfoField(n.port, 'cluster_size'), '3');
      await waitFor('every slot ok', 5000, async () => (await clusterInfoField(n.port, 'cluster_slots_ok')) === '16384');
    }
    await waitClusterOk(redis);
    await waitTopology(redis, 3);
  });

  it('redis-cli --cluster check passes through a primary and through a replica', async () => {
    for (const n of [keydra[0], keydra[5]]) {
      const r = await clusterCheck(n.port);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /\[OK\] All nodes agree about slots configuration\./);
      assert.match(r.out, /\[OK\] All 16384 slots covered\./);
      assert.doesNotMatch(r.out, /\[ERR\]|\[WARNING\]/);
    }
  });

  it('CLUSTER INFO has the fields of redis-server, in its order', async () => {
    const names = async (port: number) =>
      text(await call(port, 'CLUSTER', 'INFO'))
        .split('\r\n')
        .filter((l) => l !== '')
        .map((l) => l.split(':')[0])
        .filter(
          (n) => !n.startsWith('cluster_stats_messages_') || n === 'cluster_stats_messages_sent' || n === 'cluster_stats_messages_received',
        );
    assert.deepEqual(await names(keydra[0].port), await names(redis[0].port));
  });

  it('CLUSTER NODES: same roles, slots, epochs and link states as the redis cluster', async () => {
    const summary = async (port: number) => {
      const lines = await clusterNodes(port);
      const byId = new Map(lines.map((l) => [l.id, l]));
      return lines
        .map((l) => ({
          flags: l.flags.filter((f) => f !== 'myself').join(','),
          slots: l.flags.includes('master') ? l.slots.join(' ') : (byId.get(l.primary)?.slots.join(' ') ?? '?'),
          epochDigits: /^\d+$/.test(l.epoch),
          link: l.link,
          addr: /^127\.0\.0\.1:\d+@\d+$/.test(l.addr),
          ping: l.pingSent === '0',
        }))
        .sort((a, b) => `${a.flags}${a.slots}`.localeCompare(`${b.flags}${b.slots}`));
    };
    await waitFor('every link connected', 10_000, async () => (await clusterNodes(keydra[0].port)).every((l) => l.link === 'connected'));
    await waitFor('every redis link connected', 10_000, async () =>
      (await clusterNodes(redis[0].port)).every((l) => l.link === 'connected'),
    );
    const settled = async (port: number) => (await summary(port)).filter((l) => l.flags === 'slave' && l.slots !== '?').length === 3;
    for (const port of [keydra[0].port, keydra[4].port, redis[0].port, redis[4].port])
      await waitFor(`3 replicas seen by ${port}`, 10_000, () => settled(port));
    assert.deepEqual(await summary(keydra[0].port), await summary(redis[0].port));
    assert.deepEqual(await summary(keydra[4].port), await summary(redis[4].port));
    for (const n of keydra) assert.equal((await clusterNodes(n.port)).filter((l) => l.flags.includes('myself')).length, 1);
  });

  it('CLUSTER SLOTS and CLUSTER SHARDS have the shape of redis-server', async () => {
    const sortedShape = (r: RespNode) => (Array.isArray(r) ? r.map((x) => JSON.stringify(shape(x))).sort() : shape(r));
    // Replicas appear in SLOTS once they have synced (a non-zero offset).
    await waitFor('replicas listed in CLUSTER SLOTS', 15_000, async () => {
      const s = (await call(keydra[1].port, 'CLUSTER', 'SLOTS')) as RespNode[][];
      const r = (await call(redis[1].port, 'CLUSTER', 'SLOTS')) as RespNode[][];
      return s.every((x) => x.length === 4) && r.every((x) => x.length === 4);
    });
    assert.deepEqual(
      sortedShape(await call(keydra[1].port, 'CLUSTER', 'SLOTS')),
      sortedShape(await call(redis[1].port, 'CLUSTER', 'SLOTS')),
    );
    const slots = (await call(keydra[1].port, 'CLUSTER', 'SLOTS')) as RespNode[][];
    assert.deepEqual(
      slots.map((r) => [r[0], r[1]]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [0, 5460],
        [5461, 10922],
        [10923, 16383],
      ],
    );
    await waitFor('replicas online in CLUSTER SHARDS', 15_000, async () => {
      const k = JSON.stringify(await call(keydra[2].port, 'CLUSTER', 'SHARDS'));
      const r = JSON.stringify(await call(redis[2].port, 'CLUSTER', 'SHARDS'));
      return !k.includes('loading') && !r.includes('loading');
    });
    assert.deepEqual(
      sortedShape(await call(keydra[2].port, 'CLUSTER', 'SHARDS')),
      sortedShape(await call(redis[2].port, 'CLUSTER', 'SHARDS')),
    );
  });

  it('nodes.conf is CLUSTER NODES plus the vars line, and CLUSTER MYID names myself', async () => {
    await call(keydra[0].port, 'CLUSTER', 'SAVECONFIG');
    const conf = readFileSync(join(keydra[0].dir, 'nodes.conf'), 'latin1');
    const lines = conf.split('\n').filter((l) => l !== '');
    assert.match(lines[lines.length - 1], /^vars currentEpoch \d+ lastVoteEpoch \d+$/);
    const myid = text(await call(keydra[0].port, 'CLUSTER', 'MYID'));
    assert.equal(myid.length, 40);
    const mine = lines.find((l) => l.includes('myself'));
    assert.ok(mine?.startsWith(`${myid} 127.0.0.1:${keydra[0].port}@${keydra[0].port + 10000} myself,master - 0 `), mine);
    assert.equal(lines.length, 7);
    const viaCli = (await clusterNodes(keydra[0].port)).map((l) => l.id).sort();
    assert.deepEqual(
      lines
        .slice(0, 6)
        .map((l) => l.split(' ')[0])
        .sort(),
      viaCli,
    );
  });

  it('PUBLISH reaches subscribers of every node; SPUBLISH reaches the shard (primary and replica)', async () => {
    const sub = await RawClient.connect(keydra[2].port);
    await sub.send('SUBSCRIBE', 'news');
    assert.equal(await call(keydra[0].port, 'PUBLISH', 'news', 'hello'), 0);
    const msg = (await sub.readReply()).node;
    assert.deepEqual(msg, ['message', 'news', 'hello']);
    sub.close();
    // A shard channel of the first primary's slots, subscribed on its replica.
    const nodes = await clusterNodes(keydra[0].port);
    const p0 = nodes.find((l) => l.flags.includes('myself')) as { id: string; slots: string[] };
    const replica = nodes.find((l) => l.primary === p0.id) as { addr: string };
    const replicaPort = Number(replica.addr.split(':')[1].split('@')[0]);
    let ch = 'a';
    for (let i = 0; keyHashSlot(ch) > 5460; i++) ch = `ch${i}`;
    const ssub = await RawClient.connect(replicaPort);
    await ssub.send('SSUBSCRIBE', ch);
    await call(keydra[0].port, 'SPUBLISH', ch, 'sharded');
    assert.deepEqual((await ssub.readReply()).node, ['smessage', ch, 'sharded']);
    ssub.close();
  });
});

describe('CLUSTER subcommands on a fresh node: replies and errors as redis-server', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-cmd-'));
  let k: ClusterPeer;
  let r: ClusterPeer;
  before(async () => {
    [k, r] = await Promise.all([
      clusterPort().then((p) => startClusterNode('keydra', p, join(root, 'k'))),
      clusterPort().then((p) => startClusterNode('redis', p, join(root, 'r'))),
    ]);
  });
  after(async () => {
    await Promise.all([stopNode(k), stopNode(r)]);
    rmSync(root, { recursive: true, force: true });
  });

  const script: string[][] = [
    ['CLUSTER', 'INFO'],
    ['CLUSTER', 'SLOTS'],
    ['CLUSTER', 'ADDSLOTS', '16384'],
    ['CLUSTER', 'ADDSLOTS', 'abc'],
    ['CLUSTER', 'ADDSLOTS', '1', '1'],
    ['CLUSTER', 'ADDSLOTS', '1', '2', '3', '100'],
    ['CLUSTER', 'ADDSLOTS', '3'],
    ['CLUSTER', 'ADDSLOTSRANGE', '5', '1'],
    ['CLUSTER', 'ADDSLOTSRANGE', '10', '20', '30'],
    ['CLUSTER', 'ADDSLOTSRANGE', '10', '20', '200', '300'],
    ['CLUSTER', 'DELSLOTS', '5000'],
    ['CLUSTER', 'DELSLOTSRANGE', '15', '16'],
    ['CLUSTER', 'DELSLOTSRANGE', '250', '260', '260', '270'],
    ['CLUSTER', 'NODES'],
    ['CLUSTER', 'SETSLOT', '9000', 'MIGRATING', 'abc'],
    ['CLUSTER', 'SETSLOT', '100', 'MIGRATING', 'abc'],
    ['CLUSTER', 'SETSLOT', '100', 'IMPORTING', 'abc'],
    ['CLUSTER', 'SETSLOT', '9000', 'IMPORTING', 'abc'],
    ['CLUSTER', 'SETSLOT', '100', 'NODE', 'abc'],
    ['CLUSTER', 'SETSLOT', '100', 'FOO'],
    ['CLUSTER', 'SETSLOT', '100', 'STABLE', 'x'],
    ['CLUSTER', 'SETSLOT', 'x', 'STABLE'],
    ['CLUSTER', 'SETSLOT', '100', 'MIGRATING', '$MYID'],
    ['CLUSTER', 'NODES'],
    ['CLUSTER', 'SETSLOT', '100', 'STABLE'],
    ['CLUSTER', 'MEET', '1.2.3', '100'],
    ['CLUSTER', 'MEET', '127.0.0.1', 'abc'],
    ['CLUSTER', 'MEET', '127.0.0.1', '100', 'x'],
    ['CLUSTER', 'MEET', '127.0.0.1', '100', '1', '2'],
    ['CLUSTER', 'MEET', '127.0.0.1', '70000'],
    ['CLUSTER', 'FORGET', 'abc'],
    ['CLUSTER', 'FORGET', '$MYID'],
    ['CLUSTER', 'REPLICATE', 'abc'],
    ['CLUSTER', 'REPLICATE', '$MYID'],
    ['CLUSTER', 'REPLICAS', 'abc'],
    ['CLUSTER', 'SLAVES', '$MYID'],
    ['CLUSTER', 'COUNT-FAILURE-REPORTS', 'abc'],
    ['CLUSTER', 'COUNT-FAILURE-REPORTS', '$MYID'],
    ['CLUSTER', 'FAILOVER'],
    ['CLUSTER', 'FAILOVER', 'FOO'],
    ['CLUSTER', 'FAILOVER', 'FORCE', 'x'],
    ['CLUSTER', 'SET-CONFIG-EPOCH', '-1'],
    ['CLUSTER', 'SET-CONFIG-EPOCH', 'abc'],
    ['CLUSTER', 'BUMPEPOCH'],
    ['CLUSTER', 'BUMPEPOCH'],
    ['CLUSTER', 'SET-CONFIG-EPOCH', '5'],
    ['CLUSTER', 'RESET', 'FOO'],
    ['CLUSTER', 'NOPE'],
    ['CLUSTER', 'HELP'],
    ['CLUSTER', 'FLUSHSLOTS'],
    ['CLUSTER', 'NODES'],
    ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383'],
    ['CLUSTER', 'SLOTS'],
    ['CLUSTER', 'RESET', 'SOFT'],
    ['CLUSTER', 'NODES'],
    ['CLUSTER', 'INFO'],
    ['CLUSTER', 'SHARDS'],
    ['CLUSTER', 'LINKS'],
    ['REPLICAOF', '127.0.0.1', '1'],
    ['FAILOVER'],
    ['INFO', 'cluster'],
  ];

  it('the same script gives the same bytes (ids and ports masked)', async () => {
    const run = async (p: ClusterPeer) => {
      const myid = text(await call(p.port, 'CLUSTER', 'MYID'));
      const c = await RawClient.connect(p.port);
      const out: string[] = [];
      for (const argv of script) {
        const raw = (await c.send(...argv.map((a) => (a === '$MYID' ? myid : a)))).raw.toString('latin1');
        out.push(
          `${argv.join(' ')} => ${raw
            .split(myid)
            .join('<ID>')
            .split(String(p.port + 10000))
            .join('<CPORT>')
            .split(String(p.port))
            .join('<PORT>')}`,
        );
      }
      c.close();
      return out;
    };
    const expected = await run(r);
    const actual = await run(k);
    for (let i = 0; i < expected.length; i++) assert.equal(actual[i], expected[i]);
  });

  it('malformed bus messages cost the link, never the node', async () => {
    const send = (b: Buffer) =>
      new Promise<void>((resolve) => {
        const s = net.connect(k.port + 10000, '127.0.0.1', () => {
          s.write(b);
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 100);
        });
        s.on('error', () => resolve());
      });
    const msg = (type: number, totlen: number, fill: (b: Buffer) => void = () => {}) => {
      const b = Buffer.alloc(Math.max(totlen, 2256));
      b.write('RCmb', 0, 'latin1');
      b.writeUInt32BE(totlen, 4);
      b.writeUInt16BE(1, 8);
      b.writeUInt16BE(type, 12);
      b.write('z'.repeat(40), 40, 'latin1');
      fill(b);
      return b.subarray(0, Math.max(totlen, 8));
    };
    const rnd = Buffer.alloc(5000);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 7919) & 0xff;
    await send(rnd);
    await send(msg(0, 100)); // shorter than a header
    await send(msg(0, 2256, (b) => b.writeUInt16BE(50, 14))); // 50 gossip entries announced, none sent
    await send(msg(2, 2256 + 104, (b) => b.write('bad name!', 2256, 'latin1'))); // MEET with a bogus gossip name
    await send(msg(4, 2264, (b) => b.writeUInt32BE(0xffffffff, 2256))); // PUBLISH lengths beyond the message
    await send(
      msg(0, 2256 + 8, (b) => {
        b[2253] = 4;
        b.writeUInt16BE(1, 2214);
        b.writeUInt32BE(8000, 2256);
      }),
    ); // extension overflow
    await send(msg(7, 2256 + 2096)); // UPDATE from an unknown sender
    await send(msg(99, 2256)); // unknown type
    assert.deepEqual(await call(k.port, 'PING'), { t: '+', v: 'PONG' });
    assert.equal(text(await call(k.port, 'CLUSTER', 'MYID')).length, 40);
  });

  it('CLUSTER RESET HARD gives a new node id and epoch 0; the id persists in nodes.conf', async () => {
    const before = text(await call(k.port, 'CLUSTER', 'MYID'));
    assert.equal(text(await call(k.port, 'CLUSTER', 'RESET', 'HARD')), 'OK');
    const after = text(await call(k.port, 'CLUSTER', 'MYID'));
    assert.notEqual(after, before);
    assert.equal(await clusterInfoField(k.port, 'cluster_current_epoch'), '0');
    await waitFor('nodes.conf rewritten', 2000, () => readFileSync(join(k.dir, 'nodes.conf'), 'latin1').startsWith(after));
    assert.equal(await callRaw(k.port, 'INFO', 'cluster'), await callRaw(r.port, 'INFO', 'cluster'));
  });
});

describe('a node started in cluster mode with data takes the slots of its keys (as redis-server)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-data-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("unassigned slots holding keys become myself's", async () => {
    const run = async (kind: 'keydra' | 'redis') => {
      const dir = join(root, kind);
      const port = await clusterPort();
      const plain = await startClusterNode(kind, port, dir, ['--cluster-enabled', 'no']);
      for (const k of ['a', 'b', '{user1}x', 'zz']) await call(port, 'SET', k, '1');
      assert.equal(text(await call(port, 'SAVE')), 'OK');
      await stopNode(plain);
      const node = await startClusterNode(kind, port, dir);
      const mine = (await clusterNodes(port)).find((l) => l.flags.includes('myself'));
      await stopNode(node);
      return mine?.slots;
    };
    const expected = await run('redis');
    assert.deepEqual(await run('keydra'), expected);
    assert.equal(expected?.length, 4);
  });
});
