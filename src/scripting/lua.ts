/**
 * The Lua 5.1 VM binding: the raw Lua C API of a real Lua 5.1 compiled to WebAssembly
 * (npm `wasmoon-lua5.1`), wrapped with binary-safe string transfer.
 *
 * Everything above this file (src/scripting/engine.ts, src/scripting/libs/) talks to Lua through
 * `LuaVM`: stack operations on a `lua_State*` (a number, the state's address in wasm memory).
 * Strings cross the boundary as latin1 JS strings (one char per byte), copied through a scratch
 * buffer in wasm memory, so any byte sequence (including NUL) survives both ways.
 * JS functions become Lua C functions with `cfunction()`; one of them raises a Lua error with
 * `error(L, msg)` (lua_error longjmps through the JS frame, as in C).
 * We use wasmoon-lua5.1 only for its compiled Lua and its emscripten module (not its proxy API):
 * it is the one npm package that ships PUC Lua 5.1 itself, which Redis scripts are written for.
 * Its wasm is loaded as transformed by Binaryen's Asyncify at build time (dist/lua/, made by
 * scripts/build-lua-wasm.mjs), so that a hook can suspend the whole call stack (startUnwind /
 * finishUnwind / startRewind / stopRewindIfRewinding) and the event loop can run meanwhile.
 * Source: Lua 5.1 reference manual §3 (the C API).
 */
import { existsSync } from 'node:fs';
import { packageFile } from '../assets/index.js';
import { latin1String } from '../protocol/parser.js';
import type { LuaApi } from 'wasmoon-lua5.1';

/**
 * The Asyncify build of the Lua wasm (scripts/build-lua-wasm.mjs, run by `npm run build`):
 * dist/lua/ next to dist/src/.
 */
const ASYNCIFY_WASM = packageFile('dist/lua/liblua5.1-asyncify.wasm');
/** Bytes of wasm memory for the saved call stack of a suspended script (Asyncify's data buffer). */
const ASYNCIFY_DATA_SIZE = 1 << 20;
/** asyncify_get_state values. */
export const ASYNC_NORMAL = 0;
export const ASYNC_UNWINDING = 1;
export const ASYNC_REWINDING = 2;

/** Strings up to this many bytes are read through latin1String and the string cache (LuaVM.toString). */
const SHORT_STRING = 32;
/** Slots of LuaVM's short-string cache (a power of two). */
const STRING_CACHE_SLOTS = 256;

/** Binaryen Asyncify's exports (see scripts/build-lua-wasm.mjs). */
interface AsyncifyExports {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
  stackSave(): number;
  stackRestore(sp: number): void;
}

/** Lua 5.1 pseudo-indices and constants (lua.h). */
export const LUA_REGISTRYINDEX = -10000;
export const LUA_ENVIRONINDEX = -10001;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;
/** lua_type results. */
export const enum LuaType {
  None = -1,
  Nil = 0,
  Boolean = 1,
  LightUserdata = 2,
  Number = 3,
  String = 4,
  Table = 5,
  Function = 6,
  Userdata = 7,
  Thread = 8,
}
/** Status codes of lua_pcall / lua_resume. */
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;
export const LUA_ERRSYNTAX = 3;
export const LUA_ERRMEM = 4;
export const LUA_ERRERR = 5;
/** lua_sethook masks. */
export const LUA_MASKCALL = 1;
export const LUA_MASKRET = 2;
export const LUA_MASKLINE = 4;
export const LUA_MASKCOUNT = 8;

/**
 * emscripten's `invoke_vii` import (the setjmp trampoline every lua_pcall/lua_resume/lua_error goes
 * through, luaD_rawrunprotected) without the glue's assertion wrappers: stackSave, the function
 * table lookup and setThrew are called on the raw wasm exports, and table entries are cached.
 * Same logic as the glue's own: a thrown number is a longjmp (setThrew), anything else propagates.
 */
