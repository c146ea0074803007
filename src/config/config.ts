/**
 * Configuration: every directive Keydra knows, with redis.conf names, types, defaults and limits.
 *
 * The same table serves the config file, `--directive value` command-line flags, CONFIG GET
 * (glob patterns) and CONFIG SET. Values are kept parsed (numbers in their unit: bytes, seconds,
 * ms as the directive says); `format` gives the string CONFIG GET replies with.
 * Source: Redis 7.0 config.c (standardConfig table), redis.conf.
 */

import { formatNotifyFlags, parseNotifyFlags } from './notify.js';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Thrown for a bad directive or value; the message is what Redis prints/replies. */
export class ConfigError extends Error {}

/** An apply function refused a change (Config.applyPending); `directive` is the one CONFIG SET names. */
export class ConfigApplyError extends ConfigError {
  constructor(
    message: string,
    readonly directive: string,
  ) {
    super(message);
  }
}

export type ConfigValue = string | number | boolean | string[];

/** One directive's description. */
export interface Directive {
  name: string;
  /** Older names accepted for the same setting (e.g. `slave-read-only`). */
  aliases?: string[];
  /**
   * Value type. `flags`: several enum words (shutdown-on-sigterm); `floats`: a list of numbers
   * (latency-tracking-info-percentiles); `replicaof`: `host port` or `no one`.
   */
  type: 'bool' | 'int' | 'memory' | 'enum' | 'string' | 'list' | 'save' | 'obuf' | 'flags' | 'floats' | 'replicaof';
  default: ConfigValue;
  /** Whether CONFIG SET may change it at run time. */
  mutable: boolean;
  min?: number;
  max?: number;
  /** Allowed values of an enum. */
  values?: string[];
  /**
   * Redis PROTECTED_CONFIG (dir, dbfilename): CONFIG SET refuses it unless
   * `enable-protected-configs` allows the client (yes, or local for loopback/unix clients).
   */
  protected?: boolean;
  /** Accepted and stored (CONFIG GET/SET/REWRITE) but without effect in Keydra; setting it logs a warning. */
  stub?: boolean;
  /** Redis DENY_LOADING_CONFIG: CONFIG SET answers -LOADING while the dataset loads. */
  denyLoading?: boolean;
  /** Redis HIDDEN_CONFIG: not listed by CONFIG GET patterns (an exact name still answers). */
  hidden?: boolean;
  /**
   * Keydra's own directive, not in Redis 7.0 (metrics-port): hidden too, so that CONFIG GET *
   * lists exactly Redis's names (tools and Redis's suite iterate it).
   */
  keydra?: boolean;
  /** A memory value that may also be given as a percentage (`10%`, kept as -10), Redis PERCENT_CONFIG. */
  percent?: boolean;
  /** Extra check of a parsed value; returns Redis's error text, or null when valid. */
  validate?: (value: ConfigValue) => string | null;
  /** The text CONFIG GET / REWRITE give for a value, when not the value as set (Redis special configs' getters). */
  format?: (value: ConfigValue) => string;
  /** Called after a successful change (file, flag or CONFIG SET). */
  onChange?: (value: ConfigValue) => void;
}

const MAX_INT = 2 ** 31 - 1;
const MAX_LL = Number.MAX_SAFE_INTEGER;

const MAX_LONG = Number.MAX_SAFE_INTEGER;

/** The words of shutdown-on-sigint / shutdown-on-sigterm (Redis shutdown_on_sig_enum). */
const SHUTDOWN_FLAGS = ['default', 'save', 'nosave', 'now', 'force'];

/**
 * Validator of a file or directory name that must not be a path (Redis isValidDBfilename,
 * isValidAOFfilename, isValidAOFdirname: no `/` or `\\`; the AOF names must not be empty).
 */
function baseName(name: string, what: 'filename' | 'dirname', nonEmpty = false): (v: ConfigValue) => string | null {
  return (v) => {
    const s = v as string;
    if (nonEmpty && s === '') return `${name} can't be empty`;
    if (s.includes('/') || s.includes('\\')) return `${name} can't be a path, just a ${what}`;
    return null;
  };
}

const stubBool = (name: string, def: boolean, mutable = true, aliases?: string[]): Directive => ({
  name,
  type: 'bool',
  default: def,
  mutable,
  stub: true,
  ...(aliases ? { aliases } : {}),
});
const stubInt = (name: string, def: number, min: number, max: number, mutable = true, aliases?: string[]): Directive => ({
  name,
  type: 'int',
  default: def,
  mutable,
  min,
  max,
  stub: true,
  ...(aliases ? { aliases } : {}),
});
const stubMem = (name: string, def: number, min: number, max: number): Directive => ({
  name,
  type: 'memory',
  default: def,
  mutable: true,
  min,
  max,
  stub: true,
});
const stubStr = (name: string, def: string, mutable = true, aliases?: string[]): Directive => ({
  name,
  type: 'string',
  default: def,
  mutable,
  stub: true,
  ...(aliases ? { aliases } : {}),
});
const stubEnum = (name: string, def: string, values: string[], mutable = true): Directive => ({
  name,
  type: 'enum',
  default: def,
  mutable,
  values,
  stub: true,
});
const hidden = (d: Directive): Directive => ({ ...d, hidden: true });
/** A directive of this table that Keydra implements (replication, src/replication/replica.ts): no stub warning. */
const implemented = (d: Directive): Directive => ({ ...d, stub: false });

