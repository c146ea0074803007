/**
 * Redis 7.0 Functions: libraries of Lua functions loaded with FUNCTION LOAD and called with FCALL
 * (the command layer is src/commands/scripting/functions.ts). One Lua state per server, created on
 * first use with src/scripting/engine.ts (`createScriptState(server, 'function')`).
 *
 * Model (Redis 7.0 functions.c): a LibCtx holds libraries by name (case-sensitive) and all their
 * functions by name (case-insensitive); FUNCTION RESTORE builds a temporary LibCtx in the same Lua
 * state and joins it into the current one. A library is created from its code: the `#!lua name=<lib>`
 * metadata line (functionExtractLibMetaData), then the body runs once (function_lua.c
 * luaEngineCreate) with a restricted global view — only `redis` with register_function, log, the
 * LOG_* levels and REDIS_VERSION(_NUM); any other global read raises "Script attempted to access
 * nonexistent global variable", any assignment "Attempt to modify a readonly table" — and a 500 ms
 * timeout. Every library's code runs in one environment table E whose metatable's __index is
 * switched between that load view and the engine's protected globals (Redis switches the __index of
 * its globals' metatable the same way), so functions registered at load see the full API when called.
 *
 * Persistence: the RDB hooks registered here (rdb.ts registerFunctionsHook) save each library as
 * RDB_OPCODE_FUNCTION2 + its code before the databases and load them back (replacing libraries of
 * the same name); FUNCTION DUMP/RESTORE use the same encoding plus RDB version and CRC64.
 */
import { splitArgs } from '../protocol/parser.js';
import { registerFunctionsHook } from '../persistence/rdb/rdb.js';
import type { Keyspace } from '../store/db.js';
import type { KeydraServer } from '../server/server.js';
import {
  type ScriptState,
  closeScriptState,
  createScriptState,
  dropScript,
  luaMemory,
  loadLuaVM,
  luaReady,
  luaVM,
  pushReadonlyProxy,
  renewLuaVM,
  vmRenewHooks,
} from './engine.js';
import { LUA_MASKCOUNT, LUA_OK, LUA_REGISTRYINDEX, LuaType, type LuaVM } from './lua.js';

/** Script flags (Redis 7.0 SCRIPT_FLAG_*), in scripts_flags_def order (FUNCTION LIST prints this order). */
export const FUNCTION_FLAGS: ReadonlyArray<[string, number]> = [
  ['no-writes', 1 << 0],
  ['allow-oom', 1 << 1],
  ['allow-stale', 1 << 2],
  ['no-cluster', 1 << 3],
  ['allow-cross-slot-keys', 1 << 5],
];
export const FLAG_NO_WRITES = 1 << 0;
export const FLAG_ALLOW_OOM = 1 << 1;
export const FLAG_ALLOW_STALE = 1 << 2;
export const FLAG_NO_CLUSTER = 1 << 3;
export const FLAG_ALLOW_CROSS_SLOT = 1 << 5;

/** Library load timeout (functions.c LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
const NAME_ERROR = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** One registered function. */
export interface FunctionInfo {
  name: string;
  desc: string | null;
  flags: number;
  /** Registry ref of the Lua function in the server's function state. */
  ref: number;
  lib: LibraryInfo;
}

/** One library: its name, full code (metadata line included) and functions in registration order. */
export interface LibraryInfo {
  name: string;
  code: string;
  functions: Map<string, FunctionInfo>;
}

/** A set of libraries and the function index over them (functionsLibCtx). */
export class LibCtx {
  readonly libraries = new Map<string, LibraryInfo>();
  /** Lowercased function name → function (function names are case-insensitive). */
  readonly functions = new Map<string, FunctionInfo>();

  /** Number of functions over all libraries (engine stats n_functions: sums the libraries). */
  get functionCount(): number {
    let n = 0;
    for (const li of this.libraries.values()) n += li.functions.size;
    return n;
  }

