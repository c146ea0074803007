/**
 * Persistence for one server: RDB snapshots (SAVE, BGSAVE, save rules, save on shutdown), the AOF
 * and loading at start-up. `setupPersistence(server)` wires it to the server's hooks and loads the
 * dataset (AOF wins when both files exist, as in Redis); it must run before clients are served.
 *
 * BGSAVE approach (documented trade-off): the snapshot is encoded synchronously at the moment of
 * the command — the analogue of Redis's fork(), so it is exactly consistent with no copy-on-write
 * machinery — and only the file I/O (write, fsync, rename) runs in the background. Encoding cost
 * is proportional to the dataset (roughly 100-200 MB/s of RDB output), so for very large datasets
 * the command blocks for that long; key-sliced incremental saving is future work.
 * Source: Redis 7.0 rdb.c (rdbSave, rdbSaveBackground, serverCron save rules), server.c (INFO).
 */
import fs from 'node:fs';
import path from 'node:path';
import { addInfoContributor } from '../commands/server/info.js';
import type { KeydraServer } from '../server/server.js';
import { Aof, AofLoadError, writeFileDurable, writeFileDurableAsync } from './aof/aof.js';
import { decodeRdb, encodeRdb, RdbError } from './rdb/rdb.js';
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
  };

  constructor(readonly server: KeydraServer) {
    this.aof = new Aof(server);
    server.cronHooks.push((now) => this.cron(now));
    server.shutdownHooks.push((opts) => this.onShutdown(opts.save));
    server.config.onChange('appendonly', (v) => {
      if (v && !this.aof.enabled) this.aof.create();
      else if (!v && this.aof.enabled) this.aof.stop();
    });
  }

  /** Path of the RDB file (dir/dbfilename). */
  get rdbPath(): string {
    return path.join(this.server.config.str('dir'), this.server.config.str('dbfilename'));
  }

  /**
   * Loads the dataset at start-up: the AOF if appendonly is on and it exists, else the RDB file
   * if present; then opens (or creates) the AOF when appendonly is on.
   * @throws Error with Redis-like text when a file is corrupt (the CLI exits non-zero).
   */
  loadAtStartup(): void {
    const server = this.server;
    const t0 = Date.now();
    const aofOn = server.config.bool('appendonly');
    if (aofOn && this.aof.exists()) {
      const n = this.aof.load();
      server.log.notice(`DB loaded from append only file: ${((Date.now() - t0) / 1000).toFixed(3)} seconds (${n} commands)`);
    } else if (fs.existsSync(this.rdbPath)) {
      const data = fs.readFileSync(this.rdbPath);
      try {
        const info = decodeRdb(data, server.keyspace);
        this.rdb.lastLoadKeysLoaded = info.keys;
        this.rdb.lastLoadKeysExpired = info.expiredSkipped;
      } catch (e) {
        const off = e instanceof RdbError ? ` at offset ${e.offset}` : '';
        throw new Error(
          `Short read or OOM loading DB. Unrecoverable error, aborting now. ${path.basename(this.rdbPath)}${off}: ${(e as Error).message}`,
        );
      }
      server.log.notice(`DB loaded from disk: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
    }
    server.dirty = 0;
    if (aofOn) {
      if (this.aof.exists()) this.aof.resume();
      else this.aof.create();
    }
  }

  /** SAVE: writes the RDB file synchronously. @throws on I/O failure. */
  saveSync(): void {
    const image = encodeRdb(this.server.keyspace, { compress: this.compress });
    writeFileDurable(this.rdbPath, image);
    this.server.dirty = 0;
    this.rdb.lastSave = Math.floor(Date.now() / 1000);
    this.rdb.saves++;
    this.rdb.lastBgsaveStatus = 'ok';
    this.server.log.notice('DB saved on disk');
  }

  private get compress(): boolean {
    return this.server.config.get('rdbcompression') !== false;
  }

  /** True while a BGSAVE or BGREWRITEAOF is writing (Redis hasActiveChildProcess). */
  get childActive(): boolean {
    return this.rdb.bgsaveInProgress || this.aof.stats.rewriteInProgress;
  }

  /** BGSAVE: snapshot now, write in the background. @returns false if one is already running. */
  bgsave(): boolean {
    if (this.rdb.bgsaveInProgress) return false;
    const t0 = Date.now();
    this.rdb.bgsaveInProgress = true;
    this.rdb.bgsaveStart = t0;
    this.rdb.lastBgsaveTry = t0;
    const dirtyAtStart = this.server.dirty;
    const image = encodeRdb(this.server.keyspace, { compress: this.compress });
    const file = this.rdbPath;
    const tmp = path.join(path.dirname(file), `temp-${process.pid}-${t0}.rdb`);
    this.server.log.notice('Background saving started');
    writeFileDurableAsync(tmp, image, (err) => {
      this.rdb.bgsaveInProgress = false;
      this.rdb.lastBgsaveTimeSec = Math.round((Date.now() - t0) / 1000);
      if (!err) {
        try {
          fs.renameSync(tmp, file);
        } catch (e) {
          err = e as Error;
        }
      }
      if (err) {
        fs.rmSync(tmp, { force: true });
        this.rdb.lastBgsaveStatus = 'err';
        this.server.log.warning(`Background saving error: ${err.message}`);
        return;
      }
      this.server.dirty = Math.max(0, this.server.dirty - dirtyAtStart);
      this.rdb.lastSave = Math.floor(t0 / 1000);
      this.rdb.saves++;
      this.rdb.lastBgsaveStatus = 'ok';
      this.server.log.notice('Background saving terminated with success');
    });
    return true;
  }

  /** serverCron's persistence part: scheduled BGSAVE / rewrite, `save <seconds> <changes>` rules. */
  private cron(now: number): void {
    if (this.childActive) return;
    if (this.aof.stats.rewriteScheduled) {
      this.aof.stats.rewriteScheduled = false;
      this.aof.rewriteBackground();
      return;
    }
    if (this.rdb.scheduledBgsave) {
      this.rdb.scheduledBgsave = false;
      this.bgsave();
      return;
    }
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
        this.bgsave();
        return;
      }
    }
  }

  /** Shutdown: fsync the AOF; save the RDB for SHUTDOWN SAVE, or by default when save rules exist. */
  private onShutdown(save: boolean | undefined): void {
    if (this.aof.enabled) this.aof.sync();
    const doSave = save === true || (save === undefined && this.server.config.list('save').length > 0);
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

const instances = new WeakMap<KeydraServer, Persistence>();
let infoRegistered = false;

/** Creates the server's persistence, hooks it up and loads the dataset. Call once, before start(). */
export function setupPersistence(server: KeydraServer): Persistence {
  if (!infoRegistered) {
    // Registered at run time, not import time: info.ts and this module import each other indirectly.
    infoRegistered = true;
    addInfoContributor('persistence', (s) => persistenceInfo(s).trimEnd().split('\r\n'));
  }
  let p = instances.get(server);
  if (p) return p;
  p = new Persistence(server);
  instances.set(server, p);
  p.loadAtStartup();
  return p;
}

/** The server's persistence (creating it without loading if setupPersistence was not called). */
export function getPersistence(server: KeydraServer): Persistence {
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
export function persistenceInfo(server: KeydraServer): string {
  const p = getPersistence(server);
  const r = p.rdb;
  const a = p.aof.stats;
  const now = Date.now();
  const lines = [
    `loading:${server.loading ? 1 : 0}`,
    'async_loading:0',
    'current_cow_peak:0',
    'current_cow_size:0',
    'current_cow_size_age:0',
    'current_fork_perc:0.00',
    'current_save_keys_processed:0',
    'current_save_keys_total:0',
    `rdb_changes_since_last_save:${server.dirty}`,
    `rdb_bgsave_in_progress:${r.bgsaveInProgress ? 1 : 0}`,
    `rdb_last_save_time:${r.lastSave}`,
    `rdb_last_bgsave_status:${r.lastBgsaveStatus}`,
    `rdb_last_bgsave_time_sec:${r.lastBgsaveTimeSec}`,
    `rdb_current_bgsave_time_sec:${r.bgsaveInProgress ? Math.round((now - r.bgsaveStart) / 1000) : -1}`,
    `rdb_saves:${r.saves}`,
    'rdb_last_cow_size:0',
    `rdb_last_load_keys_expired:${r.lastLoadKeysExpired}`,
    `rdb_last_load_keys_loaded:${r.lastLoadKeysLoaded}`,
    `aof_enabled:${p.aof.enabled ? 1 : 0}`,
    `aof_rewrite_in_progress:${a.rewriteInProgress ? 1 : 0}`,
    `aof_rewrite_scheduled:${a.rewriteScheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${a.lastRewriteTimeSec}`,
    'aof_current_rewrite_time_sec:-1',
    `aof_last_bgrewrite_status:${a.lastRewriteStatus}`,
    `aof_rewrites:${a.rewrites}`,
    'aof_rewrites_consecutive_failures:0',
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
  return `${lines.join('\r\n')}\r\n`;
}

export { AofLoadError };
