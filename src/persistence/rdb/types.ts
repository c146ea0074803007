/**
 * RDB codecs for lists, sets, hashes and sorted sets, registered with rdb.ts on import.
 * Saving writes what Redis 7.0 writes for each encoding: lists as QUICKLIST_2 of packed listpack
 * nodes; sets as INTSET or SET; hashes as HASH_LISTPACK or HASH; zsets as ZSET_LISTPACK or
 * ZSET_2 (binary doubles, highest score first, as Redis walks its skiplist from the tail).
 * Loading reads those plus the older encodings (LIST, ZSET, ZIPLIST, QUICKLIST of ziplists,
 * ZIPMAP excluded) and rebuilds Keydra's structures, which pick their own encodings.
 * Source: Redis 7.0 rdb.c rdbSaveObject / rdbLoadObject.
 */
import { RHash } from '../../store/hash.js';
import { QuickList } from '../../store/quicklist.js';
import { RSet } from '../../store/set.js';
import { ObjType, RObject } from '../../store/db.js';
import { ZSet } from '../../store/zset.js';
import { decodeIntset, decodeListpack, decodeZiplist, decodeZipmap, encodeEntry, encodeIntset, encodeListpack } from './listpack.js';
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

registerTypeCodec(ObjType.List, {
  rdbTypes: [RdbType.List, RdbType.ListZiplist, RdbType.ListQuicklist, RdbType.ListQuicklist2],
  save(w: RdbWriter, o: RObject): number {
    const q = o.value as QuickList;
    // Split into nodes as Redis's quicklist does with list-max-listpack-size -2 (8 KB):
    // a new node starts when node bytes + element length + 8 would exceed 8192.
    const nodes: Buffer[][] = [];
    let cur: Buffer[] = [];
    let size = 0;
    for (const v of q) {
      if (cur.length > 0 && size + v.length + 8 > NODE_MAX_BYTES) {
        nodes.push(cur);
        cur = [];
      }
      if (cur.length === 0) size = 7;
      const e = encodeEntry(v);
      cur.push(e);
      size += e.length;
    }
    if (cur.length > 0) nodes.push(cur);
    w.len(nodes.length);
    for (const n of nodes) {
      w.len(2); // QUICKLIST_NODE_CONTAINER_PACKED
      w.string(encodeListpack([], n).toString('latin1'));
    }
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
