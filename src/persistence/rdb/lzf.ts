/**
 * LZF compression as liblzf (used by Redis for RDB strings when rdbcompression is on).
 * Format: a control byte < 32 starts a literal run of ctrl+1 bytes; otherwise the top 3 bits are
 * a match length - 2 (7: one more length byte follows) and the low 5 bits plus the next byte are
 * the back offset - 1 (up to 8192). Source: liblzf 3.6 lzf_c.c / lzf_d.c as vendored by Redis.
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;
const htab = new Int32Array(HSIZE);

/**
 * Compresses `input` into at most `maxOut` bytes.
 * @returns the compressed bytes, or null when they would not fit in `maxOut` (caller stores raw).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  const inLen = input.length;
  if (inLen < 3 || maxOut <= 0) return null;
  htab.fill(-1);
  const out = Buffer.allocUnsafe(maxOut + MAX_LIT + 4);
  let op = 1; // out[litStart] is the pending literal control byte
  let litStart = 0;
  let lit = 0;
  let ip = 0;
  while (ip < inLen - 2) {
    const h = (((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2]) * 2654435761) >>> (32 - HLOG);
    const ref = htab[h];
    htab[h] = ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFF && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 2;
      const maxLen = Math.min(inLen - ip - len, MAX_REF);
      do len++;
      while (len < maxLen && input[ref + len] === input[ip + len]);
      // close the literal run
      if (lit > 0) out[litStart] = lit - 1;
      else op--; // no literal: reuse the reserved control byte slot
      len -= 2;
      if (op + 3 + 1 >= maxOut) return null;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      ip += len + 2;
      litStart = op++;
      lit = 0;
      // re-hash the positions inside the match for better future matches
      for (let k = ip - len - 1; k < ip && k < inLen - 2; k++) {
        const hk = (((input[k] << 16) | (input[k + 1] << 8) | input[k + 2]) * 2654435761) >>> (32 - HLOG);
        htab[hk] = k;
      }
    } else {
      if (op >= maxOut) return null;
      out[op++] = input[ip++];
      if (++lit === MAX_LIT) {
        out[litStart] = MAX_LIT - 1;
        litStart = op++;
        lit = 0;
      }
    }
  }
  while (ip < inLen) {
    if (op >= maxOut) return null;
    out[op++] = input[ip++];
    if (++lit === MAX_LIT) {
      out[litStart] = MAX_LIT - 1;
      litStart = op++;
      lit = 0;
    }
  }
  if (lit > 0) out[litStart] = lit - 1;
  else op--;
  if (op > maxOut) return null;
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
      for (let i = 0; i < ctrl; i++) out[op++] = input[ip++];
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
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new Error('lzf: length mismatch');
  return out;
}
