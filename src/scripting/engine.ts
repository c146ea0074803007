/**
 * The Lua scripting engine: Redis 7.0's Lua environment on the Lua 5.1 VM of src/scripting/lua.ts,
 * shared by EVAL (src/commands/scripting/index.ts) and FUNCTION/FCALL (src/scripting/functions.ts).
 *
 * API (everything synchronous once `loadLuaVM()` has resolved, which KeydraServer.start awaits):
 *
 *   const st = createScriptState(server, 'eval' | 'function');
 *       A lua_State with Redis's libraries (base, table, string, math, cjson, cmsgpack, bit, struct;
 *       no io/os/package/debug/print/loadfile/dofile/getfenv/setfenv/newproxy/module/require), the
 *       `redis` table (call, pcall, error_reply, status_reply, sha1hex, log + LOG_*, setresp,
 *       set_repl + REPL_*, acl_check_cmd, REDIS_VERSION(_NUM); eval states also get
 *       replicate_commands, breakpoint, debug), Redis's pcall, deterministic math.random, and globals
 *       protection: code runs in the environment `st.envRef` (a registry ref), a read-only view of
 *       the globals in which reading a missing global raises "Script attempted to access nonexistent
 *       global variable 'x'" and any assignment raises "Attempt to modify a readonly table".
 *   const r = compileScript(st, code, '@user_script');
 *       → { ref } (registry ref of the compiled chunk, environment set to st.envRef) or { error }
 *       (the Lua message, e.g. `user_script:1: unexpected symbol near '<eof>'`).
 *   runScript(c, st, fnRef, keys, args, opts);
 *       Runs the function as client `c` and replies exactly once to `c` (the converted result or the
 *       error). opts.name is the name used in errors (`script: <name>, on @user_script:1.`),
 *       opts.eval: true sets KEYS/ARGV globals and calls with no arguments; false calls
 *       fn(KEYS, ARGV) as FCALL does. opts.readOnly refuses write commands ("Write commands are not
 *       allowed from read-only scripts."); opts.allowOom skips the OOM check of deny-oom commands.
 *       Writes are propagated as one MULTI/EXEC unit (effects replication); the command itself
 *       (EVAL/FCALL) is never propagated. Past busy-reply-threshold ms the script is suspended and
 *       resumed in ~100 ms slices on later event-loop turns: other clients get -BUSY, the caller is
 *       blocked until the reply, and SCRIPT KILL / FUNCTION KILL (`killScript`) can stop it.
 *   dropScript(st, ref) / closeScriptState(st) free compiled functions and states.
 *   luaMemory(st) → bytes used by the state (INFO used_memory_lua).
 *   busyError(server) / killScript(c, isEval) / busyScriptInfo(server): the -BUSY text while a
 *       script is suspended, SCRIPT KILL / FUNCTION KILL, FUNCTION STATS' running_script.
 *
 * Conversions follow script_lua.c: redisProtocolToLuaType (RESP reply → Lua value, RESP3 types as
 * {map=}, {set=}, {double=}, {big_number=}, {verbatim_string=}) and luaReplyToRedisReply
 * (Lua value → reply). The reply of a command called from a script is read straight from the
 * script client's ReplyWriter buffer and pushed onto the Lua stack (no intermediate JS tree).
 *
 * Suspension (BUSY): the Lua wasm is Asyncify-transformed (scripts/build-lua-wasm.mjs); past
 * busy-reply-threshold the count hook unwinds the whole wasm stack, whatever Lua is doing (a loop in
 * pcall/xpcall, a table.sort comparator, a gsub callback, a metamethod, a coroutine), the run
 * continues on later event-loop turns by rewinding it, and SCRIPT KILL / FUNCTION KILL raise the
 * kill error where it stands (then at every new line, as Redis's LUA_MASKLINE hook). Inside EXEC
 * the transaction waits for the script (client.execContinuation). A client without a socket runs a
 * script to its end, except the AOF replayer of an asynchronous load (startup, DEBUG LOADAOF:
 * client.scriptsMayYield), whose loader waits for the script (client.scriptDone) while other
 * clients get -LOADING, as Redis's processEventsWhileBlocked during a slow script in the AOF. Cost: the instrumented interpreter runs CPU-bound Lua
 * 1.5-1.9x slower; a small EVALSHA takes ~10% more server CPU.
 *
 * Read-only environment (Redis patches Lua with read-only tables; this VM is stock Lua 5.1):
 * proxies. Library tables and the globals are empty proxies reading from the real tables (never
 * reachable from Lua: no thread's globals table is the real one) whose __newindex raises; their
 * metatables are hidden (`__metatable`), getmetatable(_G) and getmetatable('') give read-only
 * views like Redis's; rawset, table.insert and setmetatable refuse protected tables; rawget,
 * next and pairs see through proxies. loadstring/load/EVAL/FUNCTION LOAD never load bytecode.
 * Lua debugger (SCRIPT DEBUG YES/SYNC, src/scripting/ldb.ts): a run with `opts.ldb` gets the line
 * hook (ldbHook) instead of the count hook; a stop suspends the script as BUSY does, but the
 * session, not a timer, resumes it (after step/continue/abort or the client leaving).
 * Source: Redis 7.0 script_lua.c, script.c, eval.c; Lua 5.1 reference manual.
 */
import { CmdFlag } from '../server/command.js';
import { ERR_BUSY_EVAL, ERR_BUSY_FUNCTION, ERR_NOREPLICAS, ERR_NOTBUSY, ERR_READONLY, ERR_OOM, ERR_UNKILLABLE } from '../errors.js';
import { formatDouble, type ReplyWriter } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import { aclAllows, aclScriptCheck } from '../server/acl.js';
import { call, markErrorsAccounted, processCommand, setLuaGate } from '../server/dispatch.js';
import { scriptClusterCheck } from '../server/clusterRouter.js';
import { keyHashSlot } from '../store/keyslot.js';
import type { KeydraServer } from '../server/server.js';
import { openRedisLibs } from './libs/index.js';
import type { LdbSession } from './ldb.js';
import {
  LUA_ERRRUN,
  LUA_GLOBALSINDEX,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_MULTRET,
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_YIELD,
  LuaType,
  LuaVM,
} from './lua.js';

/** The Redis version scripts see (redis.REDIS_VERSION, REDIS_VERSION_NUM = 0x00MMmmpp). */
const SCRIPT_REDIS_VERSION = '7.0.15';
const SCRIPT_REDIS_VERSION_NUM = (7 << 16) | (0 << 8) | 15;
/** redis.set_repl flags (server.h PROPAGATE_*). */
const PROPAGATE_AOF = 1;
const PROPAGATE_REPL = 2;
/** Instructions between two count-hook calls (script_lua.c luaCallFunction). */
const HOOK_COUNT = 100000;
/** Length of one run slice of a busy script, ms. */
const SLICE_MS = 100;
const LUA_NOREF = -2;
const LUA_GCCOUNT = 3;
const LUA_GCCOUNTB = 4;
const LUA_GCSTEP = 5;

/** The VM new states are created in (states keep the VM they were made in: `st.vm`). */
let vm: LuaVM | null = null;
let vmLoading: Promise<void> | null = null;
/** A fresh VM being loaded to replace `vm` (see renewLuaVM), or null. */
let vmRenewing: Promise<void> | null = null;
/** C function pointers (function table indices) of each VM, registered once per VM. */
const pointers = new WeakMap<LuaVM, { F: Record<string, number>; hook: number; ldbHook: number }>();

function ptrs(v: LuaVM): { F: Record<string, number>; hook: number; ldbHook: number } {
  return pointers.get(v) as { F: Record<string, number>; hook: number; ldbHook: number };
}

/**
 * A private Lua VM (its own wasm instance, memory and suspension buffer) for a forked-mode
 * debugging session (SCRIPT DEBUG YES): it may wait suspended while other scripts run, suspend
 * and resume in the server's VM. Dropped with the session.
 */
export async function loadPrivateVM(): Promise<LuaVM> {
  const v = await LuaVM.load();
  registerFunctions(v);
  return v;
}

/** Loads the Lua VM once per process (idempotent). KeydraServer.start awaits it. */
export function loadLuaVM(): Promise<void> {
  if (vmLoading === null) {
    // Resolves to nothing: a promise holding the VM would keep it alive after renewLuaVM.
    vmLoading = LuaVM.load().then(
      (v) => {
        vm = v;
        registerFunctions(v);
        setLuaGate(null);
      },
      (e: Error) => {
        // The next command that needs the VM tries again (its files may be back).
        vmLoading = null;
        throw e;
      },
    );
  }
  return vmLoading;
}

/** True once the Lua VM is loaded (scripts can run synchronously). */
export function luaReady(): boolean {
  return vm !== null;
}

/**
 * Wraps the handler of a command that needs the Lua VM (EVAL*, FCALL*, SCRIPT, FUNCTION): the
 * VM is loaded on first use, not at start-up (with its emscripten glue, ~100 ms and ~20 MB of an
 * embedded server's start). Until it is loaded, the dispatcher hands such a command (marked
 * `needsLua`) to luaGate: a client with a socket waits and its command is processed afresh
 * once the VM is there. Inside EXEC (MULTI starts the load) or from a client without a socket
 * nothing can wait: the command is answered `-ERR Lua VM is loading...`. Start-up loading
 * (RDB/AOF files present) and REPLICAOF load the VM beforehand.
 */
export function withLua(handler: (c: Client, argv: string[]) => void): (c: Client, argv: string[]) => void {
  const wrapped = (c: Client, argv: string[]): void => {
    if (vm !== null) {
      handler(c, argv);
      return;
    }
    // Reached only where the dispatcher's gate could not defer the command (inside EXEC, a
    // client without a socket): nothing can wait there.
    loadLuaVM().catch(() => {});
    c.error('ERR Lua VM is loading (first use of scripting), retry the command');
  };
  return Object.assign(wrapped, { needsLua: true });
}

/**
 * The dispatcher's gate while the VM is not loaded (setLuaGate): a client with a socket waits,
 * blocked (CLIENT LIST shows the command), and its command is processed afresh once the VM is
 * there (stats, slow log and checks as for any command). Others are left to withLua's error.
 */
function luaGate(c: Client, argv: string[]): boolean {
  if (vm !== null || c.socket === null || c.blocked !== null) return false;
  const server = c.server;
  const state = { keys: [], deadline: 0, onReady: () => false, onTimeout: () => {}, command: argv[0].toLowerCase() };
  server.blockClient(c, state);
  const resume = () => {
    if (c.blocked !== state) return; // killed or disconnected meanwhile
    server.unblockClient(c, true);
    if (c.closed) return;
    processCommand(c, argv);
    server.flushPendingWrites();
  };
  loadLuaVM().then(resume, (e: Error) => {
    // Answered with the error: processed afresh, the command would wait for a VM that is not coming.
    server.log.warning(`Lua VM failed to load: ${e.message}`);
    if (c.blocked !== state) return;
    server.unblockClient(c, true);
    if (c.closed) return;
    c.error(`ERR Lua VM failed to load: ${e.message}`);
    server.flushPendingWrites();
  });
  return true;
}
setLuaGate(luaGate);

