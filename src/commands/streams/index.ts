/**
 * Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD, XREADGROUP, XGROUP,
 * XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO. Values are Stream (src/store/stream.ts) in
 * RObject(ObjType.Stream).
 *
 * Replies, error strings, keyspace events (class `t`) and propagation follow Redis 7.0: XADD
 * propagates the generated ID, a `~` trim is rewritten to `=` with the resulting length/first ID,
 * XREADGROUP/XCLAIM/XAUTOCLAIM propagate `XCLAIM ... FORCE JUSTID LASTID` per entry plus
 * `XGROUP SETID ... ENTRIESREAD` (streamPropagateXCLAIM / streamPropagateGroupID).
 * Blocking XREAD/XREADGROUP wait through server.blockClient; XADD signals the key ready. A blocked
 * XREADGROUP is released with `-NOGROUP` when its group is destroyed and with `-UNBLOCKED` when the
 * key is deleted or changes type (as redis-server 7.0.15 replies).
 * Source: Redis 7.0 t_stream.c, blocked.c (serveClientsBlockedOnStreamKey).
 */
import {
  ERR_BUSYGROUP,
  ERR_ENTRIESREAD,
  ERR_INVALID_END,
  ERR_INVALID_START,
  ERR_NO_SUCH_KEY,
  ERR_NOGROUP_BLOCKED,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_TIMEOUT_NEGATIVE,
  ERR_TIMEOUT_NOT_INTEGER,
  ERR_TIMEOUT_OUT_OF_RANGE,
  ERR_UNBLOCKED_DELETED,
  ERR_WRONGTYPE,
  ERR_XADD_EXHAUSTED,
  ERR_XADD_ID_SMALL,
  ERR_XADD_ID_ZERO,
  ERR_XADD_TOO_LARGE,
  ERR_XAUTOCLAIM_COUNT,
  ERR_XGROUP_NO_KEY,
  ERR_XREAD_GROUP_OPTION,
  ERR_XREAD_GT_ID,
  ERR_XREAD_NOACK_OPTION,
  ERR_XREAD_UNBALANCED,
  ERR_XREADGROUP_DOLLAR,
  ERR_XREADGROUP_NO_GROUP,
  ERR_XSETID_ENTRIES_ADDED_NEGATIVE,
  ERR_XSETID_ENTRIES_ADDED_SMALL,
  ERR_XSETID_SMALLER_THAN_MAXDELETED,
  ERR_XSETID_SMALLER_THAN_TOP,
  ERR_XTRIM_LIMIT_NEGATIVE,
  ERR_XTRIM_LIMIT_NO_STRATEGY,
  ERR_XTRIM_LIMIT_NOT_APPROX,
  ERR_XTRIM_MAXLEN_MINID,
  ERR_XTRIM_MAXLEN_NEGATIVE,
  ERR_XTRIM_NO_STRATEGY,
  errArity,
  errBlockFromScript,
  errNoGroupForKey,
  errNoKeyOrGroup,
  errSubcommandSyntax,
  errXclaimOption,
} from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import {
  cmpId,
  decrId,
  ID_MAX,
  ID_ZERO,
  idToString,
  incrId,
  Stream,
  type StreamConsumer,
  type StreamGroup,
  type StreamId,
  StreamNack,
  streamLimits,
  type TrimArgs,
  U64_MAX,
} from '../../store/stream.js';
import { isKeyword, parseInt64 } from '../args.js';
import { replyHelp } from '../../protocol/respTree.js';
import type { CommandDef } from '../types.js';
import { parseIdListOrReply, parseIntervalIdOrReply, parseStreamId, parseStrictIdOrReply } from './ids.js';

/** SCG_INVALID_ENTRIES_READ. */
const INVALID_ENTRIES_READ = -1;
/** XREAD_BLOCKED_DEFAULT_COUNT: entries served to a blocked reader without COUNT. */
const BLOCKED_DEFAULT_COUNT = 1000;

// ---- helpers ------------------------------------------------------------------------------------

/** Signals a modified key (WATCH). */
function modified(c: Client, key: string): void {
  c.server.keyspace.hooks.keyModified(c.db, key);
}

/**
 * Before changing a stream found with a read lookup (XACK, XCLAIM, XAUTOCLAIM, XREADGROUP change
 * groups in place, as Redis's handlers do): lets a running snapshot copy the key first
 * (Keyspace.beforeWrite, the copy-on-write hook that lookupWrite calls).
 */
function willWrite(c: Client, key: string): void {
  const bw = c.server.keyspace.beforeWrite;
  if (bw !== null) bw(c.db, key);
}

/** A stream keyspace event (class `t`). */
function notify(c: Client, event: string, key: string): void {
  c.server.notifyKeyspaceEvent('t', event, key, c.db.id);
}

/** The stream at key for reading: null when missing, undefined after replying WRONGTYPE. */
function streamForRead(c: Client, key: string): Stream | null | undefined {
  const o = c.db.lookupRead(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.Stream) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as Stream;
}

/** The stream at key for writing: null when missing, undefined after replying WRONGTYPE. */
function streamForWrite(c: Client, key: string): Stream | null | undefined {
  const o = c.db.lookupWrite(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.Stream) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as Stream;
}

/** getLongLongFromObjectOrReply: an int64 (clamped to safe range) or null after replying `msg`. */
function intArg(c: Client, s: string, msg = ERR_NOT_INTEGER): number | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(msg);
    return null;
  }
  if (typeof v === 'bigint') return v < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  return v;
}

/** Replies one entry: [id, [f1, v1, ...]]. */
function replyEntry(c: Client, id: StreamId, fields: string[]): void {
  const r = c.reply;
  r.arrayLen(2);
  r.bulk(idToString(id));
  r.arrayLen(fields.length);
  for (let i = 0; i < fields.length; i++) r.bulk(fields[i]);
}

/** Replies one entry visited by Stream.scan: [id, [f1, v1, ...]], the ID string from the scan position. */
function replyScanned(c: Client, s: Stream, fields: string[]): void {
  const r = c.reply;
  r.arrayLen(2);
  r.bulk(s.scanIdString());
  r.arrayLen(fields.length);
  for (let i = 0; i < fields.length; i++) r.bulk(fields[i]);
}

/** Number of live entries in [start, end], at most `count` (0: all); replies them. */
function replyRange(c: Client, s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): number {
  const mark = c.reply.deferLen();
  let n = 0;
  if (rev) {
    s.scan(start, end, true, (_id, f) => {
      replyScanned(c, s, f);
      n++;
      return count === 0 || n < count;
    });
  } else {
    s.scan(start, end, false, (_id, f) => {
      replyScanned(c, s, f);
      n++;
      return count === 0 || n < count;
    });
  }
  c.reply.setDeferredArrayLen(mark, n);
  return n;
}

/** The last live entry ID (streamLastValidID): 0-0 when empty. */
function lastValidId(s: Stream): StreamId {
  return s.lastEntryId();
}

