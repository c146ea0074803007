/**
 * Stream: the stream value type (ObjType.Stream), with consumer groups and pending entries lists.
 *
 * Entries are kept in ID order in nodes of up to `streamLimits.nodeMaxEntries` entries (and about
 * `streamLimits.nodeMaxBytes` bytes of Redis listpack encoding), like Redis's listpacks under a
 * radix tree: the node array is sorted by each node's master ID (the first ID ever stored in it),
 * so a range start is found by binary search over nodes, then within the node. Each entry is one
 * packed latin1 string (varint length + bytes per element); when its field names equal the node's
 * master fields only the values are stored (Redis STREAM_ITEM_FLAG_SAMEFIELDS). XDEL only sets a
 * deleted flag; a node is dropped when its last live entry goes. Trimming with `~` drops whole nodes
 * only, exactly as Redis's streamTrim, so replies match redis-server node for node: the node
 * split rule estimates the listpack byte size with Redis's encoding sizes.
 *
 * IDs are two unsigned 64-bit parts, exposed as `{ ms: bigint, seq: bigint }`; inside a node they
 * sit relative to the master ID in a Uint32Array (8 bytes per entry) while they fit, else in a
 * BigUint64Array (16 bytes). A node that takes no more appends is sealed: its packed entries
 * become one string plus offsets. About 29 bytes per `field value` entry in total (1M entries,
 * heap + array buffers; redis-server 7.0: about 16).
 * Pending entries lists (group and consumer) are `PelIndex`: a Map by ID plus an array sorted by
 * ID (append of increasing IDs is O(1), lookup O(1), ordered seek O(log n)).
 * Source: Redis 7.0 t_stream.c (streamAppendItem, streamTrim, streamIterator*), stream.h.
 */

/** A stream entry ID: two unsigned 64-bit parts (ms, seq). */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

/** 2^64 - 1, the largest ID part. */
export const U64_MAX = 0xffffffffffffffffn;
/** The ID 0-0. */
export const ID_ZERO: StreamId = Object.freeze({ ms: 0n, seq: 0n }) as StreamId;
/** The ID 18446744073709551615-18446744073709551615. */
export const ID_MAX: StreamId = Object.freeze({ ms: U64_MAX, seq: U64_MAX }) as StreamId;

/** Parts at or above 2^53 - 1 take nextAutoId's BigInt path (an increment must stay exact). */
const SAFE_LIMIT = 9007199254740991n;
/** nextAutoId's "no memo" marker: an ID object never stored as lastId. */
const NO_MEMO: StreamId = Object.freeze({ ms: 0n, seq: 0n }) as StreamId;

/** Node split thresholds (stream-node-max-bytes / stream-node-max-entries, Redis defaults). */
export const streamLimits = { nodeMaxBytes: 4096, nodeMaxEntries: 100 };

/** Redis STREAM_LISTPACK_MAX_SIZE: a node never grows beyond 1GB. */
const LISTPACK_MAX_SIZE = 1 << 30;

/** Compares two IDs: negative, 0 or positive (streamCompareID). */
export function cmpId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** The ID as Redis prints it: `<ms>-<seq>`. */
export function idToString(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The next ID (streamIncrID). @returns null when the ID is already the maximum. */
export function incrId(id: StreamId): StreamId | null {
  if (id.seq === U64_MAX) {
    if (id.ms === U64_MAX) return null;
    return { ms: id.ms + 1n, seq: 0n };
  }
  return { ms: id.ms, seq: id.seq + 1n };
}

/** The previous ID (streamDecrID). @returns null when the ID is 0-0. */
export function decrId(id: StreamId): StreamId | null {
  if (id.seq === 0n) {
    if (id.ms === 0n) return null;
    return { ms: id.ms - 1n, seq: U64_MAX };
  }
  return { ms: id.ms, seq: id.seq - 1n };
}

// ---- listpack size estimate (Redis listpack.c encodings) ------------------------------------

/** Bytes of an integer element of a listpack, backlen included (lpEncodeIntegerGetType). */
function lpIntSize(v: number): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/** Bytes of the backlen for an element of `l` bytes (lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes of a string element as a listpack stores it: as an integer when it parses as one (lpStringToInt64). */
function lpStrSize(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    const c0 = s.charCodeAt(0);
    if ((c0 >= 48 && c0 <= 57) || c0 === 45) {
      const v = asInt64(s);
      if (v !== null) return v === 'big' ? 10 : lpIntSize(v);
    }
  }
  const enc = n <= 63 ? 1 + n : n <= 4095 ? 2 + n : 5 + n;
  return enc + backlenSize(enc);
}

/** Parses a canonical int64 decimal (no leading zeros or '+'); 'big' for values beyond ±2^53. */
function asInt64(s: string): number | 'big' | null {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return null;
  if (s.charCodeAt(i) === 48) return n === 1 ? 0 : null;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  if (n - i > 15) {
    const b = BigInt(s);
    if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
    return 'big';
  }
  i = Number(s);
  return i;
}

