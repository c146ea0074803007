/**
 * `cjson`: a JS port of Lua CJSON 2.1.0 as Redis 7.0 ships it (deps/lua/src/lua_cjson.c with
 * fpconv's "%.14g" number format). Strings are bytes: encoding escapes `"`, `\`, `/` (as `\/`),
 * control characters and DEL and passes other bytes through; decoding turns `\uXXXX` escapes
 * (and surrogate pairs) into UTF-8. Tables encode as arrays when every key is a positive integer
 * (subject to encode_sparse_array), else as objects in lua_next order. JSON null decodes to the
 * NULL lightuserdata `cjson.null`. Errors and configuration functions match the C library's texts.
 * Each module table (the global one and each cjson.new()) has its own configuration, found through
 * the functions' first upvalue (a lightuserdata id), as in C.
 */
import type { LuaVM } from '../lua.js';
import { LuaType } from '../lua.js';
import { type FnTable, checkOption, checkString, libFunctions, luaError, toInt32, typeName, upvalueIndex } from './capi.js';
import { formatG, strtod } from './cnum.js';

interface Config {
  encodeSparseConvert: number;
  encodeSparseRatio: number;
  encodeSparseSafe: number;
  encodeMaxDepth: number;
  encodeInvalidNumbers: number; // 0 off, 1 on, 2 null
  encodeNumberPrecision: number;
  encodeKeepBuffer: number;
  decodeInvalidNumbers: number;
  decodeMaxDepth: number;
}

function defaultConfig(): Config {
  return {
    encodeSparseConvert: 0,
    encodeSparseRatio: 2,
    encodeSparseSafe: 10,
    encodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    encodeNumberPrecision: 14,
    encodeKeepBuffer: 1,
    decodeInvalidNumbers: 1,
    decodeMaxDepth: 1000,
  };
}

/** Configurations by id (the lightuserdata upvalue of each module's functions). */
const configs = new Map<number, Config>();
let nextConfigId = 1;

const INT_MAX = 2147483647;

/** The JSON text of byte `c` inside a string, or undefined when it passes through unchanged. */
const char2escape: Array<string | undefined> = new Array(256).fill(undefined);
for (let i = 0; i < 32; i++) char2escape[i] = `\\u${i.toString(16).padStart(4, '0')}`;
char2escape[8] = '\\b';
char2escape[9] = '\\t';
char2escape[10] = '\\n';
char2escape[12] = '\\f';
char2escape[13] = '\\r';
char2escape[34] = '\\"';
char2escape[47] = '\\/';
char2escape[92] = '\\\\';
char2escape[127] = '\\u007f';
const NEEDS_ESCAPE = /[\x00-\x1f"/\\\x7f]/;

function escapeString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const e = char2escape[s.charCodeAt(i)];
    out += e === undefined ? s[i] : e;
  }
  return `${out}"`;
}

function fetchConfig(vm: LuaVM, L: number): Config {
  const id = vm.m._lua_touserdata(L, upvalueIndex(1));
  const cfg = configs.get(id);
  if (!cfg) luaError(vm, L, 'BUG: Unable to fetch CJSON configuration');
  return cfg as Config;
}

/** json_arg_init: at most `args` arguments, padded with nil. */
function argInit(vm: LuaVM, L: number, args: number): Config {
  if (!(vm.m._lua_gettop(L) <= args)) vm.argError(L, args + 1, 'found too many arguments');
  while (vm.m._lua_gettop(L) < args) vm.m._lua_pushnil(L);
  return fetchConfig(vm, L);
}

type IntKey = 'encodeSparseRatio' | 'encodeSparseSafe' | 'encodeMaxDepth' | 'decodeMaxDepth' | 'encodeNumberPrecision';
type EnumKey = 'encodeSparseConvert' | 'encodeKeepBuffer' | 'encodeInvalidNumbers' | 'decodeInvalidNumbers';

