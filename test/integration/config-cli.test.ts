/**
 * keydra-server as Redis's test suite spawns redis-server (tests/support/server.tcl): a config
 * file with every directive of the suite's default.conf, stdout to a file, then waiting for
 * " PID: <pid>" (the logo) and "Ready to accept connections", or "Failed listening on port" to
 * retry on another port. Also: fatal start-up errors in `logfile`, the log line format, pidfile,
 * working directory = `dir` (relative aclfile), stub directives logged by name, a bare `save`
 * line, and SIGTERM when the final save fails. Each scenario runs against redis-server as well.
 * Source: Redis 7.0 server.c (main, initServer, listenToPort, redisAsciiArt, prepareForShutdown).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { encodeRdb } from '../../src/persistence/rdb/rdb.js';
import { Keyspace, type KeyspaceHooks, ObjType, RObject } from '../../src/store/db.js';
import { freePort, NO_REDIS, redisServerPath } from '../helpers/servers.js';

const CLI = join(process.cwd(), 'bin', 'keydra-server.js');

/** Redis's log line: `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`. */
const LOG_LINE = /^\d+:[MSCX] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] /;

/** The suite's tests/assets/default.conf (Redis 7.0.15), with port and dir to fill in. */
function suiteDefaultConf(port: number, dir: string, extra = ''): string {
  return `# Redis configuration for testing.
always-show-logo yes
notify-keyspace-events KEA
daemonize no
pidfile ${join(dir, 'redis.pid')}
port ${port}
timeout 0
bind 127.0.0.1
loglevel verbose
logfile ''
databases 16
latency-monitor-threshold 1
repl-diskless-sync-delay 0
save 900 1
rdbcompression yes
dbfilename dump.rdb
dir ${dir}
slave-serve-stale-data yes
appendonly no
appendfsync everysec
no-appendfsync-on-rewrite no
activerehashing yes
enable-protected-configs yes
enable-debug-command yes
enable-module-command yes
propagation-error-behavior panic
unixsocket ${join(dir, 'socket')}
${extra}`;
}

interface Started {
  proc: ChildProcess;
  stdout: string;
}

/** Spawns keydra or redis-server with `args`, stdout and stderr appended to files in `dir` (as the suite does). */
function spawnLikeSuite(kind: 'keydra' | 'redis', args: string[], dir: string, cwd = process.cwd()): Started {
  const stdout = join(dir, 'stdout');
  const out = openAppend(stdout);
  const err = openAppend(join(dir, 'stderr'));
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', out, err], cwd })
      : spawn(redisServerPath() as string, args, { stdio: ['ignore', out, err], cwd });
  procs.add(proc);
  proc.once('exit', () => procs.delete(proc));
  return { proc, stdout };
}

const procs = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of procs) p.kill('SIGKILL');
});

function openAppend(path: string): number {
  return openSync(path, 'a');
}

