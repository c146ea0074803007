/**
 * SlabKeyTable: a db's main dict (key → RObject) with the keys off the V8 heap.
 *
 * ```
 *  index (Int32Array, power of 2, linear probing)   per entry id (insertion order), 32 bytes in
 *  ┌───┬───┬───┬───┬───┬───┬───┬───┐              ents (Int32Array + Float64Array view):
 *  │ 0 │ 3 │ 0 │ 1 │ 4 │ 0 │ 0 │ 2 │  tag|id+1    hash, slab offset, key length (-1 = deleted),
 *  └───┴─┬─┴───┴─┬─┴───┴───┴───┴─┬─┘  0 = empty   inline value length (-(k + 1): the object
 *        │       │               └──► id 1       objs[k]), inline value's RObject.bits, expire pos,
 *        │       └──────────────────► id 0       inline value's RObject.seq (float64)
 *        └──────────────────────────► id 2       objs (RObject[], free list): other values
 *  slab (one Buffer): │ key0 value0 │ (dead key1) │ key2 │ key3 value3 │ free ...
 * ```
 *
 * - A key's bytes (keys are latin1 strings, one char per byte) live once, in the slab, followed by
 *   its value when that is a string of at most INLINE_MAX bytes (Redis's embstr limit); other
 *   values stay RObjects in `objs` (a dense array with a free list: an inline entry has no slot).
 *   A small string key costs a 32-byte entry, 4 / load factor in the index and its bytes in the
 *   slab, where a JS Map
 *   costs two V8 strings, an RObject and ~22 bytes of table (src/store/KEYSPACE.md), and one Map
 *   holds at most 2^24 entries (V8's limit) where this table is bounded by the slab's 4 GB.
 * - Entry ids are handed out in insertion order and never reused until a compaction, so iterating
 *   ids in order is insertion order, as a Map's: the background snapshot, SCAN and the eviction
 *   sampler rely on it (src/store/db.ts KeyTable). Overwriting a key keeps its id (its position).
 * - Deleting marks the entry dead (length -1) and removes it from the index by backward-shift
 *   deletion (no tombstones). When dead entries make up half the ids (or half the slab) at an
 *   insert that needs room, or three quarters of the ids at a delete, a compaction moves the live entries down in order, rewriting the slab, and moves every live
 *   iterator to the same key, so iterators stay valid across changes as Map iterators do.
 * - An index slot holds id + 1 in its low bits (as few as the entry arrays need) and the key's
 *   hash bits above them (up to bit 30, a tag): a probe compares the tag first and reads
 *   the entry (a cache miss) only when it matches, so a lookup that misses (every insert) costs
 *   about one entry read instead of one per probe.
 * - Past a 3/4 load the index grows to twice the size progressively, as Redis's dict rehashes:
 *   each write moves 64 slots of the old index, and a key looked up in the old one moves at once.
 *   Compaction is one O(n) step (src/store/KEYSPACE.md, next steps).
 * - Expire times (Redis's `expires` dict) live in the table too: an entry with one holds its
 *   position + 1 in two dense arrays (the entry id, the time in ms as a float64), 12 bytes per
 *   volatile key where a Map of strings to numbers cost ~120; deleting swaps the last position
 *   into the hole. `expires` is a ReadonlyMap view of them (plus set/delete), whose iterators walk
 *   the positions: active expiry and volatile eviction sample from it without visiting the keys
 *   that have no TTL.
 * Sources: Redis 7.0 dict.c (the roles: lookup, add, delete, iteration safe against changes);
 * linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4, Algorithm R).
 */
import { ObjType, RObject } from './robject.js';

const MIN_ENTRIES = 8;
/**
 * Largest string value kept inline in the slab, bytes: Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT
 * (a robj and its sds in one allocation). Longer strings and every other type stay RObjects.
 */
export const INLINE_MAX = 44;
const MIN_SLAB = 256;
/** Old index slots moved per write while the index grows (Redis rehashes 1 bucket per step, 100 per ms in cron). */
const REHASH_STEP = 64;
/** Largest slab (bytes): Node's Buffer limit with 32-bit offsets. */
const MAX_SLAB = 2 ** 32 - 1;

/** Longest key (bytes) hashKey() copies into keyWords for keyEquals' word compare. */
const KEY_WORDS_BYTES = 256;
/**
 * The bytes of the key hashKey() last hashed, as little-endian 32-bit words (the last one
 * zero-padded), when it is at most KEY_WORDS_BYTES long: keyEquals compares a slab key against
 * them 4 bytes a step (one unaligned load) instead of a charCodeAt per byte.
 */
const keyWords = new Int32Array(KEY_WORDS_BYTES / 4);

/**
 * 32-bit hash of a latin1 string: MurmurHash3 x86_32 (seed 0) over its bytes, four at a time (a
 * chain of ~4 operations per 4 bytes where FNV-1a had 4 dependent multiplications), with
 * murmur3's finaliser (good low bits for the mask). hashBytes() gives the same for the bytes.
 * Leaves the key's bytes in keyWords (keys up to KEY_WORDS_BYTES).
 */
function hashKey(key: string): number {
  const n = key.length;
  const copy = n <= KEY_WORDS_BYTES;
  let h = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    if (copy) keyWords[i >> 2] = k;
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const r = n - i;
  if (r === 3) k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16);
  else if (r === 2) k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8);
  else if (r === 1) k = key.charCodeAt(i);
  if (copy && r !== 0) keyWords[i >> 2] = k;
  return murmurTail(h, k, r, n);
}

