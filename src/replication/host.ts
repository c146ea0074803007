/**
 * What replication needs of the server, as interfaces, so that src/replication depends on the
 * config, store, protocol and persistence layers only (KeydraServer implements ReplicationHost;
 * the PSYNC/SYNC command wraps its client as a ReplicaPeer).
 */
import type { CommandReplayer, PersistenceHost } from '../persistence/host.js';

/** The server as replication sees it. */
export interface ReplicationHost extends PersistenceHost {
  /** The TCP port listened on (a replica announces it with REPLCONF listening-port). */
  readonly port: number;
  /** The TLS port listened on, 0 when none (announced instead of `port` with tls-replication). */
  readonly tlsPort: number;
  /**
   * Opens the link to a primary: TCP, or TLS with the server's client context when
   * tls-replication is yes (Redis connCreateTLS). `connect` fires when TCP connects.
   */
  openLink(host: string, port: number): import('node:net').Socket;
  /** A trusted client without a socket that runs the primary's stream (flagged as the master client). */
  newReplayer(opts?: { primary?: boolean; scriptsMayYield?: boolean }): PrimaryReplayer;
  /** Pauses (true) or resumes (false) writes for a coordinated FAILOVER (Redis PAUSE_DURING_FAILOVER). */
  pauseWritesForFailover(on: boolean): void;
  /** True while writes are paused for a failover (FAILOVER, a cluster manual failover): no replication PING then. */
  readonly writesPausedForFailover: boolean;
  /** Unblocks clients blocked on keys or in WAIT with -UNBLOCKED (a primary turning into a replica). */
  disconnectAllBlockedClients(): void;
  /** Server counters (INFO stats total_net_repl_input_bytes). */
  readonly stats: { total_net_repl_input_bytes: number };
  /** The server's logger; `role` is the mark of its lines (M primary, S replica: Redis serverLogRaw). */
  readonly log: PersistenceHost['log'] & { role: string };
}

/**
 * The replayer a replica's link runs the primary's stream with (Redis server.master): a
 * CommandReplayer that can be listed as the master client while the link is up.
 */
export interface PrimaryReplayer extends CommandReplayer {
  /**
   * Lists the client (CLIENT LIST addr=`addr`, flags=M) until `detach`; when a client kills it
   * (CLIENT KILL TYPE master), `onKill` runs once (the link is dropped, as Redis freeClient(master)).
   */
  attach(addr: string, onKill: () => void): void;
  /** Unlists the client; it can still run commands (the cached master of a later PSYNC). */
  detach(): void;
}

/**
 * A replica connected to this primary: the client that sent SYNC/PSYNC, seen by
 * src/replication/primary.ts. Implemented over a server Client by the PSYNC command.
 */
export interface ReplicaPeer {
  /** CLIENT ID. */
  readonly id: number;
  /** Peer IP (INFO slaveN ip=, unless REPLCONF ip-address overrides). */
  readonly ip: string;
  /** Peer `ip:port` for log lines. */
  readonly addr: string;
  /** True once the connection is gone. */
  readonly closed: boolean;
  /** Queues bytes for the replica (replies, stream), counted against client-output-buffer-limit replica. */
  write(data: Buffer): void;
  /**
   * Writes bulk transfer bytes (the RDB) outside the output-buffer accounting; `cb` runs once the
   * socket took them (or the connection closed), for back-pressure.
   */
  writeBulk(data: Buffer, cb: () => void): void;
  /** Output bytes waiting for the replica (CLIENT LIST omem; INFO mem_not_counted_for_evict). */
  readonly outputBytes: number;
  /** True when `bytes` of buffered output break client-output-buffer-limit replica (hard, or soft for too long). */
  outputLimitReached(bytes: number): boolean;
  /** Its CLIENT LIST line (Redis catClientInfoString), for log lines naming the client. */
  describe(): string;
  /** Closes the connection after pending output; `reason` is logged. */
  close(reason: string): void;
}
