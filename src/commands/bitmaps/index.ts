/**
 * Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
 *
 * Values are latin1 strings (one char per byte); bit 0 is the most significant bit of byte 0.
 * Writes that reach beyond the end grow the string with zero bytes (Redis sdsgrowzero). Bit
 * offsets are limited by proto-max-bulk-len (`ERR bit offset is not an integer or out of range`).
 * BITFIELD arithmetic follows Redis's int64/uint64 semantics with BigInt (wrapping, saturation,
 * FAIL). Notifications: `setbit` (SETBIT, BITFIELD), `set`/`del` (BITOP), class `$`/`g`.
 * Source: Redis 7.0 bitops.c.
 */
import { rawString } from '../strings/index.js';
import {
  ERR_BITFIELD_OVERFLOW_TYPE,
  ERR_BITFIELD_RO,
  ERR_BITFIELD_TYPE,
  ERR_BITOP_NOT,
  ERR_BITPOS_BIT,
  ERR_BIT_OFFSET,
  ERR_BIT_VALUE,
  ERR_NOT_INTEGER,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
} from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType } from '../../store/db.js';
import { isKeyword, parseInt64 } from '../args.js';
import type { CommandDef } from '../types.js';

/** V8's longest string (2^29 - 24 chars). */
const MAX_JS_STRING = (1 << 29) - 24;

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/**
 * Parses a bit offset (Redis getBitOffsetFromArgument). With `hash`, `#N` means N × bits.
 * Replies `ERR bit offset is not an integer or out of range` for malformed, negative or
 * offsets whose byte is at or beyond proto-max-bulk-len. @returns the offset in bits, or null.
 */
function bitOffsetOrReply(c: Client, arg: string, hash: boolean, bits: number): number | null {
  const usehash = hash && arg.length > 1 && arg.charCodeAt(0) === 35;
  const v = parseInt64(usehash ? arg.slice(1) : arg);
  if (v === null) {
    c.error(ERR_BIT_OFFSET);
    return null;
  }
  let off = BigInt(v);
  if (usehash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(c.server.config.num('proto-max-bulk-len'))) {
    c.error(ERR_BIT_OFFSET);
    return null;
  }
  return Number(off);
}

/** Set by stringForBitWrite: the key was created or its value lengthened. */
let grew = false;

/**
 * Looks up a string for a bit write reaching bit `maxbit` (Redis lookupStringForBitCommand):
 * replies WRONGTYPE for other types. @returns the current value zero-padded to cover maxbit's
 * byte, or null after replying.
 */
function stringForBitWrite(c: Client, key: string, maxbit: number): string | null {
  const o = c.db.lookupWrite(key);
  if (o !== undefined && o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return null;
  }
  const need = Math.floor(maxbit / 8) + 1;
  if (need > MAX_JS_STRING) {
    c.error(ERR_STRING_TOO_LONG);
    return null;
  }
  const s = o === undefined ? '' : (o.value as string);
  grew = o === undefined || s.length < need;
  return s.length >= need ? s : s + '\0'.repeat(need - s.length);
}

/** SETBIT key offset value: the bit's previous value (Redis setbitCommand). */
function setbitCommand(c: Client, argv: string[]): void {
  const off = bitOffsetOrReply(c, argv[2], false, 0);
  if (off === null) return;
  const on = parseInt64(argv[3]);
  if (on === null || (on !== 0 && on !== 1)) {
    c.error(ERR_BIT_VALUE);
    return;
  }
  const key = argv[1];
  const s = stringForBitWrite(c, key, off);
  if (s === null) return;
  const byte = Math.floor(off / 8);
  const bit = 7 - (off & 7);
  const byteval = s.charCodeAt(byte);
  const bitval = byteval & (1 << bit);
  const nb = (byteval & ~(1 << bit)) | ((on as number) << bit);
  // Redis 7.0.15: no write (nor propagation) when the key exists, keeps its length and the bit is unchanged.
  if (grew || nb !== byteval) {
    const ns = nb === byteval ? s : s.slice(0, byte) + String.fromCharCode(nb) + s.slice(byte + 1);
    const db = c.db;
    db.setKey(key, rawString(ns), true);
    c.server.notifyKeyspaceEvent('$', 'setbit', key, db.id);
    c.server.dirty++;
  }
  c.reply.integer(bitval !== 0 ? 1 : 0);
}

