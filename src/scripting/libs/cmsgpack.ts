/**
 * `cmsgpack`: a JS port of lua-cmsgpack 0.4.0 (Redis deps/lua/src/lua_cmsgpack.c) as built for Lua
 * 5.1 on a 64-bit machine. Encoding choices follow the C code exactly:
 * - numbers: an integral value (int64-exact, not infinite) → the smallest of fixint/uint8..64/
 *   int8..64; otherwise float32 (0xca) when the double survives a round trip through float, else
 *   float64 (0xcb);
 * - strings: fixstr / str8 (0xd9) / str16 / str32 (bytes as given);
 * - tables: an array when every key is a positive int-exact number and the largest equals the count
 *   (table_is_an_array), encoded with lua_objlen and t[i] lookups; else a map in lua_next order;
 *   nesting deeper than 16 encodes as nil; other types encode as nil.
 * Decoding pushes plain numbers (uint64 above 2^63 wraps to negative, as lua_pushinteger does).
 */
import type { LuaVM } from '../lua.js';
import { LuaType } from '../lua.js';
import { type FnTable, checkInteger, libFunctions, luaError, optInteger, toInt32, toInt64 } from './capi.js';

const MAX_NESTING = 16;
const INT_MAX = 2147483647;

const f32 = new Float32Array(1);
const dv = new DataView(new ArrayBuffer(8));

/** An append-only byte buffer. */
class Buf {
  b = Buffer.allocUnsafe(256);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.b.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.len + n));
    this.b.copy(nb, 0, 0, this.len);
    this.b = nb;
  }
  byte(x: number): void {
    this.ensure(1);
    this.b[this.len++] = x;
  }
  be(x: number, bytes: number): void {
    this.ensure(bytes);
    for (let i = bytes - 1; i >= 0; i--) {
      this.b[this.len + i] = x & 0xff;
      x = Math.floor(x / 256);
    }
    this.len += bytes;
  }
  big64(x: bigint): void {
    this.ensure(8);
    this.b.writeBigUInt64BE(BigInt.asUintN(64, x), this.len);
    this.len += 8;
  }
  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.b.set(src, this.len);
    this.len += src.length;
  }
}

function encodeInt(buf: Buf, n: number): void {
  if (n >= 0) {
    if (n <= 127) buf.byte(n);
    else if (n <= 0xff) {
      buf.byte(0xcc);
      buf.byte(n);
    } else if (n <= 0xffff) {
      buf.byte(0xcd);
      buf.be(n, 2);
    } else if (n <= 0xffffffff) {
      buf.byte(0xce);
      buf.be(n, 4);
    } else {
      buf.byte(0xcf);
      buf.big64(BigInt(n));
    }
  } else if (n >= -32) buf.byte(n & 0xff);
  else if (n >= -128) {
    buf.byte(0xd0);
    buf.byte(n & 0xff);
  } else if (n >= -32768) {
    buf.byte(0xd1);
    buf.be(n & 0xffff, 2);
  } else if (n >= -2147483648) {
    buf.byte(0xd2);
    buf.be(n >>> 0, 4);
  } else {
    buf.byte(0xd3);
    buf.big64(BigInt(n));
  }
}

function encodeDouble(buf: Buf, d: number): void {
  f32[0] = d;
  if (d === f32[0]) {
    buf.byte(0xca);
    dv.setFloat32(0, d);
    buf.ensure(4);
    for (let i = 0; i < 4; i++) buf.b[buf.len++] = dv.getUint8(i);
  } else {
    buf.byte(0xcb);
    dv.setFloat64(0, d);
    buf.ensure(8);
    for (let i = 0; i < 8; i++) buf.b[buf.len++] = dv.getUint8(i);
  }
}

function encodeNumber(buf: Buf, n: number): void {
  // IS_INT64_EQUIVALENT: !isinf(n) && (int64_t)n == n (NaN and |n| >= 2^63 fail).
  if (Number.isFinite(n) && toInt64(n) === n) encodeInt(buf, n);
  else encodeDouble(buf, n);
}

function encodeLen(buf: Buf, n: number, fix: number, b16: number, b32: number): void {
  if (n <= 15) buf.byte(fix | n);
  else if (n <= 0xffff) {
    buf.byte(b16);
    buf.be(n, 2);
  } else {
    buf.byte(b32);
    buf.be(n >>> 0, 4);
  }
}

