/**
 * Redis 7.0 Functions commands: FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL/HELP,
 * FCALL and FCALL_RO, over the per-server engine of src/scripting/functions.ts.
 *
 * LOAD, DELETE, FLUSH and RESTORE mark the server dirty, so the dispatcher propagates them as sent
 * (to the AOF), as Redis does. FCALL runs the function through src/scripting/engine.ts (fn(KEYS,
 * ARGV); its writes propagate as one MULTI/EXEC unit, the FCALL itself never).
 * FUNCTION LIST lists libraries in load order and functions in registration order (Redis's order
 * is its dict's, i.e. hash order, which is not reproducible anyway).
 * Source: Redis 7.0 functions.c (functionLoadCommand, functionListCommand, fcallCommandGeneric,
 * functionDumpCommand, functionRestoreCommand, functionStatsCommand), script.c scriptPrepareForRun.
 */
import { Crc64 } from '../../persistence/rdb/crc64.js';
import { RDB_VERSION, RdbOp, RdbReader, RdbWriter, verifyDumpPayload } from '../../persistence/rdb/rdb.js';
import { ERR_MASTERDOWN, ERR_MASTERDOWN_SCRIPT, ERR_NOREPLICAS, ERR_OOM, ERR_SCRIPT_NO_CLUSTER } from '../../errors.js';
import { busyError, goodReplicasOk, killScript, runningStale, runScript, withLua } from '../../scripting/engine.js';
import {
  FLAG_ALLOW_CROSS_SLOT,
  FLAG_ALLOW_OOM,
  FLAG_ALLOW_STALE,
  FLAG_NO_CLUSTER,
  FLAG_NO_WRITES,
  FUNCTION_FLAGS,
  type FunctionsEngine,
  LibCtx,
  functionsEngine,
} from '../../scripting/functions.js';
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import { globMatch } from '../../store/glob.js';
import { addInfoContributor, bytesToHuman, infoContributors } from '../server/info.js';
import { type CommandDef, scriptCmdFlags } from '../types.js';

/** The function being run per server (FUNCTION STATS running_script): name, argv, start time. */
const runningFunctions = new WeakMap<KeydraServer, { name: string; argv: string[]; start: number }>();

/** `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try FUNCTION HELP.` */
function subcommandSyntaxError(c: Client, sub: string): void {
  c.error(`ERR unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try FUNCTION HELP.`);
}

/** FUNCTION LOAD [REPLACE] code → the library name. */
function functionLoadCommand(c: Client, argv: string[]): void {
  let replace = false;
  let pos = 2;
  while (pos < argv.length - 1) {
    const a = argv[pos++];
    if (a.toLowerCase() === 'replace') {
      replace = true;
      continue;
    }
    c.error(`ERR Unknown option given: ${a}`);
    return;
  }
  if (pos >= argv.length) {
    c.error('ERR Function code is missing');
    return;
  }
  const e = functionsEngine(c.server);
  // mustObeyClient (AOF replay, no socket): no load timeout.
  const r = e.createLibrary(argv[pos], replace, e.lib, c.socket === null ? 0 : undefined);
  if ('error' in r) {
    c.error(`ERR ${r.error}`);
    return;
  }
  c.server.dirty++;
  c.reply.bulk(r.name);
}

/** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]. */
function functionListCommand(c: Client, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!withCode && a.toLowerCase() === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && a.toLowerCase() === 'libraryname') {
      if (i >= argv.length - 1) {
        c.error('ERR library name argument was not given');
        return;
      }
      pattern = argv[++i];
      continue;
    }
    c.error(`ERR Unknown argument ${a}`);
    return;
  }
  const e = functionsEngine(c.server);
  const libs = [...e.lib.libraries.values()].filter((li) => pattern === null || globMatch(pattern, li.name));
  const r = c.reply;
  r.arrayLen(libs.length);
  for (const li of libs) {
    r.mapLen(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(li.name);
    r.bulk('engine');
    r.bulk('LUA');
    r.bulk('functions');
    r.arrayLen(li.functions.size);
    for (const fi of li.functions.values()) {
      r.mapLen(3);
      r.bulk('name');
      r.bulk(fi.name);
      r.bulk('description');
      if (fi.desc === null) r.nullBulk();
      else r.bulk(fi.desc);
      r.bulk('flags');
      const names = FUNCTION_FLAGS.filter(([, bit]) => (fi.flags & bit) !== 0).map(([n]) => n);
      r.setLen(names.length);
      for (const n of names) r.simple(n);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(li.code);
    }
  }
}

/** FUNCTION DELETE library-name. */
function functionDeleteCommand(c: Client, argv: string[]): void {
  const e = functionsEngine(c.server);
  const li = e.lib.libraries.get(argv[2]);
  if (li === undefined) {
    c.error('ERR Library not found');
    return;
  }
  e.lib.unlink(li);
  e.freeLibrary(li);
  c.server.dirty++;
  c.reply.ok();
}

