/**
 * String commands: GET/SET and their variants, counters, ranges, LCS.
 *
 * Values are latin1 strings (one char per byte) stored in RObject(ObjType.String); numbers are
 * stored in their canonical decimal form, as Redis's createStringObjectFromLongLong would print them.
 * Writes that are not deterministic are propagated in Redis 7.0's rewritten form: SET/SETEX/PSETEX
 * with an expire as `SET key value PXAT <ms>`, GETEX as PEXPIREAT/PERSIST/DEL, GETDEL as DEL,
 * GETSET as SET, INCRBYFLOAT as `SET key <result> KEEPTTL`.
 * Source: Redis 7.0 t_string.c, util.c (string2ll, string2ld, ld2string).
 */
import {
  ERR_DECR_OVERFLOW,
  ERR_INCR_FLOAT_NAN,
  ERR_INVALID_EXPIRE,
  ERR_LCS_BOTH_LEN_IDX,
  ERR_LCS_MEM_LIMIT,
  ERR_LCS_NOT_STRINGS,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OFFSET_OUT_OF_RANGE,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errArity,
} from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject, STRING_VIEW } from '../../store/db.js';
import { parseInt64 } from '../args.js';
import { parseInt64Bytes } from '../../store/int64.js';
import type { CommandDef } from '../types.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../longdouble.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// SET / GETEX option flags (Redis OBJ_SET_* / OBJ_*).
const F_NX = 1;
const F_XX = 2;
const F_GET = 4;
const F_KEEPTTL = 8;
const F_EX = 16;
const F_PX = 32;
const F_EXAT = 64;
const F_PXAT = 128;
const F_PERSIST = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/** Case-insensitive match of an argument against a lowercase all-letters keyword, without allocating. */
function kw(arg: string, lower: string): boolean {
  const n = lower.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if ((arg.charCodeAt(i) | 32) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Parsed SET / GETEX options: flags and the expire argument (or null). */
interface ExtOptions {
  flags: number;
  expire: string | null;
}

/**
 * Parses SET (from argv[3]) or GETEX (from argv[2]) options exactly as Redis 7.0's
 * parseExtendedStringArgumentsOrReply: conflicting options or an unknown word reply
 * `ERR syntax error`. @returns the options, or null after replying the error.
 */
function parseExtOptions(c: Client, argv: string[], isSet: boolean): ExtOptions | null {
  let flags = 0;
  let expire: string | null = null;
  const argc = argv.length;
  for (let j = isSet ? 3 : 2; j < argc; j++) {
    const opt = argv[j];
    const hasNext = j < argc - 1;
    if (isSet && kw(opt, 'nx') && (flags & F_XX) === 0) {
      flags |= F_NX;
    } else if (isSet && kw(opt, 'xx') && (flags & F_NX) === 0) {
      flags |= F_XX;
    } else if (isSet && kw(opt, 'get')) {
      flags |= F_GET;
    } else if (isSet && kw(opt, 'keepttl') && (flags & (F_PERSIST | F_ANY_EXPIRE)) === 0) {
      flags |= F_KEEPTTL;
    } else if (!isSet && kw(opt, 'persist') && (flags & (F_ANY_EXPIRE | F_KEEPTTL)) === 0) {
      flags |= F_PERSIST;
    } else if (kw(opt, 'ex') && (flags & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) === 0 && hasNext) {
      flags |= F_EX;
      expire = argv[++j];
    } else if (kw(opt, 'px') && (flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) === 0 && hasNext) {
      flags |= F_PX;
      expire = argv[++j];
    } else if (kw(opt, 'exat') && (flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) === 0 && hasNext) {
      flags |= F_EXAT;
      expire = argv[++j];
    } else if (kw(opt, 'pxat') && (flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) === 0 && hasNext) {
      flags |= F_PXAT;
      expire = argv[++j];
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  return { flags, expire };
}

/**
 * Turns an expire argument into an absolute Unix time in ms (Redis getExpireMillisecondsOrReply).
 * EX/EXAT are seconds, PX/PXAT ms; EX/PX are relative to the command time. Replies
 * `ERR value is not an integer or out of range`, or `ERR invalid expire time in '<cmd>' command`
 * for values <= 0, seconds that overflow when multiplied by 1000, or an int64 overflow.
 * @returns the time (a bigint when beyond 2^53), or null after replying.
 */
function expireMsOrReply(c: Client, arg: string, flags: number, cmdName: string): number | bigint | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.error(ERR_NOT_INTEGER);
    return null;
  }
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  const relative = (flags & (F_EX | F_PX)) !== 0;
  if (typeof v === 'number' && v > 0 && v < 1099511627776) {
    let ms = seconds ? v * 1000 : v;
    if (relative) ms += c.server.keyspace.now;
    return ms;
  }
  let b = BigInt(v);
  if (b <= 0n || (seconds && b > INT64_MAX / 1000n)) {
    c.error(ERR_INVALID_EXPIRE(cmdName));
    return null;
  }
  if (seconds) b *= 1000n;
  if (relative) b += BigInt(c.server.keyspace.now);
  if (b > INT64_MAX) {
    c.error(ERR_INVALID_EXPIRE(cmdName));
    return null;
  }
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

/**
 * Replies the string value of a key (nil when missing) as Redis getGenericCommand.
 * @returns false after replying WRONGTYPE (the caller stops), true otherwise.
 */
function getGeneric(c: Client, key: string): boolean {
  const o = c.db.lookupRead(key);
  if (o === undefined) c.reply.nullBulk();
  else if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return false;
  } else c.reply.bulk(o.value as string);
  return true;
}

/** Reply kinds of setGeneric: SET answers +OK / nil, SETNX answers :1 / :0. */
const REPLY_OK = 0;
const REPLY_ONE_ZERO = 1;

/**
 * The body shared by SET, SETNX, SETEX and PSETEX (Redis 7.0 setGenericCommand): validates the
 * expire, replies the old value with GET, honours NX/XX, stores the value (keeping the TTL only
 * with KEEPTTL), sets the expire and chooses the propagated form.
 */
function setGeneric(
  c: Client,
  argv: string[],
  flags: number,
  key: string,
  val: string,
  expire: string | null,
  cmdName: string,
  replyKind: number,
): void {
  let when: number | bigint = 0;
  if (expire !== null) {
    const w = expireMsOrReply(c, expire, flags, cmdName);
    if (w === null) return;
    when = w;
  }
  if ((flags & F_GET) !== 0 && !getGeneric(c, key)) return;
  const db = c.db;
  if ((flags & (F_NX | F_XX)) !== 0) {
    const found = db.lookupWrite(key) !== undefined;
    if (((flags & F_NX) !== 0 && found) || ((flags & F_XX) !== 0 && !found)) {
      if ((flags & F_GET) === 0) {
        if (replyKind === REPLY_OK) c.reply.nullBulk();
        else c.reply.integer(0);
      }
      return;
    }
    db.setKey(key, new RObject(ObjType.String, val), (flags & F_KEEPTTL) !== 0);
  } else {
    // One lookup for an existing key, lookup + insert for a new one (Db.setString).
    db.setString(key, val, (flags & F_KEEPTTL) !== 0);
  }
  const server = c.server;
  server.dirty++;
  server.notifyKeyspaceEvent('$', 'set', key, db.id);
  if (expire !== null) {
    db.setExpire(key, Number(when));
    server.propArgv = ['SET', key, val, 'PXAT', String(when)];
    server.notifyKeyspaceEvent('g', 'expire', key, db.id);
  }
  if ((flags & F_GET) === 0) {
    if (replyKind === REPLY_OK) c.reply.ok();
    else c.reply.integer(1);
  } else if (expire === null) {
    // Propagate without GET, so that replaying is a plain write.
    const out: string[] = [];
    for (let j = 0; j < argv.length; j++) {
      if (j >= 3 && kw(argv[j], 'get')) continue;
      out.push(argv[j]);
    }
    server.propArgv = out;
  }
}

/** GET key: the string value or nil; WRONGTYPE for other types (Redis docs: GET). */
function getCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const o = db.lookupReadView(argv[1]);
  if (o === STRING_VIEW) c.reply.bulkSlice(db.view.buf, db.view.start, db.view.end);
  else if (o === undefined) c.reply.nullBulk();
  else if (o.type !== ObjType.String) c.error(ERR_WRONGTYPE);
  else c.reply.bulk(o.value as string);
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] (Redis docs: SET).
 * Replies OK, nil when NX/XX prevented the write, or the old value with GET.
 */
function setCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    const key = argv[1];
    const db = c.db;
    db.setString(key, argv[2]);
    c.server.dirty++;
    c.server.notifyKeyspaceEvent('$', 'set', key, db.id);
    c.reply.ok();
    return;
  }
  const opts = parseExtOptions(c, argv, true);
  if (opts === null) return;
  setGeneric(c, argv, opts.flags, argv[1], argv[2], opts.expire, 'set', REPLY_OK);
}

