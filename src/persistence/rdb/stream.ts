/**
 * RDB codec for streams, registered with rdb.ts on import: saves RDB_TYPE_STREAM_LISTPACKS_2 (19)
 * exactly as redis-server 7.0 writes it, loads types 19 and 15 (Redis 5/6 files).
 *
 * Payload (all lengths are rdbSaveLen lengths, IDs are two lengths `ms seq` unless raw):
 *
 *   nodes  { master-ID (RDB string of 16 bytes: ms and seq big-endian)  listpack (RDB string) }*
 *   length  last-id  [first-id  max-deleted-entry-id  entries-added]            (type 19 only)
 *   groups { name  last-id  [entries-read]  (type 19 only; -1 is saved as 2^64-1)
 *            PEL-count { raw 16-byte ID  delivery-time (8 bytes LE ms)  delivery-count }*
 *            consumers { name  seen-time (8 bytes LE ms)  PEL-count { raw 16-byte ID }* }* }*
 *
 * Node listpack (t_stream.c streamAppendItem): the master entry `count deleted n-fields field..
 * 0`, then per entry `flags ms-diff seq-diff [n-fields field value ..| value ..] lp-count`, where
 * flags is 0, SAMEFIELDS (2, the entry has the master's fields, only values are stored) or
 * DELETED (1, a tombstone: skipped on load); ms-diff and seq-diff are the entry ID minus the
 * master ID as wrapping 64-bit integers; lp-count is the number of listpack items of the entry
 * minus one. Integers use listpack integer encodings (lpAppendInteger).
 * Keydra's stream keeps Redis's node layout (master ID and fields, deleted entries flagged in
 * place), and the codec saves those nodes as they are and rebuilds them as they were, so a file
 * loaded and saved again is byte-identical and later XTRIM ~ / XINFO see the same nodes as
 * redis-server. Listpacks are written and read in place (no per-item allocations): about
 * 1 s per million entries each way.
 *
 * Loading validates everything it reads (listpack structure, lp-counts, entry IDs strictly
 * increasing and not above last-id, length, PEL references) and throws RdbError before any
 * stream object escapes, so a corrupt payload never yields a partial stream.
 * Source: Redis 7.0 rdb.c (rdbSaveObject, rdbLoadObject, rdbSaveStreamPEL,
 * rdbSaveStreamConsumers), t_stream.c (streamAppendItem, streamGetEdgeID,
 * streamEstimateDistanceFromFirstEverEntry, streamValidateListpackIntegrity).
 */
import { ObjType, RObject } from '../../store/db.js';
import { Stream, type StreamGroup, type StreamId, type StreamNack, StreamNode } from '../../store/stream.js';
import { type RdbReader, RdbType, type RdbWriter, registerTypeCodec } from './rdb.js';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** SCG_INVALID_ENTRIES_READ: a group's entries-read counter that is unknown. */
const INVALID_ENTRIES_READ = -1;

// ---- IDs ---------------------------------------------------------------------------------

/** The 16-byte big-endian form of an ID (streamEncodeID), as a latin1 string. */
export function encodeRawId(id: StreamId): string {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(id.ms, 0);
  b.writeBigUInt64BE(id.seq, 8);
  return b.toString('latin1');
}

function decodeRawId(b: Buffer, at: number): StreamId {
  return { ms: b.readBigUInt64BE(at), seq: b.readBigUInt64BE(at + 8) };
}

function cmpId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

