/**
 * KeydraServer: the listener, the clients, the keyspace and the event-loop hooks around them.
 *
 * Bytes in, bytes out: a socket's `data` is fed to the client's parser; each whole command runs
 * synchronously through the dispatcher; replies collect in the client's ReplyWriter and go out with
 * one socket write per batch (flushPendingWrites, Redis beforeSleep). Writes reach the AOF and
 * replicas through one point: `alsoPropagate` → `flushPropagation` → propagation listeners.
 * Source: Redis 7.0 server.c (serverCron, beforeSleep, call), networking.c.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { ERR_MAX_CLIENTS, ERR_PROTECTED_MODE } from '../errors.js';
import { Keyspace, type Db } from '../store/db.js';
import type { PrimaryReplayer } from '../replication/host.js';
import { type CommandTable, CommandStats } from './command.js';
import { hashLimits } from '../store/hash.js';
import { setLimits } from '../store/set.js';
import { zsetLimits } from '../store/zset.js';
import { Config, ConfigError, strerror } from '../config/config.js';
import { ERR_TLS_STARTUP, ERR_TLS_UPDATE, TLS_CONTEXT_DIRECTIVES, TlsState, tlsConnect } from './tls.js';
import { activeExpireCycle } from '../expire/activeExpire.js';
import { evictorOf, setupEviction } from '../evict/index.js';
import { Client, type BlockState, OUTPUT_BACKLOG_PAUSE, afterClientWrite, clientsCron, outputBacklogFull, outputLimitReached } from './client.js';
import { type ClientMemory, clientMemoryChanged, clientMemoryOf, setupClientEviction } from './clientEviction.js';
import { Connection } from './connection.js';
import { beginBatch, endBatch, prefetchKeys, processCommand, setLimitsOwner, syncWallClock } from './dispatch.js';
import { Logger } from './log.js';
import { catRepr } from '../protocol/parser.js';
import { type PauseState, pauseClients, unpauseClients } from './pause.js';
import { aclOf, loadAclAtStartup } from './acl.js';
import { PubSub } from './pubsub.js';
import { getReplication, type Replication } from '../replication/index.js';
import type { Cluster } from '../cluster/index.js';
import { clusterSupport } from './lazyCluster.js';
import { SlotIndex } from '../store/slotIndex.js';
import type { ClusterForward } from './clusterForward.js';
import { redirectBlockedClients } from './clusterRouter.js';

/** Keydra's own version (INFO keydra_version); `redis_version` is the Redis it implements. */
export const KEYDRA_VERSION = '0.1.0';
export const REDIS_VERSION = '7.0.15';

/** Server-wide counters reported by INFO stats under Redis's names. */
export class ServerStats {
  total_connections_received = 0;
  total_commands_processed = 0;
  total_net_input_bytes = 0;
  total_net_output_bytes = 0;
  /** Bytes read from our primary / written to replicas (INFO total_net_repl_input_bytes, ...). */
  total_net_repl_input_bytes = 0;
  total_net_repl_output_bytes = 0;
  rejected_connections = 0;
  total_error_replies = 0;
  /** Errors replied to the primary's stream or the AOF loader (INFO unexpected_error_replies). */
  unexpected_error_replies = 0;
  /** Socket reads that delivered bytes / reply writes issued (INFO total_reads_processed, ...). */
  total_reads_processed = 0;
  total_writes_processed = 0;
  /** Clients freed by client eviction (maxmemory-clients, INFO evicted_clients). */
  evicted_clients = 0;
  /** errorstats: error prefix (ERR, WRONGTYPE, ...) → count. */
  errors = new Map<string, number>();
}

/** A listener for propagated writes: db index and argv (AOF, replicas). */
export type PropagationListener = (dbId: number, argv: string[]) => void;

/** Propagation targets (Redis PROPAGATE_AOF, PROPAGATE_REPL): a write goes to the AOF, the replication stream, or both. */
export const PROPAGATE_AOF = 1;
export const PROPAGATE_REPL = 2;
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

export class KeydraServer {
  readonly config: Config;
  readonly log = new Logger();
  readonly keyspace: Keyspace;
  readonly clients = new Map<number, Client>();
  readonly stats = new ServerStats();
  /**
   * Client memory tracked per event (src/server/clientEviction.ts): set while maxmemory-clients or
   * maxmemory is, else null (the read and write paths only test it).
   */
  clientEviction: ClientMemory | null = null;

  /** Bytes the clients use, for used_memory (EvictionHost; ClientMemory.total). */
  clientsMemory(fresh: boolean): number {
    return clientMemoryOf(this).total(fresh);
  }

  /**
   * Bytes used_memory counts that are no reason to evict keys (EvictionHost; Redis
   * freeMemoryGetNotCountedMemory, INFO mem_not_counted_for_evict): the output waiting for the
   * replicas.
   */
  notCountedMemory(): number {
    let n = 0;
    for (const r of this.replication.primary.replicas) n += r.peer.outputBytes;
    return n;
  }

  /** Number of connected clients (EvictionHost). */
  clientsCount(): number {
    return this.clients.size;
  }
  /** INFO commandstats of this server (the command table is shared, its counts are not). */
  readonly cmdStats = new CommandStats();
  /** Channels, patterns and keyspace notifications. */
  readonly pubsub: PubSub;
  /** Unix ms at start-up. */
  readonly startTime = Date.now();
  /** Changes since the last save (Redis server.dirty); handlers increment it on every write. */
  dirty = 0;
  /** True while a dataset is being loaded: commands without the `loading` flag get -LOADING. */
  get loading(): boolean {
    return this.keyspace.loading;
  }

  set loading(v: boolean) {
    this.keyspace.loading = v;
  }
  /**
   * The -MISCONF error write commands and PING get after a persistence failure (failed BGSAVE
   * with stop-writes-on-bgsave-error, failed AOF write), or null; kept by src/persistence.
   */
  diskError: string | null = null;
  /** The TCP port actually listened on (the TLS port when only TLS listens: `port 0` + `tls-port`, INFO tcp_port). */
  port = 0;
  /** The TLS port listened on (`tls-port`), 0 when TLS does not listen. */
  tlsPort = 0;
  /** TLS contexts and the handshake of TLS connections (src/server/tls.ts). */
  readonly tls: TlsState;
  /**
   * A shutdown signal received and not yet acted on (Redis shutdown_asap): the CLI sets it, the
   * cron starts the shutdown through onShutdownSignal, SHUTDOWN ABORT clears it before that.
   */
  shutdownAsap: 'SIGTERM' | 'SIGINT' | null = null;
  /** True once the cron started the signalled shutdown; reset by the CLI when it fails. */
  shutdownStarted = false;
  /** Runs the signalled shutdown (the CLI's: final save, exit; on failure the server goes on). */
  onShutdownSignal: ((sig: 'SIGTERM' | 'SIGINT') => void) | null = null;
  /** DEBUG PAUSE-CRON: the cron does nothing while set. */
  cronPaused = false;
  /** Called after SHUTDOWN completes; the CLI exits the process, embedded servers just close. */
  onExit: ((code: number) => void) | null = null;
  /** maxmemory in bytes (0: no limit), cached from the config for the dispatcher. */
  maxmemory = 0;