  link(li: LibraryInfo): void {
    for (const fi of li.functions.values()) {
      const k = fi.name.toLowerCase();
      if (!this.functions.has(k)) this.functions.set(k, fi);
    }
    this.libraries.set(li.name, li);
  }

  unlink(li: LibraryInfo): void {
    for (const fi of li.functions.values()) {
      if (this.functions.get(fi.name.toLowerCase()) === fi) this.functions.delete(fi.name.toLowerCase());
    }
    this.libraries.delete(li.name);
  }
}

/** The per-server functions engine: the Lua state (lazily created) and the current libraries. */
export class FunctionsEngine {
  private st: ScriptState | null = null;
  /** Registry ref of E, the environment of every library chunk. */
  private envRef = 0;
  /** Registry ref of the load-time global view. */
  private loadApiRef = 0;
  /** Registry ref of the run-time globals (the engine's protected view). */
  private runApiRef = 0;
  lib = new LibCtx();

  constructor(readonly server: KeydraServer) {}

  /** The Lua state, created (and prepared for libraries) on first use. */
  state(): ScriptState {
    this.dropStaleState();
    if (this.st === null) this.st = this.createState();
    return this.st;
  }

  /**
   * With no library, a state made in a VM that renewLuaVM has since replaced is dropped (made
   * again on next use), so that VM and its wasm memory can be freed.
   */
  dropStaleState(): void {
    if (this.st !== null && this.lib.libraries.size === 0 && this.st.vm !== luaVM() && loading === null) {
      closeScriptState(this.st);
      this.st = null;
    }
  }

  /**
   * Lua memory of the state in bytes (the state is created if needed: Redis always has one).
   * Before the Lua VM is loaded (it loads on first use), a fresh state's size as Redis 7.0 reports
   * it (used_memory_vm_functions:33792), so INFO does not load the VM.
   */
  memory(): number {
    if (this.st === null && !luaReady()) return FRESH_FUNCTIONS_VM_BYTES;
    return luaMemory(this.state());
  }

