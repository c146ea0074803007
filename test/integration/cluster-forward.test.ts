/**
 * Cluster forwarding (`cluster-forward yes`, src/server/clusterForward.ts) on a 3-node Keydra
 * cluster built by `redis-cli --cluster create`: cluster-unaware clients (redis-cli without -c,
 * redis-benchmark, a raw RESP client) use the whole cluster through one node: GET/SET/INCR on every
 * slot, pipelined requests mixing local and remote keys answered in order, MULTI/EXEC on a remote
 * slot, EVAL and EVALSHA of a script loaded on the entry node, a blocking BLPOP woken by a push
 * through another node, RESP3 replies relayed as RESP3, the owner's errors relayed verbatim; what
 * Redis refuses whatever the owner (-CROSSSLOT) is still refused; with forwarding off, -MOVED.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { keyHashSlot } from '../../src/store/keyslot.js';
import { NO_REDIS, redisServerPath, startKeydra } from '../helpers/servers.js';
import { ClusterNode, NodeFlag } from '../../src/cluster/index.js';
import {
  type ClusterPeer,
  call,
  clusterCreate,
  clusterPort,
  startClusterNode,
  stopNode,
  text,
  waitClusterOk,
  waitFor,
} from '../helpers/cluster.js';

const skip = redisServerPath() === null ? NO_REDIS : false;

/** True when 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    if (input !== undefined) p.stdin?.end(input);
  });
}

describe('cluster-forward: cluster-unaware clients through any node of 3 Keydra primaries', () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-forward-'));
  const nodes: ClusterPeer[] = [];
  let entry: ClusterPeer;

  before(async () => {
    for (let i = 0; i < 3; i++)
      nodes.push(await startClusterNode('keydra', await clusterPort(), join(root, `n${i}`), ['--cluster-forward', 'yes']));
    const r = await clusterCreate(nodes, 0);
    assert.equal(r.code, 0, r.out);
    await waitClusterOk(nodes);
    entry = nodes[0];
  });
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('redis-cli without -c: SET/GET/INCR on keys of every node', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) lines.push(`SET cli:${i} v${i}`, `INCR cnt:${i}`, `INCR cnt:${i}`);
    for (let i = 0; i < 60; i++) lines.push(`GET cli:${i}`, `GET cnt:${i}`);
    const r = await run('redis-cli', ['-p', String(entry.port)], `${lines.join('\n')}\n`);
    assert.equal(r.code, 0, r.out);
    const out = r.out.trim().split('\n');
    assert.equal(out.length, lines.length);
    assert.ok(!out.some((l) => l.includes('MOVED')), r.out.slice(0, 500));
    for (let i = 0; i < 60; i++) {
      assert.equal(out[180 + 2 * i], `v${i}`);
      assert.equal(out[180 + 2 * i + 1], '2');
    }
    // The keys live on their owners, not on the entry node only.
    const sizes = await Promise.all(nodes.map(async (n) => Number(await call(n.port, 'DBSIZE'))));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      120,
    );
    assert.ok(sizes.filter((s) => s > 0).length === 3, `keys on every node: ${sizes}`);
  });

  it('every node as the entry: redis-cli without -c runs SET/GET/INCR, MULTI/EXEC on one slot and EVALSHA', async () => {
    const script = "return redis.call('GET', KEYS[1])";
    const sha = createHash('sha1').update(script).digest('hex');
    for (const n of nodes) {
      // A hash tag of another node's slots, and keys spread over every node.
      const tag = remoteKey(nodes, n, `tag${n.port}-`);
      const lines: string[] = [];
      for (let i = 0; i < 30; i++) lines.push(`SET any:${n.port}:${i} v${i}`, `INCR ctr:${n.port}:${i}`, `GET any:${n.port}:${i}`);
      lines.push('MULTI', `SET {${tag}}a 10`, `INCR {${tag}}a`, `GET {${tag}}a`, 'EXEC');
      lines.push(`SCRIPT LOAD "${script}"`, `EVALSHA ${sha} 1 {${tag}}a`, `EVALSHA ${sha} 1 any:${n.port}:0`);
      const r = await run('redis-cli', ['-p', String(n.port)], `${lines.join('\n')}\n`);
      assert.equal(r.code, 0, r.out);
      const out = r.out.trim().split('\n');
      const want: string[] = [];
      for (let i = 0; i < 30; i++) want.push('OK', '1', `v${i}`);
      want.push('OK', 'QUEUED', 'QUEUED', 'QUEUED', 'OK', '11', '11', sha, '11', 'v0');
      assert.deepEqual(out, want, `through node ${n.port}`);
      // The transaction ran on the owner of the tag's slot, not on the entry node (EVAL with no key runs locally).
      assert.equal(await call(n.port, 'EVAL', "return #redis.call('KEYS', ARGV[1])", 0, `{${tag}}a`), 0);
    }
    // Every node received keys from every entry.
    for (const n of nodes) {
      const perEntry = await Promise.all(
        nodes.map(async (e) => Number(await call(n.port, 'EVAL', `return #redis.call('KEYS','any:${e.port}:*')`, 0))),
      );
      assert.ok(
        perEntry.every((x) => x > 0),
        `node ${n.port} holds keys written through every node: ${perEntry}`,
      );
    }
  });

  it('redis-benchmark -t set,get,incr against each node (no -MOVED, keys spread over the cluster)', async () => {
    for (const n of nodes) {
      const r = await run('redis-benchmark', ['-p', String(n.port), '-t', 'set,get,incr', '-n', '1000', '-r', '1000', '-q']);
      assert.equal(r.code, 0, r.out);
      for (const t of ['SET', 'GET', 'INCR']) assert.match(r.out, new RegExp(`${t}: [\\d.]+ requests per second`), r.out);
      assert.doesNotMatch(r.out, /MOVED|ERR/);
    }
    // INCR's counter:<n> keys live on their owners: every node holds some.
    const counters = await Promise.all(
      nodes.map(async (n) => Number(await call(n.port, 'EVAL', "return #redis.call('KEYS','counter:*')", 0))),
    );
    assert.ok(
      counters.every((x) => x > 0),
      `INCR keys on every node: ${counters}`,
    );
  });

  it('a pipeline mixing local and remote keys is answered in order', async () => {
    const c = await RawClient.connect(entry.port);
    const cmds: string[][] = [];
    for (let i = 0; i < 300; i++) cmds.push(['SET', `p:${i}`, String(i)], ['GET', `p:${i}`], ['PING']);
    c.writeRaw(
      Buffer.concat(cmds.map((a) => Buffer.from(`*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`))),
    );
    for (let i = 0; i < 300; i++) {
      assert.equal((await c.readReply()).raw.toString(), '+OK\r\n');
      assert.equal((await c.readReply()).raw.toString(), `$${String(i).length}\r\n${i}\r\n`);
      assert.equal((await c.readReply()).raw.toString(), '+PONG\r\n');
    }
    c.close();
  });

  it('a pipeline with errors, MULTI/EXEC and keyless commands between forwarded ones keeps its order', async () => {
    const c = await RawClient.connect(entry.port);
    const remote = remoteKey(nodes, entry, 'po');
    const cmds: string[][] = [];
    const want: string[] = [];
    for (let i = 0; i < 50; i++) {
      cmds.push(
        ['SET', remote, String(i)],
        ['NOSUCHCMD'],
        ['INCR', `local-or-not:${i}`],
        ['MULTI'],
        ['GET', remote],
        ['EXEC'],
        ['GET', remote],
      );
      want.push(
        '+OK\r\n',
        "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n",
        ':1\r\n',
        '+OK\r\n',
        '+QUEUED\r\n',
        `*1\r\n$${String(i).length}\r\n${i}\r\n`,
        `$${String(i).length}\r\n${i}\r\n`,
      );
    }
    c.writeRaw(Buffer.concat(cmds.map((a) => Buffer.from(`*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`))));
    for (let i = 0; i < want.length; i++) assert.equal((await c.readReply()).raw.toString(), want[i], `reply ${i}`);
    c.close();
  });

  it('MULTI/EXEC on a remote slot goes as a unit; several slots get -CROSSSLOT', async () => {
    const c = await RawClient.connect(entry.port);
    const key = remoteKey(nodes, entry, 'tx');
    assert.equal((await c.send('MULTI')).raw.toString(), '+OK\r\n');
    assert.equal((await c.send('SET', key, '10')).raw.toString(), '+QUEUED\r\n');
    assert.equal((await c.send('INCR', key)).raw.toString(), '+QUEUED\r\n');
    assert.equal((await c.send('GET', key)).raw.toString(), '+QUEUED\r\n');
    assert.equal((await c.send('EXEC')).raw.toString(), '*3\r\n+OK\r\n:11\r\n$2\r\n11\r\n');
    assert.equal((await c.send('MULTI')).raw.toString(), '+OK\r\n');
    await c.send('GET', 'a');
    await c.send('GET', 'b');
    assert.equal((await c.send('EXEC')).raw.toString(), "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    // The client is out of MULTI and usable.
    assert.equal((await c.send('GET', key)).raw.toString(), '$2\r\n11\r\n');
    assert.equal((await c.send('MGET', 'a', 'b')).raw.toString(), "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    c.close();
  });

  it('EVAL, and EVALSHA of a script loaded on the entry node, run on the owner', async () => {
    const c = await RawClient.connect(entry.port);
    const key = remoteKey(nodes, entry, 'lua');
    assert.equal((await c.send('EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", 1, key, 'x')).raw.toString(), '+OK\r\n');
    const sha = text((await c.send('SCRIPT', 'LOAD', "return redis.call('GET', KEYS[1])")).node);
    assert.equal((await c.send('EVALSHA', sha, 1, key)).raw.toString(), '$1\r\nx\r\n');
    assert.equal((await c.send('EVALSHA', sha, 1, key)).raw.toString(), '$1\r\nx\r\n');
    c.close();
  });

  it("the owner's errors are relayed verbatim; RESP3 replies stay RESP3", async () => {
    const c = await RawClient.connect(entry.port);
    const key = remoteKey(nodes, entry, 'h');
    await c.send('DEL', key);
    assert.equal((await c.send('HSET', key, 'f', 'v')).raw.toString(), ':1\r\n');
    assert.equal(
      (await c.send('LPUSH', key, 'x')).raw.toString(),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    await c.send('HELLO', '3');
    assert.equal((await c.send('HGETALL', key)).raw.toString(), '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
    assert.equal((await c.send('GET', remoteKey(nodes, entry, 'none'))).raw.toString(), '_\r\n');
    c.close();
  });

  it('BLPOP on a remote key is woken by a push sent through another node', async () => {
    const key = remoteKey(nodes, entry, 'q');
    const waiter = await RawClient.connect(entry.port);
    const other = nodes.find((n) => n !== entry)!;
    const pending = waiter.send('BLPOP', key, 5);
    // Meanwhile the entry node still serves the same client's peers.
    const c2 = await RawClient.connect(entry.port);
    assert.equal((await c2.send('PING')).raw.toString(), '+PONG\r\n');
    await new Promise((r) => setTimeout(r, 200));
    const pusher = await RawClient.connect(other.port);
    assert.match((await pusher.send('RPUSH', key, 'job')).raw.toString(), /^:1\r\n$/);
    assert.equal((await pending).raw.toString(), `*2\r\n$${key.length}\r\n${key}\r\n$3\r\njob\r\n`);
    waiter.close();
    c2.close();
    pusher.close();
  });

  it('redis-benchmark -t get,set through one node', async () => {
    const r = await run('redis-benchmark', ['-p', String(entry.port), '-t', 'get,set', '-n', '2000', '-r', '1000', '-q']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SET: [\d.]+ requests per second/);
    assert.match(r.out, /GET: [\d.]+ requests per second/);
    const sizes = await Promise.all(nodes.map(async (n) => Number(await call(n.port, 'EVAL', "return #redis.call('KEYS','key:*')", 0))));
    assert.ok(sizes.filter((s) => s > 0).length === 3, `benchmark keys on every node: ${sizes}`);
  });

  it('CONFIG SET cluster-forward no: -MOVED again', async () => {
    const c = await RawClient.connect(entry.port);
    await c.send('CONFIG', 'SET', 'cluster-forward', 'no');
    const key = remoteKey(nodes, entry, 'm');
    assert.match((await c.send('GET', key)).raw.toString(), new RegExp(`^-MOVED ${keyHashSlot(key)} 127\\.0\\.0\\.1:\\d+\\r\\n$`));
    await c.send('CONFIG', 'SET', 'cluster-forward', 'yes');
    assert.equal((await c.send('GET', key)).raw.toString().startsWith('-MOVED'), false);
    c.close();
  });
});

/** A key named `prefix…` whose slot another node than `entry` serves (per CLUSTER SLOTS of entry). */
function remoteKey(nodes: ClusterPeer[], entry: ClusterPeer, prefix: string): string {
  const entryIdx = nodes.indexOf(entry);
  // redis-cli --cluster create gives node i the i-th third of the slots.
  const lo = Math.floor((16384 / nodes.length) * entryIdx);
  const hi = Math.floor((16384 / nodes.length) * (entryIdx + 1));
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    const s = keyHashSlot(k);
    if (s < lo || s >= hi) return k;
  }
}

