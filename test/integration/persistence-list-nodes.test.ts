/**
 * Large lists through the files, Keydra against a real redis-server 7.0.15: lists of many nodes
 * (tens of thousands of elements: empty strings, integers at every listpack integer width and
 * just past each, near-integers that must stay strings, binary bytes, strings at the listpack's
 * 6/12/32-bit length and 1/2/3-byte backlen boundaries, elements larger than a node) pushed at
 * both ends, then:
 * - Keydra's dump.rdb loaded by redis-server (same contents; the DUMP Redis then gives equals
 *   Keydra's byte for byte, so the nodes Keydra wrote are the nodes Redis kept), and for a list
 *   built by RPUSH alone Keydra's DUMP equals the one redis-server makes itself;
 * - redis-server's dump.rdb loaded by a Keydra;
 * - Keydra's AOF rewrite (command form, `aof-use-rdb-preamble no`) replayed by a restarted Keydra
 *   and by redis-server.
 * Source: src/persistence/rdb/types.ts (list codec), src/persistence/aof/rewrite.ts (rewriteList).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type RunningServer, type StartOptions, startServer } from '../../src/index.js';
import { LIST_EDGES, LIST_LONG_EDGES } from '../helpers/list-elements.js';
import { rng } from '../helpers/random.js';
import { freePort, NO_REDIS, redisServerPath, type SpawnedServer, spawnedKill9, spawnServer } from '../helpers/servers.js';

const EDGES = LIST_EDGES;
const LONG = LIST_LONG_EDGES;

/** The commands that build the lists: `l` pushed at both ends, `r` by RPUSH alone. */
function commands(): string[][] {
  const rand = rng(1907);
  const pick = (n: number): number => Math.floor(rand() * n);
  const value = (): string => {
    const r = rand();
    if (r < 0.002) return 'L'.repeat(9000 + pick(30000));
    if (r < 0.005) return LONG[pick(LONG.length)];
    if (r < 0.3) return EDGES[pick(EDGES.length)];
    if (r < 0.6) return String(pick(2 ** 31) - 2 ** 30);
    let s = '';
    const n = pick(40);
    for (let j = 0; j < n; j++) s += String.fromCharCode(pick(256));
    return s;
  };
  const out: string[][] = [['RPUSH', 'r', ...EDGES, ...LONG]];
  for (let b = 0; b < 60; b++) {
    const l = [b % 3 === 0 ? 'LPUSH' : 'RPUSH', 'l'];
    const r = ['RPUSH', 'r'];
    for (let i = 0; i < 500; i++) {
      l.push(value());
      r.push(value());
    }
    out.push(l, r);
  }
  return out;
}

/** Runs `cmds` pipelined in batches, asserting no error reply. */
async function run(c: RawClient, cmds: string[][]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 20) {
    for (const r of await c.pipeline(cmds.slice(i, i + 20))) assert.notEqual(r.raw[0], 0x2d, r.raw.toString('latin1', 0, 200));
  }
}

/** The whole of list `key` as the raw LRANGE reply, with its DUMP payload (raw reply). */
async function contents(c: RawClient, key: string): Promise<{ range: string; dump: string }> {
  const [range, dump] = await c.pipeline([
    ['LRANGE', key, '0', '-1'],
    ['DUMP', key],
  ]);
  return { range: range.raw.toString('latin1'), dump: dump.raw.toString('latin1') };
}

/** Waits until no AOF rewrite runs or is scheduled. */
async function rewriteDone(c: RawClient): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const info = (await c.send('INFO', 'persistence')).raw.toString('latin1');
    if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('AOF rewrite did not finish');
}

function tmp(): string {
  return fs.mkdtempSync(join(tmpdir(), 'keydra-listnodes-'));
}

