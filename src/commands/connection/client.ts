/**
 * CLIENT and its subcommands: ID, INFO, LIST, KILL, SETNAME, GETNAME, UNBLOCK, NO-EVICT, HELP.
 * Source: Redis 7.0 networking.c (clientCommand, catClientInfoString, clientKillCommand).
 */
import { ERR_SYNTAX } from '../../errors.js';
import { type AclUser, aclOf } from '../../server/acl.js';
import type { Client } from '../../server/client.js';
import { isKeyword, parseInt64 } from '../args.js';
import type { CommandDef } from '../types.js';
import { replyHelp } from '../../protocol/respTree.js';
import { clientTrackingDefs } from './clientTracking.js';
import { isMonitor } from '../server/monitor.js';
import { trackingOptions } from '../../server/tracking.js';
import { argvBytes, clientMemoryOf, clientMemoryUsage } from '../../server/clientEviction.js';
import { CLIENT_HELP } from './clientHelp.js';

/** The client's class for CLIENT LIST/KILL TYPE: normal, pubsub, master or replica. */
function clientType(c: Client): string {
  return c.type;
}

/** Maps a TYPE argument to a class name (`slave` = `replica`); null for an unknown one. */
function typeByName(name: string): string | null {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'pubsub' || n === 'master' || n === 'replica') return n;
  if (n === 'slave') return 'replica';
  return null;
}

