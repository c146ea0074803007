/**
 * A small hash's "listpack" encoding as one latin1 string: for each field-value pair, the field's
 * length, the field's bytes, the value's length, the value's bytes. A length is LEB128 in chars
 * (7 bits per char, low group first, 0x80 set on all but the last): one char below 128 bytes,
 * which every field and value under the default hash-max-listpack-value (64) is.
 *
 * ```
 *  "\x04name\x0auser-name1\x03age\x0242"   ≙   { name: "user-name1", age: "42" }
 * ```
 *
 * One V8 string per hash instead of a table, an index and a string per field and value: 1M hashes
 * of 4 fields held 1,146 B per key of RSS as StrTables, where redis-server holds 159. Lookups scan
 * the string (as Redis scans its listpack; at most hash-max-listpack-entries pairs) with one
 * native `indexOf` and a walk over the lengths, no string made; a write builds the new string once through a scratch buffer, so
 * the result is flat (no cons-string tree kept).
 * Source: Redis 7.0 listpack.c / t_hash.c (the roles; this byte layout is ours, the RDB keeps
 * writing Redis's listpack, src/persistence/rdb).
 */

/** Position just after the length read by the last `readLen`. */
let after = 0;

/** The length whose chars start at `p`; sets `after`. */
function readLen(s: string, p: number): number {
  let c = s.charCodeAt(p);
  if (c < 0x80) {
    after = p + 1;
    return c;
  }
  let n = c & 0x7f;
  let shift = 7;
  for (;;) {
    c = s.charCodeAt(++p);
    n += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
    shift += 7;
  }
  after = p + 1;
  return n;
}

/** The chars of length `n` (LEB128). */
export function lenChars(n: number): string {
  if (n < 0x80) return String.fromCharCode(n);
  let s = '';
  while (n >= 0x80) {
    s += String.fromCharCode(0x80 | (n % 0x80));
    n = Math.floor(n / 0x80);
  }
  return s + String.fromCharCode(n);
}

/**
 * Position of the pair whose field is `f`, or -1. One native `indexOf` finds where `f` occurs;
 * a walk over the pairs' lengths (no call per pair) checks that the occurrence is a whole field,
 * else searches again past the pair it fell in.
 */
export function lpFind(s: string, f: string): number {
  const end = s.length;
  const fl = f.length;
  let c = -1;
  for (let p = 0; p < end; ) {
    const n = readLen(s, p);
    const q = after;
    if (c < q) {
      c = s.indexOf(f, q);
      if (c < 0) return -1;
    }
    if (c === q && n === fl) return p;
    const vl = readLen(s, q + n);
    p = after + vl;
  }
  return -1;
}

/** Position just after the pair starting at `p`. */
export function lpPairEnd(s: string, p: number): number {
  const n = readLen(s, p);
  const vl = readLen(s, after + n);
  return after + vl;
}

/** Position of the value's length in the pair starting at `p`. */
export function lpValuePos(s: string, p: number): number {
  const n = readLen(s, p);
  return after + n;
}

/** The field of the pair starting at `p`. */
export function lpField(s: string, p: number): string {
  const n = readLen(s, p);
  return s.substring(after, after + n);
}

/** The value of the pair starting at `p`. */
export function lpValue(s: string, p: number): string {
  const vl = readLen(s, lpValuePos(s, p));
  return s.substring(after, after + vl);
}

/** One encoded pair. */
export function lpPair(f: string, v: string): string {
  return lenChars(f.length) + f + lenChars(v.length) + v;
}

/** Scratch buffers larger than this are dropped after use. */
const SCRATCH_KEEP = 256 * 1024;
let scratch = Buffer.allocUnsafe(1024);

/**
 * `s` with chars [from, to) replaced by `insert`, as a flat string (written into a scratch buffer
 * and read back once, so no concatenation tree is stored).
 */
export function lpSplice(s: string, from: number, to: number, insert: string): string {
  const tail = s.length - to;
  const len = from + insert.length + tail;
  if (len === 0) return '';
  if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, scratch.length * 2));
  const b = scratch;
  if (from > 0) b.latin1Write(s, 0, from);
  b.latin1Write(insert, from, insert.length);
  if (tail > 0) b.latin1Write(to === 0 ? s : s.substring(to), from + insert.length, tail);
  const out = b.latin1Slice(0, len);
  // A huge listpack (hash-max-listpack-value raised) must not pin its size in the scratch buffer.
  if (b.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafe(1024);
  return out;
}
