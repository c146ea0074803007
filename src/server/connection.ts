/**
 * Connection: a client socket's bytes in and out, straight on libuv's stream handle.
 *
 * Node's `net.Socket` puts a Readable/Writable stream layer on every read and write: each read
 * allocates a fresh 64 KB backing store, wraps it in a Buffer, pushes it through `Readable.push`
 * and emits `data` on a later tick; each write builds a WriteWrap, runs the Writable state machine
 * and callbacks. A Redis server does one read and one write per request at pipeline 1, so that
 * layer was ~20% of Keydra's CPU per request there. This module keeps the `net.Socket` (addresses,
 * keepalive, close and error events, `end`/`destroy`) but moves the data path to the handle:
 *
 * - reads land in one 64 KB buffer shared by every connection (`useUserBuffer`, Node's `onread`
 *   socket option for accepted sockets); the handler runs synchronously and must not keep the
 *   view past its return (the parser copies what it keeps);
 * - writes go out with `writeBuffer`, which writes synchronously when the kernel takes the bytes
 *   (the usual case) and queues them in libuv otherwise; one request object is reused until a
 *   write goes asynchronous.
 *
 * Redis does the same with read(2)/write(2) on the fd (networking.c readQueryFromClient,
 * writeToClient). The handle methods are Node internals (stream_wrap binding, stable since Node
 * 12): when they are missing, the connection falls back to the socket's stream events, so the
 * server still works on a Node that changes them.
 */
import type net from 'node:net';

/** Node's stream_base binding: the shared read/write result slots and the write request class. */
interface StreamWrapBinding {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
  WriteWrap: new () => WriteReq;
}

interface WriteReq {
  handle?: StreamHandle;
  oncomplete?: (status: number) => void;
  conn?: Connection;
  /** The bytes being written: libuv points into them, so they must stay reachable until completion. */
  buffer?: Buffer;
}

/** The libuv stream handle under a net.Socket (TCPWrap / PipeWrap). */
interface StreamHandle {
  onread: ((ab?: ArrayBuffer) => void) | null;
  useUserBuffer(buf: Uint8Array): void;
  writeBuffer(req: WriteReq, buf: Uint8Array): number;
  readStart(): number;
  readStop(): number;
  readonly writeQueueSize: number;
}

/** Read buffer shared by every connection (bytes); a read returns at most this much. */
const READ_BUFFER_SIZE = 64 * 1024;

let binding: StreamWrapBinding | null | undefined;

function streamBinding(): StreamWrapBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  // KEYDRA_SOCKET_STREAMS=1 forces the stream-event path (debugging, and the test of the fallback).
  if (process.env.KEYDRA_SOCKET_STREAMS === '1') return null;
  try {
    const b = (process as unknown as { binding(name: string): StreamWrapBinding }).binding('stream_wrap');
    if (b.streamBaseState instanceof Int32Array && typeof b.WriteWrap === 'function') binding = b;
  } catch {
    // A Node without the legacy binding: stream events it is.
  }
  return binding;
}

let readBuffer: Buffer | null = null;
/** The reusable write request: replaced when a write goes asynchronous (libuv then owns it). */
let spareReq: WriteReq | null = null;

function onWriteComplete(this: WriteReq, status: number): void {
  const conn = this.conn;
  this.conn = undefined;
  this.buffer = undefined;
  if (conn === undefined) return;
  conn.inFlight.delete(this);
  if (status < 0) {
    conn.socket.destroy();
    return;
  }
  if (conn.inFlight.size === 0) {
    if (conn.closing) conn.socket.destroy();
    else if (conn.onDrain !== null) conn.onDrain();
  }
}

/**
 * One client connection's data path. Construct with the accepted socket, `onData` (called with a
 * view of the bytes read; valid only during the call) and `onEnd` (peer closed or read error).
 * Close and error events still come from the socket itself.
 */
export class Connection {
  /** Asynchronous writes not yet completed (their bytes are in libuv's queue), kept reachable until then. */
  readonly inFlight = new Set<WriteReq>();
  /** Called when every queued write has completed (the send buffer drained). */
  onDrain: (() => void) | null = null;
  /** Set by closeAfterWrites: the socket is destroyed once the queued writes complete. */
  closing = false;
  private readonly handle: StreamHandle | null;
  /** Stream path: a write is queued in the socket (onDrain runs when its queue empties). */
  private streamQueued = false;
  /** A TLS socket (stream path, writes copied: see write). */
  private readonly encrypted: boolean;
  private readonly streamWritten: (() => void) | null = null;
  private reading = true;