/** Called when renewLuaVM has made a fresh VM current (idle states of the old one go then). */
export const vmRenewHooks: (() => void)[] = [];

/** Wasm memory (bytes) past which a flush replaces the VM: wasm memory never shrinks. */
const RENEW_VM_BYTES = 64 << 20;

/** A fresh VM loaded ahead (once the current one has grown past RENEW_VM_BYTES), or null. */
let spare: LuaVM | null = null;

/**
 * Starts loading a spare VM when `v`, the current VM, has grown past RENEW_VM_BYTES (called
 * after each run: one comparison), so that a flush can swap it in synchronously.
 */
function prepareSpare(v: LuaVM): void {
  if (v !== vm || spare !== null || vmRenewing !== null || v.memoryBytes() <= RENEW_VM_BYTES) return;
  vmRenewing = LuaVM.load().then(
    (fresh) => {
      registerFunctions(fresh);
      spare = fresh;
      vmRenewing = null;
    },
    () => {
      vmRenewing = null;
    },
  );
}

/**
 * After SCRIPT FLUSH / FUNCTION FLUSH: if the current VM's wasm memory has grown past
 * RENEW_VM_BYTES (a script used a lot of Lua heap: wasm memory only grows), the spare VM
 * (prepareSpare) becomes the one new states are created in. States of the old VM go on in it;
 * idle ones are dropped (vmRenewHooks); once none is left nothing references the old VM and the
 * GC frees its memory. Without a spare ready yet, nothing changes (the next flush retries).
 */
export function renewLuaVM(): void {
  const cur = vm;
  if (cur === null || cur.memoryBytes() <= RENEW_VM_BYTES) return;
  if (spare === null) {
    prepareSpare(cur);
    return;
  }
  vm = spare;
  spare = null;
  for (const h of vmRenewHooks) h();
}

/** The VM new states are created in. @throws if loadLuaVM() has not resolved yet. */
export function luaVM(): LuaVM {
  if (vm === null) throw new Error('Lua VM not loaded: await loadLuaVM() first');
  return vm;
}

/** A Lua state with the Redis environment, and the client its scripts run commands as. */
export class ScriptState {
  /** Registry ref of a suspended-or-idle coroutine reused for runs, or LUA_NOREF. */
  threadRef = LUA_NOREF;
  thread = 0;
  /** Registry refs of the KEYS and ARGV tables of the last EVAL run, reused when untouched (setArrayGlobal). */
  keysRef = LUA_NOREF;
  argvRef = LUA_NOREF;
  /** Runs since the last explicit GC step, and the heap's bytes after it (gcStep). */
  gcRuns = 0;
  gcBytes = 0;
  constructor(
    readonly vm: LuaVM,
    readonly L: number,
    readonly kind: 'eval' | 'function',
    readonly server: KeydraServer,
    /** The script client (Redis lctx.lua_client): runs redis.call commands, denied blocking. */
    readonly fake: Client,
    /** Registry ref of the protected globals view scripts run in (function environment). */
    readonly envRef: number,
    /** Registry ref of the real globals table (never reachable from Lua code). */
    readonly globalsRef: number,
  ) {}
}

/** Options of one script run (see runScript). */
export interface RunOptions {
  /** Name in error replies: the sha for EVAL, the function name for FCALL. */
  name: string;
  /** EVAL mode: KEYS/ARGV globals, no arguments. Otherwise fn(KEYS, ARGV). */
  eval: boolean;
  /** Refuse write (and may-replicate) commands (EVAL_RO, FCALL_RO, no-writes flag). */
  readOnly: boolean;
  /** Run deny-oom commands even over maxmemory (allow-oom flag). */
  allowOom: boolean;
  /** allow-cross-slot-keys: a cluster node lets the script access keys of several (local) slots. */
  allowCrossSlot?: boolean;
  /** Called after the reply has been written (also when the run ended asynchronously). */
  onDone?: () => void;
  /** The command that runs the script (FUNCTION STATS running_script.command). */
  argv?: string[];
  /** A debugging session (src/scripting/ldb.ts): the run stops at lines and waits for its commands. */
  ldb?: LdbSession;
}

/** One running script (Redis scriptRunCtx). */
interface RunCtx {
  st: ScriptState;
  caller: Client;
  thread: number;
  opts: RunOptions;
  /** Script client protocol (redis.setresp). */
  resp: 2 | 3;
  /** redis.set_repl flags. */
  repl: number;
  oomAtStart: boolean;
  writeDirty: boolean;
  killed: boolean;
  /** performance.now() at start and at the start of the current slice. */
  start: number;
  sliceStart: number;
  threshold: number;
  /** May be suspended for BUSY (a client with a socket; inside EXEC too, which then waits). */
  yieldable: boolean;
  /** Suspended at least once: the server answers -BUSY. */
  busy: boolean;
  /** The wasm stack is unwound at the hook (Asyncify): the next slice rewinds it. */
  suspended: boolean;
  /** The C stack pointer when the run started (restored if a suspended run is abandoned). */
  sp: number;
  /** SCRIPT KILL armed the hook to raise the kill error (every line, every thread). */
  killArmed: boolean;
  /** The server shut down while the script was suspended: drop it without a reply. */
  abandoned: boolean;
  /** keyspace.now (Unix ms) when the script started: restored for every slice. */
  timeSnapshot: number;
  /** scriptVerifyClusterState's slot of the keys accessed so far (Redis original_c->slot), -1 before any. */
  clusterSlot: number[];
  /** The debugging session of this run, or null (almost always). */
  ldb: LdbSession | null;
}

/** The script currently executing Lua code (redis.call's context). */
let running: RunCtx | null = null;
/** Per server: the suspended (busy) script, if any. */
const busyRuns = new WeakMap<KeydraServer, RunCtx>();
/** Servers whose shutdown hook (drop a suspended script) is installed. */
const shutdownHooked = new WeakSet<KeydraServer>();

// ---- state creation ---------------------------------------------------------------------

const REMOVED_GLOBALS = ['io', 'os', 'package', 'module', 'require', 'loadfile', 'dofile', 'print', 'getfenv', 'setfenv', 'newproxy'];
/** Library tables made read-only (a proxy with __index to the real table). */
const PROTECTED_LIBS = ['string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'bit', 'struct', 'cmsgpack'];

/**
 * Redis's pcall (script_lua.c luaRedisPcall: an error table with a string/number `err` becomes
 * that string; no argument: "attempt to call a boolean value", as its placeholder is called),
 * written in Lua around the native pcall so no JS frame is on the stack while the protected
 * function runs (the engine can then suspend it for BUSY). Chunk args: pcall, type, select.
 */
const REDIS_PCALL_SRC = `local pcall, type, select = ...
local function fix(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    local t = type(m)
    if t == 'string' or t == 'number' then e = m end
  end
  return false, e
end
return function(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
  return fix(pcall(...))
end`;

/**
 * `load` that never loads bytecode (chunk called with load, type, string.byte; returns the
 * replacement): Redis's Lua (ldo.c f_parser) always uses the text parser, so a chunk starting
 * with ESC fails with "unexpected symbol near 'char(27)'"; a leading space gives the same error.
 * (loadstring does the same in F.loadstring, EVAL and FUNCTION LOAD in LuaVM.loadBuffer.)
 */
const GUARDS_SRC = `local load, type, byte = ...
return function(f, chunkname)
  if type(f) ~= 'function' then return load(f, chunkname) end
  local first = true
  return load(function()
    local p = f()
    if first then
      first = false
      if type(p) == 'string' and byte(p, 1) == 27 then p = ' ' .. p end
    end
    return p
  end, chunkname)
end`;

/** The error handler global Redis 7.0 defines (eval.c scriptingInit); kept for scripts that look. */
const ERR_HANDLER_SRC = `local dbg = debug
function __redis__err__handler(err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'C' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end`;

/**
 * Creates a Lua state with Redis 7.0's environment (see the module doc). `kind` 'eval' adds
 * redis.replicate_commands/breakpoint/debug as eval.c does; 'function' leaves the environment for
 * src/scripting/functions.ts to complete (its own register_function etc.).
 */
export function createScriptState(server: KeydraServer, kind: 'eval' | 'function', inVM?: LuaVM): ScriptState {
  const v = inVM ?? luaVM();
  const m = v.m;
  const F = ptrs(v).F;
  const L = v.newState();
  m._luaL_openlibs(L);
  openRedisLibs(v, L);
  // Redis's pcall (returns the err string of error tables).
  if (v.loadBuffer(L, REDIS_PCALL_SRC, '=pcall') !== LUA_OK) throw new Error(`Lua: ${v.toString(L, -1)}`);
  for (const name of ['pcall', 'type', 'select']) v.getGlobal(L, name);
  m._lua_call(L, 3, 1);
  v.setGlobal(L, 'pcall');
  // The redis table.
  v.newTable(L);
  const T = m._lua_gettop(L);
  const fns: [string, string][] = [
    ['call', 'call'],
    ['pcall', 'rpcall'],
    ['log', 'log'],
    ['setresp', 'setresp'],
    ['sha1hex', 'sha1hex'],
    ['error_reply', 'errorReply'],
    ['status_reply', 'statusReply'],
    ['set_repl', 'setRepl'],
    ['acl_check_cmd', 'aclCheckCmd'],
  ];
  if (kind === 'eval') fns.push(['replicate_commands', 'replicateCommands'], ['breakpoint', 'breakpoint'], ['debug', 'debug']);
  for (const [name, f] of fns) v.setFunction(L, T, name, F[f]);
  const nums: [string, number][] = [
    ['LOG_DEBUG', 0],
    ['LOG_VERBOSE', 1],
    ['LOG_NOTICE', 2],
    ['LOG_WARNING', 3],
    ['REDIS_VERSION_NUM', SCRIPT_REDIS_VERSION_NUM],
    ['REPL_NONE', 0],
    ['REPL_AOF', PROPAGATE_AOF],
    ['REPL_SLAVE', PROPAGATE_REPL],
    ['REPL_REPLICA', PROPAGATE_REPL],
    ['REPL_ALL', PROPAGATE_AOF | PROPAGATE_REPL],
  ];
  for (const [name, n] of nums) {
    m._lua_pushnumber(L, n);
    v.setField(L, T, name);
  }
  v.pushString(L, SCRIPT_REDIS_VERSION);
  v.setField(L, T, 'REDIS_VERSION');
  v.setGlobal(L, 'redis');
  // math.random / math.randomseed: Redis's deterministic PRNG.
  v.getGlobal(L, 'math');
  v.setFunction(L, -1, 'random', F.random);
  v.setFunction(L, -1, 'randomseed', F.randomseed);
  m._lua_settop(L, 0);
  // The error handler (uses debug), then debug and the unsupported globals go.
  if (kind === 'eval' && v.loadBuffer(L, ERR_HANDLER_SRC, '@err_handler') === LUA_OK) m._lua_pcall(L, 0, 0, 0);
  m._lua_settop(L, 0);
  for (const g of [...REMOVED_GLOBALS, 'debug']) {
    m._lua_pushnil(L);
    v.setGlobal(L, g);
  }
  // Guarded base functions (they see through the read-only proxies).
  for (const [name, f] of [
    ['rawset', 'rawset'],
    ['rawget', 'rawget'],
    ['next', 'next'],
    ['pairs', 'pairs'],
  ] as const) {
    v.pushCFunction(L, F[f]);
    v.setGlobal(L, name);
  }
  v.getGlobal(L, 'setmetatable');
  v.setField(L, LUA_REGISTRYINDEX, 'keydra_setmetatable');
  v.pushCFunction(L, F.setmetatable);
  v.setGlobal(L, 'setmetatable');
  const envRef = protectGlobals(v, L);
  v.getField(L, LUA_REGISTRYINDEX, 'keydra_G');
  const globalsRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
  // From now on no thread (the main one included: FUNCTION LOAD bodies run there, and
  // loadstring gives new chunks the globals of the thread that loads them) sees the real globals.
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, envRef);
  m._lua_replace(L, LUA_GLOBALSINDEX);
  // A debugging session's private state (inVM) does not take redis.log outside runs.
  if (inVM === undefined) logServer = server;
  const fake = server.createFakeClient();
  fake.authenticated = true;
  fake.isScript = true;
  // Scripts never block: blocking commands answer as their non-blocking forms (as in MULTI).
  fake.multi = [];
  return new ScriptState(v, L, kind, server, fake, envRef, globalsRef);
}

