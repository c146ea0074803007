/**
 * HyperLogLog structure, byte-compatible with Redis 7.0 (hyperloglog.c).
 *
 * A HyperLogLog is an ordinary string value: a 16-byte header (`HYLL`, encoding byte 0 = dense /
 * 1 = sparse, 3 unused bytes, 8-byte little-endian cached cardinality whose top bit set means
 * "stale"), then either 16384 six-bit registers packed LSB-first (12288 bytes, dense) or the sparse
 * run-length opcodes ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy` and VAL `1vvvvvxx`.
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19), computed on 32-bit halves.
 * Cardinality uses the estimator of Redis 5+ (Ertl's improved raw estimator, hllTau/hllSigma).
 * This module works on a mutable Buffer copy of the value (HllBuf) and never replies: the command
 * layer (src/commands/hyperloglog) turns -1 / false results into `INVALIDOBJ` errors.
 * Source: Redis 7.0 hyperloglog.c.
 */

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
export const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_SPARSE_VAL_MAX_VALUE = 32;
const HLL_SPARSE_VAL_MAX_LEN = 4;
const HLL_SPARSE_ZERO_MAX_LEN = 64;
const HLL_SPARSE_XZERO_MAX_LEN = 16384;
const HLL_ALPHA_INF = 0.7213475204444817;

// ---- MurmurHash64A on 32-bit halves ---------------------------------------------------------

let MH = 0;
let ML = 0;

/** 64-bit wrapping product (ah:al) × (bh:bl), result in MH:ML (unsigned 32-bit halves). */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const lo = a0 * b0 + (mid % 65536) * 65536;
  ML = lo >>> 0;
  MH = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / 4294967296) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/**
 * MurmurHash64A of a latin1 string (one byte per char) with a 32-bit seed, as Redis's
 * hyperloglog.c (little-endian reads). @returns [hi, lo] unsigned 32-bit halves.
 */
export function murmurHash64A(s: string, seed: number): [number, number] {
  murmur(s, seed);
  return [MH, ML];
}

/** MurmurHash64A into MH:ML (no allocation; the hot path of PFADD). */
function murmur(s: string, seed: number): void {
  const len = s.length;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hh = MH;
  let hl = (ML ^ seed) >>> 0;
  const nblocks = len - (len & 7);
  let i = 0;
  for (; i < nblocks; i += 8) {
    const kl = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
    const kh = (s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24)) >>> 0;
    mul64(kh, kl, M_HI, M_LO);
    let kH = MH;
    let kL = (ML ^ (MH >>> 15)) >>> 0;
    mul64(kH, kL, M_HI, M_LO);
    kH = MH;
    kL = ML;
    mul64((hh ^ kH) >>> 0, (hl ^ kL) >>> 0, M_HI, M_LO);
    hh = MH;
    hl = ML;
  }
  const rem = len & 7;
  if (rem !== 0) {
    for (let j = rem - 1; j >= 0; j--) {
      const byte = s.charCodeAt(i + j);
      if (j >= 4) hh = (hh ^ (byte << (8 * (j - 4)))) >>> 0;
      else hl = (hl ^ (byte << (8 * j))) >>> 0;
    }
    mul64(hh, hl, M_HI, M_LO);
    hh = MH;
    hl = ML;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, M_HI, M_LO);
  ML = (ML ^ (MH >>> 15)) >>> 0;
}

/** Register index of the last patLen call. */
let PAT_INDEX = 0;

/**
 * The register index (in PAT_INDEX) and the length of the 000..1 pattern of an element's hash
 * (1..HLL_Q+1), as Redis 7.0 hllPatLen.
 */
function patLen(ele: string): number {
  murmur(ele, 0xadc83b19);
  const hi = MH;
  const lo = ML;
  PAT_INDEX = lo & HLL_P_MASK;
  const nl = ((lo >>> HLL_P) | (hi << (32 - HLL_P))) >>> 0;
  const nh = (hi >>> HLL_P) | (1 << (HLL_Q - 32));
  if (nl !== 0) return 32 - Math.clz32(nl & -nl);
  return 32 + 32 - Math.clz32(nh & -nh);
}

/**
 * True if adding `ele` to the dense HLL string `s` would raise a register (read-only check, so
 * PFADD of already-counted elements copies nothing).
 */
