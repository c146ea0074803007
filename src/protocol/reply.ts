/**
 * ReplyWriter: encodes RESP2 or RESP3 replies into one growable output buffer.
 *
 * One writer per client with pending output; the server flushes it with a single socket write per
 * batch. Strings passed as payload are latin1 (one char per byte), matching the parser. The RESP3
 * types (map, set, double, null, boolean, verbatim, push) degrade to their RESP2 forms as Redis 7.0
 * does (networking.c addReplyMapLen, addReplyDouble, addReplyNull, ...).
 * Source: RESP3 spec (github.com/antirez/RESP3/blob/master/spec.md), Redis 7.0 networking.c.
 */

declare global {
  interface Buffer {
    /** Node's fast latin1 encoder (one byte per char); returns bytes written. */
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}

/** The largest reply one command may build (bytes); beyond it the command fails instead of exhausting memory. */
export const MAX_REPLY_BYTES = 1024 * 1024 * 1024;

/** Formats a double as C's `%.17g` (Redis 7.0 addReplyDouble, ZSCORE and friends). */
export function formatDouble(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return 'inf';
  if (d === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return String(d);
  const exp = d.toExponential(16); // d.dddddddddddddddde[+-]x
  const ei = exp.indexOf('e');
  const e = Number.parseInt(exp.slice(ei + 1), 10);
  if (e < -4 || e >= 17) {
    let mant = exp.slice(0, ei);
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(e);
    return `${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  let s = d.toFixed(Math.max(0, 16 - e));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** A RESP encoder over a reusable Buffer; `resp` (2 or 3) selects the encoding of RESP3 types. */
export class ReplyWriter {
  buf: Buffer;
  pos = 0;
  resp: 2 | 3 = 2;
  /**
   * Called before the buffer grows to hold `size` bytes (the owner enforces its output limits
   * there: client-output-buffer-limit). Returning false discards the buffered output (the client
   * is being closed for it): the writer then keeps writing into the buffer it has, from position
   * 0, so a command whose reply is over the limit never builds that reply in memory.
   */
  overflow: ((size: number) => boolean) | null = null;
  /**
   * The next size (bytes) at which `overflow` is asked even though the buffer has room (the owner
   * sets it from the hook: its limit is checked every so many bytes, as Redis checks each new
   * 16 KB reply block); Infinity: only when the buffer must grow.
   */
  limitAt = Number.POSITIVE_INFINITY;
  /** min(buf.length, limitAt): `ensure` compares against this one number. */
  private room: number;
  /**
   * While not null, `[start, end)` pairs of the pushes written (pub/sub messages and
   * confirmations, invalidations): a command whose reply is silenced (CLIENT REPLY OFF/SKIP) keeps
   * them (Redis CLIENT_PUSHING). Emptied with every flush of the buffer.
   */
  pushSpans: number[] | null = null;
  private pushStart = 0;

  constructor(size = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
    this.room = size;
  }

  /** Makes room for `n` more bytes, doubling the buffer as needed. */
  ensure(n: number): void {
    if (this.pos + n > this.room) this.grow(n);
  }

  private grow(n: number): void {
    if (this.overflow !== null && !this.overflow(this.pos + n)) {
      // Output discarded: reuse the buffer (its bytes will never be sent).
      this.pos = 0;
      if (this.pushSpans !== null) this.pushSpans.length = 0;
    }
    const need = this.pos + n;
    if (need > this.buf.length) {
      if (need > MAX_REPLY_BYTES) throw new RangeError(`reply would exceed ${MAX_REPLY_BYTES} bytes`);
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const nb = Buffer.allocUnsafe(size);
      this.buf.copy(nb, 0, 0, this.pos);
      this.buf = nb;
    }
    this.setRoom();
  }

  private setRoom(): void {
    const len = this.buf.length;
    this.room = Math.min(this.limitAt, len);
  }

  /** Copies out the encoded bytes and resets the writer (keeps a buffer of at most `keep` bytes). */
  take(keep = 64 * 1024): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    if (this.pushSpans !== null) this.pushSpans.length = 0;
    if (this.buf.length > keep) this.buf = Buffer.allocUnsafe(keep);
    this.limitAt = Number.POSITIVE_INFINITY;
    this.setRoom();
    return out;
  }

  /**
   * The encoded bytes as a view of the internal buffer, for a write that may keep it.
   * Then call `written(kept)`: `kept` false (the socket copied the bytes synchronously) reuses the
   * buffer; true hands it to the socket and starts a fresh one. Saves take()'s copy per flush.
   */
  pending(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Resets after writing `pending()`; `kept`: the consumer still references the buffer (a new one
   * of the same size, at most `maxKeep`, replaces it). A buffer grown for big replies is kept up to
   * `maxKeep` bytes (beyond, one of `keep` bytes replaces it) and given back by trim() once its
   * flushes use less than half of it: a client reading big replies in a loop (LRANGE 0 599 × 16)
   * then reuses one buffer instead of growing a new one per batch (~200 KB of ArrayBuffers per
   * batch, which made V8 mark and compact the heap every ~100 ms).
   */
  written(kept: boolean, keep = 64 * 1024, maxKeep = 1024 * 1024): void {
    if (this.pos > this.peak) this.peak = this.pos;
    if (kept) this.buf = Buffer.allocUnsafe(Math.min(Math.max(this.buf.length, 2048), maxKeep));
    else if (this.buf.length > maxKeep) this.buf = Buffer.allocUnsafe(keep);
    this.pos = 0;
    if (this.pushSpans !== null) this.pushSpans.length = 0;
    this.limitAt = Number.POSITIVE_INFINITY;
    this.room = this.buf.length;
  }

  /** Most bytes a flush (written()) carried since the last trim(). */
  peak = 0;

  /**
   * Clients cron: a buffer over `keep` bytes with nothing pending whose flushes since the last
   * call used less than half of it is replaced by one of `keep` bytes (or the power-of-two
   * multiple of it that holds that peak). Resets the peak.
   */
  trim(keep = 64 * 1024): void {
    const len = this.buf.length;
    if (len > keep && this.pos === 0 && this.peak < len / 2) {
      let size = keep;
      while (size < this.peak) size *= 2;
      this.buf = Buffer.allocUnsafe(size);
      this.setRoom();
    }
    this.peak = 0;
  }

  private ascii(s: string): void {
    // Protocol text (numbers, type prefixes) is ASCII; latin1 write copies it byte per char.
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  /**
   * Writes a latin1 string's bytes (room already ensured): a byte loop for short strings, whose
   * cost is below latin1Write's binding call (~2x faster for 10 chars), latin1Write otherwise.
   */
  private str(s: string): void {
    const n = s.length;
    if (n <= 32) {
      const buf = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i);
      this.pos = p + n;
    } else {
      this.pos += this.buf.latin1Write(s, this.pos);
    }
  }

  /** Writes the decimal digits of an integer (room for 24 bytes ensured); no String() for 0 <= n < 2^32. */
  private int(n: number): void {
    if (n >>> 0 !== n) {
      this.ascii(String(n));
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    if (n < 10) {
      buf[p] = 48 + n;
      this.pos = p + 1;
      return;
    }
    p +=
      n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 10000
            ? 4
            : n < 100000
              ? 5
              : n < 1000000
                ? 6
                : n < 10000000
                  ? 7
                  : n < 100000000
                    ? 8
                    : n < 1000000000
                      ? 9
                      : 10;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + (n - q * 10);
      n = q;
    }
    buf[--p] = 48 + n;
  }

  private crlf(): void {
    // Two byte stores: writeUInt16LE is a JS function with range checks (~15% of LRANGE_100).
    const buf = this.buf;
    const p = this.pos;
    buf[p] = 13;
    buf[p + 1] = 10;
    this.pos = p + 2;
  }

  private header(prefix: number, n: number): void {
    this.ensure(24);
    this.buf[this.pos++] = prefix;
    if (typeof n === 'number') this.int(n);
    else this.ascii(String(n));
    this.crlf();
  }

  /** Writes pre-encoded RESP bytes (shared replies such as `+OK\r\n`). */
  raw(b: Buffer): void {
    const n = b.length;
    this.ensure(n);
    if (n <= 16) {
      // Shared replies are a few bytes: a loop beats copy()'s binding call.
      const buf = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) buf[p + i] = b[i];
    } else {
      b.copy(this.buf, this.pos);
    }
    this.pos += n;
  }

  /** `+OK`-style status reply; `s` must not contain CR or LF. */
  simple(s: string): void {
    this.ensure(s.length + 3);
    this.buf[this.pos++] = 43;
    this.pos += this.buf.latin1Write(s, this.pos);
    this.crlf();
  }

  /** `+OK` */
  ok(): void {
    this.raw(OK);
  }

  /** Error reply; `msg` is the full text such as `ERR syntax error`. CR/LF are replaced by spaces. */
  error(msg: string): void {
    if (msg.includes('\r') || msg.includes('\n')) msg = msg.replace(/[\r\n]/g, ' ');
    this.ensure(msg.length + 3);
    this.buf[this.pos++] = 45;
    this.pos += this.buf.latin1Write(msg, this.pos);
    this.crlf();
  }

  /** `:n` integer reply; n is a safe integer or a bigint (64-bit range). */
  integer(n: number | bigint): void {
    this.header(58, n as number);
  }

  /** Bulk string reply from a latin1 string. */
  bulk(s: string): void {
    const len = s.length;
    this.ensure(len + 24);
    this.buf[this.pos++] = 36;
    this.int(len);
    this.crlf();
    this.str(s);
    this.crlf();
  }

  /** Bulk string reply from the bytes b[start, end). */
  bulkSlice(b: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.ensure(len + 24);
    this.buf[this.pos++] = 36;
    this.int(len);
    this.crlf();
    const out = this.buf;
    if (len <= 64) {
      let p = this.pos;
      for (let i = start; i < end; i++) out[p++] = b[i];
    } else out.set(b.subarray(start, end), this.pos);
    this.pos += len;
    this.crlf();
  }

  /** Bulk string reply from bytes. */
  bulkBuffer(b: Buffer): void {
    this.ensure(b.length + 24);
    this.buf[this.pos++] = 36;
    this.ascii(String(b.length));
    this.crlf();
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    this.crlf();
  }

  /** A number sent as a bulk string (e.g. INCRBYFLOAT, CONFIG GET values). */
  bulkNumber(n: number | bigint): void {
    this.bulk(String(n));
  }

  /** Null bulk: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    this.raw(this.resp === 3 ? NULL3 : NULL_BULK);
  }

  /** Null array: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.raw(this.resp === 3 ? NULL3 : NULL_ARRAY);
  }

  /** Array header `*n`. */
  arrayLen(n: number): void {
    this.header(42, n);
  }

  /** Map header: `%n` in RESP3, `*2n` in RESP2 (n = number of key/value pairs). */
  mapLen(n: number): void {
    if (this.resp === 3) this.header(37, n);
    else this.header(42, n * 2);
  }

  /** Set header: `~n` in RESP3, `*n` in RESP2. */
  setLen(n: number): void {
    this.header(this.resp === 3 ? 126 : 42, n);
  }

  /**
   * Push header: `>n` in RESP3, `*n` in RESP2 (pub/sub messages). A push ends with `pushEnd()`
   * (it records the push's bytes while `pushSpans` is set).
   */
  pushLen(n: number): void {
    this.pushStart = this.pos;
    this.header(this.resp === 3 ? 62 : 42, n);
  }

  /** Ends the push begun by the last pushLen (see pushSpans). */
  pushEnd(): void {
    if (this.pushSpans !== null) this.pushSpans.push(this.pushStart, this.pos);
  }

  /**
   * Drops the bytes written since `start` but the pushes among them (recorded in pushSpans),
   * which move down to `start` in order: the reply of a command under CLIENT REPLY OFF/SKIP.
   */
  silenceSince(start: number): void {
    let w = start;
    const spans = this.pushSpans;
    if (spans !== null) {
      for (let i = 0; i < spans.length; i += 2) {
        const s = spans[i];
        const e = spans[i + 1];
        if (s < start || e > this.pos) continue;
        if (s !== w) this.buf.copy(this.buf, w, s, e);
        w += e - s;
      }
      spans.length = 0;
    }
    if (w < this.pos) this.pos = w;
  }

  /** Double: `,d` in RESP3, a bulk string in RESP2, formatted as `%.17g` (Redis 7.0 addReplyDouble). */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 3) {
      this.ensure(s.length + 3);
      this.buf[this.pos++] = 44;
      this.ascii(s);
      this.crlf();
    } else {
      this.bulk(s);
    }
  }

  /** Boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? TRUE3 : FALSE3);
    else this.raw(b ? ONE : ZERO);
  }

  /** Verbatim string: `=len\r\ntxt:...` in RESP3, a bulk string in RESP2 (INFO, CLIENT LIST). */
  verbatim(s: string, format = 'txt'): void {
    if (this.resp !== 3) {
      this.bulk(s);
      return;
    }
    this.ensure(s.length + 32);
    this.buf[this.pos++] = 61;
    this.ascii(String(s.length + 4));
    this.crlf();
    this.ascii(format);
    this.buf[this.pos++] = 58;
    this.pos += this.buf.latin1Write(s, this.pos);
    this.crlf();
  }

  /**
   * Reserves a place for an aggregate header whose length is known only after its elements are
   * written (Redis addReplyDeferredLen). Returns a mark for `setDeferred*`.
   */
  deferLen(): number {
    return this.pos;
  }

  /** Inserts an array header at `mark` (moves the bytes written since). */
  setDeferredArrayLen(mark: number, n: number): void {
    this.insertHeader(mark, `*${n}\r\n`);
  }

  /** Inserts a map header at `mark`; n = number of pairs. */
  setDeferredMapLen(mark: number, n: number): void {
    this.insertHeader(mark, this.resp === 3 ? `%${n}\r\n` : `*${n * 2}\r\n`);
  }

  /** Inserts a set header at `mark`. */
  setDeferredSetLen(mark: number, n: number): void {
    this.insertHeader(mark, this.resp === 3 ? `~${n}\r\n` : `*${n}\r\n`);
  }

  private insertHeader(mark: number, h: string): void {
    this.ensure(h.length);
    this.buf.copy(this.buf, mark + h.length, mark, this.pos);
    this.buf.latin1Write(h, mark);
    this.pos += h.length;
  }
}

/** Shared pre-encoded replies (Redis createSharedObjects). */
export const OK = Buffer.from('+OK\r\n');
export const QUEUED = Buffer.from('+QUEUED\r\n');
export const PONG = Buffer.from('+PONG\r\n');
export const ZERO = Buffer.from(':0\r\n');
export const ONE = Buffer.from(':1\r\n');
export const NULL_BULK = Buffer.from('$-1\r\n');
export const NULL_ARRAY = Buffer.from('*-1\r\n');
export const EMPTY_ARRAY = Buffer.from('*0\r\n');
export const NULL3 = Buffer.from('_\r\n');
const TRUE3 = Buffer.from('#t\r\n');
const FALSE3 = Buffer.from('#f\r\n');
