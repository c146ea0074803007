/**
 * RESP request parser: bytes from a socket in, argv frames out.
 *
 * Follows Redis 7.0 `networking.c` (processMultibulkBuffer, processInlineBuffer): multibulk
 * (`*N\r\n$len\r\n...`) and inline commands, resumable at any byte boundary, many frames per
 * read. Arguments are returned as latin1 strings (one char per byte), so every byte value
 * 0..255 round-trips and the strings serve directly as keyspace Map keys.
 *
 * No imports from the store or server: this module only knows bytes.
 */
import {
  PROTO_INVALID_BULK,
  PROTO_INVALID_MBULK,
  PROTO_TOO_BIG_BULK,
  PROTO_TOO_BIG_INLINE,
  PROTO_TOO_BIG_MBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MBULK,
  PROTO_UNBALANCED_QUOTES,
  protoExpectedDollar,
} from '../errors.js';

/** Longest inline request or header line Redis accepts without a newline (PROTO_INLINE_MAX_SIZE), bytes. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Bulk strings at least this long are gathered chunk by chunk and joined once (PROTO_MBULK_BIG_ARG), bytes. */
const PROTO_MBULK_BIG_ARG = 32 * 1024;
/** Redis's read size (PROTO_IOBUF_LEN): the room its query buffer makes before a read, bytes. */
const PROTO_IOBUF_LEN = 16 * 1024;
/** Redis shrinks a query buffer larger than this when its recent peak is under half of it (PROTO_RESIZE_THRESHOLD). */
const PROTO_RESIZE_THRESHOLD = 32 * 1024;
/** sds greedy growth doubles up to this length, then adds it (SDS_MAX_PREALLOC), bytes. */
const SDS_MAX_PREALLOC = 1024 * 1024;

/** The parser's argv between commands (never written: a multibulk header allocates a fresh one). */
const NO_ARGV: string[] = [];
const EMPTY = Buffer.alloc(0);

declare global {
  interface Buffer {
    /** Node's latin1 decoder without toString's encoding dispatch (one char per byte). */
    latin1Slice(start: number, end: number): string;
  }
}

/** Limits applied while parsing; all sizes in bytes. */
export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk string accepted (default 512mb). */
  maxBulkLen: number;
  /** client-query-buffer-limit: the most unparsed bytes held for one client (default 1gb). */
  maxQueryBuffer: number;
}

/**
 * One client's query buffer and parse state.
 *
 * Usage: `feed(chunk)`, then call `next()` until it returns null. After a null, `error` is set if
 * the input was malformed (reply it, then close the connection, as Redis does) and
 * `overLimit` is true when the query buffer limit was exceeded (close without reply).
 */
export class RespParser {
  /** Protocol error text (without `-`), set when parsing must stop. */
  error: string | null = null;
  /** True when more than maxQueryBuffer bytes are waiting unparsed. */
  overLimit = false;
  /** Whether the client may send large frames; unauthenticated clients are limited as in Redis. */
  authenticated = true;

  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Chunks waiting for `need` bytes in total before they are joined. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  private need = 0;
  /** Multibulk state: args still to read (-1: not inside a multibulk), args so far, current bulk length. */
  private mbulkLeft = -1;
  private argv: string[] = NO_ARGV;
  /** Arguments stored in `argv` so far (it is allocated at its final length). */
  private argc = 0;
  private bulkLen = -1;
  /** The last command name parsed (argv[0]), reused when the next one has the same bytes. */
  private lastName = '';
  /** `buf` is a chunk lent by the caller (feed with borrowed) until release(). */
  private borrowed = false;
  /**
   * Redis's accounting of its query buffer for this client (CLIENT LIST qbuf-free, tot-mem): the
   * allocation its sds would have (bytes) and its recent peak length, replayed from the reads and
   * frames seen (networking.c readQueryFromClient, processMultibulkBuffer; server.c
   * clientsCronResizeQueryBuffer). Keydra itself reads into one shared buffer and keeps only an
   * exact copy of the unparsed bytes.
   */
  qbAlloc = 0;
  qbPeak = 0;

