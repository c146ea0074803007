/**
 * HSCAN/SSCAN (and ZSCAN if wanted) shared parts: cursor and option parsing, and the walk over a
 * dense member array.
 *
 * Small collections (listpack / intset encodings) reply everything at once with cursor 0, as
 * Redis does. Large ones walk their dense array from the end: cursor c > 0 means "indices
 * [0, c) are still to visit". A removal moves the last element into the hole, i.e. only ever from
 * the visited part into either part, so every element present during the whole scan is returned at
 * least once (Redis's SCAN guarantee); elements added during the scan may or may not be.
 * Source: Redis 7.0 db.c scanGenericCommand, parseScanCursorOrReply.
 */
import { ERR_SYNTAX } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { globMatch } from '../../store/glob.js';
import { isKeyword, parseIntOrReply } from '../args.js';

export const ERR_INVALID_CURSOR = 'ERR invalid cursor';
const MAX_CURSOR = 2n ** 64n - 1n;

/** Parses a SCAN cursor (unsigned 64-bit decimal) or replies `ERR invalid cursor`. @returns the cursor or null. */
export function parseCursorOrReply(c: Client, s: string): number | null {
  // strtoul: optional sign (a '-' wraps modulo 2^64), decimal digits, ERANGE beyond 2^64-1.
  const m = /^([+-]?)(\d{1,20})$/.exec(s);
  const mag = m === null ? -1n : BigInt(m[2]);
  if (m === null || mag > MAX_CURSOR) {
    c.error(ERR_INVALID_CURSOR);
    return null;
  }
  return Number(m[1] === '-' && mag !== 0n ? MAX_CURSOR + 1n - mag : mag);
}

/** Parsed MATCH/COUNT options. `pattern` is null when absent or `*`. */
export interface ScanOptions {
  pattern: string | null;
  count: number;
}

/**
 * Parses `[MATCH pattern] [COUNT count]` from argv[from]; replies `ERR syntax error` or the
 * integer error and returns null on failure.
 */
export function parseScanOptionsOrReply(c: Client, argv: string[], from: number): ScanOptions | null {
  const o: ScanOptions = { pattern: null, count: 10 };
  for (let i = from; i < argv.length; i += 2) {
    const more = i + 1 < argv.length;
    if (more && isKeyword(argv[i], 'count')) {
      const n = parseIntOrReply(c, argv[i + 1]);
      if (n === null) return null;
      if (n < 1) {
        c.error(ERR_SYNTAX);
        return null;
      }
      o.count = n;
    } else if (more && isKeyword(argv[i], 'match')) {
      const p = argv[i + 1];
      o.pattern = p === '*' ? null : p;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  return o;
}

/** Replies the empty scan `*2 $1 0 *0` (missing key). */
export function replyEmptyScan(c: Client): void {
  c.reply.arrayLen(2);
  c.reply.bulk('0');
  c.reply.arrayLen(0);
}

/**
 * Picks the indexes to return from a dense array of `len` elements.
 * @param small true for the compact encodings: everything at once, next cursor 0.
 * @returns [next cursor, first index (inclusive), end index (exclusive)].
 */
export function scanWindow(cursor: number, len: number, count: number, small: boolean): [number, number, number] {
  if (small) return [0, 0, len];
  let c = cursor === 0 || cursor > len ? len : cursor;
  const start = Math.max(0, c - count);
  c = start;
  return [c, start, cursor === 0 || cursor > len ? len : cursor];
}

/** True if `s` passes the optional MATCH pattern. */
export function scanMatch(pattern: string | null, s: string): boolean {
  return pattern === null || globMatch(pattern, s);
}
