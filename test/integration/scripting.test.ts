/**
 * Scripting over real sockets: BUSY while a script runs past busy-reply-threshold, SCRIPT KILL
 * (OK / UNKILLABLE / NOTBUSY), the caller's pipelined commands after a busy script, effects
 * replication into the AOF (compared with the AOF a real redis-server writes for the same
 * commands), and ioredis's defineCommand EVALSHA → NOSCRIPT → EVAL flow.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { sha1hex } from '../../src/scripting/engine.js';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

const BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const LOOP = 'local i = 0 while true do i = i + 1 end';

/** Sends PING until the reply is an error (the server turned busy); @returns that error text. */
async function waitBusy(c: RawClient): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const r = (await c.call('PING')) as { t: string; v: string };
    if (r.t === '-') return r.v;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('server never turned busy');
}

describe('scripting: BUSY and SCRIPT KILL', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra({ 'busy-reply-threshold': 100 });
  });
  after(async () => {
    await k.close();
  });

  it('a looping script makes others get BUSY; SCRIPT KILL ends it with an error to its caller', async () => {
    const a = await RawClient.connect(k.port);
    const b = await RawClient.connect(k.port);
    try {
      const pending = a.send('EVAL', LOOP, '0');
      assert.equal(await waitBusy(b), BUSY);
      assert.deepEqual(await b.call('GET', 'x'), { t: '-', v: BUSY });
      // allow-busy commands still run: MULTI is one, and a BUSY reply inside it flags the transaction.
      assert.deepEqual(await b.call('MULTI'), { t: '+', v: 'OK' });
      assert.deepEqual(await b.call('SET', 'x', '1'), { t: '-', v: BUSY });
      assert.deepEqual(await b.call('DISCARD'), { t: '+', v: 'OK' });
      assert.deepEqual(await b.call('SCRIPT', 'KILL'), { t: '+', v: 'OK' });
      const r = (await pending).node as { t: string; v: string };
      assert.equal(r.t, '-');
      assert.equal(r.v, `ERR Script killed by user with SCRIPT KILL... script: ${sha1hex(LOOP)}, on @user_script:1.`);
      assert.deepEqual(await b.call('PING'), { t: '+', v: 'PONG' });
      assert.deepEqual(await b.call('SCRIPT', 'KILL'), { t: '-', v: 'NOTBUSY No scripts in execution right now.' });
      // The caller's connection works on.
      assert.deepEqual(await a.call('EVAL', 'return 7', '0'), 7);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a script looping inside pcall turns the server busy and SCRIPT KILL stops it (the kill error is raised again on the next line)', async () => {
    const a = await RawClient.connect(k.port);
    const b = await RawClient.connect(k.port);
    try {
      // Checked against redis-server 7.0.15: the pcall catches the kill, the next line raises it again.
      const script = 'local ok, e = pcall(function()\n local i = 0\n while true do i = i + 1 end end)\nreturn {ok, e}';
      const pending = a.send('EVAL', script, '0');
      assert.equal(await waitBusy(b), BUSY);
      assert.deepEqual(await b.call('SCRIPT', 'KILL'), { t: '+', v: 'OK' });
      assert.deepEqual((await pending).node, {
        t: '-',
        v: `ERR Script killed by user with SCRIPT KILL... script: ${sha1hex(script)}, on @user_script:4.`,
      });
      // Nested pcalls that finish on their own return normally after the server was busy.
      const nested =
        'local ok, e = pcall(function() local ok2, e2 = pcall(function() local i = 0 while i < 20000000 do i = i + 1 end return i end) return {ok2, e2} end) return {ok, e}';
      const p2 = a.send('EVAL', nested, '0');
      assert.equal(await waitBusy(b), BUSY);
      assert.deepEqual((await p2).node, [1, [1, 20000000]] as RespNode[]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a script that wrote is UNKILLABLE and finishes; pipelined commands of its caller run after it', async () => {
    const a = await RawClient.connect(k.port);
    const b = await RawClient.connect(k.port);
    try {
      // Writes, then spins until another client sets a flag... which it cannot while busy: it
      // spins a bounded number of iterations instead.
      const script =
        "redis.call('set', 'sk:w', 'written') local i = 0 while i < 30000000 do i = i + 1 end return redis.call('incr', 'sk:n')";
      const replies = a.pipeline([
        ['DEL', 'sk:n'],
        ['EVAL', script, '0'],
        ['GET', 'sk:w'],
        ['INCR', 'sk:n'],
      ]);
      assert.equal(await waitBusy(b), BUSY);
      const kill = (await b.call('SCRIPT', 'KILL')) as { t: string; v: string };
      assert.equal(kill.t, '-');
      assert.match(kill.v, /^UNKILLABLE Sorry the script already executed write commands/);
      const out = (await replies).map((r) => r.node);
      assert.deepEqual(out, [0, 1, 'written', 2] as RespNode[]);
      assert.deepEqual(await b.call('GET', 'sk:n'), '2');
    } finally {
      a.close();
      b.close();
    }
  });

  it('a client that disconnects while its script is busy does not break the server', async () => {
    const a = await RawClient.connect(k.port);
    const b = await RawClient.connect(k.port);
    try {
      a.writeRaw(`*3\r\n$4\r\nEVAL\r\n$${LOOP.length}\r\n${LOOP}\r\n$1\r\n0\r\n`);
      assert.equal(await waitBusy(b), BUSY);
      a.close();
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(await b.call('SCRIPT', 'KILL'), { t: '+', v: 'OK' });
      for (let i = 0; i < 100 && ((await b.call('PING')) as { t: string }).t === '-'; i++) {
        await new Promise((res) => setTimeout(res, 10));
      }
      assert.deepEqual(await b.call('PING'), { t: '+', v: 'PONG' });
    } finally {
      b.close();
    }
  });
});

describe('scripting: shutdown while busy', () => {
  it('closing the server drops a suspended script (the process does not keep running it)', async () => {
    const k = await startKeydra({ 'busy-reply-threshold': 50 });
    const a = await RawClient.connect(k.port);
    const b = await RawClient.connect(k.port);
    const pending = a.send('EVAL', LOOP, '0').catch((e: Error) => e);
    assert.equal(await waitBusy(b), BUSY);
    assert.deepEqual(await b.call('INFO', 'memory'), { t: '-', v: BUSY });
    await k.close();
    assert.ok((await pending) instanceof Error, 'the caller is disconnected without a reply');
    a.close();
    b.close();
  });
});

describe('scripting: effects replication to the AOF', () => {
  /** Runs the same commands on a server with the AOF on; @returns the incr AOF's bytes. */
  async function aofAfter(peer: Peer): Promise<string> {
    const c = await RawClient.connect(peer.port);
    try {
      for (const cmd of AOF_CMDS) await c.call(...cmd);
      await new Promise((res) => setTimeout(res, 100));
    } finally {
      c.close();
    }
    const dir = join(peer.dir, 'appendonlydir');
    const incr = fs.readdirSync(dir).find((f) => f.endsWith('.incr.aof'));
    assert.ok(incr, 'an incr AOF file exists');
    return fs.readFileSync(join(dir, incr), 'latin1');
  }

  const AOF_CMDS: string[][] = [
    ['EVAL', "redis.call('set', 'a', '1') redis.call('incr', 'a') return 1", '0'],
    ['EVAL', "redis.call('set', 'b', '1') return 1", '0'],
    ['SCRIPT', 'LOAD', 'return 1'],
    ['SCRIPT', 'FLUSH'],
    ['EVAL', "return redis.call('get', 'a')", '0'],
    ['EVAL_RO', "return redis.call('get', 'a')", '0'],
    ['EVAL', "redis.call('select', 3) redis.call('set', 'c', '1') return 1", '0'],
    [
      'EVAL',
      "redis.set_repl(redis.REPL_NONE) redis.call('set', 'd', '1') redis.set_repl(redis.REPL_ALL) redis.call('set', 'e', '1') return 1",
      '0',
    ],
    ['EVAL', "redis.call('del', 'l') redis.call('rpush', 'l', 'x', 'y') redis.call('lpop', 'l') return redis.call('blpop', 'l', 0)", '0'],
  ];

  it('a script writes MULTI/EXEC-wrapped effects, not EVAL, as redis-server 7.0 does', async (t) => {
    const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    if (redis === null) return t.skip(NO_REDIS);
    const keydra = await startKeydra({ appendonly: true, appendfsync: 'always' });
    try {
      const expected = await aofAfter(redis);
      const actual = await aofAfter(keydra);
      assert.ok(expected.includes('MULTI'));
      assert.ok(!actual.includes('EVAL'));
      assert.equal(actual, expected);
    } finally {
      await redis.close();
      await keydra.close();
    }
  });
});

describe('scripting: ioredis defineCommand', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  it('EVALSHA, NOSCRIPT fallback to EVAL after SCRIPT FLUSH, pipelines', async () => {
    const r = new Redis({ port: k.port, lazyConnect: true });
    await r.connect();
    try {
      r.defineCommand('incrTwice', {
        numberOfKeys: 1,
        lua: "redis.call('incrby', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[1], ARGV[1])",
      });
      const cmd = r as unknown as { incrTwice: (k: string, n: number) => Promise<number> };
      assert.equal(await cmd.incrTwice('io:n', 5), 10);
      assert.match(await r.info('memory'), /number_of_cached_scripts:1\r\n/);
      await r.script('FLUSH');
      assert.match(await r.info('memory'), /number_of_cached_scripts:0\r\n/);
      assert.equal(await cmd.incrTwice('io:n', 1), 12);
      const p = r.pipeline() as unknown as { incrTwice: (k: string, n: number) => unknown; exec: () => Promise<[Error | null, unknown][]> };
      p.incrTwice('io:n', 1);
      p.incrTwice('io:n', 1);
      const res = await p.exec();
      assert.deepEqual(
        res.map((x) => x[1]),
        [14, 16],
      );
      assert.equal(await r.eval('return {KEYS[1], ARGV[1]}', 1, 'k', 'v').then((x) => JSON.stringify(x)), '["k","v"]');
      await assert.rejects(r.eval("return redis.call('nosuch')", 0), /Unknown Redis command called from script/);
    } finally {
      r.disconnect();
    }
  });
});

describe('scripting: node-redis (RESP3)', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  it('EVAL/EVALSHA with keys and arguments; RESP3 maps and doubles from redis.setresp(3)', async () => {
    const c = createClient({ socket: { port: k.port, host: '127.0.0.1', reconnectStrategy: false }, RESP: 3 });
    await c.connect();
    try {
      await c.hSet('nr:h', { a: '1', b: '2' });
      const script = "redis.setresp(3) return redis.call('hgetall', KEYS[1])";
      assert.deepEqual({ ...((await c.eval(script, { keys: ['nr:h'] })) as object) }, { a: '1', b: '2' });
      const sha = await c.scriptLoad('return {double = tonumber(ARGV[1])}');
      assert.equal(await c.evalSha(sha, { arguments: ['2.5'] }), 2.5);
      assert.equal(await c.eval('return true', {}), 1);
      assert.equal(await c.eval('redis.setresp(3) return true', {}), true);
      await assert.rejects(c.evalSha('0'.repeat(40), {}), /NOSCRIPT No matching script/);
    } finally {
      c.destroy();
    }
  });
});
