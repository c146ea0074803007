/**
 * The instances a Sentinel knows (sentinel.c sentinelRedisInstance): monitored masters, their
 * replicas (discovered from INFO) and the other Sentinels (discovered from hello messages).
 */
import type { Link } from './links.js';

/** Instance flags, as sentinel.c SRI_*. */
export const SRI_MASTER = 1 << 0;
export const SRI_SLAVE = 1 << 1;
export const SRI_SENTINEL = 1 << 2;
export const SRI_S_DOWN = 1 << 3;
export const SRI_O_DOWN = 1 << 4;
export const SRI_MASTER_DOWN = 1 << 5;
export const SRI_FAILOVER_IN_PROGRESS = 1 << 6;
export const SRI_PROMOTED = 1 << 7;
export const SRI_RECONF_SENT = 1 << 8;
export const SRI_RECONF_INPROG = 1 << 9;
export const SRI_RECONF_DONE = 1 << 10;
export const SRI_FORCE_FAILOVER = 1 << 11;
export const SRI_SCRIPT_KILL_SENT = 1 << 12;
export const SRI_MASTER_REBOOT = 1 << 13;

/** Failover states, as sentinel.c SENTINEL_FAILOVER_STATE_*. */
export const enum FailoverState {
  None = 0,
  WaitStart = 1,
  SelectSlave = 2,
  SendSlaveofNoone = 3,
  WaitPromotion = 4,
  ReconfSlaves = 5,
  UpdateConfig = 6,
}

const STATE_NAMES = ['none', 'wait_start', 'select_slave', 'send_slaveof_noone', 'wait_promotion', 'reconf_slaves', 'update_config'];

/** sentinelFailoverStateStr. */
export function failoverStateName(s: FailoverState): string {
  return STATE_NAMES[s] ?? 'unknown';
}

/** Defaults (sentinel.c). */
export const DEFAULT_DOWN_AFTER = 30000;
export const DEFAULT_FAILOVER_TIMEOUT = 60 * 3 * 1000;
export const DEFAULT_PARALLEL_SYNCS = 1;
export const SLAVE_PRIORITY_DEFAULT = 100;

/** A host (IP or, with resolve-hostnames, a name) and port. */
export interface Addr {
  host: string;
  ip: string;
  port: number;
}

/** announce-hostnames, mirrored here for the address formatting below. */
export const announceConfig = { hostnames: false };

/** announceSentinelAddr: the hostname with announce-hostnames, else the IP. */
export function announce(a: Addr): string {
  return announceConfig.hostnames ? a.host : a.ip;
}

/** sentinelAddrOrHostnameEqual. */
export function addrEqual(a: Addr, b: Addr): boolean {
  return a.port === b.port && (a.ip === b.ip || a.host.toLowerCase() === b.host.toLowerCase());
}

/** sentinelAddrEqualsHostname (without a new lookup): the IP or the hostname matches. */
export function addrMatches(a: Addr, host: string): boolean {
  return a.ip === host || a.host.toLowerCase() === host.toLowerCase();
}