function socketFd(c: Client): number {
  const h = (c.socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return typeof h?.fd === 'number' ? h.fd : -1;
}

/** Pointer size: each argument's robj pointer counts in Redis's multi memory, bytes. */
const PTR = 8;

/**
 * One CLIENT LIST line (no newline), with Redis 7.0's fields in Redis's order and memory fields
 * as Redis computes them (networking.c catClientInfoString, getClientMemoryUsage): qbuf and
 * qbuf-free from the query buffer's accounting (RespParser.qbAlloc), argv-mem for the command
 * running (`argv`, the caller's own), multi-mem for queued commands, rbs/rbp/obl/oll/omem from the
 * reply buffer and what the socket still queues (Client.outputMemory), tot-mem their sum with
 * the client structure's own size.
 */
export function clientInfoString(c: Client, now = Date.now(), argv: string[] | null = null): string {
  let flags = '';
  const t = clientType(c);
  const monitor = isMonitor(c);
  const tracking = trackingOptions(c);
  if (monitor) flags += 'O';
  if (t === 'master') flags += 'M';
  if (t === 'replica' && !monitor) flags += 'S';
  if (t === 'pubsub') flags += 'P';
  if (c.multi !== null) flags += 'x';
  if (c.blocked !== null) flags += 'b';
  if (tracking !== undefined) flags += 't';
  if (tracking?.brokenRedir) flags += 'R';
  if (tracking?.bcast) flags += 'B';
  if (c.dirtyCas) flags += 'd';
  if (c.closeAfterReply && !c.closeAsap) flags += 'c';
  if (c.closeAsap) flags += 'A';
  if (c.unixSocket) flags += 'U';
  if (c.clusterReadonly) flags += 'r';
  if (c.noEvict) flags += 'e';
  if (flags === '') flags = 'N';
  const cmd = c.lastCommand === 'NULL' ? 'NULL' : c.lastCommand;
  // Query buffer: its bytes, and the free room of its (accounted) allocation.
  const parser = c.parser;
  const qbuf = parser.queryBufferLength;
  const qbAlloc = Math.max(parser.qbAlloc, qbuf);
  // Reply: the static buffer's bytes (obl), reply chunks beyond it (oll) and what they hold with
  // the socket's queue (omem).
  const obl = Math.min(c.reply.pos, c.rbs);
  const omem = c.outputMemory;
  const oll = Math.ceil((c.reply.pos - obl) / 16384) + (c.conn !== null ? c.conn.inFlight.size : 0);
  // The command running (the caller's own) or the complete arguments of one being read.
  const argvMem = argv === null ? parser.partialArgvBytes : argvBytes(argv);
  let multiMem = 0;
  if (c.multi !== null) for (const q of c.multi) multiMem += argvBytes(q) + PTR * q.length;
  const totMem = clientMemoryUsage(c, argv);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${socketFd(c)} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)}` +
    ` flags=${flags} db=${c.db.id} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size}` +
    ` multi=${c.multi === null ? -1 : c.multi.length} qbuf=${qbuf} qbuf-free=${qbAlloc - qbuf} argv-mem=${argvMem}` +
    ` multi-mem=${multiMem} rbs=${c.rbs} rbp=${c.rbPeak} obl=${obl} oll=${oll} omem=${omem} tot-mem=${totMem}` +
    ` events=r${c.conn !== null && c.conn.inFlight.size > 0 ? 'w' : ''} cmd=${cmd} user=${c.user.name}` +
    ` redir=${tracking === undefined ? -1 : tracking.redirect} resp=${c.resp}`
  );
}

/** CLIENT ID. */
function clientIdCommand(c: Client): void {
  c.reply.integer(c.id);
}

/** CLIENT INFO: this connection's CLIENT LIST line. */
function clientInfoCommand(c: Client, argv: string[]): void {
  c.lastCommand = 'client|info';
  c.reply.verbatim(`${clientInfoString(c, Date.now(), argv)}\n`);
}

/** CLIENT LIST [TYPE type] [ID id ...]. */
function clientListCommand(c: Client, argv: string[]): void {
  c.lastCommand = 'client|list';
  const now = Date.now();
  let out = '';
  if (argv.length === 4 && isKeyword(argv[2], 'type')) {
    const type = typeByName(argv[3]);
    if (type === null) {
      c.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
    for (const cl of c.server.clients.values())
      if (clientType(cl) === type) out += `${clientInfoString(cl, now, cl === c ? argv : null)}\n`;
  } else if (argv.length > 3 && isKeyword(argv[2], 'id')) {
    const ids: number[] = [];
    for (let j = 3; j < argv.length; j++) {
      const id = parseInt64(argv[j]);
      if (id === null) {
        c.error('ERR Invalid client ID');
        return;
      }
      ids.push(Number(id));
    }
    for (const id of ids) {
      const cl = c.server.clients.get(id);
      if (cl) out += `${clientInfoString(cl, now, cl === c ? argv : null)}\n`;
    }
  } else if (argv.length !== 2) {
    c.error(ERR_SYNTAX);
    return;
  } else {
    for (const cl of c.server.clients.values()) out += `${clientInfoString(cl, now, cl === c ? argv : null)}\n`;
  }
  c.reply.verbatim(out);
}

/** Closes `target` for CLIENT KILL: at once, or after this reply when it is the caller. */
function kill(c: Client, target: Client): void {
  if (target === c) c.closeAfterReply = true;
  else c.server.freeClient(target);
}

/**
 * CLIENT KILL ip:port (old form: +OK or `ERR No such client`) or
 * CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
 * (new form: the number of clients killed).
 */
function clientKillCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    for (const cl of c.server.clients.values()) {
      if (cl.addr === argv[2]) {
        kill(c, cl);
        c.reply.ok();
        return;
      }
    }
    c.error('ERR No such client');
    return;
  }
  let id = 0;
  let type: string | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: AclUser | null = null;
  let skipme = true;
  for (let i = 2; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) {
      c.error(ERR_SYNTAX);
      return;
    }
    const opt = argv[i].toLowerCase();
    const val = argv[i + 1];
    if (opt === 'id') {
      const v = parseInt64(val);
      if (v === null || Number(v) < 1) {
        c.error('ERR client-id should be greater than 0');
        return;
      }
      id = Number(v);
    } else if (opt === 'type') {
      type = typeByName(val);
      if (type === null) {
        c.error(`ERR Unknown client type '${val}'`);
        return;
      }
    } else if (opt === 'addr') addr = val;
    else if (opt === 'laddr') laddr = val;
    else if (opt === 'user') {
      const u = aclOf(c.server).users.get(val);
      if (u === undefined) {
        c.error(`ERR No such user '${val}'`);
        return;
      }
      user = u;
    } else if (opt === 'skipme') {
      if (isKeyword(val, 'yes')) skipme = true;
      else if (isKeyword(val, 'no')) skipme = false;
      else {
        c.error(ERR_SYNTAX);
        return;
      }
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  let killed = 0;
  for (const cl of [...c.server.clients.values()]) {
    if (id !== 0 && cl.id !== id) continue;
    if (type !== null && clientType(cl) !== type) continue;
    if (addr !== null && cl.addr !== addr) continue;
    if (laddr !== null && cl.laddr !== laddr) continue;
    if (user !== null && cl.user !== user) continue;
    if (cl === c && skipme) continue;
    kill(c, cl);
    killed++;
  }
  c.reply.integer(killed);
}

/** CLIENT SETNAME name: names the connection; an empty name clears it. */
function clientSetnameCommand(c: Client, argv: string[]): void {
  const n = argv[2];
  for (let i = 0; i < n.length; i++) {
    const ch = n.charCodeAt(i);
    if (ch < 33 || ch > 126) {
      c.error('ERR Client names cannot contain spaces, newlines or special characters.');
      return;
    }
  }
  c.name = n;
  c.reply.ok();
}

/** CLIENT GETNAME: the name, or nil. */
function clientGetnameCommand(c: Client): void {
  if (c.name === '') c.reply.nullBulk();
  else c.reply.bulk(c.name);
}

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking wait as if it timed out, or
 * with `-UNBLOCKED client unblocked via CLIENT UNBLOCK`. Replies 1 if it was blocked, else 0.
 */
function clientUnblockCommand(c: Client, argv: string[]): void {
  const id = parseInt64(argv[2]);
  if (id === null) {
    c.error('ERR value is not an integer or out of range');
    return;
  }
  let asError = false;
  if (argv.length === 4) {
    if (isKeyword(argv[3], 'error')) asError = true;
    else if (!isKeyword(argv[3], 'timeout')) {
      c.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
  } else if (argv.length > 4) {
    c.error(ERR_SYNTAX);
    return;
  }
  const target = c.server.clients.get(Number(id));
  if (target === undefined || target.blocked === null) {
    c.reply.integer(0);
    return;
  }
  const st = target.blocked;
  // Redis clientCommand UNBLOCK / replyToBlockedClientTimedOut: the call's stats are updated
  // (a failed call for ERROR), as when a key serves it.
  if (asError) target.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
  else st.onTimeout(target);
  c.server.commands.hooks.afterUnblock(target, st, 0, asError);
  c.server.unblockClient(target, true);
  c.reply.integer(1);
}

/** CLIENT NO-EVICT ON|OFF. */
function clientNoEvictCommand(c: Client, argv: string[]): void {
  // Redis: ON takes it out of the client eviction buckets, OFF puts it back (and may evict).
  if (isKeyword(argv[2], 'on')) {
    c.noEvict = true;
    clientMemoryOf(c.server).removeFromBucket(c);
  } else if (isKeyword(argv[2], 'off')) {
    c.noEvict = false;
    const ce = c.server.clientEviction;
    if (ce !== null) ce.update(c);
  } else {
    c.error(ERR_SYNTAX);
    return;
  }
  c.reply.ok();
}


export const clientDef: CommandDef = {
  name: 'client',
  subcommands: [
    { name: 'id', handler: clientIdCommand },
    { name: 'info', handler: clientInfoCommand },
    { name: 'list', handler: clientListCommand },
    { name: 'kill', handler: clientKillCommand },
    { name: 'setname', handler: clientSetnameCommand },
    { name: 'getname', handler: clientGetnameCommand },
    { name: 'unblock', handler: clientUnblockCommand },
    { name: 'no-evict', handler: clientNoEvictCommand },
    ...clientTrackingDefs,
    { name: 'help', handler: (c) => replyHelp(c.reply, CLIENT_HELP) },
  ],
};