/** SETNX key value: 1 if set, 0 if the key existed (Redis docs: SETNX). */
function setnxCommand(c: Client, argv: string[]): void {
  setGeneric(c, argv, F_NX, argv[1], argv[2], null, 'setnx', REPLY_ONE_ZERO);
}

/** SETEX key seconds value; propagated as SET ... PXAT (Redis docs: SETEX). */
function setexCommand(c: Client, argv: string[]): void {
  setGeneric(c, argv, F_EX, argv[1], argv[3], argv[2], 'setex', REPLY_OK);
}

/** PSETEX key milliseconds value; propagated as SET ... PXAT (Redis docs: PSETEX). */
function psetexCommand(c: Client, argv: string[]): void {
  setGeneric(c, argv, F_PX, argv[1], argv[3], argv[2], 'psetex', REPLY_OK);
}

/** GETSET key value: the old value (or nil), then SET without TTL; propagated as SET. */
function getsetCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!getGeneric(c, key)) return;
  const db = c.db;
  db.setKey(key, new RObject(ObjType.String, argv[2]));
  c.server.notifyKeyspaceEvent('$', 'set', key, db.id);
  c.server.dirty++;
  c.server.propArgv = ['SET', key, argv[2]];
}

/** GETDEL key: the value (or nil), then deletes the key; propagated as DEL (Redis docs: GETDEL). */
function getdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!getGeneric(c, key)) return;
  if (c.db.delete(key)) {
    c.server.propArgv = ['DEL', key];
    c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
    c.server.dirty++;
  }
}

