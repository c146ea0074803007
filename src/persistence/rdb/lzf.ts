/**
 * LZF compression as liblzf (used by Redis for RDB strings when rdbcompression is on).
 * Format: a control byte < 32 starts a literal run of ctrl+1 bytes; otherwise the top 3 bits are
 * a match length - 2 (7: one more length byte follows) and the low 5 bits plus the next byte are
 * the back offset - 1 (up to 8192). Source: liblzf 3.6 lzf_c.c / lzf_d.c as vendored by Redis.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;
/** Hash slot → last input position with that hash (0: none, as position 0 is never a match source). */
const htab = new Int32Array(HSIZE);
/** Call number that last wrote each slot: a slot from an older call reads as empty (no memset per call). */
const hgen = new Uint32Array(HSIZE);
let gen = 0;

/** liblzf's IDX(h): hash of the 3-byte window kept in `h`. */
function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - h * 5) & (HSIZE - 1); // VERY_FAST variant
}

/**
 * Compresses `input` into at most `maxOut` bytes, mirroring liblzf 3.6's lzf_compress with
 * Redis's settings (HLOG 16, VERY_FAST), so the output is byte-identical to Redis's.
 * @returns the compressed bytes, or null when they would not fit in `maxOut` (caller stores raw).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  const inLen = input.length;
  if (inLen === 0 || maxOut <= 0) return null;
  if (++gen === 0xffffffff) {
    hgen.fill(0);
    gen = 1;
  }
  const out = Buffer.allocUnsafe(maxOut + 4);
  const inEnd = inLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run
  let hval = inLen >= 2 ? (input[0] << 8) | input[1] : 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    const ref = hgen[slot] === gen ? htab[slot] : 0;
    htab[slot] = ip;
    hgen[slot] = gen;
    const off = ip - ref - 1;
    if (
      ref > 0 &&
      off < MAX_OFF &&
      off >= 0 &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      if (op + 3 + 1 >= maxOut) return null;
      // liblzf checks up to 16 bytes unrolled (without the maxlen bound) before the bounded loop.
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // now #octets - 1
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the last two positions of the match
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      const s1 = idx(hval);
      htab[s1] = ip;
      hgen[s1] = gen;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      const s2 = idx(hval);
      htab[s2] = ip;
      hgen[s2] = gen;
      ip++;
    } else {
      if (op >= maxOut) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > maxOut) return null; // at most 3 bytes can be missing here
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/**
 * Decompresses LZF data into exactly `outLen` bytes.
 * @throws Error on malformed input (bad back reference, overrun, wrong length).
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    let ctrl = input[ip++];
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > inLen) throw new Error('lzf: literal overrun');
      if (ctrl > 8) {
        out.set(input.subarray(ip, ip + ctrl), op);
        op += ctrl;
        ip += ctrl;
      } else for (let i = 0; i < ctrl; i++) out[op++] = input[ip++];
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inLen) throw new Error('lzf: truncated');
      if (len === 7) {
        len += input[ip++];
        if (ip >= inLen) throw new Error('lzf: truncated');
      }
      ref -= input[ip++];
      len += 2;
      if (op + len > outLen) throw new Error('lzf: output overrun');
      if (ref < 0) throw new Error('lzf: bad back reference');
      if (len > 8 && ref + len <= op) {
        out.copyWithin(op, ref, ref + len); // no overlap: one memmove
        op += len;
      } else for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new Error('lzf: length mismatch');
  return out;
}
