/**
 * `redis-cli --ldb --eval` (forked mode, SCRIPT DEBUG YES) and `--ldb-sync-mode` driven through
 * their stdin against Keydra and against redis-server 7.0: the transcripts redis-cli prints must be
 * identical (stops, logs, the script's result, "(Lua debugging session ended -- dataset changes
 * rolled back)" or "(Lua debugging session ended)"), and the dataset afterwards must match (YES
 * loses the script's writes, SYNC keeps them). Also a debugging session's timeout stop, and that
 * EVAL/EVALSHA of other clients are unaffected by a client in debug mode.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

const HAVE_CLI = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs redis-cli with `args`, `input` on its stdin; @returns its stdout and exit code. */
function cli(args: string[], input: string): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d.toString('latin1');
    });
    p.stderr.on('data', (d) => {
      out += d.toString('latin1');
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 15000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
    p.stdin.end(input);
  });
}

const SCRIPT = [
  "redis.call('set', KEYS[1], ARGV[1])",
  "local v = redis.call('get', KEYS[1])",
  'local t = {v, 1, {x = true}}',
  "redis.debug('v is', v, t)",
  'redis.breakpoint()',
  "redis.call('incr', 'counter')",
  'return t',
  '',
].join('\n');

describe('redis-cli --ldb against Keydra and redis-server', () => {
  let k: Peer;
  let r: Peer | null = null;
  let dir: string;
  let file: string;
  before(async () => {
    k = await startKeydra();
    r = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'keydra-ldb-'));
    file = join(dir, 'script.lua');
    writeFileSync(file, SCRIPT);
  });
  after(async () => {
    await k?.close();
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One redis-cli session on `port`, then the keys the script wrote. */
  async function session(port: number, sync: boolean, input: string): Promise<unknown[]> {
    const admin = await RawClient.connect(port);
    await admin.call('FLUSHALL');
    await admin.call('SET', 'counter', '10');
    const args = ['-p', String(port), '--ldb', ...(sync ? ['--ldb-sync-mode'] : []), '--eval', file, 'mykey', ',', 'hello'];
    const { out, code } = await cli(args, input);
    const after = [await admin.call('GET', 'mykey'), await admin.call('GET', 'counter')];
    admin.close();
    return [out, code, after];
  }

  const inputs: Record<string, string> = {
    'step, print, list, whole, continue': 's\np\ns\nprint v\nlist\nwhole\nc\nc\n',
    'breakpoints, eval, redis, trace, maxlen, help': 'b 6\nb\ne #KEYS\nr get mykey\nt\nmaxlen 0\nhelp\nc\np t\nc\n',
    abort: 's\nabort\n',
  };
  for (const sync of [false, true]) {
    for (const [name, input] of Object.entries(inputs)) {
      it(`${sync ? '--ldb-sync-mode' : '--ldb'}: ${name}`, async (t) => {
        if (!HAVE_CLI || r === null) return t.skip(NO_REDIS);
        const got = await session(k.port, sync, input);
        const want = await session(r.port, sync, input);
        assert.deepEqual(got, want);
        const out = got[0] as string;
        assert.match(out, /Stopped at 1, stop reason = step over/);
        assert.match(out, sync ? /\(Lua debugging session ended\)/ : /dataset changes rolled back/);
        // YES rolls back; SYNC keeps what ran (an abort at line 2 kept line 1's SET).
        const written = got[2] as unknown[];
        if (!sync) assert.deepEqual(written, [null, '10']);
        else assert.equal(written[0], 'hello');
      });
    }
  }

  it('a session stopped by the timeout (busy-reply-threshold), then aborted', async (t) => {
    if (r === null) return t.skip(NO_REDIS);
    const run = async (port: number) => {
      const admin = await RawClient.connect(port);
      await admin.call('CONFIG', 'SET', 'busy-reply-threshold', '100');
      try {
        const { out } = await cli(['-p', String(port), '--ldb-sync-mode', '--eval', join(dir, 'loop.lua')], 'c\nabort\n');
        return out;
      } finally {
        await admin.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
        admin.close();
      }
    };
    if (!HAVE_CLI) return t.skip(NO_REDIS);
    writeFileSync(join(dir, 'loop.lua'), 'local i = 0\nwhile true do i = i + 1 end\n');
    const got = await run(k.port);
    assert.equal(got, await run(r.port));
    assert.match(got, /stop reason = timeout reached, infinite loop\?/);
    assert.match(got, /script aborted for user request/);
  });

  it('other clients: EVAL and EVALSHA unaffected while one client is in debug mode', async () => {
    const dbg = await RawClient.connect(k.port);
    const other = await RawClient.connect(k.port);
    try {
      assert.deepEqual(await dbg.call('SCRIPT', 'DEBUG', 'YES'), { t: '+', v: 'OK' });
      const sha = await other.call('SCRIPT', 'LOAD', "return redis.call('incr', KEYS[1])");
      await other.call('DEL', 'n');
      assert.equal(await other.call('EVALSHA', sha as string, '1', 'n'), 1);
      assert.equal(await other.call('EVAL', 'return redis.breakpoint()', '0'), null);
      assert.deepEqual(await dbg.call('EVALSHA', sha as string, '1', 'n'), { t: '-', v: 'ERR Please use EVAL instead of EVALSHA for debugging' });
      assert.deepEqual(await dbg.call('SCRIPT', 'DEBUG', 'NO'), { t: '+', v: 'OK' });
      assert.equal(await dbg.call('EVALSHA', sha as string, '1', 'n'), 2);
    } finally {
      dbg.close();
      other.close();
    }
  });
});