/**
 * Globals protection (Redis 7.0 luaSetTableProtectionRecursively / luaSetErrorMetatable), emulated
 * with proxies since the VM has no read-only tables: library tables are replaced by empty proxies
 * whose __index is the real table and whose __newindex raises; the globals table G gets an __index
 * that raises for missing names; scripts run in P, an empty proxy of G (`_G` is P).
 * Registry `keydra_ro` holds every protected table (for rawset/setmetatable), `keydra_proxy` maps
 * proxies to their tables (for rawget/next/pairs). @returns the registry ref of P.
 */
function protectGlobals(v: LuaVM, L: number): number {
  const m = v.m;
  const F = ptrs(v).F;
  v.newTable(L);
  const RO = m._lua_gettop(L);
  v.newTable(L);
  const PX = m._lua_gettop(L);
  // HIDE: the __metatable of every proxy's metatable, which getmetatable turns into nil (a
  // library table has no metatable in Redis), so no script reaches a proxy's metatable.
  v.newTable(L);
  const HIDE = m._lua_gettop(L);
  for (const [idx, name] of [
    [RO, 'keydra_ro'],
    [PX, 'keydra_proxy'],
    [HIDE, 'keydra_hide'],
  ] as const) {
    m._lua_pushvalue(L, idx);
    v.setField(L, LUA_REGISTRYINDEX, name);
  }
  const makeProxy = (real: number): number => pushReadonlyProxy(v, L, real);
  // Wrappers of base functions that would reach or change protected tables, or load bytecode.
  if (v.loadBuffer(L, GUARDS_SRC, '=guards') === LUA_OK) {
    for (const name of ['load', 'type']) v.getGlobal(L, name);
    v.getGlobal(L, 'string');
    v.getField(L, -1, 'byte');
    m._lua_remove(L, -2);
    m._lua_call(L, 3, 1);
    v.setGlobal(L, 'load');
  }
  m._lua_settop(L, HIDE);
  m._lua_pushvalue(L, HIDE);
  m._lua_pushcclosure(L, F.getmetatable, 1);
  v.setGlobal(L, 'getmetatable');
  v.pushCFunction(L, F.loadstring);
  v.setGlobal(L, 'loadstring');
  // table.insert (ltablib.c tinsert) refusing read-only tables; the read-only set is its upvalue.
  v.getGlobal(L, 'table');
  m._lua_pushvalue(L, RO);
  m._lua_pushcclosure(L, F.tinsert, 1);
  v.setField(L, -2, 'insert');
  m._lua_settop(L, HIDE);
  for (const name of PROTECTED_LIBS) {
    v.getGlobal(L, name);
    if (v.type(L, -1) !== LuaType.Table) {
      m._lua_settop(L, HIDE);
      continue;
    }
    const real = m._lua_gettop(L);
    makeProxy(real);
    m._lua_pushvalue(L, -1);
    v.setGlobal(L, name);
    m._lua_settop(L, HIDE);
  }
  // The string metatable: its __index is the protected string table, and getmetatable('') gives
  // a read-only view of it.
  v.pushString(L, '');
  if (m._lua_getmetatable(L, -1) !== 0) {
    const SM = m._lua_gettop(L);
    v.getGlobal(L, 'string');
    v.setField(L, SM, '__index');
    makeProxy(SM);
    v.setField(L, SM, '__metatable');
  }
  m._lua_settop(L, HIDE);
  // G: missing names raise.
  m._lua_pushvalue(L, LUA_GLOBALSINDEX);
  const G = m._lua_gettop(L);
  v.newTable(L);
  v.pushCFunction(L, F.globalIndex);
  v.setField(L, -2, '__index');
  m._lua_setmetatable(L, G);
  const P = makeProxy(G);
  m._lua_pushvalue(L, P);
  v.setField(L, G, '_G');
  // getmetatable(_G): a read-only table like Redis's globals metatable ({__index = <error function>}).
  m._lua_getmetatable(L, P);
  v.newTable(L);
  const RMP = m._lua_gettop(L);
  v.pushCFunction(L, F.globalIndex);
  v.setField(L, RMP, '__index');
  makeProxy(RMP);
  v.setField(L, RMP - 1, '__metatable');
  m._lua_settop(L, P);
  m._lua_pushvalue(L, G);
  v.setField(L, LUA_REGISTRYINDEX, 'keydra_G');
  m._lua_pushvalue(L, P);
  const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
  m._lua_settop(L, 0);
  return ref;
}

/**
 * Pushes a read-only proxy of the table at absolute index `real` of L: an empty table whose
 * metatable reads from `real` and refuses writes ("Attempt to modify a readonly table"), hidden
 * from getmetatable; both are registered as read-only (rawset, table.insert, setmetatable refuse
 * them) and rawget/next/pairs on the proxy see `real`. @returns the proxy's stack index.
 */
export function pushReadonlyProxy(v: LuaVM, L: number, real: number): number {
  const m = v.m;
  const F = ptrs(v).F;
  v.newTable(L);
  const p = m._lua_gettop(L);
  v.newTable(L);
  m._lua_pushvalue(L, real);
  v.setField(L, -2, '__index');
  v.pushCFunction(L, F.roNewIndex);
  v.setField(L, -2, '__newindex');
  v.getField(L, LUA_REGISTRYINDEX, 'keydra_hide');
  v.setField(L, -2, '__metatable');
  m._lua_setmetatable(L, p);
  // ro[p] = true; ro[real] = true; proxy[p] = real
  v.getField(L, LUA_REGISTRYINDEX, 'keydra_ro');
  for (const t of [p, real]) {
    m._lua_pushvalue(L, t);
    m._lua_pushboolean(L, 1);
    m._lua_rawset(L, -3);
  }
  v.getField(L, LUA_REGISTRYINDEX, 'keydra_proxy');
  m._lua_pushvalue(L, p);
  m._lua_pushvalue(L, real);
  m._lua_rawset(L, -3);
  m._lua_settop(L, p);
  return p;
}

/** Frees a state (SCRIPT FLUSH, FUNCTION FLUSH). Must not be running. */
export function closeScriptState(st: ScriptState): void {
  st.vm.m._lua_close(st.L);
}

/** Bytes of memory the state uses (lua_gc LUA_GCCOUNT/B; INFO used_memory_lua). */
export function luaMemory(st: ScriptState): number {
  const m = st.vm.m;
  return m._lua_gc(st.L, LUA_GCCOUNT, 0) * 1024 + m._lua_gc(st.L, LUA_GCCOUNTB, 0);
}

/**
 * Compiles `code` (latin1) as a chunk named `chunkname` in the state's protected environment.
 * @returns the registry ref of the function, or the Lua compile error message.
 */
export function compileScript(st: ScriptState, code: string, chunkname = '@user_script'): { ref: number } | { error: string } {
  const { vm: v, L } = st;
  const m = v.m;
  if (v.loadBuffer(L, code, chunkname) !== LUA_OK) {
    const msg = v.toString(L, -1) ?? 'unknown error';
    m._lua_settop(L, 0);
    return { error: msg };
  }
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, st.envRef);
  m._lua_setfenv(L, -2);
  const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
  m._lua_settop(L, 0);
  return { ref };
}

/** Releases a compiled function's registry ref. */
export function dropScript(st: ScriptState, ref: number): void {
  st.vm.m._luaL_unref(st.L, LUA_REGISTRYINDEX, ref);
}

/** SHA1 hex digest of latin1 text (script cache keys, redis.sha1hex). */
export function sha1hex(s: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha1').update(s, 'latin1').digest('hex');
}

// ---- running ----------------------------------------------------------------------------

/** The BUSY error other clients get while a script is suspended, or null when none is. */
export function busyError(server: KeydraServer): string | null {
  const ctx = busyRuns.get(server);
  if (ctx === undefined) return null;
  return ctx.opts.eval ? ERR_BUSY_EVAL : ERR_BUSY_FUNCTION;
}

/**
 * The script the server is busy with (suspended past busy-reply-threshold), for FUNCTION STATS:
 * name, the command that runs it, ms since it started, and whether it is an EVAL. Null when none.
 */
export function busyScriptInfo(server: KeydraServer): { name: string; argv: string[]; durationMs: number; eval: boolean } | null {
  const ctx = busyRuns.get(server);
  if (ctx === undefined) return null;
  return {
    name: ctx.opts.name,
    argv: ctx.opts.argv ?? [],
    durationMs: Math.floor(performance.now() - ctx.start),
    eval: ctx.opts.eval,
  };
}

