/**
 * RSet: the set value type (ObjType.Set), with Redis 7.0's two encodings.
 *
 * - "intset": every member is a canonical int64 decimal string and there are at most
 *   `setLimits.maxIntsetEntries` (set-max-intset-entries, 512) members. Members are kept sorted
 *   ascending in a dense array, like Redis's intset, so SMEMBERS & co. reply in Redis's order.
 *   Lookup is a binary search.
 * - "hashtable": a dense array of members plus a Map member → index. Removal swaps the last
 *   member into the hole, so random picks (SPOP/SRANDMEMBER) are O(1) each and SSCAN can walk the
 *   array from its end with Redis's guarantee (see scanFrom).
 * Once hashtable, a set never goes back to intset (as Redis).
 * Source: Redis 7.0 t_set.c, intset.c.
 */
import { parseInt64 } from './int64.js';

/** Conversion thresholds (Redis config set-max-intset-entries); the config module may change them. */
export const setLimits = { maxIntsetEntries: 512 };

/** True if `s` is a canonical int64 decimal (what Redis stores in an intset). */
export function isIntMember(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

/** Numeric comparison of two canonical integer strings (no parsing: sign, length, then bytes). */
export function cmpIntStr(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length < b.length ? -1 : 1;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return an ? -r : r;
}

/** A Redis set. Members are latin1 strings. */
export class RSet {
  /** Members: sorted ascending (intset) or in arbitrary order (hashtable). */
  members: string[] = [];
  /** member → index in `members`; null while intset-encoded. */
  pos: Map<string, number> | null = null;

  /** Redis 7.0 OBJECT ENCODING name: "intset" or "hashtable". */
  get encoding(): string {
    return this.pos === null ? 'intset' : 'hashtable';
  }

  get size(): number {
    return this.members.length;
  }

  private search(m: string): number {
    // Binary search in the sorted intset array; returns index or -(insertion point) - 1.
    let lo = 0;
    let hi = this.members.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = cmpIntStr(this.members[mid], m);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  has(m: string): boolean {
    if (this.pos !== null) return this.pos.has(m);
    return isIntMember(m) && this.search(m) >= 0;
  }

  /** Switches to the hashtable encoding (Redis setTypeConvert). */
  convert(): void {
    if (this.pos !== null) return;
    const pos = new Map<string, number>();
    const ms = this.members;
    for (let i = 0; i < ms.length; i++) pos.set(ms[i], i);
    this.pos = pos;
  }

  /** Adds a member. @returns true if it was not there. */
  add(m: string): boolean {
    if (this.pos === null) {
      if (isIntMember(m)) {
        const i = this.search(m);
        if (i >= 0) return false;
        this.members.splice(-i - 1, 0, m);
        if (this.members.length > setLimits.maxIntsetEntries) this.convert();
        return true;
      }
      this.convert();
    }
    const pos = this.pos as Map<string, number>;
    if (pos.has(m)) return false;
    pos.set(m, this.members.length);
    this.members.push(m);
    return true;
  }

  /** Removes a member. @returns true if it was there. */
  delete(m: string): boolean {
    if (this.pos === null) {
      if (!isIntMember(m)) return false;
      const i = this.search(m);
      if (i < 0) return false;
      this.members.splice(i, 1);
      return true;
    }
    const i = this.pos.get(m);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes the member at index i (hashtable: swap with last; intset: splice). @returns it. */
  removeAt(i: number): string {
    const ms = this.members;
    const m = ms[i];
    if (this.pos === null) {
      ms.splice(i, 1);
      return m;
    }
    const last = ms.pop() as string;
    this.pos.delete(m);
    if (i < ms.length) {
      ms[i] = last;
      this.pos.set(last, i);
    }
    return m;
  }

  /** A uniformly random member index (set must be non-empty). */
  randomIndex(): number {
    return Math.floor(Math.random() * this.members.length);
  }

  /** A deep copy (COPY, *STORE). */
  clone(): RSet {
    const s = new RSet();
    s.members = this.members.slice();
    s.pos = this.pos === null ? null : new Map(this.pos);
    return s;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.members[Symbol.iterator]();
  }
}
