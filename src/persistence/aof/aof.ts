/**
 * The append-only file, in Redis 7.0's multi-part layout:
 *
 *   <dir>/<appenddirname>/<appendfilename>.manifest       which files make up the AOF, in order
 *   <dir>/<appenddirname>/<appendfilename>.<N>.base.rdb   a snapshot (RDB preamble) ...
 *     (or .base.aof: the snapshot as commands, with aof-use-rdb-preamble no; aof/rewrite.ts)
 *   <dir>/<appenddirname>/<appendfilename>.<N>.incr.aof   ... followed by RESP commands
 *
 * Writes reach the AOF through the server's propagation listener: each command (already made
 * deterministic by its handler) is appended to an in-memory buffer as RESP, with a SELECT when
 * the db changes. The buffer is written with one write(2) per event-loop turn, before replies go
 * out (beforeFlushHooks); with `appendfsync always` it is also fsynced there (group commit, so an
 * acknowledged write is on disk), `everysec` fsyncs from a 1 s timer, `no` leaves it to the OS.
 *
 * BGREWRITEAOF (rewriteAppendOnlyFileBackground in Redis 7): opens a new INCR file and switches
 * writes to it, snapshots the dataset at that instant as the new BASE (RDB), writes it out
 * asynchronously, then atomically replaces the manifest and deletes the old files.
 * Source: Redis 7.0 aof.c (feedAppendOnlyFile, flushAppendOnlyFile, loadAppendOnlyFiles,
 * aofLoadManifestFromFile, rewriteAppendOnlyFileBackground).
 */
import { encodeAofBase } from './rewrite.js';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandReplayer, PersistenceHost } from '../host.js';
import { catRepr, splitArgs } from '../../protocol/parser.js';
import { strerror } from '../../config/config.js';
import { decodeRdbSteps, encodeRdb } from '../rdb/rdb.js';
import { ChildTerminatedError, Snapshot } from '../snapshot.js';

/** One line of the manifest. */
export interface ManifestEntry {
  file: string;
  seq: number;
  type: 'b' | 'i' | 'h';
}

/** Longest manifest line Redis reads (MANIFEST_MAX_LINE), bytes. */
const MANIFEST_MAX_LINE = 1024;

/**
 * Parses a manifest as Redis 7.0 aofLoadManifestFromFile does: comment lines, `file/seq/type`
 * pairs (names case-insensitive, at least 6 words, an even count), one BASE at most, INCR
 * sequence numbers increasing. @throws AofLoadError whose message is Redis's FATAL report
 * ("*** FATAL AOF MANIFEST FILE ERROR ***", the line number and text, then the reason, e.g.
 * "Found an empty AOF manifest", "Invalid AOF manifest file format", "Found duplicate base file
 * information", "Found a non-monotonic sequence number", "Unknown AOF file type", "The AOF
 * manifest file contains too long line").
 */
export function parseManifest(text: string, _name: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  let lineNo = 0;
  let pos = 0;
  let maxSeq = 0;
  let base = false;
  const fail = (reason: string, line: string | null): never => {
    const where = line === null ? '' : `Reading the manifest file, at line ${lineNo}\n>>> '${line}'\n`;
    throw new AofLoadError(`\n*** FATAL AOF MANIFEST FILE ERROR ***\n${where}${reason}`);
  };
  for (;;) {
    if (pos >= text.length) {
      if (lineNo === 0) fail('Found an empty AOF manifest', null);
      break;
    }
    // fgets of MANIFEST_MAX_LINE + 1 bytes: a line without its newline there is too long (or unterminated).
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const buf = text.slice(pos, Math.min(end, pos + MANIFEST_MAX_LINE));
    pos += buf.length;
    lineNo++;
    if (buf.startsWith('#')) {
      if (!buf.endsWith('\n')) pos = end; // a long comment is skipped whole
      continue;
    }
    if (!buf.endsWith('\n')) fail('The AOF manifest file contains too long line', null);
    const line = buf.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '') fail('Invalid AOF manifest file format', line);
    const argv = splitArgs(line);
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format', line);
    const e = { file: '', seq: 0, type: '' };
    const args = argv as string[];
    for (let i = 0; i < args.length; i += 2) {
      const k = args[i].toLowerCase();
      if (k === 'file') {
        e.file = args[i + 1];
        if (path.basename(e.file) !== e.file) fail("File can't be a path, just a filename", line);
      } else if (k === 'seq') e.seq = Number.parseInt(args[i + 1], 10) || 0;
      else if (k === 'type') e.type = args[i + 1].charAt(0);
    }
    if (e.file === '' || e.seq === 0 || e.type === '') fail('Invalid AOF manifest file format', line);
    if (e.type === 'b') {
      if (base) fail('Found duplicate base file information', line);
      base = true;
    } else if (e.type === 'i') {
      if (e.seq <= maxSeq) fail('Found a non-monotonic sequence number', line);
      maxSeq = e.seq;
    } else if (e.type !== 'h') fail('Unknown AOF file type', line);
    out.push(e as ManifestEntry);
  }
  return out;
}

