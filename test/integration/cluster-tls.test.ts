/**
 * tls-cluster: the cluster bus over TLS, in a cluster of Keydra and redis-server 7.0 nodes (both
 * with tls-port, tls-cluster yes and certificates from one CA), built and checked with
 * `redis-cli --tls --cluster`; each node announces its TLS port (CLUSTER NODES, MOVED) and its
 * plaintext port as pport, as Redis's deriveAnnouncedPorts; keys set through one node over TLS
 * with -c are read through another kind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasOpenssl, makeCA, signCert } from '../../scripts/lib/testCerts.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  type ClusterPeer,
  clusterNodes,
  clusterPort,
  kill9,
  redisCli,
  startClusterNode,
  waitClusterOk,
  waitFor,
} from '../helpers/cluster.js';

const skip = redisServerPath() === null ? NO_REDIS : !hasOpenssl() ? 'openssl not installed' : false;

describe('tls-cluster: a TLS cluster bus between Keydra and redis-server nodes', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-tls-'));
  const nodes: { peer: ClusterPeer; tls: number }[] = [];
  after(async () => {
    for (const n of nodes) await kill9(n.peer);
    rmSync(root, { recursive: true, force: true });
  });

  it('redis-cli --tls --cluster create over 2 Keydra + 1 redis-server nodes; check passes; keys cross kinds', async () => {
    const certs = join(root, 'certs');
    makeCA(certs, '/O=Keydra Test/CN=Certificate Authority');
    signCert(certs, 'node', '/O=Keydra Test/CN=node');
    const tlsArgs = [
      '--tls-cert-file',
      join(certs, 'node.crt'),
      '--tls-key-file',
      join(certs, 'node.key'),
      '--tls-ca-cert-file',
      join(certs, 'ca.crt'),
    ];
    for (const kind of ['keydra', 'keydra', 'redis'] as const) {
      const tls = await clusterPort(); // the bus is tls-port + 10000
      const plain = await clusterPort();
      const peer = await startClusterNode(kind, plain, join(root, `n${tls}`), [
        '--tls-port',
        String(tls),
        '--tls-cluster',
        'yes',
        ...tlsArgs,
      ]);
      nodes.push({ peer, tls });
    }
    const cli = ['--tls', '--cacert', join(certs, 'ca.crt'), '--cert', join(certs, 'node.crt'), '--key', join(certs, 'node.key')];
    const create = await redisCli([...cli, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.tls}`), '--cluster-yes']);
    assert.equal(create.code, 0, create.out);
    await waitFor('check passes through every node', 30_000, async () => {
      for (const n of nodes) if ((await redisCli([...cli, '--cluster', 'check', `127.0.0.1:${n.tls}`])).code !== 0) return false;
      return true;
    });
    // Every node lists the others with the bus at the TLS port + 10000, links connected; asked over
    // plaintext, CLUSTER NODES shows the plaintext port (pport), as Redis does for a non-TLS client.
    for (const n of nodes) {
      const view = await clusterNodes(n.peer.port);
      assert.equal(view.length, 3);
      for (const m of nodes) {
        const line = view.find((l) => l.addr.startsWith(`127.0.0.1:${m.peer.port}@${m.tls + 10000}`));
        assert.ok(line, `${n.peer.kind} ${n.tls} lists ${m.tls}: ${JSON.stringify(view)}`);
        assert.equal(line.link, 'connected');
      }
    }
    await waitClusterOk(nodes.map((n) => n.peer));
    for (let i = 0; i < 30; i++) {
      const via = nodes[i % 3];
      const r = await redisCli([...cli, '-c', '-p', String(via.tls), 'SET', `tk:${i}`, `v${i}`]);
      assert.equal(r.out.trim(), 'OK', r.out);
    }
    for (let i = 0; i < 30; i++) {
      const via = nodes[(i + 1) % 3];
      const r = await redisCli([...cli, '-c', '-p', String(via.tls), 'GET', `tk:${i}`]);
      assert.equal(r.out.trim(), `v${i}`);
    }
    // MOVED names the plaintext port to a plaintext client, the TLS port to a TLS one, on both kinds.
    for (const n of nodes) {
      let seen = false;
      for (let i = 0; i < 30 && !seen; i++) {
        const plain = await redisCli(['-p', String(n.peer.port), 'GET', `tk:${i}`]);
        const m = /MOVED \d+ 127\.0\.0\.1:(\d+)/.exec(plain.out);
        if (m === null) continue;
        const owner = nodes.find((x) => x.peer.port === Number(m[1]));
        assert.ok(owner, `${n.peer.kind}: MOVED to a plaintext port (${plain.out.trim()})`);
        const viaTls = await redisCli([...cli, '-p', String(n.tls), 'GET', `tk:${i}`]);
        assert.match(viaTls.out, new RegExp(`MOVED \\d+ 127\\.0\\.0\\.1:${owner.tls}`), `${n.peer.kind} over TLS`);
        seen = true;
      }
      assert.ok(seen, `${n.peer.kind} ${n.tls}: a key owned elsewhere among 30`);
    }
    // Over TLS, CLUSTER NODES shows the TLS ports.
    const overTls = await redisCli([...cli, '-p', String(nodes[2].tls), 'CLUSTER', 'NODES']);
    for (const m of nodes) assert.ok(overTls.out.includes(`127.0.0.1:${m.tls}@${m.tls + 10000}`), overTls.out);
  });
});
