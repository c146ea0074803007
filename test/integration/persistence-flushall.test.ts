/**
 * FLUSHALL and RDB snapshots (Redis 7.0 flushAllDataAndResetRDB): with save points configured,
 * FLUSHALL saves the empty dataset at once, and a BGSAVE running at the time is stopped, so a
 * crash after FLUSHALL never brings the flushed keys back. Run against keydra-server and
 * redis-server processes, killed with SIGKILL and restarted on the same directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, NO_REDIS, redisServerPath, type SpawnedServer, spawnedKill9, spawnServer } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kind = 'keydra' | 'redis';

/** A server process on `dir` (save points on: `save 3600 1`) and a connected client. */
function start(kind: Kind, dir: string, port: number, extra: string[] = []): Promise<SpawnedServer> {
  return spawnServer(kind, port, ['--bind', '127.0.0.1', '--dir', dir, '--save', '3600 1', ...extra, '--enable-debug-command', 'yes']);
}

const kill9 = spawnedKill9;

/** kill -9, start again on the same directory, and count the keys that came back. */
async function crashRestartDbsize(s: SpawnedServer, kind: Kind, dir: string, port: number): Promise<unknown> {
  await kill9(s);
  const again = await start(kind, dir, port);
  const n = await again.c.call('DBSIZE');
  await kill9(again);
  return n;
}

function info(text: unknown, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(String(text));
  return m ? m[1].trim() : '';
}

const kinds: Kind[] = redisServerPath() === null ? ['keydra'] : ['keydra', 'redis'];

describe('FLUSHALL resets the RDB', () => {
  if (redisServerPath() === null) it.skip(NO_REDIS, () => {});

  for (const kind of kinds) {
    it(`${kind}: FLUSHALL saves the empty dataset at once (kill -9 afterwards loses nothing)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `flushall-${kind}-`));
      const port = await freePort();
      try {
        const s = await start(kind, dir, port);
        for (let i = 0; i < 100; i++) await s.c.call('SET', `k${i}`, `v${i}`);
        assert.deepEqual(await s.c.call('SAVE'), { t: '+', v: 'OK' });
        await s.c.call('SET', 'late', 'x');
        const saves0 = Number(info(await s.c.call('INFO', 'persistence'), 'rdb_last_save_time'));
        assert.deepEqual(await s.c.call('FLUSHALL'), { t: '+', v: 'OK' });
        const inf = await s.c.call('INFO', 'persistence');
        // The save reset the counter of changes (Redis 7.0.15 reports 0 too).
        assert.equal(info(inf, 'rdb_changes_since_last_save'), '0');
        assert.ok(Number(info(inf, 'rdb_last_save_time')) >= saves0);
        await s.c.call('SET', 'after', 'y');
        // The RDB written by FLUSHALL is empty; the SET after it was never saved.
        assert.equal(await crashRestartDbsize(s, kind, dir, port), 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${kind}: FLUSHALL with save points still reaches the AOF, even on an empty dataset`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `flushall-aof-${kind}-`));
      const port = await freePort();
      try {
        let s = await start(kind, dir, port, ['--appendonly', 'yes', '--appendfsync', 'always']);
        await s.c.call('SET', 'a', '1');
        await s.c.call('FLUSHALL');
        await s.c.call('FLUSHALL'); // nothing to flush, nothing changed since the save: still logged
        await s.c.call('SET', 'b', '2');
        await kill9(s);
        s = await start(kind, dir, port, ['--appendonly', 'yes']);
        assert.equal(await s.c.call('DBSIZE'), 1);
        assert.equal(await s.c.call('GET', 'b'), '2');
        const aofDir = join(dir, 'appendonlydir');
        const { readFileSync } = await import('node:fs');
        const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof')) as string;
        const text = readFileSync(join(aofDir, incr), 'latin1');
        assert.equal(text.split('FLUSHALL').length - 1, 2, 'both FLUSHALLs are in the AOF');
        await kill9(s);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${kind}: FLUSHALL during a BGSAVE stops it, and its file never replaces the empty one`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `flushall-bg-${kind}-`));
      const port = await freePort();
      try {
        const s = await start(kind, dir, port);
        await s.c.call('DEBUG', 'POPULATE', '400000', 'key', '100');
        const [bg, fl, inf] = await s.c.pipeline([['BGSAVE'], ['FLUSHALL'], ['INFO', 'persistence']]);
        assert.deepEqual(bg.node, { t: '+', v: 'Background saving started' });
        assert.deepEqual(fl.node, { t: '+', v: 'OK' });
        // Redis reaps its killed child a little later; Keydra stops its snapshot at once.
        if (kind === 'keydra') assert.equal(info(inf.node, 'rdb_bgsave_in_progress'), '0');
        for (let i = 0; i < 200 && info(await s.c.call('INFO', 'persistence'), 'rdb_bgsave_in_progress') !== '0'; i++) {
          await sleep(25);
        }
        assert.equal(info(await s.c.call('INFO', 'persistence'), 'rdb_last_bgsave_status'), 'ok');
        await sleep(300);
        assert.deepEqual(
          readdirSync(dir).filter((f) => f.startsWith('temp-')),
          [],
          'no temp file left by the stopped BGSAVE',
        );
        assert.equal(await crashRestartDbsize(s, kind, dir, port), 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
