/**
 * Pub/sub fan-out with real client libraries: one publisher, many subscribers (ioredis and
 * node-redis over RESP2 and RESP3), exact and pattern subscriptions, binary channels and payloads.
 *
 * The same scenario runs against an in-process Keydra and, as a control, a real redis-server
 * 7.0; expected values come from what the test publishes, so both servers must satisfy them.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

/** One received message as seen by a subscriber: the pattern ('' for exact), channel and payload. */
interface Received {
  pattern: string;
  channel: Buffer;
  message: Buffer;
}

/** Resolves once `pred()` is true, polling every 5 ms; rejects after `ms` milliseconds. */
async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The payloads published in every run: text, every byte value, CR/LF, empty, and 200 KB. */
function payloads(): Buffer[] {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const out = [Buffer.from('hello'), all, Buffer.from('\r\n*1\r\n$3\r\nfoo\r\n'), Buffer.alloc(0), Buffer.alloc(200_000, 0xab)];
  for (let i = 0; i < 200; i++) out.push(Buffer.from(`m${i}`));
  return out;
}

/** Runs the fan-out scenario against the server on `port`; every client is closed even on failure. */
async function fanOut(port: number): Promise<void> {
  const closers: (() => void)[] = [];
  try {
    await scenario(port, closers);
  } finally {
    for (const close of closers) close();
  }
}

/** The scenario itself; registers a closer in `closers` for every client it opens. */
async function scenario(port: number, closers: (() => void)[]): Promise<void> {
  const opts = { port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 };
  const pub = new Redis(opts);
  closers.push(() => pub.disconnect());
  await pub.connect();
  const binChannel = Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x80]);
  const msgs = payloads();

  // Three ioredis subscribers on the exact channel 'news' (one also on the binary channel),
  // one ioredis pattern subscriber on 'news*' and 'n?ws'.
  const exact: Received[][] = [[], [], []];
  const subs: Redis[] = [];
  for (let i = 0; i < 3; i++) {
    const s = new Redis(opts);
    closers.push(() => s.disconnect());
    await s.connect();
    s.on('messageBuffer', (channel: Buffer, message: Buffer) => exact[i].push({ pattern: '', channel, message }));
    assert.equal(await s.subscribe('news'), 1);
    subs.push(s);
  }
  assert.equal(await subs[0].subscribe(binChannel), 2);
  const patRecv: Received[] = [];
  const psub = new Redis(opts);
  closers.push(() => psub.disconnect());
  await psub.connect();
  psub.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, message: Buffer) =>
    patRecv.push({ pattern: pattern.toString('latin1'), channel, message }),
  );
  assert.equal(await psub.psubscribe('news*', 'n?ws'), 2);

  // node-redis subscribers in buffer mode, RESP2 (dedicated connection) and RESP3 (push messages).
  const nodeRecv: Record<2 | 3, Received[]> = { 2: [], 3: [] };
  const nodeClients = [];
  for (const RESP of [2, 3] as const) {
    const c = createClient({ socket: { port, reconnectStrategy: false }, RESP });
    c.on('error', () => {});
    closers.push(() => {
      if (c.isOpen) c.destroy();
    });
    await c.connect();
    await c.subscribe('news', (message: Buffer, channel: Buffer) => nodeRecv[RESP].push({ pattern: '', channel, message }), true);
    await c.pSubscribe('ne*', (message: Buffer, channel: Buffer) => nodeRecv[RESP].push({ pattern: 'ne*', channel, message }), true);
    nodeClients.push(c);
  }

  // Receivers of 'news': 3 ioredis + 2 node-redis exact, 2 ioredis patterns + 2 node-redis patterns.
  const numsub = (await pub.callBuffer('PUBSUB', 'NUMSUB', 'news', binChannel, 'none')) as unknown[];
  assert.deepEqual(numsub, [Buffer.from('news'), 5, binChannel, 1, Buffer.from('none'), 0]);
  assert.equal(await pub.call('PUBSUB', 'NUMPAT'), 3);
  for (const m of msgs) assert.equal(await pub.publish('news', m), 9);
  assert.equal(await pub.publish(binChannel, msgs[1]), 1);
  assert.equal(await pub.publish('other', 'x'), 0);

  const n = msgs.length;
  await waitFor(
    () =>
      exact.every((r, i) => r.length === n + (i === 0 ? 1 : 0)) &&
      patRecv.length === 2 * n &&
      nodeRecv[2].length === 2 * n &&
      nodeRecv[3].length === 2 * n,
    10_000,
    'every subscriber to receive every message',
  );
  // Each subscriber sees the publisher's order, byte for byte.
  for (const r of exact) {
    for (let i = 0; i < n; i++) {
      assert.equal(r[i].channel.toString('latin1'), 'news');
      assert.ok(r[i].message.equals(msgs[i]), `message ${i}`);
    }
  }
  assert.ok(exact[0][n].channel.equals(binChannel));
  assert.ok(exact[0][n].message.equals(msgs[1]));
  // A pattern subscriber gets one pmessage per matching pattern (Redis 7.0 walks its pattern
  // dict in hash order, so the order of the two is not fixed).
  for (let i = 0; i < n; i++) {
    assert.deepEqual(
      patRecv
        .slice(2 * i, 2 * i + 2)
        .map((r) => r.pattern)
        .sort(),
      ['n?ws', 'news*'],
    );
    assert.ok(patRecv[2 * i].message.equals(msgs[i]) && patRecv[2 * i + 1].message.equals(msgs[i]));
  }
  for (const RESP of [2, 3] as const) {
    const got = nodeRecv[RESP];
    for (let i = 0; i < n; i++) {
      // Redis delivers the exact-channel message before the pattern messages.
      assert.deepEqual([got[2 * i].pattern, got[2 * i + 1].pattern], ['', 'ne*'], `RESP${RESP} message ${i}`);
      assert.ok(got[2 * i].message.equals(msgs[i]) && got[2 * i + 1].message.equals(msgs[i]), `RESP${RESP} payload ${i}`);
      assert.equal(got[2 * i + 1].channel.toString('latin1'), 'news');
    }
  }

  // Unsubscribing some clients lowers the fan-out at once; a RESP3 client keeps working normally.
  await subs[1].unsubscribe('news');
  await psub.punsubscribe('n?ws');
  assert.equal(await pub.publish('news', 'after'), 7);
  assert.equal(await nodeClients[1].get('no-such-key'), null);
  await waitFor(() => exact[0].length === n + 2 && patRecv.length === 2 * n + 1, 5000, 'messages after unsubscribe');
  assert.equal(exact[0][n + 1].message.toString(), 'after');
  assert.equal(patRecv[2 * n].pattern, 'news*');
  assert.equal(exact[1].length, n);

  // Closing subscribers removes them from the channel.
  for (const s of subs) s.disconnect();
  psub.disconnect();
  for (const c of nodeClients) await c.close();
  let left = -1;
  for (let i = 0; i < 200 && left !== 0; i++) {
    left = (await pub.publish('news', 'gone')) as number;
    if (left !== 0) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(left, 0);
  pub.disconnect();
}

