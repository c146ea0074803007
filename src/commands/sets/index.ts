/**
 * Set commands. Values are RSet (src/store/set.ts) in RObject(ObjType.Set).
 * Source: Redis 7.0 docs and t_set.c.
 */
import { ERR_LIMIT_NEGATIVE, ERR_SYNTAX, ERR_WRONGTYPE } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import { RSet } from '../../store/set.js';
import { isKeyword, parseInt64, parseIntOrReply, replyCountOk } from '../args.js';
import { sampleDistinct } from '../hashes/index.js';
import type { CommandDef } from '../types.js';
import { parseCursorOrReply, parseScanOptionsOrReply, replyEmptyScan, scanMatch, scanWindow } from './scan.js';

const ERR_NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
const ERR_NUMKEYS_TOO_BIG = "ERR Number of keys can't be greater than number of args";
const ERR_MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
/** SPOP with count propagates SREM in batches of this many members (Redis 7.0 spopWithCountCommand, batchsize 1024). */
const SREM_BATCH = 1024;

/** Reads a set: RSet, null (missing; nothing replied) or undefined (WRONGTYPE replied). */
function readSet(c: Client, key: string): RSet | null | undefined {
  const o = c.db.lookupRead(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.Set) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as RSet;
}

/** Like readSet but with write lookup semantics. */
function writeSet(c: Client, key: string): RSet | null | undefined {
  const o = c.db.lookupWrite(key);
  if (o === undefined) return null;
  if (o.type !== ObjType.Set) {
    c.error(ERR_WRONGTYPE);
    return undefined;
  }
  return o.value as RSet;
}

/** Replies the members of a set as a RESP3 set (array in RESP2). */
function replyMembers(c: Client, s: RSet): void {
  const ms = s.members;
  c.reply.setLen(ms.length);
  for (let i = 0; i < ms.length; i++) c.reply.bulk(ms[i]);
}

/** SADD key member [member ...]: number added. */
function saddCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  let s = writeSet(c, key);
  if (s === undefined) return;
  if (s === null) {
    s = new RSet();
    c.db.add(key, new RObject(ObjType.Set, s));
  }
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i])) added++;
  if (added) {
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.notifyKeyspaceEvent('s', 'sadd', key, c.db.id);
  }
  c.server.dirty += added;
  c.reply.integer(added);
}

/** Deletes an emptied set key with its `del` notification. */
function deleteIfEmpty(c: Client, key: string, s: RSet): boolean {
  if (s.size !== 0) return false;
  c.db.deleteKey(key);
  return true;
}

/** SREM key member [member ...]: number removed; deletes the key when emptied. */
function sremCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const s = writeSet(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    if (s.delete(argv[i])) {
      removed++;
      if (deleteIfEmpty(c, key, s)) {
        keyRemoved = true;
        break;
      }
    }
  }
  if (removed) {
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.notifyKeyspaceEvent('s', 'srem', key, c.db.id);
    if (keyRemoved) c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
    c.server.dirty += removed;
  }
  c.reply.integer(removed);
}

function smembersCommand(c: Client, argv: string[]): void {
  const s = readSet(c, argv[1]);
  if (s === undefined) return;
  if (s === null) c.reply.setLen(0);
  else replyMembers(c, s);
}

function sismemberCommand(c: Client, argv: string[]): void {
  const s = readSet(c, argv[1]);
  if (s !== undefined) c.reply.integer(s?.has(argv[2]) ? 1 : 0);
}

function smismemberCommand(c: Client, argv: string[]): void {
  const s = readSet(c, argv[1]);
  if (s === undefined) return;
  c.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.integer(s?.has(argv[i]) ? 1 : 0);
}

function scardCommand(c: Client, argv: string[]): void {
  const s = readSet(c, argv[1]);
  if (s !== undefined) c.reply.integer(s === null ? 0 : s.size);
}

/**
 * SPOP key [count] (Redis 7.0 spopCommand/spopWithCountCommand). Without count: one member or
 * nil, propagated as SREM key member. With count: a RESP3 set of distinct members; propagated as
 * SREM batches, or as DEL when the whole set is popped.
 */
function spopCommand(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1];
  if (argv.length === 3) {
    spopWithCount(c, key, argv[2]);
    return;
  }
  const s = writeSet(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.reply.nullBulk();
    return;
  }
  const m = s.removeAt(s.randomIndex());
  c.server.notifyKeyspaceEvent('s', 'spop', key, c.db.id);
  c.server.propArgv = ['SREM', key, m];
  if (deleteIfEmpty(c, key, s)) c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
  c.server.keyspace.hooks.keyModified(c.db, key);
  c.server.dirty++;
  c.reply.bulk(m);
}