/**
 * GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST] (Redis docs: GETEX): the value, then the TTL
 * change. Propagated as PEXPIREAT, PERSIST, or DEL when EXAT/PXAT is already in the past.
 */
function getexCommand(c: Client, argv: string[]): void {
  const opts = parseExtOptions(c, argv, false);
  if (opts === null) return;
  const key = argv[1];
  const db = c.db;
  const o = db.lookupRead(key);
  if (o === undefined) {
    c.reply.nullBulk();
    return;
  }
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const flags = opts.flags;
  let when: number | bigint = 0;
  if (opts.expire !== null) {
    const w = expireMsOrReply(c, opts.expire, flags, 'getex');
    if (w === null) return;
    when = w;
  }
  c.reply.bulk(o.value as string);
  const server = c.server;
  if ((flags & (F_EXAT | F_PXAT)) !== 0 && when <= server.keyspace.now && !server.loading && !server.keyspace.replicaMode) {
    db.delete(key);
    server.propArgv = ['DEL', key];
    server.notifyKeyspaceEvent('g', 'del', key, db.id);
    server.dirty++;
  } else if (opts.expire !== null) {
    db.setExpire(key, Number(when));
    server.propArgv = ['PEXPIREAT', key, String(when)];
    server.keyspace.hooks.keyModified(db, key);
    server.notifyKeyspaceEvent('g', 'expire', key, db.id);
    server.dirty++;
  } else if ((flags & F_PERSIST) !== 0) {
    if (db.removeExpire(key)) {
      server.keyspace.hooks.keyModified(db, key);
      server.propArgv = ['PERSIST', key];
      server.notifyKeyspaceEvent('g', 'persist', key, db.id);
      server.dirty++;
    }
  }
}

