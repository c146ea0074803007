/**
 * Hash commands. Values are RHash (src/store/hash.ts) in RObject(ObjType.Hash).
 * Source: Redis 7.0 docs and t_hash.c.
 */
import { ERR_SYNTAX, ERR_WRONGTYPE, errArity } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import { RHash } from '../../store/hash.js';
import { isKeyword, parseInt64, replyCountOk } from '../args.js';
import { parseCursorOrReply, parseScanOptionsOrReply, replyEmptyScan, scanMatch, scanWindow } from '../sets/scan.js';
import type { CommandDef } from '../types.js';
import { ldAddFormat } from '../longdouble.js';

const ERR_HASH_NOT_INT = 'ERR hash value is not an integer';
const ERR_HASH_NOT_FLOAT = 'ERR hash value is not a float';
const ERR_VALUE_NAN_INF = 'ERR value is NaN or Infinity';
const ERR_INCR_NAN_INF = 'ERR increment would produce NaN or Infinity';
const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
const ERR_OUT_OF_RANGE_POSITIVE = 'ERR value is out of range';
const HALF_LONG_MAX = (2n ** 63n - 1n) / 2n;

/** Reads a hash for a read command: the RHash, null (missing, nothing replied) or undefined (WRONGTYPE replied). */
function readHash(c: Client, key: string): RHash | null | undefined {
  const o = c.db.lookupRead(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.Hash) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as RHash;
}

/** Looks a hash up for writing, creating it if absent; undefined after replying WRONGTYPE. */
function writeHashOrCreate(c: Client, key: string): RHash | undefined {
  const o = c.db.lookupWrite(key);
  if (o === undefined) {
    const h = new RHash();
    c.db.add(key, new RObject(ObjType.Hash, h));
    return h;
  }
  if (o.type !== ObjType.Hash) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as RHash;
}

/** After a write: WATCH signal, dirty, notification. */
function touched(c: Client, key: string, event: string, n = 1): void {
  c.server.keyspace.hooks.keyModified(c.db, key);
  c.server.dirty += n;
  c.server.notifyKeyspaceEvent('h', event, key, c.db.id);
}

/** HSET key field value [field value ...]: number of new fields (Redis docs: HSET). HMSET replies OK. */
function hsetCommand(c: Client, argv: string[]): void {
  if (argv.length % 2 === 1) {
    c.error(errArity(argv[0].toLowerCase()));
    return;
  }
  const h = writeHashOrCreate(c, argv[1]);
  if (h === undefined) return;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i], argv[i + 1])) created++;
  touched(c, argv[1], 'hset', (argv.length - 2) / 2);
  if (isKeyword(argv[0], 'hmset')) c.reply.ok();
  else c.reply.integer(created);
}

/** HSETNX key field value: 1 if set, 0 if the field existed. */
function hsetnxCommand(c: Client, argv: string[]): void {
  const h = writeHashOrCreate(c, argv[1]);
  if (h === undefined) return;
  if (h.has(argv[2])) {
    c.reply.integer(0);
    return;
  }
  h.set(argv[2], argv[3]);
  touched(c, argv[1], 'hset');
  c.reply.integer(1);
}

function hgetCommand(c: Client, argv: string[]): void {
  const h = readHash(c, argv[1]);
  if (h === undefined) return;
  const v = h?.get(argv[2]);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulk(v);
}

function hmgetCommand(c: Client, argv: string[]): void {
  const h = readHash(c, argv[1]);
  if (h === undefined) return;
  c.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = h?.get(argv[i]);
    if (v === undefined) c.reply.nullBulk();
    else c.reply.bulk(v);
  }
}

/** HGETALL / HKEYS / HVALS (Redis genericHgetallCommand). HGETALL is a map in RESP3. */
function hgetallGeneric(c: Client, key: string, keys: boolean, vals: boolean): void {
  const h = readHash(c, key);
  if (h === undefined) return;
  if (h === null) {
    if (keys && vals) c.reply.mapLen(0);
    else c.reply.arrayLen(0);
    return;
  }
  const n = h.size;
  if (keys && vals) c.reply.mapLen(n);
  else c.reply.arrayLen(n);
  for (let i = 0; i < n; i++) {
    if (keys) c.reply.bulk(h.fieldAt(i));
    if (vals) c.reply.bulk(h.valueAt(i));
  }
}

