/**
 * Functions over real sockets and real files: libraries survive SAVE + restart (RDB
 * RDB_OPCODE_FUNCTION2) and AOF replay / rewrite; an RDB written by redis-server with functions
 * loads into Keydra and the other way round; a busy function gives BUSY, shows in FUNCTION STATS
 * and is stopped by FUNCTION KILL; ioredis and node-redis call functions.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from '../../src/client/rawClient.js';
import { type RunningServer, startServer } from '../../src/index.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

const LIB = `#!lua name=counter
redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1] or 1) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read only'}`;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'keydra-functions-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function withKeydra<T>(dir: string, opts: Record<string, unknown>, fn: (c: RawClient, s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startServer({ port: 0, dir, save: '', appendonly: false, ...opts });
  const c = await RawClient.connect(s.port);
  try {
    return await fn(c, s);
  } finally {
    c.close();
    await s.close();
  }
}

/** The value of a bulk/simple/integer reply, or the error text prefixed with "ERR:". */
function val(r: RespNode): unknown {
  const n = r as { t?: string; v?: unknown };
  if (n && typeof n === 'object' && 't' in n) return n.t === '-' ? `ERR:${n.v}` : n.v;
  return r;
}

describe('functions: persistence', () => {
  it('SAVE writes the libraries into the RDB and a restart loads them', async () => {
    const dir = tempDir();
    await withKeydra(dir, {}, async (c) => {
      assert.equal(val(await c.call('FUNCTION', 'LOAD', LIB)), 'counter');
      assert.equal(val(await c.call('FCALL', 'bump', '1', 'n', '5')), 5);
      assert.equal(val(await c.call('SAVE')), 'OK');
    });
    await withKeydra(dir, {}, async (c) => {
      assert.equal(val(await c.call('FCALL', 'bump', '1', 'n', '2')), 7);
      assert.equal(val(await c.call('FCALL_RO', 'peek', '1', 'n')), '7');
      const dump = (await c.call('FUNCTION', 'LIST', 'WITHCODE')) as RespNode[];
      assert.equal(dump.length, 1);
    });
  });

  it('FUNCTION LOAD/DELETE/FLUSH/RESTORE go to the AOF, are replayed, and survive a rewrite', async () => {
    const dir = tempDir();
    await withKeydra(dir, { appendonly: true }, async (c) => {
      assert.equal(val(await c.call('FUNCTION', 'LOAD', LIB)), 'counter');
      const payload = (await c.send('FUNCTION', 'DUMP')).raw;
      assert.equal(val(await c.call('FUNCTION', 'FLUSH')), 'OK');
      const bulk = payload.subarray(payload.indexOf('\r\n') + 2, payload.length - 2);
      assert.equal(val(await c.call('FUNCTION', 'RESTORE', bulk)), 'OK');
      assert.equal(val(await c.call('FUNCTION', 'LOAD', '#!lua name=gone\nredis.register_function("g", function() return 1 end)')), 'gone');
      assert.equal(val(await c.call('FUNCTION', 'DELETE', 'gone')), 'OK');
      await new Promise((r) => setTimeout(r, 1100)); // appendfsync everysec
    });
    const aofDir = join(dir, 'appendonlydir');
    const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof')) as string;
    const aof = readFileSync(join(aofDir, incr), 'latin1');
    for (const sub of ['load', 'FLUSH', 'RESTORE', 'DELETE'])
      assert.ok(aof.toLowerCase().includes(`$8\r\nfunction\r\n$${sub.length}\r\n${sub.toLowerCase()}\r\n`), sub);
    await withKeydra(dir, { appendonly: true }, async (c) => {
      assert.equal(val(await c.call('FCALL', 'bump', '1', 'x')), 1);
      assert.equal(val(await c.call('FCALL', 'g', '0')), 'ERR:ERR Function not found');
      assert.equal(val(await c.call('BGREWRITEAOF')), 'Background append only file rewriting started');
      for (let i = 0; i < 200; i++) {
        const info = String(val(await c.call('INFO', 'persistence')));
        if (info.includes('aof_rewrite_in_progress:0') && !info.includes('aof_rewrite_scheduled:1')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    await withKeydra(dir, { appendonly: true }, async (c) => {
      assert.equal(val(await c.call('FCALL', 'bump', '1', 'x')), 2);
    });
  });

  it('an RDB written by redis-server with functions loads into Keydra, and Keydra writes one redis-server loads', async (t) => {
    const rdir = tempDir();
    const redis = await startRedis(['--dir', rdir]);
    if (redis === null) return t.skip(NO_REDIS);
    try {
      const rc = await RawClient.connect(redis.port);
      assert.equal(val(await rc.call('FUNCTION', 'LOAD', LIB)), 'counter');
      await rc.call('SET', 'n', '10');
      assert.equal(val(await rc.call('SAVE')), 'OK');
      rc.close();
    } finally {
      await redis.close();
    }
    const kdir = tempDir();
    copyFileSync(join(rdir, 'dump.rdb'), join(kdir, 'dump.rdb'));
    await withKeydra(kdir, {}, async (c) => {
      assert.equal(val(await c.call('FCALL', 'bump', '1', 'n', '1')), 11);
      assert.equal(
        val(await c.call('FUNCTION', 'LOAD', '#!lua name=k\nredis.register_function("kf", function() return "keydra" end)')),
        'k',
      );
      assert.equal(val(await c.call('SAVE')), 'OK');
    });
    const r2dir = tempDir();
    copyFileSync(join(kdir, 'dump.rdb'), join(r2dir, 'dump.rdb'));
    const redis2 = await startRedis(['--dir', r2dir]);
    if (redis2 === null) return t.skip(NO_REDIS);
    try {
      const rc = await RawClient.connect(redis2.port);
      assert.equal(val(await rc.call('FCALL', 'kf', '0')), 'keydra');
      assert.equal(val(await rc.call('FCALL', 'bump', '1', 'n', '1')), 12);
      rc.close();
    } finally {
      await redis2.close();
    }
  });
});

describe('functions: propagation to the AOF', () => {
  /** Runs the same commands on a server with the AOF on; @returns the incr AOF's bytes. */
  async function aofAfter(peer: Peer): Promise<string> {
    const c = await RawClient.connect(peer.port);
    try {
      await c.call('FUNCTION', 'LOAD', LIB);
      await c.call('FCALL', 'bump', '1', 'n', '3');
      await c.call('FCALL_RO', 'peek', '1', 'n');
      await c.call('FUNCTION', 'LOAD', LIB); // fails: not propagated
      await c.call('FUNCTION', 'LOAD', 'REPLACE', LIB);
      const dump = (await c.send('FUNCTION', 'DUMP')).raw;
      const payload = dump.subarray(dump.indexOf('\r\n') + 2, dump.length - 2);
      await c.call('FUNCTION', 'DELETE', 'counter');
      await c.call('FUNCTION', 'DELETE', 'counter'); // fails
      await c.call('FUNCTION', 'RESTORE', payload, 'APPEND');
      await c.call('SELECT', '2');
      await c.call('FCALL', 'bump', '1', 'm');
      await c.call('FUNCTION', 'FLUSH', 'SYNC');
      await new Promise((res) => setTimeout(res, 100));
    } finally {
      c.close();
    }
    const dir = join(peer.dir, 'appendonlydir');
    const incr = readdirSync(dir).find((f) => f.endsWith('.incr.aof')) as string;
    return readFileSync(join(dir, incr), 'latin1');
  }

  it('FUNCTION LOAD/DELETE/RESTORE/FLUSH as sent, FCALL as its effects: the AOF redis-server 7.0 writes', async (t) => {
    const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    if (redis === null) return t.skip(NO_REDIS);
    const keydra = await startKeydra({ appendonly: true, appendfsync: 'always' });
    try {
      const expected = await aofAfter(redis);
      const actual = await aofAfter(keydra);
      assert.ok(expected.includes('RESTORE'));
      assert.equal(actual, expected);
    } finally {
      await redis.close();
      await keydra.close();
    }
  });
});

describe('functions: busy scripts and clients', () => {
  it('a looping function: BUSY for others, FUNCTION STATS names it, FUNCTION KILL stops it', async () => {
    await withKeydra(tempDir(), { 'busy-reply-threshold': 100 }, async (c, s) => {
      await c.call(
        'FUNCTION',
        'LOAD',
        '#!lua name=busy\nredis.register_function("spin", function() local i = 0 while true do i = i + 1 end end)',
      );
      const caller = await RawClient.connect(s.port);
      const pending = caller.call('FCALL', 'spin', '0');
      let busy = '';
      for (let i = 0; i < 500 && busy === ''; i++) {
        const r = val(await c.call('PING'));
        if (typeof r === 'string' && r.startsWith('ERR:')) busy = r;
        else await new Promise((res) => setTimeout(res, 10));
      }
      assert.equal(busy, 'ERR:BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.');
      const stats = (await c.call('FUNCTION', 'STATS')) as RespNode[];
      const running = stats[1] as RespNode[];
      assert.deepEqual(running.slice(0, 4).map(val), ['name', 'spin', 'command', running[3]]);
      assert.deepEqual((running[3] as RespNode[]).map(val), ['FCALL', 'spin', '0']);
      assert.equal(
        val(await c.call('SCRIPT', 'KILL')),
        'ERR:BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
      );
      assert.equal(val(await c.call('FUNCTION', 'KILL')), 'OK');
      assert.equal(val(await pending), 'ERR:ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.');
      assert.equal(val(await c.call('PING')), 'PONG');
      assert.equal(val(await c.call('FUNCTION', 'KILL')), 'ERR:NOTBUSY No scripts in execution right now.');
      caller.close();
    });
  });

  it('ioredis and node-redis call functions', async () => {
    await withKeydra(tempDir(), {}, async (_c, s) => {
      const io = new Redis({ port: s.port, lazyConnect: true });
      await io.connect();
      const nr = createClient({ socket: { port: s.port } });
      await nr.connect();
      try {
        assert.equal(await io.call('FUNCTION', 'LOAD', LIB), 'counter');
        assert.equal(await io.call('FCALL', 'bump', 1, 'hits', 3), 3);
        assert.equal(await nr.fCall('bump', { keys: ['hits'], arguments: ['4'] }), 7);
        assert.equal(await nr.fCallRo('peek', { keys: ['hits'], arguments: [] }), '7');
        const list = (await nr.functionList()) as unknown as Array<{ library_name: string }>;
        assert.equal(list[0].library_name, 'counter');
      } finally {
        io.disconnect();
        await nr.quit();
      }
    });
  });
});
