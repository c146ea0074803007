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

  constructor(myself: ClusterNode) {
    this.myself = myself;
    this.nodes.set(myself.name, myself);
  }
}
