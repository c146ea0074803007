/**
 * Background RDB snapshots that neither block the event loop nor copy the dataset: the analogue
 * of Redis's fork() + rdbSaveRio in a child, inside one Node process.
 *
 * - Point in time: at `start()` the snapshot records the insertion number (RObject.seq) of the
 *   newest key and a reference to every db's table (Db.table, a KeyTable) and `expires` Map. The file holds exactly the
 *   dataset of that instant.
 * - Incremental: keys are serialized in slices of work with setImmediate between them, so client
 *   batches run in between. A slice lasts half the time the event loop was busy (not waiting for
 *   I/O: eventLoopUtilization) since the previous one, between 1 and 10 ms (or `sliceMs`): with
 *   idle clients a request waits ~1 ms at most, and under load the save still gets a third of
 *   the thread (Redis's child has a core of its own).
 *   Measured at 1M keys: with 3 ms slices a back-to-back PING client saw 12–18 ms peaks and a
 *   PING per slice; with 1 ms slices 6–10 ms peaks, the save as fast.
 * - Copy-on-write at key granularity: Keyspace.beforeWrite is called before any key's value,
 *   expire or existence changes (src/store/db.ts). If that key belongs to the snapshot and has
 *   not been written yet, its current (old) value is serialized right then, out of order, under
 *   its own SELECTDB (RDB loaders accept SELECTDB anywhere). Keys added after the start
 *   (seq > start seq) are skipped. FLUSHDB/FLUSHALL install new Maps and SWAPDB moves Maps
 *   between dbs: the snapshot keeps iterating the Maps it captured, so it still sees the old
 *   contents without copying anything.
 *   "Not written yet" relies on a table's order being seq order (Db.add/setKey give a new key the
 *   next seq and the table appends it). The snapshot walks it newest first (as Redis's hash order,
 *   it then does not reach the oldest keys first, which a client changing them right after BGSAVE
 *   sees in current_cow_size): a key whose seq is >= the last seq the iterator passed is written.
 * - Streaming: the output goes to a temp file in ~64 KB chunks (writing is paused while more than
 *   16 MB are queued), then fsync, rename and a directory fsync, as Redis rdbSave does
 *   (temp-<pid>.rdb → dbfilename).
 * - The save's child process (saveChild.ts, spawned off the event loop): the process Redis's fork()
 *   child is to operators and its test suite. It has the save's PID (the temp file is renamed to
 *   `tmpName(childPid)` once it is known, as Redis names it temp-<childpid>.rdb), killing it fails
 *   the save ("terminated by signal N", temp file removed) as killing Redis's child does, and the
 *   save completes only after it exited normally. It writes the file: its stdout is the temp
 *   file, its stdin a pipe the chunks go through. Without a usable worker this process writes
 *   the file itself with async fs.write.
 * - rdb-key-save-delay (`keyDelayUs`, a testing knob of Redis's, rdb.c/aof.c debugDelay): a pause of
 *   that many µs after each key the iterator writes (negative: 1 µs with probability 1/|n|),
 *   taken as a timer between slices, so clients are served meanwhile.
 * Source: Redis 7.0 rdb.c (rdbSaveRio, rdbSaveDb, rdbSave, rdbSaveBackground); RDB format v10.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance as nodePerformance } from 'node:perf_hooks';
import { currentSeq, type Db, type KeyTable, type Keyspace, type RObject } from '../store/db.js';
import { estimatedValueBytes } from '../store/keyTable.js';
import { Crc64 } from './rdb/crc64.js';
import { SaveChild } from './saveChild.js';
import { rewriteFunctions, rewriteKey, rewriteSelect } from './aof/rewrite.js';
import { functionLibraries, RDB_VERSION, RdbOp, RdbWriter, saveKeyValue } from './rdb/rdb.js';

/**
 * Where a snapshot goes instead of a file: a replication full sync streams the RDB to replicas'
 * sockets (repl-diskless-sync). `write` calls back once the chunk may be reused and more can be
 * sent (back-pressure); an error there fails the snapshot.
 */
