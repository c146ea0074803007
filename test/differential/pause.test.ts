/**
 * CLIENT PAUSE WRITE against a real redis-server: which commands are postponed (writes, the
 * may-replicate PUBLISH/PFCOUNT/EVAL/FCALL, EXEC of a queue holding one, scripts by their shebang
 * flags) and which run (reads, no-writes scripts), blocked_clients counting the postponed, and
 * expiry held while paused. Both servers get the same steps; the observations are compared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function blockedClients(c: RawClient): Promise<number> {
  const info = String(await c.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

/** Sends `argv` on a fresh connection; reports whether a reply came within 150 ms. */
async function postponed(port: number, argv: string[]): Promise<{ c: RawClient; reply: Promise<RespNode>; early: boolean }> {
  const c = await RawClient.connect(port);
  let got = false;
  const reply = c.call(...argv).then((r) => {
    got = true;
    return r;
  });
  await sleep(150);
  return { c, reply, early: got };
}

/** Runs the scenario on one server and returns what it observed. */
async function scenario(port: number): Promise<unknown[]> {
  const admin = await RawClient.connect(port);
  const obs: unknown[] = [];
  await admin.call('FLUSHALL');
  await admin.call('PFADD', 'p:hll', 'a');
  await admin.call(
    'FUNCTION',
    'LOAD',
    'REPLACE',
    "#!lua name=plib\nredis.register_function{function_name='pro', callback=function() return 'ro' end, flags={'no-writes'}}\nredis.register_function('prw', function() return 'rw' end)",
  );
  await admin.call('MULTI');
  await admin.call('SET', 'p:exp', 'v', 'PX', '50');
  await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
  await admin.call('EXEC');
  const held = [];
  for (const argv of [
    ['SET', 'p:k', 'v'],
    ['PUBLISH', 'p:ch', 'm'],
    ['PFCOUNT', 'p:hll'],
    ['EVAL', 'return 1', '0'],
    ['EVAL', '#!lua\nreturn 2', '0'],
    ['FCALL', 'prw', '0'],
    ['GET', 'p:k'],
    ['EVAL', '#!lua flags=no-writes\nreturn 3', '0'],
    ['EVAL_RO', 'return 4', '0'],
    ['FCALL', 'pro', '0'],
  ]) {
    const p = await postponed(port, argv);
    obs.push([argv[0], argv[1], p.early ? 'ran' : 'postponed']);
    held.push(p);
  }
  // A transaction: read-only EXEC runs, one with a write waits.
  const tx = await RawClient.connect(port);
  await tx.call('MULTI');
  await tx.call('GET', 'p:k');
  obs.push(['EXEC ro', await tx.call('EXEC')]);
  obs.push(['blocked_clients', await blockedClients(admin)]);
  // Expired while paused: hidden, not deleted or counted.
  await sleep(100);
  const before = String(await admin.call('INFO', 'stats'));
  obs.push(['GET expired', await admin.call('GET', 'p:exp')]);
  const during = String(await admin.call('INFO', 'stats'));
  const expired = (s: string) => Number(/expired_keys:(\d+)/.exec(s)?.[1]);
  obs.push(['expired while paused', expired(during) - expired(before)]);
  await admin.call('CLIENT', 'UNPAUSE');
  for (const p of held) {
    obs.push(['after unpause', await p.reply]);
    p.c.close();
  }
  obs.push(['blocked after', await blockedClients(admin)]);
  await admin.call('GET', 'p:exp');
  obs.push(['expired after', expired(String(await admin.call('INFO', 'stats'))) - expired(before)]);
  tx.close();
  admin.close();
  return obs;
}

describe('CLIENT PAUSE WRITE (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('postpones writes and may-replicate commands, runs reads and no-writes scripts, holds expiry', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const redis = await scenario(d.redis.port);
    const keydra = await scenario(d.keydra.port);
    assert.deepEqual(keydra, redis);
    // The scenario observes something: 6 postponed, 4 ran, 6 blocked clients on Redis.
    assert.equal(redis.filter((o) => Array.isArray(o) && o[2] === 'postponed').length, 6);
  });
});
