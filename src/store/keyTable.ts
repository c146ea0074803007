/**
 * SlabKeyTable: a db's main dict (key → RObject) with the keys off the V8 heap.
 *
 * ```
 *  index (Int32Array, power of 2, linear probing)      per entry id (insertion order)
 *  ┌───┬───┬───┬───┬───┬───┬───┬───┐                 id:    0      1      2      3
 *  │ 0 │ 3 │ 0 │ 1 │ 4 │ 0 │ 0 │ 2 │  id+1, 0 = empty  hashes [h0]   [h1]   [h2]   [h3]   Int32Array
 *  └───┴─┬─┴───┴─┬─┴───┴───┴───┴─┬─┘                 offs   [o0]   [o1]   [o2]   [o3]   Uint32Array ─┐
 *        │       │               └──────► id 1        lens   [3]    [-1]   [5]    [4]    Int32Array  │ -1 = deleted
 *        │       └──────────────────────► id 0        objs   [ro]   [ ]    [ro]   [ro]   RObject[]   │
 *        └──────────────────────────────► id 2                                                       │
 *  slab (one Buffer): │ key0 │ (dead key1) │ key2 │ key3 │ free ...  ◄───────────────────────────────┘
 * ```
 *
 * - A key's bytes (keys are latin1 strings, one char per byte) live once, in the slab; its hash,
 *   slab offset and length in typed arrays; its value object in `objs`. So a key costs about
 *   4 + 4 + 4 + 8 bytes per entry, 4 / load factor in the index and its length in the slab, where
 *   a JS Map costs a V8 string (16-byte header, 8-byte aligned) plus ~22 bytes of table, and one Map
 *   holds at most 2^24 entries (V8's limit) where this table is bounded by the slab's 4 GB of keys.
 * - Entry ids are handed out in insertion order and never reused until a compaction, so iterating
 *   ids in order is insertion order, as a Map's: the background snapshot, SCAN and the eviction
 *   sampler rely on it (src/store/db.ts KeyTable). Overwriting a key keeps its id (its position).
 * - Deleting marks the entry dead (length -1) and removes it from the index by backward-shift
 *   deletion (no tombstones). When dead entries make up half the ids (or half the slab) at an
 *   insert that needs room, or three quarters of the ids at a delete, a compaction moves the live entries down in order, rewriting the slab, and moves every live
 *   iterator to the same key, so iterators stay valid across changes as Map iterators do.
 * - The index is rebuilt at twice the size past a 3/4 load. Resizing and compaction are O(n) in
 *   one step (Redis rehashes incrementally; see src/store/KEYSPACE.md for the next steps).
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
/** Largest slab (bytes): Node's Buffer limit with 32-bit offsets. */
const MAX_SLAB = 2 ** 32 - 1;

/** 32-bit hash of a latin1 string: FNV-1a then murmur3's finaliser (good low bits for the mask). */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** What an iterator yields. */
const enum IterKind {
  Keys,
  Values,
  Entries,
}

/**
 * A live iterator over a SlabKeyTable, in insertion order: keys deleted before it reaches them are
 * skipped, keys added before it ends are visited; once done it stays done (as a Map iterator).
 */
class TableIterator<T> implements IterableIterator<T> {
  /** Next entry id to examine; moved by the table's compaction. */
  pos = 0;
  done = false;
  constructor(
    private readonly t: SlabKeyTable,
    private readonly kind: IterKind,
  ) {}

