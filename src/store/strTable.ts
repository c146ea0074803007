/**
 * StrTable: a string-keyed table (field → value) for the collection types, built to touch as few
 * cache lines per lookup as possible on large tables (HSET / ZADD into one 100k-element value).
 *
 * ```
 *  index (Int32Array, power of 2, linear probing)      dense entries, id = position
 *  ┌───┬───┬───┬───┬───┬───┬───┬───┐                  kv:     │ k0 v0 │ k1 v1 │ k2 v2 │ ...
 *  │ 0 │ 3 │ 0 │ 1 │ 2 │ 0 │ 0 │ 0 │  tag | id+1     hashes: │ h0    │ h1    │ h2    │ ...
 *  └───┴───┴───┴───┴───┴───┴───┴───┘  0 = empty
 * ```
 *
 * - Entries are dense: ids 0..size-1, a key and its value side by side in one array (one cache
 *   line for both), so positional access (HRANDFIELD, HSCAN windows, sampling) is O(1).
 * - An index slot (src/store/probeIndex.ts) holds id + 1 in its low `bits` bits (the index has 2^bits slots and at most 3/4
 *   of them used, so ids always fit) and the key's hash bits above them as a tag: a probe reads
 *   the entry (and the key string, another cache miss) only when the tag matches. A lookup that
 *   hits costs about three cache lines (slot, entry, key), where a JS Map plus parallel arrays
 *   cost five; a miss (every insert) costs about one.
 * - Removal: `delete(k, false)` moves the last entry into the hole (O(1), order arbitrary, as a
 *   Redis dict); `delete(k, true)` shifts the later entries down, keeping insertion order (a
 *   listpack's order). The index uses backward-shift deletion (no tombstones).
 *   SCAN over the dense ids relies on the O(1) removal only ever moving an entry from the end
 *   (src/commands/sets/scan.ts).
 * - The index doubles past 3/4 load and halves below 1/8 (Redis dict resize thresholds differ: it
 *   shrinks below 10% fill); both are a rebuild from the stored hashes, O(n), with no key hashed
 *   again.
 * Hashes are 30 bits (V8 small integers, so `hashes` stays an unboxed array).
 * Sources: Redis 7.0 dict.c (roles: add, find, delete, resize); linear probing with
 * backward-shift deletion (Knuth, TAOCP vol. 3, 6.4, Algorithm R).
 */

import { buildIndex, slotOfRef, unlinkSlot } from './probeIndex.js';

const MIN_BITS = 3;

/** 30-bit hash of a latin1 string: FNV-1a then murmur3's finaliser (good low bits for the mask). */
export function strHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

/** A string → V table with dense positional access (see the file comment). */
export class StrTable<V> {
  /** Key of entry i at 2i, its value at 2i + 1. */
  private kv: unknown[] = [];
  /** strHash of entry i's key. */
  private hashes: number[] = [];
  private index = new Int32Array(1 << MIN_BITS);
  private bits = MIN_BITS;
  private mask = (1 << MIN_BITS) - 1;
  /** Number of entries. */
  size = 0;

  /** Id (position) of `key`, or -1. */
  indexOf(key: string): number {
    const h = strHash(key);
    const idx = this.index;
    const m = this.mask;
    const want = h & ~m;
    const kv = this.kv;
    for (let s = h & m; ; s = (s + 1) & m) {
      const e = idx[s];
      if (e === 0) return -1;
      if ((e & ~m) === want) {
        const id = (e & m) - 1;
        if (kv[id << 1] === key) return id;
      }
    }
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const id = this.indexOf(key);
    return id < 0 ? undefined : (this.kv[(id << 1) + 1] as V);
  }

  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  /** Sets `key` to `value` (a new key goes last). @returns true if the key is new. */
  set(key: string, value: V): boolean {
    const h = strHash(key);
    const idx = this.index;
    const m = this.mask;
    const want = h & ~m;
    const kv = this.kv;
    let s = h & m;
    for (; ; s = (s + 1) & m) {
      const e = idx[s];
      if (e === 0) break;
      if ((e & ~m) === want) {
        const id = (e & m) - 1;
        if (kv[id << 1] === key) {
          kv[(id << 1) + 1] = value;
          return false;
        }
      }
    }
    const id = this.size++;
    kv.push(key, value);
    this.hashes.push(h);
    idx[s] = want | (id + 1);
    if (this.size * 4 > m * 3) this.resize(this.bits + 1);
    return true;
  }