function hgetallCommand(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv[1], true, true);
}
function hkeysCommand(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv[1], true, false);
}
function hvalsCommand(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv[1], false, true);
}

/** HDEL key field [field ...]: number removed; deletes the key when emptied. */
function hdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const o = c.db.lookupWrite(key);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  if (o.type !== ObjType.Hash) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const h = o.value as RHash;
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    if (h.delete(argv[i])) {
      deleted++;
      if (h.size === 0) {
        c.db.deleteKey(key);
        keyRemoved = true;
        break;
      }
    }
  }
  if (deleted) {
    touched(c, key, 'hdel', deleted);
    if (keyRemoved) c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
  }
  c.reply.integer(deleted);
}

function hlenCommand(c: Client, argv: string[]): void {
  const h = readHash(c, argv[1]);
  if (h !== undefined) c.reply.integer(h === null ? 0 : h.size);
}

function hexistsCommand(c: Client, argv: string[]): void {
  const h = readHash(c, argv[1]);
  if (h !== undefined) c.reply.integer(h?.has(argv[2]) ? 1 : 0);
}

function hstrlenCommand(c: Client, argv: string[]): void {
  const h = readHash(c, argv[1]);
  if (h !== undefined) c.reply.integer(h?.get(argv[2])?.length ?? 0);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** HINCRBY key field increment: the new value; errors as Redis hincrbyCommand. */
function hincrbyCommand(c: Client, argv: string[]): void {
  const incr = parseInt64(argv[3]);
  if (incr === null) {
    c.error('ERR value is not an integer or out of range');
    return;
  }
  const h = writeHashOrCreate(c, argv[1]);
  if (h === undefined) return;
  const cur = h.get(argv[2]);
  let value: number | bigint = 0;
  if (cur !== undefined) {
    const v = parseInt64(cur);
    if (v === null) {
      c.error(ERR_HASH_NOT_INT);
      return;
    }
    value = v;
  }
  let result: number | bigint;
  if (typeof value === 'number' && typeof incr === 'number' && Number.isSafeInteger(value + incr)) {
    result = value + incr;
  } else {
    const r = BigInt(value) + BigInt(incr);
    if (r < INT64_MIN || r > INT64_MAX) {
      c.error(ERR_OVERFLOW);
      return;
    }
    result = r;
  }
  h.set(argv[2], String(result));
  touched(c, argv[1], 'hincrby');
  c.reply.integer(result);
}

/**
 * HINCRBYFLOAT key field increment: adds in 80-bit long double as Redis does and replies the
 * `%.17Lf`-trimmed result; propagates as HSET key field result.
 */
function hincrbyfloatCommand(c: Client, argv: string[]): void {
  const incr = argv[3];
  const chk = ldAddFormat('0', incr);
  if (chk === null) {
    c.error('ERR value is not a valid float');
    return;
  }
  if (chk === 'inf') {
    c.error(ERR_VALUE_NAN_INF);
    return;
  }
  const h = writeHashOrCreate(c, argv[1]);
  if (h === undefined) return;
  const cur = h.get(argv[2]) ?? '0';
  const r = ldAddFormat(cur, incr);
  if (r === null) {
    c.error(ERR_HASH_NOT_FLOAT);
    return;
  }
  if (r === 'inf') {
    c.error(ERR_INCR_NAN_INF);
    return;
  }
  h.set(argv[2], r);
  touched(c, argv[1], 'hincrbyfloat');
  c.server.propArgv = ['HSET', argv[1], argv[2], r];
  c.reply.bulk(r);
}

/**
 * HRANDFIELD key [count [WITHVALUES]] (Redis 7.0 hrandfieldWithCountCommand): positive count →
 * distinct fields (at most the hash size), negative → |count| picks with repetition. RESP3
 * WITHVALUES replies an array of [field, value] pairs.
 */
function hrandfieldCommand(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const h = readHash(c, argv[1]);
    if (h === undefined) return;
    if (h === null) c.reply.nullBulk();
    else c.reply.bulk(h.fieldAt(Math.floor(Math.random() * h.size)));
    return;
  }
  const raw = parseInt64(argv[2]);
  if (raw === null) {
    c.error('ERR value is not an integer or out of range');
    return;
  }
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], 'withvalues'))) {
    c.error(ERR_SYNTAX);
    return;
  }
  const withValues = argv.length === 4;
  if (withValues && typeof raw === 'bigint' && (raw < -HALF_LONG_MAX || raw > HALF_LONG_MAX)) {
    c.error(ERR_OUT_OF_RANGE_POSITIVE);
    return;
  }
  const l = typeof raw === 'number' ? raw : raw < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  const uniq = l >= 0;
  const count = uniq ? l : -l;
  const h = readHash(c, argv[1]);
  if (h === undefined) return;
  if (h === null || count === 0) {
    c.reply.arrayLen(0);
    return;
  }
  if (!uniq && !replyCountOk(c, count)) return;
  const resp3 = c.reply.resp === 3;
  const emit = (i: number): void => {
    if (withValues && resp3) c.reply.arrayLen(2);
    c.reply.bulk(h.fieldAt(i));
    if (withValues) c.reply.bulk(h.valueAt(i));
  };
  const mult = withValues && !resp3 ? 2 : 1;
  const size = h.size;
  if (!uniq || count === 1) {
    c.reply.arrayLen(count * mult);
    // Stops once the client is closed for its output (Redis checks CLIENT_CLOSE_ASAP here).
    for (let k = 0; k < count && !c.closeAsap; k++) emit(Math.floor(Math.random() * size));
    return;
  }
  if (count >= size) {
    c.reply.arrayLen(size * mult);
    for (let i = 0; i < size; i++) emit(i);
    return;
  }
  c.reply.arrayLen(count * mult);
  for (const i of sampleDistinct(size, count)) emit(i);
}