/** Listpack bytes of the integer delta `a - b` (int64 wrap-around, as Redis stores ID deltas). */
function deltaSize(a: bigint, b: bigint): number {
  const d = a - b;
  if (d >= -2147483648n && d <= 2147483647n) return lpIntSize(Number(d));
  return 10;
}

/** deltaSize of a difference already computed exactly as a number. */
function numDeltaSize(d: number): number {
  return d >= -2147483648 && d <= 2147483647 ? lpIntSize(d) : 10;
}

// ---- packed entries -------------------------------------------------------------------------

/** Appends `s` to a packed entry: its length as a little-endian base-128 varint, then the bytes. */
function packOne(out: string, s: string): string {
  let n = s.length;
  while (n >= 128) {
    out += String.fromCharCode((n & 127) | 128);
    n >>>= 7;
  }
  return out + String.fromCharCode(n) + s;
}

/** Unpacks the packed entry at [start, end) of `p` into its elements. */
function unpack(p: string, start: number, end: number): string[] {
  const out: string[] = [];
  let i = start;
  while (i < end) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = p.charCodeAt(i++);
      len += (b & 127) * 2 ** shift;
      if (b < 128) break;
      shift += 7;
    }
    out.push(p.slice(i, i + len));
    i += len;
  }
  return out;
}

/** Slot flag: the entry is a tombstone (Redis STREAM_ITEM_FLAG_DELETED). */
export const FLAG_DELETED = 1;
/** Slot flag: only values are packed, field names are the master's (STREAM_ITEM_FLAG_SAMEFIELDS). */
export const FLAG_SAMEFIELDS = 2;

/** The parts of a sealed node built outside the stream (RDB loader), see `StreamNode.fromPacked`. */
export interface PackedNodeInit {
  masterId: StreamId;
  /** Master field names, flattened as [f1, '', f2, '', ...]. */
  master: string[];
  /** Slots (live + deleted). */
  n: number;
  live: number;
  /** [ms - masterMs, seq] per slot when every part fits 32 bits, else null and `wide` is set. */
  rel: Uint32Array | null;
  /** Absolute [ms, seq] per slot (when `rel` is null). */
  wide: BigUint64Array | null;
  /** FLAG_DELETED / FLAG_SAMEFIELDS per slot. */
  flags: Uint8Array;
  /** Packed entries concatenated (varint length + bytes per element), slot i at [offs[i], offs[i+1]). */
  packed: string;
  offs: Uint32Array;
  /** The node's listpack size in bytes, master counters included (lpBytes). */
  lpBytes: number;
}

/**
 * One node: entries with IDs ≥ its master ID, in ID order, deleted ones included (flagged).
 * `bytes` is the estimated Redis listpack size minus the master count/deleted integers.
 * Exported read-only for the RDB codec (src/persistence/rdb/stream.ts); only Stream mutates it.
 */
export class StreamNode {
  /**
   * IDs relative to the master while they fit 32 bits: [ms - masterMs, seq] per entry (8 bytes);
   * null once an entry needed more, then `wide` holds absolute [ms, seq] (16 bytes per entry).
   */
  rel: Uint32Array | null;
  wide: BigUint64Array | null = null;
  /** Packed entries while the node is open (appends go here); null once sealed. */
  data: string[] | null = [];
  /** A sealed node's entries concatenated, entry i at [offs[i], offs[i+1]). */
  packed = '';
  offs: Uint32Array | null = null;
  flags: Uint8Array;
  /** Slots used: live + deleted entries. */
  n = 0;
  live = 0;
  bytes: number;
  readonly masterMs: bigint;
  readonly masterSeq: bigint;
  /** masterSeq as a number (exact while a relative node holds it: < 2^32). */
  private readonly masterSeqNum: number;

  constructor(
    masterId: StreamId,
    public readonly master: string[],
    cap: number,
  ) {
    this.masterMs = masterId.ms;
    this.masterSeq = masterId.seq;
    this.masterSeqNum = Number(masterId.seq);
    this.rel = new Uint32Array(cap * 2);
    this.flags = new Uint8Array(cap);
    // Header (6) + end byte (1) + num-fields + master fields + master terminator "0".
    let b = 7 + lpIntSize(master.length / 2) + 2;
    for (let i = 0; i < master.length; i += 2) b += lpStrSize(master[i]);
    this.bytes = b;
  }

  /**
   * A sealed node from its parts (RDB load: decoded once from the file's listpack, no per-entry
   * appends). The caller validated them (IDs increasing and ≥ the master ID, offsets in order).
   */
  static fromPacked(p: PackedNodeInit): StreamNode {
    const nd = new StreamNode(p.masterId, p.master, 0);
    nd.rel = p.rel;
    nd.wide = p.wide;
    nd.flags = p.flags;
    nd.data = null;
    nd.packed = p.packed;
    nd.offs = p.offs;
    nd.n = p.n;
    nd.live = p.live;
    nd.bytes = p.lpBytes - lpIntSize(p.live) - lpIntSize(p.n - p.live);
    return nd;
  }