  constructor(
    readonly socket: net.Socket,
    onData: (data: Buffer) => void,
    onEnd: () => void,
  ) {
    const b = streamBinding();
    const handle = (socket as unknown as { _handle?: StreamHandle })._handle;
    // A TLS socket's handle carries ciphertext: its plaintext comes through the stream events.
    const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    this.encrypted = encrypted;
    if (b !== null && handle && !encrypted && typeof handle.useUserBuffer === 'function' && typeof handle.writeBuffer === 'function') {
      this.handle = handle;
      readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE);
      const buf = readBuffer;
      const state = b.streamBaseState;
      const kRead = b.kReadBytesOrError;
      handle.useUserBuffer(buf);
      handle.onread = () => {
        const n = state[kRead];
        if (n > 0) onData(buf.subarray(0, n));
        else if (n < 0) onEnd(); // UV_EOF or a read error (ECONNRESET)
      };
    } else {
      this.handle = null;
      socket.on('data', onData);
      socket.on('end', onEnd);
      // A queued write's callback, not 'drain' (emitted only past the highWaterMark): a TLS
      // socket queues nearly every write while it encrypts, and reading waits for that queue.
      this.streamWritten = () => {
        if (this.streamQueued && socket.writableLength === 0) {
          this.streamQueued = false;
          this.onDrain?.();
        }
      };
    }
  }

  /** True when reads and writes go straight to the libuv handle. */
  get direct(): boolean {
    return this.handle !== null;
  }

  /** Bytes written but still queued in the socket (libuv's write queue): CLIENT LIST omem. */
  get pendingBytes(): number {
    if (this.handle !== null) return this.inFlight.size === 0 ? 0 : this.handle.writeQueueSize;
    return this.socket.writableLength;
  }

  /**
   * Writes `data`. @returns true if the kernel took every byte now (the caller may reuse `data`);
   * false if some are queued (the caller must not touch `data` again; `onDrain` fires once the
   * queue is empty). A failed write destroys the socket (its close event follows).
   */
  write(data: Buffer): boolean {
    const handle = this.handle;
    if (handle === null) {
      if (this.encrypted) {
        // TLS encrypts on its own schedule and may keep `data` queued: it gets a copy, so the
        // caller's buffer is free at once; only the socket's own back-pressure (past its
        // highWaterMark) pauses reading, until 'drain'.
        if (this.socket.write(Buffer.from(data))) return true;
        this.streamQueued = true;
        this.socket.once('drain', this.streamWritten as () => void);
        return false;
      }
      this.socket.write(data, this.streamWritten ?? undefined);
      if (this.socket.writableLength === 0) return true;
      this.streamQueued = true;
      return false;
    }
    const b = binding as StreamWrapBinding;
    let req = spareReq;
    if (req === null) {
      req = new b.WriteWrap();
      req.oncomplete = onWriteComplete;
      spareReq = req;
    }
    req.handle = handle;
    const err = handle.writeBuffer(req, data);
    if (err !== 0) {
      this.socket.destroy();
      return true;
    }
    if (b.streamBaseState[b.kLastWriteWasAsync] === 0) return true;
    // libuv keeps the request until the write completes: it is this write's now, and it holds
    // the bytes (libuv writes from their memory, which a GC must not free meanwhile).
    spareReq = null;
    req.conn = this;
    req.buffer = data;
    this.inFlight.add(req);
    return false;
  }

  /**
   * Closes the connection once the bytes already written have gone out (Redis: the reply of a
   * CLIENT_CLOSE_AFTER_REPLY client is written, then the client is freed and its fd closed).
   * Reading stops at once: what the peer sends meanwhile stays in the kernel, unread, and is not
   * buffered here (a peer that keeps sending after a protocol error cannot grow our memory; the
   * close then resets the connection, as Redis's close(2) with unread input does).
   */
  closeAfterWrites(): void {
    if (this.closing) return;
    this.closing = true;
    this.pauseReading();
    if (this.handle === null) {
      // Stream path: end() flushes the Writable's queue; destroySoon destroys after it.
      (this.socket as net.Socket & { destroySoon(): void }).destroySoon();
      return;
    }
    if (this.inFlight.size === 0) this.socket.destroy();
  }

  /** Stops reading requests (the peer is not reading our replies). */
  pauseReading(): void {
    if (!this.reading) return;
    this.reading = false;
    if (this.handle !== null) this.handle.readStop();
    else this.socket.pause();
  }

  /** Resumes reading after pauseReading. */
  resumeReading(): void {
    if (this.reading || this.closing) return;
    this.reading = true;
    if (this.handle !== null) this.handle.readStart();
    else this.socket.resume();
  }
}
