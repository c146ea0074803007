/**
 * The Prometheus exposition of one server: a prom-client Registry of its own (never the global
 * one, so that servers embedded in one process expose only their own numbers), whose metrics are
 * filled at scrape time from one Snapshot (src/metrics/snapshot.ts).
 *
 * Names, types and labels are those of the Prometheus redis_exporter (oliver006/redis_exporter:
 * exporter.go metricMapGauges / metricMapCounters, info.go for commandstats, latencystats,
 * keyspace and replicas), so the Grafana dashboards made for it work unchanged: redis_up,
 * redis_commands_total{cmd}, redis_db_keys{db="db0"}, redis_latency_percentiles_usec{cmd,quantile}
 * and so on. `redis_keyspace_keys{db}` / `redis_keyspace_expiring_keys{db}` repeat redis_db_keys
 * and redis_db_keys_expiring under the names issue 18 asked for. Keydra's own metrics are named
 * `keydra_*`: event-loop delay, GC pauses, V8 heap, and the cost of the scrape itself.
 */
import { type Gauge, Histogram, Registry } from 'prom-client';
import type { KeydraServer } from '../server/server.js';
import { heapStats, type RuntimeMonitor } from './runtime.js';
import { parseSubFields, type Snapshot, takeSnapshot } from './snapshot.js';

/** Quantiles of keydra_event_loop_delay_seconds. */
const LOOP_QUANTILES = [0.5, 0.9, 0.99, 0.999];
/** GC pause histogram buckets, seconds. */
const GC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

type Labels = Record<string, string | number>;
/** A metric's values at scrape time: [labels, value] pairs. */
type Values = [Labels, number][];

/** One sample line of a metric family, as prom-client's Registry formats it. */
interface SampleValue {
  labels: Labels;
  value: number;
  /** The line's own name (a summary's `_sum` and `_count`). */
  metricName?: string;
}

/**
 * A metric family whose values are read from the server at scrape time rather than recorded:
 * the minimal metric object prom-client's Registry formats (`name`, `help`, `get()` → {type,
 * values}). prom-client's Gauge and Counter keep a label-hash map that a `collect()` would clear
 * and refill on every scrape (~4 µs per series: 2,000 series with 200 commands), and its Summary
 * computes its own quantiles, where here they are given (INFO latencystats).
 */
class GivenMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly type: 'gauge' | 'counter' | 'summary',
    readonly name: string,
    readonly help: string,
    private readonly fill: () => SampleValue[],
  ) {}
  get(): { name: string; help: string; type: string; aggregator: string; values: SampleValue[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.fill() };
  }
  reset(): void {}
}

/** Formats a percentile as redis_exporter's quantile label does (Go's %g of 50, 99, 99.9). */
function quantileLabel(p: number): string {
  return String(p);
}

/** See module doc. One per metrics server. */
export class PrometheusMetrics {
  readonly registry = new Registry();
  /** The snapshot the metrics read while one scrape is being formatted. */
  private snap: Snapshot | null = null;
  /** Duration of the previous scrape, seconds (keydra_metrics_scrape_duration_seconds). */
  private lastScrapeSeconds = 0;
  private scrapes = 0;
  private loopSum = 0;
  private loopCount = 0;

  constructor(
    private readonly server: KeydraServer,
    private readonly runtime: RuntimeMonitor,
  ) {
    this.defineRedisMetrics();
    this.defineKeydraMetrics();
  }

  /** The Content-Type of `scrape()`'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Takes a snapshot of the server and formats every metric from it.
   * @returns the exposition text.
   */
  async scrape(): Promise<string> {
    const t0 = performance.now();
    const percentiles = this.server.config.list('latency-tracking-info-percentiles').map(Number);
    this.snap = takeSnapshot(this.server, percentiles);
    // Counted as the scrape starts, so it includes itself (redis_exporter's scrapes_total).
    this.scrapes++;
    let text: Promise<string>;
    try {
      // prom-client calls every metric's collect() synchronously inside metrics(), before its
      // first await: the snapshot is read by this scrape only, even when scrapes overlap.
      text = this.registry.metrics();
    } finally {
      this.snap = null;
    }
    const out = await text;
    this.lastScrapeSeconds = (performance.now() - t0) / 1000;
    return out;
  }

