/**
 * Manual failover and replica migration with real processes (src/cluster/cluster.ts,
 * startManualFailover, handleReplicaMigration; Redis's cluster.c clusterCommand FAILOVER,
 * clusterHandleManualFailover, clusterHandleSlaveMigration):
 * - a Keydra cluster made by `redis-cli --cluster create` (3 primaries + 3 replicas):
 *   CLUSTER FAILOVER (coordinated: the primary pauses its clients, the replica catches up to the
 *   primary's offset, then is elected; a client writing all along loses no acknowledged write),
 *   CLUSTER FAILOVER FORCE with the primary frozen by SIGSTOP (elected without the primary; the
 *   primary rejoins as a replica on SIGCONT), CLUSTER FAILOVER TAKEOVER with the two other primaries
 *   frozen (no majority to vote: the replica takes the slots with a new epoch on its own);
 * - a mixed cluster: a Keydra replica runs the coordinated failover of its redis-server primary,
 *   then the redis-server replica does it back against the Keydra primary, then a second Keydra
 *   replica forces it with the redis-server primary frozen;
 * - replica migration (cluster-migration-barrier 1): a primary whose only replica died (orphaned)
 *   receives a replica from a primary with two, on Keydra nodes and, as control, redis-server nodes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { keyHashSlot } from '../../src/store/keyslot.js';
import {
  type ClusterPeer,
  type NodeLine,
  call,
  clusterCreate,
  clusterNodes,
  clusterPort,
  kill9,
  redisCli,
  sleep,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
  waitTopology,
} from '../helpers/cluster.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';

const skip = redisServerPath() === null ? NO_REDIS : false;

/** The port in a CLUSTER NODES address `ip:port@cport`. */
const portOf = (l: NodeLine) => Number(l.addr.split(':')[1].split('@')[0]);
/** The node's own CLUSTER NODES line. */
const me = async (port: number) => (await clusterNodes(port)).find((l) => l.flags.includes('myself')) as NodeLine;
const isErr = (r: RespNode): boolean => typeof r === 'object' && r !== null && !Array.isArray(r) && 't' in r && r.t === '-';
const alive = (n: ClusterPeer) => n.proc.exitCode === null && n.proc.signalCode === null;

/** A key hashing to the first slot of a CLUSTER NODES slot list. */
function keyIn(slots: string[], prefix: string): string {
  const [lo] = slots[0].split('-').map(Number);
  for (let i = 0; ; i++) if (keyHashSlot(`${prefix}${i}`) === lo) return `${prefix}${i}`;
}

/**
 * A client that RPUSHes 0, 1, 2, ... to `key` back to back, starting on `port` and following
 * -MOVED (and reconnecting on a closed link), as a cluster client does. stop() resolves with the
 * values the server acknowledged and the port it was writing to last.
 */
function startWriter(port: number, key: string) {
  let stopped = false;
  let at = port;
  const acked: number[] = [];
  const done = (async () => {
    let c: RawClient | null = null;
    for (let i = 0; !stopped; ) {
      try {
        c ??= await RawClient.connect(at);
        const r = await c.call('RPUSH', key, String(i));
        if (!isErr(r)) {
          acked.push(i++);
          continue;
        }
        const m = /^MOVED \d+ [^:]+:(\d+)$/.exec(text(r));
        if (m !== null) {
          at = Number(m[1]);
          c.close();
          c = null;
        } else await sleep(20); // -TRYAGAIN, -CLUSTERDOWN during the switch
      } catch {
        c?.close();
        c = null;
        await sleep(50);
      }
    }
    c?.close();
  })();
  return {
    acked,
    async stop(): Promise<{ acked: number[]; port: number }> {
      stopped = true;
      await done;
      return { acked, port: at };
    },
  };
}

/** LRANGE key 0 -1 on `port` as numbers. */
async function listOn(port: number, key: string): Promise<number[]> {
  const r = await call(port, 'LRANGE', key, 0, -1);
  assert.ok(Array.isArray(r), `LRANGE on ${port}: ${JSON.stringify(r)}`);
  return (r as string[]).map(Number);
}

/** Waits until `port` is a primary serving exactly `slots`. */
async function waitPrimaryOf(port: number, slots: string[], ms: number, what: string): Promise<void> {
  await waitFor(what, ms, async () => {
    const m = await me(port);
    return m.flags.includes('master') && m.slots.join(' ') === slots.join(' ');
  });
}

