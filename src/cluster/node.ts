/**
 * A node of the cluster as this node knows it (Redis 7.0 cluster.h clusterNode): its name (40 hex
 * chars), flags, addresses, config epoch, the slots it serves and its primary. Shared data model of
 * the cluster bus (src/cluster/bus, src/cluster/state.ts) and the query router (src/cluster/router.ts).
 */

import type { ClusterLink } from './bus/link.js';

/** Number of hash slots (Redis CLUSTER_SLOTS). */
export const CLUSTER_SLOTS = 16384;
/** Length of a node name: 40 hex characters (Redis CLUSTER_NAMELEN). */
export const CLUSTER_NAMELEN = 40;

/** Node flags, with Redis's bit values (cluster.h CLUSTER_NODE_*), as sent in the bus header. */
export const enum NodeFlag {
  Primary = 1, // CLUSTER_NODE_MASTER
  Replica = 2, // CLUSTER_NODE_SLAVE
  PFail = 4, // CLUSTER_NODE_PFAIL
  Fail = 8, // CLUSTER_NODE_FAIL
  Myself = 16, // CLUSTER_NODE_MYSELF
  Handshake = 32, // CLUSTER_NODE_HANDSHAKE
  NoAddr = 64, // CLUSTER_NODE_NOADDR
  Meet = 128, // CLUSTER_NODE_MEET
  MigrateTo = 256, // CLUSTER_NODE_MIGRATE_TO
  NoFailover = 512, // CLUSTER_NODE_NOFAILOVER
}

/** One node: fields named after Redis's clusterNode (times are Unix ms; 0 = never). */
export class ClusterNode {
  /** 40 hex characters. */
  name: string;
  /** NodeFlag bits. */
  flags = 0;
  configEpoch = 0n;
  /** Slot bitmap, CLUSTER_SLOTS bits, bit order as the bus's myslots (slot s: byte s>>3, bit s&7). */
  readonly slots = new Uint8Array(CLUSTER_SLOTS / 8);
  /** Number of slots set in `slots`. */
  numSlots = 0;
  /** This node's primary when it is a replica (may be null when the primary is unknown). */
  replicaOf: ClusterNode | null = null;
  /** Replicas of this node when it is a primary. */
  readonly replicas: ClusterNode[] = [];
  /** IP the node is reached at ('' until known). */
  ip = '';
  /** Announced hostname ('' when none): CLUSTER SLOTS/SHARDS/NODES and MOVED with cluster-preferred-endpoint-type hostname. */
  hostname = '';
  /** Client port (TLS port when the cluster runs over TLS), plaintext client port, cluster bus port. */
  port = 0;
  pport = 0;
  cport = 0;
  ctime = Date.now();
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  failTime = 0;
  votedTime = 0;
  replOffsetTime = 0;
  orphanedTime = 0;
  /** Last known replication offset. */
  replOffset = 0n;
  /** Outbound bus link to the node (Redis node->link), null when not connected. */
  link: ClusterLink | null = null;
  /** Inbound bus link from the node (node->inbound_link). */
  inboundLink: ClusterLink | null = null;
  /** Failure reports: reporting primary → Unix ms of its last report (node->fail_reports). */
  readonly failReports = new Map<ClusterNode, number>();
  /** Serial of the last PING whose gossip included this node (node->last_in_ping_gossip). */
  lastInPingGossip = 0;

  constructor(name: string, flags = 0) {
    this.name = name;
    this.flags = flags;
  }

  get isPrimary(): boolean {
    return (this.flags & NodeFlag.Primary) !== 0;
  }
  get isReplica(): boolean {
    return (this.flags & NodeFlag.Replica) !== 0;
  }
  get isMyself(): boolean {
    return (this.flags & NodeFlag.Myself) !== 0;
  }
  /** FAIL flag set (objectively failing). */
  get failed(): boolean {
    return (this.flags & NodeFlag.Fail) !== 0;
  }
  /** PFAIL flag set (timed out, not yet agreed). */
  get timedOut(): boolean {
    return (this.flags & NodeFlag.PFail) !== 0;
  }
  get inHandshake(): boolean {
    return (this.flags & NodeFlag.Handshake) !== 0;
  }
  /** True when the slot's bit is set. */
  hasSlot(slot: number): boolean {
    return (this.slots[slot >> 3] & (1 << (slot & 7))) !== 0;
  }
}