/**
 * `count` distinct indexes in [0, size) (count < size): Floyd's sampling for small counts,
 * a partial Fisher-Yates shuffle otherwise. O(count) expected.
 */
export function sampleDistinct(size: number, count: number): number[] {
  if (count * 4 < size) {
    const chosen = new Set<number>();
    for (let j = size - count; j < size; j++) {
      const t = Math.floor(Math.random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen];
  }
  const idx = new Array<number>(size);
  for (let i = 0; i < size; i++) idx[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  idx.length = count;
  return idx;
}

/** HSCAN key cursor [MATCH pattern] [COUNT count] (see ../sets/scan.ts). */
function hscanCommand(c: Client, argv: string[]): void {
  const cursor = parseCursorOrReply(c, argv[2]);
  if (cursor === null) return;
  const h = readHash(c, argv[1]);
  if (h === undefined) return;
  if (h === null) {
    replyEmptyScan(c);
    return;
  }
  const opts = parseScanOptionsOrReply(c, argv, 3);
  if (opts === null) return;
  const [next, start, end] = scanWindow(cursor, h.size, opts.count, h.encoding === 'listpack');
  c.reply.arrayLen(2);
  c.reply.bulk(String(next));
  const mark = c.reply.deferLen();
  let n = 0;
  for (let i = start; i < end; i++) {
    if (!scanMatch(opts.pattern, h.fieldAt(i))) continue;
    c.reply.bulk(h.fieldAt(i));
    c.reply.bulk(h.valueAt(i));
    n += 2;
  }
  c.reply.setDeferredArrayLen(mark, n);
}

const commands: CommandDef[] = [
  { name: 'hset', handler: hsetCommand },
  { name: 'hmset', handler: hsetCommand },
  { name: 'hsetnx', handler: hsetnxCommand },
  { name: 'hget', handler: hgetCommand },
  { name: 'hmget', handler: hmgetCommand },
  { name: 'hgetall', handler: hgetallCommand },
  { name: 'hkeys', handler: hkeysCommand },
  { name: 'hvals', handler: hvalsCommand },
  { name: 'hdel', handler: hdelCommand },
  { name: 'hlen', handler: hlenCommand },
  { name: 'hexists', handler: hexistsCommand },
  { name: 'hstrlen', handler: hstrlenCommand },
  { name: 'hincrby', handler: hincrbyCommand },
  { name: 'hincrbyfloat', handler: hincrbyfloatCommand },
  { name: 'hrandfield', handler: hrandfieldCommand },
  { name: 'hscan', handler: hscanCommand },
];
export default commands;