  next(): IteratorResult<T> {
    if (this.done) return { done: true, value: undefined };
    const t = this.t;
    const id = t.nextLive(this.pos);
    if (id < 0) {
      this.done = true;
      return { done: true, value: undefined };
    }
    this.pos = id + 1;
    const kind = this.kind;
    const value =
      kind === IterKind.Keys ? t.keyAt(id) : kind === IterKind.Values ? t.objAt(id) : [t.keyAt(id), t.objAt(id)];
    return { done: false, value: value as T };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
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
  private hashes = new Int32Array(MIN_ENTRIES);
  private offs = new Uint32Array(MIN_ENTRIES);
  private lens = new Int32Array(MIN_ENTRIES);
  /** Length of an inline string value (its bytes follow the key's in the slab); -1: the value is objs[id]. */
  private vlens = new Int32Array(MIN_ENTRIES);
  /** RObject.bits (type, eviction metadata, raw flag) of an inline value. */
  private metas = new Int32Array(MIN_ENTRIES);
  /** RObject.seq of an inline value. */
  private seqs = new Float64Array(MIN_ENTRIES);
  private objs: (RObject | undefined)[] = [];
  /** The last value object built for an inline entry by get(), and its id (see touched()). */
  private lastObj: RObject | null = null;
  private lastId = -1;
  /** Entry ids in use: [0, top). */
  private top = 0;
  private live = 0;
  private slab: Buffer = Buffer.allocUnsafeSlow(MIN_SLAB);
  private slabTop = 0;
  /** Slab bytes of deleted keys, reclaimed by the next compaction. */
  private slabDead = 0;
  /** Iterators that may still be used, moved by compaction (weak: abandoned ones are collected). */
  private iters: WeakRef<TableIterator<unknown>>[] = [];

  /** Number of keys. */
  get size(): number {
    return this.live;
  }

  /** Bytes this table holds outside V8's heap (index, entry arrays, slab), for used_memory. */
  get externalBytes(): number {
    return this.index.byteLength + this.hashes.byteLength * 5 + this.seqs.byteLength + this.slab.length;
  }

  /** Index slot holding `key`, or ~(the empty slot where it would go). */
  private find(key: string, h: number): number {
    const idx = this.index;
    const mask = this.mask;
    const hashes = this.hashes;
    const len = key.length;
    let i = h & mask;
    for (;;) {
      const e = idx[i];
      if (e === 0) return ~i;
      const id = e - 1;
      if (hashes[id] === h && this.lens[id] === len && this.keyEquals(this.offs[id], key, len)) return i;
      i = (i + 1) & mask;
    }
  }

  private keyEquals(off: number, key: string, len: number): boolean {
    const s = this.slab;
    for (let j = 0; j < len; j++) if (s[off + j] !== key.charCodeAt(j)) return false;
    return true;
  }

  /**
   * The value object of `key`, or undefined. For an inline string it is built from the slab; a
   * change to it reaches the table only through set() (or touched() for its eviction metadata).
   */
  get(key: string): RObject | undefined {
    const i = this.find(key, hashKey(key));
    if (i < 0) return undefined;
    const id = this.index[i] - 1;
    if (this.vlens[id] < 0) return this.objs[id];
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
    if (o === this.lastObj) this.metas[this.lastId] = o.bits;
  }

  private inlineObj(id: number): RObject {
    const off = this.offs[id] + this.lens[id];
    const o = new RObject(ObjType.String, this.slab.latin1Slice(off, off + this.vlens[id]));
    o.bits = this.metas[id];
    o.seq = this.seqs[id];
    return o;
  }

  /** True if `key` is in the table. */
  has(key: string): boolean {
    return this.find(key, hashKey(key)) >= 0;
  }

  /**
   * Inserts `key` (at the end of the order) or replaces its value (keeping its place). A string
   * value of at most INLINE_MAX bytes is copied into the slab with its bits and seq; any other
   * value object is kept as is.
   */
  set(key: string, o: RObject): this {
    const h = hashKey(key);
    let i = this.find(key, h);
    const v = o.value;
    const vlen = (o.bits & 7) === ObjType.String && typeof v === 'string' && v.length <= INLINE_MAX ? v.length : -1;
    if (i >= 0) {
      const id = this.index[i] - 1;
      const old = this.vlens[id];
      if (vlen >= 0 && old >= vlen) {
        // Fits where the old inline value was.
        (this.slab as Buffer).latin1Write(v as string, this.offs[id] + this.lens[id], vlen);
        this.slabDead += old - vlen;
        this.setInline(id, o, vlen);
        return this;
      }
      if (vlen < 0) {
        if (old >= 0) this.slabDead += old;
        this.vlens[id] = -1;
        this.objs[id] = o;
        return this;
      }
      // A longer inline value: the entry moves to the slab's end, key and value together.
      const klen = this.lens[id];
      if (this.reserveSlab(klen + vlen)) i = this.find(key, h);
      const id2 = this.index[i] - 1;
      const off = this.slabTop;
      this.slab.copy(this.slab, off, this.offs[id2], this.offs[id2] + klen);
      this.slab.latin1Write(v as string, off + klen, vlen);
      this.slabTop = off + klen + vlen;
      this.slabDead += klen + Math.max(0, this.vlens[id2]);
      this.offs[id2] = off;
      this.objs[id2] = undefined;
      this.setInline(id2, o, vlen);
      return this;
    }
    for (let j = 0; j < key.length; j++) {
      if (key.charCodeAt(j) > 255) throw new TypeError('keyspace keys are latin1 strings (one char per byte)');
    }
    const need = key.length + Math.max(0, vlen);
    if (this.reserve(need)) i = this.find(key, h);
    const id = this.top++;
    const off = this.slabTop;
    this.slab.latin1Write(key, off, key.length);
    if (vlen >= 0) this.slab.latin1Write(v as string, off + key.length, vlen);
    this.slabTop = off + need;
    this.hashes[id] = h;
    this.offs[id] = off;
    this.lens[id] = key.length;
    if (this.objs.length === id) this.objs.push(vlen < 0 ? o : undefined);
    else this.objs[id] = vlen < 0 ? o : undefined;
    if (vlen >= 0) this.setInline(id, o, vlen);
    else this.vlens[id] = -1;
    this.index[~i] = id + 1;
    this.live++;
    return this;
  }

  private setInline(id: number, o: RObject, vlen: number): void {
    this.vlens[id] = vlen;
    this.metas[id] = o.bits;
    this.seqs[id] = o.seq;
    if (this.lastId === id) this.lastObj = null;
  }

  /** Removes `key`. @returns true if it was there. */
  delete(key: string): boolean {
    let i = this.find(key, hashKey(key));
    if (i < 0) return false;
    const id = this.index[i] - 1;
    this.slabDead += this.lens[id] + Math.max(0, this.vlens[id]);
    this.lens[id] = -1;
    this.objs[id] = undefined;
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
      const home = this.hashes[e - 1] & mask;
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
      if (this.lens[id] >= 0) return this.keyAt(id);
    }
  }