function idString(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** rdbSaveLen for a full 64-bit unsigned value. */
function writeLen64(w: RdbWriter, v: bigint): void {
  if (v <= 0xffffffffn) w.len(Number(v));
  else {
    w.byte(0x81);
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(v, 0);
    w.bytes(b);
  }
}

/** rdbLoadLen for a full 64-bit unsigned value. */
function readLen64(r: RdbReader): bigint {
  r.need(1);
  if (r.buf[r.pos] === 0x81) {
    r.pos++;
    r.need(8);
    const v = r.buf.readBigUInt64BE(r.pos);
    r.pos += 8;
    return v;
  }
  return BigInt(r.len());
}

function readId(r: RdbReader): StreamId {
  const ms = readLen64(r);
  return { ms, seq: readLen64(r) };
}

function writeId(w: RdbWriter, id: StreamId): void {
  writeLen64(w, id.ms);
  writeLen64(w, id.seq);
}

// ---- listpack writer / cursor ------------------------------------------------------------

/**
 * A listpack builder writing into one reused buffer (lpAppend / lpAppendInteger encodings:
 * 7/13/16/24/32/64-bit integers, 6/12/32-bit length strings, each followed by its backlen).
 */
class LpWriter {
  buf = Buffer.allocUnsafe(8192);
  pos = 6;
  count = 0;

  reset(): void {
    this.pos = 6;
    this.count = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n + 6 <= this.buf.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 64));
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  private backlen(l: number): void {
    const b = this.buf;
    if (l <= 127) b[this.pos++] = l;
    else {
      const nb = l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
      b[this.pos++] = Math.floor(l / 2 ** (7 * (nb - 1))) & 127;
      for (let i = 1; i < nb; i++) b[this.pos++] = (Math.floor(l / 2 ** (7 * (nb - 1 - i))) & 127) | 128;
    }
    this.count++;
  }

  /** An integer item (a safe integer, or a bigint in the int64 range). */
  int(v: number | bigint): void {
    this.ensure(10);
    const b = this.buf;
    const at = this.pos;
    if (typeof v === 'bigint') {
      if (v >= -9007199254740991n && v <= 9007199254740991n) {
        this.int(Number(v));
        return;
      }
      b[at] = 0xf4;
      b.writeBigInt64LE(v, at + 1);
      this.pos += 9;
    } else if (v >= 0 && v <= 127) {
      b[at] = v;
      this.pos += 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? 8192 + v : v;
      b[at] = 0xc0 | (u >> 8);
      b[at + 1] = u & 0xff;
      this.pos += 2;
    } else if (v >= -32768 && v <= 32767) {
      b[at] = 0xf1;
      b.writeInt16LE(v, at + 1);
      this.pos += 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[at] = 0xf2;
      b.writeIntLE(v, at + 1, 3);
      this.pos += 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[at] = 0xf3;
      b.writeInt32LE(v, at + 1);
      this.pos += 5;
    } else {
      b[at] = 0xf4;
      b.writeBigInt64LE(BigInt(v), at + 1);
      this.pos += 9;
    }
    this.backlen(this.pos - at);
  }

  /** A string item, stored as an integer when it is one in canonical form (lpAppend). */
  str(s: string): void {
    const n = s.length;
    if (n > 0 && n <= 20) {
      const v = canonicalInt(s);
      if (v !== null) {
        this.int(v);
        return;
      }
    }
    this.ensure(n + 10);
    const b = this.buf;
    const at = this.pos;
    if (n < 64) {
      b[at] = 0x80 | n;
      this.pos += 1;
    } else if (n < 4096) {
      b[at] = 0xe0 | (n >> 8);
      b[at + 1] = n & 0xff;
      this.pos += 2;
    } else {
      b[at] = 0xf0;
      b.writeUInt32LE(n, at + 1);
      this.pos += 5;
    }
    this.pos += b.latin1Write(s, this.pos, n);
    this.backlen(this.pos - at);
  }

  /**
   * The string item `p[start, start + n)` (str() without a substring: canonical integers of up
   * to 15 digits are parsed from the char codes, short strings copied char by char).
   */
  strRange(p: string, start: number, n: number): void {
    if (n > 0 && n <= 15) {
      let i = start;
      const end = start + n;
      let neg = false;
      if (p.charCodeAt(i) === 45 && n > 1) {
        neg = true;
        i++;
      }
      const c0 = p.charCodeAt(i);
      if (c0 >= 49 && c0 <= 57) {
        let v = c0 - 48;
        for (i++; i < end; i++) {
          const c = p.charCodeAt(i);
          if (c < 48 || c > 57) break;
          v = v * 10 + (c - 48);
        }
        if (i === end) {
          this.int(neg ? -v : v);
          return;
        }
      } else if (c0 === 48 && n === 1) {
        this.int(0);
        return;
      }
    } else if (n > 15 && n <= 20) {
      this.str(p.slice(start, start + n));
      return;
    }
    this.ensure(n + 10);
    const b = this.buf;
    const at = this.pos;
    let o = at;
    if (n < 64) b[o++] = 0x80 | n;
    else if (n < 4096) {
      b[o++] = 0xe0 | (n >> 8);
      b[o++] = n & 0xff;
    } else {
      b[o] = 0xf0;
      b.writeUInt32LE(n, o + 1);
      o += 5;
    }
    if (n <= 32) for (let i = start; i < start + n; i++) b[o++] = p.charCodeAt(i);
    else o += b.latin1Write(p.slice(start, start + n), o, n);
    this.pos = o;
    this.backlen(o - at);
  }

  /** The finished listpack as a latin1 string (header: total bytes, item count; 0xFF end). */
  finish(): string {
    const b = this.buf;
    b[this.pos++] = 0xff;
    b.writeUInt32LE(this.pos, 0);
    b.writeUInt16LE(Math.min(this.count, 65535), 4);
    return b.latin1Slice(0, this.pos);
  }
}

