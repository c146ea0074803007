/**
 * Server commands: INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN.
 * Source: Redis 7.0 docs, server.c, config.c, db.c.
 */
import type { CommandDef } from '../types.js';
import { adminDefs } from './admin.js';
import { commandDef } from './command.js';
import { configDef } from './config.js';
import { aclDef } from './acl.js';
import { debugDef } from './debug.js';
import { latencyDef } from './latency.js';
import { monitorDef } from './monitor.js';
import { replicationDefs } from './replication.js';
import { slowlogDef } from './slowlog.js';
import { infoDef } from './info.js';
import { clusterDefs } from '../cluster/cluster.js';
import { moduleDef } from './module.js';

const commands: CommandDef[] = [
  infoDef,
  configDef,
  commandDef,
  ...adminDefs,
  slowlogDef,
  monitorDef,
  debugDef,
  latencyDef,
  ...replicationDefs,
  aclDef,
  ...clusterDefs,
  moduleDef,
];
export default commands;
