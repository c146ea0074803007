/**
 * RSet: the set value type (ObjType.Set), with Redis 7.0's two encodings.
 *
 * - "intset": every member is a canonical int64 decimal string and there are at most
 *   `setLimits.maxIntsetEntries` (set-max-intset-entries, 512) members. Members are kept sorted
 *   ascending in a dense array, like Redis's intset, so SMEMBERS & co. reply in Redis's order.
 *   Lookup is a binary search.
 * - "hashtable": a dense array of members plus a MemberIndex member → position (an open-addressing
 *   index over the array, src/store/probeIndex.ts: no V8 Map, so no 2^24-entry limit). Removal swaps the last
 *   member into the hole, so random picks (SPOP/SRANDMEMBER) are O(1) each and SSCAN can walk the
 *   array from its end with Redis's guarantee (see scanFrom).
 * Once hashtable, a set never goes back to intset (as Redis).
 * Source: Redis 7.0 t_set.c, intset.c.
 */
import { parseInt64 } from './int64.js';
import { buildIndex, slotOfRef, unlinkSlot } from './probeIndex.js';
import { strHash } from './strTable.js';

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

const MIN_BITS = 3;

/**
 * member → position in a set's members array (the hashtable encoding): 2^bits int32 slots of
 * tag | position + 1, linear probing, at most 3/4 full, plus each position's 30-bit strHash (for
 * resizes and backward-shift deletes, nothing hashed twice). The array itself is the RSet's.
 */
class MemberIndex {
  private idx = new Int32Array(1 << MIN_BITS);
  private bits = MIN_BITS;
  private mask = (1 << MIN_BITS) - 1;
  private hashes = new Int32Array(1 << MIN_BITS);

  /** Indexes all of `ms` (distinct members). */
  constructor(ms: readonly string[]) {
    let bits = MIN_BITS;
    while (ms.length * 4 > ((1 << bits) - 1) * 3) bits++;
    this.hashes = new Int32Array(Math.max(8, ms.length));
    for (let i = 0; i < ms.length; i++) this.hashes[i] = strHash(ms[i]);
    this.setIndex(bits, ms.length);
  }

  private setIndex(bits: number, size: number): void {
    this.idx = buildIndex(bits, 1, size, this.hashes);
    this.bits = bits;
    this.mask = (1 << bits) - 1;
  }

  /** Position of `m` in `ms`, or -1. */
  find(ms: readonly string[], m: string): number {
    const h = strHash(m);
    const idx = this.idx;
    const mask = this.mask;
    const want = h & ~mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = idx[s];
      if (e === 0) return -1;
      if ((e & ~mask) === want && ms[(e & mask) - 1] === m) return (e & mask) - 1;
    }
  }

  /** Appends `m` to `ms` and indexes it unless present. @returns true if added. */
  add(ms: string[], m: string): boolean {
    const h = strHash(m);
    const idx = this.idx;
    const mask = this.mask;
    const want = h & ~mask;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const e = idx[s];
      if (e === 0) break;
      if ((e & ~mask) === want && ms[(e & mask) - 1] === m) return false;
    }
    const id = ms.length;
    ms.push(m);
    if (id === this.hashes.length) {
      const hs = new Int32Array(id * 2);
      hs.set(this.hashes);
      this.hashes = hs;
    }
    this.hashes[id] = h;
    idx[s] = want | (id + 1);
    if ((id + 1) * 4 > mask * 3) this.setIndex(this.bits + 1, id + 1);
    return true;
  }

  /** Unindexes position `i` of `ms` before the RSet moves its last member (position `last`) there. */
  remove(i: number, last: number): void {
    const mask = this.mask;
    const hs = this.hashes;
    unlinkSlot(this.idx, 1, mask, hs, slotOfRef(this.idx, 1, mask, hs[i], i + 1));
    if (i < last) {
      this.idx[slotOfRef(this.idx, 1, mask, hs[last], last + 1)] = (hs[last] & ~mask) | (i + 1);
      hs[i] = hs[last];
    }
    if (this.bits > MIN_BITS && last * 8 < mask) this.setIndex(this.bits - 1, last);
  }

  /** A copy for a copied members array (same positions). */
  clone(): MemberIndex {
    const c = Object.create(MemberIndex.prototype) as MemberIndex;
    c.idx = this.idx.slice();
    c.bits = this.bits;
    c.mask = this.mask;
    c.hashes = this.hashes.slice();
    return c;
  }
}

/** A Redis set. Members are latin1 strings. */
export class RSet {
  /** Members: sorted ascending (intset) or in arbitrary order (hashtable). */
  members: string[] = [];
  /** member → index in `members`; null while intset-encoded. */
  private pos: MemberIndex | null = null;

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
    if (this.pos !== null) return this.pos.find(this.members, m) >= 0;
    return isIntMember(m) && this.search(m) >= 0;
  }

  /** Switches to the hashtable encoding (Redis setTypeConvert). */
  convert(): void {
    if (this.pos !== null) return;
    this.pos = new MemberIndex(this.members);
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
    return (this.pos as MemberIndex).add(this.members, m);
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
    const i = this.pos.find(this.members, m);
    if (i < 0) return false;
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
    const last = ms.length - 1;
    this.pos.remove(i, last);
    ms[i] = ms[last];
    ms.pop();
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
    s.pos = this.pos === null ? null : this.pos.clone();
    return s;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.members[Symbol.iterator]();
  }
}
