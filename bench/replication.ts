/**
 * Scenario 7 of `npm run bench` (`npm run bench -- --only 7` runs it alone): replication, Keydra
 * as primary next to redis-server 7.0 as primary, always with redis-server replicas.
 *
 * a. Full sync of N keys (`key:i` → `value:i`, default 1,000,000; `--keys`): a fresh redis-server
 *    replica is pointed at the loaded primary (diskless sync, repl-diskless-sync-delay 0; the
 *    replica loads from disk, Redis's default); the time from its REPLICAOF to
 *    master_link_status:up with DBSIZE = N on the replica.
 * b. Longest client-visible pause on the primary during that same full sync: a client on the
 *    primary sends PING back to back from REPLICAOF until the replica is loaded and records the
 *    longest round trip (target <= 20 ms on Keydra).
 * c. `redis-benchmark -t set -c 50 -P 16 -r 100000` throughput with 0, 1 and 2 redis-server
 *    replicas attached (each synced before the run), and as a ratio to 0 replicas.
 * Every part runs `--reps` times (default 3, --quick 1), Keydra then redis-server each time, and
 * reports the medians (the machine's other load moves single runs a lot).
 */
import { median, type Row, row, type Table } from './lib/report.js';
import { runRedisBenchmark } from './lib/rbench.js';
import { call, encodeCommand, RespConn } from './lib/resp.js';
import { type BenchServer, type ServerKind, sleep, startServer } from './lib/servers.js';

/** The options of bench/run.ts this scenario reads. */
export interface ReplicationBenchOptions {
  quick: boolean;
  keys: number;
  reps: number;
}

const KINDS: ServerKind[] = ['keydra', 'redis'];

async function infoField(port: number, section: string, field: string): Promise<string | null> {
  const text = await call(port, 'INFO', section);
  if (typeof text !== 'string') return null;
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text);
  return m ? m[1].trim() : null;
}

/** key:i → value:i for i < n, pipelined MSETs of 100 pairs, 50 per batch. */
async function loadKeys(port: number, n: number): Promise<void> {
  const c = await RespConn.connect(port);
  let i = 0;
  while (i < n) {
    const bufs: Buffer[] = [];
    for (let b = 0; b < 50 && i < n; b++) {
      const argv: string[] = ['MSET'];
      for (let k = 0; k < 100 && i < n; k++, i++) argv.push(`key:${i}`, `value:${i}`);
      bufs.push(encodeCommand(argv));
    }
    const replies = await c.pipeline(bufs, bufs.length);
    const err = replies.find((r) => r instanceof Error);
    if (err) throw err;
  }
  c.close();
}