/**
 * Every other directive of Redis 7.0's config table (config.c standardConfig), with its type,
 * range, default and mutability: accepted from the config file, the command line and CONFIG SET,
 * answered by CONFIG GET and written by CONFIG REWRITE, but without effect here (replication,
 * cluster, TLS, threads, defrag, OS tuning). Setting one logs a warning naming it.
 */
const STUBS: Directive[] = [
  stubBool('io-threads-do-reads', false, false),
  stubBool('activerehashing', true),
  stubBool('set-proc-title', true, false),
  implemented(stubBool('repl-disable-tcp-nodelay', false)),
  implemented(stubBool('repl-diskless-sync', true)),
  stubBool('aof-rewrite-incremental-fsync', true),
  stubBool('no-appendfsync-on-rewrite', false),
  implemented(stubBool('cluster-require-full-coverage', true)),
  stubBool('rdb-save-incremental-fsync', true),
  implemented(stubBool('cluster-replica-no-failover', false, true, ['cluster-slave-no-failover'])),
  stubBool('replica-lazy-flush', false, true, ['slave-lazy-flush']),
  implemented(stubBool('replica-serve-stale-data', true, true, ['slave-serve-stale-data'])),
  implemented(stubBool('replica-read-only', true, true, ['slave-read-only'])),
  stubBool('replica-ignore-maxmemory', true, true, ['slave-ignore-maxmemory']),
  stubBool('jemalloc-bg-thread', true),
  stubBool('activedefrag', false),
  stubBool('syslog-enabled', false, false),
  implemented(stubBool('cluster-enabled', false, false)),
  implemented(stubBool('cluster-allow-reads-when-down', false)),
  implemented(stubBool('cluster-allow-pubsubshard-when-down', true)),
  stubBool('crash-log-enabled', true),
  stubBool('crash-memcheck-enabled', true),
  hidden(stubBool('use-exit-on-panic', false)),
  stubBool('disable-thp', true, false),
  implemented(stubBool('cluster-allow-replica-migration', true)),
  implemented(stubBool('replica-announced', true)),
  { ...stubBool('latency-tracking', true), stub: false },
  implemented(stubBool('aof-disable-auto-gc', false)),
  stubBool('replica-ignore-disk-write-errors', false),
  implemented(stubStr('replica-announce-ip', '', true, ['slave-announce-ip'])),
  implemented(stubStr('masteruser', '')),
  implemented(stubStr('cluster-announce-ip', '')),
  implemented(stubStr('cluster-config-file', 'nodes.conf', false)),
  {
    ...implemented(stubStr('cluster-announce-hostname', '')),
    // Redis isValidAnnouncedHostname.
    validate: (v) => {
      const h = v as string;
      if (h.length >= 256) return 'Hostnames must be less than 256 characters';
      return /^[A-Za-z0-9.-]*$/.test(h) ? null : 'Hostnames may only contain alphanumeric characters, hyphens or dots';
    },
  },
  stubStr('syslog-ident', 'redis', false),
  stubStr('server_cpulist', '', false),
  stubStr('bio_cpulist', '', false),
  stubStr('aof_rewrite_cpulist', '', false),
  stubStr('bgsave_cpulist', '', false),
  stubStr('ignore-warnings', ''),
  stubStr('proc-title-template', '{title} {listen-addr} {server-mode}'),
  implemented(stubStr('bind-source-addr', '')),
  implemented(stubStr('masterauth', '')),
  stubEnum('supervised', 'no', ['upstart', 'systemd', 'auto', 'no'], false),
  stubEnum('syslog-facility', 'local0', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], false),
  { ...stubEnum('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb']), denyLoading: true, stub: false },
  stubEnum('oom-score-adj', 'no', ['no', 'yes', 'relative', 'absolute']),
  implemented(stubEnum('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint'])),
  stubEnum('propagation-error-behavior', 'ignore', ['ignore', 'panic', 'panic-on-replicas']),
  stubInt('io-threads', 1, 1, 128, false),
  implemented(stubInt('cluster-replica-validity-factor', 10, 0, MAX_INT, true, ['cluster-slave-validity-factor'])),
  implemented(stubInt('cluster-migration-barrier', 1, 0, MAX_INT)),
  stubInt('active-defrag-cycle-min', 1, 1, 99),
  stubInt('active-defrag-cycle-max', 25, 1, 99),
  stubInt('active-defrag-threshold-lower', 10, 0, 1000),
  stubInt('active-defrag-threshold-upper', 100, 0, 1000),
  implemented(stubInt('replica-priority', 100, 0, MAX_INT, true, ['slave-priority'])),
  implemented(stubInt('repl-diskless-sync-delay', 5, 0, MAX_INT)),
  implemented(stubInt('replica-announce-port', 0, 0, 65535, true, ['slave-announce-port'])),
  implemented(stubInt('cluster-port', 0, 0, 65535, false)),
  implemented(stubInt('cluster-announce-bus-port', 0, 0, 65535)),
  implemented(stubInt('cluster-announce-port', 0, 0, 65535)),
  implemented(stubInt('cluster-announce-tls-port', 0, 0, 65535)),
  implemented(stubInt('repl-timeout', 60, 1, MAX_INT)),
  implemented(stubInt('repl-ping-replica-period', 10, 1, MAX_INT, true, ['repl-ping-slave-period'])),
  hidden({ ...stubInt('rdb-key-save-delay', 0, -MAX_INT - 1, MAX_INT), stub: false }),
  hidden({ ...stubInt('key-load-delay', 0, -MAX_INT - 1, MAX_INT), stub: false }),
  implemented(stubInt('min-replicas-to-write', 0, 0, MAX_INT, true, ['min-slaves-to-write'])),
  implemented(stubInt('min-replicas-max-lag', 10, 0, MAX_INT, true, ['min-slaves-max-lag'])),
  hidden(stubInt('watchdog-period', 0, 0, MAX_INT)),
  implemented(stubInt('repl-diskless-sync-max-replicas', 0, 0, MAX_INT)),
  stubInt('socket-mark-id', 0, 0, 2 ** 32 - 1, false),
  stubInt('active-defrag-max-scan-fields', 1000, 1, MAX_LONG),
  implemented(stubInt('cluster-node-timeout', 15000, 0, MAX_LL)),
  implemented(stubMem('repl-backlog-size', 1024 * 1024, 1, MAX_LL)),
  implemented(stubMem('cluster-link-sendbuf-limit', 0, 0, MAX_LL)),
  stubMem('active-defrag-ignore-bytes', 100 * 1024 * 1024, 1, MAX_LL),
  stubInt('tracking-table-max-keys', 1000000, 0, MAX_LONG),
  { ...stubMem('maxmemory-clients', 0, -100, MAX_LL), percent: true },
  implemented(stubInt('repl-backlog-ttl', 3600, 0, MAX_LONG)),
  hidden(stubInt('loading-process-events-interval-bytes', 2 * 1024 * 1024, 1024, MAX_INT)),
  implemented(stubInt('tls-port', 0, 0, 65535)),
  implemented(stubInt('tls-session-cache-size', 20 * 1024, 0, MAX_INT)),
  implemented(stubInt('tls-session-cache-timeout', 300, 0, MAX_INT)),
  implemented(stubBool('tls-cluster', false)),
  implemented(stubBool('tls-replication', false)),
  implemented(stubEnum('tls-auth-clients', 'yes', ['no', 'yes', 'optional'])),
  implemented(stubBool('tls-prefer-server-ciphers', false)),
  implemented(stubBool('tls-session-caching', true)),
  implemented(stubStr('tls-cert-file', '')),
  implemented(stubStr('tls-key-file', '')),
  implemented(stubStr('tls-key-file-pass', '')),
  implemented(stubStr('tls-client-cert-file', '')),
  implemented(stubStr('tls-client-key-file', '')),
  implemented(stubStr('tls-client-key-file-pass', '')),
  implemented(stubStr('tls-dh-params-file', '')),
  implemented(stubStr('tls-ca-cert-file', '')),
  implemented(stubStr('tls-ca-cert-dir', '')),
  implemented(stubStr('tls-protocols', '')),
  implemented(stubStr('tls-ciphers', '')),
  implemented(stubStr('tls-ciphersuites', '')),
  { name: 'oom-score-adj-values', type: 'list', default: ['0', '200', '800'], mutable: true, stub: true, validate: oomValues },
  { name: 'latency-tracking-info-percentiles', type: 'floats', default: ['50', '99', '99.9'], mutable: true },
  { name: 'replicaof', aliases: ['slaveof'], type: 'replicaof', default: [], mutable: false },
];