/** table_is_an_array for the table on top of the stack. */
function tableIsArray(vm: LuaVM, L: number): boolean {
  const m = vm.m;
  const top = m._lua_gettop(L);
  let count = 0;
  let max = 0;
  m._lua_pushnil(L);
  while (m._lua_next(L, -2)) {
    m._lua_settop(L, -2);
    if (m._lua_type(L, -1) !== LuaType.Number) {
      m._lua_settop(L, top);
      return false;
    }
    const n = m._lua_tonumber(L, -1);
    if (n <= 0 || Number.isNaN(n) || toInt32(n) !== n) {
      m._lua_settop(L, top);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  m._lua_settop(L, top);
  return max === count;
}

/** mp_encode_lua_type: encodes and pops the value on top of the stack. */
function encodeValue(vm: LuaVM, L: number, buf: Buf, level: number): void {
  const m = vm.m;
  let t = m._lua_type(L, -1);
  if (t === LuaType.Table && level === MAX_NESTING) t = LuaType.Nil;
  switch (t) {
    case LuaType.String: {
      const s = vm.toBytes(L, -1) as Buffer;
      const len = s.length;
      if (len < 32) buf.byte(0xa0 | len);
      else if (len <= 0xff) {
        buf.byte(0xd9);
        buf.byte(len);
      } else if (len <= 0xffff) {
        buf.byte(0xda);
        buf.be(len, 2);
      } else {
        buf.byte(0xdb);
        buf.be(len, 4);
      }
      buf.raw(s);
      break;
    }
    case LuaType.Boolean:
      buf.byte(m._lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case LuaType.Number:
      encodeNumber(buf, m._lua_tonumber(L, -1));
      break;
    case LuaType.Table:
      if (!m._lua_checkstack(L, 3)) luaError(vm, L, 'stack overflow (in function mp_encode_lua_table)');
      if (tableIsArray(vm, L)) {
        const len = m._lua_objlen(L, -1) >>> 0;
        encodeLen(buf, len, 0x90, 0xdc, 0xdd);
        for (let j = 1; j <= len; j++) {
          m._lua_pushnumber(L, j);
          m._lua_gettable(L, -2);
          encodeValue(vm, L, buf, level + 1);
        }
      } else {
        let len = 0;
        m._lua_pushnil(L);
        while (m._lua_next(L, -2)) {
          m._lua_settop(L, -2);
          len++;
        }
        encodeLen(buf, len, 0x80, 0xde, 0xdf);
        m._lua_pushnil(L);
        while (m._lua_next(L, -2)) {
          m._lua_pushvalue(L, -2);
          encodeValue(vm, L, buf, level + 1);
          encodeValue(vm, L, buf, level + 1);
        }
      }
      break;
    default:
      buf.byte(0xc0);
  }
  m._lua_settop(L, -2);
}

function mpPack(vm: LuaVM, L: number): number {
  const m = vm.m;
  const nargs = m._lua_gettop(L);
  if (nargs === 0) return vm.argError(L, 0, 'MessagePack pack needs input.');
  if (!m._lua_checkstack(L, nargs)) return vm.argError(L, 0, 'Too many arguments for MessagePack pack.');
  const buf = new Buf();
  for (let i = 1; i <= nargs; i++) {
    m._lua_pushvalue(L, i);
    encodeValue(vm, L, buf, 0);
  }
  vm.pushBytes(L, buf.b.subarray(0, buf.len));
  return 1;
}

const EOF = 1;
const BADFMT = 2;

/** A decoding cursor over the input bytes. */
interface Cur {
  b: Buffer;
  p: number;
  err: number;
}

/** A container header: the table is pushed, its `len` items (pairs for maps) come next. */
interface Header {
  map: boolean;
  len: number;
}

/** mp_decode_to_lua_array / _hash's start: pushes the table. */
function openContainer(vm: LuaVM, L: number, map: boolean, len: number): Header {
  vm.m._lua_createtable(L, 0, 0);
  if (!map && !vm.m._lua_checkstack(L, 1)) luaError(vm, L, 'stack overflow (in function mp_decode_to_lua_array)');
  return { map, len };
}

/**
 * One step of mp_decode_to_lua_type: pushes the scalar at the cursor and returns null, or pushes
 * a new table for an array/map header and returns the header (its items are decoded by the
 * caller's loop, so nesting costs no JS stack). Sets c.err on short or bad input.
 */
function decodeItem(vm: LuaVM, L: number, c: Cur): Header | null {
  const m = vm.m;
  const b = c.b;
  const left = b.length - c.p;
  const need = (n: number): boolean => {
    if (b.length - c.p < n) {
      c.err = EOF;
      return false;
    }
    return true;
  };
  if (left < 1) {
    c.err = EOF;
    return null;
  }
  if (!m._lua_checkstack(L, 1)) luaError(vm, L, 'stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)');
  const p = c.p;
  const t = b[p];
  switch (t) {
    case 0xcc:
      if (!need(2)) return null;
      m._lua_pushnumber(L, b[p + 1]);
      c.p += 2;
      return null;
    case 0xd0:
      if (!need(2)) return null;
      m._lua_pushnumber(L, b.readInt8(p + 1));
      c.p += 2;
      return null;
    case 0xcd:
      if (!need(3)) return null;
      m._lua_pushnumber(L, b.readUInt16BE(p + 1));
      c.p += 3;
      return null;
    case 0xd1:
      if (!need(3)) return null;
      m._lua_pushnumber(L, b.readInt16BE(p + 1));
      c.p += 3;
      return null;
    case 0xce:
      if (!need(5)) return null;
      m._lua_pushnumber(L, b.readUInt32BE(p + 1));
      c.p += 5;
      return null;
    case 0xd2:
      if (!need(5)) return null;
      m._lua_pushnumber(L, b.readInt32BE(p + 1));
      c.p += 5;
      return null;
    case 0xcf:
    case 0xd3:
      if (!need(9)) return null;
      // uint64 goes through lua_pushinteger (64-bit signed), int64 through lua_pushnumber.
      m._lua_pushnumber(L, Number(b.readBigInt64BE(p + 1)));
      c.p += 9;
      return null;
    case 0xc0:
      m._lua_pushnil(L);
      c.p += 1;
      return null;
    case 0xc3:
      m._lua_pushboolean(L, 1);
      c.p += 1;
      return null;
    case 0xc2:
      m._lua_pushboolean(L, 0);
      c.p += 1;
      return null;
    case 0xca:
      if (!need(5)) return null;
      m._lua_pushnumber(L, b.readFloatBE(p + 1));
      c.p += 5;
      return null;
    case 0xcb:
      if (!need(9)) return null;
      m._lua_pushnumber(L, b.readDoubleBE(p + 1));
      c.p += 9;
      return null;
    case 0xd9: {
      if (!need(2)) return null;
      const l = b[p + 1];
      if (!need(2 + l)) return null;
      vm.pushBytes(L, b.subarray(p + 2, p + 2 + l));
      c.p += 2 + l;
      return null;
    }
    case 0xda: {
      if (!need(3)) return null;
      const l = b.readUInt16BE(p + 1);
      if (!need(3 + l)) return null;
      vm.pushBytes(L, b.subarray(p + 3, p + 3 + l));
      c.p += 3 + l;
      return null;
    }
    case 0xdb: {
      if (!need(5)) return null;
      const l = b.readUInt32BE(p + 1);
      c.p += 5;
      if (!need(l)) return null;
      vm.pushBytes(L, b.subarray(c.p, c.p + l));
      c.p += l;
      return null;
    }
    case 0xdc: {
      if (!need(3)) return null;
      const l = b.readUInt16BE(p + 1);
      c.p += 3;
      return openContainer(vm, L, false, l);
    }
    case 0xdd: {
      if (!need(5)) return null;
      const l = b.readUInt32BE(p + 1);
      c.p += 5;
      return openContainer(vm, L, false, l);
    }
    case 0xde: {
      if (!need(3)) return null;
      const l = b.readUInt16BE(p + 1);
      c.p += 3;
      return openContainer(vm, L, true, l);
    }
    case 0xdf: {
      if (!need(5)) return null;
      const l = b.readUInt32BE(p + 1);
      c.p += 5;
      return openContainer(vm, L, true, l);
    }
    default:
      if ((t & 0x80) === 0) {
        m._lua_pushnumber(L, t);
        c.p += 1;
      } else if ((t & 0xe0) === 0xe0) {
        m._lua_pushnumber(L, t - 256);
        c.p += 1;
      } else if ((t & 0xe0) === 0xa0) {
        const l = t & 0x1f;
        if (!need(1 + l)) return null;
        vm.pushBytes(L, b.subarray(p + 1, p + 1 + l));
        c.p += 1 + l;
      } else if ((t & 0xf0) === 0x90) {
        c.p += 1;
        return openContainer(vm, L, false, t & 0xf);
      } else if ((t & 0xf0) === 0x80) {
        c.p += 1;
        return openContainer(vm, L, true, t & 0xf);
      } else {
        c.err = BADFMT;
      }
      return null;
  }
}

/** An open array or map while decoding: items left, next array index, key already pushed. */
interface Frame {
  map: boolean;
  left: number;
  index: number;
  haveKey: boolean;
}

/**
 * mp_decode_to_lua_type with the recursion of mp_decode_to_lua_array/_hash made iterative
 * (same Lua stack use and checks, so deep nesting fails with the same Lua error as in C).
 */
function decodeValue(vm: LuaVM, L: number, c: Cur): void {
  const m = vm.m;
  const frames: Frame[] = [];
  for (;;) {
    const parent = frames.length > 0 ? frames[frames.length - 1] : null;
    if (parent !== null && !parent.map) m._lua_pushnumber(L, parent.index++);
    const hdr = decodeItem(vm, L, c);
    if (c.err) return;
    let completed = hdr === null;
    if (hdr !== null) frames.push({ map: hdr.map, left: hdr.len, index: 1, haveKey: false });
    for (;;) {
      const f = frames.length > 0 ? frames[frames.length - 1] : null;
      if (f === null) return;
      if (completed) {
        if (f.map && !f.haveKey) {
          f.haveKey = true;
          break;
        }
        m._lua_settable(L, -3);
        f.haveKey = false;
        f.left--;
        completed = false;
      }
      if (f.left === 0) {
        frames.pop();
        completed = true;
        continue;
      }
      break;
    }
  }
}

/** mp_unpack_full: decodes up to `limit` values from byte `offset` (both 0: everything). */
function unpackFull(vm: LuaVM, L: number, limit: number, offset: number): number {
  const m = vm.m;
  m._luaL_checklstring(L, 1, 0);
  const s = vm.toBytes(L, 1) as Buffer;
  const len = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) return luaError(vm, L, `Invalid request to unpack with offset of ${offset | 0} and limit of ${len | 0}.`);
  if (offset > len) return luaError(vm, L, `Start offset ${offset | 0} greater than input length ${len | 0}.`);
  if (decodeAll) limit = INT_MAX;
  const c: Cur = { b: s, p: offset, err: 0 };
  let cnt = 0;
  for (; c.p < len && cnt < limit; cnt++) {
    decodeValue(vm, L, c);
    if (c.err === EOF) return luaError(vm, L, 'Missing bytes in input.');
    if (c.err === BADFMT) return luaError(vm, L, 'Bad data format in input.');
  }
  if (!decodeAll) {
    m._lua_pushnumber(L, c.p === len ? -1 : c.p);
    m._lua_insert(L, 2);
    cnt += 1;
  }
  return cnt;
}

function makeFns(vm: LuaVM): FnTable {
  return libFunctions(vm, 'cmsgpack', () => [
    ['pack', (L) => mpPack(vm, L)],
    ['unpack', (L) => unpackFull(vm, L, 0, 0)],
    [
      'unpack_one',
      (L) => {
        const offset = optInteger(vm, L, 2, 0);
        vm.m._lua_settop(L, 1);
        return unpackFull(vm, L, 1, offset);
      },
    ],
    [
      'unpack_limit',
      (L) => {
        const limit = checkInteger(vm, L, 2);
        const offset = optInteger(vm, L, 3, 0);
        vm.m._lua_settop(L, 1);
        return unpackFull(vm, L, limit, offset);
      },
    ],
  ]);
}

/** luaopen_cmsgpack: sets the global `cmsgpack` table (a plain lua_newtable, as the C code does). */
export function openCmsgpack(vm: LuaVM, L: number): void {
  const m = vm.m;
  m._lua_createtable(L, 0, 0);
  for (const [name, ptr] of makeFns(vm)) {
    m._lua_pushcclosure(L, ptr, 0);
    vm.setField(L, -2, name);
  }
  const meta: Array<[string, string]> = [
    ['_NAME', 'cmsgpack'],
    ['_VERSION', 'lua-cmsgpack 0.4.0'],
    ['_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo'],
    ['_DESCRIPTION', 'MessagePack C implementation for Lua'],
  ];
  for (const [k, v] of meta) {
    vm.pushString(L, v);
    vm.setField(L, -2, k);
  }
  vm.setGlobal(L, 'cmsgpack');
}
