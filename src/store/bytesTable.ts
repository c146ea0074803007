/**
 * BytesTable: a latin1-string → latin1-string table whose keys and values live as bytes in one
 * slab (a Buffer), not as V8 strings. The storage of a hash in the "hashtable" encoding
 * (src/store/hash.ts): an HSET that overwrites a field writes the new value's bytes over the old
 * ones (same length) or appends one record, so nothing it stores is a heap object the garbage
 * collector has to copy, promote and later mark (a StrTable<string> kept every written value as a
 * new string: 14% of HSET -P 16's server CPU went to GC).
 *
 * ```
 *  index (Int32Array, 2^bits slots of two int32s:     entries, id = position
 *  tag | id + 1, then the record's slab offset)        offs:   │ o0 │ o1 │ o2 │ ...
 *  ┌────────┬────────┬────────┬────────┐               hashes: │ h0 │ h1 │ h2 │ ...
 *  │ 0 ·    │ t|2 o1 │ 0 ·    │ t|1 o0 │ ...
 *  └────────┴───┬────┴────────┴───┬────┘     slab (Buffer)
 *               │                 └────────► │ klen vlen key value │ (dead record) │
 *               └──────────────────────────► │ klen vlen key value │ ...           │
 * ```
 *
 * - A record is `klen` (u32 LE), `vlen` (u32 LE), the key's bytes, the value's bytes. A lookup
 *   reads the index slot (tag, id and the record's offset in one cache line) and the record: two
 *   cache misses, where StrTable's slot, entry and key string are three. `offs[id]` (positional
 *   access: HRANDFIELD, HSCAN, HGETALL) repeats the offset.
 * - Overwriting a value of the same length writes in place; any other length appends a new record
 *   and counts the old one as dead. Past half the slab dead (and at least 4 KB), the records are
 *   copied to a new slab in id order (O(live bytes), amortised over the writes that made the dead).
 * - Ids and the index (src/store/probeIndex.ts) are StrTable's; removal moves the last id into
 *   the hole (the hashtable encoding's only mode), so HSCAN's cursor over the dense ids works
 *   unchanged.
 * - Keys and values are latin1 strings (one char per byte, as the RESP parser makes them); a
 *   string with a char above 0xff is stored as its low byte (callers never pass one).
 * Sources: Redis 7.0 dict.c (roles: add, find, delete, resize); Knuth TAOCP vol. 3, 6.4, Algorithm R.
 */
import { buildIndex, slotOfRef, unlinkSlot } from './probeIndex.js';
import { strHash } from './strTable.js';

const MIN_BITS = 3;
const HEADER = 8;
/** Largest slab: offsets are int32. A write past it throws (the dispatcher replies an error, nothing changed). */
const MAX_SLAB = 0x7fffffff;
/** Slab bytes below which compaction is not worth a copy. */
const MIN_COMPACT = 4096;
/** Strings up to this length are read and written with a JS loop (no native call). */
const SHORT = 24;

/** Copies latin1 `s` into `buf` at `off` (bytes = chars). */
function writeLatin1(buf: Buffer, off: number, s: string): void {
  const n = s.length;
  if (n <= SHORT) for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
  else buf.latin1Write(s, off, n);
}

/** A latin1 string → latin1 string table, keys and values stored as bytes (see the file comment). */
export class BytesTable {
  private slab: Buffer = Buffer.allocUnsafe(256);
  /** Slab bytes in use (live and dead records). */
  private used = 0;
  /** Bytes of dead records in [0, used). */
  private dead = 0;
  private offs = new Int32Array(8);
  private hashes = new Int32Array(8);
  /** 2^bits slots of two int32s: tag | id + 1 (0 = empty), then the entry's slab offset. */
  private index = new Int32Array(2 << MIN_BITS);
  private bits = MIN_BITS;
  private mask = (1 << MIN_BITS) - 1;
  /** Number of entries. */
  size = 0;

  /** Slab bytes held (in use or spare), for MEMORY USAGE estimates. */
  get slabBytes(): number {
    return this.slab.length + this.offs.byteLength + this.hashes.byteLength + this.index.byteLength;
  }

