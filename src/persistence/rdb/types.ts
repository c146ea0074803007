/**
 * RDB codecs for lists, sets, hashes and sorted sets, registered with rdb.ts on import.
 * Saving writes what Redis 7.0 writes for each encoding: lists as QUICKLIST_2 of packed listpack
 * nodes (built from the list's element bytes, cut where Redis cuts a list pushed at the tail);
 * sets as INTSET or SET; hashes as HASH_LISTPACK or HASH; zsets as ZSET_LISTPACK or ZSET_2 (binary doubles, highest score first, as Redis walks its skiplist from the tail).
 * Loading reads those plus the older encodings (LIST, ZSET, ZIPLIST, QUICKLIST of ziplists,
 * ZIPMAP excluded) and rebuilds Keydra's structures, which pick their own encodings.
 * Source: Redis 7.0 rdb.c rdbSaveObject / rdbLoadObject.
 */
import { RHash } from '../../store/hash.js';
import { QuickList } from '../../store/quicklist.js';
import { RSet } from '../../store/set.js';
import { ObjType, RObject } from '../../store/db.js';
import { ZSet } from '../../store/zset.js';
import { decodeIntset, decodeListpack, decodeZiplist, decodeZipmap, encodeIntset, encodeListpack } from './listpack.js';
import { type RdbReader, RdbType, type RdbWriter, registerTypeCodec } from './rdb.js';
import './stream.js'; // registers the stream codec

/** Byte limit of one quicklist node (list-max-listpack-size -2 is 8 KB). */
const NODE_MAX_BYTES = 8192;

/**
 * Formats a score as Redis 7.0's zzlInsertAt stores it in a listpack: integral values within
 * +-2^62 as integers (double2ll), others as d2string's "%.17g".
 */
function scoreString(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return 'inf';
  if (d === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isInteger(d) && Math.abs(d) <= 2 ** 62) return BigInt(d).toString();
  const exp = Number(d.toExponential(16).split('e')[1]);
  if (exp < -4 || exp >= 17) {
    const [m, e] = d.toExponential(16).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Math.abs(Number(e));
    return `${mant}e${e.startsWith('-') ? '-' : '+'}${n < 10 ? '0' : ''}${n}`;
  }
  const f = d.toFixed(Math.max(0, 16 - exp));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

function parseScore(s: string, r: RdbReader): number {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Number.POSITIVE_INFINITY;
  if (l === '-inf') return Number.NEGATIVE_INFINITY;
  const v = Number(s);
  if (Number.isNaN(v)) r.fail('Zset with NAN score detected');
  return v;
}

function blobEntries(r: RdbReader, decode: (b: Buffer) => string[]): string[] {
  const at = r.pos;
  const b = r.blob();
  try {
    return decode(b);
  } catch (e) {
    r.pos = at;
    return r.fail(`Corrupt value blob: ${(e as Error).message}`);
  }
}

// ---- lists: listpack nodes written from the QuickList's element bytes ----------------------

/**
 * The listpack of the node being saved (reused): a node's bytes stay within NODE_MAX_BYTES but for
 * its last entry's header and backlen, 10 bytes at most; a node of one larger element gets a
 * buffer of its own.
 */
const lpScratch = Buffer.allocUnsafeSlow(NODE_MAX_BYTES + 32);
/** The value elementInt() found: a number up to 15 digits, else a bigint (intBig true). */
let intVal = 0;
let intBig = false;
let intBigVal = 0n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Whether element bytes b[s, e) are an integer as Redis's lpStringToInt64 takes one (canonical
 * decimal: no sign but '-', no leading zero, not "-0", within int64); its value goes to
 * intVal / intBigVal. @returns the length of its listpack integer encoding (1, 2, 3, 4, 5 or 9
 * bytes: lpEncodeIntegerGetType), or 0 when the bytes are stored as a string.
 */