function fastInvokeVii(getExports: () => Record<string, unknown> | null): (idx: number, a: number, b: number) => void {
  let stackSave: () => number = () => 0;
  let stackRestore: (sp: number) => void = () => {};
  let setThrew: (a: number, b: number) => void = () => {};
  let table: WebAssembly.Table | null = null;
  const cache: ((a: number, b: number) => void)[] = [];
  return (idx, a, b) => {
    if (table === null) {
      const ex = getExports() as Record<string, never>;
      stackSave = ex.stackSave;
      stackRestore = ex.stackRestore;
      setThrew = ex.setThrew;
      table = ex.__indirect_function_table as WebAssembly.Table;
    }
    const sp = stackSave();
    try {
      let f = cache[idx];
      if (f === undefined) {
        f = table.get(idx);
        cache[idx] = f;
      }
      f(a, b);
    } catch (e) {
      stackRestore(sp);
      // A thrown number is emscripten's longjmp; anything else is a real exception.
      if (e !== (e as number) + 0) throw e;
      setThrew(1, 0);
    }
  };
}

/**
 * Copies the raw `_lua*` exports onto a fast-properties object whose prototype is the module.
 * Given ~120 properties one by one (keyed stores) an object goes to dictionary mode, and every
 * `m._lua_*` load in the engine then takes the generic LoadIC (~7% of an EVALSHA); an object
 * literal naming all of them keeps V8's fast properties (checked in test/unit/scripting with
 * %HasFastProperties). The names are checked to be identifiers before the literal is built.
 */
function fastExports(module: object, raw: Record<string, unknown>): Record<string, unknown> {
  const names = Object.keys(raw).filter((k) => /^_lua[A-Za-z_0-9]*$/.test(k));
  const build = new Function('s', `return {${names.map((k) => `${k}: s.${k}`).join(',')}};`) as (
    s: Record<string, unknown>,
  ) => Record<string, unknown>;
  return Object.setPrototypeOf(build(raw), module);
}

/** The emscripten module's exports we use (raw C functions taking and returning numbers). */
// biome-ignore lint/suspicious/noExplicitAny: emscripten exports are untyped
type Raw = any;

/** A JS implementation of a lua_CFunction: reads args from L's stack, pushes results, returns their count. */
export type LuaCFunction = (L: number) => number;

/**
 * One loaded Lua 5.1 WebAssembly instance. Create with `await LuaVM.load()` once per server;
 * states (`newState`) share its memory. All methods are thin and synchronous.
 */
export class LuaVM {
  /** The raw emscripten module: `m._lua_*`, `m._luaL_*`, `m.HEAPU8`, `m._malloc`. */
  readonly m: Raw;
  private scratch: number;
  private scratchLen: number;
  private readonly lenPtr: number;
  /** A Buffer over the wasm memory for short string reads (see toString); null until first used. */
  private heapBuf: Buffer | null = null;
  /**
   * Short strings read from (or pushed to) Lua by the address of their bytes: a direct-mapped
   * cache (slot = address / 8 mod STRING_CACHE_SLOTS) that toString checks before making a copy.
   */
  private readonly strAddr = new Int32Array(STRING_CACHE_SLOTS);
  private readonly strVal: string[] = new Array<string>(STRING_CACHE_SLOTS).fill('');
  /** A lua_Debug struct (100 bytes on wasm32) for stackInfo / frameInfo / lua_getlocal. */
  readonly debugAr: number;
  /** Asyncify's exports and its data buffer ({current, end} header then the saved stack). */
  private readonly ax: AsyncifyExports;
  private readonly asyncData: number;
  /**
   * JS C functions (cfunction) currently on the call stack. The wasm stack can be unwound
   * (suspend) only when it is 0: a JS frame cannot be saved and rewound.
   */
  jsDepth = 0;

  private constructor(m: Raw, ax: AsyncifyExports) {
    this.m = m;
    this.ax = ax;
    this.scratchLen = 1 << 16;
    this.scratch = m._malloc(this.scratchLen);
    this.lenPtr = m._malloc(8);
    this.debugAr = m._malloc(128);
    this.asyncData = m._malloc(ASYNCIFY_DATA_SIZE);
  }