/**
 * SCRIPT KILL (`isEval`) / FUNCTION KILL: stops the suspended script if it has not written
 * (Redis script.c scriptKill). Replies OK, NOTBUSY, UNKILLABLE, or BUSY when the kind differs.
 */
export function killScript(c: Client, isEval: boolean): void {
  const ctx = busyRuns.get(c.server);
  if (ctx === undefined) {
    c.error(ERR_NOTBUSY);
    return;
  }
  if (ctx.writeDirty) {
    c.error(ERR_UNKILLABLE);
    return;
  }
  if (isEval && !ctx.opts.eval) {
    c.error(ERR_BUSY_FUNCTION);
    return;
  }
  if (!isEval && ctx.opts.eval) {
    c.error(ERR_BUSY_EVAL);
    return;
  }
  ctx.killed = true;
  c.reply.ok();
}

/**
 * Redis's 48-bit PRNG (rand.c redisLrand48), one per server, starting from rand.c's initial state
 * and never reseeded by EVAL in Redis 7.0 (only math.randomseed sets it).
 */
const rand48 = new WeakMap<KeydraServer, { x: bigint }>();

function randState(server: KeydraServer): { x: bigint } {
  let r = rand48.get(server);
  if (r === undefined) {
    r = { x: 0x1234abcd330en };
    rand48.set(server, r);
  }
  return r;
}

/** redisSrand48(seed): state = seed << 16 | 0x330E. */
function srand48(server: KeydraServer, seed: number): void {
  randState(server).x = ((BigInt(seed | 0) & 0xffffffffn) << 16n) | 0x330en;
}

/** redisLrand48: the next 31-bit value. */
function lrand48(server: KeydraServer): number {
  const r = randState(server);
  r.x = (r.x * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
  return Number(r.x >> 17n);
}

/**
 * Runs the compiled function `fnRef` of `st` as client `c` and replies to `c` (see the module
 * doc). The reply may come after this returns when the script goes past busy-reply-threshold;
 * `opts.onDone` runs in both cases once the reply is written.
 */
export function runScript(c: Client, st: ScriptState, fnRef: number, keys: string[], args: string[], opts: RunOptions): void {
  const server = c.server;
  const { vm: v, L } = st;
  const m = v.m;
  if (opts.eval) {
    st.keysRef = setArrayGlobal(st, st.keysRef, keys, 'KEYS');
    st.argvRef = setArrayGlobal(st, st.argvRef, args, 'ARGV');
  }
  // The coroutine: reuse the idle one, or make one that sees the protected globals.
  if (st.threadRef === LUA_NOREF) {
    const co = m._lua_newthread(L);
    st.threadRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    st.thread = co;
    m._lua_rawgeti(co, LUA_REGISTRYINDEX, st.envRef);
    m._lua_replace(co, LUA_GLOBALSINDEX);
    // The count hook stays on for the thread's life: it returns at once unless the running
    // script may yield and has passed busy-reply-threshold.
    m._lua_sethook(co, ptrs(v).hook, LUA_MASKCOUNT, HOOK_COUNT);
  }
  const co = st.thread;
  m._lua_rawgeti(co, LUA_REGISTRYINDEX, fnRef);
  let nargs = 0;
  if (!opts.eval) {
    pushArray(v, co, keys);
    pushArray(v, co, args);
    nargs = 2;
  }
  const threshold = server.config.num('busy-reply-threshold');
  const now = performance.now();
  const ctx: RunCtx = {
    st,
    caller: c,
    thread: co,
    opts,
    resp: 2,
    repl: PROPAGATE_AOF | PROPAGATE_REPL,
    oomAtStart: server.maxmemory > 0 && !server.evict(),
    writeDirty: false,
    killed: false,
    start: now,
    sliceStart: now,
    threshold,
    // Inside EXEC (c.multi is the queue being run) the transaction waits for the script.
    yieldable: threshold > 0 && (c.socket !== null || c.scriptsMayYield) && !c.closed && (server.execDepth === 0 || c.multi !== null),
    busy: false,
    suspended: false,
    sp: v.stackSave(),
    killArmed: false,
    abandoned: false,
    timeSnapshot: server.keyspace.now,
    // The slot of the declared keys (the router checked they share one), -1 without keys.
    clusterSlot: [server.cluster !== null && keys.length > 0 ? keyHashSlot(keys[0]) : -1],
    ldb: opts.ldb ?? null,
  };
  if (ctx.ldb !== null) startDebugging(ctx);
  st.fake.db = c.db;
  st.fake.resp = 2;
  // The script client acts as the caller's user (Redis scriptPrepareForRun), e.g. for SORT BY/GET.
  st.fake.user = c.user;
  st.fake.unrestricted = c.unrestricted;
  // Client tracking: a read-only command of the script tracks the caller's declared keys.
  st.fake.scriptCaller = c;
  st.fake.scriptKeys = keys;
  server.execDepth++;
  resumeSlice(ctx, nargs, now);
}

/**
 * Sets global `name` (KEYS or ARGV) to a Lua array of `items`. The table of the previous run
 * (registry ref `ref`) is refilled when the script left it as it was given: after writing
 * t[1..n], it must hold exactly n entries and have no metatable; otherwise a fresh table is made,
 * as Redis does on every run (luaCreateArray). Saves the garbage (and the GC steps) of two tables
 * per EVAL; a refilled table is still the global's value, which is not set again. Items are
 * pushed with pushKnownString, so redis.call reads them back as the same JS strings.
 * @returns the registry ref of the table now in the global.
 */
function setArrayGlobal(st: ScriptState, ref: number, items: string[], name: string): number {
  const { vm: v, L } = st;
  const m = v.m;
  const n = items.length;
  if (ref !== LUA_NOREF) {
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    const t = m._lua_gettop(L);
    for (let i = 0; i < n; i++) {
      v.pushKnownString(L, items[i]);
      m._lua_rawseti(L, t, i + 1);
    }
    let count = 0;
    m._lua_pushnil(L);
    while (count <= n && m._lua_next(L, t) !== 0) {
      m._lua_settop(L, -2);
      count++;
    }
    m._lua_settop(L, t);
    if (count === n && m._lua_getmetatable(L, t) === 0) {
      // Still the global's value: scripts cannot assign globals (protectGlobals), nothing else does.
      m._lua_settop(L, t - 1);
      return ref;
    }
    m._lua_settop(L, t - 1);
    m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
  }
  pushArray(v, L, items);
  m._lua_pushvalue(L, -1);
  const r = m._luaL_ref(L, LUA_REGISTRYINDEX);
  setRealGlobal(st, name);
  return r;
}

/** Pops the value on top of the main stack into the real globals table (rawset). */
function setRealGlobal(st: ScriptState, name: string): void {
  const { vm: v, L } = st;
  const m = v.m;
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, st.globalsRef);
  v.pushString(L, name);
  m._lua_pushvalue(L, -3);
  m._lua_rawset(L, -3);
  m._lua_settop(L, -3);
}

/** Creates a Lua array of strings on L's stack. */
function pushArray(v: LuaVM, L: number, items: string[]): void {
  v.m._lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    v.pushKnownString(L, items[i]);
    v.m._lua_rawseti(L, -2, i + 1);
  }
}

/** Runs the script until it ends or our hook suspends it (unwinds the wasm stack). */
function resumeSlice(ctx: RunCtx, nargs: number, now: number): void {
  const prev = running;
  running = ctx;
  ctx.sliceStart = now;
  const v = ctx.st.vm;
  let status: number;
  try {
    if (ctx.suspended) v.startRewind();
    status = v.m._lua_resume(ctx.thread, nargs);
  } catch (e) {
    // A JS exception escaped a C function (a bug): the coroutine is unusable, the run ends.
    running = prev;
    ctx.caller.server.log.warning(`Lua script aborted by an internal error: ${(e as Error).stack ?? e}`);
    dropThread(ctx.st);
    replyError(ctx, `ERR internal error running script: ${(e as Error).message ?? e}`);
    cleanup(ctx);
    return;
  }
  running = prev;
  ctx.suspended = v.finishUnwind();
  if (ctx.suspended) {
    // A debugger stop: the session resumes the script when its client says so.
    if (ctx.ldb !== null) return;
    if (!ctx.busy) enterBusy(ctx);
    setImmediate(() => continueBusy(ctx));
    return;
  }
  finish(ctx, status);
}

/** First suspension: the server turns busy and the caller waits (Redis scriptInterrupt). */
function enterBusy(ctx: RunCtx): void {
  const server = ctx.caller.server;
  ctx.busy = true;
  busyRuns.set(server, ctx);
  server.busyScript = ctx.opts.eval ? ERR_BUSY_EVAL : ERR_BUSY_FUNCTION;
  if (!shutdownHooked.has(server)) {
    // SHUTDOWN (NOSAVE) is allowed while busy: the suspended script is then dropped, not resumed.
    shutdownHooked.add(server);
    server.shutdownHooks.push(() => {
      const busy = busyRuns.get(server);
      if (busy !== undefined) busy.abandoned = true;
    });
  }
  server.log.warning(
    `Slow script detected: still in execution after ${Math.round(performance.now() - ctx.start)} milliseconds. You can try killing the script using the ${ctx.opts.eval ? 'SCRIPT' : 'FUNCTION'} KILL command. Script name is: ${ctx.opts.name}.`,
  );
  ctx.caller.scriptSuspended = true;
  // A socketless caller (the AOF replayer) is not blocked: its loader waits (Client.scriptDone).
  if (!ctx.caller.closed && ctx.caller.blocked === null && ctx.caller.socket !== null) {
    server.blockClient(ctx.caller, {
      keys: [],
      deadline: 0,
      onReady: () => false,
      onTimeout: () => {},
      command: ctx.opts.eval ? 'eval' : 'fcall',
    });
  }
  // The handler returns now: nothing may propagate the EVAL itself.
  server.preventPropagation = true;
}

/** A later event-loop turn of a busy script: resume it, or end it if killed. */
function continueBusy(ctx: RunCtx): void {
  const server = ctx.caller.server;
  // Time stands still for a script (Redis uses the script's start time for key expiry).
  server.keyspace.now = ctx.timeSnapshot;
  if (ctx.abandoned) {
    // Never rewound: the C stack it held is given back, the coroutine dropped.
    ctx.st.vm.stackRestore(ctx.sp);
    ctx.suspended = false;
    dropThread(ctx.st);
    cleanup(ctx);
    return;
  }
  if (ctx.killed && !ctx.killArmed) {
    // As Redis luaMaskCountHook: the kill is an error raised where the script runs (the hook,
    // as soon as the stack is rewound), then again at every new line, so a pcall cannot keep
    // the script alive.
    ctx.killArmed = true;
    server.log.warning('Lua script killed by user with SCRIPT KILL.');
    ctx.st.vm.m._lua_sethook(ctx.thread, ptrs(ctx.st.vm).hook, LUA_MASKLINE, 0);
  }
  resumeSlice(ctx, 0, performance.now());
  server.flushPendingWrites();
}

