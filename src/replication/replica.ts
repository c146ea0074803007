/**
 * The replica side: the link from this server to its primary (REPLICAOF host port).
 *
 * Life of the link (Redis repl_state): `connect` (waiting for the cron to connect, every second)
 * → `connecting` (TCP connect in flight) → `handshake` (PING; AUTH with masteruser/masterauth;
 * REPLCONF listening-port, ip-address, capa eof capa psync2; PSYNC) → either `+CONTINUE`
 * (partial resynchronisation: the stream continues from our offset) or `+FULLRESYNC <replid>
 * <offset>` and `transfer` (the RDB arrives as `$<len>\r\n<bytes>` or, diskless,
 * `$EOF:<40-char mark>\r\n<bytes><mark>`; newlines before it are keep-alives; it goes to a temp
 * file renamed over dbfilename and loaded in slices once complete, or, with repl-diskless-load
 * on-empty-db/swapdb, parsed while it streams (RdbStreamWindow: a slow load, key-load-delay
 * included, pauses the socket so the primary's transfer waits, as it waits for Redis's rdbLoad
 * on the socket; a connection cut mid-way is Redis's short read: logged, the load discarded, a
 * reconnection at once); the dataset is replaced, with -LOADING for clients) → `connected`.
 *
 * Connected, every command of the primary's stream runs through a trusted replayer client flagged
 * as the master (CLIENT LIST flags=M; CLIENT KILL TYPE master drops the link); expired keys stay
 * visible to those commands (Keyspace.applyingPrimary). The bytes applied move our offset and
 * are proxied unchanged to our own replicas and backlog (stream.feedRaw), whole MULTI/EXEC units
 * at a time. REPLCONF GETACK is answered with REPLCONF ACK <offset>, the only thing the primary
 * ever reads from us, also sent every second. When the link drops, our replid and offset are the
 * cached master of the next PSYNC.
 * Source: Redis 7.0 replication.c (connectWithMaster, syncWithMaster,
 * slaveTryPartialResynchronization, readSyncBulkPayload, replicationCreateMasterClient,
 * replicationCacheMaster, replicationResurrectCachedMaster, replicationAttachToNewMaster,
 * replicationSendAck, cancelReplicationHandshake, replicationCron), server.c (INFO replication,
 * roleCommand), networking.c (commandProcessed: reploff moves outside MULTI only).
 */
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { RespParser } from '../protocol/parser.js';
import { getPersistence, runSliced } from '../persistence/index.js';
import {
  decodeRdbStream,
  decodeRdbSteps,
  functionLibraries,
  RDB_NEED_MORE,
  RdbError,
  type RdbLoadInfo,
  RdbStreamWindow,
} from '../persistence/rdb/rdb.js';
import { Keyspace } from '../store/db.js';
import type { PrimaryReplayer } from './host.js';
import type { Replication } from './index.js';

/** Redis repl_state, as far as it is visible (ROLE, INFO). */
type LinkState = 'none' | 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** The handshake reply being waited for (REPL_STATE_RECEIVE_*_REPLY). */
type HandshakeStep = 'pong' | 'auth' | 'port' | 'ip' | 'capa' | 'psync';

/** Size of the EOF mark of a diskless transfer (CONFIG_RUN_ID_SIZE). */
const MARK_LEN = 40;
/** A streamed load with more than this many bytes received and not parsed pauses the socket. */
const STREAM_LOAD_HIGH = 4 * 1024 * 1024;
/** The stream parser's limits: the primary is trusted (Redis master client: no query buffer limit). */
const STREAM_LIMITS = { maxBulkLen: Number.MAX_SAFE_INTEGER, maxQueryBuffer: Number.MAX_SAFE_INTEGER };

/** Configs whose replica-read-only changes are followed (one listener per server). */
const readOnlyWatched = new WeakSet<object>();

/** The RDB being received during a full sync. */
interface Transfer {
  /** Announced size (-1 until the `$` line is read; 0 with an EOF mark), bytes. */
  size: number;
  /** Payload bytes read so far (the EOF mark included until it is found). */
  read: number;
  /** The diskless EOF mark, or null for `$<len>`. */
  mark: Buffer | null;
  /** Last bytes read, to find a mark split across reads. */
  tail: Buffer;
  /** Disk load: the temp file and its descriptor; else -1 and the chunks kept in memory. */
  fd: number;
  tmpFile: string;
  chunks: Buffer[];
  /** Unix ms of the last read (master_sync_last_io_seconds_ago). */
  lastIo: number;
  /** True once the payload is complete and being loaded. */
  loading: boolean;
  /**
   * Diskless load: the payload as it arrives, parsed while it streams (Redis rdbLoadRio on the
   * socket), so a slow load slows the primary's transfer; null for a disk load.
   */
  win: RdbStreamWindow | null;
  /** The streamed load waits for bytes: called when some arrive or the transfer ends. */
  wake: (() => void) | null;
  /** The socket was paused because the streamed load is behind. */
  held: boolean;
  /** The connection closed before the payload's end (a streamed load then fails). */
  truncated: boolean;
  /** server.loading (or async_loading) was set for this transfer (a load from the socket). */
  showsLoading: boolean;
  /**
   * swapdb of the same history (our replid is the primary's): the old dataset is served while the
   * new one loads aside (Redis asyncLoading: INFO async_loading:1, no -LOADING).
   */
  async: boolean;
}

