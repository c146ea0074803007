/**
 * The query router of a cluster node (cluster-enabled yes): which node must serve a command, from
 * the hash slots of its keys, and the redirection a client gets when it is not this one:
 *   -MOVED <slot> <endpoint>:<port>   the slot is served by another node
 *   -ASK <slot> <endpoint>:<port>     the slot is migrating and a key is already gone
 *   -TRYAGAIN Multiple keys request during rehashing of slot
 *   -CROSSSLOT Keys in request don't hash to the same slot
 *   -CLUSTERDOWN The cluster is down | ... and only accepts read commands | Hash slot not served
 * The dispatcher calls `routeCommand` after the ACL check (as processCommand), EXEC with all its
 * queued commands, and scripts call `scriptClusterCheck` for each redis.call (script.c
 * scriptVerifyClusterState). Keys are found with the command's key specs (src/server/keySpecs.ts);
 * SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH channels count as keys.
 * Source: Redis 7.0 cluster.c getNodeByQuery, clusterRedirectClient, getPreferredEndpoint;
 * server.c processCommand; script.c scriptVerifyClusterState.
 */
import type { ClusterNode } from '../cluster/node.js';
import { keyHashSlot } from '../store/keyslot.js';
import { type Client, clientIsTls } from './client.js';
import { CmdFlag, type Command } from './command.js';
import { getKeysWithFlags } from './keySpecs.js';
import type { KeydraServer } from './server.js';

/** Outcome of getNodeByQuery (Redis CLUSTER_REDIR_*). */
export const enum Redir {
  /** Served here (or by `node` when forwarding is allowed: see Route.node). */
  None = 0,
  CrossSlot = 1,
  Unstable = 2,
  Ask = 3,
  Moved = 4,
  DownState = 5,
  DownRoState = 6,
  DownUnbound = 7,
}

/** The result of routing one command (one shared instance: read it before routing again). */
export interface Route {
  code: Redir;
  /** The node to redirect to (MOVED, ASK), else null. */
  node: ClusterNode | null;
  /** The hash slot of the command's keys, -1 when it has none. */
  slot: number;
}

const route: Route = { code: Redir.None, node: null, slot: -1 };

/** Reused key list of one command. */
const keyBuf: string[] = [];

/**
 * Collects the keys of one command line into `out` (Redis getKeysFromCommand): the fixed key
 * range of COMMAND INFO for commands without movable keys, else the key specs and the native key
 * finders. @returns the number of keys.
 */
export function commandKeys(cmd: Command, argv: string[], out: string[]): number {
  out.length = 0;
  if ((cmd.flags & CmdFlag.MovableKeys) === 0) {
    const first = cmd.firstKey;
    if (first <= 0) return 0;
    let last = cmd.lastKey;
    if (last < 0) last = argv.length + last;
    const step = cmd.keyStep > 0 ? cmd.keyStep : 1;
    for (let i = first; i <= last && i < argv.length; i += step) out.push(argv[i]);
    return out.length;
  }
  for (const k of getKeysWithFlags(cmd, argv)) out.push(argv[k.pos]);
  return out.length;
}

/** True when the dispatcher must route the command: it has keys (or may have), or it is EXEC. */
export function commandMayHaveKeys(cmd: Command): boolean {
  return cmd.firstKey > 0 || (cmd.flags & CmdFlag.MovableKeys) !== 0 || cmd.fullName === 'exec';
}

const PUBSUB_SHARD = new Set(['ssubscribe', 'sunsubscribe', 'spublish']);

/**
 * Redis getNodeByQuery: the node that must serve `argv` (or, for EXEC, every queued command of
 * `c`), in the shared Route. `asking` is the client's ASKING flag for this command, `flags` the
 * command's effective flags (getCommandFlags: a script's shebang flags).
 */
