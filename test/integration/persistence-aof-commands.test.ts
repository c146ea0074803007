/**
 * `aof-use-rdb-preamble no`: the AOF base is written as commands (`<name>.N.base.aof`), as Redis
 * 7.0 does. Every type (batches of 64 elements, special scores, streams with groups), TTLs,
 * several dbs and function libraries; writes racing a background rewrite. The dataset after a
 * kill -9 and restart must have the same DEBUG DIGEST, redis-check-aof must accept the files, and
 * redis-server 7.0 must load them into the same digest.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RawClient } from '../../src/client/rawClient.js';
import { freePort, redisServerPath, type SpawnedServer, spawnedKill9, spawnServer } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Proc = SpawnedServer;

function start(kind: 'keydra' | 'redis', dir: string, port: number): Promise<Proc> {
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'];
  return spawnServer(kind, port, [...args, '--aof-use-rdb-preamble', 'no', '--enable-debug-command', 'yes']);
}

const kill9 = spawnedKill9;

async function waitRewrite(c: RawClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const inf = String(await c.call('INFO', 'persistence'));
    if (/aof_rewrite_in_progress:0/.test(inf) && /aof_rewrite_scheduled:0/.test(inf)) return;
    await sleep(25);
  }
  throw new Error('rewrite did not finish');
}

async function populate(c: RawClient): Promise<void> {
  await c.call('SET', 'str', 'hello');
  await c.call('SET', 'bin', Buffer.from([0, 13, 10, 255, 36, 42]));
  await c.call('SET', 'ttl', 'v', 'PX', '100000000');
  await c.call('RPUSH', 'list', ...Array.from({ length: 150 }, (_, i) => `e${i}`));
  await c.call('SADD', 'intset', '1', '2', '-3', '70000');
  await c.call('SADD', 'set', ...Array.from({ length: 130 }, (_, i) => `m${i}`));
  await c.call('ZADD', 'z', 'inf', 'top', '-inf', 'bottom', '0.1', 'tenth', '1e-300', 'tiny', '3', 'three');
  await c.call('ZADD', 'zbig', ...Array.from({ length: 140 }, (_, i) => [String(i / 3), `z${i}`]).flat());
  await c.call('HSET', 'h', ...Array.from({ length: 100 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await c.call('EXPIRE', 'h', '100000');
  for (let i = 0; i < 5; i++) await c.call('XADD', 'stream', '*', 'n', String(i));
  await c.call('XGROUP', 'CREATE', 'stream', 'g', '0');
  await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'stream', '>');
  await c.call('XADD', 'empty-after-del', '1-1', 'a', 'b');
  await c.call('XDEL', 'empty-after-del', '1-1');
  await c.call('SELECT', '7');
  await c.call('SET', 'in7', 'seven');
  await c.call('SELECT', '0');
  await c.call('FUNCTION', 'LOAD', "#!lua name=mylib\nredis.register_function('one', function() return 1 end)");
  for (let i = 0; i < 3000; i++) await c.call('SET', `filler:${i}`, String(i));
}

describe('AOF base in command form (aof-use-rdb-preamble no)', () => {
  it('rewrites every type as commands; restart, redis-check-aof and redis-server agree on the digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aof-cmds-'));
    const port = await freePort();
    try {
      let k = await start('keydra', dir, port);
      await populate(k.c);
      assert.deepEqual(await k.c.call('BGREWRITEAOF'), { t: '+', v: 'Background append only file rewriting started' });
      // Writes racing the rewrite land in the new INCR file (and the base keeps the old values).
      for (let i = 0; i < 500; i++) await k.c.call('SET', `filler:${i}`, 'changed');
      await k.c.call('LPUSH', 'list', 'during');
      await k.c.call('DEL', 'set');
      await waitRewrite(k.c);
      await k.c.call('ZADD', 'z', '42', 'after');
      const digest = await k.c.call('DEBUG', 'DIGEST');
      const files = readdirSync(join(dir, 'appendonlydir'));
      const base = files.find((f) => f.endsWith('.base.aof'));
      assert.ok(base, `a .base.aof file: ${files.join(' ')}`);
      assert.equal(
        files.some((f) => f.endsWith('.base.rdb')),
        false,
      );
      const text = readFileSync(join(dir, 'appendonlydir', base), 'latin1');
      assert.ok(text.startsWith('*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n'), 'functions first');
      assert.ok(text.includes('$6\r\nSELECT\r\n$1\r\n7\r\n'));
      assert.ok(text.includes('$9\r\nPEXPIREAT\r\n$3\r\nttl\r\n'));
      // 150 list elements: 64 + 64 + 22 per RPUSH.
      assert.equal(text.split('$5\r\nRPUSH\r\n$4\r\nlist\r\n').length - 1, 3);
      await kill9(k);

      if (spawnSync('which', ['redis-check-aof']).status === 0) {
        const r = spawnSync('redis-check-aof', [join(dir, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      }
      k = await start('keydra', dir, port);
      assert.deepEqual(await k.c.call('DEBUG', 'DIGEST'), digest);
      assert.deepEqual(await k.c.call('FCALL', 'one', '0'), 1);
      await kill9(k);

      if (redisServerPath() !== null) {
        const rdir = mkdtempSync(join(tmpdir(), 'aof-cmds-redis-'));
        try {
          cpSync(join(dir, 'appendonlydir'), join(rdir, 'appendonlydir'), { recursive: true });
          const r = await start('redis', rdir, port);
          assert.deepEqual(await r.c.call('DEBUG', 'DIGEST'), digest);
          await kill9(r);
        } finally {
          rmSync(rdir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
