/**
 * Keydra as a Redis Sentinel (src/sentinel/), against real processes: redis-server primaries and
 * replicas, Keydra sentinels (`keydra-server <conf> --sentinel`) and redis-sentinel 7.0
 * (`redis-server <conf> --sentinel`). Replies compared with redis-sentinel's, a mixed quorum where
 * each kind is elected leader, sentinel.conf files exchanged between the two, Keydra data nodes with
 * auth and config files (CONFIG REWRITE of replicaof), no promotion without a majority. The
 * kill -9 failover scenarios are in sentinel-failover.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  root,
  waitFor,
  type Proc,
  startData,
  startDataConf,
  startSentinel,
  logTails,
  kill,
  call,
  asMap,
  masterAddr,
  infoField,
  watchEvents,
  ports,
  monitorLines,
  waitDiscovery,
  shape,
} from '../helpers/sentinel.js';

describe('Keydra Sentinel', { skip: redisServerPath() === null ? NO_REDIS : false, timeout: 240000 }, () => {
  it('answers SENTINEL MASTERS/MASTER/REPLICAS/SENTINELS/GET-MASTER-ADDR-BY-NAME/CKQUORUM/MYID and INFO as redis-sentinel', async () => {
    const [pp, rp, ks, rs] = await ports(4);
    const primary = await startData(pp);
    const replica = await startData(rp, pp);
    await waitFor('replica link', 10000, async () => (await infoField(rp, 'master_link_status')) === 'up');
    const k = await startSentinel('keydra', ks, monitorLines(pp, 2, 5000));
    const r = await startSentinel('redis', rs, monitorLines(pp, 2, 5000));
    try {
      await waitDiscovery([k, r], 1);
      // Sentinel fields in the same order with the same value types (values differ: times, ids).
      const keysOf = (n: RespNode) => Object.keys(asMap(n));
      for (const cmd of [['MASTER', 'mymaster'], ['REPLICAS', 'mymaster'], ['SENTINELS', 'mymaster'], ['MASTERS']]) {
        const a = await call(ks, 'SENTINEL', ...cmd);
        const b = await call(rs, 'SENTINEL', ...cmd);
        if (cmd[0] === 'MASTER') assert.deepEqual(keysOf(a), keysOf(b));
        else {
          assert.ok(Array.isArray(a) && Array.isArray(b));
          assert.equal(a.length, b.length, `SENTINEL ${cmd[0]} count`);
          for (let i = 0; i < a.length; i++) assert.deepEqual(keysOf(a[i]), keysOf(b[i]), `SENTINEL ${cmd[0]} fields`);
        }
        assert.deepEqual(shape(a), shape(b), `SENTINEL ${cmd.join(' ')} shape`);
      }
      const km = asMap(await call(ks, 'SENTINEL', 'MASTER', 'mymaster'));
      const rm = asMap(await call(rs, 'SENTINEL', 'MASTER', 'mymaster'));
      for (const f of [
        'name',
        'ip',
        'port',
        'runid',
        'flags',
        'quorum',
        'num-slaves',
        'num-other-sentinels',
        'config-epoch',
        'role-reported',
      ])
        assert.equal(km[f], rm[f], f);
      const kr = asMap(((await call(ks, 'SENTINEL', 'REPLICAS', 'mymaster')) as RespNode[])[0]);
      const rr = asMap(((await call(rs, 'SENTINEL', 'REPLICAS', 'mymaster')) as RespNode[])[0]);
      for (const f of ['name', 'ip', 'port', 'runid', 'flags', 'master-host', 'master-port', 'master-link-status', 'slave-priority'])
        assert.equal(kr[f], rr[f], f);
      // Each sees the other with its real id.
      const kid = await call(ks, 'SENTINEL', 'MYID');
      const rid = await call(rs, 'SENTINEL', 'MYID');
      assert.match(String(kid), /^[0-9a-f]{40}$/);
      assert.equal(asMap(((await call(rs, 'SENTINEL', 'SENTINELS', 'mymaster')) as RespNode[])[0]).runid, kid);
      assert.equal(asMap(((await call(ks, 'SENTINEL', 'SENTINELS', 'mymaster')) as RespNode[])[0]).runid, rid);
      // Identical replies.
      for (const cmd of [
        ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'],
        ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch'],
        ['SENTINEL', 'CKQUORUM', 'mymaster'],
        ['SENTINEL', 'CKQUORUM', 'nosuch'],
        ['SENTINEL', 'MASTER', 'nosuch'],
        ['SENTINEL', 'MYID', 'x'],
        ['SENTINEL', 'NOSUCH'],
        ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', '1', '0'],
        ['SENTINEL', 'MONITOR', 'mymaster', '127.0.0.1', String(pp), '2'],
        ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', String(pp), '0', '*'],
        ['SENTINEL', 'CONFIG', 'GET', '*'],
        ['SENTINEL', 'CONFIG', 'SET', 'nosuch', '1'],
        ['SENTINEL', 'SET', 'mymaster', 'nosuch', '1'],
        ['SENTINEL', 'SIMULATE-FAILURE', 'HELP'],
        ['SENTINEL', 'HELP'],
        ['CLIENT'],
        ['CLIENT', 'NOSUCH'],
        ['CLIENT', 'SETNAME'],
        ['CLIENT', 'HELP'],
        ['CLIENT', 'LIST', 'x'],
        ['CLIENT', 'LIST', 'TYPE', 'x'],
        ['CLIENT', 'LIST', 'ID', 'x'],
        ['CLIENT', 'LIST', 'ID', '99999'],
        ['CLIENT', 'NO-EVICT', 'x'],
        ['ACL', 'NOSUCH'],
        ['ACL', 'WHOAMI', 'x'],
        ['COMMAND', 'NOSUCH'],
        ['COMMAND', 'COUNT'],
        ['COMMAND', 'INFO', 'ping', 'nosuch', 'get', 'role'],
        ['SHUTDOWN', 'NOW', 'x'],
        ['SHUTDOWN', 'SAVE', 'NOSAVE'],
        ['SHUTDOWN', 'ABORT'],
        ['PUBLISH', 'chan', 'x'],
        ['ROLE'],
        ['GET', 'x'],
        ['PING'],
      ]) {
        const a = await RawClient.connect(ks);
        const b = await RawClient.connect(rs);
        const ra = (await a.send(...cmd)).raw.toString('latin1');
        const rb = (await b.send(...cmd)).raw.toString('latin1');
        a.close();
        b.close();
        assert.equal(ra, rb, cmd.join(' '));
      }
      // COMMAND: the same entries (subcommands in dict order in Redis: compared sorted).
      const sorted = (n: RespNode): unknown =>
        Array.isArray(n) ? n.map(sorted).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))) : n;
      assert.deepEqual(sorted(await call(ks, 'COMMAND')), sorted(await call(rs, 'COMMAND')));
      assert.deepEqual(
        sorted(await call(ks, 'COMMAND', 'INFO', 'sentinel', 'client', 'acl')),
        sorted(await call(rs, 'COMMAND', 'INFO', 'sentinel', 'client', 'acl')),
      );
      // INFO sentinel: same lines.
      const ia = String(await call(ks, 'INFO', 'sentinel'));
      const ib = String(await call(rs, 'INFO', 'sentinel'));
      assert.equal(ia, ib);
      assert.match(ia, /master0:name=mymaster,status=ok,address=127\.0\.0\.1:\d+,slaves=1,sentinels=2/);
      // INFO (default) has the same section headers.
      const heads = (s: string) => s.split('\r\n').filter((l) => l.startsWith('#'));
      assert.deepEqual(heads(String(await call(ks, 'INFO'))), heads(String(await call(rs, 'INFO'))));
    } finally {
      await kill(k);
      await kill(r);
      await kill(replica);
      await kill(primary);
    }
  });

  for (const dataKind of ['redis', 'keydra'] as const)
    it(`mixed quorum (two Keydra + one redis-sentinel) over ${dataKind} data nodes: each kind gets elected leader; sentinel.conf files load in the other`, async () => {
      const [pp, r1, r2, k1, k2, rs] = await ports(6);
      const primary = await startData(pp, undefined, dataKind);
      const rep1 = await startData(r1, pp, dataKind);
      const rep2 = await startData(r2, pp, dataKind);
      const ka = await startSentinel('keydra', k1, monitorLines(pp, 2, 1000));
      const kb = await startSentinel('keydra', k2, monitorLines(pp, 2, 1000));
      const rsn = await startSentinel('redis', rs, monitorLines(pp, 2, 1000));
      const sents = [ka, kb, rsn];
      const data = [primary, rep1, rep2];
      const extra: Proc[] = [];
      try {
        await waitDiscovery(sents, 2);
        /**
         * One failover where `leader` alone can reach ODOWN (quorum 1, short down-after) and the
         * others never see the primary down themselves: they only vote.
         */
        const round = async (leader: Proc, current: number) => {
          for (const s of sents) {
            const mine = s === leader;
            assert.deepEqual(
              await call(
                s.port,
                'SENTINEL',
                'SET',
                'mymaster',
                'quorum',
                mine ? '1' : '2',
                'down-after-milliseconds',
                mine ? '1000' : '60000',
              ),
              { t: '+', v: 'OK' },
            );
          }
          const watchers = await Promise.all(sents.map((s) => watchEvents(s.port)));
          const victim = data.find((d) => d.port === current) as Proc;
          const t0 = Date.now();
          await kill(victim);
          const sw = await waitFor('+switch-master on the leader', 30000, () =>
            watchers[sents.indexOf(leader)].events.find((e) => e.ch === '+switch-master'),
          );
          const newPort = Number(sw.msg.split(' ')[4]);
          for (const s of sents)
            await waitFor(`address on ${s.port}`, 15000, async () => (await masterAddr(s.port)) === `127.0.0.1:${newPort}`);
          const electedBy = sents.filter((_, i) => watchers[i].events.some((e) => e.ch === '+elected-leader'));
          for (const w of watchers) w.close();
          console.log(`# ${leader.kind} sentinel elected leader, failover in ${sw.at - t0} ms`);
          assert.deepEqual(electedBy, [leader]);
          assert.equal(await infoField(newPort, 'role'), 'master');
          return newPort;
        };
        const first = await round(rsn, pp);
        const second = await round(ka, first);
        assert.notEqual(first, second);
        // The remaining replica count: the promoted one's old peers are listed.
        const epochK = asMap(await call(k1, 'SENTINEL', 'MASTER', 'mymaster'))['config-epoch'];
        const epochR = asMap(await call(rs, 'SENTINEL', 'MASTER', 'mymaster'))['config-epoch'];
        assert.equal(epochK, epochR);
        // Swap the files: stop a Keydra and the redis sentinel, start each kind on the other's file.
        await kill(ka, 'SIGTERM');
        await kill(rsn, 'SIGTERM');
        const [np1, np2] = await ports(2);
        const kConf = join(root, 'from-keydra.conf');
        const rConf = join(root, 'from-redis.conf');
        copyFileSync(ka.conf as string, kConf);
        copyFileSync(rsn.conf as string, rConf);
        writeFileSync(kConf, readFileSync(kConf, 'latin1').replace(/^port \d+$/m, `port ${np1}`));
        writeFileSync(rConf, readFileSync(rConf, 'latin1').replace(/^port \d+$/m, `port ${np2}`));
        const kid = /sentinel myid (\w+)/.exec(readFileSync(kConf, 'latin1'))?.[1];
        const rid = /sentinel myid (\w+)/.exec(readFileSync(rConf, 'latin1'))?.[1];
        const redisOnKeydraConf = await startSentinel('redis', np1, [], kConf);
        const keydraOnRedisConf = await startSentinel('keydra', np2, [], rConf);
        extra.push(redisOnKeydraConf, keydraOnRedisConf);
        assert.equal(await call(np1, 'SENTINEL', 'MYID'), kid);
        assert.equal(await call(np2, 'SENTINEL', 'MYID'), rid);
        for (const p of [np1, np2]) {
          assert.equal(await masterAddr(p), `127.0.0.1:${second}`);
          const m = asMap(await call(p, 'SENTINEL', 'MASTER', 'mymaster'));
          assert.equal(m['config-epoch'], epochK);
          assert.equal(m['num-other-sentinels'], '2');
          assert.equal(m['num-slaves'], '2');
        }
      } finally {
        for (const s of [...sents, ...extra]) await kill(s);
        for (const d of data) await kill(d);
      }
    });

  it('Keydra nodes with requirepass/masterauth run from config files: redis-sentinels (auth-pass) fail over; CONFIG REWRITE persisted replicaof, so restarted nodes keep their roles', async () => {
    const [pp, r1, r2, s1, s2, s3] = await ports(6);
    const confOf = (port: number, of?: number) => {
      const dir = mkdtempSync(join(root, `conf-${port}-`));
      const file = join(dir, 'keydra.conf');
      writeFileSync(
        file,
        `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir ${dir}\nrequirepass secret\nmasterauth secret\n${of !== undefined ? `replicaof 127.0.0.1 ${of}\n` : ''}`,
      );
      return file;
    };
    const authed = async (port: number, ...argv: string[]) => {
      const c = await RawClient.connect(port);
      try {
        await c.call('AUTH', 'secret');
        return await c.call(...argv);
      } finally {
        c.close();
      }
    };
    const field = async (port: number, f: string) =>
      new RegExp(`^${f}:(.*)\r$`, 'm').exec(String(await authed(port, 'INFO', 'replication')))?.[1];
    const confs = new Map([
      [pp, confOf(pp)],
      [r1, confOf(r1, pp)],
      [r2, confOf(r2, pp)],
    ]);
    const data = new Map<number, Proc>();
    for (const [port, file] of confs) data.set(port, await startDataConf(port, file));
    // down-after 2000 ms, as Redis's own sentinel tests: after +switch-master a redis-sentinel
    // resets the new primary's link and may wait up to 1 s (its reconnect throttle, last tried on
    // the dead primary) before connecting, with the down-after clock already running; at 1000 ms
    // that marks a healthy new primary +sdown and fails it over again (seen with redis-server data
    // nodes as much as with Keydra's, 3 runs in 8 on a loaded machine).
    const lines = [...monitorLines(pp, 2, 2000), 'sentinel auth-pass mymaster secret'];
    const sents = [
      await startSentinel('redis', s1, lines),
      await startSentinel('redis', s2, lines),
      await startSentinel('redis', s3, lines),
    ];
    try {
      await waitDiscovery(sents, 2);
      assert.equal(
        await call(pp, 'GET', 'x').then((r) => JSON.stringify(r)),
        JSON.stringify({ t: '-', v: 'NOAUTH Authentication required.' }),
      );
      await kill(data.get(pp) as Proc);
      // The primary every sentinel names, once they agree and it says it is one.
      let promoted = 0;
      await waitFor('the sentinels agree on a new primary', 30000, async () => {
        const addrs = new Set(await Promise.all(sents.map((x) => masterAddr(x.port))));
        if (addrs.size !== 1 || addrs.has(`127.0.0.1:${pp}`) || addrs.has('none')) return false;
        promoted = Number([...addrs][0].split(':')[1]);
        return (await field(promoted, 'role')) === 'master';
      });
      const other = promoted === r1 ? r2 : r1;
      try {
        await waitFor('the other replica follows the new primary (authenticating with masterauth)', 60000, async () => {
          return (await field(other, 'master_port')) === String(promoted) && (await field(other, 'master_link_status')) === 'up';
        });
      } catch (e) {
        const info = await authed(other, 'INFO', 'replication').catch((x) => String(x));
        throw new Error(`${(e as Error).message}\n${String(info)}\n${logTails([...data.values(), ...sents])}`);
      }
      // The sentinels' MULTI ... CONFIG REWRITE ... EXEC rewrote both files.
      await waitFor('replicaof rewritten', 10000, () =>
        new RegExp(`^replicaof 127\\.0\\.0\\.1 ${promoted}$`, 'm').test(readFileSync(confs.get(other) as string, 'latin1')),
      );
      assert.doesNotMatch(readFileSync(confs.get(promoted) as string, 'latin1'), /^replicaof /m);
      // Without the sentinels, each node restarted from its file comes back in its new role.
      for (const s of sents) await kill(s);
      for (const port of [promoted, other]) {
        await kill(data.get(port) as Proc);
        data.set(port, await startDataConf(port, confs.get(port) as string));
      }
      assert.equal(await field(promoted, 'role'), 'master');
      assert.equal(await field(other, 'role'), 'slave');
      assert.equal(await field(other, 'master_port'), String(promoted));
      // (No persistence here: the restarted primary is empty; a write reaches the restarted replica.)
      await authed(promoted, 'SET', 'after', 'restart');
      await waitFor('restarted replica in sync', 15000, async () => (await authed(other, 'GET', 'after')) === 'restart');
    } finally {
      for (const s of sents) await kill(s);
      for (const d of data.values()) await kill(d);
    }
  });

  it('no promotion without a majority: two of three sentinels stopped (SIGSTOP), the third reaches ODOWN but is not elected', async () => {
    const [pp, r1, s1, s2, s3] = await ports(5);
    const primary = await startData(pp);
    const rep = await startData(r1, pp);
    const sents = [
      await startSentinel('keydra', s1, monitorLines(pp, 1, 1000)),
      await startSentinel('keydra', s2, monitorLines(pp, 2, 1000)),
      await startSentinel('redis', s3, monitorLines(pp, 2, 1000)),
    ];
    const w = await watchEvents(s1);
    try {
      await waitDiscovery(sents, 1);
      sents[1].proc.kill('SIGSTOP');
      sents[2].proc.kill('SIGSTOP');
      await kill(primary);
      await waitFor('+odown on the lone sentinel', 10000, () => w.events.find((e) => e.ch === '+odown'));
      await waitFor('-failover-abort-not-elected', 20000, () => w.events.find((e) => e.ch === '-failover-abort-not-elected'));
      assert.equal(await infoField(r1, 'role'), 'slave', 'the replica was not promoted');
      assert.ok(!w.events.some((e) => e.ch === '+elected-leader' || e.ch === '+switch-master'));
      assert.equal(await masterAddr(s1), `127.0.0.1:${pp}`);
      const ck = await call(s1, 'SENTINEL', 'CKQUORUM', 'mymaster');
      assert.match(JSON.stringify(ck), /NOQUORUM 1 usable Sentinels/);
    } finally {
      w.close();
      for (const x of sents) await kill(x);
      await kill(rep);
    }
  });
});