  /** Replacement argv for the current command's propagation (Redis rewriteClientCommandVector). */
  propArgv: string[] | null = null;
  /** Set by a handler to propagate nothing for the current command (it used alsoPropagate itself). */
  preventPropagation = false;
  /** The -BUSY error while a script runs past busy-reply-threshold (src/scripting/engine.ts), else null. */
  busyScript: string | null = null;
  /** CLIENT PAUSE / FAILOVER / shutdown pause of this server (src/server/pause.ts); null while not paused. */
  pauseState: PauseState | null = null;
  /** >0 while EXEC or a script runs: propagation is gathered into one unit. */
  execDepth = 0;
  private pendingPropagation: { dbId: number; argv: string[]; targets: number }[] = [];
  private readonly propagationListeners: { l: PropagationListener; wanted: () => boolean; target: number }[] = [];

  private tcpListeners: net.Server[] = [];
  private unixListener: net.Server | null = null;
  private tlsListeners: net.Server[] = [];
  /** The `tls-port` the TLS listeners were opened with. */
  private boundTlsPort = 0;
  /** The `port` and `bind` the TCP listeners were opened with (CONFIG SET rebinds when they change). */
  private boundPort = 0;
  private boundBinds: string[] = [];
  private nextClientId = 1;
  private pendingWrites: Client[] = [];
  private flushScheduled = false;
  private cronTimer: NodeJS.Timeout | null = null;
  /** min-replicas-to-write / min-replicas-max-lag, cached for the dispatcher's NOREPLICAS gate. */
  minReplicasToWrite = 0;
  minReplicasMaxLag = 10;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may call noscript commands (script_disable_deny_script). */
  scriptDisableDenyScript = false;
  /** Blocked clients per `${dbId}\0${key}`, in blocking order. */
  private blockedOnKey = new Map<string, Client[]>();
  private readyKeys: { db: Db; key: string }[] = [];
  private readonly readySeen = new Set<string>();
  private closing: Promise<void> | null = null;
  /** Hooks run by the cron (Redis serverCron), e.g. persistence save rules; each gets `now` in ms. */
  readonly cronHooks: ((now: number) => void)[] = [];
  /** Hooks run when a whole db is emptied or swapped (FLUSHDB, FLUSHALL, SWAPDB): WATCH. */
  readonly dbClearedHooks: ((db: Db, replacedWith?: Db) => void)[] = [];
  /** Hooks run when a key is modified (WATCH, client tracking). */
  readonly keyModifiedHooks: ((db: Db, key: string) => void)[] = [];

  /**
   * @param commands the command table (src/commands/table.ts commandTable): the only way the
   *   server reaches the commands, their hooks (stats, slow log) and CLIENT LIST lines.
   */
  constructor(
    readonly commands: CommandTable,
    config = new Config(),
  ) {
    this.config = config;
    this.keyspace = new Keyspace(config.num('databases'), {
      keyModified: (db, key) => {
        for (const h of this.keyModifiedHooks) h(db, key);
        // A deleted or retyped key must reach its waiters too (Redis 7.0 signalDeletedKeyAsReady:
        // blocked XREADGROUP is released with an error).
        if (this.blockedOnKey.size !== 0) this.signalKeyAsReady(db, key);
      },
      dbCleared: (db, replacedWith) => {
        for (const h of this.dbClearedHooks) h(db, replacedWith);
        // Waiters on an emptied db are re-checked (Redis signalFlushedDb: blocked XREADGROUP is released).
        const prefix = `${db.id}\0`;
        for (const k of this.blockedOnKey.keys()) if (k.startsWith(prefix)) this.signalKeyAsReady(db, k.slice(prefix.length));
      },
      keyAdded: (db, key) => {
        // Redis dbAdd: the `new` keyspace event (class n).
        if (this.pubsub.notifyFlags !== 0) this.notifyKeyspaceEvent('n', 'new', key, db.id);
        this.signalKeyAsReady(db, key);
      },
      keyExpired: (db, key) => {
        this.notifyKeyspaceEvent('x', 'expired', key, db.id);
        this.alsoPropagate(db.id, ['DEL', key]);
        for (const h of this.keyModifiedHooks) h(db, key);
      },
    });
    this.pubsub = new PubSub(this);
    setupEviction(this);
    this.maxmemory = config.num('maxmemory');
    // Encoding thresholds of hashes, sets and zsets: the store's module-level limits hold the
    // values of the server whose command runs (the dispatcher re-applies them when it changes).
    const syncEncodingLimits = () => this.applyEncodingLimits();
    syncEncodingLimits();
    for (const name of [
      'hash-max-listpack-entries',
      'hash-max-listpack-value',
      'set-max-intset-entries',
      'zset-max-listpack-entries',
      'zset-max-listpack-value',
    ]) {
      config.onChange(name, syncEncodingLimits);
    }
    this.minReplicasToWrite = config.num('min-replicas-to-write');
    this.minReplicasMaxLag = config.num('min-replicas-max-lag');
    config.onChange('min-replicas-to-write', (v) => {
      this.minReplicasToWrite = v as number;
    });
    config.onChange('min-replicas-max-lag', (v) => {
      this.minReplicasMaxLag = v as number;
    });
    config.onChange('maxmemory', (v) => {
      this.maxmemory = v as number;
      // A lower limit evicts on the next event-loop turn (Redis updateMaxmemory →
      // startEvictionTimeProc): not inside the CONFIG SET, nor the MULTI it may be queued in.
      if (this.maxmemory > 0 && !this.evictionScheduled) {
        this.evictionScheduled = true;
        setImmediate(() => {
          this.evictionScheduled = false;
          if (!this.closing && this.maxmemory > 0 && this.busyScript === null) this.evict();
        });
      }
    });
    setupClientEviction(this); // after the maxmemory listener: a percentage limit follows it
    this.log.level = config.str('loglevel') as Logger['level'];
    this.log.file = config.resolvePath(config.str('logfile'));
    config.onChange('loglevel', (v) => {
      this.log.level = v as Logger['level'];
    });
    loadAclAtStartup(this); // `user` directives and aclfile (throws when invalid)
    this.tls = new TlsState(config, this.log);
    // CONFIG SET of certificates, keys, CA, protocols, ciphers...: new contexts for new
    // connections, or Redis's error and the old ones kept (config.c applyTlsCfg).
    config.onApply(TLS_CONTEXT_DIRECTIVES, () => {
      if (this.tls.wanted && !this.tls.configure()) throw new ConfigError(ERR_TLS_UPDATE);
    });
    this.replication = getReplication(this);
    // The cluster modules load only for a cluster node (startServer awaits loadClusterSupport).
    this.cluster = config.bool('cluster-enabled') ? new (clusterSupport().cluster.Cluster)(this) : null;
    // A cluster node keeps db 0's keys by hash slot (Redis slots_to_keys, src/store/slotIndex.ts).
    if (this.cluster !== null) this.keyspace.dbs[0].slots = new SlotIndex();
    // A replica per nodes.conf is a replica from the start (Redis iAmMaster() reads myself's role):
    // the dataset loaded keeps its expired keys, which are hidden, not deleted, until the primary's DELs.
    if (this.cluster?.state.myself.isReplica === true) this.keyspace.replicaMode = true;
    this.clusterForward = this.cluster !== null ? new (clusterSupport().forward.ClusterForward)(this) : null;
    // Clients blocked on keys of a slot that moved away get -MOVED (Redis clientsCron).
    if (this.cluster !== null) this.cronHooks.push(() => redirectBlockedClients(this));
  }