export function getNodeByQuery(c: Client, cmd: Command, argv: string[], flags: number, asking: boolean): Route {
  const server = c.server;
  const state = server.cluster!.state;
  const myself = state.myself;
  route.code = Redir.None;
  route.node = myself;
  route.slot = -1;
  const isExec = cmd.fullName === 'exec';
  if (isExec && c.multi === null) return route;
  const isPubsubShard = PUBSUB_SHARD.has(cmd.fullName);
  let first: string | null = null;
  let slot = 0;
  let n: ClusterNode | null = null;
  let multipleKeys = false;
  let migrating = false;
  let importing = false;
  let missing = 0;
  let existing = 0;
  const db = server.keyspace.dbs[0];
  const count = isExec ? c.multi!.length : 1;
  for (let i = 0; i < count; i++) {
    let mcmd: Command | undefined = cmd;
    let margv = argv;
    if (isExec) {
      margv = c.multi![i];
      mcmd = server.commands.lookupArgv(margv);
      if (mcmd === undefined) continue;
    }
    const nk = commandKeys(mcmd, margv, keyBuf);
    for (let j = 0; j < nk; j++) {
      const key = keyBuf[j];
      const keySlot = keyHashSlot(key);
      if (first === null) {
        first = key;
        slot = keySlot;
        n = state.slots[slot];
        if (n === null) {
          // A slot nobody serves: the state is not updated yet (processCommand would have caught it).
          route.code = Redir.DownUnbound;
          route.node = null;
          return route;
        }
        if (n === myself && state.migratingSlotsTo[slot] !== null) migrating = true;
        else if (state.importingSlotsFrom[slot] !== null) importing = true;
      } else if (key !== first) {
        if (slot !== keySlot) {
          route.code = Redir.CrossSlot;
          route.node = null;
          return route;
        }
        multipleKeys = true;
      }
      // Channels of a migrating slot are served here until the slot is moved (no lookup).
      if ((migrating || importing) && !isPubsubShard) {
        if (keyLive(db.hasKey(key), db.expires.get(key), server.keyspace.now)) existing++;
        else missing++;
      }
    }
  }
  if (n === null) return route; // no key at all: served here
  if (state.state !== 'ok') {
    const config = server.config;
    if (isPubsubShard) {
      if (!config.bool('cluster-allow-pubsubshard-when-down')) return fail(Redir.DownState);
    } else if (!config.bool('cluster-allow-reads-when-down')) return fail(Redir.DownState);
    else if ((flags & CmdFlag.Write) !== 0) return fail(Redir.DownRoState);
  }
  route.slot = slot;
  // MIGRATE works on the local node while the slot is open.
  if ((migrating || importing) && cmd.fullName === 'migrate') return route;
  if (migrating && missing > 0) {
    if (existing > 0) return fail(Redir.Unstable);
    route.code = Redir.Ask;
    route.node = state.migratingSlotsTo[slot];
    return route;
  }
  if (importing && (asking || cmd.fullName === 'restore-asking')) {
    if (multipleKeys && missing > 0) return fail(Redir.Unstable);
    return route;
  }
  const isWrite = (flags & CmdFlag.Write) !== 0 || (isExec && (c.multiFlags & CmdFlag.Write) !== 0);
  if ((c.clusterReadonly || isPubsubShard) && !isWrite && myself.isReplica && myself.replicaOf === n) return route;
  route.node = n;
  if (n !== myself) route.code = Redir.Moved;
  return route;
}

/** Existence as getNodeByQuery looks keys up (LOOKUP_NOEXPIRE: an expired key is missing, not deleted). */
function keyLive(inDict: boolean, expire: number | undefined, now: number): boolean {
  return inDict && (expire === undefined || expire > now);
}

function fail(code: Redir): Route {
  route.code = code;
  route.node = null;
  return route;
}

/**
 * The address a redirection names (getPreferredEndpoint, cluster-preferred-endpoint-type): the
 * node's IP, its hostname ('?' when it announced none) or '' (unknown-endpoint).
 */
export function preferredEndpoint(c: Client, n: ClusterNode): string {
  const type = c.server.config.str('cluster-preferred-endpoint-type');
  if (type === 'hostname') return n.hostname !== '' ? n.hostname : '?';
  if (type === 'unknown-endpoint') return '';
  return n.ip;
}

