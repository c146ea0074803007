/**
 * Persistence for one server: RDB snapshots (SAVE, BGSAVE, save rules, save on shutdown), the AOF
 * and loading at start-up. `setupPersistence(server)` wires it to the server's hooks; then
 * `loadAtStartup()` loads the dataset in slices with the listener open (AOF wins when both files
 * exist, as in Redis; clients get -LOADING meanwhile).
 *
 * BGSAVE and BGREWRITEAOF are point-in-time snapshots serialized in slices between client
 * batches, with copy-on-write at key granularity (src/persistence/snapshot.ts): the event loop
 * is never blocked for more than a few ms and the dataset is not copied.
 * Source: Redis 7.0 rdb.c (rdbSave, rdbSaveBackground, serverCron save rules), server.c (INFO).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PersistenceHost } from './host.js';
import { Aof, AofLoadError, writeFileDurable } from './aof/aof.js';
import { ERR_MISCONF_RDB } from '../errors.js';
import { decodeRdbSteps, encodeRdb, type RdbLoadInfo, RdbError } from './rdb/rdb.js';
import { ChildTerminatedError, Snapshot } from './snapshot.js';
import './rdb/types.js';

/** RDB-side state reported by INFO persistence. */
export interface RdbStats {
  lastSave: number;
  bgsaveInProgress: boolean;
  bgsaveStart: number;
  lastBgsaveStatus: 'ok' | 'err';
  lastBgsaveTimeSec: number;
  lastBgsaveTry: number;
  saves: number;
  lastLoadKeysLoaded: number;
  lastLoadKeysExpired: number;
  scheduledBgsave: boolean;
  /** Copy-on-write bytes of the last BGSAVE (INFO rdb_last_cow_size; Snapshot.cowBytes). */
  lastCowSize: number;
}

/** Persistence state of one server (see module doc). */
export class Persistence {
  readonly aof: Aof;
  readonly rdb: RdbStats = {
    lastSave: Math.floor(Date.now() / 1000),
    bgsaveInProgress: false,
    bgsaveStart: 0,
    lastBgsaveStatus: 'ok',
    lastBgsaveTimeSec: -1,
    lastBgsaveTry: 0,
    saves: 0,
    lastLoadKeysLoaded: 0,
    lastLoadKeysExpired: 0,
    scheduledBgsave: false,
    lastCowSize: 0,
  };

  /** Background saves that started a child (INFO total_forks) and the µs the last spawn took (latest_fork_usec). */
  readonly forks = { total: 0, latestUsec: 0 };
  /** Counts a background save's child (Snapshot onChild). */
  readonly noteFork = (usec: number): void => {
    this.forks.total++;
    this.forks.latestUsec = usec;
  };

  constructor(readonly server: PersistenceHost) {
    this.aof = new Aof(server);
    this.aof.onFork = this.noteFork;
    server.cronHooks.push((now) => this.cron(now));
    server.shutdownHooks.push((opts) => this.onShutdown(opts.save));
    this.aof.onWriteStatus = () => this.updateDiskError();
    for (const name of ['stop-writes-on-bgsave-error', 'save', 'appendonly']) server.config.onChange(name, () => this.updateDiskError());
    server.config.onChange('appendonly', (v) => {
      if (v && !this.aof.enabled) {
        if (this.rdb.bgsaveInProgress) {
          // Redis startAppendOnly with a child running: the rewrite is scheduled (cron starts
          // it after the BGSAVE; the snapshot it takes then covers the writes meanwhile).
          this.aofStartPending = true;
          this.aof.stats.rewriteScheduled = true;
          return;
        }
        this.startAof();
      } else if (!v) {
        this.aofStartPending = false;
        if (this.aof.enabled) this.aof.stop();
      }
    });
  }

  /** CONFIG SET appendonly yes arrived during a BGSAVE: the AOF starts when it ends. */
  private aofStartPending = false;

