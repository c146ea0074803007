/**
 * The background save's child process, started off the event loop.
 *
 * A BGSAVE, BGREWRITEAOF or diskless replication transfer has a child process, as Redis's fork()
 * child: it has the save's PID (temp-<pid>.rdb, INFO, `pgrep -P`), killing it fails the save
 * ("terminated by signal N"), and it exits when the save ends. Keydra serializes in the server
 * process (snapshot.ts); the child is a `cat` whose stdout is the temp file and whose stdin is a
 * pipe the chunks go through, closed when the save ends (then it exits 0; if the server dies,
 * the pipe closes and it exits too).
 *
 * Spawning from the main thread blocks it for the whole fork + exec (libuv uv_spawn waits for the
 * exec): measured 7–14 ms for a 170–280 MB process on 2 cores, longer than Redis's own fork pause
 * (2.4–3.8 ms at 1M keys). So the spawn happens in a worker thread that lives for the process
 * (started at the first save, unref'd): the main thread only stalls for the kernel's page-table
 * copy (~3–4 ms measured at 280 MB). The PID arrives asynchronously (`onSpawn`), so callers that
 * must show the child (BGSAVE's reply, the "started by pid" log) wait for it. Chunks reach the
 * worker by postMessage, their ArrayBuffers transferred (not copied) and handed back once written.
 *
 * Source: Redis 7.0 server.c redisFork, rdb.c rdbSaveBackground, childinfo.c.
 */
import { Worker } from 'node:worker_threads';