/** lpStringToInt64: the value of `s` if it is a canonical int64 ("-0" and leading zeros are not). */
function canonicalInt(s: string): number | bigint | null {
  const n = s.length;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return null;
    i = 1;
  }
  const c0 = s.charCodeAt(i);
  if (c0 === 48) return n === 1 ? 0 : null;
  if (c0 < 49 || c0 > 57) return null;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  if (n - i <= 15) return Number(s);
  const v = BigInt(s);
  return v === BigInt.asIntN(64, v) ? v : null;
}

/**
 * Reads a listpack item by item: after `next()`, `isInt` tells whether the item was an integer
 * (its value in `num`, a number or, beyond 2^53, a bigint) or a string (`str`).
 * @throws Error on any malformed byte (bad header, unknown encoding, overrun).
 */
class LpCursor {
  p = 6;
  /** Items read so far. */
  idx = 0;
  readonly end: number;
  isInt = false;
  num: number | bigint = 0;
  /** A string item's bytes are b[sp, se). */
  sp = 0;
  se = 0;

  /** The last string item (sliced on demand). */
  get str(): string {
    return this.b.latin1Slice(this.sp, this.se);
  }

  constructor(readonly b: Buffer) {
    if (b.length < 7 || b.readUInt32LE(0) !== b.length || b[b.length - 1] !== 0xff) throw new Error('invalid listpack header');
    this.end = b.length - 1;
  }

  get done(): boolean {
    return this.p >= this.end;
  }

  next(): void {
    const b = this.b;
    const start = this.p;
    if (start >= this.end) throw new Error('entry overruns the listpack');
    const c = b[start];
    let p = start;
    this.isInt = true;
    if (c < 0x80) {
      this.num = c;
      p += 1;
    } else if (c < 0xc0) {
      this.isInt = false;
      const n = c & 0x3f;
      if (p + 1 + n > this.end) throw new Error('string overruns the listpack');
      this.sp = p + 1;
      this.se = p + 1 + n;
      p += 1 + n;
    } else if (c < 0xe0) {
      const u = ((c & 0x1f) << 8) | b[p + 1];
      this.num = u >= 4096 ? u - 8192 : u;
      p += 2;
    } else if (c < 0xf0) {
      this.isInt = false;
      const n = ((c & 0x0f) << 8) | b[p + 1];
      if (p + 2 + n > this.end) throw new Error('string overruns the listpack');
      this.sp = p + 2;
      this.se = p + 2 + n;
      p += 2 + n;
    } else if (c === 0xf0) {
      this.isInt = false;
      if (p + 5 > this.end) throw new Error('string overruns the listpack');
      const n = b.readUInt32LE(p + 1);
      if (p + 5 + n > this.end) throw new Error('string overruns the listpack');
      this.sp = p + 5;
      this.se = p + 5 + n;
      p += 5 + n;
    } else if (c >= 0xf1 && c <= 0xf4) {
      const w = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : 8;
      if (p + 1 + w > this.end) throw new Error('integer overruns the listpack');
      if (w === 8) {
        const v = b.readBigInt64LE(p + 1);
        this.num = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      } else this.num = b.readIntLE(p + 1, w);
      p += 1 + w;
    } else throw new Error(`invalid listpack entry encoding ${c}`);
    const l = p - start;
    p += l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    if (p > this.end) throw new Error('entry overruns the listpack');
    this.p = p;
    this.idx++;
  }

