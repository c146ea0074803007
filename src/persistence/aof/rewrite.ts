/**
 * The AOF base as commands, for `aof-use-rdb-preamble no`: the dataset written as the commands
 * that rebuild it, as Redis 7.0's rewriteAppendOnlyFileRio does. Functions first (FUNCTION LOAD),
 * then per db a SELECT and per key one command per up to 64 elements (SET, RPUSH, SADD, ZADD with
 * `%.17g` scores, HMSET, the XADD/XSETID/XGROUP form of streams), followed by PEXPIREAT when the
 * key has a TTL. Commands go out as RESP multibulk bytes through an RdbWriter, so the sliced
 * background snapshot (src/persistence/snapshot.ts) can write either format.
 * Source: Redis 7.0 aof.c (rewriteAppendOnlyFileRio, rewriteListObject, rewriteSetObject,
 * rewriteSortedSetObject, rewriteHashObject, rewriteStreamObject, rewriteFunctions);
 * AOF_REWRITE_ITEMS_PER_CMD = 64.
 */
import { formatDouble } from '../../protocol/reply.js';
import type { RHash } from '../../store/hash.js';
import { type Keyspace, ObjType, type RObject } from '../../store/db.js';
import type { QuickList } from '../../store/quicklist.js';
import type { RSet } from '../../store/set.js';
import type { Stream } from '../../store/stream.js';
import type { ZSet } from '../../store/zset.js';
import { functionLibraries, RdbWriter } from '../rdb/rdb.js';
import { rewriteStreamObject } from './stream-rewrite.js';

/** Elements per rewritten command (Redis AOF_REWRITE_ITEMS_PER_CMD). */
export const AOF_REWRITE_ITEMS_PER_CMD = 64;

/** Writes one command as a RESP multibulk (latin1 strings: one byte per char). */
export function writeCommand(w: RdbWriter, argv: string[]): void {
  w.latin1(`*${argv.length}\r\n`);
  for (const a of argv) {
    w.latin1(`$${a.length}\r\n`);
    w.latin1(a);
    w.latin1('\r\n');
  }
}

/** `SELECT id`, written before a db's keys. */
export function rewriteSelect(w: RdbWriter, dbId: number): void {
  writeCommand(w, ['SELECT', String(dbId)]);
}

/** `FUNCTION LOAD code` for every library, written first (Redis rewriteFunctions). */
export function rewriteFunctions(w: RdbWriter, ks: Keyspace): void {
  for (const code of functionLibraries(ks)) writeCommand(w, ['FUNCTION', 'LOAD', code]);
}

/** Writes `items` as `cmd key ...` commands of at most `per` elements each (`per` counts pairs as one). */
function batched(w: RdbWriter, cmd: string, key: string, items: Iterable<string[]>): void {
  let argv: string[] = [cmd, key];
  let n = 0;
  for (const item of items) {
    for (const a of item) argv.push(a);
    if (++n === AOF_REWRITE_ITEMS_PER_CMD) {
      writeCommand(w, argv);
      argv = [cmd, key];
      n = 0;
    }
  }
  if (n > 0) writeCommand(w, argv);
}

/** Size of the RESP scratch kept between rewrites; a larger one (a long key) is dropped after use. */
const SCRATCH_BYTES = 1 << 16;
/** RESP bytes of the RPUSH commands being built, handed to the writer when past SCRATCH_BYTES / 2. */
let respScratch: Buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
/** An element at least this long goes from its node straight to the writer, not through respScratch. */
const BIG_ELEMENT = 1 << 12;

/** respScratch with room for `need` more bytes after `p` (its first `p` bytes kept). */
function scratchRoom(p: number, need: number): Buffer {
  if (p + need > respScratch.length) {
    const nb = Buffer.allocUnsafeSlow(Math.max(respScratch.length * 2, p + need));
    respScratch.copy(nb, 0, 0, p);
    respScratch = nb;
  }
  return respScratch;
}

/** Writes `$<n>\r\n` at out[p] (room for 14 bytes needed). @returns the offset after it. */
function bulkHeader(out: Buffer, p: number, n: number): number {
  out[p++] = 36; // '$'
  if (n < 10) out[p++] = 48 + n;
  else if (n < 100) {
    out[p++] = 48 + ((n / 10) | 0);
    out[p++] = 48 + (n % 10);
  } else {
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    for (let i = p + digits - 1, t = n; i >= p; i--, t = Math.floor(t / 10)) out[i] = 48 + (t % 10);
    p += digits;
  }
  out[p++] = 13;
  out[p++] = 10;
  return p;
}

