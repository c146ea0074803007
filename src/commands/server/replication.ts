/**
 * Replication commands: SYNC, PSYNC and REPLCONF (a replica talking to us), REPLICAOF / SLAVEOF,
 * WAIT, ROLE; and LOLWUT (a small drawing and Redis's version line).
 * The protocol itself lives in src/replication (primary.ts for the replicas we feed, replica.ts for
 * the link to our primary); this file adapts a client connection to a ReplicaPeer.
 * Source: Redis 7.0 replication.c (syncCommand, replconfCommand, replicaofCommand, waitCommand,
 * roleCommand), lolwut.c lolwutCommand.
 */
import { loadLuaVM } from '../../scripting/engine.js';
import type { Client } from '../../server/client.js';
import { outputLimitReached } from '../../server/client.js';
import { REDIS_VERSION } from '../../server/server.js';
import type { ReplicaEntry } from '../../replication/primary.js';
import type { ReplicaPeer } from '../../replication/index.js';
import { ERR_LOADING, ERR_NOT_INTEGER } from '../../errors.js';
import { getPersistence } from '../../persistence/index.js';
import { parseInt64 } from '../args.js';
import { clientInfoString } from '../connection/client.js';
import type { CommandDef } from '../types.js';

/** A replica's client seen as a ReplicaPeer, and its entry on the primary side. */
interface ReplicaClient {
  peer: ReplicaPeer;
  entry: ReplicaEntry | null;
  /** writeBulk callbacks waiting for the socket to drain. */
  drainWaiters: (() => void)[];
}

const replicaClients = new WeakMap<Client, ReplicaClient>();
/** Servers whose client-free hook for replica clients is installed. */
const hooked = new WeakSet<object>();

/** When a replica's client goes: pending transfers stop waiting, the primary side forgets it. */
function onClientFree(c: Client): void {
  const rc = replicaClients.get(c);
  if (rc === undefined) return;
  for (const f of rc.drainWaiters.splice(0)) f();
  if (rc.entry !== null) c.server.replication.primary.detach(rc.entry);
}

