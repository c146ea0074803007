/** Pub/sub and keyspace notifications against a real redis-server: message sequences compared raw. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RawClient } from '../../src/client/rawClient.js';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

/** Reads `n` replies from both subscribers and asserts they are byte-identical. */
async function sameMessages(r: RawClient, k: RawClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [a, b] = await Promise.all([r.readReply(), k.readReply()]);
    assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'));
  }
}

describe('pub/sub (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  for (const proto of ['2', '3']) {
    it(`subscribe, psubscribe, publish, unsubscribe (RESP${proto})`, async (t) => {
      if (!d) return t.skip(NO_REDIS);
      const [rs, ks] = await d.connectBoth();
      await Promise.all([rs.call('HELLO', proto), ks.call('HELLO', proto)]);
      rs.writeRaw('SUBSCRIBE news sport\r\nPSUBSCRIBE n*\r\n');
      ks.writeRaw('SUBSCRIBE news sport\r\nPSUBSCRIBE n*\r\n');
      await sameMessages(rs, ks, 3);
      const bin = Buffer.from([0, 255, 13, 10, 1]).toString('latin1');
      await d.same(['PUBLISH', 'news', 'hello'], ['PUBLISH', 'sport', bin], ['PUBLISH', 'nothing', 'x'], ['PUBLISH', 'zzz', 'x']);
      await sameMessages(rs, ks, 4);
      await d.same(['PUBSUB', 'NUMSUB', 'news', 'sport', 'none'], ['PUBSUB', 'NUMPAT'], ['PUBSUB', 'CHANNELS', 'sp*']);
      if (proto === '2') {
        // RESP2 subscribed mode refuses other commands; PING answers as an array.
        await Promise.all([rs.send('GET', 'x'), ks.send('GET', 'x')]).then(([a, b]) => assert.equal(b.raw.toString(), a.raw.toString()));
        await Promise.all([rs.send('PING'), ks.send('PING')]).then(([a, b]) => assert.equal(b.raw.toString(), a.raw.toString()));
      }
      // Redis unsubscribes "all" in hash-table order (seeded per process), so name the channels.
      rs.writeRaw('UNSUBSCRIBE sport news\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\n');
      ks.writeRaw('UNSUBSCRIBE sport news\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\n');
      await sameMessages(rs, ks, 4);
      rs.close();
      ks.close();
    });
  }

  it('keyspace notifications for strings, generic commands and expiry', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const [rs, ks] = await d.connectBoth();
    rs.writeRaw('PSUBSCRIBE __key*@0__:*\r\n');
    ks.writeRaw('PSUBSCRIBE __key*@0__:*\r\n');
    await sameMessages(rs, ks, 1);
    await d.same(['SET', 'n:a', '1'], ['DEL', 'n:a'], ['SET', 'n:b', 'x', 'PX', '30']);
    await sameMessages(rs, ks, 6);
    await new Promise((r) => setTimeout(r, 80));
    await d.same(['GET', 'n:b']);
    await sameMessages(rs, ks, 2);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    rs.close();
    ks.close();
  });

  it('the new-key event (class n) comes before the command event, only for keys created', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEAn']);
    const [rs, ks] = await d.connectBoth();
    rs.writeRaw('PSUBSCRIBE __key*@0__:*\r\n');
    ks.writeRaw('PSUBSCRIBE __key*@0__:*\r\n');
    await sameMessages(rs, ks, 1);
    // new + set, then set alone (the key exists), then new + lpush.
    await d.same(['SET', 'nk:a', '1'], ['SET', 'nk:a', '2'], ['LPUSH', 'nk:l', 'x']);
    await sameMessages(rs, ks, 10);
    await d.same(['DEL', 'nk:a', 'nk:l'], ['CONFIG', 'SET', 'notify-keyspace-events', '']);
    await sameMessages(rs, ks, 4);
    rs.close();
    ks.close();
  });
  it('CONFIG SET maxmemory below the used memory evicts at once (evicted events before the reply)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['FLUSHALL'], ['CONFIG', 'SET', 'notify-keyspace-events', 'Ee'], ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const [rs, ks] = await d.connectBoth();
    rs.writeRaw('PSUBSCRIBE *\r\n');
    ks.writeRaw('PSUBSCRIBE *\r\n');
    await sameMessages(rs, ks, 1);
    try {
      await d.same(['SET', 'ev:foo', 'bar'], ['CONFIG', 'SET', 'maxmemory', '1']);
      await sameMessages(rs, ks, 1);
    } finally {
      await d.same(['CONFIG', 'SET', 'maxmemory', '0'], ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
      rs.close();
      ks.close();
    }
  });
  it('notify-keyspace-events: CONFIG GET answers the canonical form, an unknown class letter is refused', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const v of ['gKE', '$lshzxeKE', 'KA', 'EA', 'AnK', 'Kmd', 'Q', 'KEQ']) {
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', v], ['CONFIG', 'GET', 'notify-keyspace-events']);
    }
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  });
});