/**
 * A subscriber that stops reading is disconnected once its pending output passes the pub/sub hard
 * limit (client-output-buffer-limit pubsub), while a normal subscriber on the same channel keeps
 * receiving everything. Returns how many messages were published before the slow one was dropped.
 */
async function slowSubscriber(port: number): Promise<number> {
  const pub = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  await pub.connect();
  assert.equal(await pub.config('SET', 'client-output-buffer-limit', 'pubsub 1mb 256kb 60'), 'OK');
  // The slow subscriber: a raw socket that subscribes, reads the confirmation, then stops reading.
  const slow = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    slow.once('connect', resolve);
    slow.once('error', reject);
  });
  let slowClosed = false;
  slow.on('close', () => {
    slowClosed = true;
  });
  slow.on('error', () => {});
  slow.write('SUBSCRIBE slow-news\r\n');
  await new Promise<void>((resolve) => slow.once('data', () => resolve()));
  slow.pause();
  const normal = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  await normal.connect();
  let normalGot = 0;
  normal.on('messageBuffer', () => normalGot++);
  await normal.subscribe('slow-news');
  const payload = Buffer.alloc(64 * 1024, 0x61);
  let published = 0;
  let receivers = 2;
  // Loopback socket buffers take a few MB before the server has to queue anything itself.
  while (receivers === 2 && published < 2000) {
    receivers = await pub.publish('slow-news', payload);
    published++;
  }
  assert.equal(receivers, 1, `slow subscriber still attached after ${published} messages of 64 KB`);
  assert.deepEqual(await pub.pubsub('NUMSUB', 'slow-news'), ['slow-news', 1]);
  await waitFor(() => normalGot === published, 20_000, 'the normal subscriber to get every message');
  slow.resume();
  await waitFor(() => slowClosed, 10_000, 'the slow subscriber connection to be closed');
  slow.destroy();
  assert.equal(await pub.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'), 'OK');
  normal.disconnect();
  pub.disconnect();
  return published;
}

describe('pub/sub fan-out with real clients', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  it('Keydra: many subscribers, patterns, binary channels and payloads', async () => {
    await fanOut(k.port);
  });

  it('control: the same scenario against redis-server', async (t) => {
    const r = await startRedis();
    if (!r) return t.skip(NO_REDIS);
    try {
      await fanOut(r.port);
    } finally {
      await r.close();
    }
  });

  it('Keydra: a subscriber that stops reading is dropped at the pubsub output limit', async () => {
    await slowSubscriber(k.port);
  });

  it('control: the same slow subscriber against redis-server', async (t) => {
    const r = await startRedis();
    if (!r) return t.skip(NO_REDIS);
    try {
      await slowSubscriber(r.port);
    } finally {
      await r.close();
    }
  });
});
