/**
 * List commands, blocking pops included. Values are QuickList (src/store/quicklist.ts) in
 * RObject(ObjType.List). A command that empties a list deletes the key (with a `del` event).
 * Blocked clients are woken through the server's machinery: every push signals the key ready and
 * the server serves waiters first blocked, first served after the command (handleClientsBlockedOnKeys).
 * Source: Redis 7.0 t_list.c and blocked.c (replies, errors, events and propagation follow them).
 */
import {
  ERR_COUNT_POSITIVE,
  ERR_INDEX_OUT_OF_RANGE,
  ERR_LPOS_COUNT_NEGATIVE,
  ERR_LPOS_MAXLEN_NEGATIVE,
  ERR_LPOS_RANK_ZERO,
  ERR_MUST_BE_POSITIVE,
  ERR_NO_SUCH_KEY,
  ERR_NUMKEYS_POSITIVE,
  ERR_SYNTAX,
  ERR_TIMEOUT_NEGATIVE,
  ERR_TIMEOUT_NOT_FLOAT,
  ERR_TIMEOUT_OUT_OF_RANGE,
  ERR_WRONGTYPE,
  errArity,
} from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import { QuickList } from '../../store/quicklist.js';
import { isKeyword, parseInt64, parseIntOrReply } from '../args.js';
import type { CommandDef } from '../types.js';

const HEAD = 0;
const TAIL = 1;
type Where = typeof HEAD | typeof TAIL;

/** 2^63: the first double beyond long long (Redis casts the ms timeout to long long). */
const LLONG_LIMIT = 2 ** 63;

// ---- helpers ------------------------------------------------------------------------------------

/** Signals a modified key to WATCH / tracking (Redis signalModifiedKey). */
function modified(c: Client, key: string): void {
  c.server.keyspace.hooks.keyModified(c.db, key);
}

/**
 * Looks up a list for writing. @returns the list, null when the key is missing, or undefined
 * after replying WRONGTYPE.
 */
function listForWrite(c: Client, key: string): QuickList | null | undefined {
  const o = c.db.lookupWrite(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.List) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as QuickList;
}

/** As listForWrite, for reads (hit/miss stats). */
function listForRead(c: Client, key: string): QuickList | null | undefined {
  const o = c.db.lookupRead(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.List) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as QuickList;
}

/** Parses LEFT|RIGHT or replies a syntax error (getListPositionFromObjectOrReply). */
function parseWhere(c: Client, s: string): Where | null {
  if (isKeyword(s, 'left')) return HEAD;
  if (isKeyword(s, 'right')) return TAIL;
  c.error(ERR_SYNTAX);
  return null;
}

/**
 * Parses a long in [min, max] or replies `msg` (also for non-integers), as Redis's
 * getRangeLongFromObjectOrReply with a message.
 */
function parseRangeOrReply(c: Client, s: string, min: number, msg: string): number | null {
  const v = parseInt64(s);
  if (v === null || v < min) {
    c.error(msg);
    return null;
  }
  return typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
}

/**
 * Parses a blocking timeout in seconds (decimals allowed) as Redis 7.0 getTimeoutFromObjectOrReply.
 * @returns the absolute deadline in Unix ms (0 = wait forever), or null after replying
 *   `ERR timeout is not a float or out of range` / `ERR timeout is negative` / `ERR timeout is out of range`.
 */
export function parseTimeoutOrReply(c: Client, s: string): number | null {
  // strtold-style: decimal or exponent notation, inf; no spaces.
  if (!/^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?)$/i.test(s)) {
    c.error(ERR_TIMEOUT_NOT_FLOAT);
    return null;
  }
  const d = /inf/i.test(s) ? (s.charCodeAt(0) === 45 ? -Infinity : Infinity) : Number(s);
  let ms = Math.ceil(d * 1000);
  // A value beyond the long long range wraps to LLONG_MIN in Redis's cast: "negative".
  if (!(ms < LLONG_LIMIT) || ms < -LLONG_LIMIT) ms = -1;
  if (ms < 0) {
    c.error(ERR_TIMEOUT_NEGATIVE);
    return null;
  }
  if (ms === 0) return 0;
  const now = Date.now();
  if (ms >= LLONG_LIMIT - now) {
    c.error(ERR_TIMEOUT_OUT_OF_RANGE);
    return null;
  }
  return now + ms;
}

