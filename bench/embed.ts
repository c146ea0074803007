/**
 * Scenario 9 of `npm run bench` (`--only 9`): embedding. A fresh Node process runs
 * `await import('keydra')` + `startServer({ port: 0 })` and reports the time of each (ms) and its
 * RSS once idle (after 300 ms and a GC); next to it, a redis-server process's time from spawn to
 * its first PONG and its idle RSS. Medians of `--reps` (at least 5) fresh processes each.
 * `node dist/bench/embed.js --child` is the measured child (one JSON line on stdout).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, row, type Table } from './lib/report.js';
import { RespConn } from './lib/resp.js';
import { freePort, rssBytes, sleep } from './lib/servers.js';

interface ChildResult {
  importMs: number;
  startMs: number;
  rss: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The measured child: import + startServer, idle, RSS. */
async function child(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embed-'));
  const t0 = performance.now();
  const { startServer } = await import(path.join(here, '../src/index.js'));
  const t1 = performance.now();
  const s = await startServer({ port: 0, save: '', appendonly: false, dir });
  const t2 = performance.now();
  await sleep(300);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(50);
  const res: ChildResult = { importMs: t1 - t0, startMs: t2 - t1, rss: process.memoryUsage().rss };
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

function runChild(): ChildResult {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`embed child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
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
  for (let i = 0; i < reps; i++) {
    progress(`9 embed ${i + 1}/${reps}`);
    k.push(runChild());
    r.push(await redisStart());
  }
  const mb = (b: number) => b / (1024 * 1024);
  return {
    scenario: '9. Embedding: import + startServer in a fresh process',
    description: `Median of ${reps} fresh processes. Keydra: \`await import('keydra')\` and \`startServer({ port: 0 })\` in a new Node process (times measured inside it; idle RSS after 300 ms and a GC); redis-server: spawn to first PONG, RSS after 300 ms.`,
    rows: [
      row('import (ms)', median(k.map((x) => x.importMs)), null, 'ms'),
      row('startServer (ms)', median(k.map((x) => x.startMs)), null, 'ms'),
      row('ready: import + start / spawn to PONG (ms)', median(k.map((x) => x.importMs + x.startMs)), median(r.map((x) => x.ms)), 'ms'),
      row('idle RSS (MB)', median(k.map((x) => mb(x.rss))), median(r.map((x) => mb(x.rss))), 'MB'),
    ],
    notes: [
      `A bare \`node -e ''\` process is ~${Math.round(mb(Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'], { encoding: 'utf8' }).stdout)))} MB RSS on this machine: Keydra's own share is the difference.`,
    ],
  };
}

if (process.argv.includes('--child')) await child();
