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
import type { RObject } from './db.js';

const MIN_ENTRIES = 8;
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
  private objs: (RObject | undefined)[] = [];
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
    return this.index.byteLength + this.hashes.byteLength * 3 + this.slab.length;
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

  /** The value object of `key`, or undefined. */
  get(key: string): RObject | undefined {
    const i = this.find(key, hashKey(key));
    return i < 0 ? undefined : this.objs[this.index[i] - 1];
  }

  /** True if `key` is in the table. */
  has(key: string): boolean {
    return this.find(key, hashKey(key)) >= 0;
  }

  /** Inserts `key` (at the end of the order) or replaces its value object (keeping its place). */
  set(key: string, o: RObject): this {
    const h = hashKey(key);
    let i = this.find(key, h);
    if (i >= 0) {
      this.objs[this.index[i] - 1] = o;
      return this;
    }
    for (let j = 0; j < key.length; j++) {
      if (key.charCodeAt(j) > 255) throw new TypeError('keyspace keys are latin1 strings (one char per byte)');
    }
    if (this.reserve(key.length)) i = this.find(key, h);
    const id = this.top++;
    const off = this.slabTop;
    this.slab.latin1Write(key, off, key.length);
    this.slabTop = off + key.length;
    this.hashes[id] = h;
    this.offs[id] = off;
    this.lens[id] = key.length;
    if (this.objs.length === id) this.objs.push(o);
    else this.objs[id] = o;
    this.index[~i] = id + 1;
    this.live++;
    return this;
  }

  /** Removes `key`. @returns true if it was there. */
  delete(key: string): boolean {
    let i = this.find(key, hashKey(key));
    if (i < 0) return false;
    const id = this.index[i] - 1;
    this.slabDead += this.lens[id];
    this.lens[id] = -1;
    this.objs[id] = undefined;
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
   * Makes room for one more entry of `keyLen` bytes: compacts when dead entries or dead slab bytes
   * are half of it, else grows the entry arrays, the slab or the index. @returns true if the index
   * was rebuilt (slots moved).
   */
  private reserve(keyLen: number): boolean {
    let rebuilt = false;
    const dead = this.top - this.live;
    if (this.top === this.hashes.length || this.slabTop + keyLen > this.slab.length) {
      if (dead >= this.top >> 1 && dead > 0) {
        this.compact(keyLen);
        rebuilt = true;
      } else if (this.slabDead >= this.slabTop >> 1 && this.slabDead > 0 && this.slabTop + keyLen > this.slab.length) {
        this.compact(keyLen);
        rebuilt = true;
      }
      if (this.top === this.hashes.length) this.growEntries(this.hashes.length * 2);
      if (this.slabTop + keyLen > this.slab.length) this.growSlab(this.slabTop + keyLen);
    }
    if ((this.live + 1) * 4 > (this.mask + 1) * 3) {
      this.rebuildIndex((this.mask + 1) * 2);
      rebuilt = true;
    }
    return rebuilt;
  }

  private growEntries(n: number): void {
    const h = new Int32Array(n);
    h.set(this.hashes.subarray(0, this.top));
    const o = new Uint32Array(n);
    o.set(this.offs.subarray(0, this.top));
    const l = new Int32Array(n);
    l.set(this.lens.subarray(0, this.top));
    this.hashes = h;
    this.offs = o;
    this.lens = l;
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
   * Moves the live entries to ids 0..live-1 in order and their keys to a new slab sized for them
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
    const { hashes, offs, lens, objs } = this;
    let n = 0;
    let at = 0;
    let k = 0;
    for (let id = 0; id < this.top; id++) {
      while (k < its.length && its[k].pos <= id) its[k++].pos = n;
      const len = lens[id];
      if (len < 0) continue;
      this.slab.copy(slab, at, offs[id], offs[id] + len);
      hashes[n] = hashes[id];
      offs[n] = at;
      lens[n] = len;
      objs[n] = objs[id];
      at += len;
      n++;
    }
    while (k < its.length) its[k++].pos = n;
    objs.length = n;
    this.top = n;
    this.slab = slab;
    this.slabTop = at;
    this.slabDead = 0;
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

  /** The value object of entry `id`. */
  objAt(id: number): RObject {
    return this.objs[id] as RObject;
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