export interface SnapshotSink {
  write(chunk: Buffer, cb: (err?: Error | null) => void): void;
  /** All bytes written; calls back when the receivers are done (or with an error). */
  end(cb: (err?: Error | null) => void): void;
}

/** Options of one snapshot. */
export interface SnapshotOptions {
  /** Final file path; the snapshot is written to `tmpFile` and renamed over it at the end. Unused with `sink`. */
  file: string;
  /** Temp file path in the same directory. Unused with `sink`. */
  tmpFile: string;
  /**
   * The temp file's name once the child writing it runs (Redis names it after its fork child:
   * temp-<pid>.rdb, temp-rewriteaof-bg-<pid>.aof); `tmpFile` is renamed to it. Default: kept.
   */
  tmpName?: (childPid: number) => string;
  /** rdb-key-save-delay: µs to pause after each key (see module doc). Default 0. */
  keyDelayUs?: number;
  /** Called when the save's child started, with the µs spawning it took (INFO total_forks, latest_fork_usec). */
  onChild?: (spawnUsec: number) => void;
  /**
   * Called once the child question is settled (it runs, with its PID; or 0: none could be
   * started), before any onDone: what must show the child (BGSAVE's reply, the "started by pid"
   * log) waits for this. Also called (with 0) if the snapshot stops before that.
   */
  onStarted?: (childPid: number) => void;
  /** Streams the bytes to this sink instead of a file (no fsync, no rename). */
  sink?: SnapshotSink;
  /**
   * With `sink`: a child process stands for the transfer as Redis's fork child does (its PID for
   * operators and tests; killing it fails the snapshot with ChildTerminatedError; it exits when
   * this process dies, its stdin pipe closing). It carries no data. Default false.
   */
  sinkChild?: boolean;
  /** Called when `abort()` stops the snapshot from outside (FLUSHALL, shutdown, a replica's load); onDone is not called then. */
  onAbort?: () => void;
  /** rdbcompression (LZF for strings > 20 bytes). Default true. */
  compress?: boolean;
  /** rdbchecksum: false writes a zero CRC64, as Redis. Default true. */
  checksum?: boolean;
  /** Extra or replaced AUX fields (e.g. `aof-base: '1'`). */
  aux?: Record<string, string>;
  /**
   * `rdb` (default): an RDB file. `aof`: the dataset as commands, for an AOF base with
   * aof-use-rdb-preamble no (src/persistence/aof/rewrite.ts); no header, no checksum.
   */
  format?: 'rdb' | 'aof';
  /** AOF format: start with a `#TS:<unix s>` annotation (aof-timestamp-enabled, rewriteAppendOnlyFileRio). */
  timestamp?: boolean;
  /** Fixed serialization work per event-loop turn, ms. Default: adaptive, 1 to 10 (module doc). */
  sliceMs?: number;
  /** Called before each slice (PersistenceHost.flushReplies: replies of the turn go out first). */
  beforeSlice?: () => void;
  /** Called once: null and the file size in bytes on success, or the error (temp file removed). */
  onDone: (err: Error | null, bytes: number) => void;
}

/** Per-db iteration state over the Maps captured at start. */
interface DbState {
  id: number;
  dict: KeyTable;
  expires: ReadonlyMap<string, number>;
  size: number;
  /**
   * seq of the last key the iterator passed: it walks newest first (KeyTable.entriesNewestFirst,
   * table order is seq order), so every key with a seq at or above it is written.
   */
  lastSeq: number;
  /** Keys serialized out of order by the copy-on-write hook. */
  early: Set<string>;
  done: boolean;
  iter: Iterator<[string, RObject]> | null;
}

const CHUNK = 64 * 1024;
/** Largest piece written (and summed) at a time: a big key's bytes go out in pieces this size. */
const PIECE = 256 * 1024;
const MAX_QUEUED = 16 * 1024 * 1024;
/** Longest slice (module doc: Incremental), ms. */
const MAX_SLICE_MS = 10;

