/**
 * The dashboard's data: one JSON state per second (sent over SSE by src/metrics/metricsServer.ts),
 * made from a Snapshot plus the rates since the previous one (ops/s per command, hit ratio of the
 * interval, network kB/s), keys per type, the slow log, persistence and replication state.
 */
import { NodeFlag } from '../cluster/node.js';
import { slowlogRecent } from '../commands/server/slowlog.js';
import type { KeydraServer } from '../server/server.js';
import { heapStats, type RuntimeMonitor } from './runtime.js';
import { keyTypes, parseSubFields, type Snapshot, takeSnapshot } from './snapshot.js';

/** Slow log entries sent per state. */
const SLOWLOG_ENTRIES = 10;
/** Latency percentiles shown per command. */
const PERCENTILES = [50, 99, 99.9];

/** One command row of the dashboard. */
export interface CommandRow {
  cmd: string;
  /** Calls per second over the last interval. */
  ops: number;
  calls: number;
  usecPerCall: number;
  failed: number;
  rejected: number;
  /** Latency percentiles, µs: p50, p99, p99.9 (null before the first call). */
  p50: number | null;
  p99: number | null;
  p999: number | null;
}

/** What the page receives each second (JSON). */
export interface DashboardState {
  time: number;
  version: string;
  port: number;
  uptime: number;
  role: string;
  ops: number;
  commandsProcessed: number;
  commands: CommandRow[];
  hits: number;
  misses: number;
  /** keyspace_hits / (hits + misses), all-time and over the last interval (null without lookups). */
  hitRatio: number | null;
  hitRatioNow: number | null;
  memory: { used: number; max: number; rss: number; peak: number; policy: string };
  clients: { connected: number; blocked: number; max: number };
  net: { inKBps: number; outKBps: number };
  expired: number;
  evicted: number;
  keysTotal: number;
  keyspace: { db: number; keys: number; expires: number; avgTtl: number; types: Record<string, number>; estimated: boolean }[];
  slowlog: { id: number; time: number; duration: number; argv: string[]; peer: string; name: string }[];
  persistence: Record<string, string>;
  replication: { info: Record<string, string>; replicas: Record<string, string>[] };
  /** Redis Cluster (cluster-enabled yes): this node's view of the cluster, else null. */
  cluster: ClusterView | null;
  runtime: {
    loopDelayP50: number;
    loopDelayP99: number;
    loopDelayMax: number;
    heapUsed: number;
    heapTotal: number;
    heapLimit: number;
    gcCount: number;
    gcMax: number;
  };
}

/** INFO persistence fields the page shows. */
const PERSISTENCE_FIELDS = [
  'loading',
  'loading_loaded_perc',
  'loading_eta_seconds',
  'rdb_changes_since_last_save',
  'rdb_bgsave_in_progress',
  'rdb_last_save_time',
  'rdb_last_bgsave_status',
  'rdb_saves',
  'current_save_keys_processed',
  'current_save_keys_total',
  'aof_enabled',
  'aof_rewrite_in_progress',
  'aof_rewrite_scheduled',
  'aof_last_bgrewrite_status',
  'aof_last_write_status',
  'aof_rewrites',
  'aof_current_size',
];
/** INFO replication fields the page shows. */
const REPLICATION_FIELDS = [
  'role',
  'connected_slaves',
  'master_host',
  'master_port',
  'master_link_status',
  'master_sync_in_progress',
  'slave_repl_offset',
  'master_failover_state',
  'master_replid',
  'master_repl_offset',
  'repl_backlog_active',
  'repl_backlog_histlen',
];

/** Makes the states of one server's dashboard, keeping the previous snapshot for rates. */
export class DashboardFeed {
  private prev: Snapshot | null = null;
  private prevCalls = new Map<string, number>();

  constructor(
    private readonly server: KeydraServer,
    private readonly runtime: RuntimeMonitor,
    private readonly version: string,
  ) {}

