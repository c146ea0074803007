/**
 * The primary side of replication: the replicas attached to this server, their synchronisation
 * (partial from the backlog, or full with an RDB snapshot), the stream they are fed, their ACKs,
 * WAIT, timeouts and pings.
 *
 * A replica's life: SYNC or PSYNC → `attach`. PSYNC with our replid (or replid2 up to
 * second_repl_offset) and an offset the backlog holds → `+CONTINUE` and the missing bytes, online.
 * Otherwise a full sync: the replica waits (`wait_bgsave`) for the next snapshot, which starts at
 * once when writing to disk, or after `repl-diskless-sync-delay` seconds (or as soon as
 * `repl-diskless-sync-max-replicas` wait) when streaming it to the sockets. When it starts, every
 * waiting replica gets `+FULLRESYNC <replid> <offset>` and from then on buffers the stream; the RDB
 * goes out (`send_bulk`) — from the file as `$<len>\r\n<bytes>`, or streamed as
 * `$EOF:<40 random chars>\r\n<bytes><the same 40 chars>` — then the buffered stream follows and the
 * replica is `online` (after a diskless transfer, on its first REPLCONF ACK, as Redis does).
 * The snapshot is the copy-on-write, sliced one of src/persistence/snapshot.ts: no fork, and no
 * pause of the event loop beyond a slice.
 * Source: Redis 7.0 replication.c (syncCommand, masterTryPartialResynchronization,
 * startBgsaveForReplication, replicationSetupSlaveForFullResync, updateSlavesWaitingBgsave,
 * sendBulkToSlave, replconfCommand, replicationCron, waitCommand, refreshGoodSlavesCount).
 */
import fs from 'node:fs';
import path from 'node:path';
import { getPersistence } from '../persistence/index.js';
import { ChildTerminatedError, Snapshot, type SnapshotSink } from '../persistence/snapshot.js';
import type { ReplicaPeer } from './host.js';
import type { Replication } from './index.js';
import type { StreamSink } from './stream.js';

/**
 * A replica's synchronisation state (Redis SLAVE_STATE_*): waiting for a snapshot to start
 * (`wait_bgsave`), in a running one (`wait_bgsave_end`: the disk save runs, or the RDB streams to
 * its socket), receiving the saved file (`send_bulk`), `online`. INFO shows `wait_bgsave_end` as
 * `wait_bgsave`, as Redis's replstateToString does (a diskless transfer is never `send_bulk`).
 */
export type ReplicaSyncState = 'wait_bgsave' | 'wait_bgsave_end' | 'send_bulk' | 'online';

/** One replica attached to this server (Redis: a client with CLIENT_SLAVE). */
export class ReplicaEntry implements StreamSink {
  state: ReplicaSyncState = 'wait_bgsave';
  /** REPLCONF listening-port (INFO slaveN port=, ROLE). */
  listeningPort = 0;
  /** REPLCONF ip-address, or '' for the peer address. */
  announcedIp = '';
  /** REPLCONF capa eof (accepts a diskless `$EOF:` transfer) and capa psync2. */
  capaEof = false;
  capaPsync2 = false;
  /** Old SYNC (no PSYNC): no +FULLRESYNC line, no ACKs expected (CLIENT_PRE_PSYNC). */
  prePsync = false;
  /** Last offset the replica acknowledged (REPLCONF ACK) and when, Unix ms. */
  ackOffset = 0;
  ackTime = Date.now();
  /** Unix ms when it started waiting for a snapshot. */
  waitingSince = Date.now();
  /** After a diskless transfer: the stream starts on the first REPLCONF ACK (repl_start_cmd_stream_on_ack). */
  streamOnAck = false;
  /**
   * Unix ms since when a chunk of a diskless transfer waits for this replica's socket, 0 when none
   * does (Redis repl_last_partial_write): a replica stuck longer than repl-timeout is dropped.
   */
  bulkWaitSince = 0;
  /** The stream produced since its full sync started, sent once online; null when not buffering. */
  private buffered: Buffer[] | null = null;
  private bufferedBytes = 0;

  constructor(
    readonly side: PrimarySide,
    readonly peer: ReplicaPeer,
  ) {}

