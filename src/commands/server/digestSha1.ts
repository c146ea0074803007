/**
 * SHA-1 for DEBUG DIGEST's many short inputs (Redis debug.c xorDigest / mixDigest hash every key,
 * type tag, value and element separately: about seven SHA-1s per key). node:crypto costs ~5 us per
 * call in object set-up alone, which made DEBUG DIGEST of 350k keys take 15 s (redis-server: well
 * under a second) and the replication suite's digest comparisons dominate its run time. This one
 * hashes inputs of one SHA-1 block (under 56 bytes: keys, small values, the 20-byte digests
 * themselves) from a reused scratch buffer with no allocation per call; longer ones go to
 * node:crypto, faster per byte.
 * Standard SHA-1 (FIPS 180-4); checked against node:crypto in test/unit/digestSha1.test.ts.
 */

/** Inputs at least this long need more than one block: node:crypto hashes them. */
const ONE_BLOCK = 56;

const crypto = () => process.getBuiltinModule('node:crypto');

/** Hashes latin1 strings and byte ranges; one instance holds the scratch state (not re-entrant). */
export class DigestSha1 {
  private buf: Buffer = Buffer.alloc(4096);
  private readonly w = new Int32Array(80);

  /** SHA-1 of the latin1 bytes of `s` (one byte per UTF-16 unit, as Buffer.from(s, 'latin1')) into out[0..20). */
  str(s: string, out: Uint8Array): void {
    const n = s.length;
    if (n >= ONE_BLOCK) {
      crypto().createHash('sha1').update(s, 'latin1').digest().copy(out);
      return;
    }
    this.ensure(n);
    const b = this.buf;
    if (n < 64) for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i);
    else b.latin1Write(s, 0, n);
    this.finish(n, out);
  }

  /** SHA-1 of src[off..off+len) into out[0..20) (out may be src: the input is copied first). */
  bytes(src: Uint8Array, off: number, len: number, out: Uint8Array): void {
    if (len >= ONE_BLOCK) {
      crypto().createHash('sha1').update(src.subarray(off, off + len)).digest().copy(out);
      return;
    }
    this.ensure(len);
    const b = this.buf;
    for (let i = 0; i < len; i++) b[i] = src[off + i];
    this.finish(len, out);
  }

  private ensure(n: number): void {
    if (n + 72 > this.buf.length) this.buf = Buffer.alloc(Math.max(n + 72, this.buf.length * 2));
  }

  /** Pads the n message bytes in buf, runs the compression function, writes the 20-byte result. */
  private finish(n: number, out: Uint8Array): void {
    const b = this.buf;
    const padded = (((n + 8) >> 6) + 1) << 6;
    b[n] = 0x80;
    for (let i = n + 1; i < padded - 8; i++) b[i] = 0;
    const hi = Math.floor(n / 0x20000000); // bit length's high 32 bits
    const lo = (n * 8) >>> 0;
    b[padded - 8] = hi >>> 24;
    b[padded - 7] = (hi >>> 16) & 0xff;
    b[padded - 6] = (hi >>> 8) & 0xff;
    b[padded - 5] = hi & 0xff;
    b[padded - 4] = lo >>> 24;
    b[padded - 3] = (lo >>> 16) & 0xff;
    b[padded - 2] = (lo >>> 8) & 0xff;
    b[padded - 1] = lo & 0xff;
    const w = this.w;
    let h0 = 0x67452301 | 0;
    let h1 = 0xefcdab89 | 0;
    let h2 = 0x98badcfe | 0;
    let h3 = 0x10325476 | 0;
    let h4 = 0xc3d2e1f0 | 0;
    for (let off = 0; off < padded; off += 64) {
      for (let i = 0; i < 16; i++) {
        const p = off + (i << 2);
        w[i] = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
      }
      for (let i = 16; i < 80; i++) {
        const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
        w[i] = (x << 1) | (x >>> 31);
      }
      let a = h0;
      let bb = h1;
      let c = h2;
      let d = h3;
      let e = h4;
      for (let i = 0; i < 80; i++) {
        let f: number;
        let k: number;
        if (i < 20) {
          f = (bb & c) | (~bb & d);
          k = 0x5a827999;
        } else if (i < 40) {
          f = bb ^ c ^ d;
          k = 0x6ed9eba1;
        } else if (i < 60) {
          f = (bb & c) | (bb & d) | (c & d);
          k = 0x8f1bbcdc | 0;
        } else {
          f = bb ^ c ^ d;
          k = 0xca62c1d6 | 0;
        }
        const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
        e = d;
        d = c;
        c = (bb << 30) | (bb >>> 2);
        bb = a;
        a = t;
      }
      h0 = (h0 + a) | 0;
      h1 = (h1 + bb) | 0;
      h2 = (h2 + c) | 0;
      h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0;
    }
    put32(out, 0, h0);
    put32(out, 4, h1);
    put32(out, 8, h2);
    put32(out, 12, h3);
    put32(out, 16, h4);
  }
}

function put32(out: Uint8Array, p: number, v: number): void {
  out[p] = v >>> 24;
  out[p + 1] = (v >>> 16) & 0xff;
  out[p + 2] = (v >>> 8) & 0xff;
  out[p + 3] = v & 0xff;
}
