/**
 * Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, RENAME(NX), COPY, MOVE, TOUCH, RANDOMKEY,
 * KEYS, SCAN, OBJECT, the EXPIRE family, TTL family and PERSIST.
 *
 * Every lookup goes through Db's lookup/peek helpers, so lazy expiry applies. Expire times are
 * absolute Unix ms. Writes propagate as Redis 7.0 does: EXPIRE/PEXPIRE/EXPIREAT as PEXPIREAT with
 * an absolute ms time, an expire already in the past as DEL.
 * Source: Redis 7.0 docs, db.c (del/exists/rename/move/copy/scan/keys/randomkey), expire.c
 * (expireGenericCommand, ttlGenericCommand, persistCommand), object.c (objectCommand).
 */
import { parseInt64 } from '../args.js';
import {
  ERR_COPY_CLUSTER,
  ERR_DB_INDEX,
  ERR_MOVE_CLUSTER,
  ERR_EXPIRE_GT_LT,
  ERR_EXPIRE_NX_COMPAT,
  ERR_INT32_RANGE,
  ERR_INVALID_CURSOR,
  ERR_INVALID_EXPIRE,
  ERR_LFU_NOT_SELECTED,
  ERR_LFU_SELECTED,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SAME_OBJECT,
  ERR_SYNTAX,
  errCopyUnsupported,
  errUnsupportedOption,
} from '../../errors.js';
import type { Client } from '../../server/client.js';
import { type Db, type KeyTable, ObjType, RObject, TYPE_NAMES } from '../../store/db.js';
import { lfuDecrAndReturn, lruIdleSeconds } from '../../evict/index.js';
import { globMatch } from '../../store/glob.js';
import { parseScanCursor, ScanCursorCache, scanMap } from '../../store/scan.js';
import type { CommandDef } from '../types.js';
import { freeObjectAsync } from './lazyfree.js';

const INT64_MAX = 9223372036854775807n;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Looks a key up without touching its LRU but counting hits/misses, honouring expiry (Redis
 * lookupKeyReadWithFlags with LOOKUP_NOTOUCH: TYPE, EXISTS, TTL, OBJECT).
 */
function peekCounted(c: Client, key: string): RObject | undefined {
  const o = c.db.peek(key);
  const stats = c.server.keyspace.stats;
  if (o === undefined) stats.keyspace_misses++;
  else stats.keyspace_hits++;
  return o;
}

/** Signals a key change to WATCH / client tracking (Redis signalModifiedKey). */
function modified(c: Client, db: Db, key: string): void {
  c.server.keyspace.hooks.keyModified(db, key);
}

/**
 * Moves a value (and its expire time, ms, -1 for none) from one key to another, in the same or
 * another db, signalling both keys (WATCH); `Db.add` wakes clients blocked on the destination.
 * Used by RENAME and MOVE; the caller has removed any existing destination.
 */
function relocateKey(c: Client, fromDb: Db, from: string, toDb: Db, to: string, o: RObject, expire: number): void {
  fromDb.deleteKey(from);
  toDb.add(to, o);
  if (expire !== -1) toDb.setExpire(to, expire);
  modified(c, fromDb, from);
  modified(c, toDb, to);
}

// ---- DEL, UNLINK, EXISTS, TYPE, TOUCH -------------------------------------------------------

/** DEL key [key ...]: number of keys removed; `del` event each (Redis delCommand). */
function delCommand(c: Client, argv: string[]): void {
  delGeneric(c, argv, c.server.config.bool('lazyfree-lazy-user-del'));
}

/**
 * DEL/UNLINK key [key ...] (Redis delGenericCommand): `lazy` (UNLINK, or DEL with
 * lazyfree-lazy-user-del) hands big values to the background free (lazyfree.ts).
 */
function delGeneric(c: Client, argv: string[], lazy: boolean): void {
  let n = 0;
  const db = c.db;
  for (let i = 1; i < argv.length; i++) {
    const o = lazy ? db.table.get(argv[i]) : undefined;
    if (db.delete(argv[i])) {
      if (o !== undefined) freeObjectAsync(c.server, argv[i], o);
      n++;
      c.server.notifyKeyspaceEvent('g', 'del', argv[i], db.id);
      c.server.dirty++;
    }
  }
  c.reply.integer(n);
}