/**
 * Formats a manifest as Redis writes it (getAofManifestAsString): the BASE, then HISTORY, then
 * INCR lines; a file name with spaces, quotes or unprintable bytes is quoted as sdscatrepr does.
 */
export function formatManifest(entries: ManifestEntry[]): string {
  const order = { b: 0, h: 1, i: 2 };
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, b) => order[a.e.type] - order[b.e.type] || a.i - b.i);
  return sorted.map(({ e }) => `file ${reprIfNeeded(e.file)} seq ${e.seq} type ${e.type}\n`).join('');
}

/** `s` as is, or quoted with C escapes when sdsneedsrepr would say so (sdscatrepr). */
function reprIfNeeded(s: string): string {
  return /[\\"\s\x00-\x1f\x7f-\xff]/.test(s) ? catRepr(s) : s;
}

/** Encodes argv as a RESP array of bulk strings (latin1). */
export function respCommand(argv: string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Result of parsing one RESP command from an AOF buffer: a command, a cut-short tail, or a format error. */
type ParseResult = { argv: string[]; next: number } | 'truncated' | { error: string };

/**
 * Parses one `*N\r\n$len\r\n...` command at `pos` of an AOF (latin1 string), as Redis's
 * loadSingleAppendOnlyFile reads it: a line not starting with `*`/`$` or a count below 1 is a
 * format error, input ending before the command is whole is a truncated tail.
 */
function parseAofCommand(s: string, pos: number): ParseResult {
  if (s.charCodeAt(pos) !== 42 /* * */) return { error: 'expected *' };
  let eol = s.indexOf('\r\n', pos);
  if (eol < 0) return 'truncated';
  const n = Number(s.slice(pos + 1, eol));
  if (!Number.isInteger(n) || n < 1) return { error: 'invalid multibulk count' };
  let p = eol + 2;
  const argv: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (p >= s.length) return 'truncated';
    if (s.charCodeAt(p) !== 36 /* $ */) return { error: 'expected $' };
    eol = s.indexOf('\r\n', p);
    if (eol < 0) return 'truncated';
    const len = Number(s.slice(p + 1, eol));
    if (!Number.isInteger(len) || len < 0) return { error: 'invalid bulk length' };
    p = eol + 2;
    if (p + len + 2 > s.length) return 'truncated';
    if (s.charCodeAt(p + len) !== 13 || s.charCodeAt(p + len + 1) !== 10) return { error: 'bulk not terminated by CRLF' };
    argv[i] = s.slice(p, p + len);
    p += len + 2;
  }
  return { argv, next: p };
}

/** Redis's fmterr text of loadSingleAppendOnlyFile (aof.c). */
function badFormat(name: string): string {
  return `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`;
}

/**
 * The command an AOF line names, checked as loading needs it: Redis's lookupCommand(argv, argc)
 * (a container command resolves its subcommand; an unknown one is unknown). Redis 7.0.15 does
 * not check arity there and crashes on a short command; Keydra refuses it instead.
 * @returns null, or the error to log (the load then fails).
 */
function checkAofCommand(replayer: CommandReplayer, argv: string[], name: string): string | null {
  const cmd = replayer.lookup(argv);
  if (cmd === undefined) return `Unknown command '${argv[0]}' reading the append only file ${name}`;
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
    return `Wrong number of arguments for '${cmd.fullName}' command reading the append only file ${name}`;
  }
  return null;
}

/** An AOF that cannot be loaded; names the file and the offset, as Redis's messages do. */
export class AofLoadError extends Error {}

/** Counters INFO persistence reports for the AOF. */
export interface AofStats {
  rewrites: number;
  lastRewriteStatus: 'ok' | 'err';
  lastWriteStatus: 'ok' | 'err';
  lastRewriteTimeSec: number;
  rewriteInProgress: boolean;
  rewriteScheduled: boolean;
  /** Failed rewrites in a row (INFO aof_rewrites_consecutive_failures; the auto-rewrite limit). */
  consecutiveFailures: number;
  currentSize: number;
  baseSize: number;
  delayedFsync: number;
}

/** The AOF of one server: files, buffer, fsync policy, loading and rewriting. */
export class Aof {
  readonly dirPath: string;
  readonly baseName: string;
  private manifest: ManifestEntry[] = [];
  private fd = -1;
  private buf = '';
  private curDb = -1;
  private pendingFsync = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private fsyncInFlight = false;
  /** The running rewrite's snapshot, if any. */
  snapshot: Snapshot | null = null;
  /** Unix ms when the running rewrite started. */
  rewriteStart = 0;
  /** strerror-like text of the last failed write (for -MISCONF). */
  lastWriteError = '';
  /** Called when the write status changes (persistence recomputes -MISCONF). */
  onWriteStatus: (() => void) | null = null;
  enabled = false;
  readonly stats: AofStats = {
    rewrites: 0,
    lastRewriteStatus: 'ok',
    lastWriteStatus: 'ok',
    lastRewriteTimeSec: -1,
    rewriteInProgress: false,
    rewriteScheduled: false,
    consecutiveFailures: 0,
    currentSize: 0,
    baseSize: 0,
    delayedFsync: 0,
  };