describe('keydra-server --cluster-local 2', () => {
  it('starts 2 forwarding nodes sharing the slots; any node serves any key; SIGINT stops them all', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-local-'));
    // Two consecutive ports whose bus ports (+10000) are free too.
    let port = 0;
    do port = await clusterPort();
    while (!(await portFree(port + 1)) || !(await portFree(port + 10001)));
    const proc = spawn(
      process.execPath,
      [join(process.cwd(), 'bin', 'keydra-server.js'), '--cluster-local', '2', '--port', String(port), '--dir', root, '--save', ''],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    try {
      await waitFor('the ports line', 60_000, () => out.includes('Keydra local cluster'));
      assert.match(out, new RegExp(`ports ${port} ${port + 1} `));
      for (let i = 0; i < 40; i++) assert.equal(text(await call(port + (i % 2), 'SET', `cl${i}`, String(i))), 'OK');
      for (let i = 0; i < 40; i++) assert.equal(text(await call(port + ((i + 1) % 2), 'GET', `cl${i}`)), String(i));
      const sizes = [Number(await call(port, 'DBSIZE')), Number(await call(port + 1, 'DBSIZE'))];
      assert.equal(sizes[0] + sizes[1], 40);
      assert.ok(sizes[0] > 0 && sizes[1] > 0, `${sizes}`);
    } finally {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await exited;
      rmSync(root, { recursive: true, force: true });
    }
    // Both nodes are gone with the launcher.
    await assert.rejects(call(port, 'PING'));
    await assert.rejects(call(port + 1, 'PING'));
  });
});