  /** The next item as an integer (lpGetInteger: integer-encoded, or a string holding one). */
  int(what: string): number | bigint {
    this.next();
    if (this.isInt) return this.num;
    const v = canonicalInt(this.str);
    if (v === null) throw new Error(`${what} is not an integer`);
    return v;
  }

  /** The next item as a string (integers in decimal). */
  string(): string {
    this.next();
    return this.isInt ? String(this.num) : this.str;
  }
}

// ---- save --------------------------------------------------------------------------------

/**
 * What the codec reads of one node of the in-memory stream (src/store/stream.ts StreamNode):
 * master ID and fields, and the entries in order with their deleted flags.
 */
interface NodeView {
  masterMs: bigint;
  masterSeq: bigint;
  /** Master field names, flattened as [f1, '', f2, '', ...]. */
  master: string[];
  /** Slots used (live + deleted). */
  n: number;
  live: number;
  idAt(i: number): StreamId;
  fieldsAt(i: number): string[];
  isDeleted(i: number): boolean;
}

/** The stream's nodes (Stream.nodeList: Redis's node layout, kept in memory). */
function nodeViews(s: Stream): readonly NodeView[] {
  return s.nodeList();
}

/**
 * Encodes one node as streamAppendItem lays it out: the master entry, then each entry with
 * SAMEFIELDS when its field names equal the master's, DELETED when it is a tombstone.
 */
function encodeNode(w: LpWriter, v: NodeView): string {
  w.reset();
  const m = v.master;
  const nmf = m.length / 2;
  w.int(v.live);
  w.int(v.n - v.live);
  w.int(nmf);
  for (let i = 0; i < m.length; i += 2) w.str(m[i]);
  w.int(0);
  const mms = v.masterMs;
  const mseq = v.masterSeq;
  if (v instanceof StreamNode) {
    const nd = v;
    const rel = nd.rel;
    const mseqN = Number(mseq);
    for (let i = 0; i < nd.n; i++) {
      const f = nd.flags[i];
      if ((f & FLAG_SAMEFIELDS) === 0) {
        encodeEntry(w, nd, i, m, nmf, mms, mseq);
        continue;
      }
      // SAMEFIELDS slot: values straight from the packed string.
      w.int(f);
      if (rel !== null) {
        w.int(rel[2 * i]);
        w.int(rel[2 * i + 1] - mseqN);
      } else encodeDeltas(w, nd.idAt(i), mms, mseq);
      let p: string;
      let pos: number;
      if (nd.data !== null) {
        p = nd.data[i];
        pos = 0;
      } else {
        p = nd.packed;
        pos = (nd.offs as Uint32Array)[i];
      }
      for (let j = 0; j < nmf; j++) {
        let len = 0;
        let mul = 1;
        for (;;) {
          const c = p.charCodeAt(pos++);
          len += (c & 127) * mul;
          if (c < 128) break;
          mul *= 128;
        }
        w.strRange(p, pos, len);
        pos += len;
      }
      w.int(nmf + 3);
    }
    return w.finish();
  }
  for (let i = 0; i < v.n; i++) encodeEntry(w, v, i, m, nmf, mms, mseq);
  return w.finish();
}

/** The ms-diff and seq-diff items of an entry (wrapping 64-bit differences to the master ID). */
function encodeDeltas(w: LpWriter, id: StreamId, mms: bigint, mseq: bigint): void {
  const dms = id.ms - mms;
  w.int(dms <= 0x7fffffffffffffffn ? dms : BigInt.asIntN(64, dms));
  const dseq = id.seq - mseq;
  w.int(dseq >= -0x8000000000000000n && dseq <= 0x7fffffffffffffffn ? dseq : BigInt.asIntN(64, dseq));
}