/** FUNCTION FLUSH [ASYNC|SYNC]: every library goes, and the Lua state with them. */
function functionFlushCommand(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, argv[1]);
    return;
  }
  if (argv.length === 3) {
    const o = argv[2].toLowerCase();
    if (o !== 'sync' && o !== 'async') {
      c.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      return;
    }
  }
  functionsEngine(c.server).flush();
  c.server.dirty++;
  c.reply.ok();
}

/**
 * The FUNCTION DUMP payload of the current libraries: per library RDB_OPCODE_FUNCTION2 + its code
 * as an RDB string (LZF when rdbcompression allows), then RDB version (2 bytes LE) and CRC64 (8 LE).
 */
export function functionsDumpPayload(server: KeydraServer): Buffer {
  const e = functionsEngine(server);
  const w = new RdbWriter(256);
  w.compress = server.config.get('rdbcompression') !== false;
  for (const li of e.lib.libraries.values()) {
    w.byte(RdbOp.Function2);
    w.string(li.code);
  }
  w.byte(RDB_VERSION & 0xff);
  w.byte(RDB_VERSION >> 8);
  w.bytes(new Crc64().update(w.buf, 0, w.pos).bytesLE());
  return Buffer.from(w.result());
}

/** FUNCTION DUMP. */
function functionDumpCommand(c: Client): void {
  c.reply.bulk(functionsDumpPayload(c.server).toString('latin1'));
}

/** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] (default APPEND). */
function functionRestoreCommand(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    subcommandSyntaxError(c, argv[1]);
    return;
  }
  let policy: 'append' | 'replace' | 'flush' = 'append';
  if (argv.length === 4) {
    const p = argv[3].toLowerCase();
    if (p !== 'append' && p !== 'replace' && p !== 'flush') {
      c.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
      return;
    }
    policy = p;
  }
  const data = Buffer.from(argv[2], 'latin1');
  if (!verifyDumpPayload(data)) {
    c.error('ERR DUMP payload version or checksum are wrong');
    return;
  }
  const e: FunctionsEngine = functionsEngine(c.server);
  const tmp = new LibCtx();
  const r = new RdbReader(data.subarray(0, data.length - 10));
  let err: string | null = null;
  while (err === null && r.pos < r.buf.length) {
    const type = r.byte();
    if (type === RdbOp.Function) {
      err = 'Pre-GA function format not supported';
      break;
    }
    if (type !== RdbOp.Function2) {
      err = 'given type is not a function';
      break;
    }
    let code: string;
    try {
      code = r.string();
    } catch {
      err = 'Failed loading library payload';
      break;
    }
    const res = e.createLibrary(code, false, tmp, 0);
    if ('error' in res) err = res.error;
  }
  if (err === null) {
    if (policy === 'flush') e.swap(tmp);
    else err = e.join(tmp, policy === 'replace');
  }
  if (err !== null) {
    e.freeCtx(tmp);
    c.error(`ERR ${err}`);
    return;
  }
  c.server.dirty++;
  c.reply.ok();
}

/** FUNCTION STATS: the running function (or nil) and the engine's library/function counts. */
function functionStatsCommand(c: Client): void {
  const busy = busyError(c.server);
  const running = runningFunctions.get(c.server);
  if (busy !== null && running === undefined) {
    c.error(busy);
    return;
  }
  const e = functionsEngine(c.server);
  const r = c.reply;
  r.mapLen(2);
  r.bulk('running_script');
  if (running === undefined || busy === null) r.nullBulk();
  else {
    r.mapLen(3);
    r.bulk('name');
    r.bulk(running.name);
    r.bulk('command');
    r.arrayLen(running.argv.length);
    for (const a of running.argv) r.bulk(a);
    r.bulk('duration_ms');
    r.integer(Math.floor(performance.now() - running.start));
  }
  r.bulk('engines');
  r.mapLen(1);
  r.bulk('LUA');
  r.mapLen(2);
  r.bulk('libraries_count');
  r.integer(e.lib.libraries.size);
  r.bulk('functions_count');
  r.integer(e.lib.functionCount);
}

/**
 * The flags an FCALL runs with (Redis function.c fcallGetCommandFlags): the function's declared
 * flags through scriptCmdFlags; the command's own when the function does not exist.
 */
function fcallFlagsFor(c: Client, argv: string[], flags: number): number {
  const fi = argv.length >= 2 ? functionsEngine(c.server).lib.functions.get(argv[1].toLowerCase()) : undefined;
  if (fi === undefined) return flags;
  return scriptCmdFlags(flags, (fi.flags & FLAG_NO_WRITES) !== 0, (fi.flags & FLAG_ALLOW_OOM) !== 0, (fi.flags & FLAG_ALLOW_STALE) !== 0);
}