  /**
   * Puts this server's encoding thresholds into the store's limits (hashLimits, setLimits,
   * zsetLimits), which are module-level for speed; called at start, on CONFIG SET and by the
   * dispatcher before a command of this server when another server's were in place.
   */
  applyEncodingLimits(): void {
    const config = this.config;
    hashLimits.maxListpackEntries = config.num('hash-max-listpack-entries');
    hashLimits.maxListpackValue = config.num('hash-max-listpack-value');
    setLimits.maxIntsetEntries = config.num('set-max-intset-entries');
    zsetLimits.maxListpackEntries = config.num('zset-max-listpack-entries');
    zsetLimits.maxListpackValue = config.num('zset-max-listpack-value');
    setLimitsOwner(this);
  }

  /** Redis Cluster (src/cluster) when cluster-enabled is yes, else null. */
  readonly cluster: Cluster | null;

  /** A cluster node's forwarding to slot owners (cluster-forward, src/server/clusterForward.ts), else null. */
  readonly clusterForward: ClusterForward | null;

  /** Replication: the stream, the replicas fed, the link to our primary (src/replication). */
  readonly replication: Replication;

  /**
   * True when this server is a replica whose writes are refused (replica-read-only yes): the
   * dispatcher and scripts answer -READONLY to clients other than the primary's.
   */
  get readOnlyReplica(): boolean {
    return this.replication.isReplica && this.config.bool('replica-read-only');
  }

  /**
   * ReplicationHost: the link to a primary, over TLS with the client context when tls-replication
   * is yes (configured at start or by CONFIG SET; unconfigured TLS gives a socket that fails).
   */
  openLink(host: string, port: number): net.Socket {
    return this.connectOut(host, port, this.config.bool('tls-replication'));
  }

  /** ClusterHost: an outgoing cluster bus link, TLS when tls-cluster is yes (as openLink). */
  connectBus(host: string, port: number): net.Socket {
    return this.connectOut(host, port, this.config.bool('tls-cluster'));
  }

  /**
   * ClusterHost: an accepted cluster bus connection, handed to `onReady` as is, or after the TLS
   * handshake (tls-auth-clients applies) when tls-cluster is yes; a failed handshake drops it.
   */
  acceptBus(sock: net.Socket, onReady: (s: net.Socket) => void): void {
    if (!this.config.bool('tls-cluster')) onReady(sock);
    else if (this.tls.serverContext === null && !this.tls.configure()) sock.destroy();
    else this.tls.handshake(sock, onReady);
  }

  /** An outgoing connection from bind-source-addr, over TLS with the client context when `useTls`. */
  private connectOut(host: string, port: number, useTls: boolean): net.Socket {
    // bind-source-addr: the local address of outgoing links (Redis connTCPConnect's src_addr).
    const src = this.config.str('bind-source-addr');
    const localAddress = src !== '' ? src : undefined;
    if (!useTls) return net.connect({ host, port, localAddress });
    if (this.tls.clientContext === null && !this.tls.configure()) {
      const s = new net.Socket();
      queueMicrotask(() => s.destroy(new Error(ERR_TLS_UPDATE)));
      return s;
    }
    return tlsConnect(this.tls.clientContext as NonNullable<TlsState['clientContext']>, host, port, localAddress);
  }

  /** ReplicationHost: writes pause during a coordinated FAILOVER (src/server/pause.ts, purpose 'failover'). */
  pauseWritesForFailover(on: boolean): void {
    if (on) pauseClients(this, Number.MAX_SAFE_INTEGER, false, 'failover');
    else unpauseClients(this, 'failover');
  }

  /** True while pauseWritesForFailover holds writes (Redis replicationCron's manual_failover_in_progress). */
  get writesPausedForFailover(): boolean {
    return this.pauseState?.purposes.has('failover') ?? false;
  }