  constructor(public limits: ParserLimits) {}

  /** Bytes received and not yet parsed. */
  get pending(): number {
    return this.buf.length - this.pos + this.partsLen;
  }

  /**
   * Redis's `qbuf`: the bytes in the query buffer. Between reads these are the unparsed bytes;
   * while the commands of a read run, also those already parsed (Redis trims after the batch).
   */
  get queryBufferLength(): number {
    return this.buf.length + this.partsLen;
  }

  /**
   * Complete arguments of the multibulk command being read (Redis keeps them in c->argv while the
   * rest arrives): their count, and their byte lengths summed (argv_len_sum). 0 between commands.
   */
  get partialArgc(): number {
    return this.mbulkLeft > 0 ? this.argc : 0;
  }

  get partialArgvBytes(): number {
    if (this.mbulkLeft <= 0) return 0;
    let n = 0;
    for (let i = 0; i < this.argc; i++) n += this.argv[i].length;
    return n;
  }

  /** The length of the bulk string being read (its header is parsed, not all its bytes yet), or -1. */
  get bulkInProgress(): number {
    return this.mbulkLeft > 0 ? this.bulkLen : -1;
  }

  /**
   * Redis clientsCronResizeQueryBuffer on the accounted allocation: with more than 4 KB free, the
   * buffer shrinks to its content after 2 s idle (`idleSeconds` > 2), or to its recent peak when
   * it is over 32 KB and twice that peak; then the peak restarts from the current length.
   */
  cronResize(idleSeconds: number): void {
    const len = this.buf.length - this.pos + this.partsLen;
    const bulk = this.bulkInProgress;
    if (this.qbAlloc - len > 4096) {
      if (idleSeconds > 2) this.qbAlloc = len;
      else if (this.qbAlloc > PROTO_RESIZE_THRESHOLD && this.qbAlloc / 2 > this.qbPeak) {
        let resize = Math.max(len, this.qbPeak);
        if (bulk !== -1 && resize < bulk) resize = bulk;
        this.qbAlloc = resize;
      }
    }
    this.qbPeak = Math.max(bulk, len);
  }

  /** Accounts a read of `n` bytes as Redis's readQueryFromClient grows its query buffer. */
  private accountRead(n: number): void {
    const len = this.buf.length - this.pos + this.partsLen;
    let alloc = this.qbAlloc;
    // Inside a big bulk Redis reserved room for all of it (below); otherwise it makes room for a
    // 16 KB read: exactly at first (non-greedy), doubling once the buffer has 16 KB.
    if (this.need === 0 && alloc - len < PROTO_IOBUF_LEN) {
      if (alloc < PROTO_IOBUF_LEN) alloc = len + PROTO_IOBUF_LEN;
      else {
        const l = len + PROTO_IOBUF_LEN;
        alloc = l < SDS_MAX_PREALLOC ? l * 2 : l + SDS_MAX_PREALLOC;
      }
    }
    // Keydra reads up to 64 KB at once, Redis 16 KB: the buffer holds what was read.
    const after = len + n;
    if (after > alloc) alloc = after;
    if (alloc !== this.qbAlloc) this.qbAlloc = sdsUsable(alloc);
    if (after > this.qbPeak) this.qbPeak = after;
  }