  /** Key of entry `i` (0 ≤ i < size). */
  keyAt(i: number): string {
    return this.kv[i << 1] as string;
  }

  /** Value of entry `i` (0 ≤ i < size). */
  valueAt(i: number): V {
    return this.kv[(i << 1) + 1] as V;
  }

  /** Replaces the value of entry `i` (0 ≤ i < size). */
  setValueAt(i: number, value: V): void {
    this.kv[(i << 1) + 1] = value;
  }

  /**
   * Removes `key`. `ordered`: later entries shift down one place (insertion order kept, O(n));
   * otherwise the last entry moves into the hole (O(1)). @returns true if it was there.
   */
  delete(key: string, ordered = false): boolean {
    const id = this.indexOf(key);
    if (id < 0) return false;
    this.removeAt(id, ordered);
    return true;
  }

  /** Removes entry `id` (0 ≤ id < size), as delete(). */
  removeAt(id: number, ordered = false): void {
    this.unlinkSlot(this.slotOf(id));
    const kv = this.kv;
    const hs = this.hashes;
    const last = this.size - 1;
    if (ordered && id < last) {
      kv.splice(id << 1, 2);
      hs.splice(id, 1);
      this.size = last;
      for (let j = id; j < last; j++) this.index[slotOfRef(this.index, 1, this.mask, hs[j], j + 2)] = (hs[j] & ~this.mask) | (j + 1);
    } else {
      if (id < last) {
        const s = this.slotOf(last);
        kv[id << 1] = kv[last << 1];
        kv[(id << 1) + 1] = kv[(last << 1) + 1];
        hs[id] = hs[last];
        this.index[s] = (hs[id] & ~this.mask) | (id + 1);
      }
      kv.length = last << 1;
      hs.length = last;
      this.size = last;
    }
    if (this.bits > MIN_BITS && this.size * 8 < this.mask) this.resize(this.bits - 1);
  }

  /** Removes every entry. */
  clear(): void {
    this.kv = [];
    this.hashes = [];
    this.bits = MIN_BITS;
    this.mask = (1 << MIN_BITS) - 1;
    this.index = new Int32Array(1 << MIN_BITS);
    this.size = 0;
  }

  /** A copy (same order). */
  clone(): StrTable<V> {
    const t = new StrTable<V>();
    t.kv = this.kv.slice();
    t.hashes = this.hashes.slice();
    t.index = this.index.slice();
    t.bits = this.bits;
    t.mask = this.mask;
    t.size = this.size;
    return t;
  }

  /** Iterates [key, value] in position order. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (let i = 0; i < this.size; i++) yield [this.kv[i << 1] as string, this.kv[(i << 1) + 1] as V];
  }

  /** Iterates keys in position order. */
  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.size; i++) yield this.kv[i << 1] as string;
  }

  /** Index slot holding entry `id`. */
  private slotOf(id: number): number {
    return slotOfRef(this.index, 1, this.mask, this.hashes[id], id + 1);
  }

  /** Empties index slot `s` (backward shift). */
  private unlinkSlot(s: number): void {
    unlinkSlot(this.index, 1, this.mask, this.hashes, s);
  }

  /** Rebuilds the index with 2^bits slots from the stored hashes. */
  private resize(bits: number): void {
    this.index = buildIndex(bits, 1, this.size, this.hashes);
    this.bits = bits;
    this.mask = (1 << bits) - 1;
  }
}
