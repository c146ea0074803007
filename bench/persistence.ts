/**
 * `node dist/bench/persistence.js [options]`: persistence costs, Keydra next to redis-server 7.0
 * on the same machine in the same run, runs alternating (Keydra, Redis, Keydra, ...).
 *
 * 1. SET throughput: `redis-benchmark -t set -n R -c 50 -P 1` and `-P 16`, `-r 100000`, with
 *    appendonly no, and appendonly yes with appendfsync no / everysec / always; reported as
 *    requests/s and as the ratio to the same server with persistence off.
 * 2. 1,000,000 keys (`key:N` → `value:N`, filled by the same pipelined MSET client for both):
 *    time of SAVE (the reply's round trip), of BGSAVE (started 3 s later, until rdb_bgsave_in_progress:0), the
 *    longest PING round trip seen by a client probing PING back to back during the BGSAVE, and
 *    the time to load the dump.rdb at start-up (spawn → first PONG, minus the same for an empty
 *    dataset), checked with DBSIZE.
 *
 * Options: --keys N (default 1,000,000), --requests R (default 200,000), --reps K (default 1),
 * --only set|save. Results go to the console and to bench/results/persistence-<date>.{md,json}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown, median, type Row, row, type Table } from './lib/report.js';
import { runRedisBenchmark } from './lib/rbench.js';
import { encodeCommand, RespConn } from './lib/resp.js';
import { spawn } from 'node:child_process';
import { type BenchServer, freePort, redisVersion, type ServerKind, sleep, startServer } from './lib/servers.js';

interface Options {
  keys: number;
  requests: number;
  reps: number;
  only: 'set' | 'save' | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { keys: 1_000_000, requests: 200_000, reps: 1, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--keys') o.keys = Number(argv[++i]);
    else if (a === '--requests') o.requests = Number(argv[++i]);
    else if (a === '--reps') o.reps = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i] as Options['only'];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const t0 = Date.now();
function progress(msg: string): void {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}

const KINDS: ServerKind[] = ['keydra', 'redis'];
const MODES: { name: string; args: string[] }[] = [
  { name: 'persistence off', args: ['--appendonly', 'no'] },
  { name: 'appendfsync no', args: ['--appendonly', 'yes', '--appendfsync', 'no'] },
  { name: 'appendfsync everysec', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] },
  { name: 'appendfsync always', args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
];

/** Part 1: SET throughput per fsync mode and pipeline depth; rps[pipeline][mode][kind] = median. */
async function setThroughput(o: Options): Promise<Table[]> {
  const rps = new Map<string, (number | null)[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const pipeline of [1, 16]) {
      for (const mode of MODES) {
        for (const kind of KINDS) {
          const srv = await startServer(kind, mode.args);
          try {
            const requests = pipeline === 1 && mode.name.endsWith('always') ? Math.min(o.requests, 100_000) : o.requests;
            // Unmeasured warm-up (JIT, first AOF file growth).
            await runRedisBenchmark(srv.port, { t: 'set', row: 'SET' }, { clients: 50, pipeline, requests: 10_000, keyspace: 100_000 });
            const r = await runRedisBenchmark(srv.port, { t: 'set', row: 'SET' }, { clients: 50, pipeline, requests, keyspace: 100_000 });
            progress(`SET -P ${pipeline} ${mode.name} ${kind}: ${r.rps ?? r.error} rps`);
            const k = `${pipeline}|${mode.name}|${kind}`;
            rps.set(k, [...(rps.get(k) ?? []), r.rps]);
          } finally {
            await srv.stop();
          }
        }
      }
    }
  }
  const tables: Table[] = [];
  for (const pipeline of [1, 16]) {
    const get = (mode: string, kind: ServerKind) => median(rps.get(`${pipeline}|${mode}|${kind}`) ?? []);
    const rows: Row[] = [];
    for (const mode of MODES) rows.push(row(`SET ${mode.name}`, get(mode.name, 'keydra'), get(mode.name, 'redis'), 'req/s'));
    for (const mode of MODES.slice(1)) {
      const k = get(mode.name, 'keydra');
      const r = get(mode.name, 'redis');
      const k0 = get('persistence off', 'keydra');
      const r0 = get('persistence off', 'redis');
      rows.push(row(`${mode.name} / off`, k !== null && k0 ? k / k0 : null, r !== null && r0 ? r / r0 : null, ''));
    }
    tables.push({
      scenario: `SET throughput with the AOF, -c 50 -P ${pipeline} -r 100000`,
      description: `redis-benchmark -t set -n ${o.requests} (always with -P 1: ${Math.min(o.requests, 100_000)}), median of ${o.reps} run(s) per cell, each on a fresh server.`,
      rows,
      notes: ['The "/ off" rows are each server against itself with persistence off (1.00 = no cost).'],
    });
  }
  return tables;
}