  private get s(): Snapshot {
    if (this.snap === null) throw new Error('metrics read outside a scrape');
    return this.snap;
  }

  /** A number from the snapshot's INFO fields (0 when absent; `ok`/`up` read as 1, other words 0). */
  private num(field: string): number {
    const v = this.s.info.get(field);
    if (v === undefined) return 0;
    if (v === 'ok' || v === 'up') return 1;
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }

  /** Registers a gauge or counter family filled by `values()` at each scrape (a bare number: no labels). */
  private given(type: 'gauge' | 'counter', name: string, help: string, values: () => Values | number): void {
    const metric = new GivenMetric(type, name, help, () => {
      const v = values();
      if (typeof v === 'number') return [{ labels: {}, value: v }];
      return v.map(([labels, value]) => ({ labels, value }));
    });
    this.registry.registerMetric(metric as unknown as Gauge);
  }

  private gauge(name: string, help: string, _labelNames: string[], values: () => Values | number): void {
    this.given('gauge', name, help, values);
  }

  private counter(name: string, help: string, _labelNames: string[], values: () => Values | number): void {
    this.given('counter', name, help, values);
  }

  /** The redis_exporter metrics (see module doc), by INFO field. */
  private defineRedisMetrics(): void {
    const gauges: [string, string, string][] = [
      ['uptime_in_seconds', 'redis_uptime_in_seconds', 'Seconds since the server started'],
      ['process_id', 'redis_process_id', 'Process id'],
      ['connected_clients', 'redis_connected_clients', 'Connected clients'],
      ['blocked_clients', 'redis_blocked_clients', 'Clients blocked on a blocking command'],
      ['tracking_clients', 'redis_tracking_clients', 'Clients with client-side caching tracking on'],
      ['maxclients', 'redis_config_maxclients', 'maxclients'],
      ['used_memory', 'redis_memory_used_bytes', 'used_memory (INFO memory)'],
      ['used_memory_rss', 'redis_memory_used_rss_bytes', 'Resident set size of the process'],
      ['used_memory_peak', 'redis_memory_used_peak_bytes', 'Highest used_memory seen'],
      ['used_memory_lua', 'redis_memory_used_lua_bytes', 'Memory of the Lua VM'],
      ['maxmemory', 'redis_memory_max_bytes', 'maxmemory (0: no limit)'],
      ['mem_fragmentation_ratio', 'redis_mem_fragmentation_ratio', 'RSS / used_memory'],
      ['loading', 'redis_loading_dump_file', '1 while the dataset is being loaded'],
      ['rdb_changes_since_last_save', 'redis_rdb_changes_since_last_save', 'Writes since the last save'],
      ['rdb_bgsave_in_progress', 'redis_rdb_bgsave_in_progress', '1 while a BGSAVE runs'],
      ['rdb_last_save_time', 'redis_rdb_last_save_timestamp_seconds', 'Unix time of the last successful save'],
      ['rdb_last_bgsave_status', 'redis_rdb_last_bgsave_status', '1 if the last BGSAVE succeeded'],
      ['rdb_last_bgsave_time_sec', 'redis_rdb_last_bgsave_duration_sec', 'Duration of the last BGSAVE'],
      ['rdb_current_bgsave_time_sec', 'redis_rdb_current_bgsave_duration_sec', 'Duration of the running BGSAVE (-1: none)'],
      ['aof_enabled', 'redis_aof_enabled', '1 when appendonly is on'],
      ['aof_rewrite_in_progress', 'redis_aof_rewrite_in_progress', '1 while an AOF rewrite runs'],
      ['aof_rewrite_scheduled', 'redis_aof_rewrite_scheduled', '1 when an AOF rewrite waits for a BGSAVE'],
      ['aof_last_rewrite_time_sec', 'redis_aof_last_rewrite_duration_sec', 'Duration of the last AOF rewrite'],
      ['aof_last_bgrewrite_status', 'redis_aof_last_bgrewrite_status', '1 if the last AOF rewrite succeeded'],
      ['aof_last_write_status', 'redis_aof_last_write_status', '1 if the last AOF write succeeded'],
      ['aof_current_size', 'redis_aof_current_size_bytes', 'AOF size'],
      ['aof_base_size', 'redis_aof_base_size_bytes', 'AOF size at the last rewrite'],
      ['pubsub_channels', 'redis_pubsub_channels', 'Channels with subscribers'],
      ['pubsub_patterns', 'redis_pubsub_patterns', 'Patterns with subscribers'],
      ['connected_slaves', 'redis_connected_slaves', 'Connected replicas'],
      ['master_repl_offset', 'redis_master_repl_offset', 'Replication offset'],
      ['second_repl_offset', 'redis_second_repl_offset', 'Offset up to which replid2 is valid'],
      ['repl_backlog_active', 'redis_repl_backlog_is_active', '1 when the backlog exists'],
      ['repl_backlog_size', 'redis_replication_backlog_bytes', 'repl-backlog-size'],
      ['repl_backlog_first_byte_offset', 'redis_repl_backlog_first_byte_offset', 'First offset in the backlog'],
      ['repl_backlog_histlen', 'redis_repl_backlog_history_bytes', 'Bytes in the backlog'],
      ['sync_full', 'redis_replica_resyncs_full', 'Full resyncs served'],
      ['sync_partial_ok', 'redis_replica_partial_resync_accepted', 'Partial resyncs accepted'],
      ['sync_partial_err', 'redis_replica_partial_resync_denied', 'Partial resyncs denied'],
      ['lazyfree_pending_objects', 'redis_lazyfree_pending_objects', 'Objects waiting to be freed'],
    ];
    const counters: [string, string, string][] = [
      ['total_connections_received', 'redis_connections_received_total', 'Connections accepted'],
      ['total_commands_processed', 'redis_commands_processed_total', 'Commands processed'],
      ['rejected_connections', 'redis_rejected_connections_total', 'Connections refused (maxclients, protected mode)'],
      ['total_net_input_bytes', 'redis_net_input_bytes_total', 'Bytes read from clients'],
      ['total_net_output_bytes', 'redis_net_output_bytes_total', 'Bytes written to clients'],
      ['expired_keys', 'redis_expired_keys_total', 'Keys expired'],
      ['evicted_keys', 'redis_evicted_keys_total', 'Keys evicted under maxmemory'],
      ['keyspace_hits', 'redis_keyspace_hits_total', 'Key lookups that found the key'],
      ['keyspace_misses', 'redis_keyspace_misses_total', 'Key lookups that did not'],
      ['used_cpu_sys', 'redis_cpu_sys_seconds_total', 'System CPU time of the process'],
      ['used_cpu_user', 'redis_cpu_user_seconds_total', 'User CPU time of the process'],
    ];
    this.gauge('redis_up', 'Whether the server answers (always 1: the server itself serves this page)', [], () => 1);
    this.gauge('redis_start_time_seconds', 'Unix time the server started', [], () => Math.floor(this.server.startTime / 1000));
    for (const [field, name, help] of gauges) this.gauge(name, help, [], () => this.num(field));
    for (const [field, name, help] of counters) this.counter(name, help, [], () => this.num(field));
    this.gauge(
      'redis_instance_info',
      'Information about the instance',
      [
        'role',
        'redis_version',
        'redis_build_id',
        'redis_mode',
        'os',
        'maxmemory_policy',
        'tcp_port',
        'run_id',
        'process_id',
        'master_replid',
      ],
      () => {
        const i = this.s.info;
        const f = (k: string) => i.get(k) ?? '';
        return [
          [
            {
              role: f('role'),
              redis_version: f('redis_version'),
              redis_build_id: f('redis_build_id'),
              redis_mode: f('redis_mode'),
              os: f('os'),
              maxmemory_policy: f('maxmemory_policy'),
              tcp_port: f('tcp_port'),
              run_id: f('run_id'),
              process_id: f('process_id'),
              master_replid: f('master_replid'),
            },
            1,
          ],
        ];
      },
    );
    // Keyspace: every configured db (redis_exporter's --include-metrics-for-empty-databases).
    const perDb = (pick: (d: Snapshot['dbs'][number]) => number) => (): Values => this.s.dbs.map((d) => [{ db: `db${d.id}` }, pick(d)]);
    this.gauge(
      'redis_db_keys',
      'Keys per db',
      ['db'],
      perDb((d) => d.keys),
    );
    this.gauge(
      'redis_db_keys_expiring',
      'Keys with a TTL per db',
      ['db'],
      perDb((d) => d.expires),
    );
    this.gauge(
      'redis_db_avg_ttl_seconds',
      'Average TTL of expiring keys per db',
      ['db'],
      perDb((d) => d.avgTtl / 1000),
    );
    this.gauge(
      'redis_keyspace_keys',
      'Keys per db (= redis_db_keys)',
      ['db'],
      perDb((d) => d.keys),
    );
    this.gauge(
      'redis_keyspace_expiring_keys',
      'Keys with a TTL per db (= redis_db_keys_expiring)',
      ['db'],
      perDb((d) => d.expires),
    );
    // Commandstats.
    const perCmd = (pick: (c: Snapshot['commands'][number]) => number) => (): Values =>
      this.s.commands.map((c) => [{ cmd: c.name }, pick(c)]);
    this.counter(
      'redis_commands_total',
      'Total number of calls per command',
      ['cmd'],
      perCmd((c) => c.calls),
    );
    this.counter(
      'redis_commands_duration_seconds_total',
      'Total amount of time in seconds spent per command',
      ['cmd'],
      perCmd((c) => c.usec / 1e6),
    );
    this.counter(
      'redis_commands_rejected_calls_total',
      'Calls refused before running, per command',
      ['cmd'],
      perCmd((c) => c.rejected),
    );
    this.counter(
      'redis_commands_failed_calls_total',
      'Calls that replied an error, per command',
      ['cmd'],
      perCmd((c) => c.failed),
    );
    this.counter('redis_errors_total', 'Error replies per error prefix', ['err'], () => {
      const out: Values = [];
      for (const [k, v] of this.s.info) {
        if (k.startsWith('errorstat_')) out.push([{ err: k.slice(10) }, Number(parseSubFields(v).get('count') ?? 0)]);
      }
      return out;
    });
    // Latencystats as redis_exporter turns them into a summary: quantile = the percentile as INFO
    // latencystats names it (50, 99, 99.9), sum = commandstats usec, count = calls.
    this.registry.registerMetric(
      new GivenMetric('summary', 'redis_latency_percentiles_usec', 'A summary of latency percentile distribution per command', () => {
        const out: SampleValue[] = [];
        for (const c of this.s.commands) {
          if (c.percentiles.length === 0) continue;
          for (const [p, usec] of c.percentiles) out.push({ labels: { cmd: c.name, quantile: quantileLabel(p) }, value: usec });
          out.push({ metricName: 'redis_latency_percentiles_usec_sum', labels: { cmd: c.name }, value: c.usec });
          out.push({ metricName: 'redis_latency_percentiles_usec_count', labels: { cmd: c.name }, value: c.calls });
        }
        return out;
      }) as unknown as Gauge,
    );
    // The slow log (redis_exporter reads SLOWLOG LEN and SLOWLOG GET 1).
    this.gauge('redis_slowlog_length', 'Total slowlog', [], () => this.s.slowlog.length);
    this.gauge('redis_slowlog_last_id', 'Last id of slowlog', [], () => this.s.slowlog.lastId);
    this.gauge(
      'redis_last_slow_execution_duration_seconds',
      'The amount of time needed for last slow execution, in seconds',
      [],
      () => this.s.slowlog.lastDuration / 1e6,
    );
    // Replicas of this primary (INFO replication slaveN lines) and the link of a replica.
    const replicas = (pick: (m: Map<string, string>) => number) => (): Values => {
      const out: Values = [];
      for (const [k, v] of this.s.info) {
        if (!/^slave\d+$/.test(k)) continue;
        const m = parseSubFields(v);
        out.push([{ slave_ip: m.get('ip') ?? '', slave_port: m.get('port') ?? '', slave_state: m.get('state') ?? '' }, pick(m)]);
      }
      return out;
    };
    const slaveLabels = ['slave_ip', 'slave_port', 'slave_state'];
    this.gauge(
      'redis_connected_slave_offset_bytes',
      'Offset of connected slave',
      slaveLabels,
      replicas((m) => Number(m.get('offset') ?? 0)),
    );
    this.gauge(
      'redis_connected_slave_lag_seconds',
      'Lag of connected slave',
      slaveLabels,
      replicas((m) => Number(m.get('lag') ?? 0)),
    );
    this.gauge('redis_master_link_up', 'Master link status on Redis slave', ['master_host', 'master_port'], () => {
      const i = this.s.info;
      if (i.get('role') !== 'slave') return [];
      return [
        [
          { master_host: i.get('master_host') ?? '', master_port: i.get('master_port') ?? '' },
          i.get('master_link_status') === 'up' ? 1 : 0,
        ],
      ];
    });
  }