  /** The current state (rates over the time since the previous call; 0 on the first). */
  next(): DashboardState {
    const s = takeSnapshot(this.server, PERCENTILES);
    const p = this.prev;
    const dt = p === null ? 0 : (s.time - p.time) / 1000;
    const i = s.info;
    const num = (m: Map<string, string>, k: string) => {
      const n = Number(m.get(k));
      return Number.isFinite(n) ? n : 0;
    };
    const rate = (k: string) => (p === null || dt <= 0 ? 0 : Math.max(0, (num(i, k) - num(p.info, k)) / dt));
    const calls = new Map<string, number>();
    const commands: CommandRow[] = s.commands.map((c) => {
      calls.set(c.name, c.calls);
      const before = this.prevCalls.get(c.name) ?? (p === null ? c.calls : 0);
      const pc = (q: number) => c.percentiles.find(([x]) => x === q)?.[1] ?? null;
      return {
        cmd: c.name,
        ops: dt > 0 ? Math.max(0, (c.calls - before) / dt) : 0,
        calls: c.calls,
        usecPerCall: c.calls === 0 ? 0 : c.usec / c.calls,
        failed: c.failed,
        rejected: c.rejected,
        p50: pc(50),
        p99: pc(99),
        p999: pc(99.9),
      };
    });
    commands.sort((a, b) => b.ops - a.ops || b.calls - a.calls || (a.cmd < b.cmd ? -1 : 1));
    const hits = num(i, 'keyspace_hits');
    const misses = num(i, 'keyspace_misses');
    const dh = p === null ? 0 : hits - num(p.info, 'keyspace_hits');
    const dm = p === null ? 0 : misses - num(p.info, 'keyspace_misses');
    const types = new Map(keyTypes(this.server).map((t) => [t.id, t]));
    const pick = (fields: string[]) => {
      const o: Record<string, string> = {};
      for (const f of fields) {
        const v = i.get(f);
        if (v !== undefined) o[f] = v;
      }
      return o;
    };
    const replicas: Record<string, string>[] = [];
    for (const [k, v] of i) if (/^slave\d+$/.test(k)) replicas.push(Object.fromEntries(parseSubFields(v)));
    const loop = this.runtime.takeLoopDelay('dashboard', [0.5, 0.99]);
    const gc = this.runtime.takeGcWindow();
    const heap = heapStats();
    this.prev = s;
    this.prevCalls = calls;
    return {
      time: s.time,
      version: this.version,
      port: this.server.port,
      uptime: num(i, 'uptime_in_seconds'),
      role: i.get('role') ?? 'master',
      ops: rate('total_commands_processed'),
      commandsProcessed: num(i, 'total_commands_processed'),
      commands,
      hits,
      misses,
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
      hitRatioNow: dh + dm <= 0 ? null : dh / (dh + dm),
      memory: {
        used: num(i, 'used_memory'),
        max: num(i, 'maxmemory'),
        rss: num(i, 'used_memory_rss'),
        peak: num(i, 'used_memory_peak'),
        policy: i.get('maxmemory_policy') ?? '',
      },
      clients: { connected: num(i, 'connected_clients'), blocked: num(i, 'blocked_clients'), max: num(i, 'maxclients') },
      net: { inKBps: rate('total_net_input_bytes') / 1024, outKBps: rate('total_net_output_bytes') / 1024 },
      expired: num(i, 'expired_keys'),
      evicted: num(i, 'evicted_keys'),
      keysTotal: s.dbs.reduce((n, d) => n + d.keys, 0),
      keyspace: s.dbs
        .filter((d) => d.keys > 0)
        .map((d) => ({
          db: d.id,
          keys: d.keys,
          expires: d.expires,
          avgTtl: d.avgTtl,
          types: types.get(d.id)?.types ?? {},
          estimated: types.get(d.id)?.estimated ?? false,
        })),
      slowlog: slowlogRecent(this.server, SLOWLOG_ENTRIES).map((e) => ({
        id: e.id,
        time: e.time,
        duration: e.duration,
        argv: [...e.argv],
        peer: e.peer,
        name: e.name,
      })),
      persistence: pick(PERSISTENCE_FIELDS),
      replication: { info: pick(REPLICATION_FIELDS), replicas },
      cluster: clusterView(this.server),
      runtime: {
        loopDelayP50: loop.quantiles[0][1],
        loopDelayP99: loop.quantiles[1][1],
        loopDelayMax: loop.max,
        heapUsed: heap.used,
        heapTotal: heap.total,
        heapLimit: heap.limit,
        gcCount: gc.count,
        gcMax: gc.max,
      },
    };
  }
}

/** One node as the dashboard's Cluster panel lists it (from CLUSTER NODES' fields). */
export interface ClusterNodeView {
  id: string;
  addr: string;
  role: 'primary' | 'replica';
  /** The primary's id for a replica, '' otherwise. */
  primary: string;
  slots: number;
  /** connected / disconnected (this node's link to it; myself is connected). */
  link: string;
  /** myself, fail, fail?, handshake, noaddr. */
  flags: string[];
}

/** The Cluster panel: CLUSTER INFO's headline fields and the nodes (see clusterView). */
export interface ClusterView {
  state: string;
  myId: string;
  currentEpoch: number;
  size: number;
  slotsAssigned: number;
  nodes: ClusterNodeView[];
}

/** This node's view of the cluster (CLUSTER INFO / NODES fields), null when cluster-enabled is no. */
function clusterView(server: KeydraServer): ClusterView | null {
  const cl = server.cluster;
  if (cl === null) return null;
  const st = cl.state;
  let assigned = 0;
  for (const o of st.slots) if (o !== null) assigned++;
  const nodes: ClusterNodeView[] = [];
  for (const n of st.nodes.values()) {
    const flags: string[] = [];
    if (n.isMyself) flags.push('myself');
    if (n.failed) flags.push('fail');
    else if ((n.flags & NodeFlag.PFail) !== 0) flags.push('fail?');
    if ((n.flags & NodeFlag.Handshake) !== 0) flags.push('handshake');
    if ((n.flags & NodeFlag.NoAddr) !== 0) flags.push('noaddr');
    nodes.push({
      id: n.name,
      addr: `${n.ip}:${n.port}`,
      role: n.isReplica ? 'replica' : 'primary',
      primary: n.replicaOf?.name ?? '',
      slots: n.numSlots,
      link: n.isMyself || n.link !== null ? 'connected' : 'disconnected',
      flags,
    });
  }
  // Primaries first (by address), each followed by its replicas.
  nodes.sort((a, b) => (a.role === b.role ? a.addr.localeCompare(b.addr) : a.role === 'primary' ? -1 : 1));
  return {
    state: st.state,
    myId: st.myself.name,
    currentEpoch: Number(st.currentEpoch),
    size: st.size,
    slotsAssigned: assigned,
    nodes,
  };
}
