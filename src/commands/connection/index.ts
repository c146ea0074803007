/**
 * Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT.
 * Source: Redis 7.0 docs and server.c / networking.c (pingCommand, echoCommand, helloCommand,
 * authCommand, resetCommand).
 */
import { stopMonitor } from '../server/monitor.js';
import { discardTransaction } from '../tx/index.js';
import { ERR_AUTH_NOT_CONFIGURED, ERR_DB_INDEX, ERR_NO_PROTO, ERR_SELECT_CLUSTER, ERR_SYNTAX, ERR_WRONGPASS } from '../../errors.js';
import { PONG } from '../../protocol/reply.js';
import { aclOf, authenticate, setDefaultAuth } from '../../server/acl.js';
import type { Client } from '../../server/client.js';
import { KEYDRA_VERSION, REDIS_VERSION } from '../../server/server.js';
import { parseIntOrReply, parseSafeInt } from '../args.js';
import type { CommandDef } from '../types.js';
import { clientDef } from './client.js';
import { disableTracking, setReplyMode } from '../../server/tracking.js';

/** PING [message]: +PONG or the message; in RESP2 subscribed mode a ["pong", msg] array (Redis docs: PING). */
function pingCommand(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    c.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (c.resp === 2 && c.inPubSub) {
    c.reply.arrayLen(2);
    c.reply.bulk('pong');
    c.reply.bulk(argv.length === 2 ? argv[1] : '');
  } else if (argv.length === 2) c.reply.bulk(argv[1]);
  else c.reply.raw(PONG);
}

/** ECHO message (Redis docs: ECHO). */
function echoCommand(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1]);
}

/** QUIT: +OK, then the connection closes once the reply is written. */
function quitCommand(c: Client): void {
  c.reply.ok();
  c.closeAfterReply = true;
}

/** SELECT index: switches the client's db (`ERR DB index is out of range`). */
function selectCommand(c: Client, argv: string[]): void {
  const id = parseIntOrReply(c, argv[1]);
  if (id === null) return;
  if (c.server.cluster !== null && id !== 0) {
    c.error(ERR_SELECT_CLUSTER);
    return;
  }
  const db = c.server.keyspace.dbs[id];
  if (id < 0 || db === undefined) {
    c.error(ERR_DB_INDEX);
    return;
  }
  c.db = db;
  c.reply.ok();
}

/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]]: switches RESP2/RESP3 and replies
 * the server properties map (Redis docs: HELLO; Redis 7.0 helloCommand).
 */
function helloCommand(c: Client, argv: string[]): void {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseSafeInt(argv[1]);
    if (v === null) {
      c.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    ver = v;
    next = 2;
    if (ver < 2 || ver > 3) {
      c.error(ERR_NO_PROTO);
      return;
    }
  }
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const opt = argv[j].toLowerCase();
    if (opt === 'auth' && more >= 2) {
      // Authenticated at once (a later bad SETNAME leaves the client authenticated, as in Redis).
      if (!authenticate(c, argv[j + 1], argv[j + 2], argv[0])) {
        c.error(ERR_WRONGPASS);
        return;
      }
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      name = argv[j + 1];
      if (/[\x00-\x20\x7f-\xff]/.test(name)) {
        c.error('ERR Client names cannot contain spaces, newlines or special characters.');
        return;
      }
      j++;
    } else {
      c.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
      return;
    }
  }
  if (!c.authenticated) {
    c.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (name !== null) c.name = name;
  if (ver !== 0) c.resp = ver as 2 | 3;
  const r = c.reply;
  r.mapLen(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_VERSION);
  r.bulk('proto');
  r.integer(c.resp);
  r.bulk('id');
  r.integer(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk(c.server.keyspace.replicaMode ? 'replica' : 'master');
  r.bulk('modules');
  r.arrayLen(0);
  void KEYDRA_VERSION;
}

/**
 * AUTH [username] password: `AUTH password` needs a password on the default user (else the
 * configuration error); `AUTH user password` checks that ACL user (any password for a nopass
 * user, none for a disabled one). A wrong pair replies WRONGPASS and is logged in ACL LOG
 * (Redis 7.0 authCommand, ACLAuthenticateUser).
 */
function authCommand(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  let user = 'default';
  let pass = argv[1];
  if (argv.length === 2) {
    // Redis 7.0: the one-argument form needs a password on the default user.
    if (aclOf(c.server).defaultUser.nopass) {
      c.error(ERR_AUTH_NOT_CONFIGURED);
      return;
    }
  } else {
    user = argv[1];
    pass = argv[2];
  }
  if (!authenticate(c, user, pass, argv[0])) {
    c.server.log.verbose(`Wrong password for user '${user}' from ${c.addr}`);
    c.error(ERR_WRONGPASS);
    return;
  }
  c.reply.ok();
}

/**
 * RESET: returns the connection to its initial state — MULTI/WATCH discarded, subscriptions
 * dropped, tracking and CLIENT REPLY OFF/SKIP ended, db 0, RESP2, no name, not
 * authenticated when a password is required — and replies
 * +RESET (Redis 7.0 resetCommand / clearClientConnectionState).
 */
function resetCommand(c: Client): void {
  stopMonitor(c);
  disableTracking(c);
  setReplyMode(c, 'on');
  discardTransaction(c);
  c.server.pubsub.unsubscribeAll(c);
  c.db = c.server.keyspace.dbs[0];
  c.resp = 2;
  c.name = '';
  c.noEvict = false;
  setDefaultAuth(c);
  c.reply.simple('RESET');
}

const commands: CommandDef[] = [
  { name: 'auth', handler: authCommand },
  { name: 'reset', handler: resetCommand },
  clientDef,
  { name: 'ping', handler: pingCommand },
  { name: 'echo', handler: echoCommand },
  { name: 'quit', handler: quitCommand },
  { name: 'select', handler: selectCommand },
  { name: 'hello', handler: helloCommand },
];
export default commands;
