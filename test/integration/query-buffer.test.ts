/**
 * The query buffer over real sockets, Keydra against redis-server 7.0.15 as control:
 *
 * - the 64 KB limit of an inline request and of multibulk/bulk header lines holds whatever bytes
 *   the request starts with (a NUL byte hides the line end from Redis's strchr): the error is
 *   replied and the connection closed, and a peer that keeps sending after it is not read (Keydra
 *   used to half-close and buffer everything the peer sent: 200 MB in the issue);
 * - client-query-buffer-limit closes a client whose unparsed bytes pass it, CONFIG SET applying
 *   to connections already open;
 * - CLIENT LIST/INFO report the query buffer (qbuf, qbuf-free), the command's arguments
 *   (argv-mem), queued MULTI commands (multi-mem), the reply buffer (rbs, rbp, obl, oll, omem) and
 *   tot-mem as Redis computes them, and the query buffer shrinks as Redis's does (querybuf.tcl).
 * Source: Redis 7.0 networking.c (processInlineBuffer, processMultibulkBuffer,
 * readQueryFromClient, catClientInfoString), server.c clientsCronResizeQueryBuffer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient } from '../../src/client/rawClient.js';
import { NO_REDIS, type SpawnedServer, freePort, redisServerPath, spawnServer } from '../helpers/servers.js';

interface Pair {
  name: 'keydra' | 'redis';
  port: number;
  s: SpawnedServer;
}

/** Resident memory of a process, bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Writes `bytes` on a fresh connection, then waits up to `ms` for the server to close it.
 * @returns what the server sent, whether it closed, and how many bytes the kernel accepted.
 */
async function sendAndWatch(port: number, bytes: Buffer, ms: number): Promise<{ reply: string; closed: boolean }> {
  const s = net.connect(port, '127.0.0.1');
  let reply = '';
  let closed = false;
  s.on('data', (d) => {
    reply += d.toString('latin1');
  });
  s.on('error', () => {});
  const done = new Promise<void>((r) => s.on('close', () => r()));
  s.on('close', () => {
    closed = true;
  });
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(bytes);
  await Promise.race([done, sleep(ms)]);
  s.destroy();
  return { reply, closed };
}