  /** Id (position) of `key`, or -1. */
  indexOf(key: string): number {
    const h = strHash(key);
    const idx = this.index;
    const m = this.mask;
    const want = h & ~m;
    for (let s = h & m; ; s = (s + 1) & m) {
      const e = idx[s << 1];
      if (e === 0) return -1;
      if ((e & ~m) === want && this.keyIs(idx[(s << 1) + 1], key)) return (e & m) - 1;
    }
  }

  /** True if the record at `off` has key `key`. */
  private keyIs(off: number, key: string): boolean {
    const slab = this.slab;
    const n = key.length;
    if (slab.readUInt32LE(off) !== n) return false;
    const p = off + HEADER;
    for (let i = 0; i < n; i++) if (slab[p + i] !== (key.charCodeAt(i) & 0xff)) return false;
    return true;
  }

  /** The value of `key`, or undefined. */
  get(key: string): string | undefined {
    const id = this.indexOf(key);
    return id < 0 ? undefined : this.valueAt(id);
  }

  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  /** Key of entry `i` (0 ≤ i < size). */
  keyAt(i: number): string {
    const off = this.offs[i];
    const p = off + HEADER;
    return this.slab.latin1Slice(p, p + this.slab.readUInt32LE(off));
  }

  /** Value of entry `i` (0 ≤ i < size). */
  valueAt(i: number): string {
    const off = this.offs[i];
    const slab = this.slab;
    const p = off + HEADER + slab.readUInt32LE(off);
    return slab.latin1Slice(p, p + slab.readUInt32LE(off + 4));
  }

  /** Byte length of entry `i`'s value (HSTRLEN without a copy). */
  valueLengthAt(i: number): number {
    return this.slab.readUInt32LE(this.offs[i] + 4);
  }

  /** Sets `key` to `value` (a new key goes last). @returns true if the key is new. */
  set(key: string, value: string): boolean {
    const h = strHash(key);
    const idx = this.index;
    const m = this.mask;
    const want = h & ~m;
    let s = h & m;
    for (; ; s = (s + 1) & m) {
      const e = idx[s << 1];
      if (e === 0) break;
      if ((e & ~m) === want && this.keyIs(idx[(s << 1) + 1], key)) {
        this.setValueInSlot((e & m) - 1, s, value);
        return false;
      }
    }
    const id = this.size;
    if (id === this.offs.length) this.growEntries();
    // append() may compact the slab (offsets move, ids and the index slots stay).
    const off = this.append(key, value);
    this.offs[id] = off;
    this.hashes[id] = h;
    this.size = id + 1;
    idx[s << 1] = want | (id + 1);
    idx[(s << 1) + 1] = off;
    if (this.size * 4 > m * 3) this.resize(this.bits + 1);
    return true;
  }

  /** Replaces the value of entry `i` (0 ≤ i < size). */
  setValueAt(i: number, value: string): void {
    this.setValueInSlot(i, this.slotOf(i), value);
  }

  /** setValueAt for entry `i` whose index slot is `slot`. */
  private setValueInSlot(i: number, slot: number, value: string): void {
    let off = this.offs[i];
    const klen = this.slab.readUInt32LE(off);
    const vlen = this.slab.readUInt32LE(off + 4);
    if (vlen === value.length) {
      writeLatin1(this.slab, off + HEADER + klen, value);
      return;
    }
    const need = HEADER + klen + value.length;
    if (this.used + need > this.slab.length) {
      this.makeRoom(need);
      off = this.offs[i];
    }
    const slab = this.slab;
    const to = this.used;
    slab.copy(slab, to, off, off + HEADER + klen);
    slab.writeUInt32LE(value.length, to + 4);
    writeLatin1(slab, to + HEADER + klen, value);
    this.used = to + need;
    this.dead += HEADER + klen + vlen;
    this.offs[i] = to;
    this.index[(slot << 1) + 1] = to;
  }

