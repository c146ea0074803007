/** Real client libraries over real sockets against an in-process Keydra. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type Peer, startKeydra } from '../helpers/servers.js';

describe('real clients', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  it('ioredis: set/get, binary values, pipelining', async () => {
    const r = new Redis({ port: k.port, lazyConnect: true, retryStrategy: () => null });
    await r.connect();
    assert.equal(await r.set('io:k', 'v'), 'OK');
    assert.equal(await r.get('io:k'), 'v');
    const bin = Buffer.from([0, 1, 2, 255, 13, 10, 128]);
    await r.set(Buffer.from([255, 0]), bin);
    assert.deepEqual(await r.getBuffer(Buffer.from([255, 0])), bin);
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`io:p${i}`, String(i));
    for (let i = 0; i < 1000; i++) p.get(`io:p${i}`);
    const res = (await p.exec()) ?? [];
    assert.equal(res.length, 2000);
    assert.deepEqual(res[1999], [null, '999']);
    r.disconnect();
  });

  it('node-redis: RESP2 and RESP3 connections', async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ socket: { port: k.port }, RESP });
      await c.connect();
      assert.equal(await c.ping(), 'PONG');
      assert.equal(await c.set(`nr:${RESP}`, 'x'), 'OK');
      assert.equal(await c.get(`nr:${RESP}`), 'x');
      await c.close();
    }
  });
});
