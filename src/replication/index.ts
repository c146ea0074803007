/**
 * Replication of one server: the stream (replid, offsets, backlog), the replicas this server feeds
 * as a primary (src/replication/primary.ts) and, when it follows a primary, the link to it
 * (src/replication/replica.ts). `getReplication(server)` is the one instance per server.
 *
 * Roles: a server is a primary until REPLICAOF host port (or the `replicaof` directive) makes it a
 * replica; REPLICAOF NO ONE promotes it back, keeping its data and continuing its history under a
 * new replid (PSYNC2: replid2 + second_repl_offset).
 * Source: Redis 7.0 replication.c (replicationSetMaster, replicationUnsetMaster, replicationCron,
 * genRedisInfoString "replication" section, roleCommand).
 */
import type { ReplicationHost } from './host.js';
import { PrimarySide } from './primary.js';
import { ReplicaLink } from './replica.js';
import { ReplicationStream } from './stream.js';

export { ReplicationStream } from './stream.js';
export type { ReplicaPeer, ReplicationHost } from './host.js';

/** Replication state of one server (see module doc). */
export class Replication {
  readonly stream: ReplicationStream;
  /** The replicas attached to this server (it feeds them whether it is a primary or a replica). */
  readonly primary: PrimarySide;
  /** The link to our primary while this server is a replica, else null. */
  link: ReplicaLink | null = null;
  /**
   * Asked before each connection to a primary: what loading its dataset needs and is still on
   * its way (the Lua VM, which the scripting layer loads on first use: the RDB and stream may
   * carry functions), as a promise the link waits for; null when nothing is missing. Installed
   * by startServer (src/index.ts); absent, the link connects at once.
   */
  loadPrerequisite: (() => Promise<unknown> | null) | null = null;

  constructor(readonly host: ReplicationHost) {
    this.stream = new ReplicationStream(() => host.config.num('repl-backlog-size'));
    this.primary = new PrimarySide(this);
    host.config.onChange('repl-backlog-size', () => this.stream.resizeBacklog());
    // The stream records every propagated unit while it is active (a backlog or a replica exists).
    host.addPropagationListener(
      (dbId, argv) => this.stream.feed(dbId, argv),
      () => this.stream.active,
      2, // PROPAGATE_REPL
    );
    host.cronHooks.push((now) => this.cron(now));
  }

  /** True while this server follows a primary (Redis server.masterhost != NULL). */
  get isReplica(): boolean {
    return this.link !== null;
  }

  /**
   * REPLICAOF host port: follows a new primary (replicationSetMaster). A primary caches itself as
   * the primary to continue from (its replid and offset), so the PSYNC to a promoted replica of
   * its own history can continue. Existing replicas are disconnected to resync with the new history.
   */
  replicaOf(host: string, port: number): void {
    if (this.link !== null) {
      if (this.link.host === host && this.link.port === port) return;
      this.link.stop();
    }
    this.stream.proxying = true;
    this.host.keyspace.replicaMode = true;
    // Our replicas stay: they can continue once we follow the new primary, and are dropped when
    // our replid changes (+CONTINUE with a new ID or a full sync: src/replication/replica.ts).
    this.link = new ReplicaLink(this, host, port);
    this.host.log.role = 'S'; // log lines of a replica carry S (Redis serverLogRaw: masterhost set)
    this.host.config.set('replicaof', [host, String(port)]); // CONFIG GET/REWRITE replicaof
    this.link.start();
  }

  /**
   * REPLICAOF NO ONE: stops following the primary and becomes a primary with the same data
   * (replicationUnsetMaster): the history continues under a new replid (shiftReplid), the next
   * propagated unit starts with a SELECT, replicas are disconnected so they learn the new ID.
   */
  unsetPrimary(): void {
    if (this.link === null) return;
    this.link.stop();
    this.link = null;
    this.stream.shiftReplid();
    this.stream.proxying = false;
    this.stream.selectedDb = -1;
    this.host.keyspace.replicaMode = false;
    this.host.log.role = 'M';
    this.host.config.set('replicaof', ['no', 'one']);
    this.primary.disconnectReplicas('replication ID changed');
  }

  /** Redis replicationCron work (timeouts, pings, ACKs), called by the server cron. */
  private cron(now: number): void {
    this.link?.cron(now);
    this.primary.cron(now);
  }

  /** INFO replication lines, in Redis's order (genRedisInfoString). */
  info(): string[] {
    const s = this.stream;
    const out: string[] = [`role:${this.link !== null ? 'slave' : 'master'}`];
    if (this.link !== null) out.push(...this.link.infoLines());
    out.push(...this.primary.infoLines());
    out.push(
      `master_failover_state:${this.primary.failoverState}`,
      `master_replid:${s.replid}`,
      `master_replid2:${s.replid2}`,
      `master_repl_offset:${s.offset}`,
      `second_repl_offset:${s.secondOffset}`,
      `repl_backlog_active:${s.backlog !== null ? 1 : 0}`,
      `repl_backlog_size:${this.host.config.num('repl-backlog-size')}`,
      `repl_backlog_first_byte_offset:${s.backlog?.firstOffset ?? 0}`,
      `repl_backlog_histlen:${s.backlog?.histlen ?? 0}`,
    );
    return out;
  }
}

const instances = new WeakMap<ReplicationHost, Replication>();

/** The server's replication state, created on first use. */
export function getReplication(host: ReplicationHost): Replication {
  let r = instances.get(host);
  if (r === undefined) {
    r = new Replication(host);
    instances.set(host, r);
  }
  return r;
}
