/**
 * RDB version 10 (Redis 7.0) encoder and decoder.
 *
 * Layout: "REDIS0010", AUX fields (0xFA key value), per non-empty db SELECTDB (0xFE) + RESIZEDB
 * (0xFB), then entries [EXPIRETIME_MS 0xFC ms-LE64] type key value, EOF (0xFF) and the CRC64 of
 * everything before it (8 bytes LE). Strings are saved as int8/16/32 when they are canonical
 * integers, LZF-compressed when longer than 20 bytes and compression helps, else raw.
 * Values of types other than strings go through `typeCodecs`, which the type modules (lists,
 * hashes, sets, zsets) register; a type with no codec cannot be saved or loaded (clear error).
 * Source: Redis 7.0 rdb.c / rdb.h (rdbSaveLen, rdbSaveRawString, rdbSaveObject, rdbLoadObject).
 */
import { ObjType, RObject, type Keyspace } from '../../store/db.js';
import { INLINE_MAX } from '../../store/keyTable.js';
import { Crc64 } from './crc64.js';
import { lzfCompress, lzfDecompress } from './lzf.js';
import { latin1String } from '../../protocol/parser.js';

export const RDB_VERSION = 10;

export const enum RdbType {
  String = 0,
  List = 1,
  Set = 2,
  ZSet = 3,
  Hash = 4,
  ZSet2 = 5,
  HashZipmap = 9,
  ListZiplist = 10,
  SetIntset = 11,
  ZSetZiplist = 12,
  HashZiplist = 13,
  ListQuicklist = 14,
  StreamListpacks = 15,
  HashListpack = 16,
  ZSetListpack = 17,
  ListQuicklist2 = 18,
  StreamListpacks2 = 19,
}

export const enum RdbOp {
  Function2 = 0xf5,
  Function = 0xf6,
  ModuleAux = 0xf7,
  Idle = 0xf8,
  Freq = 0xf9,
  Aux = 0xfa,
  ResizeDb = 0xfb,
  ExpireTimeMs = 0xfc,
  ExpireTime = 0xfd,
  SelectDb = 0xfe,
  Eof = 0xff,
}

/** An error in an RDB file or DUMP payload; `offset` is the byte position where decoding failed. */
export class RdbError extends Error {
  constructor(
    message: string,
    public offset: number,
    /** The file's CRC64 does not match (Redis rdbReportCorruptRDB "RDB CRC error"). */
    public crcMismatch = false,
  ) {
    super(message);
  }
}

// ---- writer ------------------------------------------------------------------------------

/** An append-only byte buffer with RDB's primitive encodings. */
export class RdbWriter {
  buf: Buffer;
  pos = 0;
  /** Whether strings longer than 20 bytes may be LZF-compressed (rdbcompression). */
  compress = true;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A latin1 string's bytes, unencoded. */
  latin1(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian length. */
  len(n: number): void {
    if (n < 1 << 6) this.byte(n);
    else if (n < 1 << 14) {
      this.byte(0x40 | (n >> 8));
      this.byte(n & 0xff);
    } else if (n <= 0xffffffff) {
      this.byte(0x80);
      this.ensure(4);
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.byte(0x81);
      this.ensure(8);
      this.buf.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /** Milliseconds as 8 bytes little-endian (EXPIRETIME_MS). */
  int64LE(n: number): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(n), this.pos);
    this.pos += 8;
  }

  /** rdbSaveRawString: integer encoding when canonical, LZF when it helps, else length + bytes. */
  string(s: string): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const v = canonicalInt(s);
      if (v !== null) {
        if (v >= -128 && v <= 127) {
          this.byte(0xc0);
          this.byte(v & 0xff);
          return;
        }
        if (v >= -32768 && v <= 32767) {
          this.byte(0xc1);
          this.ensure(2);
          this.buf.writeInt16LE(v, this.pos);
          this.pos += 2;
          return;
        }
        if (v >= -2147483648 && v <= 2147483647) {
          this.byte(0xc2);
          this.ensure(4);
          this.buf.writeInt32LE(v, this.pos);
          this.pos += 4;
          return;
        }
      }
    }
    if (this.compress && n > 20) {
      this.rawBytes(Buffer.from(s, 'latin1'), n);
      return;
    }
    this.len(n);
    this.latin1(s);
  }

  /**
   * The first `n` bytes of `b` as an RDB string: LZF-compressed (0xc3, compressed and raw
   * lengths) when rdbcompression is on, the string is over 20 bytes and LZF saves at least 4,
   * else length-prefixed raw bytes. Source: Redis 7.0 rdb.c rdbSaveRawString / rdbSaveLzfStringObject.
   */
  rawBytes(b: Buffer, n: number): void {
    const raw = b.subarray(0, n);
    if (this.compress && n > 20) {
      const c = lzfCompress(raw, n - 4);
      if (c !== null) {
        this.byte(0xc3);
        this.len(c.length);
        this.len(n);
        this.bytes(c);
        return;
      }
    }
    this.len(n);
    this.bytes(raw);
  }

  /** A double as Redis's binary form (8 bytes little-endian IEEE 754), used by zsets. */
  binaryDouble(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** The bytes written so far (a view, not a copy). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** The value of `s` if it is an integer in canonical form (what ll2string would print back), else null. */
function canonicalInt(s: string): number | null {
  const c0 = s.charCodeAt(0);
  if (!((c0 >= 48 && c0 <= 57) || c0 === 45)) return null;
  if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === '-0') return null;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : null;
}

