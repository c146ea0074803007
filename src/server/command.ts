/**
 * The command model: what a command is at run time (its Redis spec, handler, flags and stats), the
 * shapes every command family shares, and the command table a server is handed at start-up.
 *
 * A family (src/commands/<family>/index.ts) exports `CommandDef[]`: a name and a handler. Arity,
 * flags, key positions, key specs, ACL categories and docs come from Redis's own command specs
 * (src/server/redis-commands.json, generated from redis-server 7.0 by scripts/gen-command-meta.ts;
 * the docs in redis-command-docs.json, read on the first COMMAND DOCS), so they match Redis exactly; CommandTable joins the two. The server reaches the commands only
 * through the CommandTable given to its constructor (src/commands/table.ts builds it), so this
 * layer imports nothing from src/commands.
 * Source: Redis 7.0 server.h (struct redisCommand, CMD_* flags), server.c populateCommandTable.
 */
import { readCommandDocs } from '../assets/index.js';
import type { RespNode } from '../protocol/decoder.js';
import type { BlockState, Client } from './client.js';

/**
 * A command implementation. Runs synchronously (never awaits), so each command is atomic.
 * It replies through `c.reply` exactly once (one reply value, possibly an aggregate), marks writes
 * with `c.server.dirty++` so the dispatcher propagates argv (or what the handler asked for instead).
 * @param argv the command and its arguments as latin1 strings; argv[0] is the name as sent.
 */
export type CommandHandler = (c: Client, argv: string[]) => void;

/** What a family declares for one command (or one subcommand of a container such as CONFIG). */
export interface CommandDef {
  /** Lowercase name as Redis spells it: `get`, or for a subcommand its own name (`get` under `config`). */
  name: string;
  /** The implementation; a container with subcommands may omit it. */
  handler?: CommandHandler;
  /** Subcommands (CONFIG GET, CLIENT LIST, ...). */
  subcommands?: CommandDef[];
  /**
   * The flags this call runs with when they depend on its arguments (Redis getCommandFlags: EVAL
   * and FCALL take the script's shebang flags). Read by the dispatcher's OOM and CLIENT PAUSE gates
   * and at MULTI queueing, not on every command. `flags` is the command's own CmdFlag bitmask.
   * @returns a CmdFlag bitmask.
   */
  flagsFor?: (c: Client, argv: string[], flags: number) => number;
}

/**
 * The command flags a script runs with when it declares shebang flags (Redis 7.0 script.c
 * scriptFlagsToCmdFlags): write unless no-writes, deny-oom unless allow-oom or no-writes, stale
 * only with allow-stale, never may-replicate. `noWrites`/`allowOom`/`allowStale` are the script's.
 */
export function scriptCmdFlags(flags: number, noWrites: boolean, allowOom: boolean, allowStale: boolean): number {
  let f = flags & ~(CmdFlag.Stale | CmdFlag.DenyOom | CmdFlag.Write | CmdFlag.MayReplicate);
  if (!noWrites && !allowOom) f |= CmdFlag.DenyOom;
  if (!noWrites) f |= CmdFlag.Write;
  if (allowStale) f |= CmdFlag.Stale;
  return f;
}

/** Command flags as a bitmask (Redis CMD_*), parsed from the spec's flag names. */
export const enum CmdFlag {
  Write = 1 << 0,
  Readonly = 1 << 1,
  DenyOom = 1 << 2,
  Admin = 1 << 3,
  PubSub = 1 << 4,
  NoScript = 1 << 5,
  Blocking = 1 << 6,
  Loading = 1 << 7,
  Stale = 1 << 8,
  Fast = 1 << 9,
  NoAuth = 1 << 10,
  MayReplicate = 1 << 11,
  NoMulti = 1 << 12,
  MovableKeys = 1 << 13,
  AllowBusy = 1 << 14,
  SkipMonitor = 1 << 15,
  SkipSlowlog = 1 << 16,
  NoMandatoryKeys = 1 << 17,
  /** May delete keys it did not name (lazy expiry of random keys): its effects are not wrapped in MULTI/EXEC. */
  TouchesArbitraryKeys = 1 << 18,
}