/** Waits until `port` is a replica of node `primaryId` (its own view). */
async function waitReplicaOf(port: number, primaryId: string, ms: number, what: string): Promise<void> {
  await waitFor(what, ms, async () => {
    const m = await me(port);
    return m.flags.includes('slave') && m.primary === primaryId;
  });
}

/** Waits until the replica on `port` has its replication link up. */
async function waitLinkUp(port: number, ms = 15_000): Promise<void> {
  await waitFor(`replica ${port} link up`, ms, async () => /master_link_status:up/.test(text(await call(port, 'INFO', 'replication'))));
}

/**
 * Waits until every live node sees `replicaId` as a replica of `primaryId`. The voters must know the
 * candidate is a replica before it asks (Redis denies "it is a master node" on a stale view, and a
 * manual failover without a majority times out): gossip takes up to node-timeout / 2 after a switch.
 */
async function waitAllSee(nodes: ClusterPeer[], replicaId: string, primaryId: string): Promise<void> {
  // 30 s: on a loaded CI machine one node's view once took longer than 15 s; the error names it.
  await waitFor(`every node sees ${replicaId} replicating ${primaryId}`, 30_000, async () => {
    for (const n of nodes.filter(alive)) {
      const l = (await clusterNodes(n.port)).find((x) => x.id === replicaId);
      if (l === undefined || !l.flags.includes('slave') || l.primary !== primaryId)
        throw new Error(`${n.kind} node ${n.port} sees ${l === undefined ? 'no such node' : `flags ${l.flags.join(',')}, primary ${l.primary}`}`);
    }
    return true;
  });
}

/**
 * Coordinated CLUSTER FAILOVER on `replica` while a client writes to its primary: the replica is
 * promoted, the primary follows it, and every write the client had acknowledged (before, during and
 * after the switch) is in the new primary's list.
 */
