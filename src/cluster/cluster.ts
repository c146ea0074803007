/**
 * Redis Cluster on one node: the cluster bus and everything it drives. This node's view of the
 * cluster (ClusterState) is loaded from and saved to nodes.conf; the bus (TCP on the cluster
 * port, Redis 7.0's binary clusterMsg format, src/cluster/bus) exchanges PING/PONG/MEET with
 * gossip, FAIL, PUBLISH/PUBLISHSHARD, UPDATE, FAILOVER_AUTH_REQUEST/ACK and MFSTART with every
 * other node, redis-server 7.0 nodes included. The cron (every 100 ms) pings, detects failures
 * (PFAIL, then FAIL with a majority of primaries' reports), runs the replica election and
 * manual failover, replica migration and the cluster state (ok/fail).
 * Names and order follow Redis 7.0 cluster.c, function by function (named in each docstring).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { keyHashSlot } from '../store/keyslot.js';
import type { ClusterHost } from './host.js';
import { CLUSTER_SLOTS, ClusterNode, NodeFlag } from './node.js';
import { ClusterState } from './state.js';
import { ClusterLink } from './bus/link.js';
import {
  EXT_HOSTNAME,
  FAIL_LEN,
  GOSSIP_LEN,
  HDR_LEN,
  MFLAG0_FORCEACK,
  MFLAG0_PAUSED,
  MSG_TYPE_COUNT,
  MsgType,
  UPDATE_LEN,
  buildMessage,
  buildPublish,
  expectedLength,
  extString,
  failNodeName,
  hostnameExtSize,
  readGossip,
  readHeader,
  readPingExts,
  readPublish,
  readUpdate,
  setPingCounts,
  writeFail,
  writeGossip,
  writeHostnameExt,
  writeUpdate,
  type InHeader,
  type OutHeader,
} from './bus/message.js';
import { NodesConfError, describeNodes, loadNodesConf, saveNodesConf, validNodeName } from './nodesConf.js';

/** A random node name: 40 hex characters (Redis getRandomHexChars). */
export function randomNodeName(): string {
  return randomBytes(20).toString('hex');
}

// cluster.h / cluster.c constants.
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
const MF_TIMEOUT = 5000;
const MF_PAUSE_MULT = 2;
const REPLICA_MIGRATION_DELAY = 5000;
const BLACKLIST_TTL = 60;
const MAX_REJOIN_DELAY = 5000;
const MIN_REJOIN_DELAY = 500;
const WRITABLE_DELAY = 2000;
const CANT_FAILOVER_NONE = 0;
const CANT_FAILOVER_DATA_AGE = 1;
const CANT_FAILOVER_WAITING_DELAY = 2;
const CANT_FAILOVER_EXPIRED = 3;
const CANT_FAILOVER_WAITING_VOTES = 4;
const CANT_FAILOVER_RELOG_PERIOD = 60 * 5;

/** clusterDoBeforeSleep flags (CLUSTER_TODO_*). */
export const TODO_HANDLE_FAILOVER = 1;
export const TODO_UPDATE_STATE = 2;
export const TODO_SAVE_CONFIG = 4;
export const TODO_FSYNC_CONFIG = 8;
export const TODO_HANDLE_MANUALFAILOVER = 16;

const BROADCAST_ALL = 0;
const BROADCAST_LOCAL_REPLICAS = 1;

