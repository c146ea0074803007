/**
 * `node dist/bench/memory.js [options]`: memory per key and RSS under maxmemory, Keydra next to
 * redis-server 7.0 in the same run (issue 5's figures).
 *
 * Part 1 (always): each server, started empty with persistence off, is filled with N small string
 * keys `key:i` → `value:i` by pipelined MSET (100 pairs per MSET, 50 MSETs per round trip, the same
 * client code for both servers). Reported per server: RSS (VmRSS) of the empty process, right after
 * the fill and after `--settle` ms idle, peak RSS (VmHWM), bytes per key as RSS / keys and as
 * (RSS − empty RSS) / keys, and the server's own used_memory (INFO) and, for Keydra, the V8 heap
 * (MEMORY STATS allocator.allocated).
 *
 * Part 2 (`--evict`, on by default): maxmemory 64mb + allkeys-lru, 1 GB of distinct 16 KiB values
 * written by pipelined SET; reported: peak and final RSS, used_memory, evicted_keys.
 *
 * Options: --keys N (default 1,000,000), --only keydra|redis, --settle MS (default 3000),
 * --no-evict, --heap-mb MB (Keydra's --max-old-space-size through NODE_OPTIONS; default: none
 * below 4M keys, else 600 B × keys: a margin, as 10M keys peak at ~2 GB of RSS, under Node's ~4 GB
 * default heap limit on 64-bit).
 * Results go to the console and to bench/results/memory-<date>.{md,json}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown, type Row, row, type Table } from './lib/report.js';
import { encodeCommand, type Reply, RespConn } from './lib/resp.js';
import { type BenchServer, redisVersion, rssBytes, type ServerKind, sleep, startServer } from './lib/servers.js';

/** Options of the memory bench (see the module doc). */
export interface Options {
  keys: number;
  only: ServerKind | null;
  settle: number;
  evict: boolean;
  heapMb: number;
}

/** Parses the command line; `--keys` ≥ 4M also sets a heap limit unless --heap-mb is given. */
export function parseArgs(argv: string[]): Options {
  const o: Options = { keys: 1_000_000, only: null, settle: 3000, evict: true, heapMb: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--keys') o.keys = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i] as ServerKind;
    else if (a === '--settle') o.settle = Number(argv[++i]);
    else if (a === '--no-evict') o.evict = false;
    else if (a === '--heap-mb') o.heapMb = Number(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if (o.heapMb === 0 && o.keys >= 4_000_000) o.heapMb = Math.ceil((o.keys * 600) / 2 ** 20);
  return o;
}

const t0 = Date.now();
function progress(msg: string): void {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}

/** /proc/<pid>/status VmHWM (peak RSS) in bytes. */
function hwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) * 1024 : 0;
}

function field(info: Reply, name: string): number {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(String(info));
  return m ? Number(m[1].trim()) : Number.NaN;
}

/** MEMORY STATS as a name → number map (flat fields only). */
async function memoryStats(c: RespConn): Promise<Map<string, number>> {
  const r = await c.call('MEMORY', 'STATS');
  const out = new Map<string, number>();
  if (Array.isArray(r))
    for (let i = 0; i + 1 < r.length; i += 2) if (typeof r[i + 1] === 'number') out.set(String(r[i]), r[i + 1] as number);
  return out;
}

/** Fills key:i → value:i for i < n with pipelined MSETs; calls `tick` every ~1M keys. */
async function fill(c: RespConn, n: number, tick: (i: number) => void): Promise<void> {
  const per = 100;
  const batch = 50;
  let i = 0;
  let nextTick = 1_000_000;
  while (i < n) {
    const bufs: Buffer[] = [];
    for (let b = 0; b < batch && i < n; b++) {
      const argv: string[] = ['MSET'];
      for (let k = 0; k < per && i < n; k++, i++) argv.push(`key:${i}`, `value:${i}`);
      bufs.push(encodeCommand(argv));
    }
    const replies = await c.pipeline(bufs, bufs.length);
    const err = replies.find((r) => r instanceof Error);
    if (err) throw err;
    if (i >= nextTick) {
      tick(i);
      nextTick += 1_000_000;
    }
  }
}

