/**
 * The libraries Redis 7.0 preloads into every script state: `cjson`, `struct`, `cmsgpack`, `bit`
 * (Redis 7.0 script_lua.c luaLoadLibraries, in that order). Each is a JS port of the C library
 * Redis ships in deps/lua/src, registered as lua_CFunctions through src/scripting/lua.ts:
 * cjson.ts (Lua CJSON 2.1.0), struct.ts (struct 0.2 / struct.c 1.4), cmsgpack.ts
 * (lua-cmsgpack 0.4.0), bit.ts (LuaBitOp 1.0.2).
 */
import type { LuaVM } from '../lua.js';
import { openBit } from './bit.js';
import { openCjson } from './cjson.js';
import { openCmsgpack } from './cmsgpack.js';
import { installStringFormat } from './strformat.js';
import { openStruct } from './struct.js';

/**
 * Sets the globals `cjson`, `struct`, `cmsgpack` and `bit` in state `L` (the stack is left as
 * found). Call once per state, after luaL_openlibs and before the globals are protected.
 * The JS functions are registered with `vm` once (the first call) and shared by all its states.
 */
export function openRedisLibs(vm: LuaVM, L: number): void {
  const top = vm.m._lua_gettop(L);
  openCjson(vm, L);
  openStruct(vm, L);
  openCmsgpack(vm, L);
  openBit(vm, L);
  // Not a Redis library: string.format's integer items as a 64-bit build prints them (strformat.ts).
  installStringFormat(vm, L);
  vm.m._lua_settop(L, top);
}