/** One entry of a node, from its fields (SAMEFIELDS when they equal the master's). */
function encodeEntry(w: LpWriter, v: NodeView, i: number, m: string[], nmf: number, mms: bigint, mseq: bigint): void {
  {
    const id = v.idAt(i);
    const fields = v.fieldsAt(i);
    const nf = fields.length / 2;
    let same = nf === nmf;
    for (let j = 0; same && j < fields.length; j += 2) if (fields[j] !== m[j]) same = false;
    w.int((same ? FLAG_SAMEFIELDS : 0) | (v.isDeleted(i) ? FLAG_DELETED : 0));
    const dms = id.ms - mms;
    w.int(dms <= 0x7fffffffffffffffn ? dms : BigInt.asIntN(64, dms));
    const dseq = id.seq - mseq;
    w.int(dseq >= -0x8000000000000000n && dseq <= 0x7fffffffffffffffn ? dseq : BigInt.asIntN(64, dseq));
    if (same) {
      for (let j = 1; j < fields.length; j += 2) w.str(fields[j]);
      w.int(nf + 3);
    } else {
      w.int(nf);
      for (let j = 0; j < fields.length; j++) w.str(fields[j]);
      w.int(2 * nf + 4);
    }
  }
}

/** The nodes to save as [master ID, listpack bytes as latin1]. Nodes without live entries are skipped. */
function buildNodes(s: Stream): [StreamId, string][] {
  const w = new LpWriter();
  const out: [StreamId, string][] = [];
  for (const v of nodeViews(s)) {
    if (v.live === 0) continue;
    out.push([{ ms: v.masterMs, seq: v.masterSeq }, encodeNode(w, v)]);
  }
  return out;
}

/** Writes the node count and nodes (master key + listpack) of a stream's entries. */
function saveNodes(w: RdbWriter, s: Stream): void {
  const nodes = buildNodes(s);
  w.len(nodes.length);
  for (const [master, lp] of nodes) {
    w.string(encodeRawId(master));
    w.string(lp);
  }
}