/**
 * The error text of a redirection (clusterRedirectClient), without the leading '-'.
 * MOVED/ASK name the node's port (its plaintext port, pport, when the cluster runs TLS and this
 * client came over plaintext).
 */
export function redirectError(c: Client, r: Route): string {
  switch (r.code) {
    case Redir.CrossSlot:
      return "CROSSSLOT Keys in request don't hash to the same slot";
    case Redir.Unstable:
      return 'TRYAGAIN Multiple keys request during rehashing of slot';
    case Redir.DownState:
      return 'CLUSTERDOWN The cluster is down';
    case Redir.DownRoState:
      return 'CLUSTERDOWN The cluster is down and only accepts read commands';
    case Redir.DownUnbound:
      return 'CLUSTERDOWN Hash slot not served';
    default: {
      const n = r.node!;
      // A plaintext client of a tls-cluster cluster goes to the plaintext port (Redis use_pport).
      const port = c.server.config.bool('tls-cluster') && !clientIsTls(c) && n.pport !== 0 ? n.pport : n.port;
      return `${r.code === Redir.Ask ? 'ASK' : 'MOVED'} ${r.slot} ${preferredEndpoint(c, n)}:${port}`;
    }
  }
}

/**
 * Redis scriptVerifyClusterState: may a script's redis.call run `argv` here? The script client
 * shares the caller's READONLY and ASKING flags; keys must be local, and (unless the script has
 * allow-cross-slot-keys) in the slot of the keys seen so far (`slotRef[0]`, -1 before the first,
 * updated). @returns null, or the error text (without "ERR ") the call raises.
 */
export function scriptClusterCheck(
  caller: Client,
  cmd: Command,
  argv: string[],
  allowCrossSlot: boolean,
  slotRef: number[],
): string | null {
  if (caller.server.cluster === null || caller.mustObey) return null;
  const r = getNodeByQuery(caller, cmd, argv, cmd.flags, caller.asking);
  if (r.code !== Redir.None || r.node !== caller.server.cluster.state.myself) {
    if (r.code === Redir.DownRoState) return 'Script attempted to execute a write command while the cluster is down and readonly';
    if (r.code === Redir.DownState) return 'Script attempted to execute a command while the cluster is down';
    return 'Script attempted to access a non local key in a cluster node';
  }
  if (r.slot !== -1 && !allowCrossSlot) {
    if (slotRef[0] === -1) slotRef[0] = r.slot;
    else if (slotRef[0] !== r.slot) return 'Script attempted to access keys that do not hash to the same slot';
  }
  return null;
}

/**
 * Redis clusterRedirectBlockedClientIfNeeded (run from the server cron for each client blocked
 * on keys): a client blocked on a key whose slot this node no longer serves (and does not import)
 * gets -MOVED (or -CLUSTERDOWN Hash slot not served) and is unblocked; when the cluster is down
 * every such client gets -CLUSTERDOWN The cluster is down (a write to wake it may never come).
 * A READONLY client of a replica blocked in a read of its primary's slot stays.
 * @returns the number of clients redirected.
 */
export function redirectBlockedClients(server: KeydraServer): number {
  const state = server.cluster?.state;
  if (state === undefined) return 0;
  let n = 0;
  for (const c of server.clients.values()) {
    const b = c.blocked;
    if (b === null || b.keys.length === 0) continue;
    let msg: string | null = null;
    if (state.state !== 'ok') msg = 'CLUSTERDOWN The cluster is down';
    else {
      const slot = keyHashSlot(b.keys[0]);
      let node = state.slots[slot];
      const myself = state.myself;
      if (c.clusterReadonly && node !== null && myself.isReplica && myself.replicaOf === node) {
        const cmd = server.commands.lookup(b.command);
        if (cmd !== undefined && (cmd.flags & CmdFlag.Write) === 0) node = myself;
      }
      if (node !== myself && state.importingSlotsFrom[slot] === null) {
        msg = node === null ? 'CLUSTERDOWN Hash slot not served' : redirectError(c, { code: Redir.Moved, node, slot });
      }
    }
    if (msg === null) continue;
    c.error(msg);
    server.unblockClient(c, true);
    n++;
  }
  return n;
}
