/**
 * The background save's child process and the loading paths Redis's spawn-mode suite exercises,
 * each scenario run on redis-server 7.0 and on Keydra (both spawned as processes) with the
 * results compared:
 * - BGSAVE has a child (the PID `pgrep -P <server>` finds as soon as it replied) writing
 *   temp-<childpid>.rdb; killing it
 *   fails the save (rdb_last_bgsave_status:err, temp file removed), writes then get -MISCONF,
 *   also a script's first write and a shebang script without no-writes; rdb-key-save-delay
 *   makes the save last (µs per key); the next good save clears it.
 * - DEBUG LOADAOF of an AOF holding a slow script: other clients get -LOADING meanwhile, "Slow
 *   script detected" is logged, the data is back, and the reload adds nothing to the AOF.
 * - A SIGINT shutdown's final save writes temp-<pid>.rdb (rdb-key-save-delay honoured); a second
 *   SIGINT meanwhile exits at once and removes it; without it the save completes (dump.rdb).
 * - CONFIG SET appendonly yes: writes go to temp-appendonly.aof.incr (no manifest) until the first
 *   rewrite succeeds; killing its child deletes it and the rewrite is retried. With
 *   aof-disable-auto-gc yes the replaced files stay in the manifest as history until it is turned off.
 * - A client blocked on a key a busy script pushed to is served after the script ends (it pops the
 *   script's last push), not while the script is suspended.
 * - SHUTDOWN NOSAVE while a script is busy: once the client sees its connection closed, a new
 *   connection is refused (the listeners close before the clients are freed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RespNode } from '../../src/protocol/decoder.js';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort, NO_REDIS, redisServerPath, spawnServer, spawnedKill9 } from '../helpers/servers.js';
import { sleep, waitFor } from '../helpers/wait.js';

const KINDS = ['redis', 'keydra'] as const;

/** A reply as comparable text: errors as `-` + their first word (the code), statuses/bulks as is. */
function show(r: RespNode): string {
  if (r !== null && typeof r === 'object' && 't' in r && (r.t === '-' || r.t === '+')) return r.t === '-' ? `-${r.v.split(' ')[0]}` : r.v;
  return JSON.stringify(r);
}

