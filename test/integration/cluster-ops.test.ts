/**
 * Operating a Keydra cluster with `redis-cli --cluster` as a Redis user does, with keys in the
 * moving slots and cluster clients reading all along: `info`, `add-node`, `rebalance
 * --cluster-use-empty-masters` (ioredis Cluster reads every key during the move: no error, no key
 * lost), `reshard` back and `del-node`, `fix` closing a slot left open (SETSLOT MIGRATING with no
 * importing side), then kill -9 of a primary: its replica takes over and ioredis Cluster and
 * node-redis createCluster keep reading and writing every key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import {
  type ClusterPeer,
  call,
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
  waitTopology,
} from '../helpers/cluster.js';

const KEYS = 3000;
const key = (i: number) => `ops:${i}`;

describe('redis-cli --cluster operations on Keydra nodes, clients reading throughout', () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-ops-'));
  const nodes: ClusterPeer[] = [];
  let extra: ClusterPeer | null = null;
  const addr = (n: ClusterPeer) => `127.0.0.1:${n.port}`;
  const id = async (n: ClusterPeer) => text(await call(n.port, 'CLUSTER', 'MYID'));

  before(async () => {
    for (let i = 0; i < 6; i++) {
      const port = await clusterPort();
      nodes.push(await startClusterNode('keydra', port, join(root, `n${port}`)));
    }
    const r = await clusterCreate(nodes, 1);
    assert.equal(r.code, 0, r.out);
    await waitClusterOk(nodes);
    await waitTopology(nodes, 3);
    const c = new IoCluster([{ host: '127.0.0.1', port: nodes[0].port }]);
    try {
      for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => c.set(key(i + j), `v${i + j}`)));
    } finally {
      c.disconnect();
    }
  });
  after(async () => {
    for (const n of [...nodes, ...(extra ? [extra] : [])]) await kill9(n);
    rmSync(root, { recursive: true, force: true });
  });

  /** Reads every key through ioredis Cluster in a loop until stopped; counts errors and wrong values. */
  function reader(port: number) {
    const c = new IoCluster([{ host: '127.0.0.1', port }], { redisOptions: { maxRetriesPerRequest: 5 } });
    let stop = false;
    const stats = { rounds: 0, errors: [] as string[] };
    const done = (async () => {
      while (!stop) {
        for (let i = 0; i < KEYS && !stop; i += 50) {
          const ks = Array.from({ length: 50 }, (_, j) => key(i + j)).filter((_, j) => i + j < KEYS);
          try {
            const vals = await Promise.all(ks.map((k) => c.get(k)));
            vals.forEach((v, j) => {
              if (v !== `v${i + j}`) stats.errors.push(`${ks[j]} = ${v}`);
            });
          } catch (e) {
            stats.errors.push((e as Error).message);
          }
        }
        stats.rounds++;
      }
    })();
    return {
      stats,
      async stop() {
        stop = true;
        await done;
        c.disconnect();
      },
    };
  }

  it('--cluster info lists the three primaries and every key', async () => {
    const r = await redisCli(['--cluster', 'info', addr(nodes[0])]);
    assert.equal(r.code, 0, r.out);
    const counts = [...r.out.matchAll(/\((\w{8})\.\.\.\) -> (\d+) keys \| (\d+) slots \| (\d+) slaves?\./g)];
    assert.equal(counts.length, 3, r.out);
    assert.equal(
      counts.reduce((s, m) => s + Number(m[2]), 0),
      KEYS,
    );
    assert.match(r.out, new RegExp(`\\[OK\\] ${KEYS} keys in 3 masters\\.`));
  });

  it('add-node + rebalance --cluster-use-empty-masters moves slots with keys while ioredis reads every key', async () => {
    const port = await clusterPort();
    extra = await startClusterNode('keydra', port, join(root, `n${port}`));
    const add = await redisCli(['--cluster', 'add-node', addr(extra), addr(nodes[0])]);
    assert.equal(add.code, 0, add.out);
    await waitFor('the new node known everywhere', 20_000, async () => {
      for (const n of nodes) if ((await clusterNodes(n.port)).length !== 7) return false;
      return true;
    });
    // A new primary turns cluster_state ok 2 s after its start (CLUSTER_WRITABLE_DELAY), as in Redis.
    await waitClusterOk([...nodes, extra]);
    const rd = reader(nodes[1].port);
    // Weights keep the move to about 500 slots (CI time): every primary 1, the new one 0.1.
    const masters = (await clusterNodes(nodes[0].port)).filter((l) => l.flags.includes('master'));
    const w = masters.map((m) => `${m.id}=${m.addr.startsWith(`127.0.0.1:${extra?.port}@`) ? '0.1' : '1'}`);
    const rb = await redisCli(
      ['--cluster', 'rebalance', addr(nodes[0]), '--cluster-use-empty-masters', '--cluster-weight', ...w, '--cluster-pipeline', '50'],
      180_000,
    );
    await rd.stop();
    assert.equal(rb.code, 0, rb.out);
    assert.match(rb.out, /Moving \d+ slots from/);
    assert.ok(rd.stats.rounds >= 1, 'the reader completed rounds during the rebalance');
    assert.deepEqual(rd.stats.errors, [], 'no read failed or returned a wrong value during the move');
    const mine = (await clusterNodes(extra.port)).find((l) => l.flags.includes('myself'));
    assert.ok(mine && mine.slots.length > 0, 'the new primary got slots');
    assert.ok(((await call(extra.port, 'DBSIZE')) as number) > 0, 'and the keys of those slots');
    const chk = await clusterCheck(nodes[0].port);
    assert.equal(chk.code, 0, chk.out);
    assert.match(chk.out, /\[OK\] All 16384 slots covered\./);
  });

  it('reshard every slot of the added node away while ioredis reads every key, then del-node removes it', async () => {
    const x = extra as ClusterPeer;
    const xid = await id(x);
    const slots = (await clusterNodes(x.port)).find((l) => l.flags.includes('myself'))?.slots ?? [];
    let count = 0;
    for (const s of slots) {
      const [a, b] = s.split('-').map(Number);
      count += (b ?? a) - a + 1;
    }
    const to = await id(nodes[0]);
    // ioredis reads every key while the slots (and their keys) move.
    const rd = reader(nodes[2].port);
    const rs = await redisCli(
      [
        '--cluster',
        'reshard',
        addr(nodes[0]),
        '--cluster-from',
        xid,
        '--cluster-to',
        to,
        '--cluster-slots',
        String(count),
        '--cluster-yes',
      ],
      180_000,
    );
    await rd.stop();
    assert.equal(rs.code, 0, rs.out);
    assert.match(rs.out, /Moving slot \d+ from/);
    assert.ok(rd.stats.rounds >= 1, 'the reader completed rounds during the reshard');
    assert.deepEqual(rd.stats.errors, [], 'no read failed or returned a wrong value during the reshard');
    assert.equal(await call(x.port, 'DBSIZE'), 0, 'the added node holds no key any more');
    const del = await redisCli(['--cluster', 'del-node', addr(nodes[0]), xid]);
    assert.equal(del.code, 0, del.out);
    assert.match(del.out, /Sending CLUSTER FORGET messages to the cluster/);
    // redis-cli 7.0 resets the removed node (CLUSTER RESET SOFT): it knows only itself.
    assert.match(del.out, /Sending CLUSTER RESET SOFT to the deleted node/);
    assert.equal((await clusterNodes(x.port)).length, 1);
    for (const n of nodes) assert.ok(!(await clusterNodes(n.port)).some((l) => l.id === xid), `${n.port} forgot the node`);
    let total = 0;
    for (const n of nodes) total += (await call(n.port, 'DBSIZE')) as number;
    assert.equal(total, KEYS * 2, 'every key on its primary and its replica');
  });

  it('--cluster fix closes a slot left open (MIGRATING with no importing side); check passes again', async () => {
    const primaries = (await clusterNodes(nodes[0].port)).filter((l) => l.flags.includes('master') && l.slots.length > 0);
    const owner = nodes.find((n) => primaries[0].addr.startsWith(`127.0.0.1:${n.port}@`)) as ClusterPeer;
    const slot = Number(primaries[0].slots[0].split('-')[0]);
    const target = primaries[1].id;
    assert.deepEqual(await call(owner.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', target), { t: '+', v: 'OK' });
    const chk = await clusterCheck(nodes[0].port);
    assert.notEqual(chk.code, 0);
    assert.match(chk.out, new RegExp(`\\[WARNING\\] Node 127\\.0\\.0\\.1:${owner.port} has slots in migrating state ${slot}`));
    const fix = await redisCli(['--cluster', 'fix', addr(nodes[0]), '--cluster-yes'], 120_000);
    assert.equal(fix.code, 0, fix.out);
    await waitFor('check passes after fix', 20_000, async () => (await clusterCheck(nodes[0].port)).code === 0);
  });

  it('kill -9 of a primary: its replica takes over; ioredis Cluster and node-redis createCluster keep reading and writing every key', async () => {
    const io = new IoCluster([{ host: '127.0.0.1', port: nodes[0].port }]);
    io.on('error', () => {});
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${nodes[0].port}` }] });
    nr.on('error', () => {});
    await nr.connect();
    try {
      const view = await clusterNodes(nodes[0].port);
      const victimLine = view.find(
        (l) => l.flags.includes('master') && l.slots.length > 0 && !l.flags.includes('myself'),
      ) as (typeof view)[0];
      const victim = nodes.find((n) => victimLine.addr.startsWith(`127.0.0.1:${n.port}@`)) as ClusterPeer;
      const replica = view.find((l) => l.primary === victimLine.id) as (typeof view)[0];
      const t0 = Date.now();
      await kill9(victim);
      const alive = nodes.filter((n) => n !== victim);
      await waitFor('the replica promoted', 20_000, async () =>
        (await clusterNodes(alive[0].port)).some((l) => l.id === replica.id && l.flags.includes('master')),
      );
      const promotedMs = Date.now() - t0;
      console.log(`# cluster failover (node timeout 2000 ms): kill -9 → replica promoted ${promotedMs} ms`);
      assert.ok(promotedMs < 2000 + 3000, `promoted in ${promotedMs} ms (node timeout 2000 ms + 3 s)`);
      await waitClusterOk(alive);
      await waitFor('ioredis reads every key again', 20_000, async () => {
        for (let i = 0; i < KEYS; i += 97) if ((await io.get(key(i))) !== `v${i}`) return false;
        return true;
      });
      // node-redis finds the new owner on its next topology refresh (after a failed command).
      await waitFor('node-redis reads every key again', 20_000, async () => {
        for (let i = 0; i < KEYS; i += 7) if ((await nr.get(key(i))) !== `v${i}`) return false;
        return true;
      });
      await io.set('ops:after', 'io');
      await nr.set('ops:after2', 'nr');
      assert.equal(await nr.get('ops:after'), 'io');
      assert.equal(await io.get('ops:after2'), 'nr');
      await stopNode(victim);
    } finally {
      io.disconnect();
      await nr.disconnect();
    }
  });
});
