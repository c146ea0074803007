/**
 * Sentinel commands and settings not covered by the failover scenarios, each run against a Keydra
 * sentinel and a real redis-sentinel 7.0 as the control (src/sentinel/commands.ts, failover.ts,
 * monitor.ts): SENTINEL INFO-CACHE, RESET (replicas and sentinels forgotten, then rediscovered),
 * SIMULATE-FAILURE (the process exits at that point), MONITOR/SET/REMOVE/FLUSHCONFIG as seen in
 * sentinel.conf, announce-ip/announce-port (what the other kind sees), auth to data nodes
 * (auth-pass) and between sentinels (requirepass + sentinel-pass). Also Keydra as a data node given
 * Sentinel's promotion transaction byte for byte as redis-server, and the README's three-command HA
 * setup on a non-loopback address.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  asMap,
  authCall,
  call,
  infoField,
  kill,
  logTails,
  masterAddr,
  monitorLines,
  ports,
  type Proc,
  root,
  sleep,
  startData,
  startDataArgs,
  startDataConf,
  startSentinel,
  waitDiscovery,
  waitFor,
  watchEvents,
} from '../helpers/sentinel.js';

const KINDS = ['keydra', 'redis'] as const;
type Kind = (typeof KINDS)[number];

/** A data-node config file (port, loopback, no persistence) in its own folder; `more` are extra lines. */
function dataConf(port: number, more: string[] = []): string {
  const dir = mkdtempSync(join(root, `conf-${port}-`));
  const file = join(dir, 'node.conf');
  writeFileSync(file, [`port ${port}`, 'bind 127.0.0.1', 'save ""', 'appendonly no', `dir ${dir}`, ...more, ''].join('\n'));
  return file;
}

/** The `sentinel ...` lines of a sentinel.conf, in file order. */
function sentinelLines(conf: string): string[] {
  return readFileSync(conf, 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('sentinel '));
}

const isErr = (r: RespNode, prefix: string) => typeof r === 'object' && r !== null && 't' in r && r.t === '-' && r.v.startsWith(prefix);