/** EXISTS key [key ...]: how many of the keys exist, repeated keys counted each time (Redis docs: EXISTS). */
function existsCommand(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (peekCounted(c, argv[i]) !== undefined) n++;
  c.reply.integer(n);
}

/** TYPE key: simple string type name, `none` when missing (Redis typeCommand, no LRU touch). */
function typeCommand(c: Client, argv: string[]): void {
  const o = peekCounted(c, argv[1]);
  c.reply.simple(o === undefined ? 'none' : TYPE_NAMES[o.type]);
}

/** TOUCH key [key ...]: number of existing keys, whose access time is updated (Redis touchCommand). */
function touchCommand(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookupRead(argv[i]) !== undefined) n++;
  c.reply.integer(n);
}

// ---- RENAME, RENAMENX, MOVE, COPY ---------------------------------------------------------

/**
 * RENAME / RENAMENX src dst (Redis renameGenericCommand): `ERR no such key` when src is missing;
 * the TTL moves with the value; RENAMENX replies 0 when dst exists (and for src == dst).
 * Events `rename_from` on src, `rename_to` on dst.
 */
function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const src = argv[1];
  const dst = argv[2];
  const db = c.db;
  const o = db.lookupWrite(src);
  if (o === undefined) {
    c.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (src === dst) {
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  const expire = db.getExpire(src);
  if (db.lookupWrite(dst) !== undefined) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    db.deleteKey(dst);
  }
  relocateKey(c, db, src, db, dst, o, expire);
  c.server.notifyKeyspaceEvent('g', 'rename_from', src, db.id);
  c.server.notifyKeyspaceEvent('g', 'rename_to', dst, db.id);
  c.server.dirty++;
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function renameCommand(c: Client, argv: string[]): void {
  renameGeneric(c, argv, false);
}

function renamenxCommand(c: Client, argv: string[]): void {
  renameGeneric(c, argv, true);
}

/**
 * Parses a db index as Redis getIntFromObjectOrReply + selectDb. Replies `ERR value is not an
 * integer or out of range`, the int32 range error, or `ERR DB index is out of range`.
 * @returns the Db or null (error replied).
 */
function dbArgOrReply(c: Client, s: string): Db | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(ERR_NOT_INTEGER);
    return null;
  }
  if (typeof v !== 'number' || v < INT32_MIN || v > INT32_MAX) {
    c.error(ERR_INT32_RANGE);
    return null;
  }
  const dbs = c.server.keyspace.dbs;
  if (v < 0 || v >= dbs.length) {
    c.error(ERR_DB_INDEX);
    return null;
  }
  return dbs[v];
}

/**
 * MOVE key db: 1 if moved, 0 if the key is missing or exists in the target db (Redis moveCommand).
 * Errors: `ERR source and destination objects are the same`, `ERR DB index is out of range`.
 */
function moveCommand(c: Client, argv: string[]): void {
  if (c.server.cluster !== null) {
    c.error(ERR_MOVE_CLUSTER);
    return;
  }
  const key = argv[1];
  const src = c.db;
  const dst = dbArgOrReply(c, argv[2]);
  if (dst === null) return;
  if (dst === src) {
    c.error(ERR_SAME_OBJECT);
    return;
  }
  const o = src.lookupWrite(key);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.lookupWrite(key) !== undefined) {
    c.reply.integer(0);
    return;
  }
  relocateKey(c, src, key, dst, key, o, expire);
  c.server.notifyKeyspaceEvent('g', 'move_from', key, src.id);
  c.server.notifyKeyspaceEvent('g', 'move_to', key, dst.id);
  c.server.dirty++;
  c.reply.integer(1);
}

/**
 * A deep copy of a value object: strings are immutable, other structures offer `clone()`.
 * @returns null if the structure cannot be cloned (a type without `clone()`).
 */
