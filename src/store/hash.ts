/**
 * RHash: the hash value type (ObjType.Hash), with Redis 7.0's two encodings.
 *
 * Storage is always parallel dense arrays `fields`/`vals` plus a Map field → index, so lookups are
 * O(1) and random picks (HRANDFIELD) are O(1) each.
 * - "listpack" (≤ `hashLimits.maxListpackEntries` (512) entries, every field and value ≤
 *   `hashLimits.maxListpackValue` bytes): removal keeps insertion order, as a listpack does, so
 *   HGETALL & co. reply in Redis's order.
 * - "hashtable": removal swaps the last entry into the hole (O(1)); order is arbitrary, as in Redis.
 * Once hashtable, a hash stays hashtable (as Redis).
 * Source: Redis 7.0 t_hash.c.
 */

/** Conversion thresholds (hash-max-listpack-entries / -value); the config module may change them. */
export const hashLimits = { maxListpackEntries: 512, maxListpackValue: 64 };

/** A Redis hash. Fields and values are latin1 strings. */
export class RHash {
  fields: string[] = [];
  vals: string[] = [];
  pos = new Map<string, number>();
  private listpack = true;

  /** Redis 7.0 OBJECT ENCODING name: "listpack" or "hashtable". */
  get encoding(): string {
    return this.listpack ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.fields.length;
  }

  get(f: string): string | undefined {
    const i = this.pos.get(f);
    return i === undefined ? undefined : this.vals[i];
  }

  has(f: string): boolean {
    return this.pos.has(f);
  }

  /** Sets a field. @returns true if the field is new. */
  set(f: string, v: string): boolean {
    if (this.listpack && (f.length > hashLimits.maxListpackValue || v.length > hashLimits.maxListpackValue)) {
      this.listpack = false;
    }
    const i = this.pos.get(f);
    if (i !== undefined) {
      this.vals[i] = v;
      return false;
    }
    this.pos.set(f, this.fields.length);
    this.fields.push(f);
    this.vals.push(v);
    if (this.fields.length > hashLimits.maxListpackEntries) this.listpack = false;
    return true;
  }

  /** Removes a field. @returns true if it was there. */
  delete(f: string): boolean {
    const i = this.pos.get(f);
    if (i === undefined) return false;
    this.pos.delete(f);
    const fs = this.fields;
    const vs = this.vals;
    if (this.listpack) {
      fs.splice(i, 1);
      vs.splice(i, 1);
      for (let j = i; j < fs.length; j++) this.pos.set(fs[j], j);
      return true;
    }
    const lf = fs.pop() as string;
    const lv = vs.pop() as string;
    if (i < fs.length) {
      fs[i] = lf;
      vs[i] = lv;
      this.pos.set(lf, i);
    }
    return true;
  }

  /** A deep copy (COPY). */
  clone(): RHash {
    const h = new RHash();
    h.fields = this.fields.slice();
    h.vals = this.vals.slice();
    h.pos = new Map(this.pos);
    h.listpack = this.listpack;
    return h;
  }

  /** Iterates [field, value] pairs. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.fields.length; i++) yield [this.fields[i], this.vals[i]];
  }
}
