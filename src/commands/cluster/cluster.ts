/**
 * CLUSTER subcommands about the cluster's nodes and slots (Redis 7.0 cluster.c clusterCommand):
 * INFO, NODES, SLOTS, SHARDS, MYID, ADDSLOTS, ADDSLOTSRANGE, DELSLOTS, DELSLOTSRANGE, FLUSHSLOTS,
 * SETSLOT, MEET, FORGET, REPLICATE, REPLICAS/SLAVES, RESET, SAVECONFIG, BUMPEPOCH,
 * SET-CONFIG-EPOCH, COUNT-FAILURE-REPORTS, LINKS, FAILOVER, HELP. They act on `server.cluster`
 * (src/cluster); with cluster-enabled no every subcommand replies "ERR This instance has cluster
 * support disabled". The key subcommands (KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT) and
 * READONLY/READWRITE/ASKING come from ./keys.ts. Errors are Redis's texts.
 */
import { ERR_SYNTAX, errSubcommandSyntax } from '../../errors.js';
import { replyHelp } from '../../protocol/respTree.js';
import { type Client, clientIsTls } from '../../server/client.js';
import { strerror } from '../../config/config.js';
import { CLUSTER_SLOTS } from '../../cluster/node.js';
import { clusterSupport } from '../../server/lazyCluster.js';
import type { Cluster, ClusterNode } from '../../cluster/index.js';
import { parseInt64 } from '../args.js';
import { clusterConnectionDefs, clusterDisabled, clusterKeySubcommands } from './keys.js';
import type { CommandDef } from '../types.js';

const HELP = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP',
  '    Prints this help.',
];

// clusterDoBeforeSleep flags (src/cluster/cluster.ts TODO_*).
const TODO_UPDATE_STATE = 2;
const TODO_SAVE_CONFIG = 4;
const TODO_FSYNC_CONFIG = 8;

/** Wraps a handler so it replies the cluster-disabled error when cluster-enabled is no. */
function withCluster(f: (c: Client, argv: string[], cl: Cluster) => void): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    const cl = c.server.cluster;
    if (cl === null) clusterDisabled(c);
    else f(c, argv, cl);
  };
}

/** getSlotOrReply: a slot number 0..16383, else "ERR Invalid or out of range slot" and null. */
function slotOrReply(c: Client, s: string): number | null {
  const v = parseInt64(s);
  if (typeof v !== 'number' || v < 0 || v >= CLUSTER_SLOTS) {
    c.error('ERR Invalid or out of range slot');
    return null;
  }
  return v;
}

/** The unknown-subcommand/arity error Redis's clusterCommand replies for extra arguments. */
function syntaxError(c: Client, argv: string[]): void {
  c.error(errSubcommandSyntax('CLUSTER', argv[1]));
}

/** The endpoint a client should use for a node (getPreferredEndpoint), null for unknown-endpoint. */
function preferredEndpoint(c: Client, n: ClusterNode): string | null {
  switch (c.server.config.str('cluster-preferred-endpoint-type')) {
    case 'hostname':
      return n.hostname !== '' ? n.hostname : '?';
    case 'unknown-endpoint':
      return null;
    default:
      return n.ip;
  }
}

/** The replication offset of a node as CLUSTER SHARDS and SLOTS see it. */
function nodeOffset(cl: Cluster, n: ClusterNode): bigint {
  return n.isMyself ? cl.myReplOffset : n.replOffset;
}

