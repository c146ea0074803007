/**
 * `struct`: a JS port of Roberto Ierusalimschy's struct library (struct.c 1.4, 2012) as Redis 7.0
 * ships it (deps/lua/src/lua_struct.c, with the getnum overflow check), for a 64-bit little-endian
 * build: sizes b/B 1, h/H 2, i/I 4 (iN/IN: N bytes, N <= 32), l/L 8, T 8, f 4, d 8; maximum
 * alignment ("!") 8. Integers go through a 64-bit `long` as in C (bytes beyond 8 are zero or
 * sign-less), floats through IEEE single/double.
 */
import type { LuaVM } from '../lua.js';
import { type FnTable, checkNumber, checkString, libFunctions, luaError, optInteger, registerLib } from './capi.js';

const BIG = 0;
const LITTLE = 1;
const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;

interface Header {
  endian: number;
  align: number;
}

/** A format string cursor (struct.c passes `const char **fmt`). */
interface Fmt {
  s: string;
  i: number;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);
const isp2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

function getnum(vm: LuaVM, L: number, f: Fmt, df: number): number {
  if (!isDigit(f.s[f.i])) return df;
  let a = 0;
  do {
    const d = f.s.charCodeAt(f.i) - 48;
    if (a > INT_MAX / 10 || a * 10 > INT_MAX - d) luaError(vm, L, 'integral size overflow');
    a = a * 10 + d;
    f.i++;
  } while (isDigit(f.s[f.i]));
  return a;
}