export interface FillResult {
  empty: number;
  afterFill: number;
  settled: number;
  peak: number;
  usedMemory: number;
  heapUsed: number | null;
  fillSeconds: number;
}

async function measureFill(kind: ServerKind, o: Options): Promise<FillResult> {
  const s = await startServer(kind);
  try {
    const c = await RespConn.connect(s.port);
    await sleep(500);
    const empty = rssBytes(s.pid);
    const start = Date.now();
    await fill(c, o.keys, (i) => progress(`${kind}: ${i.toLocaleString('en-US')} keys, RSS ${(rssBytes(s.pid) / 2 ** 20).toFixed(0)} MiB`));
    const fillSeconds = (Date.now() - start) / 1000;
    const afterFill = rssBytes(s.pid);
    const size = await c.call('DBSIZE');
    if (size !== o.keys) throw new Error(`${kind}: DBSIZE ${String(size)} after loading ${o.keys} keys`);
    await sleep(o.settle);
    const settled = rssBytes(s.pid);
    const peak = hwmBytes(s.pid);
    const usedMemory = field(await c.call('INFO', 'memory'), 'used_memory');
    const heapUsed = kind === 'keydra' ? ((await memoryStats(c)).get('allocator.allocated') ?? null) : null;
    c.close();
    return { empty, afterFill, settled, peak, usedMemory, heapUsed, fillSeconds };
  } finally {
    await s.stop();
  }
}

interface EvictResult {
  peak: number;
  final: number;
  usedMemory: number;
  evicted: number;
  written: number;
}