/** The ReplicaPeer of client `c` (created on its first REPLCONF, SYNC or PSYNC). */
function replicaClientOf(c: Client): ReplicaClient {
  let rc = replicaClients.get(c);
  if (rc !== undefined) return rc;
  const server = c.server;
  if (!hooked.has(server)) {
    hooked.add(server);
    server.clientFreeHooks.push(onClientFree);
  }
  const drainWaiters: (() => void)[] = [];
  const peer: ReplicaPeer = {
    id: c.id,
    ip: c.addr.slice(0, c.addr.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
    addr: c.addr,
    get closed() {
      return c.closed;
    },
    get outputBytes() {
      return c.closed ? 0 : c.outputMemory;
    },
    write(data) {
      if (c.closed) return;
      server.stats.total_net_repl_output_bytes += data.length;
      c.reply.raw(data);
      server.markPendingWrite(c);
    },
    writeBulk(data, cb) {
      const conn = c.conn;
      if (c.closed || conn === null) {
        setImmediate(cb);
        return;
      }
      // Replies queued before the transfer (+FULLRESYNC) go first, straight to the socket too.
      if (c.reply.pos > 0) {
        const out = c.reply.pending();
        c.reply.written(!conn.write(out));
      }
      server.stats.total_net_repl_output_bytes += data.length;
      if (conn.write(data)) setImmediate(cb);
      else drainWaiters.push(cb);
    },
    outputLimitReached(bytes) {
      return outputLimitReached(c, bytes);
    },
    describe() {
      return clientInfoString(c);
    },
    close() {
      server.freeClient(c);
    },
  };
  if (c.conn !== null) {
    const conn = c.conn;
    const prev = conn.onDrain;
    conn.onDrain = () => {
      prev?.();
      const w = drainWaiters.splice(0);
      for (const f of w) f();
    };
  }
  rc = { peer, entry: null, drainWaiters };
  replicaClients.set(c, rc);
  return rc;
}

/** SYNC / PSYNC replid offset: a replica asks for the stream (Redis syncCommand). */
function syncCommand(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  if ((c as unknown as { isReplica?: boolean }).isReplica) return; // already a replica: ignored
  if (argv.length > 3 && argv[0].toLowerCase() === 'psync' && argv[3].toLowerCase() === 'failover') {
    // PSYNC <replid> <offset> FAILOVER: our primary hands over (FAILOVER on its side).
    if (!repl.isReplica) {
      c.error("ERR PSYNC FAILOVER can't be sent to a master.");
      return;
    }
    if (argv[1] !== repl.stream.replid) {
      c.error('ERR PSYNC FAILOVER replid must match my replid.');
      return;
    }
    repl.unsetPrimary();
    server.log.notice(`MASTER MODE enabled (failover request from '${clientInfoString(c)}')`);
  }
  if (repl.primary.failoverState !== 'no-failover') {
    c.error("NOMASTERLINK Can't SYNC while failing over");
    return;
  }
  if (repl.isReplica && !repl.link?.linkUp) {
    c.error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (c.reply.pos > 0) {
    c.error('ERR SYNC and PSYNC are invalid with pending output');
    return;
  }
  let replid: string | null = null;
  let offset = -1;
  if (argv[0].toLowerCase() === 'psync') {
    replid = argv[1];
    const o = parseInt64(argv[2]);
    if (o === null) {
      server.log.warning(`Replica ${c.addr} asks for synchronization but with a wrong offset`);
      c.error(ERR_NOT_INTEGER);
      return;
    }
    offset = Number(o);
  }
  const rc = replicaClientOf(c);
  (c as unknown as { isReplica: boolean }).isReplica = true;
  c.replicaLink = true;
  rc.entry = repl.primary.attach(rc.peer, replid, offset, rc.entry ?? undefined);
}

/** REPLCONF option value ...: replica settings and ACKs (Redis replconfCommand). */
function replconfCommand(c: Client, argv: string[]): void {
  const rc = replicaClientOf(c);
  const res = c.server.replication.primary.replconf(rc.peer, rc.entry, argv.slice(1));
  if (res.entry !== undefined) rc.entry = res.entry;
  if (res.error !== undefined) c.error(res.error);
  else if (res.reply === 'OK') c.reply.ok();
}

/** REPLICAOF host port | NO ONE (and SLAVEOF): follow a primary or stop following (replicaofCommand). */
function replicaofCommand(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  if (server.cluster !== null) {
    // Cluster replicas follow the primary the cluster bus names (CLUSTER REPLICATE).
    c.error('ERR REPLICAOF not allowed in cluster mode.');
    return;
  }
  if (getPersistence(server).asyncLoading) {
    // CMD_NO_ASYNC_LOADING: not while a replica loads its primary's dataset aside.
    c.error(ERR_LOADING);
    return;
  }
  if (repl.primary.failoverState !== 'no-failover') {
    c.error('ERR REPLICAOF not allowed while failing over.');
    return;
  }
  if (argv[1].toLowerCase() === 'no' && argv[2].toLowerCase() === 'one') {
    if (repl.isReplica) {
      repl.unsetPrimary();
      server.log.notice(`MASTER MODE enabled (user request from '${clientInfoString(c)}')`);
    }
    c.reply.ok();
    return;
  }
  if ((c as unknown as { isReplica?: boolean }).isReplica) {
    c.error('ERR Command is not valid when client is a replica.');
    return;
  }
  const port = parseInt64(argv[2]);
  if (port === null || port < 0 || port > 65535) {
    // getRangeLongFromObjectOrReply with a message: the same error for a non-number and a bad range.
    c.error('ERR Invalid master port');
    return;
  }
  if (repl.isReplica && repl.link?.host === argv[1] && repl.link.port === Number(port)) {
    server.log.notice('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.reply.simple('OK Already connected to specified master');
    return;
  }
  // The primary's RDB and stream may carry functions: the Lua VM (loaded on first use) must be
  // there, and the link waits for it (Replication.loadPrerequisite).
  loadLuaVM().catch(() => {});
  repl.replicaOf(argv[1], Number(port));
  server.log.notice(`REPLICAOF ${argv[1]}:${port} enabled (user request from '${clientInfoString(c)}')`);
  c.reply.ok();
}

/**
 * WAIT numreplicas timeout: blocks until `numreplicas` replicas acknowledged this client's last
 * write (its woff), or `timeout` ms passed (0: forever); replies how many did (waitCommand).
 */
function waitCommand(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  if (repl.isReplica) {
    c.error(
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
    );
    return;
  }
  const num = parseInt64(argv[1]);
  if (num === null) {
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
  const offset = c.woff;
  const acked = repl.primary.countAcked(offset);
  // Enough already, or inside MULTI/a script (no blocking there): the count now.
  if (acked >= num || c.multi !== null || server.execDepth > 0 || c.socket === null) {
    c.reply.integer(acked);
    return;
  }
  let cancel: (() => void) | null = null;
  server.blockClient(c, {
    keys: [],
    deadline: t === 0n || t === 0 ? 0 : Date.now() + Number(t),
    command: 'wait',
    onReady: () => false,
    onTimeout: (bc) => {
      cancel?.();
      bc.reply.integer(repl.primary.countAcked(offset));
    },
  });
  const state = c.blocked;
  cancel = repl.primary.waitForAcks(offset, Number(num), (n) => {
    if (c.blocked !== state || c.closed) return;
    c.reply.integer(n);
    server.unblockClient(c, true);
  });
}

/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: coordinated failover to a replica
 * (failoverCommand; the state machine is in src/replication/primary.ts).
 */
function failoverCommand(c: Client, argv: string[]): void {
  const primary = c.server.replication.primary;
  if (c.server.cluster !== null) {
    c.error('ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.');
    return;
  }
  if (argv.length === 2 && argv[1].toLowerCase() === 'abort') {
    if (primary.failoverState === 'no-failover') {
      c.error('ERR No failover in progress.');
      return;
    }
    primary.abortFailover('Failover manually aborted');
    c.reply.ok();
    return;
  }
  let timeout = 0;
  let force = false;
  let target: { host: string; port: number } | null = null;
  for (let j = 1; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === 'timeout' && j + 1 < argv.length && timeout === 0) {
      const t = parseInt64(argv[j + 1]);
      if (t === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      if (t <= 0) {
        c.error('ERR FAILOVER timeout must be greater than 0');
        return;
      }
      timeout = Number(t);
      j++;
    } else if (opt === 'to' && j + 2 < argv.length && target === null) {
      const p = parseInt64(argv[j + 2]);
      if (p === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      target = { host: argv[j + 1], port: Number(p) };
      j += 2;
    } else if (opt === 'force' && !force) {
      force = true;
    } else {
      c.error('ERR syntax error');
      return;
    }
  }
  const err = primary.failover(target, timeout, force);
  if (err !== null) c.error(err);
  else c.reply.ok();
}

/** ROLE: master with its offset and online replicas, or slave with its primary and link state (roleCommand). */
function roleCommand(c: Client): void {
  const repl = c.server.replication;
  const r = c.reply;
  const link = repl.link;
  if (link === null) {
    const online = repl.primary.replicas.filter((x) => x.state === 'online');
    r.arrayLen(3);
    r.bulk('master');
    r.integer(repl.stream.offset);
    r.arrayLen(online.length);
    for (const x of online) {
      r.arrayLen(3);
      r.bulk(x.ip);
      r.bulk(String(x.listeningPort));
      r.bulk(String(x.ackOffset));
    }
    return;
  }
  r.arrayLen(5);
  r.bulk('slave');
  r.bulk(link.host);
  r.integer(link.port);
  r.bulk(link.roleState);
  r.integer(link.roleOffset);
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
      c.error(ERR_NOT_INTEGER);
      return;
    }
    version = Number(v);
  }
  const line = `Redis ver. ${REDIS_VERSION}\n`;
  if (version === 5 || version === 6) c.reply.verbatim(`${ART.join('\n')}\n\nKeydra. ${line}`);
  else c.reply.verbatim(line);
}

export const replicationDefs: CommandDef[] = [
  { name: 'sync', handler: syncCommand },
  { name: 'psync', handler: syncCommand },
  { name: 'replconf', handler: replconfCommand },
  { name: 'replicaof', handler: replicaofCommand },
  { name: 'slaveof', handler: replicaofCommand },
  { name: 'wait', handler: waitCommand },
  { name: 'failover', handler: failoverCommand },
  { name: 'role', handler: roleCommand },
  { name: 'lolwut', handler: lolwutCommand },
];