  /**
   * Redis checkGoodReplicasStatus: false when min-replicas-to-write asks for more replicas with a
   * lag of at most min-replicas-max-lag seconds than are connected (writes then get -NOREPLICAS).
   */
  goodReplicasOk(): boolean {
    if (this.minReplicasToWrite === 0 || this.minReplicasMaxLag === 0 || this.replication.isReplica) return true;
    return this.replication.primary.goodReplicas(this.minReplicasMaxLag) >= this.minReplicasToWrite;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Opens the listeners: every address in `bind` on `port` (0 picks a free port, reused for all
   * addresses), then `unixsocket`. Source: Redis 7.0 server.c initServer / listenToPort.
   * @throws Error with Redis's text ("Failed listening on port <p> (TCP), aborting.", "Failed
   * opening Unix socket: ...", "Configured to not listen anywhere, exiting.") after logging the
   * per-address warning.
   */
  async start(): Promise<void> {
    const port = this.config.num('port');
    const tlsPort = this.config.num('tls-port');
    if (this.tls.wanted && !this.tls.configure()) {
      this.log.warning(ERR_TLS_STARTUP);
      throw new Error(ERR_TLS_STARTUP);
    }
    // `port 0` picks a free port, unless `tls-port` is set: then, as in Redis, no plain TCP listener.
    if (port !== 0 || tlsPort === 0) {
      try {
        this.tcpListeners = await this.listenTcp(port, this.config.list('bind'));
      } catch {
        this.log.warning(`Failed listening on port ${port} (TCP), aborting.`);
        throw new Error(`Failed listening on port ${port} (TCP), aborting.`);
      }
    }
    if (tlsPort !== 0) {
      try {
        this.tlsListeners = await this.listenTcp(tlsPort, this.config.list('bind'), true);
      } catch {
        for (const l of this.tcpListeners) l.close();
        this.tcpListeners = [];
        this.log.warning(`Failed listening on port ${tlsPort} (TLS), aborting.`);
        throw new Error(`Failed listening on port ${tlsPort} (TLS), aborting.`);
      }
    }
    this.boundTlsPort = tlsPort;
    this.tlsPort = this.tlsListeners.length > 0 ? (this.tlsListeners[0].address() as net.AddressInfo).port : 0;
    this.port = this.tcpListeners.length > 0 ? (this.tcpListeners[0].address() as net.AddressInfo).port : this.tlsPort || port;
    this.boundPort = port;
    this.boundBinds = [...this.config.list('bind')];
    const unixPath = this.config.str('unixsocket');
    if (unixPath !== '') await this.listenUnix(this.config.resolvePath(unixPath));
    if (this.tcpListeners.length === 0 && this.tlsListeners.length === 0 && this.unixListener === null) {
      this.log.warning('Configured to not listen anywhere, exiting.');
      throw new Error('Configured to not listen anywhere, exiting.');
    }
    const hz = Math.max(1, this.config.num('hz'));
    this.cronTimer = setInterval(() => this.cron(), 1000 / hz);
    this.cronTimer.unref();
    if (this.cluster !== null) {
      try {
        await this.cluster.start(); // the cluster bus on cluster-port (port + 10000)
      } catch (e) {
        await this.close();
        throw e;
      }
    }
  }

  /**
   * Listens on `port` at each address of `binds` (Redis listenToPort): `*` is any IPv4 address,
   * `::*` any IPv6 one; a `-` prefix makes an address optional (skipped when not available on this
   * host). Each failure is logged as Redis does ("Warning: Could not create server TCP listening
   * socket <addr>:<port>: bind: <error>"). Port 0 picks a free port, reused for the next addresses.
   * With `secure`, accepted sockets go through the TLS handshake first (src/server/tls.ts).
   * @throws the first fatal error, after closing what it opened.
   */
  private async listenTcp(port: number, binds: string[], secure = false): Promise<net.Server[]> {
    const out: net.Server[] = [];
    for (const b of binds) {
      const optional = b.startsWith('-');
      const addr = optional ? b.slice(1) : b;
      const v6 = addr.includes(':');
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      const srv = secure
        ? net.createServer({ noDelay: true }, (sock) => this.tls.handshake(sock, (s) => this.accept(s)))
        : net.createServer({ noDelay: true }, (sock) => this.accept(sock));
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port, host, ipv6Only: v6, backlog: this.config.num('tcp-backlog') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // An address that does not resolve fails in getaddrinfo (its text alone), others in bind().
        const why = err.code === 'ENOTFOUND' ? 'Name or service not known' : `bind: ${strerror(err.code)}`;
        this.log.warning(`Warning: Could not create server TCP listening socket ${addr}:${port}: ${why}`);
        if (err.code === 'EADDRNOTAVAIL' && optional) continue;
        if (err.code === 'EAFNOSUPPORT' || err.code === 'EPROTONOSUPPORT') continue;
        for (const l of out) l.close();
        throw err;
      }
      if (port === 0) port = (srv.address() as net.AddressInfo).port;
      out.push(srv);
    }
    return out;
  }

  /**
   * Re-opens the TCP listeners for the current `port` and `bind` (CONFIG SET; Redis
   * changeListenPort / changeBindAddr). A new port is bound before the old listeners close; a new
   * bind list replaces them (closed first, as the addresses may overlap), and on failure the old
   * addresses are bound again. Connected clients stay.
   * @throws when the new listeners cannot be opened (the old ones are kept or restored).
   */
  async rebindTcp(): Promise<void> {
    const bindsChanged = this.config.list('bind').join(' ') !== this.boundBinds.join(' ');
    await this.rebindPlain();
    await this.rebindTls(bindsChanged);
  }

  /**
   * Re-opens the TLS listeners for a new `tls-port` (or `bind`): Redis applyTLSPort configures
   * TLS if it was not, then changeListenPort; `tls-port 0` closes them.
   * @throws ConfigError "Unable to update TLS configuration. Check server logs." when the
   * certificates are missing or bad, the listen error when the port cannot be bound.
   */
  private async rebindTls(bindsChanged: boolean): Promise<void> {
    const tlsPort = this.config.num('tls-port');
    if (tlsPort === this.boundTlsPort && !bindsChanged) return;
    if (tlsPort !== 0 && !this.tls.configured && !this.tls.configure()) throw new ConfigError(ERR_TLS_UPDATE);
    const old = this.tlsListeners;
    const fresh = tlsPort === 0 ? [] : await this.listenTcp(tlsPort, [...this.config.list('bind')], true);
    for (const l of old) l.close();
    this.tlsListeners = fresh;
    this.boundTlsPort = tlsPort;
    this.tlsPort = fresh.length > 0 ? (fresh[0].address() as net.AddressInfo).port : 0;
    if (this.tcpListeners.length === 0) this.port = this.tlsPort;
  }

  /** rebindTcp's plain TCP part. */
  private async rebindPlain(): Promise<void> {
    const port = this.config.num('port');
    const binds = [...this.config.list('bind')];
    const old = this.tcpListeners;
    // close() stops accepting at once; its callback would wait for the connected clients, which stay.
    const closeAll = (l: net.Server[]) => {
      for (const x of l) x.close();
    };
    if (port === 0 && this.config.num('tls-port') !== 0) {
      // TLS only (`port 0` with a `tls-port`, as Redis): no plain listener.
      closeAll(old);
      this.tcpListeners = [];
      this.boundPort = 0;
      this.boundBinds = binds;
      return;
    }
    if (binds.join(' ') === this.boundBinds.join(' ')) {
      if (port === this.boundPort) return;
      const fresh = await this.listenTcp(port, binds);
      this.tcpListeners = fresh;
      closeAll(old);
    } else {
      this.tcpListeners = [];
      closeAll(old);
      try {
        this.tcpListeners = await this.listenTcp(port, binds);
      } catch (e) {
        this.log.warning('Failed to bind');
        this.tcpListeners = await this.listenTcp(this.boundPort === 0 ? this.port : this.boundPort, this.boundBinds).catch(() => []);
        throw e;
      }
    }
    this.boundPort = port;
    this.boundBinds = binds;
    this.port = this.tcpListeners.length > 0 ? (this.tcpListeners[0].address() as net.AddressInfo).port : port;
  }