/** An IPv4-mapped IPv6 address as its IPv4 text (what Redis's sockets report). */
function plainIp(addr: string | undefined): string {
  if (addr === undefined) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The cluster subsystem of one server (see module doc). */
export class Cluster {
  readonly state: ClusterState;
  /** Absolute path of nodes.conf (cluster-config-file, relative to `dir`). */
  readonly configPath: string;
  /** Links per direction, for CLUSTER LINKS and teardown. */
  private readonly links = new Set<ClusterLink>();
  private listeners: net.Server[] = [];
  private cronTimer: NodeJS.Timeout | null = null;
  private todo = 0;
  private todoScheduled = false;
  private iteration = 0;
  private pingsSent = 0;
  private amongMinorityTime = 0;
  private firstUpdateStateCall = 0;
  private cantFailoverLogTime = 0;
  private prevAnnounceIp = '';
  private closed = false;
  /** DEBUG DROP-CLUSTER-PACKET-FILTER: received messages of this type are dropped (-1: none). */
  dropPacketFilter = -1;
  /** total_cluster_links_buffer_limit_exceeded (always 0: no send buffer limit enforced). */
  linksBufferLimitExceeded = 0;

  /** Notices of the constructor, logged by start() (the server's log opens after construction). */
  private readonly startupNotes: string[] = [];

  constructor(readonly host: ClusterHost) {
    const cfg = host.config;
    this.configPath = cfg.resolvePath(cfg.str('cluster-config-file'));
    let loaded: ReturnType<typeof loadNodesConf>;
    try {
      loaded = loadNodesConf(this.configPath);
    } catch (e) {
      if (e instanceof NodesConfError) {
        host.log.warning('Unrecoverable error: corrupted cluster config file.');
        throw new Error('Unrecoverable error: corrupted cluster config file.');
      }
      host.log.warning(`Loading the cluster node config from ${this.configPath}: ${(e as Error).message}`);
      throw e;
    }
    if (loaded === null) {
      this.state = new ClusterState(new ClusterNode(randomNodeName(), NodeFlag.Myself | NodeFlag.Primary));
      this.startupNotes.push(`No cluster configuration found, I'm ${this.state.myself.name}`);
    } else {
      this.state = new ClusterState(loaded.myself);
      const st = this.state;
      for (const n of loaded.nodes) st.nodes.set(n.name, n);
      st.currentEpoch = loaded.currentEpoch;
      st.lastVoteEpoch = loaded.lastVoteEpoch;
      for (const [s, n] of loaded.slots) this.addSlot(n, s);
      for (const [s, n] of loaded.migrating) st.migratingSlotsTo[s] = n;
      for (const [s, n] of loaded.importing) st.importingSlotsFrom[s] = n;
      this.startupNotes.push(`Node configuration loaded, I'm ${st.myself.name}`);
      const max = this.maxEpoch();
      if (max > st.currentEpoch) st.currentEpoch = max;
    }
    this.state.size = 1;
    this.updateMyselfPorts();
    this.updateMyselfFlags();
    this.updateMyselfIp();
    this.state.myself.hostname = cfg.str('cluster-announce-hostname');
    const err = this.saveConfig(true);
    if (err !== null) {
      host.log.warning("Fatal: can't update cluster config file.");
      throw new Error("Fatal: can't update cluster config file.");
    }
    for (const name of ['cluster-announce-port', 'cluster-announce-bus-port', 'port']) cfg.onChange(name, () => this.updateMyselfPorts());
    cfg.onChange('cluster-replica-no-failover', () => this.updateMyselfFlags());
    cfg.onChange('cluster-announce-ip', () => this.updateMyselfIp());
    cfg.onChange('cluster-announce-hostname', (v) => {
      this.myself.hostname = v as string; // clusterUpdateMyselfHostname
    });
    host.beforeFlushHooks.push(() => {
      if (this.todo !== 0) this.beforeSleep();
    });
  }

  private get myself(): ClusterNode {
    return this.state.myself;
  }

  /** cluster-node-timeout in ms. */
  get nodeTimeout(): number {
    return this.host.config.num('cluster-node-timeout');
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** The cluster bus port: cluster-port, or the client port (the TLS one with tls-cluster) + 10000. */
  get busPort(): number {
    const p = this.host.config.num('cluster-port');
    if (p !== 0) return p;
    return (this.host.config.bool('tls-cluster') && this.host.tlsPort !== 0 ? this.host.tlsPort : this.host.port) + 10000;
  }

  /**
   * Opens the cluster bus listeners on the `bind` addresses and starts the cron (clusterInit's
   * second half). @throws Error "Failed listening on port <p> (cluster), aborting."
   */
  async start(): Promise<void> {
    for (const n of this.startupNotes.splice(0)) this.host.log.notice(n);
    this.updateMyselfPorts();
    const cport = this.busPort;
    if (this.host.config.num('cluster-port') === 0 && this.host.port > 65535 - 10000) {
      const msg =
        'Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.';
      this.host.log.warning(msg);
      throw new Error(msg);
    }
    const binds = this.host.config.list('bind');
    for (const b of binds) {
      const optional = b.startsWith('-');
      const addr = optional ? b.slice(1) : b;
      const v6 = addr.includes(':');
      const hostAddr = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      const srv = net.createServer({ noDelay: true }, (sock) => this.host.acceptBus(sock, (s) => this.accept(s)));
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port: cport, host: hostAddr, ipv6Only: v6 }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
        this.listeners.push(srv);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (optional || code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL') continue;
        for (const l of this.listeners) l.close();
        this.listeners = [];
        const msg = `Failed listening on port ${cport} (cluster), aborting.`;
        this.host.log.warning(msg);
        throw new Error(msg);
      }
    }
    if (this.listeners.length === 0) {
      const msg = `Failed listening on port ${cport} (cluster), aborting.`;
      this.host.log.warning(msg);
      throw new Error(msg);
    }
    this.cronTimer = setInterval(() => this.cron(), 100);
    this.cronTimer.unref();
  }

  /** Stops the cron, closes the listeners and every link; saves the config if it changed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    for (const l of this.listeners) l.close();
    this.listeners = [];
    for (const l of [...this.links]) this.freeLink(l);
    if (this.todo & TODO_SAVE_CONFIG) this.saveConfigOrLog(true);
    this.todo = 0;
  }

  // ---- config file -----------------------------------------------------------------------------

  /** nodes.conf content: the nodes but those in handshake, then the vars line (clusterSaveConfig). */
  configText(): string {
    const st = this.state;
    return `${describeNodes(st, NodeFlag.Handshake)}vars currentEpoch ${st.currentEpoch} lastVoteEpoch ${st.lastVoteEpoch}\n`;
  }

  /** Writes nodes.conf atomically. @returns null, or the OS error's message. */
  saveConfig(fsync: boolean): string | null {
    this.todo &= ~(TODO_SAVE_CONFIG | (fsync ? TODO_FSYNC_CONFIG : 0));
    try {
      saveNodesConf(this.configPath, this.configText(), fsync);
      return null;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }

  private saveConfigOrLog(fsync: boolean): void {
    if (this.saveConfig(fsync) !== null) this.host.log.warning("Fatal: can't update cluster config file.");
  }

  // ---- myself ----------------------------------------------------------------------------------

  /** deriveAnnouncedPorts: [port, pport, cport] as announced. */
  private announcedPorts(): [number, number, number] {
    const cfg = this.host.config;
    // `port 0` with a tls-port: no plaintext port (KeydraServer.port is then the TLS one).
    const plain = cfg.num('port') === 0 && this.host.tlsPort !== 0 ? 0 : this.host.port !== 0 ? this.host.port : cfg.num('port');
    // With tls-cluster the announced client port is the TLS one, the plaintext one goes as pport.
    const tlsCluster = cfg.bool('tls-cluster');
    const tlsPort = this.host.tlsPort !== 0 ? this.host.tlsPort : cfg.num('tls-port');
    let port = tlsCluster ? tlsPort : plain;
    let pport = tlsCluster ? plain : 0;
    let cport = cfg.num('cluster-port') !== 0 ? cfg.num('cluster-port') : port + 10000;
    if (tlsCluster && cfg.num('cluster-announce-tls-port') !== 0) {
      port = cfg.num('cluster-announce-tls-port');
      pport = cfg.num('cluster-announce-port');
    } else if (cfg.num('cluster-announce-port') !== 0) port = cfg.num('cluster-announce-port');
    if (cfg.num('cluster-announce-bus-port') !== 0) cport = cfg.num('cluster-announce-bus-port');
    return [port, pport, cport];
  }

  /** clusterUpdateMyselfAnnouncedPorts. */
  private updateMyselfPorts(): void {
    const [port, pport, cport] = this.announcedPorts();
    this.myself.port = port;
    this.myself.pport = pport;
    this.myself.cport = cport;
  }

  /** clusterUpdateMyselfFlags: NOFAILOVER follows cluster-replica-no-failover. */
  private updateMyselfFlags(): void {
    const old = this.myself.flags;
    this.myself.flags &= ~NodeFlag.NoFailover;
    if (this.host.config.bool('cluster-replica-no-failover')) this.myself.flags |= NodeFlag.NoFailover;
    if (this.myself.flags !== old) this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
  }

  /** clusterUpdateMyselfIp: cluster-announce-ip, or '' to learn it from the next MEET/PING. */
  private updateMyselfIp(): void {
    const cur = this.host.config.str('cluster-announce-ip');
    if (cur === this.prevAnnounceIp) return;
    this.prevAnnounceIp = cur;
    this.myself.ip = cur.slice(0, 45);
  }

  // ---- nodes -----------------------------------------------------------------------------------

  /** clusterLookupNode: the node with that name, or undefined (also for an invalid name). */
  lookupNode(name: string): ClusterNode | undefined {
    if (!validNodeName(name)) return undefined;
    return this.state.nodes.get(name);
  }

  private addNode(n: ClusterNode): void {
    this.state.nodes.set(n.name, n);
  }

  /** clusterDelNode: drops the node, its slots, open slots, failure reports it made, its links. */
  delNode(del: ClusterNode): void {
    const st = this.state;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (st.importingSlotsFrom[j] === del) st.importingSlotsFrom[j] = null;
      if (st.migratingSlotsTo[j] === del) st.migratingSlotsTo[j] = null;
      if (st.slots[j] === del) this.delSlot(j);
    }
    for (const n of st.nodes.values()) if (n !== del) this.delFailureReport(n, del);
    // freeClusterNode
    for (const r of del.replicas) r.replicaOf = null;
    if (del.isReplica && del.replicaOf !== null) this.removeReplica(del.replicaOf, del);
    st.nodes.delete(del.name);
    if (del.link !== null) this.freeLink(del.link);
    if (del.inboundLink !== null) this.freeLink(del.inboundLink);
  }

  /** clusterRenameNode. */
  private renameNode(n: ClusterNode, name: string): void {
    this.host.log.verbose(`Renaming node ${n.name} into ${name}`);
    this.state.nodes.delete(n.name);
    n.name = name;
    this.addNode(n);
  }

  /** clusterNodeAddReplica (clusterNodeAddSlave). */
  private addReplica(primary: ClusterNode, replica: ClusterNode): void {
    if (primary.replicas.includes(replica)) return;
    primary.replicas.push(replica);
    primary.flags |= NodeFlag.MigrateTo;
  }

  /** clusterNodeRemoveSlave. */
  private removeReplica(primary: ClusterNode, replica: ClusterNode): void {
    const i = primary.replicas.indexOf(replica);
    if (i === -1) return;
    primary.replicas.splice(i, 1);
    if (primary.replicas.length === 0) primary.flags &= ~NodeFlag.MigrateTo;
  }

  private countNonFailingReplicas(n: ClusterNode): number {
    let ok = 0;
    for (const r of n.replicas) if (!r.failed) ok++;
    return ok;
  }

  /** clusterGetMaxEpoch: the greatest config epoch known, or currentEpoch if greater. */
  private maxEpoch(): bigint {
    let max = 0n;
    for (const n of this.state.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max < this.state.currentEpoch ? this.state.currentEpoch : max;
  }

  /**
   * clusterBumpConfigEpochWithoutConsensus: a new config epoch for myself unless it already has
   * the greatest one. @returns true when bumped.
   */
  bumpConfigEpochWithoutConsensus(): boolean {
    const max = this.maxEpoch();
    if (this.myself.configEpoch === 0n || this.myself.configEpoch !== max) {
      this.state.currentEpoch++;
      this.myself.configEpoch = this.state.currentEpoch;
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      this.host.log.warning(`New configEpoch set to ${this.myself.configEpoch}`);
      return true;
    }
    return false;
  }

  /** clusterHandleConfigEpochCollision: of two primaries with one epoch, the smaller name takes a new one. */
  private handleConfigEpochCollision(sender: ClusterNode): void {
    const me = this.myself;
    if (sender.configEpoch !== me.configEpoch || !sender.isPrimary || !me.isPrimary) return;
    if (sender.name <= me.name) return;
    this.state.currentEpoch++;
    me.configEpoch = this.state.currentEpoch;
    this.saveConfigOrLog(true);
    this.host.log.verbose(`WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${me.configEpoch}`);
  }

  private blacklistCleanup(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [id, exp] of this.state.blacklist) if (exp < now) this.state.blacklist.delete(id);
  }

  /** clusterBlacklistAddNode: gossip about a forgotten node is ignored for a minute. */
  blacklistAdd(node: ClusterNode): void {
    this.blacklistCleanup();
    this.state.blacklist.set(node.name, Math.floor(Date.now() / 1000) + BLACKLIST_TTL);
  }

  private blacklisted(name: string): boolean {
    this.blacklistCleanup();
    return this.state.blacklist.has(name);
  }

  // ---- failure reports -------------------------------------------------------------------------

  private addFailureReport(failing: ClusterNode, sender: ClusterNode): boolean {
    const had = failing.failReports.has(sender);
    failing.failReports.set(sender, Date.now());
    return !had;
  }

  private cleanupFailureReports(node: ClusterNode): void {
    const max = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = Date.now();
    for (const [n, t] of node.failReports) if (now - t > max) node.failReports.delete(n);
  }

  private delFailureReport(node: ClusterNode, sender: ClusterNode): boolean {
    if (!node.failReports.delete(sender)) return false;
    this.cleanupFailureReports(node);
    return true;
  }

  /** clusterNodeFailureReportsCount: valid failure reports about the node. */
  failureReportsCount(node: ClusterNode): number {
    this.cleanupFailureReports(node);
    return node.failReports.size;
  }

  /** markNodeAsFailingIfNeeded: PFAIL → FAIL once a majority of primaries agrees; FAIL broadcast. */
  private markNodeAsFailingIfNeeded(node: ClusterNode): void {
    const needed = Math.floor(this.state.size / 2) + 1;
    if (!node.timedOut || node.failed) return;
    let failures = this.failureReportsCount(node);
    if (this.myself.isPrimary) failures++;
    if (failures < needed) return;
    this.host.log.notice(`Marking node ${node.name} as failing (quorum reached).`);
    node.flags &= ~NodeFlag.PFail;
    node.flags |= NodeFlag.Fail;
    node.failTime = Date.now();
    this.sendFail(node.name);
    this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
  }

  /** clearNodeFailureIfNeeded: a reachable replica or slotless primary, or a primary nobody took over. */
  private clearNodeFailureIfNeeded(node: ClusterNode): void {
    const now = Date.now();
    if (node.isReplica || node.numSlots === 0) {
      this.host.log.notice(
        `Clear FAIL state for node ${node.name}: ${node.isReplica ? 'replica' : 'master without slots'} is reachable again.`,
      );
      node.flags &= ~NodeFlag.Fail;
      this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    }
    if (node.isPrimary && node.numSlots > 0 && now - node.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.host.log.notice(`Clear FAIL state for node ${node.name}: is reachable again and nobody is serving its slots after some time.`);
      node.flags &= ~NodeFlag.Fail;
      this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    }
  }

  // ---- slots -----------------------------------------------------------------------------------

  /** True when some primary has replicas (clusterMastersHaveSlaves). */
  private primariesHaveReplicas(): boolean {
    for (const n of this.state.nodes.values()) if (!n.isReplica && n.replicas.length > 0) return true;
    return false;
  }

  private setSlotBit(n: ClusterNode, slot: number): void {
    const byte = slot >> 3;
    const bit = 1 << (slot & 7);
    if ((n.slots[byte] & bit) === 0) {
      n.slots[byte] |= bit;
      n.numSlots++;
      if (n.numSlots === 1 && this.primariesHaveReplicas()) n.flags |= NodeFlag.MigrateTo;
    }
  }

  private clearSlotBit(n: ClusterNode, slot: number): boolean {
    const byte = slot >> 3;
    const bit = 1 << (slot & 7);
    if ((n.slots[byte] & bit) === 0) return false;
    n.slots[byte] &= ~bit;
    n.numSlots--;
    return true;
  }

  /** clusterAddSlot. @returns false when the slot already has an owner. */
  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.state.slots[slot] !== null) return false;
    this.setSlotBit(n, slot);
    this.state.slots[slot] = n;
    return true;
  }

  /** clusterDelSlot. @returns false when the slot had no owner. */
  delSlot(slot: number): boolean {
    const n = this.state.slots[slot];
    if (n === null) return false;
    const ps = this.host.pubsub;
    if (ps.shardChannels.size > 0) {
      const primary = n.isPrimary ? n : n.replicaOf;
      const me = this.myself;
      if (primary !== null && (primary === me || me.replicaOf === primary)) this.removeChannelsInSlot(slot);
    }
    this.clearSlotBit(n, slot);
    this.state.slots[slot] = null;
    return true;
  }

  /** removeChannelsInSlot: the shard channels of a slot this shard no longer serves lose their subscribers. */
  private removeChannelsInSlot(slot: number): void {
    const ps = this.host.pubsub;
    for (const [name, subs] of [...ps.shardChannels]) {
      if (keyHashSlot(name) !== slot) continue;
      for (const c of [...subs]) ps.unsubscribe(c, 'shard', name, true);
    }
  }

  /** clusterDelNodeSlots: unassigns every slot of the node; returns how many. */
  delNodeSlots(node: ClusterNode): number {
    let deleted = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (node.hasSlot(j)) {
        this.delSlot(j);
        deleted++;
      }
    }
    return deleted;
  }

  /** clusterCloseAllSlots: no slot migrating or importing. */
  closeAllSlots(): void {
    this.state.migratingSlotsTo.fill(null);
    this.state.importingSlotsFrom.fill(null);
  }

  private slotUnclaimed(slot: number): boolean {
    return this.state.slots[slot] === null || (this.state.ownerNotClaimingSlot[slot >> 3] & (1 << (slot & 7))) !== 0;
  }

  private setNotClaiming(slot: number, on: boolean): void {
    if (on) this.state.ownerNotClaimingSlot[slot >> 3] |= 1 << (slot & 7);
    else this.state.ownerNotClaimingSlot[slot >> 3] &= ~(1 << (slot & 7));
  }

  /** Keys of db 0 in a hash slot (countKeysInSlot): the store's per-slot index, or a scan without it. */
  countKeysInSlot(slot: number): number {
    const db = this.host.keyspace.dbs[0];
    if (db.slots !== null) return db.slots.count(slot);
    let n = 0;
    for (const k of db.table.keys()) if (keyHashSlot(k) === slot) n++;
    return n;
  }

  /** delKeysInSlot: deletes db 0's keys of the slot (a slot lost to a newer owner). */
  private delKeysInSlot(slot: number): void {
    const db = this.host.keyspace.dbs[0];
    const keys =
      db.slots !== null ? db.slots.keys(slot, Number.MAX_SAFE_INTEGER) : [...db.table.keys()].filter((k) => keyHashSlot(k) === slot);
    for (const k of keys) db.delete(k);
  }

  /**
   * verifyClusterConfigWithData, after the dataset loaded: slots holding keys that nobody owns
   * become ours, those owned by another node are marked importing. @returns false when a db
   * other than 0 holds keys (Redis then exits).
   */
  verifyConfigWithData(): boolean {
    if (this.myself.isReplica) return true;
    const dbs = this.host.keyspace.dbs;
    for (let j = 1; j < dbs.length; j++) if (dbs[j].size > 0) return false;
    if (dbs[0].size === 0) return true;
    let update = false;
    const st = this.state;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.countKeysInSlot(j) === 0) continue;
      if (st.slots[j] === this.myself || st.importingSlotsFrom[j] !== null) continue;
      update = true;
      const owner = st.slots[j];
      if (owner === null) {
        this.host.log.warning(`I have keys for unassigned slot ${j}. Taking responsibility for it.`);
        this.addSlot(this.myself, j);
      } else {
        this.host.log.warning(`I have keys for slot ${j}, but the slot is assigned to another node. Setting it to importing state.`);
        st.importingSlotsFrom[j] = owner;
      }
    }
    if (update) this.saveConfigOrLog(true);
    return true;
  }

  // ---- roles -----------------------------------------------------------------------------------

  /** clusterSetNodeAsMaster. */
  private setNodeAsPrimary(n: ClusterNode): void {
    if (n.isPrimary) return;
    if (n.replicaOf !== null) {
      this.removeReplica(n.replicaOf, n);
      if (n !== this.myself) n.flags |= NodeFlag.MigrateTo;
    }
    n.flags &= ~NodeFlag.Replica;
    n.flags |= NodeFlag.Primary;
    n.replicaOf = null;
    this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
  }

  /** clusterSetMaster: myself (without slots) becomes a replica of `n` and replicates it. */
  setPrimary(n: ClusterNode): void {
    const me = this.myself;
    if (me.isPrimary) {
      me.flags &= ~(NodeFlag.Primary | NodeFlag.MigrateTo);
      me.flags |= NodeFlag.Replica;
      this.closeAllSlots();
    } else if (me.replicaOf !== null) {
      this.removeReplica(me.replicaOf, me);
    }
    me.replicaOf = n;
    this.addReplica(n, me);
    this.followPrimary(n.ip, n.port);
    this.resetManualFailover();
  }

  /**
   * Replicates `ip:port` (replicationSetMaster). The primary comes from the cluster bus, never from
   * the config file: like Redis in cluster mode, CONFIG REWRITE writes no replicaof line.
   */
  private followPrimary(ip: string, port: number): void {
    this.host.replication.replicaOf(ip, port);
    this.host.config.set('replicaof', ['no', 'one']);
  }

  /** The replication offset this node reports (master_repl_offset or the replica's processed offset). */
  private myOffset(): bigint {
    // replicationGetSlaveOffset: 0 while a full sync transfers or loads (no master, no cached master).
    const link = this.host.replication.link;
    if (link !== null && link.roleState === 'sync') return 0n;
    return BigInt(this.host.replication.stream.offset);
  }

  /** The replication offset of myself as CLUSTER SHARDS and SLOTS report it. */
  get myReplOffset(): bigint {
    return this.myOffset();
  }

  /** clusterReset: forget all nodes, drop slots; hard: new name and epochs 0. */
  reset(hard: boolean): void {
    const me = this.myself;
    if (me.isReplica) {
      this.setNodeAsPrimary(me);
      this.host.replication.unsetPrimary();
      for (const db of this.host.keyspace.dbs) db.clear();
    }
    this.closeAllSlots();
    this.resetManualFailover();
    for (let j = 0; j < CLUSTER_SLOTS; j++) this.delSlot(j);
    for (const n of [...this.state.nodes.values()]) if (n !== me) this.delNode(n);
    if (hard) {
      this.state.currentEpoch = 0n;
      this.state.lastVoteEpoch = 0n;
      me.configEpoch = 0n;
      this.host.log.warning('configEpoch set to 0 via CLUSTER RESET HARD');
      this.state.nodes.delete(me.name);
      me.name = randomNodeName();
      this.addNode(me);
      this.host.log.notice(`Node hard reset, now I'm ${me.name}`);
    }
    this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
  }

  // ---- handshake -------------------------------------------------------------------------------

  /**
   * clusterStartHandshake (CLUSTER MEET): a handshake node for ip:port@cport, met at the next cron.
   * @returns 'ok', 'invalid' (bad address or port) or 'in-progress'.
   */
  startHandshake(ip: string, port: number, cport: number): 'ok' | 'invalid' | 'in-progress' {
    const family = net.isIP(ip);
    if (family === 0) return 'invalid';
    if (!(port > 0 && port <= 65535 && cport > 0 && cport <= 65535)) return 'invalid';
    // inet_pton + inet_ntop normalization (IPv6 to its canonical text).
    const norm = family === 4 ? ip : new net.SocketAddress({ address: ip, family: 'ipv6' }).address;
    for (const n of this.state.nodes.values()) {
      if (n.inHandshake && n.ip.toLowerCase() === norm.toLowerCase() && n.port === port && n.cport === cport) return 'in-progress';
    }
    const n = new ClusterNode(randomNodeName(), NodeFlag.Handshake | NodeFlag.Meet);
    n.ip = norm;
    n.port = port;
    n.cport = cport;
    this.addNode(n);
    return 'ok';
  }

  // ---- links -----------------------------------------------------------------------------------

  /** Accepts an inbound bus connection (clusterAcceptHandler). */
  private accept(sock: net.Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    sock.setKeepAlive(true, Math.floor(this.nodeTimeout / 1000) * 2 * 1000);
    this.host.log.verbose(`Accepting cluster node connection from ${plainIp(sock.remoteAddress)}:${sock.remotePort}`);
    const link = new ClusterLink(
      sock,
      null,
      true,
      (l, m) => this.safeProcessPacket(l, m),
      (l) => this.freeLink(l),
    );
    this.links.add(link);
  }

  /** freeClusterLink. */
  freeLink(link: ClusterLink): void {
    link.destroy();
    this.links.delete(link);
    const n = link.node;
    if (n !== null) {
      if (n.link === link) n.link = null;
      else if (n.inboundLink === link) n.inboundLink = null;
    }
  }

  /** Every link, outbound and inbound (CLUSTER LINKS). */
  allLinks(): ClusterLink[] {
    const out: ClusterLink[] = [];
    for (const n of this.state.nodes.values()) {
      if (n.link !== null) out.push(n.link);
      if (n.inboundLink !== null) out.push(n.inboundLink);
    }
    return out;
  }

  /** setClusterNodeToInboundClusterLink. */
  private setInboundLink(node: ClusterNode, link: ClusterLink): void {
    if (node.inboundLink !== null && node.inboundLink !== link) this.freeLink(node.inboundLink);
    node.inboundLink = link;
    link.node = node;
  }

  /** Opens the outbound link of a node (clusterNodeCronHandleReconnect's connect). */
  private connectNode(node: ClusterNode): void {
    let sock: net.Socket;
    try {
      sock = this.host.connectBus(node.ip, node.cport);
    } catch {
      if (node.pingSent === 0) node.pingSent = Date.now();
      return;
    }
    const link = new ClusterLink(
      sock,
      node,
      false,
      (l, m) => this.safeProcessPacket(l, m),
      (l) => {
        if (!l.connected) this.host.log.verbose(`Connection with Node ${node.name} at ${node.ip}:${node.cport} failed`);
        // Redis claims a ping sent when connect() fails at once, so failure detection starts then;
        // Node reports every connect failure (and a reset link) later, so a lost link counts here.
        if (node.pingSent === 0) node.pingSent = Date.now();
        this.freeLink(l);
      },
    );
    this.links.add(link);
    node.link = link;
    sock.on('connect', () => {
      if (link.freed) return;
      link.connected = true;
      sock.setKeepAlive(true, Math.floor(this.nodeTimeout / 1000) * 2 * 1000);
      const oldPingSent = node.pingSent;
      this.sendPing(link, node.flags & NodeFlag.Meet ? MsgType.Meet : MsgType.Ping);
      if (oldPingSent !== 0) node.pingSent = oldPingSent;
      node.flags &= ~NodeFlag.Meet;
    });
  }

  // ---- messages out ----------------------------------------------------------------------------

  /** clusterBuildMessageHdr. */
  private header(): OutHeader {
    const me = this.myself;
    const primary = me.isReplica && me.replicaOf !== null ? me.replicaOf : me;
    const [port, pport, cport] = this.announcedPorts();
    return {
      currentEpoch: this.state.currentEpoch,
      configEpoch: primary.configEpoch,
      offset: this.myOffset(),
      sender: me.name,
      myslots: primary.slots,
      slaveof: me.replicaOf !== null ? me.replicaOf.name : null,
      myip: this.host.config.str('cluster-announce-ip'),
      port,
      pport,
      cport,
      flags: me.flags,
      state: this.state.state === 'ok' ? 0 : 1,
      mflags0: me.isPrimary && this.state.mfEnd !== 0 ? MFLAG0_PAUSED : 0,
    };
  }

  /** clusterSendMessage: queues and counts it. */
  private send(link: ClusterLink | null, msg: Buffer): void {
    if (link === null) return;
    link.send(msg);
    const type = msg.readUInt16BE(12);
    if (type < MSG_TYPE_COUNT) this.state.statsSent[type]++;
  }

  /** clusterBroadcastMessage: to every node's outbound link but myself and handshake nodes. */
  private broadcast(msg: Buffer): void {
    for (const n of this.state.nodes.values()) {
      if (n.flags & (NodeFlag.Myself | NodeFlag.Handshake)) continue;
      this.send(n.link, msg);
    }
  }

  private gossipOf(n: ClusterNode) {
    return {
      name: n.name,
      pingSent: Math.floor(n.pingSent / 1000),
      pongReceived: Math.floor(n.pongReceived / 1000),
      ip: n.ip,
      port: n.port,
      cport: n.cport,
      flags: n.flags,
      pport: n.pport,
    };
  }

  /**
   * clusterSendPing: a PING, PONG or MEET with gossip about about a tenth of the known nodes (at
   * least 3), every PFAIL node, and the hostname extension when a hostname is announced.
   */
  sendPing(link: ClusterLink, type: MsgType): void {
    const st = this.state;
    const serial = ++this.pingsSent;
    const all = [...st.nodes.values()];
    let freshnodes = all.length - 2;
    let wanted = Math.floor(all.length / 10);
    if (wanted < 3) wanted = 3;
    if (wanted > freshnodes) wanted = freshnodes;
    const chosen: ClusterNode[] = [];
    let maxiterations = wanted * 3;
    while (freshnodes > 0 && chosen.length < wanted && maxiterations-- > 0) {
      const n = all[Math.floor(Math.random() * all.length)];
      if (n === this.myself) continue;
      if (n.flags & NodeFlag.PFail) continue;
      if (n.flags & (NodeFlag.Handshake | NodeFlag.NoAddr) || (n.link === null && n.numSlots === 0)) {
        freshnodes--;
        continue;
      }
      if (n.lastInPingGossip === serial) continue;
      chosen.push(n);
      n.lastInPingGossip = serial;
      freshnodes--;
    }
    let pfailWanted = st.statsPfailNodes;
    if (pfailWanted > 0) {
      for (const n of all) {
        if (pfailWanted <= 0) break;
        if (n.flags & (NodeFlag.Handshake | NodeFlag.NoAddr)) continue;
        if (!(n.flags & NodeFlag.PFail)) continue;
        chosen.push(n);
        pfailWanted--;
      }
    }
    if (!link.inbound && type === MsgType.Ping && link.node !== null) link.node.pingSent = Date.now();
    const hostname = this.myself.hostname;
    const extSize = hostnameExtSize(hostname);
    const totlen = HDR_LEN + GOSSIP_LEN * chosen.length + extSize;
    const msg = buildMessage(type, this.header(), totlen);
    for (let i = 0; i < chosen.length; i++) writeGossip(msg, i, this.gossipOf(chosen[i]));
    let extensions = 0;
    if (extSize > 0) {
      writeHostnameExt(msg, HDR_LEN + GOSSIP_LEN * chosen.length, hostname);
      extensions++;
    }
    setPingCounts(msg, chosen.length, extensions);
    this.send(link, msg);
  }

  /** clusterBroadcastPong: a PONG to every connected node, or only to our shard's replicas. */
  broadcastPong(target: number): void {
    const me = this.myself;
    for (const n of this.state.nodes.values()) {
      if (n.link === null || n === me || n.inHandshake) continue;
      if (target === BROADCAST_LOCAL_REPLICAS) {
        const local = n.isReplica && n.replicaOf !== null && (n.replicaOf === me || n.replicaOf === me.replicaOf);
        if (!local) continue;
      }
      this.sendPing(n.link, MsgType.Pong);
    }
  }

  /** clusterSendFail. */
  private sendFail(name: string): void {
    const msg = buildMessage(MsgType.Fail, this.header(), FAIL_LEN);
    writeFail(msg, name);
    this.broadcast(msg);
  }

  /** clusterSendUpdate: tells a node with a stale view the config of `node`. */
  private sendUpdate(link: ClusterLink | null, node: ClusterNode): void {
    if (link === null) return;
    const msg = buildMessage(MsgType.Update, this.header(), UPDATE_LEN);
    const slots = new Uint8Array(node.slots);
    for (let i = 0; i < slots.length; i++) slots[i] &= ~this.state.ownerNotClaimingSlot[i];
    writeUpdate(msg, node.configEpoch, node.name, slots);
    this.send(link, msg);
  }

  /**
   * clusterPropagatePublish: PUBLISH to every node, SPUBLISH (sharded) to the nodes of our shard.
   * `channel` and `message` are binary strings.
   */
  propagatePublish(channel: string, message: string, sharded: boolean): void {
    const ch = Buffer.from(channel, 'latin1');
    const m = Buffer.from(message, 'latin1');
    if (!sharded) {
      this.broadcast(buildPublish(MsgType.Publish, this.header(), ch, m));
      return;
    }
    const me = this.myself;
    const primary = me.isPrimary ? me : me.replicaOf;
    if (primary === null) return;
    const msg = buildPublish(MsgType.PublishShard, this.header(), ch, m);
    for (const n of [primary, ...primary.replicas]) {
      if (n.flags & (NodeFlag.Myself | NodeFlag.Handshake)) continue;
      this.send(n.link, msg);
    }
  }

  private bareMessage(type: MsgType): Buffer {
    return buildMessage(type, this.header(), HDR_LEN);
  }

  // ---- messages in -----------------------------------------------------------------------------

  /** getNodeFromLinkAndMsg. */
  private senderOf(link: ClusterLink, h: InHeader): ClusterNode | undefined {
    if (link.node !== null && !link.node.inHandshake) return link.node;
    const sender = this.lookupNode(h.sender);
    if (sender !== undefined && link.node === null) this.setInboundLink(sender, link);
    return sender;
  }

  /** nodeIp2String: the announced IP, or the link's peer address. */
  private peerIp(link: ClusterLink, announced: string): string {
    return announced !== '' ? announced : plainIp(link.socket.remoteAddress);
  }

  /** nodeUpdateAddressIfNeeded. @returns true when the address changed. */
  private updateAddressIfNeeded(node: ClusterNode, link: ClusterLink, h: InHeader): boolean {
    if (link === node.link) return false;
    const ip = this.peerIp(link, h.myip);
    if (ip === '') return false;
    if (node.port === h.port && node.cport === h.cport && node.pport === h.pport && node.ip === ip) return false;
    node.ip = ip;
    node.port = h.port;
    node.pport = h.pport;
    node.cport = h.cport;
    if (node.link !== null) this.freeLink(node.link);
    node.flags &= ~NodeFlag.NoAddr;
    this.host.log.warning(`Address updated for node ${node.name}, now ${node.ip}:${node.port}`);
    if (this.myself.isReplica && this.myself.replicaOf === node) this.followPrimary(node.ip, node.port);
    return true;
  }

  /** clusterProcessGossipSection. */
  private processGossip(msg: Buffer, h: InHeader, link: ClusterLink): void {
    const sender = link.node ?? this.lookupNode(h.sender) ?? null;
    const now = Date.now();
    for (let i = 0; i < h.count; i++) {
      const g = readGossip(msg, i);
      const flags = g.flags;
      const node = this.lookupNode(g.name);
      if (node !== undefined) {
        if (sender?.isPrimary && node !== this.myself) {
          if (flags & (NodeFlag.Fail | NodeFlag.PFail)) {
            if (this.addFailureReport(node, sender))
              this.host.log.verbose(`Node ${sender.name} reported node ${node.name} as not reachable.`);
            this.markNodeAsFailingIfNeeded(node);
          } else if (this.delFailureReport(node, sender)) {
            this.host.log.verbose(`Node ${sender.name} reported node ${node.name} is back online.`);
          }
        }
        if (!(flags & (NodeFlag.Fail | NodeFlag.PFail)) && node.pingSent === 0 && this.failureReportsCount(node) === 0) {
          const pongtime = g.pongReceived * 1000;
          if (pongtime <= now + 500 && pongtime > node.pongReceived) node.pongReceived = pongtime;
        }
        if (
          node.flags & (NodeFlag.Fail | NodeFlag.PFail) &&
          !(flags & NodeFlag.NoAddr) &&
          !(flags & (NodeFlag.Fail | NodeFlag.PFail)) &&
          (node.ip.toLowerCase() !== g.ip.toLowerCase() || node.port !== g.port || node.cport !== g.cport)
        ) {
          if (node.link !== null) this.freeLink(node.link);
          node.ip = g.ip;
          node.port = g.port;
          node.pport = g.pport;
          node.cport = g.cport;
          node.flags &= ~NodeFlag.NoAddr;
        }
      } else if (sender !== null && !(flags & NodeFlag.NoAddr) && !this.blacklisted(g.name) && validNodeName(g.name)) {
        const n = new ClusterNode(g.name, flags);
        n.ip = g.ip;
        n.port = g.port;
        n.pport = g.pport;
        n.cport = g.cport;
        this.addNode(n);
      }
    }
  }

  /** clusterProcessPingExtensions: the sender's hostname (cleared when not sent). */
  private processPingExt(msg: Buffer, h: InHeader, link: ClusterLink): void {
    const sender = link.node ?? this.lookupNode(h.sender);
    let hostname = '';
    for (const ext of readPingExts(msg, h)) {
      if (ext.type === EXT_HOSTNAME) hostname = extString(ext.data);
      else this.host.log.warning(`Received unknown extension type ${ext.type}`);
    }
    if (sender !== undefined && sender !== null) sender.hostname = hostname;
  }

  /**
   * clusterUpdateSlotsConfigWith: slots claimed by `sender` with a newer config epoch become its;
   * when our primary lost all its slots to it we follow it (or a sub-replica follows its
   * grand-primary); keys of slots we lost are deleted.
   */
  private updateSlotsConfigWith(sender: ClusterNode, senderConfigEpoch: bigint, slots: Uint8Array): void {
    const st = this.state;
    const me = this.myself;
    const curPrimary = me.isPrimary ? me : me.replicaOf;
    if (sender === me) {
      this.host.log.warning('Discarding UPDATE message about myself.');
      return;
    }
    let newPrimary: ClusterNode | null = null;
    const dirty: number[] = [];
    let senderSlots = 0;
    let migratedOurSlots = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (slots[j >> 3] & (1 << (j & 7))) {
        senderSlots++;
        if (st.slots[j] === sender) {
          this.setNotClaiming(j, false);
          continue;
        }
        if (st.importingSlotsFrom[j] !== null) continue;
        const owner = st.slots[j];
        if (this.slotUnclaimed(j) || (owner !== null && owner.configEpoch < senderConfigEpoch)) {
          if (owner === me && this.countKeysInSlot(j) > 0) dirty.push(j);
          if (owner === curPrimary) {
            newPrimary = sender;
            migratedOurSlots++;
          }
          this.delSlot(j);
          this.addSlot(sender, j);
          this.setNotClaiming(j, false);
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
        }
      } else if (st.slots[j] === sender) {
        this.setNotClaiming(j, true);
      }
    }
    if (
      newPrimary !== null &&
      curPrimary !== null &&
      curPrimary.numSlots === 0 &&
      (this.host.config.bool('cluster-allow-replica-migration') || senderSlots === migratedOurSlots)
    ) {
      this.host.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${sender.name}`);
      this.setPrimary(sender);
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    } else if (me.replicaOf !== null && me.replicaOf.replicaOf !== null && me.replicaOf.replicaOf !== me) {
      this.host.log.warning(`I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${me.replicaOf.replicaOf.name}`);
      this.setPrimary(me.replicaOf.replicaOf);
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    } else if (dirty.length > 0) {
      for (const j of dirty) this.delKeysInSlot(j);
    }
  }

  /** processPacket, with a malformed message costing the link, never the server. */
  private safeProcessPacket(link: ClusterLink, msg: Buffer): boolean {
    try {
      return this.processPacket(link, msg);
    } catch (e) {
      this.host.log.warning(`Bad cluster bus message from ${plainIp(link.socket.remoteAddress)}: ${(e as Error).message}`);
      this.freeLink(link);
      return false;
    }
  }

  /**
   * clusterProcessPacket: one whole message from a link. @returns false when the link was freed.
   */
  private processPacket(link: ClusterLink, msg: Buffer): boolean {
    const st = this.state;
    const h = readHeader(msg);
    const type = h.type;
    const now = Date.now();
    if (type < MSG_TYPE_COUNT) st.statsReceived[type]++;
    if (h.ver !== 1) return true;
    if (type === this.dropPacketFilter) {
      this.host.log.warning('Dropping packet that matches debug drop filter');
      return true;
    }
    const explen = expectedLength(msg, h);
    if (explen !== h.totlen) {
      this.host.log.warning(`Received invalid packet of type ${type}: length ${h.totlen}, expected ${explen}`);
      return true;
    }
    let senderCurrentEpoch = 0n;
    let senderConfigEpoch = 0n;
    const sender = this.senderOf(link, h);
    if (sender !== undefined) sender.dataReceived = now;
    if (sender !== undefined && !sender.inHandshake) {
      senderCurrentEpoch = h.currentEpoch;
      senderConfigEpoch = h.configEpoch;
      if (senderCurrentEpoch > st.currentEpoch) st.currentEpoch = senderCurrentEpoch;
      if (senderConfigEpoch > sender.configEpoch) {
        sender.configEpoch = senderConfigEpoch;
        this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      }
      sender.replOffset = h.offset;
      sender.replOffsetTime = now;
      const me = this.myself;
      if (st.mfEnd !== 0 && me.isReplica && me.replicaOf === sender && h.mflags0 & MFLAG0_PAUSED && st.mfPrimaryOffset === -1n) {
        st.mfPrimaryOffset = sender.replOffset;
        this.doBeforeSleep(TODO_HANDLE_MANUALFAILOVER);
        this.host.log.warning(`Received replication offset for paused master manual failover: ${st.mfPrimaryOffset}`);
      }
    }

    if (type === MsgType.Ping || type === MsgType.Meet) {
      const me = this.myself;
      if ((type === MsgType.Meet || me.ip === '') && this.host.config.str('cluster-announce-ip') === '') {
        const ip = plainIp(link.socket.localAddress);
        if (ip !== '' && ip !== me.ip) {
          me.ip = ip;
          this.host.log.warning(`IP address for this node updated to ${me.ip}`);
          this.doBeforeSleep(TODO_SAVE_CONFIG);
        }
      }
      if (sender === undefined && type === MsgType.Meet) {
        const n = new ClusterNode(randomNodeName(), NodeFlag.Handshake);
        n.ip = this.peerIp(link, h.myip);
        n.port = h.port;
        n.pport = h.pport;
        n.cport = h.cport;
        this.addNode(n);
        this.doBeforeSleep(TODO_SAVE_CONFIG);
        this.processGossip(msg, h, link);
      }
      this.sendPing(link, MsgType.Pong);
    }

    if (type === MsgType.Ping || type === MsgType.Pong || type === MsgType.Meet) {
      if (!link.inbound && link.node !== null) {
        if (link.node.inHandshake) {
          if (sender !== undefined) {
            this.host.log.verbose(`Handshake: we already know node ${sender.name}, updating the address if needed.`);
            if (this.updateAddressIfNeeded(sender, link, h)) this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
            this.delNode(link.node);
            return false;
          }
          if (!validNodeName(h.sender)) return true;
          this.renameNode(link.node, h.sender);
          this.host.log.verbose(`Handshake with node ${link.node.name} completed.`);
          link.node.flags &= ~NodeFlag.Handshake;
          link.node.flags |= h.flags & (NodeFlag.Primary | NodeFlag.Replica);
          this.doBeforeSleep(TODO_SAVE_CONFIG);
        } else if (link.node.name !== h.sender) {
          this.host.log.verbose(
            `PONG contains mismatching sender ID. About node ${link.node.name} added ${now - link.node.ctime} ms ago, having flags ${link.node.flags}`,
          );
          const n = link.node;
          n.flags |= NodeFlag.NoAddr;
          n.ip = '';
          n.port = 0;
          n.pport = 0;
          n.cport = 0;
          this.freeLink(link);
          this.doBeforeSleep(TODO_SAVE_CONFIG);
          return false;
        }
      }
      if (sender !== undefined) {
        sender.flags &= ~NodeFlag.NoFailover;
        sender.flags |= h.flags & NodeFlag.NoFailover;
      }
      if (sender !== undefined && type === MsgType.Ping && !sender.inHandshake && this.updateAddressIfNeeded(sender, link, h)) {
        this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
      }
      if (!link.inbound && type === MsgType.Pong && link.node !== null) {
        const n = link.node;
        n.pongReceived = now;
        n.pingSent = 0;
        if (n.timedOut) {
          n.flags &= ~NodeFlag.PFail;
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
        } else if (n.failed) {
          this.clearNodeFailureIfNeeded(n);
        }
      }
      if (sender !== undefined) {
        if (h.slaveof === null) {
          this.setNodeAsPrimary(sender);
        } else {
          const primary = this.lookupNode(h.slaveof);
          if (sender.isPrimary) {
            this.delNodeSlots(sender);
            sender.flags &= ~(NodeFlag.Primary | NodeFlag.MigrateTo);
            sender.flags |= NodeFlag.Replica;
            this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
          }
          if (primary !== undefined && sender.replicaOf !== primary) {
            if (sender.replicaOf !== null) this.removeReplica(sender.replicaOf, sender);
            this.addReplica(primary, sender);
            sender.replicaOf = primary;
            this.doBeforeSleep(TODO_SAVE_CONFIG);
          }
        }
      }
      let senderPrimary: ClusterNode | null = null;
      let dirtySlots = false;
      if (sender !== undefined) {
        senderPrimary = sender.isPrimary ? sender : sender.replicaOf;
        if (senderPrimary !== null) dirtySlots = !bytesEqual(senderPrimary.slots, h.myslots);
      }
      if (sender?.isPrimary && dirtySlots) this.updateSlotsConfigWith(sender, senderConfigEpoch, h.myslots);
      if (sender !== undefined && dirtySlots) {
        for (let j = 0; j < CLUSTER_SLOTS; j++) {
          if (h.myslots[j >> 3] & (1 << (j & 7))) {
            const owner = st.slots[j];
            if (owner === sender || this.slotUnclaimed(j) || owner === null) continue;
            if (owner.configEpoch > senderConfigEpoch) {
              this.host.log.verbose(`Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`);
              this.sendUpdate(sender.link, owner);
              break;
            }
          }
        }
      }
      if (sender !== undefined && this.myself.isPrimary && sender.isPrimary && senderConfigEpoch === this.myself.configEpoch) {
        this.handleConfigEpochCollision(sender);
      }
      if (sender !== undefined) {
        this.processGossip(msg, h, link);
        this.processPingExt(msg, h, link);
      }
    } else if (type === MsgType.Fail) {
      if (sender !== undefined) {
        const name = failNodeName(msg);
        const failing = this.lookupNode(name);
        if (failing !== undefined && !(failing.flags & (NodeFlag.Fail | NodeFlag.Myself))) {
          this.host.log.notice(`FAIL message received from ${h.sender} about ${name}`);
          failing.flags |= NodeFlag.Fail;
          failing.failTime = now;
          failing.flags &= ~NodeFlag.PFail;
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
        }
      } else {
        this.host.log.notice(`Ignoring FAIL message from unknown node ${h.sender} about ${failNodeName(msg)}`);
      }
    } else if (type === MsgType.Publish || type === MsgType.PublishShard) {
      if (sender === undefined) return true;
      const { channel, message } = readPublish(msg);
      this.host.pubsub.publish(channel, message, type === MsgType.PublishShard);
    } else if (type === MsgType.AuthRequest) {
      if (sender === undefined) return true;
      this.sendFailoverAuthIfNeeded(sender, h);
    } else if (type === MsgType.AuthAck) {
      if (sender === undefined) return true;
      if (sender.isPrimary && sender.numSlots > 0 && senderCurrentEpoch >= st.failoverAuthEpoch) {
        st.failoverAuthCount++;
        this.doBeforeSleep(TODO_HANDLE_FAILOVER);
      }
    } else if (type === MsgType.MfStart) {
      if (sender === undefined || sender.replicaOf !== this.myself) return true;
      this.resetManualFailover();
      st.mfEnd = now + MF_TIMEOUT;
      st.mfReplica = sender;
      this.host.pauseWritesForFailover(true);
      this.mfPauseEnd = now + MF_TIMEOUT * MF_PAUSE_MULT;
      this.host.log.warning(`Manual failover requested by replica ${sender.name}.`);
      this.sendPing(link, MsgType.Ping);
    } else if (type === MsgType.Update) {
      if (sender === undefined) return true;
      const u = readUpdate(msg);
      const n = this.lookupNode(u.name);
      if (n === undefined) return true;
      if (n.configEpoch >= u.configEpoch) return true;
      if (n.isReplica) this.setNodeAsPrimary(n);
      n.configEpoch = u.configEpoch;
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      this.updateSlotsConfigWith(n, u.configEpoch, u.slots);
    } else if (type === MsgType.Module) {
      // No modules: nothing receives module messages.
    } else {
      this.host.log.warning(`Received unknown packet type: ${type}`);
    }
    return !link.freed;
  }

  /** Unix ms until which writes stay paused for a manual failover (mf pause end), 0 = none. */
  private mfPauseEnd = 0;

  // ---- failover --------------------------------------------------------------------------------

  /** clusterSendFailoverAuthIfNeeded: vote for a replica whose primary failed, once per epoch. */
  private sendFailoverAuthIfNeeded(node: ClusterNode, req: InHeader): void {
    const st = this.state;
    const me = this.myself;
    const primary = node.replicaOf;
    const forceAck = (req.mflags0 & MFLAG0_FORCEACK) !== 0;
    if (me.isReplica || me.numSlots === 0) return;
    const log = this.host.log;
    if (req.currentEpoch < st.currentEpoch) {
      log.warning(`Failover auth denied to ${node.name}: reqEpoch (${req.currentEpoch}) < curEpoch(${st.currentEpoch})`);
      return;
    }
    if (st.lastVoteEpoch === st.currentEpoch) {
      log.warning(`Failover auth denied to ${node.name}: already voted for epoch ${st.currentEpoch}`);
      return;
    }
    if (node.isPrimary || primary === null || (!primary.failed && !forceAck)) {
      if (node.isPrimary) log.warning(`Failover auth denied to ${node.name}: it is a master node`);
      else if (primary === null) log.warning(`Failover auth denied to ${node.name}: I don't know its master`);
      else log.warning(`Failover auth denied to ${node.name}: its master is up`);
      return;
    }
    const now = Date.now();
    if (now - primary.votedTime < this.nodeTimeout * 2) {
      log.warning(
        `Failover auth denied to ${node.name}: can't vote about this master before ${this.nodeTimeout * 2 - (now - primary.votedTime)} milliseconds`,
      );
      return;
    }
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((req.myslots[j >> 3] & (1 << (j & 7))) === 0) continue;
      const owner = st.slots[j];
      if (this.slotUnclaimed(j) || owner === null || owner.configEpoch <= req.configEpoch) continue;
      log.warning(`Failover auth denied to ${node.name}: slot ${j} epoch (${owner.configEpoch}) > reqEpoch (${req.configEpoch})`);
      return;
    }
    st.lastVoteEpoch = st.currentEpoch;
    primary.votedTime = now;
    this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
    this.send(node.link, this.bareMessage(MsgType.AuthAck));
    log.warning(`Failover auth granted to ${node.name} for epoch ${st.currentEpoch}`);
  }

  /** clusterGetSlaveRank: replicas of our primary with a greater offset (that can fail over). */
  private replicaRank(): number {
    const primary = this.myself.replicaOf;
    if (primary === null) return 0;
    const mine = this.myOffset();
    let rank = 0;
    for (const r of primary.replicas) if (r !== this.myself && !(r.flags & NodeFlag.NoFailover) && r.replOffset > mine) rank++;
    return rank;
  }

  /** clusterLogCantFailover. */
  private logCantFailover(reason: number): void {
    const st = this.state;
    const nowS = Math.floor(Date.now() / 1000);
    if (reason === st.cantFailoverReason && nowS - this.cantFailoverLogTime < CANT_FAILOVER_RELOG_PERIOD) return;
    st.cantFailoverReason = reason;
    const p = this.myself.replicaOf;
    if (p?.failed && Date.now() - p.failTime < this.nodeTimeout + 5000) return;
    const msgs: Record<number, string> = {
      [CANT_FAILOVER_DATA_AGE]:
        "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
      [CANT_FAILOVER_WAITING_DELAY]: 'Waiting the delay before I can start a new failover.',
      [CANT_FAILOVER_EXPIRED]: 'Failover attempt expired.',
      [CANT_FAILOVER_WAITING_VOTES]: 'Waiting for votes, but majority still not reached.',
    };
    this.cantFailoverLogTime = nowS;
    this.host.log.warning(`Currently unable to failover: ${msgs[reason] ?? 'Unknown reason code.'}`);
  }

  /** clusterFailoverReplaceYourMaster: myself becomes a primary with the old primary's slots. */
  failoverReplaceYourPrimary(): void {
    const me = this.myself;
    const old = me.replicaOf;
    if (me.isPrimary || old === null) return;
    this.setNodeAsPrimary(me);
    this.host.replication.unsetPrimary();
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (old.hasSlot(j)) {
        this.delSlot(j);
        this.addSlot(me, j);
      }
    }
    this.updateState();
    this.saveConfigOrLog(true);
    this.broadcastPong(BROADCAST_ALL);
    this.resetManualFailover();
  }

  /** clusterHandleSlaveFailover: the replica's side of an election (automatic or manual). */
  private handleReplicaFailover(): void {
    const st = this.state;
    const me = this.myself;
    const now = Date.now();
    const authAge = now - st.failoverAuthTime;
    const needed = Math.floor(st.size / 2) + 1;
    const manual = st.mfEnd !== 0 && st.mfCanStart;
    const cfg = this.host.config;
    this.todo &= ~TODO_HANDLE_FAILOVER;
    let authTimeout = this.nodeTimeout * 2;
    if (authTimeout < 2000) authTimeout = 2000;
    const authRetry = authTimeout * 2;
    const p = me.replicaOf;
    if (me.isPrimary || p === null || (!p.failed && !manual) || (cfg.bool('cluster-replica-no-failover') && !manual) || p.numSlots === 0) {
      st.cantFailoverReason = CANT_FAILOVER_NONE;
      return;
    }
    const link = this.host.replication.link;
    let dataAge = link?.linkUp ? 0 : link !== null && link.downSince !== 0 ? now - link.downSince : now;
    if (dataAge > this.nodeTimeout) dataAge -= this.nodeTimeout;
    const factor = cfg.num('cluster-replica-validity-factor');
    if (factor !== 0 && dataAge > cfg.num('repl-ping-replica-period') * 1000 + this.nodeTimeout * factor) {
      if (!manual) {
        this.logCantFailover(CANT_FAILOVER_DATA_AGE);
        return;
      }
    }
    if (authAge > authRetry) {
      st.failoverAuthTime = now + 500 + Math.floor(Math.random() * 500);
      st.failoverAuthCount = 0;
      st.failoverAuthSent = false;
      st.failoverAuthRank = this.replicaRank();
      st.failoverAuthTime += st.failoverAuthRank * 1000;
      if (st.mfEnd !== 0) {
        st.failoverAuthTime = now;
        st.failoverAuthRank = 0;
        this.doBeforeSleep(TODO_HANDLE_FAILOVER);
      }
      this.host.log.warning(
        `Start of election delayed for ${st.failoverAuthTime - now} milliseconds (rank #${st.failoverAuthRank}, offset ${this.myOffset()}).`,
      );
      this.broadcastPong(BROADCAST_LOCAL_REPLICAS);
      return;
    }
    if (!st.failoverAuthSent && st.mfEnd === 0) {
      const newRank = this.replicaRank();
      if (newRank > st.failoverAuthRank) {
        const added = (newRank - st.failoverAuthRank) * 1000;
        st.failoverAuthTime += added;
        st.failoverAuthRank = newRank;
        this.host.log.warning(`Replica rank updated to #${newRank}, added ${added} milliseconds of delay.`);
      }
    }
    if (now < st.failoverAuthTime) {
      this.logCantFailover(CANT_FAILOVER_WAITING_DELAY);
      return;
    }
    if (authAge > authTimeout) {
      this.logCantFailover(CANT_FAILOVER_EXPIRED);
      return;
    }
    if (!st.failoverAuthSent) {
      st.currentEpoch++;
      st.failoverAuthEpoch = st.currentEpoch;
      this.host.log.warning(`Starting a failover election for epoch ${st.currentEpoch}.`);
      const req = this.bareMessage(MsgType.AuthRequest);
      if (st.mfEnd !== 0) req[2253] |= MFLAG0_FORCEACK;
      this.broadcast(req);
      st.failoverAuthSent = true;
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
      return;
    }
    if (st.failoverAuthCount >= needed) {
      this.host.log.warning("Failover election won: I'm the new master.");
      if (me.configEpoch < st.failoverAuthEpoch) {
        me.configEpoch = st.failoverAuthEpoch;
        this.host.log.warning(`configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.failoverReplaceYourPrimary();
    } else {
      this.logCantFailover(CANT_FAILOVER_WAITING_VOTES);
    }
  }

  /** clusterHandleSlaveMigration: a replica of a well-covered primary moves to an orphaned one. */
  private handleReplicaMigration(maxReplicas: number): void {
    const st = this.state;
    const me = this.myself;
    const mine = me.replicaOf;
    if (st.state !== 'ok' || mine === null) return;
    let ok = 0;
    for (const r of mine.replicas) if (!r.failed && !r.timedOut) ok++;
    if (ok <= this.host.config.num('cluster-migration-barrier')) return;
    let candidate = me;
    let target: ClusterNode | null = null;
    const now = Date.now();
    for (const node of st.nodes.values()) {
      let okReplicas = 0;
      let orphaned = true;
      if (node.isReplica || node.failed) orphaned = false;
      if (!(node.flags & NodeFlag.MigrateTo)) orphaned = false;
      if (node.isPrimary) okReplicas = this.countNonFailingReplicas(node);
      if (okReplicas > 0) orphaned = false;
      if (orphaned) {
        if (target === null && node.numSlots > 0) target = node;
        if (node.orphanedTime === 0) node.orphanedTime = now;
      } else {
        node.orphanedTime = 0;
      }
      if (okReplicas === maxReplicas) {
        for (const r of node.replicas) if (r.name < candidate.name) candidate = r;
      }
    }
    if (target !== null && candidate === me && now - target.orphanedTime > REPLICA_MIGRATION_DELAY) {
      this.host.log.warning(`Migrating to orphaned master ${target.name}`);
      this.setPrimary(target);
    }
  }

  /** resetManualFailover: ends a manual failover (and the primary's write pause). */
  resetManualFailover(): void {
    const st = this.state;
    if (st.mfReplica !== null || this.mfPauseEnd !== 0) {
      this.host.pauseWritesForFailover(false);
      this.mfPauseEnd = 0;
    }
    st.mfEnd = 0;
    st.mfCanStart = false;
    st.mfReplica = null;
    st.mfPrimaryOffset = -1n;
  }

  private manualFailoverCheckTimeout(): void {
    const st = this.state;
    if (st.mfEnd !== 0 && st.mfEnd < Date.now()) {
      this.host.log.warning('Manual failover timed out.');
      this.resetManualFailover();
    }
    if (this.mfPauseEnd !== 0 && this.mfPauseEnd < Date.now()) {
      this.host.pauseWritesForFailover(false);
      this.mfPauseEnd = 0;
    }
  }

  /** clusterHandleManualFailover: the replica can start once it processed the paused primary's offset. */
  private handleManualFailover(): void {
    const st = this.state;
    if (st.mfEnd === 0 || st.mfCanStart || st.mfPrimaryOffset === -1n) return;
    if (st.mfPrimaryOffset === this.myOffset()) {
      st.mfCanStart = true;
      this.host.log.warning('All master replication stream processed, manual failover can start.');
      this.doBeforeSleep(TODO_HANDLE_FAILOVER);
      return;
    }
    this.doBeforeSleep(TODO_HANDLE_MANUALFAILOVER);
  }

  /**
   * CLUSTER FAILOVER on a replica: `mode` '' (coordinated with the primary), 'force' (no
   * coordination) or 'takeover' (no election). The caller checked the preconditions.
   */
  startManualFailover(mode: '' | 'force' | 'takeover'): void {
    const st = this.state;
    this.resetManualFailover();
    st.mfEnd = Date.now() + MF_TIMEOUT;
    const p = this.myself.replicaOf;
    if (mode === 'takeover') {
      this.host.log.warning('Taking over the master (user request).');
      this.bumpConfigEpochWithoutConsensus();
      this.failoverReplaceYourPrimary();
    } else if (mode === 'force') {
      this.host.log.warning('Forced failover user request accepted.');
      st.mfCanStart = true;
    } else {
      this.host.log.warning('Manual failover user request accepted.');
      if (p !== null) this.send(p.link, this.bareMessage(MsgType.MfStart));
    }
  }

  // ---- cron ------------------------------------------------------------------------------------

  /** clusterCron, every 100 ms. */
  private cron(): void {
    if (this.closed) return;
    try {
      this.cronBody();
      if (this.todo !== 0) this.beforeSleep();
    } catch (e) {
      this.host.log.warning(`Cluster cron error: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private cronBody(): void {
    const st = this.state;
    const me = this.myself;
    const timeout = this.nodeTimeout;
    let now = Date.now();
    this.iteration++;
    me.hostname = this.host.config.str('cluster-announce-hostname');
    const handshakeTimeout = Math.max(timeout, 1000);
    st.statsPfailNodes = 0;
    const sendbufLimit = this.host.config.num('cluster-link-sendbuf-limit');
    for (const node of [...st.nodes.values()]) {
      if (sendbufLimit > 0) {
        // clusterNodeCronFreeLinkOnBufferLimitReached: a peer that does not read loses the link.
        for (const l of [node.link, node.inboundLink]) {
          if (l === null || l.socket.writableLength <= sendbufLimit) continue;
          this.host.log.warning(
            `Freeing cluster link(${l.inbound ? 'from' : 'to'} node ${node.name}, used memory: ${l.socket.writableLength}) due to exceeding send buffer memory limit.`,
          );
          this.freeLink(l);
          this.linksBufferLimitExceeded++;
        }
      }
      if (node.flags & (NodeFlag.Myself | NodeFlag.NoAddr)) continue;
      if (node.flags & NodeFlag.PFail) st.statsPfailNodes++;
      if (node.inHandshake && now - node.ctime > handshakeTimeout) {
        this.delNode(node);
        continue;
      }
      if (node.link === null) this.connectNode(node);
    }
    if (this.iteration % 10 === 0) {
      const all = [...st.nodes.values()];
      let minPongNode: ClusterNode | null = null;
      let minPong = 0;
      for (let j = 0; j < 5; j++) {
        const n = all[Math.floor(Math.random() * all.length)];
        if (n.link === null || n.pingSent !== 0) continue;
        if (n.flags & (NodeFlag.Myself | NodeFlag.Handshake)) continue;
        if (minPongNode === null || minPong > n.pongReceived) {
          minPongNode = n;
          minPong = n.pongReceived;
        }
      }
      if (minPongNode !== null && minPongNode.link !== null) this.sendPing(minPongNode.link, MsgType.Ping);
    }
    let orphanedPrimaries = 0;
    let maxReplicas = 0;
    let thisReplicas = 0;
    let updateState = false;
    for (const node of [...st.nodes.values()]) {
      now = Date.now();
      if (node.flags & (NodeFlag.Myself | NodeFlag.NoAddr | NodeFlag.Handshake)) continue;
      if (me.isReplica && node.isPrimary && !node.failed) {
        const ok = this.countNonFailingReplicas(node);
        if (ok === 0 && node.numSlots > 0 && node.flags & NodeFlag.MigrateTo) orphanedPrimaries++;
        if (ok > maxReplicas) maxReplicas = ok;
        if (me.replicaOf === node) thisReplicas = ok;
      }
      const pingDelay = now - node.pingSent;
      const dataDelay = now - node.dataReceived;
      if (
        node.link !== null &&
        now - node.link.ctime > timeout &&
        node.pingSent !== 0 &&
        pingDelay > timeout / 2 &&
        dataDelay > timeout / 2
      ) {
        this.freeLink(node.link);
      }
      if (node.link !== null && node.pingSent === 0 && now - node.pongReceived > timeout / 2) {
        this.sendPing(node.link, MsgType.Ping);
        continue;
      }
      if (st.mfEnd !== 0 && me.isPrimary && st.mfReplica === node && node.link !== null) {
        this.sendPing(node.link, MsgType.Ping);
        continue;
      }
      if (node.pingSent === 0) continue;
      const nodeDelay = Math.min(pingDelay, dataDelay);
      if (nodeDelay > timeout && !(node.flags & (NodeFlag.PFail | NodeFlag.Fail))) {
        this.host.log.verbose(`*** NODE ${node.name} possibly failing`);
        node.flags |= NodeFlag.PFail;
        updateState = true;
      }
    }
    if (me.isReplica && !this.host.replication.isReplica && me.replicaOf !== null && !(me.replicaOf.flags & NodeFlag.NoAddr)) {
      this.followPrimary(me.replicaOf.ip, me.replicaOf.port);
    }
    this.manualFailoverCheckTimeout();
    if (me.isReplica) {
      this.handleManualFailover();
      this.handleReplicaFailover();
      if (
        orphanedPrimaries > 0 &&
        maxReplicas >= 2 &&
        thisReplicas === maxReplicas &&
        this.host.config.bool('cluster-allow-replica-migration')
      ) {
        this.handleReplicaMigration(maxReplicas);
      }
    }
    if (updateState || st.state === 'fail') this.updateState();
  }

  /** clusterDoBeforeSleep: work for before the next replies (and at the latest the next tick). */
  doBeforeSleep(flags: number): void {
    this.todo |= flags;
    if (!this.todoScheduled && !this.closed) {
      this.todoScheduled = true;
      setImmediate(() => {
        this.todoScheduled = false;
        if (this.todo !== 0 && !this.closed) this.beforeSleep();
      });
    }
  }

  /** clusterBeforeSleep. */
  beforeSleep(): void {
    const flags = this.todo;
    this.todo = 0;
    if (flags & TODO_HANDLE_MANUALFAILOVER) {
      if (this.myself.isReplica) {
        this.handleManualFailover();
        this.handleReplicaFailover();
      }
    } else if (flags & TODO_HANDLE_FAILOVER) {
      this.handleReplicaFailover();
    }
    if (flags & TODO_UPDATE_STATE) this.updateState();
    if (flags & TODO_SAVE_CONFIG) this.saveConfigOrLog((flags & TODO_FSYNC_CONFIG) !== 0);
  }

  /** clusterUpdateState: cluster_state ok/fail and cluster_size. */
  updateState(): void {
    const st = this.state;
    const me = this.myself;
    const now = Date.now();
    this.todo &= ~TODO_UPDATE_STATE;
    if (this.firstUpdateStateCall === 0) this.firstUpdateStateCall = now;
    if (me.isPrimary && st.state === 'fail' && now - this.firstUpdateStateCall < WRITABLE_DELAY) return;
    let newState: 'ok' | 'fail' = 'ok';
    if (this.host.config.bool('cluster-require-full-coverage')) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const n = st.slots[j];
        if (n === null || n.flags & NodeFlag.Fail) {
          newState = 'fail';
          break;
        }
      }
    }
    let reachable = 0;
    st.size = 0;
    for (const n of st.nodes.values()) {
      if (n.isPrimary && n.numSlots > 0) {
        st.size++;
        if ((n.flags & (NodeFlag.Fail | NodeFlag.PFail)) === 0) reachable++;
      }
    }
    const needed = Math.floor(st.size / 2) + 1;
    if (reachable < needed) {
      newState = 'fail';
      this.amongMinorityTime = now;
    }
    if (newState !== st.state) {
      let rejoin = this.nodeTimeout;
      if (rejoin > MAX_REJOIN_DELAY) rejoin = MAX_REJOIN_DELAY;
      if (rejoin < MIN_REJOIN_DELAY) rejoin = MIN_REJOIN_DELAY;
      if (newState === 'ok' && me.isPrimary && now - this.amongMinorityTime < rejoin) return;
      this.host.log.warning(`Cluster state changed: ${newState}`);
      st.state = newState;
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
