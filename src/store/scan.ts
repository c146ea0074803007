/**
 * Cursor iteration over a Map or Set that keeps Redis's SCAN guarantee: an element present for
 * the whole iteration is returned at least once, even while the collection grows or shrinks.
 * Elements may be returned more than once; the cursor is a plain unsigned integer, and "0" starts
 * and ends an iteration.
 *
 * Design (Keydra's own; Redis uses reverse-binary bucket cursors that a JS Map cannot offer):
 * - JS Maps and Sets iterate in insertion order and their iterators stay valid while the
 *   collection is mutated (deleted entries are skipped, added ones are visited later). So the
 *   state of an iteration is a live iterator plus the one element read ahead (to know whether the
 *   iteration ended). After each call that state is parked in a `ScanCursorCache` under the cursor
 *   number handed to the client, and the next call with that cursor resumes it in O(COUNT).
 * - The cache is a bounded LRU (default 1000 parked iterations per cache). A cursor that is not
 *   cached (evicted, taken by a concurrent scan with the same cursor, or from another server)
 *   falls back to a correct but slower method:
 *   - with `seqOf` (the keyspace: each RObject has a monotonic insertion number `seq`, so map
 *     order is seq order), the cursor is the seq of the next element to return, and the fallback
 *     skips every element whose seq is below it: O(position) once, then cached again;
 *   - without it (hash/set/zset members), the iteration restarts from the beginning: every element
 *     is still returned at least once, with duplicates.
 * - COUNT is the number of elements examined per call (before MATCH/TYPE filtering), as Redis
 *   examines COUNT buckets.
 * Source: Redis 7.0 db.c scanGenericCommand (semantics), docs "SCAN guarantees".
 */

/** A parked iteration: the collection it belongs to, its live iterator and the element read ahead. */
interface ScanState {
  coll: object;
  it: Iterator<[unknown, unknown]>;
  pending: [unknown, unknown];
}

/** Parked iterations by cursor, bounded LRU. One per keyspace db; collections may share one. */
export class ScanCursorCache {
  private readonly parked = new Map<number, ScanState>();
  private nextCursor = 1;

  constructor(readonly capacity = 1000) {}

  /** Removes and returns the iteration parked under `cursor` if it belongs to `coll`. */
  take(cursor: number, coll: object): ScanState | undefined {
    const st = this.parked.get(cursor);
    if (st === undefined) return undefined;
    this.parked.delete(cursor);
    return st.coll === coll ? st : undefined;
  }

  /** Parks an iteration under `cursor`, evicting the least recently parked beyond capacity. */
  put(cursor: number, st: ScanState): void {
    this.parked.delete(cursor);
    this.parked.set(cursor, st);
    if (this.parked.size > this.capacity) {
      const oldest = this.parked.keys().next().value as number;
      this.parked.delete(oldest);
    }
  }

  /** A fresh cursor number (for collections without insertion numbers); never 0. */
  newCursor(): number {
    const c = this.nextCursor;
    this.nextCursor = c >= Number.MAX_SAFE_INTEGER ? 1 : c + 1;
    return c;
  }

  /** Number of parked iterations (tests). */
  get size(): number {
    return this.parked.size;
  }

  /** Drops every parked iteration (FLUSHDB/FLUSHALL may call it; stale entries are harmless). */
  clear(): void {
    this.parked.clear();
  }
}

/**
 * One SCAN step over `coll` (a Map, or a Set whose elements are passed as both key and value).
 * Calls `visit(key, value)` for up to `count` elements (a visit may delete elements, e.g. expired
 * keys). @param cursor 0 to start, else a cursor this function returned.
 * @param seqOf the element's monotonic insertion number (0 = unknown), for the keyspace fallback.
 * @returns the next cursor, 0 when the iteration is complete.
 */
export function scanMap<K, V>(
  cache: ScanCursorCache,
  coll: ReadonlyMap<K, V> | ReadonlySet<K>,
  cursor: number,
  count: number,
  visit: (key: K, value: V) => void,
  seqOf?: (value: V) => number,
): number {
  let it: Iterator<[K, V]>;
  let pending: [K, V] | null = null;
  const st = cursor === 0 ? undefined : cache.take(cursor, coll);
  if (st !== undefined) {
    it = st.it as Iterator<[K, V]>;
    pending = st.pending as [K, V];
  } else {
    it = coll.entries() as Iterator<[K, V]>;
    if (cursor !== 0 && seqOf !== undefined) {
      for (;;) {
        const r = it.next();
        if (r.done) return 0;
        const sq = seqOf(r.value[1]);
        if (sq === 0 || sq >= cursor) {
          pending = r.value;
          break;
        }
      }
    }
  }
  const isMap = !(coll instanceof Set); // a Map or the keyspace table (KeyTable)
  let n = 0;
  if (pending !== null) {
    const k = pending[0];
    if (coll.has(k)) visit(k, isMap ? ((coll as ReadonlyMap<K, V>).get(k) as V) : (k as unknown as V));
    n++;
  }
  while (n < count) {
    const r = it.next();
    if (r.done) return 0;
    visit(r.value[0], r.value[1]);
    n++;
  }
  const ahead = it.next();
  if (ahead.done) return 0;
  let next: number;
  if (seqOf !== undefined) {
    next = seqOf(ahead.value[1]);
    if (next === 0) next = 1; // unknown position: a fallback would rescan everything (still correct)
  } else {
    next = cache.newCursor();
  }
  cache.put(next, { coll, it: it as Iterator<[unknown, unknown]>, pending: ahead.value });
  return next;
}

/**
 * Parses a SCAN cursor as Redis 7.0 parseScanCursorOrReply (strtoul base 10: optional sign,
 * digits, no spaces; a negative value wraps modulo 2^64; the empty string is 0).
 * @returns the cursor (values beyond 2^53 lose precision; they match no parked iteration) or null
 *   when invalid (the caller replies `ERR invalid cursor`).
 */
export function parseScanCursor(s: string): number | null {
  const len = s.length;
  if (len === 0) return 0;
  let i = 0;
  const c0 = s.charCodeAt(0);
  const neg = c0 === 45;
  if (neg || c0 === 43) i = 1;
  if (i === len) return null;
  let n = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  const start = neg || c0 === 43 ? 1 : 0;
  if (n > Number.MAX_SAFE_INTEGER) {
    const b = BigInt(s.slice(start));
    if (b > 0xffffffffffffffffn) return null; // ERANGE
    return Number(neg ? (2n ** 64n - b) % 2n ** 64n : b);
  }
  return neg && n !== 0 ? 2 ** 64 - n : n;
}
