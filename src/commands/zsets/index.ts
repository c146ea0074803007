/**
 * Sorted-set commands over ZSet (src/store/zset.ts): ZADD and friends, ranges by rank/score/lex,
 * removals, pops (also blocking), set algebra (inputs may be plain sets, score 1), ZRANDMEMBER, ZSCAN.
 * Replies and errors follow Redis 7.0: scores via `reply.double` (RESP3 double, RESP2 %.17g bulk);
 * WITHSCORES replies are flat in RESP2 and [member, score] pairs in RESP3.
 * Source: Redis 7.0 t_zset.c.
 */
import { ERR_LIMIT_NEGATIVE, ERR_SYNTAX, ERR_WRONGTYPE } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import { formatDouble as formatScore } from '../../protocol/reply.js';
import { type LexRange, lexGteMin, lexLteMax, type SkipNode } from '../../store/skiplist.js';
import { ZAddIn, ZAddOut, ZSet, zsetLimits } from '../../store/zset.js';
import { MAX_REPLY_ELEMENTS, isKeyword, parseInt64, parseIntOrReply } from '../args.js';
import type { CommandDef } from '../types.js';
import { globMatch, parseDoubleStrict, parseLexRange, parseScoreRange, parseTimeoutOrReply, readZset, writeZset } from './util.js';

const ERR_NOT_FLOAT_RANGE = 'ERR min or max is not a float';
const ERR_NOT_LEX_RANGE = 'ERR min or max not valid string range item';
const ERR_ZADD_XX_NX = 'ERR XX and NX options at the same time are not compatible';
const ERR_ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
const ERR_ZADD_INCR_PAIR = 'ERR INCR option supports a single increment-element pair';
const ERR_SCORE_NAN = 'ERR resulting score is not a number (NaN)';
const ERR_NOT_VALID_FLOAT = 'ERR value is not a valid float';
const ERR_POSITIVE = 'ERR value is out of range, must be positive';
const ERR_NUMKEYS = 'ERR numkeys should be greater than 0';
const ERR_COUNT_POSITIVE = 'ERR count should be greater than 0';

/** Refreshes the listpack limits from the config (zset-max-listpack-entries/-value) before creating a zset. */
function syncLimits(c: Client): void {
  zsetLimits.maxListpackEntries = c.server.config.num('zset-max-listpack-entries');
  zsetLimits.maxListpackValue = c.server.config.num('zset-max-listpack-value');
}

/** Deletes the key if its zset became empty, with the `del` event. */
function deleteIfEmpty(c: Client, key: string, z: ZSet): void {
  if (z.size === 0) {
    c.db.deleteKey(key);
    c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
  }
}

/** Parses a `long` argument as Redis getLongFromObjectOrReply (clamped to safe range). */
function parseLong(c: Client, s: string): number | null {
  return parseIntOrReply(c, s);
}

// ---- ZADD / ZINCRBY ----------------------------------------------------------------------

function zaddGeneric(c: Client, argv: string[], baseFlags: number): void {
  const key = argv[1];
  let flags = baseFlags;
  let ch = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i];
    // Options start with a letter; scores never match one (skips isKeyword's toLowerCase per score).
    const c0 = a.charCodeAt(0) | 0x20;
    if (c0 < 97 || c0 > 122) break;
    if (isKeyword(a, 'nx')) flags |= ZAddIn.Nx;
    else if (isKeyword(a, 'xx')) flags |= ZAddIn.Xx;
    else if (isKeyword(a, 'ch')) ch = true;
    else if (isKeyword(a, 'incr')) flags |= ZAddIn.Incr;
    else if (isKeyword(a, 'gt')) flags |= ZAddIn.Gt;
    else if (isKeyword(a, 'lt')) flags |= ZAddIn.Lt;
    else break;
  }
  const incr = (flags & ZAddIn.Incr) !== 0;
  const nx = (flags & ZAddIn.Nx) !== 0;
  const xx = (flags & ZAddIn.Xx) !== 0;
  const gt = (flags & ZAddIn.Gt) !== 0;
  const lt = (flags & ZAddIn.Lt) !== 0;
  const elements = argv.length - i;
  if (elements === 0 || elements % 2 !== 0) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (incr && elements > 2) {
    c.error(ERR_ZADD_INCR_PAIR);
    return;
  }
  if (nx && xx) {
    c.error(ERR_ZADD_XX_NX);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.error(ERR_ZADD_GT_LT_NX);
    return;
  }
  const n = elements / 2;
  const scores = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    const d = parseDoubleStrict(argv[i + j * 2]);
    if (d === null) {
      c.error(ERR_NOT_VALID_FLOAT);
      return;
    }
    scores[j] = d;
  }
  let z = writeZset(c, key);
  if (z === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let nan = false;
  if (z === undefined) {
    if (xx) {
      if (incr) c.reply.nullBulk();
      else c.reply.integer(0);
      return;
    }
    syncLimits(c);
    z = new ZSet();
    c.db.add(key, new RObject(ObjType.ZSet, z));
  }
  for (let j = 0; j < n; j++) {
    const out = z.add(scores[j], argv[i + j * 2 + 1], flags);
    if (out & ZAddOut.Nan) {
      c.error(ERR_SCORE_NAN);
      nan = true;
      break;
    }
    if (out & ZAddOut.Added) added++;
    if (out & ZAddOut.Updated) updated++;
    if (!(out & ZAddOut.Nop)) processed++;
    score = z.lastScore;
  }
  if (added + updated > 0) {
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.notifyKeyspaceEvent('z', incr ? 'zincr' : 'zadd', key, c.db.id);
    c.server.dirty += added + updated;
    if (added > 0) c.server.signalKeyAsReady(c.db, key);
  }
  if (z.size === 0) c.db.deleteKey(key);
  if (nan) return;
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.nullBulk();
  } else {
    c.reply.integer(ch ? added + updated : added);
  }
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... (Redis docs: ZADD). */
function zaddCommand(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, ZAddIn.None);
}