async function coordinatedFailoverKeepsWrites(replica: ClusterPeer, primary: ClusterPeer, nodes: ClusterPeer[]): Promise<void> {
  const pLine = await me(primary.port);
  const rId = text(await call(replica.port, 'CLUSTER', 'MYID'));
  await waitAllSee(nodes, rId, pLine.id);
  const key = keyIn(pLine.slots, 'mf:');
  await call(primary.port, 'DEL', key);
  const w = startWriter(primary.port, key);
  await waitFor('writes acknowledged before the failover', 10_000, async () => w.acked.length >= 200);
  assert.equal(text(await call(replica.port, 'CLUSTER', 'FAILOVER')), 'OK');
  await waitPrimaryOf(replica.port, pLine.slots, 15_000, 'the replica promoted by CLUSTER FAILOVER');
  await waitReplicaOf(primary.port, rId, 15_000, 'the old primary follows the new one');
  const atSwitch = w.acked.length;
  await waitFor('writes acknowledged by the new primary', 15_000, async () => w.acked.length >= atSwitch + 200);
  const { acked, port } = await w.stop();
  assert.equal(port, replica.port, 'the writer followed -MOVED to the new primary');
  const have = new Set(await listOn(replica.port, key));
  const lost = acked.filter((v) => !have.has(v));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${acked.length} acknowledged writes lost`);
  await waitClusterOk(nodes.filter(alive), 15_000);
}

describe('manual failover in a Keydra cluster (redis-cli --cluster create)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-mf-'));
  const nodes: ClusterPeer[] = [];
  const byPort = new Map<number, ClusterPeer>();
  const stopped = new Set<ClusterPeer>();
  const sigstop = (n: ClusterPeer) => {
    n.proc.kill('SIGSTOP');
    stopped.add(n);
  };
  const sigcont = (n: ClusterPeer) => {
    n.proc.kill('SIGCONT');
    stopped.delete(n);
  };
  /** A replica (not failed) and its primary, as peers, with the primary's line. */
  const pair = async (skipIds: string[] = []) => {
    const view = await clusterNodes(nodes[0].port);
    const r = view.find((l) => l.flags.includes('slave') && !l.flags.includes('fail') && !skipIds.includes(l.primary)) as NodeLine;
    const p = view.find((l) => l.id === r.primary) as NodeLine;
    return { r, p, rPeer: byPort.get(portOf(r)) as ClusterPeer, pPeer: byPort.get(portOf(p)) as ClusterPeer };
  };

  before(async () => {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await clusterPort());
    // A longer node timeout than the other cluster tests: frozen primaries must not be failed over
    // automatically while a test holds them (TAKEOVER), and FORCE must win before any FAIL.
    const started = await Promise.all(
      ports.map((p, i) => startClusterNode('keydra', p, join(root, `n${i}`), ['--cluster-node-timeout', '6000'])),
    );
    for (const n of started) {
      nodes.push(n);
      byPort.set(n.port, n);
    }
    const r = await clusterCreate(nodes, 1);
    assert.equal(r.code, 0, r.out);
    await waitClusterOk(nodes);
    await waitTopology(nodes, 3);
    for (const n of nodes) if ((await me(n.port)).flags.includes('slave')) await waitLinkUp(n.port);
  });
  after(async () => {
    for (const n of stopped) n.proc.kill('SIGCONT');
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('CLUSTER FAILOVER (coordinated): the replica takes over and no acknowledged write is lost', async () => {
    const { rPeer, pPeer } = await pair();
    await coordinatedFailoverKeepsWrites(rPeer, pPeer, nodes);
    const err = await call(rPeer.port, 'CLUSTER', 'FAILOVER');
    assert.deepEqual(err, { t: '-', v: 'ERR You should send CLUSTER FAILOVER to a replica' });
  });

  it('CLUSTER FAILOVER FORCE: elected while the primary is frozen (SIGSTOP); the primary rejoins as its replica', async () => {
    await waitTopology(nodes, 3);
    const { r, p, rPeer, pPeer } = await pair();
    await waitLinkUp(rPeer.port);
    await waitAllSee(nodes, r.id, p.id);
    const key = keyIn(p.slots, 'force:');
    assert.equal(text(await call(pPeer.port, 'SET', key, 'before')), 'OK');
    assert.equal(await call(pPeer.port, 'WAIT', 1, 5000), 1);
    sigstop(pPeer);
    const t0 = Date.now();
    assert.equal(text(await call(rPeer.port, 'CLUSTER', 'FAILOVER', 'FORCE')), 'OK');
    await waitPrimaryOf(rPeer.port, p.slots, 5000, 'the replica promoted by FORCE');
    const took = Date.now() - t0;
    // Before the primary could be flagged FAIL (node timeout 6 s): FORCE, not the automatic failover.
    assert.ok(took < 6000, `FORCE took ${took} ms`);
    assert.equal(await call(rPeer.port, 'GET', key), 'before');
    for (const n of nodes.filter((x) => x !== pPeer)) {
      await waitFor(`${n.port} sees the new owner`, 10_000, async () => {
        const v = (await clusterNodes(n.port)).find((l) => l.id === r.id) as NodeLine;
        return v.flags.includes('master') && v.slots.join(' ') === p.slots.join(' ');
      });
    }
    sigcont(pPeer);
    await waitReplicaOf(pPeer.port, r.id, 15_000, 'the unfrozen primary becomes a replica of the new one');
    await waitClusterOk(nodes, 15_000);
    await waitLinkUp(pPeer.port);
  });

  it('CLUSTER FAILOVER TAKEOVER: promoted with the two other primaries frozen (no majority to vote)', async () => {
    await waitTopology(nodes, 3);
    const { r, p, rPeer, pPeer } = await pair();
    await waitLinkUp(rPeer.port);
    const view = await clusterNodes(rPeer.port);
    const others = view
      .filter((l) => l.flags.includes('master') && l.slots.length > 0 && l.id !== p.id)
      .map((l) => byPort.get(portOf(l)) as ClusterPeer);
    assert.equal(others.length, 2);
    const epochBefore = Math.max(...view.map((l) => Number(l.epoch)));
    for (const o of others) sigstop(o);
    try {
      assert.equal(text(await call(rPeer.port, 'CLUSTER', 'FAILOVER', 'TAKEOVER')), 'OK');
      await waitPrimaryOf(rPeer.port, p.slots, 5000, 'the replica promoted by TAKEOVER');
      const mine = await me(rPeer.port);
      assert.ok(Number(mine.epoch) > epochBefore, `config epoch ${mine.epoch} > ${epochBefore}`);
      await waitReplicaOf(pPeer.port, r.id, 10_000, 'the old primary follows the new one');
    } finally {
      for (const o of others) sigcont(o);
    }
    await waitClusterOk(nodes, 20_000);
    await waitTopology(nodes, 3);
    for (const n of nodes) {
      const v = (await clusterNodes(n.port)).find((l) => l.id === r.id) as NodeLine;
      assert.deepEqual(v.slots, p.slots, `${n.port} sees the slots on the new primary`);
    }
  });
});

describe('manual failover in a mixed cluster (redis-server primaries, Keydra replicas)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-mf-mixed-'));
  let r1: ClusterPeer;
  let r2: ClusterPeer;
  let r3: ClusterPeer;
  let k: ClusterPeer;
  // A second Keydra replica of the shard, for the FORCE test: a replica that won an election less
  // than 4 x node-timeout ago reuses that election's votes and stale epoch when asked again (Redis
  // 7.0's clusterHandleSlaveFailover keeps failover_auth_count until auth_retry_time; redis-server
  // does the same), so FORCE is asked of a node that has not been elected yet.
  let k2: ClusterPeer;
  const all = () => [r1, r2, r3, k, k2];
  let frozen: ClusterPeer | null = null;
  /** When the primaries last voted for a replica of r1 (they vote about r1 again 2 x node-timeout later). */
  let votedAboutR1 = 0;

  before(async () => {
    const ports: number[] = [];
    for (let i = 0; i < 5; i++) ports.push(await clusterPort());
    const extra = ['--cluster-node-timeout', '6000'];
    [r1, r2, r3, k, k2] = await Promise.all(
      (['redis', 'redis', 'redis', 'keydra', 'keydra'] as const).map((kind, i) =>
        startClusterNode(kind, ports[i], join(root, `n${i}`), extra),
      ),
    );
    const created = await clusterCreate([r1, r2, r3]);
    assert.equal(created.code, 0, created.out);
    const r1id = text(await call(r1.port, 'CLUSTER', 'MYID'));
    for (const n of [k, k2]) {
      const add = await redisCli([
        '--cluster',
        'add-node',
        `127.0.0.1:${n.port}`,
        `127.0.0.1:${r1.port}`,
        '--cluster-slave',
        '--cluster-master-id',
        r1id,
      ]);
      assert.equal(add.code, 0, add.out);
      await waitReplicaOf(n.port, r1id, 20_000, `the Keydra node ${n.port} attached to r1`);
    }
    await waitTopology(all(), 3);
    await waitClusterOk(all());
    await waitLinkUp(k.port);
    await waitLinkUp(k2.port);
  });
  after(async () => {
    if (frozen !== null) frozen.proc.kill('SIGCONT');
    await Promise.all(all().map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('a Keydra replica runs CLUSTER FAILOVER of its redis-server primary: no acknowledged write lost', async () => {
    await coordinatedFailoverKeepsWrites(k, r1, all());
    votedAboutR1 = Date.now();
  });

  it('and back: the redis-server replica runs CLUSTER FAILOVER of the Keydra primary, no write lost', async () => {
    await waitLinkUp(r1.port);
    await coordinatedFailoverKeepsWrites(r1, k, all());
  });

  it('CLUSTER FAILOVER FORCE on a Keydra replica with its redis-server primary frozen', async () => {
    const r1id = text(await call(r1.port, 'CLUSTER', 'MYID'));
    try {
      await waitReplicaOf(k2.port, r1id, 15_000, 'k2 follows r1');
    } catch {
      // k2 followed k when k was promoted; after the failback it should follow r1 again (Redis
      // clusterUpdateSlotsConfigWith: its primary lost its slots, or the sub-replica safeguard).
      // Seen once in 10 runs not to happen within 15 s: what this test checks is FORCE, so the
      // operator's way attaches it, and the miss is reported in the test output.
      const m = await me(k2.port);
      console.log(`# k2 did not follow r1 within 15 s (flags ${m.flags.join(',')}, primary ${m.primary}): CLUSTER REPLICATE`);
      assert.equal(text(await call(k2.port, 'CLUSTER', 'REPLICATE', r1id)), 'OK');
      await waitReplicaOf(k2.port, r1id, 15_000, 'k2 follows r1 after CLUSTER REPLICATE');
    }
    await waitLinkUp(k2.port);
    const p = await me(r1.port);
    const kId = text(await call(k2.port, 'CLUSTER', 'MYID'));
    await waitAllSee(all(), kId, p.id);
    const key = keyIn(p.slots, 'force:');
    assert.equal(text(await call(r1.port, 'SET', key, 'before')), 'OK');
    assert.equal(await call(r1.port, 'WAIT', 2, 5000), 2);
    // A primary votes for a replica of a given primary once per 2 x node-timeout (Redis
    // clusterSendFailoverAuthIfNeeded, voted_time): they voted about r1 in the first test.
    await sleep(Math.max(0, votedAboutR1 + 2 * 6000 + 500 - Date.now()));
    r1.proc.kill('SIGSTOP');
    frozen = r1;
    const t0 = Date.now();
    assert.equal(text(await call(k2.port, 'CLUSTER', 'FAILOVER', 'FORCE')), 'OK');
    await waitPrimaryOf(k2.port, p.slots, 5000, 'the Keydra replica promoted by FORCE');
    assert.ok(Date.now() - t0 < 6000);
    assert.equal(await call(k2.port, 'GET', key), 'before');
    for (const n of [r2, r3, k]) {
      await waitFor(`${n.port} sees the Keydra node as the owner`, 10_000, async () => {
        const v = (await clusterNodes(n.port)).find((l) => l.id === kId) as NodeLine;
        return v.flags.includes('master') && v.slots.join(' ') === p.slots.join(' ');
      });
    }
    r1.proc.kill('SIGCONT');
    frozen = null;
    await waitReplicaOf(r1.port, kId, 15_000, 'the unfrozen redis-server primary becomes a replica of the Keydra node');
    await waitClusterOk(all(), 15_000);
  });
});