/** The link to our primary (see module doc). */
export class ReplicaLink {
  /** Unix ms since when the link is down (master_link_down_since_seconds); 0 while up or never up. */
  downSince = 0;
  private state: LinkState = 'connect';
  private step: HandshakeStep = 'pong';
  private socket: net.Socket | null = null;
  /** Bytes received and not consumed by the handshake or the transfer header. */
  private inbuf: Buffer = Buffer.alloc(0);
  /** Unix ms of the last read during connect, handshake or transfer (repl_transfer_lastio). */
  private lastIo = Date.now();
  /** Unix ms of the last data from the primary while connected (master->lastinteraction). */
  private lastInteraction = 0;
  private lastCron = 0;
  /** +FULLRESYNC's replid and offset (master_replid, master_initial_offset); -1: SYNC without offsets. */
  private fullReplid = '';
  private fullOffset = -1;
  private transfer: Transfer | null = null;
  /** The master client running the stream (Redis server.master or the cached master), or null. */
  private replayer: PrimaryReplayer | null = null;
  /**
   * Our replid and offset are a history the primary may continue (Redis server.cached_master):
   * a former primary or a replica whose link dropped; false at start-up and after a failed load.
   */
  private cached: boolean;
  /** Old primary without PSYNC: no offsets, no ACKs (CLIENT_PRE_PSYNC). */
  private prePsync = false;
  private parser = new RespParser(STREAM_LIMITS);
  /** Stream bytes received and not yet proxied (applied or still unparsed), oldest first. */
  private held: Buffer[] = [];
  /** Bytes read from the stream under the current history (read_reploff). */
  private readOffset = 0;
  /** Bytes of the command being parsed that the parser already consumed (headers of a split command). */
  private partial = 0;
  /** The db the primary's stream has selected (SELECT in the stream; repl-stream-db of RDBs we save). */
  private streamDb = 0;
  /** Bytes of the MULTI being queued (applied at EXEC, with the whole transaction). */
  private inTx = 0;
  /** The replayer is inside MULTI: the offset moves at EXEC, with the whole transaction. */
  private inMulti = false;
  /** True from stop() on: nothing restarts. */
  private stopped = false;

  constructor(
    readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {
    const s = repl.stream;
    this.cached = s.backlog !== null || s.offset > 0;
    // Switching primaries: the link has been down since the previous one's went (repl_down_since).
    this.downSince = repl.link?.downSince ?? 0;
    const p = getPersistence(repl.host);
    const aux = p.loadedAux;
    p.loadedAux = null;
    if (!this.cached && aux !== null) {
      // Restarted replica: the RDB it saved names the history it had (Redis loadDataFromDisk with
      // a valid rdbSaveInfo), so the next PSYNC may continue it.
      const id = aux.get('repl-id') ?? '';
      const off = Number(aux.get('repl-offset'));
      const db = Number(aux.get('repl-stream-db'));
      if (id.length === MARK_LEN && Number.isInteger(off) && off >= 0 && Number.isInteger(db) && db >= 0) {
        s.replid = id;
        s.offset = off;
        this.streamDb = db;
        this.cached = true;
      }
    }
    // Every RDB saved while we follow a primary records where its stream is (rdbPopulateSaveInfo).
    p.auxFields = () => (this.repl.link === this ? this.saveInfo() : null);
    // SHUTDOWN / close: the link goes with the server (nothing reconnects afterwards).
    repl.host.shutdownHooks.push(() => {
      if (this.stopped) return;
      this.stopped = true;
      this.abortTransfer();
      this.closeSocket();
    });
  }

  private get server() {
    return this.repl.host;
  }

  /** Connects and synchronises, reconnecting every second while the link is down (replicationSetMaster). */
  start(): void {
    // Clients blocked while we were a primary must not be served by the new primary's stream.
    this.server.disconnectAllBlockedClients();
    const ks = this.server.keyspace;
    const cfg = this.server.config;
    ks.writableReplica = !cfg.bool('replica-read-only');
    if (!readOnlyWatched.has(cfg)) {
      readOnlyWatched.add(cfg);
      cfg.onChange('replica-read-only', (v) => {
        ks.writableReplica = v === false && ks.replicaMode;
      });
    }
    if (this.cached)
      this.server.log.notice(
        'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.',
      );
    this.server.log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
    this.connect();
  }

  /**
   * Closes the link for good (REPLICAOF NO ONE or another primary); the data stays
   * (replicationUnsetMaster). An AOF stopped for a full sync is turned back on.
   */
  stop(): void {
    if (this.state === 'connected') this.downSince = Date.now();
    this.stopped = true;
    this.cancelHandshake(false);
    this.dropPrimary();
    this.closeSocket();
    this.state = 'none';
    this.server.keyspace.writableReplica = false;
    const p = getPersistence(this.server);
    if (this.server.config.bool('appendonly') && !p.aof.enabled) this.restartAof();
  }

  /** True while the stream from the primary flows (master_link_status:up). */
  get linkUp(): boolean {
    return this.state === 'connected';
  }

  /** ROLE's state word: connect, connecting, handshake, sync or connected. */
  get roleState(): string {
    switch (this.state) {
      case 'transfer':
        return 'sync';
      case 'none':
        return 'none';
      default:
        return this.state;
    }
  }

  /** The offset ROLE reports: the primary's stream applied so far, -1 before a sync. */
  get roleOffset(): number {
    return this.state === 'connected' ? this.repl.stream.offset : -1;
  }

  // ---- connection ------------------------------------------------------------------------

  /** connectWithMaster: a non-blocking connect; the handshake starts when it completes. */
  private connect(): void {
    if (this.stopped) return;
    const pre = this.repl.loadPrerequisite?.() ?? null;
    if (pre !== null) {
      // Connect once what loading needs is there (a sync may complete within milliseconds).
      this.state = 'connecting';
      this.lastIo = Date.now();
      const go = () => {
        if (!this.stopped && this.repl.link === this && this.socket === null) this.connectNow();
      };
      pre.then(go, go);
      return;
    }
    this.connectNow();
  }

  private connectNow(): void {
    if (this.stopped) return;
    this.state = 'connecting';
    this.step = 'pong';
    this.inbuf = Buffer.alloc(0);
    this.lastIo = Date.now();
    const sock = this.server.openLink(this.host, this.port);
    this.socket = sock;
    sock.setNoDelay(!this.server.config.bool('repl-disable-tcp-nodelay'));
    sock.on('connect', () => {
      if (this.socket !== sock) return;
      this.server.log.notice('Non blocking connect for SYNC fired the event.');
      this.state = 'handshake';
      this.step = 'pong';
      this.lastIo = Date.now();
      this.send(['PING']);
    });
    sock.on('data', (chunk: Buffer) => {
      if (this.socket === sock) this.onData(chunk);
    });
    sock.on('error', (err) => {
      if (this.socket !== sock) return;
      if (this.state === 'connecting') this.server.log.warning(`Error condition on socket for SYNC: ${err.message}`);
      else if (this.state !== 'connected') this.server.log.warning(`I/O error trying to sync with MASTER: ${err.message}`);
    });
    sock.on('close', () => {
      if (this.socket !== sock) return;
      this.onClose();
    });
    this.server.log.notice('MASTER <-> REPLICA sync started');
  }

  /** The socket closed by the peer or an error. */
  private onClose(): void {
    this.socket = null;
    if (this.stopped) return;
    if (this.state === 'connected') {
      this.primaryLost();
    } else if (this.state === 'transfer') {
      if (this.transfer?.loading) return; // the loader reports when done
      const t = this.transfer;
      if (t !== null && t.win !== null) {
        // A streamed load reads past the end (rdbLoadRio's short read): it fails and reconnects.
        t.win.ended = true;
        t.loading = true;
        t.truncated = true;
        this.wakeLoad(t);
        return;
      }
      this.server.log.warning('I/O error trying to sync with MASTER: connection lost');
      this.cancelHandshake(true);
    } else if (this.state === 'handshake' || this.state === 'connecting') {
      // syncWithMaster's error path: the cron reconnects.
      this.cancelHandshake(false);
    }
  }

  private closeSocket(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }

  /** Writes one command to the primary as a RESP array. */
  private send(argv: string[]): void {
    let out = `*${argv.length}\r\n`;
    for (const a of argv) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
    this.socket?.write(Buffer.from(out, 'latin1'));
  }

  /**
   * cancelReplicationHandshake: abandons a connect, handshake or transfer in progress (its temp
   * file removed); with `reconnect`, connects again at once. @returns false when none was.
   */
  private cancelHandshake(reconnect: boolean): boolean {
    if (this.state === 'transfer') {
      this.abortTransfer();
    } else if (this.state !== 'connecting' && this.state !== 'handshake') return false;
    this.closeSocket();
    this.state = 'connect';
    if (reconnect && !this.stopped) {
      this.server.log.notice(`Reconnecting to MASTER ${this.host}:${this.port} after failure`);
      this.connect();
    }
    return true;
  }

  private abortTransfer(): void {
    const t = this.transfer;
    this.transfer = null;
    if (t === null) return;
    if (t.showsLoading) {
      this.setLoading(t, false);
      getPersistence(this.server).loadingState = null;
    }
    if (t.fd >= 0) {
      try {
        fs.closeSync(t.fd);
      } catch {
        /* closed */
      }
      fs.rm(t.tmpFile, { force: true }, () => {});
    }
    t.chunks = [];
    this.wakeLoad(t);
  }

  // ---- bytes from the primary ------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.server.stats.total_net_repl_input_bytes += chunk.length;
    const now = Date.now();
    if (this.state === 'connected') {
      this.lastInteraction = now;
      this.streamData(chunk);
      return;
    }
    this.lastIo = now;
    this.inbuf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    this.advance();
  }