function integerOption(vm: LuaVM, L: number, idx: number, cfg: Config, key: IntKey, min: number, max: number): void {
  if (vm.type(L, idx) !== LuaType.Nil) {
    // luaL_checkinteger on a 64-bit build, then stored in a C int.
    const n = vm.m._lua_tonumber(L, idx);
    if (n === 0 && !vm.m._lua_isnumber(L, idx)) vm.argError(L, idx, `number expected, got ${typeName(vm, L, idx)}`);
    const v = Number(BigInt.asIntN(32, BigInt(Number.isFinite(n) ? Math.trunc(n) : 0)));
    if (!(min <= v && v <= max)) vm.argError(L, 1, `expected integer between ${min} and ${max}`);
    cfg[key] = v;
  }
  vm.m._lua_pushnumber(L, cfg[key]);
}

function enumOption(
  vm: LuaVM,
  L: number,
  idx: number,
  cfg: Config,
  key: EnumKey,
  options: readonly string[] | null,
  boolTrue: number,
): void {
  let opts = options;
  if (!opts) {
    opts = ['off', 'on'];
    boolTrue = 1;
  }
  if (vm.type(L, idx) !== LuaType.Nil) {
    if (boolTrue && vm.type(L, idx) === LuaType.Boolean) cfg[key] = vm.m._lua_toboolean(L, idx) * boolTrue;
    else cfg[key] = checkOption(vm, L, idx, opts);
  }
  if (boolTrue && (cfg[key] === 0 || cfg[key] === boolTrue)) vm.m._lua_pushboolean(L, cfg[key]);
  else vm.pushString(L, opts[cfg[key]]);
}

/** json_encode_exception: "Cannot serialise <type>: <reason>". Never returns. */
function encodeException(vm: LuaVM, L: number, lindex: number, reason: string): never {
  luaError(vm, L, `Cannot serialise ${typeName(vm, L, lindex)}: ${reason}`);
  throw new Error('unreachable');
}

function appendNumber(vm: LuaVM, L: number, cfg: Config, out: string[], lindex: number): void {
  const num = vm.m._lua_tonumber(L, lindex);
  if (cfg.encodeInvalidNumbers === 0) {
    if (!Number.isFinite(num)) encodeException(vm, L, lindex, 'must not be NaN or Inf');
  } else if (cfg.encodeInvalidNumbers === 1) {
    if (Number.isNaN(num)) {
      out.push('nan');
      return;
    }
  } else if (!Number.isFinite(num)) {
    out.push('null');
    return;
  }
  out.push(formatG(num, cfg.encodeNumberPrecision));
}

/** lua_array_length: the array length of the table on top, or -1 when it must be an object. */
function arrayLength(vm: LuaVM, L: number, cfg: Config): number {
  const m = vm.m;
  let max = 0;
  let items = 0;
  m._lua_pushnil(L);
  while (m._lua_next(L, -2) !== 0) {
    if (m._lua_type(L, -2) === LuaType.Number) {
      const k = m._lua_tonumber(L, -2);
      if (k !== 0 && Math.floor(k) === k && k >= 1) {
        if (k > max) max = toInt32(k); // C stores it in an int
        items++;
        m._lua_settop(L, -2);
        continue;
      }
    }
    m._lua_settop(L, -3);
    return -1;
  }
  if (cfg.encodeSparseRatio > 0 && max > items * cfg.encodeSparseRatio && max > cfg.encodeSparseSafe) {
    if (!cfg.encodeSparseConvert) encodeException(vm, L, -1, 'excessively sparse array');
    return -1;
  }
  return max;
}

/** Appends a non-table value (json_append_data's scalar cases). */
function appendScalar(vm: LuaVM, L: number, cfg: Config, out: string[]): void {
  const m = vm.m;
  switch (m._lua_type(L, -1)) {
    case LuaType.String:
      out.push(escapeString(vm.toString(L, -1) as string));
      break;
    case LuaType.Number:
      appendNumber(vm, L, cfg, out, -1);
      break;
    case LuaType.Boolean:
      out.push(m._lua_toboolean(L, -1) ? 'true' : 'false');
      break;
    case LuaType.Nil:
      out.push('null');
      break;
    case LuaType.LightUserdata:
      if (m._lua_touserdata(L, -1) === 0) {
        out.push('null');
        break;
      }
      encodeException(vm, L, -1, 'type not supported');
      break;
    default:
      encodeException(vm, L, -1, 'type not supported');
  }
}