/** " script: <name>, on <source>:<line>." for the function at `level` (C levels skipped), or "". */
function errorWhere(ctx: RunCtx, level: number): string {
  const v = ctx.st.vm;
  let info = v.stackInfo(ctx.thread, level);
  while (info !== null && (info.what === 'C' || info.source === '=guards')) info = v.stackInfo(ctx.thread, ++level);
  if (info === null) return '';
  return ` script: ${ctx.opts.name}, on ${info.source}:${info.line}.`;
}

function replyError(ctx: RunCtx, msg: string, countStats = true): void {
  const c = ctx.caller;
  // Redis trims trailing newlines and maps the rest to spaces (addReplyErrorFormat).
  msg = msg.replace(/[\r\n]+$/, '');
  // An error that came from redis.call was counted when the command failed
  // (ignore_error_stats_update, ERR_REPLY_FLAG_NO_STATS_UPDATE).
  if (countStats) c.error(msg);
  else {
    // Not an error of its own (ERR_REPLY_FLAG_NO_STATS_UPDATE), but the command failed.
    c.reply.error(msg);
    failCallerCommand(ctx);
  }
}

/**
 * An error reply without stats of its own (ERR_REPLY_FLAG_NO_STATS_UPDATE: it came from a
 * redis.call that counted it): the script's command still failed (networking.c afterErrorReply).
 */
function failCallerCommand(ctx: RunCtx): void {
  const cmd = ctx.caller.server.commands.lookup(ctx.opts.argv?.[0] ?? (ctx.opts.eval ? 'eval' : 'fcall'));
  if (cmd !== undefined) ctx.caller.server.cmdStats.a[cmd.statIdx + 3]++;
}

/** True if the table at the top of L has ignore_error_stats_update = true. */
function ignoreErrorStats(v: LuaVM, L: number): boolean {
  v.getField(L, -1, 'ignore_error_stats_update');
  const r = v.type(L, -1) === LuaType.Boolean && v.m._lua_toboolean(L, -1) !== 0;
  v.m._lua_settop(L, -2);
  return r;
}

/** Forgets the state's coroutine (after an error or a kill it cannot be resumed again). */
function dropThread(st: ScriptState): void {
  if (st.threadRef === LUA_NOREF) return;
  st.vm.m._luaL_unref(st.L, LUA_REGISTRYINDEX, st.threadRef);
  st.threadRef = LUA_NOREF;
  st.thread = 0;
}

/** Converts the outcome (result or error) into the caller's reply, then cleans up. */
function finish(ctx: RunCtx, status: number): void {
  const v = ctx.st.vm;
  const m = v.m;
  const co = ctx.thread;
  if (status === LUA_OK) {
    const n = m._lua_gettop(co);
    if (n === 0) m._lua_pushnil(co);
    else if (n > 1) m._lua_settop(co, 1);
    const w = ctx.caller.reply;
    const mark = w.pos;
    try {
      luaToReply(ctx, co, w, 0);
    } catch (e) {
      // The reply cannot be built (over the reply size limit): answer an error instead.
      w.pos = mark;
      replyError(ctx, `ERR ${(e as Error).message ?? e}`);
    }
    m._lua_settop(co, 0);
    // A killed script that caught the error and returned: its coroutine keeps the kill hook.
    if (ctx.killArmed) dropThread(ctx.st);
  } else if (status === LUA_YIELD) {
    // The script yielded its own coroutine at top level: Redis runs it under pcall, a C boundary.
    replyError(ctx, `ERR attempt to yield across metamethod/C-call boundary${errorWhere(ctx, 0)}`);
    dropThread(ctx.st);
  } else {
    const ignore = ctx.st.vm.type(ctx.thread, -1) === LuaType.Table && ignoreErrorStats(ctx.st.vm, ctx.thread);
    replyError(ctx, errorMessage(ctx, status), !ignore);
    dropThread(ctx.st);
  }
  cleanup(ctx);
}

/** The error reply text of a failed run (luaCallFunction's error branch). */
function errorMessage(ctx: RunCtx, status: number): string {
  const v = ctx.st.vm;
  const m = v.m;
  const co = ctx.thread;
  let msg: string;
  const t = v.type(co, -1);
  if (status !== LUA_ERRRUN && t !== LuaType.Table) {
    msg = `ERR ${v.toString(co, -1) ?? 'execution failure'}`;
  } else if (t === LuaType.Table) {
    v.getField(co, -1, 'err');
    msg = m._lua_isstring(co, -1) ? (v.toString(co, -1) as string) : 'ERR unknown error';
    m._lua_settop(co, -2);
  } else {
    msg = `ERR ${luaToDisplay(v, co, -1)}`;
  }
  const z = msg.indexOf('\0');
  if (z >= 0) msg = msg.slice(0, z);
  return msg + errorWhere(ctx, 0);
}

/** tostring() of a value for error messages. */
function luaToDisplay(v: LuaVM, L: number, idx: number): string {
  switch (v.type(L, idx)) {
    case LuaType.Nil:
      return 'nil';
    case LuaType.Boolean:
      return v.m._lua_toboolean(L, idx) ? 'true' : 'false';
    case LuaType.Number:
    case LuaType.String:
      return v.toString(L, idx) as string;
    default:
      return `${v.cstr(v.m._lua_typename(L, v.type(L, idx)))}: 0x${(v.m._lua_topointer(L, idx) >>> 0).toString(16).padStart(8, '0')}`;
  }
}

/** After the reply: GC step, propagation of the writes as one unit, unblocking the caller. */
function cleanup(ctx: RunCtx): void {
  const server = ctx.caller.server;
  const st = ctx.st;
  if (ctx.ldb !== null) {
    ctx.ldb.run = null;
    // The coroutine (if kept) goes back to the count hook.
    if (st.threadRef !== LUA_NOREF && st.thread === ctx.thread) st.vm.m._lua_sethook(ctx.thread, ptrs(st.vm).hook, LUA_MASKCOUNT, HOOK_COUNT);
  }
  if (++st.gcRuns === GC_CYCLE_PERIOD) gcStep(st);
  prepareSpare(st.vm);
  server.execDepth--;
  if (server.execDepth === 0) server.flushPropagation();
  server.preventPropagation = true;
  ctx.opts.onDone?.();
  if (ctx.busy) {
    busyRuns.delete(server);
    server.busyScript = null;
    const c = ctx.caller;
    c.scriptSuspended = false;
    // A transaction that waited for this script goes on (it may suspend again at a later script).
    const next = c.execContinuation;
    if (next !== null) {
      c.execContinuation = null;
      next();
      if (c.scriptSuspended) return;
    }
    if (c.socket === null) {
      // The AOF replayer: its loader goes on with the next command.
      const done = c.scriptDone;
      c.scriptDone = null;
      done?.();
    } else if (c.blocked !== null) server.unblockClient(c, true);
    else server.markPendingWrite(c);
    // Clients blocked on keys the script made ready are served now that it is over.
    server.afterCommand();
  }
}

/** Runs between two explicit GC steps (Redis eval.c LUA_GC_CYCLE_PERIOD). */
const GC_CYCLE_PERIOD = 50;

/**
 * The explicit GC step every GC_CYCLE_PERIOD runs (Redis eval.c: lua_gc(LUA_GCSTEP, 50)), sized
 * to what the heap grew by since the previous one: one luaC_step (2 KB of collector work) per
 * 512 bytes of growth, at most Redis's 50, none when it did not grow. In Lua 5.1 a step of 50
 * does up to 50 luaC_steps and stops only at the end of a cycle, so Redis's fixed step is a
 * whole GC cycle every 50 runs however little the scripts allocate: a full mark of the state
 * (~33 us in the wasm VM for the 32 KB eval state, ~10% of a small EVALSHA). Sized to growth,
 * the work follows the garbage (a script that allocates nothing costs nothing) and cycles still
 * complete at several times the allocation rate, so the heap stays near its live size
 * (Lua's own allocation-driven steps run as well).
 */
function gcStep(st: ScriptState): void {
  st.gcRuns = 0;
  const bytes = luaMemory(st);
  const grown = bytes - st.gcBytes;
  if (grown > 0) {
    st.vm.m._lua_gc(st.L, LUA_GCSTEP, Math.min(GC_CYCLE_PERIOD, Math.ceil(grown / 512)));
    st.gcBytes = luaMemory(st);
  } else st.gcBytes = bytes;
}

// ---- Lua → reply ------------------------------------------------------------------------

/** Long long cast of a double as C does on x86-64 (out of range / NaN → LLONG_MIN). */
function toLongLong(n: number): number | bigint {
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) return t;
  if (!(t >= -(2 ** 63) && t < 2 ** 63)) return -9223372036854775808n;
  return BigInt(t);
}

/**
 * Writes the value on top of L's stack as a reply into `w` and pops it (script_lua.c
 * luaReplyToRedisReply). Booleans follow the script's protocol (redis.setresp).
 */
function luaToReply(ctx: RunCtx, L: number, w: ReplyWriter, depth: number): void {
  const v = ctx.st.vm;
  const m = v.m;
  if (depth > 1000 || !m._lua_checkstack(L, 4)) {
    ctx.caller.server.countError('ERR reached lua stack limit');
    w.error('ERR reached lua stack limit');
    m._lua_settop(L, -2);
    return;
  }
  switch (v.type(L, -1)) {
    case LuaType.String:
      w.bulkBuffer(v.toView(L, -1));
      break;
    case LuaType.Boolean: {
      const b = m._lua_toboolean(L, -1) !== 0;
      if (ctx.resp === 2) {
        if (b) w.integer(1);
        else w.nullBulk();
      } else w.bool(b);
      break;
    }
    case LuaType.Number:
      w.integer(toLongLong(m._lua_tonumber(L, -1)));
      break;
    case LuaType.Table:
      tableToReply(ctx, L, w, depth);
      return;
    default:
      w.nullBulk();
  }
  m._lua_settop(L, -2);
}

/** rawget of string field `k` of the table at -1, pushed; @returns its type. */
function rawField(v: LuaVM, L: number, k: string): LuaType {
  v.pushString(L, k);
  v.m._lua_rawget(L, -2);
  return v.type(L, -1);
}

