/**
 * Sentinel over TLS (Redis 7.0 sentinel.c: with `tls-replication yes` every link of a Sentinel,
 * to monitored servers and to other Sentinels, is TLS, its `tls-port` accepts TLS clients and its
 * hello announces the TLS port). Keydra data nodes listening on TLS (replication over TLS too),
 * monitored by two Keydra sentinels and one redis-sentinel 7.0, all with certificates from one CA:
 * the sentinels discover each other and the replica over TLS, a killed primary is failed over to
 * the replica's TLS address, and a client reaches the Keydra sentinel with `redis-cli --tls`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasOpenssl, makeCA, signCert } from '../../scripts/lib/testCerts.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  asMap,
  call,
  kill,
  masterAddr,
  ports,
  root,
  startData,
  startSentinel,
  waitDiscovery,
  waitFor,
  watchEvents,
} from '../helpers/sentinel.js';

const skip = redisServerPath() === null ? NO_REDIS : !hasOpenssl() ? 'openssl not installed' : false;

describe('Sentinel with tls-replication: TLS links to TLS data nodes and between sentinels', { skip }, () => {
  it('two Keydra + one redis-sentinel monitor Keydra nodes on their TLS ports and fail the primary over', async () => {
    const certs = join(root, 'certs');
    makeCA(certs, '/O=Keydra Test/CN=Certificate Authority');
    signCert(certs, 'node', '/O=Keydra Test/CN=node');
    const files = { cert: join(certs, 'node.crt'), key: join(certs, 'node.key'), ca: join(certs, 'ca.crt') };
    const tlsArgs = [
      '--tls-cert-file',
      files.cert,
      '--tls-key-file',
      files.key,
      '--tls-ca-cert-file',
      files.ca,
      '--tls-replication',
      'yes',
    ];
    const [pp, pt, rp, rt, k1, k1t, k2, k2t, rs, rst] = await ports(10);
    const primary = await startData(pp, undefined, 'keydra', ['--tls-port', String(pt), ...tlsArgs]);
    const replica = await startData(rp, pt, 'keydra', ['--tls-port', String(rt), ...tlsArgs]);
    const tlsLines = (tlsPort: number) => [
      `tls-port ${tlsPort}`,
      `tls-cert-file ${files.cert}`,
      `tls-key-file ${files.key}`,
      `tls-ca-cert-file ${files.ca}`,
      'tls-replication yes',
      // The primary's TLS port: a plain-text link to it could not work.
      `sentinel monitor mymaster 127.0.0.1 ${pt} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
    ];
    const sents = [
      await startSentinel('keydra', k1, tlsLines(k1t)),
      await startSentinel('keydra', k2, tlsLines(k2t)),
      await startSentinel('redis', rs, tlsLines(rst)),
    ];
    const watcher = await watchEvents(k1);
    try {
      await waitFor('replica in sync over TLS', 15000, async () =>
        /master_link_status:up/.test(String(await call(rp, 'INFO', 'replication'))),
      );
      await waitDiscovery(sents, 1);
      // Each sentinel knows the others by their TLS ports (hello announces tls-port), and the replica by its TLS port.
      for (const s of sents) {
        const others = ((await call(s.port, 'SENTINEL', 'SENTINELS', 'mymaster')) as unknown[]).map((x) => Number(asMap(x as never).port));
        const want = [k1t, k2t, rst].filter((p) => p !== (s.port === k1 ? k1t : s.port === k2 ? k2t : rst));
        assert.deepEqual(others.sort(), want.sort(), `${s.kind} sentinel ${s.port} sees the others' TLS ports`);
        const reps = (await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as unknown[];
        assert.equal(asMap(reps[0] as never).port, String(rt));
        assert.equal(asMap(reps[0] as never).flags, 'slave');
        assert.equal(asMap(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster')).flags, 'master');
      }
      // A TLS client of the Keydra sentinel.
      const cli = spawnSync(
        'redis-cli',
        [
          '--tls',
          '--cacert',
          files.ca,
          '--cert',
          files.cert,
          '--key',
          files.key,
          '-p',
          String(k1t),
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          'mymaster',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(cli.stdout.trim(), `127.0.0.1\n${pt}`, cli.stderr);
      await kill(primary);
      for (const s of sents)
        await waitFor(`new address on ${s.kind} sentinel ${s.port}`, 20000, async () => (await masterAddr(s.port)) === `127.0.0.1:${rt}`);
      assert.ok(watcher.events.some((e) => e.ch === '+switch-master'));
      assert.match(String(await call(rp, 'INFO', 'replication')), /role:master/);
    } finally {
      watcher.close();
      for (const s of sents) await kill(s);
      await kill(replica);
      await kill(primary);
    }
  });
});