/** Resolves once `replica` has its link up, no load in progress, and `keys` keys. */
async function waitLoaded(replica: number, keys: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await call(replica, 'INFO', 'replication');
    if (typeof text === 'string' && /master_link_status:up/.test(text) && /master_sync_in_progress:0/.test(text)) {
      if ((await call(replica, 'DBSIZE')) === keys) return;
    }
    if (Date.now() > end) throw new Error(`replica on port ${replica} not loaded within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Resolves once the replica's offset reached the primary's. */
async function waitCaughtUp(primary: number, replica: number): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const p = await infoField(primary, 'replication', 'master_repl_offset');
    const r = await infoField(replica, 'replication', 'master_repl_offset');
    const up = await infoField(replica, 'replication', 'master_link_status');
    if (up === 'up' && p === r) return;
    if (Date.now() > end) throw new Error('replica did not catch up');
    await sleep(20);
  }
}

interface SyncResult {
  syncMs: number;
  maxPingMs: number;
  pings: number;
}

/** Parts a and b for one primary: load, attach a replica, time the sync while probing PING. */
async function fullSync(kind: ServerKind, keys: number, progress: (m: string) => void): Promise<SyncResult> {
  const cfg = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];
  const primary = await startServer(kind, cfg);
  const replica = await startServer('redis', []);
  try {
    progress(`7a ${kind}: loading ${keys} keys`);
    await loadKeys(primary.port, keys);
    const probe = await RespConn.connect(primary.port);
    let stop = false;
    let maxPing = 0;
    let pings = 0;
    const probing = (async () => {
      while (!stop) {
        const t = performance.now();
        await probe.call('PING');
        const dt = performance.now() - t;
        pings++;
        if (dt > maxPing) maxPing = dt;
      }
    })();
    progress(`7a ${kind}: full sync of ${keys} keys to a redis-server replica`);
    const t0 = performance.now();
    await call(replica.port, 'REPLICAOF', '127.0.0.1', primary.port);
    try {
      await waitLoaded(replica.port, keys, 300_000);
    } finally {
      stop = true;
      await probing;
      probe.close();
    }
    return { syncMs: performance.now() - t0, maxPingMs: maxPing, pings };
  } finally {
    await replica.stop();
    await primary.stop();
  }
}

/** Part c for one primary: SET -P 16 with 0, 1, 2 replicas. @returns req/s per replica count. */
async function setWithReplicas(kind: ServerKind, requests: number, progress: (m: string) => void): Promise<(number | null)[]> {
  const primary = await startServer(kind, ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']);
  const replicas: BenchServer[] = [];
  const out: (number | null)[] = [];
  try {
    for (let n = 0; n <= 2; n++) {
      if (n > 0) {
        const r = await startServer('redis', ['--replicaof', '127.0.0.1', String(primary.port)]);
        replicas.push(r);
        for (const x of replicas) await waitCaughtUp(primary.port, x.port);
      }
      progress(`7c ${kind}: SET -P 16 with ${n} replica(s)`);
      const res = await runRedisBenchmark(
        primary.port,
        { t: 'set', row: 'SET' },
        { clients: 50, pipeline: 16, requests, keyspace: 100_000 },
      );
      out.push(res.rps);
    }
    for (const x of replicas) await waitCaughtUp(primary.port, x.port);
  } finally {
    for (const r of replicas) await r.stop();
    await primary.stop();
  }
  return out;
}

/** Runs scenario 7 (see module doc); `progress` prints a status line. */
export async function scenarioReplication(o: ReplicationBenchOptions, progress: (m: string) => void): Promise<Table[]> {
  const keys = o.keys;
  const sync: Record<ServerKind, SyncResult[]> = { keydra: [], redis: [] };
  for (let r = 0; r < o.reps; r++) for (const k of KINDS) sync[k].push(await fullSync(k, keys, progress));
  const med = (k: ServerKind, f: keyof SyncResult) => median(sync[k].map((x) => x[f]));
  const syncRows: Row[] = [
    row(
      `full sync of ${keys.toLocaleString('en-US')} keys (REPLICAOF → replica loaded)`,
      med('keydra', 'syncMs'),
      med('redis', 'syncMs'),
      'ms',
    ),
    row('longest PING round trip on the primary during the sync', med('keydra', 'maxPingMs'), med('redis', 'maxPingMs'), 'ms'),
    row('PINGs answered during the sync', med('keydra', 'pings'), med('redis', 'pings'), ''),
  ];
  const requests = o.quick ? 200_000 : 1_000_000;
  const runs: Record<ServerKind, (number | null)[][]> = { keydra: [], redis: [] };
  for (let r = 0; r < o.reps; r++) for (const k of KINDS) runs[k].push(await setWithReplicas(k, requests, progress));
  const rps: Record<ServerKind, (number | null)[]> = { keydra: [], redis: [] };
  for (const k of KINDS) for (let n = 0; n <= 2; n++) rps[k].push(median(runs[k].map((x) => x[n])));
  const setRows: Row[] = [];
  for (let n = 0; n <= 2; n++) setRows.push(row(`SET -P 16, ${n} replica(s)`, rps.keydra[n], rps.redis[n], 'req/s'));
  const rel = (k: ServerKind, n: number) => (rps[k][n] !== null && rps[k][0] ? (rps[k][n] as number) / (rps[k][0] as number) : null);
  for (let n = 1; n <= 2; n++) setRows.push(row(`${n} replica(s) relative to none`, rel('keydra', n), rel('redis', n), ''));
  return [
    {
      scenario: `7a. Replication: full sync of ${keys.toLocaleString('en-US')} keys to a redis-server replica (median of ${o.reps})`,
      description:
        'Primary loaded with key:N → value:N; a fresh redis-server 7.0 replica gets REPLICAOF (diskless sync, delay 0; the replica loads from disk). ' +
        'Time until master_link_status:up and DBSIZE = N on the replica; meanwhile a client on the primary sends PING back to back (target for Keydra: longest round trip <= 20 ms).',
      rows: syncRows,
      notes: [],
    },
    {
      scenario: '7b. Replication cost: SET throughput with redis-server replicas attached',
      description: `\`redis-benchmark -t set -c 50 -P 16 -r 100000 -n ${requests}\` on the primary with 0, 1 and 2 redis-server replicas (each synced first), median of ${o.reps}; all processes share the machine's CPUs.`,
      rows: setRows,
      notes: [],
    },
  ];
}
