import { migrateCachedSockets } from '../migrate/migrate.js';
import { freemem, totalmem } from 'node:os';
import type { Client } from '../../server/client.js';
import { KEYDRA_VERSION, type KeydraServer, REDIS_VERSION } from '../../server/server.js';
import { commands } from '../table.js';
import { getPersistence, persistenceInfo } from '../../persistence/index.js';
import { lazyfreeOf } from '../keys/lazyfree.js';
import { trackingInfo } from '../../server/tracking.js';
import { latencyStatsInfo } from './latency.js';

/**
 * Extra fields other modules contribute to a section (persistence, replication, eviction):
 * section name → function returning `field:value` lines. A contributed field replaces the
 * built-in field of the same name.
 */
export const infoContributors = new Map<string, ((server: KeydraServer) => string[])[]>();

/** Registers extra INFO lines for a section (see infoContributors). */
export function addInfoContributor(section: string, f: (server: KeydraServer) => string[]): void {
  const l = infoContributors.get(section) ?? [];
  l.push(f);
  infoContributors.set(section, l);
}

// INFO persistence comes from the persistence module (which does not import the commands).
addInfoContributor('persistence', (s) => persistenceInfo(s).trimEnd().split('\r\n'));

const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'errorstats',
  'cluster',
  'keyspace',
];
/** Section order of INFO everything (Redis 7.0). */
const ORDER = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
];
const TITLES: Record<string, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  commandstats: 'Commandstats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

const runId = Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

/** Formats bytes as Redis's bytesToHuman (`1.32M`, `200B`). */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

let peakMemory = 0;