  constructor(readonly server: PersistenceHost) {
    const cfg = server.config;
    // Redis updateAofAutoGCEnabled: turning auto-gc back on deletes the history files at once.
    cfg.onChange('aof-disable-auto-gc', (v) => {
      if (!v) this.delHistoryFiles();
    });
    this.dirPath = path.join(cfg.str('dir'), cfg.str('appenddirname'));
    this.baseName = cfg.str('appendfilename');
    server.addPropagationListener(
      (dbId, argv) => this.feed(dbId, argv),
      () => this.enabled,
      1, // PROPAGATE_AOF: writes for the AOF (PUBLISH, for one, goes to replicas only)
    );
    server.beforeFlushHooks.push(() => this.flush());
  }

  /**
   * Moves an old-style AOF (`appendfilename` in `dir`, from Redis < 7.0) into the AOF directory as
   * its BASE with a new manifest, when the directory or the manifest does not exist yet, or the
   * manifest names only that file as BASE and it is not there (loadAppendOnlyFiles upgrade mode,
   * aofUpgradePrepare: "Successfully migrated an old-style AOF file ...").
   * @throws Error when the directory or manifest cannot be written or the file cannot be moved.
   */
  upgradeIfNeeded(): void {
    const old = path.join(this.server.config.str('dir'), this.baseName);
    if (!fs.existsSync(old) || !fs.statSync(old).isFile()) return;
    let entries: ManifestEntry[] = [];
    const haveDir = fs.existsSync(this.dirPath);
    if (haveDir && this.exists()) entries = parseManifest(fs.readFileSync(this.manifestPath, 'latin1'), this.manifestPath);
    const base = entries.find((e) => e.type === 'b');
    const incrs = entries.filter((e) => e.type === 'i');
    const upgrade =
      !haveDir ||
      (base === undefined && incrs.length === 0) ||
      (base !== undefined && incrs.length === 0 && base.file === this.baseName && !fs.existsSync(this.path(this.baseName)));
    if (!upgrade) return;
    fs.mkdirSync(this.dirPath, { recursive: true });
    this.writeManifest([...entries.filter((e) => e.type === 'h'), { file: this.baseName, seq: 1, type: 'b' }]);
    fs.renameSync(old, this.path(this.baseName));
    this.server.log.notice(
      `Successfully migrated an old-style AOF file (${this.baseName}) into the AOF directory (${path.basename(this.dirPath)}).`,
    );
  }

  get manifestPath(): string {
    return path.join(this.dirPath, `${this.baseName}.manifest`);
  }

  /** True if an AOF manifest exists on disk. */
  exists(): boolean {
    return fs.existsSync(this.manifestPath);
  }

  // ---- writing -----------------------------------------------------------------------------

  /** Appends one propagated write to the buffer (feedAppendOnlyFile). */
  private feed(dbId: number, argv: string[]): void {
    // fd < 0: waiting for a rescheduled first rewrite (waitRewrite), whose snapshot has these writes.
    if (!this.enabled || this.fd < 0) return;
    if (this.server.config.bool('aof-timestamp-enabled')) {
      // `#TS:<unix s>` before the first command of each new second (genAofTimestampAnnotationIfNeeded).
      const now = Math.floor(Date.now() / 1000);
      if (now > this.curTimestamp) {
        this.curTimestamp = now;
        this.buf += `#TS:${now}\r\n`;
      }
    }
    if (dbId !== this.curDb) {
      const id = String(dbId);
      this.buf += `*2\r\n$6\r\nSELECT\r\n$${id.length}\r\n${id}\r\n`;
      this.curDb = dbId;
    }
    this.buf += respCommand(argv);
  }

  /**
   * The server's beforeFlush hook: writes the buffer with one write (flushAppendOnlyFile) and,
   * with `appendfsync always`, fdatasyncs it before the replies go out. The server flushes
   * replies once per event-loop turn (after every socket read of the turn ran its commands, as
   * Redis's beforeSleep), so this is a group commit: one write + one fsync cover every client's
   * writes of the turn. A failed write is fatal for durability: it is logged and the process
   * exits (as Redis does with appendfsync always; we do it for every policy to never
   * acknowledge a lost write).
   * @returns true (replies may go out).
   */
  /** Unix seconds of the last `#TS:` annotation written (aof-timestamp-enabled). */
  private curTimestamp = 0;

  /** DEBUG AOF-FLUSH-SLEEP <µs>: a stall before each AOF write (tests of slow disks); 0: none. */
  flushSleepUs = 0;