/** True when the client may not block (inside MULTI/EXEC, a script, or without a socket). */
function denyBlocking(c: Client): boolean {
  return c.multi !== null || c.server.execDepth > 0 || c.socket === null;
}

/** Pushes `v` at `where` of the list at `key`, creating it when missing (no reply, no event). */
function pushOne(list: QuickList, where: Where, v: string): void {
  if (where === HEAD) list.pushHead(v);
  else list.pushTail(v);
}

/**
 * After removing elements from `key`: the `lpop`/`rpop`-style event, then deletion with a `del`
 * event when the list became empty (Redis listElementsRemoved), and the WATCH signal.
 */
function elementsRemoved(c: Client, key: string, list: QuickList, event: string): void {
  const dbId = c.db.id;
  c.server.notifyKeyspaceEvent('l', event, key, dbId);
  if (list.length === 0) {
    c.db.deleteKey(key);
    c.server.notifyKeyspaceEvent('g', 'del', key, dbId);
  }
  modified(c, key);
}

/**
 * Pushes `value` onto `dst` (created when missing), replies nothing; emits `lpush`/`rpush`
 * and signals blocked clients (Redis lmoveHandlePush).
 */
function movePush(c: Client, dst: string, dlist: QuickList | null, value: string, where: Where): void {
  if (dlist === null) {
    dlist = new QuickList();
    c.db.add(dst, new RObject(ObjType.List, dlist));
  }
  pushOne(dlist, where, value);
  modified(c, dst);
  c.server.signalKeyAsReady(c.db, dst);
  c.server.notifyKeyspaceEvent('l', where === HEAD ? 'lpush' : 'rpush', dst, c.db.id);
}

// ---- push ---------------------------------------------------------------------------------------

/** LPUSH/RPUSH/LPUSHX/RPUSHX key element...: the new length; X variants reply 0 on a missing key. */
function pushGeneric(c: Client, argv: string[], where: Where, xx: boolean): void {
  const key = argv[1];
  let list = listForWrite(c, key);
  if (list === undefined) return;
  if (list === null) {
    if (xx) {
      c.reply.integer(0);
      return;
    }
    list = new QuickList(argv.length - 2);
    c.db.add(key, new RObject(ObjType.List, list));
  }
  for (let i = 2; i < argv.length; i++) pushOne(list, where, argv[i]);
  c.reply.integer(list.length);
  modified(c, key);
  c.server.signalKeyAsReady(c.db, key);
  c.server.notifyKeyspaceEvent('l', where === HEAD ? 'lpush' : 'rpush', key, c.db.id);
  c.server.dirty += argv.length - 2;
}

/** LPUSH key element [element ...] (Redis docs: LPUSH). */
function lpushCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, false);
}
/** RPUSH key element [element ...] (Redis docs: RPUSH). */
function rpushCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, false);
}
/** LPUSHX key element [element ...] (Redis docs: LPUSHX). */
function lpushxCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, true);
}
/** RPUSHX key element [element ...] (Redis docs: RPUSHX). */
function rpushxCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, true);
}

// ---- pop ----------------------------------------------------------------------------------------

/**
 * LPOP/RPOP key [count]: one bulk (nil when missing) or, with count, an array (nil array when
 * missing, empty array for count 0). Count errors: `ERR value is out of range, must be positive`.
 */
function popGeneric(c: Client, argv: string[], where: Where): void {
  const key = argv[1];
  let count = -1;
  if (argv.length > 3) {
    c.error(errArity(where === HEAD ? 'lpop' : 'rpop'));
    return;
  }
  if (argv.length === 3) {
    const n = parseRangeOrReply(c, argv[2], 0, ERR_MUST_BE_POSITIVE);
    if (n === null) return;
    count = n;
  }
  const list = listForWrite(c, key);
  if (list === undefined) return;
  if (list === null) {
    if (count >= 0) c.reply.nullArray();
    else c.reply.nullBulk();
    return;
  }
  if (count === 0) {
    c.reply.arrayLen(0);
    return;
  }
  if (count < 0) {
    if (where === HEAD) list.popHeadTo(c.reply);
    else list.popTailTo(c.reply);
  } else {
    const n = Math.min(count, list.length);
    c.reply.arrayLen(n);
    if (where === HEAD) for (let i = 0; i < n; i++) list.popHeadTo(c.reply);
    else for (let i = 0; i < n; i++) list.popTailTo(c.reply);
  }
  elementsRemoved(c, key, list, where === HEAD ? 'lpop' : 'rpop');
  c.server.dirty++;
}