function sectionLines(server: KeydraServer, name: string): string[] {
  const cfg = server.config;
  const now = Date.now();
  const uptime = Math.floor((now - server.startTime) / 1000);
  switch (name) {
    case 'server':
      return [
        `redis_version:${REDIS_VERSION}`,
        `keydra_version:${KEYDRA_VERSION}`,
        'redis_git_sha1:00000000',
        'redis_git_dirty:0',
        'redis_build_id:0',
        `redis_mode:${server.cluster !== null ? 'cluster' : 'standalone'}`,
        `os:${process.platform} ${process.arch}`,
        'arch_bits:64',
        'monotonic_clock:POSIX clock_gettime',
        'multiplexing_api:libuv',
        'atomicvar_api:c11-builtin',
        `gcc_version:0.0.0`,
        `node_version:${process.version}`,
        `process_id:${process.pid}`,
        'process_supervised:no',
        `run_id:${runId}`,
        `tcp_port:${server.port}`,
        `server_time_usec:${now * 1000}`,
        `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86400)}`,
        `hz:${cfg.num('hz')}`,
        `configured_hz:${cfg.num('hz')}`,
        `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
        `executable:${process.argv[1] ?? ''}`,
        `config_file:${cfg.file}`,
        'io_threads_active:0',
      ];
    case 'clients':
      return [
        // Replicas are not counted (Redis: listLength(server.clients) - listLength(server.slaves)).
        `connected_clients:${server.clients.size - server.replication.primary.replicas.length}`,
        `cluster_connections:${server.cluster !== null ? (server.cluster.state.nodes.size - 1) * 2 : 0}`,
        `maxclients:${cfg.num('maxclients')}`,
        'client_recent_max_input_buffer:0',
        'client_recent_max_output_buffer:0',
        `blocked_clients:${server.blockedClients}`,
        `tracking_clients:${trackingInfo(server).clients}`,
        `clients_in_timeout_table:${server.blockedClients}`,
      ];
    case 'memory': {
      const mu = process.memoryUsage();
      const used = mu.heapUsed + mu.external;
      if (used > peakMemory) peakMemory = used;
      const maxmemory = cfg.num('maxmemory');
      return [
        `used_memory:${used}`,
        `used_memory_human:${bytesToHuman(used)}`,
        `used_memory_rss:${mu.rss}`,
        `used_memory_rss_human:${bytesToHuman(mu.rss)}`,
        `used_memory_peak:${peakMemory}`,
        `used_memory_peak_human:${bytesToHuman(peakMemory)}`,
        `used_memory_peak_perc:${((used / peakMemory) * 100).toFixed(2)}%`,
        `total_system_memory:${totalmem()}`,
        `total_system_memory_human:${bytesToHuman(totalmem())}`,
        `free_system_memory:${freemem()}`,
        `maxmemory:${maxmemory}`,
        `maxmemory_human:${bytesToHuman(maxmemory)}`,
        `maxmemory_policy:${cfg.str('maxmemory-policy')}`,
        `mem_fragmentation_ratio:${(mu.rss / Math.max(1, used)).toFixed(2)}`,
        'mem_allocator:v8',
        `lazyfree_pending_objects:${lazyfreeOf(server).pending}`,
        `lazyfreed_objects:${lazyfreeOf(server).freed}`,
      ];
    }
    case 'persistence':
      return [
        `loading:${server.loading ? 1 : 0}`,
        'async_loading:0',
        `rdb_changes_since_last_save:${server.dirty}`,
        'rdb_bgsave_in_progress:0',
        'rdb_last_bgsave_status:ok',
        `aof_enabled:${cfg.bool('appendonly') ? 1 : 0}`,
        'aof_rewrite_in_progress:0',
        'aof_rewrite_scheduled:0',
        'aof_last_bgrewrite_status:ok',
        'aof_last_write_status:ok',
      ];
    case 'stats': {
      const st = server.stats;
      const ks = server.keyspace.stats;
      const tracking = trackingInfo(server);
      return [
        `total_connections_received:${st.total_connections_received}`,
        `total_commands_processed:${st.total_commands_processed}`,
        'instantaneous_ops_per_sec:0',
        `total_net_input_bytes:${st.total_net_input_bytes}`,
        `total_net_output_bytes:${st.total_net_output_bytes}`,
        `total_net_repl_input_bytes:${st.total_net_repl_input_bytes}`,
        `total_net_repl_output_bytes:${st.total_net_repl_output_bytes}`,
        'instantaneous_input_kbps:0.00',
        'instantaneous_output_kbps:0.00',
        'instantaneous_input_repl_kbps:0.00',
        'instantaneous_output_repl_kbps:0.00',
        `rejected_connections:${st.rejected_connections}`,
        `sync_full:${server.replication.primary.stats.syncFull}`,
        `sync_partial_ok:${server.replication.primary.stats.syncPartialOk}`,
        `sync_partial_err:${server.replication.primary.stats.syncPartialErr}`,
        `expired_keys:${ks.expired_keys}`,
        'expired_stale_perc:0.00',
        'expired_time_cap_reached_count:0',
        'expire_cycle_cpu_milliseconds:0',
        `evicted_keys:${ks.evicted_keys}`,
        `evicted_clients:${st.evicted_clients}`,
        'total_eviction_exceeded_time:0',
        'current_eviction_exceeded_time:0',
        `keyspace_hits:${ks.keyspace_hits}`,
        `keyspace_misses:${ks.keyspace_misses}`,
        `pubsub_channels:${server.pubsub.channels.size}`,
        `pubsub_patterns:${server.pubsub.patterns.size}`,
        `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
        `latest_fork_usec:${getPersistence(server).forks.latestUsec}`,
        `total_forks:${getPersistence(server).forks.total}`,
        `migrate_cached_sockets:${migrateCachedSockets(server)}`,
        'slave_expires_tracked_keys:0',
        'active_defrag_hits:0',
        'active_defrag_misses:0',
        'active_defrag_key_hits:0',
        'active_defrag_key_misses:0',
        'total_active_defrag_time:0',
        'current_active_defrag_time:0',
        `tracking_total_keys:${tracking.keys}`,
        `tracking_total_items:${tracking.items}`,
        `tracking_total_prefixes:${tracking.prefixes}`,
        `unexpected_error_replies:${st.unexpected_error_replies}`,
        `total_error_replies:${st.total_error_replies}`,
        'dump_payload_sanitizations:0',
        `total_reads_processed:${st.total_reads_processed}`,
        `total_writes_processed:${st.total_writes_processed}`,
        'io_threaded_reads_processed:0',
        'io_threaded_writes_processed:0',
        'reply_buffer_shrinks:0',
        'reply_buffer_expands:0',
      ];
    }
    case 'replication':
      return server.replication.info();
    case 'cpu': {
      const u = process.cpuUsage();
      return [
        `used_cpu_sys:${(u.system / 1e6).toFixed(6)}`,
        `used_cpu_user:${(u.user / 1e6).toFixed(6)}`,
        'used_cpu_sys_children:0.000000',
        'used_cpu_user_children:0.000000',
        `used_cpu_sys_main_thread:${(u.system / 1e6).toFixed(6)}`,
        `used_cpu_user_main_thread:${(u.user / 1e6).toFixed(6)}`,
      ];
    }
    case 'modules':
      return [];
    case 'latencystats':
      return latencyStatsInfo(server);
    case 'errorstats':
      return [...server.stats.errors].map(([k, n]) => `errorstat_${k}:count=${n}`);
    case 'commandstats': {
      const out: string[] = [];
      for (const cmd of commands) {
        const all = cmd.subcommands ? [cmd, ...cmd.subcommands.values()] : [cmd];
        for (const x of all) {
          const st = server.cmdStats;
          if (!st.used(x)) continue;
          const calls = st.calls(x);
          const usec = Math.round(st.usec(x));
          const per = calls === 0 ? 0 : st.usec(x) / calls;
          out.push(
            `cmdstat_${x.fullName}:calls=${calls},usec=${usec},usec_per_call=${per.toFixed(2)},rejected_calls=${st.rejected(x)},failed_calls=${st.failed(x)}`,
          );
        }
      }
      return out;
    }
    case 'cluster':
      return [`cluster_enabled:${server.cluster !== null ? 1 : 0}`];
    case 'keyspace': {
      const out: string[] = [];
      for (const db of server.keyspace.dbs) {
        if (db.size === 0) continue;
        out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.round(db.avgTtl)}`);
      }
      return out;
    }
  }
  return [];
}

/**
 * Redis 7.0's field order in sections that several modules contribute to (server.c
 * genRedisInfoString); fields not listed (Keydra's own) follow in the order they came.
 */
const FIELD_ORDER: Record<string, Map<string, number>> = {
  persistence: new Map(
    [
      'loading',
      'async_loading',
      'current_cow_peak',
      'current_cow_size',
      'current_cow_size_age',
      'current_fork_perc',
      'current_save_keys_processed',
      'current_save_keys_total',
      'rdb_changes_since_last_save',
      'rdb_bgsave_in_progress',
      'rdb_last_save_time',
      'rdb_last_bgsave_status',
      'rdb_last_bgsave_time_sec',
      'rdb_current_bgsave_time_sec',
      'rdb_saves',
      'rdb_last_cow_size',
      'rdb_last_load_keys_expired',
      'rdb_last_load_keys_loaded',
      'aof_enabled',
      'aof_rewrite_in_progress',
      'aof_rewrite_scheduled',
      'aof_last_rewrite_time_sec',
      'aof_current_rewrite_time_sec',
      'aof_last_bgrewrite_status',
      'aof_rewrites',
      'aof_rewrites_consecutive_failures',
      'aof_last_write_status',
      'aof_last_cow_size',
      'module_fork_in_progress',
      'module_fork_last_cow_size',
      'aof_current_size',
      'aof_base_size',
      'aof_pending_rewrite',
      'aof_buffer_length',
      'aof_pending_bio_fsync',
      'aof_delayed_fsync',
      'loading_start_time',
      'loading_total_bytes',
      'loading_rdb_used_mem',
      'loading_loaded_bytes',
      'loading_loaded_perc',
      'loading_eta_seconds',
    ].map((f, i) => [f, i]),
  ),
  memory: new Map(
    [
      'used_memory',
      'used_memory_human',
      'used_memory_rss',
      'used_memory_rss_human',
      'used_memory_peak',
      'used_memory_peak_human',
      'used_memory_peak_perc',
      'used_memory_overhead',
      'used_memory_startup',
      'used_memory_dataset',
      'used_memory_dataset_perc',
      'allocator_allocated',
      'allocator_active',
      'allocator_resident',
      'total_system_memory',
      'total_system_memory_human',
      'used_memory_lua',
      'used_memory_vm_eval',
      'used_memory_lua_human',
      'used_memory_scripts_eval',
      'number_of_cached_scripts',
      'number_of_functions',
      'number_of_libraries',
      'used_memory_vm_functions',
      'used_memory_vm_total',
      'used_memory_vm_total_human',
      'used_memory_functions',
      'used_memory_scripts',
      'used_memory_scripts_human',
      'maxmemory',
      'maxmemory_human',
      'maxmemory_policy',
      'allocator_frag_ratio',
      'allocator_frag_bytes',
      'allocator_rss_ratio',
      'allocator_rss_bytes',
      'rss_overhead_ratio',
      'rss_overhead_bytes',
      'mem_fragmentation_ratio',
      'mem_fragmentation_bytes',
      'mem_not_counted_for_evict',
      'mem_replication_backlog',
      'mem_total_replication_buffers',
      'mem_clients_slaves',
      'mem_clients_normal',
      'mem_cluster_links',
      'mem_aof_buffer',
      'mem_allocator',
      'active_defrag_running',
      'lazyfree_pending_objects',
      'lazyfreed_objects',
    ].map((f, i) => [f, i]),
  ),
};

/**
 * Merges contributed lines over built-in ones (same field name replaces, new ones append), then
 * puts the section's fields in Redis's order where FIELD_ORDER gives it.
 */
function withContributions(server: KeydraServer, name: string, lines: string[]): string[] {
  const extra = infoContributors.get(name);
  const out = lines.slice();
  for (const f of extra ?? []) {
    for (const line of f(server)) {
      const field = line.slice(0, line.indexOf(':') + 1);
      const i = field ? out.findIndex((l) => l.startsWith(field)) : -1;
      if (i >= 0) out[i] = line;
      else out.push(line);
    }
  }
  const order = FIELD_ORDER[name];
  if (order === undefined) return out;
  const rank = (l: string) => order.get(l.slice(0, l.indexOf(':'))) ?? order.size;
  return out
    .map((l, i) => [rank(l), i, l] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map((x) => x[2]);
}

/**
 * Builds the INFO text for the requested sections (lowercase names; empty = default), with
 * CRLF line ends and a blank line between sections, as Redis replies.
 */
export function genInfoString(server: KeydraServer, requested: string[]): string {
  const want = new Set<string>();
  if (requested.length === 0) for (const s of DEFAULT_SECTIONS) want.add(s);
  for (const r of requested) {
    if (r === 'default') for (const s of DEFAULT_SECTIONS) want.add(s);
    else if (r === 'all' || r === 'everything') {
      for (const s of ORDER) want.add(s);
    } else want.add(r);
  }
  let out = '';
  for (const s of ORDER) {
    if (!want.has(s)) continue;
    if (out !== '') out += '\r\n';
    out += `# ${TITLES[s]}\r\n`;
    for (const l of withContributions(server, s, sectionLines(server, s))) out += `${l}\r\n`;
  }
  return out;
}

/** INFO [section ...] (Redis docs: INFO). Always a verbatim string (bulk in RESP2). */
function infoCommand(c: Client, argv: string[]): void {
  const req = argv.slice(1).map((s) => s.toLowerCase());
  c.reply.verbatim(genInfoString(c.server, req));
}

export const infoDef = { name: 'info', handler: infoCommand };
