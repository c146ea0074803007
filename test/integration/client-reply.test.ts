/**
 * CLIENT REPLY OFF/SKIP/ON with pushes, Keydra against redis-server 7.0.15 (the whole byte stream
 * one connection receives is compared): replies are silenced but pub/sub confirmations, messages,
 * keyspace notifications and tracking invalidations still arrive (Redis CLIENT_PUSHING), in RESP3
 * and RESP2 (before, a RESP3 subscriber under REPLY OFF waited forever: pubsub.tcl, tracking.tcl);
 * CLIENT REPLY ON ends a SKIP under way and replies +OK (introspection.tcl).
 * Source: Redis 7.0 networking.c prepareClientToWrite, clientCommand (REPLY), pubsub.c.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient, encodeCommand } from '../../src/client/rawClient.js';
import { describeScenariosAgainstRedis } from '../helpers/servers.js';

/** A step: `a` writes a command on the watched connection, `b` runs one on the other, `wait` sleeps (ms). */
type Step = { a: string[] } | { b: string[] } | { wait: number };

/** Runs the steps against the server on `port` and returns every byte the watched connection got. */
async function watch(port: number, steps: Step[]): Promise<string> {
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
    } else if ('b' in s) await b.call(...s.b);
    else await sleep(s.wait);
  }
  await sleep(100);
  a.destroy();
  b.close();
  // HELLO's client id differs between the servers.
  return got.replace(/\$2\r\nid\r\n:\d+\r\n/g, () => '$2\r\nid\r\n:N\r\n');
}

const SCENARIOS: [string, Step[]][] = [
  [
    'RESP3 REPLY OFF: subscribe confirmations, messages and unsubscribe confirmations arrive',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'REPLY', 'OFF'] },
      { a: ['SUBSCRIBE', 'channel'] },
      { a: ['PSUBSCRIBE', 'ch*'] },
      { a: ['PING'] },
      { b: ['PUBLISH', 'channel', 'hello'] },
      { a: ['PUBLISH', 'channel', 'self'] },
      { a: ['UNSUBSCRIBE', 'channel'] },
      { a: ['PUNSUBSCRIBE', 'ch*'] },
      { a: ['CLIENT', 'REPLY', 'ON'] },
      { a: ['PING'] },
    ],
  ],
  [
    'RESP2 REPLY OFF: keyspace notifications to a silenced subscriber',
    [
      { b: ['CONFIG', 'SET', 'notify-keyspace-events', 'KA'] },
      { a: ['CLIENT', 'REPLY', 'OFF'] },
      { a: ['PSUBSCRIBE', '*'] },
      { b: ['SET', 'foo', 'bar'] },
      { a: ['PING'] },
      { b: ['CONFIG', 'SET', 'notify-keyspace-events', ''] },
    ],
  ],
  ['REPLY SKIP then REPLY ON: ON replies +OK', [{ a: ['CLIENT', 'REPLY', 'SKIP'] }, { a: ['CLIENT', 'REPLY', 'ON'] }, { a: ['PING'] }]],
  [
    'REPLY OFF then SKIP, SKIP, ON',
    [
      { a: ['CLIENT', 'REPLY', 'OFF'] },
      { a: ['PING', 'a'] },
      { a: ['CLIENT', 'REPLY', 'SKIP'] },
      { a: ['PING', 'b'] },
      { a: ['PING', 'c'] },
      { a: ['CLIENT', 'REPLY', 'ON'] },
      { a: ['PING', 'd'] },
    ],
  ],
  [
    'RESP3 tracking invalidation to a client under REPLY OFF',
    [
      { a: ['HELLO', '3'] },
      { a: ['CLIENT', 'TRACKING', 'ON'] },
      { b: ['SET', 'tk', 'v1'] },
      { a: ['GET', 'tk'] },
      { a: ['CLIENT', 'REPLY', 'OFF'] },
      { b: ['SET', 'tk', 'v2'] },
      { a: ['CLIENT', 'REPLY', 'ON'] },
      { a: ['PING'] },
    ],
  ],
  ['RESET ends REPLY OFF', [{ a: ['CLIENT', 'REPLY', 'OFF'] }, { a: ['PING'] }, { a: ['RESET'] }, { a: ['PING'] }]],
];

describeScenariosAgainstRedis('CLIENT REPLY with pushes', SCENARIOS, watch);
