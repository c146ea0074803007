/**
 * One cluster of redis-server 7.0 and Keydra nodes (Keydra speaks Redis 7.0's cluster bus):
 * `redis-cli --cluster create` over two redis-server primaries and a Keydra primary, replicas
 * attached with `--cluster add-node --cluster-slave` so that a Keydra node replicates a
 * redis-server primary and a redis-server node replicates a Keydra primary; `--cluster check`
 * passes through either kind and both see the same slot map; `--cluster reshard` moves slots with
 * keys from a redis-server primary to a Keydra one and on to another redis-server; a Keydra replica takes over its
 * killed redis-server primary, a redis-server replica takes over its killed Keydra primary, and
 * CLUSTER FAILOVER on a Keydra replica of a redis-server primary swaps them. Then six nodes of both
 * kinds made into one cluster, primaries and replicas, by a single `--cluster create --cluster-replicas 1`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  type ClusterPeer,
  type NodeLine,
  call,
  clusterCall,
  clusterCheck,
  clusterCreate,
  clusterNodes,
  clusterPort,
  kill9,
  redisCli,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
} from '../helpers/cluster.js';

const skip = redisServerPath() === null ? NO_REDIS : false;
const NODE_TIMEOUT = 2000;

describe('mixed cluster: redis-server and Keydra nodes', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-mixed-'));
  let r1: ClusterPeer; // redis primary, replicated by k2
  let k1: ClusterPeer; // keydra primary, replicated by r3
  let r2: ClusterPeer; // redis primary, replicated by k3
  let k2: ClusterPeer;
  let r3: ClusterPeer;
  let k3: ClusterPeer;
  const all = () => [r1, k1, r2, k2, r3, k3];
  const alive = () => all().filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  const id = async (n: ClusterPeer) => text(await call(n.port, 'CLUSTER', 'MYID'));
  const me = async (n: ClusterPeer) => (await clusterNodes(n.port)).find((l) => l.flags.includes('myself')) as NodeLine;

  before(async () => {
    const kinds: ['redis' | 'keydra', string][] = [
      ['redis', 'r1'],
      ['keydra', 'k1'],
      ['redis', 'r2'],
      ['keydra', 'k2'],
      ['redis', 'r3'],
      ['keydra', 'k3'],
    ];
    const ports: number[] = [];
    for (let i = 0; i < kinds.length; i++) ports.push(await clusterPort());
    [r1, k1, r2, k2, r3, k3] = await Promise.all(kinds.map(([kind, name], i) => startClusterNode(kind, ports[i], join(root, name))));
    const created = await clusterCreate([r1, k1, r2]);
    assert.equal(created.code, 0, created.out);
    for (const [replica, primary] of [
      [k2, r1],
      [r3, k1],
      [k3, r2],
    ] as const) {
      const r = await redisCli([
        '--cluster',
        'add-node',
        `127.0.0.1:${replica.port}`,
        `127.0.0.1:${primary.port}`,
        '--cluster-slave',
        '--cluster-master-id',
        await id(primary),
      ]);
      assert.equal(r.code, 0, r.out);
    }
    await waitFor('every replica attached', 20_000, async () => {
      for (const [replica, primary] of [
        [k2, r1],
        [r3, k1],
        [k3, r2],
      ] as const) {
        const m = await me(replica);
        if (!m.flags.includes('slave') || m.primary !== (await id(primary))) return false;
      }
      return true;
    });
    await waitClusterOk(all());
  });
  after(async () => {
    await Promise.all(all().map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('redis-cli --cluster check passes through a redis-server node and through a Keydra node', async () => {
    for (const n of [r1, k1, k2, r3]) {
      const r = await clusterCheck(n.port);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /\[OK\] All nodes agree about slots configuration\./);
      assert.match(r.out, /\[OK\] All 16384 slots covered\./);
      assert.match(r.out, /3 additional replica|1 additional replica/);
    }
  });

  it("each kind sees the same slot map and the other kind's slots (CLUSTER SLOTS, CLUSTER NODES)", async () => {
    const slotMap = async (n: ClusterPeer) =>
      ((await call(n.port, 'CLUSTER', 'SLOTS')) as RespNode[][])
        .map((r) => `${String(r[0])}-${String(r[1])}:${String((r[2] as RespNode[])[2])}`)
        .sort();
    const fromRedis = await slotMap(r1);
    assert.equal(fromRedis.length, 3);
    for (const n of [k1, k2, r3, k3]) assert.deepEqual(await slotMap(n), fromRedis);
    const k1id = await id(k1);
    const seenByRedis = (await clusterNodes(r2.port)).find((l) => l.id === k1id) as NodeLine;
    const k1self = await me(k1);
    assert.deepEqual(seenByRedis.slots, k1self.slots);
    assert.ok(seenByRedis.flags.includes('master'));
  });

  it('a redis-server replica follows its Keydra primary and a Keydra replica its redis-server primary', async () => {
    const role = async (n: ClusterPeer) => (await call(n.port, 'ROLE')) as RespNode[];
    await waitFor('r3 connected to k1', 10_000, async () => (await role(r3))[3] === 'connected' && (await role(r3))[2] === k1.port);
    await waitFor('k2 connected to r1', 10_000, async () => (await role(k2))[3] === 'connected' && (await role(k2))[2] === r1.port);
  });

  it('redis-cli --cluster reshard moves slots with keys from redis-server to Keydra and back', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`);
    for (const k of keys) assert.equal(text(await clusterCall(k1.port, 'SET', k, `v-${k}`)), 'OK');
    const reshard = (from: ClusterPeer, to: ClusterPeer, n: number) =>
      Promise.all([id(from), id(to)]).then(([f, t]) =>
        redisCli([
          '--cluster',
          'reshard',
          `127.0.0.1:${k1.port}`,
          '--cluster-from',
          f,
          '--cluster-to',
          t,
          '--cluster-slots',
          String(n),
          '--cluster-yes',
        ]),
      );
    const before = (await me(k1)).slots.join(' ');
    let r = await reshard(r1, k1, 200);
    assert.equal(r.code, 0, r.out);
    await waitFor('k1 owns more slots', 10_000, async () => (await me(k1)).slots.join(' ') !== before);
    r = await reshard(k1, r2, 150);
    assert.equal(r.code, 0, r.out);
    // Once the new owners' pings have spread, every node agrees (redis-cli --cluster check).
    for (const n of [r1, k1])
      await waitFor(`--cluster check through ${n.kind}`, 10_000, async () => (await clusterCheck(n.port)).code === 0);
    for (const k of keys) assert.equal(await clusterCall(r2.port, 'GET', k), `v-${k}`);
    // Every node agrees on who owns what.
    const owners = async (n: ClusterPeer) =>
      ((await call(n.port, 'CLUSTER', 'SLOTS')) as RespNode[][])
        .map((x) => `${String(x[0])}-${String(x[1])}:${String((x[2] as RespNode[])[2])}`)
        .sort();
    const ref = await owners(r1);
    await waitFor('the same slot map everywhere', 10_000, async () => {
      for (const n of all()) if (JSON.stringify(await owners(n)) !== JSON.stringify(ref)) return false;
      return true;
    });
  });

  it('kill -9 of a redis-server primary: its Keydra replica takes over within node-timeout + 3 s', async () => {
    const r1id = await id(r1);
    const slots = (await clusterNodes(r1.port)).find((l) => l.id === r1id)?.slots.join(' ');
    const t0 = Date.now();
    await kill9(r1);
    await waitFor('k2 promoted', NODE_TIMEOUT + 3000, async () => {
      const m = await me(k2);
      return m.flags.includes('master') && m.slots.join(' ') === slots;
    });
    console.log(`# mixed cluster (node timeout ${NODE_TIMEOUT} ms): kill -9 → Keydra replica promoted ${Date.now() - t0} ms`);
    assert.ok(Date.now() - t0 <= NODE_TIMEOUT + 3000, `promoted after ${Date.now() - t0} ms`);
    await waitClusterOk(alive(), 10_000);
    for (const n of alive()) {
      const l = (await clusterNodes(n.port)).find((x) => x.id === r1id) as NodeLine;
      assert.ok(l.flags.includes('fail'), `${n.kind}:${n.port} sees ${l.flags.join(',')}`);
    }
  });

  it('kill -9 of a Keydra primary: its redis-server replica takes over', async () => {
    const k1id = await id(k1);
    const slots = (await me(k1)).slots.join(' ');
    const t0 = Date.now();
    await kill9(k1);
    await waitFor('r3 promoted', NODE_TIMEOUT + 3000, async () => {
      const m = await me(r3);
      return m.flags.includes('master') && m.slots.join(' ') === slots;
    });
    console.log(`# mixed cluster (node timeout ${NODE_TIMEOUT} ms): kill -9 → redis-server replica promoted ${Date.now() - t0} ms`);
    assert.ok(Date.now() - t0 <= NODE_TIMEOUT + 3000, `promoted after ${Date.now() - t0} ms`);
    await waitClusterOk(alive(), 10_000);
    const l = (await clusterNodes(k3.port)).find((x) => x.id === k1id) as NodeLine;
    assert.ok(l.flags.includes('fail'));
  });

  it('CLUSTER FAILOVER on a Keydra replica of a redis-server primary swaps them', async () => {
    const r2id = await id(r2);
    const k3id = await id(k3);
    assert.equal(text(await call(k3.port, 'CLUSTER', 'FAILOVER')), 'OK');
    await waitFor('k3 primary, r2 its replica', 10_000, async () => {
      const a = await me(k3);
      const b = await me(r2);
      return a.flags.includes('master') && b.flags.includes('slave') && b.primary === k3id;
    });
    await waitClusterOk(alive(), 10_000);
    const r = await clusterCheck(r2.port);
    assert.equal(r.code, 0, r.out);
    await waitFor('every node sees r2 as a replica', 10_000, async () => {
      for (const n of alive()) if (!(await clusterNodes(n.port)).find((l) => l.id === r2id)?.flags.includes('slave')) return false;
      return true;
    });
  });
});

describe('mixed cluster made by one redis-cli --cluster create (3 primaries + 3 replicas of both kinds)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-mixed-create-'));
  const nodes: ClusterPeer[] = [];
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('create --cluster-replicas 1 over redis-server and Keydra nodes interleaved: cluster ok, check passes through each kind, keys cross kinds', async () => {
    const kinds = ['redis', 'keydra', 'redis', 'keydra', 'redis', 'keydra'] as const;
    const ports: number[] = [];
    for (let i = 0; i < kinds.length; i++) ports.push(await clusterPort());
    nodes.push(...(await Promise.all(kinds.map((k, i) => startClusterNode(k, ports[i], join(root, `${k}-${i}`))))));
    const created = await clusterCreate(nodes, 1);
    assert.equal(created.code, 0, created.out);
    await waitClusterOk(nodes);
    await waitFor('every replica attached', 20_000, async () => {
      const view = await clusterNodes(nodes[0].port);
      return view.filter((l) => l.flags.includes('slave') && l.primary !== '-').length === 3;
    });
    for (const n of [nodes[0], nodes[1]]) {
      await waitFor(`--cluster check through ${n.kind}`, 20_000, async () => (await clusterCheck(n.port)).code === 0);
    }
    // Three primaries hold the slots and three replicas follow them, the two kinds mixed (which
    // node gets which role is redis-cli's choice: its anti-affinity step swaps at random when all
    // nodes share one host); each node sees the same slot map.
    // (nodes[1] may still be learning the others' roles and slots from gossip: wait for it too.)
    let view: NodeLine[] = [];
    await waitFor('three primaries with slots and three replicas seen by a second node', 20_000, async () => {
      view = await clusterNodes(nodes[1].port);
      const p = view.filter((l) => l.flags.includes('master') && l.slots.length > 0).length;
      const r = view.filter((l) => l.flags.includes('slave') && l.primary !== '-').length;
      return p === 3 && r === 3;
    });
    const kindOf = (l: NodeLine) => (nodes.find((n) => l.addr.startsWith(`127.0.0.1:${n.port}@`)) as ClusterPeer).kind;
    const primaries = view.filter((l) => l.flags.includes('master') && l.slots.length > 0);
    const replicas = view.filter((l) => l.flags.includes('slave'));
    assert.equal(primaries.length, 3);
    assert.equal(replicas.length, 3);
    assert.deepEqual([...new Set([...primaries, ...replicas].map(kindOf))].sort(), ['keydra', 'redis']);
    const slotMap = async (n: ClusterPeer) =>
      ((await call(n.port, 'CLUSTER', 'SLOTS')) as RespNode[][])
        .map((r) => `${String(r[0])}-${String(r[1])}:${String((r[2] as RespNode[])[2])}`)
        .sort();
    const ref = await slotMap(nodes[0]);
    for (const n of nodes)
      await waitFor(`slot map on ${n.kind}:${n.port}`, 10_000, async () => JSON.stringify(await slotMap(n)) === JSON.stringify(ref));
    // Keys written through a Keydra node land on every primary and read back through a redis-server node.
    for (let i = 0; i < 200; i++) assert.equal(text(await clusterCall(nodes[1].port, 'SET', `mix:${i}`, `v${i}`)), 'OK');
    for (let i = 0; i < 200; i++) assert.equal(await clusterCall(nodes[0].port, 'GET', `mix:${i}`), `v${i}`);
  });
});
