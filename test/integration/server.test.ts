/**
 * The server as a process and as an embedded library: config files (include, quotes, `save ""`,
 * errors naming file and line), command-line flags, --version/--help, AUTH with requirepass,
 * protected mode, maxclients, idle timeout, SHUTDOWN, CONFIG REWRITE, and a redis-cli scripted
 * session compared with redis-server's.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { freePort, NO_REDIS, startKeydra, startRedis } from '../helpers/servers.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');

/** Connects and collects everything the server sends until it closes (or `ms` passes). */
function readUntilClose(port: number, host = '127.0.0.1', send = '', ms = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    const s = net.connect(port, host, () => {
      if (send) s.write(send);
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, ms);
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      const c = await RawClient.connect(port);
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('server did not start');
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.on('exit', (code) => r(code)));
}

describe('keydra-server process', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'keydra-srv-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--version and --help', () => {
    const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^Keydra server v=\d+\.\d+\.\d+ redis_version=7\.0\.15/);
    const h = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^Usage: keydra-server \[\/path\/to\/redis.conf\] \[options\]/);
  });

  it('config file with include, quotes and save "", flags override it; CONFIG REWRITE; SHUTDOWN exits', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'extra.conf'), 'maxmemory 10mb\nmaxmemory-policy allkeys-lru\n');
    const conf = join(dir, 'k.conf');
    writeFileSync(
      conf,
      `# test config\nport ${port}\nbind 127.0.0.1\ninclude extra.conf\nrequirepass "se cret"\nsave ""\ndir ${dir}\nhz 20\n`,
    );
    const proc = spawn(process.execPath, [CLI, conf, '--hz', '15', '--loglevel', 'warning'], { stdio: 'ignore' });
    try {
      await waitForPort(port, proc);
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.call('GET', 'x'), { t: '-', v: 'NOAUTH Authentication required.' });
      assert.deepEqual(await c.call('AUTH', 'wrong'), { t: '-', v: 'WRONGPASS invalid username-password pair or user is disabled.' });
      assert.deepEqual(await c.call('AUTH', 'se cret'), { t: '+', v: 'OK' });
      assert.deepEqual(await c.call('CONFIG', 'GET', 'save'), ['save', '']);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory'), ['maxmemory', '10485760']);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'hz'), ['hz', '15']);
      assert.deepEqual(await c.call('CONFIG', 'SET', 'maxmemory', '20mb', 'timeout', '100'), { t: '+', v: 'OK' });
      assert.deepEqual(await c.call('CONFIG', 'REWRITE'), { t: '+', v: 'OK' });
      const text = readFileSync(conf, 'latin1');
      assert.match(text, /^# test config\n/);
      assert.match(text, /\nmaxmemory 20971520\n/);
      assert.match(text, /\ntimeout 100\n/);
      assert.match(text, /\nrequirepass "se cret"\n/);
      assert.match(text, /\nsave ""\n/);
      assert.match(text, /\nhz 15\n/);
      const info = (await c.call('INFO', 'server')) as string;
      assert.ok(info.includes(`config_file:${conf}\r\n`));
      const closed = new Promise<void>((r) => c.socket.on('close', () => r()));
      c.socket.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
      await closed;
      assert.equal(await exited(proc), 0);
    } finally {
      proc.kill();
    }
  });

  it('loglevel verbose logs each accepted connection and each client that closes it, as redis-server', async (t) => {
    const kinds: [string, string, string[]][] = [['keydra', process.execPath, [CLI]]];
    if (spawnSync('redis-server', ['--version']).status === 0) kinds.push(['redis', 'redis-server', []]);
    else t.diagnostic(NO_REDIS);
    for (const [kind, bin, pre] of kinds) {
      const port = await freePort();
      const log = join(dir, `verbose-${kind}.log`);
      const proc = spawn(
        bin,
        [...pre, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--loglevel', 'verbose', '--logfile', log],
        { stdio: 'ignore' },
      );
      try {
        await waitForPort(port, proc);
        const c = await RawClient.connect(port);
        const local = c.socket.localPort;
        assert.deepEqual(await c.call('CLIENT', 'SETNAME', 'probe'), { t: '+', v: 'OK' });
        c.close();
        const closedLine = new RegExp(`- Client closed connection id=\\d+ addr=127\\.0\\.0\\.1:${local} .*name=probe(\\s|$)`, 'm');
        let text = '';
        for (let i = 0; i < 50 && !closedLine.test(text); i++) {
          await new Promise((r) => setTimeout(r, 50));
          text = readFileSync(log, 'latin1');
        }
        assert.match(text, new RegExp(`- Accepted 127\\.0\\.0\\.1:${local}$`, 'm'), `${kind} logs the accept`);
        assert.match(text, closedLine, `${kind} logs the close`);
      } finally {
        proc.kill('SIGKILL');
        await exited(proc);
      }
    }
  });

  it('bad config: unknown directive and bad value name file and line, exit code 1', () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, 'port 0\nnosuchdirective 1\n');
    const r = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /FATAL CONFIG FILE ERROR/);
    assert.match(r.stderr, new RegExp(`at line 2 of ${conf.replace(/[.]/g, '\\.')}`));
    assert.match(r.stderr, />>> 'nosuchdirective 1'/);
    assert.match(r.stderr, /Bad directive or wrong number of arguments/);
    writeFileSync(conf, 'maxmemory lots\n');
    const r2 = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1' });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /at line 1 of .*\n>>> 'maxmemory lots'\nargument must be a memory value/);
    const r3 = spawnSync(process.execPath, [CLI, '--port', 'abc'], { encoding: 'latin1' });
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /\(command line\)/);
    writeFileSync(conf, 'include nosuch.conf\n');
    const r4 = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1' });
    assert.equal(r4.status, 1);
    assert.match(r4.stderr, /can't open config file/);
  });
});

