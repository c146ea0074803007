/**
 * Failover with real processes (src/sentinel/ and Keydra as a monitored server): three sentinels
 * (all Keydra, all redis-sentinel 7.0, or a mixed quorum of two Keydra and one redis-sentinel) over a
 * primary and two replicas (Keydra or redis-server): kill -9 of the primary, promotion within
 * down-after-milliseconds + 3 s, writes acknowledged by WAIT 1 kept, ioredis and node-redis in
 * Sentinel mode following, the old primary restarted coming back as a replica.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  call,
  infoField,
  kill,
  masterAddr,
  monitorLines,
  ports,
  startData,
  startSentinel,
  waitDiscovery,
  waitFor,
  watchEvents,
} from '../helpers/sentinel.js';

describe('Sentinel failover', { skip: redisServerPath() === null ? NO_REDIS : false, timeout: 240000 }, () => {
  /**
   * down-after-milliseconds of these scenarios: 2000, as Redis's own sentinel tests. At 1000 a
   * redis-sentinel can mark a healthy new primary +sdown and fail it over again: after
   * +switch-master it resets the link and waits out its 1 s reconnect throttle (last used on the
   * dead primary) with the down-after clock already running (sentinel-keydra.test.ts, auth test).
   */
  const DOWN_AFTER = 2000;

  /**
   * Three sentinels of `sentinelKinds` over a primary and two replicas of `dataKind`: kill -9 the
   * primary → a replica promoted within down-after-milliseconds (DOWN_AFTER) + 3 s, writes acknowledged by
   * WAIT 1 kept, ioredis and node-redis follow, the old primary restarted comes back as a replica.
   */
  const failoverScenario = async (sentinelKinds: ('keydra' | 'redis')[], dataKind: 'keydra' | 'redis') => {
    const [pp, r1, r2, s1, s2, s3] = await ports(6);
    const primary = await startData(pp, undefined, dataKind);
    const rep1 = await startData(r1, pp, dataKind);
    const rep2 = await startData(r2, pp, dataKind);
    const sents = [
      await startSentinel(sentinelKinds[0], s1, monitorLines(pp, 2, DOWN_AFTER)),
      await startSentinel(sentinelKinds[1], s2, monitorLines(pp, 2, DOWN_AFTER)),
      await startSentinel(sentinelKinds[2], s3, monitorLines(pp, 2, DOWN_AFTER)),
    ];
    const sentinelKind = sentinelKinds.join('+');
    const client = new Redis({ sentinels: sents.map((s) => ({ host: '127.0.0.1', port: s.port })), name: 'mymaster', lazyConnect: false });
    // node-redis in Sentinel mode too (createSentinel: it asks the sentinels for the primary).
    const nodeRedis = createSentinel({ name: 'mymaster', sentinelRootNodes: sents.map((s) => ({ host: '127.0.0.1', port: s.port })) });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
    client.on('error', () => {});
    const watchers = await Promise.all(sents.map((s) => watchEvents(s.port)));
    let oldPrimary = primary;
    try {
      await waitDiscovery(sents, 2);
      await client.set('k', 'before');
      assert.equal(await client.get('k'), 'before');
      assert.equal(await nodeRedis.set('nr', 'before'), 'OK');
      // Writes acknowledged by a replica (WAIT 1) must survive the failover.
      const acked: string[] = [];
      for (let i = 0; i < 50; i++) {
        await client.set(`acked:${i}`, String(i));
        if (Number(await client.call('WAIT', '1', '1000')) >= 1) acked.push(`acked:${i}`);
      }
      assert.ok(acked.length > 0, 'some writes were acknowledged by a replica');
      const killedAt = Date.now();
      await kill(primary);
      const sw = await waitFor('+switch-master', 20000, () => watchers[0].events.find((e) => e.ch === '+switch-master'));
      const failoverMs = sw.at - killedAt;
      const [, , oldPort, newIp, newPort] = sw.msg.split(' ');
      assert.equal(Number(oldPort), pp);
      assert.ok([r1, r2].includes(Number(newPort)));
      const promoted = Number(newPort);
      const other = promoted === r1 ? r2 : r1;
      assert.equal(await infoField(promoted, 'role'), 'master');
      // The promotion: the leader's +promoted-slave (the replica reported role:master after SLAVEOF NO ONE).
      const promotedAt = Math.min(...watchers.flatMap((w) => w.events.filter((e) => e.ch === '+promoted-slave').map((e) => e.at)));
      const promotionMs = promotedAt - killedAt;
      console.log(
        `# ${sentinelKind} sentinels, ${dataKind} data nodes, down-after ${DOWN_AFTER} ms: kill -9 → +promoted-slave ${promotionMs} ms, first +switch-master ${failoverMs} ms`,
      );
      for (const k of acked) assert.equal(await call(promoted, 'GET', k), k.slice(6), `acknowledged ${k} kept`);
      assert.ok(promotionMs <= DOWN_AFTER + 3000, `promotion took ${promotionMs} ms (down-after-milliseconds ${DOWN_AFTER} + 3 s)`);
      assert.ok(failoverMs <= DOWN_AFTER + 3000 + 1000, `+switch-master after ${failoverMs} ms`);
      // Every sentinel answers the new address; the other replica follows the new primary.
      for (const s of sents)
        await waitFor(`new address on ${s.port}`, 10000, async () => (await masterAddr(s.port)) === `${newIp}:${promoted}`);
      await waitFor('replica repointed', 15000, async () => (await infoField(other, 'master_port')) === String(promoted));
      const elected = watchers.filter((w) => w.events.some((e) => e.ch === '+elected-leader'));
      assert.equal(
        elected.length,
        1,
        `exactly one leader: ${watchers
          .map((w, i) => `${sents[i].kind}:${sents[i].port} ${w.events.map((e) => `${e.at - killedAt} ${e.ch} ${e.msg}`).join(' | ')}`)
          .join('\n')}`,
      );
      const end = await waitFor('+failover-end', 20000, () => elected[0].events.find((e) => e.ch === '+failover-end'));
      console.log(`# kill -9 → +failover-end on the leader (other replica resynced): ${end.at - killedAt} ms`);
      for (const ch of [
        '+sdown',
        '+odown',
        '+new-epoch',
        '+try-failover',
        '+selected-slave',
        '+promoted-slave',
        '+failover-end',
        '+slave-reconf-sent',
      ])
        assert.ok(
          elected[0].events.some((e) => e.ch === ch),
          `leader published ${ch}`,
        );
      // ioredis reconnects to the new primary through the sentinels.
      await waitFor('ioredis write after failover', 20000, async () => (await client.set('k', 'after')) === 'OK');
      await waitFor('node-redis write after failover', 20000, async () => (await nodeRedis.set('nr', 'after')) === 'OK');
      assert.equal(await call(promoted, 'GET', 'nr'), 'after');
      assert.equal(await client.get('k'), 'after');
      assert.equal(await call(promoted, 'GET', 'k'), 'after');
      // The old primary restarted on its port is turned into a replica of the new one.
      // Converted after Redis's wait (4 hello periods, INFO every 1 to 10 s); a Sentinel in TILT (its timer
      // starved on a loaded machine) waits 30 s more.
      oldPrimary = await startData(pp, undefined, dataKind);
      await waitFor('old primary converted to replica', 60000, async () => (await infoField(pp, 'master_port')) === String(promoted));
      assert.equal(await infoField(pp, 'role'), 'slave');
      // The config files were rewritten with the new master and epoch.
      const conf = readFileSync(sents[0].conf as string, 'latin1');
      assert.match(conf, new RegExp(`sentinel monitor mymaster 127\\.0\\.0\\.1 ${promoted} 2`));
      assert.match(conf, /sentinel current-epoch [1-9]/);
    } finally {
      client.disconnect();
      nodeRedis.destroy();
      for (const w of watchers) w.close();
      for (const s of sents) await kill(s);
      for (const p of [oldPrimary, rep1, rep2]) await kill(p);
    }
  };

  it('three Keydra sentinels fail a killed redis-server primary over; ioredis follows; the old primary comes back as a replica', () =>
    failoverScenario(['keydra', 'keydra', 'keydra'], 'redis'));
  it('three real redis-sentinels fail a killed Keydra primary over to a Keydra replica; WAIT 1 writes kept; ioredis follows', () =>
    failoverScenario(['redis', 'redis', 'redis'], 'keydra'));
  it('three Keydra sentinels over Keydra primary and replicas (Keydra alone, no Redis process)', () =>
    failoverScenario(['keydra', 'keydra', 'keydra'], 'keydra'));
  for (const dataKind of ['keydra', 'redis'] as const)
    it(`mixed quorum (two Keydra + one redis-sentinel) fails a killed ${dataKind} primary over: same checks (WAIT 1 writes, clients, old primary back)`, () =>
      failoverScenario(['keydra', 'redis', 'keydra'], dataKind));
});
