/**
 * QuickList: the list value structure (RObject(ObjType.List)), a ring of packed nodes as Redis's
 * quicklist of listpacks.
 *
 * Each node keeps its elements' bytes back to back in one Buffer, so a list of N elements costs
 * about N/k objects (k elements per node of at most NODE_BYTES), not one V8 string per element:
 * a long list no longer gives the garbage collector millions of old-space strings to mark and
 * young strings to promote. Pushes copy the argument's bytes in; LRANGE, LINDEX and the pops write
 * element bytes straight into the reply (`writeRange`, `writeAt`, `popHeadTo`, `popTailTo`);
 * reads that need a string (`at`, iteration) decode a fresh one; RDB save and AOF rewrite walk the
 * element bytes in place (`elements()`, an ElementCursor).
 *
 * Entry layout inside a node (both ends readable, as a listpack's backlen allows walking back):
 *   len < 255:  [len u8] [bytes] [len u8]
 *   otherwise:  [255] [len u32 LE] [bytes] [len u32 LE] [255]
 * A node's entries sit in `buf[start, end)`; free room may remain on both sides, so a push at
 * either end of a node is a write and an offset move. A node holds at most NODE_BYTES of entries
 * unless it holds one single larger element (Redis's plain node). Nodes live in a power-of-two
 * ring: O(1) push/pop at both ends, O(nodes) to insert or drop a node in the middle.
 *
 * Index access walks nodes from the nearer end, then entries from the nearer end of the node
 * (O(nodes + k), as Redis's quicklistGetIteratorAtIdx); the last position found is remembered,
 * so reading i, i+1, i+2, ... (LRANGE, SORT's BY nosort, LINDEX loops) steps one entry each.
 * Source: Redis 7.0 quicklist.c (node fill by size, list-max-listpack-size -2 = 8 KB), listpack.c
 * (entry with its length at both ends), t_list.c semantics. OBJECT ENCODING reports "quicklist"
 * for every list, as Redis 7.0 does.
 */
import { latin1String } from '../protocol/parser.js';

/** Most entry bytes one node holds (Redis list-max-listpack-size -2: 8 KB listpacks). */
export const NODE_BYTES = 8192;
/** First buffer size of a node, bytes (doubles up to NODE_BYTES as entries arrive). */
const NODE_MIN_CAP = 32;
/** The length byte that announces a 4-byte length. */
const BIG = 255;
/** Smallest node ring. */
const MIN_RING = 4;
/** The buffer of a cursor that has not started. */
const EMPTY = Buffer.alloc(0);

/** Where bulk replies of element bytes go (ReplyWriter.bulkSlice). */
export interface BulkSink {
  /** Writes the bytes b[start, end) as one bulk string reply. */
  bulkSlice(b: Uint8Array, start: number, end: number): void;
}

function u32At(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
  b[o + 2] = (v >>> 16) & 255;
  b[o + 3] = (v >>> 24) & 255;
}

/** Bytes an element of `n` bytes takes in a node (its two length fields included). */
function entrySize(n: number): number {
  return n < BIG ? n + 2 : n + 10;
}

/** Byte length of the element whose entry starts at `off`. */
function lenAt(b: Uint8Array, off: number): number {
  const x = b[off];
  return x < BIG ? x : u32At(b, off + 1);
}

/** Byte length of the element whose entry ends at `end` (exclusive). */
function lenBefore(b: Uint8Array, end: number): number {
  const x = b[end - 1];
  return x < BIG ? x : u32At(b, end - 5);
}

/** Offset of an element's bytes from the start of its entry. */
function dataOff(n: number): number {
  return n < BIG ? 1 : 5;
}

/** Writes latin1 string `s` as an entry at `off`. @returns the offset after it. */
function writeEntry(b: Buffer, off: number, s: string): number {
  const n = s.length;
  let p = off;
  if (n < BIG) b[p++] = n;
  else {
    b[p] = BIG;
    putU32(b, p + 1, n);
    p += 5;
  }
  if (n <= 32) for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  else b.latin1Write(s, p);
  p += n;
  if (n < BIG) b[p++] = n;
  else {
    putU32(b, p, n);
    b[p + 4] = BIG;
    p += 5;
  }
  return p;
}