  private startAof(): void {
    try {
      this.aof.startBackground();
    } catch (e) {
      this.server.log.warning(
        `Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: ${(e as Error).message}`,
      );
    }
  }

  /** Path of the RDB file (dir/dbfilename). */
  get rdbPath(): string {
    return path.join(this.server.config.str('dir'), this.server.config.str('dbfilename'));
  }

  /** Progress of the load in progress (INFO loading_* fields); null when not loading. */
  loadingState: { start: number; totalBytes: number; loadedBytes: number; rdbUsedMem: number } | null = null;

  /**
   * Loads the dataset at start-up: the AOF if appendonly is on and it exists, else the RDB file
   * if present; then opens (or creates) the AOF when appendonly is on. The work runs in slices
   * (~20 ms) with server.loading set, so a listener opened before answers -LOADING meanwhile
   * (commands flagged `loading`, e.g. PING and INFO, run), and INFO shows the progress.
   * @throws Error with Redis-like text naming the file and offset when a file is corrupt or
   * truncated; the dataset is then partial and must not be served (startServer closes the
   * server and rejects, the CLI exits non-zero).
   */
  async loadAtStartup(): Promise<void> {
    const server = this.server;
    const t0 = Date.now();
    const aofOn = server.config.bool('appendonly');
    if (aofOn) this.aof.upgradeIfNeeded(); // an old-style appendonly.aof in dir becomes the BASE
    const useAof = aofOn && this.aof.exists();
    const useRdb = !useAof && fs.existsSync(this.rdbPath);
    if (useAof || useRdb) {
      server.loading = true;
      const st = { start: t0, totalBytes: 0, loadedBytes: 0, rdbUsedMem: 0 };
      this.loadingState = st;
      const progress = (bytes: number) => {
        st.loadedBytes = bytes;
      };
      try {
        if (useAof) {
          st.totalBytes = this.aof.totalSize();
          const n = await runSliced(this.aof.loadSteps(progress, true), () => this.logProgress());
          server.log.notice(`DB loaded from append only file: ${((Date.now() - t0) / 1000).toFixed(3)} seconds (${n} commands)`);
        } else {
          const data = fs.readFileSync(this.rdbPath);
          st.totalBytes = data.length;
          const checksum = server.config.get('rdbchecksum') !== false;
          // A replica (a cluster replica per nodes.conf) keeps expired keys: its primary sends the
          // DELs (Redis rdbLoadRio: only iAmMaster() skips them).
          const gen = decodeRdbSteps(data, server.keyspace, server.keyspace.replicaMode ? 0 : Date.now(), checksum);
          // key-load-delay (µs per key, a testing knob of Redis's): a step loads 1024 keys.
          const keyDelayUs = server.config.num('key-load-delay');
          let info: RdbLoadInfo;
          try {
            info = await runSliced(
              (function* () {
                for (;;) {
                  server.applyEncodingLimits();
                  const r = gen.next();
                  if (r.done) return r.value;
                  progress(r.value);
                  yield keyDelayUs > 0 ? { sleepMs: (1024 * keyDelayUs) / 1000 } : undefined;
                }
              })(),
              () => this.logProgress(),
            );
          } catch (e) {
            if (e instanceof RdbError && e.crcMismatch) {
              // Redis: the checksum line, then rdbReportCorruptRDB's (startup aborts after it).
              server.log.warning(e.message);
              throw new Error('Internal error in RDB reading offset 0, function at rdb.c:3225 -> RDB CRC error');
            }
            const off = e instanceof RdbError ? ` at offset ${e.offset}` : '';
            throw new Error(
              `Short read or OOM loading DB. Unrecoverable error, aborting now. ${path.basename(this.rdbPath)}${off}: ${(e as Error).message}`,
            );
          }
          const ver = info.aux.get('redis-ver');
          if (ver !== undefined) server.log.notice(`Loading RDB produced by version ${ver}`);
          const ctime = Number(info.aux.get('ctime'));
          if (Number.isFinite(ctime)) server.log.notice(`RDB age ${Math.floor(t0 / 1000) - ctime} seconds`);
          const mem = Number(info.aux.get('used-mem'));
          if (Number.isFinite(mem)) server.log.notice(`RDB memory usage when created ${(mem / 1024 / 1024).toFixed(2)} Mb`);
          server.log.notice(`Done loading RDB, keys loaded: ${info.keys}, keys expired: ${info.expiredSkipped}.`);
          this.loadedAux = info.aux;
          this.rdb.lastLoadKeysLoaded = info.keys;
          this.rdb.lastLoadKeysExpired = info.expiredSkipped;
          server.log.notice(`DB loaded from disk: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
        }
      } finally {
        server.loading = false;
        this.loadingState = null;
      }
    }
    server.loading = false;
    server.dirty = 0;
    if (aofOn) {
      if (this.aof.exists()) this.aof.resume();
      else this.aof.create();
    }
  }

  /**
   * DEBUG LOADAOF's load (the dbs already emptied): the AOF in slices with `server.loading` set
   * (clients get -LOADING, INFO shows the progress), a slow script in it suspended past
   * busy-reply-threshold. Rejects with the load error (AofLoadError).
   */
  async reloadAof(): Promise<void> {
    const server = this.server;
    const st = { start: Date.now(), totalBytes: this.aof.totalSize(), loadedBytes: 0, rdbUsedMem: 0 };
    server.loading = true;
    this.loadingState = st;
    try {
      await runSliced(
        this.aof.loadSteps((b) => {
          st.loadedBytes = b;
        }, true),
        () => this.logProgress(),
      );
    } finally {
      server.loading = false;
      this.loadingState = null;
    }
  }

  private lastProgressLog = 0;

  /** Logs the loading progress at most every 2 s (verbose level). */
  private logProgress(): void {
    const st = this.loadingState;
    const now = Date.now();
    if (st === null || now - this.lastProgressLog < 2000) return;
    this.lastProgressLog = now;
    const perc = st.totalBytes > 0 ? (st.loadedBytes / st.totalBytes) * 100 : 0;
    this.server.log.verbose(`Loading the dataset: ${perc.toFixed(2)}% (${st.loadedBytes} of ${st.totalBytes} bytes)`);
  }

  /**
   * Extra AUX fields of every RDB save (a replica's repl-id, repl-offset and repl-stream-db, Redis
   * rdbPopulateSaveInfo), set by replication; null for none.
   */
  auxFields: (() => Record<string, string> | null) | null = null;
  /**
   * A replica loads a new dataset aside (repl-diskless-load swapdb, same replication history)
   * while serving the old one (INFO async_loading).
   */
  asyncLoading = false;
  /** The AUX fields of the RDB loaded at start-up (a replica continues from its repl-id/offset), or null. */
  loadedAux: Map<string, string> | null = null;

  /** SAVE: writes the RDB file synchronously. @throws on I/O failure. */
  saveSync(): void {
    const image = encodeRdb(this.server.keyspace, {
      aux: this.auxFields?.() ?? undefined,
      compress: this.compress,
      checksum: this.server.config.get('rdbchecksum') !== false,
    });
    writeFileDurable(this.rdbPath, image);
    this.server.dirty = 0;
    this.rdb.lastSave = Math.floor(Date.now() / 1000);
    this.rdb.saves++;
    this.rdb.lastBgsaveStatus = 'ok';
    this.updateDiskError();
    this.server.log.notice('DB saved on disk');
  }

  /**
   * FLUSHALL's persistence step (Redis 7.0 db.c flushAllDataAndResetRDB): a running BGSAVE is
   * stopped, since its file would bring the flushed keys back at the next start (Redis kills the
   * child with SIGUSR1, which is not a save error), and with save points configured the empty
   * dataset is saved at once (which resets the dirty counter: INFO rdb_changes_since_last_save
   * is 0 after FLUSHALL, as in Redis 7.0.15). A failed save is logged; FLUSHALL still succeeds.
   * Not while loading (AOF replay).
   * @returns true if the dataset was saved (the caller then propagates FLUSHALL explicitly).
   */
  flushAllReset(): boolean {
    const server = this.server;
    if (server.loading) return false;
    if (this.snapshot !== null) {
      const socket = this.socketSave;
      this.snapshot.abort();
      this.snapshot = null;
      this.rdb.bgsaveInProgress = false;
      this.socketSave = false;
      if (!socket) server.log.warning('Background saving terminated by signal 10');
    }
    if (server.config.list('save').length === 0) return false;
    try {
      this.saveSync();
      return true;
    } catch (e) {
      server.log.warning(`Failed saving the DB after FLUSHALL: ${(e as Error).message}`);
      return false;
    }
  }

  private get compress(): boolean {
    return this.server.config.get('rdbcompression') !== false;
  }

  /** True while a BGSAVE or BGREWRITEAOF is writing (Redis hasActiveChildProcess). */
  get childActive(): boolean {
    return this.rdb.bgsaveInProgress || this.aof.stats.rewriteInProgress;
  }

  /**
   * Calls `cb` once the save child being spawned (BGSAVE, AOF rewrite, replication transfer) runs.
   * @returns false (cb not kept) if no spawn is pending. Used so a client that started a save
   * sees its child, as after Redis's fork() (src/commands/persistence replyWhenChildRuns).
   */
  whenChildRuns(cb: () => void): boolean {
    for (const s of [this.snapshot, this.aof.snapshot]) if (s?.whenStarted(cb)) return true;
    return false;
  }

  /** The running background snapshot of BGSAVE (or of a diskless replication transfer), if any. */
  snapshot: Snapshot | null = null;
  /** `snapshot` is a diskless replication transfer (Redis RDB_CHILD_TYPE_SOCKET). */
  socketSave = false;

  /**
   * A diskless replication transfer started (src/replication/primary.ts): it is the RDB child
   * (Redis RDB_CHILD_TYPE_SOCKET), so INFO shows rdb_bgsave_in_progress:1, BGSAVE and save rules
   * wait for it, and FLUSHALL, shutdown or a replica's load stop it (Snapshot.abort, whose
   * onAbort tells the transfer). @returns false if another save runs.
   */
  socketSaveStarted(snap: Snapshot): boolean {
    if (this.rdb.bgsaveInProgress) return false;
    this.snapshot = snap;
    this.socketSave = true;
    this.rdb.bgsaveInProgress = true;
    this.rdb.bgsaveStart = Date.now();
    return true;
  }

  /** The diskless transfer `snap` ended (done, failed or aborted). */
  socketSaveEnded(snap: Snapshot): void {
    if (this.snapshot !== snap) return;
    this.snapshot = null;
    this.socketSave = false;
    this.rdb.bgsaveInProgress = false;
    this.rdb.lastBgsaveTimeSec = Math.round((Date.now() - this.rdb.bgsaveStart) / 1000);
  }

  /**
   * BGSAVE: starts a point-in-time snapshot serialized in slices between client batches and
   * streamed to temp-<pid>-<ms>.rdb, renamed over dbfilename when complete (src/persistence/
   * snapshot.ts). @returns false if one is already running. @throws if the temp file cannot be
   * created (the caller replies an error; Redis: "Can't save in background").
   * `opts.aux` adds AUX fields (a replication full sync's repl-id, repl-offset, repl-stream-db);
   * `opts.onDone` is called when the file is complete (null) or the save failed. Its child starts
   * asynchronously (saveChild.ts; whenChildRuns).
   */
  bgsave(opts: { aux?: Record<string, string>; onDone?: (err: Error | null) => void } = {}): boolean {
    if (this.rdb.bgsaveInProgress) return false;
    const t0 = Date.now();
    this.rdb.lastBgsaveTry = t0;
    const dirtyAtStart = this.server.dirty;
    const file = this.rdbPath;
    const dir = path.dirname(file);
    const tmp = path.join(dir, `temp-${process.pid}-${t0}.rdb`);
    const snap = new Snapshot(this.server.keyspace, {
      file,
      tmpFile: tmp,
      tmpName: (pid) => path.join(dir, `temp-${pid}.rdb`),
      keyDelayUs: this.server.config.num('rdb-key-save-delay'),
      beforeSlice: () => this.server.flushReplies(),
      onChild: this.noteFork,
      onStarted: (pid) => {
        this.server.log.notice(`Background saving started${pid > 0 ? ` by pid ${pid}` : ''}`);
      },
      compress: this.compress,
      checksum: this.server.config.get('rdbchecksum') !== false,
      aux: { ...this.auxFields?.(), ...opts.aux },
      // Stopped from outside (FLUSHALL, shutdown): a replication full sync waiting for the file fails.
      onAbort: () => {
        if (opts.onDone !== undefined) queueMicrotask(() => opts.onDone?.(new ChildTerminatedError(10)));
      },
      onDone: (err) => {
        this.snapshot = null;
        if (opts.onDone !== undefined) queueMicrotask(() => opts.onDone?.(err));
        this.rdb.bgsaveInProgress = false;
        this.rdb.lastBgsaveTimeSec = Math.round((Date.now() - t0) / 1000);
        this.rdb.lastCowSize = snap.cowBytes;
        if (err) {
          this.rdb.lastBgsaveStatus = 'err';
          // Redis backgroundSaveDoneHandlerDisk's lines for a killed child and a failed one.
          if (err instanceof ChildTerminatedError) this.server.log.warning(`Background saving terminated by signal ${err.signal}`);
          else this.server.log.warning(`Background saving error: ${err.message}`);
          this.updateDiskError();
          return;
        }
        this.server.dirty = Math.max(0, this.server.dirty - dirtyAtStart);
        this.rdb.lastSave = Math.floor(t0 / 1000);
        this.rdb.saves++;
        this.rdb.lastBgsaveStatus = 'ok';
        this.updateDiskError();
        this.server.log.notice(
          `Background saving terminated with success (${snap.keysDone} keys, longest slice ${snap.maxSliceMs.toFixed(1)} ms)`,
        );
      },
    });
    try {
      snap.start();
    } catch (e) {
      this.rdb.lastBgsaveStatus = 'err';
      this.updateDiskError();
      throw e;
    }
    this.snapshot = snap;
    this.rdb.bgsaveInProgress = true;
    this.rdb.bgsaveStart = t0;
    return true;
  }

  /**
   * Recomputes server.diskError, the -MISCONF error write commands get (Redis
   * writeCommandsDeniedByDiskError): a failed last BGSAVE with save rules and
   * stop-writes-on-bgsave-error yes, or a failed AOF write.
   */
  updateDiskError(): void {
    const s = this.server;
    let err: string | null = null;
    if (s.config.bool('stop-writes-on-bgsave-error') && s.config.list('save').length > 0 && this.rdb.lastBgsaveStatus === 'err') {
      err = ERR_MISCONF_RDB;
    } else if (this.aof.enabled && this.aof.stats.lastWriteStatus === 'err') {
      err = `MISCONF Errors writing to the AOF file: ${this.aof.lastWriteError}`;
    }
    s.diskError = err;
  }

  /** bgsave() from cron: a failure to start is logged (and counted as a failed save). */
  private tryBgsave(): void {
    try {
      this.bgsave();
    } catch (e) {
      this.server.log.warning(`Can't save in background: ${(e as Error).message}`);
    }
  }

  /** serverCron's persistence part: scheduled BGSAVE / rewrite, `save <seconds> <changes>` rules. */
  private cron(now: number): void {
    if (this.server.loading || this.childActive) return;
    if (this.aof.stats.rewriteScheduled) {
      this.aof.stats.rewriteScheduled = false;
      if (this.aofStartPending) {
        this.aofStartPending = false;
        this.startAof();
      } else {
        try {
          this.aof.rewriteBackground();
        } catch (e) {
          this.server.log.warning(`Can't rewrite append only file in background: ${(e as Error).message}`);
        }
      }
      return;
    }
    if (this.rdb.scheduledBgsave) {
      this.rdb.scheduledBgsave = false;
      this.tryBgsave();
      return;
    }
    if (this.aof.autoRewrite()) return;
    const dirty = this.server.dirty;
    if (dirty === 0) return;
    for (const rule of this.server.config.list('save')) {
      const [secs, changes] = rule.split(' ').map(Number);
      if (
        dirty >= changes &&
        now - this.rdb.lastSave * 1000 > secs * 1000 &&
        (this.rdb.lastBgsaveStatus === 'ok' || now - this.rdb.lastBgsaveTry > 5000)
      ) {
        this.server.log.notice(`${changes} changes in ${secs} seconds. Saving...`);
        this.tryBgsave();
        return;
      }
    }
  }

  /** Whether a shutdown with this SAVE/NOSAVE choice (undefined: the config's) saves the RDB. */
  shutdownSaves(save: boolean | undefined): boolean {
    return !this.server.loading && (save === true || (save === undefined && this.server.config.list('save').length > 0));
  }

  /** The final save of a signalled shutdown while it runs (saveForShutdown). */
  private shutdownSnapshot: Snapshot | null = null;

  /**
   * The final save of a SIGTERM/SIGINT shutdown (Redis prepareForShutdown → rdbSave): the dataset
   * written to temp-<pid>.rdb in slices (rdb-key-save-delay honoured) and renamed over dbfilename,
   * so the process still sees a second SIGINT meanwhile (`abortShutdownSave`: Redis exits at once
   * and removes the temp file). The caller pauses every client meanwhile, as Redis serves none
   * during its save. A running BGSAVE is abandoned first. Rejects with the save's error (logged:
   * "Error trying to save the DB, can't exit").
   */
  saveForShutdown(): Promise<void> {
    if (this.snapshot !== null) {
      this.snapshot.abort();
      this.snapshot = null;
      this.rdb.bgsaveInProgress = false;
    }
    const server = this.server;
    const file = this.rdbPath;
    return new Promise<void>((resolve, reject) => {
      const snap = new Snapshot(server.keyspace, {
        file,
        tmpFile: path.join(path.dirname(file), `temp-${process.pid}.rdb`),
        keyDelayUs: server.config.num('rdb-key-save-delay'),
        beforeSlice: () => server.flushReplies(),
        compress: this.compress,
        checksum: server.config.get('rdbchecksum') !== false,
        aux: this.auxFields?.() ?? undefined,
        onDone: (err) => {
          this.shutdownSnapshot = null;
          if (err) {
            this.rdb.lastBgsaveStatus = 'err';
            server.log.warning(`Error trying to save the DB, can't exit: ${err.message}`);
            reject(new Error('Errors trying to SHUTDOWN. Check logs.'));
            return;
          }
          server.dirty = 0;
          this.rdb.lastSave = Math.floor(Date.now() / 1000);
          this.rdb.saves++;
          this.rdb.lastBgsaveStatus = 'ok';
          server.log.notice('DB saved on disk');
          resolve();
        },
      });
      try {
        snap.start();
      } catch (e) {
        server.log.warning(`Error trying to save the DB, can't exit: ${(e as Error).message}`);
        reject(new Error('Errors trying to SHUTDOWN. Check logs.'));
        return;
      }
      this.shutdownSnapshot = snap;
      server.log.notice('Saving the final RDB snapshot before exiting.');
    });
  }

  /** A second SIGINT during saveForShutdown: its temp file is removed (Redis rdbRemoveTempFile(getpid())). */
  abortShutdownSave(): void {
    this.shutdownSnapshot?.abort();
    this.shutdownSnapshot = null;
  }

  /** Shutdown: fsync the AOF; save the RDB for SHUTDOWN SAVE, or by default when save rules exist. */
  private onShutdown(save: boolean | undefined): void {
    // A running BGSAVE / rewrite is abandoned, as Redis kills its child (temp file removed).
    if (this.snapshot !== null) {
      this.snapshot.abort();
      this.snapshot = null;
      this.rdb.bgsaveInProgress = false;
    }
    if (this.aof.snapshot !== null && !this.aof.enabled) {
      // BGREWRITEAOF with the AOF off (with the AOF on, aof.stop() below abandons it).
      this.aof.snapshot.abort();
      this.aof.snapshot = null;
      this.aof.stats.rewriteInProgress = false;
    }
    if (this.aof.enabled) this.aof.sync();
    // Never save a partially loaded dataset over the file it came from.
    const doSave = this.shutdownSaves(save);
    if (doSave) {
      try {
        this.saveSync();
      } catch (e) {
        this.server.log.warning(`Error trying to save the DB, can't exit: ${(e as Error).message}`);
        throw new Error('Errors trying to SHUTDOWN. Check logs.');
      }
    }
    if (this.aof.enabled) this.aof.stop();
  }
}

/**
 * Runs a generator in slices of ~20 ms of work, giving the event loop a turn (setImmediate)
 * between slices, so clients connected during loading get their -LOADING/INFO replies. A step
 * may yield `{ sleepMs }` (pause) or `{ wait: promise }` (awaited before the next step).
 * `tick` runs after every slice. @returns the generator's return value; rejects with its error.
 */
export async function runSliced<T>(gen: Generator<unknown, T>, tick: () => void, sliceMs = 20): Promise<T> {
  for (;;) {
    const t0 = performance.now();
    let sleepMs = 0;
    while (performance.now() - t0 < sliceMs) {
      const r = gen.next();
      if (r.done) return r.value;
      // A step may ask for a pause (key-load-delay) or to wait for a suspended script (AOF
      // loading): the event loop serves clients (-LOADING) meanwhile.
      const v = r.value as { sleepMs?: number; wait?: Promise<void> } | undefined;
      if (typeof v === 'object' && v !== null && typeof v.sleepMs === 'number' && v.sleepMs > 0) {
        sleepMs = v.sleepMs;
        break;
      }
      if (typeof v === 'object' && v !== null && v.wait !== undefined) {
        tick();
        await v.wait;
      }
    }
    tick();
    if (sleepMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, sleepMs));
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const instances = new WeakMap<PersistenceHost, Persistence>();

/**
 * Creates the server's persistence and hooks it up (cron, shutdown, INFO). Call once, before
 * start(); then `await p.loadAtStartup()` once the listener is open (see startServer).
 */
export function setupPersistence(server: PersistenceHost): Persistence {
  let p = instances.get(server);
  if (p) return p;
  p = new Persistence(server);
  instances.set(server, p);
  return p;
}

/** The server's persistence (creating it without loading if setupPersistence was not called). */
export function getPersistence(server: PersistenceHost): Persistence {
  let p = instances.get(server);
  if (!p) {
    p = new Persistence(server);
    instances.set(server, p);
  }
  return p;
}

/**
 * The INFO persistence section body: Redis 7.0's field names and order, one `name:value\r\n`
 * line each (no `# Persistence` header). For the INFO implementation to include.
 */
export function persistenceInfo(server: PersistenceHost): string {
  const p = getPersistence(server);
  const r = p.rdb;
  const a = p.aof.stats;
  const now = Date.now();
  const snap = p.snapshot ?? p.aof.snapshot;
  const lines = [
    `loading:${server.loading ? 1 : 0}`,
    `async_loading:${p.asyncLoading ? 1 : 0}`,
    `current_cow_peak:${snap?.cowBytes ?? 0}`,
    `current_cow_size:${snap?.cowBytes ?? 0}`,
    'current_cow_size_age:0',
    // Redis sendChildInfoGeneric: keys processed / keys total, in percent.
    `current_fork_perc:${snap !== null && snap.keysTotal > 0 ? ((snap.keysDone / snap.keysTotal) * 100).toFixed(2) : '0.00'}`,
    `current_save_keys_processed:${snap?.keysDone ?? 0}`,
    `current_save_keys_total:${snap?.keysTotal ?? 0}`,
    `rdb_changes_since_last_save:${server.dirty}`,
    // 1 once the save's child runs, as after Redis's fork() (the spawn is asynchronous: saveChild.ts).
    `rdb_bgsave_in_progress:${r.bgsaveInProgress && p.snapshot?.spawning !== true ? 1 : 0}`,
    `rdb_last_save_time:${r.lastSave}`,
    `rdb_last_bgsave_status:${r.lastBgsaveStatus}`,
    `rdb_last_bgsave_time_sec:${r.lastBgsaveTimeSec}`,
    `rdb_current_bgsave_time_sec:${r.bgsaveInProgress ? Math.round((now - r.bgsaveStart) / 1000) : -1}`,
    `rdb_saves:${r.saves}`,
    `rdb_last_cow_size:${r.lastCowSize}`,
    `rdb_last_load_keys_expired:${r.lastLoadKeysExpired}`,
    `rdb_last_load_keys_loaded:${r.lastLoadKeysLoaded}`,
    `aof_enabled:${p.aof.enabled ? 1 : 0}`,
    `aof_rewrite_in_progress:${a.rewriteInProgress && p.aof.snapshot?.spawning !== true ? 1 : 0}`,
    `aof_rewrite_scheduled:${a.rewriteScheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${a.lastRewriteTimeSec}`,
    `aof_current_rewrite_time_sec:${a.rewriteInProgress ? Math.round((now - p.aof.rewriteStart) / 1000) : -1}`,
    `aof_last_bgrewrite_status:${a.lastRewriteStatus}`,
    `aof_rewrites:${a.rewrites}`,
    `aof_rewrites_consecutive_failures:${a.consecutiveFailures}`,
    `aof_last_write_status:${a.lastWriteStatus}`,
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ];
  if (p.aof.enabled) {
    lines.push(
      `aof_current_size:${a.currentSize}`,
      `aof_base_size:${a.baseSize}`,
      'aof_pending_rewrite:0',
      'aof_buffer_length:0',
      'aof_pending_bio_fsync:0',
      `aof_delayed_fsync:${a.delayedFsync}`,
    );
  }
  const ls = p.loadingState;
  if (server.loading && ls !== null) {
    // Redis 7.0 genRedisInfoString: progress of the load and a linear ETA.
    const perc = ls.totalBytes > 0 ? (ls.loadedBytes / ls.totalBytes) * 100 : 0;
    const remaining = ls.totalBytes > 0 ? ls.totalBytes - ls.loadedBytes : 1;
    const elapsed = Math.floor(now / 1000) - Math.floor(ls.start / 1000);
    const eta = elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (ls.loadedBytes + 1));
    lines.push(
      `loading_start_time:${Math.floor(ls.start / 1000)}`,
      `loading_total_bytes:${ls.totalBytes}`,
      `loading_rdb_used_mem:${ls.rdbUsedMem}`,
      `loading_loaded_bytes:${ls.loadedBytes}`,
      `loading_loaded_perc:${perc.toFixed(2)}`,
      `loading_eta_seconds:${eta}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export { AofLoadError };
