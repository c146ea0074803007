/**
 * QuickList: the list value structure (RObject(ObjType.List)).
 *
 * A growable ring buffer of latin1 strings: O(1) amortised push and pop at both ends, O(1) index
 * access, O(n) insertion or removal in the middle (moving the shorter side). Elements live in one
 * power-of-two array, so a long list costs one slot per element and no per-element node objects
 * (the role Redis's quicklist of listpacks plays). The buffer doubles when full and halves when
 * less than a quarter is used (never below MIN_CAPACITY).
 * Source: Redis 7.0 quicklist.c / t_list.c semantics (OBJECT ENCODING reports "quicklist" for every
 * list in 7.0).
 */

const MIN_CAPACITY = 8;

export class QuickList implements Iterable<string> {
  private buf: (string | undefined)[];
  /** Physical index of element 0. */
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.buf = new Array<string | undefined>(cap);
    this.mask = cap - 1;
  }

  /** Builds a list from elements in head-to-tail order. */
  static from(items: Iterable<string>): QuickList {
    const arr = Array.isArray(items) ? (items as string[]) : [...items];
    const q = new QuickList(arr.length);
    for (let i = 0; i < arr.length; i++) q.buf[i] = arr[i];
    q.len = arr.length;
    return q;
  }

  /** OBJECT ENCODING: Redis 7.0 reports "quicklist" for all lists. */
  get encoding(): string {
    return 'quicklist';
  }

  /** Number of elements (LLEN). */
  get length(): number {
    return this.len;
  }

  /** A deep-enough copy for COPY (strings are immutable). */
  clone(): QuickList {
    const q = new QuickList(this.len);
    for (let i = 0; i < this.len; i++) q.buf[i] = this.buf[(this.head + i) & this.mask];
    q.len = this.len;
    return q;
  }

  /** Element at index `i` (negative counts from the tail, -1 is the last), or undefined when out of range. */
  at(i: number): string | undefined {
    if (i < 0) i += this.len;
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) & this.mask];
  }

  /** Replaces the element at index `i` (negative from the tail). @returns false when out of range. */
  set(i: number, v: string): boolean {
    if (i < 0) i += this.len;
    if (i < 0 || i >= this.len) return false;
    this.buf[(this.head + i) & this.mask] = v;
    return true;
  }

  pushHead(v: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
  }

  pushTail(v: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
  }

  /** Removes and returns the first element, or undefined when empty. */
  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.maybeShrink();
    return v;
  }

  /** Removes and returns the last element, or undefined when empty. */
  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const p = (this.head + this.len - 1) & this.mask;
    const v = this.buf[p];
    this.buf[p] = undefined;
    this.len--;
    this.maybeShrink();
    return v;
  }

  /** Inserts `v` so that it becomes element `i` (0 ≤ i ≤ length), shifting the shorter side. */
  insert(i: number, v: string): void {
    if (i <= 0) {
      this.pushHead(v);
      return;
    }
    if (i >= this.len) {
      this.pushTail(v);
      return;
    }
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    const m = this.mask;
    if (i < this.len - i) {
      // Move elements [0, i) one slot towards the head.
      this.head = (this.head - 1) & m;
      for (let j = 0; j < i; j++) this.buf[(this.head + j) & m] = this.buf[(this.head + j + 1) & m];
    } else {
      for (let j = this.len; j > i; j--) this.buf[(this.head + j) & m] = this.buf[(this.head + j - 1) & m];
    }
    this.buf[(this.head + i) & m] = v;
    this.len++;
  }

  /** Index of the first element equal to `v` from the head, or -1. */
  indexOf(v: string): number {
    for (let i = 0; i < this.len; i++) if (this.buf[(this.head + i) & this.mask] === v) return i;
    return -1;
  }

  /**
   * Removes up to `count` elements equal to `v` (count > 0: from the head; count < 0: from the tail;
   * 0: all) keeping the others in order (LREM). @returns how many were removed.
   */
  removeEqual(v: string, count: number): number {
    const n = this.len;
    const m = this.mask;
    const limit = count === 0 ? n : Math.abs(count);
    let removed = 0;
    if (count >= 0) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const e = this.buf[(this.head + r) & m] as string;
        if (removed < limit && e === v) {
          removed++;
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & m] = e;
        w++;
      }
      for (let j = w; j < n; j++) this.buf[(this.head + j) & m] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const e = this.buf[(this.head + r) & m] as string;
        if (removed < limit && e === v) {
          removed++;
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & m] = e;
        w--;
      }
      for (let j = 0; j <= w; j++) this.buf[(this.head + j) & m] = undefined;
      this.head = (this.head + removed) & m;
    }
    this.len = n - removed;
    this.maybeShrink();
    return removed;
  }

  /** Removes `left` elements from the head and `right` from the tail (LTRIM). */
  trim(left: number, right: number): void {
    if (left + right >= this.len) {
      this.clear();
      return;
    }
    const m = this.mask;
    for (let j = 0; j < left; j++) this.buf[(this.head + j) & m] = undefined;
    for (let j = this.len - right; j < this.len; j++) this.buf[(this.head + j) & m] = undefined;
    this.head = (this.head + left) & m;
    this.len -= left + right;
    this.maybeShrink();
  }

  /** Removes every element. */
  clear(): void {
    this.buf = new Array<string | undefined>(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.len = 0;
  }

  /** Calls `fn` for elements start..end inclusive (already clamped to 0 ≤ start ≤ end < length). */
  forRange(start: number, end: number, fn: (v: string) => void): void {
    for (let i = start; i <= end; i++) fn(this.buf[(this.head + i) & this.mask] as string);
  }

  /** Elements head to tail. */
  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask] as string;
  }

  /** Elements tail to head. */
  *reversed(): IterableIterator<string> {
    for (let i = this.len - 1; i >= 0; i--) yield this.buf[(this.head + i) & this.mask] as string;
  }

  /** Elements as a plain array, head to tail. */
  toArray(): string[] {
    const out = new Array<string>(this.len);
    for (let i = 0; i < this.len; i++) out[i] = this.buf[(this.head + i) & this.mask] as string;
    return out;
  }

  private maybeShrink(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY && this.len < cap >>> 2) this.resize(cap >>> 1);
  }

  private resize(cap: number): void {
    const nb = new Array<string | undefined>(cap);
    for (let i = 0; i < this.len; i++) nb[i] = this.buf[(this.head + i) & this.mask];
    this.buf = nb;
    this.head = 0;
    this.mask = cap - 1;
  }
}
