/**
 * CLUSTER, READONLY, READWRITE, ASKING on a server not in cluster mode (Redis 7.0 with
 * `cluster-enabled no`, Keydra's only mode so far): every subcommand of CLUSTER, and the three
 * connection commands, reply "ERR This instance has cluster support disabled", after the
 * dispatcher's usual unknown-subcommand and arity checks. Cluster clients (ioredis Cluster,
 * node-redis createCluster) probe with these and fall back or report the error clearly.
 * Source: Redis 7.0 cluster.c clusterCommand / readonlyCommand / readwriteCommand / askingCommand
 * (`if (server.cluster_enabled == 0) addReplyError(c,"This instance has cluster support disabled")`).
 */
import { clusterConnectionDefs, clusterDisabled, clusterKeySubcommands } from './keys.js';
import type { CommandDef } from '../types.js';

/** Redis 7.0's CLUSTER subcommands about the cluster's nodes and slots (COMMAND DOCS cluster). */
const CLUSTER_SUBCOMMANDS = [
  'addslots',
  'addslotsrange',
  'bumpepoch',
  'count-failure-reports',
  'delslots',
  'delslotsrange',
  'failover',
  'flushslots',
  'forget',
  'help',
  'info',
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
  {
    name: 'cluster',
    subcommands: [...CLUSTER_SUBCOMMANDS.map((name) => ({ name, handler: clusterDisabled })), ...clusterKeySubcommands],
  },
  ...clusterConnectionDefs,
];