/** Polls `file` until `re` matches its text (or `ms` pass). @returns the text. */
async function waitFor(file: string, re: RegExp, ms = 15000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'latin1') : '';
    if (re.test(text)) return text;
    if (Date.now() - t0 > ms) throw new Error(`${re} not found in ${file}:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.once('exit', (code) => r(code)));
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const done = exited(proc);
  proc.kill('SIGKILL');
  await done;
}

const KINDS = ['redis', 'keydra'] as const;

describe('spawned as the Redis test suite does', () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'keydra-cli-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  for (const kind of KINDS) {
    it(`${kind}: the suite's default.conf starts; logo with " PID: <pid>", then Ready; pidfile; log format`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-default`);
      mkdirSync(dir);
      const port = await freePort();
      const conf = join(dir, 'redis.conf');
      writeFileSync(conf, suiteDefaultConf(port, dir));
      const s = spawnLikeSuite(kind, [conf], dir);
      try {
        const text = await waitFor(s.stdout, /Ready to accept connections/);
        assert.match(text, new RegExp(` PID: ${s.proc.pid}\\b`));
        assert.match(text, new RegExp(`Port: ${port}\\b`));
        assert.ok(text.indexOf(' PID: ') < text.indexOf('Ready to accept connections'));
        for (const line of text.split('\n')) {
          if (/Ready to accept|Server initialized|is starting/.test(line)) assert.match(line, LOG_LINE);
        }
        assert.equal(readFileSync(join(dir, 'redis.pid'), 'latin1').trim(), String(s.proc.pid));
        const c = await RawClient.connect(port);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'slave-serve-stale-data'), ['slave-serve-stale-data', 'yes']);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'dir'), ['dir', realpathSync(dir)]);
        c.close();
        // SIGTERM: saves (save 900 1), removes the pid file, says bye.
        const code = exited(s.proc);
        s.proc.kill('SIGTERM');
        assert.equal(await code, 0);
        const end = readFileSync(s.stdout, 'latin1');
        assert.match(end, /Received SIGTERM scheduling shutdown\.\.\./);
        assert.match(end, /Removing the pid file\./);
        assert.match(end, /is now ready to exit, bye bye\.\.\./);
        assert.equal(existsSync(join(dir, 'redis.pid')), false);
      } finally {
        await stop(s.proc);
      }
    });

    it(`${kind}: a busy port logs "Failed listening on port <p> (TCP), aborting." and exits 1`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-busy`);
      mkdirSync(dir);
      const busy = net.createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
      const port = (busy.address() as net.AddressInfo).port;
      try {
        const conf = join(dir, 'redis.conf');
        writeFileSync(conf, suiteDefaultConf(port, dir));
        const s = spawnLikeSuite(kind, [conf], dir);
        assert.equal(await exited(s.proc), 1);
        const text = readFileSync(s.stdout, 'latin1');
        assert.match(
          text,
          new RegExp(`# Warning: Could not create server TCP listening socket 127\\.0\\.0\\.1:${port}: bind: Address already in use`),
        );
        assert.match(text, new RegExp(`# Failed listening on port ${port} \\(TCP\\), aborting\\.`));
        assert.doesNotMatch(text, / PID: /);
      } finally {
        busy.close();
      }
    });

    it(`${kind}: with logfile, a start-up failure is written to the log file`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-logfile`);
      mkdirSync(dir);
      const busy = net.createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
      const port = (busy.address() as net.AddressInfo).port;
      try {
        const s = spawnLikeSuite(kind, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', 'server.log'], dir);
        assert.equal(await exited(s.proc), 1);
        // Relative to dir (Redis opens it after chdir(dir)).
        const log = readFileSync(join(dir, 'server.log'), 'latin1');
        assert.match(log, new RegExp(`Failed listening on port ${port} \\(TCP\\), aborting\\.`));
        for (const line of log.trim().split('\n')) assert.match(line, LOG_LINE);
      } finally {
        busy.close();
      }
    });

    it(`${kind}: relative aclfile is read from dir; bare "save" line; stub directives accepted`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-acl`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'users.acl'), 'user default on nopass ~* &* +@all\nuser alice on >pw ~* +@all\n');
      const port = await freePort();
      const conf = join(dir, 'redis.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          // Relative to the working directory, as the suite writes it (./tests/tmp/server.N).
          `dir ./${kind}-acl`,
          'aclfile users.acl',
          'save',
          'repl-backlog-size 10mb',
          'io-threads-do-reads yes',
          'cluster-slave-validity-factor 50',
          // Ignored by Redis 7.0 (deprecated), and a bare `sentinel` line.
          'lua-replicate-commands yes',
          'list-max-ziplist-entries 10',
          'sentinel',
          '',
        ].join('\n'),
      );
      const s = spawnLikeSuite(kind, [conf], dir, base);
      try {
        await waitFor(s.stdout, /Ready to accept connections/);
        const c = await RawClient.connect(port);
        assert.deepEqual(await c.call('ACL', 'USERS'), ['alice', 'default']);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'dir'), ['dir', realpathSync(dir)]);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'save'), ['save', '']);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'repl-backlog-size'), ['repl-backlog-size', '10485760']);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'cluster-replica-validity-factor'), ['cluster-replica-validity-factor', '50']);
        c.close();
        if (kind === 'keydra') {
          const text = readFileSync(s.stdout, 'latin1');
          assert.match(text, /Directive 'io-threads-do-reads' is accepted but not implemented in Keydra/);
          assert.doesNotMatch(text, /Directive 'repl-backlog-size'/); // implemented (src/replication)
          assert.doesNotMatch(text, /Directive 'cluster-replica-validity-factor'/); // implemented (src/cluster)
        }
      } finally {
        await stop(s.proc);
      }
    });

    it(`${kind}: bad directives are fatal with the FATAL CONFIG FILE ERROR block on stderr`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-fatal`);
      mkdirSync(dir);
      for (const [line, reason] of [
        ['no-such-directive 1', 'Bad directive or wrong number of arguments'],
        ['dbfilename a/b.rdb', "dbfilename can't be a path, just a filename"],
        ['appenddirname ""', "appenddirname can't be empty"],
        ['requirepass a b', 'wrong number of arguments'],
        ['sentinel monitor x 127.0.0.1 1 1', 'sentinel directive while not in sentinel mode'],
        ['rename-command nosuchcmd x', 'No such command in rename-command'],
      ]) {
        const conf = join(dir, 'redis.conf');
        writeFileSync(conf, `port 0\n${line}\n`);
        rmSync(join(dir, 'stderr'), { force: true });
        const s = spawnLikeSuite(kind, [conf], dir);
        assert.equal(await exited(s.proc), 1, line);
        const err = readFileSync(join(dir, 'stderr'), 'latin1');
        assert.match(err, /\*\*\* FATAL CONFIG FILE ERROR \((Redis 7\.0\.\d+|Keydra)\) \*\*\*/);
        assert.ok(err.includes(`>>> '${line}'\n${reason}\n`), `${kind} ${line}: ${err}`);
      }
      // Checked after reading: a log file that cannot be opened.
      rmSync(join(dir, 'stderr'), { force: true });
      const s = spawnLikeSuite(kind, ['--port', '0', '--logfile', join(dir, 'no', 'such', 'x.log')], dir);
      assert.equal(await exited(s.proc), 1);
      assert.match(
        readFileSync(join(dir, 'stderr'), 'latin1'),
        /FATAL CONFIG FILE ERROR .*\nCan't open the log file: No such file or directory\n/,
      );
    });

    it(`${kind}: while the dataset loads, CONFIG SET dir answers -LOADING and loglevel is allowed`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-loading`);
      mkdirSync(dir);
      // Keydra: enough keys for a load of a second or so; Redis: fewer keys slowed by key-load-delay (µs per key).
      const n = kind === 'keydra' ? 600_000 : 20_000;
      const ks = new Keyspace(16, new Proxy({}, { get: () => () => {} }) as KeyspaceHooks);
      for (let i = 0; i < n; i++) ks.dbs[0].add(`key:${i}`, new RObject(ObjType.String, `value:${i}`));
      writeFileSync(join(dir, 'dump.rdb'), encodeRdb(ks));
      const port = await freePort();
      const extra = kind === 'redis' ? ['--key-load-delay', '100', '--loading-process-events-interval-bytes', '1024'] : [];
      const s = spawnLikeSuite(
        kind,
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--enable-protected-configs', 'yes', ...extra],
        dir,
      );
      try {
        let c: RawClient | null = null;
        for (let i = 0; i < 2000 && c === null; i++) {
          c = await RawClient.connect(port).catch(() => null);
          if (c === null) await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(c);
        assert.equal((await c.send('CONFIG', 'SET', 'dir', dir)).raw.toString(), '-LOADING Redis is loading the dataset in memory\r\n');
        assert.equal(
          (await c.send('CONFIG', 'SET', 'appendonly', 'yes')).raw.toString(),
          '-LOADING Redis is loading the dataset in memory\r\n',
        );
        assert.equal((await c.send('CONFIG', 'SET', 'loglevel', 'verbose')).raw.toString(), '+OK\r\n');
        assert.match((await c.send('INFO', 'persistence')).raw.toString(), /loading:1\r\n/);
        c.close();
      } finally {
        await stop(s.proc);
      }
    });

    it(`${kind}: a SIGTERM not yet acted on (cron paused) is cancelled by SHUTDOWN ABORT`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-abort`);
      mkdirSync(dir);
      const port = await freePort();
      const s = spawnLikeSuite(kind, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--enable-debug-command', 'yes'], dir);
      try {
        await waitFor(s.stdout, /Ready to accept connections/);
        const c = await RawClient.connect(port);
        assert.deepEqual(await c.call('SHUTDOWN', 'ABORT'), { t: '-', v: 'ERR No shutdown in progress.' });
        assert.deepEqual(await c.call('DEBUG', 'PAUSE-CRON', '1'), { t: '+', v: 'OK' });
        s.proc.kill('SIGTERM');
        await waitFor(s.stdout, /Received SIGTERM scheduling shutdown\.\.\./);
        assert.deepEqual(await c.call('SHUTDOWN', 'ABORT'), { t: '+', v: 'OK' });
        await waitFor(s.stdout, /Shutdown manually aborted\./);
        assert.deepEqual(await c.call('DEBUG', 'PAUSE-CRON', '0'), { t: '+', v: 'OK' });
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
        assert.equal(s.proc.exitCode, null);
        c.close();
      } finally {
        await stop(s.proc);
      }
    });

    it(`${kind}: SIGTERM when the final save fails keeps the server running`, async (t) => {
      if (redisServerPath() === null) return t.skip(NO_REDIS);
      const dir = join(base, `${kind}-failsave`);
      mkdirSync(dir);
      const port = await freePort();
      const s = spawnLikeSuite(kind, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '900 1'], dir);
      try {
        await waitFor(s.stdout, /Ready to accept connections/);
        // A directory where the dump goes: the rename of the temp file fails.
        mkdirSync(join(dir, 'dump.rdb'));
        const c = await RawClient.connect(port);
        await c.call('SET', 'k', 'v');
        s.proc.kill('SIGTERM');
        await waitFor(s.stdout, /Errors trying to shut down the server/);
        assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
        assert.equal(s.proc.exitCode, null);
        c.close();
      } finally {
        await stop(s.proc);
      }
    });
  }
});