/** A table being encoded: an array (len, next index) or an object (lua_next in progress). */
interface EncodeFrame {
  arr: boolean;
  len: number;
  i: number;
  comma: boolean;
  depth: number;
}

/**
 * json_append_data for the value on top of the stack, with the table recursion made iterative
 * (same traversal, Lua stack use, depth checks and errors as the C code). Leaves the value there.
 */
function appendData(vm: LuaVM, L: number, cfg: Config, out: string[]): void {
  const m = vm.m;
  const frames: EncodeFrame[] = [];
  let depth = 0;
  for (;;) {
    let done = true;
    if (m._lua_type(L, -1) !== LuaType.Table) appendScalar(vm, L, cfg, out);
    else {
      const d = depth + 1;
      if (!(d <= cfg.encodeMaxDepth && m._lua_checkstack(L, 3))) luaError(vm, L, `Cannot serialise, excessive nesting (${d})`);
      const len = arrayLength(vm, L, cfg);
      if (len > 0) {
        out.push('[');
        frames.push({ arr: true, len, i: 1, comma: false, depth: d });
      } else {
        out.push('{');
        m._lua_pushnil(L);
        frames.push({ arr: false, len: 0, i: 0, comma: false, depth: d });
      }
      done = false;
    }
    // Find the next value to encode.
    for (;;) {
      const f = frames.length > 0 ? frames[frames.length - 1] : null;
      if (f === null) return;
      if (done) {
        m._lua_settop(L, -2); // the child value just encoded
        done = false;
      }
      if (f.arr) {
        if (f.i > f.len) {
          out.push(']');
          frames.pop();
          done = frames.length > 0;
          continue;
        }
        if (f.i > 1) out.push(',');
        m._lua_rawgeti(L, -1, f.i++);
      } else {
        if (m._lua_next(L, -2) === 0) {
          out.push('}');
          frames.pop();
          done = frames.length > 0;
          continue;
        }
        if (f.comma) out.push(',');
        else f.comma = true;
        const kt = m._lua_type(L, -2);
        if (kt === LuaType.Number) {
          out.push('"');
          appendNumber(vm, L, cfg, out, -2);
          out.push('":');
        } else if (kt === LuaType.String) {
          out.push(escapeString(vm.toString(L, -2) as string), ':');
        } else {
          encodeException(vm, L, -2, 'table key must be a number or string');
        }
      }
      depth = f.depth;
      break;
    }
  }
}

function jsonEncode(vm: LuaVM, L: number): number {
  const cfg = fetchConfig(vm, L);
  if (vm.m._lua_gettop(L) !== 1) vm.argError(L, 1, 'expected 1 argument');
  const out: string[] = [];
  appendData(vm, L, cfg, out);
  vm.pushString(L, out.join(''));
  return 1;
}

// ---- decoding ----

const enum T {
  ObjBegin,
  ObjEnd,
  ArrBegin,
  ArrEnd,
  String,
  Number,
  Boolean,
  Null,
  Colon,
  Comma,
  End,
  Whitespace,
  Error,
  Unknown,
}

const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
];

const ch2token: T[] = new Array(256).fill(T.Error);
ch2token[0x7b] = T.ObjBegin;
ch2token[0x7d] = T.ObjEnd;
ch2token[0x5b] = T.ArrBegin;
ch2token[0x5d] = T.ArrEnd;
ch2token[0x2c] = T.Comma;
ch2token[0x3a] = T.Colon;
ch2token[0] = T.End;
for (const c of ' \t\n\r') ch2token[c.charCodeAt(0)] = T.Whitespace;
for (const c of 'fiInNt"+-0123456789') ch2token[c.charCodeAt(0)] = T.Unknown;

const escape2char: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  u: 'u',
};

interface Token {
  type: T;
  index: number;
  str: string;
  num: number;
  bool: boolean;
}

/** Parser state: `s` is the input; reading past its end gives NUL, as the C string does. */
interface Parse {
  s: string;
  ptr: number;
  cfg: Config;
  depth: number;
}

const ch = (json: Parse, i: number): number => (i < json.s.length ? json.s.charCodeAt(i) : 0);

function hex4(json: Parse, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = ch(json, at + i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else {
      const l = c | 0x20;
      if (l >= 97 && l <= 102) d = 10 + l - 97;
      else return -1;
    }
    v = (v << 4) + d;
  }
  return v;
}