/** A counter or time as an integer the writer accepts (a SAVE must never throw on odd values). */
function int64(v: number): number {
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** Groups (or consumers) in the order Redis's rax iterates them: by name bytes. */
function byName<T>(m: Map<string, T>): [string, T][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function savePel(w: RdbWriter, nacks: StreamNack[], full: boolean): void {
  w.len(nacks.length);
  for (const n of nacks) {
    w.latin1(encodeRawId(n.id));
    if (full) {
      w.int64LE(int64(n.deliveryTime));
      w.len(n.deliveryCount);
    }
  }
}

function saveGroup(w: RdbWriter, name: string, g: StreamGroup): void {
  w.string(name);
  writeId(w, g.lastId);
  writeLen64(w, BigInt.asUintN(64, BigInt(Number.isFinite(g.entriesRead) ? Math.trunc(g.entriesRead) : INVALID_ENTRIES_READ)));
  savePel(w, [...g.pelEntries()], true);
  const consumers = byName(g.consumers);
  w.len(consumers.length);
  for (const [cname, c] of consumers) {
    w.string(cname);
    w.int64LE(int64(c.seenTime));
    savePel(w, [...c.pelEntries()], false);
  }
}

// ---- load --------------------------------------------------------------------------------

/** Packed-entry bytes of the node being loaded (reused across nodes; grows as needed). */
let pk = Buffer.allocUnsafe(1 << 16);
let pkPos = 0;

function pkEnsure(n: number): void {
  if (pkPos + n <= pk.length) return;
  const nb = Buffer.allocUnsafe(Math.max(pk.length * 2, pkPos + n + 64));
  pk.copy(nb, 0, 0, pkPos);
  pk = nb;
}

/**
 * Reads the next listpack item and appends it to the packed entry being built (the Stream's
 * packed form: length as a little-endian base-128 varint, then the bytes; integers in decimal).
 */
function packItem(cur: LpCursor): void {
  cur.next();
  if (cur.isInt) {
    let v = cur.num;
    if (typeof v === 'number') {
      // Decimal digits written in place (no string per integer).
      pkEnsure(22);
      const at = pkPos++;
      if (v < 0) {
        pk[pkPos++] = 45;
        v = -v;
      }
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      for (let k = pkPos + digits - 1; k >= pkPos; k--) {
        pk[k] = 48 + (v % 10);
        v = Math.floor(v / 10);
      }
      pkPos += digits;
      pk[at] = pkPos - at - 1;
      return;
    }
    const d = String(v);
    pkEnsure(d.length + 1);
    pk[pkPos++] = d.length;
    pkPos += pk.latin1Write(d, pkPos, d.length);
    return;
  }
  const sp = cur.sp;
  let n = cur.se - sp;
  pkEnsure(n + 5);
  const b = cur.b;
  let len = n;
  while (len >= 128) {
    pk[pkPos++] = (len & 127) | 128;
    len = Math.floor(len / 128);
  }
  pk[pkPos++] = len;
  if (n > 16) {
    b.copy(pk, pkPos, sp, sp + n);
    pkPos += n;
  } else for (let i = sp; n > 0; n--) pk[pkPos++] = b[i++];
}

/** Absolute IDs of slots [0, n) of a relative ID array (a node switching to 64-bit IDs mid-load). */
function widenIds(rel: Uint32Array, n: number, masterMs: bigint, cap: number): BigUint64Array {
  const w = new BigUint64Array(cap * 2);
  for (let i = 0; i < n; i++) {
    w[2 * i] = masterMs + BigInt(rel[2 * i]);
    w[2 * i + 1] = BigInt(rel[2 * i + 1]);
  }
  return w;
}

/**
 * Decodes one node's listpack straight into a sealed stream node (StreamNode.fromPacked: IDs
 * into a typed array, entries packed into one string) and appends it to `s`; the file's node
 * boundaries and master fields are kept. Validates the structure as
 * streamValidateListpackIntegrity (deep mode) does, plus the order of IDs (strictly increasing,
 * not below the master ID, which is above the previous node's last ID). @returns the last ID in
 * the node (live or deleted), or `prev` if it has none.
 * @throws Error naming what is wrong.
 */
function loadNode(s: Stream, master: StreamId, lp: Buffer, prev: StreamId | null): StreamId | null {
  const cur = new LpCursor(lp);
  if (cur.done) throw new Error('Empty listpack inside stream');
  const count = cur.int('master entry count');
  const deleted = cur.int('master entry deleted count');
  const nmf = Number(cur.int('master entry field count'));
  if (typeof count !== 'number' || typeof deleted !== 'number' || count < 0 || deleted < 0) throw new Error('bad master entry counts');
  if (!(nmf >= 0 && nmf <= lp.length)) throw new Error('bad master entry field count');
  // Each entry takes at least 4 items of 2 bytes or more.
  const cap = count + deleted;
  if (cap > lp.length / 8) throw new Error('master entry counts do not match the entries');
  const masterFields: string[] = new Array(nmf * 2);
  for (let i = 0; i < nmf; i++) {
    masterFields[2 * i] = cur.string();
    masterFields[2 * i + 1] = '';
  }
  if (cur.int('master entry terminator') !== 0) throw new Error('master entry terminator is not 0');
  const mseq = master.seq <= 0xffffffffn ? Number(master.seq) : -1;
  let rel: Uint32Array | null = mseq >= 0 ? new Uint32Array(cap * 2) : null;
  let wide: BigUint64Array | null = rel === null ? new BigUint64Array(cap * 2) : null;
  const flagsArr = new Uint8Array(cap);
  const offs = new Uint32Array(cap + 1);
  let live = 0;
  let n = 0;
  pkPos = 0;
  while (!cur.done) {
    if (n >= cap) throw new Error('master entry counts do not match the entries');
    const start = cur.idx;
    const flags = cur.int('entry flags');
    if (typeof flags !== 'number' || flags < 0 || flags > 3) throw new Error(`bad entry flags ${flags}`);
    const dms = cur.int('entry ms-diff');
    const dseq = cur.int('entry seq-diff');
    let fast = false;
    if (rel !== null && typeof dms === 'number' && typeof dseq === 'number' && dms >= 0 && dms <= 0xffffffff) {
      const sq = mseq + dseq;
      if (sq >= 0 && sq <= 0xffffffff) {
        fast = true;
        const bad = n === 0 ? dms === 0 && sq < mseq : dms < rel[2 * n - 2] || (dms === rel[2 * n - 2] && sq <= rel[2 * n - 1]);
        if (bad) {
          const id = { ms: master.ms + BigInt(dms), seq: BigInt(sq) };
          const p = n === 0 ? prev : { ms: master.ms + BigInt(rel[2 * n - 2]), seq: BigInt(rel[2 * n - 1]) };
          throw new Error(`entry ID ${idString(id)} is out of order (node ${idString(master)}, previous ${p ? idString(p) : 'none'})`);
        }
        rel[2 * n] = dms;
        rel[2 * n + 1] = sq;
      }
    }
    if (!fast) {
      let ms = dms === 0 ? master.ms : master.ms + BigInt(dms);
      if (ms < 0n || ms > 0xffffffffffffffffn) ms = BigInt.asUintN(64, ms);
      let seq = dseq === 0 ? master.seq : master.seq + BigInt(dseq);
      if (seq < 0n || seq > 0xffffffffffffffffn) seq = BigInt.asUintN(64, seq);
      if (rel !== null) {
        wide = widenIds(rel, n, master.ms, cap);
        rel = null;
      }
      const w = wide as BigUint64Array;
      const id = { ms, seq };
      const p = n === 0 ? prev : { ms: w[2 * n - 2], seq: w[2 * n - 1] };
      if (cmpId(id, master) < 0 || (p !== null && cmpId(id, p) <= 0))
        throw new Error(`entry ID ${idString(id)} is out of order (node ${idString(master)}, previous ${p ? idString(p) : 'none'})`);
      w[2 * n] = ms;
      w[2 * n + 1] = seq;
    }
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    const nf = same ? nmf : Number(cur.int('entry field count'));
    if (!(nf > 0 && nf <= lp.length)) throw new Error('bad entry field count');
    offs[n] = pkPos;
    if (same) for (let i = 0; i < nf; i++) packItem(cur);
    else for (let i = 0; i < 2 * nf; i++) packItem(cur);
    const lpCount = cur.int('entry lp-count');
    if (lpCount !== cur.idx - start - 1) throw new Error('entry lp-count mismatch');
    flagsArr[n] = flags;
    if ((flags & FLAG_DELETED) === 0) live++;
    n++;
  }
  if (n !== cap || live !== count) throw new Error('master entry counts do not match the entries');
  if (n === 0) return prev;
  offs[n] = pkPos;
  const node = StreamNode.fromPacked({
    masterId: master,
    master: masterFields,
    n,
    live,
    rel,
    wide,
    flags: flagsArr,
    packed: pk.latin1Slice(0, pkPos),
    offs,
    lpBytes: lp.length,
  });
  s.appendNode(node);
  return rel !== null
    ? { ms: master.ms + BigInt(rel[2 * n - 2]), seq: BigInt(rel[2 * n - 1]) }
    : { ms: (wide as BigUint64Array)[2 * n - 2], seq: (wide as BigUint64Array)[2 * n - 1] };
}

/** streamEstimateDistanceFromFirstEverEntry (Redis 7.0): entries-read of a group loaded from a type-15 file. */
function estimateEntriesRead(s: Stream, id: StreamId): number {
  if (!s.entriesAdded) return 0;
  const cmpLast = cmpId(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return INVALID_ENTRIES_READ;
  const first = s.firstId();
  const zero = s.maxDeletedId.ms === 0n && s.maxDeletedId.seq === 0n;
  if (zero || cmpId(s.maxDeletedId, first) < 0) {
    const c = cmpId(id, first);
    if (c < 0) return s.entriesAdded - s.length;
    if (c === 0) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

function loadStream(r: RdbReader, rdbType: number): RObject {
  const s = new Stream();
  const nodes = r.len();
  let prev: StreamId | null = null;
  for (let i = 0; i < nodes; i++) {
    const keyAt = r.pos;
    const key = r.blob();
    if (key.length !== 16) {
      r.pos = keyAt;
      r.fail('Stream node key entry is not the size of a stream ID');
    }
    const master = decodeRawId(key, 0);
    if (prev !== null && cmpId(master, prev) <= 0) {
      r.pos = keyAt;
      r.fail('Stream node keys are not in increasing order');
    }
    const lpAt = r.pos;
    const lp = r.blob();
    try {
      prev = loadNode(s, master, lp, prev) ?? master;
    } catch (e) {
      r.pos = lpAt;
      r.fail(`Stream listpack integrity check failed: ${(e as Error).message}`);
    }
  }
  const length = r.len();
  const lastId = readId(r);
  if (length !== s.length) r.fail(`Stream length ${length} does not match its ${s.length} entries`);
  if (s.length > 0 && cmpId(s.lastEntryId(), lastId) > 0) r.fail('Stream last ID is smaller than its last entry');
  s.lastId = lastId;
  if (rdbType === RdbType.StreamListpacks2) {
    // first-id is derived from the entries (Redis records the same value: the first live entry,
    // or 0-0 when empty), so the stored one is read and not kept.
    readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = Number(readLen64(r));
  } else {
    // Redis 5/6 files: no tombstone info; the counter starts at the length (rdbLoadObject).
    s.maxDeletedId = { ms: 0n, seq: 0n };
    s.entriesAdded = length;
  }
  const ngroups = r.len();
  for (let i = 0; i < ngroups; i++) loadGroup(r, rdbType, s);
  return new RObject(ObjType.Stream, s);
}

function loadGroup(r: RdbReader, rdbType: number, s: Stream): void {
  const nameAt = r.pos;
  const name = r.string();
  const lastId = readId(r);
  let entriesRead: number;
  if (rdbType === RdbType.StreamListpacks2) {
    const v = BigInt.asIntN(64, readLen64(r));
    entriesRead = v < 0n ? INVALID_ENTRIES_READ : Number(v);
  } else entriesRead = estimateEntriesRead(s, lastId);
  if (s.groups.has(name)) {
    r.pos = nameAt;
    r.fail(`Duplicated consumer group name ${name}`);
  }
  const g = s.addGroup(name, lastId, entriesRead);
  const pel = new Map<string, StreamNack>();
  const npel = r.len();
  for (let i = 0; i < npel; i++) {
    r.need(16);
    const raw = r.buf.toString('latin1', r.pos, r.pos + 16);
    const id = decodeRawId(r.buf, r.pos);
    r.pos += 16;
    const time = r.int64LE();
    const count = r.len();
    if (pel.has(raw)) r.fail('Duplicated global PEL entry loading stream consumer group');
    pel.set(raw, g.pelAdd(id, time, count));
  }
  const nconsumers = r.len();
  for (let i = 0; i < nconsumers; i++) {
    const cname = r.string();
    if (g.consumers.has(cname)) r.fail('Duplicate stream consumer detected.');
    const c = g.addConsumer(cname, r.int64LE());
    const n = r.len();
    for (let j = 0; j < n; j++) {
      r.need(16);
      const raw = r.buf.toString('latin1', r.pos, r.pos + 16);
      const nack = pel.get(raw);
      if (nack === undefined) r.fail('Consumer entry not found in group global PEL');
      if (nack.consumer !== null) r.fail('Duplicated consumer PEL entry loading a stream consumer group');
      r.pos += 16;
      c.pelAttach(nack);
    }
  }
  for (const nack of pel.values()) if (nack.consumer === null) r.fail('Stream CG PEL entry without consumer');
}

registerTypeCodec(ObjType.Stream, {
  rdbTypes: [RdbType.StreamListpacks, RdbType.StreamListpacks2],
  save(w: RdbWriter, o: RObject): number {
    const s = o.value as Stream;
    saveNodes(w, s);
    w.len(s.length);
    writeId(w, s.lastId);
    writeId(w, s.length === 0 ? { ms: 0n, seq: 0n } : s.firstId());
    writeId(w, s.maxDeletedId);
    writeLen64(w, BigInt.asUintN(64, BigInt(int64(s.entriesAdded))));
    const groups = byName(s.groups);
    w.len(groups.length);
    for (const [name, g] of groups) saveGroup(w, name, g);
    return RdbType.StreamListpacks2;
  },
  load: loadStream,
});

/** Exposed for tests: the node split and listpack layout of a stream. */
export const _internal = { buildNodes, LpWriter, LpCursor };
