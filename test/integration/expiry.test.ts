/**
 * Expiry end to end on an in-process Keydra: lazy and active expiry of keys nobody reads again,
 * and the DEL / `expired` event each reclaimed key produces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { KeydraServer } from '../../src/server/server.js';
import { ObjType, RObject } from '../../src/store/db.js';
import { activeExpireOff } from '../../src/expire/activeExpire.js';
import { type Peer, startKeydra } from '../helpers/servers.js';
import type { RunningServer } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - t0;
}

describe('expiry (integration)', () => {
  let peer: Peer & { running: RunningServer };
  let server: KeydraServer;
  let c: RawClient;
  before(async () => {
    peer = await startKeydra();
    server = peer.running.server;
    c = await RawClient.connect(peer.port);
  });
  after(async () => {
    c.close();
    await peer.close();
  });

  it('a key with PX 100 is reclaimed by the active cycle soon after 100 ms', async () => {
    await c.call('SET', 'ex:px', 'v', 'PX', '100');
    const db = server.keyspace.dbs[0];
    assert.equal(db.hasKey('ex:px'), true);
    await sleep(40);
    assert.equal(db.hasKey('ex:px'), true, 'still there before its time');
    const ms = await waitFor(() => !db.hasKey('ex:px'), 3000);
    assert.ok(ms >= 0);
    assert.equal(await c.call('EXISTS', 'ex:px'), 0);
  });

  it('lazy expiry: an expired key is gone for readers at once', async () => {
    await c.call('SET', 'ex:lazy', 'v');
    await c.call('PEXPIRE', 'ex:lazy', '20');
    await sleep(30);
    assert.equal(await c.call('GET', 'ex:lazy'), null);
    assert.equal(await c.call('TTL', 'ex:lazy'), -2);
  });

  it('expired keys propagate as DEL and notify `expired`', async () => {
    const props: string[][] = [];
    const events: string[] = [];
    server.addPropagationListener((_db, argv) => props.push(argv));
    const orig = server.notifyKeyspaceEvent.bind(server);
    server.notifyKeyspaceEvent = (type, event, key, dbId) => {
      events.push(`${type}:${event}:${key}`);
      orig(type, event, key, dbId);
    };
    try {
      await c.call('SET', 'ex:prop', 'v', 'PX', '30');
      await waitFor(() => props.some((a) => a[0] === 'DEL' && a[1] === 'ex:prop'), 3000);
      assert.ok(events.includes('x:expired:ex:prop'));
      assert.ok(!props.some((a) => a[0] === 'MULTI'), 'active expiry DELs are not wrapped in MULTI');
    } finally {
      server.notifyKeyspaceEvent = orig;
    }
  });

  it('lazy expiry met by SCAN or RANDOMKEY run directly propagates bare DELs; inside MULTI they are wrapped', async () => {
    const units: string[][][] = [];
    let cur: string[][] = [];
    server.addPropagationListener((_db, argv) => {
      cur.push(argv);
      if (argv[0] !== 'MULTI' && (argv[0] === 'EXEC' || !cur.some((a) => a[0] === 'MULTI'))) {
        units.push(cur);
        cur = [];
      }
    });
    activeExpireOff.add(server);
    try {
      for (const cmd of [['SCAN', '0'], ['RANDOMKEY']]) {
        units.length = 0;
        await c.call('FLUSHALL');
        for (const k of ['lz:1', 'lz:2']) await c.call('SET', k, 'v', 'PX', '1');
        await sleep(5);
        units.length = 0;
        await c.call(...cmd);
        // Redis server.c propagatePendingCommands: TOUCHES_ARBITRARY_KEYS → no transaction.
        assert.deepEqual(
          units.flat().map((a) => a[0]),
          ['DEL', 'DEL'],
          `${cmd[0]}: ${JSON.stringify(units)}`,
        );
        for (const k of ['lz:1', 'lz:2']) await c.call('SET', k, 'v', 'PX', '1');
        await sleep(5);
        units.length = 0;
        await c.call('MULTI');
        await c.call(...cmd);
        await c.call('EXEC');
        assert.deepEqual(
          units.flat().map((a) => a[0]),
          ['MULTI', 'DEL', 'DEL', 'EXEC'],
          `${cmd[0]} in MULTI`,
        );
      }
    } finally {
      activeExpireOff.delete(server);
    }
  });

  it('100k volatile keys never read are reclaimed within 10 s', async () => {
    const db = server.keyspace.dbs[3];
    const now = Date.now();
    for (let i = 0; i < 100000; i++) {
      const key = `vol:${i}`;
      db.setKey(key, new RObject(ObjType.String, 'v'));
      db.setExpire(key, now + 100 + (i % 401));
    }
    assert.equal(db.size, 100000);
    const ms = await waitFor(() => db.size === 0, 10000);
    console.log(`# 100k volatile keys reclaimed ${ms} ms after creation`);
    assert.equal(server.keyspace.stats.expired_keys >= 100000, true);
  });
});
