/**
 * Listpack and intset blobs as Redis 7.0 stores them inside RDB values (lists, small hashes and
 * zsets; integer sets), plus a reader for the older ziplist blobs found in RDB files from Redis
 * before 7.0.
 * Listpack: total bytes (u32 LE), count (u16 LE, 65535 = unknown), entries, 0xFF. Each entry is
 * encoding+data followed by its length as a backwards-readable varint (backlen).
 * Source: Redis 7.0 listpack.c (lpEncodeString, lpEncodeIntegerGetType, lpEncodeBacklen,
 * lpGet), intset.c, ziplist.c.
 */

/** Whether `s` is an integer as Redis's string2ll accepts it (canonical form, fits int64). */
function asInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20) return null;
  if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === '-0') return null;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v;
}

/** Builds a listpack from latin1 strings (integers are stored in integer encodings, as lpAppend does). */
export function encodeListpack(items: Iterable<string>, entries?: Buffer[]): Buffer {
  if (entries) return assemble(entries);
  const parts: Buffer[] = [];
  for (const s of items) parts.push(encodeEntry(s));
  return assemble(parts);
}

function assemble(parts: Buffer[]): Buffer {
  let total = 6 + 1;
  const count = parts.length;
  for (const e of parts) total += e.length;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(Math.min(count, 65535), 4);
  let p = 6;
  for (const e of parts) {
    e.copy(out, p);
    p += e.length;
  }
  out[p] = 0xff;
  return out;
}

/** One listpack entry (encoding, data, backlen) for a latin1 string. */
export function encodeEntry(s: string): Buffer {
  const v = asInt64(s);
  let head: Buffer;
  if (v !== null) {
    if (v >= 0n && v <= 127n) head = Buffer.from([Number(v)]);
    else if (v >= -4096n && v <= 4095n) {
      const u = v < 0n ? (1 << 13) + Number(v) : Number(v);
      head = Buffer.from([0xc0 | (u >> 8), u & 0xff]);
    } else if (v >= -32768n && v <= 32767n) {
      head = Buffer.allocUnsafe(3);
      head[0] = 0xf1;
      head.writeInt16LE(Number(v), 1);
    } else if (v >= -8388608n && v <= 8388607n) {
      head = Buffer.allocUnsafe(4);
      head[0] = 0xf2;
      head.writeIntLE(Number(v), 1, 3);
    } else if (v >= -2147483648n && v <= 2147483647n) {
      head = Buffer.allocUnsafe(5);
      head[0] = 0xf3;
      head.writeInt32LE(Number(v), 1);
    } else {
      head = Buffer.allocUnsafe(9);
      head[0] = 0xf4;
      head.writeBigInt64LE(v, 1);
    }
  } else {
    const n = s.length;
    if (n < 64) {
      head = Buffer.allocUnsafe(1 + n);
      head[0] = 0x80 | n;
      head.write(s, 1, 'latin1');
    } else if (n < 4096) {
      head = Buffer.allocUnsafe(2 + n);
      head[0] = 0xe0 | (n >> 8);
      head[1] = n & 0xff;
      head.write(s, 2, 'latin1');
    } else {
      head = Buffer.allocUnsafe(5 + n);
      head[0] = 0xf0;
      head.writeUInt32LE(n, 1);
      head.write(s, 5, 'latin1');
    }
  }
  const l = head.length;
  const nb = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  const out = Buffer.allocUnsafe(l + nb);
  head.copy(out, 0);
  out[l] = nb === 1 ? l : Math.floor(l / 2 ** (7 * (nb - 1))) & 127;
  for (let i = 1; i < nb; i++) out[l + i] = (Math.floor(l / 2 ** (7 * (nb - 1 - i))) & 127) | 128;
  return out;
}

/** Reads every entry of a listpack as a latin1 string. @throws Error if malformed. */
export function decodeListpack(b: Buffer): string[] {
  if (b.length < 7 || b.readUInt32LE(0) !== b.length || b[b.length - 1] !== 0xff) throw new Error('invalid listpack header');
  const out: string[] = [];
  let p = 6;
  const end = b.length - 1;
  while (p < end) {
    const start = p;
    const c = b[p];
    let s: string;
    if (c < 0x80) {
      s = String(c);
      p += 1;
    } else if (c < 0xc0) {
      const n = c & 0x3f;
      s = b.toString('latin1', p + 1, p + 1 + n);
      p += 1 + n;
    } else if (c < 0xe0) {
      let u = ((c & 0x1f) << 8) | b[p + 1];
      if (u >= 1 << 12) u -= 1 << 13;
      s = String(u);
      p += 2;
    } else if (c < 0xf0) {
      const n = ((c & 0x0f) << 8) | b[p + 1];
      s = b.toString('latin1', p + 2, p + 2 + n);
      p += 2 + n;
    } else if (c === 0xf0) {
      const n = b.readUInt32LE(p + 1);
      s = b.toString('latin1', p + 5, p + 5 + n);
      p += 5 + n;
    } else if (c === 0xf1) {
      s = String(b.readInt16LE(p + 1));
      p += 3;
    } else if (c === 0xf2) {
      s = String(b.readIntLE(p + 1, 3));
      p += 4;
    } else if (c === 0xf3) {
      s = String(b.readInt32LE(p + 1));
      p += 5;
    } else if (c === 0xf4) {
      s = String(b.readBigInt64LE(p + 1));
      p += 9;
    } else throw new Error(`invalid listpack entry encoding ${c}`);
    const l = p - start;
    p += l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    if (p > end) throw new Error('listpack entry overruns');
    out.push(s);
  }
  return out;
}