  flush(): boolean {
    if (this.buf.length === 0 || this.fd < 0) return true;
    // DEBUG AOF-FLUSH-SLEEP: the whole server stalls before the write, as Redis's usleep does.
    if (this.flushSleepUs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.flushSleepUs / 1000);
    const policy = this.server.config.str('appendfsync');
    const data = Buffer.from(this.buf, 'latin1');
    this.buf = '';
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off);
      this.stats.currentSize += data.length;
      if (policy === 'always') fs.fdatasyncSync(this.fd);
      else if (policy === 'everysec') this.pendingFsync = true;
      this.stats.lastWriteStatus = 'ok';
    } catch (e) {
      this.stats.lastWriteStatus = 'err';
      this.lastWriteError = (e as Error).message;
      this.onWriteStatus?.();
      this.server.log.warning(`Can't write to the append only file: ${(e as Error).message}. Exiting.`);
      process.exit(1);
    }
    return true;
  }

  private startFsyncTimer(): void {
    if (this.fsyncTimer) return;
    this.fsyncTimer = setInterval(() => {
      if (!this.pendingFsync || this.fd < 0) return;
      if (this.fsyncInFlight) {
        this.stats.delayedFsync++;
        return;
      }
      this.pendingFsync = false;
      this.fsyncInFlight = true;
      const fd = this.fd;
      fs.fdatasync(fd, () => {
        this.fsyncInFlight = false;
      });
    }, 1000);
    this.fsyncTimer.unref();
  }

  /** Writes and fsyncs everything pending (shutdown, before a switch of INCR file). */
  sync(): void {
    this.flush();
    if (this.fd >= 0) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* closed */
      }
    }
  }

  private path(file: string): string {
    return path.join(this.dirPath, file);
  }

  private nextSeq(type: 'b' | 'i'): number {
    let seq = 0;
    for (const e of this.manifest) if (e.type === type && e.seq > seq) seq = e.seq;
    return seq + 1;
  }

  /** Redis aofDelHistoryFiles: deletes the history files (type h) and drops them from the manifest. */
  delHistoryFiles(): void {
    const hist = this.manifest.filter((e) => e.type === 'h');
    if (hist.length === 0 || this.server.config.bool('aof-disable-auto-gc')) return;
    for (const e of hist) {
      this.server.log.notice(`Removing the history file ${e.file} in the background`);
      fs.rmSync(this.path(e.file), { force: true });
    }
    try {
      this.writeManifest(this.manifest.filter((e) => e.type !== 'h'));
    } catch (e) {
      this.server.log.warning(`Can't persist the AOF manifest: ${(e as Error).message}`);
    }
  }

  /** Atomically replaces the manifest (write temp, fsync, rename, fsync dir). */
  private writeManifest(entries: ManifestEntry[]): void {
    const tmp = path.join(this.dirPath, `temp-${this.baseName}.manifest`);
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, formatManifest(entries));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.manifestPath);
    fsyncDir(this.dirPath);
    this.manifest = entries;
  }

  /**
   * The AOF was turned on at run time and its first rewrite has not succeeded yet (Redis
   * AOF_WAIT_REWRITE): writes go to the temporary INCR file (tempIncrName), not in the manifest;
   * a failed rewrite deletes it and schedules another; the first success renames it to its INCR name.
   */
  private waitRewrite = false;

  /** Redis getTempIncrAofName: temp-<appendfilename>.incr. */
  private get tempIncrName(): string {
    return `temp-${this.baseName}.incr`;
  }

  /**
   * Opens a new INCR file for appending and switches writes to it (`temp`: under tempIncrName,
   * renamed when the rewrite succeeds). @returns its manifest entry.
   */
  private openNewIncr(temp = false): ManifestEntry {
    this.sync();
    if (this.fd >= 0) fs.closeSync(this.fd);
    const seq = this.nextSeq('i');
    const e: ManifestEntry = { file: `${this.baseName}.${seq}.incr.aof`, seq, type: 'i' };
    this.fd = fs.openSync(this.path(temp ? this.tempIncrName : e.file), 'w');
    this.curDb = -1;
    return e;
  }

  /**
   * Turns the AOF on with the current dataset as its base (startup without an AOF, or CONFIG SET
   * appendonly yes): writes a BASE snapshot and a fresh INCR synchronously.
   */
  create(): void {
    fs.mkdirSync(this.dirPath, { recursive: true });
    this.enabled = true;
    this.startFsyncTimer();
    this.rewriteSync();
  }

  /**
   * CONFIG SET appendonly yes (Redis 7 startAppendOnly): starts logging into a new INCR file at
   * once and writes the current dataset as the BASE with a background rewrite; the manifest
   * naming [base, incr] is written only when the base is complete, so a crash meanwhile never
   * leaves an AOF without its base. A rewrite already running (BGREWRITEAOF with the AOF off)
   * is abandoned and restarted. @throws if the files cannot be created (AOF left off).
   */
  startBackground(): void {
    fs.mkdirSync(this.dirPath, { recursive: true });
    if (this.snapshot !== null) {
      this.server.log.warning(
        'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.',
      );
      this.server.log.notice(`Killing running AOF rewrite child: ${this.snapshot.childPid}`);
      this.snapshot.abort();
      this.snapshot = null;
      this.stats.rewriteInProgress = false;
    }
    if (this.manifest.length === 0 && this.exists()) {
      // Files of an earlier AOF: number the new ones after them (they are deleted at the end).
      try {
        this.manifest = parseManifest(fs.readFileSync(this.manifestPath, 'latin1'), this.manifestPath);
      } catch {
        /* unreadable: replaced at the end */
      }
    }
    this.enabled = true;
    this.waitRewrite = true;
    this.startFsyncTimer();
    try {
      this.rewriteBackground(true);
    } catch (e) {
      this.enabled = false;
      this.waitRewrite = false;
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = -1;
      throw e;
    }
  }

  /** Opens the last INCR of a loaded AOF for appending and starts logging writes. */
  resume(): void {
    this.enabled = true;
    this.startFsyncTimer();
    const incr = [...this.manifest].reverse().find((e) => e.type === 'i');
    if (incr === undefined) {
      const e = this.openNewIncr();
      this.writeManifest([...this.manifest, e]);
    } else {
      this.fd = fs.openSync(this.path(incr.file), 'a');
      this.curDb = -1;
    }
  }

  /** Stops logging (CONFIG SET appendonly no, shutdown) after syncing. */
  stop(): void {
    if (this.snapshot !== null) {
      // Redis stopAppendOnly kills a running rewrite child (killAppendOnlyChild).
      this.server.log.notice(`Killing running AOF rewrite child: ${this.snapshot.childPid}`);
      this.snapshot.abort();
      this.snapshot = null;
      this.stats.rewriteInProgress = false;
    }
    this.sync();
    this.enabled = false;
    this.waitRewrite = false;
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = null;
  }

  /**
   * aof-use-rdb-preamble: the base is an RDB file (`.base.rdb`), else the dataset as commands
   * (`.base.aof`, src/persistence/aof/rewrite.ts), as Redis 7.0 names and writes them.
   */
  private get rdbPreamble(): boolean {
    return this.server.config.get('aof-use-rdb-preamble') !== false;
  }

  /** Snapshot-based rewrite, all synchronous (used when creating the AOF). */
  private rewriteSync(): void {
    const incr = this.openNewIncr();
    const seq = this.nextSeq('b');
    const preamble = this.rdbPreamble;
    const base: ManifestEntry = { file: `${this.baseName}.${seq}.base.${preamble ? 'rdb' : 'aof'}`, seq, type: 'b' };
    const image = preamble
      ? encodeRdb(this.server.keyspace, {
          aux: { 'aof-base': '1' },
          compress: this.server.config.get('rdbcompression') !== false,
          checksum: this.server.config.get('rdbchecksum') !== false,
        })
      : encodeAofBase(this.server.keyspace);
    writeFileDurable(this.path(base.file), image);
    this.finishRewrite(base, incr, image.length);
  }

  /**
   * A rewrite's new BASE is complete: the manifest becomes [base, incr]. The files it replaces are
   * deleted, or with aof-disable-auto-gc yes kept as history (type h, newest first: the old INCRs,
   * then the old BASE, then the older history), as Redis getNewBaseFileNameAndMarkPreAsHistory and
   * markRewrittenIncrAofAsHistory do; aofDelHistoryFiles deletes them once auto-gc is on again.
   */
  private finishRewrite(base: ManifestEntry, incr: ManifestEntry, baseSize: number): void {
    const old = this.manifest;
    if (this.server.config.bool('aof-disable-auto-gc')) {
      const replaced = old.filter((e) => e.file !== base.file && e.file !== incr.file);
      const hist = [
        ...replaced.filter((e) => e.type === 'i'),
        ...replaced.filter((e) => e.type === 'b'),
        ...replaced.filter((e) => e.type === 'h'),
      ].map((e): ManifestEntry => ({ ...e, type: 'h' }));
      this.writeManifest([base, ...hist, incr]);
    } else {
      this.writeManifest([base, incr]);
      for (const e of old) {
        if (e.file !== base.file && e.file !== incr.file) fs.rmSync(this.path(e.file), { force: true });
      }
    }
    let incrSize = 0;
    try {
      incrSize = fs.statSync(this.path(incr.file)).size;
    } catch {
      /* not created yet */
    }
    // As Redis backgroundRewriteDoneHandler: the size after the rewrite is the growth baseline.
    this.stats.currentSize = baseSize + incrSize;
    this.stats.baseSize = this.stats.currentSize;
  }

  /**
   * BGREWRITEAOF (Redis 7 rewriteAppendOnlyFileBackground): switches writes to a new INCR file
   * now (listed in the manifest at once, so nothing written from here on can be lost), then
   * writes the dataset of this instant as the new BASE (RDB preamble) with a background
   * Snapshot (sliced, copy-on-write, streamed to a temp file), and finally renames it and swaps
   * the manifest atomically to [new base, new incr], deleting the old files.
   * @returns false if one is already running. @throws if the temp file cannot be created.
   * Its child starts asynchronously (saveChild.ts; Persistence.whenChildRuns).
   */
  rewriteBackground(initial = false): boolean {
    if (this.stats.rewriteInProgress) return false;
    fs.mkdirSync(this.dirPath, { recursive: true });
    const t0 = Date.now();
    const wait = (initial || this.waitRewrite) && this.enabled;
    const incr = this.enabled ? this.openNewIncr(wait) : null;
    if (incr && !wait) this.writeManifest([...this.manifest, incr]);
    const seq = this.nextSeq('b');
    const preamble = this.rdbPreamble;
    const base: ManifestEntry = { file: `${this.baseName}.${seq}.base.${preamble ? 'rdb' : 'aof'}`, seq, type: 'b' };
    // In `dir`, not in appenddirname, named after the rewrite's child, as Redis's child writes it
    // (rewriteAppendOnlyFileBackground); renamed into appenddirname as the new BASE.
    const topDir = path.dirname(this.dirPath);
    const tmp = path.join(topDir, `temp-rewriteaof-bg-${process.pid}.aof`);
    const snap = new Snapshot(this.server.keyspace, {
      file: this.path(base.file),
      tmpFile: tmp,
      tmpName: (pid) => path.join(topDir, `temp-rewriteaof-bg-${pid}.aof`),
      keyDelayUs: this.server.config.num('rdb-key-save-delay'),
      beforeSlice: () => this.server.flushReplies(),
      onChild: (us) => this.onFork?.(us),
      onStarted: (pid) => {
        this.server.log.notice(`Background append only file rewriting started${pid > 0 ? ` by pid ${pid}` : ''}`);
      },
      format: preamble ? 'rdb' : 'aof',
      timestamp: this.server.config.bool('aof-timestamp-enabled'),
      compress: this.server.config.get('rdbcompression') !== false,
      checksum: this.server.config.get('rdbchecksum') !== false,
      aux: { 'aof-base': '1' },
      onDone: (err, bytes) => {
        this.snapshot = null;
        this.stats.rewriteInProgress = false;
        this.stats.lastRewriteTimeSec = Math.round((Date.now() - t0) / 1000);
        if (err) {
          this.stats.lastRewriteStatus = 'err';
          this.stats.consecutiveFailures++;
          // Redis backgroundRewriteDoneHandler's line for a killed child.
          if (err instanceof ChildTerminatedError) this.server.log.warning(`Background AOF rewrite terminated by signal ${err.signal}`);
          else this.server.log.warning(`Background AOF rewrite failed: ${err.message}`);
          if (wait && this.waitRewrite) {
            // Redis aofDelTempIncrAofFile, then a new rewrite is scheduled (the writes meanwhile
            // are in the dataset its snapshot takes).
            this.server.log.notice(`Removing the temp incr aof file ${this.tempIncrName} in the background`);
            if (this.fd >= 0) fs.closeSync(this.fd);
            this.fd = -1;
            this.buf = '';
            // Now, not later: the retried rewrite opens a new file of the same name.
            fs.rmSync(this.path(this.tempIncrName), { force: true });
            this.stats.rewriteScheduled = true;
          }
          return;
        }
        try {
          if (incr && this.enabled && wait) {
            fs.renameSync(this.path(this.tempIncrName), this.path(incr.file));
            this.waitRewrite = false;
          }
          if (incr && this.enabled) this.finishRewrite(base, incr, bytes);
          else {
            // AOF off: the new base alone becomes the AOF (loaded if appendonly is turned on).
            const old = this.manifest;
            this.writeManifest([base]);
            for (const e of old) if (e.file !== base.file) fs.rmSync(this.path(e.file), { force: true });
          }
          this.stats.rewrites++;
          this.stats.lastRewriteStatus = 'ok';
          this.stats.consecutiveFailures = 0;
          this.server.log.notice('Background AOF rewrite finished successfully');
        } catch (e) {
          this.stats.lastRewriteStatus = 'err';
          this.server.log.warning(`Background AOF rewrite failed: ${(e as Error).message}`);
        }
      },
    });
    snap.start();
    this.snapshot = snap;
    this.rewriteStart = t0;
    this.stats.rewriteInProgress = true;
    return true;
  }

  /** Set by Persistence: a background rewrite started its child (INFO total_forks). */
  onFork: ((usec: number) => void) | null = null;

  private limitDelayMin = 0;
  private limitUntil = 0;

  /**
   * Redis aofRewriteLimited: after 3 failed rewrites in a row, automatic rewrites wait 1 minute,
   * then 2, 4 ... up to 60 between tries (BGREWRITEAOF is not limited); a success resets it.
   */
  private rewriteLimited(): boolean {
    if (this.stats.consecutiveFailures < 3) {
      this.limitDelayMin = 0;
      this.limitUntil = 0;
      return false;
    }
    const now = Math.floor(Date.now() / 1000);
    if (this.limitUntil !== 0) {
      if (now < this.limitUntil) return true;
      this.limitUntil = 0;
      return false;
    }
    this.limitDelayMin = Math.min(this.limitDelayMin === 0 ? 1 : this.limitDelayMin * 2, 60);
    this.limitUntil = now + this.limitDelayMin * 60;
    this.server.log.warning(
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.limitDelayMin} minutes`,
    );
    return true;
  }

  /**
   * Automatic rewrite check (serverCron): the AOF grew by auto-aof-rewrite-percentage over its
   * size after the last rewrite (the base size) and is above auto-aof-rewrite-min-size.
   * @returns true if a rewrite was started.
   */
  autoRewrite(): boolean {
    if (!this.enabled || this.stats.rewriteInProgress) return false;
    const cfg = this.server.config;
    const perc = cfg.num('auto-aof-rewrite-percentage');
    const cur = this.stats.currentSize;
    if (perc === 0 || cur <= cfg.num('auto-aof-rewrite-min-size')) return false;
    const base = this.stats.baseSize > 0 ? this.stats.baseSize : 1;
    const growth = Math.floor((cur * 100) / base) - 100;
    if (growth < perc || this.rewriteLimited()) return false;
    this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
    try {
      return this.rewriteBackground();
    } catch (e) {
      this.server.log.warning(`Can't rewrite append only file in background: ${(e as Error).message}`);
      return false;
    }
  }

  // ---- loading -----------------------------------------------------------------------------

  /**
   * Loads the AOF named by the manifest (loadAppendOnlyFiles): the BASE (RDB or RESP), then each
   * INCR in order. A truncated last command of the last file is dropped (and the file truncated
   * there) when aof-load-truncated is yes; anything else malformed throws AofLoadError naming
   * the file and the byte offset. Synchronous form of `loadSteps`.
   * @returns the number of commands replayed.
   */
  load(): number {
    const steps = this.loadSteps(() => {});
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** Total size in bytes of the files the manifest names (for loading progress). */
  totalSize(): number {
    let n = 0;
    try {
      const entries = parseManifest(fs.readFileSync(this.manifestPath, 'latin1'), this.manifestPath);
      for (const e of entries) n += fs.statSync(this.path(e.file), { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      /* reported by load */
    }
    return n;
  }

  /**
   * `load` as a generator for loading in slices: yields every 1024 keys or commands; `progress`
   * gets the bytes consumed so far across all files. With `mayWait` (a caller that awaits, as
   * runSliced does) a script the AOF runs may be suspended past busy-reply-threshold (clients get
   * -LOADING meanwhile, "Slow script detected" is logged): the step then yields `{ wait }`, the
   * promise of its end. @returns the number of commands replayed.
   * @throws AofLoadError (file name and offset) on a malformed or missing file.
   */
  *loadSteps(progress: (bytes: number) => void, mayWait = false): Generator<LoadStep, number> {
    const text = fs.readFileSync(this.manifestPath, 'latin1');
    const entries = parseManifest(text, this.manifestPath);
    this.manifest = entries;
    let total = 0;
    let done = 0;
    const files = entries.filter((e) => e.type === 'b').concat(entries.filter((e) => e.type === 'i'));
    for (const e of files) {
      // Redis getBaseAndIncrAppendOnlyFilesSize: a file the manifest names must exist (fatal).
      try {
        fs.statSync(this.path(e.file));
      } catch (err) {
        throw new AofLoadError(`Unable to obtain the AOF file ${e.file} length. stat: ${strerror((err as NodeJS.ErrnoException).code)}`);
      }
    }
    for (let i = 0; i < files.length; i++) {
      const e = files[i];
      const p = this.path(e.file);
      const data = fs.readFileSync(p);
      this.stats.currentSize += data.length;
      const t0 = Date.now();
      const base = done;
      total += yield* this.loadFileSteps(p, data, i === files.length - 1, (b) => progress(base + b), mayWait);
      done += data.length;
      progress(done);
      const kind = e.type === 'b' ? 'base' : 'incr';
      this.server.log.notice(`DB loaded from ${kind} file ${e.file}: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
    }
    // As Redis loadAppendOnlyFiles: the loaded size is the baseline for automatic rewrites.
    this.stats.baseSize = this.stats.currentSize;
    return total;
  }

  private *loadFileSteps(
    file: string,
    data: Buffer,
    isLast: boolean,
    progress: (bytes: number) => void,
    mayWait: boolean,
  ): Generator<LoadStep, number> {
    const name = path.basename(file);
    let pos = 0;
    if (data.length >= 5 && data.toString('latin1', 0, 5) === 'REDIS') {
      this.server.log.notice('Reading RDB base file on AOF loading...');
      try {
        const steps = decodeRdbSteps(data, this.server.keyspace, Date.now(), this.server.config.get('rdbchecksum') !== false);
        for (;;) {
          this.server.applyEncodingLimits();
          const r = steps.next();
          if (r.done) {
            this.server.log.notice(`Done loading RDB, keys loaded: ${r.value.keys}, keys expired: ${r.value.expiredSkipped}.`);
            pos = r.value.end;
            break;
          }
          progress(r.value);
          yield;
        }
      } catch (e) {
        const off = (e as { offset?: number }).offset ?? 0;
        throw this.loadError(
          `Error reading the RDB base file ${name}, AOF loading aborted`,
          `${name} offset ${off}: ${(e as Error).message}`,
        );
      }
      // An old-style AOF with an RDB preamble (aof-use-rdb-preamble, Redis < 7.0) goes on with
      // commands after it (loadSingleAppendOnlyFile: "Reading the remaining AOF tail...").
      if (pos >= data.length) return 0;
      this.server.log.notice('Reading the remaining AOF tail...');
    }
    const s = data.toString('latin1');
    const replayer = this.server.newReplayer({ scriptsMayYield: mayWait });
    let n = 0;
    let multiStart = -1;
    while (pos < s.length) {
      if (s.charCodeAt(pos) === 35 /* # */) {
        // An annotation line (Redis writes `#TS:` ones with aof-timestamp-enabled): skipped.
        const eol = s.indexOf('\n', pos);
        if (eol < 0) break;
        pos = eol + 1;
        continue;
      }
      const r = parseAofCommand(s, pos);
      if (r === 'truncated') {
        // Cut a MULTI left open by the short read as a whole: its commands were only queued.
        return this.truncated(file, data, multiStart >= 0 ? multiStart : pos, n, isLast);
      }
      if ('error' in r) throw this.loadError(badFormat(name), `${name} offset ${pos}: ${r.error}`);
      const bad = checkAofCommand(replayer, r.argv, name);
      if (bad !== null) throw this.loadError(bad, `${name} offset ${pos}`);
      const cmd = r.argv[0].toLowerCase();
      if (cmd === 'multi') multiStart = pos;
      else if (cmd === 'exec') multiStart = -1;
      // The replayer's client is exempt from -LOADING; keys do not expire while loading.
      replayer.run(r.argv);
      n++;
      pos = r.next;
      // A slow script (past busy-reply-threshold) was suspended: the load waits for its end.
      const wait = mayWait ? replayer.wait() : null;
      if (wait !== null) {
        progress(pos);
        yield { wait };
        continue;
      }
      if ((n & 1023) === 0) {
        progress(pos);
        yield;
      }
    }
    if (multiStart >= 0) {
      // A MULTI without its EXEC: its commands were only queued on the fake client, never run.
      this.server.log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      return this.truncated(file, data, multiStart, n, isLast);
    }
    return n;
  }

  /**
   * Logs `msg` (Redis's text) as a warning, as Redis's loader does before it fails, then where
   * the load stopped (`at`: file, offset, cause), and makes the error to throw (message `msg`).
   */
  private loadError(msg: string, at?: string): AofLoadError {
    this.server.log.warning(msg);
    if (at !== undefined) this.server.log.warning(`AOF loading stopped at ${at}`);
    return new AofLoadError(msg);
  }

  /**
   * Handles an AOF ending mid-command or mid-MULTI (aof.c uxeof): with aof-load-truncated the
   * last file is cut at `cut` (the start of the incomplete command or MULTI) and loading goes on;
   * otherwise, or in a file that is not the last, the load fails with Redis's message.
   */
  private truncated(file: string, data: Buffer, cut: number, n: number, isLast: boolean): number {
    const name = path.basename(file);
    const allowed = this.server.config.get('aof-load-truncated') !== false;
    if (!allowed) {
      throw this.loadError(
        `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
        `${name} offset ${cut}`,
      );
    }
    const log = this.server.log;
    log.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    log.warning(`!!! Truncating the AOF ${name} at offset ${cut} !!!`);
    if (!isLast) throw this.loadError('Fatal error: the truncated file is not the last file');
    fs.truncateSync(file, cut);
    log.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
    this.stats.currentSize -= data.length - cut;
    return n;
  }
}

/** What a load step yields: nothing (a slice boundary), or a suspended script's end to await. */
export type LoadStep = { wait: Promise<void> } | undefined;

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    /* not supported on this platform */
  }
}

/** Writes a file durably: temp file, fsync, rename, fsync of the directory. */
export function writeFileDurable(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** Writes `data` to `file` and fsyncs it without blocking the event loop; calls back once. */
export function writeFileDurableAsync(file: string, data: Uint8Array, cb: (err: Error | null) => void): void {
  fs.open(file, 'w', (err, fd) => {
    if (err) return cb(err);
    const done = (e: Error | null) => fs.close(fd, () => cb(e));
    const writeFrom = (off: number) => {
      if (off >= data.length) {
        fs.fsync(fd, (e) => done(e));
        return;
      }
      fs.write(fd, data, off, Math.min(1 << 20, data.length - off), null, (e, n) => {
        if (e) return done(e);
        writeFrom(off + n);
      });
    };
    writeFrom(0);
  });
}