describe('Sentinel commands', { skip: redisServerPath() === null ? NO_REDIS : false, timeout: 240000 }, () => {
  it("Sentinel's promotion transaction (MULTI; SLAVEOF NO ONE | SLAVEOF host port; CONFIG REWRITE; CLIENT KILL TYPE normal; CLIENT KILL TYPE pubsub; EXEC): Keydra replies byte for byte as redis-server", async () => {
    const transcript: Record<Kind, string[]> = { keydra: [], redis: [] };
    for (const kind of KINDS) {
      const [pp, rp, sp] = await ports(3);
      const confs = { replica: dataConf(rp, [`replicaof 127.0.0.1 ${pp}`]), standalone: dataConf(sp) };
      const primary = await startData(pp, undefined, kind);
      const replica = await startDataConf(rp, confs.replica, kind);
      const standalone = await startDataConf(sp, confs.standalone, kind);
      try {
        await waitFor(`${kind} replica link`, 10000, async () => (await infoField(rp, 'master_link_status')) === 'up');
        for (const [port, slaveof] of [
          [rp, ['NO', 'ONE']],
          [sp, ['127.0.0.1', String(pp)]],
        ] as const) {
          // A bystander of each type Sentinel kills, and the connection that sends the transaction.
          const normal = await RawClient.connect(port);
          await normal.call('PING');
          const sub = await RawClient.connect(port);
          await sub.call('SUBSCRIBE', 'c');
          const tx = await RawClient.connect(port);
          const replies = await tx.pipeline([
            ['MULTI'],
            ['SLAVEOF', ...slaveof],
            ['CONFIG', 'REWRITE'],
            ['CLIENT', 'KILL', 'TYPE', 'normal'],
            ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
            ['EXEC'],
          ]);
          const raw = replies.map((x) => x.raw.toString('latin1'));
          transcript[kind].push(...raw);
          // EXEC ran every command (an unknown one would make it -EXECABORT).
          assert.equal(raw[5], '*4\r\n+OK\r\n+OK\r\n:1\r\n:1\r\n', `${kind}: EXEC of SLAVEOF ${slaveof.join(' ')}`);
          // CLIENT KILL skips the caller (SKIPME yes by default): the link stays usable, the others are gone.
          assert.deepEqual(await tx.call('PING'), { t: '+', v: 'PONG' });
          await assert.rejects(normal.call('PING'), /connection closed|ECONNRESET|EPIPE/);
          await assert.rejects(sub.readReply(), /connection closed|ECONNRESET|EPIPE/);
          tx.close();
        }
        assert.equal(await infoField(rp, 'role'), 'master');
        assert.equal(await infoField(sp, 'role'), 'slave');
        assert.equal(await infoField(sp, 'master_port'), String(pp));
        // CONFIG REWRITE in the transaction persisted the new roles.
        assert.doesNotMatch(readFileSync(confs.replica, 'latin1'), /^replicaof /m);
        assert.match(readFileSync(confs.standalone, 'latin1'), new RegExp(`^replicaof 127\\.0\\.0\\.1 ${pp}$`, 'm'));
      } finally {
        for (const p of [standalone, replica, primary]) await kill(p);
      }
    }
    assert.deepEqual(transcript.keydra, transcript.redis);
  });

  it('SENTINEL INFO-CACHE and RESET: same replies as redis-sentinel; RESET forgets replicas and sentinels, which are rediscovered', async () => {
    const [pp, r1, r2, ks, rs] = await ports(5);
    const data = [await startData(pp, undefined, 'keydra'), await startData(r1, pp, 'keydra'), await startData(r2, pp, 'keydra')];
    const sents = [
      await startSentinel('keydra', ks, monitorLines(pp, 2, 2000)),
      await startSentinel('redis', rs, monitorLines(pp, 2, 2000)),
    ];
    try {
      await waitDiscovery(sents, 2);
      const runIds = new Map<number, string>();
      for (const d of data) {
        const info = String(await call(d.port, 'INFO', 'server'));
        runIds.set(d.port, /^run_id:(\w+)/m.exec(info)?.[1] ?? '');
      }
      const rawOf = async (port: number, ...argv: string[]) => {
        const c = await RawClient.connect(port);
        try {
          return (await c.send(...argv)).raw.toString('latin1');
        } finally {
          c.close();
        }
      };
      for (const cmd of [
        ['SENTINEL', 'INFO-CACHE', 'nosuch'],
        // Subcommand arity from the command table, as processCommand checks it.
        ['SENTINEL', 'INFO-CACHE'],
        ['SENTINEL', 'SIMULATE-FAILURE'],
        ['SENTINEL', 'PENDING-SCRIPTS', 'x'],
        ['SENTINEL', 'DEBUG', 'x'],
        ['SENTINEL', 'RESET'],
        ['SENTINEL', 'RESET', 'a', 'b'],
        ['SENTINEL', 'RESET', 'nomatch*'],
        ['SENTINEL', 'SIMULATE-FAILURE', 'nosuch'],
      ])
        assert.equal(await rawOf(ks, ...cmd), await rawOf(rs, ...cmd), cmd.join(' '));
      for (const s of sents) {
        // INFO-CACHE: [name, [[age ms, INFO text] for the master, then each replica]].
        const ic = await call(s.port, 'SENTINEL', 'INFO-CACHE', 'mymaster');
        assert.ok(Array.isArray(ic) && ic.length === 2, `${s.kind}: ${JSON.stringify(ic)}`);
        assert.equal(ic[0], 'mymaster');
        const entries = ic[1];
        assert.ok(Array.isArray(entries) && entries.length === 3);
        const seen: number[] = [];
        entries.forEach((e, i) => {
          assert.ok(Array.isArray(e) && e.length === 2);
          assert.equal(typeof e[0], 'number', `${s.kind}: age is an integer`);
          assert.ok((e[0] as number) >= 0 && (e[0] as number) < 15000, `${s.kind}: age ${e[0]} ms`);
          const info = String(e[1]);
          assert.match(info, /^# Server\r\n/);
          assert.match(info, /\r\n# Replication\r\n/);
          const port = Number(/^tcp_port:(\d+)/m.exec(info)?.[1]);
          seen.push(port);
          assert.match(info, i === 0 ? /^role:master\r$/m : /^role:slave\r$/m);
          assert.equal(/^run_id:(\w+)/m.exec(info)?.[1], runIds.get(port), `${s.kind}: run_id of ${port}`);
        });
        assert.equal(seen[0], pp);
        assert.deepEqual(seen.slice(1).sort(), [r1, r2].sort());
        // Names repeated or unknown: each master once.
        const twice = await call(s.port, 'SENTINEL', 'INFO-CACHE', 'mymaster', 'mymaster', 'nosuch');
        assert.ok(Array.isArray(twice) && twice.length === 2 && twice[0] === 'mymaster');
      }
      for (const s of sents) {
        const w = await watchEvents(s.port);
        try {
          // RESET and MASTER in one write: the master is seen right after the reset, before any rediscovery.
          const c = await RawClient.connect(s.port);
          const [reset, master] = await c.pipeline([
            ['SENTINEL', 'RESET', 'my*'],
            ['SENTINEL', 'MASTER', 'mymaster'],
          ]);
          c.close();
          assert.equal(reset.raw.toString('latin1'), ':1\r\n', `${s.kind}: RESET my*`);
          const m = asMap(master.node);
          assert.equal(m['num-slaves'], '0', `${s.kind}: replicas forgotten`);
          assert.equal(m['num-other-sentinels'], '0', `${s.kind}: sentinels forgotten`);
          // Its links were closed too (reconnected on the next timer tick).
          assert.match(m.flags, /^master(,disconnected)?$/);
          await waitFor(`${s.kind}: +reset-master`, 5000, () =>
            w.events.find((e) => e.ch === '+reset-master' && e.msg === `master mymaster 127.0.0.1 ${pp}`),
          );
          // INFO from the master brings the replicas back, hello messages the other sentinel.
          await waitDiscovery(sents, 2);
          assert.ok(w.events.filter((e) => e.ch === '+slave').length >= 2, `${s.kind}: +slave events after the reset`);
          assert.ok(
            w.events.some((e) => e.ch === '+sentinel'),
            `${s.kind}: +sentinel after the reset`,
          );
          const again = await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
          assert.ok(Array.isArray(again));
          assert.deepEqual(again.map((x) => Number(asMap(x).port)).sort(), [r1, r2].sort());
        } finally {
          w.close();
        }
      }
    } finally {
      for (const s of sents) await kill(s);
      for (const d of data) await kill(d);
    }
  });

  for (const kind of KINDS)
    for (const what of ['crash-after-election', 'crash-after-promotion'] as const)
      it(`${kind} sentinel: SENTINEL SIMULATE-FAILURE ${what} exits the process (code 99) at that point of a failover`, async () => {
        const [pp, rp, sp] = await ports(3);
        const primary = await startData(pp, undefined, 'keydra');
        const replica = await startData(rp, pp, 'keydra');
        // One sentinel, quorum 1: it reaches ODOWN alone and votes for itself.
        const s = await startSentinel(kind, sp, monitorLines(pp, 1, 1000));
        const w = await watchEvents(sp);
        try {
          await waitDiscovery([s], 1);
          assert.deepEqual(await call(sp, 'SENTINEL', 'SIMULATE-FAILURE', what), { t: '+', v: 'OK' });
          const flags = /^sentinel_simulate_failure_flags:(\d+)\r$/m.exec(String(await call(sp, 'INFO', 'sentinel')))?.[1];
          assert.equal(flags, what === 'crash-after-election' ? '1' : '2');
          const exited = new Promise<number | null>((res) => s.proc.once('exit', (code) => res(code)));
          await kill(primary);
          const code = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('still running'), 20000))]);
          assert.equal(code, 99, logTails([s]));
          const log = readFileSync(s.log, 'latin1');
          assert.match(log, /Sentinel CRASH because of SENTINEL simulate-failure/);
          // The event of that point is logged; the next state's is neither logged nor published.
          // (redis-sentinel exits before it writes its pending replies: subscribers may miss the last event.)
          const [last, next] =
            what === 'crash-after-election'
              ? ['+elected-leader', '+failover-state-select-slave']
              : ['+promoted-slave', '+failover-state-reconf-slaves'];
          assert.ok(log.includes(` ${last} `), `${kind}: ${last} logged`);
          assert.ok(!log.includes(next), `${kind}: ${next} not logged`);
          assert.ok(!w.events.some((e) => e.ch === next), `${kind}: ${next} not published`);
          if (what === 'crash-after-election') {
            // Nothing was sent to the replica.
            await sleep(1000);
            assert.equal(await infoField(rp, 'role'), 'slave');
          } else assert.equal(await infoField(rp, 'role'), 'master');
        } finally {
          w.close();
          await kill(s);
          await kill(replica);
          await kill(primary);
        }
      });

  it('SENTINEL MONITOR / SET / REMOVE / FLUSHCONFIG rewrite sentinel.conf as redis-sentinel does', async () => {
    const [pp, op, ks, rs] = await ports(4);
    const primary = await startData(pp, undefined, 'keydra');
    const other = await startData(op, undefined, 'keydra');
    const sents = [
      await startSentinel('keydra', ks, monitorLines(pp, 2, 5000)),
      await startSentinel('redis', rs, monitorLines(pp, 2, 5000)),
    ];
    const normalised: string[][] = [];
    try {
      for (const s of sents) {
        const conf = s.conf as string;
        const myid = String(await call(s.port, 'SENTINEL', 'MYID'));
        assert.deepEqual(await call(s.port, 'SENTINEL', 'MONITOR', 'other', '127.0.0.1', String(op), '3'), { t: '+', v: 'OK' });
        assert.ok(
          sentinelLines(conf).includes(`sentinel monitor other 127.0.0.1 ${op} 3`),
          `${s.kind}: ${sentinelLines(conf).join(' | ')}`,
        );
        assert.deepEqual(await call(s.port, 'SENTINEL', 'SET', 'other', 'down-after-milliseconds', '4321', 'quorum', '1'), {
          t: '+',
          v: 'OK',
        });
        const afterSet = sentinelLines(conf);
        assert.ok(afterSet.includes('sentinel down-after-milliseconds other 4321'), `${s.kind}: ${afterSet.join(' | ')}`);
        assert.ok(afterSet.includes(`sentinel monitor other 127.0.0.1 ${op} 1`), `${s.kind}: quorum rewritten`);
        assert.deepEqual(await call(s.port, 'SENTINEL', 'REMOVE', 'other'), { t: '+', v: 'OK' });
        assert.ok(!sentinelLines(conf).some((l) => / other /.test(l)), `${s.kind}: REMOVE dropped 'other'`);
        assert.ok(sentinelLines(conf).includes(`sentinel monitor mymaster 127.0.0.1 ${pp} 2`));
        // FLUSHCONFIG writes the whole state again into a file reduced to its port line.
        writeFileSync(conf, `port ${s.port}\n`);
        assert.deepEqual(await call(s.port, 'SENTINEL', 'FLUSHCONFIG'), { t: '+', v: 'OK' });
        const flushed = sentinelLines(conf);
        assert.ok(flushed.includes(`sentinel myid ${myid}`), `${s.kind}: ${flushed.join(' | ')}`);
        assert.ok(flushed.includes(`sentinel monitor mymaster 127.0.0.1 ${pp} 2`));
        assert.ok(flushed.includes('sentinel down-after-milliseconds mymaster 5000'));
        normalised.push(
          flushed
            .map((l) =>
              l
                .replace(myid, '<myid>')
                .replace(/ [0-9a-f]{40}$/, ' <id>')
                .replace(String(pp), '<pp>'),
            )
            .filter((l) => !l.startsWith('sentinel known-sentinel')),
        );
        // A restart from the flushed file keeps the id and the master.
        await kill(s, 'SIGTERM');
        const back = await startSentinel(s.kind, s.port, [], conf);
        sents[sents.indexOf(s)] = back;
        assert.equal(await call(s.port, 'SENTINEL', 'MYID'), myid);
        assert.equal(await masterAddr(s.port), `127.0.0.1:${pp}`);
        assert.deepEqual(await call(s.port, 'SENTINEL', 'MASTER', 'other'), { t: '-', v: 'ERR No such master with that name' });
      }
      // The same directives in the same order.
      assert.deepEqual(normalised[0], normalised[1]);
    } finally {
      for (const s of sents) await kill(s);
      await kill(other);
      await kill(primary);
    }
  });

  it('sentinel announce-ip / announce-port: hello messages and SENTINEL SENTINELS on the other kind show the announced address', async () => {
    const [pp, ks, rs, kFake, rFake] = await ports(5);
    const primary = await startData(pp, undefined, 'keydra');
    // Announced ports nothing listens on: the address is only what the others are told.
    const k = await startSentinel('keydra', ks, [
      ...monitorLines(pp, 2, 5000),
      'sentinel announce-ip 127.0.0.5',
      `sentinel announce-port ${kFake}`,
    ]);
    const r = await startSentinel('redis', rs, [
      ...monitorLines(pp, 2, 5000),
      'sentinel announce-ip 127.0.0.6',
      `sentinel announce-port ${rFake}`,
    ]);
    const hello = await RawClient.connect(pp);
    try {
      await hello.call('SUBSCRIBE', '__sentinel__:hello');
      const kid = String(await call(ks, 'SENTINEL', 'MYID'));
      const rid = String(await call(rs, 'SENTINEL', 'MYID'));
      const msgs: string[] = [];
      await waitFor('a hello from each sentinel', 15000, async () => {
        const m = (await hello.readReply()).node;
        if (Array.isArray(m) && m[0] === 'message') msgs.push(String(m[2]));
        return msgs.some((x) => x.includes(kid)) && msgs.some((x) => x.includes(rid));
      });
      // ip,port,runid,current-epoch,master-name,master-ip,master-port,master-config-epoch
      const fields = (id: string) => (msgs.find((x) => x.includes(id)) as string).split(',');
      assert.deepEqual(fields(kid).slice(0, 3), ['127.0.0.5', String(kFake), kid]);
      assert.deepEqual(fields(rid).slice(0, 3), ['127.0.0.6', String(rFake), rid]);
      assert.deepEqual(fields(kid).slice(4), ['mymaster', '127.0.0.1', String(pp), '0']);
      assert.deepEqual(fields(rid).slice(4), fields(kid).slice(4));
      for (const [observer, ip, port, id] of [
        [rs, '127.0.0.5', kFake, kid],
        [ks, '127.0.0.6', rFake, rid],
      ] as const) {
        await waitFor(`sentinel ${id} seen on ${observer}`, 15000, async () => {
          const list = await call(observer, 'SENTINEL', 'SENTINELS', 'mymaster');
          return Array.isArray(list) && list.length === 1 && asMap(list[0]).runid === id;
        });
        const seen = asMap(((await call(observer, 'SENTINEL', 'SENTINELS', 'mymaster')) as RespNode[])[0]);
        assert.equal(seen.ip, ip);
        assert.equal(seen.port, String(port));
        assert.equal(seen.name, id, 'sentinels are named by run id (Redis 7)');
      }
      for (const [p, ip, port] of [
        [ks, '127.0.0.5', kFake],
        [rs, '127.0.0.6', rFake],
      ] as const) {
        const cfg = asMap(await call(p, 'SENTINEL', 'CONFIG', 'GET', 'announce-*'));
        assert.equal(cfg['announce-ip'], ip);
        assert.equal(cfg['announce-port'], String(port));
      }
    } finally {
      hello.close();
      await kill(k);
      await kill(r);
      await kill(primary);
    }
  });

  it('three Keydra sentinels with `sentinel auth-pass` fail over Keydra data nodes that have requirepass/masterauth', async () => {
    const [pp, r1, r2, s1, s2, s3] = await ports(6);
    const auth = ['--requirepass', 'secret', '--masterauth', 'secret'];
    const data = [
      await startData(pp, undefined, 'keydra', auth),
      await startData(r1, pp, 'keydra', auth),
      await startData(r2, pp, 'keydra', auth),
    ];
    const lines = [...monitorLines(pp, 2, 2000), 'sentinel auth-pass mymaster secret'];
    const sents = [
      await startSentinel('keydra', s1, lines),
      await startSentinel('keydra', s2, lines),
      await startSentinel('keydra', s3, lines),
    ];
    const field = async (port: number, f: string) =>
      new RegExp(`^${f}:(.*)\r$`, 'm').exec(String(await authCall(port, 'secret', 'INFO', 'replication')))?.[1];
    const w = await watchEvents(s1);
    try {
      await waitDiscovery(sents, 2);
      assert.ok(isErr(await call(pp, 'PING'), 'NOAUTH'));
      // The link is authenticated: flags plain, INFO fields read (run id, replica offsets).
      const m = asMap(await call(s1, 'SENTINEL', 'MASTER', 'mymaster'));
      assert.equal(m.flags, 'master');
      assert.match(m.runid, /^[0-9a-f]{40}$/);
      await kill(data[0]);
      const sw = await waitFor('+switch-master', 30000, () => w.events.find((e) => e.ch === '+switch-master'));
      const promoted = Number(sw.msg.split(' ')[4]);
      const other = promoted === r1 ? r2 : r1;
      assert.ok([r1, r2].includes(promoted));
      for (const s of sents)
        await waitFor(`new address on ${s.port}`, 10000, async () => (await masterAddr(s.port)) === `127.0.0.1:${promoted}`);
      assert.equal(await field(promoted, 'role'), 'master');
      await waitFor(
        'the other replica follows (masterauth)',
        30000,
        async () => (await field(other, 'master_port')) === String(promoted) && (await field(other, 'master_link_status')) === 'up',
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTails([...data, ...sents])}`);
    } finally {
      w.close();
      for (const s of sents) await kill(s);
      for (const d of data) await kill(d);
    }
  });

  it('sentinels with requirepass authenticate to each other with `sentinel sentinel-pass` (two Keydra + one redis-sentinel): no sentinel down, a failover is voted', async () => {
    const [pp, r1, s1, s2, s3] = await ports(5);
    const data = [await startData(pp, undefined, 'keydra'), await startData(r1, pp, 'keydra')];
    const lines = [...monitorLines(pp, 2, 2000), 'requirepass spass', 'sentinel sentinel-pass spass'];
    const sents = [
      await startSentinel('keydra', s1, lines),
      await startSentinel('keydra', s2, lines),
      await startSentinel('redis', s3, lines),
    ];
    try {
      // Clients need AUTH as well: the same errors as redis-sentinel.
      for (const argv of [
        ['SENTINEL', 'MASTERS'],
        ['AUTH', 'wrong'],
      ]) {
        const a = await RawClient.connect(s1);
        const b = await RawClient.connect(s3);
        assert.equal((await a.send(...argv)).raw.toString('latin1'), (await b.send(...argv)).raw.toString('latin1'), argv.join(' '));
        a.close();
        b.close();
      }
      await waitDiscovery(sents, 1, 'spass');
      // Past down-after-milliseconds: every sentinel's PINGs to the others were answered (not NOAUTH).
      await sleep(3000);
      for (const s of sents) {
        const list = await authCall(s.port, 'spass', 'SENTINEL', 'SENTINELS', 'mymaster');
        assert.ok(Array.isArray(list) && list.length === 2);
        for (const x of list) assert.equal(asMap(x).flags, 'sentinel', `${s.kind} ${s.port} sees ${asMap(x).name}`);
        assert.deepEqual(await authCall(s.port, 'spass', 'SENTINEL', 'CKQUORUM', 'mymaster'), {
          t: '+',
          v: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
        });
      }
      // A failover needs IS-MASTER-DOWN-BY-ADDR votes (authenticated) from a majority.
      await kill(data[0]);
      await waitFor('every sentinel names the promoted replica', 30000, async () => {
        for (const s of sents) if ((await masterAddr(s.port, 'spass')) !== `127.0.0.1:${r1}`) return false;
        return true;
      });
      assert.equal(await infoField(r1, 'role'), 'master');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTails([...data, ...sents])}`);
    } finally {
      for (const s of sents) await kill(s);
      for (const d of data) await kill(d);
    }
  });

  /** A non-loopback IPv4 address of this host (the README's setup binds 0.0.0.0 on real hosts). */
  const hostIp = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

  it("the README's three-command setup works over a non-loopback address (protected-mode)", {
    skip: hostIp === undefined ? 'no non-loopback IPv4 address' : false,
  }, async () => {
    const ip = hostIp as string;
    const [pp, r1, r2, s1, s2, s3, bare] = await ports(7);
    // Without --protected-mode no (and no password), a 0.0.0.0 bind refuses remote clients, as redis-server does.
    for (const kind of KINDS) {
      const n = await startDataArgs(bare, ['--port', String(bare), '--bind', '0.0.0.0'], kind);
      try {
        const c = await RawClient.connect(bare, ip);
        const r = await c.readReply().catch(() => null);
        c.close();
        assert.ok(r !== null && isErr(r.node, 'DENIED Redis is running in protected mode'), `${kind}: ${JSON.stringify(r?.node)}`);
      } finally {
        await kill(n);
      }
    }
    // The README's commands, with this host's address and free ports.
    const node = (port: number, of?: number) =>
      startDataArgs(port, [
        '--port',
        String(port),
        '--bind',
        '0.0.0.0',
        '--protected-mode',
        'no',
        ...(of ? ['--replicaof', ip, String(of)] : []),
      ]);
    const data = [await node(pp), await node(r1, pp), await node(r2, pp)];
    const sents: Proc[] = [];
    for (const p of [s1, s2, s3]) {
      const conf = join(root, `readme-${p}.conf`);
      writeFileSync(conf, `port ${p}\nsentinel monitor mymaster ${ip} ${pp} 2\n`);
      sents.push(await startSentinel('keydra', p, [], conf));
    }
    try {
      await waitDiscovery(sents, 2);
      // Reached over the host address (clients are not on loopback in a real deployment).
      const c = await RawClient.connect(pp, ip);
      assert.deepEqual(await c.call('SET', 'k', 'v'), { t: '+', v: 'OK' });
      assert.equal(await c.call('WAIT', '2', '5000'), 2);
      c.close();
      const sc = await RawClient.connect(s1, ip);
      assert.deepEqual(await sc.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'), [ip, String(pp)]);
      sc.close();
      // The sentinels found each other at the host address (a hello is sent only from a connected link,
      // whose local address is known: never a loopback address the others would adopt).
      for (const s of sents) {
        const list = await call(s.port, 'SENTINEL', 'SENTINELS', 'mymaster');
        assert.ok(Array.isArray(list) && list.length === 2);
        for (const x of list) assert.equal(asMap(x).ip, ip, `sentinel ${s.port} sees ${asMap(x).name} at ${asMap(x).ip}`);
      }
      for (const s of sents) assert.doesNotMatch(readFileSync(s.log, 'latin1'), /sentinel-address-switch|\+sentinel .* 127\.0\.0\.1 /);
      // Default down-after-milliseconds is 30 s; shortened here to keep the test quick.
      for (const s of sents) await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '2000');
      await kill(data[0]);
      let promoted = '';
      await waitFor('the sentinels agree on a new primary', 30000, async () => {
        const addrs = new Set(await Promise.all(sents.map((s) => masterAddr(s.port))));
        promoted = [...addrs][0];
        return addrs.size === 1 && promoted !== `${ip}:${pp}` && promoted !== 'none';
      });
      const [pip, pport] = promoted.split(':');
      assert.equal(pip, ip);
      const nc = await RawClient.connect(Number(pport), ip);
      assert.equal(await nc.call('GET', 'k'), 'v');
      assert.deepEqual(await nc.call('SET', 'k', 'after'), { t: '+', v: 'OK' });
      nc.close();
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTails([...data, ...sents])}`);
    } finally {
      for (const s of sents) await kill(s);
      for (const d of data) await kill(d);
    }
  });
});