function elementInt(b: Buffer, s: number, e: number): number {
  const n = e - s;
  if (n === 0 || n > 20) return 0;
  const neg = b[s] === 45;
  const d0 = neg ? s + 1 : s;
  if (d0 === e || (b[d0] === 48 && n !== 1)) return 0;
  let v = 0;
  for (let i = d0; i < e; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return 0;
    v = v * 10 + d;
  }
  if (e - d0 > 15) {
    // 16 digits and more: beyond 2^31 in any case, exact only as a bigint.
    const big = BigInt(b.toString('latin1', s, e));
    if (big < INT64_MIN || big > INT64_MAX) return 0;
    intBig = true;
    intBigVal = big;
    return 9;
  }
  if (neg) v = -v;
  intBig = false;
  intVal = v;
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/**
 * Whether the `n` element bytes at b[s] are a string of 1 to 63 bytes that cannot be an integer
 * (its first byte is no digit and no '-'): the common case, a listpack entry of 1 + n + 1 bytes.
 */
function shortString(b: Buffer, s: number, n: number): boolean {
  const x = b[s];
  return n < 64 && n > 0 && (x > 57 || (x < 48 && x !== 45));
}

/** Bytes of a listpack entry's backlen for an entry of `l` bytes (lpEncodeBacklen). */
function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/**
 * Writes the listpack entry of element bytes b[s, e) at out[p] as Redis's lpAppend encodes it
 * (integers in the smallest integer encoding, else a 6-, 12- or 32-bit string length; then the
 * backlen). @returns the offset after the entry.
 */
function lpWriteEntry(out: Buffer, p: number, b: Buffer, s: number, e: number): number {
  const at = p;
  const il = elementInt(b, s, e);
  if (il !== 0) {
    const v = intVal;
    if (il === 1) out[p] = v;
    else if (il === 2) {
      const u = v < 0 ? (1 << 13) + v : v;
      out[p] = 0xc0 | (u >> 8);
      out[p + 1] = u & 0xff;
    } else {
      // 0xf1..0xf3: 16, 24, 32-bit two's complement; 0xf4: 64-bit (low word, then high word).
      out[p] = il === 3 ? 0xf1 : il === 4 ? 0xf2 : il === 5 ? 0xf3 : 0xf4;
      if (il !== 9) for (let i = 1, x = v; i < il; i++, x >>= 8) out[p + i] = x & 0xff;
      else if (intBig) out.writeBigInt64LE(intBigVal, p + 1);
      else {
        const hi = Math.floor(v / 0x100000000);
        out.writeUInt32LE(v - hi * 0x100000000, p + 1);
        out.writeInt32LE(hi, p + 5);
      }
    }
    p += il;
  } else {
    const n = e - s;
    if (n < 64) out[p++] = 0x80 | n;
    else if (n < 4096) {
      out[p++] = 0xe0 | (n >> 8);
      out[p++] = n & 0xff;
    } else {
      out[p] = 0xf0;
      out.writeUInt32LE(n, p + 1);
      p += 5;
    }
    if (n <= 16) for (let i = 0; i < n; i++) out[p + i] = b[s + i];
    else b.copy(out, p, s, e);
    p += n;
  }
  const l = p - at;
  if (l <= 127) out[p++] = l;
  else {
    const nb = backlenSize(l);
    out[p++] = Math.floor(l / 2 ** (7 * (nb - 1))) & 127;
    for (let i = 1; i < nb; i++) out[p++] = (Math.floor(l / 2 ** (7 * (nb - 1 - i))) & 127) | 128;
  }
  return p;
}

/**
 * Ends the listpack of `count` entries built in lp[6, p) (its end byte, total bytes and count;
 * a count past 65535 is stored as 65535, "unknown", as lpSetNumElements does) and writes it as
 * one packed quicklist node (QUICKLIST_NODE_CONTAINER_PACKED, then the blob).
 */
function writeListpackNode(w: RdbWriter, lp: Buffer, p: number, count: number): void {
  lp[p] = 0xff;
  const total = p + 1;
  lp.writeUInt32LE(total, 0);
  lp.writeUInt16LE(Math.min(count, 65535), 4);
  w.len(2);
  w.rawBytes(lp, total);
}

registerTypeCodec(ObjType.List, {
  rdbTypes: [RdbType.List, RdbType.ListZiplist, RdbType.ListQuicklist, RdbType.ListQuicklist2],
  save(w: RdbWriter, o: RObject): number {
    const q = o.value as QuickList;
    // One pass over the elements' bytes, each node's listpack built in lpScratch and written
    // when the next element would not fit. The node count goes first: room for the length of
    // q.length (an upper bound) is kept, and the nodes move back once the count is known.
    const at = w.pos;
    w.len(q.length);
    const kept = w.pos - at;
    let nodes = 0;
    let lp = lpScratch;
    let p = 6;
    let cnt = 0;
    for (const c = q.elements(); c.next(); ) {
      const n = c.end - c.start;
      // Nodes as Redis's quicklist cuts them when the elements are pushed at the tail with
      // list-max-listpack-size -2 (_quicklistNodeAllowInsert): a node takes an element while its
      // listpack bytes (p + 1) + the element's length + 8 stay within 8192.
      if (cnt > 0 && p + 1 + n + 8 > NODE_MAX_BYTES) {
        writeListpackNode(w, lp, p, cnt);
        nodes++;
        lp = lpScratch;
        p = 6;
        cnt = 0;
      }
      if (cnt === 0 && n + 32 > lp.length) lp = Buffer.allocUnsafe(n + 32); // a node of one large element
      if (shortString(c.buf, c.start, n)) {
        // The common entry, inline: 6-bit string length, the bytes, a 1-byte backlen.
        const b = c.buf;
        const s0 = c.start;
        lp[p] = 0x80 | n;
        for (let i = 0; i < n; i++) lp[p + 1 + i] = b[s0 + i];
        lp[p + 1 + n] = n + 1;
        p += n + 2;
      } else p = lpWriteEntry(lp, p, c.buf, c.start, c.end);
      cnt++;
    }
    if (cnt > 0) {
      writeListpackNode(w, lp, p, cnt);
      nodes++;
    }
    const end = w.pos;
    w.pos = at;
    w.len(nodes);
    const shift = kept - (w.pos - at);
    if (shift > 0) w.buf.copyWithin(w.pos, at + kept, end);
    w.pos = end - shift;
    return RdbType.ListQuicklist2;
  },
  load(r: RdbReader, t: number): RObject {
    // Elements go into the list's packed nodes one RDB node at a time (no array of every element).
    const q = new QuickList();
    const pushAll = (items: string[]): void => {
      for (let i = 0; i < items.length; i++) q.pushTail(items[i]);
    };
    if (t === RdbType.List) {
      const n = r.len();
      for (let i = 0; i < n; i++) q.pushTail(r.string());
    } else if (t === RdbType.ListZiplist) {
      pushAll(blobEntries(r, decodeZiplist));
    } else {
      const n = r.len();
      for (let i = 0; i < n; i++) {
        let container = 2;
        if (t === RdbType.ListQuicklist2) container = r.len();
        if (container === 1) q.pushTail(r.string());
        else pushAll(blobEntries(r, t === RdbType.ListQuicklist ? decodeZiplist : decodeListpack));
      }
    }
    if (q.length === 0) r.fail('Empty list loaded');
    return new RObject(ObjType.List, q);
  },
});

registerTypeCodec(ObjType.Set, {
  rdbTypes: [RdbType.Set, RdbType.SetIntset],
  save(w: RdbWriter, o: RObject): number {
    const s = o.value as RSet;
    if (s.encoding === 'intset') {
      w.string(encodeIntset(s.members).toString('latin1'));
      return RdbType.SetIntset;
    }
    w.len(s.members.length);
    for (const m of s.members) w.string(m);
    return RdbType.Set;
  },
  load(r: RdbReader, t: number): RObject {
    const s = new RSet();
    const members = t === RdbType.SetIntset ? blobEntries(r, decodeIntset) : [];
    if (t === RdbType.Set) {
      const n = r.len();
      for (let i = 0; i < n; i++) members.push(r.string());
    }
    for (const m of members) if (!s.add(m)) r.fail('Duplicate set members detected');
    if (s.size === 0) r.fail('Empty set loaded');
    return new RObject(ObjType.Set, s);
  },
});

registerTypeCodec(ObjType.Hash, {
  rdbTypes: [RdbType.Hash, RdbType.HashZipmap, RdbType.HashZiplist, RdbType.HashListpack],
  save(w: RdbWriter, o: RObject): number {
    const h = o.value as RHash;
    if (h.encoding === 'listpack') {
      const flat: string[] = [];
      for (const [f, v] of h) flat.push(f, v);
      w.string(encodeListpack(flat).toString('latin1'));
      return RdbType.HashListpack;
    }
    w.len(h.size);
    for (const [f, v] of h) {
      w.string(f);
      w.string(v);
    }
    return RdbType.Hash;
  },
  load(r: RdbReader, t: number): RObject {
    let h: RHash | null;
    if (t === RdbType.Hash) {
      h = new RHash();
      const n = r.len();
      for (let i = 0; i < n; i++) {
        const f = r.string();
        if (!h.set(f, r.string())) r.fail('Duplicate hash fields detected');
      }
    } else {
      const flat = blobEntries(r, t === RdbType.HashZiplist ? decodeZiplist : t === RdbType.HashZipmap ? decodeZipmap : decodeListpack);
      if (flat.length % 2 !== 0) r.fail('Hash listpack with odd number of entries');
      h = RHash.fromPairs(flat);
      if (h === null) return r.fail('Duplicate hash fields detected');
    }
    if (h.size === 0) r.fail('Empty hash loaded');
    return new RObject(ObjType.Hash, h);
  },
});

registerTypeCodec(ObjType.ZSet, {
  rdbTypes: [RdbType.ZSet, RdbType.ZSet2, RdbType.ZSetZiplist, RdbType.ZSetListpack],
  save(w: RdbWriter, o: RObject): number {
    const z = o.value as ZSet;
    if (z.encoding === 'listpack') {
      const flat: string[] = [];
      for (const [m, s] of z) flat.push(m, scoreString(s));
      w.string(encodeListpack(flat).toString('latin1'));
      return RdbType.ZSetListpack;
    }
    const all = [...z];
    w.len(all.length);
    for (let i = all.length - 1; i >= 0; i--) {
      w.string(all[i][0]);
      w.binaryDouble(all[i][1]);
    }
    return RdbType.ZSet2;
  },
  load(r: RdbReader, t: number): RObject {
    const z = new ZSet();
    const add = (m: string, s: number) => {
      if (z.dict.has(m)) r.fail('Duplicate zset fields detected');
      z.insert(s, m);
    };
    if (t === RdbType.ZSet || t === RdbType.ZSet2) {
      const n = r.len();
      for (let i = 0; i < n; i++) {
        const m = r.string();
        const s = t === RdbType.ZSet2 ? r.binaryDouble() : r.asciiDouble();
        if (Number.isNaN(s)) r.fail('Zset with NAN score detected');
        add(m, s);
      }
    } else {
      const flat = blobEntries(r, t === RdbType.ZSetZiplist ? decodeZiplist : decodeListpack);
      if (flat.length % 2 !== 0) r.fail('Zset listpack with odd number of entries');
      for (let i = 0; i < flat.length; i += 2) add(flat[i], parseScore(flat[i + 1], r));
    }
    if (z.size === 0) r.fail('Empty zset loaded');
    return new RObject(ObjType.ZSet, z);
  },
});