/** FCALL / FCALL_RO function numkeys [key ...] [arg ...]. */
function fcallGeneric(c: Client, argv: string[], ro: boolean): void {
  const e = functionsEngine(c.server);
  const fi = e.lib.functions.get(argv[1].toLowerCase());
  if (fi === undefined) {
    c.error('ERR Function not found');
    return;
  }
  const flags = fi.flags;
  const write = (flags & FLAG_NO_WRITES) === 0;
  const denyOom = (flags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES)) === 0;
  const server = c.server;
  if (server.execDepth === 0) {
    // processCommand's checks with the command flags the function declares (fcallGetCommandFlags:
    // write unless no-writes, deny-oom unless allow-oom or no-writes).
    if (denyOom && server.maxmemory > 0 && !server.evict()) {
      c.error(ERR_OOM);
      return;
    }
    if (write && server.diskError !== null) {
      c.error(server.diskError);
      return;
    }
    // processCommand's stale-replica check, by the function's allow-stale.
    if ((flags & FLAG_ALLOW_STALE) === 0 && runningStale(server)) {
      c.error(ERR_MASTERDOWN);
      return;
    }
  }
  const nk = argv[2];
  if (!/^-?(0|[1-9][0-9]*)$/.test(nk) || nk === '-0' || BigInt(nk) > 9223372036854775807n || BigInt(nk) < -9223372036854775808n) {
    c.error('ERR Bad number of keys provided');
    return;
  }
  const numkeys = Number(nk);
  if (numkeys > argv.length - 3) {
    c.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    c.error("ERR Number of keys can't be negative");
    return;
  }
  // scriptPrepareForRun.
  if ((flags & FLAG_NO_CLUSTER) !== 0 && server.cluster !== null) {
    c.error(ERR_SCRIPT_NO_CLUSTER);
    return;
  }
  if ((flags & FLAG_ALLOW_STALE) === 0 && runningStale(server)) {
    c.error(ERR_MASTERDOWN_SCRIPT);
    return;
  }
  if (write && ro) {
    c.error('ERR Can not execute a script with write flag using *_ro command.');
    return;
  }
  if (write && !goodReplicasOk(server)) {
    c.error(ERR_NOREPLICAS);
    return;
  }
  if (denyOom && server.execDepth > 0 && server.maxmemory > 0 && !server.evict()) {
    c.error('OOM allowed memory has been exceeded.');
    return;
  }
  const info = { name: fi.name, argv: argv.slice(), start: performance.now() };
  runningFunctions.set(server, info);
  runScript(c, e.state(), fi.ref, argv.slice(3, 3 + numkeys), argv.slice(3 + numkeys), {
    name: fi.name,
    eval: false,
    argv,
    readOnly: ro || (flags & FLAG_NO_WRITES) !== 0,
    allowOom: (flags & FLAG_ALLOW_OOM) !== 0,
    allowCrossSlot: (flags & FLAG_ALLOW_CROSS_SLOT) !== 0,
    onDone: () => {
      if (runningFunctions.get(server) === info) runningFunctions.delete(server);
    },
  });
}

const HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

/**
 * INFO memory: the functions engine's fields and the eval+functions totals (Redis 7.0
 * genRedisInfoString order, after the eval fields, which the eval module contributes).
 */
function functionsMemoryInfo(server: KeydraServer): string[] {
  const e = functionsEngine(server);
  const vmMem = e.memory();
  let code = 0;
  for (const li of e.lib.libraries.values()) code += li.code.length;
  const fnMem = 200 + code + e.lib.functionCount * 64;
  // The eval side's figures, from its own contributor.
  let evalVm = 0;
  let evalScripts = 0;
  for (const f of infoContributors.get('memory') ?? []) {
    if (f === functionsMemoryInfo) continue;
    for (const line of f(server)) {
      if (line.startsWith('used_memory_vm_eval:')) evalVm = Number(line.slice(20));
      else if (line.startsWith('used_memory_scripts_eval:')) evalScripts = Number(line.slice(25));
    }
  }
  return [
    `number_of_functions:${e.lib.functionCount}`,
    `number_of_libraries:${e.lib.libraries.size}`,
    `used_memory_vm_functions:${vmMem}`,
    `used_memory_vm_total:${evalVm + vmMem}`,
    `used_memory_vm_total_human:${bytesToHuman(evalVm + vmMem)}`,
    `used_memory_functions:${fnMem}`,
    `used_memory_scripts:${evalScripts + fnMem}`,
    `used_memory_scripts_human:${bytesToHuman(evalScripts + fnMem)}`,
  ];
}
addInfoContributor('memory', functionsMemoryInfo);

const commands: CommandDef[] = [
  { name: 'fcall', handler: withLua((c, argv) => fcallGeneric(c, argv, false)), flagsFor: fcallFlagsFor },
  { name: 'fcall_ro', handler: withLua((c, argv) => fcallGeneric(c, argv, true)), flagsFor: fcallFlagsFor },
  {
    name: 'function',
    subcommands: [
      { name: 'load', handler: withLua(functionLoadCommand) },
      { name: 'list', handler: withLua(functionListCommand) },
      { name: 'delete', handler: withLua(functionDeleteCommand) },
      { name: 'flush', handler: withLua(functionFlushCommand) },
      { name: 'dump', handler: withLua(functionDumpCommand) },
      { name: 'restore', handler: withLua(functionRestoreCommand) },
      { name: 'stats', handler: withLua(functionStatsCommand) },
      { name: 'kill', handler: (c) => killScript(c, false) },
      {
        name: 'help',
        handler: (c) => {
          c.reply.arrayLen(HELP.length);
          for (const l of HELP) c.reply.simple(l);
        },
      },
    ],
  },
];
export default commands;