/** CLUSTER INFO. */
function infoCommand(c: Client, _argv: string[], cl: Cluster): void {
  const st = cl.state;
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = st.slots[j];
    if (n === null) continue;
    assigned++;
    if (n.failed) fail++;
    else if (n.timedOut) pfail++;
    else ok++;
  }
  const me = st.myself;
  const myEpoch = me.isReplica && me.replicaOf !== null ? me.replicaOf.configEpoch : me.configEpoch;
  let s =
    `cluster_state:${st.state}\r\n` +
    `cluster_slots_assigned:${assigned}\r\n` +
    `cluster_slots_ok:${ok}\r\n` +
    `cluster_slots_pfail:${pfail}\r\n` +
    `cluster_slots_fail:${fail}\r\n` +
    `cluster_known_nodes:${st.nodes.size}\r\n` +
    `cluster_size:${st.size}\r\n` +
    `cluster_current_epoch:${st.currentEpoch}\r\n` +
    `cluster_my_epoch:${myEpoch}\r\n`;
  const msgNames = clusterSupport().cluster.MSG_TYPE_NAMES;
  let sent = 0;
  for (let i = 0; i < st.statsSent.length; i++) {
    if (st.statsSent[i] === 0) continue;
    sent += st.statsSent[i];
    s += `cluster_stats_messages_${msgNames[i]}_sent:${st.statsSent[i]}\r\n`;
  }
  s += `cluster_stats_messages_sent:${sent}\r\n`;
  let received = 0;
  for (let i = 0; i < st.statsReceived.length; i++) {
    if (st.statsReceived[i] === 0) continue;
    received += st.statsReceived[i];
    s += `cluster_stats_messages_${msgNames[i]}_received:${st.statsReceived[i]}\r\n`;
  }
  s += `cluster_stats_messages_received:${received}\r\n`;
  s += `total_cluster_links_buffer_limit_exceeded:${cl.linksBufferLimitExceeded}\r\n`;
  c.reply.verbatim(s);
}

/** Redis use_pport: a plaintext client of a tls-cluster cluster is given the plaintext ports. */
function usePport(c: Client): boolean {
  return c.server.config.bool('tls-cluster') && !clientIsTls(c);
}

/** The port a node is reached at by this client (its pport when usePport and known). */
function clientPortOf(c: Client, n: ClusterNode): number {
  return usePport(c) && n.pport !== 0 ? n.pport : n.port;
}

/** addNodeToNodeReply: [endpoint, port, id, {ip|hostname extras}]. */
function replyNodeForSlots(c: Client, n: ClusterNode): void {
  const w = c.reply;
  const type = c.server.config.str('cluster-preferred-endpoint-type');
  w.arrayLen(4);
  const ep = preferredEndpoint(c, n);
  if (ep === null) w.nullBulk();
  else w.bulk(ep);
  w.integer(clientPortOf(c, n));
  w.bulk(n.name);
  let len = 0;
  if (type !== 'ip') len++;
  if (type !== 'hostname' && n.hostname !== '') len++;
  w.mapLen(len);
  if (type !== 'ip') {
    w.bulk('ip');
    w.bulk(n.ip);
  }
  if (type !== 'hostname' && n.hostname !== '') {
    w.bulk('hostname');
    w.bulk(n.hostname);
  }
}

/** isReplicaAvailable: not failed and with a non-zero offset. */
function replicaAvailable(cl: Cluster, n: ClusterNode): boolean {
  return !n.failed && nodeOffset(cl, n) !== 0n;
}

/** CLUSTER SLOTS (clusterReplyMultiBulkSlots). */
function slotsCommand(c: Client, _argv: string[], cl: Cluster): void {
  const st = cl.state;
  const ranges: [ClusterNode, number, number][] = [];
  let n: ClusterNode | null = null;
  let start = -1;
  for (let i = 0; i <= CLUSTER_SLOTS; i++) {
    const cur = i === CLUSTER_SLOTS ? null : st.slots[i];
    if (cur === n) continue;
    if (n !== null) ranges.push([n, start, i - 1]);
    n = cur;
    start = i;
  }
  const w = c.reply;
  w.arrayLen(ranges.length);
  for (const [node, s, e] of ranges) {
    const replicas = node.replicas.filter((r) => replicaAvailable(cl, r));
    w.arrayLen(3 + replicas.length);
    w.integer(s);
    w.integer(e);
    replyNodeForSlots(c, node);
    for (const r of replicas) replyNodeForSlots(c, r);
  }
}

