/**
 * Replication-facing commands of a server without replicas: WAIT (0 at once), ROLE (master with no
 * replicas), and LOLWUT (a small drawing and Redis's version line).
 * Source: Redis 7.0 replication.c waitCommand/roleCommand, lolwut.c lolwutCommand.
 */
import type { Client } from '../../server/client.js';
import { REDIS_VERSION } from '../../server/server.js';
import { parseInt64 } from '../args.js';
import type { CommandDef } from '../types.js';

/** WAIT numreplicas timeout: no replicas exist, so 0 replicas acknowledged, immediately. */
function waitCommand(c: Client, argv: string[]): void {
  if (parseInt64(argv[1]) === null) {
    c.error('ERR value is not an integer or out of range');
    return;
  }
  const t = parseInt64(argv[2]);
  if (t === null) {
    c.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (t < 0) {
    c.error('ERR timeout is negative');
    return;
  }
  c.reply.integer(0);
}

/** ROLE: `master`, replication offset 0, no replicas. */
function roleCommand(c: Client): void {
  c.reply.arrayLen(3);
  c.reply.bulk('master');
  c.reply.integer(0);
  c.reply.arrayLen(0);
}

/** A fixed drawing for LOLWUT (Redis draws versions 5 and 6; any art is allowed). */
const ART = [
  ' _  __              _           ',
  '| |/ /___ _   _  __| |_ __ __ _ ',
  "| ' // _ \\ | | |/ _` | '__/ _` |",
  '| . \\  __/ |_| | (_| | | | (_| |',
  '|_|\\_\\___|\\__, |\\__,_|_|  \\__,_|',
  '          |___/                 ',
];

/** LOLWUT [VERSION v] [args...]: art for the default/5/6 versions, then `Redis ver. <version>`. */
function lolwutCommand(c: Client, argv: string[]): void {
  let version = 6;
  if (argv.length >= 3 && argv[1].toLowerCase() === 'version') {
    const v = parseInt64(argv[2]);
    if (v === null) {
      c.error('ERR value is not an integer or out of range');
      return;
    }
    version = Number(v);
  }
  const line = `Redis ver. ${REDIS_VERSION}\n`;
  if (version === 5 || version === 6) c.reply.verbatim(`${ART.join('\n')}\n\nKeydra. ${line}`);
  else c.reply.verbatim(line);
}

export const replicationDefs: CommandDef[] = [
  { name: 'wait', handler: waitCommand },
  { name: 'role', handler: roleCommand },
  { name: 'lolwut', handler: lolwutCommand },
];