  /**
   * Appends a chunk read from the socket. The chunk must not be modified afterwards, unless
   * `borrowed`: then it is only valid until `release()`, which the caller must call before
   * reusing it (a shared read buffer): the parser parses from it in place and copies only the
   * bytes still unparsed at release.
   */
  feed(chunk: Buffer, borrowed = false): void {
    this.accountRead(chunk.length);
    if (this.need > 0) {
      this.parts.push(borrowed ? Buffer.from(chunk) : chunk);
      this.partsLen += chunk.length;
      if (this.buf.length - this.pos + this.partsLen >= this.need) this.joinParts();
    } else if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
      this.borrowed = borrowed;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
      this.borrowed = false;
    }
    if (this.pending > this.limits.maxQueryBuffer) this.overLimit = true;
  }

  /** Ends the loan of a chunk fed with `borrowed`: copies the bytes not parsed yet, drops the rest. */
  release(): void {
    if (!this.borrowed) {
      // Parsed bytes of an owned buffer are dropped too (Redis trims its query buffer after a read).
      if (this.pos > 0) {
        this.buf = this.pos >= this.buf.length ? EMPTY : this.buf.subarray(this.pos);
        this.pos = 0;
      }
      return;
    }
    this.borrowed = false;
    if (this.pos >= this.buf.length) this.buf = EMPTY;
    else this.buf = Buffer.from(this.buf.subarray(this.pos));
    this.pos = 0;
  }

  private joinParts(): void {
    this.parts.unshift(this.buf.subarray(this.pos));
    this.buf = Buffer.concat(this.parts);
    this.pos = 0;
    this.borrowed = false;
    this.parts = [];
    this.partsLen = 0;
    this.need = 0;
  }

  /** Drops parsed bytes and any partial state (RESET, or after the connection is closed). */
  clear(): void {
    this.qbAlloc = 0;
    this.qbPeak = 0;
    this.buf = EMPTY;
    this.borrowed = false;
    this.pos = 0;
    this.parts = [];
    this.partsLen = 0;
    this.need = 0;
    this.mbulkLeft = -1;
    this.argv = NO_ARGV;
    this.argc = 0;
    this.bulkLen = -1;
  }

  /**
   * Parses the next complete command.
   * @returns argv (at least one element), or null when more bytes are needed or on error
   *   (then `error` is set). Empty inline lines and `*0`/`*-1` frames are skipped.
   */
  next(): string[] | null {
    if (this.error !== null || this.need > 0) return null;
    for (;;) {
      if (this.mbulkLeft < 0) {
        if (this.pos >= this.buf.length) return null;
        if (this.buf[this.pos] !== 42 /* '*' */) {
          const argv = this.parseInline();
          if (argv === null) return null;
          if (argv.length === 0) continue;
          return argv;
        }
        const whole = this.wholeFrame();
        if (whole !== null) return whole;
        const n = this.readHeaderNumber(1, PROTO_TOO_BIG_MBULK);
        if (n === null) return null;
        // Redis 7.0 accepts counts up to INT_MAX; the array grows as arguments arrive.
        if (!(n <= 0x7fffffff)) return this.fail(PROTO_INVALID_MBULK);
        if (!this.authenticated && n > 10) return this.fail(PROTO_UNAUTH_MBULK);
        if (n <= 0) continue;
        this.mbulkLeft = n;
        this.argv = new Array(Math.min(n, 1024));
        this.argc = 0;
      }
      while (this.mbulkLeft > 0) {
        const buf = this.buf;
        if (this.bulkLen < 0) {
          if (this.pos >= buf.length) return null;
          const prefix = buf[this.pos];
          // As Redis, the line is complete before its first byte is checked.
          const len = this.readHeaderNumber(1, PROTO_TOO_BIG_BULK);
          if (len === null) return null;
          if (prefix !== 36 /* '$' */) return this.fail(protoExpectedDollar(String.fromCharCode(prefix)));
          if (!(len >= 0) || len > this.limits.maxBulkLen) return this.fail(PROTO_INVALID_BULK);
          if (!this.authenticated && len > 16384) return this.fail(PROTO_UNAUTH_BULK);
          this.bulkLen = len;
        }
        const end = this.pos + this.bulkLen;
        if (end + 2 > this.buf.length) {
          if (this.bulkLen >= PROTO_MBULK_BIG_ARG) {
            // Gather the rest without re-concatenating on every read.
            this.need = this.bulkLen + 2;
            // Redis makes room for the whole bulk in its query buffer.
            if (this.qbAlloc < this.need) this.qbAlloc = sdsUsable(this.need);
            this.buf = this.buf.subarray(this.pos);
            this.pos = 0;
          }
          return null;
        }
        if (this.argc === 0) this.argv[this.argc++] = this.commandName(this.pos, end);
        else this.argv[this.argc++] = latin1String(buf, this.pos, end);
        this.pos = end + 2;
        this.bulkLen = -1;
        this.mbulkLeft--;
      }
      this.mbulkLeft = -1;
      // The next multibulk header allocates a fresh array; this one now belongs to the caller
      // (not kept here: a big command's arguments must not stay alive until the next one).
      const argv = this.argv;
      this.argv = NO_ARGV;
      return argv;
    }
  }

  /**
   * The common case in one pass over local variables: a well-formed multibulk frame at `pos`
   * whose bytes are all buffered. @returns its argv (pos moved past it), or null with no state
   * changed when anything is unusual (incomplete, empty, negative or over-limit counts, bad
   * bytes): `next` then parses the frame step by step, resumably, with Redis's errors.
   */
  private wholeFrame(): string[] | null {
    const buf = this.buf;
    const len = buf.length;
    let p = this.pos + 1;
    let n = 0;
    let c = 0;
    const start = p;
    for (; p < len && (c = buf[p]) >= 48 && c <= 57; p++) n = n * 10 + c - 48;
    if (p === start || p - start > 7 || p + 1 >= len || c !== 13 || buf[start] === 48) return null;
    if (n === 0 || n > 1024 * 1024 || (!this.authenticated && n > 10)) return null;
    p += 2;
    const maxLen = this.authenticated ? this.limits.maxBulkLen : Math.min(16384, this.limits.maxBulkLen);
    const argv: string[] = new Array(n);
    for (let j = 0; j < n; j++) {
      if (p >= len || buf[p] !== 36 /* '$' */) return null;
      const first = ++p;
      let l = 0;
      for (; p < len && (c = buf[p]) >= 48 && c <= 57; p++) l = l * 10 + c - 48;
      if (p === first || p - first > 15 || p + 1 >= len || c !== 13 || l > maxLen) return null;
      if (buf[first] === 48 && p - first > 1) return null; // leading zero: string2ll refuses it
      p += 2;
      const end = p + l;
      if (end + 2 > len) return null;
      argv[j] = j === 0 ? this.commandName(p, end) : latin1String(buf, p, end);
      p = end + 2;
    }
    this.pos = p;
    return argv;
  }

  /**
   * Where the second argument (most commands' first key) of each whole multibulk frame buffered
   * from the parse position lies, as [start, end) pairs of `buffer` offsets into `out`, for up to
   * `out.length / 2` frames and spans: the keyspace reads ahead of the commands with them
   * (Db.prefetch). MSET's and MGET's other keys are spans too (a single MSET of 10 keys then has
   * its 10 lookups' cache misses overlapped).
   * Read-only (no parse state changes, no allocation); stops at the first frame that is not whole
   * or not plain (the parser then handles it). Frames without a second argument are passed over.
   * @returns the number of frames scanned (the commands the spans cover); `spanCount` is the
   *   number of spans written.
   */
  keySpans(out: Int32Array): number {
    this.spanCount = 0;
    if (this.mbulkLeft >= 0 || this.need > 0) return 0;
    const buf = this.buf;
    const len = buf.length;
    const max = out.length >> 1;
    let p = this.pos;
    let frames = 0;
    let k = 0;
    let c = 0;
    // A frame starts only while there is room for its spans: the next read-ahead starts after it.
    while (frames < max && k < max && p < len && buf[p] === 42 /* '*' */) {
      const first = ++p;
      let n = 0;
      for (; p < len && (c = buf[p]) >= 48 && c <= 57; p++) n = n * 10 + c - 48;
      if (p === first || p - first > 7 || c !== 13 || p + 1 >= len) break;
      p += 2;
      // Arguments after the first that are keys too: every 2nd (MSET) or every one (MGET).
      let step = 0;
      let j = 0;
      for (; j < n; j++) {
        if (p >= len || buf[p] !== 36 /* '$' */) break;
        const f = ++p;
        let l = 0;
        for (; p < len && (c = buf[p]) >= 48 && c <= 57; p++) l = l * 10 + c - 48;
        if (p === f || p - f > 15 || c !== 13) break;
        p += 2;
        const end = p + l;
        if (end + 2 > len) break;
        if (j === 0 && l === 4 && (buf[p] | 32) === 109 /* m */ && (buf[p + 2] | 32) === 101 && (buf[p + 3] | 32) === 116) {
          const c1 = buf[p + 1] | 32;
          step = c1 === 115 /* mSet */ ? 2 : c1 === 103 /* mGet */ ? 1 : 0;
        } else if ((j === 1 || (step !== 0 && (j - 1) % step === 0)) && k < max) {
          out[2 * k] = p;
          out[2 * k + 1] = end;
          k++;
        }
        p = end + 2;
      }
      if (j < n) break;
      frames++;
    }
    this.spanCount = k;
    return frames;
  }

  /** Spans the last keySpans() wrote. */
  spanCount = 0;

  /** The buffer keySpans' offsets point into (valid until the next parse call or release). */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * argv[0] of a multibulk: the previous command name's string when the bytes are the same (the
   * common case: a client repeats a few commands), so no new string is allocated and its hash,
   * cached by V8 on the string, is not recomputed by the command table lookup.
   */
  private commandName(start: number, end: number): string {
    const last = this.lastName;
    const n = end - start;
    if (n === last.length && n <= 32) {
      const buf = this.buf;
      let i = 0;
      while (i < n && buf[start + i] === last.charCodeAt(i)) i++;
      if (i === n) return last;
    }
    const name = this.buf.latin1Slice(start, end);
    this.lastName = name;
    return name;
  }

  private fail(msg: string): null {
    this.error = msg;
    return null;
  }

  /**
   * Reads `<prefix><number>\r\n` at pos (prefix of `skip` bytes). @returns the number (NaN when
   * it is not one by Redis's string2ll) and advances, or null if the line is incomplete (or too
   * long: error set). As Redis's strchr(querybuf, '\r'), a NUL byte before the CR hides it.
   */
  private readHeaderNumber(skip: number, tooBig: string): number | null {
    // A byte loop instead of buf.indexOf(13): headers are a few bytes and indexOf's argument
    // checks and binding call cost more than the scan (parser profile, redis-benchmark -P 16).
    const buf = this.buf;
    const len = buf.length;
    const first = this.pos + skip;
    let i = this.pos;
    let c = 0;
    while (i < len && (c = buf[i]) !== 13 && c !== 0) i++;
    if (i >= len - 1 || c === 0) {
      // No CR yet, or CR is the last byte: wait for more (unless the line is already too long).
      if (len - this.pos > PROTO_INLINE_MAX_SIZE) return this.fail(tooBig);
      return null;
    }
    this.pos = i + 2;
    return string2ll(buf, first, i);
  }

  /** Parses one inline command line (Redis processInlineBuffer + sdssplitargs). */
  private parseInline(): string[] | null {
    const buf = this.buf;
    let nl = buf.indexOf(10, this.pos);
    // Redis finds the newline with strchr: a NUL byte before it hides it.
    for (let i = this.pos; i < nl; i++) {
      if (buf[i] === 0) {
        nl = -1;
        break;
      }
    }
    if (nl < 0) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) return this.fail(PROTO_TOO_BIG_INLINE);
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === 13) end--;
    const line = buf.toString('latin1', this.pos, end);
    this.pos = nl + 1;
    const argv = splitArgs(line);
    if (argv === null) return this.fail(PROTO_UNBALANCED_QUOTES);
    return argv;
  }
}