/** Builds an intset blob from integer strings (sorted ascending by the caller). */
export function encodeIntset(members: string[]): Buffer {
  let width = 2;
  const vals = members.map((m) => BigInt(m));
  for (const v of vals) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.allocUnsafe(8 + width * vals.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(vals.length, 4);
  let p = 8;
  for (const v of vals) {
    if (width === 2) out.writeInt16LE(Number(v), p);
    else if (width === 4) out.writeInt32LE(Number(v), p);
    else out.writeBigInt64LE(v, p);
    p += width;
  }
  return out;
}

/** Reads an intset blob. @throws Error if malformed. */
export function decodeIntset(b: Buffer): string[] {
  if (b.length < 8) throw new Error('intset too short');
  const width = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if (![2, 4, 8].includes(width) || b.length !== 8 + width * n) throw new Error('invalid intset');
  const out: string[] = [];
  for (let i = 0, p = 8; i < n; i++, p += width) {
    out.push(width === 2 ? String(b.readInt16LE(p)) : width === 4 ? String(b.readInt32LE(p)) : String(b.readBigInt64LE(p)));
  }
  return out;
}

/** Reads every entry of a ziplist (RDB files of Redis < 7.0). @throws Error if malformed. */
export function decodeZiplist(b: Buffer): string[] {
  if (b.length < 11 || b.readUInt32LE(0) !== b.length || b[b.length - 1] !== 0xff) throw new Error('invalid ziplist header');
  const out: string[] = [];
  let p = 10;
  while (b[p] !== 0xff) {
    p += b[p] < 254 ? 1 : 5; // prevlen
    const c = b[p];
    const t = c >> 6;
    if (t === 0) {
      const n = c & 0x3f;
      out.push(b.toString('latin1', p + 1, p + 1 + n));
      p += 1 + n;
    } else if (t === 1) {
      const n = ((c & 0x3f) << 8) | b[p + 1];
      out.push(b.toString('latin1', p + 2, p + 2 + n));
      p += 2 + n;
    } else if (t === 2) {
      const n = b.readUInt32BE(p + 1);
      out.push(b.toString('latin1', p + 5, p + 5 + n));
      p += 5 + n;
    } else if (c === 0xc0) {
      out.push(String(b.readInt16LE(p + 1)));
      p += 3;
    } else if (c === 0xd0) {
      out.push(String(b.readInt32LE(p + 1)));
      p += 5;
    } else if (c === 0xe0) {
      out.push(String(b.readBigInt64LE(p + 1)));
      p += 9;
    } else if (c === 0xf0) {
      out.push(String(b.readIntLE(p + 1, 3)));
      p += 4;
    } else if (c === 0xfe) {
      out.push(String(b.readInt8(p + 1)));
      p += 2;
    } else if (c >= 0xf1 && c <= 0xfd) {
      out.push(String((c & 0x0f) - 1));
      p += 1;
    } else throw new Error(`invalid ziplist entry encoding ${c}`);
    if (p >= b.length) throw new Error('ziplist entry overruns');
  }
  return out;
}

/**
 * Decodes a zipmap (RDB_TYPE_HASH_ZIPMAP, hashes of RDB files from Redis < 2.6) into a flat
 * field, value, ... list: a count byte, then per entry a length-prefixed field and a
 * length-prefixed value followed by a free byte count and that many unused bytes; 0xFF ends it.
 * A length is one byte below 254, else 254 and a 32-bit little-endian length.
 * Source: Redis zipmap.c (zipmapDecodeLength, zipmapNext). @throws Error when malformed.
 */
export function decodeZipmap(b: Buffer): string[] {
  const out: string[] = [];
  let p = 1; // the count byte (254+ means "count it")
  const len = (): number => {
    if (p >= b.length) throw new Error('Zipmap: unexpected end');
    const first = b[p++];
    if (first < 254) return first;
    if (first === 254) {
      if (p + 4 > b.length) throw new Error('Zipmap: unexpected end');
      const n = b.readUInt32LE(p);
      p += 4;
      return n;
    }
    return -1; // 255: end
  };
  for (;;) {
    const klen = len();
    if (klen < 0) break;
    if (p + klen > b.length) throw new Error('Zipmap: field beyond the end');
    const field = b.toString('latin1', p, p + klen);
    p += klen;
    const vlen = len();
    if (vlen < 0) throw new Error('Zipmap: missing value');
    if (p >= b.length) throw new Error('Zipmap: unexpected end');
    const free = b[p++];
    if (p + vlen + free > b.length) throw new Error('Zipmap: value beyond the end');
    out.push(field, b.toString('latin1', p, p + vlen));
    p += vlen + free;
  }
  if (p !== b.length) throw new Error('Zipmap: trailing bytes');
  return out;
}
