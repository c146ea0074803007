/**
 * `sentinel.conf` in Redis 7.0's format: the `sentinel ...` directives read at start-up
 * (sentinel.c sentinelHandleConfiguration) and the file rewritten on every state change
 * (rewriteConfigSentinelOption via sentinelFlushConfig), so redis-sentinel 7.0 and Keydra can
 * each load the other's file.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { splitArgs } from '../protocol/parser.js';
import type { Sentinel } from './index.js';
import {
  addrEqual,
  announce,
  DEFAULT_DOWN_AFTER,
  DEFAULT_FAILOVER_TIMEOUT,
  DEFAULT_PARALLEL_SYNCS,
  Instance,
  SRI_SENTINEL,
  SRI_SLAVE,
} from './instance.js';

/** Server directives Sentinel mode reads from the file (others are kept in the file and ignored). */
export interface ServerDirectives {
  port: number | null;
  bind: string[] | null;
  dir: string | null;
  logfile: string | null;
  loglevel: string | null;
  requirepass: string | null;
  pidfile: string | null;
  /** `tls-*` directives (tls-port, tls-replication, certificates...), name and arguments, in order. */
  tls: [string, string[]][];
}

/** Directives applied before any `sentinel monitor` (sentinel.c preMonitorCfgName). */
const PRE_MONITOR = new Set([
  'announce-ip',
  'announce-port',
  'deny-scripts-reconfig',
  'sentinel-user',
  'sentinel-pass',
  'current-epoch',
  'myid',
  'resolve-hostnames',
  'announce-hostnames',
]);

/** A config error with Redis's wording (loadServerConfigFromString's "Bad directive" frame). */
export class SentinelConfigError extends Error {}

/**
 * Parses config text: server directives into the result, `sentinel ...` lines applied to
 * `s` in order (after the whole file is read, as loadSentinelConfigFromQueue).
 * @throws SentinelConfigError with the line and Redis's message.
 */
export function loadSentinelConfigText(s: Sentinel, text: string, into: ServerDirectives): void {
  const queued: { line: string; argv: string[]; lineno: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const argv = splitArgs(line);
    if (argv === null || argv.length === 0) throw configErr(i + 1, line, 'Unbalanced quotes in configuration line');
    const name = argv[0].toLowerCase();
    if (name === 'sentinel') {
      if (argv.length > 1) queued.push({ line, argv: argv.slice(1), lineno: i + 1 });
      continue;
    }
    if (name === 'port' && argv.length === 2) into.port = Number(argv[1]);
    else if (name === 'bind' && argv.length >= 2) into.bind = argv.slice(1);
    else if (name === 'dir' && argv.length === 2) into.dir = argv[1];
    else if (name === 'logfile' && argv.length === 2) into.logfile = argv[1];
    else if (name === 'loglevel' && argv.length === 2) into.loglevel = argv[1];
    else if (name === 'requirepass' && argv.length === 2) into.requirepass = argv[1];
    else if (name === 'pidfile' && argv.length === 2) into.pidfile = argv[1];
    else if (name.startsWith('tls-') && argv.length >= 2) into.tls.push([name, argv.slice(1)]);
  }
  // Pre-monitor directives, then `monitor`, then the rest (queueSentinelConfig's three lists).
  const rank = (a: string[]) => (PRE_MONITOR.has(a[0].toLowerCase()) ? 0 : a[0].toLowerCase() === 'monitor' ? 1 : 2);
  const ordered = [0, 1, 2].flatMap((k) => queued.filter((q) => rank(q.argv) === k));
  for (const q of ordered) {
    // Applied after the `dir` chdir, as Redis's queued sentinel directives (relative script paths).
    const err = handleSentinelDirective(s, q.argv, into.dir ?? undefined);
    if (err !== null) throw configErr(q.lineno, q.line, err);
  }
}

function configErr(lineno: number, line: string, msg: string): SentinelConfigError {
  return new SentinelConfigError(
    `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${lineno}\n>>> '${line}'\n${msg}`,
  );
}

