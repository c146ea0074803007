/**
 * The command table: every implemented command joined with Redis 7.0's spec for it.
 *
 * One table serves the dispatcher (arity, flags, subcommand lookup), COMMAND COUNT/INFO/DOCS/
 * GETKEYS and key extraction. Specs come from redis-commands.json (Redis's own metadata); a
 * family's CommandDef supplies only the handler. A name with no spec is a programming error and
 * fails at start-up.
 * Source: Redis 7.0 server.c populateCommandTable, commands.def.
 */
import type { RespNode } from '../protocol/decoder.js';
import bitmaps from './bitmaps/index.js';
import connection from './connection/index.js';
import geo from './geo/index.js';
import hashes from './hashes/index.js';
import hyperloglog from './hyperloglog/index.js';
import keys from './keys/index.js';
import lists from './lists/index.js';
import memory from './memory/index.js';
import migrate from './migrate/migrate.js';
import persistence from './persistence/index.js';
import pubsub from './pubsub/index.js';
import scripting from './scripting/index.js';
import functions from './scripting/functions.js';
import server from './server/index.js';
import sets from './sets/index.js';
import sort from './sort/index.js';
import streams from './streams/index.js';
import strings from './strings/index.js';
import specFile from './redis-commands.json' with { type: 'json' };
import { CmdFlag, type CommandDef, type CommandHandler, FLAG_BITS } from './types.js';
import type { Client } from '../server/client.js';
import tx from './tx/index.js';
import zsets from './zsets/index.js';

/** Every family's definitions, in the order COMMAND lists nothing in particular (Redis uses a dict). */
export const FAMILIES: CommandDef[][] = [
  connection,
  server,
  strings,
  keys,
  lists,
  hashes,
  sets,
  zsets,
  sort,
  tx,
  pubsub,
  persistence,
  memory,
  migrate,
  scripting,
  functions,
  streams,
  bitmaps,
  hyperloglog,
  geo,
];

interface SpecFile {
  commands: Record<string, { info: RespNode[]; docs: RespNode }>;
}
const specs = (specFile as unknown as SpecFile).commands;

/** A runtime command: spec fields, handler, subcommands and per-command stats (INFO commandstats). */
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
  /** The COMMAND DOCS entry (RESP3 map tree). */
  readonly docs: RespNode;
  readonly subcommands: Map<string, Command> | null;
  /** INFO commandstats: calls, microseconds, rejected and failed calls. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  /** LATENCY HISTOGRAM: calls per latency bucket (src/commands/server/latency.ts), null before the first call. */
  latencyHist: Uint32Array | null = null;

  constructor(
    def: CommandDef,
    readonly parent: Command | null,
    info: RespNode[],
    docs: RespNode,
  ) {
    this.fullName = parent ? `${parent.fullName}|${def.name}` : def.name;
    this.handler = def.handler ?? null;
    this.arity = info[1] as number;
    this.flagNames = (info[2] as { v: { v: string }[] }).v.map((f) => f.v);
    let flags = HIDDEN_MAY_REPLICATE.has(this.fullName) ? CmdFlag.MayReplicate : 0;
    for (const f of this.flagNames) flags |= FLAG_BITS[f] ?? 0;
    this.flags = flags;
    this.flagsFor = def.flagsFor ?? null;
    this.firstKey = info[3] as number;
    this.lastKey = info[4] as number;
    this.keyStep = info[5] as number;
    this.docs = docs;
    if (def.subcommands) {
      this.subcommands = new Map();
      const subInfos = info[9] as RespNode[];
      const subDocs = findDocsSubcommands(docs);
      const kept: RespNode[] = [];
      for (const sd of def.subcommands) {
        const full = `${this.fullName}|${sd.name}`;
        const si = subInfos.find((s) => (s as RespNode[])[0] === full) as RespNode[] | undefined;
        if (!si) throw new Error(`no Redis spec for subcommand ${full}`);
        kept.push(si);
        this.subcommands.set(sd.name, new Command(sd, this, si, subDocs.get(full) ?? null));
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
 * Builds the lookup table. Each command is reachable under its lowercase and uppercase name, so
 * the dispatcher needs no case conversion for the common spellings.
 */
function buildTable(): { byName: Map<string, Command>; all: Command[] } {
  const byName = new Map<string, Command>();
  const all: Command[] = [];
  for (const family of FAMILIES) {
    for (const def of family) {
      const spec = specs[def.name];
      if (!spec) throw new Error(`no Redis spec for command ${def.name}`);
      if (byName.has(def.name)) throw new Error(`command ${def.name} defined twice`);
      const cmd = new Command(def, null, spec.info, spec.docs);
      byName.set(def.name, cmd);
      byName.set(def.name.toUpperCase(), cmd);
      all.push(cmd);
    }
  }
  return { byName, all };
}

const table = buildTable();

/** Every implemented top-level command. */
export const commands: readonly Command[] = table.all;

/** Finds a top-level command by name in any case. */
export function lookupCommand(name: string): Command | undefined {
  return table.byName.get(name) ?? table.byName.get(name.toLowerCase());
}

/**
 * Config directive `rename-command <name> <new-name>` (Redis loadServerConfigFromString): the
 * command answers to `new-name` only, or to nothing when `new-name` is empty. Process-wide: the
 * table is shared by every server of the process (the CLI runs one).
 * @returns false when `name` is no command or `new-name` already is one.
 */
export function renameCommand(name: string, newName: string): boolean {
  const cmd = lookupCommand(name);
  if (cmd === undefined) return false;
  if (newName !== '' && lookupCommand(newName) !== undefined) return false;
  for (const [k, v] of [...table.byName]) if (v === cmd && k.toLowerCase() === name.toLowerCase()) table.byName.delete(k);
  if (newName !== '') {
    table.byName.set(newName.toLowerCase(), cmd);
    table.byName.set(newName.toUpperCase(), cmd);
  }
  return true;
}

/** Finds a command by full name (`get`, `config|get`), any case; undefined if not implemented or deeper than a subcommand (lookupCommandBySds). */
export function lookupByFullName(fullName: string): Command | undefined {
  const parts = fullName.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const [top, sub] = parts;
  const cmd = table.byName.get(top);
  if (sub === undefined || cmd === undefined) return cmd;
  return cmd.subcommands?.get(sub);
}

/** The spec of a Redis command Keydra may not implement (tests: compare coverage). */
export function redisSpecNames(): string[] {
  return Object.keys(specs);
}