/** Fills `n` keys key:i → value:i with pipelined MSET (100 pairs each, 50 per round trip). */
async function fill(port: number, n: number): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    for (let i = 0; i < n; ) {
      const bufs: Buffer[] = [];
      for (let m = 0; m < 50 && i < n; m++) {
        const args: string[] = ['MSET'];
        for (let j = 0; j < 100 && i < n; j++, i++) args.push(`key:${i}`, `value:${i}`);
        bufs.push(encodeCommand(args));
      }
      const replies = await c.pipeline(bufs, bufs.length);
      for (const r of replies) if (r instanceof Error) throw r;
    }
  } finally {
    c.close();
  }
}

async function infoField(c: RespConn, field: string): Promise<string> {
  const r = await c.call('INFO', 'persistence');
  const m = new RegExp(`${field}:([^\\r]*)`).exec(String(r));
  return m ? m[1] : '';
}

/**
 * Starts `kind` on `dir` (persistence off apart from loading what is there) and waits up to 5
 * minutes for the first PONG (not -LOADING). @returns ms from spawn to PONG, and a stop function.
 */
async function startTimed(kind: ServerKind, dir: string): Promise<{ ms: number; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const t = performance.now();
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [path.resolve(process.env.KEYDRA_SERVER ?? 'bin/keydra-server.js'), ...args], { stdio: 'ignore' })
      : spawn('redis-server', [...args, '--protected-mode', 'no'], { stdio: 'ignore' });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; ) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited while loading`);
    try {
      const c = await RespConn.connect(port);
      for (;;) {
        const r = await c.call('PING');
        if (r === 'PONG') {
          const ms = performance.now() - t;
          c.close();
          return { ms, port, stop };
        }
        await sleep(10);
      }
    } catch {
      await sleep(10);
    }
  }
  await stop();
  throw new Error(`${kind} did not load within 5 minutes`);
}

/** Part 2 for one server kind: fill, SAVE, BGSAVE with PING probe, restart and load. */
async function saveLoad(kind: ServerKind, keys: number): Promise<Record<string, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-persist-${kind}-`));
  const out: Record<string, number> = {};
  try {
    let s0 = performance.now();
    const srv: BenchServer = await startServer(kind, ['--dir', dir]);
    try {
      progress(`${kind}: filling ${keys} keys`);
      await fill(srv.port, keys);
      const c = await RespConn.connect(srv.port);
      const probe = await RespConn.connect(srv.port);
      const watch = await RespConn.connect(srv.port);
      s0 = performance.now();
      const saved = await c.call('SAVE');
      out.saveMs = performance.now() - s0;
      if (saved !== 'OK') throw new Error(`SAVE: ${saved}`);
      out.rdbBytes = fs.statSync(path.join(dir, 'dump.rdb')).size;
      progress(`${kind}: SAVE ${out.saveMs.toFixed(0)} ms, ${out.rdbBytes} bytes`);
      // Let the fill's garbage collection settle first (a young-generation GC of a million new
      // objects is not a cost of BGSAVE).
      await sleep(3000);
      s0 = performance.now();
      srv.gc?.begin();
      const started = await c.call('BGSAVE');
      if (started !== 'Background saving started') throw new Error(`BGSAVE: ${started}`);
      let done = false;
      let maxPing = 0;
      let pings = 0;
      const prober = (async () => {
        while (!done) {
          const p0 = performance.now();
          await probe.call('PING');
          const dt = performance.now() - p0;
          if (dt > maxPing) maxPing = dt;
          pings++;
        }
      })();
      while ((await infoField(watch, 'rdb_bgsave_in_progress')) !== '0') await sleep(5);
      out.bgsaveMs = performance.now() - s0;
      done = true;
      await prober;
      srv.gc?.end();
      if (srv.gc) out.gcMaxMs = srv.gc.stats().maxMs;
      out.maxPingMs = maxPing;
      out.pings = pings;
      if ((await infoField(watch, 'rdb_last_bgsave_status')) !== 'ok') throw new Error('BGSAVE failed');
      progress(`${kind}: BGSAVE ${out.bgsaveMs.toFixed(0)} ms, ${pings} PINGs, max ${maxPing.toFixed(1)} ms`);
      c.close();
      probe.close();
      watch.close();
    } finally {
      await srv.stop();
    }
    // stop() removed its own temp dir, not ours: dump.rdb is still there.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), `bench-persist-empty-${kind}-`));
    const e = await startTimed(kind, empty);
    await e.stop();
    fs.rmSync(empty, { recursive: true, force: true });
    const l = await startTimed(kind, dir);
    out.emptyStartMs = e.ms;
    out.loadStartMs = l.ms;
    out.loadMs = l.ms - e.ms;
    try {
      const c = await RespConn.connect(l.port);
      out.loadedKeys = Number(await c.call('DBSIZE'));
      c.close();
    } finally {
      await l.stop();
    }
    progress(`${kind}: load ${out.loadMs.toFixed(0)} ms (${out.loadedKeys} keys)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * The SAVE / BGSAVE / load table for `keys` keys (median of `reps` runs per server, Keydra and
 * Redis alternating), and the raw runs. Used by main and by `npm run bench` (scenario 10).
 */
export async function saveLoadTable(keys: number, reps: number): Promise<{ table: Table; runs: Record<ServerKind, Record<string, number>[]> }> {
  const runs: Record<ServerKind, Record<string, number>[]> = { keydra: [], redis: [] };
  for (let rep = 0; rep < reps; rep++) for (const kind of KINDS) runs[kind].push(await saveLoad(kind, keys));
  const m = (kind: ServerKind, f: string) => median(runs[kind].map((r) => r[f] ?? null));
  const table: Table = {
    scenario: `SAVE, BGSAVE and load of ${keys.toLocaleString('en-US')} keys`,
    description:
      'key:N → value:N filled by pipelined MSET; SAVE = reply round trip; BGSAVE = until rdb_bgsave_in_progress:0; ' +
      'max PING = longest round trip of back-to-back PINGs from another client during the BGSAVE; ' +
      'load = spawn → first PONG with dump.rdb minus the same with no data.',
    rows: [
      row('SAVE', m('keydra', 'saveMs'), m('redis', 'saveMs'), 'ms'),
      row('RDB file size', m('keydra', 'rdbBytes'), m('redis', 'rdbBytes'), 'bytes'),
      row('BGSAVE duration', m('keydra', 'bgsaveMs'), m('redis', 'bgsaveMs'), 'ms'),
      row('max PING latency during BGSAVE', m('keydra', 'maxPingMs'), m('redis', 'maxPingMs'), 'ms'),
      row('PINGs answered during BGSAVE', m('keydra', 'pings'), m('redis', 'pings'), ''),
      row('longest GC pause during BGSAVE', m('keydra', 'gcMaxMs'), null, 'ms'),
      row('load at start-up', m('keydra', 'loadMs'), m('redis', 'loadMs'), 'ms'),
      row('keys after load', m('keydra', 'loadedKeys'), m('redis', 'loadedKeys'), ''),
    ],
    notes: [],
  };
  return { table, runs };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const tables: Table[] = [];
  const raw: Record<string, unknown> = {};
  if (o.only !== 'save') tables.push(...(await setThroughput(o)));
  if (o.only !== 'set') {
    const { table, runs } = await saveLoadTable(o.keys, o.reps);
    raw.saveLoad = runs;
    tables.push(table);
  }
  const facts = {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    loadavg: os.loadavg(),
    node: process.version,
    redis: redisVersion(),
    options: o,
  };
  const md = [
    '# Keydra persistence benchmark',
    '',
    `${facts.date}; ${facts.cores} cores (load average at the end ${facts.loadavg.map((x) => x.toFixed(1)).join(' ')}); Node ${facts.node}; redis-server ${facts.redis}.`,
    '',
    ...tables.map(markdown),
  ].join('\n');
  process.stdout.write(`\n${md}\n`);
  const dir = path.resolve('bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const name = `persistence-${facts.date.replace(/[:.]/g, '-')}`;
  fs.writeFileSync(path.join(dir, `${name}.md`), md);
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ facts, tables, raw }, null, 2)}\n`);
  process.stdout.write(`\nResults: bench/results/${name}.{md,json} (${((Date.now() - t0) / 1000).toFixed(0)}s)\n`);
}

// Run as a script (not when imported by bench/run.ts).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