/** GETBIT key offset: the bit, 0 beyond the end or for a missing key (Redis getbitCommand). */
function getbitCommand(c: Client, argv: string[]): void {
  const off = bitOffsetOrReply(c, argv[2], false, 0);
  if (off === null) return;
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const s = o.value as string;
  const byte = Math.floor(off / 8);
  const bit = 7 - (off & 7);
  c.reply.integer(byte < s.length && (s.charCodeAt(byte) & (1 << bit)) !== 0 ? 1 : 0);
}

/** Parses an int64 argument or replies the integer error. Big values stay bigint. */
function int64OrReply(c: Client, arg: string): number | bigint | null {
  const v = parseInt64(arg);
  if (v === null) c.error(ERR_NOT_INTEGER);
  return v;
}

/** Converts a possibly-bigint offset to a number (beyond 2^53 only its sign matters after clamping). */
function toNum(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * BITCOUNT key [start end [BYTE|BIT]] (Redis 7.0 bitcountCommand): set bits in the range,
 * inclusive, negative from the end; a missing key is 0 before the range is parsed.
 */
function bitcountCommand(c: Client, argv: string[]): void {
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const p = o.value as string;
  const strlen = p.length;
  let start: number;
  let end: number;
  let firstMask = 0;
  let lastMask = 0;
  const argc = argv.length;
  if (argc === 4 || argc === 5) {
    let totlen = strlen;
    const s0 = int64OrReply(c, argv[2]);
    if (s0 === null) return;
    const e0 = int64OrReply(c, argv[3]);
    if (e0 === null) return;
    if (s0 < 0 && e0 < 0 && s0 > e0) {
      c.reply.integer(0);
      return;
    }
    let isbit = false;
    if (argc === 5) {
      if (isKeyword(argv[4], 'bit')) isbit = true;
      else if (!isKeyword(argv[4], 'byte')) {
        c.error(ERR_SYNTAX);
        return;
      }
    }
    if (isbit) totlen *= 8;
    const r = bitRange(toNum(s0), toNum(e0), totlen, isbit);
    start = r.start;
    end = r.end;
    firstMask = r.firstMask;
    lastMask = r.lastMask;
  } else if (argc === 2) {
    start = 0;
    end = strlen - 1;
  } else {
    c.error(ERR_SYNTAX);
    return;
  }
  if (start > end) {
    c.reply.integer(0);
    return;
  }
  let count = 0;
  for (let i = start; i <= end; i++) count += POPCOUNT[p.charCodeAt(i)];
  if (firstMask !== 0) count -= POPCOUNT[p.charCodeAt(start) & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[p.charCodeAt(end) & lastMask];
  c.reply.integer(count);
}

/** A BITCOUNT/BITPOS range as byte indexes, with the masks of bits to drop at either end. */
interface BitRange {
  start: number;
  end: number;
  /** Bits of the first byte before a BIT-unit start (0 for BYTE ranges). */
  firstMask: number;
  /** Bits of the last byte after a BIT-unit end (0 for BYTE ranges). */
  lastMask: number;
}

/**
 * Normalises a range as Redis 7.0 bitcountCommand/bitposCommand do: negative indexes count from
 * the end of `totlen` (bytes, or bits when `isbit`), then clamp to [0, totlen-1]; a BIT range is
 * turned into bytes plus edge masks. start > end means an empty range.
 */
function bitRange(start: number, end: number, totlen: number, isbit: boolean): BitRange {
  if (start < 0) start = totlen + start;
  if (end < 0) end = totlen + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= totlen) end = totlen - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isbit && start <= end) {
    firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
    lastMask = (1 << (7 - (end & 7))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  return { start, end, firstMask, lastMask };
}

/**
 * Position of the first `bit` in bytes [from, from+count) of `p` (Redis redisBitpos): -1 when
 * looking for 1 and none is found, count×8 when looking for 0 and none is found.
 */
function bitposBytes(p: string | number[], from: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  for (let i = 0; i < count; i++) {
    const b = typeof p === 'string' ? p.charCodeAt(from + i) : p[from + i];
    if (b === skip) continue;
    for (let j = 7; j >= 0; j--) {
      if (((b >> j) & 1) === bit) return i * 8 + (7 - j);
    }
  }
  return bit ? -1 : count * 8;
}

/**
 * The search of bitposCommand over bytes [start, end] with edge masks for BIT ranges, as Redis
 * 7.0 does it in up to three steps. @returns [position relative to the final start (or -1 / bytes×8
 * when not found), final start byte, bytes left].
 */
function bitposScan(p: string, start: number, end: number, firstMask: number, lastMask: number, bit: number): [number, number, number] {
  let bytes = end - start + 1;
  let pos: number;
  if (firstMask !== 0) {
    let t = bit ? p.charCodeAt(start) & ~firstMask : p.charCodeAt(start) | firstMask;
    if (lastMask !== 0 && bytes === 1) t = bit ? t & ~lastMask : t | lastMask;
    pos = bitposBytes([t & 0xff], 0, 1, bit);
    if (bytes === 1 || (pos !== -1 && pos !== 8)) return [pos, start, bytes];
    start++;
    bytes--;
  }
  const curbytes = bytes - (lastMask !== 0 ? 1 : 0);
  if (curbytes > 0) {
    pos = bitposBytes(p, start, curbytes, bit);
    if (bytes === curbytes || (pos !== -1 && pos !== curbytes * 8)) return [pos, start, bytes];
    start += curbytes;
    bytes -= curbytes;
  }
  const t = bit ? p.charCodeAt(end) & ~lastMask : p.charCodeAt(end) | lastMask;
  return [bitposBytes([t & 0xff], 0, 1, bit), start, bytes];
}

/**
 * BITPOS key bit [start [end [BYTE|BIT]]] (Redis 7.0 bitposCommand): the first bit set to `bit`
 * in the range; a clear bit may be found just past the end when no end is given; -1 otherwise.
 */
function bitposCommand(c: Client, argv: string[]): void {
  const bv = parseInt64(argv[2]);
  if (bv === null) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  if (bv !== 0 && bv !== 1) {
    c.error(ERR_BITPOS_BIT);
    return;
  }
  const bit = bv;
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) {
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const p = o.value as string;
  const strlen = p.length;
  const argc = argv.length;
  let start: number;
  let end: number;
  let endGiven = false;
  let firstMask = 0;
  let lastMask = 0;
  if (argc >= 4 && argc <= 6) {
    let totlen = strlen;
    const s0 = int64OrReply(c, argv[3]);
    if (s0 === null) return;
    let isbit = false;
    if (argc === 6) {
      if (isKeyword(argv[5], 'bit')) isbit = true;
      else if (!isKeyword(argv[5], 'byte')) {
        c.error(ERR_SYNTAX);
        return;
      }
    }
    if (argc >= 5) {
      const e0 = int64OrReply(c, argv[4]);
      if (e0 === null) return;
      end = toNum(e0);
      endGiven = true;
    } else if (isbit) end = totlen * 8 + 7;
    else end = totlen - 1;
    if (isbit) totlen *= 8;
    const r = bitRange(toNum(s0), end, totlen, isbit);
    start = r.start;
    end = r.end;
    firstMask = r.firstMask;
    lastMask = r.lastMask;
  } else if (argc === 3) {
    start = 0;
    end = strlen - 1;
  } else {
    c.error(ERR_SYNTAX);
    return;
  }
  if (start > end) {
    c.reply.integer(-1);
    return;
  }
  const [pos0, start1, bytes] = bitposScan(p, start, end, firstMask, lastMask, bit);
  let pos = pos0;
  if (endGiven && bit === 0 && pos === bytes * 8) {
    c.reply.integer(-1);
    return;
  }
  if (pos !== -1) pos += start1 * 8;
  c.reply.integer(pos);
}

const OP_AND = 0;
const OP_OR = 1;
const OP_XOR = 2;
const OP_NOT = 3;

/**
 * BITOP AND|OR|XOR|NOT destkey key [key ...] (Redis bitopCommand): stores the result, as long as
 * the longest source (shorter ones zero-padded); an empty result deletes destkey. Replies its length.
 */
function bitopCommand(c: Client, argv: string[]): void {
  const name = argv[1];
  let op: number;
  if (isKeyword(name, 'and')) op = OP_AND;
  else if (isKeyword(name, 'or')) op = OP_OR;
  else if (isKeyword(name, 'xor')) op = OP_XOR;
  else if (isKeyword(name, 'not')) op = OP_NOT;
  else {
    c.error(ERR_SYNTAX);
    return;
  }
  if (op === OP_NOT && argv.length !== 4) {
    c.error(ERR_BITOP_NOT);
    return;
  }
  const db = c.db;
  const srcs: string[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const o = db.lookupRead(argv[j]);
    if (o === undefined) {
      srcs.push('');
      continue;
    }
    if (o.type !== ObjType.String) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const s = o.value as string;
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  const target = argv[2];
  if (maxlen !== 0) {
    const res = Buffer.alloc(maxlen);
    const first = srcs[0];
    for (let i = 0; i < first.length; i++) res[i] = first.charCodeAt(i);
    if (op === OP_NOT) {
      for (let i = 0; i < maxlen; i++) res[i] = ~res[i];
    } else {
      for (let k = 1; k < srcs.length; k++) {
        const s = srcs[k];
        const n = s.length;
        if (op === OP_AND) {
          for (let i = 0; i < maxlen; i++) res[i] &= i < n ? s.charCodeAt(i) : 0;
        } else if (op === OP_OR) {
          for (let i = 0; i < n; i++) res[i] |= s.charCodeAt(i);
        } else {
          for (let i = 0; i < n; i++) res[i] ^= s.charCodeAt(i);
        }
      }
    }
    db.setKey(target, rawString(res.latin1Slice(0, maxlen)));
    c.server.notifyKeyspaceEvent('$', 'set', target, db.id);
    c.server.dirty++;
  } else if (db.delete(target)) {
    c.server.notifyKeyspaceEvent('g', 'del', target, db.id);
    c.server.dirty++;
  }
  c.reply.integer(maxlen);
}

// ---- BITFIELD ---------------------------------------------------------------------------

const BF_GET = 0;
const BF_SET = 1;
const BF_INCRBY = 2;
const OW_WRAP = 0;
const OW_SAT = 1;
const OW_FAIL = 2;

interface BitfieldOp {
  offset: number;
  value: bigint;
  opcode: number;
  owtype: number;
  bits: number;
  sign: boolean;
}

/** Reads `bits` bits from bit `offset` as an unsigned value; bytes beyond `len` read as 0. */
function getUnsigned(b: Uint8Array, len: number, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++, offset++) {
    const byte = Math.floor(offset / 8);
    const bv = byte < len ? (b[byte] >> (7 - (offset & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(bv);
  }
  return v;
}

/** Reads a two's-complement signed field (Redis getSignedBitfield). */
function getSigned(b: Uint8Array, len: number, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsigned(b, len, offset, bits));
}

/** Writes the low `bits` bits of `value` at bit `offset` (Redis setUnsignedBitfield). */
function setBits(b: Uint8Array, offset: number, bits: number, value: bigint): void {
  const v = BigInt.asUintN(64, value);
  for (let j = 0; j < bits; j++, offset++) {
    const bitval = Number((v >> BigInt(bits - 1 - j)) & 1n);
    const byte = Math.floor(offset / 8);
    const bit = 7 - (offset & 7);
    b[byte] = (b[byte] & ~(1 << bit)) | (bitval << bit);
  }
}

const I64_MAX = (1n << 63n) - 1n;

/** Redis checkUnsignedBitfieldOverflow. @returns [overflow (0, 1, -1), limit or wrapped value]. */
function checkUnsigned(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  const wrap = (): bigint => BigInt.asUintN(64, value + incr) & max;
  if (value > max || (incr > 0n && incr > maxincr)) {
    return [1, owtype === OW_WRAP ? wrap() : owtype === OW_SAT ? max : 0n];
  }
  if (incr < 0n && incr < minincr) {
    return [-1, owtype === OW_WRAP ? wrap() : 0n];
  }
  return [0, 0n];
}

/** Redis checkSignedBitfieldOverflow. @returns [overflow (0, 1, -1), limit or wrapped value]. */
function checkSigned(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = bits === 64 ? I64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = (): bigint => {
    let r = BigInt.asUintN(64, value + incr);
    if (bits < 64) r = BigInt.asIntN(bits, r);
    return BigInt.asIntN(64, r);
  };
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return [1, owtype === OW_WRAP ? wrap() : max];
  }
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return [-1, owtype === OW_WRAP ? wrap() : min];
  }
  return [0, 0n];
}

/**
 * BITFIELD / BITFIELD_RO key [GET type offset] [SET type offset value] [INCRBY type offset incr]
 * [OVERFLOW WRAP|SAT|FAIL] ... (Redis 7.0 bitfieldGeneric): one reply per GET/SET/INCRBY, nil for
 * an operation refused by OVERFLOW FAIL. Every argument is validated before anything runs.
 */
function bitfieldGeneric(c: Client, argv: string[], readonlyCmd: boolean): void {
  const ops: BitfieldOp[] = [];
  let owtype = OW_WRAP;
  let readonly = true;
  let highest = 0;
  const argc = argv.length;
  for (let j = 2; j < argc; j++) {
    const remargs = argc - j - 1;
    const sub = argv[j];
    let opcode: number;
    if (isKeyword(sub, 'get') && remargs >= 2) opcode = BF_GET;
    else if (isKeyword(sub, 'set') && remargs >= 3) opcode = BF_SET;
    else if (isKeyword(sub, 'incrby') && remargs >= 3) opcode = BF_INCRBY;
    else if (isKeyword(sub, 'overflow') && remargs >= 1) {
      const t = argv[++j];
      if (isKeyword(t, 'wrap')) owtype = OW_WRAP;
      else if (isKeyword(t, 'sat')) owtype = OW_SAT;
      else if (isKeyword(t, 'fail')) owtype = OW_FAIL;
      else {
        c.error(ERR_BITFIELD_OVERFLOW_TYPE);
        return;
      }
      continue;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
    const type = argv[j + 1];
    const t0 = type.charCodeAt(0);
    const sign = t0 === 105; // 'i'
    let rest = type.slice(1);
    const nul = rest.indexOf('\0');
    if (nul >= 0) rest = rest.slice(0, nul);
    const nb = t0 === 105 || t0 === 117 ? parseInt64(rest) : null;
    if (nb === null || nb < 1 || (sign && nb > 64) || (!sign && nb > 63)) {
      c.error(ERR_BITFIELD_TYPE);
      return;
    }
    const bits = nb as number;
    const offset = bitOffsetOrReply(c, argv[j + 2], true, bits);
    if (offset === null) return;
    let value = 0n;
    if (opcode !== BF_GET) {
      readonly = false;
      if (highest < offset + bits - 1) highest = offset + bits - 1;
      const v = parseInt64(argv[j + 3]);
      if (v === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      value = BigInt(v);
    }
    ops.push({ offset, value, opcode, owtype, bits, sign });
    j += opcode === BF_GET ? 2 : 3;
  }
  const key = argv[1];
  const db = c.db;
  let buf: Buffer;
  let len: number;
  let created = false;
  if (readonly) {
    const o = db.lookupRead(key);
    if (o !== undefined && o.type !== ObjType.String) {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const s = o === undefined ? '' : (o.value as string);
    // Only the bytes the GETs touch are copied.
    let maxByte = 0;
    for (const op of ops) maxByte = Math.max(maxByte, Math.floor((op.offset + op.bits - 1) / 8) + 1);
    len = Math.min(s.length, maxByte);
    buf = Buffer.from(s.length > len ? s.slice(0, len) : s, 'latin1');
  } else {
    if (readonlyCmd) {
      c.error(ERR_BITFIELD_RO);
      return;
    }
    const s = stringForBitWrite(c, key, highest);
    if (s === null) return;
    created = grew;
    buf = Buffer.from(s, 'latin1');
    len = buf.length;
  }
  c.reply.arrayLen(ops.length);
  let changes = 0;
  for (const op of ops) {
    if (op.opcode === BF_GET) {
      const v = op.sign ? getSigned(buf, len, op.offset, op.bits) : getUnsigned(buf, len, op.offset, op.bits);
      c.reply.integer(v);
      continue;
    }
    let newval: bigint;
    let retval: bigint;
    let overflow: number;
    let oldval: bigint;
    if (op.sign) {
      oldval = getSigned(buf, len, op.offset, op.bits);
      if (op.opcode === BF_INCRBY) {
        const [ov, wrapped] = checkSigned(oldval, op.value, op.bits, op.owtype);
        overflow = ov;
        newval = ov !== 0 ? wrapped : oldval + op.value;
        retval = newval;
      } else {
        newval = op.value;
        const [ov, wrapped] = checkSigned(newval, 0n, op.bits, op.owtype);
        overflow = ov;
        if (ov !== 0) newval = wrapped;
        retval = oldval;
      }
    } else {
      oldval = getUnsigned(buf, len, op.offset, op.bits);
      if (op.opcode === BF_INCRBY) {
        newval = BigInt.asUintN(64, oldval + op.value);
        const [ov, wrapped] = checkUnsigned(oldval, op.value, op.bits, op.owtype);
        overflow = ov;
        if (ov !== 0) newval = wrapped;
        retval = newval;
      } else {
        newval = BigInt.asUintN(64, op.value);
        const [ov, wrapped] = checkUnsigned(newval, 0n, op.bits, op.owtype);
        overflow = ov;
        if (ov !== 0) newval = wrapped;
        retval = oldval;
      }
      retval = BigInt.asIntN(64, retval);
    }
    if (!(overflow !== 0 && op.owtype === OW_FAIL)) {
      c.reply.integer(retval);
      setBits(buf, op.offset, op.bits, newval);
      // Redis 7.0.15 counts a change only for a new/grown string or a different value.
      if (created || oldval !== newval) changes++;
    } else {
      c.reply.nullBulk();
    }
  }
  if (created || changes !== 0) db.setKey(key, rawString(buf.latin1Slice(0, buf.length)), true);
  if (changes !== 0) {
    c.server.notifyKeyspaceEvent('$', 'setbit', key, db.id);
    c.server.dirty += changes;
  }
}

/** BITFIELD key [subcommands ...] (Redis bitfieldCommand). */
function bitfieldCommand(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, false);
}

/** BITFIELD_RO key [GET type offset ...] (Redis bitfieldroCommand): SET/INCRBY are refused. */
function bitfieldRoCommand(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, true);
}

/** The bitmap family, registered in src/commands/table.ts. */
const bitmaps: CommandDef[] = [
  { name: 'setbit', handler: setbitCommand },
  { name: 'getbit', handler: getbitCommand },
  { name: 'bitcount', handler: bitcountCommand },
  { name: 'bitpos', handler: bitposCommand },
  { name: 'bitop', handler: bitopCommand },
  { name: 'bitfield', handler: bitfieldCommand },
  { name: 'bitfield_ro', handler: bitfieldRoCommand },
];
export default bitmaps;
