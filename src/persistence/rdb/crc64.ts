/**
 * CRC-64/Jones as Redis computes it (reflected polynomial 0xad93d23594c935a9, init 0, no final
 * xor; check value of "123456789" is 0xe9c6d914c4b8d9ca). Used for the RDB trailer and the
 * DUMP payload footer. The 64-bit state is kept in two uint32 halves to avoid BigInt per byte.
 * Source: Redis 7.0 src/crc64.c.
 */

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
// Reflected form of the Jones polynomial 0xad93d23594c935a9.
const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x95ac9329;

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const bit = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (bit) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLE_LO[i] = lo;
  TABLE_HI[i] = hi;
}

/** A running CRC64 state: update with chunks, read with `value` (8 bytes, little-endian in files). */
export class Crc64 {
  lo = 0;
  hi = 0;

  /** Feeds bytes `buf[start, end)`. */
  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = start; i < end; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      const nlo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      const nhi = hi >>> 8;
      lo = (nlo ^ TABLE_LO[idx]) >>> 0;
      hi = (nhi ^ TABLE_HI[idx]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The checksum as 8 little-endian bytes (how Redis stores it on little-endian hosts). */
  bytesLE(): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(this.lo, 0);
    b.writeUInt32LE(this.hi, 4);
    return b;
  }

  /** The checksum as a BigInt (for tests and messages). */
  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/** CRC64 of `buf[start, end)` as 8 little-endian bytes. */
export function crc64(buf: Uint8Array, start = 0, end = buf.length): Buffer {
  return new Crc64().update(buf, start, end).bytesLE();
}
