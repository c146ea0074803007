/**
 * Configuration: every directive Keydra knows, with redis.conf names, types, defaults and limits.
 *
 * The same table serves the config file, `--directive value` command-line flags, CONFIG GET
 * (glob patterns) and CONFIG SET. Values are kept parsed (numbers in their unit: bytes, seconds,
 * ms as the directive says); `format` gives the string CONFIG GET replies with.
 * Source: Redis 7.0 config.c (standardConfig table), redis.conf.
 */

/** Thrown for a bad directive or value; the message is what Redis prints/replies. */
export class ConfigError extends Error {}

export type ConfigValue = string | number | boolean | string[];

/** One directive's description. */
export interface Directive {
  name: string;
  /** Older names accepted for the same setting (e.g. `slave-read-only`). */
  aliases?: string[];
  type: 'bool' | 'int' | 'memory' | 'enum' | 'string' | 'list' | 'save' | 'obuf';
  default: ConfigValue;
  /** Whether CONFIG SET may change it at run time. */
  mutable: boolean;
  min?: number;
  max?: number;
  /** Allowed values of an enum. */
  values?: string[];
  /** Called after a successful change (file, flag or CONFIG SET). */
  onChange?: (value: ConfigValue) => void;
}

const MAX_INT = 2 ** 31 - 1;
const MAX_LL = Number.MAX_SAFE_INTEGER;

/** The directives. Extend this list to add one; nothing else needs to change for GET/SET/file. */
export const DIRECTIVES: Directive[] = [
  { name: 'port', type: 'int', default: 6379, mutable: true, min: 0, max: 65535 },
  { name: 'bind', type: 'list', default: ['127.0.0.1', '-::1'], mutable: true },
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
  { name: 'dir', type: 'string', default: './data', mutable: true },
  { name: 'dbfilename', type: 'string', default: 'dump.rdb', mutable: true },
  { name: 'save', type: 'save', default: ['3600 1', '300 100', '60 10000'], mutable: true },
  { name: 'appendonly', type: 'bool', default: false, mutable: true },
  { name: 'appendfilename', type: 'string', default: 'appendonly.aof', mutable: false },
  { name: 'appenddirname', type: 'string', default: 'appendonlydir', mutable: false },
  { name: 'appendfsync', type: 'enum', default: 'everysec', mutable: true, values: ['everysec', 'always', 'no'] },
  { name: 'aof-load-truncated', type: 'bool', default: true, mutable: true },
  { name: 'aof-use-rdb-preamble', type: 'bool', default: true, mutable: true },
  { name: 'rdbcompression', type: 'bool', default: true, mutable: true },
  { name: 'rdbchecksum', type: 'bool', default: true, mutable: true },
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
  { name: 'notify-keyspace-events', type: 'string', default: '', mutable: true },
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
      const n = d.type === 'memory' ? parseMemory(raw) : /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n))
        throw new ConfigError(d.type === 'memory' ? 'argument must be a memory value' : "argument couldn't be parsed into an integer");
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
    case 'save': {
      const parts = raw.split(/\s+/).filter((s) => s.length > 0);
      if (parts.length === 1 && parts[0] === '') return [];
      if (parts.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
      const rules: string[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        if (!/^\d+$/.test(parts[i]) || !/^\d+$/.test(parts[i + 1])) throw new ConfigError('Invalid save parameters');
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
  switch (d.type) {
    case 'bool':
      return v ? 'yes' : 'no';
    case 'list':
    case 'save':
      return (v as string[]).join(' ');
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

  constructor() {
    for (const d of DIRECTIVES) this.values.set(d.name, Array.isArray(d.default) ? [...d.default] : d.default);
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
   * Sets a directive from its textual arguments (file line, flag or CONFIG SET).
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
    const v = parseValue(d, args);
    this.values.set(d.name, v);
    d.onChange?.(v);
    for (const f of this.listeners.get(d.name) ?? []) f(v);
  }

  private listeners = new Map<string, ((v: ConfigValue) => void)[]>();

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
