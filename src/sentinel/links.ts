/**
 * The connections a Sentinel keeps to each instance (sentinel.c instanceLink): a command
 * connection (PING, INFO, PUBLISH, SLAVEOF, SENTINEL IS-MASTER-DOWN-BY-ADDR) and, to masters and
 * replicas, a pub/sub connection subscribed to `__sentinel__:hello`. Each connection is a small
 * RESP client over net.Socket with one callback per command, in order.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { tlsConnect } from '../server/tls.js';
import { type RespNode, decodeReply } from '../protocol/decoder.js';
import { encodeCommand } from '../client/rawClient.js';

/** Called with the reply of a command, or with `null` when the connection died before it came. */
export type PushHandler = (msg: string[]) => void;
export type ReplyCallback = (reply: RespNode | undefined, conn: Conn) => void;

/** One RESP connection: commands go out in order, replies come back to their callbacks. */
export class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private callbacks: ReplyCallback[] = [];
  connected = false;
  closed = false;
  /** For the pub/sub connection: messages pushed by the server. */
  onPush: PushHandler | null = null;
  onClose: (() => void) | null = null;
  onConnect: (() => void) | null = null;
  readonly socket: net.Socket;

  /**
   * @param secure the client TLS context with `tls-replication yes` (sentinel.c
   * instanceLinkNegotiateTLS: links to monitored servers and other Sentinels over TLS), else null.
   */
  constructor(host: string, port: number, timeoutMs: number, secure: tls.SecureContext | null = null) {
    this.socket = secure !== null ? tlsConnect(secure, host, port) : net.connect({ host, port });
    this.socket.setNoDelay(true);
    const timer = setTimeout(() => this.close(), timeoutMs);
    this.socket.once(secure !== null ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      this.connected = true;
      this.onConnect?.();
    });
    this.socket.on('data', (d) => this.data(d));
    this.socket.on('error', () => this.close());
    this.socket.on('close', () => {
      clearTimeout(timer);
      this.close();
    });
  }

  /** Sends argv; `cb` gets the reply (undefined if the connection closes first). */
  send(argv: string[], cb?: ReplyCallback): boolean {
    if (this.closed) return false;
    this.callbacks.push(cb ?? (() => {}));
    this.socket.write(encodeCommand(argv));
    return true;
  }

  get pending(): number {
    return this.callbacks.length;
  }

  /**
   * Local address of the socket (anetFdToString FD_TO_SOCK_NAME), for the hello message; null while
   * the connection is still being made (Node knows it only after 'connect', where C's getsockname
   * already has it): no hello then, rather than a made-up address the other sentinels would adopt.
   */
  get localAddress(): string | null {
    const a = this.socket.localAddress;
    if (a === undefined) return null;
    return a.startsWith('::ffff:') ? a.slice(7) : a;
  }

  private data(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let pos = 0;
    for (;;) {
      let dec: ReturnType<typeof decodeReply>;
      try {
        dec = decodeReply(this.buf, pos);
      } catch {
        this.close();
        return;
      }
      if (dec === null) break;
      pos = dec.end;
      const node = dec.node;
      const pushed = isPush(node);
      if (pushed !== null && this.onPush !== null && (this.callbacks.length === 0 || pushed[0] === 'message')) {
        this.onPush(pushed);
        continue;
      }
      const cb = this.callbacks.shift();
      if (cb) {
        try {
          cb(node, this);
        } catch {
          // A callback failing must not kill the connection handling.
        }
      }
    }
    this.buf = this.buf.subarray(pos);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.socket.destroy();
    const cbs = this.callbacks.splice(0);
    for (const cb of cbs) {
      try {
        cb(undefined, this);
      } catch {
        // ignore
      }
    }
    this.onClose?.();
  }
}

function isPush(node: RespNode): string[] | null {
  let arr: RespNode[] | null = null;
  if (Array.isArray(node)) arr = node;
  else if (node !== null && typeof node === 'object' && 't' in node && node.t === '>') arr = (node as { v: RespNode[] }).v;
  if (arr === null || arr.length < 3 || typeof arr[0] !== 'string') return null;
  const kind = arr[0].toLowerCase();
  if (kind !== 'message' && kind !== 'subscribe' && kind !== 'pmessage') return null;
  return arr.map((x) => (typeof x === 'string' ? x : String(x)));
}

/**
 * The link to one instance (instanceLink): both connections and the ping bookkeeping
 * (ms since epoch) that subjective-down detection reads.
 */
export class Link {
  cc: Conn | null = null;
  pc: Conn | null = null;
  /** True while a needed connection is missing (the "disconnected" flag). */
  disconnected = true;
  ccConnTime = 0;
  pcConnTime = 0;
  pcLastActivity = 0;
  /** Time of the oldest PING not yet answered, 0 when none is pending. */
  actPingTime: number;
  lastPingTime = 0;
  lastPongTime: number;
  lastAvailTime: number;
  lastReconnTime = 0;
  readonly refcount = 1;

  constructor() {
    const now = Date.now();
    this.actPingTime = now;
    this.lastPongTime = now;
    this.lastAvailTime = now;
  }

  get pendingCommands(): number {
    return this.cc?.pending ?? 0;
  }

  /** Closes both connections (instanceLinkCloseConnection on each). */
  closeAll(): void {
    this.cc?.close();
    this.pc?.close();
    this.cc = null;
    this.pc = null;
    this.disconnected = true;
  }
}
