/**
 * Scenario 12 of `npm run bench` (`--only 12`): Redis Cluster, Keydra beside redis-server 7.0.
 *
 * a. The latency forwarding adds (`cluster-forward yes`, src/server/clusterForward.ts). A 2-node
 *    cluster where node A owns all 16384 slots and node B none: `redis-benchmark -c 1 -P 1` GET and
 *    SET (random keys) against A (the owner, every command local) and against B (a non-owner: every
 *    command forwarded to A and its reply relayed). p50 and p99 per request from redis-benchmark's
 *    own histogram, in µs. The Redis column is the same layout of redis-server nodes, always against
 *    the owner (redis-server has no forwarding: B would reply -MOVED), so "through a non-owner" rows
 *    compare Keydra's forwarded path with redis-server's direct one.
 * b. Throughput of `keydra-server --cluster-local 1` and `--cluster-local 2` (src/clusterLocal.ts),
 *    beside a 1- and a 2-node redis-server cluster (slots split evenly, as cluster-local does):
 *    `redis-benchmark -t set,get -c 50 -r 100000 -P {1,16}`, plain against the first node (Keydra
 *    forwards the other node's half) and with `--cluster` (cluster-aware, every node served directly).
 *    The plain-client rows on 2 nodes have no Redis value (redis-server replies -MOVED).
 * Every measurement runs `--reps` times, Keydra and Redis interleaved; medians.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { median, row, type Row, type Table } from './lib/report.js';
import { runRedisBenchmark } from './lib/rbench.js';
import { call } from './lib/resp.js';
import { type ServerKind, sleep } from './lib/servers.js';

/** The options of bench/run.ts this scenario reads. */
export interface ClusterBenchOptions {
  quick: boolean;
  reps: number;
}

const KINDS: ServerKind[] = ['keydra', 'redis'];

/** True when 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The first of `n` consecutive ports in 30000..39999 that are free, with their cluster bus ports
 * (port + 10000) free too (below the ephemeral range, so a client socket does not take them).
 */
async function clusterPorts(n: number): Promise<number> {
  for (;;) {
    const base = 30000 + Math.floor(Math.random() * (10000 - n));
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = (await portFree(base + i)) && (await portFree(base + i + 10000));
    if (ok) return base;
  }
}

/** A process the scenario started (a node, or cluster-local's parent) and its data directory. */
interface Proc {
  proc: ChildProcess;
  dir: string;
}

function keydraBin(): string {
  return path.resolve(process.env.KEYDRA_SERVER ?? 'bin/keydra-server.js');
}