function optsize(vm: LuaVM, L: number, opt: string, f: Fmt): number {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'x':
      return 1;
    case 'c':
      return getnum(vm, L, f, 1);
    case 'i':
    case 'I': {
      const sz = getnum(vm, L, f, 4);
      if (sz > MAXINTSIZE) luaError(vm, L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  let sz = size;
  if (sz > h.align) sz = h.align;
  // C computes in size_t; sizes here are small so 32-bit masks are exact.
  return (sz - (len & (sz - 1))) & (sz - 1);
}

function controloptions(vm: LuaVM, L: number, opt: string, f: Fmt, h: Header): void {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h.endian = BIG;
      return;
    case '<':
      h.endian = LITTLE;
      return;
    case '!': {
      const a = getnum(vm, L, f, MAXALIGN);
      if (!isp2(a)) luaError(vm, L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      vm.argError(L, 1, `invalid format option '${opt}'`);
  }
}

const MASK64 = (1n << 64n) - 1n;

/** C's (Uinttype)(Inttype)n / (Uinttype)n conversion of putinteger, as an unsigned 64-bit BigInt. */
function toUlong(n: number): bigint {
  if (Number.isNaN(n)) return 1n << 63n;
  if (n < 0) {
    if (n < -(2 ** 63)) return 1n << 63n;
    return BigInt(Math.trunc(n)) & MASK64;
  }
  if (n >= 2 ** 64) return 0n;
  return BigInt(Math.trunc(n));
}

function putinteger(n: number, endian: number, size: number): string {
  let value = toUlong(n);
  const bytes = new Array<number>(size);
  if (endian === LITTLE) {
    for (let i = 0; i < size; i++) {
      bytes[i] = Number(value & 0xffn);
      value >>= 8n;
    }
  } else {
    for (let i = size - 1; i >= 0; i--) {
      bytes[i] = Number(value & 0xffn);
      value >>= 8n;
    }
  }
  return String.fromCharCode(...bytes);
}

function getinteger(data: string, pos: number, endian: number, issigned: boolean, size: number): number {
  let l = 0n;
  if (endian === BIG) {
    for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & MASK64;
  } else {
    for (let i = size - 1; i >= 0; i--) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & MASK64;
  }
  if (!issigned) return Number(l);
  // x86 masks the shift count to 6 bits, as the C shift does for sizes above 8.
  const mask = (MASK64 << BigInt((size * 8 - 1) & 63)) & MASK64;
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

const fbuf = new DataView(new ArrayBuffer(8));

function floatBytes(x: number, size: number, endian: number): string {
  const little = endian === LITTLE;
  if (size === 4) fbuf.setFloat32(0, x, little);
  else fbuf.setFloat64(0, x, little);
  let s = '';
  for (let i = 0; i < size; i++) s += String.fromCharCode(fbuf.getUint8(i));
  return s;
}

function bytesFloat(data: string, pos: number, size: number, endian: number): number {
  for (let i = 0; i < size; i++) fbuf.setUint8(i, data.charCodeAt(pos + i));
  const little = endian === LITTLE;
  return size === 4 ? fbuf.getFloat32(0, little) : fbuf.getFloat64(0, little);
}

function bPack(vm: LuaVM, L: number): number {
  const f: Fmt = { s: checkString(vm, L, 1), i: 0 };
  const h: Header = { endian: LITTLE, align: 1 };
  let arg = 2;
  let totalsize = 0;
  const out: string[] = [];
  vm.m._lua_pushnil(L); // mark separating the arguments from the (C) string buffer
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    if (opt === '\0') break;
    let size = optsize(vm, L, opt, f);
    let toalign = gettoalign(totalsize, h, opt, size);
    totalsize += toalign;
    while (toalign-- > 0) out.push('\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        out.push(putinteger(checkNumber(vm, L, arg++), h.endian, size));
        break;
      case 'x':
        out.push('\0');
        break;
      case 'f':
        out.push(floatBytes(Math.fround(checkNumber(vm, L, arg++)), 4, h.endian));
        break;
      case 'd':
        out.push(floatBytes(checkNumber(vm, L, arg++), 8, h.endian));
        break;
      case 'c':
      case 's': {
        const s = checkString(vm, L, arg++);
        if (size === 0) size = s.length;
        if (!(s.length >= size)) vm.argError(L, arg, 'string too short');
        out.push(s.slice(0, size));
        if (opt === 's') {
          out.push('\0');
          size++;
        }
        break;
      }
      default:
        controloptions(vm, L, opt, f, h);
    }
    totalsize += size;
  }
  vm.pushString(L, out.join(''));
  return 1;
}

function bUnpack(vm: LuaVM, L: number): number {
  const f: Fmt = { s: checkString(vm, L, 1), i: 0 };
  const data = checkString(vm, L, 2);
  const ld = data.length;
  let pos = optInteger(vm, L, 3, 1);
  // size_t in C: a negative offset is huge, passes this check and fails "data string too short".
  if (pos === 0) vm.argError(L, 3, 'offset must be 1 or greater');
  pos--;
  let n = 0;
  const h: Header = { endian: LITTLE, align: 1 };
  vm.m._lua_settop(L, 2);
  const tooShort = (size: number) => !(pos >= 0 && size <= ld && pos <= ld - size);
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    if (opt === '\0') break;
    let size = optsize(vm, L, opt, f);
    pos += gettoalign(pos, h, opt, size);
    if (tooShort(size)) vm.argError(L, 2, 'data string too short');
    if (!vm.m._lua_checkstack(L, 2)) luaError(vm, L, 'stack overflow (too many results)');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        vm.m._lua_pushnumber(L, getinteger(data, pos, h.endian, opt >= 'a', size));
        n++;
        break;
      case 'x':
        break;
      case 'f':
      case 'd':
        vm.m._lua_pushnumber(L, bytesFloat(data, pos, size, h.endian));
        n++;
        break;
      case 'c':
        if (size === 0) {
          if (n === 0 || !vm.m._lua_isnumber(L, -1)) luaError(vm, L, "format 'c0' needs a previous size");
          size = toSizeT(vm.m._lua_tonumber(L, -1));
          vm.m._lua_settop(L, -2);
          n--;
          if (tooShort(size)) vm.argError(L, 2, 'data string too short');
        }
        vm.pushString(L, data.slice(pos, pos + size));
        n++;
        break;
      case 's': {
        const e = data.indexOf('\0', pos);
        if (e < 0) luaError(vm, L, 'unfinished string in data');
        size = e - pos + 1;
        vm.pushString(L, data.slice(pos, e));
        n++;
        break;
      }
      default:
        controloptions(vm, L, opt, f, h);
    }
    pos += size;
  }
  vm.m._lua_pushnumber(L, pos + 1);
  return n + 1;
}

/** C's (size_t)d for a previous unpacked number: negative values become huge (too long). */
function toSizeT(d: number): number {
  return d >= 0 ? Math.trunc(d) : Number.MAX_SAFE_INTEGER;
}

function bSize(vm: LuaVM, L: number): number {
  const f: Fmt = { s: checkString(vm, L, 1), i: 0 };
  const h: Header = { endian: LITTLE, align: 1 };
  let pos = 0;
  while (f.i < f.s.length) {
    const opt = f.s[f.i++];
    if (opt === '\0') break;
    const size = optsize(vm, L, opt, f);
    pos += gettoalign(pos, h, opt, size);
    if (opt === 's') vm.argError(L, 1, "option 's' has no fixed size");
    else if (opt === 'c' && size === 0) vm.argError(L, 1, "option 'c0' has no fixed size");
    if (!isAlnum(opt)) controloptions(vm, L, opt, f, h);
    pos += size;
  }
  vm.m._lua_pushnumber(L, pos);
  return 1;
}

function makeFns(vm: LuaVM): FnTable {
  return libFunctions(vm, 'struct', () => [
    ['pack', (L) => bPack(vm, L)],
    ['unpack', (L) => bUnpack(vm, L)],
    ['size', (L) => bSize(vm, L)],
  ]);
}

/** luaopen_struct: registers the global `struct` table (and package.loaded.struct). Stack unchanged. */
export function openStruct(vm: LuaVM, L: number): void {
  registerLib(vm, L, 'struct', makeFns(vm));
  vm.m._lua_settop(L, -2);
}
