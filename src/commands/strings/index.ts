/**
 * String commands. Values are latin1 strings stored in RObject(ObjType.String).
 * Source: Redis 7.0 docs and t_string.c.
 */
import { ERR_WRONGTYPE } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import type { CommandDef } from '../types.js';

/** GET key: the string value or nil (Redis docs: GET). */
function getCommand(c: Client, argv: string[]): void {
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) c.reply.nullBulk();
  else if (o.type !== ObjType.String) c.error(ERR_WRONGTYPE);
  else c.reply.bulk(o.value as string);
}

/** SET key value (options to come). */
function setCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  c.db.setKey(key, new RObject(ObjType.String, argv[2]));
  c.server.dirty++;
  c.server.notifyKeyspaceEvent('$', 'set', key, c.db.id);
  c.reply.ok();
}

const commands: CommandDef[] = [
  { name: 'get', handler: getCommand },
  { name: 'set', handler: setCommand },
];
export default commands;
