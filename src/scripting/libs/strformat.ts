/**
 * `string.format` with Redis's 64-bit integer conversions. The WebAssembly Lua is a 32-bit build:
 * its lua_Integer and `long` are 32 bits, so "%d" of 2^40 would print -2147483648 where Redis
 * (x86-64, LUA_INTFRM_T = long) prints 1099511627776. This wrapper validates the format exactly as
 * Lua 5.1's str_format / scanformat do (same errors, same argument numbers), then:
 * - when no %d %i %o %u %x %X argument falls outside what 32 bits print correctly, calls the
 *   original C string.format with the same arguments (identical output);
 * - otherwise formats those integer items in JS with printf's rules (flags - + space # 0, width,
 *   precision) from the value C's (long)/(unsigned long) casts give on x86-64, and every other
 *   item with the original C function, one item at a time.
 * Source: Lua 5.1.5 lstrlib.c str_format / scanformat; x86-64 cvttsd2si conversion semantics.
 */
import { LUA_REGISTRYINDEX, LuaType, type LuaVM } from '../lua.js';
import { checkNumber, checkString, libFunctions, luaError } from './capi.js';

const ORIGINAL_KEY = 'keydra_string_format';
const FLAGS = '-+ #0';
const TWO63 = 2 ** 63;
const MIN64 = -(2n ** 63n);