/** Events of one save child. */
export interface SaveChildEvents {
  /** The child runs: its PID and the µs the spawn took in the worker (INFO latest_fork_usec). */
  onSpawn(pid: number, usec: number): void;
  /** It could not be started (no usable `cat`, no worker): the save goes on without a child. */
  onSpawnFailed(): void;
  /** It exited: code (null if killed) and signal name (null unless killed). */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * Messages of the worker protocol. main → worker: spawn (fd: the child's stdout, -1: none) /
 * write (bytes [0, len) of ab) / end; worker → main: spawned / failed / exit / written (ab back,
 * err: the write's error message or null).
 */
type ToWorker =
  | { op: 'spawn'; id: number; fd: number }
  | { op: 'write'; id: number; wid: number; ab: ArrayBuffer; len: number }
  | { op: 'end'; id: number };
type FromWorker =
  | { op: 'spawned'; id: number; pid: number; usec: number }
  | { op: 'failed'; id: number }
  | { op: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { op: 'written'; id: number; wid: number; ab: ArrayBuffer; err: string | null };

/** The worker's code (CommonJS, eval'd: no file to locate in the bundled dist). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const children = new Map();
const fds = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'write') {
    const c = children.get(m.id);
    const buf = Buffer.from(m.ab, 0, m.len);
    const done = (err) => parentPort.postMessage({ op: 'written', id: m.id, wid: m.wid, ab: m.ab, err }, [m.ab]);
    if (c !== undefined) {
      c.stdin.write(buf, (err) => done(err ? err.message : null));
      return;
    }
    // No child (its spawn failed): the bytes go to the file from here.
    try {
      for (let off = 0; off < m.len; ) off += fs.writeSync(fds.get(m.id), buf, off, m.len - off);
      done(null);
    } catch (e) {
      done(e.message);
    }
    return;
  }
  if (m.op === 'end') {
    const c = children.get(m.id);
    if (c !== undefined) c.stdin.end();
    fds.delete(m.id);
    return;
  }
  fds.set(m.id, m.fd);
  const t0 = performance.now();
  let c;
  try {
    c = spawn('cat', [], { stdio: ['pipe', m.fd >= 0 ? m.fd : 'ignore', 'ignore'] });
  } catch {
    parentPort.postMessage({ op: 'failed', id: m.id });
    return;
  }
  c.on('error', () => {});
  if (c.pid === undefined) {
    parentPort.postMessage({ op: 'failed', id: m.id });
    return;
  }
  c.stdin.on('error', () => {});
  // Below the server's priority: on a busy machine the server's thread keeps its core.
  try { require('node:os').setPriority(c.pid, 10); } catch {}
  children.set(m.id, c);
  parentPort.postMessage({ op: 'spawned', id: m.id, pid: c.pid, usec: Math.round((performance.now() - t0) * 1000) });
  c.on('exit', (code, signal) => {
    children.delete(m.id);
    parentPort.postMessage({ op: 'exit', id: m.id, code, signal });
  });
});
`;

let worker: Worker | null = null;
let workerBroken = false;
let nextId = 1;
const pending = new Map<number, SaveChildEvents>();
/** Callbacks of writes in flight, by write id. */
const writes = new Map<number, (err: string | null, back: Buffer) => void>();
let nextWid = 1;

function getWorker(): Worker | null {
  if (worker !== null || workerBroken) return worker;
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: FromWorker) => {
      if (m.op === 'written') {
        const cb = writes.get(m.wid);
        writes.delete(m.wid);
        cb?.(m.err, Buffer.from(m.ab));
        return;
      }
      const ev = pending.get(m.id);
      if (ev === undefined) return;
      if (m.op === 'spawned') ev.onSpawn(m.pid, m.usec);
      else if (m.op === 'failed') {
        pending.delete(m.id);
        ev.onSpawnFailed();
      } else {
        pending.delete(m.id);
        ev.onExit(m.code, m.signal);
      }
    });
    // A dead worker: the children it held see EOF and exit; their saves go on without them.
    const lost = (): void => {
      worker = null;
      workerBroken = true;
      const evs = [...pending.values()];
      pending.clear();
      const cbs = [...writes.values()];
      writes.clear();
      for (const cb of cbs) cb('the save worker exited', Buffer.alloc(0));
      for (const ev of evs) ev.onExit(0, null);
    };
    w.on('error', lost);
    w.on('exit', lost);
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

/**
 * One save's child. `start()` asks the worker for it; `pid` is 0 until `onSpawn`. Kill it with
 * `kill()` (a signal to the PID: synchronous), let it exit normally with `end()`.
 */
export class SaveChild {
  private readonly id = nextId++;
  /** The child's PID once spawned, else 0. */
  pid = 0;
  /** A kill asked for before the PID was known (sent on spawn). */
  private killPending: NodeJS.Signals | null = null;
  private exited = false;

  constructor(private readonly events: SaveChildEvents) {}

  /** The worker carries this child's writes (false: none could be started; the caller writes). */
  writable = false;

  /**
   * Requests the spawn; the answer comes as onSpawn or onSpawnFailed (never synchronously).
   * @param fd the child's stdout (the temp file, written through `write()`), or -1 for none.
   */
  start(fd: number): void {
    const w = getWorker();
    if (w === null) {
      queueMicrotask(() => this.events.onSpawnFailed());
      return;
    }
    this.writable = fd >= 0;
    pending.set(this.id, {
      onSpawn: (pid, usec) => {
        this.pid = pid;
        if (this.killPending !== null) this.kill(this.killPending);
        this.events.onSpawn(pid, usec);
      },
      onSpawnFailed: () => this.events.onSpawnFailed(),
      onExit: (code, signal) => {
        this.exited = true;
        this.pid = 0;
        this.events.onExit(code, signal);
      },
    });
    w.postMessage({ op: 'spawn', id: this.id, fd } satisfies ToWorker);
  }

  /**
   * Writes `b` to the file through the child (or, without one, from the worker), in order with
   * earlier writes. `b`'s bytes move to the worker: if `b` spans its whole ArrayBuffer's start
   * and `owned` says the buffer is the caller's alone, that buffer is transferred (unusable here
   * until `cb` hands it back); otherwise the bytes are copied. `cb(err, back)`: err is the write's
   * error message (a gone child: EPIPE) or null; back is the transferred buffer, whole.
   */
  write(b: Buffer, owned: boolean, cb: (err: string | null, back: Buffer) => void): void {
    const w = worker;
    if (w === null) {
      queueMicrotask(() => cb('the save worker exited', Buffer.alloc(0)));
      return;
    }
    let ab: ArrayBuffer;
    if (owned && b.byteOffset === 0) ab = b.buffer as ArrayBuffer;
    else ab = new Uint8Array(b).buffer as ArrayBuffer;
    const wid = nextWid++;
    writes.set(wid, cb);
    w.postMessage({ op: 'write', id: this.id, wid, ab, len: b.length } satisfies ToWorker, [ab]);
  }

  /** Closes the child's stdin: it exits with code 0 (onExit). */
  end(): void {
    if (!this.exited) worker?.postMessage({ op: 'end', id: this.id } satisfies ToWorker);
  }

  /** Sends `signal` to the child (now, or as soon as its PID is known); its exit still reports. */
  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    if (this.pid === 0) {
      this.killPending = signal;
      return;
    }
    try {
      process.kill(this.pid, signal);
    } catch {
      /* already gone */
    }
  }
}