function tableToReply(ctx: RunCtx, L: number, w: ReplyWriter, depth: number): void {
  const v = ctx.st.vm;
  const m = v.m;
  const pop = (n: number): void => m._lua_settop(L, -1 - n);
  if (rawField(v, L, 'err') === LuaType.String) {
    let msg = v.toString(L, -1) as string;
    const z = msg.indexOf('\0');
    if (z >= 0) msg = msg.slice(0, z);
    msg = msg.replace(/[\r\n]+$/, '').replace(/[\r\n]/g, ' ');
    pop(1);
    if (!ignoreErrorStats(v, L)) ctx.caller.server.countError(msg);
    else failCallerCommand(ctx);
    w.error(msg);
    pop(1);
    return;
  }
  pop(1);
  if (rawField(v, L, 'ok') === LuaType.String) {
    let s = v.toString(L, -1) as string;
    const z = s.indexOf('\0');
    if (z >= 0) s = s.slice(0, z);
    w.simple(s.replace(/[\r\n]/g, ' '));
    pop(2);
    return;
  }
  pop(1);
  if (rawField(v, L, 'double') === LuaType.Number) {
    w.double(m._lua_tonumber(L, -1));
    pop(2);
    return;
  }
  pop(1);
  if (rawField(v, L, 'big_number') === LuaType.String) {
    const s = (v.toString(L, -1) as string).replace(/[\r\n]/g, ' ');
    if (w.resp === 3) {
      w.ensure(s.length + 3);
      w.raw(Buffer.from(`(${s}\r\n`, 'latin1'));
    } else w.bulk(s);
    pop(2);
    return;
  }
  pop(1);
  if (rawField(v, L, 'verbatim_string') === LuaType.Table) {
    if (rawField(v, L, 'format') === LuaType.String) {
      const format = v.toString(L, -1) as string;
      v.pushString(L, 'string');
      m._lua_rawget(L, -3);
      if (v.type(L, -1) === LuaType.String) {
        const s = v.toString(L, -1) as string;
        w.verbatim(s, format.slice(0, 3));
        pop(4);
        return;
      }
      pop(1);
    }
    pop(1);
  }
  pop(1);
  if (rawField(v, L, 'map') === LuaType.Table) {
    const mark = w.deferLen();
    let n = 0;
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      m._lua_pushvalue(L, -2);
      luaToReply(ctx, L, w, depth + 1);
      luaToReply(ctx, L, w, depth + 1);
      n++;
    }
    w.setDeferredMapLen(mark, n);
    pop(2);
    return;
  }
  pop(1);
  if (rawField(v, L, 'set') === LuaType.Table) {
    const mark = w.deferLen();
    let n = 0;
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      pop(1);
      m._lua_pushvalue(L, -1);
      luaToReply(ctx, L, w, depth + 1);
      n++;
    }
    w.setDeferredSetLen(mark, n);
    pop(2);
    return;
  }
  pop(1);
  const mark = w.deferLen();
  let n = 0;
  for (;;) {
    m._lua_rawgeti(L, -1, n + 1);
    if (v.type(L, -1) === LuaType.Nil) {
      pop(1);
      break;
    }
    luaToReply(ctx, L, w, depth + 1);
    n++;
  }
  w.setDeferredArrayLen(mark, n);
  pop(1);
}

// ---- reply → Lua ------------------------------------------------------------------------

/** A reply redis.call cannot convert (too deep for the Lua stack, unknown type). */
class ReplyParseError extends Error {}

/** Index of the CR ending the line that starts at `p`. */
function lineEnd(b: Buffer, p: number): number {
  return b.indexOf(13, p);
}

/** Parses a decimal integer in b[p..e). */
function parseIntAt(b: Buffer, p: number, e: number): number {
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
  }
  let n = 0;
  for (; p < e; p++) n = n * 10 + (b[p] - 48);
  return neg ? -n : n;
}

/**
 * Pushes onto L the Lua value of the RESP reply at b[p] (script_lua.c redisProtocolToLuaType);
 * with `push` false only skips it. @returns the offset after the reply.
 */
function pushReply(v: LuaVM, L: number, b: Buffer, p: number, push: boolean): number {
  const m = v.m;
  if (push && !m._lua_checkstack(L, 5)) throw new ReplyParseError('lua stack limit reached when parsing redis.call reply');
  const t = b[p];
  const e = lineEnd(b, p);
  const next = e + 2;
  switch (t) {
    case 58: // ':'
      if (push) m._lua_pushnumber(L, parseIntAt(b, p + 1, e));
      return next;
    case 36: {
      // '$'
      const len = parseIntAt(b, p + 1, e);
      if (len < 0) {
        if (push) m._lua_pushboolean(L, 0);
        return next;
      }
      if (push) v.pushRange(L, b, next, next + len);
      return next + len + 2;
    }
    case 43: // '+'
      if (push) {
        m._lua_createtable(L, 0, 1);
        v.pushRange(L, b, p + 1, e);
        v.setField(L, -2, 'ok');
      }
      return next;
    case 45: // '-'
      if (push) {
        pushErrorTable(v, L, b.toString('latin1', p, e));
        m._lua_pushboolean(L, 1);
        v.setField(L, -2, 'ignore_error_stats_update');
      }
      return next;
    case 42: // '*'
    case 62: {
      // '>'
      const n = parseIntAt(b, p + 1, e);
      if (n < 0) {
        if (push) m._lua_pushboolean(L, 0);
        return next;
      }
      if (push) m._lua_createtable(L, n, 0);
      let q = next;
      for (let j = 0; j < n; j++) {
        if (push) m._lua_pushnumber(L, j + 1);
        q = pushReply(v, L, b, q, push);
        if (push) m._lua_settable(L, -3);
      }
      return q;
    }
    case 37: // '%'
    case 126: {
      // '~'
      const n = parseIntAt(b, p + 1, e);
      if (push) {
        m._lua_createtable(L, 0, 1);
        v.pushString(L, t === 37 ? 'map' : 'set');
        m._lua_createtable(L, 0, n);
      }
      let q = next;
      for (let j = 0; j < n; j++) {
        q = pushReply(v, L, b, q, push);
        if (t === 37) q = pushReply(v, L, b, q, push);
        else if (push) m._lua_pushboolean(L, 1);
        if (push) m._lua_settable(L, -3);
      }
      if (push) m._lua_settable(L, -3);
      return q;
    }
    case 95: // '_'
      if (push) m._lua_pushnil(L);
      return next;
    case 35: // '#'
      if (push) m._lua_pushboolean(L, b[p + 1] === 116 ? 1 : 0);
      return next;
    case 44: {
      // ','
      if (push) {
        const s = b.toString('latin1', p + 1, e);
        const d = s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? Number.NaN : Number(s);
        m._lua_createtable(L, 0, 1);
        m._lua_pushnumber(L, d);
        v.setField(L, -2, 'double');
      }
      return next;
    }
    case 40: // '('
      if (push) {
        m._lua_createtable(L, 0, 1);
        v.pushRange(L, b, p + 1, e);
        v.setField(L, -2, 'big_number');
      }
      return next;
    case 61: {
      // '='
      const len = parseIntAt(b, p + 1, e);
      if (push) {
        m._lua_createtable(L, 0, 1);
        m._lua_createtable(L, 0, 2);
        v.pushRange(L, b, next + 4, next + len);
        v.setField(L, -2, 'string');
        v.pushRange(L, b, next, next + 3);
        v.setField(L, -2, 'format');
        v.setField(L, -2, 'verbatim_string');
      }
      return next + len + 2;
    }
    case 124: {
      // '|' attribute: skipped, then the reply itself
      const n = parseIntAt(b, p + 1, e);
      let q = next;
      for (let j = 0; j < 2 * n; j++) q = pushReply(v, L, b, q, false);
      return pushReply(v, L, b, q, push);
    }
    default:
      throw new ReplyParseError(`unexpected reply type byte ${t}`);
  }
}

/**
 * Pushes an error table {err="CODE msg"} (script_lua.c luaPushErrorBuff): "-CODE msg" keeps its
 * code, text without a leading '-' gets "ERR ".
 */