/** streamRangeHasTombstones(s, start, end=max). */
function rangeHasTombstones(s: Stream, start: StreamId | null): boolean {
  if (s.length === 0 || cmpId(s.maxDeletedId, ID_ZERO) === 0) return false;
  if (cmpId(s.firstId(), s.maxDeletedId) > 0) return false;
  const st = start ?? ID_ZERO;
  return cmpId(st, s.maxDeletedId) <= 0;
}

/** streamEstimateDistanceFromFirstEverEntry. */
function estimateDistance(s: Stream, id: StreamId): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && cmpId(id, s.lastId) < 1) return s.entriesAdded;
  const cmpLast = cmpId(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return INVALID_ENTRIES_READ;
  const first = s.firstId();
  const cmpFirst = cmpId(id, first);
  if (cmpId(s.maxDeletedId, ID_ZERO) === 0 || cmpId(s.maxDeletedId, first) < 0) {
    if (cmpFirst < 0) return s.entriesAdded - s.length;
    if (cmpFirst === 0) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

/** streamReplyWithCGLag: the group's lag or nil. */
function replyLag(c: Client, s: Stream, g: StreamGroup): void {
  if (s.entriesAdded === 0) {
    c.reply.integer(0);
    return;
  }
  if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, g.lastId)) {
    c.reply.integer(s.entriesAdded - g.entriesRead);
    return;
  }
  const er = estimateDistance(s, g.lastId);
  if (er !== INVALID_ENTRIES_READ) c.reply.integer(s.entriesAdded - er);
  else c.reply.nullBulk();
}

/** Names of a map sorted by byte order (Redis rax order). */
function sortedNames<T>(m: Map<string, T>): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** streamCreateConsumer: creates, counts dirty and notifies. @returns the consumer or null if it existed. */
function createConsumer(c: Client, g: StreamGroup, name: string, key: string): StreamConsumer | null {
  if (g.consumers.has(name)) return null;
  const cn = g.addConsumer(name, Date.now());
  c.server.dirty++;
  notify(c, 'xgroup-createconsumer', key);
  return cn;
}

/** streamLookupConsumer with refresh, or creation (SLC_DEFAULT / SCC_DEFAULT). */
function lookupOrCreateConsumer(c: Client, g: StreamGroup, name: string, key: string): [StreamConsumer, boolean] {
  const cn = g.consumers.get(name);
  if (cn !== undefined) {
    cn.seenTime = Date.now();
    return [cn, false];
  }
  return [createConsumer(c, g, name, key) as StreamConsumer, true];
}

