/**
 * Every running script can be stopped, over real sockets, with a real redis-server 7.0 as control:
 * whatever Lua is doing (a loop inside pcall/xpcall, a table.sort comparator, a gsub callback, an
 * __index metamethod, a coroutine, inside MULTI/EXEC, FCALL), other clients get -BUSY past
 * busy-reply-threshold, `redis-cli script kill` from a fresh connection stops it, the killed
 * script's own connection stays usable, UNKILLABLE after a write, SHUTDOWN NOSAVE always works.
 * Each scenario's transcript (every reply, raw) must be the same on both servers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort, NO_REDIS, redisServerPath, type SpawnedServer, spawnServer, spawnedKill9 } from '../helpers/servers.js';

/** Raw reply text with script shas masked (they are equal anyway, but keep transcripts short). */
const text = (b: Buffer): string => b.toString('latin1').replace(/script: [0-9a-f]{40}/g, 'script: <sha>');

/** `redis-cli -p port args...` from a fresh connection (a new process), its stdout. */
function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`redis-cli ${args.join(' ')} hung`));
    }, 10000);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out.trim());
    });
  });
}

/** Sends PING from fresh connections until the server answers an error (it is busy). @returns it. */
async function waitBusy(port: number): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const c = await RawClient.connect(port);
    const r = text((await c.send('PING')).raw);
    c.close();
    if (r.startsWith('-')) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('server never turned busy');
}

/** Scripts that loop forever in places Lua reaches through C calls. */
const LOOPS = [
  'while true do end',
  'pcall(function() while true do end end)',
  'xpcall(function() while true do end end, function(e) return e end)',
  'table.sort({3, 2, 1}, function(a, b) while true do end end)',
  "string.gsub('a', 'a', function() while true do end end)",
  'local t = setmetatable({}, {__index = function() while true do end end}) return t.x',
  'local co = coroutine.wrap(function() while true do end end) co()',
  'pcall(function() pcall(function() while true do end end) end)\nwhile true do end',
];

/** One scenario against the server on `port`: a transcript of replies. */
type Scenario = (port: number) => Promise<string[]>;

const scenarios: Record<string, Scenario> = {
  async 'loops anywhere: BUSY, then SCRIPT KILL from a fresh redis-cli'(port) {
    const out: string[] = [];
    for (const script of LOOPS) {
      const a = await RawClient.connect(port);
      const pending = a.send('EVAL', script, '0');
      out.push(await waitBusy(port));
      out.push(await redisCli(port, 'script', 'kill'));
      out.push(text((await pending).raw));
      // The killed script's connection and the server are usable again.
      out.push(text((await a.send('PING')).raw), text((await a.send('EVAL', 'return 7', '0')).raw));
      a.close();
    }
    return out;
  },
  async 'MULTI/EXEC waits for its script; SCRIPT KILL; the rest of EXEC runs'(port) {
    const a = await RawClient.connect(port);
    const out = [text((await a.send('DEL', 'a', 'b')).raw), text((await a.send('MULTI')).raw)];
    for (const cmd of [
      ['SET', 'a', '1'],
      ['EVAL', 'while true do end', '0'],
      ['SET', 'b', '2'],
    ])
      out.push(text((await a.send(...cmd)).raw));
    const exec = a.send('EXEC');
    out.push(await waitBusy(port));
    // Another client's transaction: commands refused while busy, EXEC then aborts.
    const b = await RawClient.connect(port);
    out.push(text((await b.send('MULTI')).raw), text((await b.send('SET', 'q', '1')).raw), text((await b.send('EXEC')).raw));
    out.push(await redisCli(port, 'script', 'kill'));
    out.push(text((await exec).raw), text((await a.send('MGET', 'a', 'b', 'q')).raw));
    a.close();
    b.close();
    return out;
  },
  async 'FCALL: FUNCTION KILL (SCRIPT KILL refused), pcall inside'(port) {
    const a = await RawClient.connect(port);
    const lib = "#!lua name=busylib\nredis.register_function('busy', function() pcall(function() while true do end end) return 'done' end)";
    const out = [text((await a.send('FUNCTION', 'LOAD', 'REPLACE', lib)).raw)];
    const pending = a.send('FCALL', 'busy', '0');
    out.push(await waitBusy(port));
    out.push(await redisCli(port, 'script', 'kill'));
    out.push(await redisCli(port, 'function', 'kill'));
    out.push(text((await pending).raw), text((await a.send('PING')).raw));
    a.close();
    return out;
  },
  async 'a script that wrote is UNKILLABLE and ends by itself'(port) {
    const a = await RawClient.connect(port);
    const script =
      "redis.call('set', 'x', 'y') local t = redis.call('time')[1] while tonumber(redis.call('time')[1]) < t + 3 do end return 'ok'";
    const pending = a.send('EVAL', script, '0');
    const out = [await waitBusy(port), await redisCli(port, 'script', 'kill')];
    out.push(text((await pending).raw), text((await a.send('GET', 'x')).raw));
    a.close();
    return out;
  },
};