/** The fields of one CLIENT LIST line as a map. */
function fields(line: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of line.trim().split(' ')) {
    const i = kv.indexOf('=');
    m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** The CLIENT LIST line of the client named `name`, as fields. */
async function clientNamed(c: RawClient, name: string): Promise<Map<string, string>> {
  const list = String((await c.call('CLIENT', 'LIST')) as unknown);
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  assert.ok(line, `client ${name} listed`);
  return fields(line);
}

const MEMORY_FIELDS = ['qbuf', 'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem'];

describe('query buffer', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  const pairs: Pair[] = [];
  before(async () => {
    for (const name of ['redis', 'keydra'] as const) {
      const port = await freePort();
      const args = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
      const s = await spawnServer(name, port, name === 'keydra' ? [...args, '--dir', '/tmp'] : args);
      pairs.push({ name, port, s });
    }
  });
  after(async () => {
    for (const p of pairs) {
      p.s.c.close();
      p.s.proc.kill('SIGKILL');
    }
  });

  // Each prefix hides the line end (NUL first, then no newline at all): Redis cuts the request
  // past 64 KB with the error for what it was reading.
  const cases: [string, string, string][] = [
    ['inline request', '\x00', 'too big inline request'],
    ['multibulk count', '*\x00', 'too big mbulk count string'],
    ['bulk count', '*1\r\n$\x00', 'too big bulk count string'],
    ['inline request (NUL later)', 'GET k\x00', 'too big inline request'],
  ];
  for (const [what, prefix, error] of cases) {
    it(`a ${what} line without end is cut at 64 KB: error, then close (as redis-server)`, async () => {
      // 100 KB: the server has read it all when it answers, so no reset loses the reply.
      const bytes = Buffer.concat([Buffer.from(prefix, 'latin1'), Buffer.alloc(100 * 1024, 'a')]);
      for (const p of pairs) {
        const r = await sendAndWatch(p.port, bytes, 5000);
        assert.equal(r.reply, `-ERR Protocol error: ${error}\r\n`, `${p.name} reply`);
        assert.ok(r.closed, `${p.name} closed the connection`);
      }
    });

    it(`a ${what} line followed by 64 MB more is not buffered: the server closes, RSS stays bounded`, async () => {
      const bytes = Buffer.concat([Buffer.from(prefix, 'latin1'), Buffer.alloc(64 * 1024 * 1024, 'a')]);
      for (const p of pairs) {
        const before = rss(p.s.proc.pid as number);
        const r = await sendAndWatch(p.port, bytes, 10000);
        assert.ok(r.closed, `${p.name} closed the connection`);
        const grown = rss(p.s.proc.pid as number) - before;
        assert.ok(grown < 24 * 1024 * 1024, `${p.name} RSS grew by ${grown} bytes`);
        assert.deepEqual(await p.s.c.call('PING'), { t: '+', v: 'PONG' });
      }
    });
  }

  it('client-query-buffer-limit closes a client past it; CONFIG SET applies to open connections', async () => {
    for (const p of pairs) {
      const victim = await RawClient.connect(p.port);
      assert.deepEqual(await victim.call('PING'), { t: '+', v: 'PONG' });
      await p.s.c.call('CONFIG', 'SET', 'client-query-buffer-limit', '1mb');
      try {
        // A 4 MB argument announced, 2 MB of it sent: the unparsed bytes pass 1 MB.
        const r = await sendAndWatch(
          p.port,
          Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n'), Buffer.alloc(2 * 1024 * 1024, 'v')]),
          5000,
        );
        assert.ok(r.closed, `${p.name}: new connection closed`);
        assert.equal(r.reply, '', `${p.name}: closed without a reply`);
        const closed = new Promise<void>((res) => victim.socket.once('close', () => res()));
        victim.writeRaw('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n');
        victim.writeRaw(Buffer.alloc(2 * 1024 * 1024, 'v'));
        await Promise.race([closed, sleep(5000).then(() => assert.fail(`${p.name}: open connection not closed`))]);
      } finally {
        await p.s.c.call('CONFIG', 'SET', 'client-query-buffer-limit', '1gb');
        victim.close();
      }
    }
  });

  it('CLIENT LIST and CLIENT INFO memory fields of a fresh connection are Redis 7.0s', async () => {
    const seen: Record<string, string[][]> = {};
    for (const p of pairs) {
      const c = await RawClient.connect(p.port);
      // Both servers' clients cron visits every client within 100 ms at hz 10 (fewer than 5
      // clients): the first visit resets the reply buffer peak (Redis compares a seconds stamp
      // with ms), the second shrinks the 16 KB buffer to 1 KB. 500 ms lets both happen.
      await sleep(500);
      const out: string[][] = [];
      const id = String((await c.call('CLIENT', 'ID')) as unknown);
      // rbp is the longest reply since the reset: the previous one, whose length depends on the
      // client id and port; shown as `previous reply` when it is exactly that many bytes.
      let previous = id.length + 3;
      for (const cmd of [
        ['CLIENT', 'INFO'],
        ['CLIENT', 'LIST', 'ID', id],
      ]) {
        const text = String((await c.call(...cmd)) as unknown);
        const f = fields(text);
        out.push(
          MEMORY_FIELDS.map((k) =>
            k === 'rbp' && f.get(k) === String(previous) ? 'rbp=previous reply' : `${k}=${f.get(k)}`,
          ),
        );
        const n = Buffer.byteLength(text);
        previous = `$${n}\r\n`.length + n + 2;
      }
      // Inside MULTI: multi-mem counts the queued arguments and their pointers.
      await c.call('MULTI');
      await c.call('SET', 'key', 'value');
      await c.call('LPUSH', 'list', 'a', 'b', 'c');
      const f = fields(String((await c.call('CLIENT', 'INFO')) as unknown));
      out.push(MEMORY_FIELDS.map((k) => `${k}=${f.get(k)}`));
      await c.call('DISCARD');
      c.close();
      seen[p.name] = out;
    }
    assert.deepEqual(seen.keydra, seen.redis);
  });

  it('the query buffer grows for a big argument and shrinks back as redis-server (querybuf.tcl)', async () => {
    const results = await Promise.all(
      pairs.map(async (p) => {
        const c = await RawClient.connect(p.port);
        await c.call('CLIENT', 'SETNAME', 'qb');
        const size = (f: Map<string, string>) => Number(f.get('qbuf')) + Number(f.get('qbuf-free'));
        const first = size(await clientNamed(p.s.c, 'qb'));
        await c.call('SET', 'x', 'A'.repeat(400000));
        const big = size(await clientNamed(p.s.c, 'qb'));
        // Small requests let the peak fall: the cron trims the buffer, not to zero.
        let shrunk = big;
        const t0 = Date.now();
        while (shrunk >= big && Date.now() - t0 < 3000) {
          await c.call('SET', 'x', 'A'.repeat(100));
          shrunk = size(await clientNamed(p.s.c, 'qb'));
          await sleep(10);
        }
        // Idle for more than 2 s: the buffer's free space goes (clientsCronResizeQueryBuffer), but
        // only where more than 4 KB are free, so how far the shrinking above got decides whether a
        // small buffer (e.g. 128 bytes) is left: timing-dependent on redis-server too.
        let idle = shrunk;
        const t1 = Date.now();
        while (idle > 4096 && Date.now() - t1 < 6000) {
          await sleep(200);
          idle = size(await clientNamed(p.s.c, 'qb'));
        }
        c.close();
        return { name: p.name, first, big, shrunk, idle };
      }),
    );
    for (const r of results) {
      assert.ok(r.first >= 16384 && r.first < 32768, `${r.name}: first read makes 16 KB of room (${r.first})`);
      assert.ok(r.big > 400000, `${r.name}: room for the big argument (${r.big})`);
      assert.ok(r.shrunk > 0 && r.shrunk < r.big, `${r.name}: shrinks to the recent peak (${r.shrunk})`);
      assert.ok(r.idle <= 4096, `${r.name}: freed, or at most 4 KB left, when idle (${r.idle})`);
    }
    assert.equal(results[1].first, results[0].first, 'same first size as redis-server');
    assert.equal(results[1].big, results[0].big, 'same size for the big argument as redis-server');
  });
});