/** LPOP key [count] (Redis docs: LPOP). */
function lpopCommand(c: Client, argv: string[]): void {
  popGeneric(c, argv, HEAD);
}
/** RPOP key [count] (Redis docs: RPOP). */
function rpopCommand(c: Client, argv: string[]): void {
  popGeneric(c, argv, TAIL);
}

/** Replies `[key, [elements]]` popping up to `count` from `where` (listPopRangeAndReplyWithKey). @returns how many. */
function popRangeWithKey(c: Client, key: string, list: QuickList, where: Where, count: number): number {
  const n = Math.min(count, list.length);
  c.reply.arrayLen(2);
  c.reply.bulk(key);
  c.reply.arrayLen(n);
  if (where === HEAD) for (let i = 0; i < n; i++) list.popHeadTo(c.reply);
  else for (let i = 0; i < n; i++) list.popTailTo(c.reply);
  elementsRemoved(c, key, list, where === HEAD ? 'lpop' : 'rpop');
  c.server.dirty++;
  return n;
}

/** Parsed [B]LMPOP arguments, or null after replying an error. */
function parseMpop(c: Client, argv: string[], numkeysIdx: number): { keys: string[]; where: Where; count: number } | null {
  const numkeys = parseRangeOrReply(c, argv[numkeysIdx], 1, ERR_NUMKEYS_POSITIVE);
  if (numkeys === null) return null;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) {
    c.error(ERR_SYNTAX);
    return null;
  }
  const where = parseWhere(c, argv[whereIdx]);
  if (where === null) return null;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isKeyword(argv[j], 'count') && j + 1 < argv.length) {
      j++;
      const n = parseRangeOrReply(c, argv[j], 1, ERR_COUNT_POSITIVE);
      if (n === null) return null;
      count = n;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(numkeysIdx + 1, whereIdx), where, count: count === -1 ? 1 : count };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] (Redis docs: LMPOP). Propagated as [LR]POP key n. */
function lmpopCommand(c: Client, argv: string[]): void {
  const p = parseMpop(c, argv, 1);
  if (p === null) return;
  for (const key of p.keys) {
    const list = listForWrite(c, key);
    if (list === undefined) return;
    if (list === null) continue;
    const n = popRangeWithKey(c, key, list, p.where, p.count);
    c.server.propArgv = [p.where === HEAD ? 'LPOP' : 'RPOP', key, String(n)];
    return;
  }
  c.reply.nullArray();
}

// ---- read-only ----------------------------------------------------------------------------------

/** LLEN key (Redis docs: LLEN). */
function llenCommand(c: Client, argv: string[]): void {
  const list = listForRead(c, argv[1]);
  if (list === undefined) return;
  c.reply.integer(list === null ? 0 : list.length);
}

/** LINDEX key index: the element or nil (Redis docs: LINDEX). */
function lindexCommand(c: Client, argv: string[]): void {
  const list = listForRead(c, argv[1]);
  if (list === undefined) return;
  if (list === null) {
    c.reply.nullBulk();
    return;
  }
  const idx = parseIntOrReply(c, argv[2]);
  if (idx === null) return;
  if (!list.writeAt(idx, c.reply)) c.reply.nullBulk();
}

/** LRANGE key start stop, inclusive, negative from the tail (Redis docs: LRANGE). */
function lrangeCommand(c: Client, argv: string[]): void {
  let start = parseIntOrReply(c, argv[2]);
  if (start === null) return;
  let end = parseIntOrReply(c, argv[3]);
  if (end === null) return;
  const list = listForRead(c, argv[1]);
  if (list === undefined) return;
  if (list === null) {
    c.reply.arrayLen(0);
    return;
  }
  const llen = list.length;
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    c.reply.arrayLen(0);
    return;
  }
  if (end >= llen) end = llen - 1;
  c.reply.arrayLen(end - start + 1);
  list.writeRange(start, end, c.reply);
}

/**
 * LPOS key element [RANK rank] [COUNT num] [MAXLEN len] (Redis docs: LPOS): the index of a match,
 * nil, or with COUNT an array of indexes (0 = all).
 */
