/**
 * A tiny RESP2 client for the bench harness: one connection, one command at a time, plus
 * `encodeCommand` for pre-encoded requests. Not for load generation (see loadgen.ts).
 */
import net from 'node:net';

/** A decoded RESP2 reply: status/bulk strings, integers, nulls, arrays, or an Error for `-ERR`. */
export type Reply = string | number | null | Error | Reply[];

/** Encodes argv as a RESP multibulk request (latin1 arguments). */
export function encodeCommand(argv: (string | number)[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) {
    const v = String(a);
    s += `$${Buffer.byteLength(v, 'latin1')}\r\n${v}\r\n`;
  }
  return Buffer.from(s, 'latin1');
}

/**
 * Parses one reply from `buf` at `pos`. @returns [reply, nextPos], or null if incomplete.
 */
export function parseReply(buf: Buffer, pos: number): [Reply, number] | null {
  if (pos >= buf.length) return null;
  const cr = buf.indexOf(13, pos);
  if (cr < 0 || cr + 1 >= buf.length) return null;
  const type = buf[pos];
  const line = buf.toString('latin1', pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new Error(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: {
      // $
      const len = Number(line);
      if (len < 0) return [null, next];
      if (next + len + 2 > buf.length) return null;
      return [buf.toString('latin1', next, next + len), next + len + 2];
    }
    case 42: {
      // *
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      return [new Error(`bad reply type ${String.fromCharCode(type)}`), buf.length];
  }
}

/** One connection issuing commands sequentially or in explicit pipelines. */
export class RespConn {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { n: number; out: Reply[]; resolve: (r: Reply[]) => void; reject: (e: Error) => void }[] = [];
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      let pos = 0;
      while (this.waiting.length > 0) {
        const r = parseReply(this.buf, pos);
        if (r === null) break;
        pos = r[1];
        const w = this.waiting[0];
        w.out.push(r[0]);
        if (w.out.length === w.n) {
          this.waiting.shift();
          w.resolve(w.out);
        }
      }
      this.buf = this.buf.subarray(pos);
    });
    socket.on('error', (e) => {
      for (const w of this.waiting.splice(0)) w.reject(e);
    });
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('connection closed'));
    });
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
        s.off('error', reject);
        resolve(new RespConn(s));
      });
      s.once('error', reject);
    });
  }

  /** Sends one command and returns its reply (errors are returned as Error values, not thrown). */
  async call(...argv: (string | number)[]): Promise<Reply> {
    return (await this.pipeline([encodeCommand(argv)], 1))[0];
  }

  /** Writes pre-encoded bytes holding `n` requests and resolves with their `n` replies. */
  pipeline(bufs: Buffer[], n: number): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ n, out: [], resolve, reject });
      this.socket.write(bufs.length === 1 ? bufs[0] : Buffer.concat(bufs));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one command on a fresh connection to `port` and closes it. @returns the reply. */
export async function call(port: number, ...argv: (string | number)[]): Promise<unknown> {
  const c = await RespConn.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}
