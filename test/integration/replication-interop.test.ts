/**
 * Role changes between Keydra and redis-server 7.0 over real sockets (issue 15: FAILOVER and
 * PSYNC2 across servers):
 * - FAILOVER TO a Keydra replica of a redis-server primary: Keydra is promoted, the redis-server
 *   turns into its replica and continues with a partial resync (+CONTINUE, sync_partial_ok on
 *   Keydra, the old replid kept as replid2 up to second_repl_offset), writes flow; and the reverse,
 *   a Keydra primary handing over to its redis-server replica;
 * - FAILOVER's errors, ABORT, TIMEOUT (without and with FORCE) on a Keydra primary, the same
 *   scenario run on a redis-server primary as control (replies and states compared);
 * - PSYNC2: a replica promoted with REPLICAOF NO ONE, and the other replica of the same primary
 *   repointed to it, continue partially, Keydra promoted with a redis-server follower and the
 *   reverse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, type Peer, redisServerPath, startKeydra, startRedis } from '../helpers/servers.js';
import { sleep, waitFor } from '../helpers/wait.js';

const skip = redisServerPath() === null ? NO_REDIS : false;
type Kind = 'keydra' | 'redis';

/** A reply as plain text: strings and numbers as themselves, errors as `-<text>`, others as JSON. */
function text(n: RespNode): string {
  if (typeof n === 'string') return n;
  if (typeof n === 'number') return String(n);
  if (n !== null && typeof n === 'object' && 't' in n && 'v' in n) return `${n.t === '-' ? '-' : ''}${String(n.v)}`;
  return JSON.stringify(n);
}