/** Starts one cluster-enabled node (persistence off) in a temp dir; resolves once it answers PING. */
async function startNode(kind: ServerKind, port: number, extra: string[]): Promise<Proc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-cluster-${kind}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  args.push('--cluster-enabled', 'yes', ...extra);
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [keydraBin(), ...args], { stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } })
      : spawn('redis-server', [...args, '--daemonize', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
  await waitPing(port, proc);
  return { proc, dir };
}

async function waitPing(port: number, proc: ChildProcess): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server on port ${port} exited at start-up`);
    try {
      if ((await call(port, 'PING')) === 'PONG') return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`server on port ${port} did not start`);
    await sleep(50);
  }
}

/** Stops a process (SIGTERM, SIGKILL after 10 s) and removes its directory. */
function stop(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      fs.rmSync(p.dir, { recursive: true, force: true });
      resolve();
    };
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) return done();
    const t = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
    p.proc.once('exit', () => {
      clearTimeout(t);
      done();
    });
    p.proc.kill('SIGTERM');
  });
}

/** Resolves once every port reports cluster_state:ok. */
async function waitClusterOk(ports: number[]): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    let ok = true;
    for (const p of ports) {
      const info = await call(p, 'CLUSTER', 'INFO');
      if (typeof info !== 'string' || !/^cluster_state:ok\r?$/m.test(info)) ok = false;
    }
    if (ok) return;
    if (Date.now() > end) throw new Error(`cluster on ${ports.join(',')} did not reach cluster_state:ok`);
    await sleep(100);
  }
}

/**
 * Starts `slots.length` nodes on consecutive ports; node i gets the slot range slots[i] (or none),
 * all meet the first; resolves once every node reports cluster_state:ok.
 */
async function startCluster(
  kind: ServerKind,
  slots: ([number, number] | null)[],
  extra: string[][],
): Promise<{ ports: number[]; procs: Proc[] }> {
  const base = await clusterPorts(slots.length);
  const ports = slots.map((_, i) => base + i);
  const procs: Proc[] = [];
  try {
    for (let i = 0; i < ports.length; i++) procs.push(await startNode(kind, ports[i], extra[i] ?? []));
    for (let i = 0; i < ports.length; i++) {
      const r = slots[i];
      if (r !== null) await call(ports[i], 'CLUSTER', 'ADDSLOTSRANGE', r[0], r[1]);
      if (i > 0) await call(ports[i], 'CLUSTER', 'MEET', '127.0.0.1', ports[0]);
    }
    await waitClusterOk(ports);
    // Every node must know every other (a forwarded or redirected request needs the owner's address).
    await sleep(500);
  } catch (e) {
    await Promise.all(procs.map(stop));
    throw e;
  }
  return { ports, procs };
}

/** `keydra-server --cluster-local n`; resolves once its n nodes report cluster_state:ok. */
async function startClusterLocal(n: number): Promise<{ ports: number[]; procs: Proc[] }> {
  const base = await clusterPorts(n);
  const ports = Array.from({ length: n }, (_, i) => base + i);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-local-'));
  const args = [keydraBin(), '--cluster-local', String(n), '--port', String(base), '--dir', dir];
  args.push('--bind', '127.0.0.1', '--save', '', '--appendonly', 'no');
  const proc = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
  const p = { proc, dir };
  try {
    for (const port of ports) await waitPing(port, proc);
    await waitClusterOk(ports);
    await sleep(500);
  } catch (e) {
    await stop(p);
    throw e;
  }
  return { ports, procs: [p] };
}

/** Slot ranges splitting 0..16383 evenly over n nodes (as cluster-local assigns them). */
function evenSlots(n: number): [number, number][] {
  const per = Math.floor(16384 / n);
  return Array.from({ length: n }, (_, i) => [i * per, i === n - 1 ? 16383 : (i + 1) * per - 1] as [number, number]);
}

/** p50 and p99 (µs) and req/s of one `redis-benchmark -c 1 -P 1` run of `test` (get or set). */
function latencyRun(port: number, test: string, requests: number): Promise<{ p50: number | null; p99: number | null }> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '1', '-P', '1', '-n', String(requests), '-r', '100000', '--csv', '-t', test];
  return new Promise((resolve) => {
    const p = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', () => resolve({ p50: null, p99: null }));
    p.on('close', () => {
      clearTimeout(timer);
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      for (const line of out.split('\n')) {
        const f = line
          .trim()
          .split(',')
          .map((x) => x.replace(/"/g, ''));
        if (f.length >= 7 && f[0].toUpperCase() === test.toUpperCase()) {
          resolve({ p50: Number(f[4]) * 1000, p99: Number(f[6]) * 1000 });
          return;
        }
      }
      resolve({ p50: null, p99: null });
    });
  });
}

/** Part a: latency against the owner and through a non-owner. */
async function latencyTable(o: ClusterBenchOptions, progress: (msg: string) => void): Promise<Table> {
  const requests = o.quick ? 10_000 : 50_000;
  const layout: ([number, number] | null)[] = [[0, 16383], null];
  const clusters: Record<ServerKind, { ports: number[]; procs: Proc[] } | null> = { keydra: null, redis: null };
  type Key = 'direct' | 'forwarded';
  const res: Record<ServerKind, Record<string, { p50: (number | null)[]; p99: (number | null)[] }>> = { keydra: {}, redis: {} };
  try {
    clusters.keydra = await startCluster('keydra', layout, [[], ['--cluster-forward', 'yes']]);
    clusters.redis = await startCluster('redis', layout, [[], []]);
    for (const kind of KINDS) {
      // Warm-up (JIT, pooled forwarding connection), not measured.
      const c = clusters[kind]!;
      progress(`12a warming up ${kind}`);
      await latencyRun(c.ports[0], 'set', requests);
      if (kind === 'keydra') await latencyRun(c.ports[1], 'set', requests);
    }
    for (let rep = 0; rep < o.reps; rep++) {
      for (const test of ['set', 'get']) {
        for (const kind of KINDS) {
          const c = clusters[kind]!;
          const paths: [Key, number][] =
            kind === 'keydra'
              ? [
                  ['direct', c.ports[0]],
                  ['forwarded', c.ports[1]],
                ]
              : [['direct', c.ports[0]]];
          for (const [key, port] of paths) {
            progress(`12a ${test.toUpperCase()} -c 1 -P 1 ${kind} ${key} (rep ${rep + 1}/${o.reps})`);
            const r = await latencyRun(port, test, requests);
            const slot = (res[kind][`${test} ${key}`] ??= { p50: [], p99: [] });
            slot.p50.push(r.p50);
            slot.p99.push(r.p99);
          }
        }
      }
    }
  } finally {
    for (const c of Object.values(clusters)) if (c) await Promise.all(c.procs.map(stop));
  }
  const rows: Row[] = [];
  for (const test of ['set', 'get']) {
    const T = test.toUpperCase();
    for (const q of ['p50', 'p99'] as const) {
      const direct = median(res.keydra[`${test} direct`]?.[q] ?? []);
      const fwd = median(res.keydra[`${test} forwarded`]?.[q] ?? []);
      const ref = median(res.redis[`${test} direct`]?.[q] ?? []);
      rows.push(row(`${T} ${q}, owner directly`, direct, ref, 'µs'));
      rows.push(row(`${T} ${q}, through a non-owner (Keydra forwards; Redis: owner directly)`, fwd, ref, 'µs'));
      rows.push(
        row(
          `${T} ${q} added by forwarding`,
          fwd !== null && direct !== null ? fwd - direct : null,
          null,
          'µs',
          'no forwarding in redis-server',
        ),
      );
    }
  }
  return {
    scenario: '12a. Cluster: latency added by forwarding',
    description:
      `2-node cluster, node A owning all 16384 slots, node B none (Keydra's B with \`cluster-forward yes\`); ` +
      `\`redis-benchmark -c 1 -P 1 -n ${requests} -r 100000 -t set,get\` against A (owner) and, for Keydra, B (every command forwarded to A); ` +
      `per-request latency percentiles from redis-benchmark, µs; medians of ${o.reps}. redis-server cannot forward: its column is always the owner directly.`,
    rows,
    notes: [],
  };
}