function cloneObject(o: RObject): RObject | null {
  if (o.type === ObjType.String) return new RObject(o.type, o.value);
  const v = o.value as { clone?: () => unknown };
  if (typeof v.clone !== 'function') return null;
  return new RObject(o.type, v.clone());
}

/**
 * COPY source destination [DB destination-db] [REPLACE] (Redis copyCommand): 1 if copied, 0 if
 * the source is missing or the destination exists without REPLACE. The value is deep-copied and
 * the TTL copied. Event `copy_to` on the destination.
 */
function copyCommand(c: Client, argv: string[]): void {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j].toLowerCase();
    if (a === 'replace') {
      replace = true;
    } else if (a === 'db' && j < argv.length - 1) {
      const d = dbArgOrReply(c, argv[j + 1]);
      if (d === null) return;
      dst = d;
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (c.server.cluster !== null && (src.id !== 0 || dst.id !== 0)) {
    c.error(ERR_COPY_CLUSTER);
    return;
  }
  const key = argv[1];
  const newkey = argv[2];
  if (src === dst && key === newkey) {
    c.error(ERR_SAME_OBJECT);
    return;
  }
  const o = src.lookupWrite(key);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  const copy = cloneObject(o);
  if (copy === null) {
    c.error(errCopyUnsupported(TYPE_NAMES[o.type]));
    return;
  }
  const expire = src.getExpire(key);
  if (dst.lookupWrite(newkey) !== undefined) {
    if (!replace) {
      c.reply.integer(0);
      return;
    }
    dst.deleteKey(newkey);
  }
  dst.add(newkey, copy);
  if (expire !== -1) dst.setExpire(newkey, expire);
  modified(c, dst, newkey);
  c.server.signalKeyAsReady(dst, newkey);
  c.server.notifyKeyspaceEvent('g', 'copy_to', newkey, dst.id);
  c.server.dirty++;
  c.reply.integer(1);
}

// ---- RANDOMKEY, KEYS, SCAN ----------------------------------------------------------------

/**
 * RANDOMKEY: a random live key or nil (Redis dbRandomKey: expired picks are reclaimed and retried;
 * as a replica where every key is volatile, gives up after 100 tries and returns the last pick).
 */
function randomkeyCommand(c: Client, _argv: string[]): void {
  const db = c.db;
  const allVolatile = db.size === db.expires.size;
  let tries = 100;
  for (;;) {
    const key = db.randomKey();
    if (key === undefined) {
      c.reply.nullBulk();
      return;
    }
    if (db.expires.has(key)) {
      if (allVolatile && c.server.keyspace.replicaMode && --tries === 0) {
        c.reply.bulk(key);
        return;
      }
      if (db.expireIfNeeded(key)) {
        if (c.server.keyspace.replicaMode) {
          // Hidden but not deleted: pick again among the others (bounded by tries).
          if (--tries <= 0) {
            c.reply.bulk(key);
            return;
          }
        }
        continue;
      }
    }
    c.reply.bulk(key);
    return;
  }
}

/** True if the key has an expire time that has passed (Redis keyIsExpired; no deletion). */
function isExpired(db: Db, key: string, now: number): boolean {
  const when = db.expires.get(key);
  return when !== undefined && when <= now;
}

/** KEYS pattern: every live key matching the glob, in no particular order (Redis keysCommand). */
function keysCommand(c: Client, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === '*';
  const db = c.db;
  const now = c.server.keyspace.now;
  const hasExpires = db.expires.size !== 0;
  const mark = c.reply.deferLen();
  let n = 0;
  for (const key of db.table.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    if (hasExpires && isExpired(db, key, now)) continue;
    c.reply.bulk(key);
    n++;
    if (c.closeAsap) break; // closed for its output: the rest would be dropped (Redis keysCommand)
  }
  c.reply.setDeferredArrayLen(mark, n);
}

/** Parked SCAN iterations per db. */
const scanCaches = new WeakMap<Db, { table: KeyTable; cache: ScanCursorCache }>();

