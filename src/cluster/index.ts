/**
 * Redis Cluster on one node (cluster-enabled yes): this node's view of the cluster (ClusterState)
 * and, built on it, the cluster bus (./cluster.ts). `server.cluster` is the one instance, null when
 * cluster-enabled is no. The query router (src/server/clusterRouter.ts) reads `state` on every
 * keyed command. Source: Redis 7.0 cluster.c.
 */
export { ClusterNode, NodeFlag, CLUSTER_SLOTS } from './node.js';
export { ClusterState } from './state.js';
export type { ClusterHost } from './host.js';
export { Cluster, randomNodeName } from './cluster.js';
export { describeNode, describeNodes, slotRangesByOwner, flagsText } from './nodesConf.js';
export { MSG_TYPE_NAMES } from './bus/message.js';
