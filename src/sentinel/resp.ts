/**
 * RESP for Sentinel mode: a request parser (multibulk and inline, as networking.c
 * processMultibulkBuffer/processInlineBuffer) and a reply builder that knows the client's
 * protocol (RESP2 flat arrays or RESP3 maps, as addReplyMapLen does). Kept apart from the data
 * server's parser and ReplyWriter so Sentinel mode never touches the server's hot path.
 */
import { splitArgs } from '../protocol/parser.js';

/** Largest request Sentinel accepts before closing the connection (bytes). */
const MAX_PENDING = 64 * 1024 * 1024;

/** Incremental request parser: feed bytes, then take whole argv arrays (latin1 strings). */
export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Protocol error text (without the leading "-"), set when the stream is malformed. */
  error: string | null = null;

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > MAX_PENDING) this.error = 'ERR Protocol error: too big request';
  }

  /** The next whole request, [] for an empty inline line, or null when more bytes are needed. */
  next(): string[] | null {
    if (this.error !== null || this.buf.length === 0) return null;
    if (this.buf[0] !== 0x2a) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return null;
      const line = this.buf.toString('latin1', 0, nl).replace(/\r$/, '');
      this.buf = this.buf.subarray(nl + 1);
      const args = splitArgs(line);
      if (args === null) {
        this.error = 'ERR Protocol error: unbalanced quotes in request';
        return null;
      }
      return args;
    }
    const nl = this.buf.indexOf('\r\n');
    if (nl < 0) return null;
    const n = Number(this.buf.toString('latin1', 1, nl));
    if (!Number.isInteger(n) || n > 1024 * 1024) {
      this.error = 'ERR Protocol error: invalid multibulk length';
      return null;
    }
    let p = nl + 2;
    const argv: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.buf.indexOf('\r\n', p);
      if (e < 0) return null;
      if (this.buf[p] !== 0x24) {
        this.error = `ERR Protocol error: expected '$', got '${String.fromCharCode(this.buf[p])}'`;
        return null;
      }
      const len = Number(this.buf.toString('latin1', p + 1, e));
      if (!Number.isInteger(len) || len < 0) {
        this.error = 'ERR Protocol error: invalid bulk length';
        return null;
      }
      if (e + 2 + len + 2 > this.buf.length) return null;
      argv.push(this.buf.toString('latin1', e + 2, e + 2 + len));
      p = e + 2 + len + 2;
    }
    this.buf = this.buf.subarray(p);
    return argv;
  }
}

/** Builds the reply bytes of one or more commands for a client speaking RESP `proto` (2 or 3). */
export class Reply {
  private parts: string[] = [];
  constructor(public proto: number) {}

  ok(): this {
    return this.status('OK');
  }
  status(s: string): this {
    this.parts.push(`+${s}\r\n`);
    return this;
  }
  /** An error line; `e` carries its code (e.g. "ERR ...", "NOGOODSLAVE ..."). */
  error(e: string): this {
    this.parts.push(`-${e}\r\n`);
    return this;
  }
  int(n: number | bigint): this {
    this.parts.push(`:${n}\r\n`);
    return this;
  }
  bulk(s: string | number): this {
    const v = String(s);
    this.parts.push(`$${Buffer.byteLength(v, 'latin1')}\r\n${v}\r\n`);
    return this;
  }
  nullBulk(): this {
    this.parts.push(this.proto === 3 ? '_\r\n' : '$-1\r\n');
    return this;
  }
  nullArray(): this {
    this.parts.push(this.proto === 3 ? '_\r\n' : '*-1\r\n');
    return this;
  }
  array(n: number): this {
    this.parts.push(`*${n}\r\n`);
    return this;
  }
  /** A map header: `%n` in RESP3, an array of 2n in RESP2 (addReplyMapLen). */
  map(n: number): this {
    this.parts.push(this.proto === 3 ? `%${n}\r\n` : `*${n * 2}\r\n`);
    return this;
  }
  /** A pushed message header: `>n` in RESP3, `*n` in RESP2. */
  push(n: number): this {
    this.parts.push(this.proto === 3 ? `>${n}\r\n` : `*${n}\r\n`);
    return this;
  }
  /** A verbatim text (INFO): `=` in RESP3, bulk in RESP2. */
  verbatim(s: string): this {
    if (this.proto === 3) this.parts.push(`=${Buffer.byteLength(s, 'latin1') + 4}\r\ntxt:${s}\r\n`);
    else this.bulk(s);
    return this;
  }
  raw(s: string): this {
    this.parts.push(s);
    return this;
  }
  /** Flat [k, v, k, v] pairs as a map of bulk strings. */
  pairs(kv: (string | number)[]): this {
    this.map(kv.length / 2);
    for (const x of kv) this.bulk(x);
    return this;
  }
  take(): Buffer {
    const b = Buffer.from(this.parts.join(''), 'latin1');
    this.parts = [];
    return b;
  }
  get empty(): boolean {
    return this.parts.length === 0;
  }
}