/** ZINCRBY key increment member: the new score (Redis docs: ZINCRBY). */
function zincrbyCommand(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, ZAddIn.Incr);
}

// ---- simple reads ------------------------------------------------------------------------

/** ZCARD key (Redis docs: ZCARD). */
function zcardCommand(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : z.size);
}

/** ZSCORE key member: the score or nil (Redis docs: ZSCORE). */
function zscoreCommand(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  const s = z?.score(argv[2]);
  if (s === undefined) c.reply.nullBulk();
  else c.reply.double(s);
}

/** ZMSCORE key member [member ...]: an array of scores or nils (Redis docs: ZMSCORE). */
function zmscoreCommand(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  c.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    if (s === undefined) c.reply.nullBulk();
    else c.reply.double(s);
  }
}

/** ZRANK / ZREVRANK key member: 0-based rank or nil (Redis docs: ZRANK). */
function zrankGeneric(c: Client, argv: string[], rev: boolean): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  if (z === undefined) {
    c.reply.nullBulk();
    return;
  }
  const r = z.rank(argv[2], rev);
  if (r < 0) c.reply.nullBulk();
  else c.reply.integer(r);
}

/** ZCOUNT key min max (Redis docs: ZCOUNT). O(log n). */
function zcountCommand(c: Client, argv: string[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) {
    c.error(ERR_NOT_FLOAT_RANGE);
    return;
  }
  const z = readZset(c, argv[1]);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const first = z.zsl.firstInRange(range);
  if (first === null) {
    c.reply.integer(0);
    return;
  }
  const last = z.zsl.lastInRange(range) as SkipNode;
  c.reply.integer(z.zsl.getRank(last.score, last.ele) - z.zsl.getRank(first.score, first.ele) + 1);
}

/** ZLEXCOUNT key min max (Redis docs: ZLEXCOUNT). O(log n). */
function zlexcountCommand(c: Client, argv: string[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) {
    c.error(ERR_NOT_LEX_RANGE);
    return;
  }
  const z = readZset(c, argv[1]);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const first = z.firstInLex(range);
  if (first === null) {
    c.reply.integer(0);
    return;
  }
  if (z.encoding === 'listpack') {
    let n = 0;
    for (let x: SkipNode | null = first; x !== null && lexLteMax(x.ele, range); x = x.next) n++;
    c.reply.integer(n);
    return;
  }
  const last = z.zsl.lastInLexRange(range) as SkipNode;
  c.reply.integer(z.zsl.getRank(last.score, last.ele) - z.zsl.getRank(first.score, first.ele) + 1);
}

// ---- ranges ------------------------------------------------------------------------------

const enum RangeType {
  Auto,
  Rank,
  Score,
  Lex,
}
const enum Dir {
  Auto,
  Fwd,
  Rev,
}

/** Replies members (and scores) collected by a range: flat in RESP2, pairs in RESP3. */
function replyMembers(c: Client, members: string[], scores: number[] | null): void {
  if (scores === null) {
    c.reply.arrayLen(members.length);
    for (const m of members) c.reply.bulk(m);
    return;
  }
  const r3 = c.resp === 3;
  c.reply.arrayLen(r3 ? members.length : members.length * 2);
  for (let i = 0; i < members.length; i++) {
    if (r3) c.reply.arrayLen(2);
    c.reply.bulk(members[i]);
    c.reply.double(scores[i]);
  }
}

