/**
 * Client-side caching details checked against redis-server 7.0.15 (the whole byte stream a RESP3
 * tracking connection receives is compared): BCAST sends one invalidation per matching prefix
 * (tracking.tcl waited forever for the second one), and tracking-table-max-keys invalidates keys
 * until the table is within the limit, with INFO's tracking_* fields.
 * Source: Redis 7.0 tracking.c trackingBroadcastInvalidationMessages, trackingLimitUsedSlots.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient, encodeCommand } from '../../src/client/rawClient.js';
import { describeScenariosAgainstRedis } from '../helpers/servers.js';

/** A step: `a` writes a command on the watched connection, `b` runs one on the other. */
type Step = { a: string[] } | { b: string[] };

/** Runs the steps on the server at `port`; returns the watched connection's bytes and INFO stats. */
async function watch(port: number, steps: Step[]): Promise<{ got: string; info: string }> {
  const a = net.connect(port, '127.0.0.1');
  let got = '';
  a.on('data', (d) => {
    got += d.toString('latin1');
  });
  await new Promise<void>((r) => a.once('connect', () => r()));
  const b = await RawClient.connect(port);
  for (const s of steps) {
    if ('a' in s) {
      a.write(encodeCommand(s.a));
      await sleep(30);
    } else await b.call(...s.b);
  }
  await sleep(300);
  const info = String((await b.call('INFO', 'stats')) as unknown)
    .split('\r\n')
    .filter((l) => l.startsWith('tracking_'))
    .join(' ');
  a.destroy();
  await b.call('FLUSHALL');
  await b.call('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
  b.close();
  // HELLO's client id differs; Redis picks the keys to drop at random (k1..k3).
  got = got.replace(/\$2\r\nid\r\n:\d+\r\n/g, () => '$2\r\nid\r\n:N\r\n').replace(/\$2\r\nk\d\r\n/g, () => '$2\r\nkN\r\n');
  return { got, info };
}

const SCENARIOS: [string, Step[]][] = [
  [
    'BCAST with two prefixes: one message per prefix, keys of each in order',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'b:', 'PREFIX', 'a:'] },
      { b: ['MULTI'] },
      { b: ['INCR', 'b:2'] },
      { b: ['INCR', 'a:2'] },
      { b: ['INCR', 'a:1'] },
      { b: ['INCR', 'b:1'] },
      { b: ['INCR', 'c:1'] },
      { b: ['EXEC'] },
    ],
  ],
  [
    'BCAST NOLOOP: keys the client changed itself are left out',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP', 'PREFIX', 'a:'] },
      { a: ['SET', 'a:mine', '1'] },
      { b: ['SET', 'a:theirs', '1'] },
    ],
  ],
  [
    'tracking-table-max-keys: lowering it invalidates keys down to the limit',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON'] },
      { a: ['MGET', 'k1', 'k2', 'k3'] },
      { b: ['CONFIG', 'SET', 'tracking-table-max-keys', '1'] },
    ],
  ],
  [
    'FLUSHALL frees the tracking table even when no client tracks at that moment',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON'] },
      { a: ['GET', 'fk'] },
      { a: ['CLIENT', 'TRACKING', 'OFF'] },
      { b: ['FLUSHALL'] },
      { a: ['CLIENT', 'TRACKING', 'ON'] },
      { b: ['SET', 'fk', '1'] },
      { a: ['PING'] },
    ],
  ],
  [
    'scripts: a read-only command run by a script tracks the declared keys; EVAL_RO itself tracks nothing',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON'] },
      { a: ['EVAL', "redis.call('set', 'sk3', 'bar')", '2', 'sk1', 'sk2'] },
      { b: ['MSET', 'sk2', '1', 'sk1', '1'] },
      { a: ['EVAL', "redis.call('get', 'sk3')", '2', 'sk1', 'sk2'] },
      { b: ['MSET', 'sk2', '2', 'sk1', '2'] },
      { a: ['EVAL_RO', "redis.call('ping')", '2', 'sk1', 'sk2'] },
      { b: ['MSET', 'sk2', '3', 'sk1', '3'] },
      { a: ['EVAL_RO', "redis.call('get', 'sk1')", '2', 'sk1', 'sk2'] },
      { b: ['MSET', 'sk2', '4', 'sk1', '4'] },
      { a: ['PING'] },
    ],
  ],
];

describeScenariosAgainstRedis('client tracking limits and BCAST', SCENARIOS, watch);
