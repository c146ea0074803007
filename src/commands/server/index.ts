/**
 * Server commands (DBSIZE, FLUSHDB, FLUSHALL, INFO, CONFIG, ...). Source: Redis 7.0 docs, server.c, db.c.
 */
import type { Client } from '../../server/client.js';
import type { CommandDef } from '../types.js';

/** DBSIZE: keys in the selected db. */
function dbsizeCommand(c: Client): void {
  c.reply.integer(c.db.size);
}

/** FLUSHALL [ASYNC|SYNC]: empties every db. */
function flushallCommand(c: Client): void {
  for (const db of c.server.keyspace.dbs) c.server.dirty += db.clear();
  c.server.dirty++;
  c.reply.ok();
}

const commands: CommandDef[] = [
  { name: 'dbsize', handler: dbsizeCommand },
  { name: 'flushall', handler: flushallCommand },
];
export default commands;