/**
 * Replica migration: 3 primaries + 3 replicas, a 7th node added as a second replica of primary A,
 * then primary B's only replica killed: once B has been orphaned for 5 s (Redis's
 * CLUSTER_SLAVE_MIGRATION_DELAY) one of A's replicas (the smallest id) replicates B instead.
 */
for (const kind of ['keydra', 'redis'] as const) {
  describe(`replica migration, ${kind} nodes (cluster-migration-barrier 1)`, { skip }, () => {
    const root = mkdtempSync(join(tmpdir(), `keydra-cluster-migration-${kind}-`));
    const nodes: ClusterPeer[] = [];
    const byPort = new Map<number, ClusterPeer>();

    before(async () => {
      const ports: number[] = [];
      for (let i = 0; i < 7; i++) ports.push(await clusterPort());
      const started = await Promise.all(ports.map((p, i) => startClusterNode(kind, p, join(root, `n${i}`))));
      for (const n of started) {
        nodes.push(n);
        byPort.set(n.port, n);
      }
      const r = await clusterCreate(nodes.slice(0, 6), 1);
      assert.equal(r.code, 0, r.out);
      await waitClusterOk(nodes.slice(0, 6));
      await waitTopology(nodes.slice(0, 6), 3);
    });
    after(async () => {
      await Promise.all(nodes.map(stopNode));
      rmSync(root, { recursive: true, force: true });
    });

    it('an orphaned primary receives a replica from the primary that has two', async () => {
      const view = await clusterNodes(nodes[0].port);
      const primaries = view.filter((l) => l.flags.includes('master') && l.slots.length > 0);
      const [a, b] = primaries;
      const bReplica = view.find((l) => l.primary === b.id) as NodeLine;
      const extra = nodes[6];
      const add = await redisCli([
        '--cluster',
        'add-node',
        `127.0.0.1:${extra.port}`,
        `127.0.0.1:${portOf(a)}`,
        '--cluster-slave',
        '--cluster-master-id',
        a.id,
      ]);
      assert.equal(add.code, 0, add.out);
      await waitTopology(nodes, 3);
      const aReplicas = (await clusterNodes(nodes[0].port)).filter((l) => l.primary === a.id).map((l) => l.id);
      assert.equal(aReplicas.length, 2);
      await kill9(byPort.get(portOf(bReplica)) as ClusterPeer);
      const live = nodes.filter(alive);
      const t0 = Date.now();
      await waitFor('one of A’s replicas migrated to the orphaned B', 30_000, async () => {
        for (const n of live) {
          const v = await clusterNodes(n.port);
          const ofB = v.filter((l) => l.primary === b.id && !l.flags.includes('fail'));
          const ofA = v.filter((l) => l.primary === a.id && !l.flags.includes('fail'));
          if (ofB.length !== 1 || ofA.length !== 1 || !aReplicas.includes(ofB[0].id)) return false;
        }
        return true;
      });
      console.log(`# replica migration (${kind}): kill -9 of B's replica → a replica of A serves B after ${Date.now() - t0} ms`);
      // Redis picks the replica with the smallest node id among the primary's healthy replicas.
      const moved = (await clusterNodes(nodes[0].port)).find((l) => l.primary === b.id && !l.flags.includes('fail')) as NodeLine;
      assert.equal(moved.id, [...aReplicas].sort()[0]);
      const movedPeer = byPort.get(portOf(moved)) as ClusterPeer;
      await waitLinkUp(movedPeer.port);
      await waitClusterOk(live, 10_000);
    });
  });
}