/** One running background snapshot (see module doc). Create with `new Snapshot(ks, opts).start()`. */
export class Snapshot {
  private w = new RdbWriter(CHUNK * 2);
  private readonly crc = new Crc64();
  private readonly dbs: DbState[] = [];
  private readonly byDict = new Map<KeyTable, DbState>();
  private cur = 0;
  private outDb = -1;
  /** Writing the AOF command format instead of RDB. */
  private readonly aof: boolean;
  private readonly startSeq: number;
  private fd = -1;
  /** Called once the child question is settled (whenStarted). */
  private startWaiters: (() => void)[] = [];
  /** The save's child (module doc), null without one or once it exited. */
  private child: SaveChild | null = null;
  /** The child was asked for and its spawn is not answered yet. */
  private spawnPending = false;
  /** The first slice waits for the child's spawn (firstSlice). */
  private sliceOnSpawn = false;
  /** onStarted was called. */
  private startedNoted = false;
  /** Every byte is written (complete() ran). */
  private ending = false;
  /**
   * The child may exit now: every byte is in the file, or the sink's receivers have read it all.
   * It is told to (end()) and its normal exit completes the save.
   */
  private childMayExit = false;
  /** The temp file's current path (`opts.tmpFile`, renamed after the child's PID). */
  tmpFile = '';
  /** rdb-key-save-delay owed, µs (paid in whole ms by a timer between slices). */
  private delayOwedUs = 0;
  private delayTimer: NodeJS.Timeout | null = null;
  /**
   * In-memory bytes (key plus estimated value bytes) of the keys the copy-on-write hook saved ahead
   * of the iterator because a client changed them (INFO current_cow_size: Keydra's analogue of the
   * pages Redis's child gets copied; not the serialized bytes, which LZF may shrink to almost nothing).
   */
  cowBytes = 0;
  private readonly queue: Buffer[] = [];
  /** Chunk buffers whose bytes are on disk, ready for reuse (at most 4 kept). */
  private readonly spare: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private waitingForDrain = false;
  private serialized = false;
  /** The CRC64 trailer is still to be queued (after the EOF opcode). */
  private trailerDue = false;
  /** Every byte the CRC covers was summed (the trailer is not). */
  private crcDone = false;
  private finished = false;
  private bytes = 0;
  /** Keys written so far (INFO current_save_keys_processed). */
  keysDone = 0;
  /** Keys in the snapshot (INFO current_save_keys_total). */
  readonly keysTotal: number;
  /** Unix ms at start. */
  readonly startTime = Date.now();
  /** The event loop's utilization when the last slice ended: the busy time since is the clients' (module doc). */
  private sinceSlice = nodePerformance.eventLoopUtilization();
  /** Longest slice of serialization work so far, ms (for tests and the log). */
  maxSliceMs = 0;

  constructor(
    private readonly ks: Keyspace,
    private readonly opts: SnapshotOptions,
  ) {
    this.startSeq = currentSeq();
    let total = 0;
    for (const db of ks.dbs) {
      if (db.size === 0) continue;
      const st: DbState = {
        id: db.id,
        dict: db.table,
        expires: db.expires,
        size: db.size,
        lastSeq: Number.POSITIVE_INFINITY,
        early: new Set(),
        done: false,
        iter: null,
      };
      total += st.size;
      this.dbs.push(st);
      this.byDict.set(db.table, st);
    }
    this.keysTotal = total;
    this.w.compress = opts.compress ?? true;
    this.aof = opts.format === 'aof';
  }