  /** Consumes `inbuf` in the current state: handshake replies, the transfer header, the payload. */
  private advance(): void {
    while (this.socket !== null && !this.stopped) {
      if (this.state === 'handshake') {
        const line = this.takeLine();
        if (line === null) return;
        this.handshakeReply(line);
      } else if (this.state === 'transfer') {
        const t = this.transfer;
        if (t === null || t.loading) return;
        if (t.size === -1) {
          const line = this.takeLine();
          if (line === null) return;
          this.transferHeader(t, line);
        } else {
          if (this.inbuf.length === 0) return;
          const data = this.inbuf;
          this.inbuf = Buffer.alloc(0);
          this.transferData(t, data);
        }
      } else if (this.state === 'connected') {
        // Bytes after the RDB or after +CONTINUE: the stream.
        const rest = this.inbuf;
        this.inbuf = Buffer.alloc(0);
        if (rest.length > 0) this.streamData(rest);
        return;
      } else return;
    }
  }

  /** One line of `inbuf` without its `\n` and a trailing `\r` (syncReadLine), or null. */
  private takeLine(): string | null {
    const nl = this.inbuf.indexOf(10);
    if (nl < 0) {
      if (this.inbuf.length > 64 * 1024) {
        this.server.log.warning('Master sent a reply line that is too long');
        this.cancelHandshake(false);
      }
      return null;
    }
    let end = nl;
    if (end > 0 && this.inbuf[end - 1] === 13) end--;
    const line = this.inbuf.toString('latin1', 0, end);
    this.inbuf = this.inbuf.subarray(nl + 1);
    return line;
  }

  // ---- handshake (syncWithMaster) --------------------------------------------------------