/**
 * The shared engine of ZRANGE, ZRANGESTORE, ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX
 * (zrangeGenericCommand): parses options, then collects members into `out`. `store` is the
 * destination key for ZRANGESTORE.
 */
function zrangeGeneric(c: Client, argv: string[], start: number, store: string | null, rtype: RangeType, dir: Dir): void {
  const key = argv[start];
  let minIdx = start + 1;
  let maxIdx = start + 2;
  let offset = 0;
  let limit = -1;
  let withScores = false;
  for (let j = start + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (store === null && isKeyword(a, 'withscores')) withScores = true;
    else if (isKeyword(a, 'limit') && left >= 2) {
      const o = parseLong(c, argv[j + 1]);
      if (o === null) return;
      const l = parseLong(c, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (dir === Dir.Auto && isKeyword(a, 'rev')) dir = Dir.Rev;
    else if (rtype === RangeType.Auto && isKeyword(a, 'bylex')) rtype = RangeType.Lex;
    else if (rtype === RangeType.Auto && isKeyword(a, 'byscore')) rtype = RangeType.Score;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (dir === Dir.Auto) dir = Dir.Fwd;
  if (rtype === RangeType.Auto) rtype = RangeType.Rank;
  if (limit !== -1 && rtype === RangeType.Rank) {
    c.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withScores && rtype === RangeType.Lex) {
    c.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  const rev = dir === Dir.Rev;
  if (rev && rtype !== RangeType.Rank) {
    minIdx = start + 2;
    maxIdx = start + 1;
  }
  let rs = 0;
  let re = 0;
  let srange = null;
  let lrange = null;
  if (rtype === RangeType.Rank) {
    const a = parseLong(c, argv[minIdx]);
    if (a === null) return;
    const b = parseLong(c, argv[maxIdx]);
    if (b === null) return;
    rs = a;
    re = b;
  } else if (rtype === RangeType.Score) {
    srange = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (srange === null) {
      c.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lrange = parseLexRange(argv[minIdx], argv[maxIdx]);
    if (lrange === null) {
      c.error(ERR_NOT_LEX_RANGE);
      return;
    }
  }
  const z = readZset(c, key);
  if (z === null) return;
  const members: string[] = [];
  const scores: number[] = [];
  if (z !== undefined) {
    const zsl = z.zsl;
    const len = zsl.length;
    if (rtype === RangeType.Rank) {
      if (rs < 0) rs = len + rs;
      if (re < 0) re = len + re;
      if (rs < 0) rs = 0;
      if (!(rs > re || rs >= len)) {
        if (re >= len) re = len - 1;
        let n = re - rs + 1;
        let x = rev ? zsl.getByRank(len - rs) : zsl.getByRank(rs + 1);
        while (x !== null && n-- > 0) {
          members.push(x.ele);
          scores.push(x.score);
          x = rev ? x.backward : x.next;
        }
      }
    } else if (!(offset > 0 && offset >= len)) {
      let x: SkipNode | null;
      if (srange !== null) x = rev ? zsl.lastInRange(srange) : zsl.firstInRange(srange);
      else x = rev ? z.lastInLex(lrange!) : z.firstInLex(lrange!);
      if (offset < 0) x = null;
      while (x !== null && offset > 0) {
        x = rev ? x.backward : x.next;
        offset--;
      }
      while (x !== null && limit !== 0) {
        if (srange !== null) {
          if (
            rev
              ? !(srange.minex ? x.score > srange.min : x.score >= srange.min)
              : !(srange.maxex ? x.score < srange.max : x.score <= srange.max)
          )
            break;
        } else {
          const lr = lrange!;
          if (rev) {
            if (!lexOk(x.ele, lr, true)) break;
          } else if (!lexOk(x.ele, lr, false)) break;
        }
        members.push(x.ele);
        scores.push(x.score);
        if (limit > 0) limit--;
        x = rev ? x.backward : x.next;
      }
    }
  }
  if (store !== null) {
    storeResult(c, store, members, scores, 'zrangestore');
    return;
  }
  replyMembers(c, members, withScores ? scores : null);
}

function lexOk(ele: string, r: LexRange, rev: boolean): boolean {
  return rev ? lexGteMin(ele, r) : lexLteMax(ele, r);
}

/** Stores members/scores under `dst` (or deletes it when empty) and replies the count. */
function storeResult(c: Client, dst: string, members: string[], scores: number[], event: string): void {
  if (members.length > 0) {
    syncLimits(c);
    const z = new ZSet();
    for (let i = 0; i < members.length; i++) if (z.score(members[i]) === undefined) z.insert(scores[i], members[i]);
    c.db.setKey(dst, new RObject(ObjType.ZSet, z));
    c.reply.integer(z.size);
    c.server.notifyKeyspaceEvent('z', event, dst, c.db.id);
    c.server.dirty++;
    c.server.signalKeyAsReady(c.db, dst);
  } else {
    c.reply.integer(0);
    if (c.db.delete(dst)) {
      c.server.notifyKeyspaceEvent('g', 'del', dst, c.db.id);
      c.server.dirty++;
    }
  }
}

function zrangeCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Auto, Dir.Auto);
}
function zrangestoreCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 2, argv[1], RangeType.Auto, Dir.Auto);
}
function zrevrangeCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Rank, Dir.Rev);
}
function zrangebyscoreCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Score, Dir.Fwd);
}
function zrevrangebyscoreCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Score, Dir.Rev);
}
function zrangebylexCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Lex, Dir.Fwd);
}
function zrevrangebylexCommand(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, RangeType.Lex, Dir.Rev);
}

