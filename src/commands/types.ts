/**
 * The shapes every command family shares.
 *
 * A family (src/commands/<family>/index.ts) exports `CommandDef[]`: a name and a handler. Arity,
 * flags, key positions, key specs, ACL categories and docs come from Redis's own command specs
 * (src/commands/redis-commands.json, generated from redis-server 7.0 by scripts/gen-command-meta.ts),
 * so they match Redis exactly; table.ts joins the two.
 */
import type { Client } from '../server/client.js';

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