/** addNodeDetailsToShardReply. */
function replyShardNode(c: Client, cl: Cluster, n: ClusterNode): void {
  const w = c.reply;
  const off = nodeOffset(cl, n);
  const fields: [string, string | number | bigint][] = [['id', n.name]];
  // Redis: tls-cluster makes `port` the TLS one; `port` is the plaintext one, `tls-port` the TLS one.
  const tlsCluster = c.server.config.bool('tls-cluster');
  const plaintext = tlsCluster ? n.pport : n.port;
  if (plaintext !== 0) fields.push(['port', plaintext]);
  if (tlsCluster && n.port !== 0) fields.push(['tls-port', n.port]);
  fields.push(['ip', n.ip]);
  fields.push(['endpoint', preferredEndpoint(c, n) ?? '']);
  if (n.hostname !== '') fields.push(['hostname', n.hostname]);
  fields.push(['role', n.isReplica ? 'replica' : 'master']);
  fields.push(['replication-offset', off]);
  fields.push(['health', n.failed ? 'fail' : n.isReplica && off === 0n ? 'loading' : 'online']);
  w.mapLen(fields.length);
  for (const [k, v] of fields) {
    w.bulk(k);
    if (typeof v === 'string') w.bulk(v);
    else w.integer(v);
  }
}

/** CLUSTER SHARDS (clusterReplyShards): one entry per primary, its slot ranges and nodes. */
function shardsCommand(c: Client, _argv: string[], cl: Cluster): void {
  const ranges = clusterSupport().cluster.slotRangesByOwner(cl.state);
  const primaries = [...cl.state.nodes.values()].filter((n) => n.isPrimary);
  const w = c.reply;
  w.arrayLen(primaries.length);
  for (const p of primaries) {
    w.mapLen(2);
    w.bulk('slots');
    const r = ranges.get(p) ?? [];
    w.arrayLen(r.length);
    for (const x of r) w.integer(x);
    w.bulk('nodes');
    const nodes = [p, ...p.replicas];
    w.arrayLen(nodes.length);
    for (const n of nodes) replyShardNode(c, cl, n);
  }
}

/** checkSlotAssignmentsOrReply. @returns false after replying an error. */
function checkSlots(c: Client, cl: Cluster, marks: Uint8Array, del: boolean, start: number, end: number): boolean {
  for (let slot = start; slot <= end; slot++) {
    if (del && cl.state.slots[slot] === null) {
      c.error(`ERR Slot ${slot} is already unassigned`);
      return false;
    } else if (!del && cl.state.slots[slot] !== null) {
      c.error(`ERR Slot ${slot} is already busy`);
      return false;
    }
    if (marks[slot]++ === 1) {
      c.error(`ERR Slot ${slot} specified multiple times`);
      return false;
    }
  }
  return true;
}

/** clusterUpdateSlots: applies the marked slots (importing state cleared). */
function updateSlots(cl: Cluster, marks: Uint8Array, del: boolean): void {
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!marks[j]) continue;
    cl.state.importingSlotsFrom[j] = null;
    if (del) cl.delSlot(j);
    else cl.addSlot(cl.state.myself, j);
  }
  cl.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
}

/** CLUSTER ADDSLOTS / DELSLOTS slot [slot ...]. */
function addDelSlots(del: boolean) {
  return (c: Client, argv: string[], cl: Cluster): void => {
    const slots: number[] = [];
    for (let j = 2; j < argv.length; j++) {
      const s = slotOrReply(c, argv[j]);
      if (s === null) return;
      slots.push(s);
    }
    const marks = new Uint8Array(CLUSTER_SLOTS);
    for (const s of slots) if (!checkSlots(c, cl, marks, del, s, s)) return;
    updateSlots(cl, marks, del);
    c.reply.ok();
  };
}

/** CLUSTER ADDSLOTSRANGE / DELSLOTSRANGE start end [start end ...]. */
function addDelSlotsRange(del: boolean) {
  return (c: Client, argv: string[], cl: Cluster): void => {
    if (argv.length % 2 === 1) {
      c.error(`ERR wrong number of arguments for 'cluster|${argv[1].toLowerCase()}' command`);
      return;
    }
    const marks = new Uint8Array(CLUSTER_SLOTS);
    for (let j = 2; j < argv.length; j += 2) {
      const start = slotOrReply(c, argv[j]);
      if (start === null) return;
      const end = slotOrReply(c, argv[j + 1]);
      if (end === null) return;
      if (start > end) {
        c.error(`ERR start slot number ${start} is greater than end slot number ${end}`);
        return;
      }
      if (!checkSlots(c, cl, marks, del, start, end)) return;
    }
    updateSlots(cl, marks, del);
    c.reply.ok();
  };
}