// ---- removals ----------------------------------------------------------------------------

/** ZREM key member [member ...] (Redis docs: ZREM). */
function zremCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const z = writeZset(c, key);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (z.remove(argv[i])) deleted++;
    if (z.size === 0) break;
  }
  if (deleted > 0) {
    c.server.notifyKeyspaceEvent('z', 'zrem', key, c.db.id);
    deleteIfEmpty(c, key, z);
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX (zremrangeGenericCommand). */
function zremrangeGeneric(c: Client, argv: string[], rtype: RangeType): void {
  const key = argv[1];
  let rs = 0;
  let re = 0;
  let srange = null;
  let lrange = null;
  if (rtype === RangeType.Rank) {
    const a = parseLong(c, argv[2]);
    if (a === null) return;
    const b = parseLong(c, argv[3]);
    if (b === null) return;
    rs = a;
    re = b;
  } else if (rtype === RangeType.Score) {
    srange = parseScoreRange(argv[2], argv[3]);
    if (srange === null) {
      c.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lrange = parseLexRange(argv[2], argv[3]);
    if (lrange === null) {
      c.error(ERR_NOT_LEX_RANGE);
      return;
    }
  }
  const z = writeZset(c, key);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const zsl = z.zsl;
  let x: SkipNode | null = null;
  let n = Number.MAX_SAFE_INTEGER;
  if (rtype === RangeType.Rank) {
    const len = zsl.length;
    if (rs < 0) rs = len + rs;
    if (re < 0) re = len + re;
    if (rs < 0) rs = 0;
    if (rs > re || rs >= len) {
      c.reply.integer(0);
      return;
    }
    if (re >= len) re = len - 1;
    n = re - rs + 1;
    x = zsl.getByRank(rs + 1);
  } else if (srange !== null) x = zsl.firstInRange(srange);
  else x = z.firstInLex(lrange!);
  const victims: string[] = [];
  while (x !== null && n-- > 0) {
    if (srange !== null && !(srange.maxex ? x.score < srange.max : x.score <= srange.max)) break;
    if (lrange !== null && !lexLteMax(x.ele, lrange)) break;
    victims.push(x.ele);
    x = x.next;
  }
  for (const m of victims) z.remove(m);
  const deleted = victims.length;
  if (deleted > 0) {
    const ev = rtype === RangeType.Rank ? 'zremrangebyrank' : rtype === RangeType.Score ? 'zremrangebyscore' : 'zremrangebylex';
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.notifyKeyspaceEvent('z', ev, key, c.db.id);
    deleteIfEmpty(c, key, z);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

// ---- pops --------------------------------------------------------------------------------

/**
 * Pops up to `count` members from the first non-empty zset among `keys` (genericZpopCommand).
 * count -1 means a single pop. `emitKey` prefixes the key; `nested` uses [member, score] pairs.
 * @returns the key popped from, or null (replied empty / error).
 */
/** Members the last zpopGeneric popped: ZMPOP/BZMPOP propagate that count (Redis genericZpopCommand: min(count, size)). */
let lastPopped = 0;

function zpopGeneric(
  c: Client,
  keys: string[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): string | null {
  let z: ZSet | undefined;
  let key = '';
  for (const k of keys) {
    const r = writeZset(c, k);
    if (r === null) return null;
    if (r === undefined) continue;
    z = r;
    key = k;
    break;
  }
  if (z === undefined) {
    if (nilWhenEmpty) c.reply.nullArray();
    else c.reply.arrayLen(0);
    return null;
  }
  if (count === 0) {
    c.reply.arrayLen(0);
    return null;
  }
  if (count === -1) count = 1;
  let n = Math.min(count, z.size);
  if (!nested && !emitKey) c.reply.arrayLen(n * 2);
  else if (nested && !emitKey) c.reply.arrayLen(n);
  else if (!nested && emitKey) {
    c.reply.arrayLen(n * 2 + 1);
    c.reply.bulk(key);
  } else {
    c.reply.arrayLen(2);
    c.reply.bulk(key);
    c.reply.arrayLen(n);
  }
  const popped = n;
  lastPopped = n;
  while (n-- > 0) {
    let x: SkipNode;
    if (max) x = z.popLast() as SkipNode;
    else x = z.popFirst() as SkipNode;
    const ele = x.ele;
    const score = x.score;
    if (nested) c.reply.arrayLen(2);
    c.reply.bulk(ele);
    c.reply.double(score);
  }
  c.server.dirty += popped;
  c.server.notifyKeyspaceEvent('z', max ? 'zpopmax' : 'zpopmin', key, c.db.id);
  c.server.keyspace.hooks.keyModified(c.db, key);
  deleteIfEmpty(c, key, z);
  return key;
}

/** Parses a positive long (getPositiveLongFromObjectOrReply) or replies. */
function parsePositive(c: Client, s: string, msg = ERR_POSITIVE): number | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(msg);
    return null;
  }
  if (v < 0) {
    c.error(msg);
    return null;
  }
  return typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
}

function zpopMinMax(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = parsePositive(c, argv[2]);
    if (n === null) return;
    count = n;
  }
  zpopGeneric(c, [argv[1]], max, false, count, c.resp === 3 && count !== -1, false);
}

/** Parses numkeys, MIN|MAX and COUNT of ZMPOP/BZMPOP starting at `idx` (numkeys). */
function parseMpop(c: Client, argv: string[], idx: number): { keys: string[]; max: boolean; count: number } | null {
  const nk = parseInt64(argv[idx]);
  if (nk === null || nk < 1) {
    c.error(ERR_NUMKEYS);
    return null;
  }
  const numkeys = Number(nk);
  const whereIdx = idx + numkeys + 1;
  if (whereIdx >= argv.length) {
    c.error(ERR_SYNTAX);
    return null;
  }
  let max: boolean;
  if (isKeyword(argv[whereIdx], 'min')) max = false;
  else if (isKeyword(argv[whereIdx], 'max')) max = true;
  else {
    c.error(ERR_SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && isKeyword(argv[j], 'count') && more > 0) {
      j++;
      const v = parseInt64(argv[j]);
      if (v === null || v < 1) {
        c.error(ERR_COUNT_POSITIVE);
        return null;
      }
      count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  if (count === -1) count = 1;
  return { keys: argv.slice(idx + 1, idx + 1 + numkeys), max, count };
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (Redis docs: ZMPOP); propagated as ZPOPMIN/ZPOPMAX. */
function zmpopCommand(c: Client, argv: string[]): void {
  const p = parseMpop(c, argv, 1);
  if (p === null) return;
  const key = zpopGeneric(c, p.keys, p.max, true, p.count, true, true);
  if (key !== null) c.server.propArgv = [p.max ? 'ZPOPMAX' : 'ZPOPMIN', key, String(lastPopped)];
}

/**
 * Shared blocking pop (blockingGenericZpopCommand): pops at once when a zset has members, else
 * blocks (or replies a nil array inside MULTI). `count` -1 is BZPOPMIN/BZPOPMAX's single pop.
 */
function blockingZpop(c: Client, keys: string[], max: boolean, timeoutArg: string, count: number, nested: boolean): void {
  const deadline = parseTimeoutOrReply(c, timeoutArg, Date.now());
  if (deadline === null) return;
  const cmd = max ? 'ZPOPMAX' : 'ZPOPMIN';
  for (const k of keys) {
    const z = writeZset(c, k);
    if (z === null) return;
    if (z === undefined || z.size === 0) continue;
    zpopGeneric(c, [k], max, true, count, nested, true);
    c.server.propArgv = count === -1 ? [cmd, k] : [cmd, k, String(lastPopped)];
    return;
  }
  if (c.multi !== null) {
    c.reply.nullArray();
    return;
  }
  c.server.blockClient(c, {
    keys,
    deadline,
    command: nested ? 'bzmpop' : max ? 'bzpopmax' : 'bzpopmin',
    onReady: (cl, key) => {
      const o = cl.db.lookupWrite(key);
      if (o === undefined || o.type !== ObjType.ZSet || (o.value as ZSet).size === 0) return false;
      zpopGeneric(cl, [key], max, true, count, nested, true);
      cl.server.alsoPropagate(cl.db.id, count === -1 ? [cmd, key] : [cmd, key, String(lastPopped)]);
      return true;
    },
    onTimeout: (cl) => cl.reply.nullArray(),
  });
}

/** BZPOPMIN/BZPOPMAX key [key ...] timeout (Redis docs: BZPOPMIN). */
function bzpopGeneric(c: Client, argv: string[], max: boolean): void {
  blockingZpop(c, argv.slice(1, -1), max, argv[argv.length - 1], -1, false);
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] (Redis docs: BZMPOP). */
function bzmpopCommand(c: Client, argv: string[]): void {
  const p = parseMpop(c, argv, 2);
  if (p === null) return;
  blockingZpop(c, p.keys, p.max, argv[1], p.count, true);
}

// ---- set algebra -------------------------------------------------------------------------

const enum SetOp {
  Union,
  Inter,
  Diff,
}
const enum Aggr {
  Sum,
  Min,
  Max,
}

/**
 * A source of ZUNION & co.: members→scores (sets give score 1; a zset's own dict maps to its
 * elements, read through `scoreOf`) and the weight.
 */
interface Src {
  map: SrcMap | null;
  weight: number;
}

/** What a Src reads of its members: a Map (sets) or a zset's StrTable dict. */
type SrcMap = Pick<ReadonlyMap<string, number | SkipNode>, 'size' | 'get' | 'has'> & Iterable<[string, number | SkipNode]>;

/** The score of a Src map value (a number, or a zset element). */
function scoreOf(v: number | SkipNode): number {
  return typeof v === 'number' ? v : v.score;
}

/** Reads a plain set's members (any iterable of latin1 strings, e.g. Set<string>) as score 1. */
function setAsScores(v: unknown): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of v as Iterable<string>) m.set(typeof e === 'string' ? e : String(e), 1);
  return m;
}

function aggregate(target: number, val: number, a: Aggr): number {
  if (a === Aggr.Sum) {
    const s = target + val;
    return Number.isNaN(s) ? 0 : s;
  }
  if (a === Aggr.Min) return Math.min(val, target);
  return Math.max(val, target);
}

/**
 * ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD (zunionInterDiffGenericCommand). `numIdx` is the
 * numkeys position; `dst` the STORE destination or null.
 */
function zsetOpGeneric(c: Client, argv: string[], dst: string | null, numIdx: number, op: SetOp, cardOnly: boolean): void {
  const nk = parseLong(c, argv[numIdx]);
  if (nk === null) return;
  if (nk < 1) {
    c.error(`ERR at least 1 input key is needed for '${argv[0].toLowerCase()}' command`);
    return;
  }
  if (nk > argv.length - (numIdx + 1)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const src: Src[] = [];
  let j = numIdx + 1;
  for (let i = 0; i < nk; i++, j++) {
    const o = c.db.lookupRead(argv[j]);
    if (o === undefined) src.push({ map: null, weight: 1 });
    else if (o.type === ObjType.ZSet) src.push({ map: (o.value as ZSet).dict, weight: 1 });
    else if (o.type === ObjType.Set) src.push({ map: setAsScores(o.value), weight: 1 });
    else {
      c.error(ERR_WRONGTYPE);
      return;
    }
  }
  let aggr = Aggr.Sum;
  let withScores = false;
  let limit = 0;
  let remaining = argv.length - j;
  while (remaining > 0) {
    const a = argv[j];
    if (op !== SetOp.Diff && !cardOnly && remaining >= nk + 1 && isKeyword(a, 'weights')) {
      j++;
      remaining--;
      for (let i = 0; i < nk; i++, j++, remaining--) {
        const w = parseDoubleStrict(argv[j]);
        if (w === null) {
          c.error('ERR weight value is not a float');
          return;
        }
        src[i].weight = w;
      }
    } else if (op !== SetOp.Diff && !cardOnly && remaining >= 2 && isKeyword(a, 'aggregate')) {
      const v = argv[j + 1];
      if (isKeyword(v, 'sum')) aggr = Aggr.Sum;
      else if (isKeyword(v, 'min')) aggr = Aggr.Min;
      else if (isKeyword(v, 'max')) aggr = Aggr.Max;
      else {
        c.error(ERR_SYNTAX);
        return;
      }
      j += 2;
      remaining -= 2;
    } else if (remaining >= 1 && dst === null && !cardOnly && isKeyword(a, 'withscores')) {
      j++;
      remaining--;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && isKeyword(a, 'limit')) {
      const v = parseInt64(argv[j + 1]);
      // Not an integer or negative: the same message (getPositiveLongFromObjectOrReply with msg).
      if (v === null || v < 0) {
        c.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      j += 2;
      remaining -= 2;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const size = (s: Src) => (s.map === null ? 0 : s.map.size);
  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === SetOp.Inter) {
    const sorted = [...src].sort((a, b) => size(a) - size(b));
    const first = sorted[0];
    if (first.map !== null && first.map.size > 0) {
      outer: for (const [m, e0] of first.map) {
        const s0 = scoreOf(e0);
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        for (let k = 1; k < sorted.length; k++) {
          const other = sorted[k];
          if (other.map === first.map) {
            score = aggregate(score, other.weight * s0, aggr);
            continue;
          }
          const v = other.map?.get(m);
          if (v === undefined) continue outer;
          score = aggregate(score, other.weight * scoreOf(v), aggr);
        }
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else result.set(m, score);
      }
    }
  } else if (op === SetOp.Union) {
    const sorted = [...src].sort((a, b) => size(a) - size(b));
    for (const s of sorted) {
      if (s.map === null) continue;
      for (const [m, v] of s.map) {
        let score = s.weight * scoreOf(v);
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? score : aggregate(cur, score, aggr));
      }
    }
  } else if (src[0].map !== null) {
    for (const [m, v] of src[0].map) {
      let found = false;
      for (let k = 1; k < src.length; k++) {
        if (src[k].map?.has(m)) {
          found = true;
          break;
        }
      }
      if (!found) result.set(m, scoreOf(v));
    }
  }
  if (cardOnly) {
    c.reply.integer(cardinality);
    return;
  }
  syncLimits(c);
  const z = new ZSet();
  for (const [m, s] of result) z.insert(s, m);
  if (dst !== null) {
    const event = op === SetOp.Union ? 'zunionstore' : op === SetOp.Inter ? 'zinterstore' : 'zdiffstore';
    if (z.size > 0) {
      c.db.setKey(dst, new RObject(ObjType.ZSet, z));
      c.reply.integer(z.size);
      c.server.notifyKeyspaceEvent('z', event, dst, c.db.id);
      c.server.dirty++;
      c.server.signalKeyAsReady(c.db, dst);
    } else {
      c.reply.integer(0);
      if (c.db.delete(dst)) {
        c.server.notifyKeyspaceEvent('g', 'del', dst, c.db.id);
        c.server.dirty++;
      }
    }
    return;
  }
  const members: string[] = [];
  const scores: number[] = [];
  for (const [m, s] of z) {
    members.push(m);
    scores.push(s);
  }
  replyMembers(c, members, withScores ? scores : null);
}

// ---- random and scan ---------------------------------------------------------------------

/** ZRANDMEMBER key [count [WITHSCORES]] (Redis docs: ZRANDMEMBER). */
function zrandmemberCommand(c: Client, argv: string[]): void {
  if (argv.length >= 3) {
    const l = parseLong(c, argv[2]);
    if (l === null) return;
    let withScores = false;
    if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], 'withscores'))) {
      c.error(ERR_SYNTAX);
      return;
    }
    if (argv.length === 4) {
      withScores = true;
      if (Math.abs(l) >= Number.MAX_SAFE_INTEGER) {
        c.error('ERR value is out of range');
        return;
      }
    }
    const z = readZset(c, argv[1]);
    if (z === null) return;
    if (z === undefined || l === 0) {
      c.reply.arrayLen(0);
      return;
    }
    const members: string[] = [];
    const scores: number[] = [];
    const size = z.size;
    if (l < 0) {
      // Members are collected before the reply: the count is bounded whatever the output limit.
      if (-l > MAX_REPLY_ELEMENTS) {
        c.error('ERR value is out of range');
        return;
      }
      for (let i = 0; i < -l; i++) {
        const x = z.nodeAt(Math.floor(Math.random() * size)) as SkipNode;
        members.push(x.ele);
        scores.push(x.score);
      }
    } else if (l >= size) {
      // The whole set; Redis walks a listpack from its tail here.
      for (let x = z.zsl.tail; x !== null; x = x.backward) {
        members.push(x.ele);
        scores.push(x.score);
      }
    } else {
      const picked = new Set<number>();
      while (picked.size < l) picked.add(Math.floor(Math.random() * size));
      for (const r of picked) {
        const x = z.nodeAt(r) as SkipNode;
        members.push(x.ele);
        scores.push(x.score);
      }
    }
    replyMembers(c, members, withScores ? scores : null);
    return;
  }
  const z = readZset(c, argv[1]);
  if (z === null) return;
  if (z === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulk((z.nodeAt(Math.floor(Math.random() * z.size)) as SkipNode).ele);
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count] (Redis docs: ZSCAN). Small (listpack) sets are
 * returned whole with cursor 0 as Redis does; larger ones page by rank, the cursor being the next rank.
 */
function zscanCommand(c: Client, argv: string[]): void {
  const cur = parseInt64(argv[2]);
  if (cur === null && !/^\d+$/.test(argv[2])) {
    c.error('ERR invalid cursor');
    return;
  }
  let cursor = cur === null || typeof cur === 'bigint' || cur < 0 ? 0 : cur;
  let count = 10;
  let pattern: string | null = null;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (isKeyword(argv[j], 'count') && more >= 1) {
      const n = parseLong(c, argv[j + 1]);
      if (n === null) return;
      if (n < 1) {
        c.error(ERR_SYNTAX);
        return;
      }
      count = n;
      j++;
    } else if (isKeyword(argv[j], 'match') && more >= 1) {
      pattern = argv[j + 1];
      if (pattern === '*') pattern = null;
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const z = readZset(c, argv[1]);
  if (z === null) return;
  const out: string[] = [];
  let next = 0;
  if (z !== undefined) {
    let x: SkipNode | null;
    let n: number;
    if (z.encoding === 'listpack') {
      x = z.zsl.first;
      n = Number.MAX_SAFE_INTEGER;
      cursor = 0;
    } else {
      x = z.nodeAt(cursor);
      n = count;
    }
    while (x !== null && n > 0) {
      if (pattern === null || globMatch(pattern, x.ele)) out.push(x.ele, formatScore(x.score));
      n--;
      cursor++;
      x = x.next;
    }
    next = x === null || z.encoding === 'listpack' ? 0 : cursor;
  }
  c.reply.arrayLen(2);
  c.reply.bulk(String(next));
  c.reply.arrayLen(out.length);
  for (const s of out) c.reply.bulk(s);
}

const commands: CommandDef[] = [
  { name: 'zadd', handler: zaddCommand },
  { name: 'zincrby', handler: zincrbyCommand },
  { name: 'zcard', handler: zcardCommand },
  { name: 'zscore', handler: zscoreCommand },
  { name: 'zmscore', handler: zmscoreCommand },
  { name: 'zrank', handler: (c, a) => zrankGeneric(c, a, false) },
  { name: 'zrevrank', handler: (c, a) => zrankGeneric(c, a, true) },
  { name: 'zcount', handler: zcountCommand },
  { name: 'zlexcount', handler: zlexcountCommand },
  { name: 'zrange', handler: zrangeCommand },
  { name: 'zrangestore', handler: zrangestoreCommand },
  { name: 'zrevrange', handler: zrevrangeCommand },
  { name: 'zrangebyscore', handler: zrangebyscoreCommand },
  { name: 'zrevrangebyscore', handler: zrevrangebyscoreCommand },
  { name: 'zrangebylex', handler: zrangebylexCommand },
  { name: 'zrevrangebylex', handler: zrevrangebylexCommand },
  { name: 'zrem', handler: zremCommand },
  { name: 'zremrangebyrank', handler: (c, a) => zremrangeGeneric(c, a, RangeType.Rank) },
  { name: 'zremrangebyscore', handler: (c, a) => zremrangeGeneric(c, a, RangeType.Score) },
  { name: 'zremrangebylex', handler: (c, a) => zremrangeGeneric(c, a, RangeType.Lex) },
  { name: 'zpopmin', handler: (c, a) => zpopMinMax(c, a, false) },
  { name: 'zpopmax', handler: (c, a) => zpopMinMax(c, a, true) },
  { name: 'zmpop', handler: zmpopCommand },
  { name: 'bzpopmin', handler: (c, a) => bzpopGeneric(c, a, false) },
  { name: 'bzpopmax', handler: (c, a) => bzpopGeneric(c, a, true) },
  { name: 'bzmpop', handler: bzmpopCommand },
  { name: 'zunion', handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.Union, false) },
  { name: 'zinter', handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.Inter, false) },
  { name: 'zdiff', handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.Diff, false) },
  { name: 'zunionstore', handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.Union, false) },
  { name: 'zinterstore', handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.Inter, false) },
  { name: 'zdiffstore', handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.Diff, false) },
  { name: 'zintercard', handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.Inter, true) },
  { name: 'zrandmember', handler: zrandmemberCommand },
  { name: 'zscan', handler: zscanCommand },
];
export default commands;
