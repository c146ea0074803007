/**
 * MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP, answering from the eviction
 * module's accounting (src/evict/). Also contributes Redis's INFO memory fields.
 * Source: Redis 7.0 object.c (memoryCommand, getMemoryOverheadData).
 */
import { clientMemoryUsage } from '../../server/clientEviction.js';
import { ERR_SYNTAX } from '../../errors.js';
import { estimateKeyBytes, evictorOf } from '../../evict/index.js';
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import { parseIntOrReply } from '../args.js';
import { addInfoContributor, bytesToHuman } from '../server/info.js';
import type { CommandDef } from '../types.js';

const HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/** MEMORY USAGE key [SAMPLES n]: estimated bytes of the key, or nil when missing. */
function memoryUsageCommand(c: Client, argv: string[]): void {
  let samples = 5;
  for (let i = 3; i < argv.length; i++) {
    if (argv[i].toLowerCase() === 'samples' && i + 1 < argv.length) {
      const n = parseIntOrReply(c, argv[++i]);
      if (n === null) return;
      samples = n < 0 ? 5 : n;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const o = c.db.peek(argv[2]);
  if (o === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.integer(estimateKeyBytes(argv[2], o, samples));
}

/**
 * The memory figures MEMORY STATS and INFO memory share, in bytes: used (used_memory), startup (the
 * server's footprint with no data), dataset (used - startup), and V8's heap as the allocator:
 * allocated = heap used, active = heap reserved, resident = the process RSS (no allocator-level
 * resident figure exists apart from it).
 */
function memoryFigures(server: KeydraServer) {
  const used = evictorOf(server).usedMemory('exact');
  const mu = process.memoryUsage();
  const startup = 1024 * 1024;
  return {
    used,
    startup,
    dataset: Math.max(0, used - startup),
    allocated: mu.heapUsed,
    active: mu.heapTotal,
    resident: mu.rss,
    rss: mu.rss,
  };
}

/** MEMORY STATS: Redis 7.0's fields (a map: name → integer, double, or a map per non-empty db). */
function memoryStatsCommand(c: Client, _argv: string[]): void {
  const server = c.server;
  const ev = evictorOf(server);
  const { used, startup, dataset, allocated, active, resident, rss } = memoryFigures(server);
  const mu = { rss };
  const keys = server.keyspace.totalKeys;
  const dbs = server.keyspace.dbs.filter((d) => d.size > 0);
  const fields: [string, number | string][] = [
    ['peak.allocated', ev.peak],
    ['total.allocated', used],
    ['startup.allocated', startup],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', 0],
    ['cluster.links', 0],
    ['aof.buffer', 0],
    ['lua.caches', 0],
    ['functions.caches', 0],
  ];
  // The same 27 fields (plus one map per non-empty db) as Redis 7.0's MEMORY STATS (object.c),
  // in its order, from V8's heap figures: allocated = heap used, active = heap reserved,
  // resident = the process RSS (no allocator-level resident figure exists apart from it).
  const tail: [string, number, boolean][] = [
    ['overhead.total', startup, false],
    ['keys.count', keys, false],
    ['keys.bytes-per-key', keys > 0 ? Math.floor(dataset / keys) : 0, false],
    ['dataset.bytes', dataset, false],
    ['dataset.percentage', (dataset / Math.max(1, used)) * 100, true],
    ['peak.percentage', (used / Math.max(1, ev.peak)) * 100, true],
    ['allocator.allocated', allocated, false],
    ['allocator.active', active, false],
    ['allocator.resident', resident, false],
    ['allocator-fragmentation.ratio', active / Math.max(1, allocated), true],
    ['allocator-fragmentation.bytes', active - allocated, false],
    ['allocator-rss.ratio', resident / Math.max(1, active), true],
    ['allocator-rss.bytes', resident - active, false],
    ['rss-overhead.ratio', mu.rss / Math.max(1, resident), true],
    ['rss-overhead.bytes', mu.rss - resident, false],
    ['fragmentation', mu.rss / Math.max(1, used), true],
    ['fragmentation.bytes', mu.rss - used, false],
  ];
  c.reply.mapLen(fields.length + dbs.length + tail.length);
  for (const [k, v] of fields) {
    c.reply.bulk(k);
    c.reply.integer(v as number);
  }
  for (const db of dbs) {
    c.reply.bulk(`db.${db.id}`);
    c.reply.mapLen(3);
    c.reply.bulk('overhead.hashtable.main');
    c.reply.integer(db.tableBytes);
    c.reply.bulk('overhead.hashtable.expires');
    c.reply.integer(db.expireBytes);
    c.reply.bulk('overhead.hashtable.slot-to-keys');
    c.reply.integer(0);
  }
  for (const [k, v, dbl] of tail) {
    c.reply.bulk(k);
    if (dbl) c.reply.double(v);
    else c.reply.integer(v);
  }
}

function memoryDoctorCommand(c: Client, _argv: string[]): void {
  c.reply.verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.", 'txt');
}

function memoryPurgeCommand(c: Client, _argv: string[]): void {
  c.reply.ok();
}

function memoryMallocStatsCommand(c: Client, _argv: string[]): void {
  c.reply.verbatim('Stats not supported for the current allocator', 'txt');
}

function memoryHelpCommand(c: Client, _argv: string[]): void {
  c.reply.arrayLen(HELP.length);
  for (const l of HELP) c.reply.simple(l);
}

/** INFO memory fields from the eviction accounting (replace info.ts's heap-based defaults). */
function memoryInfo(server: KeydraServer): string[] {
  const ev = evictorOf(server);
  const { used, startup, dataset, allocated, active, resident, rss } = memoryFigures(server);
  const pct = (a: number, b: number) => `${((a / Math.max(1, b)) * 100).toFixed(2)}%`;
  const ratio = (a: number, b: number) => (a / Math.max(1, b)).toFixed(2);
  // Redis stat_clients_type_memory of master, pubsub and normal clients, each client's
  // getClientMemoryUsage (src/server/clientEviction.ts), here computed fresh.
  let clientsNormal = 0;
  let clientsReplicas = 0;
  for (const c of server.clients.values()) {
    if (c.type !== 'replica') clientsNormal += clientMemoryUsage(c);
    else if (c.conn !== null) clientsReplicas += clientMemoryUsage(c);
  }
  const notCounted = server.notCountedMemory();
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${bytesToHuman(rss)}`,
    `used_memory_peak:${ev.peak}`,
    `used_memory_peak_human:${bytesToHuman(ev.peak)}`,
    `used_memory_peak_perc:${pct(used, ev.peak)}`,
    `used_memory_overhead:${startup}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${pct(dataset, used)}`,
    `allocator_allocated:${allocated}`,
    `allocator_active:${active}`,
    `allocator_resident:${resident}`,
    `allocator_frag_ratio:${ratio(active, allocated)}`,
    `allocator_frag_bytes:${active - allocated}`,
    `allocator_rss_ratio:${ratio(resident, active)}`,
    `allocator_rss_bytes:${resident - active}`,
    'rss_overhead_ratio:1.00',
    'rss_overhead_bytes:0',
    `mem_fragmentation_ratio:${ratio(rss, used)}`,
    `mem_fragmentation_bytes:${rss - used}`,
    `mem_not_counted_for_evict:${notCounted}`,
    'mem_replication_backlog:0',
    'mem_total_replication_buffers:0',
    `mem_clients_slaves:${clientsReplicas}`,
    `mem_clients_normal:${clientsNormal}`,
    'mem_cluster_links:0',
    'mem_aof_buffer:0',
    'active_defrag_running:0',
  ];
}
addInfoContributor('memory', memoryInfo);

const defs: CommandDef[] = [
  {
    name: 'memory',
    subcommands: [
      { name: 'usage', handler: memoryUsageCommand },
      { name: 'stats', handler: memoryStatsCommand },
      { name: 'doctor', handler: memoryDoctorCommand },
      { name: 'purge', handler: memoryPurgeCommand },
      { name: 'malloc-stats', handler: memoryMallocStatsCommand },
      { name: 'help', handler: memoryHelpCommand },
    ],
  },
];
export default defs;
