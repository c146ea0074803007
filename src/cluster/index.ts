/**
 * Redis Cluster on one node (cluster-enabled yes): this node's view of the cluster (ClusterState)
 * and, built on it, the cluster bus. `server.cluster` is the one instance, null when
 * cluster-enabled is no. The query router (src/server/clusterRouter.ts) reads `state` on every
 * keyed command. Source: Redis 7.0 cluster.c.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterHost } from './host.js';
import { ClusterNode, NodeFlag } from './node.js';
import { ClusterState } from './state.js';

export { ClusterNode, NodeFlag, CLUSTER_SLOTS } from './node.js';
export { ClusterState } from './state.js';
export type { ClusterHost } from './host.js';

/** A random node name: 40 hex characters (Redis getRandomHexChars). */
export function randomNodeName(): string {
  return randomBytes(20).toString('hex');
}

/** The cluster subsystem of one server (see module doc). */
export class Cluster {
  readonly state: ClusterState;

  constructor(readonly host: ClusterHost) {
    this.state = new ClusterState(new ClusterNode(randomNodeName(), NodeFlag.Myself | NodeFlag.Primary));
  }
}