export function denseStrWouldChange(s: string, ele: string): boolean {
  const count = patLen(ele);
  const bitpos = PAT_INDEX * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bitpos >>> 3);
  const fb = bitpos & 7;
  const b1 = byte + 1 < s.length ? s.charCodeAt(byte + 1) : 0;
  return count > (((s.charCodeAt(byte) >>> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX);
}

/**
 * Adds one element to a dense HLL string without copying it into a Buffer (PFADD's hot path):
 * splices the one or two changed register bytes and marks the cache stale.
 * @returns the new value, or null when no register changes.
 */
export function denseStrAddOne(s: string, ele: string): string | null {
  const count = patLen(ele);
  const bitpos = PAT_INDEX * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bitpos >>> 3);
  const fb = bitpos & 7;
  const fb8 = 8 - fb;
  const b0 = s.charCodeAt(byte);
  const hasNext = byte + 1 < s.length;
  const b1 = hasNext ? s.charCodeAt(byte + 1) : 0;
  if (count <= (((b0 >>> fb) | (b1 << fb8)) & HLL_REGISTER_MAX)) return null;
  const n0 = ((b0 & ~(HLL_REGISTER_MAX << fb)) | (count << fb)) & 0xff;
  let out: string;
  if (hasNext) {
    const n1 = ((b1 & ~(HLL_REGISTER_MAX >>> fb8)) | (count >>> fb8)) & 0xff;
    out = s.slice(0, byte) + String.fromCharCode(n0, n1) + s.slice(byte + 2);
  } else {
    out = s.slice(0, byte) + String.fromCharCode(n0);
  }
  const c15 = out.charCodeAt(15);
  if ((c15 & 0x80) === 0) out = out.slice(0, 15) + String.fromCharCode(c15 | 0x80) + out.slice(16);
  return out;
}

/** Exposed for tests: [register index, pattern length] of an element. */
export function hllPatLen(ele: string): [number, number] {
  const n = patLen(ele);
  return [PAT_INDEX, n];
}

// ---- dense registers --------------------------------------------------------------------------

/** Reads dense register `reg` from `b` whose registers start at `base` (HLL_DENSE_GET_REGISTER). */
export function denseGet(b: Uint8Array, base: number, reg: number): number {
  const bitpos = reg * HLL_BITS;
  const byte = base + (bitpos >>> 3);
  const fb = bitpos & 7;
  const b1 = byte + 1 < b.length ? b[byte + 1] : 0;
  return ((b[byte] >>> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

/** Writes dense register `reg` (HLL_DENSE_SET_REGISTER). */
export function denseSet(b: Uint8Array, base: number, reg: number, val: number): void {
  const bitpos = reg * HLL_BITS;
  const byte = base + (bitpos >>> 3);
  const fb = bitpos & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >>> fb8)) | (val >>> fb8);
}

// ---- estimator ----------------------------------------------------------------------------

/** Redis hllSigma: helper of the improved estimator (Ertl). */
function hllSigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Redis hllTau: helper of the improved estimator (Ertl). */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Cardinality from a register histogram (reghisto[v] = number of registers holding v); Redis hllCount. */
export function countFromHisto(reghisto: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - reghisto[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * hllSigma(reghisto[0] / m);
  const e = (HLL_ALPHA_INF * m * m) / z;
  return Math.round(e);
}

/** Cardinality of raw registers (one byte each, PFCOUNT of several keys). */
export function countRaw(regs: Uint8Array): number {
  const h = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) h[regs[i]]++;
  return countFromHisto(h);
}

// ---- values -------------------------------------------------------------------------------

const EMPTY_SPARSE = (() => {
  const b = Buffer.alloc(HLL_HDR_SIZE + 2);
  b.write('HYLL', 0, 'latin1');
  b[4] = HLL_SPARSE;
  const l = HLL_REGISTERS - 1;
  b[HLL_HDR_SIZE] = (l >> 8) | 0x40;
  b[HLL_HDR_SIZE + 1] = l & 0xff;
  return b.latin1Slice(0, b.length);
})();

/** A new empty HLL value (sparse: one XZERO run of 16384), Redis createHLLObject. */
export function createHll(): string {
  return EMPTY_SPARSE;
}

/**
 * True if a string value is a HyperLogLog Redis would accept (isHLLObjectOrReply): at least a
 * header, `HYLL` magic, encoding dense or sparse, and exactly HLL_DENSE_SIZE bytes when dense.
 */
export function isHll(s: string): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 72 || s.charCodeAt(1) !== 89 || s.charCodeAt(2) !== 76 || s.charCodeAt(3) !== 76) return false;
  const enc = s.charCodeAt(4);
  if (enc > HLL_SPARSE) return false;
  if (enc === HLL_DENSE && s.length !== HLL_DENSE_SIZE) return false;
  return true;
}

/** The encoding byte of a valid HLL string (HLL_DENSE or HLL_SPARSE). */
export function hllEncoding(s: string): number {
  return s.charCodeAt(4);
}

/** True when the cached cardinality of a valid HLL string is current (HLL_VALID_CACHE). */
export function hllCacheValid(s: string): boolean {
  return (s.charCodeAt(15) & 0x80) === 0;
}