function lposCommand(c: Client, argv: string[]): void {
  const ele = argv[2];
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const more = j + 1 < argv.length;
    if (more && isKeyword(opt, 'rank')) {
      j++;
      const r = parseIntOrReply(c, argv[j]);
      if (r === null) return;
      if (r === 0) {
        c.error(ERR_LPOS_RANK_ZERO);
        return;
      }
      rank = r;
    } else if (more && isKeyword(opt, 'count')) {
      j++;
      const n = parseRangeOrReply(c, argv[j], 0, ERR_LPOS_COUNT_NEGATIVE);
      if (n === null) return;
      count = n;
    } else if (more && isKeyword(opt, 'maxlen')) {
      j++;
      const n = parseRangeOrReply(c, argv[j], 0, ERR_LPOS_MAXLEN_NEGATIVE);
      if (n === null) return;
      maxlen = n;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  let fromTail = false;
  if (rank < 0) {
    rank = -rank;
    fromTail = true;
  }
  const list = listForRead(c, argv[1]);
  if (list === undefined) return;
  if (list === null) {
    if (count !== -1) c.reply.arrayLen(0);
    else c.reply.nullBulk();
    return;
  }
  const found = list.positions(ele, rank, fromTail, count === -1 ? 1 : count, maxlen);
  if (count !== -1) {
    c.reply.arrayLen(found.length);
    for (const f of found) c.reply.integer(f);
  } else if (found.length > 0) c.reply.integer(found[0]);
  else c.reply.nullBulk();
}

// ---- in-place edits -----------------------------------------------------------------------------

/** LSET key index element: `ERR no such key`, `ERR index out of range` (Redis docs: LSET). */
function lsetCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const o = c.db.lookupWrite(key);
  if (o === undefined) {
    c.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (o.type !== ObjType.List) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const idx = parseIntOrReply(c, argv[2]);
  if (idx === null) return;
  if (!(o.value as QuickList).set(idx, argv[3])) {
    c.error(ERR_INDEX_OUT_OF_RANGE);
    return;
  }
  c.reply.ok();
  modified(c, key);
  c.server.notifyKeyspaceEvent('l', 'lset', key, c.db.id);
  c.server.dirty++;
}

/** LINSERT key BEFORE|AFTER pivot element: new length, -1 without pivot, 0 without key (Redis docs: LINSERT). */
function linsertCommand(c: Client, argv: string[]): void {
  let after: boolean;
  if (isKeyword(argv[2], 'after')) after = true;
  else if (isKeyword(argv[2], 'before')) after = false;
  else {
    c.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1];
  const list = listForWrite(c, key);
  if (list === undefined) return;
  if (list === null) {
    c.reply.integer(0);
    return;
  }
  const i = list.indexOf(argv[3]);
  if (i < 0) {
    c.reply.integer(-1);
    return;
  }
  list.insert(after ? i + 1 : i, argv[4]);
  modified(c, key);
  c.server.notifyKeyspaceEvent('l', 'linsert', key, c.db.id);
  c.server.dirty++;
  c.reply.integer(list.length);
}

/** LREM key count element: number removed (Redis docs: LREM). */
function lremCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const count = parseIntOrReply(c, argv[2]);
  if (count === null) return;
  const list = listForWrite(c, key);
  if (list === undefined) return;
  if (list === null) {
    c.reply.integer(0);
    return;
  }
  const removed = list.removeEqual(argv[3], count);
  if (removed > 0) elementsRemoved(c, key, list, 'lrem');
  c.server.dirty += removed;
  c.reply.integer(removed);
}

/** LTRIM key start stop (Redis docs: LTRIM); the `ltrim` event fires even when nothing is removed. */
function ltrimCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  let start = parseIntOrReply(c, argv[2]);
  if (start === null) return;
  let end = parseIntOrReply(c, argv[3]);
  if (end === null) return;
  const list = listForWrite(c, key);
  if (list === undefined) return;
  if (list === null) {
    c.reply.ok();
    return;
  }
  const llen = list.length;
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  let ltrim: number;
  let rtrim: number;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  list.trim(ltrim, rtrim);
  elementsRemoved(c, key, list, 'ltrim');
  c.server.dirty += ltrim + rtrim;
  c.reply.ok();
}

// ---- move ---------------------------------------------------------------------------------------

/**
 * The LMOVE step shared by LMOVE, RPOPLPUSH, BLMOVE and BRPOPLPUSH when the source has elements:
 * WRONGTYPE for the destination, else pop, push, reply the element. @returns false on error.
 */
