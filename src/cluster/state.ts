/**
 * The cluster state of one node (Redis 7.0 cluster.h clusterState): the known nodes, the owner of
 * each of the 16384 slots, slots being migrated or imported, epochs and the overall state. The bus
 * (src/cluster/bus) keeps it up to date; the router (src/cluster/router.ts) reads it on every keyed
 * command, so the read side is plain arrays.
 */
import { CLUSTER_SLOTS, type ClusterNode } from './node.js';

/** CLUSTER INFO cluster_state. */
export type ClusterHealth = 'ok' | 'fail';

/** State shared by the bus and the router (field names after Redis's clusterState). */
export class ClusterState {
  /** This node. */
  myself: ClusterNode;
  currentEpoch = 0n;
  lastVoteEpoch = 0n;
  state: ClusterHealth = 'fail';
  /** Number of primaries serving at least one slot. */
  size = 0;
  /** name → node, myself included. */
  readonly nodes = new Map<string, ClusterNode>();
  /** Owner of each slot, null when unassigned. */
  readonly slots: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);
  /** CLUSTER SETSLOT s MIGRATING node: where slot s is going (null when not migrating). */
  readonly migratingSlotsTo: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);
  /** CLUSTER SETSLOT s IMPORTING node: where slot s comes from (null when not importing). */
  readonly importingSlotsFrom: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);

  /** Slots whose owner stopped claiming them in its pings (owner_not_claiming_slot), bitmap. */
  readonly ownerNotClaimingSlot = new Uint8Array(CLUSTER_SLOTS / 8);
  /** Bus messages sent / received per type (stats_bus_messages_*). */
  readonly statsSent: number[] = new Array<number>(11).fill(0);
  readonly statsReceived: number[] = new Array<number>(11).fill(0);
  /** Nodes in PFAIL at the last cron (stats_pfail_nodes). */
  statsPfailNodes = 0;
  /** Replica election (failover_auth_*): time (Unix ms) it may start, votes, rank, epoch, request sent. */
  failoverAuthTime = 0;
  failoverAuthCount = 0;
  failoverAuthSent = false;
  failoverAuthRank = 0;
  failoverAuthEpoch = 0n;
  /** Why the last failover attempt could not go on (cant_failover_reason). */
  cantFailoverReason = 0;
  /** Manual failover: deadline (Unix ms, 0 = none), may start, replica (on the primary), primary's offset (-1 = not known). */
  mfEnd = 0;
  mfCanStart = false;
  mfReplica: ClusterNode | null = null;
  mfPrimaryOffset = -1n;
  /** Forgotten nodes: name → Unix seconds until which gossip about them is ignored (nodes_black_list). */
  readonly blacklist = new Map<string, number>();

  constructor(myself: ClusterNode) {
    this.myself = myself;
    this.nodes.set(myself.name, myself);
  }
}
