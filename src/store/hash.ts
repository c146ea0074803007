/**
 * RHash: the hash value type (ObjType.Hash), with Redis 7.0's two encodings.
 * - "listpack" (≤ `hashLimits.maxListpackEntries` (512) entries, every field and value ≤
 *   `hashLimits.maxListpackValue` bytes): the pairs packed in one latin1 string
 *   (src/store/hashListpack.ts), insertion order kept through removals, as a listpack does, so
 *   HGETALL & co. reply in Redis's order. Lookups scan the pairs; positional access (HGETALL,
 *   HSCAN, HRANDFIELD walk it in order) resumes from the last position read.
 * - "hashtable": a BytesTable (src/store/bytesTable.ts: fields and values as bytes in one slab, an
 *   open-addressing index, dense positions); removal moves the last entry into the hole (O(1));
 *   order is arbitrary, as in Redis. HSCAN walks positions from the end (src/commands/sets/scan.ts
 *   relies on that removal).
 * Once hashtable, a hash stays hashtable (as Redis).
 * Source: Redis 7.0 t_hash.c.
 */
import { BytesTable } from './bytesTable.js';
import { lenChars, lpField, lpFind, lpPair, lpPairEnd, lpSplice, lpValue, lpValuePos } from './hashListpack.js';

/** Conversion thresholds (hash-max-listpack-entries / -value); the config module may change them. */
export const hashLimits = { maxListpackEntries: 512, maxListpackValue: 64 };

/** Bytes of an RHash object and of a BytesTable's JS objects (table, slab Buffer, typed arrays). */
const RHASH_BYTES = 56;
const TABLE_OBJECT_BYTES = 480;

/** A Redis hash. Fields and values are latin1 strings. */
export class RHash {
  /** Hashtable encoding: the table; null while listpack. */
  private t: BytesTable | null = null;
  /** Listpack encoding: the pairs (src/store/hashListpack.ts). */
  private lp = '';
  /** Listpack encoding: number of pairs. */
  private n = 0;
  /** Listpack positional cursor: pair `curI` starts at char `curPos`. */
  private curI = 0;
  private curPos = 0;

  /**
   * A hash of the pairs `flat` (field, value, field, value, ...) in one pass, in the encoding their
   * count and lengths call for (RDB load of a listpack or ziplist: no rebuild of the packed string
   * per pair). @returns null if a field repeats (the caller rejects the payload).
   */
  static fromPairs(flat: readonly string[]): RHash | null {
    const h = new RHash();
    const count = flat.length >> 1;
    let small = count <= hashLimits.maxListpackEntries;
    for (let i = 0; small && i < flat.length; i++) if (flat[i].length > hashLimits.maxListpackValue) small = false;
    if (!small) {
      for (let i = 0; i + 1 < flat.length; i += 2) if (!h.set(flat[i], flat[i + 1])) return null;
      return h;
    }
    const seen = new Set<string>();
    const parts: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (seen.has(flat[i])) return null;
      seen.add(flat[i]);
      parts.push(lpPair(flat[i], flat[i + 1]));
    }
    h.lp = parts.join('');
    h.n = count;
    return h;
  }

  /** Redis 7.0 OBJECT ENCODING name: "listpack" or "hashtable". */
  get encoding(): string {
    return this.t === null ? 'listpack' : 'hashtable';
  }

  /**
   * Bytes the hash holds (MEMORY USAGE, used_memory): the packed string or the table's slab,
   * offsets and index, exact up to the JS objects' headers (V8 64-bit with pointer compression).
   */
  get bytes(): number {
    if (this.t !== null) return RHASH_BYTES + TABLE_OBJECT_BYTES + this.t.slabBytes;
    return RHASH_BYTES + 16 + ((this.lp.length + 7) & ~7);
  }

  get size(): number {
    return this.t === null ? this.n : this.t.size;
  }

  get(f: string): string | undefined {
    if (this.t !== null) return this.t.get(f);
    const p = lpFind(this.lp, f);
    return p < 0 ? undefined : lpValue(this.lp, p);
  }

  has(f: string): boolean {
    return this.t !== null ? this.t.has(f) : lpFind(this.lp, f) >= 0;
  }

  /** Field at position `i` (0 ≤ i < size): insertion order while listpack. */
  fieldAt(i: number): string {
    return this.t !== null ? this.t.keyAt(i) : lpField(this.lp, this.pairPos(i));
  }

  /** Value at position `i` (0 ≤ i < size). */
  valueAt(i: number): string {
    return this.t !== null ? this.t.valueAt(i) : lpValue(this.lp, this.pairPos(i));
  }

  /** Char position of listpack pair `i`, walking on from the cursor when it lies behind `i`. */
  private pairPos(i: number): number {
    let k = 0;
    let p = 0;
    if (i >= this.curI) {
      k = this.curI;
      p = this.curPos;
    }
    for (; k < i; k++) p = lpPairEnd(this.lp, p);
    this.curI = i;
    this.curPos = p;
    return p;
  }

  /** Sets a field. @returns true if the field is new. */
  set(f: string, v: string): boolean {
    if (this.t !== null) return this.t.set(f, v);
    const lim = hashLimits.maxListpackValue;
    if (f.length > lim || v.length > lim) {
      this.toHashtable();
      return (this.t as unknown as BytesTable).set(f, v);
    }
    const s = this.lp;
    const p = lpFind(s, f);
    this.curI = 0;
    this.curPos = 0;
    if (p >= 0) {
      this.lp = lpSplice(s, lpValuePos(s, p), lpPairEnd(s, p), lenChars(v.length) + v);
      return false;
    }
    this.lp = lpSplice(s, s.length, s.length, lpPair(f, v));
    if (++this.n > hashLimits.maxListpackEntries) this.toHashtable();
    return true;
  }

  /** Converts to the hashtable encoding (the pairs move into a BytesTable, same order). */
  private toHashtable(): void {
    const b = new BytesTable();
    const s = this.lp;
    for (let p = 0; p < s.length; p = lpPairEnd(s, p)) b.set(lpField(s, p), lpValue(s, p));
    this.t = b;
    this.lp = '';
    this.n = 0;
  }

  /** Removes a field. @returns true if it was there. */
  delete(f: string): boolean {
    if (this.t !== null) return this.t.delete(f);
    const s = this.lp;
    const p = lpFind(s, f);
    if (p < 0) return false;
    this.lp = lpSplice(s, p, lpPairEnd(s, p), '');
    this.n--;
    this.curI = 0;
    this.curPos = 0;
    return true;
  }

  /** A deep copy (COPY). */
  clone(): RHash {
    const h = new RHash();
    h.t = this.t === null ? null : this.t.clone();
    h.lp = this.lp;
    h.n = this.n;
    return h;
  }

  /** Iterates [field, value] pairs in position order. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    if (this.t !== null) {
      yield* this.t;
      return;
    }
    const s = this.lp;
    for (let p = 0; p < s.length; p = lpPairEnd(s, p)) yield [lpField(s, p), lpValue(s, p)];
  }
}
