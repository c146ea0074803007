/**
 * The connection data path (src/server/connection.ts): reads land in one buffer shared by every
 * client and the parser keeps only what it has not parsed; writes go straight to the socket
 * handle, queue when the peer does not read, and pause reading until they drain. These tests
 * drive it over real sockets with requests split at awkward places.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeCommand, RawClient } from '../../src/client/rawClient.js';
import { freePort, type Peer, spawnedKill9, spawnServer, startKeydra } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects a plain socket and collects everything the server sends. */
async function rawSocket(port: number): Promise<{ s: net.Socket; received: () => Buffer }> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  const chunks: Buffer[] = [];
  s.on('data', (d) => chunks.push(d));
  return { s, received: () => Buffer.concat(chunks) };
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string | (() => string), ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(5);
  }
}

/**
 * A keydra-server child process with the socket stream-event path forced (KEYDRA_SOCKET_STREAMS=1):
 * the fallback for a Node whose stream handle lacks the methods the direct path uses.
 */
async function startStreamsFallback(): Promise<Peer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keydra-streams-'));
  const s = await spawnServer('keydra', port, ['--dir', dir, '--save', ''], { KEYDRA_SOCKET_STREAMS: '1' });
  return {
    port,
    dir,
    close: async () => {
      await spawnedKill9(s);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const mode of ['direct handle I/O', 'stream-event fallback'] as const)
  describe(`connection data path (${mode})`, () => {
    let k: Peer;
    let c: RawClient;
    before(async () => {
      k = mode === 'direct handle I/O' ? await startKeydra() : await startStreamsFallback();
      c = await RawClient.connect(k.port);
    });
    after(async () => {
      c.close();
      await k.close();
    });

    it('keeps each client’s partial command apart while the read buffer is shared', async () => {
      const a = await rawSocket(k.port);
      const b = await rawSocket(k.port);
      const reqA = encodeCommand(['SET', 'conn:a', 'A'.repeat(3000)]);
      const reqB = encodeCommand(['SET', 'conn:b', 'B'.repeat(3000)]);
      // Each client sends part of its request; the other's bytes arrive in between.
      for (const cut of [1, 7, 1500, 3010]) {
        a.s.write(reqA.subarray(0, cut));
        await sleep(15);
        b.s.write(reqB.subarray(0, cut + 3));
        await sleep(15);
        a.s.write(reqA.subarray(cut));
        await sleep(15);
        b.s.write(reqB.subarray(cut + 3));
        await waitFor(() => a.received().length >= 5 && b.received().length >= 5, 'both replies');
        assert.equal(a.received().toString(), '+OK\r\n');
        assert.equal(b.received().toString(), '+OK\r\n');
        assert.equal(await c.call('GET', 'conn:a'), 'A'.repeat(3000));
        assert.equal(await c.call('GET', 'conn:b'), 'B'.repeat(3000));
        await c.call('DEL', 'conn:a', 'conn:b');
        a.s.removeAllListeners('data');
        b.s.removeAllListeners('data');
        const ca: Buffer[] = [];
        const cb: Buffer[] = [];
        a.s.on('data', (d) => ca.push(d));
        b.s.on('data', (d) => cb.push(d));
        a.received = () => Buffer.concat(ca);
        b.received = () => Buffer.concat(cb);
      }
      a.s.destroy();
      b.s.destroy();
    });

    it('parses a pipeline sent one byte per write', async () => {
      const r = await rawSocket(k.port);
      const reqs: Buffer[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 20; i++) {
        reqs.push(encodeCommand(['INCRBY', 'conn:bytes', String(i)]));
        expected.push(`:${(i * (i + 1)) / 2}\r\n`);
      }
      reqs.push(Buffer.from('PING inline\r\n'));
      expected.push('$6\r\ninline\r\n');
      const all = Buffer.concat(reqs);
      for (let i = 0; i < all.length; i++) {
        r.s.write(all.subarray(i, i + 1));
        if (i % 16 === 0) await new Promise((res) => setImmediate(res));
      }
      const want = expected.join('');
      await waitFor(() => r.received().length >= want.length, 'pipeline replies');
      assert.equal(r.received().toString(), want);
      r.s.destroy();
    });

    it('takes a 1 MB bulk string split across writes at odd offsets', async () => {
      const value = Buffer.alloc(1024 * 1024 + 17);
      for (let i = 0; i < value.length; i++) value[i] = (i * 131 + (i >> 9)) & 0xff;
      const req = encodeCommand(['SET', 'conn:big', value]);
      const r = await rawSocket(k.port);
      for (const [from, to] of [
        [0, 5],
        [5, 40_001],
        [40_001, 700_003],
        [700_003, req.length],
      ]) {
        r.s.write(req.subarray(from, to));
        await sleep(10);
      }
      await waitFor(() => r.received().length >= 5, 'SET reply');
      assert.equal(r.received().toString(), '+OK\r\n');
      const got = (await c.send('GET', 'conn:big')).raw;
      const header = `$${value.length}\r\n`;
      assert.equal(got.subarray(0, header.length).toString(), header);
      const body = got.subarray(header.length, got.length - 2);
      assert.equal(createHash('sha1').update(body).digest('hex'), createHash('sha1').update(value).digest('hex'));
      r.s.destroy();
    });

    it('keeps commands pipelined behind a blocked BLPOP and runs them once it is served', async () => {
      const r = await rawSocket(k.port);
      r.s.write(
        Buffer.concat([
          encodeCommand(['BLPOP', 'conn:q', '0']),
          encodeCommand(['SET', 'conn:after', 'x']),
          encodeCommand(['GET', 'conn:after']),
        ]),
      );
      await sleep(50);
      assert.equal(r.received().length, 0, 'nothing runs while BLPOP waits');
      // Other clients' reads reuse the shared buffer meanwhile.
      for (let i = 0; i < 50; i++) await c.call('SET', `conn:noise${i}`, 'n'.repeat(i * 10));
      await c.call('LPUSH', 'conn:q', 'item');
      const want = '*2\r\n$6\r\nconn:q\r\n$4\r\nitem\r\n+OK\r\n$1\r\nx\r\n';
      await waitFor(() => r.received().length >= want.length, 'replies after BLPOP');
      assert.equal(r.received().toString(), want);
      r.s.destroy();
    });

    it('queues replies for a client that does not read, stops reading it, and delivers all in order', async () => {
      await c.call('SET', 'conn:v', 'v'.repeat(64 * 1024));
      const s = net.connect(k.port, '127.0.0.1');
      await new Promise<void>((resolve) => s.once('connect', resolve));
      s.pause(); // do not read: the server's writes back up
      const n = 600; // ~39 MB of replies, far beyond the socket buffers
      const reqs = Buffer.concat(Array.from({ length: n }, (_, i) => encodeCommand(['GET', i % 2 ? 'conn:v' : 'conn:none'])));
      s.write(reqs);
      // The server queues output for it (CLIENT LIST omem > 0) and keeps serving others.
      let omem = 0;
      await waitFor(async () => {
        for (const line of String(await c.call('CLIENT', 'LIST')).split('\n')) {
          const m = /omem=(\d+)/.exec(line);
          if (m && Number(m[1]) > omem) omem = Number(m[1]);
        }
        return omem > 0;
      }, 'queued output');
      assert.ok(omem > 0);
      assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
      // Now read everything: every reply arrives, complete and in order.
      const one = `$${64 * 1024}\r\n${'v'.repeat(64 * 1024)}\r\n`;
      const want = Buffer.from(Array.from({ length: n }, (_, i) => (i % 2 ? one : '$-1\r\n')).join(''));
      const got: Buffer[] = [];
      let len = 0;
      s.on('data', (d) => {
        got.push(d);
        len += d.length;
      });
      s.resume();
      await waitFor(
        () => len >= want.length,
        () => `all replies (${len} of ${want.length} bytes)`,
        30_000,
      );
      assert.ok(Buffer.concat(got).equals(want));
      s.destroy();
    });

    it('closes after QUIT with the reply delivered, and frees the client on peer close', async () => {
      const r = await rawSocket(k.port);
      let closed = false;
      r.s.on('close', () => {
        closed = true;
      });
      r.s.write(Buffer.concat([encodeCommand(['PING']), encodeCommand(['QUIT']), encodeCommand(['PING'])]));
      await waitFor(() => closed, 'server close after QUIT');
      assert.equal(r.received().toString(), '+PONG\r\n+OK\r\n');
      const before = Number(/connected_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))?.[1]);
      const p = await rawSocket(k.port);
      p.s.end();
      await waitFor(() => p.s.destroyed || p.s.readableEnded, 'peer end');
      let after = -1;
      await waitFor(async () => {
        after = Number(/connected_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))?.[1]);
        return after === before;
      }, 'client freed after peer close');
      assert.equal(after, before);
    });
  });