/** maxmemory 64mb allkeys-lru: 1 GB of distinct 16 KiB values by pipelined SET (256 per round trip). */
async function measureEvict(kind: ServerKind): Promise<EvictResult> {
  const s: BenchServer = await startServer(kind, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
  try {
    const c = await RespConn.connect(s.port);
    // Keydra may re-spawn itself with a fitting heap limit: its RSS is the server's process_id's.
    const pid = field(await c.call('INFO', 'server'), 'process_id');
    const value = 'x'.repeat(16 * 1024);
    const total = 1024 ** 3;
    let written = 0;
    let n = 0;
    let peak = 0;
    while (written < total) {
      const bufs: Buffer[] = [];
      for (let i = 0; i < 256; i++) bufs.push(encodeCommand(['SET', `key:${n++}`, value]));
      const replies = await c.pipeline(bufs, bufs.length);
      const err = replies.find((r) => r instanceof Error);
      if (err) throw err;
      written += 256 * value.length;
      peak = Math.max(peak, rssBytes(pid));
    }
    await sleep(1000);
    const final = rssBytes(pid);
    const mem = await c.call('INFO', 'memory');
    const stats = await c.call('INFO', 'stats');
    c.close();
    return { peak: Math.max(peak, final), final, usedMemory: field(mem, 'used_memory'), evicted: field(stats, 'evicted_keys'), written: n };
  } finally {
    await s.stop();
  }
}

const MiB = 2 ** 20;

/**
 * The memory tables for `o` (the fill of o.keys keys, and with o.evict the maxmemory run), Keydra
 * and Redis (or o.only) one after the other. Used by main and by `npm run bench -- --large`.
 * Sets NODE_OPTIONS=--max-old-space-size for Keydra when o.heapMb > 0.
 */
export async function memoryTables(o: Options): Promise<{ tables: Table[]; fills: Partial<Record<ServerKind, FillResult>> }> {
  const before = process.env.NODE_OPTIONS;
  if (o.heapMb > 0) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${o.heapMb}`.trim();
  try {
    const kinds: ServerKind[] = o.only ? [o.only] : ['keydra', 'redis'];
    const fills: Partial<Record<ServerKind, FillResult>> = {};
    for (const k of kinds) {
      progress(`${k}: filling ${o.keys.toLocaleString('en-US')} keys`);
      fills[k] = await measureFill(k, o);
    }
    const v = (k: ServerKind, f: (r: FillResult) => number | null): number | null => {
      const r = fills[k];
      return r === undefined ? null : f(r);
    };
    const rows: Row[] = [];
    const add = (name: string, f: (r: FillResult) => number | null, unit: string) =>
      rows.push(row(name, v('keydra', f), v('redis', f), unit));
    add('bytes per key: RSS / keys', (r) => r.settled / o.keys, 'B');
    add('bytes per key: (RSS − empty RSS) / keys', (r) => (r.settled - r.empty) / o.keys, 'B');
    add('bytes per key: used_memory / keys', (r) => r.usedMemory / o.keys, 'B');
    add('bytes per key: V8 heap used / keys', (r) => (r.heapUsed === null ? null : r.heapUsed / o.keys), 'B');
    add('RSS empty', (r) => r.empty / MiB, 'MiB');
    add('RSS right after the fill', (r) => r.afterFill / MiB, 'MiB');
    add(`RSS after ${o.settle} ms idle`, (r) => r.settled / MiB, 'MiB');
    add('peak RSS (VmHWM)', (r) => r.peak / MiB, 'MiB');
    add('fill time', (r) => r.fillSeconds, 's');
    const tables: Table[] = [
      {
        scenario: `Memory: ${o.keys.toLocaleString('en-US')} small string keys (key:N → value:N)`,
        description:
          'Pipelined MSET, 100 pairs each, 50 per round trip, same client for both servers. RSS from /proc/<pid>/status.' +
          (o.heapMb > 0 ? ` Keydra ran with NODE_OPTIONS=--max-old-space-size=${o.heapMb}.` : ''),
        rows,
        notes: [],
      },
    ];
    if (o.evict) {
      const ev: Partial<Record<ServerKind, EvictResult>> = {};
      for (const k of kinds) {
        progress(`${k}: maxmemory 64mb allkeys-lru, writing 1 GB`);
        ev[k] = await measureEvict(k);
      }
      const e = (k: ServerKind, f: (r: EvictResult) => number): number | null => (ev[k] === undefined ? null : f(ev[k] as EvictResult));
      const erows: Row[] = [];
      const eadd = (name: string, f: (r: EvictResult) => number, unit: string) => erows.push(row(name, e('keydra', f), e('redis', f), unit));
      eadd('peak RSS while writing', (r) => r.peak / MiB, 'MiB');
      eadd('RSS 1 s after', (r) => r.final / MiB, 'MiB');
      eadd('used_memory after', (r) => r.usedMemory / MiB, 'MiB');
      eadd('evicted_keys', (r) => r.evicted, 'keys');
      tables.push({
        scenario: 'RSS under maxmemory 64mb, allkeys-lru',
        description: '1 GB of distinct keys with 16 KiB values, pipelined SET (256 per round trip). RSS sampled after each round trip.',
        rows: erows,
        notes: [],
      });
    }
    return { tables, fills };
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const { tables, fills } = await memoryTables(o);
  const facts = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    memGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    redis: redisVersion(),
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
    options: o,
  };
  const md =
    `# Keydra vs Redis memory — ${facts.date}\n\nMachine: ${facts.cpus} CPUs, ${facts.memGiB} GiB; Node ${facts.node}; ` +
    `redis-server ${facts.redis}; load average at start ${facts.loadavg.join(' ')}.\n\n${tables.map(markdown).join('\n')}`;
  process.stdout.write(`\n${md}`);
  const dir = path.resolve('bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const name = `memory-${o.keys}-${facts.date.replace(/[:.]/g, '-')}`;
  fs.writeFileSync(path.join(dir, `${name}.md`), md);
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ facts, tables, fills }, null, 2)}\n`);
  process.stdout.write(`\nResults: bench/results/${name}.{md,json} (${((Date.now() - t0) / 1000).toFixed(0)}s)\n`);
}

// Run as a script (not when imported by bench/run.ts).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`\nmemory bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  });
}