function seqOf(o: RObject): number {
  return o.seq;
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (Redis scanGenericCommand, 7.0):
 * `[cursor, [keys...]]`. COUNT (default 10, ≥ 1, else `ERR syntax error`) keys are examined per
 * call; MATCH and TYPE filter after examining; expired keys are reclaimed and skipped. An unknown
 * TYPE matches nothing. Errors: `ERR invalid cursor`, `ERR syntax error`, the integer error.
 * Iteration design and guarantee: src/store/scan.ts.
 */
function scanCommand(c: Client, argv: string[]): void {
  const cursor = parseScanCursor(argv[1]);
  if (cursor === null) {
    c.error(ERR_INVALID_CURSOR);
    return;
  }
  let count = 10;
  let pattern: string | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const hasArg = i + 1 < argv.length;
    if (opt === 'count' && hasArg) {
      const v = parseInt64(argv[i + 1]);
      if (v === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      if (v < 1) {
        c.error(ERR_SYNTAX);
        return;
      }
      count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else if (opt === 'match' && hasArg) {
      pattern = argv[i + 1] === '*' ? null : argv[i + 1];
    } else if (opt === 'type' && hasArg) {
      typeName = argv[i + 1].toLowerCase();
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const db = c.db;
  let sc = scanCaches.get(db);
  if (sc === undefined || sc.table !== db.table) {
    // New db, or the dict was replaced (FLUSHDB, SWAPDB): drop iterations parked on the old one.
    sc = { table: db.table, cache: new ScanCursorCache() };
    scanCaches.set(db, sc);
  }
  const cache = sc.cache;
  const keys: string[] = [];
  const now = c.server.keyspace.now;
  const next = scanMap(
    cache,
    db.table,
    cursor,
    count,
    (key, o) => {
      if (pattern !== null && !globMatch(pattern, key)) return;
      if (typeName !== null && TYPE_NAMES[o.type] !== typeName) return;
      if (db.expires.size !== 0 && isExpired(db, key, now)) {
        db.expireIfNeeded(key);
        return;
      }
      keys.push(key);
    },
    seqOf,
  );
  c.reply.arrayLen(2);
  c.reply.bulk(String(next));
  c.reply.arrayLen(keys.length);
  for (const k of keys) c.reply.bulk(k);
}

// ---- OBJECT -------------------------------------------------------------------------------

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** Redis OBJ_SHARED_REFCOUNT: the refcount of shared integer objects (0..9999). */
const SHARED_REFCOUNT = 2147483647;

/** True if a string would be int-encoded by Redis (string2l: canonical int64, ≤ 20 bytes). */
function isIntEncodable(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

/**
 * The encoding name OBJECT ENCODING reports. Strings: `int` (canonical int64), `embstr`
 * (≤ 44 bytes) or `raw`; other types ask their structure's `encoding` getter.
 */
export function objectEncoding(o: RObject): string {
  if (o.type === ObjType.String) {
    if (o.raw) return 'raw';
    const s = o.value as string;
    if (isIntEncodable(s)) return 'int';
    return s.length <= 44 ? 'embstr' : 'raw';
  }
  return (o.value as { encoding?: string }).encoding ?? 'unknown';
}

/** Looks up OBJECT's key without touching it; replies null when missing. */
function objectLookup(c: Client, key: string): RObject | undefined {
  const o = peekCounted(c, key);
  if (o === undefined) c.reply.nullBulk();
  return o;
}

function lfuPolicy(c: Client): boolean {
  return c.server.config.str('maxmemory-policy').includes('lfu');
}

/** OBJECT HELP: the help lines as status replies (Redis addReplyHelp). */
function objectHelpCommand(c: Client, _argv: string[]): void {
  c.reply.arrayLen(OBJECT_HELP.length);
  for (const l of OBJECT_HELP) c.reply.simple(l);
}

/** OBJECT ENCODING key: encoding name or nil. */
function objectEncodingCommand(c: Client, argv: string[]): void {
  const o = objectLookup(c, argv[2]);
  if (o !== undefined) c.reply.bulk(objectEncoding(o));
}

/**
 * OBJECT REFCOUNT key: 2147483647 for values Redis would hold as shared integers (0..9999, when
 * no LRU/LFU maxmemory policy needs per-object metadata), else 1.
 */
function objectRefcountCommand(c: Client, argv: string[]): void {
  const o = objectLookup(c, argv[2]);
  if (o === undefined) return;
  let rc = 1;
  if (o.type === ObjType.String) {
    const s = o.value as string;
    const v = s.length <= 4 ? parseInt64(s) : null;
    if (typeof v === 'number' && v >= 0 && v < 10000) {
      const policy = c.server.config.str('maxmemory-policy');
      const noShared = c.server.maxmemory > 0 && (policy.includes('lru') || policy.includes('lfu'));
      if (!noShared) rc = SHARED_REFCOUNT;
    }
  }
  c.reply.integer(rc);
}

/** OBJECT IDLETIME key: seconds since last access from the LRU clock; error under an LFU policy. */
function objectIdletimeCommand(c: Client, argv: string[]): void {
  const o = objectLookup(c, argv[2]);
  if (o === undefined) return;
  if (lfuPolicy(c)) {
    c.error(ERR_LFU_SELECTED);
    return;
  }
  c.reply.integer(Math.floor(lruIdleSeconds(o.lru, c.server.keyspace.now)));
}

/** OBJECT FREQ key: the LFU counter (low 8 bits of `lru`); error unless an LFU policy is set. */
function objectFreqCommand(c: Client, argv: string[]): void {
  const o = objectLookup(c, argv[2]);
  if (o === undefined) return;
  if (!lfuPolicy(c)) {
    c.error(ERR_LFU_NOT_SELECTED);
    return;
  }
  c.reply.integer(lfuDecrAndReturn(o.lru, c.server.keyspace.now, c.server.config.num('lfu-decay-time')));
}

// ---- EXPIRE family ------------------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT] (Redis expireGenericCommand).
 * @param basetime ms added to the (unit-converted) time: now for relative forms, 0 for absolute.
 * @param seconds true when the time is in seconds.
 * Replies 1 if set (or the key deleted because the time is past), 0 if the key is missing or a
 * condition failed. Errors: `ERR Unsupported option X`, the NX/GT/LT compatibility errors, the
 * integer error, `ERR invalid expire time in '<cmd>' command` on overflow.
 * Propagates PEXPIREAT <abs ms> [options], or DEL when the time is already past.
 */
function expireGeneric(c: Client, argv: string[], basetime: number, seconds: boolean, name: string): void {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === 'nx') flags |= EXPIRE_NX;
    else if (opt === 'xx') flags |= EXPIRE_XX;
    else if (opt === 'gt') flags |= EXPIRE_GT;
    else if (opt === 'lt') flags |= EXPIRE_LT;
    else {
      c.error(errUnsupportedOption(argv[j]));
      return;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.error(ERR_EXPIRE_NX_COMPAT);
    return;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.error(ERR_EXPIRE_GT_LT);
    return;
  }
  const v = parseInt64(argv[2]);
  if (v === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  let when: number;
  let whenStr: string | null = null;
  if (typeof v === 'number' && v <= 1e12 && v >= -1e12) {
    when = (seconds ? v * 1000 : v) + basetime;
  } else {
    let w = BigInt(v);
    if (seconds) {
      if (w > 9223372036854775n || w < -9223372036854775n) {
        c.error(ERR_INVALID_EXPIRE(name));
        return;
      }
      w *= 1000n;
    }
    const base = BigInt(basetime);
    if (w > INT64_MAX - base) {
      c.error(ERR_INVALID_EXPIRE(name));
      return;
    }
    w += base;
    when = Number(w);
    whenStr = w.toString();
  }
  const db = c.db;
  const key = argv[1];
  if (db.lookupWrite(key) === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const current = db.getExpire(key);
    if (
      (flags & EXPIRE_NX && current !== -1) ||
      (flags & EXPIRE_XX && current === -1) ||
      (flags & EXPIRE_GT && (current === -1 || when <= current)) ||
      (flags & EXPIRE_LT && current !== -1 && when >= current)
    ) {
      c.reply.integer(0);
      return;
    }
  }
  const server = c.server;
  if (when <= server.keyspace.now && !server.loading && !server.keyspace.replicaMode) {
    db.deleteKey(key);
    server.dirty++;
    server.propArgv = ['DEL', key];
    modified(c, db, key);
    server.notifyKeyspaceEvent('g', 'del', key, db.id);
    c.reply.integer(1);
    return;
  }
  db.setExpire(key, when);
  c.reply.integer(1);
  if (name !== 'pexpireat') {
    const out = argv.slice();
    out[0] = 'PEXPIREAT';
    out[2] = whenStr ?? String(when);
    server.propArgv = out;
  }
  modified(c, db, key);
  server.notifyKeyspaceEvent('g', 'expire', key, db.id);
  server.dirty++;
}

function expireCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, c.server.keyspace.now, true, 'expire');
}

function pexpireCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, c.server.keyspace.now, false, 'pexpire');
}

function expireatCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 0, true, 'expireat');
}

function pexpireatCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 0, false, 'pexpireat');
}

/** Replies an integer that may exceed 2^53 (expire times stored as doubles). */
function replyLong(c: Client, n: number): void {
  c.reply.integer(Number.isSafeInteger(n) ? n : BigInt(Math.trunc(n)));
}

/**
 * TTL/PTTL/EXPIRETIME/PEXPIRETIME key (Redis ttlGenericCommand): -2 if missing, -1 without expire,
 * else the remaining (or absolute) time, seconds rounded to nearest as (ms+500)/1000.
 */
function ttlGeneric(c: Client, argv: string[], ms: boolean, abs: boolean): void {
  const db = c.db;
  if (peekCounted(c, argv[1]) === undefined) {
    c.reply.integer(-2);
    return;
  }
  const expire = db.getExpire(argv[1]);
  if (expire === -1) {
    c.reply.integer(-1);
    return;
  }
  let ttl = abs ? expire : expire - c.server.keyspace.now;
  if (ttl < 0) ttl = 0;
  replyLong(c, ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttlCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, false, false);
}

function pttlCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, true, false);
}

function expiretimeCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, false, true);
}

function pexpiretimeCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, true, true);
}

/** PERSIST key: 1 if an expire was removed, else 0; event `persist` (Redis persistCommand). */
function persistCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1];
  if (db.lookupWrite(key) === undefined || !db.removeExpire(key)) {
    c.reply.integer(0);
    return;
  }
  modified(c, db, key);
  c.server.notifyKeyspaceEvent('g', 'persist', key, db.id);
  c.server.dirty++;
  c.reply.integer(1);
}

