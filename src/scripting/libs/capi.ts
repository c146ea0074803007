/**
 * Small lauxlib-style helpers shared by the JS ports of Redis's Lua C libraries (cjson, cmsgpack,
 * bit, struct). They reproduce the argument checks and error texts of Lua 5.1's lauxlib.c on a
 * 64-bit build (lua_Integer = 64 bits), which the WebAssembly Lua (32-bit lua_Integer) would not
 * give if called directly: integer arguments are read as numbers and truncated here.
 */
import { LUA_GLOBALSINDEX, LUA_REGISTRYINDEX, type LuaCFunction, LuaType, type LuaVM } from '../lua.js';

/** Lua 5.1's type names (ltm.c luaT_typenames), indexed by LuaType. */
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

/** luaL_typename: the type name of the value at `idx`, "no value" for none. */
export function typeName(vm: LuaVM, L: number, idx: number): string {
  const t = vm.type(L, idx);
  return t === LuaType.None ? 'no value' : TYPE_NAMES[t];
}

/** luaL_typerror: "bad argument #n to 'f' (<tname> expected, got <type>)". Never returns. */
export function typeError(vm: LuaVM, L: number, narg: number, tname: string): number {
  return vm.argError(L, narg, `${tname} expected, got ${typeName(vm, L, narg)}`);
}

/** luaL_checknumber (raises the C library's error text). @returns the double. */
export function checkNumber(vm: LuaVM, L: number, narg: number): number {
  return vm.m._luaL_checknumber(L, narg);
}

/**
 * luaL_checkinteger as on a 64-bit build: the number truncated toward zero (lua_number2integer).
 * Values beyond ±2^63 are clamped the way x86-64 conversion does (to -2^63).
 */
export function checkInteger(vm: LuaVM, L: number, narg: number): number {
  const n = vm.m._lua_tonumber(L, narg);
  if (n === 0 && !vm.m._lua_isnumber(L, narg)) return typeError(vm, L, narg, 'number');
  return toInt64(n);
}

/** luaL_optinteger: `def` when the argument is none or nil, else checkInteger. */
export function optInteger(vm: LuaVM, L: number, narg: number, def: number): number {
  return vm.type(L, narg) <= LuaType.Nil ? def : checkInteger(vm, L, narg);
}

/** 2^63 as a double. */
export const TWO63 = 2 ** 63;

/** C's (int64_t)d on x86-64: truncation, with NaN and out-of-range values giving -2^63. */
export function toInt64(d: number): number {
  if (Number.isNaN(d) || d >= TWO63 || d < -TWO63) return -TWO63;
  return Math.trunc(d);
}

/** C's (int)d on x86-64 (cvttsd2si 32-bit): truncation, out-of-range values give -2^31. */
export function toInt32(d: number): number {
  if (Number.isNaN(d) || d >= 2147483648 || d <= -2147483649) return -2147483648;
  return Math.trunc(d);
}

/** luaL_checklstring: the string argument (numbers converted in place); raises the C error text. */
export function checkString(vm: LuaVM, L: number, narg: number): string {
  vm.m._luaL_checklstring(L, narg, 0);
  return vm.toString(L, narg) as string;
}

/** luaL_checkoption without default: the index of the argument in `options`, else "invalid option". */
export function checkOption(vm: LuaVM, L: number, narg: number, options: readonly string[]): number {
  const name = checkString(vm, L, narg);
  const i = options.indexOf(name);
  if (i < 0) return vm.argError(L, narg, `invalid option '${name}'`);
  return i;
}

/** lua_upvalueindex(i). */
export function upvalueIndex(i: number): number {
  return LUA_GLOBALSINDEX - i;
}

/**
 * The functions of one library, registered once per LuaVM (each takes a slot of the wasm function
 * table for the life of the VM): name → function pointer, in registration order.
 */
export type FnTable = Array<[string, number]>;

const registries = new WeakMap<LuaVM, Map<string, FnTable>>();

/** Registers `fns` with `vm` the first time a library asks, then returns the cached pointers. */
export function libFunctions(vm: LuaVM, lib: string, make: () => Array<[string, LuaCFunction]>): FnTable {
  let byLib = registries.get(vm);
  if (!byLib) {
    byLib = new Map();
    registries.set(vm, byLib);
  }
  let t = byLib.get(lib);
  if (!t) {
    t = make().map(([name, fn]) => [name, vm.cfunction(fn)] as [string, number]);
    byLib.set(lib, t);
  }
  return t;
}

/**
 * luaL_register(L, name, fns) for Lua 5.1: creates the global table `name` presized for the
 * functions (as luaL_findtable does, so pairs() order matches C), records it in
 * package.loaded, and sets the functions in order. Leaves the table on the stack.
 */
export function registerLib(vm: LuaVM, L: number, name: string, fns: FnTable): void {
  vm.m._lua_createtable(L, 0, fns.length);
  vm.m._lua_pushvalue(L, -1);
  vm.setGlobal(L, name);
  vm.getField(L, LUA_REGISTRYINDEX, '_LOADED');
  if (vm.type(L, -1) === LuaType.Table) {
    vm.m._lua_pushvalue(L, -2);
    vm.setField(L, -2, name);
  }
  vm.m._lua_settop(L, -2);
  for (const [fname, ptr] of fns) {
    vm.m._lua_pushcclosure(L, ptr, 0);
    vm.setField(L, -2, fname);
  }
}

/** luaL_error: raises `msg` prefixed with the calling Lua code's position ("user_script:1: "). */
export function luaError(vm: LuaVM, L: number, msg: string): never {
  vm.errorWhere(L, 1, msg);
  throw new Error('unreachable: lua_error returned');
}