  /** Appends a record; @returns its offset (after a compaction or growth of the slab if needed). */
  private append(key: string, value: string): number {
    const need = HEADER + key.length + value.length;
    if (this.used + need > this.slab.length) this.makeRoom(need);
    const off = this.used;
    const slab = this.slab;
    slab.writeUInt32LE(key.length, off);
    slab.writeUInt32LE(value.length, off + 4);
    writeLatin1(slab, off + HEADER, key);
    writeLatin1(slab, off + HEADER + key.length, value);
    this.used = off + need;
    return off;
  }

  /** Compacts (if half the slab is dead) or grows the slab so that `need` more bytes fit. */
  private makeRoom(need: number): void {
    const live = this.used - this.dead;
    if (this.dead >= MIN_COMPACT && this.dead * 2 >= this.used && live + need <= this.slab.length) {
      this.rewrite(this.slab.length);
      return;
    }
    if (live + need > MAX_SLAB) throw new Error('hash too large (2 GB of fields and values)');
    let cap = this.slab.length * 2;
    while (cap < live + need) cap *= 2;
    this.rewrite(Math.min(cap, MAX_SLAB));
  }

  /** Copies the live records in id order into a new slab of `cap` bytes. */
  private rewrite(cap: number): void {
    const from = this.slab;
    const to = Buffer.allocUnsafe(cap);
    let p = 0;
    for (let id = 0; id < this.size; id++) {
      const off = this.offs[id];
      const len = HEADER + from.readUInt32LE(off) + from.readUInt32LE(off + 4);
      from.copy(to, p, off, off + len);
      this.offs[id] = p;
      p += len;
    }
    const idx = this.index;
    for (let s = 0; s < idx.length; s += 2) if (idx[s] !== 0) idx[s + 1] = this.offs[(idx[s] & this.mask) - 1];
    this.slab = to;
    this.used = p;
    this.dead = 0;
  }

  private growEntries(): void {
    const n = this.offs.length * 2;
    const offs = new Int32Array(n);
    offs.set(this.offs);
    this.offs = offs;
    const hashes = new Int32Array(n);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  /** Removes `key`; the last entry moves into its place (O(1), order arbitrary). @returns true if it was there. */
  delete(key: string): boolean {
    const id = this.indexOf(key);
    if (id >= 0) this.removeAt(id);
    return id >= 0;
  }

  /** Removes entry `id` (0 ≤ id < size): the last entry takes its id (HSCAN relies on that). */
  removeAt(id: number): void {
    this.unlinkSlot(this.slotOf(id));
    const off = this.offs[id];
    this.dead += HEADER + this.slab.readUInt32LE(off) + this.slab.readUInt32LE(off + 4);
    const last = this.size - 1;
    if (id < last) {
      const s = this.slotOf(last);
      this.offs[id] = this.offs[last];
      this.hashes[id] = this.hashes[last];
      this.index[s << 1] = (this.hashes[id] & ~this.mask) | (id + 1);
    }
    this.size = last;
    if (this.size === 0) {
      this.used = 0;
      this.dead = 0;
    }
    if (this.bits > MIN_BITS && this.size * 8 < this.mask) this.resize(this.bits - 1);
  }

  /** A compacted copy (same order). */
  clone(): BytesTable {
    const t = new BytesTable();
    t.offs = this.offs.slice();
    t.hashes = this.hashes.slice();
    t.index = this.index.slice();
    t.bits = this.bits;
    t.mask = this.mask;
    t.size = this.size;
    t.slab = this.slab;
    t.used = this.used;
    t.dead = this.dead;
    t.rewrite(Math.max(256, this.used - this.dead));
    return t;
  }

  /** Iterates [key, value] in position order. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.size; i++) yield [this.keyAt(i), this.valueAt(i)];
  }

  /** Index slot holding entry `id`. */
  private slotOf(id: number): number {
    return slotOfRef(this.index, 2, this.mask, this.hashes[id], id + 1);
  }

  /** Empties index slot `s` (backward shift). */
  private unlinkSlot(s: number): void {
    unlinkSlot(this.index, 2, this.mask, this.hashes, s);
  }

  /** Rebuilds the index with 2^bits slots from the stored hashes and offsets. */
  private resize(bits: number): void {
    this.index = buildIndex(bits, 2, this.size, this.hashes, this.offs);
    this.bits = bits;
    this.mask = (1 << bits) - 1;
  }
}