function moveElement(c: Client, src: string, slist: QuickList, dst: string, from: Where, to: Where): boolean {
  let dlist: QuickList | null;
  if (dst === src) dlist = slist;
  else {
    const d = listForWrite(c, dst);
    if (d === undefined) return false;
    dlist = d;
  }
  const value = (from === HEAD ? slist.popHead() : slist.popTail()) as string;
  // With dst === src the element goes back onto the same (possibly momentarily empty) list.
  movePush(c, dst, dlist, value, to);
  c.reply.bulk(value);
  elementsRemoved(c, src, slist, from === HEAD ? 'lpop' : 'rpop');
  c.server.dirty++;
  return true;
}

const WHERE_NAMES = ['LEFT', 'RIGHT'];

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT (Redis docs: LMOVE): the element or nil. */
function lmoveCommand(c: Client, argv: string[]): void {
  const from = parseWhere(c, argv[3]);
  if (from === null) return;
  const to = parseWhere(c, argv[4]);
  if (to === null) return;
  lmoveGeneric(c, argv[1], argv[2], from, to);
}

/** RPOPLPUSH source destination (Redis docs: RPOPLPUSH). */
function rpoplpushCommand(c: Client, argv: string[]): void {
  lmoveGeneric(c, argv[1], argv[2], TAIL, HEAD);
}

function lmoveGeneric(c: Client, src: string, dst: string, from: Where, to: Where): boolean {
  const slist = listForWrite(c, src);
  if (slist === undefined) return false;
  if (slist === null) {
    c.reply.nullBulk();
    return false;
  }
  return moveElement(c, src, slist, dst, from, to);
}

// ---- blocking -----------------------------------------------------------------------------------

/** Keys without duplicates, in first-seen order (Redis blockForKeys ignores repeats). */
function uniqueKeys(keys: string[]): string[] {
  if (keys.length <= 1) return keys;
  return [...new Set(keys)];
}

/** The list at `key` if it is a non-empty list, for serving a blocked client. */
function readyList(c: Client, key: string): QuickList | null {
  const o = c.db.lookupWrite(key);
  if (o === undefined || o.type !== ObjType.List) return null;
  const l = o.value as QuickList;
  return l.length > 0 ? l : null;
}

/**
 * BLPOP/BRPOP/BLMPOP: serves the first non-empty key now (propagated as [LR]POP), replies a nil
 * array inside MULTI/scripts, or blocks. `count` -1 is BLPOP/BRPOP's `[key, element]` reply;
 * otherwise BLMPOP's `[key, [elements]]`.
 */
function blockingPop(c: Client, keys: string[], where: Where, deadline: number, count: number, command: string): void {
  const popName = where === HEAD ? 'LPOP' : 'RPOP';
  for (const key of keys) {
    const list = listForWrite(c, key);
    if (list === undefined) return;
    if (list === null || list.length === 0) continue;
    if (count !== -1) {
      const n = popRangeWithKey(c, key, list, where, count);
      c.server.propArgv = [popName, key, String(n)];
    } else {
      popRangeSingle(c, key, list, where);
      c.server.propArgv = [popName, key];
    }
    return;
  }
  if (denyBlocking(c)) {
    c.reply.nullArray();
    return;
  }
  c.server.blockClient(c, {
    keys: uniqueKeys(keys),
    deadline,
    command,
    onReady: (bc, key) => {
      const list = readyList(bc, key);
      if (list === null) return false;
      if (count !== -1) {
        const n = popRangeWithKey(bc, key, list, where, count);
        bc.server.alsoPropagate(bc.db.id, [popName, key, String(n)]);
      } else {
        popRangeSingle(bc, key, list, where);
        bc.server.alsoPropagate(bc.db.id, [popName, key]);
      }
      return true;
    },
    onTimeout: (bc) => bc.reply.nullArray(),
  });
}

/** Pops one element and replies `[key, element]` (BLPOP/BRPOP). */
function popRangeSingle(c: Client, key: string, list: QuickList, where: Where): void {
  c.reply.arrayLen(2);
  c.reply.bulk(key);
  if (where === HEAD) list.popHeadTo(c.reply);
  else list.popTailTo(c.reply);
  elementsRemoved(c, key, list, where === HEAD ? 'lpop' : 'rpop');
  c.server.dirty++;
}

/** BLPOP key [key ...] timeout (Redis docs: BLPOP). */
function blpopCommand(c: Client, argv: string[]): void {
  const deadline = parseTimeoutOrReply(c, argv[argv.length - 1]);
  if (deadline === null) return;
  blockingPop(c, argv.slice(1, -1), HEAD, deadline, -1, 'blpop');
}