/** True when the `n` bytes at b[p] are the latin1 string `s`. */
function bytesEqual(b: Uint8Array, p: number, n: number, s: string): boolean {
  if (n !== s.length) return false;
  for (let i = 0; i < n; i++) if (b[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** One node: `count` entries in buf[start, end). */
class ListNode {
  constructor(
    public buf: Buffer,
    public start: number,
    public end: number,
    public count: number,
  ) {}
}

/** An empty node with room for `need` bytes, its free room at the head side (atHead) or the tail. */
function newNode(need: number, atHead: boolean): ListNode {
  let cap = NODE_MIN_CAP;
  while (cap < need && cap < NODE_BYTES) cap *= 2;
  if (cap < need) cap = need;
  const p = atHead ? cap : 0;
  return new ListNode(Buffer.allocUnsafeSlow(cap), p, p, 0);
}

/**
 * Makes `need` bytes of room before node.start (atHead) or after node.end: the buffer doubles
 * (up to NODE_BYTES, or exactly what a single large element needs) while it would be over half
 * full, and the entries move so that three quarters of the free room is on the growing side (a
 * node pushed at both ends does not move its bytes on every push).
 */
function makeRoom(node: ListNode, atHead: boolean, need: number): void {
  const used = node.end - node.start;
  const total = used + need;
  const cap = node.buf.length;
  let ncap = cap;
  if (total * 2 > cap && cap < NODE_BYTES) {
    ncap = cap * 2;
    while (ncap < total * 2 && ncap < NODE_BYTES) ncap *= 2;
  }
  if (ncap < total) ncap = total;
  const free = ncap - used;
  const head = atHead ? Math.max(need, free - (free >> 2)) : Math.min(free - need, free >> 2);
  const nb = ncap === cap ? node.buf : Buffer.allocUnsafeSlow(ncap);
  node.buf.copy(nb, head, node.start, node.end);
  node.buf = nb;
  node.start = head;
  node.end = head + used;
}

/**
 * A head-to-tail walk over a list's elements (QuickList.elements()): after each `next()` that
 * returns true, the element's bytes are `buf[start, end)` inside its node; `next()` returns false
 * past the last element. Nothing is allocated per element. Usage:
 * `for (const c = q.elements(); c.next(); ) out.write(c.buf, c.start, c.end)`.
 */
export class ElementCursor {
  /** The current element's node buffer (valid after next() returned true). */
  buf: Buffer;
  /** Offset of the current element's first byte in `buf`. */
  start = 0;
  /** Offset just past the current element's last byte in `buf`. */
  end = 0;
  /** Node number of `buf` (-1 before the first next()). */
  private k = -1;
  /** Offset of the next entry in `buf`, and where the node's entries end. */
  private off = 0;
  private nodeEnd = 0;

  constructor(private readonly nodes: ListNode[]) {
    this.buf = EMPTY;
  }

  /** Steps to the next element. @returns false when there is none. */
  next(): boolean {
    let off = this.off;
    if (off >= this.nodeEnd) {
      if (++this.k >= this.nodes.length) {
        this.k = this.nodes.length;
        return false;
      }
      const n = this.nodes[this.k];
      this.buf = n.buf;
      off = n.start;
      this.nodeEnd = n.end;
    }
    const b = this.buf;
    const x = b[off];
    if (x < BIG) {
      this.start = off + 1;
      this.end = off + 1 + x;
      this.off = this.end + 1;
    } else {
      this.start = off + 5;
      this.end = this.start + u32At(b, off + 1);
      this.off = this.end + 5;
    }
    return true;
  }
}

export class QuickList implements Iterable<string> {
  /** Ring of nodes; node k (0 = head) is nodes[(nh + k) & nmask]. */
  private nodes: (ListNode | undefined)[];
  private nh = 0;
  private nn = 0;
  private nmask: number;
  private len = 0;
  /** The last element located: its index (-1: none, reset by every change), node number and entry offset. */
  private cIdx = -1;
  private cNode = 0;
  private cOff = 0;
  /** Where seek() found the element's bytes: node(cNode).buf[eStart, eEnd). */
  private eStart = 0;
  private eEnd = 0;

  /** @param _capacity expected element count (a hint; nodes are sized by bytes). */
  constructor(_capacity = 0) {
    this.nodes = new Array<ListNode | undefined>(MIN_RING);
    this.nmask = MIN_RING - 1;
  }

  /** Builds a list from elements (latin1 strings) in head-to-tail order. */
  static from(items: Iterable<string>): QuickList {
    const q = new QuickList();
    for (const v of items) q.pushTail(v);
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

  /** Number of nodes (DEBUG OBJECT's ql_nodes). */
  get nodeCount(): number {
    return this.nn;
  }

  /**
   * Bytes the nodes' entries take, length fields included (summed over the nodes, O(nodes)):
   * DEBUG OBJECT's ql_uncompressed_size, as Redis sums its nodes' listpack sizes.
   */
  get nodeBytes(): number {
    let sum = 0;
    for (let k = 0; k < this.nn; k++) {
      const n = this.node(k);
      sum += n.end - n.start;
    }
    return sum;
  }

  /**
   * A walk over the elements head to tail that shows each element's bytes where they lie in
   * their node (no string, no copy): RDB save and AOF rewrite write them straight out. The list
   * must not change while the walk is in use (it holds the nodes of the moment it was made).
   */
  elements(): ElementCursor {
    const nodes = new Array<ListNode>(this.nn);
    for (let k = 0; k < this.nn; k++) nodes[k] = this.node(k);
    return new ElementCursor(nodes);
  }

  /** A copy sharing nothing with this list (COPY). */
  clone(): QuickList {
    const q = new QuickList();
    for (let k = 0; k < this.nn; k++) {
      const n = this.node(k);
      const used = n.end - n.start;
      const buf = Buffer.allocUnsafeSlow(Math.max(used, NODE_MIN_CAP));
      n.buf.copy(buf, 0, n.start, n.end);
      q.ringInsert(k, new ListNode(buf, 0, used, n.count));
    }
    q.len = this.len;
    return q;
  }

  /** Element at index `i` (negative counts from the tail, -1 is the last), or undefined when out of range. */
  at(i: number): string | undefined {
    if (!this.seek(i)) return undefined;
    return latin1String(this.node(this.cNode).buf, this.eStart, this.eEnd);
  }

  /**
   * Writes element `i` (negative from the tail) to `out` as a bulk reply (LINDEX).
   * @returns false (nothing written) when out of range.
   */
  writeAt(i: number, out: BulkSink): boolean {
    if (!this.seek(i)) return false;
    out.bulkSlice(this.node(this.cNode).buf, this.eStart, this.eEnd);
    return true;
  }

  /**
   * Writes elements start..end inclusive (0 <= start <= end < length, already clamped) to `out`
   * as bulk replies, straight from the node bytes (LRANGE).
   */
  writeRange(start: number, end: number, out: BulkSink): void {
    this.locate(start);
    let k = this.cNode;
    let off = this.cOff;
    let node = this.node(k);
    let b = node.buf;
    let nodeEnd = node.end;
    for (let i = start; ; i++) {
      const x = b[off];
      const n = x < BIG ? x : u32At(b, off + 1);
      const p = x < BIG ? off + 1 : off + 5;
      out.bulkSlice(b, p, p + n);
      if (i === end) {
        this.cIdx = i;
        this.cNode = k;
        this.cOff = off;
        return;
      }
      off = p + n + (x < BIG ? 1 : 5);
      if (off >= nodeEnd) {
        node = this.node(++k);
        b = node.buf;
        off = node.start;
        nodeEnd = node.end;
      }
    }
  }

  /** Replaces the element at index `i` (negative from the tail). @returns false when out of range. */
  set(i: number, v: string): boolean {
    if (i < 0) i += this.len;
    if (i < 0 || i >= this.len) return false;
    this.locate(i);
    const k = this.cNode;
    const off = this.cOff;
    const node = this.node(k);
    const old = entrySize(lenAt(node.buf, off));
    this.cIdx = -1;
    if (old === entrySize(v.length)) writeEntry(node.buf, off, v);
    else this.splice(k, off, old, v, 0);
    return true;
  }

  /** Pushes `v` (latin1) before the first element (LPUSH), copying its bytes into the head node. */
  pushHead(v: string): void {
    const es = entrySize(v.length);
    let node = this.nn === 0 ? undefined : this.node(0);
    if (node === undefined || node.end - node.start + es > NODE_BYTES) {
      node = newNode(es, true);
      this.ringInsert(0, node);
    } else if (node.start < es) makeRoom(node, true, es);
    node.start -= es;
    writeEntry(node.buf, node.start, v);
    node.count++;
    this.len++;
    this.cIdx = -1;
  }

  /** Pushes `v` (latin1) after the last element (RPUSH), copying its bytes into the tail node. */
  pushTail(v: string): void {
    const es = entrySize(v.length);
    let node = this.nn === 0 ? undefined : this.node(this.nn - 1);
    if (node === undefined || node.end - node.start + es > NODE_BYTES) {
      node = newNode(es, false);
      this.ringInsert(this.nn, node);
    } else if (node.buf.length - node.end < es) makeRoom(node, false, es);
    node.end = writeEntry(node.buf, node.end, v);
    node.count++;
    this.len++;
    this.cIdx = -1;
  }

  /** Removes and returns the first element, or undefined when empty. */
  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const node = this.node(0);
    const b = node.buf;
    const n = lenAt(b, node.start);
    const p = node.start + dataOff(n);
    const v = latin1String(b, p, p + n);
    this.dropHead(node, n);
    return v;
  }

  /** Removes and returns the last element, or undefined when empty. */
  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const node = this.node(this.nn - 1);
    const b = node.buf;
    const n = lenBefore(b, node.end);
    const p = node.end - entrySize(n) + dataOff(n);
    const v = latin1String(b, p, p + n);
    this.dropTail(node, n);
    return v;
  }

  /** Removes the first element, writing it to `out` as a bulk reply (LPOP). @returns false when empty. */
  popHeadTo(out: BulkSink): boolean {
    if (this.len === 0) return false;
    const node = this.node(0);
    const n = lenAt(node.buf, node.start);
    const p = node.start + dataOff(n);
    out.bulkSlice(node.buf, p, p + n);
    this.dropHead(node, n);
    return true;
  }

  /** Removes the last element, writing it to `out` as a bulk reply (RPOP). @returns false when empty. */
  popTailTo(out: BulkSink): boolean {
    if (this.len === 0) return false;
    const node = this.node(this.nn - 1);
    const n = lenBefore(node.buf, node.end);
    const p = node.end - entrySize(n) + dataOff(n);
    out.bulkSlice(node.buf, p, p + n);
    this.dropTail(node, n);
    return true;
  }

  /** Inserts `v` so that it becomes element `i` (0 ≤ i ≤ length). */
  insert(i: number, v: string): void {
    if (i <= 0) {
      this.pushHead(v);
      return;
    }
    if (i >= this.len) {
      this.pushTail(v);
      return;
    }
    this.locate(i);
    const k = this.cNode;
    const off = this.cOff;
    this.cIdx = -1;
    this.splice(k, off, 0, v, 1);
    this.len++;
  }

  /** Index of the first element equal to `v` from the head, or -1. */
  indexOf(v: string): number {
    const r = this.positions(v, 1, false, 1, 0);
    return r.length === 0 ? -1 : r[0];
  }

  /**
   * Indexes of elements equal to `v` (LPOS): skipping the first `rank - 1` matches (rank >= 1),
   * scanning from the tail when `fromTail`, at most `count` indexes (0: all), looking at no more
   * than `maxlen` elements (0: all). Indexes are always counted from the head.
   */
  positions(v: string, rank: number, fromTail: boolean, count: number, maxlen: number): number[] {
    const out: number[] = [];
    let left = maxlen === 0 ? this.len : Math.min(maxlen, this.len);
    let matches = 0;
    if (!fromTail) {
      let idx = 0;
      for (let k = 0; k < this.nn && left > 0; k++) {
        const node = this.node(k);
        const b = node.buf;
        for (let off = node.start; off < node.end && left > 0; left--, idx++) {
          const n = lenAt(b, off);
          const p = off + dataOff(n);
          if (bytesEqual(b, p, n, v) && ++matches >= rank) {
            out.push(idx);
            if (count !== 0 && out.length >= count) return out;
          }
          off = p + n + dataOff(n);
        }
      }
    } else {
      let idx = this.len - 1;
      for (let k = this.nn - 1; k >= 0 && left > 0; k--) {
        const node = this.node(k);
        const b = node.buf;
        for (let end = node.end; end > node.start && left > 0; left--, idx--) {
          const n = lenBefore(b, end);
          const off = end - entrySize(n);
          if (bytesEqual(b, off + dataOff(n), n, v) && ++matches >= rank) {
            out.push(idx);
            if (count !== 0 && out.length >= count) return out;
          }
          end = off;
        }
      }
    }
    return out;
  }

  /**
   * Removes up to `count` elements equal to `v` (count > 0: from the head; count < 0: from the tail;
   * 0: all) keeping the others in order (LREM). @returns how many were removed.
   */
  removeEqual(v: string, count: number): number {
    const limit = count === 0 ? this.len : Math.abs(count);
    let removed = 0;
    this.cIdx = -1;
    if (count >= 0) {
      for (let k = 0; k < this.nn && removed < limit; ) {
        const node = this.node(k);
        const b = node.buf;
        let w = node.start;
        let r = node.start;
        while (r < node.end) {
          const n = lenAt(b, r);
          const es = entrySize(n);
          if (removed < limit && bytesEqual(b, r + dataOff(n), n, v)) {
            removed++;
            node.count--;
          } else {
            if (w !== r) b.copyWithin(w, r, r + es);
            w += es;
          }
          r += es;
        }
        node.end = w;
        if (node.count === 0) this.ringRemove(k);
        else k++;
      }
    } else {
      for (let k = this.nn - 1; k >= 0 && removed < limit; k--) {
        const node = this.node(k);
        const b = node.buf;
        let w = node.end;
        let r = node.end;
        while (r > node.start) {
          const n = lenBefore(b, r);
          const es = entrySize(n);
          r -= es;
          if (removed < limit && bytesEqual(b, r + dataOff(n), n, v)) {
            removed++;
            node.count--;
          } else {
            w -= es;
            if (w !== r) b.copyWithin(w, r, r + es);
          }
        }
        node.start = w;
        if (node.count === 0) this.ringRemove(k);
      }
    }
    this.len -= removed;
    return removed;
  }

  /** Removes `left` elements from the head and `right` from the tail (LTRIM). */
  trim(left: number, right: number): void {
    if (left + right >= this.len) {
      this.clear();
      return;
    }
    this.cIdx = -1;
    this.len -= left + right;
    while (left > 0) {
      const node = this.node(0);
      if (node.count <= left) {
        left -= node.count;
        this.ringRemove(0);
        continue;
      }
      let off = node.start;
      for (let j = 0; j < left; j++) off += entrySize(lenAt(node.buf, off));
      node.start = off;
      node.count -= left;
      left = 0;
    }
    while (right > 0) {
      const node = this.node(this.nn - 1);
      if (node.count <= right) {
        right -= node.count;
        this.ringRemove(this.nn - 1);
        continue;
      }
      let end = node.end;
      for (let j = 0; j < right; j++) end -= entrySize(lenBefore(node.buf, end));
      node.end = end;
      node.count -= right;
      right = 0;
    }
  }

  /** Removes every element. */
  clear(): void {
    this.nodes = new Array<ListNode | undefined>(MIN_RING);
    this.nmask = MIN_RING - 1;
    this.nh = 0;
    this.nn = 0;
    this.len = 0;
    this.cIdx = -1;
  }

  /** Calls `fn` for elements start..end inclusive (already clamped to 0 ≤ start ≤ end < length). */
  forRange(start: number, end: number, fn: (v: string) => void): void {
    for (let i = start; i <= end; i++) fn(this.at(i) as string);
  }

  /** Elements head to tail (a string made for each). */
  *[Symbol.iterator](): Iterator<string> {
    for (let k = 0; k < this.nn; k++) {
      const node = this.node(k);
      const b = node.buf;
      for (let off = node.start; off < node.end; ) {
        const n = lenAt(b, off);
        const p = off + dataOff(n);
        yield latin1String(b, p, p + n);
        off = p + n + dataOff(n);
      }
    }
  }

  /** Elements tail to head. */
  *reversed(): IterableIterator<string> {
    for (let k = this.nn - 1; k >= 0; k--) {
      const node = this.node(k);
      const b = node.buf;
      for (let end = node.end; end > node.start; ) {
        const n = lenBefore(b, end);
        const off = end - entrySize(n);
        const p = off + dataOff(n);
        yield latin1String(b, p, p + n);
        end = off;
      }
    }
  }

  /** Elements as a plain array, head to tail. */
  toArray(): string[] {
    const out = new Array<string>(this.len);
    let i = 0;
    for (const v of this) out[i++] = v;
    return out;
  }

  // ---- internals --------------------------------------------------------------------------------

  private node(k: number): ListNode {
    return this.nodes[(this.nh + k) & this.nmask] as ListNode;
  }

  /** Removes the head entry (element of `n` bytes) of the head node `node`. */
  private dropHead(node: ListNode, n: number): void {
    node.start += entrySize(n);
    if (--node.count === 0) this.ringRemove(0);
    this.len--;
    this.cIdx = -1;
  }

  /** Removes the tail entry (element of `n` bytes) of the tail node `node`. */
  private dropTail(node: ListNode, n: number): void {
    node.end -= entrySize(n);
    if (--node.count === 0) this.ringRemove(this.nn - 1);
    this.len--;
    this.cIdx = -1;
  }

  /**
   * Locates element `i` (negative from the tail): its bytes are node(cNode).buf[eStart, eEnd).
   * @returns false when out of range (nothing located).
   */
  private seek(i: number): boolean {
    if (i < 0) i += this.len;
    if (i < 0 || i >= this.len) return false;
    this.locate(i);
    const b = this.node(this.cNode).buf;
    const n = lenAt(b, this.cOff);
    this.eStart = this.cOff + dataOff(n);
    this.eEnd = this.eStart + n;
    return true;
  }

  /**
   * Sets cIdx/cNode/cOff to element i (0 <= i < len): one step from the last element located
   * when i is next to it, else a walk from the nearer end of the list, then of the node.
   */
  private locate(i: number): void {
    const c = this.cIdx;
    if (c >= 0) {
      if (i === c) return;
      if (i === c + 1) {
        const node = this.node(this.cNode);
        let off = this.cOff + entrySize(lenAt(node.buf, this.cOff));
        if (off >= node.end) off = this.node(++this.cNode).start;
        this.cOff = off;
        this.cIdx = i;
        return;
      }
      if (i === c - 1) {
        let node = this.node(this.cNode);
        let off = this.cOff;
        if (off === node.start) {
          node = this.node(--this.cNode);
          off = node.end;
        }
        this.cOff = off - entrySize(lenBefore(node.buf, off));
        this.cIdx = i;
        return;
      }
    }
    let k: number;
    let base: number;
    if (i < this.len >>> 1) {
      k = 0;
      base = 0;
      for (;;) {
        const cnt = this.node(k).count;
        if (i < base + cnt) break;
        base += cnt;
        k++;
      }
    } else {
      k = this.nn - 1;
      base = this.len - this.node(k).count;
      while (i < base) base -= this.node(--k).count;
    }
    const node = this.node(k);
    const b = node.buf;
    const j = i - base;
    let off: number;
    if (j <= node.count >>> 1) {
      off = node.start;
      for (let s = 0; s < j; s++) off += entrySize(lenAt(b, off));
    } else {
      off = node.end;
      for (let s = node.count - j; s > 0; s--) off -= entrySize(lenBefore(b, off));
    }
    this.cIdx = i;
    this.cNode = k;
    this.cOff = off;
  }

  /**
   * Rewrites node k with `del` bytes at `off` replaced by the entry of `v`, its count changed by
   * `countDelta`; a node grown past NODE_BYTES is cut into nodes that fit (repack).
   */
  private splice(k: number, off: number, del: number, v: string, countDelta: number): void {
    const node = this.node(k);
    const used = node.end - node.start - del + entrySize(v.length);
    const nb = Buffer.allocUnsafeSlow(Math.max(used, NODE_MIN_CAP));
    node.buf.copy(nb, 0, node.start, off);
    const p = writeEntry(nb, off - node.start, v);
    node.buf.copy(nb, p, off + del, node.end);
    node.buf = nb;
    node.start = 0;
    node.end = used;
    node.count += countDelta;
    if (used > NODE_BYTES && node.count > 1) this.repack(k);
  }

  /** Cuts node k into nodes of at most NODE_BYTES each (a larger element alone in its node). */
  private repack(k: number): void {
    const node = this.node(k);
    const b = node.buf;
    const parts: ListNode[] = [];
    let s = node.start;
    let cnt = 0;
    for (let off = node.start; off < node.end; ) {
      const es = entrySize(lenAt(b, off));
      if (cnt > 0 && off + es - s > NODE_BYTES) {
        parts.push(nodeOf(b, s, off, cnt));
        s = off;
        cnt = 0;
      }
      off += es;
      cnt++;
    }
    parts.push(nodeOf(b, s, node.end, cnt));
    this.ringRemove(k);
    for (let j = 0; j < parts.length; j++) this.ringInsert(k + j, parts[j]);
  }

  /** Inserts `node` as node number k (0 <= k <= nn). */
  private ringInsert(k: number, node: ListNode): void {
    if (this.nn === this.nodes.length) this.ringResize(this.nodes.length * 2);
    const m = this.nmask;
    if (k === 0) {
      this.nh = (this.nh - 1) & m;
      this.nodes[this.nh] = node;
    } else {
      for (let j = this.nn; j > k; j--) this.nodes[(this.nh + j) & m] = this.nodes[(this.nh + j - 1) & m];
      this.nodes[(this.nh + k) & m] = node;
    }
    this.nn++;
  }

  /** Removes node number k. */
  private ringRemove(k: number): void {
    const m = this.nmask;
    if (k === 0) {
      this.nodes[this.nh] = undefined;
      this.nh = (this.nh + 1) & m;
    } else {
      for (let j = k; j < this.nn - 1; j++) this.nodes[(this.nh + j) & m] = this.nodes[(this.nh + j + 1) & m];
      this.nodes[(this.nh + this.nn - 1) & m] = undefined;
    }
    this.nn--;
    const cap = this.nodes.length;
    if (cap > MIN_RING && this.nn < cap >>> 2) this.ringResize(cap >>> 1);
  }

  private ringResize(cap: number): void {
    const nb = new Array<ListNode | undefined>(cap);
    for (let k = 0; k < this.nn; k++) nb[k] = this.nodes[(this.nh + k) & this.nmask];
    this.nodes = nb;
    this.nh = 0;
    this.nmask = cap - 1;
  }
}

/** A node holding a copy of the `count` entries in b[s, e). */
function nodeOf(b: Buffer, s: number, e: number, count: number): ListNode {
  const used = e - s;
  const buf = Buffer.allocUnsafeSlow(Math.max(used, NODE_MIN_CAP));
  b.copy(buf, 0, s, e);
  return new ListNode(buf, 0, used, count);
}