  private createState(): ScriptState {
    const st = createScriptState(this.server, 'function');
    const v = st.vm;
    const m = v.m;
    const L = st.L;
    const fns = functionPointers(v);
    // The run-time view: the engine's protected globals proxy.
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, st.envRef);
    const P = m._lua_gettop(L);
    m._lua_getmetatable(L, P);
    v.getField(L, -1, '__newindex');
    const roNewIndex = m._lua_gettop(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, st.globalsRef);
    m._lua_getmetatable(L, -1);
    v.getField(L, -1, '__index');
    const globalIndex = m._lua_gettop(L);
    // Error metatable: missing names raise, assignments raise.
    const setErrorMeta = (idx: number): void => {
      v.newTable(L);
      m._lua_pushvalue(L, globalIndex);
      v.setField(L, -2, '__index');
      m._lua_pushvalue(L, roNewIndex);
      v.setField(L, -2, '__newindex');
      m._lua_setmetatable(L, idx);
    };
    // The load-time redis table: register_function, log, LOG_*, REDIS_VERSION(_NUM).
    v.newTable(L);
    const RL = m._lua_gettop(L);
    v.pushCFunction(L, fns.register);
    v.setField(L, RL, 'register_function');
    v.getField(L, P, 'redis');
    const R = m._lua_gettop(L);
    for (const k of ['log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION', 'REDIS_VERSION_NUM']) {
      v.getField(L, R, k);
      v.setField(L, RL, k);
    }
    m._lua_settop(L, RL);
    setErrorMeta(RL);
    // Read-only (as Redis's load-time redis table): a library cannot change what the next sees.
    const RLP = pushReadonlyProxy(v, L, RL);
    v.newTable(L);
    const LA = m._lua_gettop(L);
    m._lua_pushvalue(L, RLP);
    v.setField(L, LA, 'redis');
    setErrorMeta(LA);
    m._lua_pushvalue(L, LA);
    this.loadApiRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_pushvalue(L, P);
    this.runApiRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    // E: empty; reads go to the current view, writes to P (which refuses them).
    v.newTable(L);
    const E = m._lua_gettop(L);
    v.newTable(L);
    m._lua_pushvalue(L, P);
    v.setField(L, -2, '__index');
    m._lua_pushvalue(L, P);
    v.setField(L, -2, '__newindex');
    m._lua_setmetatable(L, E);
    m._lua_pushvalue(L, E);
    this.envRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_settop(L, 0);
    return st;
  }

  /** Points E's __index at the load view (`loading`) or the run-time globals. */
  private setView(loading: boolean): void {
    const st = this.state();
    const { vm: v, L } = st;
    const m = v.m;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.envRef);
    m._lua_getmetatable(L, -1);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, loading ? this.loadApiRef : this.runApiRef);
    v.setField(L, -2, '__index');
    m._lua_settop(L, -3);
  }

  /**
   * Creates the library in `code` into `ctx` (functionsCreateWithLibraryCtx): parses the metadata,
   * compiles and runs the body to register its functions, checks name collisions, links it.
   * `timeoutMs` 0 means no load timeout. @returns the library name, or the error text (no "ERR ").
   */
  createLibrary(code: string, replace: boolean, ctx: LibCtx, timeoutMs = LOAD_TIMEOUT_MS): { name: string } | { error: string } {
    const md = extractMetadata(code);
    if ('error' in md) return md;
    if (!verifyName(md.name)) return { error: NAME_ERROR };
    if (md.engine.toLowerCase() !== 'lua') return { error: `Engine '${md.engine}' not found` };
    let old = ctx.libraries.get(md.name);
    if (old !== undefined && !replace) return { error: `Library '${md.name}' already exists` };
    if (old !== undefined) ctx.unlink(old);
    const li: LibraryInfo = { name: md.name, code, functions: new Map() };
    const fail = (error: string): { error: string } => {
      this.freeLibrary(li);
      if (old !== undefined) ctx.link(old);
      old = undefined;
      return { error };
    };
    const err = this.runLibraryCode(li, md.body, timeoutMs);
    if (err !== null) return fail(err);
    if (li.functions.size === 0) return fail('No functions registered');
    for (const fi of li.functions.values()) {
      if (ctx.functions.has(fi.name.toLowerCase())) return fail(`Function ${fi.name} already exists`);
    }
    ctx.link(li);
    if (old !== undefined) this.freeLibrary(old);
    return { name: md.name };
  }

  /** luaEngineCreate: compiles and runs the library body. @returns the error text or null. */
  private runLibraryCode(li: LibraryInfo, body: string, timeoutMs: number): string | null {
    const st = this.state();
    const { vm: v, L } = st;
    const m = v.m;
    const fns = functionPointers(v);
    this.setView(true);
    try {
      if (v.loadBuffer(L, body, '@user_function') !== LUA_OK) {
        const msg = v.toString(L, -1) ?? '';
        return `Error compiling function: ${msg}`;
      }
      m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.envRef);
      m._lua_setfenv(L, -2);
      loading = { engine: this, li, start: performance.now(), timeoutMs };
      m._lua_sethook(L, fns.hook, LUA_MASKCOUNT, 100000);
      const status = m._lua_pcall(L, 0, 0, 0);
      if (status !== LUA_OK) return `Error registering functions: ${errorText(v, L)}`;
      return null;
    } finally {
      loading = null;
      m._lua_sethook(L, 0, 0, 0);
      m._lua_settop(L, 0);
      this.setView(false);
    }
  }

  /** Releases the Lua functions of a library that is not (or no longer) linked. */
  freeLibrary(li: LibraryInfo): void {
    if (this.st === null) return;
    for (const fi of li.functions.values()) dropScript(this.st, fi.ref);
    li.functions.clear();
  }

  /**
   * libraryJoin: moves every library of `src` into the current set. On a library name collision
   * fails unless `replace` (then the old library goes); on a function name collision fails.
   * @returns null, or the error text; on error nothing changes.
   */
  join(src: LibCtx, replace: boolean): string | null {
    const dst = this.lib;
    const replaced: LibraryInfo[] = [];
    const revert = (err: string): string => {
      for (const li of replaced) dst.link(li);
      return err;
    };
    for (const li of src.libraries.values()) {
      const old = dst.libraries.get(li.name);
      if (old === undefined) continue;
      if (!replace) return revert(`Library ${li.name} already exists`);
      dst.unlink(old);
      replaced.push(old);
    }
    for (const fi of src.functions.values()) {
      if (dst.functions.has(fi.name.toLowerCase())) return revert(`Function ${fi.name} already exists`);
    }
    for (const li of src.libraries.values()) dst.link(li);
    src.libraries.clear();
    src.functions.clear();
    for (const li of replaced) this.freeLibrary(li);
    return null;
  }

  /** Frees every library of a context that will not be used (e.g. a failed RESTORE). */
  freeCtx(ctx: LibCtx): void {
    for (const li of ctx.libraries.values()) this.freeLibrary(li);
    ctx.libraries.clear();
    ctx.functions.clear();
  }

  /** FUNCTION FLUSH: drops every library and the Lua state itself (a new one comes on next use). */
  flush(): void {
    this.lib = new LibCtx();
    if (this.st !== null) {
      closeScriptState(this.st);
      this.st = null;
      renewLuaVM();
    }
  }

  /** Swaps in `ctx` as the current libraries (RESTORE FLUSH), freeing the old ones. */
  swap(ctx: LibCtx): void {
    for (const li of this.lib.libraries.values()) this.freeLibrary(li);
    this.lib = ctx;
  }
}