export const FLAG_BITS: Record<string, number> = {
  write: CmdFlag.Write,
  readonly: CmdFlag.Readonly,
  denyoom: CmdFlag.DenyOom,
  admin: CmdFlag.Admin,
  pubsub: CmdFlag.PubSub,
  noscript: CmdFlag.NoScript,
  blocking: CmdFlag.Blocking,
  loading: CmdFlag.Loading,
  stale: CmdFlag.Stale,
  fast: CmdFlag.Fast,
  no_auth: CmdFlag.NoAuth,
  may_replicate: CmdFlag.MayReplicate,
  no_multi: CmdFlag.NoMulti,
  movablekeys: CmdFlag.MovableKeys,
  allow_busy: CmdFlag.AllowBusy,
  skip_monitor: CmdFlag.SkipMonitor,
  skip_slowlog: CmdFlag.SkipSlowlog,
  no_mandatory_keys: CmdFlag.NoMandatoryKeys,
};

/** Commands created so far: each gets the next slot of the per-server stats arrays (CommandStats). */
let statSlots = 0;

/**
 * One server's INFO commandstats counters (calls, µs, rejected calls, failed calls), in a
 * Float64Array with four slots per command (at Command.statIdx): the Command objects are shared
 * by every server of the process (one command table), their counts are not.
 */
export class CommandStats {
  /** [calls, usec, rejected, failed] at statIdx .. statIdx+3 of each command. */
  a: Float64Array;

  constructor() {
    // Commands are made when the table loads, before any server; spare room for any made later.
    this.a = new Float64Array((statSlots + 64) * 4);
  }

  calls(cmd: Command): number {
    return this.a[cmd.statIdx] ?? 0;
  }

  usec(cmd: Command): number {
    return this.a[cmd.statIdx + 1] ?? 0;
  }

  rejected(cmd: Command): number {
    return this.a[cmd.statIdx + 2] ?? 0;
  }

  failed(cmd: Command): number {
    return this.a[cmd.statIdx + 3] ?? 0;
  }

  /** True when the command has any count (INFO commandstats lists only those). */
  used(cmd: Command): boolean {
    const a = this.a;
    const i = cmd.statIdx;
    return (a[i] ?? 0) !== 0 || (a[i + 2] ?? 0) !== 0 || (a[i + 3] ?? 0) !== 0;
  }

  /** Zeroes every count (CONFIG RESETSTAT). */
  reset(): void {
    this.a.fill(0);
  }
}

/** A runtime command: spec fields, handler, subcommands; its stats are per server (CommandStats). */
export class Command {
  /** `get`, or `config|get` for a subcommand. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: number;
  readonly flagNames: string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** The COMMAND INFO entry as Redis sends it (RESP3 tree); subcommands filtered to those implemented. */
  readonly info: RespNode[];
  readonly subcommands: Map<string, Command> | null;
  /** The handler needs the Lua VM (scripting's withLua): the dispatcher may defer it while the VM loads. */
  readonly needsLua: boolean;
  /** Offset of this command's four counters in a server's CommandStats array. */
  readonly statIdx = statSlots++ * 4;

