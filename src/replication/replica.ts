/**
 * The replica side: the link from this server to its primary (REPLICAOF host port).
 * STUB — being written (handshake, PSYNC, RDB transfer and load, stream applied through the
 * replayer, REPLCONF ACK). The interface below is what src/replication/index.ts relies on.
 */
import type { Replication } from './index.js';

/** The link to our primary (see module doc). */
export class ReplicaLink {
  /** Unix ms since when the link is down (master_link_down_since_seconds); 0 while up. */
  downSince = Date.now();

  constructor(
    readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Connects and synchronises, reconnecting every second while the link is down. */
  start(): void {}

  /** Closes the link for good (REPLICAOF NO ONE or another primary); the data stays. */
  stop(): void {}

  /** True while the stream from the primary flows (master_link_status:up). */
  get linkUp(): boolean {
    return false;
  }

  /** ROLE's state word: connect, connecting, handshake, sync or connected. */
  get roleState(): string {
    return 'connect';
  }

  /** The offset ROLE reports: the primary's stream applied so far, -1 before a sync. */
  get roleOffset(): number {
    return -1;
  }

  /** Redis replicationCron's replica part (timeouts, reconnects, REPLCONF ACK every second). */
  cron(_now: number): void {}

  /** The replica lines of INFO replication, after `role:slave`, in Redis's order. */
  infoLines(): string[] {
    return [`master_host:${this.host}`, `master_port:${this.port}`, 'master_link_status:down'];
  }
}