function spopWithCount(c: Client, key: string, countArg: string): void {
  const v = parseInt64(countArg);
  if (v === null || v < 0) {
    c.error(ERR_MUST_BE_POSITIVE);
    return;
  }
  const count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
  const s = writeSet(c, key);
  if (s === undefined) return;
  if (s === null) {
    c.reply.setLen(0);
    return;
  }
  if (count === 0) {
    c.reply.setLen(0);
    return;
  }
  const size = s.size;
  if (count >= size) {
    replyMembers(c, s);
    c.db.deleteKey(key);
    c.server.notifyKeyspaceEvent('s', 'spop', key, c.db.id);
    c.server.notifyKeyspaceEvent('g', 'del', key, c.db.id);
    c.server.propArgv = ['DEL', key];
    c.server.keyspace.hooks.keyModified(c.db, key);
    c.server.dirty++;
    return;
  }
  c.reply.setLen(count);
  let batch: string[] = ['SREM', key];
  for (let k = 0; k < count; k++) {
    const m = s.removeAt(s.randomIndex());
    c.reply.bulk(m);
    batch.push(m);
    if (batch.length - 2 === SREM_BATCH || k === count - 1) {
      c.server.alsoPropagate(c.db.id, batch);
      batch = ['SREM', key];
    }
  }
  c.server.preventPropagation = true;
  c.server.notifyKeyspaceEvent('s', 'spop', key, c.db.id);
  c.server.keyspace.hooks.keyModified(c.db, key);
  c.server.dirty += count;
}

/**
 * SRANDMEMBER key [count] (Redis 7.0 srandmemberWithCountCommand): positive count → distinct
 * members (at most the set), negative → |count| picks that may repeat. Array reply.
 */
function srandmemberCommand(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 2) {
    const s = readSet(c, argv[1]);
    if (s === undefined) return;
    if (s === null) c.reply.nullBulk();
    else c.reply.bulk(s.members[s.randomIndex()]);
    return;
  }
  const l = parseIntOrReply(c, argv[2]);
  if (l === null) return;
  const s = readSet(c, argv[1]);
  if (s === undefined) return;
  if (s === null || l === 0) {
    c.reply.arrayLen(0);
    return;
  }
  const size = s.size;
  const ms = s.members;
  if (l < 0 || l === 1) {
    const count = l < 0 ? -l : l;
    if (!replyCountOk(c, count)) return;
    c.reply.arrayLen(count);
    for (let k = 0; k < count && !c.closeAsap; k++) c.reply.bulk(ms[Math.floor(Math.random() * size)]);
    return;
  }
  if (l >= size) {
    c.reply.arrayLen(size);
    for (let i = 0; i < size; i++) c.reply.bulk(ms[i]);
    return;
  }
  c.reply.arrayLen(l);
  for (const i of sampleDistinct(size, l)) c.reply.bulk(ms[i]);
}

/** SMOVE source destination member: 1 if moved (Redis smoveCommand). */
function smoveCommand(c: Client, argv: string[]): void {
  const [, src, dst, m] = argv;
  // Redis order: a missing source replies 0 before any type check.
  const so = c.db.lookupWrite(src);
  const dobj = c.db.lookupWrite(dst);
  if (so === undefined) {
    c.reply.integer(0);
    return;
  }
  if (so.type !== ObjType.Set || (dobj !== undefined && dobj.type !== ObjType.Set)) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const ss = so.value as RSet;
  const ds = dobj === undefined ? null : (dobj.value as RSet);
  if (src === dst) {
    c.reply.integer(ss.has(m) ? 1 : 0);
    return;
  }
  if (!ss.delete(m)) {
    c.reply.integer(0);
    return;
  }
  c.server.notifyKeyspaceEvent('s', 'srem', src, c.db.id);
  if (deleteIfEmpty(c, src, ss)) c.server.notifyKeyspaceEvent('g', 'del', src, c.db.id);
  let d = ds;
  if (d === null) {
    d = new RSet();
    c.db.add(dst, new RObject(ObjType.Set, d));
  }
  c.server.keyspace.hooks.keyModified(c.db, src);
  c.server.dirty++;
  // The destination changed (WATCH, tracking, `sadd` event) only when the member was added.
  if (d.add(m)) {
    c.server.dirty++;
    c.server.keyspace.hooks.keyModified(c.db, dst);
    c.server.notifyKeyspaceEvent('s', 'sadd', dst, c.db.id);
  }
  c.reply.integer(1);
}

/**
 * Looks up the input sets of SINTER/SUNION/SDIFF; missing keys are null. @returns undefined after
 * replying WRONGTYPE for any key of another type.
 */
function inputSets(c: Client, keys: string[], write: boolean): (RSet | null)[] | undefined {
  const out: (RSet | null)[] = [];
  for (const k of keys) {
    const s = write ? writeSet(c, k) : readSet(c, k);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

/** Intersection members in the order of the smallest set (Redis sinterGenericCommand). */
function intersect(sets: (RSet | null)[], limit = 0): string[] {
  const out: string[] = [];
  if (sets.some((s) => s === null)) return out;
  const ss = (sets as RSet[]).slice().sort((a, b) => a.size - b.size);
  const first = ss[0];
  outer: for (const m of first.members) {
    for (let j = 1; j < ss.length; j++) {
      if (ss[j] === first) continue;
      if (!ss[j].has(m)) continue outer;
    }
    out.push(m);
    if (limit && out.length >= limit) break;
  }
  return out;
}

/** Stores `members` under dst (or deletes dst when empty) and replies the count. */
function storeResult(c: Client, dst: string, s: RSet, event: string): void {
  if (s.size > 0) {
    c.db.setKey(dst, new RObject(ObjType.Set, s));
    c.reply.integer(s.size);
    c.server.notifyKeyspaceEvent('s', event, dst, c.db.id);
    c.server.dirty++;
    return;
  }
  c.reply.integer(0);
  if (c.db.delete(dst)) {
    c.server.dirty++;
    c.server.notifyKeyspaceEvent('g', 'del', dst, c.db.id);
  }
}

function buildSet(members: Iterable<string>): RSet {
  const s = new RSet();
  for (const m of members) s.add(m);
  return s;
}

function sinterCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(1), false);
  if (sets === undefined) return;
  const out = intersect(sets);
  // Redis replies in the smallest set's iteration order (sorted when it is an intset).
  c.reply.setLen(out.length);
  for (const m of out) c.reply.bulk(m);
}

function sinterstoreCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(2), true);
  if (sets === undefined) return;
  storeResult(c, argv[1], buildSet(intersect(sets)), 'sinterstore');
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] (Redis 7.0 sinterCardCommand). */
function sintercardCommand(c: Client, argv: string[]): void {
  const numkeys = parseIntOrReply(c, argv[1], ERR_NUMKEYS_POSITIVE);
  if (numkeys === null) return;
  if (numkeys <= 0) {
    c.error(ERR_NUMKEYS_POSITIVE);
    return;
  }
  if (numkeys > argv.length - 2) {
    c.error(ERR_NUMKEYS_TOO_BIG);
    return;
  }
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (isKeyword(argv[i], 'limit') && i + 1 < argv.length) {
      const l = parseIntOrReply(c, argv[++i], ERR_LIMIT_NEGATIVE);
      if (l === null) return;
      if (l < 0) {
        c.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = l;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const sets = inputSets(c, argv.slice(2, 2 + numkeys), false);
  if (sets === undefined) return;
  c.reply.integer(intersect(sets, limit).length);
}

function unionOf(sets: (RSet | null)[]): RSet {
  const out = new RSet();
  for (const s of sets) if (s !== null) for (const m of s.members) out.add(m);
  return out;
}

function diffOf(sets: (RSet | null)[]): RSet {
  const out = new RSet();
  const first = sets[0];
  if (first === null) return out;
  outer: for (const m of first.members) {
    for (let j = 1; j < sets.length; j++) {
      const s = sets[j];
      if (s === first) continue outer;
      if (s?.has(m)) continue outer;
    }
    out.add(m);
  }
  return out;
}

function sunionCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(1), false);
  if (sets === undefined) return;
  replyMembers(c, unionOf(sets));
}

function sunionstoreCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(2), true);
  if (sets === undefined) return;
  storeResult(c, argv[1], unionOf(sets), 'sunionstore');
}

function sdiffCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(1), false);
  if (sets === undefined) return;
  replyMembers(c, diffOf(sets));
}

function sdiffstoreCommand(c: Client, argv: string[]): void {
  const sets = inputSets(c, argv.slice(2), true);
  if (sets === undefined) return;
  storeResult(c, argv[1], diffOf(sets), 'sdiffstore');
}

/** SSCAN key cursor [MATCH pattern] [COUNT count] (see scan.ts). */
function sscanCommand(c: Client, argv: string[]): void {
  const cursor = parseCursorOrReply(c, argv[2]);
  if (cursor === null) return;
  const s = readSet(c, argv[1]);
  if (s === undefined) return;
  if (s === null) {
    replyEmptyScan(c);
    return;
  }
  const opts = parseScanOptionsOrReply(c, argv, 3);
  if (opts === null) return;
  const [next, start, end] = scanWindow(cursor, s.size, opts.count, s.encoding === 'intset');
  c.reply.arrayLen(2);
  c.reply.bulk(String(next));
  const mark = c.reply.deferLen();
  let n = 0;
  for (let i = start; i < end; i++) {
    const m = s.members[i];
    if (!scanMatch(opts.pattern, m)) continue;
    c.reply.bulk(m);
    n++;
  }
  c.reply.setDeferredArrayLen(mark, n);
}

const commands: CommandDef[] = [
  { name: 'sadd', handler: saddCommand },
  { name: 'srem', handler: sremCommand },
  { name: 'smembers', handler: smembersCommand },
  { name: 'sismember', handler: sismemberCommand },
  { name: 'smismember', handler: smismemberCommand },
  { name: 'scard', handler: scardCommand },
  { name: 'spop', handler: spopCommand },
  { name: 'srandmember', handler: srandmemberCommand },
  { name: 'smove', handler: smoveCommand },
  { name: 'sinter', handler: sinterCommand },
  { name: 'sintercard', handler: sintercardCommand },
  { name: 'sinterstore', handler: sinterstoreCommand },
  { name: 'sunion', handler: sunionCommand },
  { name: 'sunionstore', handler: sunionstoreCommand },
  { name: 'sdiff', handler: sdiffCommand },
  { name: 'sdiffstore', handler: sdiffstoreCommand },
  { name: 'sscan', handler: sscanCommand },
];
export default commands;
