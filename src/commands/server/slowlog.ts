/**
 * SLOWLOG GET/LEN/RESET/HELP, and `afterCall`, the one hook the dispatcher's `call` runs after every
 * executed command: it feeds the slow log, the latency monitor, MONITOR clients and client-side
 * caching's read tracking.
 * Source: Redis 7.0 slowlog.c (slowlogCreateEntry, slowlogPushEntryIfNeeded, slowlogCommand),
 * server.c call().
 */
import type { Command } from '../table.js';
import { CmdFlag, type CommandDef } from '../types.js';
import type { BlockState, Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import { replyHelp } from '../../protocol/respTree.js';
import { latencyAddSample, latencyRecord, latencyRecordIn, latencyResetHistograms, latencyStateOf } from './latency.js';
import { anyMonitor, feedMonitors, feedScriptCommand, monitorsOf } from './monitor.js';
import { trackingAfterCall } from '../../server/tracking.js';
import { parseInt64 } from '../args.js';

/** Redis SLOWLOG_ENTRY_MAX_ARGC / SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

/** One slow log entry (Redis slowlogEntry): argv already trimmed and redacted. */
export interface SlowlogEntry {
  id: number;
  /** Unix seconds. */
  time: number;
  /** Microseconds. */
  duration: number;
  argv: string[];
  peer: string;
  name: string;
}

/** Per-server slow log: entries newest first, next id, cached thresholds. */
class SlowLog {
  entries: SlowlogEntry[] = [];
  nextId = 0;
  /** slowlog-log-slower-than, µs (<0 disables). */
  slowerThan: number;
  maxLen: number;
  constructor(server: KeydraServer) {
    this.slowerThan = server.config.num('slowlog-log-slower-than');
    this.maxLen = server.config.num('slowlog-max-len');
    server.config.onChange('slowlog-log-slower-than', (v) => {
      this.slowerThan = v as number;
    });
    server.config.onChange('slowlog-max-len', (v) => {
      this.maxLen = v as number;
      if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
    });
  }
}

const logs = new WeakMap<KeydraServer, SlowLog>();
let lastServer: KeydraServer | null = null;
let lastLog: SlowLog | null = null;

/** The server's slow log, created on first use. */
function slowlogOf(server: KeydraServer): SlowLog {
  if (server === lastServer && lastLog !== null) return lastLog;
  let s = logs.get(server);
  if (s === undefined) {
    s = new SlowLog(server);
    logs.set(server, s);
  }
  lastServer = server;
  lastLog = s;
  return s;
}

/**
 * The newest `count` slow log entries of a server, newest first (what SLOWLOG GET count replies),
 * for readers outside the command layer (the metrics dashboard, src/metrics). Read-only view.
 */
export function slowlogRecent(server: KeydraServer, count: number): readonly Readonly<SlowlogEntry>[] {
  return slowlogOf(server).entries.slice(0, Math.max(0, count));
}

/**
 * Arguments hidden from the slow log and MONITOR as `(redacted)` (Redis redactClientCommandArgument):
 * AUTH's arguments, HELLO's AUTH user and password, ACL SETUSER's name and rules, the values of
 * sensitive configs in CONFIG SET, MIGRATE's AUTH/AUTH2 credentials. @returns the indexes to hide, or null.
 */
export function redactedArgs(cmd: Command, argv: string[]): Set<number> | null {
  const name = cmd.fullName;
  if (name === 'auth') {
    const s = new Set<number>();
    for (let i = 1; i < argv.length; i++) s.add(i);
    return s;
  }
  if (name === 'acl|setuser') {
    // The user's rules may carry passwords (Redis aclCommand redacts every argument after SETUSER).
    const s = new Set<number>();
    for (let i = 2; i < argv.length; i++) s.add(i);
    return s;
  }
  if (name === 'hello') {
    for (let i = 2; i < argv.length; i++) {
      if (argv[i].toLowerCase() === 'auth' && i + 2 < argv.length) return new Set([i + 1, i + 2]);
    }
  }
  if (name === 'config|set') {
    // SENSITIVE_CONFIG values (config.c configSetCommand): masterauth, masteruser, requirepass.
    let s: Set<number> | null = null;
    for (let i = 2; i + 1 < argv.length; i += 2) {
      if (SENSITIVE_CONFIGS.has(argv[i].toLowerCase())) (s ??= new Set()).add(i + 1);
    }
    return s;
  }
  if (name === 'migrate') {
    // MIGRATE ... AUTH password | AUTH2 username password (cluster.c migrateCommand).
    for (let i = 6; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === 'keys') break;
      if (opt === 'auth' && i + 1 < argv.length) return new Set([i + 1]);
      if (opt === 'auth2' && i + 2 < argv.length) return new Set([i + 1, i + 2]);
    }
  }
  return null;
}

/** Configs whose values CONFIG SET hides from the slow log and MONITOR (Redis SENSITIVE_CONFIG). */
const SENSITIVE_CONFIGS = new Set(['masterauth', 'masteruser', 'requirepass']);

/** The slow log's peer id of a client: `ip:port`, or `?:0` for a client with no socket (Lua). */
function peerId(c: Client): string {
  return c.addr === '' ? '?:0' : c.addr;
}

