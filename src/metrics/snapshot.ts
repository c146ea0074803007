/**
 * What the metrics endpoint and the dashboard read from a server, taken at scrape time: the INFO
 * sections (parsed from the same text INFO replies, so every number equals what INFO says), the
 * per-command stats and latency histograms kept on the Command objects, and the keyspace per db.
 *
 * Nothing here runs on the command path: a snapshot is taken only when someone scrapes /metrics
 * or a dashboard is open, so a server nobody watches pays nothing.
 * Source: Redis 7.0 server.c genRedisInfoString (sections and field names), latency.c
 * (latencySpecificCommandsFillCDF: the histogram buckets), redis_exporter's INFO parsing.
 */
import { genInfoString } from '../commands/server/info.js';
import { slowlogRecent } from '../commands/server/slowlog.js';
import { latencyHistOf } from '../commands/server/latency.js';
import type { Command } from '../server/command.js';
import type { LatencyHistogram } from '../server/histogram.js';
import type { KeydraServer } from '../server/server.js';
import { TYPE_NAMES } from '../store/db.js';

/** One command's stats (INFO commandstats) and latency percentiles (INFO latencystats). */
export interface CommandStat {
  /** Full name as INFO commandstats spells it: `get`, `config|get`. */
  name: string;
  calls: number;
  /** Total microseconds spent (commandstats `usec`). */
  usec: number;
  rejected: number;
  failed: number;
  /** [percentile (0..100), microseconds] for each asked percentile; empty before the first call. */
  percentiles: [number, number][];
}

/** One database's key counts (INFO keyspace; every db, also empty ones). */
export interface DbStat {
  id: number;
  keys: number;
  expires: number;
  /** Average TTL of the expiring keys sampled by active expiry, milliseconds. */
  avgTtl: number;
}

/** A server's state at one instant (see module doc). */
export interface Snapshot {
  /** Unix time of the snapshot, milliseconds. */
  time: number;
  /** Every `field:value` of the INFO sections read (server, clients, memory, persistence, stats, replication, cpu, errorstats). */
  info: Map<string, string>;
  commands: CommandStat[];
  dbs: DbStat[];
  /** The slow log: entries kept, id and duration (µs) of the newest (0 when empty), as SLOWLOG LEN / GET 1. */
  slowlog: { length: number; lastId: number; lastDuration: number };
}

const INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'errorstats'];

/**
 * Takes a snapshot of `server`.
 * @param percentiles the latency percentiles to compute per command (0..100, e.g. 50, 99, 99.9:
 *   `latency-tracking-info-percentiles`).
 */
export function takeSnapshot(server: KeydraServer, percentiles: readonly number[]): Snapshot {
  const info = parseInfo(genInfoString(server, INFO_SECTIONS));
  const commands: CommandStat[] = [];
  for (const cmd of server.commands.all) {
    addCommand(server, commands, cmd, percentiles);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) addCommand(server, commands, sub, percentiles);
  }
  const dbs: DbStat[] = server.keyspace.dbs.map((db) => ({
    id: db.id,
    keys: db.size,
    expires: db.expires.size,
    avgTtl: Math.round(db.avgTtl),
  }));
  const entries = slowlogRecent(server, Number.MAX_SAFE_INTEGER);
  const slowlog = { length: entries.length, lastId: entries[0]?.id ?? 0, lastDuration: entries[0]?.duration ?? 0 };
  return { time: Date.now(), info, commands, dbs, slowlog };
}

/** Adds `cmd` when it has stats (as INFO commandstats lists only commands called at least once). */
function addCommand(server: KeydraServer, out: CommandStat[], cmd: Command, percentiles: readonly number[]): void {
  const st = server.cmdStats;
  if (!st.used(cmd)) return;
  const h = latencyHistOf(server, cmd);
  out.push({
    name: cmd.fullName,
    calls: st.calls(cmd),
    usec: Math.round(st.usec(cmd)),
    rejected: st.rejected(cmd),
    failed: st.failed(cmd),
    percentiles: h === null ? [] : histogramPercentiles(h, percentiles),
  });
}

/**
 * Parses INFO text into its fields (`# Section` headers and blank lines skipped). A field name
 * seen twice keeps its last value.
 */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** `a=1,b=x` (INFO's sub-fields: `slave0:ip=...,port=...`, `errorstat_ERR:count=3`) as a map. */
export function parseSubFields(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

/**
 * Latency percentiles of one command histogram, as INFO latencystats reports them (the
 * HdrHistogram-layout LatencyHistogram of src/server/histogram.ts, 2 significant digits).
 * @returns [percentile, microseconds] pairs, in the order asked; empty without calls.
 */
export function histogramPercentiles(h: LatencyHistogram, percentiles: readonly number[]): [number, number][] {
  if (h.total === 0) return [];
  return percentiles.map((p) => [p, Math.round(h.valueAtPercentile(p)) / 1000]);
}

/** Keys per type in one db (keyspace per type on the dashboard). */
export interface DbTypes {
  id: number;
  /** Type name (`string`, `list`, `set`, `zset`, `hash`, `stream`) → keys. */
  types: Record<string, number>;
  /** True when counted from a sample of the db's keys and scaled to its size. */
  estimated: boolean;
}

/**
 * Counts keys per type in every non-empty db, walking at most `budget` keys in all: a db with
 * more keys than its share is sampled (its first keys in insertion order) and the counts scaled
 * to its size, so the cost of a dashboard refresh is bounded whatever the dataset.
 */
export function keyTypes(server: KeydraServer, budget = 20000): DbTypes[] {
  const nonEmpty = server.keyspace.dbs.filter((db) => db.size > 0);
  const out: DbTypes[] = [];
  const share = Math.max(100, Math.floor(budget / Math.max(1, nonEmpty.length)));
  for (const db of nonEmpty) {
    const counts = new Array<number>(TYPE_NAMES.length).fill(0);
    let seen = 0;
    for (const o of db.table.values()) {
      counts[o.type]++;
      if (++seen >= share) break;
    }
    const scale = db.size / seen;
    const types: Record<string, number> = {};
    for (let t = 0; t < counts.length; t++) if (counts[t] > 0) types[TYPE_NAMES[t]] = Math.round(counts[t] * scale);
    out.push({ id: db.id, types, estimated: seen < db.size });
  }
  return out;
}
