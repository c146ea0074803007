/**
 * Failover in a cluster of Keydra nodes (src/cluster): a primary killed with SIGKILL is replaced by
 * its replica (FAIL agreed by the primaries, election with FAILOVER_AUTH_REQUEST/ACK) within
 * cluster-node-timeout + 3 s and the cluster returns to ok; the killed node restarts from its
 * nodes.conf with the same id and rejoins as a replica of the new primary; CLUSTER FAILOVER on a
 * replica swaps the roles with its primary (MFSTART, paused primary, offsets agreed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { keyHashSlot } from '../../src/store/keyslot.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  type ClusterPeer,
  type NodeLine,
  call,
  clusterCheck,
  clusterCreate,
  clusterNodes,
  clusterPort,
  kill9,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
  waitTopology,
} from '../helpers/cluster.js';

const skip = redisServerPath() === null ? NO_REDIS : false;
const NODE_TIMEOUT = 2000;

/** The port in a CLUSTER NODES address `ip:port@cport`. */
const portOf = (l: NodeLine) => Number(l.addr.split(':')[1].split('@')[0]);

describe('cluster failover with Keydra nodes', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-failover-'));
  const nodes: ClusterPeer[] = [];
  const byPort = new Map<number, ClusterPeer>();

  before(async () => {
    const ports = [];
    for (let i = 0; i < 6; i++) ports.push(await clusterPort());
    const started = await Promise.all(ports.map((p, i) => startClusterNode('keydra', p, join(root, `n${i}`))));
    for (const n of started) {
      nodes.push(n);
      byPort.set(n.port, n);
    }
    const r = await clusterCreate(nodes, 1);
    assert.equal(r.code, 0, r.out);
    await waitClusterOk(nodes);
    await waitTopology(nodes, 3);
  });
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  /** The live nodes. */
  const alive = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);

  it('kill -9 of a primary: its replica is promoted within node-timeout + 3 s, the cluster returns to ok', async () => {
    const view = await clusterNodes(nodes[0].port);
    const primary = view.find((l) => l.flags.includes('master') && l.slots.length > 0) as NodeLine;
    const replica = view.find((l) => l.primary === primary.id) as NodeLine;
    const pPeer = byPort.get(portOf(primary)) as ClusterPeer;
    const rPeer = byPort.get(portOf(replica)) as ClusterPeer;
    // A key of the primary's slots, replicated before the crash.
    const [lo] = primary.slots[0].split('-').map(Number);
    let key = 'k0';
    for (let i = 1; keyHashSlot(key) !== lo; i++) key = `k${i}`;
    assert.equal(text(await call(pPeer.port, 'SET', key, 'v1')), 'OK');
    await waitFor('the key on the replica', 10_000, async () => {
      const c = await RawClient.connect(rPeer.port);
      try {
        await c.call('READONLY');
        return (await c.call('GET', key)) === 'v1';
      } finally {
        c.close();
      }
    });
    const t0 = Date.now();
    await kill9(pPeer);
    await waitFor('the replica promoted', NODE_TIMEOUT + 3000, async () => {
      const mine = (await clusterNodes(rPeer.port)).find((l) => l.flags.includes('myself')) as NodeLine;
      return mine.flags.includes('master') && mine.slots.join(' ') === primary.slots.join(' ');
    });
    const took = Date.now() - t0;
    console.log(`# cluster failover (node timeout ${NODE_TIMEOUT} ms): kill -9 → replica promoted ${took} ms`);
    assert.ok(took <= NODE_TIMEOUT + 3000, `promoted after ${took} ms`);
    assert.equal(text(await call(rPeer.port, 'ROLE').then((r) => (r as unknown[])[0] as string)), 'master');
    await waitClusterOk(alive(), 10_000);
    assert.equal(await call(rPeer.port, 'GET', key), 'v1');
    for (const n of alive()) {
      const failed = (await clusterNodes(n.port)).find((l) => l.id === primary.id) as NodeLine;
      assert.ok(failed.flags.includes('fail'), `${n.port} sees ${failed.flags.join(',')}`);
    }

    // The old primary restarts from its nodes.conf: same id, and it follows the new primary.
    const restarted = await startClusterNode('keydra', pPeer.port, pPeer.dir);
    nodes[nodes.indexOf(pPeer)] = restarted;
    byPort.set(restarted.port, restarted);
    assert.equal(text(await call(restarted.port, 'CLUSTER', 'MYID')), primary.id);
    await waitFor('the old primary rejoins as a replica of the new one', 15_000, async () => {
      const mine = (await clusterNodes(restarted.port)).find((l) => l.flags.includes('myself')) as NodeLine;
      return mine.flags.includes('slave') && mine.primary === replica.id;
    });
    await waitFor('the old primary no longer failed anywhere', 15_000, async () => {
      for (const n of alive()) {
        const l = (await clusterNodes(n.port)).find((x) => x.id === primary.id);
        if (l === undefined || l.flags.includes('fail')) return false;
      }
      return true;
    });
    await waitClusterOk(alive(), 10_000);
    await waitFor('the data replicated to the restarted node', 10_000, async () => {
      const c = await RawClient.connect(restarted.port);
      try {
        await c.call('READONLY');
        return (await c.call('GET', key)) === 'v1';
      } finally {
        c.close();
      }
    });
    const chk = await clusterCheck(nodes[1].port);
    assert.equal(chk.code, 0, chk.out);
  });

  it('CLUSTER FAILOVER on a replica swaps it with its primary', async () => {
    await waitTopology(alive(), 3);
    const view = await clusterNodes(alive()[0].port);
    const replica = view.find((l) => l.flags.includes('slave') && !l.flags.includes('fail')) as NodeLine;
    const primary = view.find((l) => l.id === replica.primary) as NodeLine;
    const rPort = portOf(replica);
    assert.equal(text(await call(rPort, 'CLUSTER', 'FAILOVER')), 'OK');
    await waitFor('the replica promoted by CLUSTER FAILOVER', 10_000, async () => {
      const v = await clusterNodes(rPort);
      const me = v.find((l) => l.flags.includes('myself')) as NodeLine;
      const old = v.find((l) => l.id === primary.id) as NodeLine;
      return (
        me.flags.includes('master') &&
        me.slots.join(' ') === primary.slots.join(' ') &&
        old.flags.includes('slave') &&
        old.primary === replica.id
      );
    });
    await waitFor('the old primary follows', 10_000, async () => {
      const me = (await clusterNodes(portOf(primary))).find((l) => l.flags.includes('myself')) as NodeLine;
      return me.flags.includes('slave') && me.primary === replica.id;
    });
    await waitClusterOk(alive(), 10_000);
    const errPrimary = await call(rPort, 'CLUSTER', 'FAILOVER');
    assert.deepEqual(errPrimary, { t: '-', v: 'ERR You should send CLUSTER FAILOVER to a replica' });
  });
});