  /**
   * Opens the temp file, writes the header and installs the copy-on-write hook; serialization
   * continues in later event-loop turns. @throws if the temp file cannot be created or another
   * snapshot's hook is installed.
   */
  start(): this {
    if (this.ks.beforeWrite !== null) throw new Error('Another snapshot is in progress');
    if (this.opts.sink === undefined) {
      this.tmpFile = this.opts.tmpFile;
      this.fd = fs.openSync(this.tmpFile, 'w');
      this.startChild();
    } else if (this.opts.sinkChild === true) this.startChild();
    else this.noteStarted(0);
    const w = this.w;
    if (this.aof) {
      if (this.opts.timestamp === true) w.latin1(`#TS:${Math.floor(Date.now() / 1000)}\r\n`);
      rewriteFunctions(w, this.ks);
      this.ks.beforeWrite = this.beforeWrite;
      this.firstSlice();
      return this;
    }
    w.latin1(`REDIS00${RDB_VERSION}`);
    const aux: [string, string][] = [
      ['redis-ver', '7.0.15'],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(this.startTime / 1000))],
      ['used-mem', String(process.memoryUsage().rss)],
      ['aof-base', '0'],
    ];
    for (const [k, v] of Object.entries(this.opts.aux ?? {})) {
      const i = aux.findIndex((a) => a[0] === k);
      if (i >= 0) aux[i][1] = v;
      else aux.push([k, v]);
    }
    for (const [k, v] of aux) {
      w.byte(RdbOp.Aux);
      w.string(k);
      w.string(v);
    }
    for (const code of functionLibraries(this.ks)) {
      w.byte(RdbOp.Function2);
      w.string(code);
    }
    this.ks.beforeWrite = this.beforeWrite;
    this.firstSlice();
    return this;
  }

  /**
   * Serialization starts once the child runs: while the kernel copies this process's page tables
   * for it (and until its exec), every page this thread dirties is a fault, so the wait is idle.
   */
  private firstSlice(): void {
    if (this.spawnPending) this.sliceOnSpawn = true;
    else setImmediate(() => this.slice());
  }

  /** The child's PID (the save's process), or 0 without one (or before it started). */
  get childPid(): number {
    return this.child?.pid ?? 0;
  }

  /** True while the child's spawn is not answered yet (INFO shows no save in progress meanwhile). */
  get spawning(): boolean {
    return !this.startedNoted;
  }

  /** Calls `cb` once the child runs (or is known not to). @returns false (cb not kept) if that is already so. */
  whenStarted(cb: () => void): boolean {
    if (this.startedNoted) return false;
    this.startWaiters.push(cb);
    return true;
  }

  /** Asks for the save's child (module doc); the save starts meanwhile. */
  private startChild(): void {
    const child = new SaveChild({
      onSpawn: (pid, usec) => {
        this.spawnPending = false;
        if (this.finished) {
          child.kill('SIGUSR1');
          return;
        }
        this.opts.onChild?.(usec);
        if (this.opts.tmpName !== undefined && this.opts.sink === undefined) {
          const t = this.opts.tmpName(pid);
          try {
            fs.renameSync(this.tmpFile, t);
            this.tmpFile = t;
          } catch {
            /* keeps the first name */
          }
        }
        this.noteStarted(pid);
        this.spawned();
        if (this.childMayExit) child.end();
      },
      onSpawnFailed: () => {
        this.spawnPending = false;
        this.child = null;
        this.noteStarted(0);
        this.spawned();
        if (this.childMayExit && !this.finished) this.succeed();
      },
      onExit: (code, signal) => this.childExited(code, signal),
    });
    this.child = child;
    this.spawnPending = true;
    child.start(this.opts.sink === undefined ? this.fd : -1);
  }

  /** The spawn is answered: the first slice runs if it waited. */
  private spawned(): void {
    if (!this.sliceOnSpawn || this.finished) return;
    this.sliceOnSpawn = false;
    setImmediate(() => this.slice());
  }

  private noteStarted(pid: number): void {
    if (this.startedNoted) return;
    this.startedNoted = true;
    this.opts.onStarted?.(pid);
    const ws = this.startWaiters;
    this.startWaiters = [];
    for (const cb of ws) cb();
  }

  /** The save's child exited: the save is complete (code 0 after `ending`) or failed. */
  private childExited(code: number | null, signal: NodeJS.Signals | null): void {
    this.child = null;
    this.spawnPending = false;
    if (this.finished) return;
    if (this.childMayExit && code === 0) {
      this.succeed();
      return;
    }
    const n = signal === null ? 0 : (os.constants.signals[signal] ?? 0);
    this.fail(signal !== null ? new ChildTerminatedError(n) : new Error(`the save's child exited with code ${code}`));
  }

  /** Stops the snapshot, removes the temp file; onDone is not called, onAbort is. Idempotent. */
  abort(): void {
    if (this.finished) return;
    this.stop();
    this.opts.onAbort?.();
  }

  /** Stops the work: timers, the child (SIGUSR1, as Redis killRDBChild), the hook, the temp file. */
  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    if (this.child !== null) {
      this.child.kill('SIGUSR1'); // as Redis killRDBChild (sent on spawn if the PID is not known yet)
      this.child = null;
    }
    this.noteStarted(0);
    this.unhook();
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = -1;
    }
    if (this.opts.sink === undefined) fs.rmSync(this.tmpFile, { force: true });
  }

  private unhook(): void {
    if (this.ks.beforeWrite === this.beforeWrite) this.ks.beforeWrite = null;
  }

  /** Copy-on-write: saves a not-yet-written key of the snapshot before it changes. */
  private readonly beforeWrite = (db: Db, key: string): void => {
    const st = this.byDict.get(db.table);
    if (st === undefined || st.done) return;
    const o = st.dict.get(key);
    if (o === undefined || o.seq > this.startSeq || o.seq >= st.lastSeq || st.early.has(key)) return;
    st.early.add(key);
    this.writeKey(st, key, o);
    this.cowBytes += key.length + estimatedValueBytes(o);
    if (this.w.pos >= CHUNK) this.emitChunk();
  };

  private writeKey(st: DbState, key: string, o: RObject): void {
    this.selectDb(st.id);
    const e = st.expires.size === 0 ? undefined : st.expires.get(key);
    if (this.aof) rewriteKey(this.w, key, o, e === undefined ? -1 : e);
    else saveKeyValue(this.w, key, o, e === undefined ? -1 : e);
    this.keysDone++;
  }

  /** Switches the output to db `id` (SELECTDB opcode, or a SELECT command in the AOF format). */
  private selectDb(id: number): void {
    if (this.outDb === id) return;
    if (this.aof) rewriteSelect(this.w, id);
    else {
      this.w.byte(RdbOp.SelectDb);
      this.w.len(id);
    }
    this.outDb = id;
  }

  /** One slice of serialization work (at most sliceMs), then yields to the event loop. */
  private slice(): void {
    this.delayTimer = null;
    if (this.finished) return;
    if (this.queued > MAX_QUEUED) {
      this.waitingForDrain = true;
      return;
    }
    this.opts.beforeSlice?.();
    if (this.finished) return;
    const t0 = performance.now();
    const budget =
      this.opts.sliceMs ?? Math.min(MAX_SLICE_MS, Math.max(1, nodePerformance.eventLoopUtilization(this.sinceSlice).active / 2));
    const startSeq = this.startSeq;
    const delay = this.opts.keyDelayUs ?? 0;
    let n = 0;
    try {
      while (this.cur < this.dbs.length) {
        const st = this.dbs[this.cur];
        if (st.iter === null) {
          st.iter = st.dict.entriesNewestFirst();
          if (this.aof) {
            this.outDb = -1;
            this.selectDb(st.id);
          } else {
            const w = this.w;
            w.byte(RdbOp.SelectDb);
            w.len(st.id);
            w.byte(RdbOp.ResizeDb);
            w.len(st.size);
            w.len(st.expires.size);
            this.outDb = st.id;
          }
        }
        const iter = st.iter;
        let stop = false;
        for (;;) {
          const r = iter.next();
          if (r.done) {
            st.done = true;
            st.iter = null;
            st.early.clear();
            this.cur++;
            break;
          }
          const [key, o] = r.value;
          if (o.seq > startSeq) continue;
          st.lastSeq = o.seq;
          if (st.early.has(key)) continue;
          this.writeKey(st, key, o);
          if (this.w.pos >= CHUNK) this.emitChunk();
          if (delay !== 0) {
            this.delayOwedUs += delay > 0 ? delay : Math.random() * -delay < 1 ? 1 : 0;
            if (this.delayOwedUs >= 1000) {
              stop = true;
              break;
            }
          }
          if ((++n & 31) === 0 && performance.now() - t0 >= budget) {
            stop = true;
            break;
          }
        }
        if (stop) break;
      }
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.sinceSlice = nodePerformance.eventLoopUtilization();
    const dt = performance.now() - t0;
    if (dt > this.maxSliceMs) this.maxSliceMs = dt;
    if (this.cur < this.dbs.length) {
      if (this.delayOwedUs >= 1000) {
        const ms = Math.floor(this.delayOwedUs / 1000);
        this.delayOwedUs -= ms * 1000;
        // Emit what is serialized, so the file grows while the save waits (as Redis's child writes).
        if (this.w.pos > 0) this.emitChunk();
        this.delayTimer = setTimeout(() => this.slice(), ms);
      } else setImmediate(() => this.slice());
      return;
    }
    // Every key of the snapshot is serialized: the hook is no longer needed.
    this.serialized = true;
    this.unhook();
    this.byDict.clear();
    const w = this.w;
    if (!this.aof) {
      w.byte(RdbOp.Eof);
      this.trailerDue = true; // the CRC64, once pump has summed every byte before it
    }
    this.push(w.result());
    this.w = new RdbWriter(16);
    this.pump();
  }

  /** Moves the writer's bytes to the write queue and starts a fresh buffer. */
  private emitChunk(): void {
    const w = this.w;
    this.push(w.result());
    const nw = new RdbWriter(16);
    // Reuse written chunk buffers: fewer external allocations, so fewer GCs during the save.
    const spare = this.spare.pop();
    nw.buf = spare ?? Buffer.allocUnsafe(CHUNK * 2);
    nw.compress = w.compress;
    this.w = nw;
    this.pump();
  }

  /**
   * Queues bytes for writing. A big key's bytes are queued in PIECE-sized views, so that summing
   * (CRC64) and writing them spreads over event-loop turns instead of one long pause.
   */
  private push(b: Buffer): void {
    if (b.length > PIECE) for (let off = 0; off < b.length; off += PIECE) this.queue.push(b.subarray(off, Math.min(b.length, off + PIECE)));
    else this.queue.push(b);
    this.queued += b.length;
  }

  /** Writes queued chunks one at a time; after the last one, fsync, rename, dir fsync, onDone. */
  private pump(): void {
    if (this.writing || this.finished) return;
    let b = this.queue.shift();
    if (b === undefined && this.trailerDue) {
      // The RDB's last 8 bytes: the CRC64 of everything before (zeros with rdbchecksum no).
      this.trailerDue = false;
      this.crcDone = true;
      b = this.opts.checksum === false ? Buffer.alloc(8) : this.crc.bytesLE();
      this.queued += 8;
    }
    if (b === undefined) {
      if (this.serialized) this.complete();
      return;
    }
    if (!this.crcDone) this.crc.update(b, 0, b.length);
    this.writing = true;
    const written = (): void => {
      this.writing = false;
      this.queued -= b.length;
      // b is a view on a writer's buffer; standard-size ones are recycled.
      if (b.buffer.byteLength === CHUNK * 2 && b.byteOffset === 0 && this.spare.length < 4)
        this.spare.push(Buffer.from(b.buffer, 0, CHUNK * 2));
      this.bytes += b.length;
      if (this.waitingForDrain && this.queued <= MAX_QUEUED / 2) {
        this.waitingForDrain = false;
        setImmediate(() => this.slice());
      }
      this.pump();
    };
    const sink = this.opts.sink;
    if (sink !== undefined) {
      sink.write(b, (err) => {
        if (this.finished) return;
        if (err) return this.fail(err);
        written();
      });
      return;
    }
    const child = this.child;
    if (child?.writable === true) {
      // Standard chunk buffers are the writers' own (emitChunk): moved to the worker, not copied.
      const owned = b.buffer.byteLength === CHUNK * 2 && b.byteOffset === 0;
      const len = b.length;
      child.write(b, owned, (err, back) => {
        if (this.finished) return;
        if (err !== null) {
          // With a child, a failed write means it is gone: its exit event fails the save.
          if (this.child === null) this.fail(new Error(err));
          return;
        }
        this.writing = false;
        this.queued -= len;
        this.bytes += len;
        if (owned && this.spare.length < 4) this.spare.push(back);
        if (this.waitingForDrain && this.queued <= MAX_QUEUED / 2) {
          this.waitingForDrain = false;
          setImmediate(() => this.slice());
        }
        this.pump();
      });
      return;
    }
    const writeFrom = (off: number): void => {
      fs.write(this.fd, b, off, b.length - off, null, (err, n) => {
        if (this.finished) return;
        if (err) return this.fail(err);
        if (off + n < b.length) return writeFrom(off + n);
        written();
      });
    };
    writeFrom(0);
  }

  /**
   * Every byte is written: with a sink, its receivers finish reading first (Redis's child waits on
   * rdb_child_exit_pipe); then the child is told to exit, and its normal exit completes the save.
   */
  private complete(): void {
    if (this.ending) return;
    this.ending = true;
    const sink = this.opts.sink;
    if (sink === undefined) {
      this.childMayExit = true;
      this.endChildOrSucceed();
      return;
    }
    sink.end((err) => {
      if (this.finished) return;
      if (err) {
        this.fail(err);
        return;
      }
      this.childMayExit = true;
      this.endChildOrSucceed();
    });
  }

  private endChildOrSucceed(): void {
    if (this.child === null) this.succeed();
    else if (!this.spawnPending) this.child.end(); // else onSpawn ends it
  }

  /** Everything is written and the child exited normally (or there is none): the file's fsync and rename, or done. */
  private succeed(): void {
    if (this.opts.sink === undefined) {
      this.finishFile();
      return;
    }
    this.finished = true;
    this.opts.onDone(null, this.bytes);
  }

  /** Every byte is in the temp file: fsync, close, rename over the final name, directory fsync, onDone. */
  private finishFile(): void {
    const fd = this.fd;
    this.finished = true;
    fs.fsync(fd, (err) => {
      fs.close(fd, (err2) => {
        this.fd = -1;
        const e = err ?? err2;
        if (!e) {
          // rename and directory fsync off the event loop too: a directory fsync may wait for a
          // journal commit of other processes' dirty data (seen: ~1 s on a busy machine).
          fs.rename(this.tmpFile, this.opts.file, (re) => {
            if (re) {
              fs.rm(this.tmpFile, { force: true }, () => this.opts.onDone(re, 0));
              return;
            }
            fsyncDirAsync(path.dirname(this.opts.file), () => this.opts.onDone(null, this.bytes));
          });
          return;
        }
        fs.rmSync(this.tmpFile, { force: true });
        this.opts.onDone(e, 0);
      });
    });
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.stop();
    this.opts.onDone(err, 0);
  }
}

/** The save's child was killed by a signal (Redis: "Background saving terminated by signal N"). */
export class ChildTerminatedError extends Error {
  constructor(readonly signal: number) {
    super(`terminated by signal ${signal}`);
  }
}

/** fsyncs a directory (so a rename in it is durable) without blocking the event loop, then calls back; errors are ignored (unsupported on some platforms). */
export function fsyncDirAsync(dir: string, cb: () => void): void {
  fs.open(dir, 'r', (err, fd) => {
    if (err) return cb();
    fs.fsync(fd, () => fs.close(fd, () => cb()));
  });
}