describe('scripting: every script is stoppable (Keydra and redis-server over sockets)', () => {
  const servers: Partial<Record<'keydra' | 'redis', { s: SpawnedServer; port: number }>> = {};
  before(async () => {
    for (const kind of ['keydra', 'redis'] as const) {
      if (kind === 'redis' && redisServerPath() === null) continue;
      const port = await freePort();
      const s = await spawnServer(kind, port, ['--save', '', '--appendonly', 'no', '--busy-reply-threshold', '100']);
      servers[kind] = { s, port };
    }
  });
  after(async () => {
    for (const x of Object.values(servers)) if (x) await spawnedKill9(x.s);
  });

  for (const [name, run] of Object.entries(scenarios)) {
    it(name, async (t) => {
      const k = servers.keydra;
      assert.ok(k);
      const got = await run(k.port);
      // Keydra on its own: the kills worked (no hang, the connection answers).
      assert.ok(got.length > 0);
      if (!servers.redis) return t.skip(NO_REDIS);
      const want = await run(servers.redis.port);
      assert.deepEqual(got, want);
    });
  }

  it('SHUTDOWN NOSAVE stops a server stuck in a table.sort comparator', async (t) => {
    for (const kind of ['keydra', 'redis'] as const) {
      if (kind === 'redis' && redisServerPath() === null) return t.skip(NO_REDIS);
      const port = await freePort();
      const s = await spawnServer(kind, port, ['--save', '', '--appendonly', 'no', '--busy-reply-threshold', '100']);
      const exited = new Promise((r) => s.proc.once('exit', r));
      const a = await RawClient.connect(port);
      void a.send('EVAL', 'table.sort({3, 2, 1}, function(x, y) while true do end end)', '0').catch(() => {});
      await waitBusy(port);
      await redisCli(port, 'shutdown', 'nosave');
      await exited;
      a.close();
      s.c.close();
      assert.notEqual(s.proc.exitCode ?? s.proc.signalCode, null, `${kind} exited`);
    }
  });
});

describe('scripting: Lua memory after SCRIPT FLUSH', () => {
  it('a script that grew the Lua heap: after SCRIPT FLUSH the VM is fresh and its memory is freed', async () => {
    const { startKeydra } = await import('../helpers/servers.js');
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const k = await startKeydra();
    const c = await RawClient.connect(k.port);
    try {
      const info = async (field: string): Promise<number> => {
        const s = text((await c.send('INFO', 'memory')).raw);
        return Number(new RegExp(`${field}:(\\d+)`).exec(s)?.[1]);
      };
      gc();
      const before = process.memoryUsage().external;
      const r = await c.send('EVAL', "local t = {} for i = 1, 200 do t[i] = string.rep('x', 1000000) .. i end return #t", '0');
      assert.equal(text(r.raw), ':200\r\n');
      assert.ok((await info('used_memory_lua')) > 200e6);
      assert.ok(process.memoryUsage().external - before > 200e6);
      // A spare VM loads in the background once the heap has grown; the flush swaps it in.
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(text((await c.send('SCRIPT', 'FLUSH')).raw), '+OK\r\n');
      assert.ok((await info('used_memory_lua')) < 1e6);
      // Scripts keep working in the fresh VM; the old one's memory goes at the next GC.
      for (let i = 0; i < 200 && process.memoryUsage().external - before > 50e6; i++) {
        assert.equal(text((await c.send('EVAL', 'return 1', '0')).raw), ':1\r\n');
        await new Promise((res) => setTimeout(res, 50));
        gc();
      }
      assert.ok(process.memoryUsage().external - before < 50e6, 'the old VM memory was freed');
      for (const f of [
        'used_memory_vm_eval',
        'used_memory_scripts_eval',
        'number_of_cached_scripts',
        'used_memory_vm_functions',
        'used_memory_vm_total',
        'used_memory_functions',
        'used_memory_scripts',
        'number_of_functions',
        'number_of_libraries',
      ]) {
        assert.ok(Number.isFinite(await info(f)), f);
      }
      assert.equal(await info('number_of_cached_scripts'), 1);
    } finally {
      c.close();
      await k.close();
    }
  });
});