/** "host:port", bracketing IPv6 (announceSentinelAddrAndPort). */
export function addrName(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One monitored or discovered instance (sentinelRedisInstance). Times are ms since epoch. */
export class Instance {
  flags: number;
  name: string;
  runid: string | null = null;
  configEpoch = 0;
  addr: Addr;
  link!: Link;
  lastPubTime = 0;
  lastHelloTime = 0;
  lastMasterDownReplyTime = 0;
  sDownSinceTime = 0;
  oDownSinceTime = 0;
  downAfterPeriod: number;
  masterRebootDownAfterPeriod = 0;
  masterRebootSinceTime = 0;
  infoRefresh = 0;
  roleReported: number;
  roleReportedTime: number;
  slaveConfChangeTime: number;
  // Master specific.
  sentinels = new Map<string, Instance>();
  slaves = new Map<string, Instance>();
  quorum: number;
  parallelSyncs = DEFAULT_PARALLEL_SYNCS;
  authPass: string | null = null;
  authUser: string | null = null;
  notificationScript: string | null = null;
  clientReconfigScript: string | null = null;
  renamedCommands = new Map<string, string>();
  // Slave specific.
  masterLinkDownTime = 0;
  slavePriority = SLAVE_PRIORITY_DEFAULT;
  replicaAnnounced = 1;
  slaveReconfSentTime = 0;
  master: Instance | null;
  slaveMasterHost: string | null = null;
  slaveMasterPort = 0;
  slaveMasterLinkStatus = 1; // 0 up, 1 down (SENTINEL_MASTER_LINK_STATUS_*)
  slaveReplOffset = 0;
  // Failover.
  leader: string | null = null;
  leaderEpoch = 0;
  failoverEpoch = 0;
  failoverState: FailoverState = FailoverState.None;
  failoverStateChangeTime = 0;
  failoverStartTime = 0;
  failoverTimeout = DEFAULT_FAILOVER_TIMEOUT;
  failoverDelayLogged = 0;
  promotedSlave: Instance | null = null;
  info: string | null = null;

  constructor(name: string, flags: number, addr: Addr, quorum: number, master: Instance | null, downAfter: number) {
    this.name = name;
    this.flags = flags;
    this.addr = addr;
    this.quorum = quorum;
    this.master = master;
    this.downAfterPeriod = master ? master.downAfterPeriod : downAfter;
    const now = Date.now();
    this.roleReported = flags & SRI_SENTINEL ? SRI_SENTINEL : flags & (SRI_MASTER | SRI_SLAVE);
    this.roleReportedTime = now;
    this.slaveConfChangeTime = now;
    if (master) {
      this.failoverTimeout = master.failoverTimeout;
    }
  }

  get isMaster(): boolean {
    return (this.flags & SRI_MASTER) !== 0;
  }
  get isSlave(): boolean {
    return (this.flags & SRI_SLAVE) !== 0;
  }
  get isSentinel(): boolean {
    return (this.flags & SRI_SENTINEL) !== 0;
  }

  /** The "flags" field of SENTINEL MASTER/REPLICAS/SENTINELS (addReplySentinelRedisInstance). */
  flagsString(): string {
    const f = this.flags;
    const out: string[] = [];
    if (f & SRI_S_DOWN) out.push('s_down');
    if (f & SRI_O_DOWN) out.push('o_down');
    if (f & SRI_MASTER) out.push('master');
    if (f & SRI_SLAVE) out.push('slave');
    if (f & SRI_SENTINEL) out.push('sentinel');
    if (this.link.disconnected) out.push('disconnected');
    if (f & SRI_MASTER_DOWN) out.push('master_down');
    if (f & SRI_FAILOVER_IN_PROGRESS) out.push('failover_in_progress');
    if (f & SRI_PROMOTED) out.push('promoted');
    if (f & SRI_RECONF_SENT) out.push('reconf_sent');
    if (f & SRI_RECONF_INPROG) out.push('reconf_inprog');
    if (f & SRI_RECONF_DONE) out.push('reconf_done');
    if (f & SRI_FORCE_FAILOVER) out.push('force_failover');
    if (f & SRI_SCRIPT_KILL_SENT) out.push('script_kill_sent');
    return out.join(',');
  }

  /**
   * The "%@" of sentinelEvent: `<type> <name> <ip> <port>`, followed by ` @ <master> <ip> <port>`
   * for replicas and sentinels.
   */
  describe(): string {
    const type = this.isMaster ? 'master' : this.isSlave ? 'slave' : 'sentinel';
    let s = `${type} ${this.name} ${announce(this.addr)} ${this.addr.port}`;
    if (this.master) s += ` @ ${this.master.name} ${announce(this.master.addr)} ${this.master.addr.port}`;
    return s;
  }
}