/** One parsed conversion: the literal text before it, its spec ("%-5.2d"), parts and argument index. */
interface Item {
  text: string;
  spec: string;
  flags: string;
  width: number;
  prec: number;
  conv: string;
  arg: number;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** (long)d on x86-64: truncation; NaN and out-of-range give INT64_MIN. */
function toLong(d: number): bigint {
  if (Number.isNaN(d) || d >= TWO63 || d < -TWO63) return MIN64;
  return BigInt(Math.trunc(d));
}

/** (unsigned long)d as gcc compiles it on x86-64 (the >= 2^63 branch subtracts and flips the top bit). */
function toULong(d: number): bigint {
  if (d >= TWO63) {
    const x = d - TWO63;
    const r = Number.isNaN(x) || x >= TWO63 ? MIN64 : BigInt(Math.trunc(x));
    return BigInt.asUintN(64, r) ^ (1n << 63n);
  }
  return BigInt.asUintN(64, toLong(d));
}

/** printf of one integer item (d i o u x X) with its flags, width and precision. */
function formatInt(it: Item, d: number): string {
  const signed = it.conv === 'd' || it.conv === 'i';
  let v = signed ? toLong(d) : toULong(d);
  let sign = '';
  if (signed) {
    if (v < 0n) {
      sign = '-';
      v = -v;
    } else if (it.flags.includes('+')) sign = '+';
    else if (it.flags.includes(' ')) sign = ' ';
  }
  const radix = it.conv === 'o' ? 8 : it.conv === 'x' || it.conv === 'X' ? 16 : 10;
  let digits = v.toString(radix);
  if (it.conv === 'X') digits = digits.toUpperCase();
  if (it.prec >= 0) {
    if (it.prec === 0 && v === 0n) digits = '';
    else if (digits.length < it.prec) digits = digits.padStart(it.prec, '0');
  }
  let prefix = sign;
  if (it.flags.includes('#')) {
    if (it.conv === 'o' && !digits.startsWith('0')) digits = `0${digits}`;
    else if ((it.conv === 'x' || it.conv === 'X') && v !== 0n) prefix += it.conv === 'x' ? '0x' : '0X';
  }
  const len = prefix.length + digits.length;
  if (len >= it.width) return prefix + digits;
  const pad = it.width - len;
  if (it.flags.includes('-')) return prefix + digits + ' '.repeat(pad);
  if (it.flags.includes('0') && it.prec < 0) return prefix + '0'.repeat(pad) + digits;
  return ' '.repeat(pad) + prefix + digits;
}

/** True when the 32-bit C conversion prints `d` exactly as a 64-bit one would. */
function safe32(conv: string, d: number): boolean {
  const t = Math.trunc(d);
  if (conv === 'd' || conv === 'i') return t >= -2147483648 && t <= 2147483647;
  return t >= 0 && t <= 2147483647;
}

/** Calls the original C string.format with the values at stack indexes `args` (never errors here). */
function callOriginal(vm: LuaVM, L: number, fmt: string, args: number[]): string {
  const m = vm.m;
  vm.getField(L, LUA_REGISTRYINDEX, ORIGINAL_KEY);
  vm.pushString(L, fmt);
  for (const a of args) m._lua_pushvalue(L, a);
  m._lua_call(L, args.length + 1, 1);
  const s = vm.toString(L, -1) as string;
  m._lua_settop(L, -2);
  return s;
}

function strFormat(vm: LuaVM, L: number): number {
  const m = vm.m;
  const top = m._lua_gettop(L);
  const f = checkString(vm, L, 1);
  const items: Item[] = [];
  let text = '';
  let arg = 1;
  let fast = true;
  let i = 0;
  while (i < f.length) {
    if (f[i] !== '%') {
      text += f[i++];
      continue;
    }
    i++;
    if (f[i] === '%') {
      text += '%';
      i++;
      continue;
    }
    if (++arg > top) vm.argError(L, arg, 'no value');
    // scanformat
    const start = i;
    while (i < f.length && f[i] !== '\0' && FLAGS.includes(f[i])) i++;
    if (i - start >= FLAGS.length + 1) luaError(vm, L, 'invalid format (repeated flags)');
    const flags = f.slice(start, i);
    const ws = i;
    if (isDigit(f[i])) i++;
    if (isDigit(f[i])) i++;
    const width = i > ws ? Number(f.slice(ws, i)) : 0;
    let prec = -1;
    if (f[i] === '.') {
      i++;
      const ps = i;
      if (isDigit(f[i])) i++;
      if (isDigit(f[i])) i++;
      prec = i > ps ? Number(f.slice(ps, i)) : 0;
    }
    if (isDigit(f[i])) luaError(vm, L, 'invalid format (width or precision too long)');
    const conv = f[i] ?? '\0';
    const spec = `%${f.slice(start, i + 1)}`;
    i++;
    switch (conv) {
      case 'd':
      case 'i':
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        if (!safe32(conv, checkNumber(vm, L, arg))) fast = false;
        break;
      case 'c':
      case 'e':
      case 'E':
      case 'f':
      case 'g':
      case 'G':
        checkNumber(vm, L, arg);
        break;
      case 'q':
      case 's':
        checkString(vm, L, arg);
        break;
      default:
        luaError(vm, L, `invalid option '%${conv}' to 'format'`);
    }
    items.push({ text, spec, flags, width, prec, conv, arg });
    text = '';
  }
  if (fast) {
    const args: number[] = [];
    for (let a = 2; a <= top; a++) args.push(a);
    vm.pushString(L, callOriginal(vm, L, f, args));
    return 1;
  }
  const out: string[] = [];
  for (const it of items) {
    out.push(it.text);
    if ('diouxX'.includes(it.conv)) out.push(formatInt(it, m._lua_tonumber(L, it.arg)));
    else out.push(callOriginal(vm, L, it.spec, [it.arg]));
  }
  out.push(text);
  vm.pushString(L, out.join(''));
  return 1;
}

/**
 * Replaces `string.format` in state L with the 64-bit-correct wrapper (the original C function is
 * kept in the registry). Call after luaL_openlibs, before the string table is protected.
 */
export function installStringFormat(vm: LuaVM, L: number): void {
  const m = vm.m;
  const [[, ptr]] = libFunctions(vm, 'strformat', () => [['format', (S) => strFormat(vm, S)]]);
  vm.getGlobal(L, 'string');
  if (vm.type(L, -1) !== LuaType.Table) {
    m._lua_settop(L, -2);
    return;
  }
  vm.getField(L, -1, 'format');
  vm.setField(L, LUA_REGISTRYINDEX, ORIGINAL_KEY);
  m._lua_pushcclosure(L, ptr, 0);
  vm.setField(L, -2, 'format');
  m._lua_settop(L, -2);
}
