/**
 * The processes bench/embed.ts (scenario 9) measures, in a module of their own that imports node
 * builtins only (the bench's helpers would add to the RSS measured):
 *   node --expose-gc dist/bench/embedChild.js --child        import('keydra') + startServer
 *   node --expose-gc dist/bench/embedChild.js --child-bare   a bare ESM Node process + net listener
 * Each prints one JSON line on stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ChildResult {
  importMs: number;
  startMs: number;
  /** CPU time (user + system) of import + startServer, ms. */
  cpuMs: number;
  /** RSS after 300 ms idle and a GC. */
  rss: number;
  /** RSS after 11 s idle. */
  rssSettled: number;
  /** Optional parts found loaded once idle (node builtins, cluster, Lua). */
  loaded: string[];
}

/** How long the settled RSS waits: V8's memory reducer first acts ~8 s after allocation stops. */
export const SETTLE_MS = 11_000;

/** The measured child: import + startServer, idle, RSS. */
async function child(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embed-'));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // The package's entry, as `import('keydra')` resolves it (package.json main: the bundle).
  const { startServer, loadedParts } = await import(path.join(here, '../src/bundle/index.js'));
  const t1 = performance.now();
  const s = await startServer({ port: 0, save: '', appendonly: false, dir });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  await sleep(300);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(50);
  const rss = process.memoryUsage().rss;
  await sleep(SETTLE_MS - 350);
  const rssSettled = process.memoryUsage().rss;
  // What loaded, asked after the measurements (these imports load modules themselves).
  const builtins = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  const loaded = builtins.filter((m) => m === 'NativeModule tls' || m === 'NativeModule crypto').map((m) => `node:${m.slice(13)}`);
  loaded.push(...(loadedParts() as string[]));
  const res: ChildResult = {
    importMs: t1 - t0,
    startMs: t2 - t1,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rss,
    rssSettled,
    loaded,
  };
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

/** The floor: a bare ESM Node process listening with node:net (same waits as child()). */
async function childBare(): Promise<void> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  await sleep(300);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(50);
  const rss = process.memoryUsage().rss;
  await sleep(SETTLE_MS - 350);
  process.stdout.write(`${JSON.stringify({ rss, rssSettled: process.memoryUsage().rss })}\n`);
  srv.close();
}

if (process.argv.includes('--child')) await child();
if (process.argv.includes('--child-bare')) await childBare();