/** INFO <section> as a field map. */
async function info(c: RawClient, section = 'replication'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of text(await c.call('INFO', section)).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** A started server of `kind` and a client on it. */
interface Node {
  kind: Kind;
  peer: Peer;
  port: number;
  c: RawClient;
}

async function start(kind: Kind, opts: Record<string, string> = {}): Promise<Node> {
  const base = { 'repl-diskless-sync-delay': '0', ...opts };
  let peer: Peer | null;
  if (kind === 'keydra') peer = await startKeydra(base);
  else {
    const args: string[] = [];
    for (const [k, v] of Object.entries(base)) args.push(`--${k}`, v);
    peer = await startRedis(args);
  }
  if (peer === null) throw new Error('no redis-server');
  return { kind, peer, port: peer.port, c: await RawClient.connect(peer.port) };
}

async function stop(n: Node | null): Promise<void> {
  if (n === null) return;
  n.c.close();
  await n.peer.close();
}

/** Waits until `r` follows `p` with its link up, the sync done and the offsets equal. */
async function synced(p: Node, r: Node, ms = 20000): Promise<void> {
  await waitFor(`${r.kind} replica ${r.port} in sync with ${p.kind} ${p.port}`, ms, async () => {
    const ri = await info(r.c);
    if (ri.master_port !== String(p.port) || ri.master_link_status !== 'up' || ri.master_sync_in_progress !== '0') return false;
    return ri.master_repl_offset === (await info(p.c)).master_repl_offset;
  });
}

/** Every key of db 0 with its type-aware value (small datasets). */
async function dataset(c: RawClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keys = ((await c.call('KEYS', '*')) as string[]).sort();
  for (const k of keys) {
    const type = text(await c.call('TYPE', k));
    let v: RespNode = null;
    if (type === 'string') v = await c.call('GET', k);
    else if (type === 'list') v = await c.call('LRANGE', k, 0, -1);
    else if (type === 'hash') v = ((await c.call('HGETALL', k)) as string[]).join(',');
    else if (type === 'set') v = ((await c.call('SMEMBERS', k)) as string[]).sort();
    else if (type === 'zset') v = await c.call('ZRANGE', k, 0, -1, 'WITHSCORES');
    out[k] = { type, v, ttl: text(await c.call('PEXPIRETIME', k)) };
  }
  return out;
}

async function populate(c: RawClient, prefix: string): Promise<void> {
  const cmds: string[][] = [];
  for (let i = 0; i < 200; i++) cmds.push(['SET', `${prefix}:${i}`, `v${i}`]);
  cmds.push(['RPUSH', `${prefix}:list`, 'a', 'b', 'c'], ['HSET', `${prefix}:hash`, 'f', '1'], ['ZADD', `${prefix}:z`, '1', 'm']);
  cmds.push(['SET', `${prefix}:ttl`, 'x', 'EX', '5000'], ['SADD', `${prefix}:set`, 'p', 'q']);
  for (const r of await c.pipeline(cmds)) assert.ok(!text(r.node).startsWith('-'), text(r.node));
}

describe('FAILOVER between redis-server and Keydra', { skip }, () => {
  let redis: Node | null = null;
  let keydra: Node | null = null;
  before(async () => {
    redis = await start('redis');
    keydra = await start('keydra');
  });
  after(async () => {
    await stop(keydra);
    await stop(redis);
  });

  it('redis-server primary, Keydra replica: FAILOVER TO Keydra promotes it; the redis-server follows with a partial resync; writes flow', async () => {
    const p = redis as Node;
    const k = keydra as Node;
    await populate(p.c, 'a');
    assert.equal(text(await k.c.call('REPLICAOF', '127.0.0.1', p.port)), 'OK');
    await synced(p, k);
    await populate(p.c, 'b'); // streamed
    await synced(p, k);
    const oldReplid = (await info(p.c)).master_replid;
    const offset = Number((await info(p.c)).master_repl_offset);
    const kStats0 = await info(k.c, 'stats');
    assert.equal(text(await p.c.call('FAILOVER', 'TO', '127.0.0.1', k.port)), 'OK');
    await waitFor('Keydra is the primary', 10000, async () => (await info(k.c)).role === 'master');
    await synced(k, p);
    const ki = await info(k.c);
    const pi = await info(p.c);
    assert.equal(pi.role, 'slave');
    assert.equal(pi.master_host, '127.0.0.1');
    // PSYNC2: Keydra took a new replid and keeps the old one up to the offset it had reached.
    assert.notEqual(ki.master_replid, oldReplid);
    assert.equal(ki.master_replid2, oldReplid);
    // (the primary's periodic PING may have moved the offset after we read it)
    assert.ok(Number(ki.second_repl_offset) >= offset + 1, `second_repl_offset ${ki.second_repl_offset}, offset ${offset}`);
    assert.equal(pi.master_replid, ki.master_replid, 'the redis-server continues with the new replid (+CONTINUE <id>)');
    assert.equal(pi.master_replid2, oldReplid);
    assert.equal(pi.second_repl_offset, ki.second_repl_offset);
    const kStats = await info(k.c, 'stats');
    assert.equal(Number(kStats.sync_partial_ok), Number(kStats0.sync_partial_ok) + 1, 'a partial resync');
    assert.equal(kStats.sync_full, kStats0.sync_full, 'no full sync');
    assert.equal(pi.master_failover_state, 'no-failover');
    assert.equal(ki.master_failover_state, 'no-failover');
    // Writes: Keydra takes them, the redis-server refuses them and applies Keydra's.
    assert.equal(text(await p.c.call('SET', 'x', '1')), "-READONLY You can't write against a read only replica.");
    assert.equal(text(await k.c.call('SET', 'after-failover', 'k')), 'OK');
    await k.c.call('INCR', 'a:counter');
    assert.equal(text(await k.c.call('WAIT', 1, 5000)), '1');
    assert.equal(text(await p.c.call('GET', 'after-failover')), 'k');
    await synced(k, p);
    assert.deepEqual(await dataset(p.c), await dataset(k.c));
    const role = (await k.c.call('ROLE')) as RespNode[];
    assert.equal(role[0], 'master');
    assert.deepEqual(
      (role[2] as string[][]).map((e) => e.slice(0, 2)),
      [['127.0.0.1', String(p.port)]],
    );
  });

  it('Keydra primary, redis-server replica: FAILOVER TO the redis-server; Keydra follows it with a partial resync; writes flow', async () => {
    // The previous test left Keydra the primary of the redis-server.
    const k = keydra as Node;
    const r = redis as Node;
    await populate(k.c, 'c');
    await synced(k, r);
    const oldReplid = (await info(k.c)).master_replid;
    const offset = Number((await info(k.c)).master_repl_offset);
    const rStats0 = await info(r.c, 'stats');
    assert.equal(text(await k.c.call('FAILOVER', 'TO', '127.0.0.1', r.port)), 'OK');
    await waitFor('redis-server is the primary', 10000, async () => (await info(r.c)).role === 'master');
    await synced(r, k);
    const ri = await info(r.c);
    const ki = await info(k.c);
    assert.equal(ki.role, 'slave');
    assert.equal(ki.master_port, String(r.port));
    assert.equal(ri.master_replid2, oldReplid);
    assert.ok(Number(ri.second_repl_offset) >= offset + 1, `second_repl_offset ${ri.second_repl_offset}, offset ${offset}`);
    assert.equal(ki.master_replid, ri.master_replid);
    assert.equal(ki.master_replid2, oldReplid);
    assert.equal(ki.second_repl_offset, ri.second_repl_offset);
    const rStats = await info(r.c, 'stats');
    assert.equal(Number(rStats.sync_partial_ok), Number(rStats0.sync_partial_ok) + 1, 'Keydra continued partially');
    assert.equal(rStats.sync_full, rStats0.sync_full, 'no full sync');
    assert.equal(ki.master_failover_state, 'no-failover');
    assert.equal(text(await k.c.call('SET', 'x', '1')), "-READONLY You can't write against a read only replica.");
    assert.equal(text(await r.c.call('SET', 'back-on-redis', 'r')), 'OK');
    await r.c.call('DEL', 'c:0');
    assert.equal(text(await r.c.call('WAIT', 1, 5000)), '1');
    assert.equal(text(await k.c.call('GET', 'back-on-redis')), 'r');
    assert.equal(text(await k.c.call('EXISTS', 'c:0')), '0');
    await synced(r, k);
    assert.deepEqual(await dataset(k.c), await dataset(r.c));
  });
});

/**
 * FAILOVER's errors, ABORT and TIMEOUT on a primary of `kind` with one redis-server replica, as
 * replies and observed states; the same list is expected from both kinds.
 */
async function failoverScenario(kind: Kind): Promise<unknown[]> {
  const p = await start(kind);
  const r = await start('redis');
  const writer = await RawClient.connect(p.port);
  const out: unknown[] = [];
  try {
    // Without replicas, then with arguments Redis rejects.
    out.push(text(await p.c.call('FAILOVER')));
    await r.c.call('REPLICAOF', '127.0.0.1', p.port);
    await synced(p, r);
    // The primary's own view too: FAILOVER TO needs the replica online there (a diskless sync puts
    // it online at its first REPLCONF ACK, which may come after the offsets match).
    await waitFor(`${kind} primary sees its replica online`, 10_000, async () => /state=online/.test((await info(p.c)).slave0 ?? ''));
    for (const argv of [
      ['FAILOVER', 'ABORT'],
      ['FAILOVER', 'TO', '127.0.0.1', '1'],
      ['FAILOVER', 'FORCE'],
      ['FAILOVER', 'TO', '127.0.0.1', String(r.port), 'FORCE'],
      ['FAILOVER', 'TIMEOUT', '-1'],
      ['FAILOVER', 'TIMEOUT', 'x'],
      ['FAILOVER', 'TO', '127.0.0.1'],
      ['FAILOVER', 'ABORT', 'TO', '127.0.0.1', String(r.port)],
      ['FAILOVER', 'BOGUS'],
    ])
      out.push(`${argv.slice(1).join(' ').replace(String(r.port), 'RPORT')} => ${text(await p.c.call(...argv))}`);
    // ABORT while waiting for a stopped replica to catch up: the paused writes then run.
    const proc = (r.peer as Peer & { proc: import('node:child_process').ChildProcess }).proc;
    proc.kill('SIGSTOP');
    try {
      await p.c.call('SET', 'lag', '1');
      out.push(text(await p.c.call('FAILOVER', 'TO', '127.0.0.1', r.port, 'TIMEOUT', 60000)));
      out.push((await info(p.c)).master_failover_state);
      out.push(text(await p.c.call('FAILOVER')));
      let answered = false;
      const paused = writer.call('SET', 'during', '1').then((x) => {
        answered = true;
        return x;
      });
      await sleep(300);
      out.push(`write answered while waiting: ${answered}`);
      out.push(text(await p.c.call('GET', 'lag'))); // reads are served
      out.push(text(await p.c.call('FAILOVER', 'ABORT')));
      out.push(text(await paused));
      out.push((await info(p.c)).master_failover_state);
      out.push((await info(p.c)).role);
      // TIMEOUT without FORCE: aborted once it passes, still the primary, writes go on.
      out.push(text(await p.c.call('FAILOVER', 'TIMEOUT', 500)));
      out.push((await info(p.c)).master_failover_state);
      await waitFor('failover timed out', 5000, async () => (await info(p.c)).master_failover_state === 'no-failover');
      out.push((await info(p.c)).role);
      out.push(text(await writer.call('SET', 'after-timeout', '1')));
      // TIMEOUT with FORCE: fails over anyway once it passes (to a replica still stopped).
      out.push(text(await p.c.call('FAILOVER', 'TO', '127.0.0.1', r.port, 'TIMEOUT', 500, 'FORCE')));
      await waitFor('forced failover in progress', 5000, async () => (await info(p.c)).master_failover_state === 'failover-in-progress');
      out.push('failover-in-progress');
    } finally {
      proc.kill('SIGCONT');
    }
    // The replica answers the PSYNC FAILOVER: it is promoted, the old primary follows it.
    await waitFor('replica promoted', 15000, async () => (await info(r.c)).role === 'master');
    await synced(r, p);
    out.push(`${(await info(p.c)).role} ${(await info(r.c)).role}`);
    // Whether the writes the stopped replica had not applied survive a forced failover depends on
    // the order the replica reads its sockets in (FORCE may lose them, as documented); either way
    // the two end with the same data.
    out.push(`same data: ${JSON.stringify(await dataset(p.c)) === JSON.stringify(await dataset(r.c))}`);
    out.push(text(await r.c.call('SET', 'on-new-primary', '1')));
    await synced(r, p);
    out.push(text(await p.c.call('GET', 'on-new-primary')));
    return out;
  } finally {
    writer.close();
    await stop(r);
    await stop(p);
  }
}

describe('FAILOVER errors, ABORT and TIMEOUT on a Keydra primary, as on redis-server', { skip }, () => {
  it('same replies and states, step by step', async () => {
    const want = await failoverScenario('redis');
    const got = await failoverScenario('keydra');
    assert.deepEqual(got, want);
  });
});

describe('PSYNC2 across servers: a promoted replica and its former sibling', { skip }, () => {
  for (const [promoted, follower] of [
    ['keydra', 'redis'],
    ['redis', 'keydra'],
  ] as [Kind, Kind][]) {
    it(`${promoted} replica promoted with REPLICAOF NO ONE; the ${follower} replica of the same primary repointed to it continues partially`, async () => {
      const nodes: Node[] = [];
      try {
        const p = await start('redis');
        nodes.push(p);
        const a = await start(promoted);
        const b = await start(follower);
        nodes.push(a, b);
        await populate(p.c, 'p');
        for (const x of [a, b]) await x.c.call('REPLICAOF', '127.0.0.1', p.port);
        for (const x of [a, b]) await synced(p, x);
        await populate(p.c, 'q');
        for (const x of [a, b]) await synced(p, x);
        const oldReplid = (await info(p.c)).master_replid;
        const offset = Number((await info(p.c)).master_repl_offset);
        // The old primary goes away; A takes over, B follows A.
        await stop(nodes.shift() as Node);
        assert.equal(text(await a.c.call('REPLICAOF', 'NO', 'ONE')), 'OK');
        const ai = await info(a.c);
        assert.equal(ai.master_replid2, oldReplid);
        assert.notEqual(ai.master_replid, oldReplid);
        // The old history is accepted up to where A had applied it (at least what we read last).
        assert.ok(Number(ai.master_repl_offset) >= offset);
        assert.equal(Number(ai.second_repl_offset), Number(ai.master_repl_offset) + 1);
        // A write on A before B arrives: B gets it from A's backlog.
        assert.equal(text(await a.c.call('SET', 'promoted', promoted)), 'OK');
        const stats0 = await info(a.c, 'stats');
        assert.equal(text(await b.c.call('REPLICAOF', '127.0.0.1', a.port)), 'OK');
        await synced(a, b);
        const stats1 = await info(a.c, 'stats');
        assert.equal(Number(stats1.sync_partial_ok), Number(stats0.sync_partial_ok) + 1, 'a partial resync');
        assert.equal(stats1.sync_full, stats0.sync_full, 'no full sync');
        const bi = await info(b.c);
        assert.equal(bi.master_replid, ai.master_replid);
        assert.equal(bi.master_replid2, oldReplid);
        assert.equal(bi.second_repl_offset, ai.second_repl_offset);
        assert.equal(text(await b.c.call('GET', 'promoted')), promoted);
        await a.c.call('LPUSH', 'p:list', 'new');
        assert.equal(text(await a.c.call('WAIT', 1, 5000)), '1');
        assert.deepEqual(await dataset(b.c), await dataset(a.c));
      } finally {
        for (const n of nodes) await stop(n);
      }
    });
  }
});
