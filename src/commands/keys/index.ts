/**
 * Generic keyspace commands (DEL, EXISTS, ...). Source: Redis 7.0 docs and db.c.
 */
import type { Client } from '../../server/client.js';
import type { CommandDef } from '../types.js';

/** DEL key [key ...]: number of keys removed (Redis docs: DEL). */
function delCommand(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (c.db.delete(argv[i])) {
      n++;
      c.server.notifyKeyspaceEvent('g', 'del', argv[i], c.db.id);
      c.server.dirty++;
    }
  }
  c.reply.integer(n);
}

const commands: CommandDef[] = [{ name: 'del', handler: delCommand }];
export default commands;