// ---- reader ------------------------------------------------------------------------------

/** A cursor over RDB bytes with the primitive decodings; every read is bounds-checked. */
export class RdbReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  fail(msg: string): never {
    throw new RdbError(msg, this.pos);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail('Unexpected EOF reading RDB file');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** rdbLoadLenByRef: @returns [length, isEncoded] — encoded means the low 6 bits name an encoding. */
  lenOrEnc(): [number, boolean] {
    const b = this.byte();
    const t = b >> 6;
    if (t === 0) return [b & 0x3f, false];
    if (t === 1) return [((b & 0x3f) << 8) | this.byte(), false];
    if (t === 3) return [b & 0x3f, true];
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return [v, false];
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('Length too large');
      return [Number(v), false];
    }
    return this.fail(`Unknown length encoding ${b} in rdbLoadLen()`);
  }

  len(): number {
    const [n, enc] = this.lenOrEnc();
    if (enc) this.fail('Unexpected encoded length');
    return n;
  }

  /** rdbGenericLoadStringObject: a string in any encoding, as latin1. */
  string(): string {
    const [n, enc] = this.lenOrEnc();
    if (enc) {
      switch (n) {
        case 0: {
          this.need(1);
          return String(this.buf.readInt8(this.pos++));
        }
        case 1: {
          this.need(2);
          const v = this.buf.readInt16LE(this.pos);
          this.pos += 2;
          return String(v);
        }
        case 2: {
          this.need(4);
          const v = this.buf.readInt32LE(this.pos);
          this.pos += 4;
          return String(v);
        }
        case 3: {
          const clen = this.len();
          const ulen = this.len();
          this.need(clen);
          const start = this.pos;
          this.pos += clen;
          try {
            return lzfDecompress(this.buf.subarray(start, start + clen), ulen).toString('latin1');
          } catch (e) {
            this.pos = start;
            return this.fail(`Invalid LZF compressed string (${(e as Error).message})`);
          }
        }
        default:
          return this.fail(`Unknown RDB string encoding type ${n}`);
      }
    }
    this.need(n);
    // Short strings (most keys and values) without the native call (protocol/parser.ts).
    const s = latin1String(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A plain (unencoded) string of at most `max` (< 64) bytes with a 6-bit length: skips it and
   * returns the offset of its bytes in `buf` (they end at `pos`). Anything else: -1, nothing read.
   */
  shortPlainString(max: number): number {
    const p = this.pos;
    if (p >= this.buf.length) return -1;
    const n = this.buf[p];
    if (n > max) return -1; // also every other length or encoding form (top bits set)
    this.need(1 + n);
    this.pos = p + 1 + n;
    return p + 1;
  }

  /** The raw bytes of a string (listpack/ziplist/intset blobs). */
  blob(): Buffer {
    return Buffer.from(this.string(), 'latin1');
  }

  int64LE(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  uint32LE(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  binaryDouble(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Old-style double: length byte then ASCII (253 nan, 254 +inf, 255 -inf). */
  asciiDouble(): number {
    const l = this.byte();
    if (l === 253) return Number.NaN;
    if (l === 254) return Number.POSITIVE_INFINITY;
    if (l === 255) return Number.NEGATIVE_INFINITY;
    this.need(l);
    const s = this.buf.toString('latin1', this.pos, this.pos + l);
    this.pos += l;
    return Number(s);
  }
}

// ---- type codecs -------------------------------------------------------------------------

/**
 * How one value type is saved and loaded. `save` writes the RDB type byte's value (returned) and
 * the payload; `load` reads the payload for the given RDB type byte and builds the RObject.
 */
export interface TypeCodec {
  /** Writes the value; @returns the RDB type byte to put before the key. */
  save(w: RdbWriter, o: RObject): number;
  /** RDB type bytes this codec reads. */
  rdbTypes: number[];
  load(r: RdbReader, rdbType: number): RObject;
}

/** Codecs by ObjType (save) and by RDB type byte (load). Strings are built in. */
export const typeCodecs = new Map<ObjType, TypeCodec>();
const loadCodecs = new Map<number, TypeCodec>();

/** Registers a value type's RDB codec (called by the type modules at import time). */
export function registerTypeCodec(type: ObjType, codec: TypeCodec): void {
  typeCodecs.set(type, codec);
  for (const t of codec.rdbTypes) loadCodecs.set(t, codec);
}

/** Writes the type byte's value and payload of one value (rdbSaveObjectType + rdbSaveObject). @returns the type byte. */
export function saveObject(w: RdbWriter, o: RObject, typeAt: number): void {
  if (o.type === ObjType.String) {
    w.buf[typeAt] = RdbType.String;
    w.string(o.value as string);
    return;
  }
  const codec = typeCodecs.get(o.type);
  if (codec === undefined) throw new Error(`RDB: no codec for value type ${o.type}`);
  const t = codec.save(w, o); // may grow (reallocate) w.buf: index it afterwards
  w.buf[typeAt] = t;
}

/** Writes type, key and value (the type byte is patched after the value is encoded). */
export function saveKeyValue(w: RdbWriter, key: string, o: RObject, expireMs: number): void {
  if (expireMs >= 0) {
    w.byte(RdbOp.ExpireTimeMs);
    w.int64LE(expireMs);
  }
  const at = w.pos;
  w.byte(0);
  w.string(key);
  saveObject(w, o, at);
}

/** Reads one value of the given RDB type byte (rdbLoadObject). */
export function loadObject(r: RdbReader, rdbType: number): RObject {
  if (rdbType === RdbType.String) return new RObject(ObjType.String, r.string());
  const codec = loadCodecs.get(rdbType);
  if (codec === undefined) return r.fail(`Unknown or unsupported RDB object type ${rdbType}`);
  return codec.load(r, rdbType);
}

/**
 * Redis 7 function libraries in RDB files (RDB_OPCODE_FUNCTION2 + the library code, saved after the
 * AUX fields and before the databases, as rdbSaveRio does). src/scripting/functions.ts registers it.
 */
export interface RdbFunctionsHook {
  /** The library codes of the server owning `ks`. */
  save(ks: Keyspace): string[];
  /**
   * Loads one library code for the server owning `ks`, replacing a library of the same name when
   * `replace` (else that is an error, as functionsCreateWithLibraryCtx without RDBFLAGS_ALLOW_DUP);
   * @returns null or the error text.
   */
  load(ks: Keyspace, code: string, replace: boolean): string | null;
}
let functionsHook: RdbFunctionsHook | null = null;

/** Installs the function-library hook used by encodeRdb / decodeRdb. */
export function registerFunctionsHook(h: RdbFunctionsHook): void {
  functionsHook = h;
}

/** The function library codes to save for the server owning `ks` (background snapshots). */
export function functionLibraries(ks: Keyspace): string[] {
  return functionsHook?.save(ks) ?? [];
}

// ---- whole files -------------------------------------------------------------------------

/** Options for `encodeRdb`. */
export interface RdbSaveOptions {
  compress?: boolean;
  /** Extra AUX fields, e.g. `aof-base: '1'` for an AOF base file. */
  aux?: Record<string, string>;
  /** used-mem AUX value in bytes. */
  usedMem?: number;
  /** rdbchecksum: false writes a zero CRC64 (Redis: checksum disabled). Default true. */
  checksum?: boolean;
}

/**
 * Serializes every db of the keyspace into an RDB file image (rdbSaveRio). Keys already expired
 * are saved as-is (Redis does the same; they expire on load). Synchronous: the returned buffer is
 * a consistent snapshot of the moment of the call.
 */
export function encodeRdb(ks: Keyspace, opts: RdbSaveOptions = {}): Buffer {
  const w = new RdbWriter(1 << 16);
  w.compress = opts.compress ?? true;
  w.latin1(`REDIS00${RDB_VERSION}`);
  const aux: [string, string][] = [
    ['redis-ver', '7.0.15'],
    ['redis-bits', '64'],
    ['ctime', String(Math.floor(Date.now() / 1000))],
    ['used-mem', String(opts.usedMem ?? process.memoryUsage().rss)],
    ['aof-base', '0'],
  ];
  for (const [k, v] of Object.entries(opts.aux ?? {})) {
    const i = aux.findIndex((a) => a[0] === k);
    if (i >= 0) aux[i][1] = v;
    else aux.push([k, v]);
  }
  for (const [k, v] of aux) {
    w.byte(RdbOp.Aux);
    w.string(k);
    w.string(v);
  }
  for (const code of functionsHook?.save(ks) ?? []) {
    w.byte(RdbOp.Function2);
    w.string(code);
  }
  for (const db of ks.dbs) {
    if (db.size === 0) continue;
    w.byte(RdbOp.SelectDb);
    w.len(db.id);
    w.byte(RdbOp.ResizeDb);
    w.len(db.size);
    w.len(db.expires.size);
    const expires = db.expires;
    for (const [key, o] of db.table) {
      const e = expires.size === 0 ? undefined : expires.get(key);
      saveKeyValue(w, key, o, e === undefined ? -1 : e);
    }
  }
  w.byte(RdbOp.Eof);
  const crc = opts.checksum === false ? Buffer.alloc(8) : new Crc64().update(w.buf, 0, w.pos).bytesLE();
  w.bytes(crc);
  return w.result();
}

/** What `decodeRdb` reports besides the loaded keys. */
export interface RdbLoadInfo {
  aux: Map<string, string>;
  keys: number;
  expiredSkipped: number;
  /** Bytes the RDB took (EOF and checksum included): an AOF with an RDB preamble continues with commands there. */
  end: number;
}

/**
 * Loads an RDB image into the keyspace (rdbLoadRio): keys are added to their db (replacing any
 * present), expired keys are skipped. Checks the magic, version (<= 10) and the CRC64 trailer
 * (a zero checksum means "not computed", as in Redis).
 * @throws RdbError naming the offset on any malformed input.
 */
export function decodeRdb(buf: Buffer, ks: Keyspace, now = Date.now(), checksum = true, allowDup = true): RdbLoadInfo {
  const steps = decodeRdbSteps(buf, ks, now, checksum, allowDup);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/**
 * `decodeRdb` as a generator for loading in slices: yields the byte offset reached every 1024
 * keys (the caller may give the event loop a turn) and returns the load info at EOF.
 * `checksum` false skips the CRC64 check (rdbchecksum no). `allowDup` (Redis RDBFLAGS_ALLOW_DUP,
 * the default here) lets a loaded key or function library replace an existing one; without it a
 * duplicate fails the load (DEBUG RELOAD NOFLUSH without MERGE), where Redis panics on a key.
 * @throws RdbError as decodeRdb.
 */
export function* decodeRdbSteps(
  buf: Buffer,
  ks: Keyspace,
  now = Date.now(),
  checksum = true,
  allowDup = true,
): Generator<number, RdbLoadInfo> {
  const win = new RdbStreamWindow();
  win.buf = buf;
  win.ended = true;
  return yield* decodeRdbStream(win, ks, { now, checksum, allowDup });
}

/**
 * The bytes of an RDB that arrive over time (a diskless replication transfer loaded while it
 * streams, as Redis's rdbLoadRio reads a socket): `push` the chunks as they come, set `ended`
 * after the last. `decodeRdbStream` parses from `buf` and, when a record runs past it, merges
 * the pushed chunks in (each byte is copied about once) or waits for more.
 */
export class RdbStreamWindow {
  /** Bytes not consumed yet; they start at stream offset `base`. */
  buf: Buffer = Buffer.alloc(0);
  base = 0;
  /** Chunks pushed since the last merge. */
  private pending: Buffer[] = [];
  pendingBytes = 0;
  /** No more bytes will come. */
  ended = false;
  /** The decoder waits for more bytes (it yielded RDB_NEED_MORE). */
  waiting = false;
  /** CRC64 of the bytes before `buf`. */
  readonly crc = new Crc64();

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /** Takes back the last `n` bytes pushed (or merged). */
  dropLast(n: number): void {
    let left = n;
    while (left > 0 && this.pending.length > 0) {
      const last = this.pending[this.pending.length - 1];
      if (last.length <= left) {
        this.pending.pop();
        this.pendingBytes -= last.length;
        left -= last.length;
      } else {
        this.pending[this.pending.length - 1] = last.subarray(0, last.length - left);
        this.pendingBytes -= left;
        left = 0;
      }
    }
    if (left > 0) this.buf = this.buf.subarray(0, Math.max(0, this.buf.length - left));
  }

  /** Drops buf[0, pos) (into the CRC) and appends the pushed chunks. */
  merge(pos: number): void {
    this.crc.update(this.buf, 0, pos);
    const rest = this.buf.subarray(pos);
    this.buf = rest.length === 0 && this.pending.length === 1 ? this.pending[0] : Buffer.concat([rest, ...this.pending]);
    this.base += pos;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Yielded by decodeRdbStream when it needs bytes not pushed yet. */
export const RDB_NEED_MORE = -1;

/**
 * Parses an RDB from a window whose bytes may still be arriving (see RdbStreamWindow). Yields
 * the stream offset reached every `stepKeys` keys (default 1024), or RDB_NEED_MORE when a record
 * runs past the bytes pushed so far: the caller resumes it after pushing more (or setting
 * `ended`). A record is parsed again from its start once more bytes are there, so nothing of it
 * takes effect before it is whole. Options as decodeRdbSteps. @throws RdbError as decodeRdb,
 * once `ended` (a truncated stream fails with "Unexpected EOF reading RDB file").
 */
export function* decodeRdbStream(
  win: RdbStreamWindow,
  ks: Keyspace,
  opts: { now?: number; checksum?: boolean; allowDup?: boolean; stepKeys?: number } = {},
): Generator<number, RdbLoadInfo> {
  const now = opts.now ?? Date.now();
  const checksum = opts.checksum ?? true;
  const allowDup = opts.allowDup ?? true;
  const stepKeys = opts.stepKeys ?? 1024;
  let r = new RdbReader(win.buf);
  const info: RdbLoadInfo = { aux: new Map(), keys: 0, expiredSkipped: 0, end: 0 };
  let db = ks.dbs[0];
  let expire = -1;
  let ver = 0;
  for (;;) {
    const start = r.pos;
    try {
      if (ver === 0) {
        r.need(9);
        const b = r.buf;
        if (b.toString('latin1', start, start + 5) !== 'REDIS') r.fail('Wrong signature trying to load DB from file');
        const v = Number(b.toString('latin1', start + 5, start + 9));
        if (!Number.isInteger(v) || v < 1 || v > RDB_VERSION) r.fail(`Can't handle RDB format version ${b.toString('latin1', start + 5, start + 9)}`);
        r.pos = start + 9;
        ver = v;
        continue;
      }
      const op = r.byte();
      switch (op) {
        case RdbOp.ExpireTimeMs:
          expire = r.int64LE();
          continue;
        case RdbOp.ExpireTime:
          expire = r.uint32LE() * 1000;
          continue;
        case RdbOp.Freq:
          r.byte();
          continue;
        case RdbOp.Idle:
          r.len();
          continue;
        case RdbOp.Eof: {
          if (ver >= 5) {
            const end = r.pos - 1;
            r.need(8);
            const stored = r.buf.subarray(r.pos, r.pos + 8);
            if (checksum && !stored.every((b) => b === 0)) {
              const crc = win.crc.update(r.buf, 0, r.pos).bytesLE();
              if (!crc.equals(stored)) {
                // rdbLoadRioWithLoadingCtx's text: both CRCs as the little-endian uint64 they are.
                const hex = (b: Buffer) => BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`).toString(16); // %llx
                throw new RdbError(`Wrong RDB checksum expected: (${hex(crc)}) but got (${hex(stored)}). Aborting now.`, win.base + end, true);
              }
            }
            r.pos += 8;
          }
          info.end = win.base + r.pos;
          return info;
        }
        case RdbOp.SelectDb: {
          const id = r.len();
          if (id >= ks.dbs.length)
            r.fail(`FATAL: Data file was created with a Redis server configured to handle more than ${ks.dbs.length} databases`);
          db = ks.dbs[id];
          continue;
        }
        case RdbOp.ResizeDb: {
          // Redis dictTryExpand: size the table for the keys that follow. A hint only: capped by
          // what the bytes there so far can hold (a key takes at least 3 bytes), so a corrupt
          // length cannot allocate gigabytes, and an allocation that fails is ignored.
          const keys = r.len();
          r.len();
          try {
            db.reserveKeys(Math.min(keys, Math.floor((r.buf.length - r.pos) / 3)));
          } catch {}
          continue;
        }
        case RdbOp.Aux: {
          const k = r.string();
          const v = r.string();
          info.aux.set(k, v);
          continue;
        }
        case RdbOp.ModuleAux:
          return r.fail('Module auxiliary data is not supported');
        case RdbOp.Function:
          // Pre-GA (7.0 release candidate) function format: skipped.
          r.string();
          continue;
        case RdbOp.Function2: {
          const code = r.string();
          const err = functionsHook === null ? null : functionsHook.load(ks, code, allowDup);
          if (err !== null) r.fail(`Failed loading library, ${err}`);
          continue;
        }
        default: {
          const key = r.string();
          // A short plain string value goes from the file's bytes into the table (no value
          // string or object): most keys of most datasets.
          const vs = op === RdbType.String ? r.shortPlainString(INLINE_MAX) : -1;
          const o = vs < 0 ? loadObject(r, op) : null;
          if (expire >= 0 && expire < now) info.expiredSkipped++;
          else {
            // One lookup for a new key: hasKey's answer is cached for add's insert.
            if (db.hasKey(key)) {
              if (!allowDup) r.fail(`RDB has duplicated key '${key}' in DB ${db.id}`);
              db.deleteKey(key);
            }
            if (o !== null) db.add(key, o);
            else db.addStringBytes(key, r.buf, vs, r.pos);
            if (expire >= 0) db.setExpire(key, expire);
            info.keys++;
          }
          expire = -1;
          if ((info.keys + info.expiredSkipped) % stepKeys === 0) yield win.base + r.pos;
        }
      }
    } catch (e) {
      // A record past the bytes there so far: wait until the pushed ones at least double what
      // the record had (or 64 KB), merge them, parse it again. Once ended, the error stands.
      if (win.ended && win.pendingBytes === 0) {
        if (e instanceof RdbError) e.offset += win.base;
        throw e;
      }
      for (;;) {
        const have = win.buf.length - start;
        if (win.ended || win.pendingBytes >= Math.max(65536, have)) break;
        win.waiting = true;
        yield RDB_NEED_MORE;
        win.waiting = false;
      }
      win.merge(start);
      r = new RdbReader(win.buf);
    }
  }
}

// ---- DUMP payloads -----------------------------------------------------------------------

/** DUMP's serialization: type byte, value, RDB version (2 bytes LE), CRC64 (8 bytes LE). */
export function dumpPayload(o: RObject): string {
  const w = new RdbWriter(64);
  w.byte(0);
  saveObject(w, o, 0);
  w.byte(RDB_VERSION & 0xff);
  w.byte(RDB_VERSION >> 8);
  w.bytes(new Crc64().update(w.buf, 0, w.pos).bytesLE());
  return w.result().toString('latin1');
}

/**
 * Verifies a DUMP payload's footer (verifyDumpPayload). @returns false if the version is newer
 * than ours or the CRC does not match.
 */
export function verifyDumpPayload(buf: Buffer): boolean {
  if (buf.length < 10) return false;
  const ver = buf[buf.length - 10] | (buf[buf.length - 9] << 8);
  if (ver > RDB_VERSION) return false;
  const crc = new Crc64().update(buf, 0, buf.length - 8).bytesLE();
  return crc.equals(buf.subarray(buf.length - 8));
}

/** Decodes a verified DUMP payload into a value. @throws RdbError if malformed. */
export function restorePayload(buf: Buffer): RObject {
  const r = new RdbReader(buf.subarray(0, buf.length - 10));
  const t = r.byte();
  const o = loadObject(r, t);
  if (r.pos !== r.buf.length) r.fail('Trailing bytes in DUMP payload');
  return o;
}