/** used_memory_vm_functions of a fresh functions VM in Redis 7.0 (INFO memory before any Lua use). */
const FRESH_FUNCTIONS_VM_BYTES = 33792;

/** The load in progress (register_function's context), or null outside FUNCTION LOAD. */
let loading: { engine: FunctionsEngine; li: LibraryInfo; start: number; timeoutMs: number } | null = null;

const engines = new WeakMap<KeydraServer, FunctionsEngine>();
/** Every engine (weakly), to drop idle states of a replaced VM (vmRenewHooks). */
const allEngines = new Set<WeakRef<FunctionsEngine>>();
/** Drops idle states of a replaced VM (registered with the first engine: not at import time, engine.ts and this module import each other). */
function dropStaleStates(): void {
  for (const r of allEngines) {
    const e = r.deref();
    if (e === undefined) allEngines.delete(r);
    else e.dropStaleState();
  }
}
/** Keyspace → engine, for the RDB hooks (which only see the keyspace). */
const byKeyspace = new WeakMap<Keyspace, FunctionsEngine>();
/**
 * Library codes read from an RDB before the server's engine existed (at startup): they are created
 * when the engine is (first FUNCTION/FCALL/INFO use or RDB save), which no client can tell apart.
 */
const pending = new WeakMap<Keyspace, string[]>();

/** The server's functions engine (created on first use; the Lua state comes later still). */
export function functionsEngine(server: KeydraServer): FunctionsEngine {
  let e = engines.get(server);
  if (e === undefined) {
    e = new FunctionsEngine(server);
    engines.set(server, e);
    if (allEngines.size === 0 && !vmRenewHooks.includes(dropStaleStates)) vmRenewHooks.push(dropStaleStates);
    allEngines.add(new WeakRef(e));
    byKeyspace.set(server.keyspace, e);
    const codes = pending.get(server.keyspace);
    if (codes !== undefined) {
      pending.delete(server.keyspace);
      const engine = e;
      const make = () => {
        for (const code of codes) {
          const r = engine.createLibrary(code, true, engine.lib, 0);
          if ('error' in r) server.log.warning(`Failed loading library, ${r.error}`);
        }
      };
      // Without the Lua VM yet (it loads on first use), once it is there.
      if (luaReady()) make();
      else loadLuaVM().then(make, () => {});
    }
  }
  return e;
}