  private handshakeReply(reply: string): void {
    const log = this.server.log;
    const cfg = this.server.config;
    switch (this.step) {
      case 'pong': {
        if (
          !reply.startsWith('+') &&
          !reply.startsWith('-NOAUTH') &&
          !reply.startsWith('-NOPERM') &&
          !reply.startsWith('-ERR operation not permitted')
        ) {
          log.warning(`Error reply to PING from master: '${reply}'`);
          this.cancelHandshake(false);
          return;
        }
        log.notice('Master replied to PING, replication can continue...');
        const auth = cfg.str('masterauth');
        if (auth !== '') {
          const user = cfg.str('masteruser');
          this.send(user !== '' ? ['AUTH', user, auth] : ['AUTH', auth]);
        }
        const announcePort = cfg.num('replica-announce-port');
        // Redis syncWithMaster: the TLS port when the replication link is TLS.
        const tlsPort = cfg.bool('tls-replication') ? this.server.tlsPort : 0;
        const port = announcePort !== 0 ? announcePort : tlsPort !== 0 ? tlsPort : this.server.port;
        this.send(['REPLCONF', 'listening-port', String(port)]);
        const ip = cfg.str('replica-announce-ip');
        if (ip !== '') this.send(['REPLCONF', 'ip-address', ip]);
        this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
        this.step = auth !== '' ? 'auth' : 'port';
        return;
      }
      case 'auth':
        if (reply.startsWith('-')) {
          log.warning(`Unable to AUTH to MASTER: ${reply}`);
          this.cancelHandshake(false);
          return;
        }
        this.step = 'port';
        return;
      case 'port':
        if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${reply}`);
        this.step = cfg.str('replica-announce-ip') !== '' ? 'ip' : 'capa';
        return;
      case 'ip':
        if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${reply}`);
        this.step = 'capa';
        return;
      case 'capa':
        if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF capa: ${reply}`);
        this.sendPsync();
        return;
      case 'psync':
        this.psyncReply(reply);
        return;
    }
  }

  /** slaveTryPartialResynchronization, writing half: PSYNC <our replid> <offset+1>, or PSYNC ? -1. */
  private sendPsync(): void {
    const s = this.repl.stream;
    this.fullOffset = -1;
    // A primary handing over with FAILOVER asks the target to take over (PSYNC ... FAILOVER).
    const failover = this.repl.primary.failoverState === 'failover-in-progress' ? ['FAILOVER'] : [];
    if (this.cached) {
      const off = String(s.offset + 1);
      this.server.log.notice(`Trying a partial resynchronization (request ${s.replid}:${off}).`);
      this.send(['PSYNC', s.replid, off, ...failover]);
    } else {
      this.server.log.notice('Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1', ...failover]);
    }
    this.step = 'psync';
  }

  /** slaveTryPartialResynchronization, reading half, and what syncWithMaster does with it. */
  private psyncReply(reply: string): void {
    const log = this.server.log;
    if (reply === '') return; // a keep-alive newline before the reply
    // The failover's target answered: it took over (syncWithMaster: clearFailoverState), or refused.
    if (reply.startsWith('+FULLRESYNC') || reply.startsWith('+CONTINUE')) this.repl.primary.failoverSucceeded();
    else if (this.repl.primary.failoverState === 'failover-in-progress') {
      this.repl.primary.abortFailover('Failover target rejected psync request');
      return;
    }
    if (reply.startsWith('+FULLRESYNC')) {
      const parts = reply.split(' ');
      if (parts.length < 3 || parts[1].length !== MARK_LEN) {
        log.warning('Master replied with wrong +FULLRESYNC syntax.');
        this.fullReplid = '0'.repeat(MARK_LEN);
        this.fullOffset = -1;
      } else {
        this.fullReplid = parts[1];
        this.fullOffset = Number.parseInt(parts[2], 10);
        if (!Number.isFinite(this.fullOffset)) this.fullOffset = -1;
        log.notice(`Full resync from master: ${this.fullReplid}:${this.fullOffset}`);
      }
      this.prePsync = false;
      this.startTransfer();
      return;
    }
    if (reply.startsWith('+CONTINUE')) {
      log.notice('Successful partial resynchronization with master.');
      const s = this.repl.stream;
      const id = reply.slice(10).trim();
      if (id.length === MARK_LEN && id !== s.replid) {
        log.warning(`Master replication ID changed to ${id}`);
        s.replid2 = s.replid;
        s.secondOffset = s.offset + 1;
        s.replid = id;
        this.repl.primary.disconnectReplicas('master replication ID changed');
      }
      if (s.backlog === null) s.createBacklog();
      this.linkUp_(false);
      log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      return;
    }
    if (reply.startsWith('-NOMASTERLINK') || reply.startsWith('-LOADING')) {
      log.notice(`Master is currently unable to PSYNC but should be in the future: ${reply}`);
      this.cancelHandshake(false);
      return;
    }
    if (!reply.startsWith('-ERR')) log.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    else log.notice(`Master does not support PSYNC or is in error state (reply: ${reply})`);
    log.notice('Retrying with SYNC...');
    this.socket?.write('SYNC\r\n');
    this.prePsync = true;
    this.fullReplid = this.repl.stream.replid;
    this.fullOffset = -1;
    this.startTransfer();
  }

  // ---- full sync: the RDB transfer (readSyncBulkPayload) ----------------------------------

  /** repl-diskless-load swapdb, or on-empty-db with an empty dataset (useDisklessLoad). */
  private disklessLoad(): boolean {
    const mode = this.server.config.str('repl-diskless-load');
    return mode === 'swapdb' || (mode === 'on-empty-db' && this.server.keyspace.totalKeys === 0);
  }

  private startTransfer(): void {
    let fd = -1;
    let tmpFile = '';
    if (!this.disklessLoad()) {
      const dir = this.server.config.str('dir');
      for (let tries = 0; tries < 5 && fd < 0; tries++) {
        tmpFile = path.join(dir, `temp-${Math.floor(Date.now() / 1000) + tries}.${process.pid}.rdb`);
        try {
          fd = fs.openSync(tmpFile, 'wx', 0o644);
        } catch (e) {
          if (tries === 4) {
            this.server.log.warning(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
            this.cancelHandshake(false);
            return;
          }
        }
      }
    }
    this.transfer = {
      size: -1,
      read: 0,
      mark: null,
      tail: Buffer.alloc(0),
      fd,
      tmpFile,
      chunks: [],
      lastIo: Date.now(),
      loading: false,
      win: null,
      wake: null,
      held: false,
      truncated: false,
      showsLoading: false,
      async: fd < 0 && this.server.config.str('repl-diskless-load') === 'swapdb' && this.fullReplid === this.repl.stream.replid,
    };
    this.state = 'transfer';
  }

  /** The `$<len>` or `$EOF:<mark>` line (or a keep-alive newline, or an error). */
  private transferHeader(t: Transfer, line: string): void {
    const log = this.server.log;
    if (line.startsWith('-')) {
      log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
      this.cancelHandshake(true);
      return;
    }
    if (line === '') return; // keep-alive while the primary prepares the RDB
    if (!line.startsWith('$')) {
      log.warning(`Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`);
      this.cancelHandshake(true);
      return;
    }
    const to = t.fd < 0 ? 'to parser' : 'to disk';
    if (line.startsWith('$EOF:') && line.length - 5 >= MARK_LEN) {
      t.mark = Buffer.from(line.slice(5, 5 + MARK_LEN), 'latin1');
      t.size = 0;
      log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${to}`);
    } else {
      const n = Number.parseInt(line.slice(1), 10);
      if (!Number.isFinite(n) || n < 0) {
        log.warning(`Bad protocol from MASTER, invalid bulk length '${line}'`);
        this.cancelHandshake(true);
        return;
      }
      t.size = n;
      log.notice(`MASTER <-> REPLICA sync: receiving ${n} bytes from master ${to}`);
    }
    if (t.fd < 0) {
      // Loading from the socket: Redis parses while it reads, with server.loading set (INFO
      // loading:1, -LOADING for clients) from the first byte on.
      this.setLoading(t, true);
      getPersistence(this.server).loadingState = { start: Date.now(), totalBytes: t.size, loadedBytes: 0, rdbUsedMem: 0 };
      t.showsLoading = true;
      t.win = new RdbStreamWindow();
      void this.load(t).catch((e) => {
        this.server.log.warning(`MASTER <-> REPLICA sync: load failed: ${(e as Error).message}`);
      });
    }
    if (t.mark === null && t.size === 0) this.payloadDone(t, Buffer.alloc(0));
  }

  /** Payload bytes: stored until the announced length or the EOF mark; what follows is the stream. */
  private transferData(t: Transfer, data: Buffer): void {
    t.lastIo = Date.now();
    let payload = data;
    let rest: Buffer | null = null;
    let done = false;
    if (t.mark === null) {
      const left = t.size - t.read;
      if (data.length >= left) {
        payload = data.subarray(0, left);
        rest = data.subarray(left);
        done = true;
      }
    } else {
      // The mark may straddle reads: look for it in the previous tail and this chunk.
      const window = t.tail.length === 0 ? data : Buffer.concat([t.tail, data]);
      const at = window.indexOf(t.mark);
      if (at >= 0) {
        // Payload ends where the mark starts; bytes of the tail before it were already stored.
        const endInData = at - t.tail.length;
        if (endInData < 0) {
          // Part of the mark was stored with the previous chunk: trim it below.
          t.read += endInData; // negative: un-count the stored mark bytes
          this.truncateStored(t, -endInData);
          payload = Buffer.alloc(0);
        } else payload = data.subarray(0, endInData);
        rest = window.subarray(at + MARK_LEN);
        done = true;
      } else {
        t.tail = Buffer.from(window.subarray(Math.max(0, window.length - (MARK_LEN - 1))));
      }
    }
    if (!this.store(t, payload)) return;
    if (!done) return;
    this.payloadDone(t, rest ?? Buffer.alloc(0));
  }

  /** Appends payload bytes to the temp file or the memory chunks. @returns false after a write error. */
  private store(t: Transfer, payload: Buffer): boolean {
    if (payload.length === 0) return true;
    t.read += payload.length;
    if (t.win !== null) {
      t.win.push(Buffer.from(payload)); // the socket's buffer may be reused
      const st = getPersistence(this.server).loadingState;
      if (st !== null) st.loadedBytes = t.read;
      if (!t.win.waiting && t.win.pendingBytes > STREAM_LOAD_HIGH && !t.held) {
        // The load is behind: the primary waits (TCP back-pressure), as it waits for Redis's rdbLoad.
        t.held = true;
        this.socket?.pause();
      }
      this.wakeLoad(t);
      return true;
    }
    if (t.fd < 0) {
      t.chunks.push(payload);
      const st = getPersistence(this.server).loadingState;
      if (t.showsLoading && st !== null) st.loadedBytes = t.read;
      return true;
    }
    try {
      fs.writeSync(t.fd, payload);
      return true;
    } catch (e) {
      this.server.log.warning(
        `Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`,
      );
      this.cancelHandshake(true);
      return false;
    }
  }

  /** Lets a streamed load waiting for bytes go on. */
  private wakeLoad(t: Transfer): void {
    const w = t.wake;
    t.wake = null;
    w?.();
  }

  /** Removes the last `n` stored bytes (the start of an EOF mark split across reads). */
  private truncateStored(t: Transfer, n: number): void {
    if (t.win !== null) {
      // The pushed bytes end with the start of the mark: keep them out of the RDB.
      t.win.dropLast(n);
      return;
    }
    if (t.fd >= 0) {
      fs.ftruncateSync(t.fd, t.read);
      return;
    }
    let left = n;
    while (left > 0 && t.chunks.length > 0) {
      const last = t.chunks[t.chunks.length - 1];
      if (last.length <= left) {
        t.chunks.pop();
        left -= last.length;
      } else {
        t.chunks[t.chunks.length - 1] = last.subarray(0, last.length - left);
        left = 0;
      }
    }
  }

  /** The whole RDB is here: replace the dataset and load it; `rest` is the start of the stream. */
  private payloadDone(t: Transfer, rest: Buffer): void {
    t.loading = true;
    this.inbuf = rest.length > 0 ? Buffer.from(rest) : Buffer.alloc(0);
    this.socket?.pause(); // the stream waits in the kernel while we load
    if (t.win !== null) {
      // The streamed load (started at the header) reads the rest of the RDB.
      t.win.ended = true;
      this.wakeLoad(t);
      return;
    }
    void this.load(t).catch((e) => {
      this.server.log.warning(`MASTER <-> REPLICA sync: load failed: ${(e as Error).message}`);
    });
  }

  /**
   * Loads the received RDB (readSyncBulkPayload's second half): stops the AOF and any BGSAVE,
   * flushes the old data (or, with swapdb, loads aside and swaps on success), loads in slices
   * with server.loading set, then makes the primary's history ours and goes online.
   */
  private async load(t: Transfer): Promise<void> {
    const server = this.server;
    const log = server.log;
    const p = getPersistence(server);
    if (p.aof.enabled) p.aof.stop();
    if (p.snapshot !== null) {
      if (t.fd >= 0)
        log.notice(
          'Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process and removing its temp file to avoid any race',
        );
      p.snapshot.abort();
      p.snapshot = null;
      p.rdb.bgsaveInProgress = false;
    }
    let data: Buffer | null = null;
    if (t.fd >= 0) {
      try {
        fs.fsyncSync(t.fd);
        fs.closeSync(t.fd);
        t.fd = -1;
        fs.renameSync(t.tmpFile, p.rdbPath);
        data = fs.readFileSync(p.rdbPath);
      } catch (e) {
        log.warning(
          `Failed trying to rename the temp DB into ${server.config.str('dbfilename')} in MASTER <-> REPLICA synchronization: ${(e as Error).message}`,
        );
        this.failLoad(false);
        return;
      }
    } else if (t.win === null) data = t.chunks.length === 1 ? t.chunks[0] : Buffer.concat(t.chunks);
    t.chunks = [];
    const win = t.win;
    const swapdb = t.fd < 0 && t.tmpFile === '' && server.config.str('repl-diskless-load') === 'swapdb';
    let target = server.keyspace;
    if (swapdb) {
      target = new Keyspace(server.keyspace.dbs.length, { keyModified() {}, keyExpired() {} });
    } else {
      this.attachToNewPrimary();
      log.notice('MASTER <-> REPLICA sync: Flushing old data');
      this.emptyData();
    }
    log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    this.setLoading(t, true);
    const st = { start: Date.now(), totalBytes: data !== null ? data.length : Math.max(t.size, 0), loadedBytes: 0, rdbUsedMem: 0 };
    p.loadingState = st;
    let info: RdbLoadInfo;
    try {
      // A replica keeps the expired keys of its primary's RDB: the primary sends their DELs (Redis
      // rdbLoadRio skips them only when iAmMaster()).
      const checksum = server.config.get('rdbchecksum') !== false;
      const stopped = (): boolean => this.stopped || this.transfer !== t;
      // key-load-delay (µs per key, Redis's testing knob, honoured by every rdbLoad), read as it
      // changes: with it a step loads one key (Redis sleeps after each), else 1024.
      const keyDelayUs = (): number => server.config.num('key-load-delay');
      const gen =
        win !== null
          ? decodeRdbStream(win, target, { now: 0, checksum, stepKeys: keyDelayUs() > 0 ? 1 : 1024 })
          : decodeRdbSteps(data ?? Buffer.alloc(0), target, 0, checksum);
      const socketOf = (): net.Socket | null => this.socket;
      let owedUs = 0;
      info = await runSliced(
        (function* () {
          for (;;) {
            if (stopped()) throw new Error('replication stopped');
            server.applyEncodingLimits(); // another embedded server may have run in between
            const r = gen.next();
            if (r.done) return r.value;
            if (win !== null) {
              t.lastIo = Date.now(); // a load in progress is no transfer timeout
              if (t.held && !t.loading && (win.waiting || win.pendingBytes < STREAM_LOAD_HIGH / 2)) {
                t.held = false;
                socketOf()?.resume();
              }
              if (r.value === RDB_NEED_MORE) {
                if (win.ended) continue;
                yield { wait: new Promise<void>((resolve) => (t.wake = resolve)) };
                continue;
              }
            } else st.loadedBytes = r.value;
            const d = keyDelayUs();
            if (d > 0) {
              owedUs += win !== null && d > 0 ? d : 1024 * d;
              if (owedUs >= 1000) {
                const ms = Math.floor(owedUs / 1000);
                owedUs -= ms * 1000;
                yield { sleepMs: ms };
                continue;
              }
            }
            yield undefined;
          }
        })(),
        () => {},
      );
    } catch (e) {
      this.setLoading(t, false);
      p.loadingState = null;
      if (this.transfer !== t || this.stopped) {
        // Abandoned (a new primary, REPLICAOF NO ONE, a transfer timeout): drop what was loaded.
        if (!swapdb) this.emptyData();
        this.cached = false;
        return;
      }
      const where = e instanceof RdbError ? ` at offset ${e.offset}` : '';
      if (win !== null && !(e instanceof RdbError && e.crcMismatch) && (e as Error).message === 'Unexpected EOF reading RDB file') {
        // rdbReportReadError in a diskless load: a short read, the connection is assumed lost.
        log.warning('Short read or OOM loading DB. Unrecoverable error, aborting now.');
        log.warning(
          `Internal error in RDB reading offset ${win.base}, function at rdb.c:0 -> Unexpected EOF reading RDB file. Failure loading rdb format from socket, assuming connection error, resuming operation.`,
        );
        log.warning('Failed trying to load the MASTER synchronization DB from socket, check server logs.');
      } else
        log.warning(
          `Failed trying to load the MASTER synchronization DB from ${t.mark !== null || swapdb || t.tmpFile === '' ? 'socket' : 'disk'}: ${(e as Error).message}${where}`,
        );
      if (swapdb) log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
      else this.emptyData();
      this.failLoad(true);
      return;
    }
    // The RDB's EOF came before the payload's end (the `$EOF:` mark, or bytes up to `$<len>`):
    // the rest of it is read (and ignored) before the stream starts.
    while (win !== null && !t.loading && this.transfer === t && !this.stopped) await new Promise<void>((resolve) => (t.wake = resolve));
    if (t.truncated && this.transfer === t && !this.stopped) {
      this.setLoading(t, false);
      p.loadingState = null;
      log.warning('Failed trying to load the MASTER synchronization DB from socket, check server logs.');
      if (swapdb) log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
      else this.emptyData();
      this.failLoad(true);
      return;
    }
    this.setLoading(t, false);
    p.loadingState = null;
    if (this.stopped || this.transfer !== t) return;
    // rdbLoadRio's lines about the file.
    const ver = info.aux.get('redis-ver');
    if (ver !== undefined) log.notice(`Loading RDB produced by version ${ver}`);
    const ctime = Number(info.aux.get('ctime'));
    if (Number.isFinite(ctime)) log.notice(`RDB age ${Math.max(0, Math.floor(Date.now() / 1000) - ctime)} seconds`);
    const mem = Number(info.aux.get('used-mem'));
    if (Number.isFinite(mem)) log.notice(`RDB memory usage when created ${(mem / 1024 / 1024).toFixed(2)} Mb`);
    log.notice(`Done loading RDB, keys loaded: ${info.keys}, keys expired: ${info.expiredSkipped}.`);
    if (swapdb) {
      this.attachToNewPrimary();
      log.notice('MASTER <-> REPLICA sync: Swapping active DB with loaded DB');
      this.swapIn(target);
      log.notice('MASTER <-> REPLICA sync: Discarding old DB in background');
    }
    p.rdb.lastLoadKeysLoaded = info.keys;
    p.rdb.lastLoadKeysExpired = info.expiredSkipped;
    server.dirty++;
    this.transfer = null;
    // replicationCreateMasterClient + the history of the primary.
    const replayer = server.newReplayer({ primary: true });
    this.replayer = replayer;
    const dbAux = Number(info.aux.get('repl-stream-db'));
    this.streamDb = 0;
    if (Number.isInteger(dbAux) && dbAux > 0 && dbAux < server.keyspace.dbs.length) {
      replayer.run(['SELECT', String(dbAux)]);
      this.streamDb = dbAux;
    }
    const s = this.repl.stream;
    s.replid = this.fullReplid;
    s.offset = Math.max(this.fullOffset, 0);
    s.clearReplid2();
    s.createBacklog();
    this.cached = true;
    this.linkUp_(true);
    log.notice('MASTER <-> REPLICA sync: Finished with success');
    if (t.mark !== null) this.sendAck();
    if (server.config.bool('appendonly')) this.restartAof();
    if (this.socket === null) {
      // The primary went away while we were loading: continue from this history later.
      this.primaryLost();
      return;
    }
    this.socket.resume();
    this.advance();
  }

  /** Sets server.loading, or async_loading for a load aside of the same history. */
  private setLoading(t: Transfer, on: boolean): void {
    if (t.async) getPersistence(this.server).asyncLoading = on;
    else this.server.loading = on;
  }

  /** A failed load: no cached master any more, and a new attempt at once (cancelReplicationHandshake(1)). */
  private failLoad(discardHistory: boolean): void {
    if (discardHistory) this.cached = false;
    const t = this.transfer;
    if (t !== null) t.loading = false;
    this.cancelHandshake(!this.stopped);
  }

  /** replicationAttachToNewMaster: the cached master goes, our replicas must resync, no backlog. */
  private attachToNewPrimary(): void {
    this.dropPrimary();
    this.cached = false;
    this.repl.primary.disconnectReplicas('replica is loading a new dataset from its primary');
    this.repl.stream.freeBacklog();
  }

  /** emptyData(-1): every db and the function libraries. */
  private emptyData(): void {
    for (const db of this.server.keyspace.dbs) db.clear();
    this.server.keyspace.replicaKeysWithExpire.clear();
    this.server.newReplayer().run(['FUNCTION', 'FLUSH', 'SYNC']);
  }

  /** swapdb: the loaded dataset replaces ours (swapMainDbWithTempDb, functionsLibCtxSwapWithCurrent). */
  private swapIn(loaded: Keyspace): void {
    const ks = this.server.keyspace;
    ks.replicaKeysWithExpire.clear();
    ks.dbs.forEach((db, i) => {
      const src = loaded.dbs[i];
      ks.hooks.dbCleared?.(db, src);
      db.adoptContents(src); // and a cluster node's per-slot index (Redis swapMainDbWithTempDb)
    });
    const r = this.server.newReplayer();
    r.run(['FUNCTION', 'FLUSH', 'SYNC']);
    for (const code of functionLibraries(loaded)) r.run(['FUNCTION', 'LOAD', 'REPLACE', code]);
  }

  /** restartAOFAfterSYNC: the AOF starts over from the new dataset (a background rewrite). */
  private restartAof(): void {
    try {
      getPersistence(this.server).aof.startBackground();
    } catch (e) {
      this.server.log.warning(`Failed enabling the AOF after successful master synchronization! ${(e as Error).message}`);
    }
  }

  // ---- connected: the stream ---------------------------------------------------------------

  /**
   * The link is up (after a full sync, or a partial one: replicationResurrectCachedMaster): the
   * master client is listed, offsets start from our stream's.
   */
  private linkUp_(fresh: boolean): void {
    if (!fresh && this.replayer === null) {
      // A cached master made from our own history (a former primary, or a restart).
      this.replayer = this.server.newReplayer({ primary: true });
      if (this.streamDb > 0 && this.streamDb < this.server.keyspace.dbs.length) this.replayer.run(['SELECT', String(this.streamDb)]);
    }
    const sock = this.socket;
    const addr = sock !== null ? `${sock.remoteAddress}:${sock.remotePort}` : `${this.host}:${this.port}`;
    this.replayer?.attach(addr, () => {
      // CLIENT KILL TYPE master (or any kill of the master client): the connection closes now
      // (the primary sees it at once, even if this server then sleeps in DEBUG SLEEP); the
      // reconnection follows the command that killed it.
      if (this.state !== 'connected' || this.socket !== sock) return;
      this.closeSocket();
      // Down since the kill (Redis repl_down_since), not since the deferred primaryLost: a
      // cluster replica's data age (failover eligibility) counts from here.
      this.downSince = Date.now();
      queueMicrotask(() => {
        if (this.state === 'connected' && this.socket === null) this.primaryLost();
      });
    });
    this.state = 'connected';
    this.downSince = 0;
    this.lastInteraction = Date.now();
    this.parser = new RespParser(STREAM_LIMITS);
    this.held = [];
    this.partial = 0;
    this.inTx = 0;
    this.inMulti = false;
    this.readOffset = this.repl.stream.offset;
  }

  /**
   * The link to a connected primary is gone (replicationCacheMaster +
   * replicationHandleMasterDisconnection): unapplied bytes and a pending MULTI are dropped, our
   * replid and offset become the cached master, and we reconnect at once.
   */
  private primaryLost(): void {
    const log = this.server.log;
    log.notice('Connection with master lost.');
    log.notice('Caching the disconnected master state.');
    this.replayer?.detach();
    if (this.inMulti) this.replayer?.run(['DISCARD']);
    this.inMulti = false;
    this.parser = new RespParser(STREAM_LIMITS);
    this.held = [];
    this.partial = 0;
    this.inTx = 0;
    this.readOffset = this.repl.stream.offset;
    this.cached = true;
    this.state = 'connect';
    if (this.downSince === 0) this.downSince = Date.now();
    if (!this.stopped) {
      log.notice(`Reconnecting to MASTER ${this.host}:${this.port}`);
      this.connect();
    }
  }

  /** Forgets the master client entirely (freeClient of a master that is not cached). */
  private dropPrimary(): void {
    if (this.replayer !== null) {
      this.replayer.detach();
      if (this.inMulti) this.replayer.run(['DISCARD']);
    }
    this.replayer = null;
    this.inMulti = false;
  }

  /** Runs the stream's whole commands; applied bytes move the offset and go to our replicas and backlog. */
  private streamData(chunk: Buffer): void {
    const replayer = this.replayer;
    if (replayer === null) return;
    this.readOffset += chunk.length;
    this.held.push(chunk);
    const parser = this.parser;
    parser.feed(chunk);
    const ks = this.server.keyspace;
    /** Bytes parsed and applied but not yet proxied. */
    let unfed = 0;
    ks.applyingPrimary = true;
    try {
      for (;;) {
        const before = parser.pending;
        const argv = parser.next();
        // The parser may consume the start of a command (its headers) and wait for the rest:
        // those bytes belong to the command that completes later.
        this.partial += before - parser.pending;
        if (argv === null) break;
        const len = this.partial;
        this.partial = 0;
        const name = argv[0].toLowerCase();
        if (name === 'replconf' && argv.length >= 2 && argv[1].toLowerCase() === 'getack') {
          // The ACK carries what was applied before this command (c->reploff).
          if (!this.prePsync) this.sendAck(this.repl.stream.offset + unfed);
        } else {
          replayer.run(argv);
          if (name === 'select' && argv.length === 2) this.streamDb = Number(argv[1]) | 0;
        }
        if (name === 'multi') this.inMulti = true;
        if (this.inMulti) {
          this.inTx += len;
          if (name === 'exec' || name === 'discard') {
            this.inMulti = false;
            unfed += this.inTx;
            this.inTx = 0;
          }
        } else unfed += len;
        if (this.state !== 'connected' || this.replayer !== replayer) return; // killed meanwhile
      }
    } finally {
      ks.applyingPrimary = false;
    }
    if (unfed > 0) this.repl.stream.feedRaw(this.takeHeld(unfed));
    if (parser.error !== null) {
      this.server.log.warning(`Protocol error (${parser.error}) from master: the link is dropped`);
      this.closeSocket();
      this.primaryLost();
    }
  }

  /** The oldest `n` held bytes, removed from the queue. */
  private takeHeld(n: number): Buffer {
    const first = this.held[0];
    if (first.length === n) {
      this.held.shift();
      return first;
    }
    if (first.length > n) {
      this.held[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let p = 0;
    while (p < n) {
      const b = this.held[0];
      const k = Math.min(b.length, n - p);
      b.copy(out, p, 0, k);
      p += k;
      if (k === b.length) this.held.shift();
      else this.held[0] = b.subarray(k);
    }
    return out;
  }

  /** The AUX fields of an RDB saved now: our history and the stream's db, or null without a history. */
  private saveInfo(): Record<string, string> | null {
    if (!this.cached && this.state !== 'connected') return null;
    const s = this.repl.stream;
    return { 'repl-stream-db': String(this.streamDb), 'repl-id': s.replid, 'repl-offset': String(s.offset) };
  }

  /** replicationSendAck: REPLCONF ACK <applied offset>, the only reply the primary gets. */
  private sendAck(offset = this.repl.stream.offset): void {
    if (this.socket === null) return;
    this.send(['REPLCONF', 'ACK', String(offset)]);
  }

  // ---- cron and INFO -----------------------------------------------------------------------

  /** Redis replicationCron's replica part, once a second: timeouts, reconnects, REPLCONF ACK. */
  cron(now: number): void {
    if (this.stopped || now - this.lastCron < 1000) return;
    this.lastCron = now;
    const log = this.server.log;
    const timeout = this.server.config.num('repl-timeout') * 1000;
    if ((this.state === 'connecting' || this.state === 'handshake') && now - this.lastIo > timeout) {
      log.warning('Timeout connecting to the MASTER...');
      this.cancelHandshake(true);
    }
    const t = this.transfer;
    if (this.state === 'transfer' && t !== null && !t.loading && now - Math.max(this.lastIo, t.lastIo) > timeout) {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.cancelHandshake(true);
    }
    if (this.state === 'connected' && now - this.lastInteraction > timeout) {
      log.warning('MASTER timeout: no data nor PING received...');
      this.closeSocket();
      this.primaryLost();
    }
    if (this.state === 'connect') {
      log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
      this.connect();
    }
    if (this.state === 'connected' && !this.prePsync) this.sendAck();
  }

  /** The replica lines of INFO replication, after `role:slave`, in Redis's order. */
  infoLines(): string[] {
    const now = Date.now();
    const cfg = this.server.config;
    const connected = this.state === 'connected';
    const applied = connected || this.cached ? this.repl.stream.offset : 1;
    const read = connected ? this.readOffset : applied;
    const out = [
      `master_host:${this.host}`,
      `master_port:${this.port}`,
      `master_link_status:${connected ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${connected ? Math.floor(now / 1000) - Math.floor(this.lastInteraction / 1000) : -1}`,
      `master_sync_in_progress:${this.state === 'transfer' ? 1 : 0}`,
      `slave_read_repl_offset:${read}`,
      `slave_repl_offset:${applied}`,
    ];
    const t = this.transfer;
    if (this.state === 'transfer') {
      const size = t?.size ?? -1;
      const got = t?.read ?? 0;
      const perc = size > 0 ? (got / size) * 100 : 0;
      out.push(
        `master_sync_total_bytes:${size}`,
        `master_sync_read_bytes:${got}`,
        `master_sync_left_bytes:${size - got}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${Math.floor(now / 1000) - Math.floor((t?.lastIo ?? this.lastIo) / 1000)}`,
      );
    }
    if (!connected) {
      out.push(`master_link_down_since_seconds:${this.downSince !== 0 ? Math.floor(now / 1000) - Math.floor(this.downSince / 1000) : -1}`);
    }
    out.push(
      `slave_priority:${cfg.num('replica-priority')}`,
      `slave_read_only:${cfg.bool('replica-read-only') ? 1 : 0}`,
      `replica_announced:${cfg.bool('replica-announced') ? 1 : 0}`,
    );
    return out;
  }
}
