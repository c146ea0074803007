/**
 * Latency monitor: LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR/HISTOGRAM/HELP and the samples behind
 * them (events over latency-monitor-threshold ms, one sample per second, 160 kept per event), plus
 * the per-command latency histograms of LATENCY HISTOGRAM.
 * Source: Redis 7.0 latency.c (latencyAddSample, latencyCommand, createLatencyReport,
 * latencySpecificCommandsFillCDF), server.c call(). Histogram buckets are those an HdrHistogram
 * (1 ns..1 s, 2 significant digits) log iterator from 1024 ns by factor 2 reports in Redis.
 */
import { onExpireCycle } from '../../expire/activeExpire.js';
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import { commands, lookupByFullName, type Command } from '../table.js';
import type { CommandDef } from '../types.js';
import { replyHelp } from '../../protocol/respTree.js';
import { LatencyHistogram } from '../../server/histogram.js';

/** Redis LATENCY_TS_LEN: samples kept per event. */
const TS_LEN = 160;
/** LATENCY HISTOGRAM buckets (1024 ns · 2^k, k < 21 reaches 1 s). */
const BUCKETS = 21;

interface Sample {
  /** Unix seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

/** One event's series (Redis latencyTimeSeries). */
interface Series {
  samples: Sample[];
  /** All-time maximum, ms. */
  max: number;
}

/** Per-server latency state: event series, threshold (ms) and command histograms. */
export class LatencyState {
  readonly events = new Map<string, Series>();
  threshold: number;
  /** latency-tracking. */
  tracking = true;
  /** latency-tracking-info-percentiles: the percentiles INFO latencystats reports. */
  infoPercentiles: number[] = [50, 99, 99.9];
  /** Per-command latency histograms of this server, by Command.statIdx / 4 (null before a call). */
  hists: (LatencyHistogram | null)[] = [];
  constructor(server: KeydraServer) {
    this.threshold = server.config.num('latency-monitor-threshold');
    server.config.onChange('latency-monitor-threshold', (v) => {
      this.threshold = v as number;
    });
    const cfg = server.config;
    const sync = (): void => {
      this.tracking = cfg.bool('latency-tracking');
      this.infoPercentiles = cfg.list('latency-tracking-info-percentiles').map(Number);
    };
    sync();
    cfg.onChange('latency-tracking', sync);
    cfg.onChange('latency-tracking-info-percentiles', sync);
  }
}

/** Records one call of `cmd` lasting `usec` µs in the server's histogram of the command. */
export function latencyRecord(server: KeydraServer, cmd: Command, usec: number): void {
  latencyRecordIn(latencyStateOf(server), cmd, usec);
}

/** latencyRecord with the server's latency state at hand (the dispatcher's after-call hook). */
export function latencyRecordIn(st: LatencyState, cmd: Command, usec: number): void {
  if (!st.tracking) return;
  const i = cmd.statIdx >> 2;
  let h = st.hists[i];
  if (h === undefined || h === null) {
    h = new LatencyHistogram();
    st.hists[i] = h;
  }
  h.record(usec * 1000);
}

/** The server's latency histogram of `cmd`, or null before its first call. */
export function latencyHistOf(server: KeydraServer, cmd: Command): LatencyHistogram | null {
  return latencyStateOf(server).hists[cmd.statIdx >> 2] ?? null;
}

/** LATENCY HISTOGRAM's bucket of a value: smallest k with ns <= bucketTop(k) = 1032·2^k - 1. */
function cdfBucket(ns: number): number {
  const q = Math.ceil((Math.max(1, ns) + 1) / 1032);
  const k = 32 - Math.clz32(q - 1);
  return k < BUCKETS ? k : BUCKETS - 1;
}

/**
 * INFO latencystats: `latency_percentiles_usec_<command>:p50=...,p99=...,p99.9=...` for every
 * command with a histogram, values in µs with 3 decimals (Redis fillPercentileDistributionLatencies);
 * empty while latency-tracking is off.
 */
export function latencyStatsInfo(server: KeydraServer): string[] {
  const st = latencyStateOf(server);
  if (!st.tracking) return [];
  const out: string[] = [];
  const line = (cmd: Command): void => {
    const h = st.hists[cmd.statIdx >> 2] ?? null;
    if (h === null) return;
    const parts = st.infoPercentiles.map((p) => `p${trimDouble(p)}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`);
    out.push(`latency_percentiles_usec_${cmd.fullName}:${parts.join(',')}`);
  };
  for (const cmd of commands) {
    line(cmd);
    if (cmd.subcommands) for (const s of cmd.subcommands.values()) line(s);
  }
  return out;
}

/** printf("%f") then trailing zeros and dot removed (Redis trimDoubleString): 50 → "50", 99.9 → "99.9". */
function trimDouble(d: number): string {
  return d.toFixed(6).replace(/\.?0+$/, '');
}

/** Drops every command's histogram of the server (CONFIG RESETSTAT). */
export function latencyResetHistograms(server: KeydraServer): void {
  latencyStateOf(server).hists = [];
}

/**
 * Highest value (ns) HdrHistogram (2 significant digits) treats as equal to 1024·2^k: the
 * sub-bucket step at that magnitude is 2^(k+3).
 */
function bucketTop(k: number): number {
  return 1024 * 2 ** k + 2 ** (k + 3) - 1;
}

const states = new WeakMap<KeydraServer, LatencyState>();
let lastServer: KeydraServer | null = null;
let lastState: LatencyState | null = null;

/** The server's latency state, created on first use. */
export function latencyStateOf(server: KeydraServer): LatencyState {
  if (server === lastServer && lastState !== null) return lastState;
  let s = states.get(server);
  if (s === undefined) {
    s = new LatencyState(server);
    states.set(server, s);
  }
  lastServer = server;
  lastState = s;
  return s;
}

/**
 * Redis latencyAddSampleIfNeeded: records `ms` (a duration in ms, fractional allowed; stored
 * truncated) for `event` when latency-monitor-threshold is set and reached.
 */
export function latencyAddSampleIfNeeded(server: KeydraServer, event: string, ms: number): void {
  const st = latencyStateOf(server);
  if (st.threshold > 0 && ms >= st.threshold) latencyAddSample(st, event, Math.floor(ms));
}

onExpireCycle((server, ms) => latencyAddSampleIfNeeded(server as KeydraServer, 'expire-cycle', ms));

/** Adds a sample for `event` (ms); samples of the same second keep the larger (Redis latencyAddSample). */
export function latencyAddSample(st: LatencyState, event: string, ms: number): void {
  const now = Math.floor(Date.now() / 1000);
  let s = st.events.get(event);
  if (s === undefined) {
    s = { samples: [], max: 0 };
    st.events.set(event, s);
  }
  if (ms > s.max) s.max = ms;
  const last = s.samples[s.samples.length - 1];
  if (last !== undefined && last.time === now) {
    if (ms > last.latency) last.latency = ms;
    return;
  }
  s.samples.push({ time: now, latency: ms });
  if (s.samples.length > TS_LEN) s.samples.shift();
}

/** LATENCY LATEST: [event, time, latest ms, max ms] per event. */
function latestCommand(c: Client): void {
  const st = latencyStateOf(c.server);
  c.reply.arrayLen(st.events.size);
  for (const [name, s] of st.events) {
    const last = s.samples[s.samples.length - 1];
    c.reply.arrayLen(4);
    c.reply.bulk(name);
    c.reply.integer(last.time);
    c.reply.integer(last.latency);
    c.reply.integer(s.max);
  }
}

/** LATENCY HISTORY event: [time, ms] pairs, oldest first; empty for an unknown event. */
function historyCommand(c: Client, argv: string[]): void {
  const s = latencyStateOf(c.server).events.get(argv[2]);
  if (s === undefined) {
    c.reply.arrayLen(0);
    return;
  }
  c.reply.arrayLen(s.samples.length);
  for (const x of s.samples) {
    c.reply.arrayLen(2);
    c.reply.integer(x.time);
    c.reply.integer(x.latency);
  }
}

/** LATENCY RESET [event ...]: number of event series removed. */
function resetCommand(c: Client, argv: string[]): void {
  const st = latencyStateOf(c.server);
  let n = 0;
  if (argv.length === 2) {
    n = st.events.size;
    st.events.clear();
  } else {
    for (let i = 2; i < argv.length; i++) if (st.events.delete(argv[i])) n++;
  }
  c.reply.integer(n);
}

/** LATENCY GRAPH event: Redis's sparkline of the samples (latencyCommandGenSparkeline). */
function graphCommand(c: Client, argv: string[]): void {
  const s = latencyStateOf(c.server).events.get(argv[2]);
  if (s === undefined) {
    c.error(`ERR No samples available for event '${argv[2]}'`);
    return;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const x of s.samples) {
    if (x.latency < min) min = x.latency;
    if (x.latency > max) max = x.latency;
  }
  const header = `${argv[2]} - high ${max} ms, low ${min} ms (all time high ${s.max} ms)\n${'-'.repeat(80)}\n`;
  c.reply.verbatim(header + sparkline(s.samples, min, max, Math.floor(Date.now() / 1000)));
}

/**
 * Redis sparkline.c with fill (4 rows, charset "_o#", `|` below the mark), then a blank row and
 * the samples' ages ("<n>s", "<n>m", "<n>h") written vertically.
 */
function sparkline(samples: Sample[], min: number, max: number, now: number): string {
  const rows = 4;
  const charset = '_o#';
  const steps = charset.length * rows;
  const relmax = max - min === 0 ? 1 : max - min;
  const out: string[] = [];
  for (let row = 0; row < rows; row++) {
    let line = '';
    for (const x of samples) {
      let step = Math.trunc(((x.latency - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      const idx = step - (rows - row - 1) * charset.length;
      if (idx >= 0 && idx < charset.length) line += charset[idx];
      else if (idx >= charset.length) line += '|';
      else line += ' ';
    }
    out.push(line);
  }
  out.push(' '.repeat(samples.length));
  const labels = samples.map((x) => {
    const ago = now - x.time;
    if (ago < 60) return `${ago}s`;
    if (ago < 3600) return `${Math.floor(ago / 60)}m`;
    return `${Math.floor(ago / 3600)}h`;
  });
  const height = Math.max(0, ...labels.map((l) => l.length));
  for (let r = 0; r < height; r++) {
    let line = '';
    for (const l of labels) line += l[r] ?? ' ';
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/** LATENCY DOCTOR: Redis's report (createLatencyReport), reduced to the spike summary per event. */
function doctorCommand(c: Client): void {
  const st = latencyStateOf(c.server);
  if (st.threshold === 0) {
    c.reply.verbatim(
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n",
    );
    return;
  }
  if (st.events.size === 0) {
    c.reply.verbatim(
      'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n',
    );
    return;
  }
  let report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
  let i = 1;
  const now = Math.floor(Date.now() / 1000);
  let commandEvent = false;
  for (const [name, s] of st.events) {
    const n = s.samples.length;
    const avg = Math.floor(s.samples.reduce((a, x) => a + x.latency, 0) / n);
    const mad = Math.floor(s.samples.reduce((a, x) => a + Math.abs(x.latency - avg), 0) / n);
    const period = (now - s.samples[0].time) / n;
    report += `${i++}. ${name}: ${n} latency spikes (average ${avg}ms, mean deviation ${mad}ms, period ${period.toFixed(2)} sec). Worst all time event ${s.max}ms.\n`;
    if (name === 'command') commandEvent = true;
  }
  report += '\nI have a few advices for you:\n\n';
  if (commandEvent) {
    const slower = c.server.config.num('slowlog-log-slower-than');
    if (slower < 0)
      report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${st.threshold * 1000}'. If the Slow Log is disabled Redis is not able to log slow commands execution for you.\n`;
    else if (slower / 1000 > st.threshold)
      report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${st.threshold * 1000}'.\n`;
  }
  report +=
    '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  if (commandEvent)
    report +=
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  c.reply.verbatim(report);
}

/** Writes one command's {calls, histogram_usec} map (Redis fillCommandCDF). */
function fillCdf(c: Client, cmd: Command, hist: LatencyHistogram): void {
  const w = c.reply;
  const total = hist.total;
  const h = new Float64Array(BUCKETS);
  hist.forEach((ns, n) => {
    h[cdfBucket(ns)] += n;
  });
  w.bulk(cmd.fullName);
  w.mapLen(2);
  w.bulk('calls');
  w.integer(total);
  w.bulk('histogram_usec');
  const mark = w.deferLen();
  let pairs = 0;
  let cum = 0;
  for (let k = 0; k < BUCKETS; k++) {
    if (h[k] === 0) continue;
    cum += h[k];
    w.integer(Math.floor(bucketTop(k) / 1000));
    w.integer(cum);
    pairs++;
  }
  w.setDeferredMapLen(mark, pairs);
}

/** LATENCY HISTOGRAM [command ...]: per-command cumulative latency distributions (µs buckets). */
function histogramCommand(c: Client, argv: string[]): void {
  const w = c.reply;
  const mark = w.deferLen();
  let n = 0;
  const emit = (cmd: Command): void => {
    const h = latencyHistOf(c.server, cmd);
    if (h === null) return;
    fillCdf(c, cmd, h);
    n++;
  };
  if (argv.length === 2) {
    for (const cmd of commands) {
      emit(cmd);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) emit(sub);
    }
  } else {
    for (let i = 2; i < argv.length; i++) {
      // A name may be a subcommand's full name (`client|id`): lookupCommandBySds.
      const cmd = lookupByFullName(argv[i]);
      if (cmd === undefined) continue;
      emit(cmd);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) emit(sub);
    }
  }
  w.setDeferredMapLen(mark, n);
}

const HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

/** LATENCY and its subcommands. */
export const latencyDef: CommandDef = {
  name: 'latency',
  subcommands: [
    { name: 'latest', handler: latestCommand },
    { name: 'history', handler: historyCommand },
    { name: 'reset', handler: resetCommand },
    { name: 'graph', handler: graphCommand },
    { name: 'doctor', handler: doctorCommand },
    { name: 'histogram', handler: histogramCommand },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