describe('unixsocket', () => {
  it('serves real clients on a unix socket with unixsocketperm, replacing a stale file and removing it at close', async () => {
    const { statSync, existsSync } = await import('node:fs');
    const { Redis } = await import('ioredis');
    const dir = mkdtempSync(join(tmpdir(), 'keydra-unix-'));
    const path = join(dir, 'keydra.sock');
    // A stale socket file, as a crashed server leaves it (bound, never unlinked), is replaced:
    // Redis unlinks the path before binding.
    const { spawnSync } = await import('node:child_process');
    spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    assert.ok(statSync(path).isSocket(), 'stale socket file in place');
    const k = await startKeydra({ unixsocket: path, unixsocketperm: 700 });
    try {
      assert.equal(statSync(path).mode & 0o777, 0o700);
      const r = new Redis({ path, lazyConnect: true });
      await r.connect();
      assert.equal(await r.set('unix:k', 'v'), 'OK');
      assert.equal(await r.get('unix:k'), 'v');
      const line = String(await r.client('INFO'));
      assert.match(
        line,
        new RegExp(`addr=${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:0 laddr=${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:0 `),
      );
      assert.match(line, / flags=U /);
      assert.deepEqual(await r.config('GET', 'unixsocketperm'), ['unixsocketperm', '700']);
      r.disconnect();
    } finally {
      await k.close();
    }
    assert.equal(existsSync(path), false, 'socket file removed at close');
    rmSync(dir, { recursive: true, force: true });
  });
});