  /**
   * From inside a hook: starts unwinding the whole wasm call stack, so that the outermost call
   * into Lua (lua_resume) returns at once with asyncState() === ASYNC_UNWINDING. Only when
   * jsDepth is 0. Resume with startRewind() and the same outermost call.
   */
  startUnwind(): void {
    const h32: Int32Array = this.m.HEAP32;
    h32[this.asyncData >> 2] = this.asyncData + 8;
    h32[(this.asyncData + 4) >> 2] = this.asyncData + ASYNCIFY_DATA_SIZE;
    this.ax.asyncify_start_unwind(this.asyncData);
  }

  /** After the outermost call returned: true (and unwinding stopped) if it was suspended. */
  finishUnwind(): boolean {
    if (this.ax.asyncify_get_state() !== ASYNC_UNWINDING) return false;
    this.ax.asyncify_stop_unwind();
    return true;
  }

  /** Before repeating the outermost call of a suspended run: rewinds to the suspension point. */
  startRewind(): void {
    this.ax.asyncify_start_rewind(this.asyncData);
  }

  /** In the hook, called again while rewinding: true (and rewinding stopped) if so. */
  stopRewindIfRewinding(): boolean {
    if (this.ax.asyncify_get_state() !== ASYNC_REWINDING) return false;
    this.ax.asyncify_stop_rewind();
    return true;
  }

  /** Size of the wasm memory in bytes (it only grows). */
  memoryBytes(): number {
    return (this.m.HEAPU8 as Uint8Array).length;
  }

  /** The C stack pointer (emscripten stackSave), to restore after abandoning a suspended run. */
  stackSave(): number {
    return this.ax.stackSave();
  }

  stackRestore(sp: number): void {
    this.ax.stackRestore(sp);
  }

  /** Instantiates the WebAssembly Lua (async: compiles the module). */
  static async load(): Promise<LuaVM> {
    // The emscripten build wraps every export in an assertion-checking JS closure (rest args,
    // runtime checks): ~5% of an EVALSHA round trip. Capture the instance's raw exports while it
    // is instantiated and call them directly; HEAP views, addFunction etc. still come from the module.
    const wa = WebAssembly as unknown as { instantiate: (...a: unknown[]) => Promise<unknown> };
    const orig = wa.instantiate;
    let exports: Record<string, unknown> | null = null;
    wa.instantiate = async function (this: unknown, ...a: unknown[]) {
      const imports = a[1] as { env?: Record<string, unknown> } | undefined;
      if (exports === null && imports?.env !== undefined && typeof imports.env.invoke_vii === 'function') {
        imports.env.invoke_vii = fastInvokeVii(() => exports);
      }
      const r = (await orig.apply(this, a)) as { instance?: { exports: Record<string, unknown> }; exports?: Record<string, unknown> };
      exports ??= r.instance?.exports ?? r.exports ?? null;
      return r;
    };
    let api: Awaited<ReturnType<typeof LuaApi.initialize>>;
    if (!existsSync(ASYNCIFY_WASM)) throw new Error(`Lua VM: ${ASYNCIFY_WASM} missing (made by npm run build: scripts/build-lua-wasm.mjs)`);
    // The emscripten glue (an ASSERTIONS build) defines getters on globalThis for symbols it
    // lacks; their closures would keep the first instance (and its wasm memory) alive forever,
    // so a VM replaced by renewLuaVM could never be freed. They are removed after loading.
    const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
    try {
      // The emscripten glue is imported here, not at module load: it is ~13 MB of RSS and ~100 ms
      // of an embedded server's start-up, and only scripts need it.
      const { LuaApi: Api } = await import('wasmoon-lua5.1');
      api = await Api.initialize(ASYNCIFY_WASM);
    } finally {
      wa.instantiate = orig;
      for (const k of Object.getOwnPropertyNames(globalThis)) {
        if (globalsBefore.has(k)) continue;
        const d = Object.getOwnPropertyDescriptor(globalThis, k);
        if (d?.configurable && d.get !== undefined) delete (globalThis as Record<string, unknown>)[k];
      }
    }
    const m = api.module;
    const raw: Record<string, unknown> = {};
    for (const k of Object.keys(m)) {
      const f = exports === null ? undefined : (exports as Record<string, unknown>)[k.slice(1)];
      if (k.startsWith('_lua')) raw[k] = typeof f === 'function' ? f : m[k];
    }
    const ex = exports as unknown as AsyncifyExports | null;
    if (ex === null || typeof ex.asyncify_start_unwind !== 'function') throw new Error('Lua VM: the wasm has no Asyncify exports');
    return new LuaVM(fastExports(m, raw), ex);
  }