/** `*<n + 2>\r\n$5\r\nRPUSH\r\n$<key length>\r\n<key>\r\n`: the head of an RPUSH of n elements. */
function rpushHead(key: string, n: number): Buffer {
  return Buffer.from(`*${n + 2}\r\n$5\r\nRPUSH\r\n$${key.length}\r\n${key}\r\n`, 'latin1');
}

/**
 * Writes a list as `RPUSH key e1 .. e64` commands (Redis rewriteListObject), the elements' bytes
 * copied from the list's nodes into the RESP text (no string per element; an element of
 * BIG_ELEMENT bytes or more goes from its node to the writer directly).
 */
function rewriteList(w: RdbWriter, key: string, q: QuickList): void {
  const full = rpushHead(key, AOF_REWRITE_ITEMS_PER_CMD);
  const c = q.elements();
  let out: Buffer = respScratch;
  let p = 0;
  for (let left = q.length; left > 0; ) {
    const n = Math.min(left, AOF_REWRITE_ITEMS_PER_CMD);
    left -= n;
    const head = n === AOF_REWRITE_ITEMS_PER_CMD ? full : rpushHead(key, n);
    out = scratchRoom(p, head.length);
    head.copy(out, p);
    p += head.length;
    for (let i = 0; i < n; i++) {
      c.next();
      const b = c.buf;
      const s = c.start;
      const len = c.end - s;
      out = scratchRoom(p, 16 + (len < BIG_ELEMENT ? len : 0));
      p = bulkHeader(out, p, len);
      if (len >= BIG_ELEMENT) {
        w.bytes(out.subarray(0, p));
        w.bytes(b.subarray(s, c.end));
        p = 0;
      } else if (len <= 16) for (let j = 0; j < len; j++) out[p++] = b[s + j];
      else p += b.copy(out, p, s, c.end);
      out[p++] = 13;
      out[p++] = 10;
    }
    if (p >= SCRATCH_BYTES >> 1) {
      w.bytes(out.subarray(0, p));
      p = 0;
    }
  }
  if (p > 0) w.bytes(out.subarray(0, p));
  if (respScratch.length > SCRATCH_BYTES) respScratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
}

function* single(it: Iterable<string>): Generator<string[]> {
  for (const v of it) yield [v];
}

function* hashPairs(h: RHash): Generator<string[]> {
  for (const [f, v] of h) yield [f, v];
}

function* zsetPairs(z: ZSet): Generator<string[]> {
  for (const [m, s] of z) yield [formatDouble(s), m];
}

/**
 * Writes the commands that rebuild `key` (and `PEXPIREAT key ms` when expireMs >= 0).
 * @throws Error for a value type with no command form (none today).
 */
export function rewriteKey(w: RdbWriter, key: string, o: RObject, expireMs: number): void {
  switch (o.type) {
    case ObjType.String:
      writeCommand(w, ['SET', key, o.value as string]);
      break;
    case ObjType.List:
      rewriteList(w, key, o.value as QuickList);
      break;
    case ObjType.Set:
      batched(w, 'SADD', key, single((o.value as RSet).members));
      break;
    case ObjType.ZSet:
      batched(w, 'ZADD', key, zsetPairs(o.value as ZSet));
      break;
    case ObjType.Hash:
      batched(w, 'HMSET', key, hashPairs(o.value as RHash));
      break;
    case ObjType.Stream:
      for (const argv of rewriteStreamObject(key, o.value as Stream)) writeCommand(w, argv);
      break;
    default:
      throw new Error(`AOF rewrite: no command form for value type ${o.type}`);
  }
  if (expireMs >= 0) writeCommand(w, ['PEXPIREAT', key, String(expireMs)]);
}

/** The whole dataset as an AOF base in command form, synchronously (a consistent image of now). */
export function encodeAofBase(ks: Keyspace): Buffer {
  const w = new RdbWriter(1 << 16);
  rewriteFunctions(w, ks);
  for (const db of ks.dbs) {
    if (db.size === 0) continue;
    rewriteSelect(w, db.id);
    for (const [key, o] of db.table) {
      const e = db.expires.size === 0 ? undefined : db.expires.get(key);
      rewriteKey(w, key, o, e === undefined ? -1 : e);
    }
  }
  return w.result();
}