describe('embedded server limits and auth', () => {
  it('startServer with port 0 and requirepass: NOAUTH, AUTH forms, HELLO AUTH, RESET deauthenticates', async () => {
    const k = await startKeydra({ requirepass: 'pw' });
    try {
      assert.ok(k.port > 0);
      const c = await RawClient.connect(k.port);
      assert.deepEqual(await c.call('PING'), { t: '-', v: 'NOAUTH Authentication required.' });
      assert.deepEqual(await c.call('AUTH', 'default', 'nope'), {
        t: '-',
        v: 'WRONGPASS invalid username-password pair or user is disabled.',
      });
      assert.deepEqual(await c.call('AUTH', 'default', 'pw'), { t: '+', v: 'OK' });
      assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
      assert.deepEqual(await c.call('RESET'), { t: '+', v: 'RESET' });
      assert.deepEqual(await c.call('PING'), { t: '-', v: 'NOAUTH Authentication required.' });
      const hello = (await c.call('HELLO', '2', 'AUTH', 'default', 'pw')) as string[];
      assert.equal(hello[0], 'server');
      assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
      c.close();
    } finally {
      await k.close();
    }
  });

  it('maxclients refuses the extra connection with Redis error', async () => {
    const k = await startKeydra({ maxclients: 2 });
    try {
      const a = await RawClient.connect(k.port);
      const b = await RawClient.connect(k.port);
      await a.call('PING');
      await b.call('PING');
      const r = await readUntilClose(k.port);
      assert.equal(r.data, '-ERR max number of clients reached\r\n');
      assert.equal(r.closed, true);
      const info = (await a.call('INFO', 'stats')) as string;
      assert.match(info, /rejected_connections:1\r\n/);
      a.close();
      b.close();
    } finally {
      await k.close();
    }
  });

  it('idle timeout closes idle clients', async () => {
    const k = await startKeydra({ timeout: 1, hz: 50 });
    try {
      const t0 = Date.now();
      const r = await readUntilClose(k.port, '127.0.0.1', '*1\r\n$4\r\nPING\r\n', 5000);
      assert.equal(r.data, '+PONG\r\n');
      assert.equal(r.closed, true);
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 3000, `closed after ${took} ms`);
    } finally {
      await k.close();
    }
  });

  it('protected mode denies a non-loopback peer without password, allows loopback', async (t) => {
    const ip = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!ip) return t.skip('no non-loopback IPv4 interface');
    const k = await startKeydra({ bind: '0.0.0.0' });
    try {
      const r = await readUntilClose(k.port, ip, '*1\r\n$4\r\nPING\r\n');
      assert.match(r.data, /^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set/);
      assert.ok(r.data.endsWith('from the outside.\r\n'));
      assert.equal(r.closed, true);
      const local = await readUntilClose(k.port, '127.0.0.1', '*1\r\n$4\r\nQUIT\r\n');
      assert.equal(local.data, '+OK\r\n');
      const c = await RawClient.connect(k.port);
      await c.call('CONFIG', 'SET', 'protected-mode', 'no');
      const r2 = await readUntilClose(k.port, ip, '*1\r\n$4\r\nQUIT\r\n');
      assert.equal(r2.data, '+OK\r\n');
      c.close();
    } finally {
      await k.close();
    }
  });

  it('SHUTDOWN closes an embedded server and runs onExit', async () => {
    const running = await startServer({ port: 0, save: '', dir: mkdtempSync(join(tmpdir(), 'keydra-sd-')) });
    let code: number | null = null;
    running.server.onExit = (c) => {
      code = c;
    };
    const c = await RawClient.connect(running.port);
    assert.deepEqual(await c.call('SHUTDOWN', 'ABORT'), { t: '-', v: 'ERR No shutdown in progress.' });
    const closed = new Promise<void>((r) => c.socket.on('close', () => r()));
    c.socket.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    await closed;
    for (let i = 0; i < 50 && code === null; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(code, 0);
    await assert.rejects(RawClient.connect(running.port));
  });

  it('CLIENT KILL (old and new forms) and CLIENT LIST/INFO', async () => {
    const k = await startKeydra();
    try {
      const a = await RawClient.connect(k.port);
      const b = await RawClient.connect(k.port);
      await b.call('CLIENT', 'SETNAME', 'victim');
      const list = (await a.call('CLIENT', 'LIST')) as string;
      const line = list.split('\n').find((l) => l.includes('name=victim')) as string;
      const addr = /addr=(\S+)/.exec(line)?.[1] as string;
      const bClosed = new Promise<void>((r) => b.socket.on('close', () => r()));
      assert.deepEqual(await a.call('CLIENT', 'KILL', addr), { t: '+', v: 'OK' });
      await bClosed;
      const c2 = await RawClient.connect(k.port);
      const id = await c2.call('CLIENT', 'ID');
      assert.equal(await a.call('CLIENT', 'KILL', 'ID', String(id)), 1);
      assert.equal(await a.call('CLIENT', 'KILL', 'TYPE', 'normal'), 0);
      assert.deepEqual(await a.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no'), 1);
      a.close();
    } finally {
      await k.close();
    }
  });
});