/** SETSLOT MIGRATING/IMPORTING's node: a known primary, else Redis's error is replied (null). */
function targetPrimaryOrReply(c: Client, cl: Cluster, name: string): ClusterNode | null {
  const n = cl.lookupNode(name);
  if (n === undefined) {
    c.error(`ERR I don't know about node ${name}`);
    return null;
  }
  if (n.isReplica) {
    c.error('ERR Target node is not a master');
    return null;
  }
  return n;
}

/** CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE node-id | STABLE. */
function setslotCommand(c: Client, argv: string[], cl: Cluster): void {
  const st = cl.state;
  const me = st.myself;
  if (me.isReplica) {
    c.error('ERR Please use SETSLOT only with masters.');
    return;
  }
  const slot = slotOrReply(c, argv[2]);
  if (slot === null) return;
  const action = argv[3].toLowerCase();
  if (action === 'migrating' && argv.length === 5) {
    if (st.slots[slot] !== me) {
      c.error(`ERR I'm not the owner of hash slot ${slot}`);
      return;
    }
    const n = targetPrimaryOrReply(c, cl, argv[4]);
    if (n === null) return;
    st.migratingSlotsTo[slot] = n;
  } else if (action === 'importing' && argv.length === 5) {
    if (st.slots[slot] === me) {
      c.error(`ERR I'm already the owner of hash slot ${slot}`);
      return;
    }
    const n = targetPrimaryOrReply(c, cl, argv[4]);
    if (n === null) return;
    st.importingSlotsFrom[slot] = n;
  } else if (action === 'stable' && argv.length === 4) {
    st.importingSlotsFrom[slot] = null;
    st.migratingSlotsTo[slot] = null;
  } else if (action === 'node' && argv.length === 5) {
    const n = cl.lookupNode(argv[4]);
    if (n === undefined) {
      c.error(`ERR Unknown node ${argv[4]}`);
      return;
    }
    if (n.isReplica) {
      c.error('ERR Target node is not a master');
      return;
    }
    if (st.slots[slot] === me && n !== me && cl.countKeysInSlot(slot) !== 0) {
      c.error(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
      return;
    }
    if (cl.countKeysInSlot(slot) === 0 && st.migratingSlotsTo[slot] !== null) st.migratingSlotsTo[slot] = null;
    const wasMine = st.slots[slot] === me;
    cl.delSlot(slot);
    cl.addSlot(n, slot);
    if (wasMine && n !== me && me.numSlots === 0 && c.server.config.bool('cluster-allow-replica-migration')) {
      c.server.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${n.name}`);
      cl.setPrimary(n);
      cl.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    }
    if (n === me && st.importingSlotsFrom[slot] !== null) {
      if (cl.bumpConfigEpochWithoutConsensus()) c.server.log.warning(`configEpoch updated after importing slot ${slot}`);
      st.importingSlotsFrom[slot] = null;
      cl.broadcastPong(0);
    }
  } else {
    c.error('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
    return;
  }
  cl.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
  c.reply.ok();
}

/** CLUSTER MEET ip port [cport]. */
function meetCommand(c: Client, argv: string[], cl: Cluster): void {
  if (argv.length > 5) {
    syntaxError(c, argv);
    return;
  }
  const port = parseInt64(argv[3]);
  if (port === null) {
    c.error(`ERR Invalid TCP base port specified: ${argv[3]}`);
    return;
  }
  let cport: number | bigint = typeof port === 'number' ? port + 10000 : port;
  if (argv.length === 5) {
    const p = parseInt64(argv[4]);
    if (p === null) {
      c.error(`ERR Invalid TCP bus port specified: ${argv[4]}`);
      return;
    }
    cport = p;
  }
  const r = typeof port === 'number' && typeof cport === 'number' ? cl.startHandshake(argv[2], port, cport) : 'invalid';
  if (r === 'invalid') c.error(`ERR Invalid node address specified: ${argv[2]}:${argv[3]}`);
  else c.reply.ok();
}

/**
 * A known node other than myself for FORGET / REPLICATE: replies `ERR Unknown node <id>` or
 * `selfError` (Redis's texts) and returns null otherwise.
 */
function otherNodeOrReply(c: Client, cl: Cluster, name: string, selfError: string): ClusterNode | null {
  const n = cl.lookupNode(name);
  if (n === undefined) {
    c.error(`ERR Unknown node ${name}`);
    return null;
  }
  if (n === cl.state.myself) {
    c.error(selfError);
    return null;
  }
  return n;
}

/** CLUSTER FORGET node-id. */
function forgetCommand(c: Client, argv: string[], cl: Cluster): void {
  const n = otherNodeOrReply(c, cl, argv[2], "ERR I tried hard but I can't forget myself...");
  if (n === null) return;
  const me = cl.state.myself;
  if (me.isReplica && me.replicaOf === n) {
    c.error("ERR Can't forget my master!");
    return;
  }
  cl.blacklistAdd(n);
  cl.delNode(n);
  cl.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
  c.reply.ok();
}

/** CLUSTER REPLICATE node-id. */
function replicateCommand(c: Client, argv: string[], cl: Cluster): void {
  const n = otherNodeOrReply(c, cl, argv[2], "ERR Can't replicate myself");
  if (n === null) return;
  const me = cl.state.myself;
  if (n.isReplica) {
    c.error('ERR I can only replicate a master, not a replica.');
    return;
  }
  if (me.isPrimary && (me.numSlots !== 0 || c.server.keyspace.dbs[0].size !== 0)) {
    c.error('ERR To set a master the node must be empty and without assigned slots.');
    return;
  }
  cl.setPrimary(n);
  cl.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
  c.reply.ok();
}

/** CLUSTER REPLICAS / SLAVES node-id. */
function replicasCommand(c: Client, argv: string[], cl: Cluster): void {
  const n = cl.lookupNode(argv[2]);
  if (n === undefined) {
    c.error(`ERR Unknown node ${argv[2]}`);
    return;
  }
  if (n.isReplica) {
    c.error('ERR The specified node is not a master');
    return;
  }
  c.reply.arrayLen(n.replicas.length);
  for (const r of n.replicas) c.reply.bulk(clusterSupport().cluster.describeNode(cl.state, r, undefined, usePport(c)));
}

/** CLUSTER COUNT-FAILURE-REPORTS node-id. */
function countFailureReportsCommand(c: Client, argv: string[], cl: Cluster): void {
  const n = cl.lookupNode(argv[2]);
  if (n === undefined) {
    c.error(`ERR Unknown node ${argv[2]}`);
    return;
  }
  c.reply.integer(cl.failureReportsCount(n));
}

/** CLUSTER FAILOVER [FORCE|TAKEOVER]. */
function failoverCommand(c: Client, argv: string[], cl: Cluster): void {
  if (argv.length > 3) {
    syntaxError(c, argv);
    return;
  }
  let mode: '' | 'force' | 'takeover' = '';
  if (argv.length === 3) {
    const a = argv[2].toLowerCase();
    if (a === 'force' || a === 'takeover') mode = a;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const me = cl.state.myself;
  if (me.isPrimary) {
    c.error('ERR You should send CLUSTER FAILOVER to a replica');
    return;
  }
  if (me.replicaOf === null) {
    c.error("ERR I'm a replica but my master is unknown to me");
    return;
  }
  if (mode === '' && (me.replicaOf.failed || me.replicaOf.link === null)) {
    c.error('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
    return;
  }
  cl.startManualFailover(mode);
  c.reply.ok();
}

/** CLUSTER SET-CONFIG-EPOCH epoch. */
function setConfigEpochCommand(c: Client, argv: string[], cl: Cluster): void {
  const v = parseInt64(argv[2]);
  if (v === null) {
    c.error('ERR value is not an integer or out of range');
    return;
  }
  const epoch = BigInt(v);
  const st = cl.state;
  if (epoch < 0n) c.error(`ERR Invalid config epoch specified: ${epoch}`);
  else if (st.nodes.size > 1) c.error('ERR The user can assign a config epoch only when the node does not know any other node.');
  else if (st.myself.configEpoch !== 0n) c.error('ERR Node config epoch is already non-zero');
  else {
    st.myself.configEpoch = epoch;
    c.server.log.warning(`configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
    if (st.currentEpoch < epoch) st.currentEpoch = epoch;
    cl.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    c.reply.ok();
  }
}

/** CLUSTER RESET [HARD|SOFT]. */
function resetCommand(c: Client, argv: string[], cl: Cluster): void {
  if (argv.length > 3) {
    syntaxError(c, argv);
    return;
  }
  let hard = false;
  if (argv.length === 3) {
    const a = argv[2].toLowerCase();
    if (a === 'hard') hard = true;
    else if (a !== 'soft') {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (cl.state.myself.isPrimary && c.db.size !== 0) {
    c.error("ERR CLUSTER RESET can't be called with master nodes containing keys");
    return;
  }
  cl.reset(hard);
  c.reply.ok();
}

/** CLUSTER LINKS: one map per link (addReplyClusterLinkDescription). */
function linksCommand(c: Client, _argv: string[], cl: Cluster): void {
  const links = cl.allLinks();
  const w = c.reply;
  w.arrayLen(links.length);
  for (const l of links) {
    w.mapLen(6);
    w.bulk('direction');
    w.bulk(l.inbound ? 'from' : 'to');
    w.bulk('node');
    w.bulk(l.node?.name ?? '');
    w.bulk('create-time');
    w.integer(l.ctime);
    w.bulk('events');
    const used = l.socket.writableLength;
    w.bulk(l.connected ? (used > 0 ? 'rw' : 'r') : 'w');
    w.bulk('send-buffer-allocated');
    w.integer(used);
    w.bulk('send-buffer-used');
    w.integer(used);
  }
}

const sub = (name: string, f: (c: Client, argv: string[], cl: Cluster) => void): CommandDef => ({ name, handler: withCluster(f) });

/** Redis 7.0's CLUSTER subcommands about the cluster's nodes and slots. */
const clusterNodeSubcommands: CommandDef[] = [
  sub('help', (c) => replyHelp(c.reply, HELP)),
  sub('info', infoCommand),
  sub('nodes', (c, _a, cl) => c.reply.verbatim(clusterSupport().cluster.describeNodes(cl.state, 0, usePport(c)))),
  sub('myid', (c, _a, cl) => c.reply.bulk(cl.state.myself.name)),
  sub('slots', slotsCommand),
  sub('shards', shardsCommand),
  sub('flushslots', (c, _a, cl) => {
    if (c.server.keyspace.dbs[0].size !== 0) {
      c.error('ERR DB must be empty to perform CLUSTER FLUSHSLOTS.');
      return;
    }
    cl.delNodeSlots(cl.state.myself);
    cl.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    c.reply.ok();
  }),
  sub('addslots', addDelSlots(false)),
  sub('delslots', addDelSlots(true)),
  sub('addslotsrange', addDelSlotsRange(false)),
  sub('delslotsrange', addDelSlotsRange(true)),
  sub('setslot', setslotCommand),
  sub('bumpepoch', (c, _a, cl) => {
    const bumped = cl.bumpConfigEpochWithoutConsensus();
    c.reply.simple(`${bumped ? 'BUMPED' : 'STILL'} ${cl.state.myself.configEpoch}`);
  }),
  sub('saveconfig', (c, _a, cl) => {
    const err = cl.saveConfig(true);
    if (err === null) c.reply.ok();
    else c.error(`ERR error saving the cluster node config: ${strerror(err)}`);
  }),
  sub('meet', meetCommand),
  sub('forget', forgetCommand),
  sub('replicate', replicateCommand),
  sub('replicas', replicasCommand),
  sub('slaves', replicasCommand),
  sub('count-failure-reports', countFailureReportsCommand),
  sub('failover', failoverCommand),
  sub('set-config-epoch', setConfigEpochCommand),
  sub('reset', resetCommand),
  sub('links', linksCommand),
];

export const clusterDefs: CommandDef[] = [
  {
    name: 'cluster',
    subcommands: [...clusterNodeSubcommands, ...clusterKeySubcommands],
  },
  ...clusterConnectionDefs,
];