const commands: CommandDef[] = [
  { name: 'del', handler: delCommand },
  { name: 'unlink', handler: (c, argv) => delGeneric(c, argv, true) },
  { name: 'exists', handler: existsCommand },
  { name: 'type', handler: typeCommand },
  { name: 'touch', handler: touchCommand },
  { name: 'rename', handler: renameCommand },
  { name: 'renamenx', handler: renamenxCommand },
  { name: 'move', handler: moveCommand },
  { name: 'copy', handler: copyCommand },
  { name: 'randomkey', handler: randomkeyCommand },
  { name: 'keys', handler: keysCommand },
  { name: 'scan', handler: scanCommand },
  {
    name: 'object',
    subcommands: [
      { name: 'help', handler: objectHelpCommand },
      { name: 'encoding', handler: objectEncodingCommand },
      { name: 'refcount', handler: objectRefcountCommand },
      { name: 'idletime', handler: objectIdletimeCommand },
      { name: 'freq', handler: objectFreqCommand },
    ],
  },
  { name: 'expire', handler: expireCommand },
  { name: 'pexpire', handler: pexpireCommand },
  { name: 'expireat', handler: expireatCommand },
  { name: 'pexpireat', handler: pexpireatCommand },
  { name: 'ttl', handler: ttlCommand },
  { name: 'pttl', handler: pttlCommand },
  { name: 'expiretime', handler: expiretimeCommand },
  { name: 'pexpiretime', handler: pexpiretimeCommand },
  { name: 'persist', handler: persistCommand },
];
export default commands;