/** BRPOP key [key ...] timeout (Redis docs: BRPOP). */
function brpopCommand(c: Client, argv: string[]): void {
  const deadline = parseTimeoutOrReply(c, argv[argv.length - 1]);
  if (deadline === null) return;
  blockingPop(c, argv.slice(1, -1), TAIL, deadline, -1, 'brpop');
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] (Redis docs: BLMPOP). */
function blmpopCommand(c: Client, argv: string[]): void {
  const p = parseMpop(c, argv, 2);
  if (p === null) return;
  const deadline = parseTimeoutOrReply(c, argv[1]);
  if (deadline === null) return;
  blockingPop(c, p.keys, p.where, deadline, p.count, 'blmpop');
}

/**
 * BLMOVE/BRPOPLPUSH: LMOVE now when the source has elements (propagated as LMOVE/RPOPLPUSH),
 * a nil bulk inside MULTI/scripts, or block; served later as LMOVE/RPOPLPUSH.
 */
function blmoveGeneric(c: Client, argv: string[], from: Where, to: Where, deadline: number, brpoplpush: boolean): void {
  const src = argv[1];
  const dst = argv[2];
  const propagated = brpoplpush ? ['RPOPLPUSH', src, dst] : ['LMOVE', src, dst, WHERE_NAMES[from], WHERE_NAMES[to]];
  const slist = listForWrite(c, src);
  if (slist === undefined) return;
  if (slist !== null && slist.length > 0) {
    if (moveElement(c, src, slist, dst, from, to)) c.server.propArgv = propagated;
    return;
  }
  if (denyBlocking(c)) {
    c.reply.nullBulk();
    return;
  }
  c.server.blockClient(c, {
    keys: [src],
    deadline,
    command: brpoplpush ? 'brpoplpush' : 'blmove',
    onReady: (bc, key) => {
      const list = readyList(bc, key);
      if (list === null) return false;
      // A destination of the wrong type answers WRONGTYPE and ends the wait (Redis serveClientBlockedOnList).
      if (moveElement(bc, src, list, dst, from, to)) bc.server.alsoPropagate(bc.db.id, propagated);
      return true;
    },
    onTimeout: (bc) => bc.reply.nullArray(),
  });
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout (Redis docs: BLMOVE). */
function blmoveCommand(c: Client, argv: string[]): void {
  const from = parseWhere(c, argv[3]);
  if (from === null) return;
  const to = parseWhere(c, argv[4]);
  if (to === null) return;
  const deadline = parseTimeoutOrReply(c, argv[5]);
  if (deadline === null) return;
  blmoveGeneric(c, argv, from, to, deadline, false);
}

/** BRPOPLPUSH source destination timeout (Redis docs: BRPOPLPUSH). */
function brpoplpushCommand(c: Client, argv: string[]): void {
  const deadline = parseTimeoutOrReply(c, argv[3]);
  if (deadline === null) return;
  blmoveGeneric(c, argv, TAIL, HEAD, deadline, true);
}

const commands: CommandDef[] = [
  { name: 'lpush', handler: lpushCommand },
  { name: 'rpush', handler: rpushCommand },
  { name: 'lpushx', handler: lpushxCommand },
  { name: 'rpushx', handler: rpushxCommand },
  { name: 'lpop', handler: lpopCommand },
  { name: 'rpop', handler: rpopCommand },
  { name: 'lmpop', handler: lmpopCommand },
  { name: 'llen', handler: llenCommand },
  { name: 'lindex', handler: lindexCommand },
  { name: 'lrange', handler: lrangeCommand },
  { name: 'lpos', handler: lposCommand },
  { name: 'lset', handler: lsetCommand },
  { name: 'linsert', handler: linsertCommand },
  { name: 'lrem', handler: lremCommand },
  { name: 'ltrim', handler: ltrimCommand },
  { name: 'lmove', handler: lmoveCommand },
  { name: 'rpoplpush', handler: rpoplpushCommand },
  { name: 'blpop', handler: blpopCommand },
  { name: 'brpop', handler: brpopCommand },
  { name: 'blmpop', handler: blmpopCommand },
  { name: 'blmove', handler: blmoveCommand },
  { name: 'brpoplpush', handler: brpoplpushCommand },
];
export default commands;