/** Library codes of the server owning `ks`, for RDB saving (rdbSaveFunctions); [] when none. */
export function functionsForRdb(ks: Keyspace): string[] {
  const e = byKeyspace.get(ks);
  if (e === undefined) return pending.get(ks) ?? [];
  return [...e.lib.libraries.values()].map((li) => li.code);
}

/**
 * Loads one library from an RDB file (rdbFunctionLoad with RDBFLAGS_ALLOW_DUP semantics: a library
 * of the same name is replaced). @returns null or the error text.
 */
export function loadFunctionFromRdb(ks: Keyspace, code: string, replace = true): string | null {
  const e = byKeyspace.get(ks);
  if (e === undefined) {
    const list = pending.get(ks) ?? [];
    list.push(code);
    pending.set(ks, list);
    return null;
  }
  if (!luaReady()) {
    // The Lua VM loads on first use and is not there yet (a replica's first sync can be faster
    // than its load): the library is made once it is, before any command waiting for the VM.
    loadLuaVM().then(
      () => {
        const r = e.createLibrary(code, replace, e.lib, 0);
        if ('error' in r) e.server.log.warning(`Failed loading library, ${r.error}`);
      },
      () => {},
    );
    return null;
  }
  const r = e.createLibrary(code, replace, e.lib, 0);
  return 'error' in r ? r.error : null;
}

registerFunctionsHook({ save: functionsForRdb, load: loadFunctionFromRdb });

/** Library name rule: [a-zA-Z0-9_]+ (functionsVerifyName). */
export function verifyName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/**
 * functionExtractLibMetaData: the `#!<engine> name=<lib>` first line. @returns the engine, the
 * name and the body (from the first newline on, so line numbers stay right), or the error text.
 */