/** hashKey() of the latin1 string whose bytes are `buf[start, end)`. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  let h = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const r = end - i;
  if (r === 3) k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16);
  else if (r === 2) k = buf[i] | (buf[i + 1] << 8);
  else if (r === 1) k = buf[i];
  return murmurTail(h, k, r, n);
}

/** MurmurHash3's last 1-3 bytes (`k`, `r` of them) and finaliser, for a key of `n` bytes. */
function murmurTail(h: number, k: number, r: number, n: number): number {
  if (r !== 0) {
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Writes latin1 string `s` at `off`: a loop for short strings (a native call costs more). */
function writeLatin1(slab: Buffer, s: string, off: number): void {
  const n = s.length;
  if (n > 32) slab.latin1Write(s, off, n);
  else for (let i = 0; i < n; i++) slab[off + i] = s.charCodeAt(i);
}

/**
 * Estimated bytes a value object holds (V8 heap and the typed arrays it owns): installed by the
 * eviction module (src/evict/index.ts setValueEstimator), which knows the value families' layouts;
 * until then values count 0.
 */
let valueBytesOf: (o: RObject) => number = () => 0;

/** Installs the estimator value objects are counted with (SlabKeyTable.valueBytes). */
export function setValueEstimator(fn: (o: RObject) => number): void {
  valueBytesOf = fn;
}

/**
 * Estimated bytes `o` holds in memory (the installed estimator; strings: their bytes plus string
 * overhead). The snapshot's copy-on-write accounting (INFO current_cow_size) uses it.
 */
export function estimatedValueBytes(o: RObject): number {
  return valueBytesOf(o);
}

/** Dirty value slots re-estimated at once when this many are waiting (bounds the list). */
const DIRTY_MAX = 1024;

/** Most keys prefetch() reads ahead for at once; its scratch: the keys' hashes and entry offsets. */
const prefetchHashes = new Int32Array(32);
const prefetchIds = new Int32Array(32);
/** What prefetch() read, folded (kept so its loads are not dead code). */
const prefetchSink = new Int32Array(1);

/** The object overwriteInline() hands to the touch function (one at a time, synchronously). */
const scratch = new RObject(ObjType.String, null);

/** What an iterator yields. */
const enum IterKind {
  Keys,
  Values,
  Entries,
}

/**
 * A live iterator over a SlabKeyTable, in insertion order: keys deleted before it reaches them are
 * skipped, keys added before it ends are visited; once done it stays done (as a Map iterator).
 * A reverse one walks from the newest entry at its creation down to the oldest (keys added after
 * its creation are not visited).
 */
class TableIterator<T> implements IterableIterator<T> {
  /**
   * Forward: the next entry id to examine. Reverse: one past it (the ids below are still to come).
   * In both cases the number of ids before the iterator's place, so compaction maps it the same way.
   */
  pos: number;
  done = false;
  constructor(
    private readonly t: SlabKeyTable,
    private readonly kind: IterKind,
    private readonly reverse = false,
  ) {
    this.pos = reverse ? t.topId : 0;
  }

  next(): IteratorResult<T> {
    if (this.done) return { done: true, value: undefined };
    const t = this.t;
    const id = this.reverse ? t.prevLive(this.pos - 1) : t.nextLive(this.pos);
    if (id < 0) {
      this.done = true;
      return { done: true, value: undefined };
    }
    this.pos = this.reverse ? id : id + 1;
    const kind = this.kind;
    const value = kind === IterKind.Keys ? t.keyAt(id) : kind === IterKind.Values ? t.objAt(id) : [t.keyAt(id), t.objAt(id)];
    return { done: false, value: value as T };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}

/**
 * A live iterator over a table's expires, by position: a key given a TTL before it ends is visited;
 * one whose position a deletion fills with a later one may be visited once less in this pass (the
 * samplers of active expiry and eviction, its only iterating users, do not mind).
 */
class ExpireIterator<T> implements IterableIterator<T> {
  private pos = 0;
  constructor(
    private readonly t: SlabKeyTable,
    private readonly kind: IterKind,
  ) {}

  next(): IteratorResult<T> {
    const t = this.t;
    if (this.pos >= t.expireCount) return { done: true, value: undefined };
    const p = this.pos++;
    const kind = this.kind;
    const value =
      kind === IterKind.Keys ? t.expireKeyAt(p) : kind === IterKind.Values ? t.expireWhenAt(p) : [t.expireKeyAt(p), t.expireWhenAt(p)];
    return { done: false, value: value as T };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}

/**
 * A table's expire times as a map of key to unix time in ms (Redis's `expires` dict), backed by
 * the table: only keys present can have one, and deleting a key drops it. `set` of a missing key
 * does nothing and returns false.
 */
export class ExpireMap implements ReadonlyMap<string, number> {
  constructor(private readonly t: SlabKeyTable) {}

  /** Number of keys with an expire time. */
  get size(): number {
    return this.t.expireCount;
  }

  get(key: string): number | undefined {
    return this.t.getExpire(key);
  }

  has(key: string): boolean {
    return this.t.getExpire(key) !== undefined;
  }

  /** Sets `key`'s expire time (ms). @returns false (nothing set) when the key is not in the table. */
  set(key: string, whenMs: number): boolean {
    return this.t.setExpire(key, whenMs);
  }

  /** Removes `key`'s expire time. @returns true if it had one. */
  delete(key: string): boolean {
    return this.t.deleteExpire(key);
  }

  keys(): IterableIterator<string> {
    return new ExpireIterator<string>(this.t, IterKind.Keys);
  }

  values(): IterableIterator<number> {
    return new ExpireIterator<number>(this.t, IterKind.Values);
  }

  entries(): IterableIterator<[string, number]> {
    return new ExpireIterator<[string, number]>(this.t, IterKind.Entries);
  }

  [Symbol.iterator](): IterableIterator<[string, number]> {
    return this.entries();
  }

  forEach(fn: (value: number, key: string, map: ReadonlyMap<string, number>) => void): void {
    for (const [k, w] of this.entries()) fn(w, k, this);
  }
}

/**
 * The keyspace table (see module doc). Implements ReadonlyMap<string, RObject> plus set/delete;
 * keys must be latin1 strings (chars 0-255), as every key in Keydra is.
 * @throws RangeError when the keys no longer fit in one 4 GB slab.
 */
export class SlabKeyTable implements ReadonlyMap<string, RObject> {
  private index = new Int32Array(MIN_ENTRIES * 2);
  private mask = MIN_ENTRIES * 2 - 1;
  /** Mask of the low bits of an index slot holding id + 1 (wide enough for the entry arrays' capacity). */
  private idMask = 15;
  /** Bits of an index slot holding the key's hash bits (above idMask, up to bit 30): the tag. */
  private tagMask = 0x7fffffff & ~15;
  /**
   * While the index grows: the previous index, drained a few slots per write into `index` from
   * slot `rehashPos` on (moved slots stay as they were, so probes pass through them; deletes
   * there leave a -1 tombstone). null otherwise.
   */
  private old: Int32Array | null = null;
  private oldMask = 0;
  private rehashPos = 0;
  /**
   * Per entry id, 32 bytes side by side (one cache line holds what a lookup reads), as int32s:
   * [0] the key's hash, [1] its slab offset (read as unsigned), [2] its length (-1: deleted),
   * [3] the length of an inline string value (its bytes follow the key's; -(k + 1): the value is
   * objs[k]), [4] an inline value's RObject.bits, [5] unused; and as a float64 at [6..7] an
   * inline value's RObject.seq (entsF[id * 4 + 3]).
   */
  private ents = new Int32Array(MIN_ENTRIES * 8);
  private entsF = new Float64Array(this.ents.buffer);
  /** Value objects (every value but an inline string), by slot; an entry's value length is -(slot + 1). */
  private objs: (RObject | undefined)[] = [];
  /** Free slots of `objs`. */
  private objFree: number[] = [];
  /** Per objs slot: the bytes its value was last estimated at (valueBytes). */
  private objMem: number[] = [];
  /** Sum of objMem: the value objects' estimated bytes, as of the last settle. */
  private objMemTotal = 0;
  /** objs slots whose value was stored or looked up for writing since the last settle. */
  private dirty: number[] = [];
  /** The last key slotOf() looked up and its answer (null: none). */
  private cKey: string | null = null;
  private cSlot = 0;
  /** Hash of the key slotOf() last hashed (that of cKey after a miss). */
  private lastHash = 0;
  /** The last value object built for an inline entry by get(), and its id (see touched()). */
  private lastObj: RObject | null = null;
  private lastId = -1;
  /** Entry ids in use: [0, top). */
  private top = 0;
  private live = 0;
  private slab: Buffer = Buffer.allocUnsafeSlow(MIN_SLAB);
  /** The slab as a DataView (keyEquals' unaligned 32-bit reads); replaced with the slab. */
  private slabView = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.length);
  private slabTop = 0;
  /** Slab bytes of deleted keys, reclaimed by the next compaction. */
  private slabDead = 0;
  /** Iterators that may still be used, moved by compaction (weak: abandoned ones are collected). */
  private iters: WeakRef<TableIterator<unknown>>[] = [];
  /** Per expire position: the entry id, and the expire time (unix ms). */
  private expIds = new Int32Array(0);
  private expAt = new Float64Array(0);
  /** Number of keys with an expire time (positions [0, expireCount) are used). */
  expireCount = 0;
  /** The expire times as a map (Db.expires). */
  readonly expires = new ExpireMap(this);

  /** Number of keys. */
  get size(): number {
    return this.live;
  }

  /** Bytes of the expire arrays (ids and times), MEMORY STATS overhead.hashtable.expires. */
  get expireBytes(): number {
    return this.expIds.byteLength + this.expAt.byteLength;
  }

  /**
   * Bytes of this table in use (used_memory): the index, 32 bytes per live entry, the live
   * keys' and small values' slab bytes and 12 per expire time. A write adds what it stores, a
   * delete takes it back at once (the room stays allocated until the table compacts or grows:
   * externalBytes).
   */
  get usedBytes(): number {
    return this.index.byteLength + (this.old?.byteLength ?? 0) + this.live * 32 + this.slabTop - this.slabDead + this.expireCount * 12;
  }

  /** Bytes this table holds outside V8's heap (index, entry arrays, slab, expires). */
  get externalBytes(): number {
    const exp = this.expIds.byteLength + this.expAt.byteLength;
    return this.index.byteLength + (this.old?.byteLength ?? 0) + this.ents.byteLength + this.slab.length + exp;
  }

  /**
   * Index slot holding `key`, or ~(the empty slot where it would go); `lastHash` is the key's hash
   * after a lookup that was not cached. The last key looked up and its answer are remembered (a
   * command usually looks a key up, then writes it): an insert caches its own key's new slot (it
   * only fills an empty slot, so other keys' slots stay), a delete, an index rebuild or a
   * compaction forget it.
   */
  private slotOf(key: string): number {
    if (key === this.cKey) return this.cSlot; // lastHash is still this key's after a miss
    const h = hashKey(key);
    this.lastHash = h;
    let i = this.find(key, h);
    if (i < 0 && this.old !== null) i = this.findOld(key, h, i);
    this.cKey = key;
    this.cSlot = i;
    return i;
  }

  /**
   * During a resize, looks `key` up in the old index too (slots from rehashPos on are not moved
   * yet); a key found there is moved to the new index at once, so callers only ever see slots of
   * the new one. @param miss the new index's answer (~insertion slot). @returns its slot, or miss.
   */
  private findOld(key: string, h: number, miss: number): number {
    const old = this.old as Int32Array;
    const mask = this.oldMask;
    const ents = this.ents;
    const len = key.length;
    let p = h & mask;
    for (;;) {
      const e = old[p];
      if (e === 0) return miss;
      if (e > 0 && p >= this.rehashPos && ((e ^ h) & this.tagMask) === 0) {
        const b = ((e & this.idMask) - 1) * 8;
        if (ents[b] === h && ents[b + 2] === len && this.keyEquals(ents[b + 1] >>> 0, key, len)) {
          old[p] = -1; // a tombstone: probes go on past it
          this.index[~miss] = e;
          return ~miss;
        }
      }
      p = (p + 1) & mask;
    }
  }

  /**
   * Moves up to `n` slots of the old index to the new one (Redis dictRehash: a step per write, so
   * a resize never stalls one command for the whole table). @returns true if entries moved.
   */
  private rehashStep(n: number): boolean {
    const old = this.old;
    if (old === null) return false;
    const idx = this.index;
    const mask = this.mask;
    const end = Math.min(old.length, this.rehashPos + n);
    let moved = false;
    for (let p = this.rehashPos; p < end; p++) {
      const e = old[p];
      if (e <= 0) continue;
      let i = this.ents[((e & this.idMask) - 1) * 8] & mask;
      while (idx[i] !== 0) i = (i + 1) & mask;
      idx[i] = e;
      moved = true;
    }
    this.rehashPos = end;
    if (end === old.length) this.old = null;
    if (moved) this.cKey = null; // a cached insertion slot may be taken now
    return moved;
  }

  /** Slot of `key` of hash `h` in the (new) index, or ~(the empty slot where it would go). */
  private find(key: string, h: number): number {
    const idx = this.index;
    const mask = this.mask;
    const ents = this.ents;
    const len = key.length;
    const tagMask = this.tagMask;
    const idMask = this.idMask;
    let i = h & mask;
    for (;;) {
      const e = idx[i];
      if (e === 0) return ~i;
      if (((e ^ h) & tagMask) === 0) {
        const b = ((e & idMask) - 1) * 8;
        if (ents[b] === h && ents[b + 2] === len && this.keyEquals(ents[b + 1] >>> 0, key, len)) return i;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * True if the `len` slab bytes at `off` are `key`'s (of length `len`). Called only for the key
   * hashKey() last hashed: a key of at most KEY_WORDS_BYTES is compared with its keyWords, 4
   * bytes a step.
   */
  private keyEquals(off: number, key: string, len: number): boolean {
    if (len <= KEY_WORDS_BYTES) {
      const dv = this.slabView;
      const w = keyWords;
      let j = 0;
      for (; j + 3 < len; j += 4) if (dv.getInt32(off + j, true) !== w[j >> 2]) return false;
      if (j === len) return true;
      const s = this.slab;
      const p = off + j;
      const r = len - j;
      const t = r === 3 ? s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) : r === 2 ? s[p] | (s[p + 1] << 8) : s[p];
      return t === w[j >> 2];
    }
    const s = this.slab;
    for (let j = 0; j < len; j++) if (s[off + j] !== key.charCodeAt(j)) return false;
    return true;
  }

  /**
   * The value object of `key`, or undefined. For an inline string it is built from the slab; a
   * change to it reaches the table only through set() (or touched() for its eviction metadata).
   */
  get(key: string): RObject | undefined {
    const i = this.slotOf(key);
    if (i < 0) return undefined;
    const id = (this.index[i] & this.idMask) - 1;
    const vl = this.ents[id * 8 + 3];
    if (vl < 0) return this.objs[-vl - 1];
    const o = this.inlineObj(id);
    this.lastObj = o;
    this.lastId = id;
    return o;
  }

  /**
   * Stores `o`'s eviction metadata (RObject.bits) back into the table when `o` is the inline
   * value object the last get() built (Db's LRU/LFU touch after a lookup). Other objects are the
   * table's own and need nothing.
   */
  touched(o: RObject): void {
    if (o === this.lastObj) this.ents[this.lastId * 8 + 4] = o.bits;
  }

  private inlineObj(id: number): RObject {
    const off = (this.ents[id * 8 + 1] >>> 0) + this.ents[id * 8 + 2];
    const o = new RObject(ObjType.String, this.slab.latin1Slice(off, off + this.ents[id * 8 + 3]));
    o.bits = this.ents[id * 8 + 4];
    o.seq = this.entsF[id * 4 + 3];
    return o;
  }

  /** True if `key` is in the table. */
  has(key: string): boolean {
    return this.slotOf(key) >= 0;
  }

  /**
   * Inserts `key` (at the end of the order) or replaces its value (keeping its place). A string
   * value of at most INLINE_MAX bytes is copied into the slab with its bits and seq; any other
   * value object is kept as is.
   */
  set(key: string, o: RObject): this {
    let i = this.slotOf(key);
    const h = this.lastHash;
    const v = o.value;
    const vlen = (o.bits & 7) === ObjType.String && typeof v === 'string' && v.length <= INLINE_MAX ? v.length : -1;
    if (i >= 0) {
      const id = (this.index[i] & this.idMask) - 1;
      const old = this.ents[id * 8 + 3];
      if (vlen >= 0 && old >= vlen) {
        // Fits where the old inline value was.
        writeLatin1(this.slab, v as string, (this.ents[id * 8 + 1] >>> 0) + this.ents[id * 8 + 2]);
        this.slabDead += old - vlen;
        this.setInline(id, o, vlen);
        return this;
      }
      if (vlen < 0) {
        if (old >= 0) {
          this.slabDead += old;
          this.ents[id * 8 + 3] = this.putObj(o);
        } else {
          this.objs[-old - 1] = o;
          this.markSlot(-old - 1);
        }
        return this;
      }
      // A longer inline value: the entry moves to the slab's end, key and value together.
      const klen = this.ents[id * 8 + 2];
      if (this.reserveSlab(klen + vlen)) i = this.find(key, hashKey(key));
      const id2 = (this.index[i] & this.idMask) - 1;
      const off = this.slabTop;
      this.slab.copy(this.slab, off, this.ents[id2 * 8 + 1] >>> 0, (this.ents[id2 * 8 + 1] >>> 0) + klen);
      writeLatin1(this.slab, v as string, off + klen);
      this.slabTop = off + klen + vlen;
      const oldv = this.ents[id2 * 8 + 3];
      this.slabDead += klen + Math.max(0, oldv);
      if (oldv < 0) this.freeObj(oldv);
      this.ents[id2 * 8 + 1] = off;
      this.setInline(id2, o, vlen);
      return this;
    }
    for (let j = 0; j < key.length; j++) {
      if (key.charCodeAt(j) > 255) throw new TypeError('keyspace keys are latin1 strings (one char per byte)');
    }
    const need = key.length + Math.max(0, vlen);
    if (this.reserve(need)) i = this.find(key, hashKey(key)); // (hashed again: keyEquals reads keyWords)
    const id = this.top++;
    const off = this.slabTop;
    writeLatin1(this.slab, key, off);
    if (vlen >= 0) writeLatin1(this.slab, v as string, off + key.length);
    this.slabTop = off + need;
    this.ents[id * 8] = h;
    this.ents[id * 8 + 1] = off;
    this.ents[id * 8 + 2] = key.length;
    this.ents[id * 8 + 5] = 0;
    if (vlen >= 0) this.setInline(id, o, vlen);
    else this.ents[id * 8 + 3] = this.putObj(o);
    this.index[~i] = (h & this.tagMask) | (id + 1);
    this.cKey = key;
    this.cSlot = ~i;
    this.live++;
    return this;
  }

  /**
   * Inserts a new `key` whose value is a string given as bytes `src[start, end)` of at most
   * INLINE_MAX bytes (RDB loading: no value string or object is made), with `o`'s bits and seq.
   * The key must be absent and latin1 (a has() just answered false: its probe is reused).
   * @throws Error if the key exists or the value is too long for the slab.
   */
  insertInlineBytes(key: string, src: Uint8Array, start: number, end: number, o: RObject): void {
    let i = this.slotOf(key);
    if (i >= 0) throw new Error('insertInlineBytes: the key exists');
    const vlen = end - start;
    if (vlen > INLINE_MAX) throw new Error('insertInlineBytes: value longer than INLINE_MAX');
    const h = this.lastHash;
    const need = key.length + vlen;
    if (this.reserve(need)) i = this.find(key, hashKey(key)); // (hashed again: keyEquals reads keyWords)
    const id = this.top++;
    const off = this.slabTop;
    writeLatin1(this.slab, key, off);
    const slab = this.slab;
    const voff = off + key.length;
    for (let j = 0; j < vlen; j++) slab[voff + j] = src[start + j];
    this.slabTop = off + need;
    this.ents[id * 8] = h;
    this.ents[id * 8 + 1] = off;
    this.ents[id * 8 + 2] = key.length;
    this.ents[id * 8 + 5] = 0;
    this.setInline(id, o, vlen);
    this.index[~i] = (h & this.tagMask) | (id + 1);
    this.cKey = key;
    this.cSlot = ~i;
    this.live++;
  }

  /**
   * Reads ahead for a batch of keys given as bytes (`buf[spans[2k], spans[2k + 1])`, k < n): the
   * index slot, the entry and the slab bytes each key will be looked up at, one pass over the
   * batch for each (after one that hashes them all), so the cache misses of the batch overlap
   * instead of costing one memory round trip after another inside each command (a pipeline's
   * commands then find their table lines in cache). Changes nothing; the keys need not exist.
   * The index being grown (`old`) is not read.
   * @returns how many of the keys' entries it read (live entries whose full hash matches: keys
   *   that are most likely in the table).
   */
  prefetch(buf: Uint8Array, spans: Int32Array, n: number): number {
    const hs = prefetchIds;
    const hashes = prefetchHashes;
    if (n > hs.length) n = hs.length;
    const idx = this.index;
    const mask = this.mask;
    // Each pass's loads are independent of one another; a pass holds little else, so the core
    // has all of them in flight at once (a load that misses blocks retirement: work between
    // loads would fill the reorder window and leave only a few misses outstanding).
    for (let k = 0; k < n; k++) hashes[k] = hashBytes(buf, spans[2 * k], spans[2 * k + 1]);
    let acc = 0;
    for (let k = 0; k < n; k++) acc ^= idx[hashes[k] & mask];
    const tagMask = this.tagMask;
    const idMask = this.idMask;
    for (let k = 0; k < n; k++) {
      const h = hashes[k];
      let i = h & mask;
      let e = idx[i];
      // The key's slot is its home slot or one of the next few (linear probing): the first
      // whose tag matches.
      for (let probes = 0; e !== 0 && ((e ^ h) & tagMask) !== 0 && probes < 4; probes++) e = idx[(i = (i + 1) & mask)];
      hs[k] = e !== 0 && ((e ^ h) & tagMask) === 0 ? ((e & idMask) - 1) * 8 : -1;
    }
    const ents = this.ents;
    // The entry's first and last word (a line boundary may split it: the seq is in the last).
    for (let k = 0; k < n; k++) {
      const b = hs[k];
      if (b >= 0) acc ^= ents[b] ^ ents[b + 7];
    }
    const slab = this.slab;
    let found = 0;
    for (let k = 0; k < n; k++) {
      const b = hs[k];
      if (b >= 0 && ents[b + 2] >= 0 && ents[b] === hashes[k]) {
        // The key's first and its inline value's last byte (a line boundary may split them).
        const off = ents[b + 1] >>> 0;
        const end = off + ents[b + 2] + Math.max(ents[b + 3], 0);
        acc ^= slab[off];
        if (end > off) acc ^= slab[end - 1];
        found++;
      }
    }
    prefetchSink[0] ^= acc;
    return found;
  }

  /** Entry id of `key`, or -1. Valid until the table changes (see the by-id methods below). */
  locate(key: string): number {
    const i = this.slotOf(key);
    return i < 0 ? -1 : (this.index[i] & this.idMask) - 1;
  }

  /**
   * When entry `id` holds an inline string: applies `touch` to its eviction metadata, points
   * `view` at its bytes and returns true; false (nothing done) otherwise.
   */
  viewAt(id: number, view: { buf: Buffer; start: number; end: number }, touch: (o: RObject) => void): boolean {
    const vl = this.ents[id * 8 + 3];
    if (vl < 0) return false;
    const s = scratch;
    s.bits = this.ents[id * 8 + 4];
    s.seq = this.entsF[id * 4 + 3];
    touch(s);
    this.ents[id * 8 + 4] = s.bits;
    if (this.lastId === id) this.lastObj = null;
    const start = (this.ents[id * 8 + 1] >>> 0) + this.ents[id * 8 + 2];
    view.buf = this.slab;
    view.start = start;
    view.end = start + vl;
    return true;
  }

  /** Type (ObjType) of entry `id`'s value. */
  typeAt(id: number): ObjType {
    const vl = this.ents[id * 8 + 3];
    return vl < 0 ? (this.objs[-vl - 1] as RObject).type : ObjType.String;
  }

  /**
   * SET's fast path: when entry `id` holds an inline string with room for `val` (at most as long
   * as the current value), writes `val` over it, clears the raw flag and applies `touch` to its
   * eviction metadata, without building an object. @returns false (nothing changed) otherwise.
   */
  overwriteInline(id: number, val: string, touch: (o: RObject) => void): boolean {
    const old = this.ents[id * 8 + 3];
    if (old < val.length) return false;
    const s = scratch;
    s.bits = this.ents[id * 8 + 4];
    s.seq = this.entsF[id * 4 + 3];
    touch(s);
    writeLatin1(this.slab, val, (this.ents[id * 8 + 1] >>> 0) + this.ents[id * 8 + 2]);
    this.slabDead += old - val.length;
    this.ents[id * 8 + 3] = val.length;
    this.ents[id * 8 + 4] = s.bits & 0x7fffffff;
    if (this.lastId === id) this.lastObj = null;
    return true;
  }

  /**
   * INCR's fast path: overwriteInline for the decimal digits of the safe integer `n`, written
   * straight into the slab (no string). @returns false (nothing changed) when entry `id` holds no
   * inline string or the digits are longer than its current value.
   */
  overwriteInlineInt(id: number, n: number, touch: (o: RObject) => void): boolean {
    const old = this.ents[id * 8 + 3];
    const abs = n < 0 ? -n : n;
    let digits = 1;
    if (abs < 2147483648) {
      // int32: comparisons, and below a division by 10 as an integer multiply (no float division).
      digits = abs < 10 ? 1 : abs < 100 ? 2 : abs < 1000 ? 3 : abs < 10000 ? 4 : abs < 100000 ? 5 : abs < 1000000 ? 6 : abs < 10000000 ? 7 : abs < 100000000 ? 8 : abs < 1000000000 ? 9 : 10;
    } else for (let a = abs; a >= 10; a = Math.floor(a / 10)) digits++;
    const len = n < 0 ? digits + 1 : digits;
    if (old < len && !(old >= 0 && this.moveToEnd(id, len))) return false;
    const s = scratch;
    s.bits = this.ents[id * 8 + 4];
    s.seq = this.entsF[id * 4 + 3];
    touch(s);
    const off = (this.ents[id * 8 + 1] >>> 0) + this.ents[id * 8 + 2];
    const slab = this.slab;
    let a = abs;
    if (a < 2147483648) {
      for (let p = off + len - 1; p >= off + len - digits; p--) {
        const q = ((a | 0) / 10) | 0;
        slab[p] = 48 + (a - q * 10);
        a = q;
      }
    } else {
      for (let p = off + len - 1; p >= off + len - digits; p--) {
        const q = Math.floor(a / 10);
        slab[p] = 48 + (a - q * 10);
        a = q;
      }
    }
    if (n < 0) slab[off] = 45;
    this.slabDead += old - len;
    this.ents[id * 8 + 3] = len;
    this.ents[id * 8 + 4] = s.bits & 0x7fffffff;
    if (this.lastId === id) this.lastObj = null;
    return true;
  }

  /**
   * Gives inline entry `id` room for a value of `vlen` bytes (longer than its current one): moves
   * its key to the slab's end, where the value will follow it (its old bytes become dead), when
   * the slab has that room already. The value bytes are left for the caller to write (and the
   * entry's value length to set). @returns false (nothing done) when the slab would have to grow
   * or compact (that moves ids: set() does it).
   */
  private moveToEnd(id: number, vlen: number): boolean {
    const klen = this.ents[id * 8 + 2];
    const to = this.slabTop;
    if (to + klen + vlen > this.slab.length) return false;
    const from = this.ents[id * 8 + 1] >>> 0;
    const slab = this.slab;
    if (klen > 32) slab.copyWithin(to, from, from + klen);
    else for (let j = 0; j < klen; j++) slab[to + j] = slab[from + j];
    // The old key and value (klen + old) die; the caller's `slabDead += old - vlen` for writing
    // the value over the old one then balances: klen + old in all.
    this.slabDead += klen + vlen;
    this.slabTop = to + klen + vlen;
    this.ents[id * 8 + 1] = to;
    return true;
  }

  /** Puts `o` in a free objs slot. @returns the entry's value length code for it, -(slot + 1). */
  private putObj(o: RObject): number {
    let k: number;
    if (this.objFree.length > 0) {
      k = this.objFree.pop() as number;
      this.objs[k] = o;
    } else {
      k = this.objs.length;
      this.objs.push(o);
      this.objMem.push(0);
    }
    this.markSlot(k);
    return -k - 1;
  }

  /** Frees the objs slot of value length code `code` (< 0); its value stops counting at once. */
  private freeObj(code: number): void {
    const k = -code - 1;
    this.objs[k] = undefined;
    this.objMemTotal -= this.objMem[k];
    this.objMem[k] = 0;
    this.objFree.push(k);
  }

  /** Queues objs slot `k` for re-estimation (its value was stored, or may change in place). */
  private markSlot(k: number): void {
    const d = this.dirty;
    if (d.length !== 0 && d[d.length - 1] === k) return;
    d.push(k);
    if (d.length >= DIRTY_MAX) this.settleValueBytes();
  }

  /**
   * Marks `key`'s value object (if it has one) as possibly changing: a command looked it up to
   * write it in place (LPUSH, HSET, APPEND...). Its bytes are estimated again at the next
   * valueBytes read.
   */
  markWritten(key: string): void {
    const i = this.slotOf(key);
    if (i < 0) return;
    const code = this.ents[((this.index[i] & this.idMask) - 1) * 8 + 3];
    if (code < 0) this.markSlot(-code - 1);
  }

  /** Re-estimates the values of the dirty slots (a freed slot counts 0). */
  private settleValueBytes(): void {
    const d = this.dirty;
    for (let j = 0; j < d.length; j++) {
      const k = d[j];
      const o = this.objs[k];
      const e = o === undefined ? 0 : valueBytesOf(o);
      this.objMemTotal += e - this.objMem[k];
      this.objMem[k] = e;
    }
    d.length = 0;
  }

  /**
   * Estimated bytes of the value objects (every value but the inline strings, which usedBytes
   * counts): kept per value, updated when one is stored, deleted, or was looked up for writing
   * (used_memory; src/evict/index.ts).
   */
  get valueBytes(): number {
    if (this.dirty.length !== 0) this.settleValueBytes();
    return this.objMemTotal;
  }

  private setInline(id: number, o: RObject, vlen: number): void {
    this.ents[id * 8 + 3] = vlen;
    this.ents[id * 8 + 4] = o.bits;
    this.entsF[id * 4 + 3] = o.seq;
    if (this.lastId === id) this.lastObj = null;
  }

  /** `key`'s expire time (unix ms), or undefined when it has none or is absent. */
  getExpire(key: string): number | undefined {
    if (this.expireCount === 0) return undefined;
    const i = this.slotOf(key);
    if (i < 0) return undefined;
    const p = this.ents[((this.index[i] & this.idMask) - 1) * 8 + 5];
    return p === 0 ? undefined : this.expAt[p - 1];
  }

  /** Sets `key`'s expire time (unix ms). @returns false (nothing set) when `key` is absent. */
  setExpire(key: string, whenMs: number): boolean {
    const i = this.slotOf(key);
    if (i < 0) return false;
    const id = (this.index[i] & this.idMask) - 1;
    const p = this.ents[id * 8 + 5];
    if (p !== 0) {
      this.expAt[p - 1] = whenMs;
      return true;
    }
    if (this.expireCount === this.expIds.length) {
      const n = Math.max(16, this.expIds.length * 2);
      const ids = new Int32Array(n);
      ids.set(this.expIds);
      const at = new Float64Array(n);
      at.set(this.expAt);
      this.expIds = ids;
      this.expAt = at;
    }
    const q = this.expireCount++;
    this.expIds[q] = id;
    this.expAt[q] = whenMs;
    this.ents[id * 8 + 5] = q + 1;
    return true;
  }

  /** Removes `key`'s expire time. @returns true if it had one. */
  deleteExpire(key: string): boolean {
    if (this.expireCount === 0) return false;
    const i = this.slotOf(key);
    if (i < 0) return false;
    const p = this.ents[((this.index[i] & this.idMask) - 1) * 8 + 5];
    if (p === 0) return false;
    this.removeExpireAt(p - 1);
    return true;
  }

  /** Frees expire position `q`: the last position moves into it; the arrays shrink when a quarter full. */
  private removeExpireAt(q: number): void {
    this.ents[this.expIds[q] * 8 + 5] = 0;
    const last = --this.expireCount;
    if (q !== last) {
      const id = this.expIds[last];
      this.expIds[q] = id;
      this.expAt[q] = this.expAt[last];
      this.ents[id * 8 + 5] = q + 1;
    }
    if (this.expIds.length > 64 && this.expireCount < this.expIds.length >> 2) {
      const n = this.expIds.length >> 1;
      this.expIds = this.expIds.slice(0, n);
      this.expAt = this.expAt.slice(0, n);
    }
  }

  /** The key at expire position `p` (< expireCount). */
  expireKeyAt(p: number): string {
    return this.keyAt(this.expIds[p]);
  }

  /** The expire time (unix ms) at position `p` (< expireCount). */
  expireWhenAt(p: number): number {
    return this.expAt[p];
  }

  /** Removes `key`. @returns true if it was there. */
  delete(key: string): boolean {
    if (this.old !== null) this.rehashStep(REHASH_STEP);
    let i = this.slotOf(key);
    if (i < 0) return false;
    this.cKey = null;
    const id = (this.index[i] & this.idMask) - 1;
    const vl = this.ents[id * 8 + 3];
    this.slabDead += this.ents[id * 8 + 2] + Math.max(0, vl);
    if (vl < 0) this.freeObj(vl);
    if (this.ents[id * 8 + 5] !== 0) this.removeExpireAt(this.ents[id * 8 + 5] - 1);
    this.ents[id * 8 + 2] = -1;
    if (this.lastId === id) this.lastObj = null;
    this.live--;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, their slot].
    const idx = this.index;
    const mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = idx[j];
      if (e === 0) break;
      const home = this.ents[((e & this.idMask) - 1) * 8] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        idx[i] = e;
        i = j;
      }
    }
    idx[i] = 0;
    // Mostly dead ids: compact, so RANDOMKEY's picks and iteration stay O(1) per live key.
    if (this.top > 64 && this.live < this.top >> 2) this.compact(0);
    return true;
  }

  /**
   * A random key, uniform over the live keys (a random id, retried while it is deleted; fewer than
   * three quarters of the ids are dead, so O(1) expected), or undefined when empty.
   * Source: Redis 7.0 dict.c dictGetFairRandomKey (role).
   */
  randomKey(): string | undefined {
    if (this.live === 0) return undefined;
    for (;;) {
      const id = Math.floor(Math.random() * this.top);
      if (this.ents[id * 8 + 2] >= 0) return this.keyAt(id);
    }
  }

  /**
   * Makes room for one more entry of `bytes` slab bytes: compacts when dead entries or dead slab
   * bytes are half of it, else grows the entry arrays, the slab or the index. @returns true if
   * ids or index slots moved.
   */
  private reserve(bytes: number): boolean {
    let moved = false;
    if (this.top * 8 === this.ents.length) {
      const dead = this.top - this.live;
      if (dead >= this.top >> 1 && dead > 0) {
        this.compact(bytes);
        moved = true;
      }
      if (this.top * 8 === this.ents.length) this.growEntries((this.ents.length / 8) * 2);
    }
    if (this.reserveSlab(bytes)) moved = true;
    if (this.rehashStep(REHASH_STEP)) moved = true;
    if ((this.live + 1) * 4 > (this.mask + 1) * 3) {
      if (this.old !== null) this.rehashStep(this.old.length); // (not reached: steps finish first)
      this.old = this.index;
      this.oldMask = this.mask;
      this.rehashPos = 0;
      this.index = new Int32Array((this.mask + 1) * 2);
      this.mask = this.index.length - 1;
      this.rehashStep(REHASH_STEP);
      moved = true;
    }
    return moved;
  }

  /** Makes room for `bytes` more slab bytes (compacting or growing). @returns true if ids moved. */
  private reserveSlab(bytes: number): boolean {
    if (this.slabTop + bytes <= this.slab.length) return false;
    if (this.slabDead >= this.slabTop >> 1 && this.slabDead > 0) {
      this.compact(bytes);
      if (this.slabTop + bytes > this.slab.length) this.growSlab(this.slabTop + bytes);
      return true;
    }
    this.growSlab(this.slabTop + bytes);
    return false;
  }

  /** Resizes the per-entry arrays to `n` entries (at least `top`); widens the slots' id bits when needed. */
  private growEntries(n: number): void {
    const e = new Int32Array(n * 8);
    e.set(this.ents.subarray(0, this.top * 8));
    this.ents = e;
    this.entsF = new Float64Array(e.buffer);
    if (n > this.idMask) this.widenIds(32 - Math.clz32(n));
  }

  /**
   * Gives ids `bits` bits of every index slot (ids up to 2^bits - 2); the tag keeps the hash bits
   * above. Slots keep their place: a slot's bits at the new id positions were hash bits already.
   */
  private widenIds(bits: number): void {
    const oldIdMask = this.idMask;
    this.idMask = bits >= 31 ? 0x7fffffff : (1 << bits) - 1;
    this.tagMask = 0x7fffffff & ~this.idMask;
    const keep = this.tagMask;
    for (const idx of this.old === null ? [this.index] : [this.index, this.old]) {
      for (let i = 0; i < idx.length; i++) {
        const v = idx[i];
        if (v > 0) idx[i] = (v & keep) | (v & oldIdMask);
      }
    }
  }

  /**
   * Sizes the table for `n` keys in all (Redis dictExpand on RDB_OPCODE_RESIZEDB): the entry
   * arrays and the index at once, so that loading them does not double and rehash on the way.
   */
  reserveKeys(n: number): void {
    if (n <= this.live) return;
    const ids = this.top + (n - this.live);
    if (ids * 8 > this.ents.length) this.growEntries(ids);
    const cap = this.indexSizeFor(n + 1);
    if (cap > this.mask + 1) {
      this.rebuildIndex(cap);
      this.cKey = null;
    }
  }

  private growSlab(need: number): void {
    if (need > MAX_SLAB) throw new RangeError('keyspace table full: keys exceed 4 GB in one db');
    let n = this.slab.length * 2;
    while (n < need) n *= 2;
    const s = Buffer.allocUnsafeSlow(Math.min(n, MAX_SLAB));
    this.slab.copy(s, 0, 0, this.slabTop);
    this.slab = s;
    this.slabView = new DataView(s.buffer, s.byteOffset, s.length);
  }

  /** Rebuilds the index with `cap` slots (a power of 2) from the live entries. */
  private rebuildIndex(cap: number): void {
    const idx = new Int32Array(cap);
    const mask = cap - 1;
    for (let id = 0; id < this.top; id++) {
      if (this.ents[id * 8 + 2] < 0) continue;
      const h = this.ents[id * 8];
      let i = h & mask;
      while (idx[i] !== 0) i = (i + 1) & mask;
      idx[i] = (h & this.tagMask) | (id + 1);
    }
    this.index = idx;
    this.mask = mask;
    this.old = null;
    this.cKey = null;
  }

  /**
   * Moves the live entries to ids 0..live-1 in order and their bytes to a new slab sized for them
   * plus `extra` bytes; every live iterator keeps pointing at the same next key; rebuilds the index.
   */
  private compact(extra: number): void {
    const its: TableIterator<unknown>[] = [];
    for (const r of this.iters) {
      const it = r.deref();
      if (it !== undefined && !it.done) its.push(it);
    }
    its.sort((a, b) => a.pos - b.pos);
    const liveBytes = this.slabTop - this.slabDead;
    const slab = Buffer.allocUnsafeSlow(Math.max(MIN_SLAB, Math.min(MAX_SLAB, (liveBytes + extra) * 2)));
    let n = 0;
    let at = 0;
    let k = 0;
    for (let id = 0; id < this.top; id++) {
      while (k < its.length && its[k].pos <= id) its[k++].pos = n;
      const len = this.ents[id * 8 + 2];
      if (len < 0) continue;
      const bytes = len + Math.max(0, this.ents[id * 8 + 3]);
      this.slab.copy(slab, at, this.ents[id * 8 + 1] >>> 0, (this.ents[id * 8 + 1] >>> 0) + bytes);
      if (n !== id) {
        this.ents.copyWithin(n * 8, id * 8, id * 8 + 8);
        const ep = this.ents[n * 8 + 5];
        if (ep !== 0) this.expIds[ep - 1] = n;
      }
      this.ents[n * 8 + 1] = at;
      at += bytes;
      n++;
    }
    while (k < its.length) its[k++].pos = n;
    this.top = n;
    this.slab = slab;
    this.slabView = new DataView(slab.buffer, slab.byteOffset, slab.length);
    this.slabTop = at;
    this.slabDead = 0;
    this.lastObj = null;
    this.iters = its.map((it) => new WeakRef(it));
    const want = Math.max(MIN_ENTRIES, n * 2);
    if (want * 8 < this.ents.length) this.growEntries(want);
    this.rebuildIndex(this.indexSizeFor(n + 1));
  }

  private indexSizeFor(n: number): number {
    let cap = MIN_ENTRIES * 2;
    while (n * 4 > cap * 3) cap *= 2;
    return cap;
  }

  /** First live id >= `from`, or -1. For iterators. */
  nextLive(from: number): number {
    for (let id = from; id < this.top; id++) if (this.ents[id * 8 + 2] >= 0) return id;
    return -1;
  }

  /** Last live id <= `from`, or -1. For reverse iterators. */
  prevLive(from: number): number {
    for (let id = Math.min(from, this.top - 1); id >= 0; id--) if (this.ents[id * 8 + 2] >= 0) return id;
    return -1;
  }

  /** One past the highest entry id handed out (live or dead). For iterators. */
  get topId(): number {
    return this.top;
  }

  /** The key of entry `id` (a new string). */
  keyAt(id: number): string {
    const off = this.ents[id * 8 + 1] >>> 0;
    return this.slab.latin1Slice(off, off + this.ents[id * 8 + 2]);
  }

  /** The value object of entry `id` (built from the slab for an inline string). */
  objAt(id: number): RObject {
    const vl = this.ents[id * 8 + 3];
    return vl < 0 ? (this.objs[-vl - 1] as RObject) : this.inlineObj(id);
  }

  private track<T>(it: TableIterator<T>): TableIterator<T> {
    if (this.iters.length >= 64) this.iters = this.iters.filter((r) => r.deref()?.done === false);
    this.iters.push(new WeakRef(it as TableIterator<unknown>));
    return it;
  }

  /** Keys in insertion order (live iterator). */
  keys(): IterableIterator<string> {
    return this.track(new TableIterator<string>(this, IterKind.Keys));
  }

  /** Value objects in insertion order (live iterator). */
  values(): IterableIterator<RObject> {
    return this.track(new TableIterator<RObject>(this, IterKind.Values));
  }

  /** [key, value object] pairs in insertion order (live iterator). */
  entries(): IterableIterator<[string, RObject]> {
    return this.track(new TableIterator<[string, RObject]>(this, IterKind.Entries));
  }

  /**
   * [key, value object] pairs newest first (live iterator over the keys present at the call: keys
   * deleted before it reaches them are skipped, keys added later are not visited). The background
   * snapshot's order (persistence/snapshot.ts): Redis's child walks its dict in hash order, unrelated
   * to age, so changing the first keys loaded right after a BGSAVE copies them (current_cow_size);
   * walked oldest first, they would already be written.
   */
  entriesNewestFirst(): IterableIterator<[string, RObject]> {
    return this.track(new TableIterator<[string, RObject]>(this, IterKind.Entries, true));
  }

  [Symbol.iterator](): IterableIterator<[string, RObject]> {
    return this.entries();
  }

  /** Calls `fn(value, key, table)` for each entry in insertion order. */
  forEach(fn: (value: RObject, key: string, map: ReadonlyMap<string, RObject>) => void): void {
    for (const [k, o] of this.entries()) fn(o, k, this);
  }
}
