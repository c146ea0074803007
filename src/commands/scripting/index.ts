/**
 * Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP (DEBUG: the Lua debugger, src/scripting/ldb.ts and evalWithDebugging below).
 *
 * Each server has one eval Lua state (src/scripting/engine.ts) and a script cache: sha1 of the body
 * → the compiled function (a registry ref) and its shebang flags. EVAL compiles and caches;
 * EVALSHA runs from the cache (`NOSCRIPT` otherwise). Scripts run atomically; their writes are
 * propagated as one MULTI/EXEC unit (Redis 7 effects replication), never the EVAL itself.
 * Source: Redis 7.0 eval.c (evalGenericCommand, luaCreateFunction, evalExtractShebangFlags,
 * scriptCommand), script.c (scriptPrepareForRun).
 */
import {
  ERR_MASTERDOWN,
  ERR_MASTERDOWN_SCRIPT,
  ERR_NOREPLICAS,
  ERR_NOSCRIPT,
  ERR_NOT_INTEGER,
  ERR_NUMKEYS_NEGATIVE,
  ERR_NUMKEYS_TOO_MANY,
  ERR_OOM,
  ERR_SCRIPT_NO_CLUSTER,
} from '../../errors.js';
import {
  type ScriptState,
  closeScriptState,
  compileScript,
  createScriptState,
  withLua,
  dropScript,
  goodReplicasOk,
  killScript,
  loadPrivateVM,
  luaMemory,
  renewLuaVM,
  runningStale,
  runScript,
  sha1hex,
} from '../../scripting/engine.js';
import { Config, findDirective, formatValue } from '../../config/config.js';
import { decodeRdb, encodeRdb } from '../../persistence/rdb/rdb.js';
import { LdbSession, ldbClientCount, ldbModeOf, ldbSetMode } from '../../scripting/ldb.js';
import type { Client } from '../../server/client.js';
import { pauseClients, unpauseClients } from '../../server/pause.js';
import { KeydraServer } from '../../server/server.js';
import { addInfoContributor, bytesToHuman } from '../server/info.js';
import { type CommandDef, scriptCmdFlags } from '../types.js';

/** Shebang flags (Redis 7.0 SCRIPT_FLAG_*). EVAL_COMPAT: no shebang line. */
export const enum ScriptFlag {
  NoWrites = 1 << 0,
  AllowOom = 1 << 1,
  AllowStale = 1 << 2,
  NoCluster = 1 << 3,
  EvalCompat = 1 << 4,
  AllowCrossSlot = 1 << 5,
}
const FLAG_NAMES: Record<string, number> = {
  'no-writes': ScriptFlag.NoWrites,
  'allow-oom': ScriptFlag.AllowOom,
  'allow-stale': ScriptFlag.AllowStale,
  'no-cluster': ScriptFlag.NoCluster,
  'allow-cross-slot-keys': ScriptFlag.AllowCrossSlot,
};

/** A cached script: compiled function ref, flags, body length (INFO used_memory_scripts_eval). */
interface CachedScript {
  ref: number;
  flags: number;
  bodyLen: number;
}

/** One server's eval state and script cache. */
interface EvalCtx {
  st: ScriptState;
  scripts: Map<string, CachedScript>;
  bodyBytes: number;
}

const contexts = new WeakMap<KeydraServer, EvalCtx>();

/** The server's eval context, created on first use. */
function evalCtx(server: KeydraServer): EvalCtx {
  let ctx = contexts.get(server);
  if (ctx === undefined) {
    ctx = { st: createScriptState(server, 'eval'), scripts: new Map(), bodyBytes: 0 };
    contexts.set(server, ctx);
  }
  return ctx;
}

/**
 * Parses a `#!lua flags=a,b` first line (Redis 7.0 evalExtractShebangFlags).
 * @returns flags and the shebang length (the line without its newline), or the error text.
 */
