/**
 * The command table: every implemented command joined with Redis 7.0's spec for it.
 *
 * One table serves the dispatcher (arity, flags, subcommand lookup), COMMAND COUNT/INFO/DOCS/
 * GETKEYS and key extraction. Specs come from src/server/redis-commands.json (Redis's own
 * metadata; COMMAND DOCS reads redis-command-docs.json on first use); a family's CommandDef supplies only the handler. A name with no spec is a
 * programming error and fails at start-up. `commandTable` is what a server is handed at start-up
 * (src/index.ts); the functions below serve the command families themselves.
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
import { commandSpecs } from '../assets/index.js';
import { type Command, type CommandDef, CommandTable } from '../server/command.js';
import { clientInfoString } from './connection/client.js';
import { afterCall, afterUnblock } from './server/slowlog.js';
import { discardTransaction } from './tx/index.js';
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
  commands: Record<string, { info: RespNode[] }>;
}

/**
 * The table of every family with the command layer's hooks. Process-wide: every server of the
 * process is handed this one (rename-command therefore applies process-wide; the CLI runs one).
 */
export const commandTable = new CommandTable(FAMILIES, commandSpecs() as unknown as SpecFile['commands'], {
  afterCall,
  afterUnblock,
  discardTransaction,
  clientInfo: clientInfoString,
});

/** Every implemented top-level command. */
export const commands: readonly Command[] = commandTable.all;

/** Finds a top-level command by name in any case. */
export function lookupCommand(name: string): Command | undefined {
  return commandTable.lookup(name);
}

/** Finds a command by full name (`get`, `config|get`), any case (lookupCommandBySds). */
export function lookupByFullName(fullName: string): Command | undefined {
  return commandTable.lookupByFullName(fullName);
}

/** The spec of a Redis command Keydra may not implement (tests: compare coverage). */
export function redisSpecNames(): string[] {
  return commandTable.specNames();
}

export { Command } from '../server/command.js';
