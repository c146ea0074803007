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
  /** A trusted client without a socket that runs the primary's stream (flagged as the master client). */
  newReplayer(opts?: { primary?: boolean }): CommandReplayer;
  /** Pauses (true) or resumes (false) writes for a coordinated FAILOVER (Redis PAUSE_DURING_FAILOVER). */
  pauseWritesForFailover(on: boolean): void;
  /**
   * Answers every client blocked in BLPOP & co. with `-UNBLOCKED force unblock from blocking
   * operation, instance state changed (master -> replica?)` (disconnectAllBlockedClients).
   */
  disconnectBlockedClients(): void;
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
  /** True when `bytes` of buffered output break client-output-buffer-limit replica (hard, or soft for too long). */
  outputLimitReached(bytes: number): boolean;
  /** Closes the connection after pending output; `reason` is logged. */
  close(reason: string): void;
}
