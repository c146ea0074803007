/**
 * Cluster support loaded on first use: the cluster bus, nodes.conf and cluster forwarding
 * (src/cluster/index.ts, ./clusterForward.ts, ~170 KB of modules) load only for a server with
 * cluster-enabled yes, which can be set at start-up only (not by CONFIG SET). startServer
 * (src/index.ts) awaits loadClusterSupport() before it constructs such a server; the server and
 * the CLUSTER command family reach the modules through clusterSupport(). This module itself
 * imports nothing at run time, so importing it loads nothing.
 */
import type * as ClusterModule from '../cluster/index.js';
import type * as ForwardModule from './clusterForward.js';

/** The cluster modules, once loaded. */
export interface ClusterSupport {
  /** src/cluster/index.ts: Cluster, ClusterState, node descriptions. */
  cluster: typeof ClusterModule;
  /** ./clusterForward.ts: ClusterForward. */
  forward: typeof ForwardModule;
}

let loaded: ClusterSupport | null = null;

/** Loads the cluster modules (once per process); later calls return the same. */
export async function loadClusterSupport(): Promise<ClusterSupport> {
  if (loaded === null) {
    const [cluster, forward] = await Promise.all([import('../cluster/index.js'), import('./clusterForward.js')]);
    loaded = { cluster, forward };
  }
  return loaded;
}

/**
 * The loaded cluster modules.
 * @throws Error when loadClusterSupport() has not completed (a cluster-enabled KeydraServer
 * constructed without startServer must await it first).
 */
export function clusterSupport(): ClusterSupport {
  if (loaded === null)
    throw new Error('cluster support is not loaded: await loadClusterSupport() before constructing a cluster-enabled server');
  return loaded;
}