  /**
   * Makes room for one more entry of `bytes` slab bytes: compacts when dead entries or dead slab
   * bytes are half of it, else grows the entry arrays, the slab or the index. @returns true if
   * ids or index slots moved.
   */
  private reserve(bytes: number): boolean {
    let moved = false;
    if (this.top === this.hashes.length) {
      const dead = this.top - this.live;
      if (dead >= this.top >> 1 && dead > 0) {
        this.compact(bytes);
        moved = true;
      }
      if (this.top === this.hashes.length) this.growEntries(this.hashes.length * 2);
    }
    if (this.reserveSlab(bytes)) moved = true;
    if ((this.live + 1) * 4 > (this.mask + 1) * 3) {
      this.rebuildIndex((this.mask + 1) * 2);
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

  private growEntries(n: number): void {
    const top = this.top;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a.subarray(0, top));
      return b;
    };
    this.hashes = i32(this.hashes);
    this.lens = i32(this.lens);
    this.vlens = i32(this.vlens);
    this.metas = i32(this.metas);
    const o = new Uint32Array(n);
    o.set(this.offs.subarray(0, top));
    this.offs = o;
    const q = new Float64Array(n);
    q.set(this.seqs.subarray(0, top));
    this.seqs = q;
  }

  private growSlab(need: number): void {
    if (need > MAX_SLAB) throw new RangeError('keyspace table full: keys exceed 4 GB in one db');
    let n = this.slab.length * 2;
    while (n < need) n *= 2;
    const s = Buffer.allocUnsafeSlow(Math.min(n, MAX_SLAB));
    this.slab.copy(s, 0, 0, this.slabTop);
    this.slab = s;
  }

  /** Rebuilds the index with `cap` slots (a power of 2) from the live entries. */
  private rebuildIndex(cap: number): void {
    const idx = new Int32Array(cap);
    const mask = cap - 1;
    const hashes = this.hashes;
    const lens = this.lens;
    for (let id = 0; id < this.top; id++) {
      if (lens[id] < 0) continue;
      let i = hashes[id] & mask;
      while (idx[i] !== 0) i = (i + 1) & mask;
      idx[i] = id + 1;
    }
    this.index = idx;
    this.mask = mask;
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
    const { hashes, offs, lens, vlens, metas, seqs, objs } = this;
    let n = 0;
    let at = 0;
    let k = 0;
    for (let id = 0; id < this.top; id++) {
      while (k < its.length && its[k].pos <= id) its[k++].pos = n;
      const len = lens[id];
      if (len < 0) continue;
      const bytes = len + Math.max(0, vlens[id]);
      this.slab.copy(slab, at, offs[id], offs[id] + bytes);
      hashes[n] = hashes[id];
      offs[n] = at;
      lens[n] = len;
      vlens[n] = vlens[id];
      metas[n] = metas[id];
      seqs[n] = seqs[id];
      objs[n] = objs[id];
      at += bytes;
      n++;
    }
    while (k < its.length) its[k++].pos = n;
    objs.length = n;
    this.top = n;
    this.slab = slab;
    this.slabTop = at;
    this.slabDead = 0;
    this.lastObj = null;
    this.iters = its.map((it) => new WeakRef(it));
    const want = Math.max(MIN_ENTRIES, n * 2);
    if (want < this.hashes.length) this.growEntries(want);
    this.rebuildIndex(this.indexSizeFor(n + 1));
  }

  private indexSizeFor(n: number): number {
    let cap = MIN_ENTRIES * 2;
    while (n * 4 > cap * 3) cap *= 2;
    return cap;
  }

  /** First live id >= `from`, or -1. For iterators. */
  nextLive(from: number): number {
    const lens = this.lens;
    for (let id = from; id < this.top; id++) if (lens[id] >= 0) return id;
    return -1;
  }

  /** The key of entry `id` (a new string). */
  keyAt(id: number): string {
    const off = this.offs[id];
    return this.slab.latin1Slice(off, off + this.lens[id]);
  }

  /** The value object of entry `id` (built from the slab for an inline string). */
  objAt(id: number): RObject {
    return this.vlens[id] < 0 ? (this.objs[id] as RObject) : this.inlineObj(id);
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

  [Symbol.iterator](): IterableIterator<[string, RObject]> {
    return this.entries();
  }

  /** Calls `fn(value, key, table)` for each entry in insertion order. */
  forEach(fn: (value: RObject, key: string, map: ReadonlyMap<string, RObject>) => void): void {
    for (const [k, o] of this.entries()) fn(o, k, this);
  }
}
