/**
 * The keyspace side of Redis Cluster's commands: CLUSTER KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT
 * (subcommands merged into CLUSTER by ./cluster.ts) and the connection commands READONLY,
 * READWRITE, ASKING. With cluster-enabled no they reply Redis's "cluster support disabled" error.
 * Source: Redis 7.0 cluster.c clusterCommand, readonlyCommand, readwriteCommand, askingCommand.
 */
import type { Client } from '../../server/client.js';
import type { CommandDef } from '../types.js';

export const ERR_CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

/** Replies the cluster-disabled error (every cluster command on a server with cluster-enabled no). */
export function clusterDisabled(c: Client): void {
  c.error(ERR_CLUSTER_DISABLED);
}

/** CLUSTER subcommands about keys and slots (COMMAND DOCS cluster). */
export const clusterKeySubcommands: CommandDef[] = ['keyslot', 'countkeysinslot', 'getkeysinslot'].map((name) => ({
  name,
  handler: clusterDisabled,
}));

/** READONLY, READWRITE, ASKING. */
export const clusterConnectionDefs: CommandDef[] = [
  { name: 'readonly', handler: clusterDisabled },
  { name: 'readwrite', handler: clusterDisabled },
  { name: 'asking', handler: clusterDisabled },
];