  constructor(
    def: CommandDef,
    readonly parent: Command | null,
    info: RespNode[],
  ) {
    this.fullName = parent ? `${parent.fullName}|${def.name}` : def.name;
    this.handler = def.handler ?? null;
    this.needsLua = (def.handler as { needsLua?: boolean } | undefined)?.needsLua === true;
    this.arity = info[1] as number;
    this.flagNames = (info[2] as { v: { v: string }[] }).v.map((f) => f.v);
    let flags = HIDDEN_MAY_REPLICATE.has(this.fullName) ? CmdFlag.MayReplicate : 0;
    if (TOUCHES_ARBITRARY_KEYS.has(this.fullName)) flags |= CmdFlag.TouchesArbitraryKeys;
    for (const f of this.flagNames) flags |= FLAG_BITS[f] ?? 0;
    this.flags = flags;
    this.flagsFor = def.flagsFor ?? null;
    this.firstKey = info[3] as number;
    this.lastKey = info[4] as number;
    this.keyStep = info[5] as number;
    if (def.subcommands) {
      this.subcommands = new Map();
      const subInfos = info[9] as RespNode[];
      const kept: RespNode[] = [];
      for (const sd of def.subcommands) {
        const full = `${this.fullName}|${sd.name}`;
        const si = subInfos.find((s) => (s as RespNode[])[0] === full) as RespNode[] | undefined;
        if (!si) throw new Error(`no Redis spec for subcommand ${full}`);
        kept.push(si);
        this.subcommands.set(sd.name, new Command(sd, this, si));
      }
      // Keep Redis's order of the subcommand list (COMMAND INFO byte-identical).
      kept.sort((a, b) => subInfos.indexOf(a) - subInfos.indexOf(b));
      this.info = [...info.slice(0, 9), kept];
    } else {
      this.subcommands = null;
      this.info = info;
    }
  }

  readonly handler: CommandHandler | null;

  /** The COMMAND DOCS entry (RESP3 map tree), from redis-command-docs.json (read on first use). */
  get docs(): RespNode {
    if (this.parent === null) return commandDocs()[this.fullName] ?? null;
    return findDocsSubcommands(this.parent.docs).get(this.fullName) ?? null;
  }

  /** Argument-dependent flags (CommandDef.flagsFor), null when `flags` always holds. */
  readonly flagsFor: ((c: Client, argv: string[], flags: number) => number) | null;
}

/**
 * Commands Redis 7.0 flags CMD_MAY_REPLICATE without showing it in COMMAND INFO ("Hidden on
 * purpose", server.c addReplyCommandFlags), so the generated spec lacks it: they are postponed by
 * CLIENT PAUSE WRITE and refused in read-only scripts (commands/*.json). EVAL, EVALSHA and FCALL
 * drop it when the script declares flags (CommandDef.flagsFor, script.c scriptFlagsToCmdFlags).
 */
const HIDDEN_MAY_REPLICATE = new Set(['eval', 'evalsha', 'fcall', 'pfcount', 'publish', 'spublish']);

/**
 * Commands flagged TOUCHES_ARBITRARY_KEYS in Redis 7.0's commands/*.json (not shown by COMMAND
 * INFO): run directly, the DELs of the expired keys they meet are propagated without MULTI/EXEC
 * (server.c propagatePendingCommands).
 */
const TOUCHES_ARBITRARY_KEYS = new Set(['scan', 'randomkey']);

/**
 * COMMAND DOCS entries by top-level command name, read from redis-command-docs.json (next to this
 * module) on first use: ~170 KB of JSON an embedded server never asked for COMMAND DOCS does not
 * parse or keep.
 */
let docsByName: Record<string, RespNode> | null = null;

function commandDocs(): Record<string, RespNode> {
  if (docsByName === null) {
    docsByName = readCommandDocs() as Record<string, RespNode>;
  }
  return docsByName;
}

function findDocsSubcommands(docs: RespNode): Map<string, RespNode> {
  const out = new Map<string, RespNode>();
  if (docs === null || typeof docs !== 'object' || !('t' in docs) || docs.t !== '%') return out;
  const v = docs.v;
  for (let i = 0; i < v.length; i += 2) {
    if (v[i] === 'subcommands') {
      const m = v[i + 1] as { v: RespNode[] };
      for (let j = 0; j < m.v.length; j += 2) out.set(m.v[j] as string, m.v[j + 1]);
    }
  }
  return out;
}