describe('cluster-forward in a mixed cluster: a Keydra node forwards to a redis-server node', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keydra-cluster-forward-mixed-'));
  const nodes: ClusterPeer[] = [];
  after(async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(root, { recursive: true, force: true });
  });

  it('SET/GET/MULTI/EVAL through the Keydra node for the redis-server node’s slots', async () => {
    const k = await startClusterNode('keydra', await clusterPort(), join(root, 'k'), ['--cluster-forward', 'yes']);
    nodes.push(k);
    const r = await startClusterNode('redis', await clusterPort(), join(root, 'r'));
    nodes.push(r);
    await call(k.port, 'CLUSTER', 'ADDSLOTSRANGE', 0, 8191);
    await call(r.port, 'CLUSTER', 'ADDSLOTSRANGE', 8192, 16383);
    await call(k.port, 'CLUSTER', 'MEET', '127.0.0.1', r.port);
    await waitClusterOk([k, r]);
    const c = await RawClient.connect(k.port);
    const key = 'foo'; // slot 12182: the redis-server node
    assert.equal((await c.send('SET', key, 'from-keydra')).raw.toString(), '+OK\r\n');
    assert.equal(text(await call(r.port, 'GET', key)), 'from-keydra');
    assert.equal((await c.send('MULTI')).raw.toString(), '+OK\r\n');
    await c.send('APPEND', key, '!');
    await c.send('GET', key);
    assert.equal((await c.send('EXEC')).raw.toString(), '*2\r\n:12\r\n$12\r\nfrom-keydra!\r\n');
    assert.equal((await c.send('EVAL', "return redis.call('STRLEN', KEYS[1])", 1, key)).raw.toString(), ':12\r\n');
    // redis-server's own error text comes back unchanged.
    assert.equal(
      (await c.send('LPUSH', key, 'x')).raw.toString(),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    c.close();
  });
});

describe('cluster-forward: two nodes that disagree on a slot owner do not forward in a loop', () => {
  it('the second node answers -MOVED over the forwarding link, relayed to the client', async () => {
    const opts = { 'cluster-enabled': 'yes', 'cluster-forward': 'yes', loglevel: 'warning' };
    const a = await startKeydra({ ...opts, port: await clusterPort() });
    const b = await startKeydra({ ...opts, port: await clusterPort() });
    try {
      const sa = a.running.server.cluster!.state;
      const sb = b.running.server.cluster!.state;
      // Each believes the other serves every slot (as briefly during a resharding or failover).
      const bInA = new ClusterNode('b'.repeat(40), NodeFlag.Primary);
      bInA.ip = '127.0.0.1';
      bInA.port = b.port;
      const aInB = new ClusterNode('a'.repeat(40), NodeFlag.Primary);
      aInB.ip = '127.0.0.1';
      aInB.port = a.port;
      sa.slots.fill(bInA);
      sb.slots.fill(aInB);
      sa.state = 'ok';
      sb.state = 'ok';
      const c = await RawClient.connect(a.port);
      assert.equal((await c.send('GET', 'foo')).raw.toString(), `-MOVED 12182 127.0.0.1:${a.port}\r\n`);
      c.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