/** MGET key [key ...]: an array of values, nil for missing keys and non-strings (Redis docs: MGET). */
function mgetCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const n = argv.length;
  c.reply.arrayLen(n - 1);
  for (let j = 1; j < n; j++) {
    const o = db.lookupRead(argv[j]);
    if (o === undefined || o.type !== ObjType.String) c.reply.nullBulk();
    else c.reply.bulk(o.value as string);
  }
}

/** MSET / MSETNX body (Redis msetGenericCommand): an even number of key/value arguments is required. */
function msetGeneric(c: Client, argv: string[], nx: boolean): void {
  const n = argv.length;
  if (n % 2 === 0) {
    c.error(errArity(nx ? 'msetnx' : 'mset'));
    return;
  }
  const db = c.db;
  if (nx) {
    for (let j = 1; j < n; j += 2) {
      if (db.lookupWrite(argv[j]) !== undefined) {
        c.reply.integer(0);
        return;
      }
    }
  }
  for (let j = 1; j < n; j += 2) {
    db.setString(argv[j], argv[j + 1]);
    c.server.notifyKeyspaceEvent('$', 'set', argv[j], db.id);
  }
  c.server.dirty += (n - 1) / 2;
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

/** MSET key value [key value ...]: always OK (Redis docs: MSET). */
function msetCommand(c: Client, argv: string[]): void {
  msetGeneric(c, argv, false);
}

/** MSETNX key value [key value ...]: 1 if all were set, 0 if any key existed (Redis docs: MSETNX). */
function msetnxCommand(c: Client, argv: string[]): void {
  msetGeneric(c, argv, true);
}

/**
 * Adds `incr` to the integer stored at argv[1] (missing = 0), keeping the TTL
 * (Redis incrDecrCommand). Replies the new value, WRONGTYPE, `ERR value is not an integer or out
 * of range` for a non-integer value, or `ERR increment or decrement would overflow`.
 */
function incrDecr(c: Client, key: string, incr: number | bigint): void {
  const db = c.db;
  const o = db.lookupWriteView(key);
  let cur: number | bigint = 0;
  if (o !== undefined) {
    if (o.type !== ObjType.String) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const view = db.view;
    const v = o === STRING_VIEW ? parseInt64Bytes(view.buf, view.start, view.end) : parseInt64(o.value as string);
    if (v === null) {
      c.error(ERR_NOT_INTEGER);
      return;
    }
    cur = v;
  }
  let result: number | bigint;
  if (typeof cur === 'number' && typeof incr === 'number' && Number.isSafeInteger(cur + incr)) {
    result = cur + incr;
  } else {
    const r = BigInt(cur) + BigInt(incr);
    if (r > INT64_MAX || r < INT64_MIN) {
      c.error(ERR_OVERFLOW);
      return;
    }
    result = Number.isSafeInteger(Number(r)) ? Number(r) : r;
  }
  if (o !== undefined) {
    // Values are never shared between keys (COPY makes a new object): overwritten in place.
    if (typeof result === 'number') db.storeInteger(key, result);
    else db.storeString(key, String(result));
    c.server.keyspace.hooks.keyModified(db, key);
  } else db.setKey(key, new RObject(ObjType.String, String(result)));
  c.server.notifyKeyspaceEvent('$', 'incrby', key, db.id);
  c.server.dirty++;
  c.reply.integer(result);
}

/** INCR key (Redis docs: INCR). */
function incrCommand(c: Client, argv: string[]): void {
  incrDecr(c, argv[1], 1);
}

/** DECR key (Redis docs: DECR). */
function decrCommand(c: Client, argv: string[]): void {
  incrDecr(c, argv[1], -1);
}

/** INCRBY key increment (Redis docs: INCRBY). */
function incrbyCommand(c: Client, argv: string[]): void {
  const incr = parseInt64(argv[2]);
  if (incr === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  incrDecr(c, argv[1], incr);
}

/** DECRBY key decrement; -2^63 replies `ERR decrement would overflow` (Redis docs: DECRBY). */
function decrbyCommand(c: Client, argv: string[]): void {
  const incr = parseInt64(argv[2]);
  if (incr === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  if (incr === INT64_MIN) {
    c.error(ERR_DECR_OVERFLOW);
    return;
  }
  incrDecr(c, argv[1], typeof incr === 'number' ? -incr : -incr);
}

/**
 * INCRBYFLOAT key increment (Redis docs: INCRBYFLOAT): long double addition, result printed as
 * `%.17Lf` without trailing zeros; keeps the TTL; propagated as `SET key <result> KEEPTTL`.
 * Errors: WRONGTYPE, `ERR value is not a valid float`, `ERR increment would produce NaN or Infinity`.
 */
function incrbyfloatCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const db = c.db;
  const o = db.lookupWrite(key);
  if (o !== undefined && o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const cur = o === undefined ? { neg: false, m: 0n, e: 0 } : parseLongDouble(o.value as string);
  if (cur === null) {
    c.error(ERR_NOT_FLOAT);
    return;
  }
  const incr = parseLongDouble(argv[2]);
  if (incr === null) {
    c.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = cur === 'inf' || incr === 'inf' ? 'inf' : addLongDouble(cur, incr);
  if (sum === 'inf') {
    c.error(ERR_INCR_FLOAT_NAN);
    return;
  }
  const s = formatLongDouble(sum);
  if (o !== undefined) {
    o.value = s; // values are never shared between keys (COPY makes a new object)
    o.raw = false;
    db.storeValue(key, o);
    c.server.keyspace.hooks.keyModified(db, key);
  } else db.setKey(key, new RObject(ObjType.String, s));
  c.server.notifyKeyspaceEvent('$', 'incrbyfloat', key, db.id);
  c.server.dirty++;
  c.reply.bulk(s);
  c.server.propArgv = ['SET', key, s, 'KEEPTTL'];
}

/** V8's longest string (2^29 - 24 chars): a hard cap below Redis's default 512MB limit. */
const MAX_JS_STRING = (1 << 29) - 24;

/**
 * The largest string APPEND and SETRANGE may build, in bytes: proto-max-bulk-len, capped at
 * what a JS string can hold.
 */
function maxStringLen(c: Client): number {
  const n = c.server.config.num('proto-max-bulk-len');
  return Math.min(n, MAX_JS_STRING);
}

/** A string object built in place by Redis (an unshared sds): OBJECT ENCODING says raw (RObject.raw). */
export function rawString(s: string): RObject {
  const o = new RObject(ObjType.String, s);
  o.raw = true;
  return o;
}

/** APPEND key value: the new length; creates the key if missing (Redis docs: APPEND). */
function appendCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const add = argv[2];
  const db = c.db;
  const o = db.lookupWrite(key);
  let total: number;
  if (o === undefined) {
    db.setKey(key, new RObject(ObjType.String, add));
    total = add.length;
  } else {
    if (o.type !== ObjType.String) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const old = o.value as string;
    total = old.length + add.length;
    if (total > maxStringLen(c)) {
      c.error(ERR_STRING_TOO_LONG);
      return;
    }
    db.setKey(key, rawString(old + add), true);
  }
  c.server.notifyKeyspaceEvent('$', 'append', key, db.id);
  c.server.dirty++;
  c.reply.integer(total);
}

/** STRLEN key: the length in bytes, 0 when missing (Redis docs: STRLEN). */
function strlenCommand(c: Client, argv: string[]): void {
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) c.reply.integer(0);
  else if (o.type !== ObjType.String) c.error(ERR_WRONGTYPE);
  else c.reply.integer((o.value as string).length);
}

/**
 * GETRANGE key start end (and SUBSTR): the substring with inclusive, possibly negative offsets
 * (Redis 7.0 getrangeCommand), "" when missing or empty.
 */
function getrangeCommand(c: Client, argv: string[]): void {
  const s0 = parseInt64(argv[2]);
  if (s0 === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  const e0 = parseInt64(argv[3]);
  if (e0 === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) {
    c.reply.bulk('');
    return;
  }
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const str = o.value as string;
  const len = str.length;
  if (s0 < 0 && e0 < 0 && s0 > e0) {
    c.reply.bulk('');
    return;
  }
  // Offsets beyond ±2^53 behave like any offset beyond the string's length.
  let start = typeof s0 === 'bigint' ? (s0 < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER) : s0;
  let end = typeof e0 === 'bigint' ? (e0 < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER) : e0;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulk('');
  else c.reply.bulk(str.slice(start, end + 1));
}

/**
 * SETRANGE key offset value: overwrites from `offset`, zero-padding as needed; the new length
 * (Redis 7.0 setrangeCommand). Errors: `ERR offset is out of range` for a negative offset,
 * `ERR string exceeds maximum allowed size (proto-max-bulk-len)`.
 */
function setrangeCommand(c: Client, argv: string[]): void {
  const off = parseInt64(argv[2]);
  if (off === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  if (off < 0) {
    c.error(ERR_OFFSET_OUT_OF_RANGE);
    return;
  }
  const key = argv[1];
  const value = argv[3];
  const db = c.db;
  const o = db.lookupWrite(key);
  const offset = typeof off === 'bigint' ? Number.MAX_SAFE_INTEGER : off;
  let newLen: number;
  if (o === undefined) {
    if (value.length === 0) {
      c.reply.integer(0);
      return;
    }
    if (offset + value.length > maxStringLen(c)) {
      c.error(ERR_STRING_TOO_LONG);
      return;
    }
    const s = '\0'.repeat(offset) + value;
    db.setKey(key, rawString(s));
    newLen = s.length;
  } else {
    if (o.type !== ObjType.String) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const old = o.value as string;
    if (value.length === 0) {
      c.reply.integer(old.length);
      return;
    }
    if (offset + value.length > maxStringLen(c)) {
      c.error(ERR_STRING_TOO_LONG);
      return;
    }
    const end = offset + value.length;
    const s =
      offset >= old.length
        ? old + '\0'.repeat(offset - old.length) + value
        : old.slice(0, offset) + value + (end < old.length ? old.slice(end) : '');
    db.setKey(key, rawString(s), true);
    newLen = s.length;
  }
  c.server.notifyKeyspaceEvent('$', 'setrange', key, db.id);
  c.server.dirty++;
  c.reply.integer(newLen);
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] (Redis 7.0 lcsCommand): the longest
 * common subsequence, its length, or the matching ranges (last match first), with Redis's
 * dynamic-programming table and backtracking so ties resolve identically. Missing keys are "".
 * The table's size ((len1+1)×(len2+1)×4 bytes) is limited by proto-max-bulk-len.
 */
function lcsCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const oa = db.lookupRead(argv[1]);
  const ob = db.lookupRead(argv[2]);
  if ((oa !== undefined && oa.type !== ObjType.String) || (ob !== undefined && ob.type !== ObjType.String)) {
    c.error(ERR_LCS_NOT_STRINGS);
    return;
  }
  const a = oa === undefined ? '' : (oa.value as string);
  const b = ob === undefined ? '' : (ob.value as string);
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  const argc = argv.length;
  for (let j = 3; j < argc; j++) {
    const opt = argv[j];
    const moreargs = argc - 1 - j;
    if (kw(opt, 'idx')) getidx = true;
    else if (kw(opt, 'len')) getlen = true;
    else if (kw(opt, 'withmatchlen')) withmatchlen = true;
    else if (kw(opt, 'minmatchlen') && moreargs > 0) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      minmatchlen = v < 0 ? 0 : typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (getidx && getlen) {
    c.error(ERR_LCS_BOTH_LEN_IDX);
    return;
  }
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  if ((alen + 1) * w * 4 > c.server.config.num('proto-max-bulk-len')) {
    c.error(ERR_LCS_MEM_LIMIT);
    return;
  }
  const lcs = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b.charCodeAt(j - 1)) lcs[row + j] = lcs[prev + j - 1] + 1;
      else {
        const l1 = lcs[prev + j];
        const l2 = lcs[row + j - 1];
        lcs[row + j] = Math.max(l1, l2);
      }
    }
  }
  const total = lcs[alen * w + blen];
  const computelcs = getidx || !getlen;
  const out: number[] = computelcs ? new Array(total) : [];
  let idx = total;
  let mark = -1;
  let arraylen = 0;
  const reply = c.reply;
  if (getidx) {
    reply.mapLen(2);
    reply.bulk('matches');
    mark = reply.deferLen();
  }
  let i = alen;
  let j = blen;
  let arangeStart = alen; // alen: no range open
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      out[idx - 1] = a.charCodeAt(i - 1);
      if (arangeStart === alen) {
        arangeStart = i - 1;
        arangeEnd = i - 1;
        brangeStart = j - 1;
        brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        arangeStart--;
        brangeStart--;
      } else {
        emit = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = lcs[(i - 1) * w + j];
      const l2 = lcs[i * w + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (arangeStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = arangeEnd - arangeStart + 1;
      if ((minmatchlen === 0 || matchLen >= minmatchlen) && mark !== -1) {
        reply.arrayLen(withmatchlen ? 3 : 2);
        reply.arrayLen(2);
        reply.integer(arangeStart);
        reply.integer(arangeEnd);
        reply.arrayLen(2);
        reply.integer(brangeStart);
        reply.integer(brangeEnd);
        if (withmatchlen) reply.integer(matchLen);
        arraylen++;
      }
      arangeStart = alen;
    }
  }
  if (mark !== -1) {
    reply.setDeferredArrayLen(mark, arraylen);
    reply.bulk('len');
    reply.integer(total);
  } else if (getlen) {
    reply.integer(total);
  } else {
    let s = '';
    for (let k = 0; k < out.length; k += 4096) s += String.fromCharCode(...out.slice(k, k + 4096));
    reply.bulk(s);
  }
}

const commands: CommandDef[] = [
  { name: 'get', handler: getCommand },
  { name: 'set', handler: setCommand },
  { name: 'setnx', handler: setnxCommand },
  { name: 'setex', handler: setexCommand },
  { name: 'psetex', handler: psetexCommand },
  { name: 'getset', handler: getsetCommand },
  { name: 'getdel', handler: getdelCommand },
  { name: 'getex', handler: getexCommand },
  { name: 'mget', handler: mgetCommand },
  { name: 'mset', handler: msetCommand },
  { name: 'msetnx', handler: msetnxCommand },
  { name: 'incr', handler: incrCommand },
  { name: 'decr', handler: decrCommand },
  { name: 'incrby', handler: incrbyCommand },
  { name: 'decrby', handler: decrbyCommand },
  { name: 'incrbyfloat', handler: incrbyfloatCommand },
  { name: 'append', handler: appendCommand },
  { name: 'strlen', handler: strlenCommand },
  { name: 'getrange', handler: getrangeCommand },
  { name: 'substr', handler: getrangeCommand },
  { name: 'setrange', handler: setrangeCommand },
  { name: 'lcs', handler: lcsCommand },
];
export default commands;
