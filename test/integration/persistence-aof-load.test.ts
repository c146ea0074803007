/**
 * AOF loading refuses what it cannot replay (Redis 7.0 aof.c loadSingleAppendOnlyFile): an
 * unknown command (`Unknown command 'SEX' reading the append only file <name>`), a wrong arity
 * (Redis 7.0.15 runs the handler on the short argv: a crash or garbage; Keydra refuses), a malformed line (`Bad file format ...`). A real
 * keydra-server process logs the message and exits with code 1; the same files fed to
 * redis-server must be refused too (control). `aof-load-truncated` applies to a cut-short tail
 * only: the tail is dropped and the rest served. `#` annotation lines are skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { freePort, redisServerPath, spawnServer, spawnedKill9 } from '../helpers/servers.js';

const BIN = join(process.cwd(), 'bin', 'keydra-server.js');
const INCR = 'appendonly.aof.1.incr.aof';

function tmp(): string {
  return fs.mkdtempSync(join(tmpdir(), 'keydra-aofload-'));
}

/** A dir with an AOF written by a Keydra that ran SET foo bar, SET k2 v2, RPUSH l a b. */
async function makeAof(): Promise<string> {
  const dir = tmp();
  const srv = await startServer({ port: 0, dir, save: '', appendonly: true, appendfsync: 'always' });
  const c = await RawClient.connect(srv.port);
  await c.call('SET', 'foo', 'bar');
  await c.call('SET', 'k2', 'v2');
  await c.call('RPUSH', 'l', 'a', 'b');
  c.close();
  await srv.close();
  return dir;
}

/** Copies `dir` and rewrites its incr file with `edit`. @returns the new dir. */
function edited(dir: string, edit: (s: string) => string): string {
  const out = tmp();
  fs.cpSync(dir, out, { recursive: true });
  const f = join(out, 'appendonlydir', INCR);
  const s = fs.readFileSync(f, 'latin1');
  const t = edit(s);
  assert.notEqual(t, s, 'the edit changed the file');
  fs.writeFileSync(f, t, 'latin1');
  return out;
}

/**
 * Runs a server binary on `dir` on a free port to completion (it must exit by itself; one still
 * running after 15 s is killed, status null): status and all output.
 */
async function runToExit(kind: 'keydra' | 'redis', dir: string): Promise<{ status: number | null; out: string }> {
  const args = ['--port', String(await freePort()), '--save', '', '--appendonly', 'yes', '--dir', dir];
  const r =
    kind === 'keydra'
      ? spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 15000 })
      : spawnSync('redis-server', args, { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The file must be refused by keydra-server (exit 1, `message` logged) and, as control, by redis-server with the same message. */
async function bothRefuse(dir: string, message: RegExp, control = true): Promise<void> {
  const k = await runToExit('keydra', dir);
  assert.equal(k.status, 1, `keydra-server exit code; output:\n${k.out}`);
  assert.match(k.out, message);
  if (control && redisServerPath() !== null) {
    const r = await runToExit('redis', dir);
    assert.equal(r.status, 1, `redis-server refuses too; output:\n${r.out}`);
    assert.match(r.out, message);
  }
}

describe('AOF loading refuses commands it cannot replay', () => {
  it("an unknown command (SET flipped to SEX): Unknown command 'SEX' reading the append only file, exit 1", async () => {
    const dir = await makeAof();
    const bad = edited(dir, (s) => s.replace('$3\r\nSET\r\n$3\r\nfoo', '$3\r\nSEX\r\n$3\r\nfoo'));
    await bothRefuse(bad, new RegExp(`Unknown command 'SEX' reading the append only file ${INCR.replaceAll('.', '\\.')}`));
    // An unknown subcommand of a container command is an unknown command too (lookupCommand(argv, argc)).
    const sub = edited(dir, (s) => `${s}*3\r\n$6\r\nCONFIG\r\n$5\r\nNOSET\r\n$1\r\nx\r\n`);
    await bothRefuse(sub, /Unknown command 'CONFIG' reading the append only file/);
    for (const d of [dir, bad, sub]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a wrong arity is refused (redis-server 7.0.15 does not check it), exit 1', async () => {
    const dir = await makeAof();
    const bad = edited(dir, (s) => s.replace('*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n', '*2\r\n$3\r\nSET\r\n$3\r\nfoo\r\n'));
    // No control: Redis does not check arity while loading and runs the handler on a short argv
    // (undefined behaviour: a crash, or garbage).
    await bothRefuse(bad, /Wrong number of arguments for 'set' command reading the append only file appendonly\.aof\.1\.incr\.aof/, false);
    for (const d of [dir, bad]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a malformed command line: Bad file format reading the append only file, exit 1', async () => {
    const dir = await makeAof();
    const bad = edited(dir, (s) => s.replace('*3\r\n$3\r\nSET\r\n$2\r\nk2', '+3\r\n$3\r\nSET\r\n$2\r\nk2'));
    await bothRefuse(
      bad,
      /Bad file format reading the append only file appendonly\.aof\.1\.incr\.aof: make a backup of your AOF file, then use \.\/redis-check-aof --fix <filename\.manifest>/,
    );
    const bulk = edited(dir, (s) => s.replace('$3\r\nSET\r\n$2\r\nk2', '!3\r\nSET\r\n$2\r\nk2'));
    await bothRefuse(bulk, /Bad file format reading the append only file appendonly\.aof\.1\.incr\.aof/);
    for (const d of [dir, bad, bulk]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('aof-load-truncated applies to a cut-short tail only; # annotations are skipped', async () => {
    const dir = await makeAof();
    // An unknown command before a truncated tail is still refused with aof-load-truncated yes.
    const both = edited(dir, (s) => s.replace('$3\r\nSET\r\n$2\r\nk2', '$3\r\nSEX\r\n$2\r\nk2').slice(0, -4));
    await bothRefuse(both, /Unknown command 'SEX'/);
    // A truncated tail alone: loaded without it (and the file cut), on both servers.
    const cut = edited(dir, (s) => `#TS:1700000000\r\n${s.slice(0, -4)}`);
    for (const kind of ['keydra', 'redis'] as const) {
      if (kind === 'redis' && redisServerPath() === null) continue;
      const d = tmp();
      fs.cpSync(cut, d, { recursive: true });
      const port = await freePort();
      const s = await spawnServer(kind, port, ['--save', '', '--appendonly', 'yes', '--dir', d]);
      try {
        assert.equal((await s.c.send('MGET', 'foo', 'k2')).raw.toString(), '*2\r\n$3\r\nbar\r\n$2\r\nv2\r\n', kind);
        assert.equal((await s.c.send('EXISTS', 'l')).raw.toString(), ':0\r\n', kind);
      } finally {
        await spawnedKill9(s);
        fs.rmSync(d, { recursive: true, force: true });
      }
    }
    for (const d of [dir, both, cut]) fs.rmSync(d, { recursive: true, force: true });
  });
});