export function extractMetadata(code: string): { engine: string; name: string; body: string } | { error: string } {
  if (!code.startsWith('#!')) return { error: 'Missing library metadata' };
  const nl = code.indexOf('\n');
  if (nl < 0) return { error: 'Invalid library metadata' };
  const parts = splitArgs(code.slice(0, nl));
  if (parts === null || parts.length === 0) return { error: 'Invalid library metadata' };
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return { error: 'Invalid metadata value, name argument was given multiple times' };
      name = p.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${p}` };
  }
  if (name === null) return { error: 'Library name was not given' };
  return { engine, name, body: code.slice(nl) };
}

/**
 * luaExtractErrorInformation's message for the error value on top of L: a table's `err` field,
 * else "ERR " + the string.
 */
function errorText(v: LuaVM, L: number): string {
  const m = v.m;
  if (v.type(L, -1) === LuaType.Table) {
    v.getField(L, -1, 'err');
    const s = m._lua_isstring(L, -1) ? (v.toString(L, -1) as string) : '';
    m._lua_settop(L, -2);
    return s;
  }
  return `ERR ${v.toString(L, -1) ?? ''}`;
}

/** Raises a Redis error table {err = "ERR <msg>"} (luaPushError + luaError). */
function raiseError(v: LuaVM, L: number, msg: string): number {
  v.m._lua_createtable(L, 0, 1);
  v.pushString(L, `ERR ${msg}`);
  v.setField(L, -2, 'err');
  return v.m._lua_error(L);
}

/** luaGetStringSds: the string (or number) at idx, else null. */
function getString(v: LuaVM, L: number, idx: number): string | null {
  if (!v.m._lua_isstring(L, idx)) return null;
  return v.toString(L, idx);
}

/** Reads the flags table on top (luaRegisterFunctionReadFlags). @returns the flags or null. */
function readFlags(v: LuaVM, L: number): number | null {
  const m = v.m;
  let flags = 0;
  for (let j = 1; ; j++) {
    m._lua_pushnumber(L, j);
    m._lua_gettable(L, -2);
    const t = m._lua_type(L, -1);
    if (t === LuaType.Nil) {
      m._lua_settop(L, -2);
      return flags;
    }
    if (!m._lua_isstring(L, -1)) {
      m._lua_settop(L, -2);
      return null;
    }
    const s = (v.toString(L, -1) as string).toLowerCase();
    m._lua_settop(L, -2);
    const f = FUNCTION_FLAGS.find(([name]) => name === s);
    if (f === undefined) return null;
    flags |= f[1];
  }
}

/** redis.register_function (luaRegisterFunction): positional (name, fn) or one table of named args. */
function registerFunction(v: LuaVM, L: number): number {
  const m = v.m;
  const ctx = loading;
  if (ctx === null) return raiseError(v, L, 'redis.register_function can only be called on FUNCTION LOAD command');
  const argc = m._lua_gettop(L);
  if (argc < 1 || argc > 2) return raiseError(v, L, 'wrong number of arguments to redis.register_function');
  let name: string | null = null;
  let desc: string | null = null;
  let ref = -1;
  let flags = 0;
  const fail = (msg: string): number => {
    if (ref >= 0) m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
    return raiseError(v, L, msg);
  };
  if (argc === 1) {
    if (m._lua_type(L, 1) !== LuaType.Table)
      return fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
    m._lua_pushnil(L);
    while (m._lua_next(L, -2)) {
      if (!m._lua_isstring(L, -2)) return fail('named argument key given to redis.register_function is not a string');
      const key = (v.toString(L, -2) as string).toLowerCase();
      if (key === 'function_name') {
        name = getString(v, L, -1);
        if (name === null) return fail('function_name argument given to redis.register_function must be a string');
      } else if (key === 'description') {
        desc = getString(v, L, -1);
        if (desc === null) return fail('description argument given to redis.register_function must be a string');
      } else if (key === 'callback') {
        if (m._lua_type(L, -1) !== LuaType.Function) return fail('callback argument given to redis.register_function must be a function');
        if (ref >= 0) m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
        ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
        continue;
      } else if (key === 'flags') {
        if (m._lua_type(L, -1) !== LuaType.Table)
          return fail('flags argument to redis.register_function must be a table representing function flags');
        const f = readFlags(v, L);
        if (f === null) return fail('unknown flag given');
        flags = f;
      } else {
        return fail('unknown argument given to redis.register_function');
      }
      m._lua_settop(L, -2);
    }
    if (name === null) return fail('redis.register_function must get a function name argument');
    if (ref < 0) return fail('redis.register_function must get a callback argument');
  } else {
    name = getString(v, L, 1);
    if (name === null) return fail('first argument to redis.register_function must be a string');
    if (m._lua_type(L, 2) !== LuaType.Function) return fail('second argument to redis.register_function must be a function');
    ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
  }
  // functionLibCreateFunction: the whole name (an sds: a NUL byte in it fails the name check).
  if (!verifyName(name)) return fail(NAME_ERROR);
  if (ctx.li.functions.has(name)) return fail('Function already exists in the library');
  ctx.li.functions.set(name, { name, desc, flags, ref, lib: ctx.li });
  return 0;
}

/** The load-timeout count hook (luaEngineLoadHook). */
function loadHook(v: LuaVM, L: number): void {
  const ctx = loading;
  if (ctx === null || ctx.timeoutMs <= 0) return;
  if (performance.now() - ctx.start > ctx.timeoutMs) {
    v.m._lua_sethook(L, functionPointers(v).hook, 4 /* LUA_MASKLINE */, 0);
    raiseError(v, L, 'FUNCTION LOAD timeout');
  }
}

const pointers = new WeakMap<LuaVM, { register: number; hook: number }>();

/** The C function pointers of this module, registered once per VM. */
function functionPointers(v: LuaVM): { register: number; hook: number } {
  let p = pointers.get(v);
  if (p === undefined) {
    p = {
      register: v.cfunction((L) => registerFunction(v, L)),
      hook: v.m.addFunction((L: number) => loadHook(v, L), 'vii'),
    };
    pointers.set(v, p);
  }
  return p;
}
