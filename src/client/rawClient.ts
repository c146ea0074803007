/**
 * RawClient: a minimal RESP client that returns each reply's raw bytes and its decoded tree.
 *
 * For differential tests (compare the exact bytes two servers send), the command-metadata
 * generator and benchmarks. Not a general-purpose client: no reconnects, no pub/sub helpers
 * beyond `readReply()` for pushed messages.
 */
import net from 'node:net';
import { type RespNode, decodeReply } from '../protocol/decoder.js';

/** One reply: `raw` is exactly what the server sent for it, `node` its decoded form. */
export interface RawReply {
  raw: Buffer;
  node: RespNode;
}

/** Encodes argv (latin1 strings or Buffers) as a RESP multibulk request. */
export function encodeCommand(argv: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (r: RawReply) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | null = null;

  private constructor(public readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.drain();
    });
    const fail = (e: Error) => {
      this.closedError = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects to host:port (default 127.0.0.1). */
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.setNoDelay(true);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const d = decodeReply(this.buf, 0);
      if (d === null) return;
      const raw = this.buf.subarray(0, d.end);
      this.buf = this.buf.subarray(d.end);
      this.waiters.shift()?.resolve({ raw, node: d.node });
    }
  }

  /** Resolves with the next reply the server sends (for pushes and pipelined writes). */
  readReply(): Promise<RawReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.drain();
    });
  }

  /** Writes bytes as they are (malformed input, inline commands, split writes). */
  writeRaw(b: Buffer | string): void {
    this.socket.write(typeof b === 'string' ? Buffer.from(b, 'latin1') : b);
  }

  /** Sends one command and resolves with its reply. */
  send(...argv: (string | Buffer | number)[]): Promise<RawReply> {
    this.socket.write(encodeCommand(argv.map((a) => (typeof a === 'number' ? String(a) : a))));
    return this.readReply();
  }

  /** Sends one command and resolves with its decoded reply. */
  async call(...argv: (string | Buffer | number)[]): Promise<RespNode> {
    return (await this.send(...argv)).node;
  }

  /** Sends several commands in one write and resolves with all replies in order. */
  pipeline(cmds: (string | Buffer)[][]): Promise<RawReply[]> {
    this.socket.write(Buffer.concat(cmds.map(encodeCommand)));
    return Promise.all(cmds.map(() => this.readReply()));
  }

  /** Bytes received but not consumed by a reply (should be empty between commands). */
  get unread(): number {
    return this.buf.length;
  }

  close(): void {
    this.socket.destroy();
  }
}
