/**
 * Scenario 9 of `npm run bench` (`--only 9`): embedding. A fresh Node process runs
 * `await import('keydra')` + `startServer({ port: 0 })` and reports the time of each (ms, wall
 * clock and the process's CPU time, which other load on the machine disturbs less), its RSS once
 * idle (after 300 ms and a GC) and once settled (after 11 s idle: V8's memory reducer has then
 * given back the young generation the import grew), and which optional parts it loaded (none
 * should: node:tls, node:crypto, the cluster modules, the Lua VM); next to it, a redis-server
 * process's time from spawn to its first PONG and its RSS, and the same for a bare ESM Node
 * process that listens with node:net (the floor an embedded server starts from). Medians of
 * `--reps` (at least 5) fresh processes each.
 * The measured processes are bench/embedChild.ts (its own module, importing node builtins only).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, row, type Table } from './lib/report.js';
import { RespConn } from './lib/resp.js';
import { freePort, rssBytes, sleep } from './lib/servers.js';
import { type ChildResult, SETTLE_MS } from './embedChild.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function runChild<T>(flag: string): T {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(here, 'embedChild.js'), flag], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`embed child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as T;
}

/** redis-server: ms from spawn to the first PONG, and RSS after 300 ms idle. */
async function redisStart(): Promise<{ ms: number; rss: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  let ms = Number.NaN;
  for (let i = 0; i < 1000; i++) {
    try {
      const c = await RespConn.connect(port);
      const r = await c.call('PING');
      c.close();
      if (r === 'PONG') {
        ms = performance.now() - t0;
        break;
      }
    } catch {
      await sleep(2);
    }
  }
  await sleep(300);
  const rss = rssBytes(p.pid as number);
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
  return { ms, rss };
}

/** Runs the scenario (Keydra embedded vs a redis-server process). */
export async function scenarioEmbed(o: { reps: number }, progress: (msg: string) => void): Promise<Table> {
  const reps = Math.max(5, o.reps);
  const k: ChildResult[] = [];
  const r: { ms: number; rss: number }[] = [];
  const bare: { rss: number; rssSettled: number }[] = [];
  for (let i = 0; i < reps; i++) {
    progress(`9 embed ${i + 1}/${reps}`);
    k.push(runChild<ChildResult>('--child'));
    r.push(await redisStart());
    bare.push(runChild<{ rss: number; rssSettled: number }>('--child-bare'));
  }
  const mb = (b: number) => b / (1024 * 1024);
  const loaded = [...new Set(k.flatMap((x) => x.loaded))];
  return {
    scenario: '9. Embedding: import + startServer in a fresh process',
    description: `Median of ${reps} fresh processes. Keydra: \`await import('keydra')\` and \`startServer({ port: 0 })\` in a new Node process (times and CPU time measured inside it; idle RSS after 300 ms and a GC, and after ${SETTLE_MS / 1000} s, when V8 has given back the young generation the import grew); redis-server: spawn to first PONG, RSS after 300 ms.`,
    rows: [
      row('import (ms)', median(k.map((x) => x.importMs)), null, 'ms'),
      row('startServer (ms)', median(k.map((x) => x.startMs)), null, 'ms'),
      row('ready: import + start / spawn to PONG (ms)', median(k.map((x) => x.importMs + x.startMs)), median(r.map((x) => x.ms)), 'ms'),
      row('CPU time of import + start (ms)', median(k.map((x) => x.cpuMs)), null, 'ms'),
      row('idle RSS after 300 ms (MB)', median(k.map((x) => mb(x.rss))), median(r.map((x) => mb(x.rss))), 'MB'),
      row(`idle RSS after ${SETTLE_MS / 1000} s (MB)`, median(k.map((x) => mb(x.rssSettled))), median(r.map((x) => mb(x.rss))), 'MB'),
      row(
        `bare ESM Node + net listener RSS, 300 ms / ${SETTLE_MS / 1000} s (MB)`,
        median(bare.map((x) => mb(x.rss))),
        median(bare.map((x) => mb(x.rssSettled))),
        'MB',
      ),
    ],
    notes: [
      `Keydra's own share of the RSS is the difference to the bare Node process (last row: its RSS at 300 ms in the Keydra column, at ${SETTLE_MS / 1000} s in the Redis column).`,
      `Optional parts loaded by an idle standalone server: ${loaded.length === 0 ? 'none' : loaded.join(', ')} (node:tls, node:crypto, the cluster modules and the Lua VM load on first use).`,
    ],
  };
}