describe('large lists through RDB and AOF files, Keydra and redis-server', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  const dirs: string[] = [];
  let kdir = '';
  let rdir = '';
  let k: RunningServer | null = null;
  let kc: RawClient | null = null;
  let r: SpawnedServer | null = null;
  /** What redis-server holds after running the commands. */
  const want: Record<string, { range: string; dump: string }> = {};
  const servers: SpawnedServer[] = [];

  /** Starts redis-server on `dir` (loading what it holds); stopped in after(). */
  const redisOn = async (dir: string, args: string[] = []): Promise<RawClient> => {
    const s = await spawnServer('redis', await freePort(), ['--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args]);
    servers.push(s);
    return s.c;
  };

  before(async () => {
    kdir = tmp();
    rdir = tmp();
    dirs.push(kdir, rdir);
    const cmds = commands();
    k = await startServer({ port: 0, dir: kdir, save: '', appendonly: false, 'enable-debug-command': 'yes' } as StartOptions);
    kc = await RawClient.connect(k.port);
    r = await spawnServer('redis', await freePort(), [
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      rdir,
      '--enable-debug-command',
      'yes',
    ]);
    servers.push(r);
    await run(kc, cmds);
    await run(r.c, cmds);
    for (const key of ['l', 'r']) {
      want[key] = await contents(r.c, key);
      const got = await contents(kc, key);
      assert.equal(got.range, want[key].range, `Keydra's ${key} equals redis-server's`);
    }
    assert.ok(want.l.range.length > 500_000, 'the lists span many nodes');
  });

  after(async () => {
    kc?.close();
    await k?.close();
    for (const s of servers) await spawnedKill9(s);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('DEBUG OBJECT reports the nodes: as redis-server for 10000 short elements, consistent for the large list', async () => {
    const c = kc as RawClient;
    const rc = (r as SpawnedServer).c;
    const fields = async (cl: RawClient, key: string): Promise<string> =>
      (await cl.send('DEBUG', 'OBJECT', key)).raw
        .toString('latin1')
        .replace(/^.* encoding:/, 'encoding:')
        .replace(/ lru:.*? ql_/, ' ql_');
    const push = ['RPUSH', 'short', ...Array.from({ length: 10000 }, () => 'xxx')];
    assert.equal((await c.send(...push)).raw.toString(), ':10000\r\n');
    assert.equal((await rc.send(...push)).raw.toString(), ':10000\r\n');
    const mine = await fields(c, 'short');
    assert.match(mine, /ql_nodes:7 ql_avg_node:1428\.57 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:50049/);
    assert.equal(mine, await fields(rc, 'short'));
    const big = await fields(c, 'l');
    const m = /ql_nodes:(\d+) ql_avg_node:([\d.]+) .* ql_uncompressed_size:(\d+)/.exec(big);
    assert.ok(m !== null, big);
    const len = Number((await c.send('LLEN', 'l')).raw.toString('latin1', 1).trim());
    const nodes = Number(m[1]);
    assert.ok(nodes > 50, `many nodes: ${big}`);
    assert.equal(m[2], (len / nodes).toFixed(2));
    assert.ok(Number(m[3]) > 8192 * (nodes - 1) * 0.5, 'the nodes are at least half full');
    await c.call('DEL', 'short');
    await rc.call('DEL', 'short');
  });

  it("Keydra's DUMP of a list built by RPUSH equals redis-server's byte for byte", async () => {
    const got = await contents(kc as RawClient, 'r');
    assert.equal(got.dump, want.r.dump);
  });

  it("redis-server loads Keydra's dump.rdb and keeps its nodes", async () => {
    assert.equal(((await (kc as RawClient).call('SAVE')) as { v: string }).v, 'OK');
    const d = tmp();
    dirs.push(d);
    fs.copyFileSync(join(kdir, 'dump.rdb'), join(d, 'dump.rdb'));
    const rc = await redisOn(d, ['--appendonly', 'no']);
    for (const key of ['l', 'r']) {
      const mine = await contents(kc as RawClient, key);
      const loaded = await contents(rc, key);
      assert.equal(loaded.range, want[key].range, `redis-server read ${key}`);
      assert.equal(loaded.dump, mine.dump, `redis-server kept the nodes of ${key} as Keydra wrote them`);
    }
  });

  it("Keydra loads redis-server's dump.rdb", async () => {
    assert.equal(((await (r as SpawnedServer).c.call('SAVE')) as { v: string }).v, 'OK');
    const d = tmp();
    dirs.push(d);
    fs.copyFileSync(join(rdir, 'dump.rdb'), join(d, 'dump.rdb'));
    const k2 = await startServer({ port: 0, dir: d, save: '', appendonly: false });
    const c = await RawClient.connect(k2.port);
    try {
      for (const key of ['l', 'r']) assert.equal((await contents(c, key)).range, want[key].range, `Keydra read ${key}`);
      assert.equal((await contents(c, 'r')).dump, want.r.dump, 'and saves r as redis-server does');
    } finally {
      c.close();
      await k2.close();
    }
  });

  it('the AOF rewrite (command form) replays in a restarted Keydra and in redis-server', async () => {
    const c = kc as RawClient;
    await c.call('CONFIG', 'SET', 'aof-use-rdb-preamble', 'no');
    await c.call('CONFIG', 'SET', 'appendonly', 'yes');
    await rewriteDone(c);
    await c.call('BGREWRITEAOF');
    await rewriteDone(c);
    const aofDir = join(kdir, 'appendonlydir');
    const base = fs.readdirSync(aofDir).find((f) => f.endsWith('.base.aof'));
    assert.ok(base !== undefined, 'a base file was written');
    const text = fs.readFileSync(join(aofDir, base), 'latin1');
    assert.ok(!text.startsWith('REDIS'), 'command form, no RDB preamble');
    // One RPUSH per 64 elements (Redis AOF_REWRITE_ITEMS_PER_CMD), nothing else for the lists.
    const llen = async (key: string): Promise<number> => Number((await c.send('LLEN', key)).raw.toString('latin1', 1).trim());
    const pushes = text.split('\r\n$5\r\nRPUSH\r\n').length - 1;
    assert.equal(pushes, Math.ceil((await llen('l')) / 64) + Math.ceil((await llen('r')) / 64));
    const d = tmp();
    const d2 = tmp();
    dirs.push(d, d2);
    fs.cpSync(aofDir, join(d, 'appendonlydir'), { recursive: true });
    fs.cpSync(aofDir, join(d2, 'appendonlydir'), { recursive: true });
    const k2 = await startServer({ port: 0, dir: d, save: '', appendonly: true });
    const c2 = await RawClient.connect(k2.port);
    try {
      for (const key of ['l', 'r']) assert.equal((await contents(c2, key)).range, want[key].range, `restarted Keydra read ${key}`);
    } finally {
      c2.close();
      await k2.close();
    }
    const rc = await redisOn(d2, ['--appendonly', 'yes']);
    for (const key of ['l', 'r']) assert.equal((await contents(rc, key)).range, want[key].range, `redis-server replayed ${key}`);
  });
});