  /** keydra_*: the Node runtime and the scrape itself. */
  private defineKeydraMetrics(): void {
    this.registry.registerMetric(
      new GivenMetric(
        'summary',
        'keydra_event_loop_delay_seconds',
        'Event-loop delay (perf_hooks monitorEventLoopDelay): quantiles since the previous scrape; sum and count since the endpoint started',
        () => {
          const w = this.runtime.takeLoopDelay('metrics', LOOP_QUANTILES);
          this.loopSum += w.mean * w.count;
          this.loopCount += w.count;
          const out: SampleValue[] = w.quantiles.map(([q, v]) => ({ labels: { quantile: String(q) }, value: v }));
          out.push({ metricName: 'keydra_event_loop_delay_seconds_sum', labels: {}, value: this.loopSum });
          out.push({ metricName: 'keydra_event_loop_delay_seconds_count', labels: {}, value: this.loopCount });
          return out;
        },
      ) as unknown as Gauge,
    );
    const gc = new Histogram({
      name: 'keydra_gc_pause_seconds',
      help: 'Garbage collection pauses by kind (minor, major, incremental, weakcb)',
      labelNames: ['kind'],
      buckets: GC_BUCKETS,
      registers: [this.registry],
    });
    this.runtime.onGc = (kind, seconds) => gc.observe({ kind }, seconds);
    // One heap read per scrape, shared by the heap gauges.
    let heap: ReturnType<typeof heapStats> | null = null;
    let heapOf: Snapshot | null = null;
    const h = () => {
      if (heap === null || heapOf !== this.s) {
        heap = heapStats();
        heapOf = this.s;
      }
      return heap;
    };
    this.gauge('keydra_v8_heap_used_bytes', 'V8 heap in use', [], () => h().used);
    this.gauge('keydra_v8_heap_total_bytes', 'V8 heap reserved', [], () => h().total);
    this.gauge('keydra_v8_heap_limit_bytes', 'V8 heap size limit', [], () => h().limit);
    this.gauge('keydra_v8_external_memory_bytes', 'Memory outside the V8 heap held by JS objects (Buffers)', [], () => h().external);
    this.gauge('keydra_v8_heap_space_used_bytes', 'V8 heap in use per space', ['space'], () =>
      h().spaces.map((s) => [{ space: s.name }, s.used]),
    );
    this.gauge('keydra_v8_heap_space_size_bytes', 'V8 heap reserved per space', ['space'], () =>
      h().spaces.map((s) => [{ space: s.name }, s.size]),
    );
    this.gauge('keydra_metrics_scrape_duration_seconds', 'Duration of the previous /metrics scrape', [], () => this.lastScrapeSeconds);
    this.counter('keydra_metrics_scrapes_total', 'Scrapes of /metrics served, this one included', [], () => this.scrapes);
  }
}