function utf8(cp: number): string {
  if (cp <= 0x7f) return String.fromCharCode(cp);
  if (cp <= 0x7ff) return String.fromCharCode((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
  if (cp <= 0xffff) return String.fromCharCode((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
  return String.fromCharCode((cp >> 18) | 0xf0, ((cp >> 12) & 0x3f) | 0x80, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
}

function setTokenError(token: Token, json: Parse, err: string): void {
  token.type = T.Error;
  token.index = json.ptr;
  token.str = err;
}

function nextStringToken(json: Parse, token: Token): void {
  json.ptr++;
  let out = '';
  let runStart = json.ptr;
  for (;;) {
    const c = ch(json, json.ptr);
    if (c === 0x22) break;
    if (c === 0) {
      setTokenError(token, json, 'unexpected end of string');
      return;
    }
    if (c === 0x5c) {
      out += json.s.slice(runStart, json.ptr);
      const e = escape2char[String.fromCharCode(ch(json, json.ptr + 1))];
      if (e === 'u') {
        let cp = hex4(json, json.ptr + 2);
        let escLen = 6;
        let ok = cp >= 0;
        if (ok && (cp & 0xf800) === 0xd800) {
          ok = false;
          if (!(cp & 0x400) && ch(json, json.ptr + 6) === 0x5c && ch(json, json.ptr + 7) === 0x75) {
            const low = hex4(json, json.ptr + 8);
            if (low >= 0 && (low & 0xfc00) === 0xdc00) {
              cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
              escLen = 12;
              ok = true;
            }
          }
        }
        if (!ok) {
          setTokenError(token, json, 'invalid unicode escape code');
          return;
        }
        out += utf8(cp);
        json.ptr += escLen;
        runStart = json.ptr;
        continue;
      }
      if (e === undefined) {
        setTokenError(token, json, 'invalid escape code');
        return;
      }
      out += e;
      json.ptr += 2;
      runStart = json.ptr;
      continue;
    }
    json.ptr++;
  }
  out += json.s.slice(runStart, json.ptr);
  json.ptr++;
  token.type = T.String;
  token.str = out;
}

/** json_is_invalid_number: numbers strtod takes but strict JSON does not (+, hex, leading 0, inf, nan). */
function isInvalidNumber(json: Parse): boolean {
  let p = json.ptr;
  if (ch(json, p) === 0x2b) return true;
  if (ch(json, p) === 0x2d) p++;
  const c = ch(json, p);
  if (c === 0x30) {
    const c2 = ch(json, p + 1);
    return (c2 | 0x20) === 0x78 || (c2 >= 0x30 && c2 <= 0x39);
  }
  if (c <= 0x39) return false;
  const w = json.s.slice(p, p + 3).toLowerCase();
  return w === 'inf' || w === 'nan';
}

function nextNumberToken(json: Parse, token: Token): void {
  token.type = T.Number;
  // strtod stops at the C string's NUL.
  const nul = json.s.indexOf('\0', json.ptr);
  const r = strtod(nul < 0 ? json.s : json.s.slice(0, nul), json.ptr);
  if (r.end === json.ptr) setTokenError(token, json, 'invalid number');
  else {
    token.num = r.value;
    json.ptr = r.end;
  }
}

function nextToken(json: Parse, token: Token): void {
  let c: number;
  for (;;) {
    c = ch(json, json.ptr);
    token.type = ch2token[c];
    if (token.type !== T.Whitespace) break;
    json.ptr++;
  }
  token.index = json.ptr;
  if (token.type === T.Error) {
    setTokenError(token, json, 'invalid token');
    return;
  }
  if (token.type === T.End) return;
  if (token.type !== T.Unknown) {
    json.ptr++;
    return;
  }
  const s = json.s;
  if (c === 0x22) {
    nextStringToken(json, token);
  } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    if (!json.cfg.decodeInvalidNumbers && isInvalidNumber(json)) {
      setTokenError(token, json, 'invalid number');
      return;
    }
    nextNumberToken(json, token);
  } else if (s.startsWith('true', json.ptr)) {
    token.type = T.Boolean;
    token.bool = true;
    json.ptr += 4;
  } else if (s.startsWith('false', json.ptr)) {
    token.type = T.Boolean;
    token.bool = false;
    json.ptr += 5;
  } else if (s.startsWith('null', json.ptr)) {
    token.type = T.Null;
    json.ptr += 4;
  } else if (json.cfg.decodeInvalidNumbers && isInvalidNumber(json)) {
    nextNumberToken(json, token);
  } else {
    setTokenError(token, json, 'invalid token');
  }
}

function throwParseError(vm: LuaVM, L: number, exp: string, token: Token): never {
  const found = token.type === T.Error ? token.str : TOKEN_NAMES[token.type];
  luaError(vm, L, `Expected ${exp} but found ${found} at character ${token.index + 1}`);
  throw new Error('unreachable');
}

function descend(vm: LuaVM, L: number, json: Parse, slots: number): void {
  json.depth++;
  if (json.depth <= json.cfg.decodeMaxDepth && vm.m._lua_checkstack(L, slots)) return;
  luaError(vm, L, `Found too many nested data structures (${json.depth}) at character ${json.ptr}`);
}

function newToken(): Token {
  return { type: T.End, index: 0, str: '', num: 0, bool: false };
}

/** An open object (true) or array (false) while decoding, with the array's next index. */
interface DecodeFrame {
  obj: boolean;
  i: number;
}

/** In an object, after "{" or ",": the key string and colon; leaves the value's token in `token`. */
function objectKey(vm: LuaVM, L: number, json: Parse, token: Token): void {
  if (token.type !== T.String) throwParseError(vm, L, 'object key string', token);
  vm.pushString(L, token.str);
  nextToken(json, token);
  if ((token.type as T) !== T.Colon) throwParseError(vm, L, 'colon', token);
  nextToken(json, token);
}

/**
 * json_process_value with json_parse_object_context / json_parse_array_context made iterative:
 * the same tokens, Lua stack use, depth checks and errors as the C recursion, without using JS
 * stack per nesting level. Pushes the decoded value.
 */
function processValue(vm: LuaVM, L: number, json: Parse, token: Token): void {
  const m = vm.m;
  const frames: DecodeFrame[] = [];
  for (;;) {
    let completed = true;
    switch (token.type) {
      case T.String:
        vm.pushString(L, token.str);
        break;
      case T.Number:
        m._lua_pushnumber(L, token.num);
        break;
      case T.Boolean:
        m._lua_pushboolean(L, token.bool ? 1 : 0);
        break;
      case T.Null:
        m._lua_pushlightuserdata(L, 0);
        break;
      case T.ObjBegin:
        descend(vm, L, json, 3);
        m._lua_createtable(L, 0, 0);
        nextToken(json, token);
        if ((token.type as T) === T.ObjEnd) {
          json.depth--;
          break;
        }
        frames.push({ obj: true, i: 0 });
        objectKey(vm, L, json, token);
        completed = false;
        break;
      case T.ArrBegin:
        descend(vm, L, json, 2);
        m._lua_createtable(L, 0, 0);
        nextToken(json, token);
        if ((token.type as T) === T.ArrEnd) {
          json.depth--;
          break;
        }
        frames.push({ obj: false, i: 1 });
        completed = false;
        break;
      default:
        throwParseError(vm, L, 'value', token);
    }
    if (!completed) continue;
    // A value is on top: store it into its container, close finished containers.
    for (;;) {
      const f = frames.length > 0 ? frames[frames.length - 1] : null;
      if (f === null) return;
      if (f.obj) {
        m._lua_rawset(L, -3);
        nextToken(json, token);
        if ((token.type as T) === T.ObjEnd) {
          json.depth--;
          frames.pop();
          continue;
        }
        if ((token.type as T) !== T.Comma) throwParseError(vm, L, 'comma or object end', token);
        nextToken(json, token);
        objectKey(vm, L, json, token);
      } else {
        m._lua_rawseti(L, -2, f.i++);
        nextToken(json, token);
        if ((token.type as T) === T.ArrEnd) {
          json.depth--;
          frames.pop();
          continue;
        }
        if ((token.type as T) !== T.Comma) throwParseError(vm, L, 'comma or array end', token);
        nextToken(json, token);
      }
      break;
    }
  }
}

function jsonDecode(vm: LuaVM, L: number): number {
  if (vm.m._lua_gettop(L) !== 1) vm.argError(L, 1, 'expected 1 argument');
  const cfg = fetchConfig(vm, L);
  const s = checkString(vm, L, 1);
  if (s.length >= 2 && (s.charCodeAt(0) === 0 || s.charCodeAt(1) === 0)) luaError(vm, L, 'JSON parser does not support UTF-16 or UTF-32');
  const json: Parse = { s, ptr: 0, cfg, depth: 0 };
  const token = newToken();
  nextToken(json, token);
  processValue(vm, L, json, token);
  nextToken(json, token);
  if (token.type !== T.End) throwParseError(vm, L, 'the end', token);
  return 1;
}

// ---- module ----

function makeFns(vm: LuaVM): FnTable {
  return libFunctions(vm, 'cjson', () => [
    ['encode', (L) => jsonEncode(vm, L)],
    ['decode', (L) => jsonDecode(vm, L)],
    [
      'encode_sparse_array',
      (L) => {
        const cfg = argInit(vm, L, 3);
        enumOption(vm, L, 1, cfg, 'encodeSparseConvert', null, 1);
        integerOption(vm, L, 2, cfg, 'encodeSparseRatio', 0, INT_MAX);
        integerOption(vm, L, 3, cfg, 'encodeSparseSafe', 0, INT_MAX);
        return 3;
      },
    ],
    [
      'encode_max_depth',
      (L) => {
        integerOption(vm, L, 1, argInit(vm, L, 1), 'encodeMaxDepth', 1, INT_MAX);
        return 1;
      },
    ],
    [
      'decode_max_depth',
      (L) => {
        integerOption(vm, L, 1, argInit(vm, L, 1), 'decodeMaxDepth', 1, INT_MAX);
        return 1;
      },
    ],
    [
      'encode_number_precision',
      (L) => {
        integerOption(vm, L, 1, argInit(vm, L, 1), 'encodeNumberPrecision', 1, 14);
        return 1;
      },
    ],
    [
      'encode_keep_buffer',
      (L) => {
        enumOption(vm, L, 1, argInit(vm, L, 1), 'encodeKeepBuffer', null, 1);
        return 1;
      },
    ],
    [
      'encode_invalid_numbers',
      (L) => {
        enumOption(vm, L, 1, argInit(vm, L, 1), 'encodeInvalidNumbers', ['off', 'on', 'null'], 1);
        return 1;
      },
    ],
    [
      'decode_invalid_numbers',
      (L) => {
        enumOption(vm, L, 1, argInit(vm, L, 1), 'decodeInvalidNumbers', null, 1);
        return 1;
      },
    ],
    ['new', (L) => cjsonNew(vm, L)],
  ]);
}

/**
 * lua_cjson_new: pushes a new cjson module table with a fresh configuration: the functions as
 * closures over the configuration id, then `null`, `_NAME`, `_VERSION` (C's order, for pairs()).
 */
function cjsonNew(vm: LuaVM, L: number): number {
  const m = vm.m;
  const id = nextConfigId++;
  configs.set(id, defaultConfig());
  m._lua_createtable(L, 0, 0);
  for (const [name, ptr] of makeFns(vm)) {
    m._lua_pushlightuserdata(L, id);
    m._lua_pushcclosure(L, ptr, 1);
    vm.setField(L, -2, name);
  }
  m._lua_pushlightuserdata(L, 0);
  vm.setField(L, -2, 'null');
  vm.pushString(L, 'cjson');
  vm.setField(L, -2, '_NAME');
  vm.pushString(L, '2.1.0');
  vm.setField(L, -2, '_VERSION');
  return 1;
}

/**
 * luaopen_cjson with ENABLE_CJSON_GLOBAL (as Redis builds it): sets the global `cjson`.
 * Configuration objects live in a module-level map for the life of the process (a few bytes each;
 * one per state and per cjson.new() call).
 */
export function openCjson(vm: LuaVM, L: number): void {
  cjsonNew(vm, L);
  vm.setGlobal(L, 'cjson');
}