  /** Estimated listpack bytes (lpBytes), master counters included. */
  get lpBytes(): number {
    return this.bytes + lpIntSize(this.live) + lpIntSize(this.n - this.live);
  }

  /** Bytes of the ID arrays. */
  get idBytes(): number {
    return this.rel !== null ? this.rel.byteLength : (this.wide as BigUint64Array).byteLength;
  }

  idAt(i: number): StreamId {
    const rel = this.rel;
    if (rel !== null) {
      const d = rel[2 * i];
      return { ms: d === 0 ? this.masterMs : this.masterMs + BigInt(d), seq: BigInt(rel[2 * i + 1]) };
    }
    const w = this.wide as BigUint64Array;
    return { ms: w[2 * i], seq: w[2 * i + 1] };
  }

  /**
   * Slot i's ID as `<ms>-<seq>` (idToString(idAt(i))), from plain numbers when the ID is
   * relative and the master's ms is below 2^53 - 2^32 (no BigInt to string conversion).
   */
  idStringAt(i: number): string {
    const rel = this.rel;
    if (rel !== null && this.masterMs < 9007194959773696n) return `${Number(this.masterMs) + rel[2 * i]}-${rel[2 * i + 1]}`;
    return idToString(this.idAt(i));
  }

  /** Compares slot i's ID with `id`. */
  cmpAt(i: number, id: StreamId): number {
    const rel = this.rel;
    if (rel !== null) {
      const d = id.ms === this.masterMs ? 0n : id.ms - this.masterMs;
      // Every slot is ≥ the master ID; relative parts are < 2^32.
      if (d < 0n) return 1;
      if (d > 0xffffffffn) return -1;
      const dn = Number(d);
      const dms = rel[2 * i];
      if (dms !== dn) return dms < dn ? -1 : 1;
      if (id.seq > 0xffffffffn) return -1;
      const sq = Number(id.seq);
      const seq = rel[2 * i + 1];
      if (seq !== sq) return seq < sq ? -1 : 1;
      return 0;
    }
    const w = this.wide as BigUint64Array;
    const ms = w[2 * i];
    if (ms !== id.ms) return ms < id.ms ? -1 : 1;
    const seq = w[2 * i + 1];
    if (seq !== id.seq) return seq < id.seq ? -1 : 1;
    return 0;
  }

  /** Switches to absolute 64-bit IDs (an entry's relative ms or seq needs more than 32 bits). */
  private widen(): void {
    const rel = this.rel as Uint32Array;
    const w = new BigUint64Array(rel.length);
    for (let i = 0; i < this.n; i++) {
      w[2 * i] = this.masterMs + BigInt(rel[2 * i]);
      w[2 * i + 1] = BigInt(rel[2 * i + 1]);
    }
    this.wide = w;
    this.rel = null;
  }