/** Adds an entry if `usec` reaches slowlog-log-slower-than (Redis slowlogPushEntryIfNeeded). */
function slowlogPush(log: SlowLog, c: Client, cmd: Command, argv: string[], usec: number): void {
  const argc = Math.min(argv.length, MAX_ARGC);
  const red = redactedArgs(cmd, argv);
  const out: string[] = new Array(argc);
  for (let j = 0; j < argc; j++) {
    if (argc !== argv.length && j === argc - 1) {
      out[j] = `... (${argv.length - argc + 1} more arguments)`;
    } else if (red?.has(j)) {
      out[j] = '(redacted)';
    } else {
      const a = argv[j];
      out[j] = a.length > MAX_STRING ? `${a.slice(0, MAX_STRING)}... (${a.length - MAX_STRING} more bytes)` : a;
    }
  }
  log.entries.unshift({
    id: log.nextId++,
    time: Math.floor(Date.now() / 1000),
    duration: usec,
    argv: out,
    peer: peerId(c),
    name: c.name,
  });
  if (log.entries.length > log.maxLen) log.entries.length = log.maxLen;
}

/**
 * Runs after every executed command (dispatcher `call`, EXEC's commands, script calls):
 * slow log (unless the command is skip_slowlog or the client blocked), latency monitor
 * (`command` / `fast-command` events), MONITOR feed (unless admin/skip_monitor) and key
 * tracking for client-side caching, CLIENT REPLY OFF/SKIP.
 * @param ms the command's duration in milliseconds. @param replyStart reply position before the command.
 */
export function afterCall(c: Client, cmd: Command, argv: string[], ms: number, replyStart: number): void {
  const server = c.server;
  if (c.mustObey) return; // AOF loading: Redis neither logs nor feeds monitors
  const log = slowlogOf(server);
  const usec = Math.floor(ms * 1000);
  const flags = cmd.flags;
  const blocked = c.blocked;
  if (blocked !== null) {
    // Slow log and latency histogram wait for the client to be served (afterUnblock).
    blocked.sent ??= { cmd, argv, usec };
  } else if (log.slowerThan >= 0 && usec >= log.slowerThan && (flags & CmdFlag.SkipSlowlog) === 0) {
    slowlogPush(log, c, cmd, argv, usec);
  }
  const lat = latencyStateOf(server);
  if (cmd.fullName === 'config|resetstat') latencyResetHistograms(server); // Redis resets them with commandstats
  if (blocked === null) latencyRecordIn(lat, cmd, usec);
  if (lat.threshold > 0 && ms >= lat.threshold)
    latencyAddSample(lat, (flags & CmdFlag.Fast) !== 0 ? 'fast-command' : 'command', Math.floor(ms));
  if (anyMonitor() && monitorsOf(server).size !== 0) {
    if ((flags & CmdFlag.SkipMonitor) !== 0) feedScriptCommand(c, argv);
    else if ((flags & CmdFlag.Admin) === 0) feedMonitors(c, argv, cmd);
  }
  trackingAfterCall(c, cmd, argv, replyStart);
}

/**
 * Runs when a blocked client was served by a key becoming ready (Redis updateStatsOnUnblock):
 * adds the serving time to the command's commandstats, counts a failed call if the reply was an
 * error (XREADGROUP's -NOGROUP after XGROUP DESTROY), records the latency histogram and the slow
 * log entry (the command as the client sent it, e.g. `blpop l 0`, with the blocking call's
 * duration plus the serving time) and the `command-unblocking` latency event.
 * @param st the block state the client was served from. @param replyMs the serving time in ms.
 */
export function afterUnblock(c: Client, st: BlockState, replyMs: number, hadErrors: boolean): void {
  const sent = st.sent;
  if (sent === undefined) return;
  const replyUsec = Math.floor(replyMs * 1000);
  const cmd = sent.cmd;
  const stats = c.server.cmdStats.a;
  stats[cmd.statIdx + 1] += replyUsec;
  if (hadErrors) stats[cmd.statIdx + 3]++;
  const total = sent.usec + replyUsec;
  latencyRecord(c.server, cmd, total);
  const log = slowlogOf(c.server);
  if (log.slowerThan >= 0 && total >= log.slowerThan && (cmd.flags & CmdFlag.SkipSlowlog) === 0) {
    slowlogPush(log, c, cmd, sent.argv, total);
  }
  const lat = latencyStateOf(c.server);
  if (lat.threshold > 0 && replyMs >= lat.threshold) latencyAddSample(lat, 'command-unblocking', Math.floor(replyMs));
}

const HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

/** SLOWLOG GET [count]: newest first; count -1 means all (Redis 7.0 slowlogCommand). */
function slowlogGetCommand(c: Client, argv: string[]): void {
  const log = slowlogOf(c.server);
  let count = 10;
  if (argv.length === 3) {
    const v = parseInt64(argv[2]);
    if (v === null || v < -1) {
      c.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = v === -1 ? log.entries.length : Number(v);
  } else if (argv.length > 3) {
    c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try SLOWLOG HELP.`);
    return;
  }
  const n = Math.min(count, log.entries.length);
  const w = c.reply;
  w.arrayLen(n);
  for (let i = 0; i < n; i++) {
    const e = log.entries[i];
    w.arrayLen(6);
    w.integer(e.id);
    w.integer(e.time);
    w.integer(e.duration);
    w.arrayLen(e.argv.length);
    for (const a of e.argv) w.bulk(a);
    w.bulk(e.peer);
    w.bulk(e.name);
  }
}

/** SLOWLOG: GET, LEN, RESET, HELP. */
export const slowlogDef: CommandDef = {
  name: 'slowlog',
  subcommands: [
    { name: 'get', handler: slowlogGetCommand },
    { name: 'len', handler: (c) => c.reply.integer(slowlogOf(c.server).entries.length) },
    {
      name: 'reset',
      handler: (c) => {
        slowlogOf(c.server).entries = [];
        c.reply.ok();
      },
    },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