/** streamPropagateXCLAIM: XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last. */
function propagateXclaim(c: Client, key: string, g: StreamGroup, group: string, id: string, nk: StreamNack): void {
  c.server.alsoPropagate(c.db.id, [
    'XCLAIM',
    key,
    group,
    nk.consumer ? nk.consumer.name : '',
    '0',
    id,
    'TIME',
    String(nk.deliveryTime),
    'RETRYCOUNT',
    String(nk.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    idToString(g.lastId),
  ]);
}

/** streamPropagateGroupID: XGROUP SETID key group last ENTRIESREAD n. */
function propagateGroupId(c: Client, key: string, g: StreamGroup, group: string): void {
  c.server.alsoPropagate(c.db.id, ['XGROUP', 'SETID', key, group, idToString(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
}

/** streamPropagateConsumerCreation: XGROUP CREATECONSUMER key group consumer. */
function propagateConsumerCreation(c: Client, key: string, group: string, consumer: string): void {
  c.server.alsoPropagate(c.db.id, ['XGROUP', 'CREATECONSUMER', key, group, consumer]);
}

/**
 * streamReplyWithRange for a group read of new entries (`>`): replies entries after `after`,
 * moves the group's last ID and entries-read, creates/reassigns nacks unless `noack`, and
 * propagates XCLAIM per entry plus the group ID. @returns the number of entries.
 */
function replyGroupNew(
  c: Client,
  s: Stream,
  key: string,
  groupName: string,
  g: StreamGroup,
  cn: StreamConsumer,
  after: StreamId,
  count: number,
  noack: boolean,
): number {
  const start = incrId(after);
  const mark = c.reply.deferLen();
  let n = 0;
  let propagateLast = false;
  if (start !== null) {
    const now = c.server.keyspace.now;
    s.scan(start, ID_MAX, false, (id, fields) => {
      if (cmpId(id, g.lastId) > 0) {
        if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, id)) g.entriesRead++;
        else if (s.entriesAdded !== 0) g.entriesRead = estimateDistance(s, id);
        g.lastId = id;
        // Redis 7.0: without NOACK the XCLAIM's LASTID carries the group ID.
        if (noack) propagateLast = true;
      }
      replyEntry(c, id, fields);
      if (!noack) {
        let nk = g.pel.get(id);
        if (nk === undefined) {
          nk = new StreamNack(id, now, 1, null);
          g.pel.add(nk);
          cn.pelAttach(nk);
        } else {
          nk.consumer?.pel.remove(id);
          nk.deliveryTime = now;
          nk.deliveryCount = 1;
          cn.pelAttach(nk);
        }
        propagateXclaim(c, key, g, groupName, idToString(id), nk);
      }
      n++;
      return count === 0 || n < count;
    });
  }
  if (propagateLast) propagateGroupId(c, key, g, groupName);
  c.reply.setDeferredArrayLen(mark, n);
  return n;
}

/** streamReplyWithRangeFromConsumerPEL: the consumer's history from `start` (inclusive). */
function replyConsumerHistory(c: Client, s: Stream, cn: StreamConsumer, start: StreamId, count: number): void {
  const mark = c.reply.deferLen();
  let n = 0;
  const now = c.server.keyspace.now;
  for (let i = cn.pel.lowerBound(start); count === 0 || n < count; i++) {
    const nk = cn.pel.at(i);
    if (nk === undefined) break;
    const fields = s.get(nk.id);
    if (fields === null) {
      c.reply.arrayLen(2);
      c.reply.bulk(idToString(nk.id));
      c.reply.nullArray();
    } else {
      replyEntry(c, nk.id, fields);
      nk.deliveryTime = now;
      nk.deliveryCount++;
    }
    n++;
  }
  c.reply.setDeferredArrayLen(mark, n);
}

// ---- XADD / XTRIM -------------------------------------------------------------------------------

/** Parsed XADD/XTRIM options (streamAddTrimArgs). */
interface AddTrimArgs extends TrimArgs {
  hasStrategy: boolean;
  /** argv index of the MAXLEN/MINID value (for the `~` rewrite). */
  strategyArgIdx: number;
  noMkstream: boolean;
  id: StreamId | null;
  seqGiven: boolean;
  /** argv index of the ID (XADD). */
  idPos: number;
}

/** XADD/XTRIM options before any is parsed (no strategy, no ID). */
function defaultAddTrimArgs(): AddTrimArgs {
  return {
    strategy: 'maxlen',
    hasStrategy: false,
    maxlen: 0,
    minid: ID_ZERO,
    approx: false,
    limit: 0,
    strategyArgIdx: 0,
    noMkstream: false,
    id: null,
    seqGiven: true,
    idPos: 0,
  };
}

/**
 * streamParseAddOrTrimArgsOrReply: trim options and, for XADD, NOMKSTREAM and the ID.
 * @returns the parsed arguments or null after replying.
 */
function parseAddTrimArgs(c: Client, argv: string[], xadd: boolean): AddTrimArgs | null {
  const a = defaultAddTrimArgs();
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt === '*') break;
    const lower = opt.length <= 10 ? opt.toLowerCase() : '';
    if ((lower === 'maxlen' || lower === 'minid') && more > 0) {
      if (a.hasStrategy) {
        c.error(ERR_XTRIM_MAXLEN_MINID);
        return null;
      }
      a.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (more >= 2 && next === '=') {
        i++;
      }
      if (lower === 'maxlen') {
        const v = intArg(c, argv[i + 1]);
        if (v === null) return null;
        if (v < 0) {
          c.error(ERR_XTRIM_MAXLEN_NEGATIVE);
          return null;
        }
        a.maxlen = v;
        a.strategy = 'maxlen';
      } else {
        const id = parseStrictIdOrReply(c, argv[i + 1]);
        if (id === null) return null;
        a.minid = id;
        a.strategy = 'minid';
      }
      i++;
      a.hasStrategy = true;
      a.strategyArgIdx = i;
    } else if (lower === 'limit' && more > 0) {
      const v = intArg(c, argv[i + 1]);
      if (v === null) return null;
      if (v < 0) {
        c.error(ERR_XTRIM_LIMIT_NEGATIVE);
        return null;
      }
      a.limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && lower === 'nomkstream') {
      a.noMkstream = true;
    } else if (xadd) {
      const p = parseStreamId(c, opt, 0n, true, true);
      if (p === null) return null;
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      break;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  a.idPos = i;
  if (a.limit !== 0 && !a.hasStrategy) {
    c.error(ERR_XTRIM_LIMIT_NO_STRATEGY);
    return null;
  }
  if (!xadd && !a.hasStrategy) {
    c.error(ERR_XTRIM_NO_STRATEGY);
    return null;
  }
  if (c.mustObey) {
    // From the AOF: the trim argument was rewritten to an exact value (mustObeyClient).
    a.limit = 0;
  } else if (limitGiven) {
    if (!a.approx) {
      c.error(ERR_XTRIM_LIMIT_NOT_APPROX);
      return null;
    }
  } else if (a.approx) {
    a.limit = 100 * c.server.config.num('stream-node-max-entries');
    if (a.limit <= 0 || a.limit > 10000) a.limit = 10000;
  } else {
    a.limit = 0;
  }
  return a;
}

/** The argv to propagate after a `~` trim: `=` and the resulting length or first ID (streamRewriteTrimArgument). */
function rewriteApproxTrim(argv: string[], s: Stream, a: AddTrimArgs): string[] {
  const out = argv.slice();
  out[a.strategyArgIdx - 1] = '=';
  out[a.strategyArgIdx] = a.strategy === 'maxlen' ? String(s.length) : idToString(s.firstId());
  return out;
}

/**
 * What parseAddTrimArgs returns for `XADD key * ...` (no option before the `*`): shared, read
 * only (XADD without a strategy reads it and never changes it).
 */
const PLAIN_XADD_ARGS: Readonly<AddTrimArgs> = Object.freeze({ ...defaultAddTrimArgs(), idPos: 2 });

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]. */
function xaddCommand(c: Client, argv: string[]): void {
  const a = argv[2] === '*' ? PLAIN_XADD_ARGS : parseAddTrimArgs(c, argv, true);
  if (a === null) return;
  const fieldPos = a.idPos + 1;
  const nf = argv.length - fieldPos;
  if (nf < 2 || nf % 2 === 1) {
    c.error(errArity('xadd'));
    return;
  }
  if (a.id !== null && a.seqGiven && a.id.ms === 0n && a.id.seq === 0n) {
    c.error(ERR_XADD_ID_ZERO);
    return;
  }
  const key = argv[1];
  let s = streamForWrite(c, key);
  if (s === undefined) return;
  if (s === null) {
    if (a.noMkstream) {
      c.reply.nullBulk();
      return;
    }
    s = new Stream();
    c.db.add(key, new RObject(ObjType.Stream, s));
  }
  if (s.lastId.ms === U64_MAX && s.lastId.seq === U64_MAX) {
    c.error(ERR_XADD_EXHAUSTED);
    return;
  }
  // streamAppendItem: generate or check the ID.
  let id: StreamId;
  let idStr: string | null = null;
  if (a.id !== null) {
    const last = s.lastId;
    if (a.seqGiven) id = a.id;
    else if (last.ms === a.id.ms) {
      if (last.seq === U64_MAX) {
        // Redis 7.0 replies this (errno is not EDOM on this path).
        c.error(ERR_XADD_TOO_LARGE);
        return;
      }
      id = { ms: last.ms, seq: last.seq + 1n };
    } else id = a.id;
    if (cmpId(id, last) <= 0) {
      c.error(ERR_XADD_ID_SMALL);
      return;
    }
  } else {
    // Always greater than lastId (not the maximum, checked above).
    id = s.nextAutoId(Date.now());
    idStr = s.autoIdString;
  }
  streamLimits.nodeMaxBytes = c.server.config.num('stream-node-max-bytes');
  streamLimits.nodeMaxEntries = c.server.config.num('stream-node-max-entries');
  let total = 0;
  for (let j = fieldPos; j < argv.length; j++) total += argv[j].length;
  if (total > 1 << 30) {
    c.error(ERR_XADD_TOO_LARGE);
    return;
  }
  s.add(id, argv, fieldPos);
  if (idStr === null) idStr = idToString(id);
  c.reply.bulk(idStr);
  modified(c, key);
  notify(c, 'xadd', key);
  c.server.dirty++;
  let prop = argv;
  if (a.hasStrategy) {
    if (s.trim(a) > 0) notify(c, 'xtrim', key);
    if (a.approx) prop = rewriteApproxTrim(argv, s, a);
  }
  if (a.id === null || !a.seqGiven) {
    if (prop === argv) prop = argv.slice();
    prop[a.idPos] = idStr;
  }
  if (prop !== argv) c.server.propArgv = prop;
  c.server.signalKeyAsReady(c.db, key);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]. */
function xtrimCommand(c: Client, argv: string[]): void {
  const a = parseAddTrimArgs(c, argv, false);
  if (a === null) return;
  const key = argv[1];
  const s = streamForWrite(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.reply.integer(0);
    return;
  }
  const deleted = s.trim(a);
  if (deleted > 0) {
    notify(c, 'xtrim', key);
    if (a.approx) c.server.propArgv = rewriteApproxTrim(argv, s, a);
    modified(c, key);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

// ---- XLEN / XRANGE / XDEL / XSETID --------------------------------------------------------------

/** XLEN key. */
function xlenCommand(c: Client, argv: string[]): void {
  const s = streamForRead(c, argv[1]);
  if (s === undefined) return;
  c.reply.integer(s === null ? 0 : s.length);
}

/**
 * A range start (XRANGE, XPENDING, XAUTOCLAIM): `-`, a full or partial ID (missing seq = 0), or
 * `(id` exclusive (the next ID). Replies the parse error, or `ERR invalid start ID for the
 * interval` when `(` follows the largest ID. @returns the inclusive start, or null after replying.
 */
function rangeStartOrReply(c: Client, arg: string): StreamId | null {
  const st = parseIntervalIdOrReply(c, arg, 0n);
  if (st === null) return null;
  const id = st[1] ? incrId(st[0]) : st[0];
  if (id === null) c.error(ERR_INVALID_START);
  return id;
}

/** A range end, as rangeStartOrReply: `+`, an ID (missing seq = max), `(id` exclusive (the previous ID). */
function rangeEndOrReply(c: Client, arg: string): StreamId | null {
  const en = parseIntervalIdOrReply(c, arg, U64_MAX);
  if (en === null) return null;
  const id = en[1] ? decrId(en[0]) : en[0];
  if (id === null) c.error(ERR_INVALID_END);
  return id;
}

/** XRANGE / XREVRANGE (xrangeGenericCommand). */
function xrangeGeneric(c: Client, argv: string[], rev: boolean): void {
  const startArg = rev ? argv[3] : argv[2];
  const endArg = rev ? argv[2] : argv[3];
  const start = rangeStartOrReply(c, startArg);
  if (start === null) return;
  const end = rangeEndOrReply(c, endArg);
  if (end === null) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (isKeyword(argv[j], 'count') && j + 1 < argv.length) {
      const v = intArg(c, argv[j + 1]);
      if (v === null) return;
      count = Math.max(v, 0);
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const s = streamForRead(c, argv[1]);
  if (s === undefined) return;
  if (s === null) {
    c.reply.arrayLen(0);
    return;
  }
  if (count === 0) {
    c.reply.nullArray();
    return;
  }
  replyRange(c, s, start, end, count === -1 ? 0 : count, rev);
}

/** XRANGE key start end [COUNT count]. */
function xrangeCommand(c: Client, argv: string[]): void {
  xrangeGeneric(c, argv, false);
}

/** XREVRANGE key end start [COUNT count]. */
function xrevrangeCommand(c: Client, argv: string[]): void {
  xrangeGeneric(c, argv, true);
}

/** XDEL key id [id ...]. */
function xdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const s = streamForWrite(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.reply.integer(0);
    return;
  }
  const ids = parseIdListOrReply(c, argv, 2);
  if (ids === null) return;
  let deleted = 0;
  for (const id of ids) {
    if (s.delete(id)) {
      if (cmpId(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted > 0) {
    modified(c, key);
    notify(c, 'xdel', key);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]. */
function xsetidCommand(c: Client, argv: string[]): void {
  const id = parseStrictIdOrReply(c, argv[2]);
  if (id === null) return;
  let entriesAdded = -1;
  let maxXdel = ID_ZERO;
  for (let i = 3; i < argv.length; ) {
    const more = argv.length - 1 - i;
    if (isKeyword(argv[i], 'entriesadded') && more > 0) {
      const v = intArg(c, argv[i + 1]);
      if (v === null) return;
      if (v < 0) {
        c.error(ERR_XSETID_ENTRIES_ADDED_NEGATIVE);
        return;
      }
      entriesAdded = v;
      i += 2;
    } else if (isKeyword(argv[i], 'maxdeletedid') && more > 0) {
      const m = parseStrictIdOrReply(c, argv[i + 1]);
      if (m === null) return;
      if (cmpId(id, m) < 0) {
        c.error(ERR_XSETID_SMALLER_THAN_MAXDELETED);
        return;
      }
      maxXdel = m;
      i += 2;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const key = argv[1];
  const s = streamForWrite(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (s.length > 0) {
    if (cmpId(id, lastValidId(s)) < 0) {
      c.error(ERR_XSETID_SMALLER_THAN_TOP);
      return;
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      c.error(ERR_XSETID_ENTRIES_ADDED_SMALL);
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (cmpId(maxXdel, ID_ZERO) !== 0) s.maxDeletedId = maxXdel;
  c.reply.ok();
  c.server.dirty++;
  notify(c, 'xsetid', key);
}

// ---- XREAD / XREADGROUP -------------------------------------------------------------------------

/** One stream argument of XREAD/XREADGROUP. */
interface ReadTarget {
  key: string;
  /** Entries must be greater than this; ID_MAX marks XREADGROUP's `>`. */
  gt: StreamId;
  group: StreamGroup | null;
}

/** XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ... / XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS ... */
function xreadGeneric(c: Client, argv: string[], xreadgroup: boolean): void {
  const cmdName = xreadgroup ? 'xreadgroup' : 'xread';
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let nStreams = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = '';
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i].toLowerCase();
    if (o === 'block' && more > 0) {
      if (c.socket === null && !c.mustObey && c.server.execDepth > 0) {
        // A script's client (Redis CLIENT_LUA): BLOCK is refused outright.
        c.error(errBlockFromScript(argv[0]));
        return;
      }
      i++;
      const v = parseInt64(argv[i]);
      if (v === null) {
        c.error(ERR_TIMEOUT_NOT_INTEGER);
        return;
      }
      const ms = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER * (v < 0n ? -1 : 1) : v;
      if (ms < 0) {
        c.error(ERR_TIMEOUT_NEGATIVE);
        return;
      }
      if (ms > 2 ** 63 - Date.now()) {
        c.error(ERR_TIMEOUT_OUT_OF_RANGE);
        return;
      }
      timeout = ms;
    } else if (o === 'count' && more > 0) {
      i++;
      const v = intArg(c, argv[i]);
      if (v === null) return;
      count = Math.max(v, 0);
    } else if (o === 'streams' && more > 0) {
      streamsArg = i + 1;
      nStreams = argv.length - streamsArg;
      if (nStreams % 2 !== 0) {
        // Redis 7.0 words it the same for XREADGROUP.
        c.error(ERR_XREAD_UNBALANCED);
        return;
      }
      nStreams /= 2;
      break;
    } else if (o === 'group' && more >= 2) {
      if (!xreadgroup) {
        c.error(ERR_XREAD_GROUP_OPTION);
        return;
      }
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (o === 'noack') {
      if (!xreadgroup) {
        c.error(ERR_XREAD_NOACK_OPTION);
        return;
      }
      noack = true;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (xreadgroup && groupName === null) {
    c.error(ERR_XREADGROUP_NO_GROUP);
    return;
  }
  const targets: ReadTarget[] = [];
  for (let k = 0; k < nStreams; k++) {
    const key = argv[streamsArg + k];
    const idArg = argv[streamsArg + nStreams + k];
    const o = c.db.lookupRead(key);
    if (o !== undefined && o.type !== ObjType.Stream) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const s = o === undefined ? null : (o.value as Stream);
    let group: StreamGroup | null = null;
    if (groupName !== null) {
      group = s?.groups.get(groupName) ?? null;
      if (group === null) {
        c.error(errNoKeyOrGroup(key, groupName, ' in XREADGROUP with GROUP option'));
        return;
      }
    }
    if (idArg === '$') {
      if (xreadgroup) {
        c.error(ERR_XREADGROUP_DOLLAR);
        return;
      }
      targets.push({ key, gt: s !== null ? s.lastId : ID_ZERO, group });
      continue;
    }
    if (idArg === '>') {
      if (!xreadgroup) {
        c.error(ERR_XREAD_GT_ID);
        return;
      }
      targets.push({ key, gt: ID_MAX, group });
      continue;
    }
    const id = parseStrictIdOrReply(c, idArg);
    if (id === null) return;
    targets.push({ key, gt: id, group });
  }
  c.server.preventPropagation = true;
  // Serve synchronously what can be served.
  let mark = -1;
  let served = 0;
  for (const t of targets) {
    const o = c.db.lookupRead(t.key);
    if (o === undefined) continue;
    const s = o.value as Stream;
    let gt = t.gt;
    let serve = false;
    let history = false;
    if (t.group !== null) {
      if (gt.ms !== U64_MAX || gt.seq !== U64_MAX) {
        serve = true;
        history = true;
      } else if (s.length > 0) {
        const last = t.group.lastId;
        if (cmpId(lastValidId(s), last) > 0) {
          serve = true;
          gt = last;
        }
      }
    } else if (s.length > 0 && cmpId(lastValidId(s), gt) > 0) {
      serve = true;
    }
    if (!serve) continue;
    if (served++ === 0) mark = c.reply.deferLen();
    if (c.resp === 2) c.reply.arrayLen(2);
    c.reply.bulk(t.key);
    if (t.group !== null) {
      willWrite(c, t.key);
      const [cn, created] = lookupOrCreateConsumer(c, t.group, consumerName, t.key);
      if (created && noack) propagateConsumerCreation(c, t.key, groupName as string, consumerName);
      if (history) {
        const start = incrId(gt);
        if (start === null) c.reply.arrayLen(0);
        else replyConsumerHistory(c, s, cn, start, count);
      } else {
        replyGroupNew(c, s, t.key, groupName as string, t.group, cn, gt, count, noack);
      }
      c.server.dirty++;
    } else {
      const start = incrId(gt);
      if (start === null) c.reply.arrayLen(0);
      else replyRange(c, s, start, ID_MAX, count, false);
    }
  }
  if (served > 0) {
    if (c.resp === 2) c.reply.setDeferredArrayLen(mark, served);
    else c.reply.setDeferredMapLen(mark, served);
    return;
  }
  if (timeout === -1 || c.multi !== null || c.server.execDepth > 0 || c.socket === null) {
    c.reply.nullArray();
    return;
  }
  // Block: the first occurrence of a key decides its ID (blockForKeys ignores repeats).
  const waits = new Map<string, ReadTarget>();
  for (const t of targets) if (!waits.has(t.key)) waits.set(t.key, t);
  const blockCount = count !== 0 ? count : BLOCKED_DEFAULT_COUNT;
  c.server.blockClient(c, {
    keys: [...waits.keys()],
    deadline: timeout === 0 ? 0 : Date.now() + timeout,
    command: cmdName,
    servesMissingKey: groupName !== null,
    onReady: (bc, key) => serveBlockedReader(bc, key, waits.get(key) as ReadTarget, groupName, consumerName, noack, blockCount),
    onTimeout: (bc) => bc.reply.nullArray(),
  });
}

/**
 * Serves a client blocked in XREAD/XREADGROUP on `key` (serveClientsBlockedOnStreamKey).
 * @returns true when it replied (entries or an error), false to keep waiting.
 */
function serveBlockedReader(
  c: Client,
  key: string,
  t: ReadTarget,
  groupName: string | null,
  consumerName: string,
  noack: boolean,
  count: number,
): boolean {
  const o = c.db.peek(key);
  if (o === undefined || o.type !== ObjType.Stream) {
    if (groupName === null) return false;
    c.error(ERR_UNBLOCKED_DELETED);
    return true;
  }
  const s = o.value as Stream;
  let gt = t.gt;
  let g: StreamGroup | null = null;
  if (groupName !== null) {
    g = s.groups.get(groupName) ?? null;
    if (g === null) {
      c.error(ERR_NOGROUP_BLOCKED);
      return true;
    }
    gt = g.lastId;
  }
  if (cmpId(s.lastId, gt) <= 0) return false;
  if (c.resp === 2) c.reply.arrayLen(1);
  else c.reply.mapLen(1);
  if (c.resp === 2) c.reply.arrayLen(2);
  c.reply.bulk(key);
  if (g !== null && groupName !== null) {
    willWrite(c, key);
    const [cn, created] = lookupOrCreateConsumer(c, g, consumerName, key);
    if (created && noack) propagateConsumerCreation(c, key, groupName, consumerName);
    replyGroupNew(c, s, key, groupName, g, cn, gt, count, noack);
  } else {
    const start = incrId(gt);
    if (start === null) c.reply.arrayLen(0);
    else replyRange(c, s, start, ID_MAX, count, false);
  }
  return true;
}

/** XREAD. */
function xreadCommand(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, false);
}

/** XREADGROUP. */
function xreadgroupCommand(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, true);
}

// ---- XGROUP -------------------------------------------------------------------------------------

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

/**
 * XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER (xgroupCommand): shared key/group
 * checks, then the subcommand. @param sub lowercase subcommand name.
 */
function xgroupGeneric(c: Client, argv: string[], sub: string): void {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  if (sub === 'create' && argv.length >= 5) {
    for (let i = 5; i < argv.length; ) {
      if (isKeyword(argv[i], 'mkstream')) {
        mkstream = true;
        i++;
      } else if (isKeyword(argv[i], 'entriesread') && i + 1 < argv.length) {
        const v = intArg(c, argv[i + 1]);
        if (v === null) return;
        if (v < 0 && v !== INVALID_ENTRIES_READ) {
          c.error(ERR_ENTRIESREAD);
          return;
        }
        entriesRead = v;
        i += 2;
      } else {
        c.error(errSubcommandSyntax('XGROUP', argv[1]));
        return;
      }
    }
  }
  const key = argv[2];
  let s = streamForWrite(c, key);
  if (s === undefined) return;
  if (s === null && !(sub === 'create' && mkstream)) {
    c.error(ERR_XGROUP_NO_KEY);
    return;
  }
  const groupName = argv[3];
  const g = s?.groups.get(groupName);
  if (g === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
    c.error(errNoGroupForKey(groupName, key));
    return;
  }
  if (sub === 'create') {
    if (argv.length > 8) {
      c.error(errSubcommandSyntax('XGROUP', argv[1]));
      return;
    }
    let id: StreamId;
    if (argv[4] === '$') id = s !== null ? s.lastId : ID_ZERO;
    else {
      const p = parseStrictIdOrReply(c, argv[4]);
      if (p === null) return;
      id = p;
    }
    if (s === null) {
      s = new Stream();
      c.db.add(key, new RObject(ObjType.Stream, s));
      modified(c, key);
    }
    if (s.groups.has(groupName)) {
      c.error(ERR_BUSYGROUP);
      return;
    }
    s.addGroup(groupName, id, entriesRead);
    c.reply.ok();
    c.server.dirty++;
    notify(c, 'xgroup-create', key);
  } else if (sub === 'setid') {
    if (argv.length !== 5 && argv.length !== 7) {
      c.error(errSubcommandSyntax('XGROUP', argv[1]));
      return;
    }
    let id: StreamId;
    if (argv[4] === '$') id = (s as Stream).lastId;
    else {
      const p = parseStreamId(c, argv[4], 0n, false);
      if (p === null) return;
      id = p.id;
    }
    if (argv.length === 7) {
      if (!isKeyword(argv[5], 'entriesread')) {
        c.error(errSubcommandSyntax('XGROUP', argv[1]));
        return;
      }
      const v = intArg(c, argv[6]);
      if (v === null) return;
      if (v < 0 && v !== INVALID_ENTRIES_READ) {
        c.error(ERR_ENTRIESREAD);
        return;
      }
      entriesRead = v;
    }
    const grp = g as StreamGroup;
    grp.lastId = id;
    grp.entriesRead = entriesRead;
    c.reply.ok();
    c.server.dirty++;
    notify(c, 'xgroup-setid', key);
  } else if (sub === 'destroy') {
    if (g !== undefined) {
      (s as Stream).groups.delete(groupName);
      c.reply.integer(1);
      c.server.dirty++;
      notify(c, 'xgroup-destroy', key);
      c.server.signalKeyAsReady(c.db, key);
    } else c.reply.integer(0);
  } else if (sub === 'createconsumer') {
    const created = createConsumer(c, g as StreamGroup, argv[4], key);
    c.reply.integer(created !== null ? 1 : 0);
  } else if (sub === 'delconsumer') {
    const grp = g as StreamGroup;
    const cn = grp.consumers.get(argv[4]);
    let pending = 0;
    if (cn !== undefined) {
      pending = cn.pelSize;
      for (const nk of [...cn.pelEntries()]) grp.pel.remove(nk.id);
      grp.consumers.delete(cn.name);
      c.server.dirty++;
      notify(c, 'xgroup-delconsumer', key);
    }
    c.reply.integer(pending);
  }
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ------------------------------------------------------

/** XACK key group id [id ...]. */
function xackCommand(c: Client, argv: string[]): void {
  const s = streamForRead(c, argv[1]);
  if (s === undefined) return;
  const g = s?.groups.get(argv[2]);
  if (s === null || g === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids = parseIdListOrReply(c, argv, 3);
  if (ids === null) return;
  let acked = 0;
  willWrite(c, argv[1]);
  for (const id of ids) {
    const nk = g.pel.remove(id);
    if (nk !== undefined) {
      nk.consumer?.pel.remove(id);
      acked++;
      c.server.dirty++;
    }
  }
  c.reply.integer(acked);
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]]. */
function xpendingCommand(c: Client, argv: string[]): void {
  const justInfo = argv.length === 3;
  const key = argv[1];
  const groupName = argv[2];
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) {
    c.error(ERR_SYNTAX);
    return;
  }
  let start = ID_ZERO;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let si = 3;
    if (isKeyword(argv[3], 'idle')) {
      const v = intArg(c, argv[4]);
      if (v === null) return;
      minIdle = v;
      if (argv.length < 8) {
        c.error(ERR_SYNTAX);
        return;
      }
      si += 2;
    }
    const cnt = intArg(c, argv[si + 2]);
    if (cnt === null) return;
    count = Math.max(cnt, 0);
    const sid = rangeStartOrReply(c, argv[si]);
    if (sid === null) return;
    start = sid;
    const eid = rangeEndOrReply(c, argv[si + 1]);
    if (eid === null) return;
    end = eid;
    if (si + 3 < argv.length) consumerName = argv[si + 3];
  }
  const s = streamForRead(c, key);
  if (s === undefined) return;
  const g = s?.groups.get(groupName);
  if (s === null || g === undefined) {
    c.error(errNoKeyOrGroup(key, groupName));
    return;
  }
  const r = c.reply;
  if (justInfo) {
    r.arrayLen(4);
    r.integer(g.pelSize);
    if (g.pelSize === 0) {
      r.nullBulk();
      r.nullBulk();
      r.nullArray();
      return;
    }
    r.bulk(idToString((g.pel.first() as StreamNack).id));
    r.bulk(idToString((g.pel.last() as StreamNack).id));
    const names = sortedNames(g.consumers).filter((n) => (g.consumers.get(n) as StreamConsumer).pelSize > 0);
    r.arrayLen(names.length);
    for (const n of names) {
      r.arrayLen(2);
      r.bulk(n);
      r.bulk(String((g.consumers.get(n) as StreamConsumer).pelSize));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const cn = g.consumers.get(consumerName);
    if (cn === undefined) {
      r.arrayLen(0);
      return;
    }
    pel = cn.pel;
  }
  const now = c.server.keyspace.now;
  const mark = r.deferLen();
  let n = 0;
  for (let i = pel.lowerBound(start); count > 0; i++) {
    const nk = pel.at(i);
    if (nk === undefined || cmpId(nk.id, end) > 0) break;
    if (minIdle !== 0 && now - nk.deliveryTime < minIdle) continue;
    n++;
    count--;
    r.arrayLen(4);
    r.bulk(idToString(nk.id));
    r.bulk(nk.consumer ? nk.consumer.name : '');
    const elapsed = now - nk.deliveryTime;
    r.integer(Math.max(elapsed, 0));
    r.integer(nk.deliveryCount);
  }
  r.setDeferredArrayLen(mark, n);
}

/** Moves a nack to consumer `cn` (no-op when it already owns it). */
function reassign(nk: StreamNack, cn: StreamConsumer): void {
  if (nk.consumer === cn) return;
  nk.consumer?.pel.remove(nk.id);
  cn.pelAttach(nk);
}

/** XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]. */
function xclaimCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const groupName = argv[2];
  const s = streamForRead(c, key);
  if (s === undefined) return;
  const g = s?.groups.get(groupName);
  if (s === null || g === undefined) {
    c.error(errNoKeyOrGroup(key, groupName));
    return;
  }
  let minIdle = intArg(c, argv[4], 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseStrictIdOrReply(null, argv[j]);
    if (id === null) break;
    ids.push(id);
  }
  const now = c.server.keyspace.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = ID_ZERO;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === 'force') force = true;
    else if (opt === 'justid') justId = true;
    else if (opt === 'idle' && more > 0) {
      const v = intArg(c, argv[++j], 'ERR Invalid IDLE option argument for XCLAIM');
      if (v === null) return;
      deliveryTime = now - v;
    } else if (opt === 'time' && more > 0) {
      const v = intArg(c, argv[++j], 'ERR Invalid TIME option argument for XCLAIM');
      if (v === null) return;
      deliveryTime = v;
    } else if (opt === 'retrycount' && more > 0) {
      const v = intArg(c, argv[++j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
      if (v === null) return;
      retryCount = v;
    } else if (opt === 'lastid' && more > 0) {
      const id = parseStrictIdOrReply(c, argv[++j]);
      if (id === null) return;
      lastId = id;
    } else {
      c.error(errXclaimOption(argv[j]));
      return;
    }
  }
  c.server.preventPropagation = true;
  willWrite(c, key);
  let propagateLast = false;
  if (cmpId(lastId, g.lastId) > 0) {
    g.lastId = lastId;
    propagateLast = true;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else deliveryTime = now;
  let cn: StreamConsumer | null = null;
  const mark = c.reply.deferLen();
  let n = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const idArg = argv[5 + k];
    let nk = g.pel.get(id);
    const fields = s.get(id);
    if (fields === null) {
      if (nk !== undefined) {
        propagateXclaim(c, key, g, groupName, idArg, nk);
        propagateLast = false;
        c.server.dirty++;
        g.pel.remove(id);
        nk.consumer?.pel.remove(id);
      }
      continue;
    }
    if (force && nk === undefined) {
      nk = new StreamNack(id, now, 1, null);
      g.pel.add(nk);
    }
    if (nk === undefined) continue;
    if (nk.consumer !== null && minIdle !== 0 && now - nk.deliveryTime < minIdle) continue;
    if (cn === null) cn = lookupOrCreateConsumer(c, g, argv[3], key)[0];
    nk.deliveryTime = deliveryTime;
    if (retryCount >= 0) nk.deliveryCount = retryCount;
    else if (!justId) nk.deliveryCount++;
    reassign(nk, cn);
    if (justId) c.reply.bulk(idToString(id));
    else replyEntry(c, id, fields);
    n++;
    propagateXclaim(c, key, g, groupName, idArg, nk);
    propagateLast = false;
    c.server.dirty++;
  }
  if (propagateLast) {
    propagateGroupId(c, key, g, groupName);
    c.server.dirty++;
  }
  c.reply.setDeferredArrayLen(mark, n);
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]. */
function xautoclaimCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const groupName = argv[2];
  let minIdle = intArg(c, argv[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const start = rangeStartOrReply(c, argv[5]);
  if (start === null) return;
  let count = 100;
  let justId = false;
  const maxCount = 2 ** 59;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isKeyword(argv[j], 'count') && more > 0) {
      const v = parseInt64(argv[j + 1]);
      if (v === null || typeof v === 'bigint' || v < 1 || v > maxCount) {
        c.error(ERR_XAUTOCLAIM_COUNT);
        return;
      }
      count = v;
      j++;
    } else if (isKeyword(argv[j], 'justid')) justId = true;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const s = streamForRead(c, key);
  if (s === undefined) return;
  const g = s?.groups.get(groupName);
  if (s === null || g === undefined) {
    c.error(errNoKeyOrGroup(key, groupName));
    return;
  }
  c.server.preventPropagation = true;
  willWrite(c, key);
  let attempts = count * 10;
  const now = c.server.keyspace.now;
  let cn: StreamConsumer | null = null;
  const r = c.reply;
  r.arrayLen(3);
  // The cursor is known only at the end: build the claimed entries in a side buffer.
  const claimed: [StreamId, string[] | null][] = [];
  const deleted: StreamId[] = [];
  let i = g.pel.lowerBound(start);
  let exhausted = false;
  while (attempts-- > 0 && count > 0) {
    const nk = g.pel.at(i);
    if (nk === undefined) {
      exhausted = true;
      break;
    }
    const id = nk.id;
    const fields = s.get(id);
    if (fields === null) {
      propagateXclaim(c, key, g, groupName, idToString(id), nk);
      c.server.dirty++;
      g.pel.remove(id);
      nk.consumer?.pel.remove(id);
      deleted.push(id);
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0 && now - nk.deliveryTime < minIdle) continue;
    if (cn === null) cn = lookupOrCreateConsumer(c, g, argv[3], key)[0];
    nk.deliveryTime = now;
    if (!justId) nk.deliveryCount++;
    reassign(nk, cn);
    claimed.push([id, justId ? null : fields]);
    count--;
    propagateXclaim(c, key, g, groupName, idToString(id), nk);
    c.server.dirty++;
  }
  const next = exhausted ? undefined : g.pel.at(i);
  r.bulk(next === undefined ? '0-0' : idToString(next.id));
  r.arrayLen(claimed.length);
  for (const [id, fields] of claimed) {
    if (fields === null) r.bulk(idToString(id));
    else replyEntry(c, id, fields);
  }
  r.arrayLen(deleted.length);
  for (const id of deleted) r.bulk(idToString(id));
}

// ---- XINFO --------------------------------------------------------------------------------------

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

/** The stream for XINFO: replies `no such key` / WRONGTYPE and returns null. */
function xinfoStream(c: Client, key: string): Stream | null {
  const s = streamForRead(c, key);
  if (s === null) c.error(ERR_NO_SUCH_KEY);
  return s ?? null;
}

/** XINFO CONSUMERS key group. */
function xinfoConsumersCommand(c: Client, argv: string[]): void {
  const s = xinfoStream(c, argv[2]);
  if (s === null) return;
  const g = s.groups.get(argv[3]);
  if (g === undefined) {
    c.error(errNoGroupForKey(argv[3], argv[2]));
    return;
  }
  const r = c.reply;
  const now = Date.now();
  const names = sortedNames(g.consumers);
  r.arrayLen(names.length);
  for (const n of names) {
    const cn = g.consumers.get(n) as StreamConsumer;
    const idle = now - cn.seenTime;
    r.mapLen(3);
    r.bulk('name');
    r.bulk(n);
    r.bulk('pending');
    r.integer(cn.pelSize);
    r.bulk('idle');
    r.integer(Math.max(idle, 0));
  }
}

/** XINFO GROUPS key. */
function xinfoGroupsCommand(c: Client, argv: string[]): void {
  const s = xinfoStream(c, argv[2]);
  if (s === null) return;
  const r = c.reply;
  const names = sortedNames(s.groups);
  r.arrayLen(names.length);
  for (const n of names) {
    const g = s.groups.get(n) as StreamGroup;
    r.mapLen(6);
    r.bulk('name');
    r.bulk(n);
    r.bulk('consumers');
    r.integer(g.consumers.size);
    r.bulk('pending');
    r.integer(g.pelSize);
    r.bulk('last-delivered-id');
    r.bulk(idToString(g.lastId));
    r.bulk('entries-read');
    if (g.entriesRead !== INVALID_ENTRIES_READ) r.integer(g.entriesRead);
    else r.nullBulk();
    r.bulk('lag');
    replyLag(c, s, g);
  }
}

/** XINFO STREAM key [FULL [COUNT count]] (xinfoReplyWithStreamInfo). */
function xinfoStreamCommand(c: Client, argv: string[]): void {
  const extra = argv.length - 3;
  let full = false;
  let count = 10;
  if (extra > 0) {
    if (!isKeyword(argv[3], 'full')) {
      c.error(errSubcommandSyntax('XINFO', argv[1]));
      return;
    }
    if (extra === 3 && isKeyword(argv[4], 'count')) {
      const v = intArg(c, argv[5]);
      if (v === null) return;
      count = v < 0 ? 10 : v;
    } else if (extra !== 1) {
      c.error(errSubcommandSyntax('XINFO', argv[1]));
      return;
    }
    full = true;
  }
  const s = xinfoStream(c, argv[2]);
  if (s === null) return;
  const r = c.reply;
  r.mapLen(full ? 9 : 10);
  r.bulk('length');
  r.integer(s.length);
  r.bulk('radix-tree-keys');
  r.integer(s.nodeCount);
  r.bulk('radix-tree-nodes');
  r.integer(s.raxNodes());
  r.bulk('last-generated-id');
  r.bulk(idToString(s.lastId));
  r.bulk('max-deleted-entry-id');
  r.bulk(idToString(s.maxDeletedId));
  r.bulk('entries-added');
  r.integer(s.entriesAdded);
  r.bulk('recorded-first-entry-id');
  r.bulk(idToString(s.firstId()));
  if (!full) {
    r.bulk('groups');
    r.integer(s.groups.size);
    r.bulk('first-entry');
    let found = false;
    s.scan(ID_ZERO, ID_MAX, false, (id, f) => {
      replyEntry(c, id, f);
      found = true;
      return false;
    });
    if (!found) r.nullBulk();
    r.bulk('last-entry');
    found = false;
    s.scan(ID_ZERO, ID_MAX, true, (id, f) => {
      replyEntry(c, id, f);
      found = true;
      return false;
    });
    if (!found) r.nullBulk();
    return;
  }
  r.bulk('entries');
  replyRange(c, s, ID_ZERO, ID_MAX, count, false);
  r.bulk('groups');
  const names = sortedNames(s.groups);
  r.arrayLen(names.length);
  for (const n of names) {
    const g = s.groups.get(n) as StreamGroup;
    r.mapLen(7);
    r.bulk('name');
    r.bulk(n);
    r.bulk('last-delivered-id');
    r.bulk(idToString(g.lastId));
    r.bulk('entries-read');
    if (g.entriesRead !== INVALID_ENTRIES_READ) r.integer(g.entriesRead);
    else r.nullBulk();
    r.bulk('lag');
    replyLag(c, s, g);
    r.bulk('pel-count');
    r.integer(g.pelSize);
    r.bulk('pending');
    const pm = r.deferLen();
    let pn = 0;
    for (const nk of g.pelEntries()) {
      if (count !== 0 && pn >= count) break;
      r.arrayLen(4);
      r.bulk(idToString(nk.id));
      r.bulk(nk.consumer ? nk.consumer.name : '');
      r.integer(nk.deliveryTime);
      r.integer(nk.deliveryCount);
      pn++;
    }
    r.setDeferredArrayLen(pm, pn);
    r.bulk('consumers');
    const cnames = sortedNames(g.consumers);
    r.arrayLen(cnames.length);
    for (const cname of cnames) {
      const cn = g.consumers.get(cname) as StreamConsumer;
      r.mapLen(4);
      r.bulk('name');
      r.bulk(cname);
      r.bulk('seen-time');
      r.integer(cn.seenTime);
      r.bulk('pel-count');
      r.integer(cn.pelSize);
      r.bulk('pending');
      const cm = r.deferLen();
      let cnt = 0;
      for (const nk of cn.pelEntries()) {
        if (count !== 0 && cnt >= count) break;
        r.arrayLen(3);
        r.bulk(idToString(nk.id));
        r.integer(nk.deliveryTime);
        r.integer(nk.deliveryCount);
        cnt++;
      }
      r.setDeferredArrayLen(cm, cnt);
    }
  }
}

const families: CommandDef[] = [
  { name: 'xadd', handler: xaddCommand },
  { name: 'xtrim', handler: xtrimCommand },
  { name: 'xlen', handler: xlenCommand },
  { name: 'xrange', handler: xrangeCommand },
  { name: 'xrevrange', handler: xrevrangeCommand },
  { name: 'xdel', handler: xdelCommand },
  { name: 'xsetid', handler: xsetidCommand },
  { name: 'xread', handler: xreadCommand },
  { name: 'xreadgroup', handler: xreadgroupCommand },
  { name: 'xack', handler: xackCommand },
  { name: 'xpending', handler: xpendingCommand },
  { name: 'xclaim', handler: xclaimCommand },
  { name: 'xautoclaim', handler: xautoclaimCommand },
  {
    name: 'xgroup',
    subcommands: [
      { name: 'help', handler: (c) => replyHelp(c.reply, XGROUP_HELP) },
      { name: 'create', handler: (c, argv) => xgroupGeneric(c, argv, 'create') },
      { name: 'setid', handler: (c, argv) => xgroupGeneric(c, argv, 'setid') },
      { name: 'destroy', handler: (c, argv) => xgroupGeneric(c, argv, 'destroy') },
      { name: 'createconsumer', handler: (c, argv) => xgroupGeneric(c, argv, 'createconsumer') },
      { name: 'delconsumer', handler: (c, argv) => xgroupGeneric(c, argv, 'delconsumer') },
    ],
  },
  {
    name: 'xinfo',
    subcommands: [
      { name: 'help', handler: (c) => replyHelp(c.reply, XINFO_HELP) },
      { name: 'stream', handler: xinfoStreamCommand },
      { name: 'groups', handler: xinfoGroupsCommand },
      { name: 'consumers', handler: xinfoConsumersCommand },
    ],
  },
];

export default families;
