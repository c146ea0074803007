/**
 * Seeded RESTORE fuzz: mutated DUMP payloads with a recomputed CRC64, for every type and encoding,
 * sent to a keydra-server process. Whatever the payload, the server must answer (no crash, no
 * hang), and a payload it accepts must give a consistent object: every read of the type works,
 * the counts agree with the elements read, and DUMP of it restores to the same DUMP.
 *
 * Seed payloads come from a real redis-server 7.0 when installed (its encodings: int/embstr/raw and
 * LZF strings, listpack and quicklist lists, intset and hashtable sets, listpack and hashtable
 * hashes, listpack and skiplist zsets, streams with consumer groups, sparse and dense HLLs), else
 * from Keydra itself. Mutations: bit flips, byte overwrites, inserted/deleted/duplicated ranges,
 * truncation. Bounded: RESTORE_FUZZ_CASES cases (default 1500) or 40 s, whichever comes first;
 * RESTORE_FUZZ_SEED picks another sequence (the failure message names the case's seed).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { crc64 } from '../../src/persistence/rdb/crc64.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { rng } from '../helpers/random.js';
import { freePort, type SpawnedServer, spawnServer, startRedis } from '../helpers/servers.js';

const CASES = Number(process.env.RESTORE_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.RESTORE_FUZZ_SEED ?? 1);
const BUDGET_MS = 40_000;

/** Commands that build one key per type/encoding (Redis 7.0 default thresholds). */
function seedCommands(): string[][] {
  const big = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
  return [
    ['SET', 's:int', '123456789'],
    ['SET', 's:emb', 'hello'],
    ['SET', 's:raw', 'x'.repeat(100) + 'y'.repeat(30)],
    ['SET', 's:lzf', 'abcd'.repeat(300)],
    ['RPUSH', 'l:small', 'a', '1', 'bb', '-7', 'c'.repeat(40)],
    ['RPUSH', 'l:big', ...big(600, (i) => [`elem-${i}-${'z'.repeat(i % 50)}`])],
    ['SADD', 'set:int', '1', '2', '3', '-40', '70000', '5000000000'],
    ['SADD', 'set:ht', ...big(200, (i) => [`m${i}`])],
    ['HSET', 'h:lp', 'f1', 'v1', 'f2', '22', 'f3', 'v'.repeat(30)],
    ['HSET', 'h:ht', ...big(200, (i) => [`f${i}`, `v${i}`])],
    ['ZADD', 'z:lp', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'd'],
    ['ZADD', 'z:sl', ...big(200, (i) => [String(i * 1.5), `m${i}`])],
    ['XADD', 'x', '1-1', 'a', '1', 'b', 'two'],
    ['XADD', 'x', '2-1', 'a', '3'],
    ['XADD', 'x', '3-5', 'c', 'four', 'd', '5'],
    ['XDEL', 'x', '2-1'],
    ['XGROUP', 'CREATE', 'x', 'g1', '0'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '2', 'STREAMS', 'x', '>'],
    ['XGROUP', 'CREATE', 'x', 'g2', '$'],
    ['XGROUP', 'CREATECONSUMER', 'x', 'g2', 'bob'],
    ['PFADD', 'hll:sparse', 'a', 'b', 'c'],
    ['PFADD', 'hll:dense', ...big(3000, (i) => [`e${i}`])],
  ];
}

const SEED_KEYS = [
  's:int',
  's:emb',
  's:raw',
  's:lzf',
  'l:small',
  'l:big',
  'set:int',
  'set:ht',
  'h:lp',
  'h:ht',
  'z:lp',
  'z:sl',
  'x',
  'hll:sparse',
  'hll:dense',
];

/** Collects seed payloads (latin1 strings) from `port`. */
async function seedPayloads(port: number): Promise<Buffer[]> {
  const c = await RawClient.connect(port);
  await c.call('FLUSHALL');
  for (const cmd of seedCommands()) await c.call(...cmd);
  const out: Buffer[] = [];
  for (const k of SEED_KEYS) {
    const r = await c.send('DUMP', k);
    // Bulk string reply: $<len>\r\n<payload>\r\n
    const hdr = r.raw.indexOf('\r\n');
    out.push(Buffer.from(r.raw.subarray(hdr + 2, r.raw.length - 2)));
  }
  c.close();
  return out;
}

/** One mutated payload: body changed by 1-4 mutations, version kept, CRC64 recomputed. */
function mutate(payload: Buffer, rand: () => number): Buffer {
  let body = Buffer.from(payload.subarray(0, payload.length - 10));
  const version = payload.subarray(payload.length - 10, payload.length - 8);
  const n = 1 + Math.floor(rand() * 4);
  const pick = (len: number) => Math.floor(rand() * Math.max(1, len));
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() * 6);
    const p = pick(body.length);
    if (k === 0 && body.length > 0) body[p] ^= 1 << Math.floor(rand() * 8);
    else if (k === 1 && body.length > 0) body[p] = Math.floor(rand() * 256);
    else if (k === 2) {
      const ins = Buffer.from(Array.from({ length: 1 + pick(8) }, () => Math.floor(rand() * 256)));
      body = Buffer.concat([body.subarray(0, p), ins, body.subarray(p)]);
    } else if (k === 3) body = Buffer.concat([body.subarray(0, p), body.subarray(p + 1 + pick(16))]);
    else if (k === 4) body = Buffer.concat([body.subarray(0, p), body.subarray(p, p + 1 + pick(16)), body.subarray(p)]);
    else body = body.subarray(0, p);
  }
  const withVer = Buffer.concat([body, version]);
  return Buffer.concat([withVer, crc64(withVer)]);
}