/** oom-score-adj-values: three integers in -2000..2000 (Redis setConfigOOMScoreAdjValuesOption). */
function oomValues(v: ConfigValue): string | null {
  const l = v as string[];
  if (l.length !== 3) return 'wrong number of arguments';
  for (const x of l) {
    if (!/^-?\d+$/.test(x) || Number(x) < -2000 || Number(x) > 2000)
      return 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.';
  }
  return null;
}

/** The directives. Extend this list to add one; nothing else needs to change for GET/SET/file. */
export const DIRECTIVES: Directive[] = [
  { name: 'port', type: 'int', default: 6379, mutable: true, min: 0, max: 65535 },
  {
    name: 'bind',
    type: 'list',
    default: ['127.0.0.1', '-::1'],
    mutable: true,
    // Redis CONFIG_BINDADDR_MAX.
    validate: (v) => ((v as string[]).length > 16 ? 'Too many bind addresses specified.' : null),
  },
  { name: 'unixsocket', type: 'string', default: '', mutable: false },
  // Octal file mode of the unix socket, as written (700 = rwx------); 0 leaves the umask's.
  { name: 'unixsocketperm', type: 'int', default: 0, mutable: false, min: 0, max: 777 },
  { name: 'protected-mode', type: 'bool', default: true, mutable: true },
  { name: 'requirepass', type: 'string', default: '', mutable: true },
  { name: 'databases', type: 'int', default: 16, mutable: false, min: 1, max: MAX_INT },
  { name: 'maxclients', type: 'int', default: 10000, mutable: true, min: 1, max: MAX_INT },
  { name: 'timeout', type: 'int', default: 0, mutable: true, min: 0, max: MAX_INT },
  { name: 'tcp-keepalive', type: 'int', default: 300, mutable: true, min: 0, max: MAX_INT },
  { name: 'tcp-backlog', type: 'int', default: 511, mutable: false, min: 0, max: MAX_INT },
  { name: 'proto-max-bulk-len', type: 'memory', default: 512 * 1024 * 1024, mutable: true, min: 1024 * 1024, max: MAX_LL },
  { name: 'client-query-buffer-limit', type: 'memory', default: 1024 * 1024 * 1024, mutable: true, min: 1024 * 1024, max: MAX_LL },
  {
    name: 'client-output-buffer-limit',
    type: 'obuf',
    default: ['normal 0 0 0', 'replica 268435456 67108864 60', 'pubsub 33554432 8388608 60'],
    mutable: true,
  },
  { name: 'tracking-table-max-keys', type: 'int', default: 1000000, mutable: true, min: 0, max: MAX_LL },
  { name: 'hz', type: 'int', default: 10, mutable: true, min: 0, max: MAX_INT },
  { name: 'dynamic-hz', type: 'bool', default: true, mutable: true },
  { name: 'loglevel', type: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', type: 'string', default: '', mutable: false },
  { name: 'daemonize', type: 'bool', default: false, mutable: false },
  { name: 'pidfile', type: 'string', default: '', mutable: false },
  // Kept as an absolute path (CONFIG GET answers it, as Redis answers its cwd); see Config.set.
  { name: 'dir', type: 'string', default: './data', mutable: true, protected: true, denyLoading: true },
  { name: 'dbfilename', type: 'string', default: 'dump.rdb', mutable: true, protected: true, validate: baseName('dbfilename', 'filename') },
  { name: 'save', type: 'save', default: ['3600 1', '300 100', '60 10000'], mutable: true },
  { name: 'appendonly', type: 'bool', default: false, mutable: true, denyLoading: true },
  {
    name: 'appendfilename',
    type: 'string',
    default: 'appendonly.aof',
    mutable: false,
    validate: baseName('appendfilename', 'filename', true),
  },
  { name: 'appenddirname', type: 'string', default: 'appendonlydir', mutable: false, validate: baseName('appenddirname', 'dirname', true) },
  { name: 'appendfsync', type: 'enum', default: 'everysec', mutable: true, values: ['everysec', 'always', 'no'] },
  { name: 'aof-load-truncated', type: 'bool', default: true, mutable: true },
  { name: 'aof-use-rdb-preamble', type: 'bool', default: true, mutable: true },
  { name: 'rdbcompression', type: 'bool', default: true, mutable: true },
  { name: 'rdbchecksum', type: 'bool', default: true, mutable: false },
  { name: 'maxmemory', type: 'memory', default: 0, mutable: true, min: 0, max: MAX_LL },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    mutable: true,
    values: [
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'noeviction',
    ],
  },
  { name: 'maxmemory-samples', type: 'int', default: 5, mutable: true, min: 1, max: 64 },
  { name: 'active-expire-effort', type: 'int', default: 1, mutable: true, min: 1, max: 10 },
  { name: 'lazyfree-lazy-expire', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-user-del', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-user-flush', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-server-del', type: 'bool', default: false, mutable: true },
  {
    name: 'notify-keyspace-events',
    type: 'string',
    default: '',
    mutable: true,
    validate: (v) => (parseNotifyFlags(v as string) < 0 ? "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." : null),
    format: (v) => formatNotifyFlags(parseNotifyFlags(v as string)),
  },
  { name: 'maxmemory-eviction-tenacity', type: 'int', default: 10, mutable: true, min: 0, max: 100 },
  { name: 'lfu-log-factor', type: 'int', default: 10, mutable: true, min: 0, max: MAX_INT },
  { name: 'lfu-decay-time', type: 'int', default: 1, mutable: true, min: 0, max: MAX_INT },
  { name: 'lazyfree-lazy-eviction', type: 'bool', default: false, mutable: true },
  { name: 'auto-aof-rewrite-percentage', type: 'int', default: 100, mutable: true, min: 0, max: MAX_INT },
  { name: 'auto-aof-rewrite-min-size', type: 'memory', default: 64 * 1024 * 1024, mutable: true, min: 0, max: MAX_LL },
  { name: 'aof-timestamp-enabled', type: 'bool', default: false, mutable: true },
  { name: 'stop-writes-on-bgsave-error', type: 'bool', default: true, mutable: true },
  { name: 'rdb-del-sync-files', type: 'bool', default: false, mutable: true },
  { name: 'busy-reply-threshold', aliases: ['lua-time-limit'], type: 'int', default: 5000, mutable: true, min: 0, max: MAX_LL },
  {
    name: 'hash-max-listpack-entries',
    aliases: ['hash-max-ziplist-entries'],
    type: 'int',
    default: 512,
    mutable: true,
    min: 0,
    max: MAX_LL,
  },
  { name: 'hash-max-listpack-value', aliases: ['hash-max-ziplist-value'], type: 'int', default: 64, mutable: true, min: 0, max: MAX_LL },
  { name: 'list-max-listpack-size', aliases: ['list-max-ziplist-size'], type: 'int', default: -2, mutable: true, min: -5, max: MAX_INT },
  { name: 'list-compress-depth', type: 'int', default: 0, mutable: true, min: 0, max: MAX_INT },
  { name: 'set-max-intset-entries', type: 'int', default: 512, mutable: true, min: 0, max: MAX_LL },
  {
    name: 'zset-max-listpack-entries',
    aliases: ['zset-max-ziplist-entries'],
    type: 'int',
    default: 128,
    mutable: true,
    min: 0,
    max: MAX_LL,
  },
  { name: 'zset-max-listpack-value', aliases: ['zset-max-ziplist-value'], type: 'int', default: 64, mutable: true, min: 0, max: MAX_LL },
  { name: 'stream-node-max-bytes', type: 'memory', default: 4096, mutable: true, min: 0, max: MAX_LL },
  { name: 'stream-node-max-entries', type: 'int', default: 100, mutable: true, min: 0, max: MAX_LL },
  { name: 'hll-sparse-max-bytes', type: 'memory', default: 3000, mutable: true, min: 0, max: MAX_LL },
  { name: 'slowlog-log-slower-than', type: 'int', default: 10000, mutable: true, min: -1, max: MAX_LL },
  { name: 'slowlog-max-len', type: 'int', default: 128, mutable: true, min: 0, max: MAX_LL },
  { name: 'latency-monitor-threshold', type: 'int', default: 0, mutable: true, min: 0, max: MAX_LL },
  { name: 'aclfile', type: 'string', default: '', mutable: false },
  { name: 'acllog-max-len', type: 'int', default: 128, mutable: true, min: 0, max: MAX_LL },
  { name: 'acl-pubsub-default', type: 'enum', default: 'resetchannels', mutable: true, values: ['allchannels', 'resetchannels'] },
  { name: 'enable-debug-command', type: 'enum', default: 'no', mutable: false, values: ['no', 'yes', 'local'] },
  { name: 'enable-module-command', type: 'enum', default: 'no', mutable: false, values: ['no', 'yes', 'local'] },
  { name: 'enable-protected-configs', type: 'enum', default: 'no', mutable: false, values: ['no', 'yes', 'local'] },
  // Keydra validates every DUMP payload fully (RESTORE), which is what `yes` asks of Redis.
  { name: 'sanitize-dump-payload', type: 'enum', default: 'no', mutable: true, values: ['no', 'yes', 'clients'] },
  { name: 'always-show-logo', type: 'bool', default: false, mutable: false },
  { name: 'shutdown-timeout', type: 'int', default: 10, mutable: true, min: 0, max: MAX_INT, stub: true },
  { name: 'shutdown-on-sigint', type: 'flags', default: ['default'], mutable: true, values: SHUTDOWN_FLAGS },
  { name: 'shutdown-on-sigterm', type: 'flags', default: ['default'], mutable: true, values: SHUTDOWN_FLAGS },
  // Keydra's own: the Prometheus /metrics endpoint and the live dashboard (src/metrics), 0 = off;
  // metrics-bind lists the addresses to serve them on (empty: the same as `bind`).
  { name: 'metrics-port', type: 'int', default: 0, mutable: false, min: 0, max: 65535, hidden: true, keydra: true },
  {
    name: 'metrics-bind',
    type: 'list',
    default: [],
    mutable: false,
    hidden: true,
    keydra: true,
    validate: (v) => ((v as string[]).length > 16 ? 'Too many bind addresses specified.' : null),
  },
  // Keydra's own: a cluster node sends a command for a slot another node owns to that node and
  // relays its reply, instead of -MOVED (src/server/clusterForward.ts).
  { name: 'cluster-forward', type: 'bool', default: false, mutable: true, hidden: true, keydra: true },
  ...STUBS,
];

const byName = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  byName.set(d.name, d);
  for (const a of d.aliases ?? []) byName.set(a, d);
}