describe('redis-cli scripted session', () => {
  it('redis-cli output is the same against Keydra and redis-server', async (t) => {
    if (spawnSync('redis-cli', ['--version']).status !== 0) return t.skip('redis-cli not installed');
    const redis = await startRedis();
    if (!redis) return t.skip(NO_REDIS);
    const k = await startKeydra();
    const script = [
      'PING',
      'SET cli:a "hello world"',
      'GET cli:a',
      'INCR cli:n',
      'INCRBY cli:n 41',
      'RPUSH cli:l a b c',
      'LRANGE cli:l 0 -1',
      'HSET cli:h f1 v1 f2 v2',
      'HGET cli:h f1',
      'ZADD cli:z 1 one 2 two',
      'ZRANGE cli:z 0 -1 WITHSCORES',
      'GET cli:nosuch',
      'EXISTS cli:a cli:nosuch',
      'DBSIZE',
      'CONFIG GET maxmemory',
      'SELECT 2',
      'DBSIZE',
      'NOSUCHCOMMAND x',
      'SWAPDB 0 99',
      'COMMAND INFO get',
      'FLUSHALL',
      'DBSIZE',
      '',
    ].join('\n');
    try {
      // Asynchronous: the in-process Keydra must keep serving while redis-cli runs.
      const run = (port: number) =>
        new Promise<{ status: number | null; stdout: string }>((resolve) => {
          const p = spawn('redis-cli', ['-p', String(port)]);
          let stdout = '';
          p.stdout.setEncoding('latin1');
          p.stdout.on('data', (d: string) => (stdout += d));
          p.on('close', (status) => resolve({ status, stdout }));
          p.stdin.end(script);
        });
      const a = await run(redis.port);
      const b = await run(k.port);
      assert.equal(b.status, a.status);
      assert.equal(b.stdout, a.stdout);
      assert.match(a.stdout, /hello world/);
      assert.match(a.stdout, /unknown command 'NOSUCHCOMMAND'/);
    } finally {
      await redis.close();
      await k.close();
    }
  });
});