const isErr = (r: RespNode): boolean => typeof r === 'object' && r !== null && !Array.isArray(r) && 't' in r && r.t === '-';
const len = (r: RespNode): number => (Array.isArray(r) ? r.length : -1);

/** Reads an accepted key every way its type allows; asserts the counts agree and DUMP round-trips. */
async function checkConsistent(c: RawClient, where: string): Promise<void> {
  const type = (await c.call('TYPE', 'fz')) as { v: string };
  const t = type.v;
  const ok = (r: RespNode, what: string) => {
    if (isErr(r)) assert.fail(`${where}: ${what} failed on an accepted ${t}: ${(r as { v: string }).v}`);
  };
  if (t === 'string') {
    const [v, n] = [await c.call('GET', 'fz'), await c.call('STRLEN', 'fz')];
    ok(v, 'GET');
    assert.equal(Buffer.byteLength(String(v), 'latin1'), n, `${where}: STRLEN != GET length`);
    await c.call('PFCOUNT', 'fz'); // HLL-shaped strings: any reply, no crash
  } else if (t === 'list') {
    const all = await c.call('LRANGE', 'fz', '0', '-1');
    ok(all, 'LRANGE');
    assert.equal(len(all), await c.call('LLEN', 'fz'), `${where}: LLEN != LRANGE`);
    ok(await c.call('LINDEX', 'fz', '-1'), 'LINDEX');
  } else if (t === 'set') {
    const all = await c.call('SMEMBERS', 'fz');
    ok(all, 'SMEMBERS');
    assert.equal(len(all), await c.call('SCARD', 'fz'), `${where}: SCARD != SMEMBERS`);
    ok(await c.call('SRANDMEMBER', 'fz', '-5'), 'SRANDMEMBER');
  } else if (t === 'hash') {
    const all = await c.call('HGETALL', 'fz');
    ok(all, 'HGETALL');
    assert.equal(len(all) / 2, await c.call('HLEN', 'fz'), `${where}: HLEN != HGETALL`);
  } else if (t === 'zset') {
    const all = await c.call('ZRANGE', 'fz', '0', '-1', 'WITHSCORES');
    ok(all, 'ZRANGE');
    assert.equal(len(all) / 2, await c.call('ZCARD', 'fz'), `${where}: ZCARD != ZRANGE`);
    ok(await c.call('ZRANGEBYSCORE', 'fz', '-inf', '+inf'), 'ZRANGEBYSCORE');
  } else if (t === 'stream') {
    const all = await c.call('XRANGE', 'fz', '-', '+');
    ok(all, 'XRANGE');
    assert.equal(len(all), await c.call('XLEN', 'fz'), `${where}: XLEN != XRANGE`);
    ok(await c.call('XINFO', 'STREAM', 'fz', 'FULL'), 'XINFO STREAM FULL');
    ok(await c.call('XINFO', 'GROUPS', 'fz'), 'XINFO GROUPS');
  }
  const d1 = await c.send('DUMP', 'fz');
  const payload = Buffer.from(d1.raw.subarray(d1.raw.indexOf('\r\n') + 2, d1.raw.length - 2));
  ok(await c.call('RESTORE', 'fz2', '0', payload, 'REPLACE'), 'RESTORE of its own DUMP');
  const d2 = await c.send('DUMP', 'fz2');
  assert.ok(d1.raw.equals(d2.raw), `${where}: DUMP does not round-trip`);
}

let keydra: SpawnedServer;
let port = 0;
let seeds: Buffer[];

before(async () => {
  port = await freePort();
  keydra = await spawnServer('keydra', port, ['--save', '', '--appendonly', 'no']);
  const redis = await startRedis();
  seeds = await seedPayloads(redis ? redis.port : port);
  await redis?.close();
});

after(async () => {
  keydra.c.close();
  keydra.proc.kill('SIGKILL');
});

test(`RESTORE of ${CASES} mutated payloads: no crash or hang, accepted objects consistent`, async () => {
  const c = await RawClient.connect(port);
  const t0 = Date.now();
  let accepted = 0;
  let ran = 0;
  for (let i = 0; i < CASES && Date.now() - t0 < BUDGET_MS; i++) {
    const caseSeed = SEED * 1_000_003 + i;
    const rand = rng(caseSeed);
    const seed = seeds[Math.floor(rand() * seeds.length)];
    const payload = mutate(seed, rand);
    const where = `case seed ${caseSeed} (RESTORE_FUZZ_SEED=${SEED}, case ${i})`;
    const r = await Promise.race([
      c.call('RESTORE', 'fz', '0', payload, 'REPLACE'),
      new Promise<'hang'>((res) => setTimeout(() => res('hang'), 10_000)),
    ]);
    assert.notEqual(r, 'hang', `${where}: no reply within 10 s`);
    ran++;
    if (!isErr(r as RespNode)) {
      accepted++;
      await checkConsistent(c, where);
    }
    assert.equal(keydra.proc.exitCode, null, `${where}: the server exited`);
  }
  // The fuzz exercised both paths and the server is still healthy.
  assert.ok(ran >= 200, `only ${ran} cases ran`);
  assert.ok(accepted > 0 && accepted < ran, `accepted ${accepted} of ${ran}: mutations should be both refused and accepted`);
  assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
  c.close();
});