/** Finds a directive by name or alias (case-insensitive). */
export function findDirective(name: string): Directive | undefined {
  return byName.get(name.toLowerCase());
}

/**
 * Parses a memory size as Redis's memtoull: a number with optional unit k, kb, m, mb, g, gb
 * (case-insensitive; k=1000, kb=1024). @returns bytes, or NaN if malformed.
 */
export function parseMemory(s: string): number {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 ** 3 };
  return n * mul[unit];
}

/** Parses one directive's arguments into its value. @throws ConfigError with Redis's wording. */
export function parseValue(d: Directive, args: string[]): ConfigValue {
  const raw = args.join(' ');
  switch (d.type) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v === 'yes') return true;
      if (v === 'no') return false;
      throw new ConfigError("argument must be 'yes' or 'no'");
    }
    case 'int':
    case 'memory': {
      let n = d.type === 'memory' ? parseMemory(raw) : /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      // PERCENT_CONFIG: `N%` is kept as -N (Redis maxmemory-clients).
      if (d.percent && /^\d+%$/.test(raw)) n = -Number(raw.slice(0, -1));
      if (!Number.isFinite(n))
        throw new ConfigError(d.type === 'memory' ? 'argument must be a memory value' : "argument couldn't be parsed into an integer");
      if (d.percent && n < 0 && d.min !== undefined && n < d.min)
        throw new ConfigError(`percentage argument must be less or equal to ${-d.min}`);
      if ((d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) {
        throw new ConfigError(`argument must be between ${d.min} and ${d.max} inclusive`);
      }
      return n;
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!d.values?.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${d.values?.join(', ')}`);
      return v;
    }
    case 'string':
      return raw;
    case 'list':
      return raw.split(/\s+/).filter((s) => s.length > 0);
    case 'flags': {
      // Several enum words; Redis MULTI_ARG enum (shutdown-on-sigterm "nosave force").
      const words = raw
        .toLowerCase()
        .split(/\s+/)
        .filter((s) => s.length > 0);
      if (words.length === 0 || words.some((w) => !d.values?.includes(w)))
        throw new ConfigError(`argument(s) must be one of the following: ${d.values?.join(', ')}`);
      if (words.includes('save') && words.includes('nosave'))
        throw new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
      // Kept as Redis shows the bit flags: in the enum's order, `default` (0) only alone.
      const set = d.values?.filter((w) => w !== 'default' && words.includes(w)) ?? [];
      return set.length === 0 ? ['default'] : set;
    }
    case 'floats': {
      const parts = raw.split(/\s+/).filter((s) => s.length > 0);
      for (const p of parts) {
        if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(p))
          throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
        const f = Number(p);
        if (f < 0 || f > 100) throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      }
      return parts.map((p) => String(Number(p)));
    }
    case 'replicaof': {
      const parts = raw.split(/\s+/).filter((s) => s.length > 0);
      if (parts.length !== 2) throw new ConfigError('wrong number of arguments');
      if (parts[0].toLowerCase() === 'no' && parts[1].toLowerCase() === 'one') return [];
      if (!/^\d+$/.test(parts[1]) || Number(parts[1]) > 65535) throw new ConfigError('Invalid master port');
      return parts;
    }
    case 'save': {
      const parts = raw.split(/\s+/).filter((s) => s.length > 0);
      if (parts.length === 1 && parts[0] === '') return [];
      if (parts.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
      const rules: string[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        // Seconds >= 1, changes >= 0 (Redis setConfigSaveOption).
        if (!/^\d+$/.test(parts[i]) || !/^\d+$/.test(parts[i + 1]) || Number(parts[i]) < 1)
          throw new ConfigError('Invalid save parameters');
        rules.push(`${Number(parts[i])} ${Number(parts[i + 1])}`);
      }
      return rules;
    }
    case 'obuf': {
      const parts = raw.split(/\s+/).filter((s) => s.length > 0);
      if (parts.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
      const out: string[] = [];
      for (let i = 0; i < parts.length; i += 4) {
        let cls = parts[i].toLowerCase();
        if (cls === 'slave') cls = 'replica';
        if (!['normal', 'replica', 'pubsub'].includes(cls))
          throw new ConfigError('Invalid client class specified in buffer limit configuration.');
        const hard = parseMemory(parts[i + 1]);
        const soft = parseMemory(parts[i + 2]);
        const secs = Number(parts[i + 3]);
        if (!(hard >= 0) || !(soft >= 0) || !Number.isInteger(secs) || secs < 0) {
          throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
        }
        out.push(`${cls} ${hard} ${soft} ${secs}`);
      }
      return out;
    }
  }
}

/** Formats a value as CONFIG GET replies with it (Redis 7.0 formats). */
export function formatValue(d: Directive, v: ConfigValue): string {
  if (d.format) return d.format(v);
  switch (d.type) {
    case 'bool':
      return v ? 'yes' : 'no';
    case 'list':
    case 'save':
    case 'flags':
    case 'floats':
    case 'replicaof':
      return (v as string[]).join(' ');
    case 'memory':
      return d.percent && (v as number) < 0 ? `${-(v as number)}%` : String(v);
    case 'obuf':
      // Redis 7.0 still prints the replica class as `slave`.
      return (v as string[]).map((r) => (r.startsWith('replica ') ? `slave${r.slice(7)}` : r)).join(' ');
    default:
      return String(v);
  }
}

/** The live configuration of one server. */
export class Config {
  private values = new Map<string, ConfigValue>();
  /** The config file the server was started with ('' if none), for INFO config_file and CONFIG REWRITE. */
  file = '';
  /**
   * `user <name> <rule> ...` directives of the config file, in order ([name, ...rules]); loaded
   * into the ACL at start-up (src/server/acl.ts, Redis ACLAppendUserForLoading).
   */
  readonly users: string[][] = [];
  /** `rename-command` directives applied, as [name, new-name] (CONFIG REWRITE keeps their lines). */
  readonly renamedCommands: [string, string][] = [];
  /**
   * Applies `rename-command name new-name` to the command table (set by whoever owns the table:
   * the CLI and startServer); returns null or Redis's error text. null: renaming is unavailable.
   */
  renameCommand: ((name: string, newName: string) => string | null) | null = null;
  /** Warnings about directives read but ignored (loadmodule, module configs), logged at start-up. */
  readonly ignored: string[] = [];

  constructor() {
    for (const d of DIRECTIVES) this.values.set(d.name, Array.isArray(d.default) ? [...d.default] : d.default);
    this.values.set('dir', resolve(DIRECTIVES.find((d) => d.name === 'dir')?.default as string));
  }

  /** The value of a directive by canonical name. */
  get(name: string): ConfigValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config ${name}`);
    return v;
  }

  num(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string {
    return this.get(name) as string;
  }

  list(name: string): string[] {
    return this.get(name) as string[];
  }

  /**
   * True while a config file or command line is being read: the first `save` line replaces the
   * default rules and later ones add to them, as in Redis (setConfigSaveOption, reading_config_file).
   */
  reading = false;
  private saveLoaded = false;
  private dirSet = false;
  /** Stub directives (accepted, no effect) set since the last call of takeStubWarnings. */
  private stubsSet: string[] = [];

  /**
   * Sets a directive from its textual arguments (file line, flag or CONFIG SET).
   * `dir` is kept absolute, resolved against the current `dir` like Redis's chdir; at run time it
   * must name an existing directory. `client-output-buffer-limit` changes only the classes given.
   * @throws ConfigError for an unknown name or bad value; `runtime` also refuses immutable ones.
   */
  set(name: string, args: string[], runtime = false): void {
    if (!runtime && name.toLowerCase() === 'user' && args.length >= 1) {
      this.users.push(args);
      return;
    }
    const d = findDirective(name);
    if (!d) throw new ConfigError(`Bad directive or wrong number of arguments`);
    if (runtime && !d.mutable) throw new ConfigError(`can't set immutable config`);
    let v = parseValue(d, args);
    const bad = d.validate?.(v);
    if (bad) throw new ConfigError(bad);
    if (d.name === 'dir') v = this.resolveDir(v as string, runtime);
    else if (d.type === 'obuf') v = mergeObuf(this.values.get(d.name) as string[], v as string[]);
    else if (d.type === 'save' && this.reading) {
      // `save ""` empties the rules; other lines add to the file's first one (a bare `save` adds nothing).
      const reset = args.length === 1 && args[0] === '';
      if (this.saveLoaded && !reset) v = [...(this.values.get(d.name) as string[]), ...(v as string[])];
      this.saveLoaded = true;
    }
    this.values.set(d.name, v);
    // A stub left at its default misses nothing: only other values are worth a warning.
    if (d.stub && !this.stubsSet.includes(d.name) && formatValue(d, v) !== formatValue(d, d.default)) this.stubsSet.push(d.name);
    d.onChange?.(v);
    for (const f of this.listeners.get(d.name) ?? []) f(v);
    if (this.appliers.length !== 0 && !this.pendingApply.includes(d.name) && this.appliers.some((a) => a.names.has(d.name)))
      this.pendingApply.push(d.name);
  }

  /**
   * The warnings for stub directives set since the last call (one per directive), for the log.
   * @returns lines such as "Directive 'repl-timeout' is accepted but not implemented in Keydra (no effect)".
   */
  takeStubWarnings(): string[] {
    const out = this.stubsSet.map((n) => `Directive '${n}' is accepted but not implemented in Keydra (no effect)`);
    this.stubsSet = [];
    return out;
  }

  /** A path relative to `dir` made absolute (aclfile, logfile, pidfile: Redis opens them after chdir(dir)). */
  resolvePath(p: string): string {
    return p === '' || isAbsolute(p) ? p : resolve(this.str('dir'), p);
  }

  /**
   * The absolute directory for a new `dir` value, relative to the current one (Redis chdir()s).
   * @throws ConfigError with the OS error text when, at run time, it is not an accessible directory.
   */
  private resolveDir(value: string, runtime: boolean): string {
    // The first `dir` is relative to the process's working directory (Keydra's default `./data`
    // is not a chdir), later ones to the current `dir`, as Redis's successive chdir() calls.
    const cur = this.dirSet ? (this.values.get('dir') as string) : process.cwd();
    this.dirSet = true;
    const abs = resolve(cur, value);
    if (runtime) {
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(abs);
      } catch (e) {
        throw new ConfigError(strerror((e as NodeJS.ErrnoException).code));
      }
      if (!st.isDirectory()) throw new ConfigError('Not a directory');
      try {
        accessSync(abs, constants.X_OK);
      } catch (e) {
        throw new ConfigError(strerror((e as NodeJS.ErrnoException).code));
      }
    }
    return abs;
  }

  private listeners = new Map<string, ((v: ConfigValue) => void)[]>();
  /** Apply functions (Redis standardConfig `apply`): run once per CONFIG SET after every value is set. */
  private appliers: { names: Set<string>; fn: () => void }[] = [];
  /** Directives with an apply function changed since the last applyPending, in order. */
  private pendingApply: string[] = [];

  /**
   * Registers `fn` as the apply function of `names` (Redis config.c apply functions such as
   * applyTlsCfg): CONFIG SET runs it once after setting all its pairs, when any of them changed
   * one of `names` (so that tls-cert-file and tls-key-file can change together). `fn` throws a
   * ConfigError with the reply text to refuse the change (CONFIG SET then restores the old values).
   */
  onApply(names: string[], fn: () => void): void {
    this.appliers.push({ names: new Set(names), fn });
  }

  /**
   * Runs the apply functions of the directives changed since the last call (each once).
   * @throws ConfigApplyError naming the first changed directive of the failing function.
   */
  applyPending(): void {
    const changed = this.pendingApply;
    this.pendingApply = [];
    for (const a of this.appliers) {
      const first = changed.find((n) => a.names.has(n));
      if (first === undefined) continue;
      try {
        a.fn();
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigApplyError(e.message, first);
        throw e;
      }
    }
  }

  /** Registers a callback run whenever `name` changes. */
  onChange(name: string, f: (v: ConfigValue) => void): void {
    const l = this.listeners.get(name) ?? [];
    l.push(f);
    this.listeners.set(name, l);
  }

  /** All directives with their formatted values (CONFIG GET *). */
  entries(): [string, string][] {
    return DIRECTIVES.map((d) => [d.name, formatValue(d, this.values.get(d.name) as ConfigValue)]);
  }
}

/** Replaces the classes given in `upd` within `cur`, keeping the others (Redis updates only the classes named). */
function mergeObuf(cur: string[], upd: string[]): string[] {
  const out = [...cur];
  for (const r of upd) {
    const cls = r.slice(0, r.indexOf(' '));
    const i = out.findIndex((x) => x.startsWith(`${cls} `));
    if (i >= 0) out[i] = r;
    else out.push(r);
  }
  return out;
}

/** The C library's strerror text for a Node error code (what Redis replies for a failed chdir). */
export function strerror(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EACCES':
      return 'Permission denied';
    case 'EADDRINUSE':
      return 'Address already in use';
    case 'EADDRNOTAVAIL':
      return 'Cannot assign requested address';
    case 'ELOOP':
      return 'Too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'File name too long';
    default:
      return code ?? 'Unknown error';
  }
}