/** The cached cardinality of an HLL string (little-endian uint64 at offset 8, below 2^53 in practice). */
export function hllCachedCard(s: string): number {
  let v = 0;
  for (let i = 15; i >= 8; i--) v = v * 256 + s.charCodeAt(i);
  return v;
}

/**
 * Merges an HLL string's registers into `max` (max[i] = max(max[i], reg[i])), Redis hllMerge.
 * @returns false when a sparse value does not cover exactly 16384 registers (corrupted).
 */
export function mergeInto(max: Uint8Array, s: string): boolean {
  if (hllEncoding(s) === HLL_DENSE) {
    const b = Buffer.from(s, 'latin1');
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, HLL_HDR_SIZE, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  const end = s.length;
  let p = HLL_HDR_SIZE;
  let i = 0;
  while (p < end) {
    const op = s.charCodeAt(p);
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | s.charCodeAt(p + 1)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >>> 2) & 31) + 1;
      if (runlen + i > HLL_REGISTERS) break;
      while (runlen-- > 0) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/**
 * A mutable working copy of an HLL value: `buf` holds `len` meaningful bytes (more capacity for
 * sparse growth). Build with `new HllBuf(value)`, mutate, read back with `toString()`.
 */
export class HllBuf {
  buf: Buffer;
  len: number;

  constructor(s: string) {
    this.len = s.length;
    const enc = s.charCodeAt(4);
    if (enc === HLL_DENSE) {
      this.buf = Buffer.from(s, 'latin1');
    } else {
      this.buf = Buffer.allocUnsafe(s.length + 64);
      this.buf.latin1Write(s, 0);
    }
  }

  /** The encoding byte. */
  get encoding(): number {
    return this.buf[4];
  }

  /** The value as a latin1 string. */
  toString(): string {
    return this.buf.latin1Slice(0, this.len);
  }

  /** Marks the cached cardinality stale (HLL_INVALIDATE_CACHE). */
  invalidateCache(): void {
    this.buf[15] |= 0x80;
  }

  /** Stores a cardinality in the header cache (little-endian uint64). */
  setCachedCard(card: number): void {
    let v = card;
    for (let i = 8; i < 16; i++) {
      this.buf[i] = v % 256;
      v = Math.floor(v / 256);
    }
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    const nb = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  /**
   * Converts a sparse value to dense in place (Redis hllSparseToDense); the header (magic and
   * cached cardinality) is kept. @returns false when the sparse opcodes are corrupted.
   */
  sparseToDense(): boolean {
    if (this.buf[4] === HLL_DENSE) return true;
    const src = this.buf;
    const dense = Buffer.alloc(HLL_DENSE_SIZE);
    src.copy(dense, 0, 0, HLL_HDR_SIZE);
    dense[4] = HLL_DENSE;
    const end = this.len;
    let p = HLL_HDR_SIZE;
    let idx = 0;
    while (p < end) {
      const op = src[p];
      if ((op & 0xc0) === 0) {
        idx += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        idx += (((op & 0x3f) << 8) | src[p + 1]) + 1;
        p += 2;
      } else {
        let runlen = (op & 3) + 1;
        const regval = ((op >>> 2) & 31) + 1;
        if (runlen + idx > HLL_REGISTERS) break;
        while (runlen-- > 0) {
          denseSet(dense, HLL_HDR_SIZE, idx, regval);
          idx++;
        }
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    this.buf = dense;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /** Sets a dense register to `count` if larger (Redis hllDenseSet). @returns 1 if changed, else 0. */
  denseSet(index: number, count: number): number {
    const old = denseGet(this.buf, HLL_HDR_SIZE, index);
    if (count > old) {
      denseSet(this.buf, HLL_HDR_SIZE, index, count);
      return 1;
    }
    return 0;
  }

  /**
   * Sets register `index` to `count` if larger in a sparse value (Redis 7.0 hllSparseSet),
   * splitting opcodes, merging adjacent equal VALs, and promoting to dense when `count` > 32 or
   * the value would grow beyond `maxBytes` (hll-sparse-max-bytes).
   * @returns 1 if changed, 0 if not, -1 when the value is corrupted.
   */
  sparseSet(index: number, count: number, maxBytes: number): number {
    if (count > HLL_SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    this.ensure(this.len + 3);
    const b = this.buf;
    let p = HLL_HDR_SIZE;
    let end = this.len;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      let oplen = 1;
      const op = b[p];
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if ((op & 0x80) !== 0) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p];
    const isXzero = (op & 0xc0) === 0x40;
    let next = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    let runlen: number;
    const isZero = (op & 0xc0) === 0;
    const isVal = (op & 0x80) !== 0;
    if (isZero) runlen = (op & 0x3f) + 1;
    else if (isXzero) runlen = (((op & 0x3f) << 8) | b[p + 1]) + 1;
    else runlen = (op & 3) + 1;

    let simple = false;
    if (isVal) {
      const oldcount = ((op >>> 2) & 31) + 1;
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        simple = true;
      }
    }
    if (!simple && isZero && runlen === 1) {
      b[p] = valOp(count, 1);
      simple = true;
    }
    if (!simple) {
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZero(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZero(seq, last - index);
      } else {
        const curval = ((op >>> 2) & 31) + 1;
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const seqlen = seq.length;
      const oldlen = isXzero ? 2 : 1;
      const deltalen = seqlen - oldlen;
      if (deltalen > 0 && this.len + deltalen > maxBytes) return this.promote(index, count);
      if (deltalen !== 0 && next >= 0) b.copyWithin(next + deltalen, next, end);
      this.len += deltalen;
      for (let i = 0; i < seqlen; i++) b[p + i] = seq[i];
      end += deltalen;
    }
    // Step 4: merge adjacent VAL opcodes with the same value, scanning up to 5 opcodes.
    p = prev >= 0 ? prev : HLL_HDR_SIZE;
    let scanlen = 5;
    while (p < end && scanlen-- > 0) {
      const o = b[p];
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      }
      if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1] & 0x80) !== 0) {
        const v1 = ((o >>> 2) & 31) + 1;
        const v2 = ((b[p + 1] >>> 2) & 31) + 1;
        if (v1 === v2) {
          const len = (o & 3) + 1 + (b[p + 1] & 3) + 1;
          if (len <= HLL_SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end);
            this.len--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  private promote(index: number, count: number): number {
    if (!this.sparseToDense()) return -1;
    this.denseSet(index, count);
    return 1;
  }

  /**
   * Adds an element (Redis hllAdd): hashes it and raises its register.
   * @returns 1 if a register changed, 0 if not, -1 when the value is corrupted.
   */
  add(ele: string, maxBytes: number): number {
    const count = patLen(ele);
    const index = PAT_INDEX;
    if (this.buf[4] === HLL_DENSE) return this.denseSet(index, count);
    if (this.buf[4] === HLL_SPARSE) return this.sparseSet(index, count, maxBytes);
    return -1;
  }

  /** Sets register `index` to `count` if larger, whatever the encoding (PFMERGE). @returns 1/0/-1. */
  set(index: number, count: number, maxBytes: number): number {
    if (this.buf[4] === HLL_DENSE) return this.denseSet(index, count);
    return this.sparseSet(index, count, maxBytes);
  }

  /**
   * Estimated cardinality (Redis hllCount). @returns the estimate, or -1 when a sparse value
   * does not cover exactly 16384 registers.
   */
  count(): number {
    const h = new Int32Array(64);
    const b = this.buf;
    if (b[4] === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) h[denseGet(b, HLL_HDR_SIZE, i)]++;
      return countFromHisto(h);
    }
    const end = this.len;
    let p = HLL_HDR_SIZE;
    let idx = 0;
    while (p < end) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        const r = (op & 0x3f) + 1;
        idx += r;
        h[0] += r;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const r = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        idx += r;
        h[0] += r;
        p += 2;
      } else {
        const r = (op & 3) + 1;
        idx += r;
        h[((op >>> 2) & 31) + 1] += r;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
    return countFromHisto(h);
  }

  /** The sparse opcodes as PFDEBUG DECODE prints them (`z:n`, `Z:n`, `v:value,len`). */
  decode(): string {
    const b = this.buf;
    const parts: string[] = [];
    let p = HLL_HDR_SIZE;
    while (p < this.len) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if ((op & 0xc0) === 0x40) {
        parts.push(`Z:${(((op & 0x3f) << 8) | b[p + 1]) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${((op >>> 2) & 31) + 1},${(op & 3) + 1}`);
        p++;
      }
    }
    return parts.join(' ');
  }
}

/** VAL opcode byte for value 1..32 and run length 1..4 (HLL_SPARSE_VAL_SET). */
function valOp(val: number, len: number): number {
  return (((val - 1) << 2) | (len - 1) | 0x80) & 0xff;
}

/** Appends a ZERO or XZERO opcode for a run of `len` zero registers. */
function pushZero(seq: number[], len: number): void {
  if (len > HLL_SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | 0x40, l & 0xff);
  } else {
    seq.push(len - 1);
  }
}

/** Exposed for PFSELFTEST: the XZERO run limit (16384). */
export const SPARSE_XZERO_MAX_LEN = HLL_SPARSE_XZERO_MAX_LEN;