/**
 * The room an sds string made for `len` bytes really has (sdsMakeRoomFor takes malloc's usable
 * size): its header (3, 5 or 9 bytes by size) and terminator rounded up to jemalloc's size class
 * (four classes per power of two), less the header and terminator.
 */
function sdsUsable(len: number): number {
  const hdr = (len < 256 ? 3 : len < 65536 ? 5 : 9) + 1;
  const n = len + hdr;
  if (n <= 16) return (n <= 8 ? 8 : 16) - hdr;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step - hdr;
}

/**
 * Redis string2ll (util.c) over buf[s..e): an optional `-`, then `0` alone or digits without a
 * leading zero, within a signed 64-bit range (at most 20 bytes). @returns the value (precise
 * below 2^53, only its sign and magnitude matter to callers) or NaN when Redis would refuse it.
 */
function string2ll(buf: Buffer, s: number, e: number): number {
  const slen = e - s;
  if (slen === 0 || slen >= 21) return Number.NaN;
  if (slen === 1 && buf[s] === 48) return 0;
  let p = s;
  const negative = buf[p] === 45; /* '-' */
  if (negative) p++;
  if (p >= e || buf[p] < 49 || buf[p] > 57) return Number.NaN;
  const digits = e - p;
  let v = 0;
  for (let i = p; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  if (digits > 19) return Number.NaN;
  if (digits === 19) {
    // Compare with LLONG_MAX (LLONG_MIN's magnitude for a negative number) digit by digit.
    const limit = negative ? '9223372036854775808' : '9223372036854775807';
    for (let i = 0; i < 19; i++) {
      const d = buf[p + i] - limit.charCodeAt(i);
      if (d < 0) break;
      if (d > 0) return Number.NaN;
    }
  }
  return negative ? -v : v;
}

/**
 * The latin1 string of buf[s..e) (one char per byte). Arguments of up to 32 bytes (keys, small
 * values) are built with String.fromCharCode inside V8: Buffer#latin1Slice is a C++ binding call,
 * ~110 ns per argument whatever its length, the builtin ~30 ns for 3 bytes and ~60 ns for 16
 * (Node 20, parser profile of redis-benchmark SET -P 16). Longer arguments take latin1Slice.
 * Both produce the same flat one-byte string.
 */
// biome-ignore format: one case per line (the formatter would put each argument on its own line)
export function latin1String(b: Buffer, s: number, e: number): string {
  switch (e - s) {
    case 0: return '';
    case 1: return String.fromCharCode(b[s]);
    case 2: return String.fromCharCode(b[s], b[s + 1]);
    case 3: return String.fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    case 17: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16]);
    case 18: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17]);
    case 19: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18]);
    case 20: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19]);
    case 21: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20]);
    case 22: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21]);
    case 23: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22]);
    case 24: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23]);
    case 25: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24]);
    case 26: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25]);
    case 27: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26]);
    case 28: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27]);
    case 29: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28]);
    case 30: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29]);
    case 31: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29], b[s + 30]);
    case 32: return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20], b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29], b[s + 30], b[s + 31]);
  }
  return b.latin1Slice(s, e);
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Splits a line into arguments like Redis's sdssplitargs: whitespace separated, "double quoted"
 * with \n \r \t \b \a \\ \" \xHH escapes, 'single quoted' with \' escapes.
 * @returns the arguments, or null for unbalanced quotes (or a closing quote not followed by space).
 * Also used by the config file reader (redis.conf syntax).
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      const c = line[i];
      if (inDq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === 'x' && i + 3 < n + 0 && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          inDq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          inSq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else {
        if (i >= n || isSpace(c)) break;
        if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else cur += c;
      }
      i++;
    }
    out.push(cur);
  }
}

/** Quotes a latin1 byte string as Redis sdscatrepr: `"..."` with \\ \" \n \r \t \a \b and \xHH escapes. */
export function catRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += ch >= 0x20 && ch <= 0x7e ? s[i] : `\\x${ch.toString(16).padStart(2, '0')}`;
    }
  }
  return `${out}"`;
}
