/**
 * MIGRATE against real redis-server peers: the same MIGRATE sequences run from a redis-server
 * source and from a Keydra source into real redis-server targets (and into a Keydra target), and
 * the replies, the target's keys/values/TTLs and what stays on the source are compared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { type Peer, NO_REDIS, startKeydra, startRedis } from '../helpers/servers.js';

type Cmd = string[];

/** Runs `steps` on `src` (commands) and reads `target` after each; returns everything seen. */
async function run(src: RawClient, target: RawClient, targetPort: number, dead: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  const call = async (...a: string[]) => {
    const r = await src.call(...a.map((x) => x.replace('$T', String(targetPort)).replace('$DEAD', String(dead))));
    seen.push([a[0], a.slice(-1)[0], r]);
    return r;
  };
  await target.call('FLUSHALL');
  await call('FLUSHALL');
  await call('SET', 'm:a', '1');
  await call('SET', 'm:b', 'two', 'PX', '100000');
  await call('RPUSH', 'm:l', 'x', 'y', 'z');
  await call('HSET', 'm:h', 'f', 'v');
  await call('MIGRATE', '127.0.0.1', '$T', '', '3', '1000', 'KEYS', 'm:a', 'm:b', 'm:l', 'm:nokey');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:h', '3', '1000', 'COPY');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:h', '3', '1000', 'COPY');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:h', '3', '1000', 'REPLACE');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:zz', '3', '1000');
  await call('SET', 'm:c', '3');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '3', '1000', 'AUTH', 'nopass');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '3', '1000', 'AUTH2', 'u', 'p');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '3', '1000', 'KEYS', 'm:c');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '3', '1000', 'BOGUS');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', 'x', '1000');
  await call('MIGRATE', '127.0.0.1', '$DEAD', 'm:c', '3', '200');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '99', '1000');
  await call('MIGRATE', '127.0.0.1', '$T', 'm:c', '4', '1000');
  await call('KEYS', 'm:*').then((r) => (r as RespNode[]).sort());
  seen.push(((await src.call('KEYS', 'm:*')) as string[]).sort());
  for (const db of ['3', '4']) {
    await target.call('SELECT', db);
    seen.push(((await target.call('KEYS', '*')) as string[]).sort());
  }
  await target.call('SELECT', '3');
  seen.push(await target.call('LRANGE', 'm:l', '0', '-1'), await target.call('GET', 'm:b'));
  const pttl = (await target.call('PTTL', 'm:b')) as number;
  seen.push(pttl > 90000 && pttl <= 100000);
  seen.push(await target.call('PTTL', 'm:a'));
  return seen;
}

describe('MIGRATE (differential)', () => {
  let peers: Peer[] = [];
  let redisSrc: Peer | null = null;
  before(async () => {
    redisSrc = await startRedis();
  });
  after(async () => {
    for (const p of peers) await p.close();
    await redisSrc?.close();
  });

  it('moves, copies and replaces keys with TTLs; replies and errors as redis-server', async (t) => {
    if (!redisSrc) return t.skip(NO_REDIS);
    const t1 = (await startRedis()) as Peer;
    const t2 = (await startRedis()) as Peer;
    const keydra = await startKeydra();
    const dead = (await startRedis()) as Peer;
    const deadPort = dead.port;
    await dead.close();
    peers = [t1, t2, keydra];
    const rs = await RawClient.connect(redisSrc.port);
    const ks = await RawClient.connect(keydra.port);
    const rt = await RawClient.connect(t1.port);
    const kt = await RawClient.connect(t2.port);
    const fromRedis = await run(rs, rt, t1.port, deadPort);
    const fromKeydra = await run(ks, kt, t2.port, deadPort);
    assert.deepEqual(fromKeydra, fromRedis);
    // The sequence did move data: the target holds the migrated list.
    assert.deepEqual(fromRedis.at(-4), ['x', 'y', 'z']);
    // Keydra as the target of a redis-server source.
    const kk = await RawClient.connect(keydra.port);
    await kk.call('FLUSHALL');
    await rs.call('SET', 'm:to-keydra', 'v');
    assert.deepEqual(await rs.call('MIGRATE', '127.0.0.1', String(keydra.port), 'm:to-keydra', '0', '1000'), { t: '+', v: 'OK' });
    assert.equal(await kk.call('GET', 'm:to-keydra'), 'v');
    // The propagated effect is a DEL: the key is gone from the source.
    assert.equal(await ks.call('EXISTS', 'm:a'), 0);
    for (const c of [rs, ks, rt, kt, kk]) c.close();
  });
});