  /** A new Lua state with no libraries opened (luaL_newstate). @returns the lua_State address. */
  newState(): number {
    return this.m._luaL_newstate();
  }

  /** Copies a latin1 string into the scratch buffer; @returns its address in wasm memory. */
  private toWasm(s: string): number {
    const n = s.length;
    if (n + 1 > this.scratchLen) this.growScratch(n + 1);
    const h: Uint8Array = this.m.HEAPU8;
    const p = this.scratch;
    for (let i = 0; i < n; i++) h[p + i] = s.charCodeAt(i);
    h[p + n] = 0;
    return p;
  }

  /** lua_pushlstring of a latin1 string (binary-safe). */
  pushString(L: number, s: string): void {
    const p = this.toWasm(s);
    this.m._lua_pushlstring(L, p, s.length);
  }

  /** lua_pushlstring of bytes. */
  pushBytes(L: number, b: Uint8Array): void {
    this.pushRange(L, b, 0, b.length);
  }

  /**
   * lua_pushlstring of b[start..end) (a reply read in place from a ReplyWriter buffer): short
   * ranges are copied byte by byte, with no subarray view made for them.
   */
  pushRange(L: number, b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n + 1 > this.scratchLen) this.growScratch(n + 1);
    const h: Uint8Array = this.m.HEAPU8;
    const p = this.scratch;
    if (n <= 32) for (let i = 0; i < n; i++) h[p + i] = b[start + i];
    else h.set(b.subarray(start, end), p);
    this.m._lua_pushlstring(L, p, n);
  }

  /** Replaces the scratch buffer by one of at least `n` bytes. */
  private growScratch(n: number): void {
    this.m._free(this.scratch);
    this.scratchLen = Math.max(n, this.scratchLen * 2);
    this.scratch = this.m._malloc(this.scratchLen);
  }

  /**
   * lua_tolstring: the value at `idx` as a latin1 string (numbers are converted in place, as in C),
   * or null when it is neither a string nor a number.
   */
  toString(L: number, idx: number): string | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.m.HEAPU32[this.lenPtr >> 2];
    const h: Uint8Array = this.m.HEAPU8;
    if (n <= SHORT_STRING) {
      // Short strings (keys, command names): first the cache of strings last seen at this
      // address (a Lua string constant such as a command name, a key pushed by pushKnownString),
      // checked byte by byte since the address may have been freed and reused since.
      const slot = (p >>> 3) & (STRING_CACHE_SLOTS - 1);
      const c = this.strVal[slot];
      if (this.strAddr[slot] === (p | 0) && c.length === n) {
        let i = 0;
        while (i < n && h[p + i] === c.charCodeAt(i)) i++;
        if (i === n) return c;
      }
      // One String.fromCharCode call (the parser's latin1String) beats a Buffer view and a
      // binding call, and a char-by-char `+=` (a cons string per char, ~4% of an EVALSHA). A
      // Buffer over the whole wasm memory keeps that function's element loads monomorphic; it
      // is renewed when the memory grows.
      let hb = this.heapBuf;
      if (hb === null || hb.buffer !== h.buffer) hb = this.heapBuf = Buffer.from(h.buffer, h.byteOffset, h.length);
      const s = latin1String(hb, p, p + n);
      this.strAddr[slot] = p;
      this.strVal[slot] = s;
      return s;
    }
    return Buffer.from(h.buffer, p, n).toString('latin1');
  }

  /**
   * pushString for a string that scripts will likely hand back to JS (KEYS and ARGV items, read
   * again by redis.call): its Lua address is remembered, so toString returns `s` itself instead
   * of building a copy (the bytes are still compared).
   */
  pushKnownString(L: number, s: string): void {
    this.pushString(L, s);
    if (s.length > SHORT_STRING) return;
    const p = this.m._lua_tolstring(L, -1, 0);
    const slot = (p >>> 3) & (STRING_CACHE_SLOTS - 1);
    this.strAddr[slot] = p;
    this.strVal[slot] = s;
  }

  /**
   * lua_tolstring as a Buffer VIEW of wasm memory (no copy): valid only until the next Lua call.
   * An empty buffer when the value is neither a string nor a number.
   */
  toView(L: number, idx: number): Buffer {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return Buffer.alloc(0);
    const n = this.m.HEAPU32[this.lenPtr >> 2];
    return Buffer.from(this.m.HEAPU8.buffer, p, n);
  }

  /** lua_tolstring as bytes (a copy), or null. */
  toBytes(L: number, idx: number): Buffer | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.m.HEAPU32[this.lenPtr >> 2];
    return Buffer.from(this.m.HEAPU8.subarray(p, p + n));
  }

  /** lua_getfield / lua_setfield with a JS field name (no NUL bytes). */
  getField(L: number, idx: number, k: string): void {
    this.m._lua_getfield(L, idx, this.cname(k));
  }

  setField(L: number, idx: number, k: string): void {
    this.m._lua_setfield(L, idx, this.cname(k));
  }

  private readonly cnames = new Map<string, number>();

  /** A NUL-terminated copy of a field name in wasm memory: short names are kept for reuse. */
  cname(k: string): number {
    const p = this.cnames.get(k);
    if (p !== undefined) return p;
    if (k.length > 40 || this.cnames.size >= 512) return this.toWasm(k);
    const q = this.m._malloc(k.length + 1);
    const h: Uint8Array = this.m.HEAPU8;
    for (let i = 0; i < k.length; i++) h[q + i] = k.charCodeAt(i);
    h[q + k.length] = 0;
    this.cnames.set(k, q);
    return q;
  }

  /** Reads global `name` onto the stack. */
  getGlobal(L: number, name: string): void {
    this.getField(L, LUA_GLOBALSINDEX, name);
  }

  /** Pops the top value into global `name`. */
  setGlobal(L: number, name: string): void {
    this.setField(L, LUA_GLOBALSINDEX, name);
  }

  /**
   * Registers a JS function as a lua_CFunction. Each call takes one slot of the wasm function table
   * for the life of the VM: register a fixed set of functions once, not per call.
   * @returns the function pointer to pass to `pushCFunction`.
   */
  cfunction(fn: LuaCFunction): number {
    return this.m.addFunction((L: number) => {
      this.jsDepth++;
      try {
        return fn(L);
      } finally {
        this.jsDepth--;
      }
    }, 'ii');
  }

  /** lua_pushcclosure(L, fnPtr, 0). */
  pushCFunction(L: number, fnPtr: number): void {
    this.m._lua_pushcclosure(L, fnPtr, 0);
  }

  /** Sets `t[name] = fn` for the table at `tableIdx` (an absolute or pseudo index). */
  setFunction(L: number, tableIdx: number, name: string, fnPtr: number): void {
    this.m._lua_pushcclosure(L, fnPtr, 0);
    this.setField(L, tableIdx < 0 && tableIdx > LUA_REGISTRYINDEX ? tableIdx - 1 : tableIdx, name);
  }

  /**
   * Raises a Lua error with message `msg` from inside a JS C function (lua_error longjmps: this
   * never returns normally). Use as `return vm.error(L, msg)`.
   */
  error(L: number, msg: string): number {
    this.pushString(L, msg);
    return this.m._lua_error(L);
  }

  /**
   * luaL_loadbuffer: compiles `code` (latin1) as a chunk named `chunkname` (e.g. `@user_script`).
   * @returns LUA_OK with the function on the stack, or an error status with the message on it.
   */
  loadBuffer(L: number, code: string, chunkname: string): number {
    // Never bytecode: Redis's Lua parses every chunk as text (ldo.c f_parser), so a chunk that
    // starts with ESC fails as text does ("unexpected symbol near 'char(27)'"); a leading space
    // keeps that error and its line number.
    if (code.charCodeAt(0) === 27) code = ` ${code}`;
    const n = code.length;
    // One scratch copy holding both: the code, then the NUL-terminated chunk name.
    const p = this.toWasm(`${code}\0${chunkname}`);
    return this.m._luaL_loadbuffer(L, p, n, p + n + 1);
  }

  /** lua_newtable (a macro in C): pushes an empty table. */
  newTable(L: number): void {
    this.m._lua_createtable(L, 0, 0);
  }

  /** lua_type of the value at `idx`. */
  type(L: number, idx: number): LuaType {
    return this.m._lua_type(L, idx);
  }

  /** lua_pushstring semantics for a latin1 string: pushed up to its first NUL byte. */
  pushCString(L: number, s: string): void {
    const z = s.indexOf('\0');
    this.pushString(L, z < 0 ? s : s.slice(0, z));
  }

  /**
   * Raises a Lua error "<where>msg" where `where` is luaL_where(L, level) (e.g. `user_script:1: `),
   * as luaL_error does. Never returns normally.
   */
  errorWhere(L: number, level: number, msg: string): number {
    this.m._luaL_where(L, level);
    this.pushString(L, msg);
    this.m._lua_concat(L, 2);
    return this.m._lua_error(L);
  }

  /** luaL_argerror(L, narg, msg): raises "bad argument #narg to 'fn' (msg)". Never returns normally. */
  argError(L: number, narg: number, msg: string): number {
    return this.m._luaL_argerror(L, narg, this.toWasm(msg));
  }

  /**
   * Source and current line of the function `level` levels up the call stack of thread `L`
   * (lua_getstack + lua_getinfo "Sl"), or null when there is no such level.
   * `what` is "Lua", "C", "main" or "tail".
   */
  stackInfo(L: number, level: number): { what: string; source: string; line: number } | null {
    const ar = this.debugAr;
    if (this.m._lua_getstack(L, level, ar) === 0) return null;
    const opts = this.toWasm('Sl');
    this.m._lua_getinfo(L, opts, ar);
    const h32: Uint32Array = this.m.HEAPU32;
    const i32: Int32Array = this.m.HEAP32;
    return { what: this.cstr(h32[(ar + 12) >> 2]), source: this.cstr(h32[(ar + 16) >> 2]), line: i32[(ar + 20) >> 2] };
  }

  /**
   * Name (null when Lua knows none), short_src and current line of the function `level` levels up
   * the call stack of `L` (lua_getinfo "Snl"), or null when there is no such level.
   */
  frameInfo(L: number, level: number): { name: string | null; shortSrc: string; line: number } | null {
    const ar = this.debugAr;
    if (this.m._lua_getstack(L, level, ar) === 0) return null;
    this.m._lua_getinfo(L, this.toWasm('Snl'), ar);
    const h32: Uint32Array = this.m.HEAPU32;
    const i32: Int32Array = this.m.HEAP32;
    const namePtr = h32[(ar + 4) >> 2];
    // lua_Debug on wasm32: event, name, namewhat, what, source, currentline, nups, linedefined,
    // lastlinedefined, then short_src[60] at byte 36.
    return { name: namePtr === 0 ? null : this.cstr(namePtr), shortSrc: this.cstr(ar + 36), line: i32[(ar + 20) >> 2] };
  }

  /** A NUL-terminated C string at `p` in wasm memory, as latin1. */
  cstr(p: number): string {
    if (p === 0) return '';
    const h: Uint8Array = this.m.HEAPU8;
    let e = p;
    while (h[e] !== 0) e++;
    return Buffer.from(h.buffer, p, e - p).toString('latin1');
  }
}
