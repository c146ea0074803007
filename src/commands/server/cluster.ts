/**
 * CLUSTER, READONLY, READWRITE, ASKING on a server not in cluster mode (Redis 7.0 with
 * `cluster-enabled no`, Keydra's only mode so far): every subcommand of CLUSTER, and the three
 * connection commands, reply "ERR This instance has cluster support disabled", after the
 * dispatcher's usual unknown-subcommand and arity checks. Cluster clients (ioredis Cluster,
 * node-redis createCluster) probe with these and fall back or report the error clearly.
 * Source: Redis 7.0 cluster.c clusterCommand / readonlyCommand / readwriteCommand / askingCommand
 * (`if (server.cluster_enabled == 0) addReplyError(c,"This instance has cluster support disabled")`).
 */
import type { Client } from '../../server/client.js';
import type { CommandDef } from '../types.js';

const ERR_CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

function clusterDisabled(c: Client): void {
  c.error(ERR_CLUSTER_DISABLED);
}

/** Redis 7.0's CLUSTER subcommands (COMMAND DOCS cluster). */
const CLUSTER_SUBCOMMANDS = [
  'addslots',
  'addslotsrange',
  'bumpepoch',
  'count-failure-reports',
  'countkeysinslot',
  'delslots',
  'delslotsrange',
  'failover',
  'flushslots',
  'forget',
  'getkeysinslot',
  'help',
  'info',
  'keyslot',
  'links',
  'meet',
  'myid',
  'nodes',
  'replicas',
  'replicate',
  'reset',
  'saveconfig',
  'set-config-epoch',
  'setslot',
  'shards',
  'slaves',
  'slots',
];

export const clusterDefs: CommandDef[] = [
  { name: 'cluster', subcommands: CLUSTER_SUBCOMMANDS.map((name) => ({ name, handler: clusterDisabled })) },
  { name: 'readonly', handler: clusterDisabled },
  { name: 'readwrite', handler: clusterDisabled },
  { name: 'asking', handler: clusterDisabled },
];