  /** First slot whose ID is ≥ id (n if none). */
  lowerBound(id: StreamId): number {
    let lo = 0;
    let hi = this.n;
    const rel = this.rel;
    if (rel !== null) {
      // Relative target computed once: the search compares plain numbers.
      const d = id.ms === this.masterMs ? 0n : id.ms - this.masterMs;
      if (d < 0n) return 0;
      if (d > 0xffffffffn) return hi;
      const dn = Number(d);
      const sq = id.seq > 0xffffffffn ? 2 ** 32 : Number(id.seq);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const m = rel[2 * mid];
        if (m < dn || (m === dn && rel[2 * mid + 1] < sq)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpAt(mid, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Fields of slot i, flattened [f1, v1, ...]. */
  fieldsAt(i: number): string[] {
    let p: string;
    let start: number;
    let end: number;
    if (this.data !== null) {
      p = this.data[i];
      start = 0;
      end = p.length;
    } else {
      const offs = this.offs as Uint32Array;
      p = this.packed;
      start = offs[i];
      end = offs[i + 1];
    }
    if ((this.flags[i] & FLAG_SAMEFIELDS) === 0) return unpack(p, start, end);
    // Values only: interleave them with the master's field names in one pass.
    const m = this.master;
    const out = new Array<string>(m.length);
    let pos = start;
    for (let j = 0; j < m.length; j += 2) {
      out[j] = m[j];
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = p.charCodeAt(pos++);
        len += (b & 127) * 2 ** shift;
        if (b < 128) break;
        shift += 7;
      }
      out[j + 1] = p.slice(pos, pos + len);
      pos += len;
    }
    return out;
  }

  /** True if every slot of this node is ≤ id (then a scan need not compare each entry with it). */
  allAtMost(id: StreamId): boolean {
    return this.n === 0 || this.cmpAt(this.n - 1, id) <= 0;
  }

  /** True if every slot of this node is ≥ id. */
  allAtLeast(id: StreamId): boolean {
    return this.n === 0 || this.cmpAt(0, id) >= 0;
  }

  /**
   * Appends an entry (its ID ≥ every ID in the node) whose fields are `fields[start..]`
   * (XADD passes its argv and the first field's index: no copy).
   */
  push(id: StreamId, fields: string[], start = 0): void {
    if (this.data === null) this.unseal();
    const i = this.n;
    if (i >= this.flags.length) {
      const cap = Math.max(8, i * 2);
      if (this.rel !== null) {
        const rel = new Uint32Array(cap * 2);
        rel.set(this.rel);
        this.rel = rel;
      } else {
        const w = new BigUint64Array(cap * 2);
        w.set(this.wide as BigUint64Array);
        this.wide = w;
      }
      const flags = new Uint8Array(cap);
      flags.set(this.flags);
      this.flags = flags;
    }
    // flags + ms-diff + seq-diff + [num-fields] + elements + lp-count.
    let b = 2;
    let relative = false;
    if (this.rel !== null) {
      const d = id.ms === this.masterMs ? 0n : id.ms - this.masterMs;
      if (d <= 0xffffffffn && id.seq <= 0xffffffffn) {
        const dms = Number(d);
        const sq = Number(id.seq);
        this.rel[2 * i] = dms;
        this.rel[2 * i + 1] = sq;
        // deltaSize from plain numbers: the ms delta is in [0, 2^32], the master's seq < 2^32 too.
        b += (dms <= 2147483647 ? lpIntSize(dms) : 10) + numDeltaSize(sq - this.masterSeqNum);
        relative = true;
      } else this.widen();
    }
    if (this.wide !== null) {
      this.wide[2 * i] = id.ms;
      this.wide[2 * i + 1] = id.seq;
    }
    if (!relative) b += deltaSize(id.ms, this.masterMs) + deltaSize(id.seq, this.masterSeq);
    const m = this.master;
    const nf = fields.length - start;
    let same = m.length === nf;
    if (same) {
      for (let j = 0; j < m.length; j += 2) {
        if (m[j] !== fields[start + j]) {
          same = false;
          break;
        }
      }
    }
    let p = '';
    if (same) {
      for (let j = start + 1; j < fields.length; j += 2) {
        p = packOne(p, fields[j]);
        b += lpStrSize(fields[j]);
      }
      b += lpIntSize(nf / 2 + 3);
    } else {
      for (let j = start; j < fields.length; j++) {
        p = packOne(p, fields[j]);
        b += lpStrSize(fields[j]);
      }
      b += lpIntSize(nf / 2) + lpIntSize(nf + 4);
    }
    (this.data as string[])[i] = p;
    this.flags[i] = same ? FLAG_SAMEFIELDS : 0;
    this.bytes += b;
    this.n = i + 1;
    this.live++;
  }

  /** Marks slot i deleted. */
  markDeleted(i: number): void {
    this.flags[i] |= FLAG_DELETED;
    this.live--;
  }

  /** Reopens a sealed node for appends (rare: only if a sealed node becomes the last one). */
  private unseal(): void {
    const offs = this.offs as Uint32Array;
    const data: string[] = [];
    for (let i = 0; i < this.n; i++) data.push(this.packed.slice(offs[i], offs[i + 1]));
    this.data = data;
    this.packed = '';
    this.offs = null;
  }

  /**
   * Seals a node that takes no more appends: its entries become one string plus offsets, and the
   * ID array shrinks to its size (about 4 bytes of overhead per entry instead of a string header).
   */
  seal(): void {
    const data = this.data;
    if (data === null) return;
    const offs = new Uint32Array(this.n + 1);
    let o = 0;
    for (let i = 0; i < this.n; i++) {
      offs[i] = o;
      o += data[i].length;
    }
    offs[this.n] = o;
    this.packed = data.join('');
    this.offs = offs;
    this.data = null;
    if (this.flags.length > this.n) {
      if (this.rel !== null) this.rel = this.rel.slice(0, this.n * 2);
      else this.wide = (this.wide as BigUint64Array).slice(0, this.n * 2);
      this.flags = this.flags.slice(0, this.n);
    }
  }

  isDeleted(i: number): boolean {
    return (this.flags[i] & FLAG_DELETED) !== 0;
  }

  /** Deep copy. */
  clone(): StreamNode {
    const c = new StreamNode({ ms: this.masterMs, seq: this.masterSeq }, this.master, 0);
    c.rel = this.rel === null ? null : this.rel.slice();
    c.wide = this.wide === null ? null : this.wide.slice();
    c.flags = this.flags.slice();
    c.data = this.data === null ? null : this.data.slice();
    c.packed = this.packed;
    c.offs = this.offs;
    c.n = this.n;
    c.live = this.live;
    c.bytes = this.bytes;
    return c;
  }
}

/** Callback of Stream.scan: an entry's ID and fields; return false to stop. */
export type StreamScanFn = (id: StreamId, fields: string[]) => boolean | undefined;

/** Options of Stream.trim (Redis streamAddTrimArgs). */
export interface TrimArgs {
  /** 'maxlen' keeps at most `maxlen` entries; 'minid' removes entries with ID < `minid`. */
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  /** `~`: only whole nodes are removed. */
  approx: boolean;
  /** Max entries removed (0: no limit); only meaningful with approx. */
  limit: number;
}

/** A Redis stream. */
export class Stream {
  /** Number of live entries (XLEN). */
  length = 0;
  /** Last ID generated or set (0-0 when never written). */
  lastId: StreamId = ID_ZERO;
  /** Greatest ID deleted by XDEL (XINFO max-deleted-entry-id). */
  maxDeletedId: StreamId = ID_ZERO;
  /** Total entries ever added (XINFO entries-added). */
  entriesAdded = 0;
  /** Consumer groups by name. */
  groups = new Map<string, StreamGroup>();
  /** Nodes in master-ID order. */
  private nodes: StreamNode[] = [];
  /** The string of the ID nextAutoId returned last (`<ms>-<seq>`). */
  autoIdString = '';
  /**
   * nextAutoId's memo: memoId's parts as numbers and the ms as a string (valid while memoId is
   * lastId; NO_MEMO never is).
   */
  private memoId: StreamId = NO_MEMO;
  private memoMs = 0;
  private memoMsString = '0';
  private memoSeq = 0;
  /** Node and slot of the entry a scan callback is visiting (scanIdString). */
  private scanNode: StreamNode | null = null;
  private scanSlot = 0;

  /** Inside a `scan` callback: the visited entry's ID as `<ms>-<seq>` (cheaper than idToString). */
  scanIdString(): string {
    return (this.scanNode as StreamNode).idStringAt(this.scanSlot);
  }

  /** First live entry ID; 0-0 when empty (Redis s->first_id). */
  firstId(): StreamId {
    for (const nd of this.nodes) {
      for (let i = 0; i < nd.n; i++) if (!nd.isDeleted(i)) return nd.idAt(i);
    }
    return ID_ZERO;
  }

  /** Last live entry ID; 0-0 when empty. */
  lastEntryId(): StreamId {
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const nd = this.nodes[k];
      for (let i = nd.n - 1; i >= 0; i--) if (!nd.isDeleted(i)) return nd.idAt(i);
    }
    return ID_ZERO;
  }

  /** OBJECT ENCODING. */
  get encoding(): string {
    return 'stream';
  }

  /** Number of nodes (Redis radix-tree-keys / listpacks in XINFO STREAM FULL). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * Node count of Redis's radix tree over the node master IDs (XINFO radix-tree-nodes): keys are
   * 16-byte big-endian IDs; a chain of single-child bytes is one node, a branching point one node,
   * each key ends in an empty leaf, as raxInsert builds it.
   */
  raxNodes(): number {
    const n = this.nodes.length;
    if (n === 0) return 1;
    const keys: Uint8Array[] = this.nodes.map((nd) => {
      const k = new Uint8Array(16);
      const dv = new DataView(k.buffer);
      dv.setBigUint64(0, nd.masterMs);
      dv.setBigUint64(8, nd.masterSeq);
      return k;
    });
    const count = (lo: number, hi: number, d: number): number => {
      if (d === 16) return 1;
      let p = d;
      while (p < 16 && keys[lo][p] === keys[hi - 1][p]) p++;
      if (p === 16) return 2;
      return (p > d ? 1 : 0) + branch(lo, hi, p);
    };
    const branch = (lo: number, hi: number, d: number): number => {
      let total = 1;
      for (let a = lo; a < hi; ) {
        let b = a + 1;
        while (b < hi && keys[b][d] === keys[a][d]) b++;
        total += count(a, b, d + 1);
        a = b;
      }
      return total;
    };
    return count(0, n, 0);
  }

  /** Every live entry in ID order; fields flattened [f1, v1, f2, v2, ...]. */
  *entries(): Iterable<[StreamId, string[]]> {
    for (const nd of this.nodes) {
      for (let i = 0; i < nd.n; i++) if (!nd.isDeleted(i)) yield [nd.idAt(i), nd.fieldsAt(i)];
    }
  }

  /**
   * Appends an entry whose ID is greater than every stored ID (loader, XADD). Updates length and
   * lastId (if `id` is greater), not entriesAdded. Starts a new node by Redis's rule: when the
   * last node's listpack would reach nodeMaxBytes or holds nodeMaxEntries (live + deleted).
   * The entry's fields are `fields[start..]` ([f1, v1, f2, v2, ...]).
   */
  appendEntry(id: StreamId, fields: string[], start = 0): void {
    let nd = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1] : undefined;
    if (nd !== undefined) {
      let maxBytes = streamLimits.nodeMaxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
      let total = 0;
      for (let i = start; i < fields.length; i++) total += fields[i].length;
      if (nd.lpBytes + total >= maxBytes) nd = undefined;
      else if (streamLimits.nodeMaxEntries > 0 && nd.n >= streamLimits.nodeMaxEntries) nd = undefined;
    }
    if (nd === undefined) {
      if (this.nodes.length > 0) this.nodes[this.nodes.length - 1].seal();
      const master: string[] = [];
      for (let i = start; i < fields.length; i += 2) master.push(fields[i], '');
      const cap = streamLimits.nodeMaxEntries > 0 ? Math.min(streamLimits.nodeMaxEntries, 128) : 8;
      nd = new StreamNode(id, master, cap);
      this.nodes.push(nd);
    }
    nd.push(id, fields, start);
    this.length++;
    if (cmpId(id, this.lastId) > 0) this.lastId = id;
  }

  /**
   * Appends a whole node built by `StreamNode.fromPacked` (RDB load): its master ID must be
   * greater than every stored ID. Updates length and lastId like appendEntry; a node without
   * live entries is dropped, as XDEL drops one. The previous last node is sealed.
   */
  appendNode(nd: StreamNode): void {
    if (nd.n === 0 || nd.live === 0) return;
    if (this.nodes.length > 0) this.nodes[this.nodes.length - 1].seal();
    this.nodes.push(nd);
    this.length += nd.live;
    const last = nd.idAt(nd.n - 1);
    if (cmpId(last, this.lastId) > 0) this.lastId = last;
  }

  /** The nodes in ID order, for the RDB codec (read only: do not modify them). */
  nodeList(): readonly StreamNode[] {
    return this.nodes;
  }

  /** XADD's append of `fields[start..]`: appendEntry plus entriesAdded; the caller checked id > lastId. */
  add(id: StreamId, fields: string[], start = 0): void {
    this.appendEntry(id, fields, start);
    this.lastId = id;
    this.entriesAdded++;
  }

  /**
   * XADD `*`'s ID for the wall clock `now` (integer ms), as streamAppendItem: `now-0` when now is
   * past lastId's ms, else lastId + 1 (streamIncrID). The caller checked lastId is not the
   * maximum. Sets `autoIdString` to the ID as `<ms>-<seq>`. Does not change the stream (`add` does).
   * While lastId's parts are below 2^53 and lastId is the ID this returned last time (a run of
   * XADDs), the parts are kept as numbers and the ms as its decimal string: no BigInt compare or
   * BigInt to string conversion, one BigInt made for a seq (none reused for the ms).
   */
  nextAutoId(now: number): StreamId {
    const last = this.lastId;
    if (last !== this.memoId) {
      if (last.ms >= SAFE_LIMIT || last.seq >= SAFE_LIMIT) return this.nextAutoIdBig(now);
      this.memoMs = Number(last.ms);
      this.memoMsString = String(this.memoMs);
      this.memoSeq = Number(last.seq);
    }
    let id: StreamId;
    if (now > this.memoMs) {
      this.memoMs = now;
      this.memoMsString = String(now);
      this.memoSeq = 0;
      id = { ms: BigInt(now), seq: 0n };
    } else {
      // The increment must stay exact: below 2^53 - 1 only.
      if (this.memoSeq >= Number.MAX_SAFE_INTEGER) return this.nextAutoIdBig(now);
      const seq = ++this.memoSeq;
      id = { ms: last.ms, seq: BigInt(seq) };
    }
    this.memoId = id;
    this.autoIdString = `${this.memoMsString}-${this.memoSeq}`;
    return id;
  }

  /** nextAutoId in BigInt arithmetic (parts at or above 2^53 - 1: the seq may carry into the ms). */
  private nextAutoIdBig(now: number): StreamId {
    const last = this.lastId;
    const id = BigInt(now) > last.ms ? { ms: BigInt(now), seq: 0n } : (incrId(last) as StreamId);
    this.memoId = NO_MEMO;
    this.autoIdString = idToString(id);
    return id;
  }

  /** Index of the last node whose master ID is ≤ id (0 when none: the range starts in the first). */
  private nodeFor(id: StreamId): number {
    let lo = 0;
    let hi = this.nodes.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const nd = this.nodes[mid];
      const c = nd.masterMs !== id.ms ? (nd.masterMs < id.ms ? -1 : 1) : nd.masterSeq !== id.seq ? (nd.masterSeq < id.seq ? -1 : 1) : 0;
      if (c <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /**
   * Visits live entries with start ≤ ID ≤ end in ascending order (or descending when `rev`,
   * from end down to start) until `fn` returns false.
   */
  scan(start: StreamId, end: StreamId, rev: boolean, fn: StreamScanFn): void {
    if (this.nodes.length === 0 || cmpId(start, end) > 0) return;
    if (!rev) {
      let k = this.nodeFor(start);
      let i = this.nodes[k].lowerBound(start);
      for (; k < this.nodes.length; k++, i = 0) {
        const nd = this.nodes[k];
        const check = !nd.allAtMost(end);
        for (; i < nd.n; i++) {
          if (nd.isDeleted(i)) continue;
          if (check && nd.cmpAt(i, end) > 0) return;
          this.scanNode = nd;
          this.scanSlot = i;
          if (fn(nd.idAt(i), nd.fieldsAt(i)) === false) return;
        }
      }
    } else {
      let k = this.nodeFor(end);
      let nd = this.nodes[k];
      let i = nd.lowerBound(end);
      if (i === nd.n || nd.cmpAt(i, end) > 0) i--;
      for (; k >= 0; k--) {
        nd = this.nodes[k];
        if (i === -2) i = nd.n - 1;
        const check = !nd.allAtLeast(start);
        for (; i >= 0; i--) {
          if (nd.isDeleted(i)) continue;
          if (check && nd.cmpAt(i, start) < 0) return;
          this.scanNode = nd;
          this.scanSlot = i;
          if (fn(nd.idAt(i), nd.fieldsAt(i)) === false) return;
        }
        i = -2;
      }
    }
  }

  /** Locates a stored slot (live or deleted) by ID. */
  private locate(id: StreamId): [StreamNode, number] | null {
    if (this.nodes.length === 0) return null;
    const nd = this.nodes[this.nodeFor(id)];
    const i = nd.lowerBound(id);
    if (i < nd.n && nd.cmpAt(i, id) === 0) return [nd, i];
    return null;
  }

  /** The fields of a live entry, or null when there is none with that ID. */
  get(id: StreamId): string[] | null {
    const loc = this.locate(id);
    if (loc === null || loc[0].isDeleted(loc[1])) return null;
    return loc[0].fieldsAt(loc[1]);
  }

  /** True if a live entry has this ID. */
  has(id: StreamId): boolean {
    const loc = this.locate(id);
    return loc !== null && !loc[0].isDeleted(loc[1]);
  }

  /**
   * Deletes a live entry (XDEL: flag only; the node goes when its last live entry does).
   * Does not touch maxDeletedId. @returns true if it existed.
   */
  delete(id: StreamId): boolean {
    const loc = this.locate(id);
    if (loc === null) return false;
    const [nd, i] = loc;
    if (nd.isDeleted(i)) return false;
    nd.markDeleted(i);
    this.length--;
    if (nd.live === 0) this.nodes.splice(this.nodes.indexOf(nd), 1);
    return true;
  }

  /**
   * Trims by MAXLEN or MINID (Redis 7.0 streamTrim): whole nodes first; with `approx` stops at
   * the first node that cannot go whole; otherwise flags entries inside that node.
   * @returns the number of entries removed.
   */
  trim(a: TrimArgs): number {
    if (a.strategy === 'maxlen' && this.length <= a.maxlen) return 0;
    let deleted = 0;
    // Whole nodes dropped from the front, removed with one splice at the end.
    let dropped = 0;
    while (dropped < this.nodes.length) {
      const nd = this.nodes[dropped];
      const entries = nd.live;
      if (a.limit > 0 && deleted + entries > a.limit) break;
      let remove: boolean;
      if (a.strategy === 'maxlen') remove = this.length - entries >= a.maxlen;
      else remove = nd.cmpAt(nd.n - 1, a.minid) < 0;
      if (remove) {
        dropped++;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (a.approx) break;
      for (let i = 0; i < nd.n; i++) {
        if (nd.isDeleted(i)) continue;
        if (a.strategy === 'maxlen') {
          if (this.length <= a.maxlen) break;
        } else if (nd.cmpAt(i, a.minid) >= 0) break;
        nd.markDeleted(i);
        this.length--;
        deleted++;
      }
      break;
    }
    if (dropped > 0) this.nodes.splice(0, dropped);
    return deleted;
  }

  /**
   * Adds a consumer group (the caller checked the name is new). `entriesRead` -1 means unknown
   * (Redis SCG_INVALID_ENTRIES_READ).
   */
  addGroup(name: string, lastId: StreamId, entriesRead: number): StreamGroup {
    const g = new StreamGroup(name, lastId, entriesRead);
    this.groups.set(name, g);
    return g;
  }

  /** Rough memory footprint in bytes (MEMORY USAGE). */
  memoryUsage(): number {
    let b = 64;
    for (const nd of this.nodes) b += 64 + nd.idBytes + nd.flags.byteLength + nd.lpBytes;
    for (const g of this.groups.values()) {
      b += 64 + g.name.length + g.pelSize * 48;
      for (const cn of g.consumers.values()) b += 48 + cn.name.length + cn.pelSize * 16;
    }
    return b;
  }

  /** Deep copy, groups, consumers and PELs included (COPY). */
  clone(): Stream {
    const s = new Stream();
    s.length = this.length;
    s.lastId = this.lastId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.nodes = this.nodes.map((n) => n.clone());
    for (const g of this.groups.values()) {
      const ng = s.addGroup(g.name, g.lastId, g.entriesRead);
      const nacks = new Map<StreamNack, StreamNack>();
      for (const nk of g.pelEntries()) nacks.set(nk, ng.pelAdd(nk.id, nk.deliveryTime, nk.deliveryCount));
      for (const cn of g.consumers.values()) {
        const ncn = ng.addConsumer(cn.name, cn.seenTime);
        for (const nk of cn.pelEntries()) ncn.pelAttach(nacks.get(nk) as StreamNack);
      }
    }
    return s;
  }
}

/** A pending entry (Redis streamNACK): delivery time (Unix ms), count and owning consumer. */
export class StreamNack {
  constructor(
    public id: StreamId,
    public deliveryTime: number,
    public deliveryCount: number,
    public consumer: StreamConsumer | null = null,
  ) {}
}

/**
 * A set of nacks ordered by ID: a Map by `ms-seq` plus an array sorted by ID. Appending a
 * greater ID is O(1); other inserts and removals move array elements (memmove).
 */
export class PelIndex {
  private readonly byKey = new Map<string, StreamNack>();
  private arr: StreamNack[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(id: StreamId): StreamNack | undefined {
    return this.byKey.get(idToString(id));
  }

  /** First array index whose ID is ≥ id. */
  lowerBound(id: StreamId): number {
    let lo = 0;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpId(this.arr[mid].id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds a nack (its ID must not be present). */
  add(nk: StreamNack): void {
    this.byKey.set(idToString(nk.id), nk);
    const a = this.arr;
    if (a.length === 0 || cmpId(a[a.length - 1].id, nk.id) < 0) a.push(nk);
    else a.splice(this.lowerBound(nk.id), 0, nk);
  }

  /** Removes the nack with this ID. @returns it, or undefined. */
  remove(id: StreamId): StreamNack | undefined {
    const key = idToString(id);
    const nk = this.byKey.get(key);
    if (nk === undefined) return undefined;
    this.byKey.delete(key);
    const a = this.arr;
    if (a[0] === nk) a.shift();
    else a.splice(this.lowerBound(id), 1);
    return nk;
  }

  /** The nack at array position i (ID order). */
  at(i: number): StreamNack | undefined {
    return this.arr[i];
  }

  /** Nacks in ID order (a snapshot is not taken: do not modify while iterating). */
  values(): Iterable<StreamNack> {
    return this.arr;
  }

  first(): StreamNack | undefined {
    return this.arr[0];
  }

  last(): StreamNack | undefined {
    return this.arr[this.arr.length - 1];
  }
}

/** A consumer group (Redis streamCG). */
export class StreamGroup {
  consumers = new Map<string, StreamConsumer>();
  /** Group PEL: every delivered, unacknowledged entry. */
  readonly pel = new PelIndex();

  constructor(
    public name: string,
    public lastId: StreamId,
    /** Entries read (XINFO entries-read); -1 unknown. */
    public entriesRead: number,
  ) {}

  get pelSize(): number {
    return this.pel.size;
  }

  /** Group PEL in ID order. */
  pelEntries(): Iterable<StreamNack> {
    return this.pel.values();
  }

  /** Adds a nack with no consumer yet (loader). @returns it. */
  pelAdd(id: StreamId, deliveryTime: number, deliveryCount: number): StreamNack {
    const nk = new StreamNack(id, deliveryTime, deliveryCount, null);
    this.pel.add(nk);
    return nk;
  }

  /** Adds a consumer (the caller checked the name is new). @param seenTime Unix ms. */
  addConsumer(name: string, seenTime: number): StreamConsumer {
    const cn = new StreamConsumer(name, seenTime);
    this.consumers.set(name, cn);
    return cn;
  }
}

/** A consumer of a group (Redis streamConsumer; 7.0 has seen-time only). */
export class StreamConsumer {
  /** This consumer's PEL (the same nack objects as the group PEL). */
  readonly pel = new PelIndex();

  constructor(
    public name: string,
    /** Unix ms of the last interaction. */
    public seenTime: number,
  ) {}

  get pelSize(): number {
    return this.pel.size;
  }

  /** This consumer's PEL in ID order. */
  pelEntries(): Iterable<StreamNack> {
    return this.pel.values();
  }

  /** Sets nack.consumer = this and adds it to this consumer's PEL (loader). */
  pelAttach(nack: StreamNack): void {
    nack.consumer = this;
    this.pel.add(nack);
  }
}