function childrenOf(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

async function infoField(c: RawClient, field: string): Promise<string> {
  const info = String(await c.call('INFO', 'persistence'));
  return new RegExp(`${field}:(\\S+)`).exec(info)?.[1] ?? '';
}

/** The BGSAVE-child scenario on one server; returns the observations to compare. */
async function killedChildScenario(kind: (typeof KINDS)[number]): Promise<string[]> {
  const dir = fs.mkdtempSync(join(tmpdir(), `keydra-child-${kind}-`));
  const port = await freePort();
  const s = await spawnServer(kind, port, ['--bind', '127.0.0.1', '--dir', dir, '--save', '3600 1', '--appendonly', 'no']);
  const out: string[] = [];
  try {
    const c = s.c;
    for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v');
    out.push(show(await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '100000'))); // 100 ms per key
    out.push(show(await c.call('BGSAVE')));
    // No wait: as after Redis's fork(), the child and its temp file exist once BGSAVE replied.
    const kids = childrenOf(s.proc.pid as number);
    out.push(`children:${kids.length}`);
    const temp = join(dir, `temp-${kids[0]}.rdb`);
    out.push(`temp file while saving:${fs.existsSync(temp)}`);
    out.push(`in progress:${await infoField(c, 'rdb_bgsave_in_progress')}`);
    process.kill(kids[0], 'SIGKILL');
    await waitFor('the failed save', 5000, async () => (await infoField(c, 'rdb_bgsave_in_progress')) === '0');
    out.push(`status:${await infoField(c, 'rdb_last_bgsave_status')}`);
    out.push(`temp file after:${fs.existsSync(temp)}`);
    out.push(show(await c.call('GET', 'k1')));
    out.push(show(await c.call('SET', 'x', 'y')));
    out.push(show(await c.call('EVAL', "return redis.call('set','x',1)", '1', 'x')));
    out.push(show(await c.call('EVAL', "#!lua\nreturn redis.call('set','x',1)", '1', 'x')));
    out.push(show(await c.call('EVAL', "#!lua flags=no-writes\nreturn redis.call('get','k1')", '1', 'k1')));
    out.push(show(await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0')));
    out.push(show(await c.call('BGSAVE')));
    await waitFor('the good save', 5000, async () => (await infoField(c, 'rdb_bgsave_in_progress')) === '0');
    out.push(`status:${await infoField(c, 'rdb_last_bgsave_status')}`);
    out.push(show(await c.call('SET', 'x', 'y')));
  } finally {
    await spawnedKill9(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** DEBUG LOADAOF of an AOF holding a slow script, on one server. */
async function loadAofScenario(kind: (typeof KINDS)[number]): Promise<string[]> {
  const dir = fs.mkdtempSync(join(tmpdir(), `keydra-loadaof-${kind}-`));
  const aofDir = join(dir, 'appendonlydir');
  fs.mkdirSync(aofDir);
  const script = "redis.call('set',KEYS[1],'y'); for i=1,300000 do redis.call('ping') end return 'ok'";
  const cmd = (argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const incr = join(aofDir, 'appendonly.aof.1.incr.aof');
  fs.writeFileSync(incr, cmd(['select', '9']) + cmd(['eval', script, '1', 'x']));
  fs.writeFileSync(join(aofDir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
  const size0 = fs.statSync(incr).size;
  const log = join(dir, 'log.txt');
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--lua-time-limit', '1'];
  const s = await spawnServer(kind, port, [...args, '--enable-debug-command', 'yes', '--logfile', log]);
  const out: string[] = [];
  try {
    const c = s.c;
    await c.call('SELECT', '9');
    out.push(`loaded at start:${show(await c.call('GET', 'x'))}`);
    const d = await RawClient.connect(port);
    const reply = d.call('DEBUG', 'LOADAOF');
    let sawLoading = false;
    for (let i = 0; i < 400 && !sawLoading; i++) {
      const p = await c.call('PING');
      if (show(p) === '-LOADING') sawLoading = true;
      else await sleep(2);
    }
    out.push(`clients got LOADING:${sawLoading}`);
    out.push(`DEBUG LOADAOF:${show(await reply)}`);
    d.close();
    out.push(`after reload:${show(await c.call('GET', 'x'))}`);
    out.push(`slow script logged:${/Slow script detected/.test(fs.readFileSync(log, 'latin1'))}`);
    out.push(`AOF grew:${fs.statSync(incr).size !== size0}`);
  } finally {
    await spawnedKill9(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** SIGINT shutdown with a slow final save, interrupted by a second SIGINT or not. */
async function signalSaveScenario(kind: (typeof KINDS)[number], insist: boolean): Promise<string[]> {
  const dir = fs.mkdtempSync(join(tmpdir(), `keydra-sigsave-${kind}-`));
  const port = await freePort();
  const s = await spawnServer(kind, port, ['--bind', '127.0.0.1', '--dir', dir, '--save', '900 1', '--appendonly', 'no']);
  const out: string[] = [];
  try {
    for (let i = 0; i < 10; i++) await s.c.call('SET', `k${i}`, 'v');
    await s.c.call('CONFIG', 'SET', 'rdb-key-save-delay', insist ? '100000' : '10000');
    const pid = s.proc.pid as number;
    const temp = join(dir, `temp-${pid}.rdb`);
    const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
    process.kill(pid, 'SIGINT');
    await waitFor('the temp file of the final save', 5000, () => fs.existsSync(temp));
    out.push('temp file while saving:true');
    if (insist) process.kill(pid, 'SIGINT');
    out.push(`exit code:${await exited}`);
    out.push(`temp file after:${fs.existsSync(temp)}`);
    out.push(`dump.rdb:${fs.existsSync(join(dir, 'dump.rdb'))}`);
  } finally {
    await spawnedKill9(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** AOF turned on at run time with failing first rewrites, then auto-gc off and on; the files seen. */
async function aofEnableScenario(kind: (typeof KINDS)[number]): Promise<string[]> {
  const dir = fs.mkdtempSync(join(tmpdir(), `keydra-aofon-${kind}-`));
  const aofDir = join(dir, 'appendonlydir');
  const port = await freePort();
  const s = await spawnServer(kind, port, ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']);
  const out: string[] = [];
  const files = () => (fs.existsSync(aofDir) ? fs.readdirSync(aofDir).sort().join(',') : '-');
  const manifest = () => fs.readFileSync(join(aofDir, 'appendonly.aof.manifest'), 'latin1').trim().split('\n').join(' | ');
  const rewriting = async () => (await infoField(s.c, 'aof_rewrite_in_progress')) === '1';
  try {
    const c = s.c;
    for (let i = 0; i < 5; i++) await c.call('SET', `k${i}`, 'v');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000');
    out.push(show(await c.call('CONFIG', 'SET', 'appendonly', 'yes')));
    await c.call('SET', 'during', 'first');
    out.push(`while the first rewrite runs:${files()}`);
    const first = childrenOf(s.proc.pid as number)[0];
    process.kill(first, 'SIGKILL');
    // The failed rewrite is retried (a new child): still no manifest.
    await waitFor('the retried rewrite', 5000, async () => {
      const kid = childrenOf(s.proc.pid as number)[0];
      return (await rewriting()) && kid !== undefined && kid !== first;
    });
    out.push(`after a failed rewrite:${files()}`);
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    process.kill(childrenOf(s.proc.pid as number)[0], 'SIGKILL');
    await waitFor('a successful rewrite', 5000, async () => !(await rewriting()) && fs.existsSync(join(aofDir, 'appendonly.aof.manifest')));
    out.push(`after the first good rewrite:${files()}`);
    out.push(`manifest:${manifest()}`);
    out.push(`consecutive failures:${await infoField(c, 'aof_rewrites_consecutive_failures')}`);
    await c.call('CONFIG', 'SET', 'aof-disable-auto-gc', 'yes');
    for (let i = 0; i < 2; i++) {
      await c.call('SET', `after${i}`, 'v');
      await c.call('BGREWRITEAOF');
      await waitFor('the rewrite', 5000, async () => !(await rewriting()));
    }
    out.push(`gc off:${manifest()}`);
    await c.call('CONFIG', 'SET', 'aof-disable-auto-gc', 'no');
    out.push(`gc on:${manifest()}`);
    await waitFor('history files deleted', 5000, () => files().split(',').length === 3);
    out.push(`files:${files()}`);
  } finally {
    await spawnedKill9(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** BLPOP waiting on a key a timed-out script pushes to, then more (Redis's "Timedout scripts and unblocked command"). */
async function blockedDuringBusyScenario(kind: (typeof KINDS)[number]): Promise<string[]> {
  const port = await freePort();
  const s = await spawnServer(kind, port, ['--bind', '127.0.0.1', '--save', '', '--enable-debug-command', 'yes']);
  const out: string[] = [];
  try {
    const waiter = await RawClient.connect(port);
    const popped = waiter.call('BLPOP', 'x', '0');
    await waitFor('the blocked client', 3000, async () => /blocked_clients:1/.test(String(await s.c.call('INFO', 'clients'))));
    await s.c.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1');
    await s.c.call('CONFIG', 'SET', 'lua-time-limit', '10');
    const runner = await RawClient.connect(port);
    // Keydra loads its Lua VM on the first script: load it first, so that the 200 ms below measure
    // the busy script only, on a loaded machine too.
    await runner.call('EVAL', 'return 1', '0');
    const script =
      "redis.call('lpush',KEYS[1],'y'); local clients; while true do clients = redis.call('client','list'); " +
      "if string.find(clients, 'abortscript') ~= nil then break end end; redis.call('lpush',KEYS[1],'z'); return 'done'";
    const ran = runner.call('EVAL', script, '1', 'x');
    await sleep(200);
    out.push(show(await s.c.call('PING')));
    const third = await RawClient.connect(port);
    await third.call('HELLO', '2', 'SETNAME', 'abortscript');
    out.push(show(await ran));
    out.push(show(await popped));
    waiter.close();
    runner.close();
    third.close();
  } finally {
    await spawnedKill9(s);
  }
  return out;
}

/** SHUTDOWN NOSAVE during a busy script, `rounds` times: how many reconnects right after were refused. */
async function shutdownRefusesScenario(kind: (typeof KINDS)[number], rounds: number): Promise<number> {
  let refused = 0;
  for (let i = 0; i < rounds; i++) {
    const port = await freePort();
    const s = await spawnServer(kind, port, ['--bind', '127.0.0.1', '--save', '', '--lua-time-limit', '5']);
    try {
      void s.c.send('EVAL', "redis.call('set',KEYS[1],'y'); while true do end", '1', 'x').catch(() => {});
      await sleep(60);
      const b = await RawClient.connect(port);
      const closed = new Promise<void>((r) => b.socket.once('close', () => r()));
      b.socket.on('error', () => {});
      b.send('SHUTDOWN', 'NOSAVE').catch(() => {});
      await closed;
      const ok = await new Promise<boolean>((r) => {
        const c = net.connect(port, '127.0.0.1');
        c.once('connect', () => {
          c.destroy();
          r(false);
        });
        c.once('error', () => r(true));
      });
      if (ok) refused++;
    } finally {
      await spawnedKill9(s);
    }
  }
  return refused;
}

describe('background save child and loading, against redis-server', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
  it('killing the BGSAVE child fails the save: temp-<childpid>.rdb removed, -MISCONF for writes and scripts', async () => {
    const [redis, keydra] = [await killedChildScenario('redis'), await killedChildScenario('keydra')];
    assert.deepEqual(keydra, redis);
    assert.ok(redis.includes('children:1') && redis.includes('status:err') && redis.includes('-MISCONF'), redis.join('\n'));
  });

  it('DEBUG LOADAOF with a slow script in the AOF: -LOADING meanwhile, slow script logged, nothing appended', async () => {
    const [redis, keydra] = [await loadAofScenario('redis'), await loadAofScenario('keydra')];
    assert.deepEqual(keydra, redis);
    assert.ok(redis.includes('clients got LOADING:true') && redis.includes('AOF grew:false'), redis.join('\n'));
  });

  for (const insist of [true, false]) {
    it(`SIGINT shutdown saves to temp-<pid>.rdb${insist ? '; a second SIGINT exits at once and removes it' : ', then dump.rdb'}`, async () => {
      const [redis, keydra] = [await signalSaveScenario('redis', insist), await signalSaveScenario('keydra', insist)];
      assert.deepEqual(keydra, redis);
      assert.ok(redis.includes(`dump.rdb:${!insist}`), redis.join('\n'));
    });
  }

  it('AOF enabled at run time: temp INCR until the first good rewrite, failed ones retried; aof-disable-auto-gc history', async () => {
    const [redis, keydra] = [await aofEnableScenario('redis'), await aofEnableScenario('keydra')];
    assert.deepEqual(keydra, redis);
    assert.ok(redis.some((l) => l.includes('temp-appendonly.aof.incr')) && redis.some((l) => l.includes('type h')), redis.join('\n'));
  });

  it('a client blocked on a key a busy script pushes to is served after the script, not during it', async () => {
    const [redis, keydra] = [await blockedDuringBusyScenario('redis'), await blockedDuringBusyScenario('keydra')];
    assert.deepEqual(keydra, redis);
    assert.equal(redis[redis.length - 1], JSON.stringify(['x', 'z']));
  });

  it('SHUTDOWN NOSAVE during a busy script: a reconnect right after the close is refused', async () => {
    const rounds = 12;
    assert.deepEqual([await shutdownRefusesScenario('keydra', rounds), await shutdownRefusesScenario('redis', rounds)], [rounds, rounds]);
  });
});