/** sentinelHandleConfiguration: applies one `sentinel <argv...>` directive. @returns null or the error. */
export function handleSentinelDirective(s: Sentinel, argv: string[], dir?: string): string | null {
  const name = argv[0].toLowerCase();
  const n = argv.length;
  const master = (m: string) => s.masters.get(m) ?? null;
  if (name === 'monitor' && n === 5) {
    const quorum = Number(argv[4]);
    if (!(quorum > 0)) return 'Quorum must be 1 or greater.';
    const r = s.createMaster(argv[1], argv[2], Number(argv[3]), quorum);
    return typeof r === 'string' ? r : null;
  }
  if (['down-after-milliseconds', 'failover-timeout', 'parallel-syncs', 'master-reboot-down-after-period'].includes(name) && n === 3) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    const v = Number(argv[2]);
    if (!Number.isInteger(v) || v <= 0) return name === 'master-reboot-down-after-period' && v === 0 ? null : 'Invalid value';
    if (name === 'down-after-milliseconds') s.setDownAfter(ri, v);
    else if (name === 'failover-timeout') ri.failoverTimeout = v;
    else if (name === 'parallel-syncs') ri.parallelSyncs = v;
    else ri.masterRebootDownAfterPeriod = v;
    return null;
  }
  if ((name === 'notification-script' || name === 'client-reconfig-script') && n === 3) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    try {
      accessSync(dir !== undefined ? resolvePath(dir, argv[2]) : argv[2], constants.X_OK);
    } catch {
      return name === 'notification-script'
        ? 'Notification script seems non existing or non executable.'
        : 'Client reconfiguration script seems non existing or non executable.';
    }
    if (name === 'notification-script') ri.notificationScript = argv[2];
    else ri.clientReconfigScript = argv[2];
    return null;
  }
  if ((name === 'auth-pass' || name === 'auth-user') && n === 3) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    if (name === 'auth-pass') ri.authPass = argv[2];
    else ri.authUser = argv[2];
    return null;
  }
  if (name === 'current-epoch' && n === 2) {
    const e = Number(argv[1]);
    if (e > s.currentEpoch) s.currentEpoch = e;
    return null;
  }
  if (name === 'myid' && n === 2) {
    if (argv[1].length !== 40) return 'Malformed Sentinel id in myid option.';
    s.myid = argv[1];
    return null;
  }
  if ((name === 'config-epoch' || name === 'leader-epoch') && n === 3) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    const e = Number(argv[2]);
    if (name === 'config-epoch') {
      ri.configEpoch = e;
      if (e > s.currentEpoch) s.currentEpoch = e;
    } else ri.leaderEpoch = e;
    return null;
  }
  if ((name === 'known-slave' || name === 'known-replica') && n === 4) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    s.createInstance(null, SRI_SLAVE, argv[2], Number(argv[3]), ri);
    return null;
  }
  if (name === 'known-sentinel' && (n === 4 || n === 5)) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    const si = s.createInstance(n === 5 ? argv[4] : null, SRI_SENTINEL, argv[2], Number(argv[3]), ri);
    if (si instanceof Instance && n === 5) si.runid = argv[4];
    return null;
  }
  if (name === 'rename-command' && n === 4) {
    const ri = master(argv[1]);
    if (!ri) return 'No such master with specified name.';
    ri.renamedCommands.set(argv[2].toLowerCase(), argv[3]);
    return null;
  }
  if (name === 'announce-ip' && n === 2) {
    s.announceIp = argv[1];
    return null;
  }
  if (name === 'announce-port' && n === 2) {
    s.announcePort = Number(argv[1]);
    return null;
  }
  if (['deny-scripts-reconfig', 'resolve-hostnames', 'announce-hostnames'].includes(name) && n === 2) {
    const v = argv[1].toLowerCase();
    if (v !== 'yes' && v !== 'no') return 'Please specify yes or no for the ' + `${name} option.`;
    if (name === 'deny-scripts-reconfig') s.denyScriptsReconfig = v === 'yes';
    else if (name === 'resolve-hostnames') s.resolveHostnames = v === 'yes';
    else s.announceHostnames = v === 'yes';
    return null;
  }
  if ((name === 'sentinel-user' || name === 'sentinel-pass') && n === 2) {
    if (name === 'sentinel-user') s.sentinelUser = argv[1] === '' ? null : argv[1];
    else s.sentinelPass = argv[1] === '' ? null : argv[1];
    return null;
  }
  return 'Unrecognized sentinel configuration statement.';
}

