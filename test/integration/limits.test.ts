/**
 * Hostile counts: requests whose reply could never be built are refused up front and the server
 * keeps serving (Redis 7.0.15 crashes on SRANDMEMBER key -9223372036854775807).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type Peer, startKeydra } from '../helpers/servers.js';

describe('reply size limits', () => {
  let k: Peer;
  let c: RawClient;
  before(async () => {
    k = await startKeydra();
    c = await RawClient.connect(k.port);
    await c.call('SADD', 's', 'a', 'b');
    await c.call('HSET', 'h', 'f', 'v');
    await c.call('ZADD', 'z', '1', 'a');
  });
  after(async () => {
    c.close();
    await k.close();
  });

  for (const cmd of [
    ['SRANDMEMBER', 's', '-9223372036854775807'],
    ['HRANDFIELD', 'h', '-9223372036854775807'],
    ['ZRANDMEMBER', 'z', '-9007199254740991'],
  ]) {
    it(`${cmd[0]} with a huge negative count answers an error at once`, async () => {
      const t0 = Date.now();
      const r = await c.send(...cmd);
      assert.match(r.raw.toString('latin1'), /^-ERR value is out of range/);
      assert.ok(Date.now() - t0 < 5000, 'answered without building the reply');
      assert.deepEqual((await c.call('PING')) as unknown, { t: '+', v: 'PONG' });
    });
  }

  it('a negative count that fits still repeats members', async () => {
    const r = (await c.call('SRANDMEMBER', 's', '-5')) as string[];
    assert.equal(r.length, 5);
    for (const m of r) assert.ok(m === 'a' || m === 'b');
  });
});