  /** `ip:listening-port` as Redis's log lines name a replica (replicationGetSlaveName). */
  get name(): string {
    return `${this.ip}:${this.listeningPort !== 0 ? this.listeningPort : '<unknown-replica-port>'}`;
  }

  /** The address INFO and ROLE show. */
  get ip(): string {
    return this.announcedIp !== '' ? this.announcedIp : this.peer.ip;
  }

  /** Stream bytes: sent when streaming, else buffered until the full sync is done (bounded by the output limit). */
  write(data: Buffer): void {
    if (this.peer.closed) return;
    if (this.buffered === null) {
      this.peer.write(data);
      return;
    }
    this.buffered.push(Buffer.from(data));
    this.bufferedBytes += data.length;
    if (this.peer.outputLimitReached(this.bufferedBytes)) {
      this.buffered = [];
      this.bufferedBytes = 0;
      // Redis closeClientOnOutputBufferLimitReached(c, async=1) logs this line, the replica freed
      // at the next beforeSleep (here: now; its transfer stops with it).
      this.side.host.log.warning(`Client ${this.peer.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.side.drop(this, null);
    }
  }

  /** Starts buffering the stream (its full sync starts now). */
  startBuffering(): void {
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  /** Sends what was buffered and streams from now on (replicaStartCommandStream). */
  startStream(): void {
    const b = this.buffered;
    this.buffered = null;
    this.bufferedBytes = 0;
    this.streamOnAck = false;
    if (b !== null) for (const x of b) this.peer.write(x);
  }
}

/** The INFO stats counters of replication (sync_full, sync_partial_ok, sync_partial_err). */
export interface SyncStats {
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
}

/** A client blocked in WAIT: it is answered once `numReplicas` acknowledged `offset`. */
interface Waiter {
  offset: number;
  numReplicas: number;
  done: (acked: number) => void;
}

/** The primary side of one server's replication (see module doc). */
export class PrimarySide {
  readonly replicas: ReplicaEntry[] = [];
  readonly stats: SyncStats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };
  /** FAILOVER state (INFO master_failover_state). */
  failoverState: 'no-failover' | 'waiting-for-sync' | 'failover-in-progress' = 'no-failover';
  /** FAILOVER TO host port, or the replica chosen once one caught up; null: any replica. */
  private failoverTarget: { host: string; port: number } | null = null;
  /** Unix ms when a FAILOVER ... TIMEOUT gives up (or forces); 0: no timeout. */
  private failoverEnd = 0;
  private failoverForce = false;
  /** The running full sync, if any. */
  private sync: FullSync | null = null;
  private waiters: Waiter[] = [];
  private getAckScheduled = false;
  private lastPing = Date.now();
  private lastNewline = 0;

  constructor(readonly repl: Replication) {}

  get host() {
    return this.repl.host;
  }

  /**
   * SYNC / PSYNC from `peer` (syncCommand): `replid` '?' or unknown and `psyncOffset` -1 ask for a
   * full sync. Replies +CONTINUE (and the backlog from `psyncOffset`) or +FULLRESYNC (now or when
   * the snapshot starts). `replid` null is the old SYNC. @returns the replica entry.
   */
  attach(peer: ReplicaPeer, replid: string | null, psyncOffset: number, entry?: ReplicaEntry): ReplicaEntry {
    const log = this.host.log;
    const r = entry ?? new ReplicaEntry(this, peer);
    log.notice(`Replica ${peer.addr} asks for synchronization`);
    const stream = this.repl.stream;
    if (replid !== null) {
      const why = replid === '?' ? 'full' : stream.canContinue(replid, psyncOffset);
      if (why === null) {
        this.continueFrom(r, psyncOffset);
        return r;
      }
      if (why !== 'full') {
        this.stats.syncPartialErr++;
        log.notice(
          why.startsWith('Partial')
            ? why
            : `Unable to partial resync with replica ${peer.addr} for lack of backlog (Replica request was: ${psyncOffset}).`,
        );
      } else log.notice(`Full resync requested by replica ${peer.addr}`);
    } else r.prePsync = true;
    this.stats.syncFull++;
    r.state = 'wait_bgsave';
    r.waitingSince = Date.now();
    this.replicas.push(r);
    if (stream.backlog === null) {
      // The first replica of a primary without backlog: a new history starts (syncCommand).
      stream.resetReplid();
      stream.createBacklog();
      log.notice(`Replication backlog created, my new replication IDs are '${stream.replid}' and '${stream.replid2}'`);
    }
    stream.noReplicasSince = 0;
    this.maybeStartSync();
    return r;
  }

  /** +CONTINUE: the replica is online and gets the backlog from `from` (addReplyReplicationBacklog). */
  private continueFrom(r: ReplicaEntry, from: number): void {
    const stream = this.repl.stream;
    const backlog = stream.backlog;
    if (backlog === null) throw new Error('no backlog');
    r.state = 'online';
    r.ackTime = Date.now();
    r.peer.write(Buffer.from(r.capaPsync2 ? `+CONTINUE ${stream.replid}\r\n` : '+CONTINUE\r\n'));
    const data = backlog.copyFrom(from);
    if (data.length > 0) r.peer.write(data);
    this.replicas.push(r);
    stream.sinks.add(r);
    stream.noReplicasSince = 0;
    this.stats.syncPartialOk++;
    this.host.log.notice(
      `Partial resynchronization request from ${r.peer.addr} accepted. Sending ${data.length} bytes of backlog starting from offset ${from}.`,
    );
  }

  /**
   * Starts a full sync for the waiting replicas when one may start (replicationStartPendingFork).
   * A disk-based one starts at once (syncCommand's startBgsaveForReplication); a diskless one
   * only from the cron (`fromCron`), at `hz`, as Redis's serverCron starts it.
   */
  maybeStartSync(now = Date.now(), fromCron = false): void {
    if (this.sync !== null || this.host.keyspace.beforeWrite !== null) return; // a snapshot runs: wait for it
    const waiting = this.replicas.filter((r) => r.state === 'wait_bgsave' && !r.peer.closed);
    if (waiting.length === 0) return;
    const cfg = this.host.config;
    const diskless = cfg.bool('repl-diskless-sync') && waiting.every((r) => r.capaEof);
    if (diskless) {
      if (!fromCron) return;
      const delay = cfg.num('repl-diskless-sync-delay') * 1000;
      const max = cfg.num('repl-diskless-sync-max-replicas');
      // Idle time in whole seconds, as Redis counts it (server.unixtime - lastinteraction): a
      // delay of 1 starts the transfer at the next second boundary, not a full second later.
      const oldest = Math.min(...waiting.map((r) => r.waitingSince));
      const idle = (Math.floor(now / 1000) - Math.floor(oldest / 1000)) * 1000;
      if (delay > 0 && idle < delay && !(max > 0 && waiting.length >= max)) return;
    }
    this.sync = new FullSync(this, waiting, diskless);
    this.sync.start();
  }

  /** The full sync ended (successfully for the replicas still in it). */
  syncEnded(): void {
    this.sync = null;
    // Replicas that arrived meanwhile wait for the next one.
    setImmediate(() => this.maybeStartSync());
  }

  /**
   * REPLCONF from a replica or a would-be replica (replconfCommand). @returns the reply: null for
   * none (ACK), or an error text (without the leading `-`), or 'OK'.
   */
  replconf(peer: ReplicaPeer, entry: ReplicaEntry | null, args: string[]): { reply: 'OK' | null; error?: string; entry?: ReplicaEntry } {
    if (args.length % 2 !== 0) return { reply: null, error: 'ERR syntax error' };
    const r = entry ?? new ReplicaEntry(this, peer);
    for (let i = 0; i < args.length; i += 2) {
      const opt = args[i].toLowerCase();
      const val = args[i + 1];
      if (opt === 'listening-port') {
        const p = Number(val);
        if (!/^-?\d+$/.test(val)) return { reply: null, error: 'ERR value is not an integer or out of range' };
        r.listeningPort = p;
      } else if (opt === 'ip-address') {
        if (val.length >= NET_HOST_STR_LEN)
          return { reply: null, error: `ERR REPLCONF ip-address provided by replica instance is too long: ${val.length} bytes` };
        r.announcedIp = val;
      } else if (opt === 'capa') {
        if (val.toLowerCase() === 'eof') r.capaEof = true;
        else if (val.toLowerCase() === 'psync2') r.capaPsync2 = true;
      } else if (opt === 'ack') {
        // REPLCONF ACK <offset> [FACK <offset>]: no reply, ever (replicas do not read replies).
        if (entry === null) return { reply: null };
        const off = Number(val);
        if (Number.isFinite(off) && off > r.ackOffset) r.ackOffset = off;
        r.ackTime = Date.now();
        if (r.streamOnAck && r.state === 'online') {
          r.startStream();
          this.host.log.notice(`Synchronization with replica ${peer.addr} succeeded`);
        }
        this.checkWaiters();
        return { reply: null };
      } else if (opt === 'getack') {
        // Only a primary's stream sends it to us; from a client it does nothing.
        return { reply: null };
      } else if (opt === 'rdb-only' || opt === 'rdb-filter-only') {
        // Accepted for redis-cli --rdb; the whole dataset is sent.
      } else {
        return { reply: null, error: `ERR Unrecognized REPLCONF option: ${args[i]}` };
      }
    }
    return { reply: 'OK', entry: r };
  }

  /** Removes a replica whose connection closed (freeClient of a CLIENT_SLAVE). */
  detach(r: ReplicaEntry): void {
    const i = this.replicas.indexOf(r);
    if (i < 0) return;
    this.replicas.splice(i, 1);
    this.repl.stream.sinks.delete(r);
    this.sync?.remove(r);
    // Every replica that sent SYNC/PSYNC, at warning level (Redis freeClient of a CLIENT_SLAVE).
    this.host.log.warning(`Connection with replica ${r.name} lost.`);
    if (this.replicas.length === 0) this.repl.stream.noReplicasSince = Date.now();
    this.checkWaiters();
  }

  /** Closes a replica's connection (it is detached when the close completes). */
  drop(r: ReplicaEntry, reason: string | null): void {
    if (reason !== null) this.host.log.warning(`Closing replica ${r.peer.addr}: ${reason}`);
    r.peer.close(reason ?? 'output buffer limits');
    this.detach(r);
  }

  /** Closes every replica (they reconnect and resync with the new history). */
  disconnectReplicas(reason: string): void {
    for (const r of [...this.replicas]) {
      r.peer.close(reason);
      this.detach(r);
    }
  }

  /** Replicas online with an ACK at most `maxLag` seconds old (repl_good_slaves_count). */
  goodReplicas(maxLag: number): number {
    const now = Date.now();
    let n = 0;
    for (const r of this.replicas) if (r.state === 'online' && (now - r.ackTime) / 1000 <= maxLag) n++;
    return n;
  }

  /** Replicas online whose acknowledged offset reached `offset` (replicationCountAcksByOffset). */
  countAcked(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /**
   * WAIT: calls `done(acked)` once `numReplicas` replicas acknowledged `offset`; until then asks
   * them for an ACK (REPLCONF GETACK * in the stream, once per event-loop turn). @returns a
   * cancel function (timeout or client gone).
   */
  waitForAcks(offset: number, numReplicas: number, done: (acked: number) => void): () => void {
    const w: Waiter = { offset, numReplicas, done };
    this.waiters.push(w);
    this.requestAcks();
    return () => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }

  /** Feeds REPLCONF GETACK * to the replicas before the event loop sleeps (Redis beforeSleep get_ack_from_slaves). */
  private requestAcks(): void {
    if (this.getAckScheduled) return;
    this.getAckScheduled = true;
    setImmediate(() => {
      this.getAckScheduled = false;
      if (this.waiters.length === 0 || this.repl.stream.proxying) return;
      this.repl.stream.feed(-1, ['REPLCONF', 'GETACK', '*']);
    });
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    for (const w of [...this.waiters]) {
      const n = this.countAcked(w.offset);
      if (n >= w.numReplicas) {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        w.done(n);
      }
    }
  }

  /** Redis replicationCron's primary part: pings, newlines to waiting replicas, timeouts, backlog TTL. */
  cron(now: number): void {
    const cfg = this.host.config;
    const stream = this.repl.stream;
    if (this.failoverState === 'waiting-for-sync') this.updateFailover(now);
    if (
      this.replicas.length !== 0 &&
      !stream.proxying &&
      this.failoverState === 'no-failover' &&
      // A cluster manual failover waits for the replica to reach our offset: a PING would move it
      // past the one the replica waits for (Redis replicationCron skips it then too).
      !this.host.writesPausedForFailover &&
      now - this.lastPing >= cfg.num('repl-ping-replica-period') * 1000
    ) {
      // The primary pings its replicas through the stream (it moves the offset, like any write).
      this.lastPing = now;
      stream.feed(-1, ['PING']);
    }
    if (now - this.lastNewline >= 1000) {
      this.lastNewline = now;
      // Replicas waiting for the snapshot get a newline each second, so they do not time out;
      // not those whose RDB streams to their socket (it would corrupt the transfer).
      for (const r of this.replicas) {
        if (r.peer.closed) continue;
        if (r.state === 'wait_bgsave' || (r.state === 'wait_bgsave_end' && !this.sync?.diskless)) r.peer.write(NEWLINE);
      }
      const timeout = cfg.num('repl-timeout') * 1000;
      for (const r of [...this.replicas]) {
        if (r.state === 'online' && !r.prePsync && now - r.ackTime > timeout) {
          // (Also one waiting for its first ACK after a diskless transfer: ackTime was set at its end.)
          this.host.log.warning(`Disconnecting timedout replica (streaming sync): ${r.name}`);
          this.drop(r, 'timeout (streaming sync)');
        } else if (r.state === 'wait_bgsave_end' && this.sync?.diskless && r.bulkWaitSince !== 0 && now - r.bulkWaitSince > timeout) {
          // A replica that stopped reading its diskless transfer holds the snapshot for everyone.
          this.host.log.warning(`Disconnecting timedout replica (full sync): ${r.name}`);
          this.drop(r, 'timeout (full sync)');
        }
      }
      const ttl = cfg.num('repl-backlog-ttl') * 1000;
      if (
        this.replicas.length === 0 &&
        stream.backlog !== null &&
        !this.repl.isReplica &&
        ttl > 0 &&
        stream.noReplicasSince > 0 &&
        now - stream.noReplicasSince > ttl
      ) {
        // A new history: a replica that comes back cannot continue anyway (replicationCron).
        stream.resetReplid();
        stream.freeBacklog();
        this.host.log.notice(`Replication backlog freed after ${ttl / 1000} seconds without connected replicas.`);
      }
    }
    this.maybeStartSync(now, true);
  }

  // ---- FAILOVER ---------------------------------------------------------------------------

  /**
   * FAILOVER [TO host port [FORCE]] [TIMEOUT ms] (failoverCommand, already parsed): writes pause,
   * and once the target (or any replica) acknowledged our whole stream this server becomes its
   * replica, sending `PSYNC <replid> <offset> FAILOVER`, which makes the target a primary.
   * @returns null when started, or the error text Redis replies.
   */
  failover(target: { host: string; port: number } | null, timeoutMs: number, force: boolean): string | null {
    if (this.failoverState !== 'no-failover') return 'ERR FAILOVER already in progress.';
    if (this.repl.isReplica) return 'ERR FAILOVER is not valid when server is a replica.';
    if (this.replicas.length === 0) return 'ERR FAILOVER requires connected replicas.';
    if (force && (timeoutMs === 0 || target === null))
      return 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
    const log = this.host.log;
    if (target !== null) {
      const r = this.findReplica(target.host, target.port);
      if (r === undefined) return 'ERR FAILOVER target HOST and PORT is not a replica.';
      if (r.state !== 'online') return 'ERR FAILOVER target replica is not online.';
      log.notice(`FAILOVER requested to ${target.host}:${target.port}.`);
    } else log.notice('FAILOVER requested to any replica.');
    this.failoverTarget = target;
    this.failoverEnd = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
    this.failoverForce = force;
    this.failoverState = 'waiting-for-sync';
    this.host.pauseWritesForFailover(true);
    return null;
  }

  /** The online replica announcing host:port (findReplica). */
  private findReplica(host: string, port: number): ReplicaEntry | undefined {
    return this.replicas.find((r) => r.ip === host && r.listeningPort === port);
  }

  /** FAILOVER's progress check, every cron tick (updateFailoverStatus). */
  private updateFailover(now: number): void {
    const log = this.host.log;
    if (this.failoverEnd !== 0 && this.failoverEnd <= now) {
      if (this.failoverForce && this.failoverTarget !== null) {
        log.notice(`FAILOVER to ${this.failoverTarget.host}:${this.failoverTarget.port} time out exceeded, failing over.`);
        this.startFailover(this.failoverTarget);
      } else this.abortFailover('Replica never caught up before timeout');
      return;
    }
    const offset = this.repl.stream.offset;
    let r: ReplicaEntry | undefined;
    if (this.failoverTarget !== null) r = this.findReplica(this.failoverTarget.host, this.failoverTarget.port);
    else r = this.replicas.find((x) => x.state === 'online' && x.ackOffset === offset);
    if (r !== undefined && r.ackOffset === offset) {
      const target = { host: r.ip, port: r.listeningPort };
      log.notice(`Failover target ${target.host}:${target.port} is synced, failing over.`);
      this.startFailover(target);
    }
  }

  private startFailover(target: { host: string; port: number }): void {
    this.failoverTarget = target;
    this.failoverState = 'failover-in-progress';
    this.repl.replicaOf(target.host, target.port);
  }

  /** The target accepted our PSYNC FAILOVER (+CONTINUE or +FULLRESYNC): writes resume, as a replica (clearFailoverState). */
  failoverSucceeded(): void {
    if (this.failoverState !== 'failover-in-progress') return;
    this.clearFailover();
  }

  /**
   * FAILOVER ABORT, a timeout, or a target that refused our PSYNC (abortFailover): back to
   * primary if we had switched, writes resume.
   */
  abortFailover(reason: string): void {
    if (this.failoverState === 'no-failover') return;
    const t = this.failoverTarget;
    this.host.log.notice(t !== null ? `FAILOVER to ${t.host}:${t.port} aborted: ${reason}` : `FAILOVER to any replica aborted: ${reason}`);
    if (this.failoverState === 'failover-in-progress') this.repl.unsetPrimary();
    this.clearFailover();
  }

  private clearFailover(): void {
    this.failoverState = 'no-failover';
    this.failoverTarget = null;
    this.failoverEnd = 0;
    this.failoverForce = false;
    this.host.pauseWritesForFailover(false);
  }

  /** INFO replication: connected_slaves and one slaveN line per replica (genRedisInfoString). */
  infoLines(): string[] {
    const out = [`connected_slaves:${this.replicas.length}`];
    const now = Date.now();
    this.replicas.forEach((r, i) => {
      const lag = Math.floor((now - r.ackTime) / 1000);
      const state = r.state === 'wait_bgsave_end' ? 'wait_bgsave' : r.state;
      out.push(`slave${i}:ip=${r.ip},port=${r.listeningPort},state=${state},offset=${r.ackOffset},lag=${lag}`);
    });
    return out;
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * One full synchronisation: a snapshot of the dataset sent to one or more replicas, streamed to
 * their sockets (diskless) or saved to the RDB file and then sent from it.
 */
class FullSync {
  private readonly replicas: Set<ReplicaEntry>;
  private snapshot: Snapshot | null = null;
  private readonly startOffset: number;
  private readonly eofMark = process.getBuiltinModule('node:crypto').randomBytes(20).toString('hex');

  constructor(
    private readonly side: PrimarySide,
    replicas: ReplicaEntry[],
    /** The RDB streams to the replicas' sockets (else it is saved to disk, then sent). */
    readonly diskless: boolean,
  ) {
    this.replicas = new Set(replicas);
    this.startOffset = side.repl.stream.offset;
  }

  private get host() {
    return this.side.repl.host;
  }

  /** A replica left during the sync. */
  remove(r: ReplicaEntry): void {
    if (!this.replicas.delete(r)) return;
    if (this.replicas.size === 0 && this.diskless && this.snapshot !== null) {
      // Nobody left to stream to (Redis kills the child when its last replica goes).
      this.host.log.warning('Diskless rdb transfer, last replica dropped, killing fork child.');
      this.snapshot.abort(); // onAbort: "terminated by signal 10", syncEnded
    } else if (this.replicas.size === 0 && !this.diskless && r.state === 'wait_bgsave_end' && this.host.config.list('save').length === 0) {
      // Nobody waits for the file and no save rule wants it (freeClient: killRDBChild).
      const p = getPersistence(this.host);
      if (p.snapshot !== null && !p.socketSave) {
        p.snapshot.abort(); // Persistence.bgsave's onAbort fails diskSaved
        p.snapshot = null;
        p.rdb.bgsaveInProgress = false;
        this.host.log.warning('Background saving terminated by signal 10');
      }
    }
  }

  /** replicationSetupSlaveForFullResync for each replica, then the snapshot (startBgsaveForReplication). */
  start(): void {
    const stream = this.side.repl.stream;
    const log = this.host.log;
    const aux = {
      'repl-stream-db': String(Math.max(stream.selectedDb, 0)),
      'repl-id': stream.replid,
      'repl-offset': String(this.startOffset),
    };
    log.notice(`Starting BGSAVE for SYNC with target: ${this.diskless ? 'replicas sockets' : 'disk'}`);
    for (const r of this.replicas) {
      r.state = 'wait_bgsave_end';
      if (!r.prePsync) r.peer.write(Buffer.from(`+FULLRESYNC ${stream.replid} ${this.startOffset}\r\n`));
      r.startBuffering();
      stream.sinks.add(r);
    }
    // The stream after the snapshot starts with a SELECT (replicationSetupSlaveForFullResync).
    stream.selectedDb = -1;
    if (this.diskless) this.startDiskless(aux);
    else this.startDisk(aux);
  }

  private startDiskless(aux: Record<string, string>): void {
    const header = Buffer.from(`$EOF:${this.eofMark}\r\n`);
    const mark = Buffer.from(this.eofMark);
    for (const r of this.replicas) r.peer.writeBulk(header, () => {});
    const log = this.host.log;
    const sink: SnapshotSink = {
      write: (chunk, cb) => this.toAll(chunk, cb),
      end: (cb) =>
        this.toAll(mark, () => {
          // rdbPipeReadHandler at the pipe's EOF.
          let up = 0;
          for (const r of this.replicas) if (!r.peer.closed) up++;
          log.warning(`Diskless rdb transfer, done reading from pipe, ${up} replicas still up.`);
          cb(null);
        }),
    };
    const cfg = this.host.config;
    const p = getPersistence(this.host);
    const snap = new Snapshot(this.host.keyspace, {
      file: '',
      tmpFile: '',
      sink,
      sinkChild: true,
      keyDelayUs: cfg.num('rdb-key-save-delay'),
      beforeSlice: () => this.host.flushReplies(),
      compress: cfg.bool('rdbcompression'),
      checksum: cfg.bool('rdbchecksum'),
      aux,
      onChild: p.noteFork,
      onStarted: (pid) => log.notice(`Background RDB transfer started by pid ${pid > 0 ? pid : process.pid}`),
      onAbort: () => {
        // killRDBChild (last replica gone, FLUSHALL, shutdown): backgroundSaveDoneHandlerSocket.
        this.snapshot = null;
        p.socketSaveEnded(snap);
        log.warning('Background transfer terminated by signal 10');
        for (const r of [...this.replicas]) this.side.drop(r, 'SYNC failed. BGSAVE child returned an error');
        this.side.syncEnded();
      },
      onDone: (err) => {
        this.snapshot = null;
        p.socketSaveEnded(snap);
        if (err) {
          log.warning(
            err instanceof ChildTerminatedError ? `Background transfer terminated by signal ${err.signal}` : 'Background transfer error',
          );
          for (const r of [...this.replicas]) this.side.drop(r, 'SYNC failed. BGSAVE child returned an error');
        } else {
          log.notice(
            `Background RDB transfer terminated with success (${snap.keysDone} keys, longest slice ${snap.maxSliceMs.toFixed(1)} ms)`,
          );
          for (const r of this.replicas) {
            log.notice(
              `Streamed RDB transfer with replica ${r.peer.addr} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`,
            );
            r.state = 'online';
            r.streamOnAck = true;
            r.ackTime = Date.now();
          }
        }
        this.side.syncEnded();
      },
    });
    try {
      if (!p.socketSaveStarted(snap)) throw new Error('Background save already in progress');
      snap.start();
      this.snapshot = snap;
    } catch (e) {
      p.socketSaveEnded(snap);
      log.warning(`Can't save in background: ${(e as Error).message}`);
      for (const r of [...this.replicas]) this.side.drop(r, 'full sync failed');
      this.side.syncEnded();
    }
  }

  /** Writes a chunk to every replica of the transfer; `cb` once all took it. */
  private toAll(chunk: Buffer, cb: (err?: Error | null) => void): void {
    let pending = 1;
    const one = (): void => {
      if (--pending === 0) cb(null);
    };
    for (const r of this.replicas) {
      if (r.peer.closed) continue;
      pending++;
      if (r.bulkWaitSince === 0) r.bulkWaitSince = Date.now();
      r.peer.writeBulk(chunk, () => {
        r.bulkWaitSince = 0;
        one();
      });
    }
    one();
  }

  private startDisk(aux: Record<string, string>): void {
    const p = getPersistence(this.host);
    let started: boolean;
    try {
      started = p.bgsave({ aux, onDone: (err) => this.diskSaved(err, p.rdbPath) });
    } catch (e) {
      started = false;
      this.host.log.warning(`Can't start BGSAVE for replication: ${(e as Error).message}`);
    }
    if (!started) {
      for (const r of [...this.replicas]) this.side.drop(r, 'BGSAVE for replication failed');
      this.side.syncEnded();
    }
  }

  /** The RDB file is written: each replica gets `$<size>\r\n` and the file (sendBulkToSlave). */
  private diskSaved(err: Error | null, file: string): void {
    if (err) {
      this.host.log.warning(`BGSAVE for replication failed: ${err.message}`);
      for (const r of [...this.replicas]) this.side.drop(r, 'BGSAVE for replication failed');
      this.side.syncEnded();
      return;
    }
    // The file is read in chunks as each replica's socket takes them (sendBulkToSlave), from an
    // fd opened now: a later save that replaces the file does not change what is sent.
    let fd: number;
    let size: number;
    try {
      fd = fs.openSync(path.resolve(file), 'r');
      size = fs.fstatSync(fd).size;
    } catch (e) {
      this.host.log.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${(e as Error).message}`);
      for (const r of [...this.replicas]) this.side.drop(r, 'BGSAVE for replication failed');
      this.side.syncEnded();
      return;
    }
    this.host.log.notice('Background saving terminated with success');
    let left = this.replicas.size;
    const finished = (): void => {
      if (--left > 0) return;
      fs.close(fd, () => {});
      this.side.syncEnded();
    };
    if (left === 0) {
      left = 1;
      finished();
    }
    for (const r of [...this.replicas]) {
      r.state = 'send_bulk';
      r.peer.writeBulk(Buffer.from(`$${size}\r\n`), () => {});
      let off = 0;
      const next = (): void => {
        if (r.peer.closed) {
          finished();
          return;
        }
        if (off >= size) {
          r.state = 'online';
          r.ackTime = Date.now();
          r.startStream();
          this.host.log.notice(`Synchronization with replica ${r.peer.addr} succeeded`);
          finished();
          return;
        }
        const chunk = Buffer.allocUnsafe(Math.min(size - off, BULK_CHUNK));
        fs.read(fd, chunk, 0, chunk.length, off, (err, n) => {
          if (err || n !== chunk.length) {
            this.side.drop(r, `SYNC failed: can't read the RDB: ${err ? err.message : 'short read'}`);
            finished();
            return;
          }
          off += n;
          r.peer.writeBulk(chunk, next);
        });
      };
      next();
    }
  }
}

/** Bytes read from the RDB file and written to a replica at a time (Redis PROTO_IOBUF_LEN is 16 KB). */
const BULK_CHUNK = 256 * 1024;

/** Longest REPLCONF ip-address accepted, plus one (Redis NET_HOST_STR_LEN: a hostname, not only an IP). */
const NET_HOST_STR_LEN = 256;
