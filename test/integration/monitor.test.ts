/**
 * MONITOR with ioredis's `monitor()` API against Keydra, with redis-server 7.0 as the control when
 * installed: the events' arguments, db and source (client address or `lua`), admin commands hidden,
 * MULTI/EXEC and script commands shown in Redis's order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { keydraAndRedis } from '../helpers/servers.js';

const servers = keydraAndRedis();

/** Runs commands while monitoring; returns the monitored [db, source kind, args] in order. */
async function monitored(port: number): Promise<[string, string, string[]][]> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
  const mon = await client.monitor();
  const seen: [string, string, string[]][] = [];
  const done = new Promise<void>((resolve) => {
    mon.on('monitor', (_time: string, args: string[], source: string, database: string) => {
      seen.push([database, source === 'lua' ? 'lua' : 'client', args]);
      if (args[0] === 'echo' && args[1] === 'done') resolve();
    });
  });
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false });
  await c.connect();
  try {
    await c.set('k', 'a b "c"');
    await c.config('GET', 'maxmemory'); // admin: hidden
    await c.multi().incr('n').get('n').exec();
    await c.eval("return redis.call('get', KEYS[1])", 1, 'k');
    await c.select(2);
    await c.set('in2', '1');
    await c.echo('done');
    await done;
    return seen;
  } finally {
    c.disconnect();
    mon.disconnect();
    client.disconnect();
  }
}

test('ioredis monitor(): arguments, db, sources, order', async () => {
  const { k, r } = servers;
  const got = await monitored(k.port);
  const expected: [string, string, string[]][] = [
    ['0', 'client', ['set', 'k', 'a b "c"']],
    ['0', 'client', ['multi']],
    ['0', 'client', ['incr', 'n']],
    ['0', 'client', ['get', 'n']],
    ['0', 'client', ['exec']],
    ['0', 'client', ['eval', "return redis.call('get', KEYS[1])", '1', 'k']],
    ['0', 'lua', ['get', 'k']],
    ['2', 'client', ['select', '2']],
    ['2', 'client', ['set', 'in2', '1']],
    ['2', 'client', ['echo', 'done']],
  ];
  // ioredis may send its own commands on connect (e.g. INFO for the ready check); compare from the first SET.
  const from = got.findIndex((e) => e[2][0] === 'set');
  assert.deepEqual(got.slice(from), expected);
  if (r !== null) {
    const ctl = await monitored(r.port);
    assert.deepEqual(ctl.slice(ctl.findIndex((e) => e[2][0] === 'set')), expected);
  }
});
