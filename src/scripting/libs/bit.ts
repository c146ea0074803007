/**
 * `bit`: a JS port of LuaBitOp 1.0.2 (Redis deps/lua/src/lua_bit.c) for Lua 5.1 with double numbers.
 * Arguments are normalised to 32 bits the way barg() does (adding 2^52+2^51 and keeping the low
 * word, i.e. round-to-nearest-even modulo 2^32); results are signed 32-bit numbers.
 */
import type { LuaVM } from '../lua.js';
import { type FnTable, libFunctions, registerLib, typeError } from './capi.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** barg(): argument `idx` as an unsigned 32-bit value; "number expected" when it is not a number. */
function barg(vm: LuaVM, L: number, idx: number): number {
  f64[0] = vm.m._lua_tonumber(L, idx) + 6755399441055744.0;
  const b = u32[0];
  if (b === 0 && !vm.m._lua_isnumber(L, idx)) typeError(vm, L, idx, 'number');
  return b;
}

/** BRET: pushes b as a signed 32-bit number. */
function bret(vm: LuaVM, L: number, b: number): number {
  vm.m._lua_pushnumber(L, b | 0);
  return 1;
}

function makeFns(vm: LuaVM): FnTable {
  const binop = (op: (a: number, b: number) => number) => (L: number) => {
    let b = barg(vm, L, 1);
    for (let i = vm.m._lua_gettop(L); i > 1; i--) b = op(b, barg(vm, L, i));
    return bret(vm, L, b);
  };
  const shift = (op: (b: number, n: number) => number) => (L: number) => {
    const b = barg(vm, L, 1);
    const n = barg(vm, L, 2) & 31;
    return bret(vm, L, op(b, n));
  };
  return libFunctions(vm, 'bit', () => [
    ['tobit', (L) => bret(vm, L, barg(vm, L, 1))],
    ['bnot', (L) => bret(vm, L, ~barg(vm, L, 1))],
    ['band', binop((a, b) => a & b)],
    ['bor', binop((a, b) => a | b)],
    ['bxor', binop((a, b) => a ^ b)],
    ['lshift', shift((b, n) => b << n)],
    ['rshift', shift((b, n) => b >>> n)],
    ['arshift', shift((b, n) => (b | 0) >> n)],
    ['rol', shift((b, n) => (b << n) | (b >>> (32 - n)))],
    ['ror', shift((b, n) => (b << (32 - n)) | (b >>> n))],
    [
      'bswap',
      (L) => {
        const b = barg(vm, L, 1);
        return bret(vm, L, (b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
      },
    ],
    [
      'tohex',
      (L) => {
        let b = barg(vm, L, 1);
        let n = vm.type(L, 2) === -1 ? 8 : barg(vm, L, 2) | 0;
        let digits = '0123456789abcdef';
        if (n < 0) {
          n = -n;
          digits = '0123456789ABCDEF';
        }
        if (n > 8) n = 8;
        let s = '';
        for (let i = n; --i >= 0; ) {
          s = digits[b & 15] + s;
          b >>>= 4;
        }
        vm.pushString(L, s);
        return 1;
      },
    ],
  ]);
}

/** luaopen_bit: registers the global `bit` table (and package.loaded.bit). Stack unchanged. */
export function openBit(vm: LuaVM, L: number): void {
  registerLib(vm, L, 'bit', makeFns(vm));
  vm.m._lua_settop(L, -2);
}