/**
 * redis-benchmark --cluster ends its run on a 250 ms tick (its elapsed times are multiples of
 * ~250 ms), so its runs get this many times more requests to keep that rounding within a few %.
 */
const CLUSTER_MODE_FACTOR = 5;

/** Part b: throughput of 1 and 2 nodes. */
async function throughputTable(o: ClusterBenchOptions, progress: (msg: string) => void): Promise<Table> {
  const requests = o.quick ? 50_000 : 200_000;
  const rows: Row[] = [];
  const notes: string[] = [];
  const tests = [
    { t: 'set', row: 'SET' },
    { t: 'get', row: 'GET' },
  ];
  for (const nodes of [1, 2]) {
    const clusters: Record<ServerKind, { ports: number[]; procs: Proc[] } | null> = { keydra: null, redis: null };
    // modes: plain client on the first node; cluster-aware (redis-benchmark --cluster), 2 nodes only.
    const modes: { name: string; args: string[]; redis: boolean }[] =
      nodes === 1
        ? [{ name: 'plain client', args: [], redis: true }]
        : [
            { name: 'redis-benchmark --cluster', args: ['--cluster'], redis: true },
            { name: 'plain client on node 1 (half the keys forwarded)', args: [], redis: false },
          ];
    const res: Record<string, Record<ServerKind, (number | null)[]>> = {};
    try {
      clusters.keydra = await startClusterLocal(nodes);
      clusters.redis = await startCluster('redis', evenSlots(nodes), []);
      progress(`12b warming up --cluster-local ${nodes}`);
      await runRedisBenchmark(clusters.keydra.ports[0], tests[0], { clients: 50, pipeline: 16, requests, keyspace: 100_000 });
      for (let rep = 0; rep < o.reps; rep++) {
        for (const pipeline of [1, 16]) {
          for (const t of tests) {
            for (const m of modes) {
              for (const kind of KINDS) {
                if (kind === 'redis' && !m.redis) continue;
                progress(`12b ${nodes} node(s) ${t.row} -P ${pipeline} ${m.name} ${kind} (rep ${rep + 1}/${o.reps})`);
                const r = await runRedisBenchmark(clusters[kind]!.ports[0], t, {
                  clients: 50,
                  pipeline,
                  requests: requests * (pipeline === 16 ? 4 : 1) * (m.args.length > 0 ? CLUSTER_MODE_FACTOR : 1),
                  keyspace: 100_000,
                  extraArgs: m.args,
                });
                if (r.error) notes.push(`${kind}, ${nodes} node(s), ${t.row} -P ${pipeline} ${m.name}: ${r.error}`);
                (res[`${t.row} -P ${pipeline}|${m.name}`] ??= { keydra: [], redis: [] })[kind].push(r.rps);
              }
            }
          }
        }
      }
    } finally {
      for (const c of Object.values(clusters)) if (c) await Promise.all(c.procs.map(stop));
    }
    for (const [k, v] of Object.entries(res)) {
      const [test, mode] = k.split('|');
      const label = `${nodes} node${nodes > 1 ? 's' : ''}, ${mode}: ${test}`;
      rows.push(row(label, median(v.keydra), v.redis.length > 0 ? median(v.redis) : null, 'req/s'));
    }
  }
  return {
    scenario: '12b. Cluster: throughput of 1 and 2 nodes on this machine',
    description:
      `Keydra: \`keydra-server --cluster-local N\` (N nodes, slots split evenly, forwarding on); Redis: N redis-server nodes with the same slots. ` +
      `\`redis-benchmark -c 50 -r 100000 -P {1,16} -t set,get\` (-n ${requests}, x4 at -P 16) against the first node, plain or with \`--cluster\`; ` +
      `requests per second, medians of ${o.reps}; \`--cluster\` runs get ${CLUSTER_MODE_FACTOR}x the requests (its elapsed time is counted in 250 ms ticks). The load generator shares the machine's cores with the nodes. ` +
      `Plain client on 2 nodes: no Redis value (redis-server replies -MOVED for the other node's slots).`,
    rows,
    notes: [...new Set(notes)].slice(0, 10),
  };
}

/** Runs the scenario: two tables (latency, throughput). */
export async function scenarioCluster(o: ClusterBenchOptions, progress: (msg: string) => void): Promise<Table[]> {
  return [await latencyTable(o, progress), await throughputTable(o, progress)];
}
