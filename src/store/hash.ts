/**
 * RHash: the hash value type (ObjType.Hash), with Redis 7.0's two encodings.
 *
 * Storage is a StrTable (src/store/strTable.ts) while listpack and a BytesTable
 * (src/store/bytesTable.ts: fields and values as bytes in one slab, no V8 string per value) once
 * hashtable; both keep dense entries plus an open-addressing index field → position, so lookups
 * are O(1) and random picks (HRANDFIELD) are O(1) each.
 * - "listpack" (≤ `hashLimits.maxListpackEntries` (512) entries, every field and value ≤
 *   `hashLimits.maxListpackValue` bytes): removal keeps insertion order, as a listpack does, so
 *   HGETALL & co. reply in Redis's order.
 * - "hashtable": removal moves the last entry into the hole (O(1)); order is arbitrary, as in
 *   Redis. HSCAN walks positions from the end (src/commands/sets/scan.ts relies on that removal).
 * Once hashtable, a hash stays hashtable (as Redis).
 * Source: Redis 7.0 t_hash.c.
 */
import { BytesTable } from './bytesTable.js';
import { StrTable } from './strTable.js';

/** Conversion thresholds (hash-max-listpack-entries / -value); the config module may change them. */
export const hashLimits = { maxListpackEntries: 512, maxListpackValue: 64 };

/** A Redis hash. Fields and values are latin1 strings. */
export class RHash {
  private t: StrTable<string> | BytesTable = new StrTable<string>();
  private listpack = true;

  /** Redis 7.0 OBJECT ENCODING name: "listpack" or "hashtable". */
  get encoding(): string {
    return this.listpack ? 'listpack' : 'hashtable';
  }

  /**
   * Bytes the hashtable encoding holds outside the heap (slab, offsets, index: exact, for MEMORY
   * USAGE and used_memory); undefined while listpack (estimated from samples instead).
   */
  get tableBytes(): number | undefined {
    return this.t instanceof BytesTable ? this.t.slabBytes : undefined;
  }

  get size(): number {
    return this.t.size;
  }

  get(f: string): string | undefined {
    return this.t.get(f);
  }

  has(f: string): boolean {
    return this.t.indexOf(f) >= 0;
  }

  /** Field at position `i` (0 ≤ i < size): insertion order while listpack. */
  fieldAt(i: number): string {
    return this.t.keyAt(i);
  }

  /** Value at position `i` (0 ≤ i < size). */
  valueAt(i: number): string {
    return this.t.valueAt(i);
  }

  /** Sets a field. @returns true if the field is new. */
  set(f: string, v: string): boolean {
    if (this.listpack) {
      const added = this.t.set(f, v);
      if (
        f.length > hashLimits.maxListpackValue ||
        v.length > hashLimits.maxListpackValue ||
        this.t.size > hashLimits.maxListpackEntries
      )
        this.toHashtable();
      return added;
    }
    return this.t.set(f, v);
  }

  /** Converts to the hashtable encoding (fields and values move into a BytesTable, same order). */
  private toHashtable(): void {
    const b = new BytesTable();
    const t = this.t;
    for (let i = 0; i < t.size; i++) b.set(t.keyAt(i), t.valueAt(i) as string);
    this.t = b;
    this.listpack = false;
  }

  /** Removes a field. @returns true if it was there. */
  delete(f: string): boolean {
    return this.t.delete(f, this.listpack);
  }

  /** A deep copy (COPY). */
  clone(): RHash {
    const h = new RHash();
    h.t = this.t.clone() as StrTable<string> | BytesTable;
    h.listpack = this.listpack;
    return h;
  }

  /** Iterates [field, value] pairs in position order. */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.t[Symbol.iterator]();
  }
}