function pushErrorTable(v: LuaVM, L: number, err: string): void {
  // luaPushErrorBuff: while stepping in a debugging session, errors are logged.
  const dbg = running?.ldb;
  if (dbg?.logging) dbg.log(`<error> ${err}`);
  let code = 'ERR';
  let msg = err;
  if (err.charCodeAt(0) === 45) {
    const sp = err.indexOf(' ');
    if (sp < 0) msg = err.slice(1);
    else {
      code = err.slice(1, sp);
      msg = err.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  v.m._lua_createtable(L, 0, 2);
  v.pushCString(L, `${code} ${msg}`);
  v.setField(L, -2, 'err');
}

// ---- redis.* and guard C functions ------------------------------------------------------

/** Pushes an error table and raises it (luaPushError + luaError). */
function raiseError(v: LuaVM, L: number, msg: string): number {
  pushErrorTable(v, L, msg);
  return v.m._lua_error(L);
}

/**
 * redis.call / redis.pcall (script_lua.c luaRedisGenericCommand + script.c scriptCall): checks the
 * command as Redis does, runs it through `call` as the script client and pushes its reply.
 * @returns the outcome: 'raise' when an error table is on top and must be raised.
 */
function redisCommand(v: LuaVM, L: number, raise: boolean): number {
  const m = v.m;
  const ctx = running;
  if (ctx === null) return raiseError(v, L, 'redis.call/pcall can only be called inside a script invocation');
  const argc = m._lua_gettop(L);
  if (argc === 0) {
    pushErrorTable(v, L, 'Please specify at least one argument for this redis lib call');
    return raise ? m._lua_error(L) : 1;
  }
  const argv: string[] = new Array(argc);
  let bad = false;
  for (let j = 0; j < argc; j++) {
    const t = m._lua_type(L, j + 1);
    if (t === LuaType.Number) argv[j] = formatDouble(m._lua_tonumber(L, j + 1));
    else if (t === LuaType.String) argv[j] = v.toString(L, j + 1) as string;
    else {
      bad = true;
      break;
    }
  }
  m._lua_settop(L, 0);
  if (bad) {
    pushErrorTable(v, L, 'Lua redis lib command arguments must be strings or integers');
    return raise ? m._lua_error(L) : 1;
  }
  const dbg = ctx.ldb;
  if (dbg?.logging) dbg.logCommand(argv);
  const err = execFromScript(ctx, argv);
  if (err !== null) {
    pushErrorTable(v, L, err);
    m._lua_pushboolean(L, 1);
    v.setField(L, -2, 'ignore_error_stats_update');
    return raise ? m._lua_error(L) : 1;
  }
  const w = ctx.st.fake.reply;
  const b = w.buf;
  let isErr = false;
  try {
    isErr = b[0] === 45;
    pushReply(v, L, b, 0, true);
    if (dbg?.logging) dbg.logReply(b, 0, w.pos);
  } catch (e) {
    if (!(e instanceof ReplyParseError)) throw e;
    m._lua_settop(L, 0);
    pushErrorTable(v, L, `ERR ${(e as Error).message}`);
    isErr = true;
  }
  w.pos = 0;
  if (w.buf.length > 64 * 1024) w.written(false, 64 * 1024, 64 * 1024);
  return raise && isErr ? m._lua_error(L) : 1;
}

/**
 * Checks and runs one command for a script. @returns null with the reply in the script client's
 * writer, or the error text (without reply) when the command may not run.
 */
function execFromScript(ctx: RunCtx, argv: string[]): string | null {
  const server = ctx.caller.server;
  const cmd = server.commands.lookupArgv(argv);
  let err: string | null = null;
  if (cmd === undefined) err = 'Unknown Redis command called from script';
  else if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity)
    err = 'Wrong number of args calling Redis command from script';
  else if ((cmd.flags & CmdFlag.NoScript) !== 0 && !server.scriptDisableDenyScript) err = 'This Redis command is not allowed from script';
  // script.c scriptVerifyAllowStale.
  else if (server.keyspace.replicaMode && (cmd.flags & CmdFlag.Stale) === 0 && runningStale(server)) err = 'Can not execute the command on a stale replica';
  else if (!ctx.caller.unrestricted && (err = aclScriptCheck(ctx.caller, cmd, argv)) !== null) {
    // ACL (src/server/acl.ts), as the calling client's user
  } else if (ctx.opts.readOnly && ((cmd.flags & (CmdFlag.Write | CmdFlag.MayReplicate)) !== 0 || MAY_REPLICATE.has(cmd.fullName)))
    err = 'Write commands are not allowed from read-only scripts.';
  // script.c scriptVerifyWriteCommandAllow: once the script has written, the server's state
  // (read-only replica, disk error, too few good replicas) no longer fails its writes.
  else if ((cmd.flags & CmdFlag.Write) !== 0 && !ctx.writeDirty && !ctx.caller.mustObey && server.readOnlyReplica) err = `-${ERR_READONLY}`;
  // script.c scriptVerifyWriteCommandAllow: a failed BGSAVE / AOF write (-MISCONF) denies the
  // script's first write; once it has written, it is not failed halfway on that state.
  else if ((cmd.flags & CmdFlag.Write) !== 0 && !ctx.writeDirty && server.diskError !== null) err = `-${server.diskError}`;
  else if ((cmd.flags & CmdFlag.Write) !== 0 && !ctx.writeDirty && !goodReplicasOk(server)) err = `-${ERR_NOREPLICAS}`;
  else if (!ctx.opts.allowOom && server.maxmemory > 0 && !ctx.writeDirty && ctx.oomAtStart && (cmd.flags & CmdFlag.DenyOom) !== 0)
    err = `-${ERR_OOM}`;
  else if (server.cluster !== null) {
    // script.c scriptVerifyClusterState: only local keys, of one slot unless allow-cross-slot-keys.
    err = scriptClusterCheck(ctx.caller, cmd, argv, ctx.opts.allowCrossSlot === true, ctx.clusterSlot);
  }
  if (err !== null) {
    if (cmd !== undefined) server.cmdStats.a[cmd.statIdx + 2]++;
    server.countError(err.startsWith('-') ? err.slice(1) : `ERR ${err}`);
    markErrorsAccounted(server.stats.total_error_replies);
    return err;
  }
  const c = ctx.st.fake;
  if (((cmd as NonNullable<typeof cmd>).flags & CmdFlag.Write) !== 0) ctx.writeDirty = true;
  c.reply.pos = 0;
  c.resp = ctx.resp;
  if (ctx.repl === (PROPAGATE_AOF | PROPAGATE_REPL)) {
    call(c, cmd as NonNullable<typeof cmd>, argv);
  } else {
    // redis.set_repl: the command's writes go only where the script asked.
    const before = server.pendingPropagationCount;
    call(c, cmd as NonNullable<typeof cmd>, argv);
    server.restrictPropagation(before, ctx.repl);
  }
  return null;
}

/**
 * The count hook (Redis luaMaskCountHook): past busy-reply-threshold (then every SLICE_MS) it
 * suspends the running script by unwinding the whole wasm stack (Asyncify), whatever Lua is doing
 * (pcall, xpcall, table.sort's comparator, a gsub callback, a metamethod, a coroutine), unless a
 * JS C function is on the stack. Called again when the stack is rewound: the script goes on, or
 * gets the kill error after SCRIPT KILL / FUNCTION KILL.
 */
function countHook(v: LuaVM, L: number): void {
  const ctx = running;
  const rewound = v.stopRewindIfRewinding();
  if (ctx === null || !ctx.yieldable) return;
  if (ctx.killArmed) {
    // Every thread the script runs in gets the line hook, so the kill is raised again at once.
    v.m._lua_sethook(L, ptrs(v).hook, LUA_MASKLINE, 0);
    // Raised in the script's code, not in the pcall wrapper's (so the script's pcall sees it).
    if (!rewound && v.stackInfo(L, 0)?.source === '=pcall') return;
    raiseError(v, L, 'Script killed by user with SCRIPT KILL...');
    return;
  }
  if (rewound) return;
  const now = performance.now();
  if (!ctx.busy) {
    if (now - ctx.start < ctx.threshold) return;
  } else if (now - ctx.sliceStart < SLICE_MS) return;
  if (v.jsDepth !== 0) return;
  v.startUnwind();
}

/**
 * Gives a debugged run the line hook (LUA_MASKLINE|LUA_MASKCOUNT, as Redis luaCallFunction with
 * debug_enabled) and its session the Lua side: the coroutine, a way to run Lua as the script
 * (debugger `eval` / `redis`), and resume.
 */
function startDebugging(ctx: RunCtx): void {
  const v = ctx.st.vm;
  ctx.yieldable = false;
  v.m._lua_sethook(ctx.thread, ptrs(v).ldbHook, LUA_MASKLINE | LUA_MASKCOUNT, HOOK_COUNT);
  (ctx.ldb as LdbSession).run = {
    vm: v,
    thread: ctx.thread,
    withRun: <T>(fn: () => T): T => {
      const prev = running;
      running = ctx;
      try {
        return fn();
      } finally {
        running = prev;
      }
    },
    resume: () => {
      if (!ctx.suspended) return;
      const server = ctx.caller.server;
      server.keyspace.now = ctx.timeSnapshot;
      resumeSlice(ctx, 0, performance.now());
      server.flushPendingWrites();
    },
  };
}

/** lua_Debug.event of a count event (LUA_HOOKCOUNT). */
const LUA_HOOKCOUNT = 3;

/**
 * The debugger's hook (Redis luaLdbLineHook): at each line of the user script (and every
 * HOOK_COUNT instructions, for the timeout stop) the session decides whether to stop; a stop
 * suspends the script (Asyncify unwind) until a debugger command resumes it. Called again when
 * the stack is rewound: raises the pending error (abort, protocol error) or goes on, with the
 * script's clock restarted.
 */
function ldbHook(v: LuaVM, L: number, ar: number): void {
  const ctx = running;
  const rewound = v.stopRewindIfRewinding();
  if (ctx === null || ctx.ldb === null) return;
  const s = ctx.ldb;
  if (rewound) {
    ctx.start = performance.now();
    ctx.timeSnapshot = Date.now();
    ctx.caller.server.keyspace.now = ctx.timeSnapshot;
    const err = s.pendingError;
    if (err !== null) {
      s.pendingError = null;
      raiseError(v, L, err);
      return;
    }
    if (s.disconnected && s.timeoutStop) raiseError(v, L, 'timeout during Lua debugging with client closing connection');
    return;
  }
  const info = v.stackInfo(L, 0);
  if (info === null) return;
  s.currentline = info.line;
  if (!info.source.includes('user_script')) return;
  // A JS function on the stack cannot be suspended: the stop waits for the next line.
  if (v.jsDepth !== 0) return;
  const isCount = v.m.HEAP32[ar >> 2] === LUA_HOOKCOUNT;
  const stop = s.lineEvent(info.line, isCount, performance.now() - ctx.start, ctx.threshold > 0 ? ctx.threshold : 5000);
  if (stop === null) return;
  if (s.disconnected) {
    if (stop.timeout) raiseError(v, L, 'timeout during Lua debugging with client closing connection');
    return;
  }
  s.waiting = true;
  s.timeoutStop = stop.timeout;
  s.stopped();
  v.startUnwind();
}

/** Guard helpers: is the table at idx in the registry set `name` (keydra_ro / keydra_proxy)? */
function registryLookup(v: LuaVM, L: number, name: string, idx: number): void {
  v.getField(L, LUA_REGISTRYINDEX, name);
  v.m._lua_pushvalue(L, idx);
  v.m._lua_rawget(L, -2);
  v.m._lua_remove(L, -2);
}

/** Replaces the table at index 1 by the table it is a read-only proxy of, if it is one. */
function unproxy(v: LuaVM, L: number): void {
  registryLookup(v, L, 'keydra_proxy', 1);
  if (v.type(L, -1) === LuaType.Table) v.m._lua_replace(L, 1);
  else v.m._lua_settop(L, -2);
}

function isReadonly(v: LuaVM, L: number, idx: number): boolean {
  registryLookup(v, L, 'keydra_ro', idx);
  const ro = v.m._lua_toboolean(L, -1) !== 0;
  v.m._lua_settop(L, -2);
  return ro;
}

/** Redis checkGoodReplicasStatus for scripts (KeydraServer.goodReplicasOk): writes and scripts without no-writes get NOREPLICAS. */
export function goodReplicasOk(server: KeydraServer): boolean {
  return server.goodReplicasOk();
}

/**
 * Redis scriptPrepareForRun's running_stale: a replica whose link to its primary is down, with
 * replica-serve-stale-data no (scripts without allow-stale are refused; their commands without
 * the stale flag fail).
 */
export function runningStale(server: KeydraServer): boolean {
  // replicaMode (a field) first: on a primary, one load.
  if (!server.keyspace.replicaMode) return false;
  const repl = server.replication;
  return repl.isReplica && !repl.link?.linkUp && !server.config.bool('replica-serve-stale-data');
}

/** Commands Redis 7.0 flags may-replicate although COMMAND INFO does not list it (refused in read-only scripts). */
const MAY_REPLICATE = new Set(['publish', 'spublish', 'pfcount']);

const READONLY_TABLE = 'Attempt to modify a readonly table';

/** Registers every C function once per VM. */
function registerFunctions(v: LuaVM): void {
  const m = v.m;
  const hook = m.addFunction((L: number) => countHook(v, L), 'vii');
  const ldbHookPtr = m.addFunction((L: number, ar: number) => ldbHook(v, L, ar), 'vii');
  const F: Record<string, number> = {};
  pointers.set(v, { F, hook, ldbHook: ldbHookPtr });
  Object.assign(F, {
    call: v.cfunction((L) => redisCommand(v, L, true)),
    rpcall: v.cfunction((L) => redisCommand(v, L, false)),
    sha1hex: v.cfunction((L) => {
      if (m._lua_gettop(L) !== 1) return raiseError(v, L, 'wrong number of arguments');
      v.pushString(L, sha1hex(v.toString(L, 1) ?? ''));
      return 1;
    }),
    errorReply: v.cfunction((L) => {
      if (m._lua_gettop(L) !== 1 || v.type(L, -1) !== LuaType.String) {
        pushErrorTable(v, L, 'wrong number or type of arguments');
        return 1;
      }
      let s = v.toString(L, -1) as string;
      const z = s.indexOf('\0');
      if (z >= 0) s = s.slice(0, z);
      pushErrorTable(v, L, s.startsWith('-') ? s : `-${s}`);
      return 1;
    }),
    statusReply: v.cfunction((L) => {
      if (m._lua_gettop(L) !== 1 || v.type(L, -1) !== LuaType.String) {
        pushErrorTable(v, L, 'wrong number or type of arguments');
        return 1;
      }
      m._lua_createtable(L, 0, 1);
      m._lua_pushvalue(L, -2);
      v.setField(L, -2, 'ok');
      return 1;
    }),
    log: v.cfunction((L) => {
      const argc = m._lua_gettop(L);
      if (argc < 2) return raiseError(v, L, 'redis.log() requires two arguments or more.');
      if (!m._lua_isnumber(L, 1)) return raiseError(v, L, 'First argument must be a number (log level).');
      const level = Math.trunc(m._lua_tonumber(L, 1));
      if (level < 0 || level > 3) return raiseError(v, L, 'Invalid debug level.');
      const ctx = running;
      const parts: string[] = [];
      for (let j = 2; j <= argc; j++) {
        const s = v.toString(L, j);
        if (s !== null) parts.push(s);
      }
      const log = (ctx?.caller.server ?? logServer)?.log;
      if (log) log.log((['debug', 'verbose', 'notice', 'warning'] as const)[level], parts.join(' '));
      return 0;
    }),
    setresp: v.cfunction((L) => {
      const ctx = running;
      if (ctx === null) return raiseError(v, L, 'redis.setresp can only be called inside a script invocation');
      if (m._lua_gettop(L) !== 1) return raiseError(v, L, 'redis.setresp() requires one argument.');
      const resp = Math.trunc(m._lua_tonumber(L, 1));
      if (resp !== 2 && resp !== 3) return raiseError(v, L, 'RESP version must be 2 or 3.');
      ctx.resp = resp;
      return 0;
    }),
    setRepl: v.cfunction((L) => {
      const ctx = running;
      if (ctx === null) return raiseError(v, L, 'redis.set_repl can only be called inside a script invocation');
      if (m._lua_gettop(L) !== 1) return raiseError(v, L, 'redis.set_repl() requires two arguments.');
      const flags = Math.trunc(m._lua_tonumber(L, -1));
      if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) !== 0) {
        return raiseError(v, L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      }
      ctx.repl = flags;
      return 0;
    }),
    aclCheckCmd: v.cfunction((L) => {
      if (running === null) return raiseError(v, L, 'redis.acl_check_cmd can only be called inside a script invocation');
      const argc = m._lua_gettop(L);
      if (argc === 0) return raiseError(v, L, 'Please specify at least one argument for this redis lib call');
      const argv: string[] = [];
      for (let j = 1; j <= argc; j++) {
        const t = m._lua_type(L, j);
        if (t === LuaType.Number) argv.push(formatDouble(m._lua_tonumber(L, j)));
        else if (t === LuaType.String) argv.push(v.toString(L, j) as string);
        else return raiseError(v, L, 'Lua redis lib command arguments must be strings or integers');
      }
      m._lua_settop(L, 0);
      let cmd = running.caller.server.commands.lookup(argv[0]);
      if (cmd !== undefined && cmd.subcommands !== null && argv.length >= 2) cmd = cmd.subcommands.get(argv[1].toLowerCase());
      if (cmd === undefined) return raiseError(v, L, 'Invalid command passed to redis.acl_check_cmd()');
      m._lua_pushboolean(L, aclAllows(running.caller, cmd, argv) ? 1 : 0);
      return 1;
    }),
    replicateCommands: v.cfunction((L) => {
      m._lua_pushboolean(L, 1);
      return 1;
    }),
    // redis.breakpoint(): in a debugging session, stop at the next line (luaRedisBreakpointCommand).
    breakpoint: v.cfunction((L) => {
      const dbg = running?.ldb;
      if (dbg != null) dbg.luabp = true;
      m._lua_pushboolean(L, dbg != null ? 1 : 0);
      return 1;
    }),
    // redis.debug(...): a "<debug>" log line in a debugging session, else nothing (luaRedisDebugCommand).
    debug: v.cfunction((L) => {
      const dbg = running?.ldb;
      if (dbg != null) dbg.debugLog(v, L);
      return 0;
    }),
    noop: v.cfunction(() => 0),
    random: v.cfunction((L) => {
      if (running === null) return v.errorWhere(L, 1, 'math.random can only be called inside a script invocation');
      const r = (lrand48(running.caller.server) % 2147483647) / 2147483647;
      switch (m._lua_gettop(L)) {
        case 0:
          m._lua_pushnumber(L, r);
          break;
        case 1: {
          const u = m._luaL_checkinteger(L, 1) | 0;
          if (!(1 <= u)) return v.argError(L, 1, 'interval is empty');
          m._lua_pushnumber(L, Math.floor(r * u) + 1);
          break;
        }
        case 2: {
          const l = m._luaL_checkinteger(L, 1) | 0;
          const u = m._luaL_checkinteger(L, 2) | 0;
          if (!(l <= u)) return v.argError(L, 2, 'interval is empty');
          m._lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
          break;
        }
        default:
          return v.errorWhere(L, 1, 'wrong number of arguments');
      }
      return 1;
    }),
    randomseed: v.cfunction((L) => {
      if (running === null) return v.errorWhere(L, 1, 'math.randomseed can only be called inside a script invocation');
      srand48(running.caller.server, m._luaL_checkinteger(L, 1) | 0);
      return 0;
    }),
    globalIndex: v.cfunction((L) => {
      const name = v.toString(L, 2);
      if (name === null) return v.errorWhere(L, 1, 'Second argument to luaProtectedTableError must be a string or number');
      return v.errorWhere(L, 1, `Script attempted to access nonexistent global variable '${name}'`);
    }),
    roNewIndex: v.cfunction((L) => v.errorWhere(L, 1, READONLY_TABLE)),
    // lbaselib.c luaB_getmetatable; a metatable whose __metatable is the upvalue HIDE reads as nil.
    getmetatable: v.cfunction((L) => {
      m._luaL_checkany(L, 1);
      if (m._lua_getmetatable(L, 1) === 0) {
        m._lua_pushnil(L);
        return 1;
      }
      m._luaL_getmetafield(L, 1, v.cname('__metatable'));
      if (m._lua_rawequal(L, -1, LUA_GLOBALSINDEX - 1) !== 0) m._lua_pushnil(L);
      return 1;
    }),
    // lbaselib.c luaB_loadstring, through LuaVM.loadBuffer (which refuses bytecode).
    loadstring: v.cfunction((L) => {
      m._luaL_checklstring(L, 1, 0);
      const code = v.toString(L, 1) as string;
      let name = code;
      if (m._lua_type(L, 2) > 0) {
        m._luaL_checklstring(L, 2, 0);
        name = v.toString(L, 2) as string;
      }
      const z = name.indexOf('\0');
      if (v.loadBuffer(L, code, z < 0 ? name : name.slice(0, z)) === LUA_OK) return 1;
      m._lua_pushnil(L);
      m._lua_insert(L, -2);
      return 2;
    }),
    tinsert: v.cfunction((L) => {
      m._luaL_checktype(L, 1, LuaType.Table);
      m._lua_pushvalue(L, 1);
      m._lua_rawget(L, LUA_GLOBALSINDEX - 1);
      const ro = m._lua_toboolean(L, -1) !== 0;
      m._lua_settop(L, -2);
      let e = m._lua_objlen(L, 1) + 1;
      let pos: number;
      switch (m._lua_gettop(L)) {
        case 2:
          pos = e;
          break;
        case 3: {
          pos = m._luaL_checkinteger(L, 2) | 0;
          if (pos > e) e = pos;
          if (ro && e > pos) return v.error(L, READONLY_TABLE);
          for (let i = e; i > pos; i--) {
            m._lua_rawgeti(L, 1, i - 1);
            m._lua_rawseti(L, 1, i);
          }
          break;
        }
        default:
          return v.errorWhere(L, 1, "wrong number of arguments to 'insert'");
      }
      if (ro) return v.error(L, READONLY_TABLE);
      m._lua_rawseti(L, 1, pos);
      return 0;
    }),
    rawset: v.cfunction((L) => {
      m._luaL_checktype(L, 1, LuaType.Table);
      m._luaL_checkany(L, 2);
      m._luaL_checkany(L, 3);
      if (isReadonly(v, L, 1)) return v.error(L, READONLY_TABLE);
      m._lua_settop(L, 3);
      m._lua_rawset(L, 1);
      return 1;
    }),
    rawget: v.cfunction((L) => {
      m._luaL_checktype(L, 1, LuaType.Table);
      m._luaL_checkany(L, 2);
      m._lua_settop(L, 2);
      unproxy(v, L);
      m._lua_rawget(L, 1);
      return 1;
    }),
    next: v.cfunction((L) => {
      m._luaL_checktype(L, 1, LuaType.Table);
      m._lua_settop(L, 2);
      unproxy(v, L);
      if (m._lua_next(L, 1) !== 0) return 2;
      m._lua_pushnil(L);
      return 1;
    }),
    pairs: v.cfunction((L) => {
      m._luaL_checktype(L, 1, LuaType.Table);
      v.pushCFunction(L, F.next);
      m._lua_pushvalue(L, 1);
      m._lua_pushnil(L);
      return 3;
    }),
    setmetatable: v.cfunction((L) => {
      if (v.type(L, 1) === LuaType.Table && isReadonly(v, L, 1)) return v.error(L, READONLY_TABLE);
      const n = m._lua_gettop(L);
      v.getField(L, LUA_REGISTRYINDEX, 'keydra_setmetatable');
      m._lua_insert(L, 1);
      m._lua_call(L, n, LUA_MULTRET);
      return m._lua_gettop(L);
    }),
  });
}
/** For redis.log outside a run (function library loading): the server of the last state made. */
let logServer: KeydraServer | null = null;