/**
 * What the command layer does around every call, handed to the server with the table (so the
 * dispatcher needs no import of src/commands): stats, slow log, latency, MONITOR and tracking
 * after a call or a served blocked client, a transaction's discard, a client's CLIENT LIST line.
 */
export interface CommandHooks {
  /** After a command ran: `ms` its duration, `replyStart` where its reply began in c.reply. */
  afterCall(c: Client, cmd: Command, argv: string[], ms: number, replyStart: number): void;
  /** After a blocked client was served: `replyMs` the serving time, `hadErrors` whether it replied an error. */
  afterUnblock(c: Client, st: BlockState, replyMs: number, hadErrors: boolean): void;
  /** Ends the client's MULTI state (DISCARD, or EXEC refused before running: execCommandAbort). */
  discardTransaction(c: Client): void;
  /** The client's CLIENT LIST line (no newline), for log lines and ACL LOG. */
  clientInfo(c: Client, now?: number): string;
}

/**
 * The table of implemented commands: every top-level command under its lowercase and uppercase
 * names (the dispatcher needs no case conversion for the common spellings), plus the hooks.
 * @throws Error at construction when a CommandDef has no Redis spec or is defined twice.
 */
export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** Every implemented top-level command. */
  readonly all: Command[] = [];

  constructor(
    families: CommandDef[][],
    private readonly specs: Record<string, { info: RespNode[] }>,
    readonly hooks: CommandHooks,
  ) {
    for (const family of families) {
      for (const def of family) {
        const spec = specs[def.name];
        if (!spec) throw new Error(`no Redis spec for command ${def.name}`);
        if (this.byName.has(def.name)) throw new Error(`command ${def.name} defined twice`);
        const cmd = new Command(def, null, spec.info);
        this.byName.set(def.name, cmd);
        this.byName.set(def.name.toUpperCase(), cmd);
        this.all.push(cmd);
      }
    }
  }

  /** Finds a top-level command by name in any case. */
  lookup(name: string): Command | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /** `lookup`, then the subcommand of a container when argv names one (Redis lookupCommand(argv, argc)). */
  lookupArgv(argv: string[]): Command | undefined {
    const cmd = this.lookup(argv[0]);
    if (cmd === undefined || cmd.subcommands === null || argv.length < 2) return cmd;
    return cmd.subcommands.get(argv[1]) ?? cmd.subcommands.get(argv[1].toLowerCase());
  }

  /**
   * Config directive `rename-command <name> <new-name>` (Redis loadServerConfigFromString): the
   * command answers to `new-name` only, or to nothing when `new-name` is empty.
   * @returns null, or Redis's error text ("No such command in rename-command", "Target command name already exists").
   */
  rename(name: string, newName: string): string | null {
    const cmd = this.lookup(name);
    if (cmd === undefined) return 'No such command in rename-command';
    if (newName !== '' && this.lookup(newName) !== undefined) return 'Target command name already exists';
    for (const [k, v] of [...this.byName]) if (v === cmd && k.toLowerCase() === name.toLowerCase()) this.byName.delete(k);
    if (newName !== '') {
      this.byName.set(newName.toLowerCase(), cmd);
      this.byName.set(newName.toUpperCase(), cmd);
    }
    return null;
  }

  /** Finds a command by full name (`get`, `config|get`), any case; undefined if not implemented or deeper than a subcommand (lookupCommandBySds). */
  lookupByFullName(fullName: string): Command | undefined {
    const parts = fullName.toLowerCase().split('|');
    if (parts.length > 2) return undefined;
    const [top, sub] = parts;
    const cmd = this.byName.get(top);
    if (sub === undefined || cmd === undefined) return cmd;
    return cmd.subcommands?.get(sub);
  }

  /** The names of every Redis 7.0 command spec, implemented or not (tests: compare coverage). */
  specNames(): string[] {
    return Object.keys(this.specs);
  }
}