export function parseShebang(body: string): { flags: number; len: number } | { error: string } {
  if (!body.startsWith('#!')) return { flags: ScriptFlag.EvalCompat, len: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return { error: 'ERR Invalid script shebang' };
  const parts = body
    .slice(0, end)
    .split(/[ \t\r\v\f]+/)
    .filter((p) => p !== '');
  if (parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  if (parts[0] !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  let flags = 0;
  for (let j = 1; j < parts.length; j++) {
    if (!parts[j].startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${parts[j]}` };
    const list = parts[j].slice(6);
    if (list === '') continue;
    for (const f of list.split(',')) {
      const bit = FLAG_NAMES[f];
      if (bit === undefined) return { error: `ERR Unexpected flag in script shebang: ${f}` };
      flags |= bit;
    }
  }
  return { flags, len: end };
}

/**
 * Compiles and caches a script body (luaCreateFunction). Replies the error to `c` and returns
 * null when the shebang or the Lua code is invalid.
 */
function createFunction(c: Client, ctx: EvalCtx, sha: string, body: string): CachedScript | null {
  const sb = parseShebang(body);
  if ('error' in sb) {
    c.error(sb.error);
    return null;
  }
  // The shebang line is skipped but its newline kept, so line numbers stay right.
  const r = compileScript(ctx.st, sb.len > 0 ? body.slice(sb.len) : body, '@user_script');
  if ('error' in r) {
    c.error(`ERR Error compiling script (new function): ${r.error}`);
    return null;
  }
  const s: CachedScript = { ref: r.ref, flags: sb.flags, bodyLen: body.length };
  ctx.scripts.set(sha, s);
  ctx.bodyBytes += body.length;
  return s;
}

/**
 * numkeys as Redis's string2ll reads it (no spaces, no leading zeros or '+', within the 64-bit
 * range), or null. Values beyond 2^53 come back approximate (they only fail the range checks).
 */
function parseNumkeys(s: string): number | null {
  const n = s.length;
  if (n === 1) {
    const d = s.charCodeAt(0) - 48;
    return d >= 0 && d <= 9 ? d : null;
  }
  if (n === 0 || n > 20) return null;
  const neg = s.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  if (i === n || s.charCodeAt(i) === 48) return null;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  if (n - (neg ? 1 : 0) > 18) {
    const b = BigInt(s);
    if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  }
  return neg ? -v : v;
}

/**
 * True when the script declares flags without allow-oom or no-writes: Redis then treats the EVAL
 * as a deny-oom write command (script.c scriptFlagsToCmdFlags). Scripts without shebang, unknown
 * shas and bad shebangs keep EVAL's own flags.
 */
function denyOomScript(ctx: EvalCtx, bodyOrSha: string, isSha: boolean): boolean {
  let flags: number;
  const cached = ctx.scripts.get(isSha ? bodyOrSha.toLowerCase() : sha1hex(bodyOrSha));
  if (cached !== undefined) flags = cached.flags;
  else if (isSha) return false;
  else {
    const sb = parseShebang(bodyOrSha);
    if ('error' in sb) return false;
    flags = sb.flags;
  }
  return (flags & (ScriptFlag.EvalCompat | ScriptFlag.AllowOom | ScriptFlag.NoWrites)) === 0;
}

/**
 * The flags an EVAL/EVALSHA call runs with (Redis eval.c evalGetCommandFlags): the command's own
 * for a script without shebang, an unknown sha or a bad shebang; else the shebang's
 * (scriptCmdFlags). Read by the dispatcher's OOM and CLIENT PAUSE gates and at MULTI queueing.
 */
function evalFlagsFor(isSha: boolean): (c: Client, argv: string[], flags: number) => number {
  return (c, argv, flags) => {
    if (argv.length < 2 || (isSha && argv[1].length !== 40)) return flags;
    // No context yet (no script run or loaded: the Lua VM may not even be loaded): nothing cached.
    const ctx = contexts.get(c.server);
    let sf: number;
    const cached = ctx?.scripts.get(isSha ? argv[1].toLowerCase() : sha1hex(argv[1]));
    if (cached !== undefined) sf = cached.flags;
    else if (isSha) return flags;
    else {
      const sb = parseShebang(argv[1]);
      if ('error' in sb) return flags;
      sf = sb.flags;
    }
    if ((sf & ScriptFlag.EvalCompat) !== 0) return flags;
    return scriptCmdFlags(flags, (sf & ScriptFlag.NoWrites) !== 0, (sf & ScriptFlag.AllowOom) !== 0, (sf & ScriptFlag.AllowStale) !== 0);
  };
}

/**
 * EVAL/EVALSHA/EVAL_RO/EVALSHA_RO script numkeys [key ...] [arg ...] (evalGenericCommand).
 * `ldb`: a debugging session runs the script (its end is `onDone`). @returns true when the
 * script was started (false: an error was replied).
 */
function evalGeneric(c: Client, argv: string[], isSha: boolean, ro: boolean, dbg?: { ldb: LdbSession; onDone: () => void }): boolean {
  const ctx = evalCtx(c.server);
  if (c.server.maxmemory > 0 && denyOomScript(ctx, argv[1], isSha) && !c.server.evict()) {
    // processCommand's OOM check with the command flags the shebang declares (evalGetCommandFlags).
    c.error(ERR_OOM);
    return false;
  }
  const numkeys = parseNumkeys(argv[2]);
  if (numkeys === null) {
    c.error(ERR_NOT_INTEGER);
    return false;
  }
  if (numkeys > argv.length - 3) {
    c.error(ERR_NUMKEYS_TOO_MANY);
    return false;
  }
  if (numkeys < 0) {
    c.error(ERR_NUMKEYS_NEGATIVE);
    return false;
  }
  let sha: string;
  let script: CachedScript | null | undefined;
  if (isSha) {
    sha = argv[1].toLowerCase();
    script = sha.length === 40 ? ctx.scripts.get(sha) : undefined;
    if (script === undefined) {
      c.error(ERR_NOSCRIPT);
      return false;
    }
  } else {
    sha = sha1hex(argv[1]);
    script = ctx.scripts.get(sha) ?? createFunction(c, ctx, sha, argv[1]);
    if (script === null) return false;
  }
  const flags = script.flags;
  const compat = (flags & ScriptFlag.EvalCompat) !== 0;
  // A stale replica (script.c scriptPrepareForRun running_stale): scripts without shebang are
  // refused, as are those without allow-stale (processCommand's check with the script's flags).
  if (runningStale(c.server) && (compat || (flags & ScriptFlag.AllowStale) === 0)) {
    // Inside EXEC, processCommand did not see the script's flags: scriptPrepareForRun's text.
    c.error(compat || c.server.execDepth === 0 ? ERR_MASTERDOWN : ERR_MASTERDOWN_SCRIPT);
    return false;
  }
  if (!compat) {
    // scriptPrepareForRun: checks declared flags before running.
    if ((flags & ScriptFlag.NoCluster) !== 0 && c.server.cluster !== null) {
      c.error(ERR_SCRIPT_NO_CLUSTER);
      return false;
    }
    if ((flags & ScriptFlag.NoWrites) === 0 && ro) {
      c.error('ERR Can not execute a script with write flag using *_ro command.');
      return false;
    }
    if ((flags & ScriptFlag.NoWrites) === 0 && !goodReplicasOk(c.server)) {
      c.error(ERR_NOREPLICAS);
      return false;
    }
    if ((flags & (ScriptFlag.AllowOom | ScriptFlag.NoWrites)) === 0 && c.server.maxmemory > 0 && !c.server.evict()) {
      c.error('OOM allowed memory has been exceeded.');
      return false;
    }
  }
  runScript(c, ctx.st, script.ref, argv.slice(3, 3 + numkeys), argv.slice(3 + numkeys), {
    name: sha,
    eval: true,
    argv,
    readOnly: ro || (!compat && (flags & ScriptFlag.NoWrites) !== 0),
    allowOom: !compat && (flags & ScriptFlag.AllowOom) !== 0,
    allowCrossSlot: compat || (flags & ScriptFlag.AllowCrossSlot) !== 0, // script.c: EVAL without shebang too
    ldb: dbg?.ldb,
    onDone: dbg?.onDone,
  });
  return true;
}

/** SCRIPT LOAD script: compiles and caches, replies the sha. */
function scriptLoadCommand(c: Client, argv: string[]): void {
  const ctx = evalCtx(c.server);
  const sha = sha1hex(argv[2]);
  if (!ctx.scripts.has(sha) && createFunction(c, ctx, sha, argv[2]) === null) return;
  c.reply.bulk(sha);
}

/** SCRIPT EXISTS sha [sha ...]: 1/0 per sha (case-insensitive). */
function scriptExistsCommand(c: Client, argv: string[]): void {
  const ctx = evalCtx(c.server);
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) c.reply.integer(ctx.scripts.has(argv[j].toLowerCase()) ? 1 : 0);
}

/** SCRIPT FLUSH [ASYNC|SYNC]: drops the cache and resets the Lua state (scriptingReset). */
function scriptFlushCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    const o = argv[2].toLowerCase();
    if (o !== 'sync' && o !== 'async') {
      c.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      return;
    }
  } else if (argv.length > 3) {
    c.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    return;
  }
  const ctx = contexts.get(c.server);
  if (ctx !== undefined) {
    for (const s of ctx.scripts.values()) dropScript(ctx.st, s.ref);
    closeScriptState(ctx.st);
    contexts.delete(c.server);
    // A script that used a lot of Lua heap grew the wasm memory: a fresh VM gives it back.
    renewLuaVM();
  }
  c.reply.ok();
}

/**
 * SCRIPT DEBUG YES|SYNC|NO (eval.c scriptCommand): the client's next EVAL starts a debugging
 * session (src/scripting/ldb.ts). Refused with replies pending ("must be called outside a
 * pipeline": within a pipeline or inside EXEC, as Redis's clientHasPendingReplies).
 */
function scriptDebugCommand(c: Client, argv: string[]): void {
  if (c.reply.pos > 0) {
    c.error('ERR SCRIPT DEBUG must be called outside a pipeline');
    return;
  }
  const mode = argv[2].toLowerCase();
  if (mode === 'no') {
    ldbSetMode(c, null);
    c.reply.ok();
  } else if (mode === 'yes' || mode === 'sync') {
    ldbSetMode(c, mode);
    c.reply.ok();
  } else c.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

/**
 * EVAL / EVALSHA (and _RO) of a client in debug mode (evalGenericCommandWithDebugging):
 * EVALSHA is refused; EVAL starts a session. Redis's two modes, without fork:
 *
 * - SYNC: the script runs against the real dataset and its writes stay, as in Redis. Redis blocks
 *   the whole server meanwhile; here every other client is paused (CLIENT PAUSE ALL semantics,
 *   purpose 'ldb': their commands wait and run when the session ends; expiry stands still).
 * - YES: Redis forks, so the session sees the dataset as it was at the EVAL, its writes are never
 *   seen by anyone and are lost at the end, and the server keeps serving. Here the dataset is
 *   copied (RDB-encoded and loaded, synchronously, at the EVAL) into a private server object
 *   that no client can reach, the script runs there in a Lua VM of its own (so it can wait
 *   suspended while other scripts run), as a client with the caller's user, db and protocol;
 *   the copy is dropped at the end. The other clients are served meanwhile. Cost: the copy takes
 *   memory and time in proportion to the dataset (a fork shares pages instead).
 */
function evalWithDebugging(c: Client, argv: string[], ro: boolean, mode: 'yes' | 'sync'): void {
  const server = c.server;
  const session = new LdbSession(c, mode === 'yes', argv[1]);
  // The session reads the client's input; its pipelined commands are never run (closed at the end).
  c.ldbInput = (data) => session.onData(data);
  server.blockClient(c, { keys: [], deadline: 0, onReady: () => false, onTimeout: () => {}, command: ro ? 'eval_ro' : 'eval' });
  if (mode === 'sync') {
    server.log.warning('Synchronous Lua debugging session started (other clients wait until it ends)');
    pauseClients(server, Number.MAX_SAFE_INTEGER, true, 'ldb');
    const done = () => {
      finishSession(c, session);
      server.log.warning('Synchronous Lua debugging session ended');
      unpauseClients(server, 'ldb');
    };
    if (!evalGeneric(c, argv, false, ro, { ldb: session, onDone: done })) done();
    return;
  }
  // YES: the copy is made now (the instant Redis forks); the session's VM loads meanwhile.
  const rdb = encodeRdb(server.keyspace, { compress: false, checksum: false });
  server.log.warning('Lua debugging session started on a private copy of the dataset');
  loadPrivateVM().then(
    (vm) => {
      if (c.closed) {
        session.discard();
        return;
      }
      const shadow = new KeydraServer(server.commands, shadowConfig(server));
      server.applyEncodingLimits();
      decodeRdb(rdb, shadow.keyspace, Date.now(), false, true);
      contexts.set(shadow, { st: createScriptState(shadow, 'eval', vm), scripts: new Map(), bodyBytes: 0 });
      const caller = shadow.createFakeClient();
      caller.authenticated = true;
      caller.user = c.user;
      caller.unrestricted = c.unrestricted;
      caller.db = shadow.keyspace.dbs[c.db.id];
      caller.resp = c.resp;
      caller.reply.resp = c.reply.resp;
      const done = () => {
        session.markReply();
        c.reply.raw(caller.reply.take());
        finishSession(c, session);
        server.log.warning('Lua debugging session on a private copy of the dataset ended (its changes dropped)');
        server.applyEncodingLimits();
      };
      if (!evalGeneric(caller, argv, false, ro, { ldb: session, onDone: done })) done();
      server.flushPendingWrites();
    },
    (e: Error) => {
      session.discard();
      server.unblockClient(c, false);
      c.ldbInput = null;
      c.error(`ERR Fork() failed: can't run EVAL in debugging mode: ${e.message}`);
      server.flushPendingWrites();
    },
  );
}

/** The config of a YES session's private server: the settings scripts and commands depend on. */
function shadowConfig(server: KeydraServer): Config {
  const cfg = new Config();
  for (const name of SHADOW_DIRECTIVES) {
    const d = findDirective(name);
    if (d === undefined || d === null) continue;
    // The real server's own values: a directive's global side effects (if any) set what is set.
    cfg.set(name, [formatValue(d, server.config.get(name))]);
  }
  return cfg;
}

const SHADOW_DIRECTIVES = [
  'databases',
  'busy-reply-threshold',
  'proto-max-bulk-len',
  'hash-max-listpack-entries',
  'hash-max-listpack-value',
  'set-max-intset-entries',
  'zset-max-listpack-entries',
  'zset-max-listpack-value',
  'list-max-listpack-size',
  'list-compress-depth',
  'stream-node-max-bytes',
  'stream-node-max-entries',
];

/** The session's end: "<endsession>" before the EVAL's reply, the client closed after it. */
function finishSession(c: Client, session: LdbSession): void {
  c.ldbInput = null;
  ldbSetMode(c, null);
  if (c.blocked !== null) c.server.unblockClient(c, false);
  session.end();
}

/** SCRIPT KILL: stops the busy script if it has not written. */
function scriptKillCommand(c: Client): void {
  killScript(c, true);
}

const HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

function scriptHelpCommand(c: Client): void {
  c.reply.arrayLen(HELP.length);
  for (const l of HELP) c.reply.simple(l);
}

/** INFO memory: the eval engine's fields (Redis 7.0 genRedisInfoString). */
function scriptingMemoryInfo(server: KeydraServer): string[] {
  const ctx = contexts.get(server);
  const lua = ctx ? luaMemory(ctx.st) : 0;
  const scripts = ctx ? ctx.scripts.size : 0;
  const bytes = ctx ? ctx.bodyBytes + scripts * 104 : 0;
  return [
    `used_memory_lua:${lua}`,
    `used_memory_vm_eval:${lua}`,
    `used_memory_lua_human:${bytesToHuman(lua)}`,
    `used_memory_scripts_eval:${bytes}`,
    `number_of_cached_scripts:${scripts}`,
  ];
}
addInfoContributor('memory', scriptingMemoryInfo);

/**
 * The EVAL-family handler: the plain path unless some client is in debug mode (one number
 * compared), then a client in debug mode debugs EVAL and is refused EVALSHA (eval.c).
 */
function evalHandler(isSha: boolean, ro: boolean): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    if (ldbClientCount() !== 0) {
      const mode = ldbModeOf(c);
      if (mode !== null) {
        if (!isSha) evalWithDebugging(c, argv, ro, mode);
        else if (argv[1].length !== 40) c.error(ERR_NOSCRIPT);
        else c.error('ERR Please use EVAL instead of EVALSHA for debugging');
        return;
      }
    }
    evalGeneric(c, argv, isSha, ro);
  };
}

const commands: CommandDef[] = [
  { name: 'eval', handler: withLua(evalHandler(false, false)), flagsFor: evalFlagsFor(false) },
  { name: 'evalsha', handler: withLua(evalHandler(true, false)), flagsFor: evalFlagsFor(true) },
  { name: 'eval_ro', handler: withLua(evalHandler(false, true)), flagsFor: evalFlagsFor(false) },
  { name: 'evalsha_ro', handler: withLua(evalHandler(true, true)), flagsFor: evalFlagsFor(true) },
  {
    name: 'script',
    subcommands: [
      { name: 'load', handler: withLua(scriptLoadCommand) },
      { name: 'exists', handler: withLua(scriptExistsCommand) },
      { name: 'flush', handler: withLua(scriptFlushCommand) },
      { name: 'kill', handler: scriptKillCommand },
      // Through the Lua gate: the session's EVAL then finds the VM loaded and reads what follows it.
      { name: 'debug', handler: withLua(scriptDebugCommand) },
      { name: 'help', handler: scriptHelpCommand },
    ],
  },
];
export default commands;
