/**
 * Socket.IO's Redis adapters (npm `@socket.io/redis-adapter`) on Keydra: several Socket.IO
 * servers share broadcasts, rooms, binary payloads, fetchSockets and serverSideEmit acks through
 * pub/sub. The classic adapter uses PUBLISH, (P)SUBSCRIBE and PUBSUB NUMSUB (one server on
 * ioredis, one on node-redis); the sharded adapter uses SPUBLISH, SSUBSCRIBE and PUBSUB
 * SHARDNUMSUB. Each scenario runs against a real redis-server 7.0 too, as a control.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

/** Resolves once `pred()` is true, polling every 5 ms; rejects after `ms` milliseconds. */
async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Which adapter and Redis client each Socket.IO server uses. */
type Flavour = 'classic-ioredis' | 'classic-node-redis' | 'sharded-node-redis';

/** A Socket.IO server on its own HTTP port, with its adapter's Redis clients. */
interface IoNode {
  io: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts a Socket.IO server whose adapter talks to the Redis-protocol server on `redisPort`. */
async function startIoNode(redisPort: number, flavour: Flavour): Promise<IoNode> {
  let adapter: ReturnType<typeof createAdapter> | ReturnType<typeof createShardedAdapter>;
  let closeClients: () => Promise<void>;
  if (flavour === 'classic-ioredis') {
    const pub = new Redis({ port: redisPort, lazyConnect: true, retryStrategy: () => null });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    adapter = createAdapter(pub, sub, { requestsTimeout: 3000 });
    closeClients = async () => {
      await Promise.all([pub.quit(), sub.quit()]);
    };
  } else {
    const pub = createClient({ socket: { port: redisPort, reconnectStrategy: false } });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    adapter = flavour === 'classic-node-redis' ? createAdapter(pub, sub, { requestsTimeout: 3000 }) : createShardedAdapter(pub, sub);
    closeClients = async () => {
      await Promise.all([pub, sub].map((c) => (c.isOpen ? c.close() : undefined)));
    };
  }
  const http = createServer();
  const io = new Server(http, { adapter });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    io,
    port,
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeClients();
    },
  };
}

/** Connects a Socket.IO client (websocket transport) to `node` and waits for the connection. */
async function connectClient(node: IoNode): Promise<ClientSocket> {
  const socket = ioClient(`http://127.0.0.1:${node.port}`, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Runs the cluster scenario: two Socket.IO servers of the given flavours over Redis `port`. */
async function adapterScenario(port: number, flavours: [Flavour, Flavour]): Promise<void> {
  const closers: (() => Promise<void> | void)[] = [];
  try {
    const nodes: IoNode[] = [];
    for (const f of flavours) {
      const node = await startIoNode(port, f);
      closers.push(() => node.close());
      nodes.push(node);
    }
    const [a, b] = nodes;
    // A server-side hook: clients of each server join rooms when asked.
    for (const node of nodes) {
      node.io.on('connection', (socket) => {
        socket.on('join', (room: string, ack: () => void) => {
          socket.join(room);
          ack();
        });
      });
      node.io.on('ping-servers', (from: string, ack: (reply: string) => void) => ack(`pong from ${node.port} to ${from}`));
    }
    const clients: ClientSocket[] = [];
    for (const node of [a, a, b, b]) {
      const c = await connectClient(node);
      closers.push(() => {
        c.disconnect();
      });
      clients.push(c);
    }
    const received: unknown[][] = clients.map(() => []);
    clients.forEach((c, i) => {
      c.on('news', (...args: unknown[]) => received[i].push(args));
    });
    await Promise.all([clients[1], clients[3]].map((c) => c.emitWithAck('join', 'room-x')));

    // A broadcast from either server reaches every client of both servers.
    a.io.emit('news', 'to all', 1);
    await waitFor(() => received.every((r) => r.length === 1), 5000, 'broadcast from server a');
    b.io.emit('news', 'to all from b', 2);
    await waitFor(() => received.every((r) => r.length === 2), 5000, 'broadcast from server b');
    for (const r of received)
      assert.deepEqual(r, [
        ['to all', 1],
        ['to all from b', 2],
      ]);

    // A room spans servers; binary payloads survive (the adapter msgpacks them through Redis).
    const bin = Buffer.from([0, 1, 2, 255, 13, 10, 128]);
    a.io.to('room-x').emit('news', 'room only', bin);
    await waitFor(() => received[1].length === 3 && received[3].length === 3, 5000, 'room broadcast');
    for (const i of [1, 3]) {
      const [text, payload] = received[i][2] as [string, ArrayBuffer | Buffer];
      assert.equal(text, 'room only');
      assert.ok(Buffer.from(payload as ArrayBuffer).equals(bin));
    }
    // An exception: everyone except room-x.
    b.io.except('room-x').emit('news', 'not in room');
    await waitFor(() => received[0].length === 3 && received[2].length === 3, 5000, 'except broadcast');
    assert.deepEqual(received[0][2], ['not in room']);
    assert.equal(received[1].length, 3);

    // fetchSockets and remote joins go through the request/response channels.
    const all = await a.io.fetchSockets();
    assert.equal(all.length, 4);
    assert.deepEqual(all.map((s) => s.id).sort(), clients.map((c) => c.id).sort());
    const inRoom = await b.io.in('room-x').fetchSockets();
    assert.deepEqual(inRoom.map((s) => s.id).sort(), [clients[1].id, clients[3].id].sort());
    a.io.in(clients[2].id ?? '').socketsJoin('room-y');
    // socketsJoin is fire-and-forget; poll until the remote server has applied it.
    let roomY: string[] = [];
    for (let i = 0; i < 100 && roomY.length !== 1; i++) {
      roomY = (await a.io.in('room-y').fetchSockets()).map((s) => s.id);
      if (roomY.length !== 1) await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(roomY, [clients[2].id]);

    // serverSideEmit with acknowledgements: each other server answers.
    const replies = await a.io.serverSideEmitWithAck('ping-servers', `${a.port}`);
    assert.deepEqual(replies, [`pong from ${b.port} to ${a.port}`]);
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // Closing clients with commands in flight rejects them; the scenario's own error matters.
      }
    }
  }
}

const CASES: [string, [Flavour, Flavour]][] = [
  ['classic adapter (ioredis + node-redis servers)', ['classic-ioredis', 'classic-node-redis']],
  ['sharded adapter (SPUBLISH/SSUBSCRIBE)', ['sharded-node-redis', 'sharded-node-redis']],
];

describe('Socket.IO Redis adapter on Keydra', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  for (const [title, flavours] of CASES) {
    it(`Keydra: ${title}`, async () => {
      await adapterScenario(k.port, flavours);
    });

    it(`control: ${title} against redis-server`, async (t) => {
      const r = await startRedis();
      if (!r) return t.skip(NO_REDIS);
      try {
        await adapterScenario(r.port, flavours);
      } finally {
        await r.close();
      }
    });
  }
});