/** sdscatrepr-style quoting for values that may need it (announce-ip, sentinel-pass). */
function repr(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The `sentinel ...` lines of rewriteConfigSentinelOption, in its order. */
export function sentinelConfigLines(s: Sentinel): string[] {
  const out: string[] = [];
  out.push(`sentinel myid ${s.myid}`);
  if (!s.denyScriptsReconfig) out.push('sentinel deny-scripts-reconfig no');
  if (s.resolveHostnames) out.push('sentinel resolve-hostnames yes');
  if (s.announceHostnames) out.push('sentinel announce-hostnames yes');
  for (const m of s.masters.values()) {
    const cur = s.currentMasterAddr(m);
    out.push(`sentinel monitor ${m.name} ${announce(cur)} ${cur.port} ${m.quorum}`);
    if (m.downAfterPeriod !== DEFAULT_DOWN_AFTER) out.push(`sentinel down-after-milliseconds ${m.name} ${m.downAfterPeriod}`);
    if (m.failoverTimeout !== DEFAULT_FAILOVER_TIMEOUT) out.push(`sentinel failover-timeout ${m.name} ${m.failoverTimeout}`);
    if (m.parallelSyncs !== DEFAULT_PARALLEL_SYNCS) out.push(`sentinel parallel-syncs ${m.name} ${m.parallelSyncs}`);
    if (m.notificationScript) out.push(`sentinel notification-script ${m.name} ${m.notificationScript}`);
    if (m.clientReconfigScript) out.push(`sentinel client-reconfig-script ${m.name} ${m.clientReconfigScript}`);
    if (m.authPass) out.push(`sentinel auth-pass ${m.name} ${m.authPass}`);
    if (m.authUser) out.push(`sentinel auth-user ${m.name} ${m.authUser}`);
    if (m.masterRebootDownAfterPeriod !== 0)
      out.push(`sentinel master-reboot-down-after-period ${m.name} ${m.masterRebootDownAfterPeriod}`);
    out.push(`sentinel config-epoch ${m.name} ${m.configEpoch}`);
    out.push(`sentinel leader-epoch ${m.name} ${m.leaderEpoch}`);
    for (const sl of m.slaves.values()) {
      // A replica already promoted in a failover is written with the old master's address.
      const a = addrEqual(sl.addr, cur) ? m.addr : sl.addr;
      out.push(`sentinel known-replica ${m.name} ${announce(a)} ${a.port}`);
    }
    for (const se of m.sentinels.values()) {
      if (se.runid === null) continue;
      out.push(`sentinel known-sentinel ${m.name} ${announce(se.addr)} ${se.addr.port} ${se.runid}`);
    }
    for (const [from, to] of m.renamedCommands) out.push(`sentinel rename-command ${m.name} ${from} ${to}`);
  }
  out.push(`sentinel current-epoch ${s.currentEpoch}`);
  if (s.announceIp !== '') out.push(`sentinel announce-ip ${repr(s.announceIp)}`);
  if (s.announcePort !== 0) out.push(`sentinel announce-port ${s.announcePort}`);
  if (s.sentinelUser !== null) out.push(`sentinel sentinel-user ${s.sentinelUser}`);
  if (s.sentinelPass !== null) out.push(`sentinel sentinel-pass ${s.sentinelPass}`);
  return out;
}

/**
 * Rewrites the config file (sentinelFlushConfig → rewriteConfig in config.c): each generated line
 * replaces, in place, the next old line of the same option (`sentinel <name>` counts as one
 * option, as Redis keys sentinel lines), lines left over for those options are dropped, other
 * lines and comments stay, and new lines go after "# Generated by CONFIG REWRITE". Written to a
 * temp file, fsynced and renamed into place.
 * @throws on I/O errors.
 */
export function rewriteSentinelConfig(s: Sentinel): void {
  let old = '';
  try {
    old = readFileSync(s.configFile, 'latin1');
  } catch {
    old = '';
  }
  const lines: (string | null)[] = old.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const slots = new Map<string, number[]>();
  // The signature line stays where it is; a new one is added only before the first appended line.
  let hasSignature = false;
  const keyOf = (line: string): string | null => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return null;
    const argv = splitArgs(t);
    if (argv === null || argv.length === 0) return null;
    const k = argv[0].toLowerCase();
    return k === 'sentinel' && argv.length > 1 ? `sentinel ${argv[1].toLowerCase()}` : k;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '# Generated by CONFIG REWRITE') {
      hasSignature = true;
      continue;
    }
    const k = keyOf(line);
    if (k === null) continue;
    const q = slots.get(k);
    if (q) q.push(i);
    else slots.set(k, [i]);
  }
  const appended: string[] = [];
  const rewrite = (line: string) => {
    const k = keyOf(line) as string;
    const q = slots.get(k);
    if (q !== undefined && q.length > 0) lines[q.shift() as number] = line;
    else appended.push(line);
  };
  rewrite(`port ${s.port}`);
  for (const line of sentinelConfigLines(s)) rewrite(line);
  // Orphans: old lines of the rewritten options that no new line reused.
  for (const [k, q] of slots) if (k === 'port' || k.startsWith('sentinel ')) for (const i of q) lines[i] = null;
  const kept = lines.filter((l): l is string => l !== null);
  if (appended.length > 0 && !hasSignature) kept.push('# Generated by CONFIG REWRITE');
  kept.push(...appended);
  const text = `${kept.join('\n')}\n`;
  const tmp = `${s.configFile}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text, null, 'latin1');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, s.configFile);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