  /**
   * Logs that the server is ready, as Redis 7.0's main() does once the dataset is loaded (the
   * listeners opened before, answering -LOADING meanwhile).
   */
  logReady(): void {
    // Redis: when a TCP or a TLS port listens (a TLS-only server with `port 0` too).
    if (this.tcpListeners.length > 0 || this.tlsListeners.length > 0) this.log.notice('Ready to accept connections');
    const unixPath = this.config.str('unixsocket');
    if (unixPath !== '') this.log.notice(`The server is now ready to accept connections at ${unixPath}`);
  }

  /**
   * Listens on a unix domain socket (`unixsocket`), replacing a stale socket file and applying
   * `unixsocketperm` (octal digits as written, e.g. 700). Source: Redis 7.0 server.c initServer
   * (unlink, then anetUnixServer with the permissions).
   * @throws Error "Failed opening Unix socket: ..." if it cannot listen.
   */
  private async listenUnix(path: string): Promise<void> {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // No such file: nothing stale to remove.
    }
    const srv = net.createServer((s) => this.accept(s, path));
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ path, backlog: this.config.num('tcp-backlog') }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const perm = this.config.num('unixsocketperm');
      if (perm > 0) chmodSync(path, Number.parseInt(String(perm), 8));
    } catch (e) {
      for (const l of this.tcpListeners) l.close();
      this.tcpListeners = [];
      srv.close();
      const err = e as NodeJS.ErrnoException;
      const msg = `Failed opening Unix socket: bind: ${strerror(err.code)}`;
      this.log.warning(msg);
      throw new Error(msg);
    }
    this.unixListener = srv;
  }

  /** Run at the end of close(), after the listeners closed (the metrics port: src/metrics). */
  readonly closeHooks: (() => Promise<void> | void)[] = [];

  /** Stops listening, closes every client and stops timers, then runs closeHooks. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.cronTimer) clearInterval(this.cronTimer);
      // The listeners stop first: a client that sees its connection closed by a SHUTDOWN must find
      // the port refused when it reconnects, as after Redis's exit (freeing the clients below can
      // take a while, e.g. one running a suspended script).
      const all = this.unixListener
        ? [...this.tcpListeners, ...this.tlsListeners, this.unixListener]
        : [...this.tcpListeners, ...this.tlsListeners];
      const closed = Promise.all(all.map((l) => new Promise<void>((r) => l.close(() => r()))));
      this.cluster?.close();
      for (const c of this.clients.values()) this.freeClient(c);
      this.clusterForward?.close();
      await closed;
      this.tcpListeners = [];
      this.tlsListeners = [];
      this.unixListener = null;
      for (const h of this.closeHooks) await h();
    })();
    return this.closing;
  }

  /**
   * Hooks run at shutdown before the listeners close (persistence: final save / AOF fsync).
   * `save` is true for SHUTDOWN SAVE, false for NOSAVE, undefined for the configured default.
   * A hook may throw to refuse the shutdown (Redis: "Errors trying to SHUTDOWN").
   */
  readonly shutdownHooks: ((opts: { save: boolean | undefined }) => void)[] = [];

  /** Runs the shutdown hooks, then closes (SHUTDOWN, SIGTERM, embedded close()). */
  async shutdown(opts: { save: boolean | undefined }): Promise<void> {
    if (!this.closing) {
      for (const h of this.shutdownHooks) h(opts);
    }
    await this.close();
  }

  // ---- clients ---------------------------------------------------------------------------

  /** Takes a new connection; `unixPath` is the socket file for unix socket clients (their addr is `path:0`). */
  private accept(socket: net.Socket, unixPath?: string): void {
    this.stats.total_connections_received++;
    if (this.clients.size >= this.config.num('maxclients')) {
      this.stats.rejected_connections++;
      socket.on('error', () => {});
      socket.end(`-${ERR_MAX_CLIENTS}\r\n`, () => socket.destroy());
      return;
    }
    if (this.config.bool('protected-mode') && aclOf(this).defaultUser.nopass && !isLoopback(socket.remoteAddress)) {
      // Redis 7.0 clientAcceptHandler: a nopass default user and a non-loopback peer.
      this.stats.rejected_connections++;
      socket.on('error', () => {});
      socket.end(`-${ERR_PROTECTED_MODE}\r\n`, () => socket.destroy());
      return;
    }
    const keepalive = this.config.num('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const c = new Client(this, socket, this.nextClientId++, unixPath);
    this.clients.set(c.id, c);
    // Redis acceptTcpHandler / acceptUnixHandler (loglevel verbose).
    if (this.log.wants('verbose')) this.log.verbose(unixPath !== undefined ? `Accepted connection to ${unixPath}` : `Accepted ${c.addr}`);
    const parser = c.parser;
    c.conn = new Connection(
      socket,
      (data: Buffer) => {
        this.stats.total_net_input_bytes += data.length;
        this.stats.total_reads_processed++;
        // A Lua debugging session reads the client's bytes itself (src/scripting/ldb.ts).
        if (c.ldbInput !== null) {
          c.ldbInput(data);
          return;
        }
        // `data` is a view of the shared read buffer: the parser parses it in place and copies
        // what is left unparsed (a partial command, or commands behind a blocked one) on release.
        parser.feed(data, true);
        // Replies go out from one flush per event-loop turn (setImmediate, after every socket read
        // of this poll phase), as Redis writes in beforeSleep: the AOF is written (and with
        // appendfsync always fsynced) once for all the clients served in the turn, not per read.
        this.processInput(c);
        parser.release();
        // Closed for its output (client-output-buffer-limit) by its own commands: freed now, as
        // its batch is over (Redis frees it before the next event; a CLIENT LIST read in this
        // same turn must not list it).
        if (c.closeAsap) this.freeClient(c);
        else if (this.clientEviction !== null) clientMemoryChanged(this.clientEviction, c);
      },
      () => {
        // EOF or a read error: Redis closes at once, unsent replies are dropped.
        if (this.log.wants('verbose') && !c.closed) this.log.verbose(`Client closed connection id=${c.id} addr=${c.addr} name=${c.name}`);
        this.freeClient(c);
        socket.destroy();
      },
    );
    c.conn.onDrain = () => {
      if (c.paused && !c.closed) {
        c.paused = false;
        c.conn?.resumeReading();
      }
      // Output that waited for the socket (a replica's stream): written now.
      if (c.reply.pos > 0) this.markPendingWrite(c);
    };
    socket.on('error', () => this.freeClient(c));
    socket.on('close', () => this.freeClient(c));
  }

  /** Creates a client with no socket (scripts, AOF loading); its replies are discarded or read directly. */
  /**
   * A replayer for AOF loading (persistence/host.ts CommandReplayer): a trusted fake client that
   * runs each command through the dispatcher and drops its reply; lookup resolves the command
   * table entry (subcommands included) for the loader's unknown-command and arity checks.
   */
  newReplayer(opts: { primary?: boolean; scriptsMayYield?: boolean } = {}): PrimaryReplayer {
    const fake = this.createFakeClient();
    fake.authenticated = true;
    fake.mustObey = true;
    fake.scriptsMayYield = opts.scriptsMayYield === true;
    let suspendedArgv: string[] = [];
    // The replica's link runs the primary's stream as the master client (CLIENT LIST flags=M, type master).
    if (opts.primary === true) (fake as unknown as { isMaster: boolean }).isMaster = true;
    let onKill: (() => void) | null = null;
    return {
      attach: (addr, kill) => {
        // Listed (CLIENT LIST, CLIENT KILL TYPE master) while the link is up; a kill drops the link.
        (fake as unknown as { addr: string }).addr = addr;
        fake.closed = false;
        onKill = kill;
        this.clients.set(fake.id, fake);
        const hook = (c: Client): void => {
          if (c !== fake) return;
          queueMicrotask(() => {
            const i = this.clientFreeHooks.indexOf(hook);
            if (i >= 0) this.clientFreeHooks.splice(i, 1);
          });
          const f = onKill;
          onKill = null;
          f?.();
        };
        this.clientFreeHooks.push(hook);
      },
      detach: () => {
        onKill = null;
        if (this.clients.get(fake.id) === fake) this.freeClient(fake);
        fake.closed = false;
      },
      lookup: (argv) => {
        return this.commands.lookupArgv(argv);
      },
      run: (argv) => {
        processCommand(fake, argv);
        if (fake.scriptSuspended) {
          suspendedArgv = argv; // its reply comes when it ends (wait)
          return;
        }
        const out = fake.reply.take();
        if (out.length !== 0 && out[0] === 45 /* - */) this.logReplayError(argv, out, opts.primary === true);
      },
      wait: () => {
        if (!fake.scriptSuspended) return null;
        const argv = suspendedArgv;
        return new Promise<void>((resolve) => {
          fake.scriptDone = () => {
            const out = fake.reply.take();
            if (out.length !== 0 && out[0] === 45 /* - */) this.logReplayError(argv, out, opts.primary === true);
            resolve();
          };
        });
      },
    };
  }

  /**
   * A command replayed from the primary's stream or the AOF answered an error: the datasets may
   * have diverged, so it is logged as Redis afterErrorReply does ("== CRITICAL == This replica is
   * sending an error to its master: ...", then the newest bytes of the backlog).
   */
  private logReplayError(argv: string[], reply: Buffer, primary: boolean): void {
    const end = reply.indexOf('\r\n');
    const msg = reply.toString('latin1', 1, Math.min(end < 0 ? reply.length : end, 4097));
    const name = this.commands.lookupArgv(argv)?.fullName ?? '<unknown>';
    const [from, to] = primary ? ['replica', 'master'] : ['server', 'AOF-loading-client'];
    this.log.warning(`== CRITICAL == This ${from} is sending an error to its ${to}: '${msg}' after processing the command '${name}'`);
    const backlog = this.replication.stream.backlog;
    if (primary && backlog !== null && backlog.histlen > 0) {
      const last = backlog.copyFrom(backlog.firstOffset + backlog.histlen - Math.min(256, backlog.histlen));
      this.log.warning(`Latest backlog is: '${catRepr(last.toString('latin1'))}'`);
    }
    this.stats.unexpected_error_replies++;
  }

  createFakeClient(): Client {
    return new Client(this, null, this.nextClientId++);
  }

  /** Parses and runs every whole command buffered for `c`, stopping while it is blocked. */
  processInput(c: Client): void {
    const parser = c.parser;
    beginBatch();
    // Commands left before the next read-ahead of the table for the keys buffered (prefetchKeys).
    let ahead = 0;
    try {
      while (c.blocked === null && c.fwdDeferred === null && !c.closeAfterReply && !c.closed) {
        if (ahead-- === 0) ahead = prefetchKeys(c) - 1;
        const argv = parser.next();
        if (argv === null) break;
        // Behind a forwarded command, replies are kept in request order (src/server/clusterForward.ts).
        if (c.fwdQueue.length !== 0) {
          if (!this.clusterForward!.admit(c, argv)) break;
          continue;
        }
        processCommand(c, argv);
      }
    } finally {
      endBatch();
    }
    if (parser.error !== null && !c.closeAfterReply) {
      this.countError(parser.error);
      c.reply.error(parser.error);
      this.log.verbose(`Protocol error (${parser.error}) from client: id=${c.id} addr=${c.addr}`);
      c.closeAfterReply = true;
    } else if (parser.overLimit && !c.closed) {
      this.log.warning(`Closing client that reached max query buffer length: id=${c.id} addr=${c.addr}`);
      this.freeClient(c);
      return;
    }
    if (c.closeAfterReply) {
      // Nothing more is read from a client that is closing (Redis stops processing its input).
      c.conn?.pauseReading();
      this.markPendingWrite(c);
    } else if (c.reply.pos > 0) this.markPendingWrite(c);
  }

  /** Queues `c` for the next flush of replies (also for replies caused by other clients). */
  markPendingWrite(c: Client): void {
    if (c.pendingWrite || c.closed) return;
    c.pendingWrite = true;
    this.pendingWrites.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPendingWrites());
    }
  }

  /** Hooks run before replies are written (AOF write and fsync: replies go out only after); false defers the replies. */
  readonly beforeFlushHooks: (() => void | boolean)[] = [];

  /** PersistenceHost.flushReplies: the flush queued for this turn, run now. */
  flushReplies(): void {
    if (this.flushScheduled) this.flushPendingWrites();
  }

  /** Writes every queued client's replies with one socket write each (Redis handleClientsWithPendingWrites). */
  flushPendingWrites(): void {
    this.flushScheduled = false;
    // A hook returning false holds the replies back (AOF group commit: it flushes again later).
    for (const h of this.beforeFlushHooks) if (h() === false) return;
    const list = this.pendingWrites;
    if (list.length === 0) return;
    this.pendingWrites = [];
    for (const c of list) {
      c.pendingWrite = false;
      if (c.closed || c.conn === null) continue;
      if (c.closeAsap) {
        // Closed for its output (client-output-buffer-limit): dropped unsent.
        this.freeClient(c);
        continue;
      }
      if (c.reply.pos > 0 && c.conn.pendingBytes > 0) {
        // The socket still queues earlier output (a peer that reads slowly or not at all, a
        // stopped replica): the replies gather in the reply buffer until it drains (one write
        // then, onDrain), as Redis keeps them in the client's reply list. A queued socket write
        // per event-loop turn would cost ~300 bytes of V8 heap each (100,000 of them: 30 MB).
        const waiting = c.conn.pendingBytes + c.reply.pos;
        if (outputLimitReached(c, waiting)) {
          const info = this.commands.hooks.clientInfo(c);
          this.freeClient(c);
          this.log.warning(`Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`);
        } else {
          if (!c.paused && !c.closeAfterReply && waiting >= OUTPUT_BACKLOG_PAUSE) {
            c.paused = true;
            c.conn.pauseReading();
          }
          // Its memory grew (Redis updateClientMemUsageAndBucket): client eviction sees it.
          if (this.clientEviction !== null) clientMemoryChanged(this.clientEviction, c);
        }
        continue;
      }
      if (c.reply.pos > 0) {
        const out = c.reply.pending();
        this.stats.total_net_output_bytes += out.length;
        this.stats.total_writes_processed++;
        // Written now (the usual case): the reply buffer is free again; else the socket keeps it.
        const done = c.conn.write(out);
        c.reply.written(!done);
        if (!done && !c.paused && !c.closeAfterReply && outputBacklogFull(c)) {
          // The peer is not reading and its replies pile up: stop reading its requests until the
          // send buffer drains (under that backlog it is read on, as Redis does, and its output
          // counts toward client-output-buffer-limit and maxmemory-clients).
          c.paused = true;
          c.conn.pauseReading();
        }
        // Output limits against what the socket still queues (src/server/client.ts).
        afterClientWrite(c, out.length);
        if (c.closed) continue;
      }
      if (c.closeAfterReply) {
        c.closed = true;
        this.detachClient(c);
        // Closes once the reply is out; reads nothing more meanwhile (Redis frees the client).
        c.conn.closeAfterWrites();
      }
    }
  }

  /** Removes a client from every server structure (blocked lists, pub/sub, WATCH) without closing. */
  private detachClient(c: Client): void {
    if (c.blocked) this.unblockClient(c, false);
    for (const h of this.clientFreeHooks) h(c);
    this.clients.delete(c.id);
  }

  /** Hooks run when a client goes away (pub/sub unsubscribe, WATCH cleanup). */
  readonly clientFreeHooks: ((c: Client) => void)[] = [];

  /** Closes a client now, dropping unsent output (CLIENT KILL, errors, limits). */
  freeClient(c: Client): void {
    if (c.closed && !this.clients.has(c.id)) return;
    c.closed = true;
    this.detachClient(c);
    c.parser.clear();
    c.socket?.destroy();
  }

  /**
   * Checks a password for AUTH/HELLO. Only the `default` user exists (requirepass), as in Redis
   * without ACL files. @returns true if it matches.
   */
  checkPassword(user: string, pass: string): boolean {
    const req = this.config.str('requirepass');
    // Without requirepass the default user is `nopass`: any password is accepted.
    return user === 'default' && (req === '' || pass === req);
  }

  // ---- errors ----------------------------------------------------------------------------

  /** Counts an error reply for INFO stats/errorstats; `msg` is the full error text. */
  countError(msg: string): void {
    this.stats.total_error_replies++;
    const sp = msg.indexOf(' ');
    const prefix = sp < 0 ? msg : msg.slice(0, sp);
    this.stats.errors.set(prefix, (this.stats.errors.get(prefix) ?? 0) + 1);
  }

  // ---- propagation -----------------------------------------------------------------------

  /**
   * Adds a listener that receives every propagated write (AOF, replicas). `wanted` tells whether
   * it uses writes at the moment (the AOF: appendonly on); when no listener does, a write outside
   * EXEC/scripts is not even queued (the listener would drop it).
   */
  addPropagationListener(l: PropagationListener, wanted: () => boolean = () => true, target = PROPAGATE_ALL): void {
    this.propagationListeners.push({ l, wanted, target });
  }

  /**
   * Queues argv for propagation after the current command (Redis alsoPropagate) to `targets`
   * (PROPAGATE_AOF, PROPAGATE_REPL or both: PUBLISH goes to replicas only).
   */
  alsoPropagate(dbId: number, argv: string[], targets = PROPAGATE_ALL): void {
    // Commands replayed while loading (the AOF, DEBUG LOADAOF) are not propagated: Redis runs them
    // without call() (loadSingleAppendOnlyFile); the AOF they come from must not grow by them.
    if (this.loading) return;
    if (this.execDepth === 0) {
      // No EXEC/script unit is open and no listener wants writes now (AOF off, no replica): the
      // flushPropagation that follows would drop it.
      let wanted = false;
      for (const x of this.propagationListeners) if ((x.target & targets) !== 0 && x.wanted()) wanted = true;
      if (!wanted) return;
    }
    this.pendingPropagation.push({ dbId, argv, targets });
  }

  /** Number of writes queued for the unit being built (scripts: redis.set_repl). */
  get pendingPropagationCount(): number {
    return this.pendingPropagation.length;
  }

  /**
   * Limits the writes queued since position `from` to `targets` (redis.set_repl in scripts:
   * Redis's script client propagates with the script's PROPAGATE_* flags); 0 drops them.
   */
  restrictPropagation(from: number, targets: number): void {
    const ops = this.pendingPropagation;
    let w = from;
    for (let i = from; i < ops.length; i++) {
      const op = ops[i];
      op.targets &= targets;
      if (op.targets !== 0) ops[w++] = op;
    }
    ops.length = w;
  }

  /**
   * Sends queued writes to the listeners; several writes from one command, EXEC or script go
   * out wrapped in MULTI/EXEC so replicas and the AOF apply them atomically.
   */
  flushPropagation(noMulti = false): void {
    const ops = this.pendingPropagation;
    if (ops.length === 0) return;
    this.pendingPropagation = [];
    if (this.propagationListeners.length === 0) return;
    // Redis propagatePendingCommands: more than one op (of any target) → MULTI ... EXEC to both,
    // unless the command run directly touches arbitrary keys (SCAN, RANDOMKEY: `noMulti`).
    const wrap = ops.length > 1 && !noMulti;
    if (wrap) this.emit(ops[0].dbId, ['MULTI'], PROPAGATE_ALL);
    for (const op of ops) this.emit(op.dbId, op.argv, op.targets);
    if (wrap) this.emit(ops[ops.length - 1].dbId, ['EXEC'], PROPAGATE_ALL);
  }

  private emit(dbId: number, argv: string[], targets: number): void {
    for (const x of this.propagationListeners) if ((x.target & targets) !== 0) x.l(dbId, argv);
  }

  // ---- keyspace events -------------------------------------------------------------------

  /**
   * Keyspace notification hook (Redis notifyKeyspaceEvent). `type` is the class letter
   * (g, $, l, s, h, z, x, e, t, m, d, n); published by src/server/pubsub.ts when enabled.
   */
  notifyKeyspaceEvent(type: string, event: string, key: string, dbId: number): void {
    if (this.pubsub.notifyFlags !== 0) this.pubsub.notify(type, event, key, dbId);
  }

  // ---- blocking --------------------------------------------------------------------------

  /**
   * Blocks `c` on keys until one is signalled ready and `state.onReady` serves it, or the
   * deadline passes (Redis blockForKeys). The client's later pipelined commands wait.
   */
  blockClient(c: Client, state: BlockState): void {
    c.blocked = state;
    for (const key of state.keys) {
      const k = `${c.db.id}\0${key}`;
      const list = this.blockedOnKey.get(k);
      if (list) list.push(c);
      else this.blockedOnKey.set(k, [c]);
    }
    if (state.deadline > 0) {
      // setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days): wait in steps.
      const arm = (): void => {
        c.blockTimer = setTimeout(
          () => {
            if (c.blocked !== state) return;
            if (state.deadline - Date.now() > 0x7fffffff) return arm();
            this.keyspace.now = Date.now();
            state.onTimeout(c);
            this.commands.hooks.afterUnblock(c, state, 0, false); // stats, slow log (replyToBlockedClientTimedOut)
            this.unblockClient(c, true);
            this.flushPendingWrites();
          },
          Math.min(0x7fffffff, Math.max(0, state.deadline - Date.now())),
        );
      };
      arm();
    }
  }

  /** Ends a client's wait; `resume` continues with its pipelined commands. */
  unblockClient(c: Client, resume: boolean): void {
    const state = c.blocked;
    if (state === null) return;
    c.blocked = null;
    if (c.blockTimer) {
      clearTimeout(c.blockTimer);
      c.blockTimer = undefined;
    }
    for (const key of state.keys) {
      const k = `${c.db.id}\0${key}`;
      const list = this.blockedOnKey.get(k);
      if (!list) continue;
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.blockedOnKey.delete(k);
    }
    this.markPendingWrite(c);
    if (resume)
      setImmediate(() => {
        if (!c.closed) {
          this.processInput(c);
          this.flushPendingWrites();
        }
      });
  }

  /**
   * Redis disconnectAllBlockedClients (replicationSetMaster): every client blocked on keys or in
   * WAIT gets -UNBLOCKED and is closed after the reply; commands postponed by CLIENT PAUSE stay.
   */
  disconnectAllBlockedClients(): void {
    for (const c of this.clients.values()) {
      const st = c.blocked;
      if (st === null || (st.keys.length === 0 && st.command !== 'wait')) continue;
      c.error('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');
      this.unblockClient(c, false);
      c.closeAfterReply = true;
    }
  }

  /** Number of clients currently blocked (INFO blocked_clients). */
  get blockedClients(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.blocked) n++;
    return n;
  }

  /** Marks a key as ready for clients blocked on it (Redis signalKeyAsReady); served after the command. */
  signalKeyAsReady(db: Db, key: string): void {
    if (this.blockedOnKey.size === 0) return; // hot path: every new key comes through here
    const k = `${db.id}\0${key}`;
    if (!this.blockedOnKey.has(k) || this.readySeen.has(k)) return;
    this.readySeen.add(k);
    this.readyKeys.push({ db, key });
  }

  /**
   * Serves clients blocked on keys that became ready, first blocked first served, while the
   * key can serve them (Redis handleClientsBlockedOnKeys). Runs after every command, and when
   * a suspended script ends.
   */
  afterCommand(): void {
    // While a script is suspended (BUSY) the keys it made ready wait for its end (Redis serves
    // blocked clients after the script's command, not from processEventsWhileBlocked).
    while (this.readyKeys.length > 0) {
      if (this.busyScript !== null) return;
      const ready = this.readyKeys;
      this.readyKeys = [];
      this.readySeen.clear();
      for (const { db, key } of ready) {
        const k = `${db.id}\0${key}`;
        const list = this.blockedOnKey.get(k);
        if (!list) continue;
        for (const c of [...list]) {
          const st = c.blocked;
          if (st === null || c.db !== db) continue;
          this.keyspace.now = Date.now();
          const errorsBefore = this.stats.total_error_replies;
          const t0 = performance.now();
          if (st.onReady(c, key)) {
            this.commands.hooks.afterUnblock(c, st, performance.now() - t0, this.stats.total_error_replies !== errorsBefore);
            this.unblockClient(c, true);
            this.flushPropagation();
          }
          if (!db.hasKey(key) && !st.servesMissingKey) break;
        }
      }
    }
  }

  // ---- cron ------------------------------------------------------------------------------

  /** Periodic work at `hz` (Redis serverCron): active expiry, client timeouts, hooks. */
  private cron(): void {
    // DEBUG PAUSE-CRON: no cron work at all (Redis server.pause_cron), signals stay pending too.
    if (this.cronPaused) return;
    syncWallClock();
    // While a script is suspended (BUSY) nothing may touch the keyspace or its propagation unit.
    if (this.busyScript !== null) return;
    // A SIGTERM/SIGINT is acted on here, not in the handler (Redis serverCron, shutdown_asap).
    if (this.shutdownAsap !== null && !this.shutdownStarted && this.onShutdownSignal !== null) {
      this.shutdownStarted = true;
      this.onShutdownSignal(this.shutdownAsap);
      return;
    }
    const now = Date.now();
    this.keyspace.now = now;
    activeExpireCycle(this);
    this.flushPropagation();
    const hz = Math.max(1, this.config.num('hz'));
    const timeout = this.config.num('timeout');
    if (timeout > 0) {
      for (const c of this.clients.values()) {
        // Redis clientsCronHandleTimeout: never a replica's or the primary's link.
        if (c.blocked === null && !c.inPubSub && now - c.lastInteraction > timeout * 1000 && c.type !== 'master' && c.type !== 'replica') {
          this.log.verbose('Closing idle client');
          this.freeClient(c);
        }
      }
    }
    clientsCron(this, now, hz);
    for (const h of this.cronHooks) h(now);
    this.flushPendingWrites();
  }

  /**
   * Frees memory under maxmemory by the configured policy. @returns false when the limit is
   * still exceeded (the dispatcher then refuses denyoom commands with -OOM). Accounting and
   * policies live in src/evict (Evictor.performEvictions).
   */
  evict(): boolean {
    const ok = evictorOf(this).performEvictions();
    // The evictions' DELs go out on their own, one by one (Redis performEvictions:
    // propagate_no_multi, then propagatePendingCommands), before the command that triggered them.
    if (this.execDepth === 0) this.flushPropagation(true);
    return ok;
  }

  /** An eviction pass is queued for the next event-loop turn (a lower maxmemory was set). */
  private evictionScheduled = false;
}

/** True for a loopback peer (127.0.0.0/8, ::1, IPv4-mapped loopback); Redis connIsLocal. */
function isLoopback(ip: string | undefined): boolean {
  if (ip === undefined) return true;
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return ip.startsWith('127.') || ip === '::1';
}
